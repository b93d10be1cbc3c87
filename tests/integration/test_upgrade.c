/*
 * Upgrading a populated database: a database made at schema 001 and filled
 * through that schema alone (campaigns with and without limits, codes in every
 * state, batches, events, usage, API keys, idempotency keys, exports, outbox) is
 * migrated one version at a time to the newest this program knows. After each
 * step every row of every table that existed before it is read back and must be
 * what it was, column by column; every column the step added to an old table must
 * hold its declared default in every old row. Both checks are generic, so a new
 * migration is covered without touching this file; 002-004 have checks of their
 * own. At the end the upgraded database must serve: redemptions, refusals that
 * depend on old rows, a replay of an idempotency key stored before the upgrade.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "redeem_fixture.h"
#include "testlib.h"
#include "xmalloc.h"

/* ------------------------------------------------------------ snapshots */

/* One table's rows, each serialised column by column (NULL apart from ""). */
struct table {
	char *name;
	char **cols;
	size_t ncols;
	char *order_by;  /* its primary key */
	char **rows;
	size_t nrows;
};

struct snapshot {
	unsigned int version;
	struct table *tables;
	size_t ntables;
};

/* Runs SQL; each row's fields go to FN. False (and a failed check) on an error. */
static bool each_row(struct cp_db *db, const char *sql,
		     void (*fn)(MYSQL_ROW, unsigned long *, unsigned int, void *), void *arg)
{
	MYSQL *m = db_mysql(db);
	MYSQL_RES *res;
	MYSQL_ROW row;

	if (!tl_check(__FILE__, __LINE__, mysql_query(m, sql) == 0, "%s: %s", sql,
		      mysql_error(m)))
		return false;
	if ((res = mysql_use_result(m)) == NULL)
		return tl_check(__FILE__, __LINE__, false, "%s: %s", sql, mysql_error(m));
	while ((row = mysql_fetch_row(res)) != NULL)
		fn(row, mysql_fetch_lengths(res), mysql_num_fields(res), arg);
	mysql_free_result(res);
	return true;
}

struct strings {
	char **v;
	size_t n;
};

static void push(struct strings *s, char *str)
{
	s->v = xreallocarray(s->v, s->n + 1, sizeof *s->v);
	s->v[s->n++] = str;
}

static void first_field(MYSQL_ROW row, unsigned long *len, unsigned int n, void *arg)
{
	(void)n;
	push(arg, row[0] != NULL ? xstrndup(row[0], len[0]) : NULL);
}

/* The first column of the first row of SQL (allocated), NULL for none or NULL. */
static char *query_str(struct cp_db *db, const char *sql)
{
	struct strings v = {0};
	char *s = NULL;

	each_row(db, sql, first_field, &v);
	for (size_t i = 0; i < v.n; i++) {
		if (i == 0)
			s = v.v[i];
		else
			free(v.v[i]);
	}
	free(v.v);
	return s;
}

/* A row as "len:bytes" per field, "-" for NULL: unambiguous and printable enough. */
static void whole_row(MYSQL_ROW row, unsigned long *len, unsigned int n, void *arg)
{
	size_t cap = 1, off = 0;
	char *s;

	for (unsigned int i = 0; i < n; i++)
		cap += row[i] == NULL ? 2 : len[i] + 24;
	s = xmalloc(cap);
	for (unsigned int i = 0; i < n; i++) {
		if (row[i] == NULL) {
			off += (size_t)snprintf(s + off, cap - off, "- ");
		} else {
			off += (size_t)snprintf(s + off, cap - off, "%lu:", len[i]);
			memcpy(s + off, row[i], len[i]);
			off += len[i];
			s[off++] = ' ';
		}
	}
	s[off] = '\0';
	push(arg, s);
}

static char *joined(char **v, size_t n, const char *sep)
{
	size_t cap = 1;
	char *s;

	for (size_t i = 0; i < n; i++)
		cap += strlen(v[i]) + strlen(sep) + 2;
	s = xmalloc(cap);
	s[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strcat(s, sep);
		strcat(s, "`");
		strcat(s, v[i]);
		strcat(s, "`");
	}
	return s;
}

