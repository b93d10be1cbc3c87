/*
 * Schema migrations: numbered files in sql/, compiled in, applied in order and
 * recorded in schema_migrations. A named lock serialises concurrent runs. DDL
 * commits implicitly in MySQL, so each migration runs inside a transaction that
 * makes its DML and its record atomic, and its DDL is written to be re-runnable.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "migrations.h"
#include "xmalloc.h"

static const char create_sql[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations ("
	" version INT UNSIGNED NOT NULL PRIMARY KEY,"
	" name VARCHAR(200) NOT NULL,"
	" applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
	") ENGINE=InnoDB";
static const char current_sql[] = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
static const char record_sql[] = "INSERT INTO schema_migrations (version, name) VALUES (?, ?)";
static const char lock_sql[] = "SELECT GET_LOCK('coupon_migrate', 60)";
static const char unlock_sql[] = "SELECT RELEASE_LOCK('coupon_migrate')";

static unsigned int latest(void)
{
	unsigned int v = 0;

	for (unsigned int i = 0; i < migrations_count; i++)
		if (migrations[i].version > v)
			v = migrations[i].version;
	return v;
}

/* Reads the applied version; 0 when the table does not exist yet. */
static enum cp_status current(struct cp_db *db, unsigned int *v, struct cp_err *e)
{
	uint32_t cur = 0;
	MYSQL_BIND res[1];
	bool found;
	enum cp_status st;

	memset(res, 0, sizeof res);
	db_bind_u32(&res[0], &cur);
	st = db_select1(db, current_sql, NULL, res, &found, e);
	if (st == CP_E_SCHEMA && e != NULL && e->db_errno == DB_ER_NO_SUCH_TABLE) {
		*v = 0;
		return CP_OK;
	}
	*v = cur;
	return st;
}

enum cp_status cp_migrate_status(struct cp_db *db, struct cp_migration_state *ms,
				 struct cp_err *e)
{
	enum cp_status st = current(db, &ms->current, e);

	ms->latest = latest();
	ms->pending = 0;
	if (st != CP_OK)
		return st;
	for (unsigned int i = 0; i < migrations_count; i++)
		if (migrations[i].version > ms->current)
			ms->pending++;
	return CP_OK;
}

enum cp_status cp_schema_check(struct cp_db *db, struct cp_err *e)
{
	struct cp_migration_state ms;
	enum cp_status st = cp_migrate_status(db, &ms, e);

	if (st != CP_OK)
		return st;
	if (ms.current > ms.latest)
		return cp_err_set(e, CP_E_SCHEMA,
				  "the database schema is at version %u, newer than this program "
				  "knows (%u): upgrade coupon",
				  ms.current, ms.latest);
	if (ms.current < ms.latest)
		return cp_err_set(e, CP_E_SCHEMA,
				  "the database schema is at version %u, this program needs %u: "
				  "run 'couponadm migrate'",
				  ms.current, ms.latest);
	return CP_OK;
}

/* Runs each ';'-terminated statement of a migration; '--' lines are comments. */
static enum cp_status run_script(struct cp_db *db, const char *sql, struct cp_err *e)
{
	size_t cap = strlen(sql) + 1, len = 0;
	char *stmt = xmalloc(cap);
	const char *p = sql;
	enum cp_status st = CP_OK;

	while (st == CP_OK && *p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		const char *q = p;

		while (q < p + n && (*q == ' ' || *q == '\t'))
			q++;
		if (!(q + 1 < p + n && q[0] == '-' && q[1] == '-') && q < p + n) {
			memcpy(stmt + len, p, n);
			len += n;
			stmt[len++] = '\n';
			if (p[n - 1] == ';') {
				stmt[len - 2] = '\0';
				st = db_exec(db, stmt, e);
				len = 0;
			}
		}
		p += nl ? n + 1 : n;
	}
	if (st == CP_OK && len > 0)
		st = cp_err_set(e, CP_E_INTERNAL, "migration ends without ';'");
	free(stmt);
	return st;
}

