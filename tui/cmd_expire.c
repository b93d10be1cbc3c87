/* couponadm expire: expire every still-available code of a batch or campaign. */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"

/* The campaign named, or the batch's own when only --batch is given. */
static int target(struct cli *cli, const char *campaign, uint64_t batch, struct cp_campaign *c)
{
	struct cp_batch b;
	struct cp_err e;
	enum cp_status st;

	if (campaign != NULL)
		return cli_campaign(cli, campaign, c);
	if (cli_db(cli, true) == NULL)
		return EXIT_FAILURE;
	cp_err_clear(&e);
	if ((st = cp_batch_get(cli->db, batch, &b, &e)) != CP_OK ||
	    (st = cp_campaign_get(cli->db, b.campaign_id, c, &e)) != CP_OK)
		return cli_fail(st, &e);
	return EXIT_SUCCESS;
}

static int expire(const struct cmd_entry *self, struct cli *cli, int argc, char **argv)
{
	const char *campaign = NULL, *reason = "leak response";
	struct cp_campaign c;
	struct cp_err e;
	uint64_t batch = 0, n;
	enum cp_status st;
	int ch, rc;

	cp_err_clear(&e);
	while ((ch = cmd_getopt(self, argc, argv)) != -1) {
		if (ch == 'b' && cp_parse_uint(optarg, 1, UINT64_MAX, &batch, &e) != CP_OK) {
			cli_warnx("--batch: %s", e.msg);
			return cmd_usage(self);
		}
		if (ch == 'c')
			campaign = optarg;
		else if (ch == 'r')
			reason = optarg;
		else if (ch != 'b')
			return cmd_usage(self);
	}
	if (optind != argc || (campaign == NULL && batch == 0))
		return cmd_usage(self);
	if ((rc = target(cli, campaign, batch, &c)) != EXIT_SUCCESS)
		return rc;
	if ((st = cp_expire_codes(cli->db, c.id, batch, cli->actor, reason, &n, &e)) != CP_OK)
		return cli_fail(st, &e);
	if (batch != 0)
		printf("expired %" PRIu64 " codes of batch %" PRIu64 " (campaign '%s')\n", n, batch,
		       c.name);
	else
		printf("expired %" PRIu64 " codes of campaign '%s'\n", n, c.name);
	return EXIT_SUCCESS;
}

static const struct option expire_opts[] = {
	{"batch", required_argument, NULL, 'b'},
	{"campaign", required_argument, NULL, 'c'},
	{"reason", required_argument, NULL, 'r'},
	{NULL, 0, NULL, 0},
};

const struct cmd_entry cmd_expire_entry = {
	.name = "expire",
	.synopsis = "--batch N | --campaign NAME|ID [--reason TEXT]",
	.summary = "expire every available code of a batch or campaign (leak response)",
	.options = expire_opts,
	.exec = expire,
};
