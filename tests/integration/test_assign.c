/*
 * Hand-out (core/assign.c) against the real server:
 *  - the race: 64 threads, 64,000 distinct users, one campaign of 50,000 codes:
 *    exactly 50,000 handed out, 14,000 campaign_exhausted, no code held by two
 *    users, no user holding two, and each reply's code stored as that user's;
 *  - one user asking from 64 threads at once gets one code, the same in every reply;
 *  - the rules: the same code again, the holder alone redeems it (unless the
 *    campaign is transferable), valid_for, per-user limits above one, refusals
 *    naming their field with nothing handed out, idempotency keys, unassign with
 *    its code_events and audit rows, the outbox event, release back to the holder.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "redeem_fixture.h"
#include "testlib.h"

#define THREADS 64
#define USERS 64000
#define POOL 50000

static struct cp_config cfg;
static struct cp_db *db;
static pthread_barrier_t start;

struct job {
	unsigned int n;
	uint32_t campaign;
	const char *same_user; /* NULL: users n*USERS/THREADS.. of their own */
	unsigned int ok, exhausted, other;
	char (*codes)[CP_CODE_MAX + 1]; /* per user of the job: the code its reply named */
	char err[600];
};

static void user_name(unsigned int i, char *out, size_t n)
{
	snprintf(out, n, "user-%05u", i);
}

static void *worker(void *arg)
{
	struct job *j = arg;
	struct cp_db *mine = tl_db_open(&cfg);
	unsigned int per = j->same_user != NULL ? 1 : USERS / THREADS;

	pthread_barrier_wait(&start);
	for (unsigned int k = 0; k < per; k++) {
		struct cp_assign_req rq = {.campaign_id = j->campaign};
		struct cp_assign_result res;
		struct cp_err e;
		char user[32];
		enum cp_status st;

		user_name(j->n * per + k, user, sizeof user);
		rq.user_id = j->same_user != NULL ? j->same_user : user;
		cp_err_clear(&e);
		st = cp_assign(mine, &rq, &res, &e);
		if (st == CP_OK) {
			j->ok++;
			memcpy(j->codes[k], res.code, sizeof res.code);
		} else if (st == CP_E_CAMPAIGN_EXHAUSTED) {
			j->exhausted++;
		} else {
			j->other++;
			if (j->err[0] == '\0')
				snprintf(j->err, sizeof j->err, "%s: %s", cp_status_code(st), e.msg);
		}
	}
	cp_db_close(mine);
	return NULL;
}

