/*
 * Outbox events (issue #10): which operations write one and what it holds, that
 * a campaign without events keeps its one-statement hot path, that a stale
 * campaign cache cannot lose an event, the relays' claim bookkeeping, and the
 * events of a bulk expiry.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "campaign_cache.h"
#include "redeem_fixture.h"
#include "testlib.h"

#define NCODES 40

static struct cp_config cfg;
static struct cp_db *db;
static struct cp_format fmt_on, fmt_off, fmt_lim;
static uint32_t on, off, lim;
static char con[NCODES][CP_CODE_MAX + 1], coff[NCODES][CP_CODE_MAX + 1];
static char clim[NCODES][CP_CODE_MAX + 1];

static long long q(const char *fmt, const char *arg)
{
	char sql[1024];

	snprintf(sql, sizeof sql, fmt, arg);
	return tl_query_int(db, sql);
}

static long long events(void)
{
	return tl_query_int(db, "SELECT COUNT(*) FROM outbox");
}

static enum cp_status op(int o, const char *code, const char *user, const char *order)
{
	struct cp_redeem_req r = fx_req(code, user, order);
	struct cp_redeem_result res;
	struct cp_err e;

	r.ttl = 600;
	cp_err_clear(&e);
	return cp_redeem_op(db, (enum cp_op)o, &r, &res, &e);
}

enum { RD = CP_OP_REDEEM, RS = CP_OP_RESERVE, CF = CP_OP_CONFIRM, RL = CP_OP_RELEASE,
       UN = 100, EX = 101 };

/* Each row: an operation, its outcome, and the event it must (or must not) leave. */
static const struct row {
	int line;
	int op;
	int idx;         /* code of the events campaign */
	const char *user, *order;
	enum cp_status want;
	const char *type; /* NULL: no event */
	const char *ev_user, *ev_order; /* NULL: the column is NULL */
} table_rows[] = {
	{__LINE__, RD, 0, "u1", "o1", CP_OK, "redeemed", "u1", "o1"},
	{__LINE__, RD, 0, "u1", "o1", CP_OK, NULL, NULL, NULL}, /* replay: nothing new */
	{__LINE__, RD, 0, "u2", "o2", CP_E_ALREADY_REDEEMED, NULL, NULL, NULL},
	{__LINE__, RD, 1, "u1", NULL, CP_OK, "redeemed", "u1", NULL},
	{__LINE__, RS, 2, "u3", "o3", CP_OK, "reserved", "u3", "o3"},
	{__LINE__, CF, 2, "u3", NULL, CP_OK, "confirmed", "u3", "o3"}, /* order from the row */
	{__LINE__, CF, 2, "u3", NULL, CP_OK, NULL, NULL, NULL},        /* replay */
	{__LINE__, RS, 3, "u4", "o4", CP_OK, "reserved", "u4", "o4"},
	{__LINE__, RL, 3, "u5", NULL, CP_E_NOT_RESERVED, NULL, NULL, NULL},
	{__LINE__, RL, 3, "u4", NULL, CP_OK, "released", "u4", NULL},
	{__LINE__, RL, 3, "u4", NULL, CP_OK, NULL, NULL, NULL},        /* already available */
	{__LINE__, UN, 0, NULL, NULL, CP_OK, "unredeemed", "u1", "o1"},
	{__LINE__, UN, 4, NULL, NULL, CP_E_NOT_REDEEMED, NULL, NULL, NULL},
	{__LINE__, EX, 4, NULL, NULL, CP_OK, "expired", NULL, NULL},
	{__LINE__, EX, 4, NULL, NULL, CP_E_EXPIRED, NULL, NULL, NULL},
	{__LINE__, RD, 4, "u1", NULL, CP_E_EXPIRED, NULL, NULL, NULL},
};

static enum cp_status run_op(const struct row *r)
{
	struct cp_err e;

	cp_err_clear(&e);
	if (r->op == UN)
		return cp_code_unredeem(db, con[r->idx], strlen(con[r->idx]), "test", NULL, NULL, &e);
	if (r->op == EX)
		return cp_code_expire(db, con[r->idx], strlen(con[r->idx]), "test", NULL, NULL, &e);
	return op(r->op, con[r->idx], r->user, r->order);
}

