/*
 * The redemption operations against a real MariaDB: every refusal reason, the
 * input checks that run before the database, window edges, reservations that
 * lapse, and a campaign cache that goes stale under the operations.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "campaign_cache.h"
#include "db.h"
#include "redeem_fixture.h"
#include "testlib.h"

#define NCODES 20

static struct cp_db *db;
static struct cp_config cfg;
static struct cp_format fmt[26];
static uint32_t cid[26];
static char codes[26][NCODES][CP_CODE_MAX + 1];

/* Campaign letter -> prefix, extra columns. */
static const struct {
	char letter;
	const char *extra;
} campaigns[] = {
	{'A', ""},
	{'P', "status = 'paused'"},
	{'N', "starts_at = NOW(6) + INTERVAL 1 DAY"},
	{'E', "expires_at = NOW(6) - INTERVAL 1 SECOND"},
	{'R', "status = 'archived'"},
	{'L', "per_user_limit = 1"},
	{'W', "starts_at = NOW(6) + INTERVAL 1 DAY"},
	{'C', ""},
	{'V', "events_enabled = 1"},
};

/* State set up with plain SQL before the table runs. */
static const char *const setup_sql[] = {
	"UPDATE coupon_codes SET status = 'redeemed', redeemed_by_user_id = 'u1',"
	" order_id = 'o1', redeemed_at = NOW(6) WHERE code = '%A1'",
	"UPDATE coupon_codes SET status = 'redeemed', redeemed_by_user_id = 'u1',"
	" redeemed_at = NOW(6) WHERE code = '%A2'",
	"UPDATE coupon_codes SET status = 'expired', expired_reason = 'leak' WHERE code = '%A3'",
	"UPDATE coupon_codes SET expires_at = NOW(6) - INTERVAL 1 SECOND WHERE code = '%A4'",
	"UPDATE coupon_codes SET status = 'pending', redeemed_by_user_id = 'u1',"
	" order_id = 'o5', reserved_until = NOW(6) + INTERVAL 1 HOUR"
	" WHERE code IN ('%A5', '%A7', '%A8')",
	"UPDATE coupon_codes SET status = 'pending', redeemed_by_user_id = 'u1',"
	" reserved_until = NOW(6) - INTERVAL 1 SECOND WHERE code IN ('%A6', '%A12', '%A13')",
	"UPDATE coupon_codes SET expires_at = NOW(6) + INTERVAL 1 HOUR WHERE code = '%A14'",
	"INSERT INTO campaign_user_usage (campaign_id, user_id, used) VALUES (%L, 'full', 1)",
};

enum mut { M_NONE, M_TYPED, M_WRONG_CHECK, M_UNKNOWN, M_LITERAL };

struct row {
	int line;
	enum cp_op op;
	char camp;
	int idx;
	enum mut mut;
	const char *literal;
	const char *user, *order;
	enum cp_status want;
	bool replay;
};

#define V CP_OP_VALIDATE
#define RD CP_OP_REDEEM
#define RS CP_OP_RESERVE
#define CF CP_OP_CONFIRM
#define RL CP_OP_RELEASE

