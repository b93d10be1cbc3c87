/*
 * Connections: one MYSQL per thread, configured in one place, reconnected
 * explicitly (never MYSQL_OPT_RECONNECT, which would silently drop session state
 * and prepared statements). Prepared statements are cached per connection.
 */
#include "config.h"

#include <errno.h>
#include <errmsg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "db.h"
#include "xmalloc.h"

#define DB_STMT_SLOTS 96

struct stmt_slot {
	const char *sql;
	MYSQL_STMT *stmt;
};

struct cp_db {
	MYSQL *mysql;
	const struct cp_config *cfg;
	char program[64];
	char actor[201]; /* for the audit log: cp_db_set_actor */
	bool broken;
	bool galera;
	unsigned int fail_commit; /* test fault: the MySQL errno every COMMIT fails with */
	/* test fault: the first transaction is lost before its statement lose_at + 1 */
	unsigned int lose_at, tx_statements;
	bool lose_fault;          /* COUPON_TEST_LOSE_TX was set for this connection */
	bool tx;                  /* db_begin ran; db_commit or db_rollback did not yet */
	void *cache;
	void (*cache_free)(void *);
	unsigned int nslots;
	struct stmt_slot slots[DB_STMT_SLOTS];
};

static const char session_sql[] =
	"SET SESSION sql_mode='STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
	"ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION',"
	" time_zone='+00:00'";
/* Portable across MariaDB and MySQL 8, unlike the tx_isolation variable. */
static const char isolation_sql[] = "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED";

enum cp_status cp_library_init(void)
{
	return mysql_library_init(0, NULL, NULL) == 0 ? CP_OK : CP_E_NOMEM;
}

void cp_library_end(void)
{
	mysql_library_end();
}

MYSQL *db_mysql(struct cp_db *db)
{
	return db->mysql;
}

void *db_cache(struct cp_db *db)
{
	return db->cache;
}

void db_set_cache(struct cp_db *db, void *cache, void (*free_fn)(void *))
{
	if (db->cache != NULL && db->cache_free != NULL)
		db->cache_free(db->cache);
	db->cache = cache;
	db->cache_free = free_fn;
}

const struct cp_config *db_config(struct cp_db *db)
{
	return db->cfg;
}

void cp_db_set_actor(struct cp_db *db, const char *actor)
{
	snprintf(db->actor, sizeof db->actor, "%s", actor != NULL ? actor : "");
}

const char *db_actor(struct cp_db *db)
{
	return db->actor[0] != '\0' ? db->actor : "unknown";
}

static bool conn_lost(unsigned int err)
{
	switch (err) {
	case CR_CONNECTION_ERROR:
	case CR_CONN_HOST_ERROR:
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case CR_SERVER_LOST_EXTENDED:
	case CR_UNKNOWN_HOST:
	case CR_COMMANDS_OUT_OF_SYNC:
	case 1053: /* ER_SERVER_SHUTDOWN */
	case 1927: /* ER_CONNECTION_KILLED */
	case 4031: /* ER_CLIENT_INTERACTION_TIMEOUT */
	case DB_ER_UNKNOWN_COM: /* Galera node not synced: treat as unavailable */
		return true;
	}
	return false;
}

static enum cp_status classify(struct cp_db *db, unsigned int err)
{
	if (conn_lost(err)) {
		db->broken = true;
		return CP_E_DB_UNAVAILABLE;
	}
	if (err == DB_ER_LOCK_DEADLOCK || err == DB_ER_LOCK_WAIT_TIMEOUT)
		return CP_E_BUSY;
	if (err == DB_ER_NO_SUCH_TABLE || err == 1054 /* ER_BAD_FIELD_ERROR */)
		return CP_E_SCHEMA;
	return CP_E_DB;
}

static enum cp_status fill(struct cp_db *db, struct cp_err *e, unsigned int err,
			   const char *state, const char *msg, const char *what)
{
	enum cp_status st = classify(db, err);

	if (e != NULL) {
		e->db_errno = err;
		e->field[0] = '\0';
		snprintf(e->sqlstate, sizeof e->sqlstate, "%s", state);
		snprintf(e->msg, sizeof e->msg, "%s: MySQL error %u (%s): %s", what, err, state,
			 msg);
	}
	return st;
}

