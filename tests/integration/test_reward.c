/*
 * Rewards granted, not looked up: every redemption statement (the fast ones, the
 * joined ones, the transaction ones, reserve and confirm) records the reward the
 * campaign had when it ran; a later change of the reward applies to later
 * redemptions only; replays (same user and order, or an idempotency key) answer
 * with the reward first granted; a minimum order refuses what it should, with
 * nothing stored; a code's own expiry refuses it once past.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "redeem_fixture.h"
#include "testlib.h"

static struct cp_db *db;
static struct cp_config cfg;

static long long code_reward(const char *code)
{
	char sql[1024];

	snprintf(sql, sizeof sql, "SELECT reward_id FROM coupon_codes WHERE code = '%s'", code);
	return tl_query_int(db, sql);
}

static long long code_status_is(const char *code, const char *status)
{
	char sql[1024];

	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM coupon_codes WHERE code = '%s' AND status = '%s'",
		 code, status);
	return tl_query_int(db, sql);
}

/* Sets campaign ID's setting FIELD to TEXT through cp_campaign_set and update. */
static void set(uint32_t id, const char *field, const char *text)
{
	struct cp_campaign c;
	struct cp_err e;

	cp_err_clear(&e);
	CHECK(cp_campaign_get(db, id, &c, &e) == CP_OK, "get %u: %s", id, e.msg);
	CHECK(cp_campaign_set(&c, field, text, &e) == CP_OK, "%s '%s': %s", field, text, e.msg);
	CHECK(cp_campaign_update(db, &c, &e) == CP_OK, "update: %s", e.msg);
}

static uint32_t reward_of(uint32_t id)
{
	struct cp_campaign c;

	return cp_campaign_get(db, id, &c, NULL) == CP_OK ? c.reward.id : 0;
}

static enum cp_status op(enum cp_op o, const char *code, const char *user, const char *order,
			 const struct cp_money *amount, const char *key,
			 struct cp_redeem_result *res)
{
	struct cp_redeem_req req = fx_req(code, user, order);
	struct cp_err e;

	req.order_amount = amount;
	if (key != NULL) {
		req.api_key_id = 1;
		req.idem_key = key;
	}
	cp_err_clear(&e);
	return cp_redeem_op(db, o, &req, res, &e);
}