static const struct row rules[] = {
	/* available */
	{__LINE__, V, 'A', 0, M_NONE, NULL, NULL, NULL, CP_OK, false},
	{__LINE__, RD, 'A', 0, M_TYPED, NULL, "u0", "o0", CP_OK, false},
	{__LINE__, RD, 'A', 0, M_NONE, NULL, "u0", "o0", CP_OK, true},
	{__LINE__, RD, 'A', 0, M_NONE, NULL, "u0", "other", CP_E_ALREADY_REDEEMED, false},
	{__LINE__, RD, 'A', 0, M_NONE, NULL, "u0", NULL, CP_E_ALREADY_REDEEMED, false},
	{__LINE__, V, 'A', 0, M_NONE, NULL, "u0", NULL, CP_E_ALREADY_REDEEMED, false},
	/* redeemed before */
	{__LINE__, RD, 'A', 1, M_NONE, NULL, "u1", "o1", CP_OK, true},
	{__LINE__, RD, 'A', 1, M_NONE, NULL, "u2", "o1", CP_E_ALREADY_REDEEMED, false},
	{__LINE__, RD, 'A', 2, M_NONE, NULL, "u1", NULL, CP_OK, true},
	{__LINE__, RD, 'A', 2, M_NONE, NULL, "u1", "o2", CP_E_ALREADY_REDEEMED, false},
	{__LINE__, RS, 'A', 1, M_NONE, NULL, "u1", "o1", CP_E_ALREADY_REDEEMED, false},
	{__LINE__, CF, 'A', 1, M_NONE, NULL, "u2", NULL, CP_E_ALREADY_REDEEMED, false},
	{__LINE__, RL, 'A', 1, M_NONE, NULL, "u1", NULL, CP_E_ALREADY_REDEEMED, false},
	/* expired by staff, expired by its own date */
	{__LINE__, RD, 'A', 3, M_NONE, NULL, "u1", NULL, CP_E_EXPIRED, false},
	{__LINE__, V, 'A', 3, M_NONE, NULL, NULL, NULL, CP_E_EXPIRED, false},
	{__LINE__, RS, 'A', 3, M_NONE, NULL, "u1", NULL, CP_E_EXPIRED, false},
	{__LINE__, RL, 'A', 3, M_NONE, NULL, "u1", NULL, CP_E_EXPIRED, false},
	{__LINE__, RD, 'A', 4, M_NONE, NULL, "u1", NULL, CP_E_EXPIRED, false},
	{__LINE__, V, 'A', 4, M_NONE, NULL, "u1", NULL, CP_E_EXPIRED, false},
	{__LINE__, RD, 'A', 14, M_NONE, NULL, "u1", NULL, CP_OK, false},
	/* reserved by u1, not lapsed */
	{__LINE__, RD, 'A', 5, M_NONE, NULL, "u2", NULL, CP_E_RESERVED, false},
	{__LINE__, RD, 'A', 5, M_NONE, NULL, "u1", "o5", CP_E_RESERVED, false},
	{__LINE__, V, 'A', 5, M_NONE, NULL, "u2", NULL, CP_E_RESERVED, false},
	{__LINE__, V, 'A', 5, M_NONE, NULL, "u1", NULL, CP_OK, false},
	{__LINE__, RS, 'A', 5, M_NONE, NULL, "u2", NULL, CP_E_RESERVED, false},
	{__LINE__, CF, 'A', 5, M_NONE, NULL, "u2", NULL, CP_E_NOT_RESERVED, false},
	{__LINE__, RL, 'A', 5, M_NONE, NULL, "u2", NULL, CP_E_NOT_RESERVED, false},
	{__LINE__, RS, 'A', 5, M_NONE, NULL, "u1", "o5", CP_OK, false}, /* extends */
	{__LINE__, CF, 'A', 7, M_NONE, NULL, "u1", NULL, CP_OK, false},
	{__LINE__, CF, 'A', 7, M_NONE, NULL, "u1", "o5", CP_OK, true},
	{__LINE__, CF, 'A', 7, M_NONE, NULL, "u1", "o9", CP_E_ALREADY_REDEEMED, false},
	{__LINE__, RL, 'A', 8, M_NONE, NULL, "u1", NULL, CP_OK, false},
	{__LINE__, RL, 'A', 8, M_NONE, NULL, "u1", NULL, CP_OK, false}, /* again: still free */
	{__LINE__, RD, 'A', 8, M_NONE, NULL, "u3", NULL, CP_OK, false},
	/* lapsed reservations let others in */
	{__LINE__, V, 'A', 6, M_NONE, NULL, "u2", NULL, CP_OK, false},
	{__LINE__, RD, 'A', 6, M_NONE, NULL, "u2", NULL, CP_OK, false},
	{__LINE__, CF, 'A', 12, M_NONE, NULL, "u1", NULL, CP_E_NOT_RESERVED, false},
	{__LINE__, RS, 'A', 13, M_NONE, NULL, "u2", NULL, CP_OK, false},
	{__LINE__, RL, 'A', 12, M_NONE, NULL, "u2", NULL, CP_E_NOT_RESERVED, false},
	{__LINE__, RL, 'A', 12, M_NONE, NULL, "u1", NULL, CP_OK, false},
	/* confirm and release need a reservation */
	{__LINE__, CF, 'A', 9, M_NONE, NULL, "u1", NULL, CP_E_NOT_RESERVED, false},
	{__LINE__, RL, 'A', 10, M_NONE, NULL, "u1", NULL, CP_OK, false},
	{__LINE__, RS, 'A', 11, M_NONE, NULL, "u2", "o11", CP_OK, false},
	{__LINE__, CF, 'A', 11, M_NONE, NULL, "u2", NULL, CP_OK, false},
	/* campaigns */
	{__LINE__, RD, 'P', 0, M_NONE, NULL, "u1", NULL, CP_E_CAMPAIGN_PAUSED, false},
	{__LINE__, V, 'P', 0, M_NONE, NULL, NULL, NULL, CP_E_CAMPAIGN_PAUSED, false},
	{__LINE__, RS, 'P', 0, M_NONE, NULL, "u1", NULL, CP_E_CAMPAIGN_PAUSED, false},
	{__LINE__, RD, 'N', 0, M_NONE, NULL, "u1", NULL, CP_E_NOT_STARTED, false},
	{__LINE__, RS, 'N', 0, M_NONE, NULL, "u1", NULL, CP_E_NOT_STARTED, false},
	{__LINE__, RD, 'E', 0, M_NONE, NULL, "u1", NULL, CP_E_EXPIRED, false},
	/* archived: not in the cache, its format is its own: not a code we know */
	{__LINE__, RD, 'R', 0, M_NONE, NULL, "u1", NULL, CP_E_INVALID_CODE, false},
	/* per-user limit */
	{__LINE__, RD, 'L', 0, M_NONE, NULL, "full", NULL, CP_E_USER_LIMIT, false},
	{__LINE__, V, 'L', 0, M_NONE, NULL, "full", NULL, CP_E_USER_LIMIT, false},
	{__LINE__, RS, 'L', 0, M_NONE, NULL, "full", NULL, CP_E_USER_LIMIT, false},
	{__LINE__, V, 'L', 0, M_NONE, NULL, NULL, NULL, CP_OK, false},
	{__LINE__, RD, 'L', 1, M_NONE, NULL, "fresh", NULL, CP_OK, false},
	{__LINE__, RD, 'L', 2, M_NONE, NULL, "fresh", NULL, CP_E_USER_LIMIT, false},
	{__LINE__, RD, 'L', 1, M_NONE, NULL, "fresh", NULL, CP_OK, true},
	{__LINE__, RD, 'L', 1, M_NONE, NULL, "other", NULL, CP_E_ALREADY_REDEEMED, false},
	{__LINE__, RS, 'L', 3, M_NONE, NULL, "two", NULL, CP_OK, false},
	{__LINE__, RS, 'L', 4, M_NONE, NULL, "two", NULL, CP_OK, false},
	{__LINE__, CF, 'L', 3, M_NONE, NULL, "two", NULL, CP_OK, false},
	{__LINE__, CF, 'L', 4, M_NONE, NULL, "two", NULL, CP_E_USER_LIMIT, false},
	/* events: the joined statement in a transaction, as for a limit */
	{__LINE__, RD, 'V', 0, M_NONE, NULL, "u1", NULL, CP_OK, false},
	{__LINE__, RD, 'V', 0, M_NONE, NULL, "u2", NULL, CP_E_ALREADY_REDEEMED, false},
	{__LINE__, RD, 'V', 0, M_NONE, NULL, "u1", NULL, CP_OK, true},
	/* codes that are not codes */
	{__LINE__, RD, 'A', 15, M_UNKNOWN, NULL, "u1", NULL, CP_E_UNKNOWN_CODE, false},
	{__LINE__, V, 'A', 15, M_UNKNOWN, NULL, NULL, NULL, CP_E_UNKNOWN_CODE, false},
	{__LINE__, RD, 'A', 15, M_WRONG_CHECK, NULL, "u1", NULL, CP_E_WRONG_CHECK, false},
};

