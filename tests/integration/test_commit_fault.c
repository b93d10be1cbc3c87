/*
 * A COMMIT that fails after a successful UPDATE: the update that reported one
 * row is not a redemption until COMMIT returned. For each path that runs in a
 * transaction (per-user limit, idempotency key, events, reservation confirm) a
 * connection whose every COMMIT fails (COUPON_TEST_FAIL_COMMIT, core/db.c, compiled
 * in by ./configure --enable-fault-injection) must
 * tell the caller the redemption failed and leave the code as it was; the same
 * request on a healthy connection then succeeds, as a first success.
 *
 * And a transaction lost between its statements without an error, as a Galera
 * node's brute-force abort sometimes is (COUPON_TEST_LOSE_TX=N rolls back the
 * first transaction of a connection after its first N statements, the COMMIT
 * counting as one): what follows must change nothing on its own, the COMMIT
 * that then "succeeds" must not be believed, and the retry must leave exactly
 * one redemption, one use counted, one event and one stored reply.
 *
 * Group commit: plain redemptions grouped on connections whose COMMIT fails (the
 * group's autocommit statement runs in a transaction there, db_run_commit, so its
 * commit fails too) are retried as a group (a conflict) and then each on its own
 * autocommit statement: every one succeeds exactly once, and none is told so
 * before its change is in.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redeem_fixture.h"
#include "testlib.h"

#define ER_ERROR_DURING_COMMIT 1180
#define ER_LOCK_DEADLOCK 1213 /* what a Galera certification failure looks like */

enum path { LIMIT, IDEM, EVENTS, CONFIRM, FAST };

struct row {
	int line;
	enum path path;
	const char *extra;     /* campaign columns */
	unsigned int fault;    /* the errno every COMMIT fails with */
	enum cp_status want;
};

static const struct row rows[] = {
	{__LINE__, LIMIT, "per_user_limit = 1", ER_ERROR_DURING_COMMIT, CP_E_DB},
	{__LINE__, IDEM, "", ER_ERROR_DURING_COMMIT, CP_E_DB},
	{__LINE__, EVENTS, "events_enabled = 1", ER_ERROR_DURING_COMMIT, CP_E_DB},
	{__LINE__, CONFIRM, "per_user_limit = 1", ER_ERROR_DURING_COMMIT, CP_E_DB},
	{__LINE__, CONFIRM, "events_enabled = 1", ER_ERROR_DURING_COMMIT, CP_E_DB},
	/* a conflict at COMMIT is retried, and still not a success */
	{__LINE__, LIMIT, "per_user_limit = 1", ER_LOCK_DEADLOCK, CP_E_BUSY},
	{__LINE__, IDEM, "", ER_LOCK_DEADLOCK, CP_E_BUSY},
	{__LINE__, EVENTS, "events_enabled = 1", ER_LOCK_DEADLOCK, CP_E_BUSY},
	{__LINE__, CONFIRM, "per_user_limit = 1", ER_LOCK_DEADLOCK, CP_E_BUSY},
	/* the autocommit statement has no COMMIT to fail: the fault is COMMIT's alone */
	{__LINE__, FAST, "", ER_ERROR_DURING_COMMIT, CP_OK},
};

/* Statements of each path: UPDATE, then (reward read-back | stored reply), then
 * (use counted | event written), then COMMIT. */
static const struct lost {
	int line;
	enum path path;
	const char *extra;
	unsigned int kept; /* statements run before the transaction is lost */
} losts[] = {
	{__LINE__, LIMIT, "per_user_limit = 5", 1},
	{__LINE__, LIMIT, "per_user_limit = 5", 2},
	{__LINE__, LIMIT, "per_user_limit = 5", 3},
	{__LINE__, IDEM, "", 1},
	{__LINE__, IDEM, "", 2},
	{__LINE__, EVENTS, "events_enabled = 1", 1},
	{__LINE__, EVENTS, "events_enabled = 1", 2},
	{__LINE__, EVENTS, "events_enabled = 1", 3},
	{__LINE__, CONFIRM, "per_user_limit = 5, events_enabled = 1", 2},
	{__LINE__, CONFIRM, "per_user_limit = 5, events_enabled = 1", 4},
};

static struct cp_config cfg;
static struct cp_db *db;