/* A reward changed between two redemptions: each keeps what it was granted. */
static void test_granted(void)
{
	struct cp_format f;
	char codes[6][CP_CODE_MAX + 1], json[CP_REWARD_JSON_MAX];
	struct cp_redeem_result r;
	uint32_t id = fx_campaign(db, "granted", "GR", "", &f), first, second;

	fx_codes(db, id, &f, 0, 6, codes);
	set(id, "reward", "percent_off 12.5");
	first = reward_of(id);
	CHECK(first != 0, "no reward row");
	CHECK(op(CP_OP_REDEEM, codes[0], "u1", "o1", NULL, NULL, &r) == CP_OK, "redeem: %s",
	      cp_status_code(r.status));
	cp_reward_json(&r.reward, json, sizeof json);
	CHECK(r.reward.id == first && strcmp(json, "{\"type\":\"percent_off\",\"percent\":\"12.50\"}") == 0,
	      "granted %u %s", r.reward.id, json);
	CHECK(code_reward(codes[0]) == first, "stored %lld, want %u", code_reward(codes[0]), first);

	/* With an idempotency key, before the change. */
	CHECK(op(CP_OP_REDEEM, codes[2], "u1", "o3", NULL, "key-granted", &r) == CP_OK, "keyed: %s",
	      cp_status_code(r.status));

	set(id, "reward", "amount_off 5 EUR");
	second = reward_of(id);
	CHECK(second != 0 && second != first, "new reward row %u after %u", second, first);
	CHECK(op(CP_OP_REDEEM, codes[1], "u2", NULL, NULL, NULL, &r) == CP_OK, "redeem 2");
	cp_reward_json(&r.reward, json, sizeof json);
	CHECK(r.reward.id == second &&
		      strcmp(json, "{\"type\":\"amount_off\",\"amount\":\"5.00\",\"currency\":\"EUR\"}") ==
			      0,
	      "granted after the change %u %s", r.reward.id, json);
	CHECK(code_reward(codes[1]) == second, "second stored %lld", code_reward(codes[1]));
	CHECK(code_reward(codes[0]) == first, "the first redemption's reward moved to %lld",
	      code_reward(codes[0]));

	/* The same user and order again: the original success, the original reward. */
	CHECK(op(CP_OP_REDEEM, codes[0], "u1", "o1", NULL, NULL, &r) == CP_OK && r.replay,
	      "replay: %s", cp_status_code(r.status));
	CHECK(r.reward.id == first && r.reward.type == CP_REWARD_PERCENT_OFF && r.reward.percent == 1250,
	      "replay granted %u type %d", r.reward.id, (int)r.reward.type);
	/* The stored response of the key, too. */
	CHECK(op(CP_OP_REDEEM, codes[2], "u1", "o3", NULL, "key-granted", &r) == CP_OK && r.replay,
	      "keyed replay: %s", cp_status_code(r.status));
	CHECK(r.reward.id == first && r.reward.type == CP_REWARD_PERCENT_OFF,
	      "keyed replay granted %u", r.reward.id);

	/* Reserve holds the current reward; confirm is granted it; release clears it. */
	CHECK(op(CP_OP_RESERVE, codes[3], "u3", NULL, NULL, NULL, &r) == CP_OK &&
		      r.reward.id == second && code_reward(codes[3]) == second,
	      "reserve: %s reward %u", cp_status_code(r.status), r.reward.id);
	CHECK(op(CP_OP_CONFIRM, codes[3], "u3", NULL, NULL, NULL, &r) == CP_OK &&
		      r.reward.id == second && code_reward(codes[3]) == second,
	      "confirm: %s reward %u", cp_status_code(r.status), r.reward.id);
	CHECK(op(CP_OP_RESERVE, codes[4], "u4", NULL, NULL, NULL, &r) == CP_OK, "reserve 2");
	CHECK(op(CP_OP_RELEASE, codes[4], "u4", NULL, NULL, NULL, &r) == CP_OK &&
		      code_reward(codes[4]) == -1,
	      "release left reward %lld", code_reward(codes[4]));
	/* Validate tells the campaign's reward now. */
	CHECK(op(CP_OP_VALIDATE, codes[5], NULL, NULL, NULL, NULL, &r) == CP_OK &&
		      r.reward.id == second,
	      "validate: %s reward %u", cp_status_code(r.status), r.reward.id);
}

/*
 * The statements that read campaigns: a per-user limit and events take the
 * transaction statement, two campaigns sharing a format the fast statement
 * over the list of open campaigns.
 */
static void test_statements(void)
{
	static const struct {
		int line;
		const char *name, *prefix, *extra;
	} rows[] = {
		{__LINE__, "limited", "LIM", "per_user_limit = 5"},
		{__LINE__, "eventful", "EVT", "events_enabled = 1"},
		{__LINE__, "twin-a", "TW", ""},
		{__LINE__, "twin-b", "TW", ""},
		{__LINE__, "plain", "PL", ""},
	};
	struct cp_format f;
	char code[2][CP_CODE_MAX + 1];
	struct cp_redeem_result r;

	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		uint32_t id = fx_campaign(db, rows[i].name, rows[i].prefix, rows[i].extra, &f), want;
		char sku[32], key[32];

		/* Twins share a format: their codes come from disjoint indexes. */
		fx_codes(db, id, &f, 100 * i, 2, code);
		snprintf(sku, sizeof sku, "item SKU-%zu", i);
		set(id, "reward", sku);
		want = reward_of(id);
		cp_campaign_cache_reset(db);
		CHECK_AT(rows[i].line, op(CP_OP_REDEEM, code[0], "u1", NULL, NULL, NULL, &r) == CP_OK,
			 "%s: redeem %s", rows[i].name, cp_status_code(r.status));
		CHECK_AT(rows[i].line, r.reward.id == want && code_reward(code[0]) == want &&
					       strcmp(r.reward.sku, sku + 5) == 0,
			 "%s: granted %u (%s), stored %lld, want %u", rows[i].name, r.reward.id,
			 r.reward.sku, code_reward(code[0]), want);
		/* With a key: the same statements, in a transaction. */
		snprintf(key, sizeof key, "k-statements-%zu", i);
		CHECK_AT(rows[i].line,
			 op(CP_OP_REDEEM, code[1], "u1", NULL, NULL, key, &r) == CP_OK &&
				 r.reward.id == want && code_reward(code[1]) == want,
			 "%s: keyed %s granted %u", rows[i].name, cp_status_code(r.status),
			 r.reward.id);
	}
}

