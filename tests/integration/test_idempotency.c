/*
 * Idempotency keys (replay, conflict, in progress, stale take-over, purge), the
 * support operations unredeem and expire with their code_events, and API keys.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "redeem_fixture.h"
#include "testlib.h"

static struct cp_config cfg;
static struct cp_db *db;
static struct cp_format fmt;
static uint32_t camp, spend;
static char codes[20][CP_CODE_MAX + 1], spent[4][CP_CODE_MAX + 1];

static enum cp_status op_key(struct cp_db *d, enum cp_op op, const char *code, const char *user,
			     const char *order, const char *key, struct cp_redeem_result *r)
{
	struct cp_redeem_req q = fx_req(code, user, order);
	struct cp_err e;

	q.api_key_id = 7;
	q.idem_key = key;
	q.ttl = 60;
	return cp_redeem_op(d, op, &q, r, &e);
}

static long long count(const char *fmt_, const char *arg)
{
	char sql[512];

	snprintf(sql, sizeof sql, fmt_, arg);
	return tl_query_int(db, sql);
}

static void replay_and_conflict(void)
{
	struct cp_redeem_result a, b;

	CHECK(op_key(db, CP_OP_REDEEM, codes[0], "u1", "o1", "k1", &a) == CP_OK, "first: %s",
	      cp_status_code(a.status));
	CHECK(!a.replay, "first is no replay");
	CHECK(op_key(db, CP_OP_REDEEM, codes[0], "u1", "o1", "k1", &b) == CP_OK, "repeat: %s",
	      cp_status_code(b.status));
	CHECK(b.replay, "repeat is a replay");
	CHECK(a.redeemed_at == b.redeemed_at && a.campaign_id == b.campaign_id &&
		      strcmp(a.campaign_name, b.campaign_name) == 0 && strcmp(a.code, b.code) == 0,
	      "replay reproduces the result");
	CHECK(op_key(db, CP_OP_REDEEM, codes[1], "u1", "o1", "k1", &b) ==
		      CP_E_IDEMPOTENCY_CONFLICT, "other code, same key: %s", cp_status_code(b.status));
	CHECK(op_key(db, CP_OP_REDEEM, codes[0], "u2", "o1", "k1", &b) ==
		      CP_E_IDEMPOTENCY_CONFLICT, "other user, same key");
	CHECK(op_key(db, CP_OP_RESERVE, codes[0], "u1", "o1", "k1", &b) ==
		      CP_E_IDEMPOTENCY_CONFLICT, "other operation, same key");
	CHECK(count("SELECT COUNT(*) FROM coupon_codes WHERE code = '%s' AND status = 'redeemed'",
		    codes[1]) == 0, "the conflicting request changed nothing");
	/* A refusal is stored too: the repeat gets the same refusal. */
	CHECK(op_key(db, CP_OP_REDEEM, codes[0], "u9", NULL, "k2", &a) == CP_E_ALREADY_REDEEMED,
	      "refusal");
	tl_exec(db, "UPDATE coupon_codes SET status = 'available' WHERE status = 'redeemed'");
	CHECK(op_key(db, CP_OP_REDEEM, codes[0], "u9", NULL, "k2", &b) == CP_E_ALREADY_REDEEMED &&
		      b.replay, "the refusal replayed, though the code is available now");
	CHECK(count("SELECT COUNT(*) FROM idempotency_keys WHERE idem_key = '%s'"
		    " AND state = 'done' AND http_status = 409", "k2") == 1, "stored 409");
	/* Keys are per API client. */
	{
		struct cp_redeem_req q = fx_req(codes[0], "u9", NULL);
		struct cp_err e;

		q.api_key_id = 8;
		q.idem_key = "k2";
		CHECK(cp_redeem(db, &q, &a, &e) == CP_OK && !a.replay, "other client, same key");
	}
}

/* Holds the code's row lock so a redemption blocks in its UPDATE. */
struct blocked {
	const char *code;
	enum cp_status st;
	struct cp_redeem_result r;
};

static void *blocked_redeem(void *arg)
{
	struct blocked *b = arg;
	struct cp_db *d = tl_db_open(&cfg);

	b->st = op_key(d, CP_OP_REDEEM, b->code, "slow", NULL, "k3", &b->r);
	cp_db_close(d);
	return NULL;
}

