/*
 * Exactly once under contention: 64 threads, one connection each.
 *  - hot spot: all redeem the same 1,000 codes: exactly 1,000 successes, every
 *    other attempt already_redeemed, each code redeemed once, by the winner.
 *  - the same with reservations;
 *  - a per-user limit of 1: one user racing across 2 codes gets exactly one;
 *  - distinct codes: every one succeeds;
 *  - a pause under load: once cp_campaign_set_status has returned, no redemption
 *    that starts afterwards succeeds (threads whose campaign cache was read before
 *    the pause included).
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "redeem_fixture.h"
#include "testlib.h"

#define THREADS 64
#define HOT 1000
#define PER_THREAD 16 /* distinct codes each */

static struct cp_config cfg;
static struct timespec t0;

static double elapsed(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9;
}
static struct cp_db *db;
static pthread_barrier_t start;
/* Group commit: redemptions go through GROUP when it is set (the runs "grouped"). */
static struct cp_group *group;
static atomic_uint groups_shared, groups_dup;

static void observe(void *arg, unsigned int size, unsigned int duplicates)
{
	(void)arg;
	if (size > 1)
		atomic_fetch_add(&groups_shared, 1);
	if (duplicates > 0)
		atomic_fetch_add(&groups_dup, 1);
}

static enum cp_status redeem_op(struct cp_db *d, enum cp_op op, const struct cp_redeem_req *r,
				struct cp_redeem_result *res, struct cp_err *e)
{
	if (group != NULL && op == CP_OP_REDEEM)
		return cp_redeem_grouped(group, d, r, res, e);
	return cp_redeem_op(d, op, r, res, e);
}

struct job {
	unsigned int n;
	enum cp_op op;
	char (*codes)[CP_CODE_MAX + 1];
	size_t ncodes;
	size_t offset;        /* where this thread starts in CODES */
	char user[32], order[32];
	unsigned int replays;
	unsigned int tally[CP_STATUS_COUNT];
	unsigned char *won;   /* per code: this thread won it */
	unsigned int retries;
	char err[600];
};

static void *worker(void *arg)
{
	struct job *j = arg;
	struct cp_db *mine = tl_db_open(&cfg);
	struct cp_redeem_result res;
	struct cp_err e;

	pthread_barrier_wait(&start);
	for (size_t k = 0; k < j->ncodes; k++) {
		size_t i = (j->offset + k) % j->ncodes;
		struct cp_redeem_req r = fx_req(j->codes[i], j->user,
						j->order[0] ? j->order : NULL);
		enum cp_status st;

		r.ttl = 600;
		cp_err_clear(&e);
		st = redeem_op(mine, j->op, &r, &res, &e);
		j->tally[st < CP_STATUS_COUNT ? st : CP_E_INTERNAL]++;
		j->retries += res.retries;
		j->replays += st == CP_OK && res.replay;
		if (st == CP_OK)
			j->won[i] = 1;
		else if (st != CP_E_ALREADY_REDEEMED && st != CP_E_RESERVED &&
			 st != CP_E_USER_LIMIT && j->err[0] == '\0')
			snprintf(j->err, sizeof j->err, "%s: %s", cp_status_code(st), e.msg);
	}
	cp_db_close(mine);
	return NULL;
}

static const char *own_user(unsigned int i, char *out)
{
	snprintf(out, 32, "user-%u", i);
	return out;
}

static const char *one_user(unsigned int i, char *out)
{
	(void)i;
	snprintf(out, 32, "greedy");
	return out;
}