/* SELECT the columns COLS of T in primary-key order into ROWS. */
static bool read_rows(struct cp_db *db, const struct table *t, char **cols, size_t ncols,
		      struct strings *rows)
{
	char *list = joined(cols, ncols, ", ");
	size_t n = strlen(list) + strlen(t->name) + strlen(t->order_by) + 64;
	char *sql = xmalloc(n);
	bool ok;

	snprintf(sql, n, "SELECT %s FROM `%s` ORDER BY %s", list, t->name, t->order_by);
	ok = each_row(db, sql, whole_row, rows);
	free(sql);
	free(list);
	return ok;
}

static void snap(struct cp_db *db, struct snapshot *s)
{
	struct strings names = {0};
	struct cp_migration_state ms;
	struct cp_err e;

	cp_err_clear(&e);
	CHECK(cp_migrate_status(db, &ms, &e) == CP_OK, "status: %s", e.msg);
	memset(s, 0, sizeof *s);
	s->version = ms.current;
	each_row(db,
		 "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
		 " AND table_type = 'BASE TABLE' ORDER BY table_name",
		 first_field, &names);
	s->tables = xcalloc(names.n, sizeof *s->tables);
	s->ntables = names.n;
	for (size_t i = 0; i < names.n; i++) {
		struct table *t = &s->tables[i];
		struct strings cols = {0}, pk = {0}, rows = {0};
		char sql[512];

		t->name = names.v[i];
		snprintf(sql, sizeof sql,
			 "SELECT column_name FROM information_schema.columns WHERE table_schema ="
			 " DATABASE() AND table_name = '%s' ORDER BY ordinal_position",
			 t->name);
		each_row(db, sql, first_field, &cols);
		snprintf(sql, sizeof sql,
			 "SELECT column_name FROM information_schema.statistics WHERE table_schema"
			 " = DATABASE() AND table_name = '%s' AND index_name = 'PRIMARY'"
			 " ORDER BY seq_in_index",
			 t->name);
		each_row(db, sql, first_field, &pk);
		CHECK(pk.n > 0, "table %s has no primary key", t->name);
		t->cols = cols.v;
		t->ncols = cols.n;
		t->order_by = pk.n > 0 ? joined(pk.v, pk.n, ", ") : xstrdup("1");
		for (size_t k = 0; k < pk.n; k++)
			free(pk.v[k]);
		free(pk.v);
		read_rows(db, t, t->cols, t->ncols, &rows);
		t->rows = rows.v;
		t->nrows = rows.n;
	}
	free(names.v);
}

static void snap_free(struct snapshot *s)
{
	for (size_t i = 0; i < s->ntables; i++) {
		struct table *t = &s->tables[i];

		for (size_t k = 0; k < t->ncols; k++)
			free(t->cols[k]);
		for (size_t k = 0; k < t->nrows; k++)
			free(t->rows[k]);
		free(t->cols);
		free(t->rows);
		free(t->name);
		free(t->order_by);
	}
	free(s->tables);
}

static const struct table *find_table(const struct snapshot *s, const char *name)
{
	for (size_t i = 0; i < s->ntables; i++)
		if (strcmp(s->tables[i].name, name) == 0)
			return &s->tables[i];
	return NULL;
}

static bool has_col(const struct table *t, const char *col)
{
	for (size_t i = 0; i < t->ncols; i++)
		if (strcmp(t->cols[i], col) == 0)
			return true;
	return false;
}

/*
 * Every table of OLD is still there and its old columns hold in every row what
 * they held. Rows are neither added nor lost, except schema_migrations, which
 * gains one per step.
 */
