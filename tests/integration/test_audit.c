/*
 * The audit log: each administrative change through core writes exactly one
 * audit_log row with the right actor, action, object and before/after, in the
 * change's own transaction: a change that is refused writes none, and a change
 * whose audit row cannot be written does not happen. Every before/after is
 * valid JSON to the server (JSON_VALID), names with quotes and backslashes too.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "redeem_fixture.h"
#include "testlib.h"

static struct cp_db *db;

static long long rows(void)
{
	return tl_query_int(db, "SELECT COUNT(*) FROM audit_log");
}

static bool keep_first(const struct cp_audit_entry *a, void *arg)
{
	memcpy(arg, a, sizeof *a);
	return false;
}

/* The newest row. */
static void newest(struct cp_audit_entry *a)
{
	struct cp_audit_filter f = {.limit = 1};
	struct cp_err e;

	memset(a, 0, sizeof *a);
	cp_err_clear(&e);
	CHECK(cp_audit_list(db, &f, keep_first, a, &e) == CP_OK, "list: %s", e.msg);
}

/*
 * One row more than BEFORE, the newest with ACTION on TYPE ID by ACTOR, its
 * before and after holding the fragments given (NULL: the column is NULL).
 */
static void expect_row(int line, long long before_rows, const char *action, const char *type,
		       uint64_t id, const char *actor, const char *before, const char *after)
{
	static struct cp_audit_entry a;

	CHECK_AT(line, rows() == before_rows + 1, "%s: %lld rows, want %lld", action, rows(),
		 before_rows + 1);
	newest(&a);
	CHECK_AT(line, strcmp(a.action, action) == 0, "action %s, want %s", a.action, action);
	CHECK_AT(line, strcmp(a.object_type, type) == 0, "%s: object %s", action, a.object_type);
	CHECK_AT(line, a.object_id == id, "%s: object id %llu, want %llu", action,
		 (unsigned long long)a.object_id, (unsigned long long)id);
	CHECK_AT(line, strcmp(a.actor, actor) == 0, "%s: actor '%s', want '%s'", action, a.actor,
		 actor);
	CHECK_AT(line, before == NULL ? a.before[0] == '\0' : strstr(a.before, before) != NULL,
		 "%s: before %s, want %s", action, a.before, before ? before : "NULL");
	CHECK_AT(line, after == NULL ? a.after[0] == '\0' : strstr(a.after, after) != NULL,
		 "%s: after %s, want %s", action, a.after, after ? after : "NULL");
	CHECK_AT(line, a.at > 0 && a.at <= time(NULL) + 5, "%s: at %lld", action, (long long)a.at);
}

static void campaigns(uint32_t *id)
{
	struct cp_campaign c, u;
	struct cp_err e;
	long long n;

	cp_db_set_actor(db, "ops@host1");
	cp_campaign_init(&c);
	snprintf(c.name, sizeof c.name, "say \"hi\" \\ there");
	c.planned_codes = 1000;
	n = rows();
	cp_err_clear(&e);
	CHECK(cp_campaign_create(db, &c, &e) == CP_OK, "create: %s", e.msg);
	*id = c.id;
	expect_row(__LINE__, n, "campaign.create", "campaign", c.id, "ops@host1", NULL,
		   "\"name\":\"say \\\"hi\\\" \\\\ there\"");

	/* A name taken: refused, nothing recorded. */
	n = rows();
	CHECK(cp_campaign_create(db, &c, &e) == CP_E_EXISTS, "duplicate create");
	CHECK(rows() == n, "a refused create wrote %lld rows", rows() - n);

	u = c;
	u.per_user_limit = 3;
	u.expires_at = 4102444800; /* 2100-01-01 */
	n = rows();
	CHECK(cp_campaign_update(db, &u, &e) == CP_OK, "update: %s", e.msg);
	expect_row(__LINE__, n, "campaign.update", "campaign", c.id, "ops@host1",
		   "\"per_user_limit\":0", "\"expires_at\":\"2100-01-01T00:00:00Z\"");

	/* The same values again change no row and record nothing. */
	n = rows();
	CHECK(cp_campaign_update(db, &u, &e) == CP_OK, "update again: %s", e.msg);
	CHECK(rows() == n, "an update that changed nothing wrote a row");

	/* A bad window is refused before anything is written. */
	u.starts_at = 4102444800 + 10;
	CHECK(cp_campaign_update(db, &u, &e) == CP_E_INVALID_ARGUMENT, "bad window accepted");
	CHECK(rows() == n, "a refused update wrote a row");

	n = rows();
	CHECK(cp_campaign_set_status(db, c.id, CP_CAMPAIGN_PAUSED, &e) == CP_OK, "pause: %s", e.msg);
	expect_row(__LINE__, n, "campaign.pause", "campaign", c.id, "ops@host1",
		   "\"status\":\"active\"", "\"status\":\"paused\"");
	n = rows();
	CHECK(cp_campaign_set_status(db, c.id, CP_CAMPAIGN_PAUSED, &e) == CP_OK, "pause again");
	CHECK(rows() == n, "pausing a paused campaign wrote a row");
	CHECK(cp_campaign_set_status(db, c.id, CP_CAMPAIGN_ACTIVE, &e) == CP_OK, "resume: %s",
	      e.msg);
	expect_row(__LINE__, n, "campaign.resume", "campaign", c.id, "ops@host1",
		   "\"status\":\"paused\"", "\"status\":\"active\"");

	/* Same transaction: without its audit row the change does not happen. */
	tl_exec(db, "RENAME TABLE audit_log TO audit_log_away");
	CHECK(cp_campaign_set_status(db, c.id, CP_CAMPAIGN_PAUSED, &e) != CP_OK,
	      "a pause without an audit log succeeded");
	tl_exec(db, "RENAME TABLE audit_log_away TO audit_log");
	CHECK(tl_query_intf(db, "SELECT status = 'active' FROM campaigns WHERE id = %u", c.id) == 1,
	      "the pause whose audit row failed was kept");
}

