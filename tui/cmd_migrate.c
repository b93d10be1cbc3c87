/* couponadm migrate: apply pending schema migrations. */
#include "config.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"

#define MIGRATE_READ_TIMEOUT 86400 /* seconds: the longest read-timeout allows */

static void applied(unsigned int version, const char *name, void *arg)
{
	const struct cli *cli = arg;

	if (!cli->quiet)
		printf("applied %03u_%s\n", version, name);
}

static int status(struct cli *cli, struct cp_db *db)
{
	struct cp_migration_state ms;
	struct cp_err e;
	enum cp_status st;

	cp_err_clear(&e);
	if ((st = cp_migrate_status(db, &ms, &e)) != CP_OK)
		return cli_fail(st, &e);
	(void)cli;
	printf("schema version %u, this program knows %u, %u pending\n", ms.current, ms.latest,
	       ms.pending);
	return ms.current > ms.latest ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int migrate(const struct cmd_entry *self, struct cli *cli, int argc, char **argv)
{
	struct cp_migration_state ms;
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st;
	uint64_t to = 0;
	bool show = false;
	int ch;

	cp_err_clear(&e);
	while ((ch = cmd_getopt(self, argc, argv)) != -1) {
		if (ch == 's') {
			show = true;
		} else if (ch == 't') {
			if (cp_parse_uint(optarg, 1, UINT_MAX, &to, &e) != CP_OK) {
				cli_warnx("--to: %s", e.msg);
				return EXIT_USAGE;
			}
		} else {
			return cmd_usage(self);
		}
	}
	if (optind != argc || (show && to != 0))
		return cmd_usage(self);
	/*
	 * A migration's ALTER on a populated table (an index on 10,000,000 codes) runs
	 * for minutes without a byte from the server; the read timeout, meant for
	 * requests, would drop the connection under it. Wait as long as it takes.
	 */
	cli->cfg.read_timeout = MIGRATE_READ_TIMEOUT;
	if ((db = cli_db(cli, false)) == NULL)
		return EXIT_FAILURE;
	if (show)
		return status(cli, db);
	if (to != 0)
		st = cp_migrate_to(db, (unsigned int)to, applied, cli, &e);
	else
		st = cp_migrate(db, applied, cli, &e);
	if (st != CP_OK)
		return cli_fail(st, &e);
	if ((st = cp_migrate_status(db, &ms, &e)) != CP_OK)
		return cli_fail(st, &e);
	if (!cli->quiet)
		printf("schema is at version %u\n", ms.current);
	return EXIT_SUCCESS;
}

static const struct option migrate_opts[] = {
	{"status", no_argument, NULL, 's'},
	{"to", required_argument, NULL, 't'},
	{NULL, 0, NULL, 0},
};

const struct cmd_entry cmd_migrate_entry = {
	.name = "migrate",
	.synopsis = "[--status | --to VERSION]",
	.summary = "apply pending schema migrations (up to VERSION)",
	.shortopts = "st:",
	.options = migrate_opts,
	.exec = migrate,
};
