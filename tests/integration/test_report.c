/*
 * A campaign's report from known redemption, reservation, refund and expiry
 * times: each change goes through core, then its time is moved to the one the
 * table gives, and the buckets must count exactly what the table implies.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "redeem_fixture.h"
#include "testlib.h"

#define NCODES 12

static struct cp_db *db;
static char codes[NCODES][CP_CODE_MAX + 1];

enum act { REDEEM, RESERVE, CONFIRM, UNREDEEM, EXPIRE };

/* In order; AT is when it happened (UTC). */
static const struct step {
	int line;
	unsigned int code;
	enum act act;
	const char *at;
} steps[] = {
	{__LINE__, 10, REDEEM, "2026-02-28 23:30:00"},
	{__LINE__, 3, REDEEM, "2026-03-01 08:59:59"},
	{__LINE__, 0, REDEEM, "2026-03-01 09:10:00"},
	{__LINE__, 1, REDEEM, "2026-03-01 09:50:00"},
	{__LINE__, 5, REDEEM, "2026-03-01 09:20:00"},
	{__LINE__, 4, REDEEM, "2026-03-01 10:30:00"},
	{__LINE__, 6, RESERVE, "2026-03-01 10:05:00"},
	{__LINE__, 7, RESERVE, "2026-03-01 10:45:00"},
	{__LINE__, 2, REDEEM, "2026-03-01 11:05:00"},
	{__LINE__, 7, CONFIRM, "2026-03-01 11:30:00"},
	{__LINE__, 5, EXPIRE, "2026-03-01 11:40:00"},
	{__LINE__, 4, UNREDEEM, "2026-03-01 12:15:00"},
	{__LINE__, 8, RESERVE, "2026-03-01 12:59:59.999"},
	{__LINE__, 9, REDEEM, "2026-03-01 13:00:00"},
};

static void run_step(const struct step *s)
{
	struct cp_redeem_req q = fx_req(codes[s->code], "u1", NULL);
	struct cp_redeem_result res;
	struct cp_err e;
	enum cp_status st;
	static const char *const moves[] = {
		[REDEEM] = "UPDATE coupon_codes SET redeemed_at = '%s' WHERE code = '%s'",
		[RESERVE] = "UPDATE coupon_codes SET reserved_at = '%s' WHERE code = '%s'",
		[CONFIRM] = "UPDATE coupon_codes SET redeemed_at = '%s' WHERE code = '%s'",
		[UNREDEEM] = "UPDATE code_events e JOIN coupon_codes c ON c.id = e.code_id"
			     " SET e.created_at = '%s' WHERE c.code = '%s'",
		[EXPIRE] = "UPDATE code_events e JOIN coupon_codes c ON c.id = e.code_id"
			   " SET e.created_at = '%s' WHERE c.code = '%s'",
	};
	char sql[512];

	cp_err_clear(&e);
	switch (s->act) {
	case REDEEM: st = cp_redeem(db, &q, &res, &e); break;
	case RESERVE: st = cp_reserve(db, &q, &res, &e); break;
	case CONFIRM: st = cp_confirm(db, &q, &res, &e); break;
	case UNREDEEM:
		st = cp_code_unredeem(db, codes[s->code], strlen(codes[s->code]), "test", NULL, NULL, &e);
		break;
	default:
		st = cp_code_expire(db, codes[s->code], strlen(codes[s->code]), "test", NULL, NULL, &e);
		break;
	}
	CHECK_AT(s->line, st == CP_OK, "step: %s", e.msg);
	snprintf(sql, sizeof sql, moves[s->act], s->at, codes[s->code]);
	tl_exec(db, sql);
}

/* One expected bucket: start (UTC), then the row's counts in order. */
struct want {
	int line;
	const char *start;
	uint64_t redemptions, reservations, refunds, issued, redeemed;
};

static const struct want hours[] = {
	{__LINE__, "2026-03-01T09:00:00Z", 3, 0, 0, 20, 4},
	{__LINE__, "2026-03-01T10:00:00Z", 1, 2, 0, 20, 4},
	{__LINE__, "2026-03-01T11:00:00Z", 2, 0, 0, 30, 6},
	{__LINE__, "2026-03-01T12:00:00Z", 0, 1, 1, 30, 6},
};