/*
 * The fence: another connection whose cache still lists the old reward (it
 * redeemed a moment ago, through the fast statement) is granted the new one by
 * its first redemption after cp_campaign_update returned.
 */
static void test_fence(void)
{
	struct cp_format f;
	char codes[3][CP_CODE_MAX + 1];
	struct cp_redeem_result r;
	struct cp_redeem_req q;
	struct cp_db *other = tl_db_open(&cfg);
	struct cp_err e;
	uint32_t id = fx_campaign(db, "fenced", "FN", "", &f), now;

	fx_codes(db, id, &f, 0, 3, codes);
	set(id, "reward", "percent_off 5");
	q = fx_req(codes[0], "u1", NULL);
	cp_err_clear(&e);
	CHECK(cp_redeem(other, &q, &r, &e) == CP_OK && r.reward.percent == 500,
	      "other connection, before: %s %u", cp_status_code(r.status), r.reward.percent);
	set(id, "reward", "percent_off 6");
	now = reward_of(id);
	q = fx_req(codes[1], "u1", NULL);
	CHECK(cp_redeem(other, &q, &r, &e) == CP_OK && r.reward.id == now &&
		      r.reward.percent == 600 && code_reward(codes[1]) == now,
	      "other connection, after the change returned: granted %u (%u), stored %lld, want %u",
	      r.reward.id, r.reward.percent, code_reward(codes[1]), now);
	cp_db_close(other);
}

static bool stop_after_first(const struct cp_gen_progress *p, void *arg)
{
	(void)p;
	return (*(int *)arg)++ > 0;
}

/* The first code of campaign ID into OUT (the fixtures' codes claim batch 1 too). */
static void first_code(uint32_t id, char *out)
{
	char sql[160];
	MYSQL *m = db_mysql(db);
	MYSQL_RES *res;
	MYSQL_ROW row;

	out[0] = '\0';
	snprintf(sql, sizeof sql, "SELECT code FROM coupon_codes WHERE campaign_id = %u ORDER BY id",
		 (unsigned int)id);
	if (mysql_query(m, sql) != 0 || (res = mysql_store_result(m)) == NULL)
		return;
	if ((row = mysql_fetch_row(res)) != NULL && row[0] != NULL)
		snprintf(out, CP_CODE_MAX + 1, "%s", row[0]);
	mysql_free_result(res);
}

/* A batch's own expiry: on every code, after a resume too, and honoured. */
static void test_code_expiry(void)
{
	char sql[256], code[CP_CODE_MAX + 1];
	struct cp_gen_opts o = {.chunk = 5, .progress = stop_after_first};
	struct cp_redeem_result r;
	struct cp_redeem_req q;
	struct cp_code_info info;
	struct cp_batch b;
	struct cp_err e;
	uint32_t id = fx_campaign(db, "expiring", "EX", "", NULL);
	time_t when = time(NULL) + 3600;
	uint64_t bid = 0;
	int calls = 0;

	o.arg = &calls;
	cp_err_clear(&e);
	CHECK(cp_batch_create_expiring(db, id, CP_GEN_RANDOM, 20, time(NULL) - 1, &bid, &e) ==
			      CP_E_INVALID_ARGUMENT &&
		      strcmp(e.field, "code_expires_at") == 0,
	      "a past expiry: %s", e.msg);
	CHECK(cp_batch_create_expiring(db, id, CP_GEN_RANDOM, 20, when, &bid, &e) == CP_OK,
	      "create: %s", e.msg);
	CHECK(cp_batch_run(db, bid, &o, &b, &e) != CP_OK, "the first run stops after a chunk");
	o.progress = NULL;
	CHECK(cp_batch_run(db, bid, &o, &b, &e) == CP_OK && b.generated == 20 &&
		      b.code_expires_at == when,
	      "resumed: %s, %llu codes, expiry %lld", e.msg, (unsigned long long)b.generated,
	      (long long)b.code_expires_at);
	snprintf(sql, sizeof sql,
		 "SELECT COUNT(*) FROM coupon_codes WHERE campaign_id = %u AND expires_at IS NOT NULL",
		 (unsigned int)id);
	CHECK(tl_query_int(db, sql) == 20, "codes with the expiry: %lld", tl_query_int(db, sql));
	snprintf(sql, sizeof sql,
		 "SELECT COUNT(DISTINCT expires_at) FROM coupon_codes WHERE campaign_id = %u",
		 (unsigned int)id);
	CHECK(tl_query_int(db, sql) == 1, "one expiry, before and after the resume");
	first_code(id, code);
	CHECK(cp_code_show(db, code, strlen(code), &info, &e) == CP_OK && info.expires_at == when,
	      "code show: expiry %lld, want %lld", (long long)info.expires_at, (long long)when);
	/* Past its own expiry (the campaign has none) the code is refused. */
	snprintf(sql, sizeof sql,
		 "UPDATE coupon_codes SET expires_at = NOW(6) - INTERVAL 1 SECOND WHERE code = '%s'",
		 code);
	tl_exec(db, sql);
	q = fx_req(code, "u1", NULL);
	CHECK(cp_redeem(db, &q, &r, &e) == CP_E_EXPIRED, "redeem past the code's expiry: %s",
	      cp_status_code(r.status));
}