/* Runs THREADS jobs; each job's users come from USER_OF(thread). */
static void race(struct job *jobs, enum cp_op op, char (*codes)[CP_CODE_MAX + 1],
		 size_t ncodes, bool distinct, const char *(*user_of)(unsigned int, char *))
{
	pthread_t t[THREADS];

	pthread_barrier_init(&start, NULL, THREADS);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned int i = 0; i < THREADS; i++) {
		struct job *j = &jobs[i];

		memset(j, 0, sizeof *j);
		j->n = i;
		j->op = op;
		j->codes = distinct ? codes + (size_t)i * PER_THREAD : codes;
		j->ncodes = distinct ? PER_THREAD : ncodes;
		j->offset = distinct ? 0 : (size_t)i * (ncodes / THREADS + 1);
		user_of(i, j->user);
		if (user_of == one_user || distinct) /* each thread a checkout of its own */
			snprintf(j->order, sizeof j->order, "order-%u", i);
		j->won = calloc(j->ncodes, 1);
		if (pthread_create(&t[i], NULL, worker, j) != 0)
			abort();
	}
	for (unsigned int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
}

static unsigned int total(const struct job *jobs, enum cp_status st)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < THREADS; i++)
		n += jobs[i].tally[st];
	return n;
}

static void report_errors(const struct job *jobs, const char *what)
{
	unsigned int retries = 0;

	for (unsigned int i = 0; i < THREADS; i++) {
		retries += jobs[i].retries;
		CHECK(jobs[i].replays == 0, "%s: thread %u: %u replays", what, i, jobs[i].replays);
		CHECK(jobs[i].err[0] == '\0', "%s: thread %u: %s", what, i, jobs[i].err);
	}
	printf("%s: %u deadlock/lock-wait retries, %.1f s\n", what, retries, elapsed());
}

/* Each code won exactly once, and the DB names the winner the reply named. */
static void check_winners(struct job *jobs, char (*codes)[CP_CODE_MAX + 1], size_t n,
			  const char *status, const char *what)
{
	char sql[512];
	unsigned int bad = 0, wrong = 0;

	for (size_t c = 0; c < n; c++) {
		int winner = -1, wins = 0;

		for (unsigned int i = 0; i < THREADS; i++) {
			if (jobs[i].won[c]) {
				winner = (int)i;
				wins++;
			}
		}
		if (wins != 1) {
			bad++;
			continue;
		}
		snprintf(sql, sizeof sql,
			 "SELECT COUNT(*) FROM coupon_codes WHERE code = '%.48s' AND status = '%.16s'"
			 " AND redeemed_by_user_id = '%.31s'", codes[c], status, jobs[winner].user);
		wrong += tl_query_int(db, sql) != 1;
	}
	CHECK(bad == 0, "%s: %u codes not won exactly once", what, bad);
	CHECK(wrong == 0, "%s: %u codes whose stored winner differs from the reply", what, wrong);
}

static void free_jobs(struct job *jobs)
{
	for (unsigned int i = 0; i < THREADS; i++)
		free(jobs[i].won);
}

static void hot_spot(struct job *jobs, enum cp_op op, enum cp_status loser, const char *status)
{
	static char codes[HOT][CP_CODE_MAX + 1];
	struct cp_format f;
	char name[32], prefix[4], sql[512];
	uint32_t id;

	snprintf(name, sizeof name, "hot %s%s", cp_op_name(op), group != NULL ? " grouped" : "");
	snprintf(prefix, sizeof prefix, "H%c", group != NULL ? 'G' : op == CP_OP_REDEEM ? 'D' : 'S');
	id = fx_campaign(db, name, prefix, "", &f);
	fx_codes(db, id, &f, 0, HOT, codes);
	race(jobs, op, codes, HOT, false, own_user);
	CHECK(total(jobs, CP_OK) == HOT, "%s: %u successes, want %d", name, total(jobs, CP_OK),
	      HOT);
	CHECK(total(jobs, loser) == THREADS * HOT - HOT, "%s: %u %s, want %d", name,
	      total(jobs, loser), cp_status_code(loser), THREADS * HOT - HOT);
	report_errors(jobs, name);
	check_winners(jobs, codes, HOT, status, name);
	snprintf(sql, sizeof sql,
		 "SELECT COUNT(*) FROM coupon_codes WHERE campaign_id = %u AND status = '%s'", id,
		 status);
	CHECK(tl_query_int(db, sql) == HOT, "%s: all codes %s", name, status);
	free_jobs(jobs);
}