static void check_old_rows(struct cp_db *db, const struct snapshot *old, unsigned int to)
{
	for (size_t i = 0; i < old->ntables; i++) {
		const struct table *t = &old->tables[i];
		struct strings now = {0};
		bool grows = strcmp(t->name, "schema_migrations") == 0;
		size_t k;

		if (!read_rows(db, t, t->cols, t->ncols, &now))
			continue;
		CHECK(grows ? now.n >= t->nrows : now.n == t->nrows,
		      "%03u -> %03u: %s had %zu rows, has %zu", old->version, to, t->name,
		      t->nrows, now.n);
		for (k = 0; k < t->nrows && k < now.n; k++)
			if (strcmp(t->rows[k], now.v[k]) != 0)
				break;
		CHECK(k == t->nrows || k == now.n,
		      "%03u -> %03u: %s row %zu changed:\n  was %s\n  now %s", old->version, to,
		      t->name, k + 1, t->rows[k], now.v[k]);
		for (k = 0; k < now.n; k++)
			free(now.v[k]);
		free(now.v);
	}
}

/*
 * Columns a migration fills in old rows with something other than their
 * declared default: VERSION, table, column, and a condition every old row meets.
 * None so far; a migration that backfills adds its line here.
 */
static const struct {
	int line;
	unsigned int version;
	const char *table, *column, *holds;
} backfilled[] = {
	{__LINE__, 0, "", "", "TRUE"}, /* version 0: a placeholder that matches no step */
};

/* Every column the step to NEW added to a table of OLD holds its default in every old row. */
static void check_new_columns(struct cp_db *db, const struct snapshot *old,
			      const struct snapshot *new)
{
	for (size_t i = 0; i < new->ntables; i++) {
		const struct table *t = &new->tables[i], *was = find_table(old, t->name);

		if (was == NULL)
			continue;
		for (size_t c = 0; c < t->ncols; c++) {
			const char *col = t->cols[c];
			char sql[1024], *holds;
			size_t b;

			if (has_col(was, col))
				continue;
			for (b = 0; b < sizeof backfilled / sizeof backfilled[0]; b++)
				if (backfilled[b].version == new->version &&
				    strcmp(backfilled[b].table, t->name) == 0 &&
				    strcmp(backfilled[b].column, col) == 0)
					break;
			if (b < sizeof backfilled / sizeof backfilled[0]) {
				CHECK_AT(backfilled[b].line,
					 tl_query_intf(db, "SELECT COUNT(*) FROM `%s` WHERE NOT (%s)",
						       t->name, backfilled[b].holds) == 0,
					 "%03u: %s.%s: an old row fails %s", new->version, t->name,
					 col, backfilled[b].holds);
				continue;
			}
			/*
			 * The declared default, as information_schema spells it: NULL (none,
			 * NOT NULL), 'NULL', a literal, or an expression such as
			 * current_timestamp(6), which old rows get at the time of the ALTER.
			 * A generated column is computed from the old ones, checked above.
			 * What an old row holding something else would fail:
			 */
			snprintf(sql, sizeof sql,
				 "SELECT CASE WHEN extra LIKE '%%GENERATED%%' THEN 'TRUE'"
				 " WHEN column_default IS NULL THEN NULL"
				 " WHEN column_default = 'NULL' THEN '`%s` IS NULL'"
				 " WHEN column_default LIKE 'current_timestamp%%' THEN '`%s` IS NOT NULL'"
				 " ELSE '`%s` <=> DEFAULT(`%s`)' END"
				 " FROM information_schema.columns WHERE table_schema = DATABASE()"
				 " AND table_name = '%s' AND column_name = '%s'",
				 col, col, col, col, t->name, col);
			holds = query_str(db, sql);
			CHECK(holds != NULL,
			      "%03u: new column %s.%s is NOT NULL without a default: say what old "
			      "rows hold (DEFAULT, or a line in backfilled[])",
			      new->version, t->name, col);
			if (holds != NULL)
				CHECK(tl_query_intf(db, "SELECT COUNT(*) FROM `%s` WHERE NOT (%s)",
						    t->name, holds) == 0,
				      "%03u: new column %s.%s: an old row fails %s", new->version,
				      t->name, col, holds);
			free(holds);
		}
	}
}

/* ------------------------------------------------------------ the 001 database */

static struct cp_format fmt_plain, fmt_limited;
static char plain[20][CP_CODE_MAX + 1], limited[6][CP_CODE_MAX + 1];
static uint32_t plain_id, limited_id;