static void in_progress(void)
{
	struct cp_db *locker = tl_db_open(&cfg);
	struct blocked b = {codes[2], CP_E_INTERNAL, {0}};
	struct cp_redeem_result r;
	char sql[256];
	pthread_t t;

	tl_exec(locker, "START TRANSACTION");
	snprintf(sql, sizeof sql, "SELECT id FROM coupon_codes WHERE code = '%s' FOR UPDATE",
		 codes[2]);
	tl_exec(locker, sql);
	pthread_create(&t, NULL, blocked_redeem, &b);
	/* Until the claim row shows up (30 s at most, for a loaded machine). */
	for (int i = 0; i < 3000 && count("SELECT COUNT(*) FROM idempotency_keys WHERE idem_key"
					 " = '%s'", "k3") == 0; i++)
		usleep(10000);
	usleep(100000);
	CHECK(op_key(db, CP_OP_REDEEM, codes[2], "slow", NULL, "k3", &r) == CP_E_IN_PROGRESS,
	      "concurrent duplicate: %s", cp_status_code(r.status));
	tl_exec(locker, "COMMIT");
	pthread_join(t, NULL);
	CHECK(b.st == CP_OK, "the first finished: %s", cp_status_code(b.st));
	CHECK(op_key(db, CP_OP_REDEEM, codes[2], "slow", NULL, "k3", &r) == CP_OK && r.replay,
	      "after it finished: replay");
	cp_db_close(locker);
}

/* A claim whose holder died is taken over once it is stale. */
static void stale_claim(void)
{
	struct cp_redeem_result r;

	CHECK(op_key(db, CP_OP_RESERVE, codes[3], "u4", NULL, "k4", &r) == CP_OK, "reserve");
	tl_exec(db, "UPDATE idempotency_keys SET state = 'in_progress', response = 'claim:dead',"
		    " http_status = NULL, claimed_at = NOW(6) WHERE idem_key = 'k4'");
	CHECK(op_key(db, CP_OP_RESERVE, codes[3], "u4", NULL, "k4", &r) == CP_E_IN_PROGRESS,
	      "fresh foreign claim: %s", cp_status_code(r.status));
	tl_exec(db, "UPDATE idempotency_keys SET claimed_at = NOW(6) - INTERVAL 1 HOUR"
		    " WHERE idem_key = 'k4'");
	CHECK(op_key(db, CP_OP_RESERVE, codes[3], "u4", NULL, "k4", &r) == CP_OK && !r.replay,
	      "stale claim taken over: %s", cp_status_code(r.status));
	CHECK(count("SELECT COUNT(*) FROM idempotency_keys WHERE idem_key = '%s'"
		    " AND state = 'done'", "k4") == 1, "and stored");
}

static void purge(void)
{
	uint64_t n = 0;
	struct cp_err e;

	tl_exec(db, "UPDATE idempotency_keys SET created_at = NOW(6) - INTERVAL 2 DAY"
		    " WHERE idem_key IN ('k1', 'k2')");
	CHECK(cp_idempotency_purge(db, 86400, &n, &e) == CP_OK, "purge: %s", e.msg);
	CHECK(n == 3, "purged %llu, want 3 (k1, k2 of two clients)", (unsigned long long)n);
	CHECK(count("SELECT COUNT(*) FROM idempotency_keys WHERE idem_key LIKE '%s'", "k%") == 2,
	      "the young keys stay");
}