#define q(...) tl_query_intf(db, __VA_ARGS__)

/* A connection made while the fault point NAME is set to VALUE. */
static struct cp_db *faulty(const char *name, unsigned int value)
{
	char v[16];
	struct cp_db *d;

	snprintf(v, sizeof v, "%u", value);
	setenv(name, v, 1);
	d = tl_db_open(&cfg);
	unsetenv(name);
	return d;
}

static enum cp_status op(struct cp_db *d, const struct row *r, const char *code,
			 const char *key, struct cp_redeem_result *res, struct cp_err *e)
{
	struct cp_redeem_req req = fx_req(code, "u1", NULL);

	if (r->path == IDEM) {
		req.api_key_id = 1;
		req.idem_key = key;
	}
	cp_err_clear(e);
	return cp_redeem_op(d, r->path == CONFIRM ? CP_OP_CONFIRM : CP_OP_REDEEM, &req, res, e);
}

/* The code, the usage, the outbox and the idempotency key as before the request. */
static void check_untouched(const struct row *r, uint32_t id, const char *key, long long events)
{
	const char *status = r->path == CONFIRM ? "pending" : "available";

	CHECK_AT(r->line, q("SELECT status = '%s' AND redeemed_at IS NULL FROM coupon_codes"
			    " WHERE campaign_id = %u", status, id) == 1,
		 "the code is no longer %s after the failed COMMIT", status);
	CHECK_AT(r->line, q("SELECT COUNT(*) FROM campaign_user_usage WHERE campaign_id = %u",
			    id) == 0,
		 "the usage was counted");
	CHECK_AT(r->line, q("SELECT COUNT(*) FROM outbox WHERE campaign_id = %u", id) == events,
		 "an event was written");
	CHECK_AT(r->line, q("SELECT COUNT(*) FROM idempotency_keys WHERE idem_key = '%s'", key) ==
				  0,
		 "the idempotency key kept a claim or a reply");
}

/*
 * A campaign of its own with one code, named by TAG and LINE, prefix P + LETTER;
 * the code reserved by u1 first when the path confirms.
 */
static uint32_t setup(const struct row *r, const char *tag, char p, int letter,
		      char code[][CP_CODE_MAX + 1])
{
	char name[32], prefix[4];
	struct cp_redeem_result res;
	struct cp_format f;
	struct cp_err e;
	uint32_t id;

	snprintf(name, sizeof name, "%s %d", tag, r->line);
	snprintf(prefix, sizeof prefix, "%c%c", p, 'A' + letter);
	id = fx_campaign(db, name, prefix, r->extra, &f);
	fx_codes(db, id, &f, 0, 1, code);
	cp_campaign_cache_reset(db); /* made behind the cache's back */
	if (r->path == CONFIRM) {
		struct cp_redeem_req req = fx_req(code[0], "u1", NULL);

		req.ttl = 600;
		CHECK_AT(r->line, cp_reserve(db, &req, &res, &e) == CP_OK, "reserve: %s", e.msg);
	}
	return id;
}

static void run_row(const struct row *r)
{
	char code[1][CP_CODE_MAX + 1], key[32];
	struct cp_redeem_result res;
	struct cp_err e;
	struct cp_db *bad;
	enum cp_status st;
	long long events;
	uint32_t id;

	snprintf(key, sizeof key, "key-%d", r->line);
	id = setup(r, "fault", 'F', (int)(r - rows), code);
	events = q("SELECT COUNT(*) FROM outbox WHERE campaign_id = %u", id);
	bad = faulty("COUPON_TEST_FAIL_COMMIT", r->fault);
	st = op(bad, r, code[0], key, &res, &e);
	cp_db_close(bad);
	CHECK_AT(r->line, st == r->want, "with COMMIT failing (%u): got %s (%s), want %s",
		 r->fault, cp_status_code(st), e.msg, cp_status_code(r->want));
	CHECK_AT(r->line, res.status == st, "result status %s, returned %s",
		 cp_status_code(res.status), cp_status_code(st));
	if (r->want == CP_E_BUSY)
		CHECK_AT(r->line, res.retries == cfg.retries, "%u retries, want %u", res.retries,
			 cfg.retries);
	if (r->want == CP_OK) {
		CHECK_AT(r->line, q("SELECT COUNT(*) FROM coupon_codes WHERE status = 'redeemed'"
				    " AND campaign_id = %u", id) == 1,
			 "the autocommit redemption is not stored");
		return;
	}
	check_untouched(r, id, key, events);

	/* Nothing stuck: the same request on a healthy connection is a first success. */
	st = op(db, r, code[0], key, &res, &e);
	CHECK_AT(r->line, st == CP_OK && !res.replay, "afterwards: got %s (%s), replay %d",
		 cp_status_code(st), e.msg, res.replay);
	CHECK_AT(r->line, q("SELECT COUNT(*) FROM coupon_codes WHERE status = 'redeemed'"
			    " AND redeemed_by_user_id = 'u1' AND campaign_id = %u", id) == 1,
		 "afterwards: the code is not redeemed by u1");
}