/* Codes of the plain campaign by their role in the fixture. */
enum {
	P_AVAILABLE = 0,   /* 0..5 available */
	P_RESERVED = 6,    /* pending, reserved_until in the future */
	P_LAPSED = 7,      /* pending, reservation past its time */
	P_REDEEMED = 8,    /* 8..11 redeemed by bob */
	P_IDEM = 12,       /* redeemed by carol through an idempotency key */
	P_EXPIRED = 13,    /* expired by staff */
	P_REFUNDED = 14,   /* redeemed, then unredeemed back to available */
	P_OWN_EXPIRY = 15, /* available, its own expires_at in the past */
	P_ORDERED = 16     /* 16..19 redeemed by dave, one order each */
};

static void populate(struct cp_db *db)
{
	uint32_t paused_id, archived_id;

	plain_id = fx_campaign(db, "plain", "PL", "", &fmt_plain);
	limited_id = fx_campaign(db, "limited", "LM",
				 "per_user_limit = 2, unredeem_policy = 'spend', events_enabled = 1,"
				 " starts_at = '2020-01-01 00:00:00.000001',"
				 " expires_at = '2099-12-31 23:59:59.999999', planned_codes = 1000000",
				 &fmt_limited);
	paused_id = fx_campaign(db, "paused", "PA", "status = 'paused'", NULL);
	archived_id = fx_campaign(db, "archived \xc3\xa9t\xc3\xa9", "AR", "status = 'archived'",
				  NULL);
	tl_execf(db,
		 "INSERT INTO generation_batches (id, campaign_id, method, requested, generated,"
		 " params, status, finished_at, error) VALUES"
		 " (1, %u, 'random', 20, 20, 'chunk=1000', 'complete', NOW(6), NULL),"
		 " (2, %u, 'keyed', 6, 6, 'seq=0..6', 'complete', NOW(6), NULL),"
		 " (3, %u, 'random', 100, 40, '', 'failed', NOW(6), 'lost the connection'),"
		 " (4, %u, 'keyed', 50, 0, '', 'running', NULL, NULL)",
		 plain_id, limited_id, paused_id, archived_id);
	tl_exec(db, "UPDATE keyed_sequence SET next_value = 6 WHERE id = 1");
	fx_codes(db, plain_id, &fmt_plain, 0, 20, plain);
	fx_codes(db, limited_id, &fmt_limited, 100, 6, limited);
	tl_execf(db, "UPDATE coupon_codes SET batch_id = 2 WHERE campaign_id = %u", limited_id);

#define CODE_SET(i, set) tl_execf(db, "UPDATE coupon_codes SET %s WHERE code = '%s'", set, plain[i])
	CODE_SET(P_RESERVED, "status = 'pending', redeemed_by_user_id = 'erin', order_id = 'o-res',"
			     " reserved_until = '2099-01-01 00:00:00.5'");
	CODE_SET(P_LAPSED, "status = 'pending', redeemed_by_user_id = 'frank',"
			   " reserved_until = '2021-06-01 12:00:00.25'");
	for (int i = P_REDEEMED; i < P_REDEEMED + 4; i++)
		CODE_SET(i, "status = 'redeemed', redeemed_by_user_id = 'bob',"
			    " redeemed_at = '2024-03-31 01:30:00.123456'");
	CODE_SET(P_IDEM, "status = 'redeemed', redeemed_by_user_id = 'carol', order_id = 'o-idem',"
			 " redeemed_at = '2024-10-27 02:30:00'");
	CODE_SET(P_EXPIRED, "status = 'expired', expired_reason = 'expired by staff'");
	CODE_SET(P_OWN_EXPIRY, "expires_at = '2022-02-02 02:02:02'");
	for (int i = P_ORDERED; i < P_ORDERED + 4; i++) {
		char set[256];

		snprintf(set, sizeof set,
			 "status = 'redeemed', redeemed_by_user_id = 'dave', order_id ="
			 " 'order-\xe2\x82\xac-%d', redeemed_at = '2025-0%d-01 00:00:00.%06d'",
			 i, i - P_ORDERED + 1, i);
		CODE_SET(i, set);
	}
#undef CODE_SET
	/* Refunded: the redemption is gone from the code, kept in its event. */
	tl_execf(db,
		 "INSERT INTO code_events (code_id, campaign_id, action, prior_status, prior_user_id,"
		 " prior_order_id, prior_redeemed_at, actor, reason) SELECT id, campaign_id,"
		 " 'unredeem', 'redeemed', 'gina', 'o-refund', '2024-05-05 05:05:05', 'ops@host',"
		 " 'customer returned the goods' FROM coupon_codes WHERE code = '%s'",
		 plain[P_REFUNDED]);
	tl_execf(db,
		 "INSERT INTO code_events (code_id, campaign_id, action, prior_status, actor)"
		 " SELECT id, campaign_id, 'expire', 'available', 'ops@host' FROM coupon_codes"
		 " WHERE code = '%s'",
		 plain[P_EXPIRED]);
	/* The limited campaign: alice at her limit, one refund under "spend". */
	tl_execf(db,
		 "UPDATE coupon_codes SET status = 'redeemed', redeemed_by_user_id = 'alice',"
		 " redeemed_at = NOW(6) - INTERVAL 1 DAY WHERE code IN ('%s', '%s')",
		 limited[0], limited[1]);
	tl_execf(db,
		 "UPDATE coupon_codes SET status = 'expired', expired_reason = 'refunded'"
		 " WHERE code = '%s'",
		 limited[2]);
	tl_execf(db,
		 "INSERT INTO campaign_user_usage (campaign_id, user_id, used) VALUES"
		 " (%u, 'alice', 2), (%u, 'bob', 4), (%u, 'carol', 1), (%u, 'dave', 4)",
		 limited_id, plain_id, plain_id, plain_id);
	tl_exec(db,
		"INSERT INTO api_keys (id, name, key_prefix, secret_sha256, scopes, last_used_at,"
		" revoked_at) VALUES"
		" (1, 'shop', 'AbCdEfGh', UNHEX(SHA2('one', 256)), 'redeem', NOW(6), NULL),"
		" (2, 'ops', 'HgFeDcBa', UNHEX(SHA2('two', 256)), 'redeem,admin', NULL, NULL),"
		" (3, 'leaked', 'ZzZzZzZz', UNHEX(SHA2('three', 256)), 'redeem', NULL, NOW(6))");
	/*
	 * A redemption through an idempotency key as the program before 002 stored it:
	 * the fingerprint of a request without one of its own is SHA-256 over the
	 * operation, code, user, order and ttl, each NUL-terminated; the reply is "v1".
	 */
	tl_execf(db,
		 "INSERT INTO idempotency_keys (api_key_id, idem_key, fingerprint, state,"
		 " http_status, response, claimed_at) VALUES (1, 'idem-carol',"
		 " UNHEX(SHA2(CONCAT('redeem', CHAR(0), '%s', CHAR(0), 'carol', CHAR(0), 'o-idem',"
		 " CHAR(0), '0', CHAR(0)), 256)), 'done', 200,"
		 " CONCAT('v1 ok %u ', UNIX_TIMESTAMP('2024-10-27 02:30:00'), ' 0 0 %s', CHAR(10),"
		 " 'plain'), NOW(6) - INTERVAL 1 HOUR)",
		 plain[P_IDEM], plain_id, plain[P_IDEM]);
	tl_exec(db,
		"INSERT INTO idempotency_keys (api_key_id, idem_key, fingerprint, state, response,"
		" claimed_at) VALUES (2, 'idem-running', UNHEX(SHA2('x', 256)), 'in_progress',"
		" 'claim:00112233445566778899aabbccddeeff', NOW(6))");
	tl_execf(db,
		 "INSERT INTO code_exports (campaign_id, batch_id, status_filter, code_count,"
		 " file_name, sha256, actor) VALUES (%u, 1, 'available', 6, '/tmp/plain.csv',"
		 " SHA2('csv', 256), 'ops@host')",
		 plain_id);
	tl_execf(db,
		 "INSERT INTO outbox (event_id, event_type, campaign_id, code, user_id, order_id,"
		 " claimed_by, claimed_until, attempts, last_error, delivered_at) VALUES"
		 " (UUID(), 'code.redeemed', %u, '%s', 'alice', NULL, NULL, NULL, 1, NULL, NOW(6)),"
		 " (UUID(), 'code.redeemed', %u, '%s', 'alice', 'o-2', 'relay-1',"
		 " NOW(6) + INTERVAL 1 MINUTE, 3, 'connection refused', NULL)",
		 limited_id, limited[0], limited_id, limited[1]);
}

