/*
 * Every filter combination the redemption search allows is an index range on a
 * table of 1,000,000 codes with a share redeemed: EXPLAIN of the statement core
 * executes shows no full scan and no filesort. Also the cursor's round trip, and
 * the same for each statement of a campaign's report (core/report.c).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "report.h"
#include "search.h"
#include "testlib.h"

#define CODES 1000000
#define SEED_READ_TIMEOUT 600 /* seconds */

static struct cp_db *db;

/*
 * On a connection of its own, whose reads wait up to SEED_READ_TIMEOUT: each
 * statement here writes up to a million rows, which on a heavily loaded
 * machine can outlast the 30 s every other statement of the tests is given.
 */
static void populate(const struct cp_config *cfg)
{
	struct cp_config slow = *cfg; /* shares cfg's strings, so it is not freed */
	struct cp_db *seed;

	slow.read_timeout = SEED_READ_TIMEOUT;
	seed = tl_db_open(&slow);
	tl_exec(seed, "INSERT INTO campaigns SET name = 'big', planned_codes = 2000000,"
		    " alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ', body_length = 12");
	tl_exec(seed, "INSERT INTO campaigns SET name = 'small', planned_codes = 1000,"
		    " alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ', body_length = 12");
	tl_exec(seed, "INSERT INTO generation_batches (campaign_id, method, requested, generated,"
		    " status) VALUES (1, 'random', 1000000, 1000000, 'complete')");
	/* Codes need not be of the campaign's format for a plan: the sequence engine. */
	tl_exec(seed, "INSERT INTO coupon_codes (code, campaign_id, batch_id)"
		    " SELECT CONCAT('T', LPAD(seq, 12, '0')), 1 + (seq % 50 = 0), 1"
		    " FROM seq_1_to_1000000");
	tl_exec(seed, "UPDATE coupon_codes SET status = 'redeemed',"
		    " redeemed_by_user_id = CONCAT('u', id % 20000), order_id = CONCAT('o-', id),"
		    " redeemed_at = TIMESTAMP('2026-01-01') + INTERVAL id SECOND WHERE id % 5 = 0");
	tl_exec(seed, "UPDATE coupon_codes SET status = 'pending', redeemed_by_user_id ="
		    " CONCAT('u', id % 20000), reserved_until = NOW(6) + INTERVAL 1 HOUR"
		    " WHERE id % 97 = 1");
	/* For the report: reservation times and refunds. */
	tl_exec(seed, "UPDATE coupon_codes SET reserved_at = TIMESTAMP('2026-01-01') + INTERVAL id SECOND"
		    " WHERE id % 7 = 1");
	tl_exec(seed, "INSERT INTO code_events (code_id, campaign_id, action, prior_status,"
		    " prior_redeemed_at, actor, created_at) SELECT id, campaign_id, 'unredeem',"
		    " 'redeemed', TIMESTAMP('2026-01-01') + INTERVAL id SECOND, 'test',"
		    " TIMESTAMP('2026-01-02') + INTERVAL id SECOND FROM coupon_codes WHERE id % 11 = 0");
	tl_exec(seed, "ANALYZE TABLE coupon_codes, code_events");
	cp_db_close(seed);
}

struct plan_check {
	int line;
	const char *what;
	unsigned int rows;
};

static void check_plan(const struct search_plan *p, void *arg)
{
	struct plan_check *c = arg;

	c->rows++;
	CHECK_AT(c->line, strcmp(p->type, "ALL") != 0 && strcmp(p->type, "index") != 0,
		 "%s: a full scan (type %s, key %s)", c->what, p->type, p->key);
	CHECK_AT(c->line, p->key[0] != '\0', "%s: no index", c->what);
	CHECK_AT(c->line, strstr(p->extra, "filesort") == NULL, "%s: a filesort (%s, key %s)",
		 c->what, p->extra, p->key);
}

/* A report's statement also uses the very index it names, not a wider one. */
static void check_report_plan(const char *what, const char *index, const struct search_plan *p,
			      void *arg)
{
	struct plan_check *c = arg;

	c->what = what;
	check_plan(p, c);
	CHECK_AT(c->line, strcmp(p->key, index) == 0, "%s: key %s, not %s", what, p->key, index);
}

/* Each statement of a report, over days of the big campaign and of the small one. */
static void explain_report(uint32_t campaign)
{
	struct plan_check c = {__LINE__, NULL, 0};
	struct cp_err e;

	cp_err_clear(&e);
	CHECK(report_explain(db, campaign, 1767225600 /* 2026-01-01 */, 1767225600 + 14 * 86400,
			     check_report_plan, &c, &e) == CP_OK, "report: %s", e.msg);
	CHECK(c.rows >= 7, "report: %u plan rows", c.rows);
}

static bool any_row(const struct cp_redemption *r, void *arg)
{
	(void)r;
	(void)arg;
	return true;
}

/* One combination: bit 0 campaign, 1 user, 2 order, 3 since, 4 until, 5 cursor, 6 pending. */
static void explain(unsigned int bits)
{
	struct cp_search_args a = {0};
	struct plan_check c = {__LINE__, NULL, 0};
	struct cp_search s;
	struct cp_err e;
	char what[128], next[CP_CURSOR_MAX + 1];

	snprintf(what, sizeof what, "%s%s%s%s%s%s%s", bits & 1 ? "campaign " : "",
		 bits & 2 ? "user " : "", bits & 4 ? "order " : "", bits & 8 ? "since " : "",
		 bits & 16 ? "until " : "", bits & 32 ? "cursor " : "",
		 bits & 64 ? "pending" : "redeemed");
	c.what = what;
	a.campaign = bits & 1 ? "big" : NULL;
	a.user_id = bits & 2 ? "u40" : NULL;
	a.order_id = bits & 4 ? "o-400040" : NULL;
	a.since = bits & 8 ? "2026-01-02" : NULL;
	a.until = bits & 16 ? "2026-01-05T12:00:00Z" : NULL;
	a.status = bits & 64 ? "pending" : NULL;
	a.limit = "3";
	cp_err_clear(&e);
	if (bits & 32) {
		/* A real cursor: the first page's, when there is a second page. */
		CHECK(cp_search_init(db, &a, &s, &e) == CP_OK, "%s: %s", what, e.msg);
		CHECK(cp_search_run(db, &s, any_row, NULL, next, &e) == CP_OK, "%s: %s", what, e.msg);
		a.cursor = next[0] != '\0' ? next : NULL;
	}
	CHECK(cp_search_init(db, &a, &s, &e) == CP_OK, "%s: %s", what, e.msg);
	CHECK(search_explain(db, &s, check_plan, &c, &e) == CP_OK, "%s: %s", what, e.msg);
	CHECK(c.rows == 1, "%s: %u plan rows", what, c.rows);
}

int main(void)
{
	struct cp_config cfg;

	db = tl_db_fresh("search", &cfg);
	populate(&cfg);
	CHECK(tl_query_int(db, "SELECT COUNT(*) FROM coupon_codes") == CODES, "codes");
	for (unsigned int bits = 0; bits < 128; bits++)
		if (!((bits & 64) && (bits & 24)))
			explain(bits);
	explain_report(1);
	explain_report(2);
	cp_db_close(db);
	cp_config_free(&cfg);
	return tl_done("test_search");
}