static void check_last(const struct row *r)
{
	char sql[1024];

	snprintf(sql, sizeof sql,
		 "SELECT COUNT(*) FROM outbox WHERE id = (SELECT MAX(id) FROM outbox)"
		 " AND event_type = '%s' AND code = '%s' AND campaign_id = %u"
		 " AND user_id %s%s%s AND order_id %s%s%s AND LENGTH(event_id) = 36"
		 " AND created_at > NOW(6) - INTERVAL 1 MINUTE AND delivered_at IS NULL",
		 r->type, con[r->idx], on, r->ev_user ? "= '" : "IS NULL",
		 r->ev_user ? r->ev_user : "", r->ev_user ? "'" : "", r->ev_order ? "= '" : "IS NULL",
		 r->ev_order ? r->ev_order : "", r->ev_order ? "'" : "");
	CHECK_AT(r->line, tl_query_int(db, sql) == 1, "the newest event is not %s of %s", r->type,
		 con[r->idx]);
}

static void table(void)
{
	for (size_t i = 0; i < sizeof table_rows / sizeof table_rows[0]; i++) {
		const struct row *r = &table_rows[i];
		long long before = events();
		enum cp_status st = run_op(r);

		CHECK_AT(r->line, st == r->want, "got %s, want %s", cp_status_code(st),
			 cp_status_code(r->want));
		CHECK_AT(r->line, events() == before + (r->type != NULL), "events %lld -> %lld",
			 before, events());
		if (r->type != NULL)
			check_last(r);
	}
	CHECK(q("SELECT COUNT(DISTINCT event_id) - COUNT(*) FROM outbox%s", "") == 0,
	      "event ids are unique");
}

/* Events off: one statement for a redemption, no event; the same for every operation. */
static void hot_path(void)
{
	long long before = events(), n;

	CHECK(op(RD, coff[0], "warm", NULL) == CP_OK, "warm-up redeem"); /* loads the cache */
	n = fx_stmt_executes(db);
	CHECK(op(RD, coff[1], "h1", "o") == CP_OK, "redeem without events");
	CHECK(fx_stmt_executes(db) - n == 1, "hot path: %lld statements, want 1",
	      fx_stmt_executes(db) - n);
	n = fx_stmt_executes(db);
	CHECK(op(RS, coff[2], "h2", NULL) == CP_OK, "reserve without events");
	CHECK(fx_stmt_executes(db) - n == 1, "reserve: %lld statements", fx_stmt_executes(db) - n);
	CHECK(op(CF, coff[2], "h2", NULL) == CP_OK, "confirm without events");
	CHECK(op(RS, coff[3], "h3", NULL) == CP_OK && op(RL, coff[3], "h3", NULL) == CP_OK,
	      "reserve and release without events");
	CHECK(cp_code_expire(db, coff[4], strlen(coff[4]), "t", NULL, NULL, NULL) == CP_OK,
	      "expire without events");
	CHECK(events() == before, "no events for a campaign without them");
}

/*
 * Events switched on by SQL while the connection's cache says "no events": a
 * reservation (joined statement) writes its event at once; a redemption may take
 * the fast statement until the fence has passed, which is why a change that closes
 * a campaign to it waits the fence out (core/campaign_cache.c), as this one then does.
 */
static void stale_cache(void)
{
	char sql[256];
	long long before;
	struct cp_err e;

	CHECK(op(RD, coff[10], "s0", NULL) == CP_OK, "cache loaded");
	snprintf(sql, sizeof sql, "UPDATE campaigns SET events_enabled = 1 WHERE id = %u", off);
	tl_exec(db, sql);
	before = events();
	CHECK(op(RS, coff[12], "s2", NULL) == CP_OK, "reserve after events were enabled");
	CHECK(events() == before + 1, "stale cache: %lld events, want 1", events() - before);
	CHECK(cache_fence_wait(db, &e) == CP_OK, "fence: %s", e.msg);
	CHECK(op(RD, coff[11], "s1", NULL) == CP_OK, "redeem after the fence");
	CHECK(events() == before + 2, "after the fence: %lld events, want 2", events() - before);
	CHECK(q("SELECT COUNT(*) FROM outbox WHERE code = '%s' AND event_type = 'redeemed'",
		coff[11]) == 1, "the redemption's event");
	snprintf(sql, sizeof sql, "UPDATE campaigns SET events_enabled = 0 WHERE id = %u", off);
	tl_exec(db, sql);
	cp_campaign_cache_reset(db);
}