static void limit_race(struct job *jobs)
{
	char codes[2][CP_CODE_MAX + 1], sql[256];
	struct cp_format f;
	uint32_t id = fx_campaign(db, "limited race", "LR", "per_user_limit = 1", &f);

	fx_codes(db, id, &f, 0, 2, codes);
	race(jobs, CP_OP_REDEEM, codes, 2, false, one_user);
	CHECK(total(jobs, CP_OK) == 1, "limit race: %u successes, want 1", total(jobs, CP_OK));
	CHECK(total(jobs, CP_E_USER_LIMIT) + total(jobs, CP_E_ALREADY_REDEEMED) ==
		      THREADS * 2 - 1,
	      "limit race: others %u user_limit_reached + %u already_redeemed",
	      total(jobs, CP_E_USER_LIMIT), total(jobs, CP_E_ALREADY_REDEEMED));
	CHECK(total(jobs, CP_E_USER_LIMIT) > 0, "limit race: the limit was never reached");
	report_errors(jobs, "limit race");
	snprintf(sql, sizeof sql,
		 "SELECT COUNT(*) FROM coupon_codes WHERE campaign_id = %u AND status = 'redeemed'",
		 id);
	CHECK(tl_query_int(db, sql) == 1, "limit race: one code redeemed");
	snprintf(sql, sizeof sql,
		 "SELECT used FROM campaign_user_usage WHERE campaign_id = %u AND user_id = 'greedy'",
		 id);
	CHECK(tl_query_int(db, sql) == 1, "limit race: usage 1");
	free_jobs(jobs);
}

static void distinct(struct job *jobs)
{
	static char codes[THREADS * PER_THREAD][CP_CODE_MAX + 1];
	struct cp_format f;
	const char *what = group != NULL ? "distinct grouped" : "distinct";
	uint32_t id = fx_campaign(db, what, group != NULL ? "DG" : "DI", "", &f);
	char sql[512];

	fx_codes(db, id, &f, 0, THREADS * PER_THREAD, codes);
	snprintf(sql, sizeof sql, "INSERT INTO campaign_rewards (campaign_id, reward_type, sku)"
		 " VALUES (%u, 'item', 'race')", id);
	tl_exec(db, sql);
	snprintf(sql, sizeof sql, "UPDATE campaigns SET reward_id = LAST_INSERT_ID() WHERE id = %u",
		 id);
	tl_exec(db, sql);
	race(jobs, CP_OP_REDEEM, codes, THREADS * PER_THREAD, true, own_user);
	CHECK(total(jobs, CP_OK) == THREADS * PER_THREAD, "%s: %u successes, want %d", what,
	      total(jobs, CP_OK), THREADS * PER_THREAD);
	report_errors(jobs, what);
	snprintf(sql, sizeof sql,
		 "SELECT COUNT(*) FROM coupon_codes WHERE campaign_id = %u AND status = 'redeemed'",
		 id);
	CHECK(tl_query_int(db, sql) == THREADS * PER_THREAD, "%s: all redeemed", what);
	/* Each code holds its own request's user, order and the campaign's reward. */
	snprintf(sql, sizeof sql,
		 "SELECT COUNT(*) FROM coupon_codes c JOIN campaigns k ON k.id = c.campaign_id"
		 " WHERE k.id = %u AND c.reward_id = k.reward_id"
		 " AND c.order_id = CONCAT('order-', SUBSTRING(c.redeemed_by_user_id, 6))", id);
	CHECK(tl_query_int(db, sql) == THREADS * PER_THREAD,
	      "%s: a code holds another request's order or no reward", what);
	for (unsigned int t = 0; t < THREADS; t++) {
		char in[PER_THREAD * (CP_CODE_MAX + 3)], *p = in, q[sizeof in + 128];

		for (unsigned int k = 0; k < PER_THREAD; k++)
			p += sprintf(p, "%s'%s'", k > 0 ? "," : "", codes[t * PER_THREAD + k]);
		snprintf(q, sizeof q, "SELECT COUNT(*) FROM coupon_codes WHERE code IN (%s)"
			 " AND redeemed_by_user_id = 'user-%u'", in, t);
		CHECK(tl_query_int(db, q) == PER_THREAD, "%s: user-%u's codes hold another user",
		      what, t);
	}
	free_jobs(jobs);
}

