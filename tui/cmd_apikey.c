/* couponadm apikey create|list|revoke: API keys of coupon-fcgi's clients. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "cmd.h"

static int create(const struct cmd_entry *self, struct cli *cli, int argc, char **argv)
{
	const char *name = NULL, *scope = NULL;
	char secret[CP_APIKEY_SECRET_LEN + 1];
	unsigned int bits;
	uint32_t id;
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st;
	int ch;

	while ((ch = cmd_getopt(self, argc, argv)) != -1) {
		if (ch == 'n')
			name = optarg;
		else if (ch == 's')
			scope = optarg;
		else
			return cmd_usage(self);
	}
	if (optind != argc || name == NULL || scope == NULL)
		return cmd_usage(self);
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

static int list(const struct cmd_entry *self, struct cli *cli, int argc, char **argv)
{
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st;

	if (cmd_getopt(self, argc, argv) != -1 || optind != argc)
		return cmd_usage(self);
	if ((db = cli_db(cli, true)) == NULL)
		return EXIT_FAILURE;
	printf("%-5s %-24s %-17s %-13s %-20s %-20s %s\n", "ID", "NAME", "KEY", "SCOPES",
	       "CREATED", "LAST USED", "REVOKED");
	cp_err_clear(&e);
	if ((st = cp_apikey_list(db, print_key, NULL, &e)) != CP_OK)
		return cli_fail(st, &e);
	return EXIT_SUCCESS;
}

static int revoke(const struct cmd_entry *self, struct cli *cli, int argc, char **argv)
{
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st;

	if (cmd_getopt(self, argc, argv) != -1 || optind + 1 != argc)
		return cmd_usage(self);
	if ((db = cli_db(cli, true)) == NULL)
		return EXIT_FAILURE;
	cp_err_clear(&e);
	if ((st = cp_apikey_revoke(db, argv[optind], &e)) != CP_OK)
		return cli_fail(st, &e);
	if (!cli->quiet)
		printf("API key '%s' revoked\n", argv[optind]);
	return EXIT_SUCCESS;
}

static const struct option create_opts[] = {
	{"name", required_argument, NULL, 'n'},
	{"scope", required_argument, NULL, 's'},
	{NULL, 0, NULL, 0},
};

const struct cmd_entry cmd_apikey_create_entry = {
	.name = "apikey create",
	.synopsis = "--name NAME --scope redeem|admin[,...]",
	.summary = "an API key of the HTTP API; prints its secret, once",
	.shortopts = "n:s:",
	.options = create_opts,
	.exec = create,
};

const struct cmd_entry cmd_apikey_list_entry = {
	.name = "apikey list",
	.synopsis = "",
	.summary = "the API keys with their scopes and last use",
	.exec = list,
};

const struct cmd_entry cmd_apikey_revoke_entry = {
	.name = "apikey revoke",
	.synopsis = "NAME|ID",
	.summary = "revoke an API key",
	.exec = revoke,
};
