/*
 * couponadm stats: the dashboard's figures for scripts and monitoring. With
 * --count, the same incremental watch as the console refreshes N times (the
 * first refresh counts everything).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"

static void print_json(const struct cp_stats *s)
{
	printf("{\"at\":%lld,\"last_minute\":%llu,\"last_hour\":%llu,\"recounted\":%s,"
	       "\"queries\":%u,\"query_ms\":%.3f,\"campaigns\":[",
	       (long long)s->at, (unsigned long long)s->last_minute,
	       (unsigned long long)s->last_hour, s->recounted ? "true" : "false", s->queries,
	       s->query_ms);
	for (size_t i = 0; i < s->ncampaigns; i++) {
		const struct cp_campaign_stats *c = &s->campaigns[i];

		printf("%s{\"id\":%u,\"name\":", i ? "," : "", c->id);
		cli_json_str(stdout, c->name);
		printf(",\"status\":\"%s\",\"requested\":%llu,\"generated\":%llu,"
		       "\"available\":%llu,\"pending\":%llu,\"redeemed\":%llu,\"expired\":%llu,"
		       "\"last_minute\":%llu,\"last_hour\":%llu,\"batches_running\":%u,"
		       "\"importing\":%llu}",
		       cp_campaign_status_name(c->status), (unsigned long long)c->requested,
		       (unsigned long long)c->generated, (unsigned long long)c->available,
		       (unsigned long long)c->pending, (unsigned long long)c->redeemed,
		       (unsigned long long)c->expired, (unsigned long long)c->last_minute,
		       (unsigned long long)c->last_hour, c->batches_running,
		       (unsigned long long)c->importing);
	}
	printf("]}\n");
}

static void print_text(const struct cp_stats *s)
{
	printf("%-6s %-24s %-8s %12s %12s %9s %12s %10s %8s %10s\n", "ID", "CAMPAIGN", "STATUS",
	       "GENERATED", "AVAILABLE", "PENDING", "REDEEMED", "EXPIRED", "1 MIN", "1 HOUR");
	for (size_t i = 0; i < s->ncampaigns; i++) {
		const struct cp_campaign_stats *c = &s->campaigns[i];

		printf("%-6u %-24.24s %-8s %12llu %12llu %9llu %12llu %10llu %8llu %10llu\n", c->id,
		       c->name, cp_campaign_status_name(c->status),
		       (unsigned long long)c->generated, (unsigned long long)c->available,
		       (unsigned long long)c->pending, (unsigned long long)c->redeemed,
		       (unsigned long long)c->expired, (unsigned long long)c->last_minute,
		       (unsigned long long)c->last_hour);
	}
	printf("redemptions: %llu in the last minute, %llu in the last hour "
	       "(%u queries, %.1f ms%s)\n",
	       (unsigned long long)s->last_minute, (unsigned long long)s->last_hour, s->queries,
	       s->query_ms, s->recounted ? ", full count" : "");
}

static int parse_args(const struct cmd_entry *self, int argc, char **argv, bool *json,
		      uint64_t *count, uint64_t *interval)
{
	struct cp_err e;
	int ch;

	while ((ch = cmd_getopt(self, argc, argv)) != -1) {
		if (ch == 'j')
			*json = true;
		else if (ch == 'n' && cp_parse_uint(optarg, 1, 86400, count, &e) == CP_OK)
			continue;
		else if (ch == 'i' && cp_parse_uint(optarg, 0, 3600, interval, &e) == CP_OK)
			continue;
		else
			return cmd_usage(self);
	}
	return optind == argc ? 0 : cmd_usage(self);
}

static int stats(const struct cmd_entry *self, struct cli *cli, int argc, char **argv)
{
	struct cp_stats_watch *w = NULL;
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st = CP_OK;
	uint64_t count = 1, interval = 1;
	bool json = false;
	int rc;

	if ((rc = parse_args(self, argc, argv, &json, &count, &interval)) != 0)
		return rc;
	if ((db = cli_db(cli, true)) == NULL)
		return EXIT_FAILURE;
	cp_err_clear(&e);
	cp_stats_watch_create(&w, 60);
	for (uint64_t i = 0; i < count && st == CP_OK; i++) {
		if (i > 0)
			sleep((unsigned int)interval);
		if ((st = cp_stats_refresh(db, w, &e)) != CP_OK)
			break;
		if (json)
			print_json(cp_stats_get(w));
		else
			print_text(cp_stats_get(w));
		fflush(stdout);
	}
	cp_stats_watch_free(w);
	return st == CP_OK ? EXIT_SUCCESS : cli_fail(st, &e);
}

static const struct option stats_opts[] = {
	{"json", no_argument, NULL, 'j'},
	{"count", required_argument, NULL, 'n'},
	{"interval", required_argument, NULL, 'i'},
	{NULL, 0, NULL, 0},
};

const struct cmd_entry cmd_stats_entry = {
	.name = "stats",
	.synopsis = "[--json] [--count N] [--interval SECONDS]",
	.summary = "campaign counts and redemption rates, the dashboard's figures",
	.shortopts = "jn:i:",
	.options = stats_opts,
	.exec = stats,
};
