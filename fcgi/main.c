/* coupon-fcgi: the FastCGI responder behind nginx, lighttpd or Apache. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coupon.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: coupon-fcgi [options]\n"
		"  -c, --config FILE   option file (default: first of %s)\n"
		"      --check         connect, check the schema and exit\n"
		"  -h, --help          this help\n"
		"  -V, --version       print the version\n",
		cp_config_search_path());
}

static int check(const struct cp_config *cfg)
{
	struct cp_db *db = NULL;
	struct cp_err e;
	enum cp_status st;

	cp_err_clear(&e);
	if ((st = cp_library_init()) != CP_OK)
		return EXIT_FAILURE;
	st = cp_db_open(&db, cfg, "coupon-fcgi", &e);
	if (st == CP_OK)
		st = cp_schema_check(db, &e);
	cp_db_close(db);
	cp_library_end();
	if (st != CP_OK) {
		fprintf(stderr, "coupon-fcgi: %s\n", e.msg);
		return EXIT_FAILURE;
	}
	printf("coupon-fcgi: database and schema OK\n");
	return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check", no_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct cp_config cfg;
	struct cp_err e;
	const char *file = NULL;
	bool do_check = false;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			file = optarg;
			break;
		case 'k':
			do_check = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		case 'V':
			printf("coupon-fcgi (coupon) %s\n", cp_version());
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return 2;
		}
	}
	cp_config_init(&cfg);
	cp_err_clear(&e);
	if (cp_config_load(&cfg, file, &e) != CP_OK) {
		fprintf(stderr, "coupon-fcgi: %s\n", e.msg);
		return 2;
	}
	rc = do_check ? check(&cfg) : EXIT_FAILURE;
	if (!do_check)
		fprintf(stderr, "coupon-fcgi: serving is not built yet; use --check\n");
	cp_config_free(&cfg);
	return rc;
}
