/*
 * bench-search: latency of the redemption search (cp_search_run, one page of 100)
 * per filter, p50 and p99 over --queries runs with varied values, on the table
 * bench/search seeds. Usage: bench-search -c FILE [--queries N]
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "coupon.h"

struct filter {
	const char *name;
	unsigned int bits; /* 1 campaign, 2 user, 4 order, 8 time range, 16 pending, 32 next page */
};

static const struct filter filters[] = {
	{"newest", 0},
	{"campaign", 1},
	{"campaign+day", 1 | 8},
	{"user", 2},
	{"user+pending", 2 | 16},
	{"order", 4},
	{"day", 8},
	{"campaign 2nd page", 1 | 32},
	{"user+campaign", 1 | 2},
};

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static bool count_row(const struct cp_redemption *r, void *arg)
{
	(void)r;
	(*(unsigned long *)arg)++;
	return true;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One query of filter F with the I-th values; its milliseconds, or -1. */
static double one(struct cp_db *db, const struct filter *f, unsigned int i, unsigned long *rows)
{
	struct cp_search_args a = {0};
	char user[32], order[32], since[32], until[32], next[CP_CURSOR_MAX + 1];
	struct cp_search s;
	struct cp_err e;
	double t0;

	snprintf(user, sizeof user, "u%u", (i * 7919u) % 200000u);
	snprintf(order, sizeof order, "o-%u", 5u * ((i * 104729u) % 2000000u));
	snprintf(since, sizeof since, "2026-01-%02u", 1 + i % 20);
	snprintf(until, sizeof until, "2026-01-%02u", 2 + i % 20);
	/* Campaign 1 + id % 2 holds the user of the same parity as I. */
	a.campaign = f->bits & 1 ? (i % 2 ? "2" : "1") : NULL;
	a.user_id = f->bits & 2 ? user : NULL;
	a.order_id = f->bits & 4 ? order : NULL;
	a.since = f->bits & 8 ? since : NULL;
	a.until = f->bits & 8 ? until : NULL;
	a.status = f->bits & 16 ? "pending" : NULL;
	cp_err_clear(&e);
	t0 = now_ms();
	if (cp_search_init(db, &a, &s, &e) != CP_OK ||
	    cp_search_run(db, &s, count_row, rows, next, &e) != CP_OK)
		goto fail;
	if (f->bits & 32 && next[0] != '\0') {
		a.cursor = next;
		if (cp_search_init(db, &a, &s, &e) != CP_OK ||
		    cp_search_run(db, &s, count_row, rows, next, &e) != CP_OK)
			goto fail;
	}
	return now_ms() - t0;
fail:
	fprintf(stderr, "bench-search: %s: %s\n", f->name, e.msg);
	return -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"queries", required_argument, NULL, 'n'},
		{NULL, 0, NULL, 0},
	};
	struct cp_config cfg;
	struct cp_db *db;
	struct cp_err e;
	const char *file = NULL;
	uint64_t n = 200;
	double *ms;
	int ch;

	while ((ch = getopt_long(argc, argv, "c:n:", opts, NULL)) != -1) {
		if (ch == 'c')
			file = optarg;
		else if (ch != 'n' || cp_parse_uint(optarg, 10, 100000, &n, &e) != CP_OK)
			return 2;
	}
	cp_config_init(&cfg);
	if (cp_config_load(&cfg, file, &e) != CP_OK ||
	    cp_db_open(&db, &cfg, "bench-search", &e) != CP_OK) {
		fprintf(stderr, "bench-search: %s\n", e.msg);
		return 1;
	}
	ms = calloc(n, sizeof *ms);
	printf("%-20s %8s %8s %10s\n", "filter", "p50 ms", "p99 ms", "rows/query");
	for (size_t f = 0; f < sizeof filters / sizeof filters[0]; f++) {
		unsigned long rows = 0;

		for (unsigned int i = 0; i < n; i++)
			if ((ms[i] = one(db, &filters[f], i, &rows)) < 0)
				return 1;
		qsort(ms, n, sizeof *ms, cmp_double);
		printf("%-20s %8.2f %8.2f %10.1f\n", filters[f].name, ms[n / 2], ms[n * 99 / 100],
		       (double)rows / (double)n);
	}
	free(ms);
	cp_db_close(db);
	cp_config_free(&cfg);
	return 0;
}