/* +05:30: an hour starts at half past in UTC. */
static const struct want kolkata[] = {
	{__LINE__, "2026-03-01T14:00:00+05:30", 3, 0, 0, 20, 3},
	{__LINE__, "2026-03-01T15:00:00+05:30", 1, 1, 0, 20, 4},
	{__LINE__, "2026-03-01T16:00:00+05:30", 2, 1, 0, 30, 5},
	{__LINE__, "2026-03-01T17:00:00+05:30", 1, 0, 1, 30, 6},
	{__LINE__, "2026-03-01T18:00:00+05:30", 1, 1, 0, 30, 7},
};

static const struct want days[] = {
	{__LINE__, "2026-02-28T00:00:00Z", 1, 0, 0, 0, 1},
	{__LINE__, "2026-03-01T00:00:00Z", 8, 3, 1, 30, 7},
};

static void check_report(int line, const char *zone, const char *bucket, const char *since,
			 const char *until, const struct want *w, size_t n)
{
	struct cp_report_args a = {.campaign = "report", .bucket = bucket, .since = since,
				   .until = until, .time_zone = zone};
	struct cp_report *r;
	struct cp_err e;
	char t[CP_TIME_TEXT_MAX];

	cp_err_clear(&e);
	if (!tl_check(__FILE__, line, cp_report_make(db, &a, &r, &e) == CP_OK, "report: %s", e.msg))
		return;
	CHECK_AT(line, r->n == n, "%zu buckets, want %zu", r->n, n);
	for (size_t i = 0; i < n && i < r->n; i++) {
		const struct cp_report_row *g = &r->rows[i];

		cp_time_format(g->start, r->time_zone, CP_TIME_RFC3339, t);
		CHECK_AT(w[i].line, strcmp(t, w[i].start) == 0, "start %s", t);
		CHECK_AT(w[i].line,
			 g->redemptions == w[i].redemptions && g->reservations == w[i].reservations &&
				 g->refunds == w[i].refunds && g->issued == w[i].issued &&
				 g->redeemed == w[i].redeemed,
			 "%s: redemptions %llu reservations %llu refunds %llu issued %llu redeemed %llu",
			 t, (unsigned long long)g->redemptions, (unsigned long long)g->reservations,
			 (unsigned long long)g->refunds, (unsigned long long)g->issued,
			 (unsigned long long)g->redeemed);
	}
	/* 4, 5, 11 available; 6, 8 pending; 0 1 2 3 7 9 10 redeemed; 5 expired. */
	CHECK_AT(line, r->status[CP_CODE_AVAILABLE] == 2 && r->status[CP_CODE_PENDING] == 2 &&
			       r->status[CP_CODE_REDEEMED] == 7 && r->status[CP_CODE_EXPIRED] == 1,
		 "status %llu %llu %llu %llu", (unsigned long long)r->status[0],
		 (unsigned long long)r->status[1], (unsigned long long)r->status[2],
		 (unsigned long long)r->status[3]);
	cp_report_free(r);
}

/* Days across a change of the clocks are 23 or 25 hours long. */
static const struct zone_case {
	int line;
	const char *zone, *since, *until;
	const char *starts[5];
} zone_cases[] = {
	/* A date alone is its midnight in the report's zone; until is exclusive. */
	{__LINE__, "Europe/Berlin", "2026-03-28", "2026-03-31",
	 {"2026-03-28T00:00:00+01:00", "2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00",
	  NULL}},
	{__LINE__, "Europe/Berlin", "2026-10-24T12:00:00+02:00", "2026-10-26T12:00:00+01:00",
	 {"2026-10-24T00:00:00+02:00", "2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00",
	  NULL}},
	{__LINE__, "America/Sao_Paulo", "2026-03-01T12:00:00-03:00", "2026-03-02T12:00:00-03:00",
	 {"2026-03-01T00:00:00-03:00", "2026-03-02T00:00:00-03:00", NULL}},
};