static void archive(void)
{
	struct cp_campaign c;
	struct cp_err e;
	long long n;

	cp_campaign_init(&c);
	snprintf(c.name, sizeof c.name, "old");
	c.planned_codes = 1000;
	cp_err_clear(&e);
	CHECK(cp_campaign_create(db, &c, &e) == CP_OK, "create: %s", e.msg);
	n = rows();
	CHECK(cp_campaign_set_status(db, c.id, CP_CAMPAIGN_ARCHIVED, &e) == CP_OK, "archive: %s",
	      e.msg);
	expect_row(__LINE__, n, "campaign.archive", "campaign", c.id, "ops@host1",
		   "\"status\":\"active\"", "\"status\":\"archived\"");
	n = rows();
	CHECK(cp_campaign_set_status(db, c.id, CP_CAMPAIGN_PAUSED, &e) == CP_E_CONFLICT,
	      "pause of an archived campaign: %s", e.msg);
	CHECK(rows() == n, "a refused pause wrote a row");
	CHECK(cp_campaign_update(db, &c, &e) == CP_E_CONFLICT, "update of an archived campaign");
	CHECK(rows() == n, "a refused update wrote a row");
}

static void codes(void)
{
	char code[3][CP_CODE_MAX + 1];
	struct cp_format f;
	struct cp_redeem_req q;
	struct cp_redeem_result r;
	struct cp_err e;
	uint32_t id = fx_campaign(db, "codes", "", "", &f);
	uint64_t expired = 0;
	long long n, code_id;

	fx_codes(db, id, &f, 0, 3, code);
	q = fx_req(code[0], "alice", "order-1");
	cp_err_clear(&e);
	CHECK(cp_redeem(db, &q, &r, &e) == CP_OK, "redeem: %s", e.msg);
	code_id = tl_query_intf(db, "SELECT id FROM coupon_codes WHERE code = '%s'", code[0]);

	n = rows();
	CHECK(cp_code_unredeem(db, code[0], strlen(code[0]), "bob@desk", "refund", NULL, &e) == CP_OK,
	      "unredeem: %s", e.msg);
	expect_row(__LINE__, n, "code.unredeem", "code", (uint64_t)code_id, "bob@desk",
		   "\"status\":\"redeemed\",\"user_id\":\"alice\",\"order_id\":\"order-1\"",
		   "\"status\":\"available\",\"reason\":\"refund\"");
	n = rows();
	CHECK(cp_code_unredeem(db, code[0], strlen(code[0]), "bob@desk", NULL, NULL, &e) ==
		      CP_E_NOT_REDEEMED, "unredeem of an available code");
	CHECK(rows() == n, "a refused unredeem wrote a row");

	CHECK(cp_code_expire(db, code[1], strlen(code[1]), "bob@desk", "leaked", NULL, &e) == CP_OK,
	      "expire: %s", e.msg);
	expect_row(__LINE__, n, "code.expire", "code",
		   (uint64_t)tl_query_intf(db, "SELECT id FROM coupon_codes WHERE code = '%s'",
					   code[1]),
		   "bob@desk", "\"status\":\"available\"", "\"status\":\"expired\"");
	n = rows();
	CHECK(cp_code_expire(db, code[1], strlen(code[1]), "bob@desk", NULL, NULL, &e) == CP_E_EXPIRED,
	      "expire of an expired code");
	CHECK(rows() == n, "a refused expire wrote a row");

	/* codes 0 and 2 are available now */
	CHECK(cp_expire_codes(db, id, 0, "carol@desk", "leak", &expired, &e) == CP_OK,
	      "expire the campaign: %s", e.msg);
	CHECK(expired == 2, "expired %llu codes", (unsigned long long)expired);
	expect_row(__LINE__, n, "campaign.expire", "campaign", id, "carol@desk", NULL,
		   "{\"expired\":2,\"reason\":\"leak\"}");

	{
		char dir[] = "/tmp/cpt_audit_XXXXXX", path[64];
		struct cp_export_opts o = {.campaign_id = id, .actor = "dave@desk"};
		struct cp_export_result res;

		CHECK(mkdtemp(dir) != NULL, "mkdtemp");
		snprintf(path, sizeof path, "%s/out.csv", dir);
		o.path = path;
		n = rows();
		CHECK(cp_export(db, &o, &res, &e) == CP_OK, "export: %s", e.msg);
		expect_row(__LINE__, n, "export", "campaign", id, "dave@desk", NULL, "\"count\":3");
		unlink(path);
		snprintf(path, sizeof path, "%s/out.csv.sha256", dir);
		unlink(path);
		rmdir(dir);
	}
}