#define PAUSERS 8
/* Paused refusals each thread sees after the pause returned before it stops. */
#define REFUSALS 20
/* Successes after the pause returned at which a thread gives up (already a failure). */
#define LATE_MAX 1000
/* The pool grows by BATCH codes whenever fewer than LOW are left. */
#define BATCH 4000
#define LOW 8000

/*
 * The pool grows as the threads use it (codes are fx_code(index), inserted by
 * refiller()), and a refused thread retries the same code, so how many codes the
 * race takes depends on nothing but what happened: the threads stop once each
 * has been refused REFUSALS times by redemptions it started after the pause
 * returned, however fast or slow the machine.
 */
static struct {
	struct cp_format f;
	uint32_t id;
	atomic_size_t next, have;
	atomic_bool returned, stop;
	atomic_uint ok, paused, late_ok, other;
	char err[600];
} pz;

static void nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* The index of a code that is in the database, waiting for the refiller if need be. */
static size_t take_code(void)
{
	size_t i = atomic_fetch_add(&pz.next, 1);

	while (i >= atomic_load(&pz.have))
		nap_ms(1);
	return i;
}

/* Keeps LOW codes ahead of the threads until told to stop. */
static void *refiller(void *arg)
{
	struct cp_db *mine = tl_db_open(&cfg);

	(void)arg;
	while (!atomic_load(&pz.stop)) {
		size_t have = atomic_load(&pz.have);

		if (atomic_load(&pz.next) + LOW <= have) {
			nap_ms(1);
			continue;
		}
		fx_codes(mine, pz.id, &pz.f, have, BATCH, NULL);
		atomic_store(&pz.have, have + BATCH);
	}
	cp_db_close(mine);
	return NULL;
}

/*
 * Redeems a fresh code after each success and the same code again after a
 * refusal, until it has seen REFUSALS refusals (or LATE_MAX successes) among the
 * redemptions it started after the pause returned, or anything else went wrong.
 */
static void *pauser(void *arg)
{
	struct cp_db *mine = tl_db_open(&cfg);
	struct cp_redeem_result res;
	struct cp_err e;
	char user[32], code[CP_CODE_MAX + 1];
	unsigned int refused = 0, late = 0;

	snprintf(user, sizeof user, "pz-%u", *(unsigned int *)arg);
	pthread_barrier_wait(&start);
	fx_code(&pz.f, take_code(), code);
	while (refused < REFUSALS && late < LATE_MAX && atomic_load(&pz.other) == 0) {
		bool after = atomic_load(&pz.returned);
		struct cp_redeem_req r = fx_req(code, user, NULL);
		enum cp_status st = redeem_op(mine, CP_OP_REDEEM, &r, &res, &e);

		if (st == CP_E_CAMPAIGN_PAUSED) {
			atomic_fetch_add(&pz.paused, 1);
			refused += after;
			continue;
		}
		if (st == CP_OK) {
			atomic_fetch_add(&pz.ok, 1);
			late += after;
		} else if (atomic_fetch_add(&pz.other, 1) == 0) {
			snprintf(pz.err, sizeof pz.err, "%s: %s", cp_status_code(st), e.msg);
		}
		fx_code(&pz.f, take_code(), code);
	}
	atomic_fetch_add(&pz.late_ok, late);
	cp_db_close(mine);
	return NULL;
}

/*
 * The redemptions run on the fast statement, whose campaign list each thread's
 * cache read up to 1.5 s before; the pause must wait until none of those lists
 * can match any more. Afterwards at most one redemption per thread may still
 * commit (the one already running when the pause returned), and none that
 * started afterwards.
 */
