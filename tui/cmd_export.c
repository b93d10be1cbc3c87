/* couponadm export: codes to CSV for a print vendor, with a SHA-256 manifest. */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"

static int export(const struct cmd_entry *self, struct cli *cli, int argc, char **argv)
{
	struct cp_export_opts o = {.actor = cli->actor};
	struct cp_export_result r;
	const char *campaign = NULL;
	struct cp_campaign c;
	struct cp_err e;
	enum cp_status st;
	int ch, rc;

	cp_err_clear(&e);
	while ((ch = cmd_getopt(self, argc, argv)) != -1) {
		switch (ch) {
		case 'c':
			campaign = optarg;
			break;
		case 'b':
			if (cp_parse_uint(optarg, 1, UINT64_MAX, &o.batch_id, &e) != CP_OK) {
				cli_warnx("--batch: %s", e.msg);
				return cmd_usage(self);
			}
			break;
		case 's':
			o.status = optarg;
			break;
		case 'o':
			o.path = optarg;
			break;
		case 'f':
			o.force = true;
			break;
		default:
			return cmd_usage(self);
		}
	}
	if (optind != argc || campaign == NULL || o.path == NULL)
		return cmd_usage(self);
	if ((rc = cli_campaign(cli, campaign, &c)) != EXIT_SUCCESS)
		return rc;
	o.campaign_id = c.id;
	if ((st = cp_export(cli->db, &o, &r, &e)) != CP_OK)
		return cli_fail(st, &e);
	if (!cli->quiet)
		printf("exported %" PRIu64 " codes to %s (sha256 %s, manifest %s.sha256)\n",
		       r.count, o.path, r.sha256, o.path);
	return EXIT_SUCCESS;
}

static const struct option export_opts[] = {
	{"campaign", required_argument, NULL, 'c'},
	{"batch", required_argument, NULL, 'b'},
	{"status", required_argument, NULL, 's'},
	{"out", required_argument, NULL, 'o'},
	{"force", no_argument, NULL, 'f'},
	{NULL, 0, NULL, 0},
};

const struct cmd_entry cmd_export_entry = {
	.name = "export",
	.synopsis = "--campaign NAME|ID [--batch N] [--status STATUS] --out FILE [--force]",
	.summary = "codes to CSV with a SHA-256 manifest, recorded in the database",
	.shortopts = "fo:",
	.options = export_opts,
	.exec = export,
};