/* A refused per-user limit rolls the event back with the redemption. */
static void user_limit(void)
{
	long long before = events();

	CHECK(op(RD, clim[0], "L", NULL) == CP_OK, "first within the limit");
	CHECK(op(RD, clim[1], "L", NULL) == CP_E_USER_LIMIT, "second over the limit");
	CHECK(events() == before + 1, "one event, not %lld", events() - before);
	CHECK(q("SELECT COUNT(*) FROM coupon_codes WHERE code = '%s' AND status = 'available'",
		clim[1]) == 1, "the refused code stays available");
}

/* An idempotent redemption writes one event, its replay none. */
static void idempotent(void)
{
	struct cp_redeem_req r = fx_req(con[20], "i1", "io");
	struct cp_redeem_result res;
	struct cp_err e;
	long long before = events();

	r.api_key_id = 3;
	r.idem_key = "outbox-key";
	CHECK(cp_redeem(db, &r, &res, &e) == CP_OK, "idempotent redeem: %s", e.msg);
	CHECK(cp_redeem(db, &r, &res, &e) == CP_OK && res.replay, "its replay");
	CHECK(events() == before + 1, "one event for both, not %lld", events() - before);
}

static size_t claim(struct cp_db *d, const char *relay, unsigned int max, struct cp_event *ev)
{
	struct cp_err e;
	size_t n = 0;

	cp_err_clear(&e);
	CHECK(cp_outbox_claim(d, relay, max, 60, ev, &n, &e) == CP_OK, "claim by %s: %s", relay,
	      e.msg);
	return n;
}

/* Two relays on two connections: disjoint claims in order, failures, release, backlog. */
static void relays(void)
{
	struct cp_db *other = tl_db_open(&cfg);
	struct cp_event a[64], b[64];
	struct cp_outbox_backlog bl;
	struct cp_err e;
	size_t na, nb, total = (size_t)events();
	uint64_t rows = 0;

	CHECK(cp_outbox_backlog(db, &bl, &e) == CP_OK && bl.pending == total,
	      "backlog %llu, want %zu", (unsigned long long)bl.pending, total);
	na = claim(db, "relay-a", 5, a);
	nb = claim(other, "relay-b", 64, b);
	CHECK(na == 5 && nb == total - 5, "claims %zu + %zu of %zu", na, nb, total);
	CHECK(na > 0 && nb > 0 && a[na - 1].seq < b[0].seq, "a holds the oldest");
	for (size_t i = 1; i < na; i++)
		CHECK(a[i].seq > a[i - 1].seq, "in seq order");
	CHECK(strcmp(a[0].type, "redeemed") == 0 && strcmp(a[0].user_id, "u1") == 0 &&
		      strcmp(a[0].order_id, "o1") == 0 && a[0].campaign_id == on &&
		      strlen(a[0].event_id) == 36 && a[0].at > time(NULL) - 600,
	      "first event: %s %s %s", a[0].type, a[0].user_id, a[0].order_id);
	CHECK(claim(other, "relay-c", 64, b) == 0, "nothing left for a third relay");
	/* a delivers its first two, fails the third: the rest goes back. */
	CHECK(cp_outbox_delivered(db, "relay-a", a[0].seq, a[1].seq, &rows, &e) == CP_OK &&
		      rows == 2, "delivered 2: %llu", (unsigned long long)rows);
	CHECK(cp_outbox_failed(db, "relay-a", a[2].seq, 60000, "HTTP 503", &e) == CP_OK,
	      "failed: %s", e.msg);
	nb = claim(other, "relay-c", 64, b);
	CHECK(nb == 2 && b[0].seq == a[3].seq, "c takes the two given back, not the failing one");
	CHECK(q("SELECT attempts FROM outbox WHERE last_error = 'HTTP 503'%s", "") == 1,
	      "the failure is counted");
	na = claim(db, "relay-a", 64, a);
	CHECK(na == 1 && a[0].attempts == 1, "a may retry its own failed event at once (%zu)", na);
	CHECK(claim(other, "relay-d", 64, b) == 0, "everything is held");
	CHECK(cp_outbox_release(other, "relay-c", 0, &e) == CP_OK, "release: %s", e.msg);
	CHECK(claim(other, "relay-d", 64, b) == 2, "given-back events are free again");
	CHECK(cp_outbox_backlog(db, &bl, &e) == CP_OK && bl.pending == total - 2 &&
		      bl.oldest_seconds > 0 && bl.oldest_attempts == 1,
	      "backlog %llu oldest %.3f s attempts %u", (unsigned long long)bl.pending,
	      bl.oldest_seconds, bl.oldest_attempts);
	CHECK(cp_outbox_claim(db, "bad id", 5, 60, a, &na, &e) == CP_E_INVALID_ARGUMENT,
	      "a relay id with a space is refused");
	CHECK(cp_outbox_purge(db, 0, 100, &rows, &e) == CP_OK && rows == 2,
	      "purge removes the 2 delivered: %llu", (unsigned long long)rows);
	cp_db_close(other);
}