/* ------------------------------------------------------------ 002-004 */

static bool has_column(struct cp_db *db, const char *table, const char *column)
{
	return tl_query_intf(db,
			     "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema ="
			     " DATABASE() AND table_name = '%s' AND column_name = '%s'",
			     table, column) == 1;
}

static void after_002(struct cp_db *db)
{
	CHECK(has_column(db, "campaigns", "reward_id") && has_column(db, "coupon_codes", "reward_id") &&
		      has_column(db, "outbox", "reward_id") &&
		      has_column(db, "generation_batches", "code_expires_at"),
	      "002 added its columns");
	CHECK(tl_query_int(db, "SELECT COUNT(*) FROM campaign_rewards") == 0,
	      "002 wrote rewards for old campaigns");
	CHECK(tl_query_int(db, "SELECT COUNT(*) FROM campaigns WHERE reward_id IS NULL") == 4,
	      "an old campaign has a reward");
}

static void after_003(struct cp_db *db)
{
	CHECK(tl_query_int(db, "SELECT COUNT(*) FROM audit_log") == 0,
	      "003 wrote audit rows for old changes");
}

struct found {
	unsigned int n;
	char codes[8][CP_CODE_MAX + 1];
};

static bool collect(const struct cp_redemption *r, void *arg)
{
	struct found *f = arg;

	if (f->n < 8)
		memcpy(f->codes[f->n], r->code, sizeof r->code);
	f->n++;
	return true;
}