/* Refused before the database: no statement may run for these. */
static const struct row bad_input[] = {
	{__LINE__, RD, 0, 0, M_LITERAL, "", "u1", NULL, CP_E_INVALID_CODE, false},
	{__LINE__, RD, 0, 0, M_LITERAL, " - - ", "u1", NULL, CP_E_INVALID_CODE, false},
	{__LINE__, RD, 0, 0, M_LITERAL, "A", "u1", NULL, CP_E_INVALID_CODE, false},
	{__LINE__, RD, 0, 0, M_LITERAL, "A12345", "u1", NULL, CP_E_INVALID_CODE, false},
	{__LINE__, RD, 0, 0, M_LITERAL, "A1234567890123456", "u1", NULL, CP_E_INVALID_CODE, false},
	{__LINE__, RD, 0, 0, M_LITERAL, "A\xc3\xa9" "12345678901", "u1", NULL,
	 CP_E_INVALID_CODE, false},
	{__LINE__, V, 0, 0, M_LITERAL, "AUUUUUUUUUUUUU", NULL, NULL, CP_E_INVALID_CODE, false},
	{__LINE__, RD, 'A', 16, M_WRONG_CHECK, NULL, "u1", NULL, CP_E_WRONG_CHECK, false},
	{__LINE__, RD, 'A', 16, M_NONE, NULL, NULL, NULL, CP_E_INVALID_ARGUMENT, false},
	{__LINE__, RD, 'A', 16, M_NONE, NULL, "", NULL, CP_E_INVALID_ARGUMENT, false},
	{__LINE__, RD, 'A', 16, M_NONE, NULL,
	 "12345678901234567890123456789012345678901234567890123456789012345", NULL,
	 CP_E_INVALID_ARGUMENT, false},
	{__LINE__, RD, 'A', 16, M_NONE, NULL, "u1",
	 "12345678901234567890123456789012345678901234567890123456789012345",
	 CP_E_INVALID_ARGUMENT, false},
	{__LINE__, RD, 'A', 16, M_NONE, NULL, "u\xff", NULL, CP_E_INVALID_ARGUMENT, false},
	{__LINE__, RD, 'A', 16, M_NONE, NULL, "u\xc0\xaf", NULL, CP_E_INVALID_ARGUMENT, false},
	{__LINE__, RD, 'A', 16, M_NONE, NULL, "u\xed\xa0\x80", NULL, CP_E_INVALID_ARGUMENT,
	 false},
	{__LINE__, RD, 'A', 16, M_NONE, NULL, "u1", "o\n1", CP_E_INVALID_ARGUMENT, false},
	{__LINE__, RD, 'A', 16, M_NONE, NULL, "u1", "o\xc2\x85", CP_E_INVALID_ARGUMENT, false},
	{__LINE__, RS, 'A', 16, M_NONE, NULL, NULL, NULL, CP_E_INVALID_ARGUMENT, false},
	{__LINE__, CF, 'A', 16, M_NONE, NULL, NULL, NULL, CP_E_INVALID_ARGUMENT, false},
	{__LINE__, RL, 'A', 16, M_NONE, NULL, NULL, NULL, CP_E_INVALID_ARGUMENT, false},
};

