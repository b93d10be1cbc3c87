/*
 * couponadm report: core's per hour or day series of a campaign (cp_report_*)
 * as a table, CSV or JSON on stdout, and with --html FILE as a page of charts.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "report_html.h"

static const struct option report_opts[] = {
	{"campaign", required_argument, NULL, 'c'},
	{"bucket", required_argument, NULL, 'b'},
	{"since", required_argument, NULL, 'S'},
	{"until", required_argument, NULL, 'U'},
	{"format", required_argument, NULL, 'f'},
	{"html", required_argument, NULL, 'H'},
	{"time-zone", required_argument, NULL, 'z'},
	{NULL, 0, NULL, 0},
};

static bool to_stdout(void *sink, const char *s, size_t n)
{
	return fwrite(s, 1, n, sink) == n;
}

static bool print_table(const struct cp_report *r)
{
	char t[CP_TIME_TEXT_MAX];

	printf("campaign %s (%" PRIu32 "), per %s in %s\n", r->campaign, r->campaign_id,
	       cp_report_bucket_name(r->bucket), r->time_zone);
	printf("%-24s %11s %12s %8s %14s %16s\n", "START", "REDEMPTIONS", "RESERVATIONS", "REFUNDS",
	       "ISSUED_TO_DATE", "REDEEMED_TO_DATE");
	for (size_t i = 0; i < r->n; i++) {
		const struct cp_report_row *w = &r->rows[i];

		cp_time_format(w->start, r->time_zone, CP_TIME_LOCAL, t);
		printf("%-24s %11" PRIu64 " %12" PRIu64 " %8" PRIu64 " %14" PRIu64 " %16" PRIu64 "\n", t,
		       w->redemptions, w->reservations, w->refunds, w->issued, w->redeemed);
	}
	printf("codes now:");
	for (int s = 0; s < CP_REPORT_STATUSES; s++)
		printf(" %s %" PRIu64, cp_code_status_name((enum cp_code_status)s), r->status[s]);
	printf("\nnot shown: %s\n", cp_report_failed_lookups_note());
	return true;
}

static bool print_csv(const struct cp_report *r)
{
	return cp_report_csv(r, to_stdout, stdout);
}

static bool print_json(const struct cp_report *r)
{
	return cp_report_json(r, to_stdout, stdout);
}

/* By enum cli_format. */
static bool (*const writers[])(const struct cp_report *) = {print_table, print_csv, print_json};

/* Written beside FILE and renamed over it, so a reader never sees half a page. */
static int write_html(const char *file, const struct cp_report *r)
{
	size_t n = strlen(file) + 8;
	char *tmp = malloc(n);
	FILE *f;
	bool ok;

	if (tmp == NULL) {
		cli_warnx("out of memory");
		return EXIT_FAILURE;
	}
	snprintf(tmp, n, "%s.tmp", file);
	if ((f = fopen(tmp, "w")) == NULL) {
		cli_warnx("%s: %s", tmp, strerror(errno));
		free(tmp);
		return EXIT_FAILURE;
	}
	ok = report_html(f, r);
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, file) != 0) {
		cli_warnx("%s: %s", file, strerror(errno));
		remove(tmp);
		free(tmp);
		return EXIT_FAILURE;
	}
	free(tmp);
	return EXIT_SUCCESS;
}

static int parse_args(const struct cmd_entry *self, int argc, char **argv,
		      struct cp_report_args *a, enum cli_format *f, bool *out, const char **html)
{
	int ch;

	*out = false;
	while ((ch = cmd_getopt(self, argc, argv)) != -1) {
		switch (ch) {
		case 'c':
			a->campaign = optarg;
			break;
		case 'b':
			a->bucket = optarg;
			break;
		case 'S':
			a->since = optarg;
			break;
		case 'U':
			a->until = optarg;
			break;
		case 'H':
			*html = optarg;
			break;
		case 'z':
			a->time_zone = optarg;
			break;
		case 'f':
			if ((*out = cli_format(optarg, f)))
				break;
			/* FALLTHROUGH */
		default:
			return cmd_usage(self);
		}
	}
	if (a->campaign == NULL || optind != argc)
		return cmd_usage(self);
	/* With --html alone, stdout stays quiet. */
	*out = *out || *html == NULL;
	return 0;
}

static int report(const struct cmd_entry *self, struct cli *cli, int argc, char **argv)
{
	struct cp_report_args a = {0};
	enum cli_format f = CLI_TABLE;
	const char *html = NULL;
	struct cp_report *r;
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st;
	bool ok = true, out;
	int rc;

	if ((rc = parse_args(self, argc, argv, &a, &f, &out, &html)) != 0)
		return rc;
	if ((db = cli_db(cli, true)) == NULL)
		return EXIT_FAILURE;
	cp_err_clear(&e);
	if ((st = cp_report_make(db, &a, &r, &e)) != CP_OK) {
		/* The field as the option is spelled: time_zone is --time-zone. */
		for (char *c = e.field; *c != '\0'; c++)
			*c = *c == '_' ? '-' : *c;
		if (e.field[0] != '\0')
			cp_err_prefix(&e, "--%s", e.field);
		return cli_fail(st, &e);
	}
	if (out)
		ok = writers[f](r);
	rc = html != NULL ? write_html(html, r) : EXIT_SUCCESS;
	cp_report_free(r);
	if (fflush(stdout) != 0 || !ok)
		return EXIT_FAILURE;
	return rc;
}

const struct cmd_entry cmd_report_entry = {
	.name = "report",
	.synopsis = "--campaign CAMPAIGN [--bucket hour|day] [--since TIME] [--until TIME] "
		    "[--time-zone ZONE] [--format table|csv|json] [--html FILE]",
	.summary = "a campaign's redemptions, reservations and refunds per hour or day",
	.shortopts = "",
	.options = report_opts,
	.exec = report,
};