static void run_lost(const struct lost *l, unsigned int no)
{
	const struct row r = {l->line, l->path, l->extra, 0, CP_OK};
	char code[1][CP_CODE_MAX + 1], key[32];
	struct cp_redeem_result res;
	struct cp_err e;
	struct cp_db *d;
	enum cp_status st;
	long long events;
	uint32_t id;

	snprintf(key, sizeof key, "lost-%d", l->line);
	id = setup(&r, "lost", 'L', (int)no, code);
	events = q("SELECT COUNT(*) FROM outbox WHERE campaign_id = %u", id);
	d = faulty("COUPON_TEST_LOSE_TX", l->kept);
	st = op(d, &r, code[0], key, &res, &e);
	CHECK_AT(l->line, st == CP_OK && !res.replay && res.retries >= 1,
		 "lost after %u statements: got %s (%s), replay %d, %u retries", l->kept,
		 cp_status_code(st), e.msg, res.replay, res.retries);
	CHECK_AT(l->line, q("SELECT COUNT(*) FROM coupon_codes WHERE status = 'redeemed'"
			    " AND redeemed_by_user_id = 'u1' AND campaign_id = %u", id) == 1,
		 "the code is not redeemed by u1");
	if (l->path == LIMIT || l->path == CONFIRM)
		CHECK_AT(l->line, q("SELECT COALESCE(SUM(used), 0) FROM campaign_user_usage"
				    " WHERE campaign_id = %u", id) == 1,
			 "uses counted: %lld, want 1",
			 q("SELECT COALESCE(SUM(used), 0) FROM campaign_user_usage"
			   " WHERE campaign_id = %u", id));
	if (l->path == EVENTS || l->path == CONFIRM)
		CHECK_AT(l->line, q("SELECT COUNT(*) FROM outbox WHERE campaign_id = %u", id) ==
					  events + 1,
			 "events written: %lld, want 1",
			 q("SELECT COUNT(*) FROM outbox WHERE campaign_id = %u", id) - events);
	if (l->path == IDEM) {
		CHECK_AT(l->line, q("SELECT COUNT(*) FROM idempotency_keys WHERE idem_key = '%s'"
				    " AND state = 'done'", key) == 1,
			 "the reply is not stored once");
		/* The stored reply is the success, replayed. */
		st = op(d, &r, code[0], key, &res, &e);
		CHECK_AT(l->line, st == CP_OK && res.replay, "replay: got %s, replay %d",
			 cp_status_code(st), res.replay);
	}
	cp_db_close(d);
}

/* ------------------------------------------------------------ group commit */

#define GTHREADS 8
#define GPER 12

static struct {
	char codes[GTHREADS * GPER][CP_CODE_MAX + 1];
	unsigned int fault;
	struct cp_group *group;
	struct cp_db *conn[GTHREADS]; /* opened before the threads: setenv is not thread-safe */
	pthread_barrier_t start;
	atomic_uint shared, ok, retried;
	char err[600];
} gx;

static void observe(void *arg, unsigned int size, unsigned int duplicates)
{
	(void)arg;
	(void)duplicates;
	if (size > 1)
		atomic_fetch_add(&gx.shared, 1);
}