/* Events carry the reward their change was granted. */
static void test_events(void)
{
	struct cp_event ev[8];
	struct cp_err e;
	size_t n = 0;

	CHECK(tl_query_int(db, "SELECT COUNT(*) FROM outbox o JOIN coupon_codes c ON c.code = o.code"
			       " WHERE o.reward_id = c.reward_id") == 2,
	      "the eventful campaign's two redemptions: outbox rows with their reward");
	cp_err_clear(&e);
	CHECK(cp_outbox_claim(db, "test", 8, 30, ev, &n, &e) == CP_OK && n == 2, "claim: %s, %zu",
	      e.msg, n);
	for (size_t i = 0; i < n; i++)
		CHECK(strcmp(ev[i].reward, "{\"type\":\"item\",\"sku\":\"SKU-1\"}") == 0,
		      "event %zu reward '%s'", i, ev[i].reward);
}

static void test_min_order(void)
{
	static const struct {
		int line;
		const char *amount; /* NULL = not given */
		enum cp_status st;
	} rows[] = {
		{__LINE__, NULL, CP_E_ORDER_AMOUNT_REQUIRED},
		{__LINE__, "60 USD", CP_E_CURRENCY_MISMATCH},
		{__LINE__, "49.99 EUR", CP_E_ORDER_BELOW_MINIMUM},
		{__LINE__, "50 EUR", CP_OK},
	};
	static const enum cp_op ops[] = {CP_OP_VALIDATE, CP_OP_RESERVE, CP_OP_REDEEM};
	struct cp_format f;
	char codes[8][CP_CODE_MAX + 1];
	struct cp_redeem_result r;
	uint32_t id = fx_campaign(db, "minimum", "MIN", "", &f);

	fx_codes(db, id, &f, 0, 8, codes);
	set(id, "min_order", "50 EUR");
	set(id, "reward", "amount_off 10 EUR");
	for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
		for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
			struct cp_money m;
			const char *code = codes[o];
			enum cp_status st;

			if (rows[i].amount != NULL)
				cp_money_parse_text(rows[i].amount, &m, NULL);
			st = op(ops[o], code, "u1", NULL, rows[i].amount ? &m : NULL, NULL, &r);
			CHECK_AT(rows[i].line, st == rows[i].st, "%s with %s: %s", cp_op_name(ops[o]),
				 rows[i].amount ? rows[i].amount : "no amount", cp_status_code(st));
			if (st == CP_OK)
				continue;
			CHECK_AT(rows[i].line,
				 r.reward.min_order.minor == 5000 &&
					 strcmp(r.reward.min_order.currency, "EUR") == 0,
				 "%s: the refusal carries minimum %lld %s", cp_op_name(ops[o]),
				 (long long)r.reward.min_order.minor, r.reward.min_order.currency);
			CHECK_AT(rows[i].line, code_status_is(code, "available") == 1 &&
						       code_reward(code) == -1,
				 "%s: a refusal changed the code", cp_op_name(ops[o]));
		}
	}
	/* A raised minimum holds once the change has returned. */
	set(id, "min_order", "100 EUR");
	{
		struct cp_money m;

		cp_money_parse_text("99 EUR", &m, NULL);
		CHECK(op(CP_OP_REDEEM, codes[5], "u1", NULL, &m, NULL, &r) == CP_E_ORDER_BELOW_MINIMUM,
		      "raised minimum: %s", cp_status_code(r.status));
		CHECK(r.reward.min_order.minor == 10000, "the new minimum: %lld",
		      (long long)r.reward.min_order.minor);
		cp_money_parse_text("100.00 EUR", &m, NULL);
		CHECK(op(CP_OP_REDEEM, codes[5], "u1", NULL, &m, NULL, &r) == CP_OK,
		      "at the raised minimum: %s", cp_status_code(r.status));
	}
	/* An idempotent refusal is stored and replayed as it was. */
	CHECK(op(CP_OP_REDEEM, codes[6], "u1", NULL, NULL, "k-min", &r) == CP_E_ORDER_AMOUNT_REQUIRED,
	      "keyed refusal: %s", cp_status_code(r.status));
	set(id, "min_order", "");
	CHECK(op(CP_OP_REDEEM, codes[6], "u1", NULL, NULL, "k-min", &r) == CP_E_ORDER_AMOUNT_REQUIRED &&
		      r.replay && r.reward.min_order.minor == 10000,
	      "keyed refusal replay: %s replay %d", cp_status_code(r.status), r.replay);
	/* Without a minimum now, the same code goes without an amount. */
	CHECK(op(CP_OP_REDEEM, codes[7], "u1", NULL, NULL, NULL, &r) == CP_OK,
	      "minimum removed: %s", cp_status_code(r.status));
}

