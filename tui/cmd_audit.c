/* couponadm audit: the audit log, newest first, as a table or as JSON. */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"

struct listing {
	bool json;
	unsigned int rows;
	char buf[CP_AUDIT_JSON_ENTRY_MAX];
};

static bool print_entry(const struct cp_audit_entry *a, void *arg)
{
	struct listing *l = arg;
	char when[32];
	struct tm tm;

	if (l->json) {
		printf("%s%s\n", l->rows == 0 ? "[" : ",", cp_audit_json(a, l->buf, sizeof l->buf));
	} else {
		if (gmtime_r(&a->at, &tm) == NULL ||
		    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%SZ", &tm) == 0)
			snprintf(when, sizeof when, "?");
		printf("%-8" PRIu64 " %s  %-20s %-16s %s %" PRIu64 "\n", a->id, when, a->actor,
		       a->action, a->object_type, a->object_id);
		if (a->before[0] != '\0')
			printf("         before %s\n", a->before);
		if (a->after[0] != '\0')
			printf("         after  %s\n", a->after);
	}
	l->rows++;
	return true;
}

static int audit(const struct cmd_entry *self, struct cli *cli, int argc, char **argv)
{
	struct cp_audit_filter f = {0};
	struct listing *l;
	struct cp_err e;
	uint64_t n;
	enum cp_status st;
	int ch;

	if ((l = calloc(1, sizeof *l)) == NULL) {
		cli_warnx("out of memory");
		return EXIT_FAILURE;
	}
	cp_err_clear(&e);
	while ((ch = cmd_getopt(self, argc, argv)) != -1) {
		st = CP_OK;
		if (ch == 's')
			st = cp_parse_time("--since", optarg, &f.since, &e);
		else if (ch == 'a')
			f.action = optarg;
		else if (ch == 'l' && (st = cp_parse_uint(optarg, 1, CP_AUDIT_LIMIT_MAX, &n, &e)) == CP_OK)
			f.limit = (unsigned int)n;
		else if (ch == 'b')
			st = cp_parse_uint(optarg, 1, UINT64_MAX, &f.before_id, &e);
		else if (ch == 'f' && strcmp(optarg, "json") == 0)
			l->json = true;
		else if (ch == 'f' && strcmp(optarg, "table") != 0)
			st = cp_err_set(&e, CP_E_INVALID_ARGUMENT, "table or json, not '%s'", optarg);
		else if (ch != 'l' && ch != 'f')
			st = CP_E_INVALID_ARGUMENT;
		if (st != CP_OK) {
			if (e.msg[0] != '\0')
				cli_warnx("%s", e.msg);
			free(l);
			return cmd_usage(self);
		}
	}
	if (optind != argc) {
		free(l);
		return cmd_usage(self);
	}
	if (cli_db(cli, true) == NULL) {
		free(l);
		return EXIT_FAILURE;
	}
	st = cp_audit_list(cli->db, &f, print_entry, l, &e);
	if (st == CP_OK && l->json)
		puts(l->rows == 0 ? "[]" : "]");
	free(l);
	return st == CP_OK ? EXIT_SUCCESS : cli_fail(st, &e);
}

static const struct option audit_opts[] = {
	{"since", required_argument, NULL, 's'},
	{"action", required_argument, NULL, 'a'},
	{"limit", required_argument, NULL, 'l'},
	{"before", required_argument, NULL, 'b'},
	{"format", required_argument, NULL, 'f'},
	{NULL, 0, NULL, 0},
};

const struct cmd_entry cmd_audit_entry = {
	.name = "audit",
	.synopsis = "[--since TIME] [--action ACTION] [--limit N] [--before ID] [--format table|json]",
	.summary = "the audit log of administrative changes, newest first",
	.options = audit_opts,
	.exec = audit,
};