static void after_004(struct cp_db *db)
{
	static const char *const index[] = {"ix_codes_user", "ix_codes_order",
					    "ix_codes_status_time"};

	for (size_t i = 0; i < sizeof index / sizeof index[0]; i++)
		CHECK(tl_query_intf(db,
				    "SELECT COUNT(*) FROM information_schema.statistics WHERE"
				    " table_schema = DATABASE() AND table_name = 'coupon_codes' AND"
				    " index_name = '%s'",
				    index[i]) > 0,
		      "004 did not add %s", index[i]);
}

/* The checks of 002-004 at their step read the schema only: the core is the newest's. */
static const struct {
	unsigned int version;
	void (*check)(struct cp_db *);
} specific[] = {
	{2, after_002},
	{3, after_003},
	{4, after_004},
};

/* ------------------------------------------------------------ serving */

/* Old redemptions read as granted nothing (002) and are found by the indexes of 004. */
static void check_old_redemptions(struct cp_db *db)
{
	struct cp_search_args a;
	struct cp_search s;
	struct cp_code_info ci;
	struct found f;
	char next[CP_CURSOR_MAX + 1];
	struct cp_err e;

	cp_err_clear(&e);
	CHECK(cp_code_show(db, plain[P_REDEEMED], strlen(plain[P_REDEEMED]), &ci, &e) == CP_OK,
	      "code show: %s", e.msg);
	CHECK(ci.reward.id == 0 && ci.status == CP_CODE_REDEEMED && strcmp(ci.user_id, "bob") == 0,
	      "an old redemption: reward %u, status %d, user %s", ci.reward.id, ci.status,
	      ci.user_id);
	memset(&a, 0, sizeof a);
	a.user_id = "dave";
	memset(&f, 0, sizeof f);
	CHECK(cp_search_init(db, &a, &s, &e) == CP_OK, "search init: %s", e.msg);
	CHECK(cp_search_run(db, &s, collect, &f, next, &e) == CP_OK, "search: %s", e.msg);
	CHECK(f.n == 4, "dave's redemptions: %u of 4", f.n);
	for (unsigned int i = 0; i < 4 && i < f.n; i++)
		CHECK(strcmp(f.codes[i], plain[P_ORDERED + 3 - i]) == 0, "dave's #%u: %s", i,
		      f.codes[i]);
	memset(&a, 0, sizeof a);
	a.order_id = "o-idem";
	memset(&f, 0, sizeof f);
	CHECK(cp_search_init(db, &a, &s, &e) == CP_OK &&
		      cp_search_run(db, &s, collect, &f, next, &e) == CP_OK,
	      "search by order: %s", e.msg);
	CHECK(f.n == 1 && strcmp(f.codes[0], plain[P_IDEM]) == 0, "order o-idem: %u rows", f.n);
}