enum cp_status db_fail(struct cp_db *db, struct cp_err *e, const char *what)
{
	return fill(db, e, mysql_errno(db->mysql), mysql_sqlstate(db->mysql),
		    mysql_error(db->mysql), what);
}

enum cp_status db_stmt_fail(struct cp_db *db, MYSQL_STMT *stmt, struct cp_err *e,
			    const char *what)
{
	MYSQL *m = db_mysql(db);

	/* An error that arrives with the rows (a deadlock while fetching) may be on the connection only. */
	if (mysql_stmt_errno(stmt) == 0 && mysql_errno(m) != 0)
		return fill(db, e, mysql_errno(m), mysql_sqlstate(m), mysql_error(m), what);
	return fill(db, e, mysql_stmt_errno(stmt), mysql_stmt_sqlstate(stmt),
		    mysql_stmt_error(stmt), what);
}

bool db_retryable(enum cp_status st)
{
	return st == CP_E_BUSY;
}

bool db_retry_again(struct cp_db *db, struct db_retry *r, enum cp_status st, unsigned int *retries,
		    struct cp_err *e)
{
	if (db_retryable(st) && r->busy++ < r->limit) {
		(*retries)++;
		db_backoff(r->busy);
		return true;
	}
	if (st == CP_E_DB_UNAVAILABLE && !r->reconnected) {
		r->reconnected = true;
		return cp_db_ensure(db, e) == CP_OK;
	}
	return false;
}