static void admin_ops(void)
{
	struct cp_redeem_result r;
	struct cp_code_info info;
	struct cp_err e;
	struct cp_redeem_req q = fx_req(codes[5], "cust", "ord");

	CHECK(cp_code_unredeem(db, codes[5], strlen(codes[5]), "alice", "refund", &info, &e) ==
		      CP_E_NOT_REDEEMED, "unredeem an available code");
	CHECK(cp_redeem(db, &q, &r, &e) == CP_OK, "redeem");
	CHECK(cp_code_show(db, codes[5], strlen(codes[5]), &info, &e) == CP_OK &&
		      info.status == CP_CODE_REDEEMED && strcmp(info.user_id, "cust") == 0 &&
		      info.redeemable == CP_E_ALREADY_REDEEMED, "show redeemed");
	CHECK(cp_code_unredeem(db, codes[5], strlen(codes[5]), "alice", "refund", &info, &e) ==
		      CP_OK, "unredeem: %s", e.msg);
	CHECK(info.status == CP_CODE_AVAILABLE && info.redeemable == CP_OK, "restored");
	CHECK(count("SELECT COUNT(*) FROM code_events WHERE action = 'unredeem' AND actor ="
		    " 'alice' AND prior_status = 'redeemed' AND prior_user_id = 'cust' AND"
		    " prior_order_id = 'ord' AND prior_redeemed_at IS NOT NULL AND reason = '%s'",
		    "refund") == 1, "unredeem event");
	CHECK(cp_redeem(db, &q, &r, &e) == CP_OK && !r.replay, "redeemable again");
	/* Policy spend: the refunded code stays unusable. */
	q = fx_req(spent[0], "cust", NULL);
	CHECK(cp_redeem(db, &q, &r, &e) == CP_OK, "redeem spend code");
	CHECK(cp_code_unredeem(db, spent[0], strlen(spent[0]), "bob", NULL, &info, &e) == CP_OK &&
		      info.status == CP_CODE_EXPIRED &&
		      strcmp(info.expired_reason, "refunded") == 0, "spend: expired, refunded");
	CHECK(cp_redeem(db, &q, &r, &e) == CP_E_EXPIRED, "spent code refused");
	/* Expire, with the prior state recorded. */
	q = fx_req(codes[6], "holder", NULL);
	CHECK(cp_reserve(db, &q, &r, &e) == CP_OK, "reserve before expiry");
	CHECK(cp_code_expire(db, codes[6], strlen(codes[6]), "carol", "leaked", &info, &e) ==
		      CP_OK && info.status == CP_CODE_EXPIRED &&
		      strcmp(info.expired_reason, "leaked") == 0, "expire: %s", e.msg);
	CHECK(count("SELECT COUNT(*) FROM code_events WHERE action = 'expire' AND actor = 'carol'"
		    " AND prior_status = 'pending' AND prior_user_id = '%s'", "holder") == 1,
	      "expire event");
	CHECK(cp_code_expire(db, codes[6], strlen(codes[6]), "carol", NULL, &info, &e) ==
		      CP_E_EXPIRED, "expire twice");
	CHECK(cp_confirm(db, &q, &r, &e) == CP_E_EXPIRED, "confirm an expired code");
	CHECK(cp_code_show(db, "NOPE", 4, &info, &e) == CP_E_INVALID_CODE ||
		      cp_code_show(db, "NOPE", 4, &info, &e) == CP_E_UNKNOWN_CODE, "show junk");
}

static void limit_and_unredeem(void)
{
	char sql[256];
	struct cp_redeem_result r;
	struct cp_code_info info;
	struct cp_err e;
	struct cp_redeem_req q = fx_req(codes[7], "lim", NULL);

	snprintf(sql, sizeof sql, "UPDATE campaigns SET per_user_limit = 1 WHERE id = %u", camp);
	tl_exec(db, sql);
	cp_campaign_cache_reset(db);
	CHECK(cp_redeem(db, &q, &r, &e) == CP_OK, "first under limit");
	q = fx_req(codes[8], "lim", NULL);
	CHECK(cp_redeem(db, &q, &r, &e) == CP_E_USER_LIMIT, "second refused");
	CHECK(cp_code_unredeem(db, codes[7], strlen(codes[7]), "alice", NULL, &info, &e) == CP_OK,
	      "refund gives the use back");
	CHECK(cp_redeem(db, &q, &r, &e) == CP_OK, "then the second goes through: %s",
	      cp_status_code(r.status));
	/* With an idempotency key, a refused increment is stored and replayed. */
	q = fx_req(codes[9], "lim", NULL);
	CHECK(op_key(db, CP_OP_REDEEM, codes[9], "lim", NULL, "k5", &r) == CP_E_USER_LIMIT,
	      "limit with key");
	CHECK(op_key(db, CP_OP_REDEEM, codes[9], "lim", NULL, "k5", &r) == CP_E_USER_LIMIT &&
		      r.replay, "limit replayed");
	CHECK(count("SELECT COUNT(*) FROM coupon_codes WHERE code = '%s' AND status ="
		    " 'available'", codes[9]) == 1, "refused code left available");
}

struct seen {
	unsigned int n;
	bool revoked;
};

static void seen_key(const struct cp_apikey *k, void *arg)
{
	struct seen *s = arg;

	s->n++;
	if (strcmp(k->name, "shop") == 0)
		s->revoked = k->revoked_at != 0;
}