static void pause_race(void)
{
	pthread_t t[PAUSERS], fill;
	unsigned int ids[PAUSERS];
	char sql[256];
	long long at_return, at_end;
	double t1, waited;
	struct cp_err e;

	pz.id = fx_campaign(db, group != NULL ? "paused under load, grouped" : "paused under load",
			    group != NULL ? "PG" : "PZ", "", &pz.f);
	fx_codes(db, pz.id, &pz.f, 0, LOW, NULL);
	atomic_store(&pz.have, LOW);
	snprintf(sql, sizeof sql,
		 "SELECT COUNT(*) FROM coupon_codes WHERE campaign_id = %u AND status = 'redeemed'",
		 pz.id);
	pthread_barrier_init(&start, NULL, PAUSERS + 1);
	for (unsigned int i = 0; i < PAUSERS; i++) {
		ids[i] = i;
		pthread_create(&t[i], NULL, pauser, &ids[i]);
	}
	pthread_create(&fill, NULL, refiller, NULL);
	pthread_barrier_wait(&start);
	/* Every thread has read its cache (and the fast statement's list) by then. */
	while (atomic_load(&pz.ok) < 500 && atomic_load(&pz.other) == 0)
		nap_ms(10);
	t1 = elapsed();
	CHECK(cp_campaign_set_status(db, pz.id, CP_CAMPAIGN_PAUSED, &e) == CP_OK, "pause: %s",
	      e.msg);
	waited = elapsed() - t1;
	at_return = tl_query_int(db, sql);
	atomic_store(&pz.returned, true);
	for (unsigned int i = 0; i < PAUSERS; i++)
		pthread_join(t[i], NULL);
	atomic_store(&pz.stop, true);
	pthread_join(fill, NULL);
	pthread_barrier_destroy(&start);
	at_end = tl_query_int(db, sql);
	printf("pause under load: %u redeemed, %u refused as paused, %zu codes; the pause took"
	       " %.2f s; %lld committed after it returned, %u started after it succeeded\n",
	       atomic_load(&pz.ok), atomic_load(&pz.paused), atomic_load(&pz.have), waited,
	       at_end - at_return, atomic_load(&pz.late_ok));
	CHECK(atomic_load(&pz.paused) > 0, "pause race: no redemption was refused as paused");
	CHECK(at_end - at_return <= PAUSERS,
	      "pause race: %lld redemptions committed after the pause returned (at most %d"
	      " were running)", at_end - at_return, PAUSERS);
	CHECK(atomic_load(&pz.late_ok) == 0,
	      "pause race: %u redemptions started after the pause returned succeeded",
	      atomic_load(&pz.late_ok));
	CHECK(at_end == (long long)atomic_load(&pz.ok), "pause race: %lld redeemed, %u reported",
	      at_end, atomic_load(&pz.ok));
	CHECK(atomic_load(&pz.other) == 0, "pause race: %u other replies, first %s",
	      atomic_load(&pz.other), pz.err);
}

int main(void)
{
	static struct job jobs[THREADS];

	db = tl_db_fresh("race", &cfg);
	hot_spot(jobs, CP_OP_REDEEM, CP_E_ALREADY_REDEEMED, "redeemed");
	hot_spot(jobs, CP_OP_RESERVE, CP_E_RESERVED, "pending");
	limit_race(jobs);
	distinct(jobs);
	pause_race();

	/* The same with group commit: exactly once holds, and groups really formed. */
	group = cp_group_create(2);
	cp_group_set_observer(group, observe, NULL);
	hot_spot(jobs, CP_OP_REDEEM, CP_E_ALREADY_REDEEMED, "redeemed");
	distinct(jobs);
	memset(&pz, 0, sizeof pz);
	pause_race();
	printf("grouped: %u groups of more than one, %u with a code twice\n",
	       atomic_load(&groups_shared), atomic_load(&groups_dup));
	CHECK(atomic_load(&groups_shared) > 0, "grouped: no group held more than one redemption");
	cp_group_free(group);
	cp_db_close(db);
	cp_config_free(&cfg);
	return tl_done("test_race");
}