static int slot(char letter)
{
	return letter - 'A';
}

static void expand(const char *tmpl, char *out, size_t sz)
{
	size_t o = 0;

	for (const char *p = tmpl; *p && o + CP_CODE_MAX + 2 < sz; p++) {
		char *end;
		long idx;

		if (*p != '%') {
			out[o++] = *p;
			continue;
		}
		idx = strtol(p + 2, &end, 10);
		if (end == p + 2)
			o += (size_t)snprintf(out + o, sz - o, "%u", cid[slot(p[1])]);
		else
			o += (size_t)snprintf(out + o, sz - o, "%s", codes[slot(p[1])][idx]);
		p = end - 1;
	}
	out[o] = '\0';
}

static void setup(void)
{
	char name[32], sql[1024];

	for (size_t i = 0; i < sizeof campaigns / sizeof campaigns[0]; i++) {
		int s = slot(campaigns[i].letter);
		char prefix[2] = {campaigns[i].letter, '\0'};

		snprintf(name, sizeof name, "camp %c", campaigns[i].letter);
		cid[s] = fx_campaign(db, name, prefix, campaigns[i].extra, &fmt[s]);
		fx_codes(db, cid[s], &fmt[s], 0, NCODES - 5, codes[s]);
		for (int k = NCODES - 5; k < NCODES; k++)
			fx_code(&fmt[s], (uint64_t)k, codes[s][k]); /* never inserted */
	}
	for (size_t i = 0; i < sizeof setup_sql / sizeof setup_sql[0]; i++) {
		expand(setup_sql[i], sql, sizeof sql);
		tl_exec(db, sql);
	}
}