/* The day after the last bucket's start, by the calendar. */
static time_t bucket_end(const struct cp_report *r)
{
	char t[CP_TIME_TEXT_MAX];
	time_t last = r->rows[r->n - 1].start, end = last + 22 * 3600;

	/* The first instant after LAST whose local date differs: a local midnight. */
	cp_time_format(last, r->time_zone, CP_TIME_LOCAL, t);
	for (char u[CP_TIME_TEXT_MAX];
	     strncmp(cp_time_format(end, r->time_zone, CP_TIME_LOCAL, u), t, 10) == 0; end += 900)
		;
	return end;
}

static void check_zone(const struct zone_case *z)
{
	struct cp_report_args a = {.campaign = "report", .bucket = "day", .since = z->since,
				   .until = z->until, .time_zone = z->zone};
	struct cp_report *r;
	struct cp_err e;
	char t[CP_TIME_TEXT_MAX];
	size_t n = 0;

	while (z->starts[n] != NULL)
		n++;
	cp_err_clear(&e);
	if (!tl_check(__FILE__, z->line, cp_report_make(db, &a, &r, &e) == CP_OK, "report: %s", e.msg))
		return;
	CHECK_AT(z->line, r->n == n && strcmp(r->time_zone, z->zone) == 0, "%zu buckets in %s",
		 r->n, r->time_zone);
	for (size_t i = 0; i < n && i < r->n; i++)
		CHECK_AT(z->line, strcmp(cp_time_format(r->rows[i].start, r->time_zone,
							CP_TIME_RFC3339, t), z->starts[i]) == 0,
			 "bucket %zu starts %s", i, t);
	cp_time_format(r->until, r->time_zone, CP_TIME_RFC3339, t);
	CHECK_AT(z->line, r->n > 0 && r->until == bucket_end(r), "until %s", t);
	cp_report_free(r);
}

/* Refusals: each names its field. */
static const struct bad {
	int line;
	const char *campaign, *bucket, *since, *until, *field;
	enum cp_status st;
	const char *zone;
} bad[] = {
	{__LINE__, "report", "day", NULL, NULL, "time_zone", CP_E_INVALID_TIME_ZONE, "Mars/Base"},
	{__LINE__, "report", "day", NULL, NULL, "time_zone", CP_E_INVALID_TIME_ZONE, "../etc/passwd"},
	{__LINE__, "report", "week", NULL, NULL, "bucket", CP_E_INVALID_ARGUMENT, NULL},
	{__LINE__, "report", "hour", "yesterday", NULL, "since", CP_E_INVALID_ARGUMENT, NULL},
	{__LINE__, "report", "hour", NULL, "2026-13-01", "until", CP_E_INVALID_ARGUMENT, NULL},
	{__LINE__, "report", "hour", "2026-03-02", "2026-03-01", "until", CP_E_INVALID_ARGUMENT, NULL},
	{__LINE__, "report", "hour", "2026-03-01", "2026-03-01", "until", CP_E_INVALID_ARGUMENT, NULL},
	{__LINE__, "report", "hour", "2025-01-01", "2026-03-01", "since", CP_E_INVALID_ARGUMENT, NULL},
	{__LINE__, "nosuch", "day", NULL, NULL, "campaign", CP_E_NOT_FOUND, NULL},
	{__LINE__, NULL, "day", NULL, NULL, "campaign", CP_E_INVALID_ARGUMENT, NULL},
};

static void check_bad(const struct bad *b)
{
	struct cp_report_args a = {.campaign = b->campaign, .bucket = b->bucket, .since = b->since,
				   .until = b->until, .time_zone = b->zone};
	struct cp_report *r = NULL;
	struct cp_err e;
	enum cp_status st;

	cp_err_clear(&e);
	st = cp_report_make(db, &a, &r, &e);
	CHECK_AT(b->line, st == b->st && strcmp(e.field, b->field) == 0 && r == NULL,
		 "status %s field '%s': %s", cp_status_code(st), e.field, e.msg);
	cp_report_free(r);
}

/* Without since: from the campaign's creation to now, one bucket at least. */
static void check_defaults(void)
{
	struct cp_report_args a = {.campaign = "report", .bucket = "day"};
	struct cp_report *r;
	struct cp_err e;
	time_t now = time(NULL);

	cp_err_clear(&e);
	if (!tl_check(__FILE__, __LINE__, cp_report_make(db, &a, &r, &e) == CP_OK, "report: %s", e.msg))
		return;
	CHECK(r->n == 1 && r->since <= now && r->until > now && r->until - r->since == 86400,
	      "%zu buckets from %lld to %lld", r->n, (long long)r->since, (long long)r->until);
	cp_report_free(r);
}

