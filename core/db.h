/* Private to core/: the connection, prepared-statement cache and query helpers. */
#ifndef DB_H
#define DB_H

#include <mysql.h>

#include "coupon.h"

/* MySQL/MariaDB error numbers the core reacts to. */
#define DB_ER_DUP_ENTRY 1062
#define DB_ER_LOCK_WAIT_TIMEOUT 1205
#define DB_ER_LOCK_DEADLOCK 1213
#define DB_ER_NO_SUCH_TABLE 1146
#define DB_ER_UNKNOWN_COM 1047 /* Galera: node not ready */

MYSQL *db_mysql(struct cp_db *);
/*
 * One module-owned cache per connection (the campaign cache of core/campaign_cache.c):
 * FREE_FN runs when the connection is closed or re-established, so a cache never
 * outlives the session it was read on.
 */
void *db_cache(struct cp_db *);
void db_set_cache(struct cp_db *, void *cache, void (*free_fn)(void *));
const struct cp_config *db_config(struct cp_db *);
/* The actor set by cp_db_set_actor, or "unknown". */
const char *db_actor(struct cp_db *);
/* Whether the server is a Galera cluster node (asked once per connection). */
bool db_galera(struct cp_db *);
/*
 * Whether a COMMIT that returned may still have committed nothing: on a Galera
 * node, a brute-force abort just before it can go unreported (and under the test
 * fault COUPON_TEST_LOSE_TX, which imitates that). Changes whose success is
 * acknowledged read their row back after COMMIT there.
 */
bool db_commits_unsure(struct cp_db *);

/*
 * Records the connection's last error in E and classifies it: a lost connection
 * is CP_E_DB_UNAVAILABLE (the connection is marked for reconnection), deadlocks,
 * lock-wait timeouts and cluster conflicts CP_E_BUSY, anything else CP_E_DB.
 */
enum cp_status db_fail(struct cp_db *, struct cp_err *, const char *what);
enum cp_status db_stmt_fail(struct cp_db *, MYSQL_STMT *, struct cp_err *, const char *what);
bool db_retryable(enum cp_status);
/* Sleeps before retry ATTEMPT (1-based): bounded exponential backoff with jitter. */
void db_backoff(unsigned int attempt);

/*
 * The retry policy of an operation, after an attempt failed with ST: a conflict
 * (db_retryable) is retried up to the configured number of times, after a
 * backoff, counting in *RETRIES; a lost connection is re-established and retried
 * once. True: attempt again. Initialise with DB_RETRY_INIT(db).
 */
struct db_retry {
	unsigned int busy, limit;
	bool reconnected;
};
#define DB_RETRY_INIT(db) {0, db_config(db)->retries, false}
bool db_retry_again(struct cp_db *, struct db_retry *, enum cp_status st, unsigned int *retries,
		    struct cp_err *);

/*
 * The condition of a statement that must change nothing unless it runs inside
 * the transaction it was written for. A Galera node's brute-force abort of a
 * transaction between two of its statements is not always reported to the
 * client: the next statement then runs, and commits, on its own. Every write
 * that follows the first in a transaction carries this condition, so that run
 * is a no-op, and db_run / db_select1 answer CP_E_BUSY for it (the session's
 * status says it is outside a transaction), which the callers retry.
 */
#define DB_IN_TX_SQL "@@in_transaction = 1"

enum cp_status db_exec(struct cp_db *, const char *sql, struct cp_err *);
/*
 * START TRANSACTION. Until db_commit or db_rollback, every db_run and db_select1
 * checks that the session is still in it. (Migrations begin theirs with db_exec:
 * their DDL ends it by design.)
 */
enum cp_status db_begin(struct cp_db *, struct cp_err *);
enum cp_status db_commit(struct cp_db *, struct cp_err *);
/* COMMIT of a transaction that must still be open: CP_E_BUSY if it ended under us. */
enum cp_status db_commit_open(struct cp_db *, struct cp_err *);
void db_rollback(struct cp_db *);

/*
 * The prepared statement for SQL, prepared once per connection and reused. SQL
 * must be a string with static storage, or one kept alive until db_forget: the
 * cache is keyed by its address.
 */
MYSQL_STMT *db_prepare(struct cp_db *, const char *sql, struct cp_err *, enum cp_status *);
/* Closes the prepared statement for SQL, if any, before SQL's storage is freed. */
void db_forget(struct cp_db *, const char *sql);

/* Executes SQL with PARAMS bound; *AFFECTED (may be NULL) gets the changed rows. */
enum cp_status db_run(struct cp_db *, const char *sql, MYSQL_BIND *params,
		      uint64_t *affected, struct cp_err *);
/*
 * db_run of an autocommit statement whose success is its own commit (group
 * commit): where the test fault point fails every COMMIT, it runs in a
 * transaction whose COMMIT fails, so the statement's commit can be failed too.
 */
enum cp_status db_run_commit(struct cp_db *, const char *sql, MYSQL_BIND *params,
			     uint64_t *affected, struct cp_err *);
/*
 * Executes a SELECT and fetches its first row into RESULTS; *FOUND says whether
 * there was one. Further rows are discarded. NULL columns need is_null bound.
 */
enum cp_status db_select1(struct cp_db *, const char *sql, MYSQL_BIND *params,
			  MYSQL_BIND *results, bool *found, struct cp_err *);
uint64_t db_insert_id(struct cp_db *, const char *sql);

/* Bind helpers: zero the array first (memset), then fill each slot. */
void db_bind_str(MYSQL_BIND *, const char *s, unsigned long *len);
void db_bind_buf(MYSQL_BIND *, char *buf, size_t size, unsigned long *len, my_bool *is_null);
void db_bind_u64(MYSQL_BIND *, uint64_t *);
void db_bind_u32(MYSQL_BIND *, uint32_t *);
void db_bind_i64(MYSQL_BIND *, int64_t *);
void db_bind_null(MYSQL_BIND *);
void db_bind_time(MYSQL_BIND *, MYSQL_TIME *, my_bool *is_null);

void db_time_from_unix(MYSQL_TIME *, time_t);
time_t db_time_to_unix(const MYSQL_TIME *);

#endif