/* The code as the row asks for it. */
static void row_code(const struct row *r, char *out, size_t sz)
{
	const char *c = r->camp ? codes[slot(r->camp)][r->idx] : "";
	size_t n = strlen(c), o = 0;

	switch (r->mut) {
	case M_LITERAL:
		snprintf(out, sz, "%s", r->literal);
		return;
	case M_TYPED: /* lower case, groups, a space */
		for (size_t i = 0; i < n && o + 3 < sz; i++) {
			if (i > 0 && i % 4 == 1)
				out[o++] = i == 5 ? ' ' : '-';
			out[o++] = (char)tolower((unsigned char)c[i]);
		}
		out[o] = '\0';
		return;
	case M_WRONG_CHECK:
		snprintf(out, sz, "%s", c);
		out[n - 1] = out[n - 1] == '0' ? '1' : '0';
		return;
	case M_NONE:
	case M_UNKNOWN:
		snprintf(out, sz, "%s", c);
		return;
	}
}

static void run_row(const struct row *r, bool no_db)
{
	char code[CP_INPUT_MAX + 1];
	struct cp_redeem_req q;
	struct cp_redeem_result res;
	struct cp_err e;
	enum cp_status st;
	long long before = no_db ? fx_stmt_executes(db) : 0;

	row_code(r, code, sizeof code);
	q = fx_req(code, r->user, r->order);
	q.ttl = 600;
	cp_err_clear(&e);
	st = cp_redeem_op(db, r->op, &q, &res, &e);
	CHECK_AT(r->line, st == r->want, "%s %s: got %s (%s), want %s", cp_op_name(r->op), code,
		 cp_status_code(st), e.msg, cp_status_code(r->want));
	CHECK_AT(r->line, res.status == st, "result status %s differs from returned %s",
		 cp_status_code(res.status), cp_status_code(st));
	if (st == CP_OK)
		CHECK_AT(r->line, res.replay == r->replay, "replay %d, want %d", res.replay,
			 r->replay);
	if (st == CP_OK && r->camp)
		CHECK_AT(r->line, res.campaign_id == cid[slot(r->camp)] &&
				  strncmp(res.campaign_name, "camp ", 5) == 0,
			 "campaign %u '%s'", res.campaign_id, res.campaign_name);
	if (st == CP_OK && (r->op == RD || r->op == CF))
		CHECK_AT(r->line, res.redeemed_at > time(NULL) - 7200 &&
				  res.redeemed_at <= time(NULL) + 1,
			 "redeemed_at %lld", (long long)res.redeemed_at);
	if (no_db)
		CHECK_AT(r->line, fx_stmt_executes(db) == before,
			 "bad input reached the database");
}

static long long q(const char *tmpl)
{
	char sql[512];

	expand(tmpl, sql, sizeof sql);
	return tl_query_int(db, sql);
}

static void check_state(void)
{
	CHECK(q("SELECT COUNT(*) FROM coupon_codes WHERE code = '%A0' AND status = 'redeemed'"
		" AND redeemed_by_user_id = 'u0' AND order_id = 'o0'") == 1, "A0 state");
	CHECK(q("SELECT COUNT(*) FROM coupon_codes WHERE code = '%A11' AND status = 'redeemed'"
		" AND redeemed_by_user_id = 'u2' AND order_id = 'o11'") == 1, "A11 state");
	CHECK(q("SELECT COUNT(*) FROM coupon_codes WHERE code = '%A12' AND status = 'available'"
		" AND redeemed_by_user_id IS NULL AND reserved_until IS NULL") == 1, "A12 state");
	CHECK(q("SELECT COUNT(*) FROM coupon_codes WHERE code = '%A13' AND status = 'pending'"
		" AND redeemed_by_user_id = 'u2' AND reserved_until > NOW(6)") == 1, "A13 state");
	CHECK(q("SELECT used FROM campaign_user_usage WHERE campaign_id = %L"
		" AND user_id = 'fresh'") == 1, "usage of fresh");
	CHECK(q("SELECT used FROM campaign_user_usage WHERE campaign_id = %L"
		" AND user_id = 'two'") == 1, "usage of two");
	CHECK(q("SELECT COUNT(*) FROM coupon_codes WHERE campaign_id = %L AND status = 'redeemed'")
		      == 2, "limited campaign: two redemptions by two users");
	CHECK(q("SELECT COUNT(*) FROM coupon_codes WHERE code = '%L4' AND status = 'pending'") == 1,
	      "a refused confirm leaves the reservation");
	CHECK(q("SELECT COUNT(*) FROM coupon_codes WHERE code = '%V0' AND status = 'redeemed'"
		" AND redeemed_by_user_id = 'u1'") == 1, "V0 redeemed by its first user");
	CHECK(q("SELECT COUNT(*) FROM outbox WHERE campaign_id = %V") == 1,
	      "events: one event for V0");
}

