/*
 * couponadm: the console for campaign managers (no arguments) and the same
 * operations as subcommands for scripts.
 */
#include "config.h"

#include <curses.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd.h"
#include "console.h"

#define OPT_SYNOPSIS 256 /* long only */

static const struct option global_opts[] = {
	{"config", required_argument, NULL, 'c'},
	{"host", required_argument, NULL, 'H'},
	{"port", required_argument, NULL, 'P'},
	{"socket", required_argument, NULL, 'S'},
	{"user", required_argument, NULL, 'u'},
	{"database", required_argument, NULL, 'D'},
	{"set", required_argument, NULL, 'o'},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{"synopsis", no_argument, NULL, OPT_SYNOPSIS},
	{NULL, 0, NULL, 0},
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: couponadm [options]                 open the console\n"
		"       couponadm [options] COMMAND [args]  run one operation\n"
		"\n"
		"options:\n"
		"  -c, --config FILE    option file (default: first of %s)\n"
		"  -H, --host HOST      database host          -P, --port PORT\n"
		"  -S, --socket PATH    database socket        -u, --user USER\n"
		"  -D, --database NAME  database name\n"
		"  -o, --set KEY=VALUE  any option of the [coupon] group\n"
		"  -q, --quiet          no progress output\n"
		"  -h, --help           this help              -V, --version\n"
		"      --synopsis       every command's synopsis, one a line\n"
		"\n"
		"commands:\n",
		cp_config_search_path());
	cmd_list(f);
	fprintf(f, "\nSee couponadm(1).\n");
}

static int set_option(struct cli *cli, const char *key, const char *value)
{
	struct cp_err e;
	enum cp_status st;

	cp_err_clear(&e);
	st = cp_config_set(&cli->cfg, key, value, &e);
	return st == CP_OK ? 0 : cli_fail(st, &e);
}

static int set_kv(struct cli *cli, const char *kv)
{
	const char *eq = strchr(kv, '=');
	char key[64];

	if (eq == NULL || (size_t)(eq - kv) >= sizeof key) {
		cli_warnx("--set takes KEY=VALUE, got '%s'", kv);
		return EXIT_USAGE;
	}
	memcpy(key, kv, (size_t)(eq - kv));
	key[eq - kv] = '\0';
	return set_option(cli, key, eq + 1);
}

/* Flags override the option file, so they are applied after it is read. */
struct flag {
	int opt;
	const char *arg;
};

static int apply_flags(struct cli *cli, const struct flag *flags, int n)
{
	static const struct {
		int opt;
		const char *key;
	} keys[] = {{'H', "host"}, {'P', "port"}, {'S', "socket"}, {'u', "user"},
		    {'D', "database"}};
	int rc = 0;

	for (int i = 0; i < n && rc == 0; i++) {
		if (flags[i].opt == 'o') {
			rc = set_kv(cli, flags[i].arg);
			continue;
		}
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
			if (keys[k].opt == flags[i].opt)
				rc = set_option(cli, keys[k].key, flags[i].arg);
	}
	return rc;
}

static const char *whoami(void)
{
	const struct passwd *pw = getpwuid(getuid());
	const char *sudo = getenv("SUDO_USER");

	if (sudo != NULL && *sudo != '\0')
		return sudo;
	return pw != NULL ? pw->pw_name : "unknown";
}

#define STR(x) #x
#define XSTR(x) STR(x)

static void print_version(void)
{
	const char *running = curses_version();
	const struct cp_library libs[] = {
		{"ncursesw", NCURSES_VERSION "." XSTR(NCURSES_VERSION_PATCH),
		 /* "ncurses 6.4.20221231": the number, as in the other column */
		 strncmp(running, "ncurses ", 8) == 0 ? running + 8 : running},
	};
	char text[1024];

	cp_version_text(text, sizeof text, "couponadm", libs, sizeof libs / sizeof libs[0]);
	fputs(text, stdout);
}

int main(int argc, char **argv)
{
	struct cli cli;
	struct flag flags[64];
	int nflags = 0, ch, rc;
	const char *file = NULL;
	struct cp_err e;
	enum cp_status st;

	memset(&cli, 0, sizeof cli);
	cp_config_init(&cli.cfg);
	while ((ch = getopt_long(argc, argv, "+c:H:P:S:u:D:o:qhV", global_opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			file = optarg;
			break;
		case 'q':
			cli.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		case 'V':
			print_version();
			return EXIT_SUCCESS;
		case OPT_SYNOPSIS:
			cmd_synopsis(stdout);
			return EXIT_SUCCESS;
		case '?':
			usage(stderr);
			return EXIT_USAGE;
		default:
			if (nflags == (int)(sizeof flags / sizeof flags[0])) {
				cli_warnx("too many options");
				return EXIT_USAGE;
			}
			flags[nflags].opt = ch;
			flags[nflags++].arg = optarg;
		}
	}
	cp_err_clear(&e);
	if ((st = cp_config_load(&cli.cfg, file, &e)) != CP_OK)
		return cli_fail(st, &e);
	if ((rc = apply_flags(&cli, flags, nflags)) != 0)
		return rc;
	cli.actor = whoami();
	argc -= optind;
	argv += optind;
	if (cp_library_init() != CP_OK) {
		cli_warnx("cannot initialise the MySQL client library");
		return EXIT_FAILURE;
	}
	rc = argc == 0 ? console_run(&cli) : cmd_run(&cli, argc, argv);
	cp_db_close(cli.db);
	cp_config_free(&cli.cfg);
	cp_library_end();
	return rc;
}