static void *grouped_worker(void *arg)
{
	unsigned int t = *(unsigned int *)arg;
	struct cp_db *d = gx.conn[t];
	struct cp_redeem_result res;
	struct cp_err e;
	char user[16];

	snprintf(user, sizeof user, "g%u", t);
	pthread_barrier_wait(&gx.start);
	for (unsigned int i = 0; i < GPER; i++) {
		struct cp_redeem_req req = fx_req(gx.codes[t * GPER + i], user, NULL);
		enum cp_status st;

		cp_err_clear(&e);
		st = cp_redeem_grouped(gx.group, d, &req, &res, &e);
		if (st == CP_OK && !res.replay)
			atomic_fetch_add(&gx.ok, 1);
		else if (gx.err[0] == '\0')
			snprintf(gx.err, sizeof gx.err, "%s (replay %d): %s", cp_status_code(st),
				 res.replay, e.msg);
		atomic_fetch_add(&gx.retried, res.retries > 0);
	}
	return NULL;
}

static void grouped_row(int line, unsigned int fault)
{
	pthread_t th[GTHREADS];
	unsigned int ids[GTHREADS];
	struct cp_format f;
	char name[32], prefix[4];
	uint32_t id;

	snprintf(name, sizeof name, "grouped fault %d", line);
	snprintf(prefix, sizeof prefix, "G%c", fault == ER_LOCK_DEADLOCK ? 'D' : 'E');
	id = fx_campaign(db, name, prefix, "", &f);
	fx_codes(db, id, &f, 0, GTHREADS * GPER, gx.codes);
	gx.fault = fault;
	atomic_store(&gx.shared, 0);
	atomic_store(&gx.ok, 0);
	atomic_store(&gx.retried, 0);
	gx.err[0] = '\0';
	gx.group = cp_group_create(1);
	cp_group_set_observer(gx.group, observe, NULL);
	pthread_barrier_init(&gx.start, NULL, GTHREADS);
	for (unsigned int t = 0; t < GTHREADS; t++) {
		ids[t] = t;
		gx.conn[t] = faulty("COUPON_TEST_FAIL_COMMIT", fault);
		if (pthread_create(&th[t], NULL, grouped_worker, &ids[t]) != 0)
			abort();
	}
	for (unsigned int t = 0; t < GTHREADS; t++) {
		pthread_join(th[t], NULL);
		cp_db_close(gx.conn[t]);
	}
	pthread_barrier_destroy(&gx.start);
	cp_group_free(gx.group);
	printf("grouped, COMMIT failing with %u: %u groups of more than one, %u requests"
	       " retried\n", fault, atomic_load(&gx.shared), atomic_load(&gx.retried));
	CHECK_AT(line, atomic_load(&gx.ok) == GTHREADS * GPER, "%u first successes of %d: %s",
		 atomic_load(&gx.ok), GTHREADS * GPER, gx.err);
	CHECK_AT(line, atomic_load(&gx.shared) > 0, "no group held more than one request");
	if (fault == ER_LOCK_DEADLOCK)
		CHECK_AT(line, atomic_load(&gx.retried) > 0, "no group was retried");
	for (unsigned int t = 0; t < GTHREADS; t++)
		CHECK_AT(line, q("SELECT COUNT(*) FROM coupon_codes WHERE campaign_id = %u AND"
				 " status = 'redeemed' AND redeemed_by_user_id = 'g%u'", id, t) ==
				       GPER,
			 "user g%u does not hold its %d codes", t, GPER);
}

int main(void)
{
#ifndef COUPON_FAULT_INJECTION
	const char *ci = getenv("CI");

	if (ci != NULL && *ci != '\0' && strcmp(ci, "false") != 0) {
		fprintf(stderr, "this build has no fault points: CI configures with "
				"--enable-fault-injection (./quickstart test)\n");
		return 99;
	}
	fprintf(stderr, "SKIP: built without --enable-fault-injection\n");
	return 77;
#endif
	db = tl_db_fresh("commit_fault", &cfg);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		run_row(&rows[i]);
	for (size_t i = 0; i < sizeof losts / sizeof losts[0]; i++)
		run_lost(&losts[i], (unsigned int)i);
	grouped_row(__LINE__, ER_ERROR_DURING_COMMIT);
	grouped_row(__LINE__, ER_LOCK_DEADLOCK);
	cp_db_close(db);
	cp_config_free(&cfg);
	return tl_done("test_commit_fault");
}
