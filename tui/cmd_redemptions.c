/*
 * couponadm redemptions: core's redemption search (cp_search_*) as a table, CSV
 * or JSON lines. One page (--limit, default 100) as a table or JSON with the next
 * page's cursor on stderr; CSV without --limit writes every matching row.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static void json_opt(const char *name, const char *s)
{
	printf(",\"%s\":", name);
	if (*s != '\0')
		cli_json_str(stdout, s);
	else
		fputs("null", stdout);
}

/* One JSON object a line: what jq and log tools read without a page in memory. */
static bool print_json(const struct cp_redemption *r, void *arg)
{
	char t[32];

	(void)arg;
	printf("{\"id\":%llu,\"code\":", (unsigned long long)r->id);
	cli_json_str(stdout, r->code);
	printf(",\"campaign_id\":%u,\"status\":\"%s\"", (unsigned int)r->campaign_id,
	       cp_code_status_name(r->status));
	json_opt("user_id", r->user_id);
	json_opt("order_id", r->order_id);
	cp_search_time(r->redeemed_us, t);
	json_opt("redeemed_at", t);
	cp_search_time((int64_t)r->reserved_until * 1000000, t);
	json_opt("reserved_until", t);
	puts("}");
	return true;
}

static bool print_csv(const struct cp_redemption *r, void *arg)
{
	char line[CP_SEARCH_CSV_MAX];
	size_t n = cp_search_csv(r, line);

	(void)arg;
	return fwrite(line, 1, n, stdout) == n;
}

static bool print_row(const struct cp_redemption *r, void *arg)
{
	char t[32];

	(void)arg;
	cp_search_time(r->status == CP_CODE_PENDING ? (int64_t)r->reserved_until * 1000000
						    : r->redeemed_us, t);
	printf("%-10llu %-20s %-8u %-8s %-27s %-20.20s %s\n", (unsigned long long)r->id, r->code,
	       (unsigned int)r->campaign_id, cp_code_status_name(r->status), t,
	       r->user_id[0] ? r->user_id : "-", r->order_id[0] ? r->order_id : "-");
	return true;
}

static const struct option redemptions_opts[] = {
	{"campaign", required_argument, NULL, 'c'},
	{"user", required_argument, NULL, 'u'},
	{"order", required_argument, NULL, 'o'},
	{"status", required_argument, NULL, 's'},
	{"since", required_argument, NULL, 'S'},
	{"until", required_argument, NULL, 'U'},
	{"limit", required_argument, NULL, 'n'},
	{"cursor", required_argument, NULL, 'C'},
	{"format", required_argument, NULL, 'f'},
	{NULL, 0, NULL, 0},
};

static int parse_args(const struct cmd_entry *self, int argc, char **argv,
		      struct cp_search_args *a, enum cli_format *f)
{
	int ch;

	while ((ch = cmd_getopt(self, argc, argv)) != -1) {
		switch (ch) {
		case 'c':
			a->campaign = optarg;
			break;
		case 'u':
			a->user_id = optarg;
			break;
		case 'o':
			a->order_id = optarg;
			break;
		case 's':
			a->status = optarg;
			break;
		case 'S':
			a->since = optarg;
			break;
		case 'U':
			a->until = optarg;
			break;
		case 'n':
			a->limit = optarg;
			break;
		case 'C':
			a->cursor = optarg;
			break;
		case 'f':
			if (cli_format(optarg, f))
				break;
			/* FALLTHROUGH */
		default:
			return cmd_usage(self);
		}
	}
	a->all = *f == CLI_CSV;
	return optind == argc ? 0 : cmd_usage(self);
}

static int redemptions(const struct cmd_entry *self, struct cli *cli, int argc, char **argv)
{
	static bool (*const printers[])(const struct cp_redemption *, void *) = {
		print_row, print_csv, print_json};
	struct cp_search_args a = {0};
	char next[CP_CURSOR_MAX + 1];
	enum cli_format f = CLI_TABLE;
	struct cp_search s;
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st;
	int rc;

	if ((rc = parse_args(self, argc, argv, &a, &f)) != 0)
		return rc;
	if ((db = cli_db(cli, true)) == NULL)
		return EXIT_FAILURE;
	cp_err_clear(&e);
	if ((st = cp_search_init(db, &a, &s, &e)) != CP_OK) {
		if (e.field[0] != '\0')
			cp_err_prefix(&e, "%s", e.field);
		return cli_fail(st, &e);
	}
	if (f == CLI_CSV)
		fputs(CP_SEARCH_CSV_HEADER, stdout);
	else if (f == CLI_TABLE)
		printf("%-10s %-20s %-8s %-8s %-27s %-20s %s\n", "ID", "CODE", "CAMPAIGN", "STATUS",
		       "TIME", "USER", "ORDER");
	if ((st = cp_search_run(db, &s, printers[f], NULL, next, &e)) != CP_OK)
		return cli_fail(st, &e);
	if (next[0] != '\0')
		fprintf(stderr, "next page: --cursor %s\n", next);
	return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

const struct cmd_entry cmd_redemptions_entry = {
	.name = "redemptions",
	.synopsis = "[--campaign CAMPAIGN] [--user USER] [--order ORDER] [--status redeemed|pending] "
		    "[--since TIME] [--until TIME] [--limit N] [--cursor CURSOR] "
		    "[--format table|csv|json]",
	.summary = "redeemed or reserved codes by campaign, user, order, time; newest first",
	.shortopts = "",
	.options = redemptions_opts,
	.exec = redemptions,
};