static bool to_buf(void *sink, const char *s, size_t n)
{
	char *b = sink;
	size_t have = strlen(b);

	if (have + n >= 8192)
		return false;
	memcpy(b + have, s, n);
	b[have + n] = '\0';
	return true;
}

/* A name that escapes to more than a line of the writer: the JSON stays whole. */
static void check_long_name(void)
{
	struct cp_report_args a = {.campaign = "3", .bucket = "day"};
	static const char head[] = "{\"campaign_id\":3,\"campaign\":\"";
	static char json[8192];
	struct cp_report *r;
	struct cp_err e;
	size_t n = 0;

	cp_err_clear(&e);
	if (!tl_check(__FILE__, __LINE__, cp_report_make(db, &a, &r, &e) == CP_OK, "report: %s", e.msg))
		return;
	CHECK(cp_report_json(r, to_buf, json), "written");
	for (const char *p = json; (p = strstr(p, "\\u007f")) != NULL; p++)
		n++;
	CHECK(n == 90, "%zu escaped characters of 90", n);
	CHECK(strncmp(json, head, strlen(head)) == 0 &&
		      strcmp(json + strlen(json) - 3, "]}\n") == 0,
	      "%.60s...%s", json, json + strlen(json) - 3);
	cp_report_free(r);
}

int main(void)
{
	struct cp_config cfg;
	struct cp_format fmt;
	uint32_t id;

	db = tl_db_fresh("report", &cfg);
	id = fx_campaign(db, "report", "RP", "", &fmt);
	fx_campaign(db, "other", "OT", "", NULL);
	fx_campaign(db, "\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f"
		    "\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f"
		    "\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f"
		    "\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f"
		    "\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f",
		    "LN", "", NULL);
	fx_codes(db, id, &fmt, 0, NCODES, codes);
	/* Codes issued come from the batches' rows, not the codes. */
	tl_exec(db, "INSERT INTO generation_batches (campaign_id, method, requested, generated,"
		    " status, started_at) VALUES (1, 'random', 20, 20, 'complete', '2026-03-01 07:00'),"
		    " (1, 'random', 10, 10, 'complete', '2026-03-01 11:15'),"
		    " (2, 'random', 99, 99, 'complete', '2026-03-01 09:00')");
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
		run_step(&steps[i]);
	check_report(__LINE__, NULL, "hour", "2026-03-01T09:00:00Z", "2026-03-01T13:00:00Z", hours,
		     sizeof hours / sizeof hours[0]);
	/* Edges inside a bucket widen to the bucket. */
	check_report(__LINE__, "UTC", "hour", "2026-03-01T09:30:00Z", "2026-03-01T12:00:01Z", hours,
		     sizeof hours / sizeof hours[0]);
	check_report(__LINE__, "Asia/Kolkata", "hour", "2026-03-01T09:00:00Z", "2026-03-01T13:00:00Z",
		     kolkata, sizeof kolkata / sizeof kolkata[0]);
	check_report(__LINE__, NULL, "day", "2026-02-28", "2026-03-02", days,
		     sizeof days / sizeof days[0]);
	/* Without time_zone, the campaign's own. */
	tl_exec(db, "UPDATE campaigns SET time_zone = 'Asia/Kolkata' WHERE name = 'report'");
	check_report(__LINE__, NULL, "hour", "2026-03-01T09:00:00Z", "2026-03-01T13:00:00Z", kolkata,
		     sizeof kolkata / sizeof kolkata[0]);
	tl_exec(db, "UPDATE campaigns SET time_zone = 'UTC' WHERE name = 'report'");
	for (size_t i = 0; i < sizeof zone_cases / sizeof zone_cases[0]; i++)
		check_zone(&zone_cases[i]);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		check_bad(&bad[i]);
	check_defaults();
	check_long_name();
	cp_db_close(db);
	cp_config_free(&cfg);
	return tl_done("test_report");
}
