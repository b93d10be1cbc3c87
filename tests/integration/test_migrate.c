/* Migrations against a real MariaDB: schema shape, idempotence, refusal of newer. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "db.h"
#include "testlib.h"

static const struct {
	int line;
	const char *table, *column, *type;
} columns[] = {
	{__LINE__, "campaigns", "name", "varchar(100)"},
	{__LINE__, "campaigns", "status", "enum('active','paused','archived')"},
	{__LINE__, "campaigns", "per_user_limit", "int(10) unsigned"},
	{__LINE__, "campaigns", "unredeem_policy", "enum('restore','spend')"},
	{__LINE__, "coupon_codes", "id", "bigint(20) unsigned"},
	{__LINE__, "coupon_codes", "code", "varchar(64)"},
	{__LINE__, "coupon_codes", "status",
	 "enum('available','pending','redeemed','expired','assigned')"},
	{__LINE__, "coupon_codes", "assigned_user_id", "varchar(64)"},
	{__LINE__, "coupon_codes", "assigned_slot", "smallint(5) unsigned"},
	{__LINE__, "campaigns", "transferable", "tinyint(1)"},
	{__LINE__, "coupon_codes", "redeemed_by_user_id", "varchar(64)"},
	{__LINE__, "coupon_codes", "order_id", "varchar(64)"},
	{__LINE__, "coupon_codes", "reserved_until", "datetime(6)"},
	{__LINE__, "coupon_codes", "expires_at", "datetime(6)"},
	{__LINE__, "generation_batches", "status", "enum('running','complete','failed','cancelled')"},
	{__LINE__, "generation_batches", "method", "enum('random','keyed','import')"},
	{__LINE__, "campaign_user_usage", "used", "int(10) unsigned"},
	{__LINE__, "idempotency_keys", "fingerprint", "binary(32)"},
	{__LINE__, "api_keys", "secret_sha256", "binary(32)"},
	{__LINE__, "api_keys", "scopes", "set('redeem','admin')"},
	{__LINE__, "code_events", "prior_status",
	 "enum('available','pending','redeemed','expired','assigned')"},
	{__LINE__, "code_exports", "sha256", "char(64)"},
	{__LINE__, "outbox", "event_id", "char(36)"},
	{__LINE__, "schema_migrations", "version", "int(10) unsigned"},
	{__LINE__, "campaigns", "max_redemptions", "int(10) unsigned"},
	{__LINE__, "coupon_codes", "cap_slot", "tinyint(3) unsigned"},
	{__LINE__, "campaign_cap_slots", "quota", "int(10) unsigned"},
	{__LINE__, "campaign_cap_slots", "used", "int(10) unsigned"},
};

static void check_columns(struct cp_db *db)
{
	char sql[512];

	for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++) {
		snprintf(sql, sizeof sql,
			 "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = "
			 "DATABASE() AND table_name = '%s' AND column_name = '%s' AND "
			 "column_type = \"%s\"",
			 columns[i].table, columns[i].column, columns[i].type);
		CHECK_AT(columns[i].line, tl_query_int(db, sql) == 1, "%s.%s is not %s",
			 columns[i].table, columns[i].column, columns[i].type);
	}
}

static void check_indexes(struct cp_db *db)
{
	CHECK(tl_query_int(db, "SELECT COUNT(*) FROM information_schema.statistics WHERE "
			       "table_schema = DATABASE() AND table_name = 'coupon_codes' AND "
			       "index_name = 'uq_codes_code' AND non_unique = 0") == 1,
	      "coupon_codes.code has no unique index");
	CHECK(tl_query_int(db, "SELECT COUNT(*) FROM information_schema.tables WHERE "
			       "table_schema = DATABASE() AND engine <> 'InnoDB'") == 0,
	      "a table is not InnoDB");
	CHECK(tl_query_int(db, "SELECT COUNT(*) FROM information_schema.columns WHERE "
			       "table_schema = DATABASE() AND table_name = 'coupon_codes' AND "
			       "column_name = 'code' AND collation_name = 'ascii_bin'") == 1,
	      "coupon_codes.code is not ascii_bin");
}

static unsigned int count_applied;

static void applied(unsigned int version, const char *name, void *arg)
{
	(void)version;
	(void)name;
	(void)arg;
	count_applied++;
}

int main(void)
{
	struct cp_config cfg;
	struct cp_db *db;
	struct cp_migration_state ms;
	struct cp_err e;
	enum cp_status st;

	tl_db_config("migrate", &cfg);
	db = tl_db_open(&cfg);
	cp_err_clear(&e);

	CHECK(cp_schema_check(db, &e) == CP_E_SCHEMA, "an empty database passes the check");
	CHECK(cp_migrate_status(db, &ms, &e) == CP_OK && ms.current == 0 && ms.pending > 0,
	      "status of an empty database: %s", e.msg);

	st = cp_migrate(db, applied, NULL, &e);
	CHECK(st == CP_OK, "migrate: %s", e.msg);
	CHECK(count_applied == ms.pending, "applied %u of %u", count_applied, ms.pending);
	CHECK(cp_schema_check(db, &e) == CP_OK, "schema check after migrate: %s", e.msg);
	check_columns(db);
	check_indexes(db);
	CHECK(tl_query_int(db, "SELECT next_value FROM keyed_sequence WHERE id = 1") == 0,
	      "keyed sequence not seeded");

	/* Idempotent: a second run applies nothing and changes nothing. */
	count_applied = 0;
	CHECK(cp_migrate(db, applied, NULL, &e) == CP_OK, "second migrate: %s", e.msg);
	CHECK(count_applied == 0, "second migrate applied %u", count_applied);
	CHECK(tl_query_int(db, "SELECT COUNT(*) FROM keyed_sequence") == 1, "seed duplicated");

	/* A schema newer than the program is refused, with a message saying so. */
	tl_exec(db, "INSERT INTO schema_migrations (version, name) VALUES (999, 'future')");
	st = cp_migrate(db, applied, NULL, &e);
	CHECK(st == CP_E_SCHEMA, "newer schema: got %s", cp_status_code(st));
	CHECK(strstr(e.msg, "newer than this program") != NULL, "message: %s", e.msg);
	CHECK(cp_schema_check(db, &e) == CP_E_SCHEMA, "newer schema passes the check");

	cp_db_close(db);
	cp_config_free(&cfg);
	return tl_done("test_migrate");
}