/* Operations on old rows and what they must answer: the old state still rules. */
static const struct {
	int line;
	bool limited; /* a code of the limited campaign, else of the plain one */
	int code;
	const char *user, *order;
	enum cp_op op;
	enum cp_status want;
} served[] = {
	{__LINE__, false, P_AVAILABLE, "henry", "o-new", CP_OP_REDEEM, CP_OK},
	{__LINE__, false, P_REFUNDED, "henry", NULL, CP_OP_REDEEM, CP_OK},
	{__LINE__, false, P_LAPSED, "henry", NULL, CP_OP_REDEEM, CP_OK},
	{__LINE__, false, P_REDEEMED, "henry", NULL, CP_OP_REDEEM, CP_E_ALREADY_REDEEMED},
	{__LINE__, false, P_RESERVED, "henry", NULL, CP_OP_REDEEM, CP_E_RESERVED},
	{__LINE__, false, P_RESERVED, "erin", "o-res", CP_OP_CONFIRM, CP_OK},
	{__LINE__, false, P_EXPIRED, "henry", NULL, CP_OP_REDEEM, CP_E_EXPIRED},
	{__LINE__, false, P_OWN_EXPIRY, "henry", NULL, CP_OP_REDEEM, CP_E_EXPIRED},
	{__LINE__, true, 3, "alice", NULL, CP_OP_REDEEM, CP_E_USER_LIMIT},
};

static void check_serving(struct cp_db *db)
{
	struct cp_redeem_req rq;
	struct cp_redeem_result r, r2;
	struct cp_code_info ci;
	struct cp_err e;
	enum cp_status st;

	cp_err_clear(&e);
	CHECK(cp_schema_check(db, &e) == CP_OK, "schema check: %s", e.msg);
	check_old_redemptions(db);

	for (size_t i = 0; i < sizeof served / sizeof served[0]; i++) {
		const char *code = served[i].limited ? limited[served[i].code] : plain[served[i].code];

		rq = fx_req(code, served[i].user, served[i].order);
		st = cp_redeem_op(db, served[i].op, &rq, &r, &e);
		CHECK_AT(served[i].line, st == served[i].want && !r.replay, "%s by %s: %s, not %s (%s)",
			 cp_op_name(served[i].op), served[i].user, cp_status_code(st),
			 cp_status_code(served[i].want), e.msg);
	}
	rq = fx_req(limited[3], "ivan", NULL);
	CHECK(cp_redeem(db, &rq, &r, &e) == CP_OK, "redeem in the limited campaign: %s", e.msg);
	CHECK(tl_query_intf(db, "SELECT COUNT(*) FROM outbox WHERE code = '%s'", limited[3]) == 1,
	      "the events-enabled campaign wrote no outbox row");

	/* The key stored before the upgrade replays, identically, twice. */
	rq = fx_req(plain[P_IDEM], "carol", "o-idem");
	rq.api_key_id = 1;
	rq.idem_key = "idem-carol";
	memset(&r, 0, sizeof r);
	st = cp_redeem(db, &rq, &r, &e);
	CHECK(st == CP_OK && r.replay, "replay of an old key: %s %s, replay %d", cp_status_code(st),
	      e.msg, r.replay);
	CHECK(r.campaign_id == plain_id && strcmp(r.campaign_name, "plain") == 0 &&
		      strcmp(r.code, plain[P_IDEM]) == 0 && r.reward.id == 0 &&
		      r.redeemed_at == (time_t)tl_query_int(db, "SELECT UNIX_TIMESTAMP("
								"'2024-10-27 02:30:00')"),
	      "replay differs from the stored reply: campaign %u %s, code %s, at %lld",
	      r.campaign_id, r.campaign_name, r.code, (long long)r.redeemed_at);
	memset(&r2, 0, sizeof r2);
	CHECK(cp_redeem(db, &rq, &r2, &e) == CP_OK && r2.replay &&
		      r2.campaign_id == r.campaign_id && r2.redeemed_at == r.redeemed_at &&
		      r2.reserved_until == r.reserved_until && r2.retries == r.retries &&
		      strcmp(r2.code, r.code) == 0 && strcmp(r2.campaign_name, r.campaign_name) == 0 &&
		      r2.reward.id == r.reward.id,
	      "a second replay differs from the first");
	rq.order_id = "o-other";
	st = cp_redeem(db, &rq, &r, &e);
	CHECK(st == CP_E_IDEMPOTENCY_CONFLICT, "old key, other request: %s", cp_status_code(st));

	/* A refund of an old redemption under the old policy. */
	CHECK(cp_code_unredeem(db, plain[P_REDEEMED + 1], strlen(plain[P_REDEEMED + 1]), "test",
			       NULL, &ci, &e) == CP_OK &&
		      ci.status == CP_CODE_AVAILABLE,
	      "unredeem an old redemption: %s", e.msg);
	CHECK(tl_query_int(db, "SELECT used FROM campaign_user_usage WHERE user_id = 'bob'") == 3,
	      "bob's old usage was not decremented");
}