/* Expiring a whole campaign writes one "expired" event per code it expires. */
static void bulk_expiry(void)
{
	char codes[6][CP_CODE_MAX + 1], sql[256];
	struct cp_format f, g;
	struct cp_err e;
	uint64_t n = 0;
	uint32_t id = fx_campaign(db, "bulk events", "BE", "events_enabled = 1", &f);
	uint32_t quiet = fx_campaign(db, "bulk quiet", "BQ", "", &g);

	fx_codes(db, id, &f, 0, 6, codes);
	cp_campaign_cache_reset(db); /* the campaigns are new */
	CHECK(op(RD, codes[0], "b0", NULL) == CP_OK, "a redemption before the expiry");
	CHECK(cp_expire_codes(db, id, 0, "test", "leak", &n, &e) == CP_OK && n == 5,
	      "bulk expiry: %llu codes, %s", (unsigned long long)n, e.msg);
	snprintf(sql, sizeof sql,
		 "SELECT COUNT(DISTINCT event_id) FROM outbox WHERE campaign_id = %u AND"
		 " event_type = 'expired' AND user_id IS NULL AND order_id IS NULL", id);
	CHECK(tl_query_int(db, sql) == 5, "bulk expiry: %lld expired events, want 5",
	      tl_query_int(db, sql));
	snprintf(sql, sizeof sql,
		 "SELECT COUNT(*) FROM outbox o JOIN coupon_codes c ON c.code = o.code"
		 " WHERE o.campaign_id = %u AND o.event_type = 'expired' AND c.status = 'expired'",
		 id);
	CHECK(tl_query_int(db, sql) == 5, "bulk expiry: the events name the expired codes");
	fx_codes(db, quiet, &g, 0, 3, NULL);
	CHECK(cp_expire_codes(db, quiet, 0, "test", "leak", &n, &e) == CP_OK && n == 3,
	      "bulk expiry without events: %s", e.msg);
	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM outbox WHERE campaign_id = %u", quiet);
	CHECK(tl_query_int(db, sql) == 0, "no events for a campaign without them");
}

int main(void)
{
	db = tl_db_fresh("outbox", &cfg);
	on = fx_campaign(db, "events on", "E", "events_enabled = 1", &fmt_on);
	off = fx_campaign(db, "events off", "F", "", &fmt_off);
	lim = fx_campaign(db, "limited", "L", "events_enabled = 1, per_user_limit = 1", &fmt_lim);
	fx_codes(db, on, &fmt_on, 0, NCODES, con);
	fx_codes(db, off, &fmt_off, 0, NCODES, coff);
	fx_codes(db, lim, &fmt_lim, 0, NCODES, clim);
	table();
	hot_path();
	stale_cache();
	user_limit();
	idempotent();
	relays();
	bulk_expiry();
	cp_db_close(db);
	cp_config_free(&cfg);
	return tl_done("test_outbox");
}