static enum cp_status apply(struct cp_db *db, const struct migration *m, struct cp_err *e)
{
	MYSQL_BIND par[2];
	uint32_t version = m->version;
	unsigned long len;
	enum cp_status st;

	/* Not db_begin: the DDL commits implicitly, which its checks would call lost. */
	if ((st = db_exec(db, "START TRANSACTION", e)) != CP_OK)
		return st;
	if ((st = run_script(db, m->sql, e)) != CP_OK)
		goto fail;
	memset(par, 0, sizeof par);
	db_bind_u32(&par[0], &version);
	db_bind_str(&par[1], m->name, &len);
	if ((st = db_run(db, record_sql, par, NULL, e)) != CP_OK)
		goto fail;
	if ((st = db_commit(db, e)) != CP_OK)
		goto fail;
	return CP_OK;
fail:
	db_rollback(db);
	cp_err_prefix(e, "migration %03u_%s", m->version, m->name);
	return st;
}

static enum cp_status lock(struct cp_db *db, struct cp_err *e)
{
	int32_t got = 0;
	my_bool is_null = 0;
	MYSQL_BIND res[1];
	bool found;
	enum cp_status st;

	memset(res, 0, sizeof res);
	res[0].buffer_type = MYSQL_TYPE_LONG;
	res[0].buffer = &got;
	res[0].is_null = &is_null;
	st = db_select1(db, lock_sql, NULL, res, &found, e);
	if (st == CP_OK && (!found || is_null || got != 1))
		st = cp_err_set(e, CP_E_BUSY, "another migration holds the lock 'coupon_migrate'");
	return st;
}

static void unlock(struct cp_db *db)
{
	int32_t r;
	MYSQL_BIND res[1];
	my_bool is_null;
	bool found;

	memset(res, 0, sizeof res);
	res[0].buffer_type = MYSQL_TYPE_LONG;
	res[0].buffer = &r;
	res[0].is_null = &is_null;
	db_select1(db, unlock_sql, NULL, res, &found, NULL);
}

static bool known(unsigned int version)
{
	for (unsigned int i = 0; i < migrations_count; i++)
		if (migrations[i].version == version)
			return true;
	return false;
}

static enum cp_status migrate_locked(struct cp_db *db, unsigned int target,
				     void (*applied)(unsigned int, const char *, void *),
				     void *arg, struct cp_err *e)
{
	unsigned int cur;
	enum cp_status st;

	if ((st = db_exec(db, create_sql, e)) != CP_OK || (st = current(db, &cur, e)) != CP_OK)
		return st;
	if (cur > latest())
		return cp_err_set(e, CP_E_SCHEMA,
				  "the database schema is at version %u, newer than this program "
				  "knows (%u): refusing to migrate; upgrade coupon",
				  cur, latest());
	if (cur > target)
		return cp_err_set(e, CP_E_CONFLICT,
				  "the database schema is at version %u, past %u: migrations "
				  "only go up",
				  cur, target);
	for (unsigned int i = 0; i < migrations_count; i++) {
		if (migrations[i].version <= cur || migrations[i].version > target)
			continue;
		if ((st = apply(db, &migrations[i], e)) != CP_OK)
			return st;
		if (applied != NULL)
			applied(migrations[i].version, migrations[i].name, arg);
	}
	return CP_OK;
}

enum cp_status cp_migrate_to(struct cp_db *db, unsigned int target,
			     void (*applied)(unsigned int, const char *, void *), void *arg,
			     struct cp_err *e)
{
	enum cp_status st;

	if (!known(target))
		return cp_err_set(e, CP_E_INVALID_ARGUMENT,
				  "no migration %u: this program knows 1 to %u", target, latest());
	if ((st = lock(db, e)) != CP_OK)
		return st;
	st = migrate_locked(db, target, applied, arg, e);
	unlock(db);
	return st;
}

enum cp_status cp_migrate(struct cp_db *db, void (*applied)(unsigned int, const char *, void *),
			  void *arg, struct cp_err *e)
{
	return cp_migrate_to(db, latest(), applied, arg, e);
}