/* ------------------------------------------------------------ main */

static unsigned int count_applied, last_applied;

static void applied(unsigned int version, const char *name, void *arg)
{
	(void)name;
	(void)arg;
	count_applied++;
	last_applied = version;
}

int main(void)
{
	struct cp_config cfg;
	struct cp_db *db;
	struct cp_migration_state ms;
	struct snapshot old, now;
	struct cp_err e;
	enum cp_status st;
	unsigned int steps = 0;

	tl_db_config("upgrade", &cfg);
	db = tl_db_open(&cfg);
	cp_err_clear(&e);

	st = cp_migrate_to(db, 1, applied, NULL, &e);
	CHECK(st == CP_OK && count_applied == 1 && last_applied == 1, "migrate to 001: %s", e.msg);
	CHECK(cp_migrate_status(db, &ms, &e) == CP_OK && ms.current == 1, "not at 001: %u",
	      ms.current);
	populate(db);
	snap(db, &old);
	CHECK(old.version == 1 && find_table(&old, "coupon_codes") != NULL &&
		      find_table(&old, "coupon_codes")->nrows == 26,
	      "the 001 snapshot");

	for (unsigned int v = 2; v <= ms.latest; v++) {
		count_applied = 0;
		st = cp_migrate_to(db, v, applied, NULL, &e);
		if (st == CP_E_INVALID_ARGUMENT && strstr(e.msg, "no migration") != NULL)
			continue; /* a number not taken (yet) */
		CHECK(st == CP_OK && count_applied == 1 && last_applied == v,
		      "migrate to %03u: %s (%u applied)", v, e.msg, count_applied);
		if (st != CP_OK)
			break;
		steps++;
		check_old_rows(db, &old, v);
		snap(db, &now);
		check_new_columns(db, &old, &now);
		for (size_t i = 0; i < sizeof specific / sizeof specific[0]; i++)
			if (specific[i].version == v)
				specific[i].check(db);
		snap_free(&old);
		old = now;
	}
	CHECK(steps >= 3 && old.version == ms.latest, "stopped at %03u of %03u after %u steps",
	      old.version, ms.latest, steps);
	snap_free(&old);

	/* Going down is refused and changes nothing. */
	st = cp_migrate_to(db, 1, applied, NULL, &e);
	CHECK(st == CP_E_CONFLICT && strstr(e.msg, "only go up") != NULL, "down to 001: %s %s",
	      cp_status_code(st), e.msg);
	CHECK(cp_migrate_status(db, &ms, &e) == CP_OK && ms.current == ms.latest && ms.pending == 0,
	      "after refusing to go down: at %u", ms.current);

	check_serving(db);

	cp_db_close(db);
	cp_config_free(&cfg);
	return tl_done("test_upgrade");
}