static enum cp_status redeem1(const char *code, const char *user, struct cp_redeem_result *res)
{
	struct cp_redeem_req r = fx_req(code, user, NULL);
	struct cp_err e;

	return cp_redeem(db, &r, res, &e);
}

static void nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static long long elapsed_ms(const struct timespec *a, const struct timespec *b)
{
	return (long long)(b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

/* Runs the probe SQL built by the cache for CODE and the fence; the count it gives. */
static long long probe_count(const char *sql, const char *code, const MYSQL_TIME *until)
{
	MYSQL_BIND p[2], r[1];
	MYSQL_TIME t = *until;
	unsigned long len;
	int64_t n = -1;
	bool found;
	struct cp_err e;

	memset(p, 0, sizeof p);
	memset(r, 0, sizeof r);
	db_bind_str(&p[0], code, &len);
	db_bind_time(&p[1], &t, NULL);
	db_bind_i64(&r[0], &n);
	if (db_select1(db, sql, p, r, &found, &e) != CP_OK)
		fprintf(stderr, "probe: %s\n", e.msg);
	return n;
}

/*
 * Window edges: start inclusive, end exclusive, both checked by the server's clock.
 * The window is changed by SQL here, so the connection is told to re-read its
 * campaigns (a change that can close a campaign must wait out the fence, as
 * changes(), below, does).
 */
static void window_edges(void)
{
	struct cp_redeem_result res;
	char sql[256];

	CHECK(redeem1(codes[slot('W')][0], "w", &res) == CP_E_NOT_STARTED, "before start");
	snprintf(sql, sizeof sql, "UPDATE campaigns SET starts_at = NOW(6) WHERE id = %u",
		 cid[slot('W')]);
	tl_exec(db, sql);
	cp_campaign_cache_reset(db);
	CHECK(redeem1(codes[slot('W')][0], "w", &res) == CP_OK, "at start: %s",
	      cp_status_code(res.status));
	snprintf(sql, sizeof sql, "UPDATE campaigns SET expires_at = NOW(6) WHERE id = %u",
		 cid[slot('W')]);
	tl_exec(db, sql);
	cp_campaign_cache_reset(db);
	CHECK(redeem1(codes[slot('W')][1], "w", &res) == CP_E_EXPIRED, "at end: %s",
	      cp_status_code(res.status));
	snprintf(sql, sizeof sql,
		 "UPDATE campaigns SET expires_at = NOW(6) + INTERVAL 1 HOUR WHERE id = %u",
		 cid[slot('W')]);
	tl_exec(db, sql);
	CHECK(redeem1(codes[slot('W')][1], "w", &res) == CP_OK, "end moved out: %s",
	      cp_status_code(res.status));
	/* Ending inside the fence: not open, so the joined statement decides. */
	snprintf(sql, sizeof sql,
		 "UPDATE campaigns SET expires_at = NOW(6) + INTERVAL 1 SECOND WHERE id = %u",
		 cid[slot('W')]);
	tl_exec(db, sql);
	cp_campaign_cache_reset(db);
	CHECK(redeem1(codes[slot('W')][2], "w", &res) == CP_OK, "before a near end: %s",
	      cp_status_code(res.status));
	nap_ms(1100);
	CHECK(redeem1(codes[slot('W')][3], "w", &res) == CP_E_EXPIRED,
	      "a near end reached without a reload: %s", cp_status_code(res.status));
}

/*
 * Changes that reach a connection whose cache is loaded, made from another
 * connection with the API: a per-user limit where there was none, then a pause.
 */
static void changes(void)
{
	struct cp_redeem_result res;
	struct cp_campaign k;
	struct cp_err e;
	const int c = slot('C');
	struct cp_db *admin = tl_db_open(&cfg);
	struct timespec a, b;

	CHECK(redeem1(codes[c][0], "s", &res) == CP_OK, "before the change");
	CHECK(cp_campaign_get(admin, cid[c], &k, &e) == CP_OK, "get: %s", e.msg);
	k.per_user_limit = 1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK(cp_campaign_update(admin, &k, &e) == CP_OK, "update: %s", e.msg);
	clock_gettime(CLOCK_MONOTONIC, &b);
	CHECK(elapsed_ms(&a, &b) >= CACHE_FENCE_MS - 500, "a new limit waits out the fence (%lld ms)",
	      elapsed_ms(&a, &b));
	CHECK(redeem1(codes[c][1], "s", &res) == CP_OK, "first under the new limit: %s",
	      cp_status_code(res.status));
	CHECK(redeem1(codes[c][2], "s", &res) == CP_E_USER_LIMIT, "second under the new limit: %s",
	      cp_status_code(res.status));
	CHECK(cp_campaign_set_status(admin, cid[c], CP_CAMPAIGN_PAUSED, &e) == CP_OK, "pause: %s",
	      e.msg);
	CHECK(redeem1(codes[c][3], "t", &res) == CP_E_CAMPAIGN_PAUSED, "paused at once: %s",
	      cp_status_code(res.status));
	cp_db_close(admin);
}

static long long session_count(const char *name)
{
	char sql[160];

	snprintf(sql, sizeof sql, "SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS"
				  " WHERE VARIABLE_NAME = '%s'", name);
	return tl_query_int(db, sql);
}

/*
 * Two open campaigns with one format: the code does not name its campaign, so the
 * fast statement takes the list of open campaigns and hands the campaign back.
 * Both single-table (Com_update), no join (Com_update_multi).
 */
static void twins(void)
{
	struct cp_redeem_result res;
	struct cp_format f1, f2;
	char c1[1][CP_CODE_MAX + 1], c2[1][CP_CODE_MAX + 1];
	uint32_t t1 = fx_campaign(db, "twin 1", "TW", "", &f1);
	uint32_t t2 = fx_campaign(db, "twin 2", "TW", "", &f2);
	long long upd, multi;

	fx_codes(db, t1, &f1, 0, 1, c1);
	fx_codes(db, t2, &f2, 1, 1, c2);
	cp_campaign_cache_reset(db);
	CHECK(redeem1(c1[0], "tw", &res) == CP_OK, "twin 1 loads the cache: %s",
	      cp_status_code(res.status));
	upd = session_count("COM_UPDATE");
	multi = session_count("COM_UPDATE_MULTI");
	CHECK(redeem1(c2[0], "tw", &res) == CP_OK && res.campaign_id == t2 &&
		      strcmp(res.campaign_name, "twin 2") == 0,
	      "twin 2: %s, campaign %u", cp_status_code(res.status), res.campaign_id);
	CHECK(session_count("COM_UPDATE") - upd == 1 && session_count("COM_UPDATE_MULTI") == multi,
	      "twins: one single-table UPDATE, no join");
	CHECK(strncmp(res.display, "TW-", 3) == 0, "display: %s", res.display);
}

/*
 * A connection the server dropped while idle (a restart, wait_timeout): the next
 * operation reconnects and reads the campaigns again instead of failing, even
 * when reading them is the first thing it does.
 */
static void dropped(void)
{
	struct cp_redeem_result res;
	struct cp_redeem_req q = fx_req(codes[slot('A')][0], NULL, NULL);
	struct cp_err e;
	struct cp_db *admin = tl_db_open(&cfg);
	char sql[64];

	snprintf(sql, sizeof sql, "KILL CONNECTION %lld",
		 tl_query_int(db, "SELECT CONNECTION_ID()"));
	tl_exec(admin, sql);
	cp_db_close(admin);
	cp_campaign_cache_reset(db); /* the campaigns are read first */
	CHECK(cp_validate(db, &q, &res, &e) == CP_E_ALREADY_REDEEMED,
	      "validate on a dropped connection: %s (%s)", cp_status_code(res.status), e.msg);
}

/*
 * The fence itself: a list of open campaigns read now matches until the server's
 * clock passes CACHE_FENCE_MS, and never after, however the connection behaves.
 */
static void fence(void)
{
	/* The cache puts the rewards' CASE between the two parts: here it decides nothing. */
	static const char *const probe[2] = {
		"SELECT COUNT(*) FROM coupon_codes FORCE INDEX (uq_codes_code) WHERE (",
		" IS NULL OR TRUE) AND code = ? AND NOW(6) < ? AND campaign_id IN ("};
	struct cp_redeem_result res;
	struct cp_format f;
	char fc[2][CP_CODE_MAX + 1];
	const MYSQL_TIME *until;
	const char *sql;
	const char *code = fc[1];
	struct timespec a, b;
	uint32_t id = fx_campaign(db, "fence", "F", "", &f);

	fx_codes(db, id, &f, 0, 2, fc);
	cp_campaign_cache_reset(db);
	CHECK(redeem1(fc[0], "f", &res) == CP_OK, "loads the cache: %s",
	      cp_status_code(res.status));
	CHECK(cache_open(db, id, &until), "the new campaign is open");
	CHECK(!cache_open(db, cid[slot('P')], &until), "a paused one is not");
	CHECK(!cache_open(db, cid[slot('L')], &until), "nor one with a per-user limit");
	sql = cache_open_sql(db, probe, &until);
	if (!tl_check(__FILE__, __LINE__, sql != NULL, "a statement for the open campaigns"))
		return;
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK(probe_count(sql, code, until) == 1, "matches before the fence");
	/* Bounded generously: a loaded machine polls late, never early. */
	do {
		nap_ms(50);
		clock_gettime(CLOCK_MONOTONIC, &b);
	} while (probe_count(sql, code, until) == 1 && elapsed_ms(&a, &b) < CACHE_FENCE_MS + 30000);
	clock_gettime(CLOCK_MONOTONIC, &b);
	CHECK(elapsed_ms(&a, &b) >= CACHE_FENCE_MS - 500 &&
		      elapsed_ms(&a, &b) < CACHE_FENCE_MS + 30000,
	      "the fence fell after %lld ms", elapsed_ms(&a, &b));
}

/* A reservation past its time lets another user in. */
static void lapse(void)
{
	const char *code = codes[slot('A')][9];
	struct cp_redeem_req r = fx_req(code, "x1", NULL);
	struct cp_redeem_result res;
	struct cp_err e;

	/* Long enough that a loaded machine redeems inside it; then wait until it lapsed. */
	r.ttl = 3;
	CHECK(cp_reserve(db, &r, &res, &e) == CP_OK, "reserve ttl 3: %s", e.msg);
	CHECK(res.reserved_until >= time(NULL), "reserved_until %lld", (long long)res.reserved_until);
	CHECK(redeem1(code, "x2", &res) == CP_E_RESERVED, "while reserved");
	for (int i = 0; i < 600 && q("SELECT reserved_until < NOW(6) FROM coupon_codes"
				     " WHERE code = '%A9'") != 1; i++)
		nap_ms(100);
	CHECK(redeem1(code, "x2", &res) == CP_OK, "after the reservation lapsed: %s",
	      cp_status_code(res.status));
	CHECK(cp_confirm(db, &r, &res, &e) == CP_E_ALREADY_REDEEMED, "late confirm: %s",
	      cp_status_code(res.status));
}

/*
 * A transaction that ended under us (on a cluster, a brute-force abort; here an
 * explicit ROLLBACK) is never committed as if it were still open: COMMIT reports
 * a conflict, which the operations retry, instead of acknowledging statements
 * that ran in autocommit after it.
 */
static void lost_transaction(void)
{
	struct cp_err e;

	cp_err_clear(&e);
	CHECK(db_begin(db, &e) == CP_OK && db_exec(db, "ROLLBACK", &e) == CP_OK, "%s", e.msg);
	CHECK(db_commit_open(db, &e) == CP_E_BUSY, "a transaction that had ended was committed");
	cp_err_clear(&e);
	CHECK(db_begin(db, &e) == CP_OK && db_commit_open(db, &e) == CP_OK,
	      "an open transaction does not commit: %s", e.msg);
}

int main(void)
{
	struct cp_redeem_result res;

	db = tl_db_fresh("redeem", &cfg);
	setup();
	redeem1(codes[0][19], "warm", &res); /* loads the campaign cache */
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
		run_row(&rules[i], false);
	for (size_t i = 0; i < sizeof bad_input / sizeof bad_input[0]; i++)
		run_row(&bad_input[i], true);
	check_state();
	window_edges();
	changes();
	twins();
	dropped();
	fence();
	lapse();
	lost_transaction();
	cp_db_close(db);
	cp_config_free(&cfg);
	return tl_done("test_redeem");
}