static void run_jobs(struct job *jobs, uint32_t campaign, const char *same_user)
{
	pthread_t t[THREADS];
	unsigned int per = same_user != NULL ? 1 : USERS / THREADS;

	pthread_barrier_init(&start, NULL, THREADS);
	for (unsigned int i = 0; i < THREADS; i++) {
		memset(&jobs[i], 0, sizeof jobs[i]);
		jobs[i].n = i;
		jobs[i].campaign = campaign;
		jobs[i].same_user = same_user;
		jobs[i].codes = calloc(per, sizeof *jobs[i].codes);
		if (jobs[i].codes == NULL || pthread_create(&t[i], NULL, worker, &jobs[i]) != 0)
			abort();
	}
	for (unsigned int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
}

static int by_code(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Every reply's code is stored as its user's, and no two replies share a code. */
static void check_replies(struct job *jobs)
{
	char (*all)[CP_CODE_MAX + 1] = calloc(POOL, sizeof *all);
	char *sql = malloc(64 + 1000 * 80);
	size_t n = 0, len = 0;
	unsigned int dups = 0;

	tl_exec(db, "CREATE TABLE replies (user_id VARCHAR(64) CHARACTER SET utf8mb4"
		    " COLLATE utf8mb4_bin, code VARCHAR(48) CHARACTER SET ascii COLLATE ascii_bin)");
	for (unsigned int i = 0; i < THREADS; i++) {
		for (unsigned int k = 0; k < USERS / THREADS; k++) {
			char user[32];

			if (jobs[i].codes[k][0] == '\0')
				continue;
			user_name(i * (USERS / THREADS) + k, user, sizeof user);
			if (n < POOL)
				memcpy(all[n], jobs[i].codes[k], sizeof all[n]);
			if (len == 0)
				len = (size_t)snprintf(sql, 64, "INSERT INTO replies VALUES ");
			len += (size_t)sprintf(sql + len, "%s('%s','%s')", n % 1000 ? "," : "", user,
					       jobs[i].codes[k]);
			if (++n % 1000 == 0) {
				tl_exec(db, sql);
				len = 0;
			}
		}
	}
	if (len > 0)
		tl_exec(db, sql);
	qsort(all, n < POOL ? n : POOL, sizeof *all, by_code);
	for (size_t i = 1; i < n && i < POOL; i++)
		dups += strcmp(all[i - 1], all[i]) == 0;
	CHECK(dups == 0, "%u codes named in the replies of two users", dups);
	CHECK(tl_query_int(db, "SELECT COUNT(*) FROM replies r JOIN coupon_codes c ON"
			       " c.code = r.code AND c.assigned_user_id = r.user_id"
			       " AND c.status = 'assigned'") == POOL,
	      "the replies' codes are not all stored as their users'");
	tl_exec(db, "DROP TABLE replies");
	free(sql);
	free(all);
}

static void the_race(void)
{
	static struct job jobs[THREADS];
	struct cp_format f;
	unsigned int ok = 0, exhausted = 0, other = 0;
	struct timespec t0, t1;
	uint32_t id = fx_campaign(db, "pool", "PL", "", &f);

	fx_codes(db, id, &f, 0, POOL, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	run_jobs(jobs, id, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (unsigned int i = 0; i < THREADS; i++) {
		ok += jobs[i].ok;
		exhausted += jobs[i].exhausted;
		other += jobs[i].other;
		CHECK(jobs[i].err[0] == '\0', "thread %u: %s", i, jobs[i].err);
	}
	printf("race: %u assigned, %u exhausted, %u other in %.1f s\n", ok, exhausted, other,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	CHECK(ok == POOL, "%u assigned, want %d", ok, POOL);
	CHECK(exhausted == USERS - POOL, "%u campaign_exhausted, want %d", exhausted, USERS - POOL);
	CHECK(tl_query_intf(db, "SELECT COUNT(*) FROM coupon_codes WHERE campaign_id = %u AND"
				" status = 'assigned'", id) == POOL, "stored assignments differ");
	CHECK(tl_query_intf(db, "SELECT COUNT(DISTINCT assigned_user_id) FROM coupon_codes"
				" WHERE campaign_id = %u", id) == POOL, "a user holds two codes");
	CHECK(tl_query_intf(db, "SELECT COUNT(*) FROM coupon_codes WHERE campaign_id = %u AND"
				" (status = 'assigned') <> (assigned_user_id IS NOT NULL)", id) == 0,
	      "an assigned code without its user, or a user on a free code");
	check_replies(jobs);
	for (unsigned int i = 0; i < THREADS; i++)
		free(jobs[i].codes);
}

/* One user from every thread at once: one code, the same in every reply. */
static void same_user(void)
{
	static struct job jobs[THREADS];
	struct cp_format f;
	unsigned int ok = 0, differ = 0;
	uint32_t id = fx_campaign(db, "twins", "TW", "", &f);

	fx_codes(db, id, &f, 0, 500, NULL);
	run_jobs(jobs, id, "twin");
	for (unsigned int i = 0; i < THREADS; i++) {
		ok += jobs[i].ok;
		differ += strcmp(jobs[i].codes[0], jobs[0].codes[0]) != 0;
		CHECK(jobs[i].err[0] == '\0', "twins: thread %u: %s", i, jobs[i].err);
	}
	CHECK(ok == THREADS && differ == 0, "twins: %u replies, %u with another code", ok, differ);
	CHECK(tl_query_intf(db, "SELECT COUNT(*) FROM coupon_codes WHERE campaign_id = %u AND"
				" status = 'assigned'", id) == 1, "twins: not exactly one code");
	for (unsigned int i = 0; i < THREADS; i++)
		free(jobs[i].codes);
}

/* ------------------------------------------------------------ the rules */

static enum cp_status assign(uint32_t campaign, const char *user, const char *order,
			     struct cp_assign_result *res, struct cp_err *e)
{
	struct cp_assign_req rq = {.campaign_id = campaign, .user_id = user, .order_id = order};

	cp_err_clear(e);
	return cp_assign(db, &rq, res, e);
}

static enum cp_status redeem(const char *code, const char *user)
{
	struct cp_redeem_req rq = fx_req(code, user, NULL);
	struct cp_redeem_result res;
	struct cp_err e;

	return cp_redeem(db, &rq, &res, &e);
}

static void same_code_and_holder(void)
{
	struct cp_assign_result a, b;
	struct cp_err e;
	struct cp_format f;
	uint32_t id = fx_campaign(db, "holder", "HO", "", &f);

	fx_codes(db, id, &f, 0, 3, NULL);
	CHECK(assign(id, "ann", NULL, &a, &e) == CP_OK && !a.held && a.display[0] != '\0' &&
		      a.assigned_at > 0 && a.valid_until == 0,
	      "ann: %s", e.msg);
	CHECK(assign(id, "ann", "o-2", &b, &e) == CP_OK && b.held && strcmp(a.code, b.code) == 0,
	      "ann again: %s, %s vs %s", cp_status_code(b.status), b.code, a.code);
	cp_campaign_cache_reset(db);
	CHECK(redeem(a.code, "bob") == CP_E_ASSIGNED_OTHER, "bob redeemed ann's code");
	CHECK(redeem(a.code, "ann") == CP_OK, "ann could not redeem her code");
	CHECK(assign(id, "ann", NULL, &b, &e) == CP_OK && strcmp(a.code, b.code) == 0,
	      "ann after redeeming: %s", cp_status_code(b.status));
	CHECK(assign(id, "bob", NULL, &b, &e) == CP_OK && assign(id, "cat", NULL, &b, &e) == CP_OK,
	      "bob, cat: %s", e.msg);
	CHECK(assign(id, "dan", NULL, &b, &e) == CP_E_CAMPAIGN_EXHAUSTED, "dan: %s",
	      cp_status_code(b.status));
}

static void transferable_and_valid_for(void)
{
	struct cp_assign_result a;
	struct cp_err e;
	struct cp_format f, g;
	uint32_t t = fx_campaign(db, "gift", "GI", "transferable = 1", &g);
	uint32_t v = fx_campaign(db, "short", "SH", "assign_valid_for = 3600", &f);

	cp_campaign_cache_reset(db);
	fx_codes(db, t, &g, 0, 1, NULL);
	CHECK(assign(t, "ann", NULL, &a, &e) == CP_OK, "gift: %s", e.msg);
	CHECK(redeem(a.code, "bob") == CP_OK, "bob could not redeem a transferable code");
	fx_codes(db, v, &f, 100, 1, NULL);
	CHECK(assign(v, "ann", NULL, &a, &e) == CP_OK && a.valid_until == a.assigned_at + 3600,
	      "short: %s, %lld", e.msg, (long long)(a.valid_until - a.assigned_at));
	tl_exec(db, "UPDATE coupon_codes c JOIN campaigns k ON k.id = c.campaign_id"
		    " SET c.assigned_until = NOW(6) - INTERVAL 1 SECOND WHERE k.name = 'short'");
	CHECK(redeem(a.code, "ann") == CP_E_EXPIRED, "an assignment past valid_for redeemed");
}

static void per_user_limit(void)
{
	struct cp_assign_result a, b, c;
	struct cp_err e;
	struct cp_format f;
	uint32_t id = fx_campaign(db, "two each", "TE", "per_user_limit = 2", &f);

	fx_codes(db, id, &f, 0, 5, NULL);
	CHECK(assign(id, "ann", "o-1", &a, &e) == CP_OK && assign(id, "ann", "o-2", &b, &e) == CP_OK &&
		      strcmp(a.code, b.code) != 0,
	      "two each: %s", e.msg);
	CHECK(assign(id, "ann", "o-1", &c, &e) == CP_OK && strcmp(a.code, c.code) == 0 && c.held,
	      "o-1 again: %s", cp_status_code(c.status));
	CHECK(assign(id, "ann", "o-3", &c, &e) == CP_E_USER_LIMIT, "a third: %s",
	      cp_status_code(c.status));
}

/*
 * The common path hands out candidates its process read before (core/assign.c):
 * one statement once they are read, and what changed since (the campaign's
 * reward, validity or status, codes taken elsewhere) is what the statement
 * sees, never what the candidates said.
 */
static void candidates(void)
{
	struct cp_assign_result a;
	struct cp_err e;
	struct cp_format f;
	uint32_t id = fx_campaign(db, "candidates", "CA", "", &f);
	long long n, reward, left;

	fx_codes(db, id, &f, 0, 10, NULL);
	cp_campaign_cache_reset(db);
	CHECK(assign(id, "c-ann", NULL, &a, &e) == CP_OK && !a.held, "warm: %s", e.msg);
	n = fx_stmt_executes(db);
	CHECK(assign(id, "c-bob", NULL, &a, &e) == CP_OK && !a.held && a.reward.id == 0,
	      "bob: %s", e.msg);
	CHECK(fx_stmt_executes(db) - n == 1, "a hand-out took %lld statements, want 1",
	      fx_stmt_executes(db) - n);

	tl_execf(db, "UPDATE campaigns SET status = 'paused' WHERE id = %u", id);
	CHECK(assign(id, "c-cat", NULL, &a, &e) == CP_E_CAMPAIGN_PAUSED, "paused: %s",
	      cp_status_code(a.status));
	CHECK(tl_query_intf(db, "SELECT COUNT(*) FROM coupon_codes WHERE campaign_id = %u"
				" AND status = 'assigned'", id) == 2,
	      "a paused campaign handed a code out");
	tl_execf(db, "INSERT INTO campaign_rewards (campaign_id, reward_type, percent)"
		     " VALUES (%u, 'percent_off', 1250)", id);
	tl_execf(db, "UPDATE campaigns SET status = 'active', assign_valid_for = 60,"
		     " reward_id = LAST_INSERT_ID() WHERE id = %u", id);
	reward = tl_query_intf(db, "SELECT reward_id FROM campaigns WHERE id = %u", id);
	CHECK(assign(id, "c-cat", NULL, &a, &e) == CP_OK && a.reward.id == reward &&
		      a.valid_until == a.assigned_at + 60,
	      "cat: %s, reward %u (want %lld), valid for %lld", e.msg, a.reward.id, reward,
	      (long long)(a.valid_until - a.assigned_at));
	CHECK(tl_query_intf(db, "SELECT COUNT(*) FROM coupon_codes WHERE code = '%s'"
				" AND reward_id = %lld AND assigned_user_id = 'c-cat' AND"
				" assigned_until = assigned_at + INTERVAL 60 SECOND",
			    a.code, reward) == 1,
	      "cat's reply is not what was stored");

	/* All but one of the rest taken elsewhere: the candidates still list them. */
	tl_execf(db, "UPDATE coupon_codes SET status = 'redeemed', redeemed_at = NOW(6)"
		     " WHERE campaign_id = %u AND status = 'available' ORDER BY id DESC LIMIT 6", id);
	left = tl_query_intf(db, "SELECT MIN(id) FROM coupon_codes WHERE campaign_id = %u"
				 " AND status = 'available'", id);
	CHECK(assign(id, "c-dan", NULL, &a, &e) == CP_OK, "dan: %s", e.msg);
	CHECK(tl_query_intf(db, "SELECT COUNT(*) FROM coupon_codes WHERE id = %lld AND code = '%s'"
				" AND assigned_user_id = 'c-dan'", left, a.code) == 1,
	      "dan was not handed the code left (id %lld): %s", left, a.code);
	CHECK(assign(id, "c-eve", NULL, &a, &e) == CP_E_CAMPAIGN_EXHAUSTED, "eve: %s",
	      cp_status_code(a.status));
}

static const struct {
	int line;
	uint32_t campaign; /* 0: the good one */
	const char *user, *order;
	enum cp_status want;
	const char *field;
} bad[] = {
	{__LINE__, 0, "", NULL, CP_E_INVALID_ARGUMENT, "user_id"},
	{__LINE__, 0, NULL, NULL, CP_E_INVALID_ARGUMENT, "user_id"},
	{__LINE__, 0, "a\tb", NULL, CP_E_INVALID_ARGUMENT, "user_id"},
	{__LINE__, 0, "0123456789012345678901234567890123456789012345678901234567890123x", NULL,
	 CP_E_INVALID_ARGUMENT, "user_id"},
	{__LINE__, 0, "\xff\xfe", NULL, CP_E_INVALID_ARGUMENT, "user_id"},
	{__LINE__, 0, "ann", "o\n1", CP_E_INVALID_ARGUMENT, "order_id"},
	{__LINE__, 999999, "ann", NULL, CP_E_NOT_FOUND, "campaign"},
	{__LINE__, 1, "ann", NULL, CP_E_CAMPAIGN_PAUSED, ""},
};

static void refusals(void)
{
	struct cp_format f;
	uint32_t good = fx_campaign(db, "refusals", "RF", "", &f);
	uint32_t paused = fx_campaign(db, "paused", "PA", "status = 'paused'", &f);

	fx_codes(db, good, &f, 0, 2, NULL);
	fx_codes(db, paused, &f, 10, 2, NULL);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct cp_assign_result r;
		struct cp_err e;
		uint32_t id = bad[i].campaign == 0 ? good : bad[i].campaign == 1 ? paused
									 : bad[i].campaign;
		enum cp_status st = assign(id, bad[i].user, bad[i].order, &r, &e);

		CHECK_AT(bad[i].line, st == bad[i].want && strcmp(e.field, bad[i].field) == 0,
			 "got %s (field '%s': %s)", cp_status_code(st), e.field, e.msg);
	}
	CHECK(tl_query_intf(db, "SELECT COUNT(*) FROM coupon_codes WHERE campaign_id IN (%u, %u)"
				" AND status <> 'available'", good, paused) == 0,
	      "a refused hand-out left a code assigned");
}

static void idempotency(void)
{
	struct cp_assign_req rq = {.user_id = "ann", .api_key_id = 7, .idem_key = "k-1"};
	struct cp_assign_result a, b;
	struct cp_err e;
	struct cp_format f;

	rq.campaign_id = fx_campaign(db, "idem", "ID", "", &f);
	fx_codes(db, rq.campaign_id, &f, 0, 3, NULL);
	CHECK(cp_assign(db, &rq, &a, &e) == CP_OK && !a.replay, "first: %s", e.msg);
	CHECK(cp_assign(db, &rq, &b, &e) == CP_OK && b.replay && strcmp(a.code, b.code) == 0 &&
		      b.assigned_at == a.assigned_at && strcmp(b.display, a.display) == 0,
	      "repeat: %s, replay %d", cp_status_code(b.status), b.replay);
	rq.user_id = "bob";
	CHECK(cp_assign(db, &rq, &b, &e) == CP_E_IDEMPOTENCY_CONFLICT, "another body: %s",
	      cp_status_code(b.status));
	rq.idem_key = "bad key";
	CHECK(cp_assign(db, &rq, &b, &e) == CP_E_INVALID_ARGUMENT, "a key with a space: %s",
	      cp_status_code(b.status));
}

static void unassign_and_events(void)
{
	struct cp_assign_result a, b;
	struct cp_code_info info;
	struct cp_err e;
	struct cp_format f;
	struct cp_redeem_req rq;
	struct cp_redeem_result res;
	uint32_t id = fx_campaign(db, "support", "SU", "events_enabled = 1", &f);

	fx_codes(db, id, &f, 0, 1, NULL);
	CHECK(assign(id, "ann", "o-1", &a, &e) == CP_OK, "support: %s", e.msg);
	CHECK(tl_query_intf(db, "SELECT COUNT(*) FROM outbox WHERE event_type = 'assigned' AND"
				" code = '%s' AND user_id = 'ann' AND order_id = 'o-1'", a.code) == 1,
	      "no outbox event for the hand-out");
	/* A reservation given back returns the code to its holder. */
	cp_campaign_cache_reset(db);
	rq = fx_req(a.code, "ann", NULL);
	CHECK(cp_reserve(db, &rq, &res, &e) == CP_OK && cp_release(db, &rq, &res, &e) == CP_OK,
	      "reserve, release: %s", e.msg);
	CHECK(tl_query_intf(db, "SELECT COUNT(*) FROM coupon_codes WHERE code = '%s' AND"
				" status = 'assigned' AND assigned_user_id = 'ann'", a.code) == 1,
	      "a released hand-out is not its holder's any more");
	CHECK(cp_code_unassign(db, a.code, strlen(a.code), "support@test", "wrong customer", &info,
			       &e) == CP_OK && info.status == CP_CODE_AVAILABLE &&
		      info.assigned_to[0] == '\0',
	      "unassign: %s", e.msg);
	CHECK(tl_query_intf(db, "SELECT COUNT(*) FROM code_events WHERE action = 'unassign' AND"
				" prior_status = 'assigned' AND prior_user_id = 'ann'"
				" AND actor = 'support@test'") == 1, "no code_events row");
	CHECK(tl_query_int(db, "SELECT COUNT(*) FROM audit_log WHERE action = 'code.unassign'") == 1,
	      "no audit row");
	CHECK(cp_code_unassign(db, a.code, strlen(a.code), "support@test", NULL, &info, &e) ==
		      CP_E_CONFLICT, "unassigning a free code");
	CHECK(assign(id, "bob", NULL, &b, &e) == CP_OK && strcmp(a.code, b.code) == 0,
	      "the unassigned code was not handed out again: %s", e.msg);
}

int main(void)
{
	db = tl_db_fresh("assign", &cfg);
	same_code_and_holder();
	transferable_and_valid_for();
	per_user_limit();
	candidates();
	refusals();
	idempotency();
	unassign_and_events();
	same_user();
	the_race();
	cp_db_close(db);
	cp_config_free(&cfg);
	return tl_done("test_assign");
}