static void api_keys(void)
{
	char secret[CP_APIKEY_SECRET_LEN + 1], other[CP_APIKEY_SECRET_LEN + 1];
	uint32_t id = 0, vid = 0;
	unsigned int scopes = 0;
	struct seen s = {0, false};
	struct cp_err e;

	CHECK(cp_apikey_create(db, "shop", CP_SCOPE_REDEEM, secret, sizeof secret, &id, &e) ==
		      CP_OK, "create: %s", e.msg);
	CHECK(strlen(secret) == CP_APIKEY_SECRET_LEN && strncmp(secret, "cpk_", 4) == 0,
	      "secret form %s", secret);
	CHECK(cp_apikey_create(db, "shop", CP_SCOPE_ADMIN, other, sizeof other, NULL, &e) ==
		      CP_E_EXISTS, "name taken");
	CHECK(count("SELECT COUNT(*) FROM api_keys WHERE secret_sha256 = UNHEX(SHA2('%s', 256))",
		    secret) == 1, "stored as SHA-256");
	CHECK(count("SELECT COUNT(*) FROM api_keys WHERE HEX(secret_sha256) LIKE '%%%s%%'",
		    secret + 10) == 0, "secret not stored");
	CHECK(cp_apikey_verify(db, secret, strlen(secret), &vid, &scopes, &e) == CP_OK &&
		      vid == id && scopes == CP_SCOPE_REDEEM, "verify");
	CHECK(cp_scope_allows(scopes, CP_SCOPE_REDEEM) && !cp_scope_allows(scopes, CP_SCOPE_ADMIN),
	      "redeem scope");
	CHECK(cp_scope_allows(CP_SCOPE_ADMIN, CP_SCOPE_REDEEM), "admin implies redeem");
	memcpy(other, secret, sizeof other);
	other[CP_APIKEY_SECRET_LEN - 1] ^= 1;
	CHECK(cp_apikey_verify(db, other, strlen(other), &vid, &scopes, &e) == CP_E_UNAUTHORIZED,
	      "one symbol off");
	CHECK(cp_apikey_verify(db, "cpk_x", 5, &vid, &scopes, &e) == CP_E_UNAUTHORIZED, "junk");
	CHECK(cp_apikey_verify(db, secret, strlen(secret) - 1, &vid, &scopes, &e) ==
		      CP_E_UNAUTHORIZED, "truncated");
	CHECK(cp_apikey_create(db, "ops", CP_SCOPE_ADMIN | CP_SCOPE_REDEEM, other, sizeof other,
			       NULL, &e) == CP_OK, "second key");
	CHECK(cp_apikey_revoke(db, "shop", &e) == CP_OK, "revoke");
	CHECK(cp_apikey_verify(db, secret, strlen(secret), &vid, &scopes, &e) == CP_E_UNAUTHORIZED,
	      "revoked key refused");
	CHECK(cp_apikey_revoke(db, "nosuch", &e) == CP_E_NOT_FOUND, "revoke unknown");
	CHECK(cp_apikey_verify(db, other, strlen(other), &vid, &scopes, &e) == CP_OK &&
		      scopes == (CP_SCOPE_ADMIN | CP_SCOPE_REDEEM), "other key still works");
	CHECK(cp_apikey_list(db, seen_key, &s, &e) == CP_OK && s.n == 2 && s.revoked, "list");
	{
		char num[16];

		snprintf(num, sizeof num, "%u", vid);
		CHECK(cp_apikey_revoke(db, num, &e) == CP_OK, "revoke by id");
		CHECK(cp_apikey_verify(db, other, strlen(other), &vid, &scopes, &e) ==
			      CP_E_UNAUTHORIZED, "revoked by id");
	}
}

int main(void)
{
	db = tl_db_fresh("idem", &cfg);
	camp = fx_campaign(db, "idem", "I", "", &fmt);
	fx_codes(db, camp, &fmt, 0, 20, codes);
	spend = fx_campaign(db, "spend", "S", "unredeem_policy = 'spend'", &fmt);
	fx_codes(db, spend, &fmt, 0, 4, spent);
	replay_and_conflict();
	in_progress();
	stale_claim();
	purge();
	admin_ops();
	limit_and_unredeem();
	api_keys();
	cp_db_close(db);
	cp_config_free(&cfg);
	return tl_done("test_idempotency");
}
