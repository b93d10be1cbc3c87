/*
 * couponadm apikey: API keys of coupon-fcgi's clients.
 *   apikey create --name NAME --scope redeem|admin[,..]   prints the secret once
 *   apikey list
 *   apikey revoke NAME|ID
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "cli.h"

static const char usage[] = "apikey create --name NAME --scope redeem|admin[,...]\n"
			    "       couponadm apikey list\n"
			    "       couponadm apikey revoke NAME|ID";

static int create(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"name", required_argument, NULL, 'n'},
		{"scope", required_argument, NULL, 's'},
		{NULL, 0, NULL, 0},
	};
	const char *name = NULL, *scope = NULL;
	char secret[CP_APIKEY_SECRET_LEN + 1];
	unsigned int bits;
	uint32_t id;
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st;
	int ch;

	while ((ch = getopt_long(argc, argv, "n:s:", opts, NULL)) != -1) {
		if (ch == 'n')
			name = optarg;
		else if (ch == 's')
			scope = optarg;
		else
			return cli_usage(usage);
	}
	if (optind != argc || name == NULL || scope == NULL)
		return cli_usage(usage);
	cp_err_clear(&e);
	if ((st = cp_scopes_parse(scope, &bits, &e)) != CP_OK)
		return cli_fail(st, &e);
	if ((db = cli_db(cli, true)) == NULL)
		return EXIT_FAILURE;
	if ((st = cp_apikey_create(db, name, bits, secret, sizeof secret, &id, &e)) != CP_OK)
		return cli_fail(st, &e);
	/* The secret alone on stdout, so scripts can capture it; the rest on stderr. */
	printf("%s\n", secret);
	fflush(stdout);
	OPENSSL_cleanse(secret, sizeof secret);
	if (!cli->quiet)
		fprintf(stderr, "API key %u '%s' created; the secret above is shown only once\n",
			id, name);
	return EXIT_SUCCESS;
}

static void stamp(time_t t, char *out, size_t sz)
{
	struct tm tm;

	if (t == 0) {
		snprintf(out, sz, "-");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(out, sz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void print_key(const struct cp_apikey *k, void *arg)
{
	char scopes[32], created[32], used[32], revoked[32];

	(void)arg;
	cp_scopes_format(k->scopes, scopes, sizeof scopes);
	stamp(k->created_at, created, sizeof created);
	stamp(k->last_used_at, used, sizeof used);
	stamp(k->revoked_at, revoked, sizeof revoked);
	printf("%-5u %-24s cpk_%s_...  %-13s %-20s %-20s %s\n", k->id, k->name, k->prefix, scopes,
	       created, used, revoked);
}

static int list(struct cli *cli, int argc)
{
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st;

	if (argc != 1)
		return cli_usage(usage);
	if ((db = cli_db(cli, true)) == NULL)
		return EXIT_FAILURE;
	printf("%-5s %-24s %-17s %-13s %-20s %-20s %s\n", "ID", "NAME", "KEY", "SCOPES",
	       "CREATED", "LAST USED", "REVOKED");
	cp_err_clear(&e);
	if ((st = cp_apikey_list(db, print_key, NULL, &e)) != CP_OK)
		return cli_fail(st, &e);
	return EXIT_SUCCESS;
}

static int revoke(struct cli *cli, int argc, char **argv)
{
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st;

	if (argc != 2)
		return cli_usage(usage);
	if ((db = cli_db(cli, true)) == NULL)
		return EXIT_FAILURE;
	cp_err_clear(&e);
	if ((st = cp_apikey_revoke(db, argv[1], &e)) != CP_OK)
		return cli_fail(st, &e);
	if (!cli->quiet)
		printf("API key '%s' revoked\n", argv[1]);
	return EXIT_SUCCESS;
}

int cmd_apikey(struct cli *cli, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(usage);
	if (strcmp(argv[1], "create") == 0)
		return create(cli, argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return list(cli, argc - 1);
	if (strcmp(argv[1], "revoke") == 0)
		return revoke(cli, argc - 1, argv + 1);
	return cli_usage(usage);
}