void db_backoff(unsigned int attempt)
{
	unsigned int r = 0, cap_ms = 1u << (attempt < 8 ? attempt : 8);
	struct timespec ts;

	/* Full jitter: uniform in [0, 2^attempt) ms, so racing retries spread out. */
	if (getrandom(&r, sizeof r, GRND_NONBLOCK) != sizeof r)
		r = (unsigned int)clock();
	r %= cap_ms * 1000u;
	ts.tv_sec = r / 1000000u;
	ts.tv_nsec = (long)(r % 1000000u) * 1000;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void set_options(struct cp_db *db)
{
	const struct cp_config *c = db->cfg;
	unsigned int ct = c->connect_timeout, rt = c->read_timeout, wt = c->write_timeout;

	if (c->file != NULL)
		mysql_optionsv(db->mysql, MYSQL_READ_DEFAULT_FILE, c->file);
	mysql_optionsv(db->mysql, MYSQL_READ_DEFAULT_GROUP, c->group);
	mysql_optionsv(db->mysql, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
	mysql_optionsv(db->mysql, MYSQL_OPT_READ_TIMEOUT, &rt);
	mysql_optionsv(db->mysql, MYSQL_OPT_WRITE_TIMEOUT, &wt);
	mysql_optionsv(db->mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_optionsv(db->mysql, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name", db->program);
	/* A CA is there to check the server with: on unless the file turns it off. */
	if (c->tls_ca && c->tls_verify != 0) {
		my_bool on = 1;

		mysql_optionsv(db->mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
	}
}

/* Connect errors an operator cannot act on without being told where to look. */
static void explain_connect(struct cp_db *db, struct cp_err *e)
{
	if (e != NULL && e->db_errno == 2026 /* CR_SSL_CONNECTION_ERROR */ && db->cfg->tls_ca)
		cp_err_prefix(e, "TLS to the database failed (the server's certificate must be "
			      "signed by ssl-ca and name the host connected to)");
}

/* A Galera node (MySQL, which has no wsrep variables, is not one). */
static bool is_galera(MYSQL *m)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	bool yes = false;

	if (mysql_query(m, "SELECT @@wsrep_on AND @@wsrep_provider <> 'none'") != 0)
		return false;
	if ((res = mysql_store_result(m)) == NULL)
		return false;
	if ((row = mysql_fetch_row(res)) != NULL && row[0] != NULL)
		yes = strcmp(row[0], "1") == 0;
	mysql_free_result(res);
	return yes;
}

#ifdef COUPON_FAULT_INJECTION
/*
 * Fault injection for the test suite, compiled in only by ./configure
 * --enable-fault-injection (./quickstart test does; packages and a plain build
 * never), so a failed COMMIT can be tested without a cluster: a connection set
 * up with COUPON_TEST_FAIL_COMMIT=<MySQL errno> in the environment fails every
 * COMMIT with that error, raised by the server after a rollback.
 */
/* A fault point's setting: NAME's value when it is a number in MIN..MAX, else 0. */
static unsigned int fault_setting(const char *name, unsigned long min, unsigned long max)
{
	const char *v = getenv(name);
	unsigned long n;
	char *end;

	if (v == NULL)
		return 0;
	errno = 0;
	n = strtoul(v, &end, 10);
	return errno == 0 && end != v && *end == '\0' && n >= min && n <= max ? (unsigned int)n : 0;
}

static unsigned int fault_commit_errno(void)
{
	return fault_setting("COUPON_TEST_FAIL_COMMIT", 1000, 65535);
}

/*
 * COUPON_TEST_LOSE_TX=N: the first transaction of each connection is rolled back
 * silently after its first N statements (the COMMIT counts as one), the way a
 * Galera node's brute-force abort of an idle transaction sometimes goes
 * unreported: what follows runs outside any transaction.
 */
static unsigned int fault_lose_at(void)
{
	return fault_setting("COUPON_TEST_LOSE_TX", 1, 100);
}

static void fault_lose(struct cp_db *db)
{
	if (db->lose_at != 0 && db->tx && ++db->tx_statements == db->lose_at + 1) {
		db->lose_at = 0;
		if (mysql_rollback(db->mysql) != 0)
			db->broken = true;
	}
}

static enum cp_status fault_commit(struct cp_db *db, struct cp_err *e)
{
	char sql[160];

	snprintf(sql, sizeof sql,
		 "SIGNAL SQLSTATE '%s' SET MYSQL_ERRNO = %u,"
		 " MESSAGE_TEXT = 'COMMIT failed by COUPON_TEST_FAIL_COMMIT'",
		 db->fail_commit == DB_ER_LOCK_DEADLOCK ? "40001" : "HY000", db->fail_commit);
	if (mysql_rollback(db->mysql) != 0 || mysql_query(db->mysql, sql) != 0)
		return db_fail(db, e, "commit");
	return cp_err_set(e, CP_E_INTERNAL, "the injected COMMIT failure did not fail");
}
#else
static unsigned int fault_commit_errno(void)
{
	return 0;
}

static unsigned int fault_lose_at(void)
{
	return 0;
}

static void fault_lose(struct cp_db *db)
{
	(void)db;
}

static enum cp_status fault_commit(struct cp_db *db, struct cp_err *e)
{
	(void)db;
	return cp_err_set(e, CP_E_INTERNAL, "no fault injection in this build");
}
#endif

static enum cp_status connect_db(struct cp_db *db, struct cp_err *e)
{
	const struct cp_config *c = db->cfg;

	if ((db->mysql = mysql_init(NULL)) == NULL)
		return cp_err_set(e, CP_E_NOMEM, "mysql_init failed");
	set_options(db);
	if (mysql_real_connect(db->mysql, c->host, c->user, c->password, c->database, c->port,
			       c->socket, 0) == NULL) {
		enum cp_status st = db_fail(db, e, "connect");

		explain_connect(db, e);
		/* Every connect failure means no database for the caller right now. */
		mysql_close(db->mysql);
		db->mysql = NULL;
		db->broken = true;
		return st == CP_E_DB_UNAVAILABLE || st == CP_E_DB ? CP_E_DB_UNAVAILABLE : st;
	}
	if (mysql_query(db->mysql, session_sql) != 0 ||
	    mysql_query(db->mysql, isolation_sql) != 0) {
		enum cp_status st = db_fail(db, e, "session setup");

		mysql_close(db->mysql);
		db->mysql = NULL;
		db->broken = true;
		return st;
	}
	db->galera = is_galera(db->mysql);
	db->fail_commit = fault_commit_errno();
	db->lose_at = fault_lose_at();
	db->lose_fault = db->lose_at != 0;
	db->tx = false;
	db->broken = false;
	return CP_OK;
}

bool db_commits_unsure(struct cp_db *db)
{
	return db->galera || db->lose_fault;
}

bool db_galera(struct cp_db *db)
{
	return db->galera;
}

enum cp_status cp_db_open(struct cp_db **out, const struct cp_config *cfg, const char *program,
			  struct cp_err *e)
{
	struct cp_db *db = xcalloc(1, sizeof *db);
	enum cp_status st;

	db->cfg = cfg;
	snprintf(db->program, sizeof db->program, "%s", program ? program : "coupon");
	st = connect_db(db, e);
	if (st != CP_OK) {
		free(db);
		return st;
	}
	*out = db;
	return CP_OK;
}

static void drop_statements(struct cp_db *db)
{
	for (unsigned int i = 0; i < db->nslots; i++)
		mysql_stmt_close(db->slots[i].stmt);
	db->nslots = 0;
}

static void disconnect(struct cp_db *db)
{
	db_set_cache(db, NULL, NULL);
	drop_statements(db);
	if (db->mysql != NULL)
		mysql_close(db->mysql);
	db->mysql = NULL;
}

void cp_db_close(struct cp_db *db)
{
	if (db == NULL)
		return;
	disconnect(db);
	free(db);
}

enum cp_status cp_db_ensure(struct cp_db *db, struct cp_err *e)
{
	if (!db->broken && db->mysql != NULL)
		return CP_OK;
	disconnect(db);
	return connect_db(db, e);
}

enum cp_status cp_db_ping(struct cp_db *db, struct cp_err *e)
{
	enum cp_status st = cp_db_ensure(db, e);

	if (st != CP_OK)
		return st;
	if (mysql_ping(db->mysql) != 0)
		return db_fail(db, e, "ping");
	/*
	 * A Galera node outside the primary component, or still joining, answers
	 * ping (and SELECT 1) but refuses application statements with 1047; DO is
	 * one of those, so the health check says unavailable exactly when a
	 * redemption would. Elsewhere DO 1 is a no-op.
	 */
	return db_exec(db, "DO 1", e);
}

/*
 * A connection whose reconnect failed has no handle: every statement on it is
 * refused here as the server being unavailable (what the failed connect said),
 * never run on nothing. cp_db_ensure() connects again.
 */
static enum cp_status no_handle(struct cp_db *db, struct cp_err *e)
{
	db->broken = true;
	return cp_err_set(e, CP_E_DB_UNAVAILABLE, "no connection to the database");
}

enum cp_status db_exec(struct cp_db *db, const char *sql, struct cp_err *e)
{
	MYSQL_RES *res;

	if (db->mysql == NULL)
		return no_handle(db, e);
	if (mysql_query(db->mysql, sql) != 0)
		return db_fail(db, e, "query");
	/* Drain any result so the connection stays in sync. */
	do {
		if ((res = mysql_store_result(db->mysql)) != NULL)
			mysql_free_result(res);
	} while (mysql_next_result(db->mysql) == 0);
	if (mysql_errno(db->mysql) != 0)
		return db_fail(db, e, "query");
	return CP_OK;
}

enum cp_status db_begin(struct cp_db *db, struct cp_err *e)
{
	enum cp_status st = db_exec(db, "START TRANSACTION", e);

	db->tx = st == CP_OK;
	db->tx_statements = 0;
	return st;
}

enum cp_status db_commit(struct cp_db *db, struct cp_err *e)
{
	fault_lose(db);
	db->tx = false;
	if (db->mysql == NULL)
		return no_handle(db, e);
	if (db->fail_commit != 0)
		return fault_commit(db, e);
	if (mysql_commit(db->mysql) != 0)
		return db_fail(db, e, "commit");
	return CP_OK;
}

/*
 * A statement in our transaction whose reply says the session is no longer in
 * one: the transaction was rolled back under us and the statement ran, and
 * committed, on its own. Statements that follow the first in a transaction are
 * written to do nothing then (DB_IN_TX_SQL); this turns the loss into a retry.
 */
static enum cp_status tx_check(struct cp_db *db, struct cp_err *e)
{
	if (!db->tx || (db->mysql->server_status & SERVER_STATUS_IN_TRANS) != 0)
		return CP_OK;
	db->tx = false;
	return cp_err_set(e, CP_E_BUSY, "the transaction was rolled back under it (a cluster "
			  "conflict); retrying");
}

/*
 * Every reply and status packet tells whether the session is in a transaction;
 * if one of ours ended under us (a cluster node's brute-force abort of it, whose
 * error a client could miss, leaves the session in autocommit), the statements
 * after it committed on their own, and a COMMIT now would "succeed" for a change
 * that was rolled back. That is reported as a conflict, which the callers retry.
 * (Not for migrations: their DDL ends the transaction by design.)
 */
enum cp_status db_commit_open(struct cp_db *db, struct cp_err *e)
{
	if (db->fail_commit == 0 && (db->mysql->server_status & SERVER_STATUS_IN_TRANS) == 0) {
		db->tx = false;
		return cp_err_set(e, CP_E_BUSY, "commit: the transaction was rolled back before "
				  "COMMIT; retrying");
	}
	return db_commit(db, e);
}

void db_rollback(struct cp_db *db)
{
	db->tx = false;
	if (db->mysql != NULL && !db->broken && mysql_rollback(db->mysql) != 0)
		db->broken = true;
}

MYSQL_STMT *db_prepare(struct cp_db *db, const char *sql, struct cp_err *e,
		       enum cp_status *st)
{
	MYSQL_STMT *stmt;

	for (unsigned int i = 0; i < db->nslots; i++)
		if (db->slots[i].sql == sql)
			return db->slots[i].stmt;
	if (db->nslots == DB_STMT_SLOTS) {
		*st = cp_err_set(e, CP_E_INTERNAL, "prepared statement cache full");
		return NULL;
	}
	if (db->mysql == NULL) {
		*st = no_handle(db, e);
		return NULL;
	}
	if ((stmt = mysql_stmt_init(db->mysql)) == NULL) {
		*st = cp_err_set(e, CP_E_NOMEM, "mysql_stmt_init failed");
		return NULL;
	}
	if (mysql_stmt_prepare(stmt, sql, (unsigned long)strlen(sql)) != 0) {
		*st = db_stmt_fail(db, stmt, e, "prepare");
		mysql_stmt_close(stmt);
		return NULL;
	}
	db->slots[db->nslots].sql = sql;
	db->slots[db->nslots++].stmt = stmt;
	return stmt;
}

static MYSQL_STMT *execute(struct cp_db *db, const char *sql, MYSQL_BIND *params,
			   struct cp_err *e, enum cp_status *st)
{
	MYSQL_STMT *stmt;

	*st = cp_db_ensure(db, e);
	if (*st != CP_OK)
		return NULL;
	if ((stmt = db_prepare(db, sql, e, st)) == NULL)
		return NULL;
	fault_lose(db);
	if (params != NULL && mysql_stmt_bind_param(stmt, params) != 0) {
		*st = db_stmt_fail(db, stmt, e, "bind");
		return NULL;
	}
	if (mysql_stmt_execute(stmt) != 0) {
		*st = db_stmt_fail(db, stmt, e, "execute");
		return NULL;
	}
	*st = CP_OK;
	return stmt;
}

enum cp_status db_run(struct cp_db *db, const char *sql, MYSQL_BIND *params,
		      uint64_t *affected, struct cp_err *e)
{
	enum cp_status st;
	MYSQL_STMT *stmt = execute(db, sql, params, e, &st);

	if (stmt == NULL)
		return st;
	if (affected != NULL)
		*affected = mysql_stmt_affected_rows(stmt);
	return tx_check(db, e);
}

enum cp_status db_run_commit(struct cp_db *db, const char *sql, MYSQL_BIND *params,
			     uint64_t *affected, struct cp_err *e)
{
	enum cp_status st;

	if (db->fail_commit == 0)
		return db_run(db, sql, params, affected, e);
	if ((st = db_begin(db, e)) != CP_OK || (st = db_run(db, sql, params, affected, e)) != CP_OK) {
		db_rollback(db);
		return st;
	}
	return db_commit(db, e);
}

enum cp_status db_select1(struct cp_db *db, const char *sql, MYSQL_BIND *params,
			  MYSQL_BIND *results, bool *found, struct cp_err *e)
{
	enum cp_status st;
	MYSQL_STMT *stmt = execute(db, sql, params, e, &st);
	int rc;

	*found = false;
	if (stmt == NULL)
		return st;
	if (mysql_stmt_bind_result(stmt, results) != 0) {
		st = db_stmt_fail(db, stmt, e, "bind result");
		mysql_stmt_free_result(stmt);
		return st;
	}
	rc = mysql_stmt_fetch(stmt);
	if (rc == 0 || rc == MYSQL_DATA_TRUNCATED)
		*found = true;
	else if (rc == 1)
		st = db_stmt_fail(db, stmt, e, "fetch");
	/* Discard the rest; the statement is reused. */
	mysql_stmt_free_result(stmt);
	return st == CP_OK ? tx_check(db, e) : st;
}

void db_forget(struct cp_db *db, const char *sql)
{
	for (unsigned int i = 0; i < db->nslots; i++) {
		if (db->slots[i].sql != sql)
			continue;
		mysql_stmt_close(db->slots[i].stmt);
		db->slots[i] = db->slots[--db->nslots];
		return;
	}
}

uint64_t db_insert_id(struct cp_db *db, const char *sql)
{
	for (unsigned int i = 0; i < db->nslots; i++)
		if (db->slots[i].sql == sql)
			return mysql_stmt_insert_id(db->slots[i].stmt);
	return mysql_insert_id(db->mysql);
}

void db_bind_str(MYSQL_BIND *b, const char *s, unsigned long *len)
{
	if (s == NULL) {
		db_bind_null(b);
		return;
	}
	*len = (unsigned long)strlen(s);
	b->buffer_type = MYSQL_TYPE_STRING;
	b->buffer = (void *)s;
	b->buffer_length = *len;
	b->length = len;
}

void db_bind_buf(MYSQL_BIND *b, char *buf, size_t size, unsigned long *len, my_bool *is_null)
{
	b->buffer_type = MYSQL_TYPE_STRING;
	b->buffer = buf;
	b->buffer_length = (unsigned long)size;
	b->length = len;
	b->is_null = is_null;
}

void db_bind_u64(MYSQL_BIND *b, uint64_t *v)
{
	b->buffer_type = MYSQL_TYPE_LONGLONG;
	b->buffer = v;
	b->is_unsigned = 1;
}

void db_bind_u32(MYSQL_BIND *b, uint32_t *v)
{
	b->buffer_type = MYSQL_TYPE_LONG;
	b->buffer = v;
	b->is_unsigned = 1;
}

void db_bind_i64(MYSQL_BIND *b, int64_t *v)
{
	b->buffer_type = MYSQL_TYPE_LONGLONG;
	b->buffer = v;
}

void db_bind_null(MYSQL_BIND *b)
{
	b->buffer_type = MYSQL_TYPE_NULL;
}

void db_bind_time(MYSQL_BIND *b, MYSQL_TIME *t, my_bool *is_null)
{
	b->buffer_type = MYSQL_TYPE_DATETIME;
	b->buffer = t;
	b->is_null = is_null;
}

void db_time_from_unix(MYSQL_TIME *t, time_t v)
{
	struct tm tm;

	gmtime_r(&v, &tm);
	memset(t, 0, sizeof *t);
	t->year = (unsigned int)tm.tm_year + 1900;
	t->month = (unsigned int)tm.tm_mon + 1;
	t->day = (unsigned int)tm.tm_mday;
	t->hour = (unsigned int)tm.tm_hour;
	t->minute = (unsigned int)tm.tm_min;
	t->second = (unsigned int)tm.tm_sec;
	t->time_type = MYSQL_TIMESTAMP_DATETIME;
}

time_t db_time_to_unix(const MYSQL_TIME *t)
{
	struct tm tm = {0};

	tm.tm_year = (int)t->year - 1900;
	tm.tm_mon = (int)t->month - 1;
	tm.tm_mday = (int)t->day;
	tm.tm_hour = (int)t->hour;
	tm.tm_min = (int)t->minute;
	tm.tm_sec = (int)t->second;
	return timegm(&tm);
}