static void apikeys(void)
{
	char secret[CP_APIKEY_SECRET_LEN + 1], ref[16];
	static struct cp_audit_entry a;
	struct cp_err e;
	uint32_t id = 0;
	long long n = rows();

	cp_db_set_actor(db, "api-key:7");
	cp_err_clear(&e);
	CHECK(cp_apikey_create(db, "shop", CP_SCOPE_REDEEM, secret, sizeof secret, &id, &e) == CP_OK,
	      "apikey create: %s", e.msg);
	expect_row(__LINE__, n, "apikey.create", "apikey", id, "api-key:7", NULL,
		   "\"name\":\"shop\"");
	newest(&a);
	CHECK(strstr(a.after, secret + 4) == NULL && strstr(a.after, "cpk_") == NULL,
	      "the secret is in the audit log: %s", a.after);
	n = rows();
	CHECK(cp_apikey_create(db, "shop", CP_SCOPE_REDEEM, secret, sizeof secret, NULL, &e) ==
		      CP_E_EXISTS, "duplicate key");
	CHECK(rows() == n, "a refused key wrote a row");

	snprintf(ref, sizeof ref, "%u", id);
	CHECK(cp_apikey_revoke(db, ref, &e) == CP_OK, "revoke: %s", e.msg);
	expect_row(__LINE__, n, "apikey.revoke", "apikey", id, "api-key:7", "\"revoked\":false",
		   "\"revoked\":true");
	n = rows();
	CHECK(cp_apikey_revoke(db, "shop", &e) == CP_OK, "revoke again: %s", e.msg);
	CHECK(rows() == n, "revoking a revoked key wrote a row");
	CHECK(cp_apikey_revoke(db, "nosuch", &e) == CP_E_NOT_FOUND, "revoke of no key");
	CHECK(rows() == n, "a refused revoke wrote a row");
}

static bool count_row(const struct cp_audit_entry *a, void *arg)
{
	uint64_t *last = arg;

	CHECK(last[0] == 0 || a->id < last[0], "not newest first: %llu after %llu",
	      (unsigned long long)a->id, (unsigned long long)last[0]);
	last[0] = a->id;
	last[1]++;
	return true;
}

static void listing(void)
{
	struct cp_audit_filter f = {.limit = 2};
	struct cp_err e;
	uint64_t seen[2] = {0, 0}, total = 0;
	long long all = rows();

	cp_err_clear(&e);
	/* Pages of two, each starting below the last id of the one before: every row once. */
	for (;;) {
		seen[1] = 0;
		CHECK(cp_audit_list(db, &f, count_row, seen, &e) == CP_OK, "list: %s", e.msg);
		total += seen[1];
		if (seen[1] < 2)
			break;
		f.before_id = seen[0];
	}
	CHECK((long long)total == all, "pages saw %llu of %lld rows", (unsigned long long)total, all);

	memset(seen, 0, sizeof seen);
	f = (struct cp_audit_filter){.action = "campaign.pause"};
	CHECK(cp_audit_list(db, &f, count_row, seen, &e) == CP_OK, "list by action: %s", e.msg);
	CHECK(seen[1] == 1, "%llu campaign.pause rows", (unsigned long long)seen[1]);

	memset(seen, 0, sizeof seen);
	f = (struct cp_audit_filter){.since = time(NULL) + 3600};
	CHECK(cp_audit_list(db, &f, count_row, seen, &e) == CP_OK, "list since: %s", e.msg);
	CHECK(seen[1] == 0, "%llu rows from the future", (unsigned long long)seen[1]);

	f = (struct cp_audit_filter){.limit = CP_AUDIT_LIMIT_MAX + 1};
	CHECK(cp_audit_list(db, &f, count_row, seen, &e) == CP_E_INVALID_ARGUMENT &&
		      strcmp(e.field, "limit") == 0, "limit over the maximum: field '%s'", e.field);

	CHECK(tl_query_int(db, "SELECT COUNT(*) FROM audit_log WHERE NOT JSON_VALID(after_json)"
			       " OR NOT JSON_VALID(COALESCE(before_json, '{}'))") == 0,
	      "rows with invalid JSON");
}

int main(void)
{
	struct cp_config cfg;
	uint32_t id;

	db = tl_db_fresh("audit", &cfg);
	campaigns(&id);
	archive();
	codes();
	apikeys();
	listing();
	cp_db_close(db);
	cp_config_free(&cfg);
	return tl_done("test_audit");
}