/* Bad settings are refused with their own codes and store nothing. */
static void test_refusals(void)
{
	static const struct {
		int line;
		const char *field, *text;
		enum cp_status st;
	} rows[] = {
		{__LINE__, "reward", "percent_off 101", CP_E_INVALID_REWARD},
		{__LINE__, "reward", "amount_off 5 XXX", CP_E_INVALID_CURRENCY},
		{__LINE__, "reward", "amount_off 5.001 EUR", CP_E_INVALID_AMOUNT},
		{__LINE__, "reward", "bogus", CP_E_INVALID_REWARD},
		{__LINE__, "min_order", "5", CP_E_INVALID_AMOUNT},
		{__LINE__, "min_order", "5 QQQ", CP_E_INVALID_CURRENCY},
		{__LINE__, "metadata", "[1]", CP_E_INVALID_METADATA},
		{__LINE__, "metadata", "{\"a\":}", CP_E_INVALID_METADATA},
	};
	struct cp_campaign c;
	struct cp_err e;
	long long before = tl_query_int(db, "SELECT COUNT(*) FROM campaign_rewards");

	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		enum cp_status st;

		cp_campaign_init(&c);
		cp_err_clear(&e);
		st = cp_campaign_set(&c, rows[i].field, rows[i].text, &e);
		CHECK_AT(rows[i].line, st == rows[i].st && strcmp(e.field, rows[i].field) == 0,
			 "%s '%s': %s field '%s' (%s)", rows[i].field, rows[i].text,
			 cp_status_code(st), e.field, e.msg);
	}
	CHECK(tl_query_int(db, "SELECT COUNT(*) FROM campaign_rewards") == before,
	      "a refusal stored a reward");
	/* Created with everything: read back the same. */
	cp_campaign_init(&c);
	CHECK(cp_campaign_set(&c, "name", "complete", &e) == CP_OK &&
		      cp_campaign_set(&c, "reward", "item GAME-123", &e) == CP_OK &&
		      cp_campaign_set(&c, "min_order", "1500 JPY", &e) == CP_OK &&
		      cp_campaign_set(&c, "metadata", "{\"n\": 1.50, \"s\": \"\\u00e9\"}", &e) == CP_OK &&
		      cp_campaign_create(db, &c, &e) == CP_OK,
	      "create: %s", e.msg);
	{
		struct cp_campaign back;

		CHECK(cp_campaign_get(db, c.id, &back, &e) == CP_OK &&
			      cp_reward_same(&back.reward, &c.reward) &&
			      strcmp(back.reward.metadata, "{\"n\": 1.50, \"s\": \"\\u00e9\"}") == 0,
		      "read back: %s / %s", back.reward.sku, back.reward.metadata);
	}
}

int main(void)
{
	db = tl_db_fresh("reward", &cfg);
	test_granted();
	test_statements();
	test_events();
	test_fence();
	test_code_expiry();
	test_min_order();
	test_refusals();
	cp_db_close(db);
	return tl_done("test_reward");
}
