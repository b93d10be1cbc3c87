/*
 * The campaign cap (max_redemptions, core/cap.c) against a real MariaDB:
 *  - 64 threads, one connection each, race with 1,024 distinct codes for the last
 *    LEFT units of a cap (half redeem, half reserve and confirm): exactly LEFT
 *    succeed, every other attempt is campaign_cap_reached, and the slot rows
 *    agree with the codes;
 *  - validate says campaign_cap_reached too;
 *  - a refund gives its unit back (once);
 *  - raising the cap lets exactly the difference through; lowering it below the
 *    count refuses, and refunds give room back only once the count is below it;
 *  - removing the cap, then a first cap again on a campaign whose codes were
 *    redeemed without one (counted once the front ends' fence has passed),
 *    through a connection whose campaign cache predates the cap.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redeem_fixture.h"
#include "testlib.h"

#define THREADS 64
#define PER_THREAD 16
#define CODES (THREADS * PER_THREAD)
#define CAP 300
#define LEFT 40 /* units left when the race starts */

static struct cp_config cfg;
static struct cp_db *db, *adm;
static uint32_t id;
static char codes[CODES][CP_CODE_MAX + 1];
static size_t next_code; /* the next code nobody tried yet, after the race */
static pthread_barrier_t start;

struct job {
	unsigned int n;
	unsigned int tally[CP_STATUS_COUNT];
	char err[600];
};

static enum cp_status redeem_as(struct cp_db *d, enum cp_op op, const char *code,
				const char *user, struct cp_err *e)
{
	struct cp_redeem_req r = fx_req(code, user, NULL);
	struct cp_redeem_result res;

	r.ttl = 600;
	cp_err_clear(e);
	return cp_redeem_op(d, op, &r, &res, e);
}

/* Odd threads reserve and confirm, even ones redeem; each its own codes. */
static void *worker(void *arg)
{
	struct job *j = arg;
	struct cp_db *mine = tl_db_open(&cfg);
	char user[32];
	struct cp_err e;

	snprintf(user, sizeof user, "racer-%u", j->n);
	pthread_barrier_wait(&start);
	for (size_t k = 0; k < PER_THREAD; k++) {
		const char *code = codes[j->n * PER_THREAD + k];
		enum cp_status st;

		if (j->n % 2 == 0)
			st = redeem_as(mine, CP_OP_REDEEM, code, user, &e);
		else if ((st = redeem_as(mine, CP_OP_RESERVE, code, user, &e)) == CP_OK)
			st = redeem_as(mine, CP_OP_CONFIRM, code, user, &e);
		j->tally[st < CP_STATUS_COUNT ? st : CP_E_INTERNAL]++;
		if (st != CP_OK && st != CP_E_CAP_REACHED && j->err[0] == '\0')
			snprintf(j->err, sizeof j->err, "%s: %s", cp_status_code(st), e.msg);
	}
	cp_db_close(mine);
	return NULL;
}

static void set_cap(uint32_t cap)
{
	struct cp_campaign c;
	struct cp_err e;

	cp_err_clear(&e);
	CHECK(cp_campaign_get(adm, id, &c, &e) == CP_OK, "get: %s", e.msg);
	c.max_redemptions = cap;
	CHECK(cp_campaign_update(adm, &c, &e) == CP_OK, "cap %u: %s", cap, e.msg);
}

static long long redeemed(void)
{
	return tl_query_intf(db, "SELECT COUNT(*) FROM coupon_codes WHERE campaign_id = %u"
				 " AND status = 'redeemed'", id);
}

/* The slots' units in use are the redeemed codes, slot by slot. */
static void slots_agree(int line)
{
	long long used = tl_query_intf(db, "SELECT COALESCE(SUM(used), 0) FROM campaign_cap_slots"
					   " WHERE campaign_id = %u", id);
	long long off = tl_query_intf(
		db, "SELECT COUNT(*) FROM campaign_cap_slots s WHERE s.campaign_id = %u AND s.used <>"
		    " (SELECT COUNT(*) FROM coupon_codes c WHERE c.campaign_id = s.campaign_id"
		    " AND c.status = 'redeemed' AND COALESCE(c.cap_slot, 0) = s.slot)", id);

	tl_check(__FILE__, line, used == redeemed(), "slots use %lld units, %lld codes redeemed",
		 used, redeemed());
	tl_check(__FILE__, line, off == 0, "%lld slots disagree with their codes", off);
}

/* The next code of the race's that is available (odd threads left theirs reserved). */
static const char *fresh_code(void)
{
	while (next_code < CODES &&
	       tl_query_intf(db, "SELECT COUNT(*) FROM coupon_codes WHERE code = '%s'"
				 " AND status = 'available'", codes[next_code]) == 0)
		next_code++;
	return next_code < CODES ? codes[next_code++] : "";
}

/* Redeems fresh codes one by one until refused; how many succeeded. */
static unsigned int redeem_until_refused(int line, enum cp_status want)
{
	unsigned int ok = 0;
	enum cp_status st;
	struct cp_err e;

	while (next_code < CODES &&
	       (st = redeem_as(db, CP_OP_REDEEM, fresh_code(), "later", &e)) == CP_OK)
		ok++;
	tl_check(__FILE__, line, next_code < CODES, "ran out of codes");
	tl_check(__FILE__, line, st == want, "refused with %s (%s), want %s", cp_status_code(st),
		 e.msg, cp_status_code(want));
	return ok;
}

static void refund(const char *code)
{
	struct cp_err e;

	cp_err_clear(&e);
	CHECK(cp_code_unredeem(adm, code, strlen(code), "test", "refund", NULL, &e) == CP_OK,
	      "refund %s: %s", code, e.msg);
}

/* The Nth code (in the race's order) that is redeemed now. */
static void redeemed_code(unsigned int n, char *out)
{
	for (size_t i = 0; i < CODES; i++) {
		if (tl_query_intf(db, "SELECT COUNT(*) FROM coupon_codes WHERE code = '%s'"
				      " AND status = 'redeemed'", codes[i]) == 1 && n-- == 0) {
			memcpy(out, codes[i], CP_CODE_MAX + 1);
			return;
		}
	}
	CHECK(false, "fewer redeemed codes than asked for");
}

static void race(void)
{
	static struct job jobs[THREADS];
	pthread_t t[THREADS];
	unsigned int ok = 0, full = 0;
	struct cp_err e;

	/* Use CAP - LEFT units with other codes first (the same campaign). */
	{
		char (*pre)[CP_CODE_MAX + 1] = calloc(CAP - LEFT, sizeof *pre);
		struct cp_format f;

		CHECK(pre != NULL, "calloc");
		cp_format_default(&f);
		snprintf(f.prefix, sizeof f.prefix, "CP");
		fx_codes(db, id, &f, CODES, CAP - LEFT, pre);
		for (unsigned int i = 0; i < CAP - LEFT; i++)
			CHECK(redeem_as(db, CP_OP_REDEEM, pre[i], "early", &e) == CP_OK,
			      "early redemption %u: %s", i, e.msg);
		free(pre);
	}
	pthread_barrier_init(&start, NULL, THREADS);
	for (unsigned int i = 0; i < THREADS; i++) {
		memset(&jobs[i], 0, sizeof jobs[i]);
		jobs[i].n = i;
		if (pthread_create(&t[i], NULL, worker, &jobs[i]) != 0)
			abort();
	}
	for (unsigned int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		ok += jobs[i].tally[CP_OK];
		full += jobs[i].tally[CP_E_CAP_REACHED];
		CHECK(jobs[i].err[0] == '\0', "thread %u: %s", i, jobs[i].err);
	}
	pthread_barrier_destroy(&start);
	printf("race: %u redeemed, %u campaign_cap_reached\n", ok, full);
	CHECK(ok == LEFT, "race: %u successes, want %d", ok, LEFT);
	CHECK(full == CODES - LEFT, "race: %u campaign_cap_reached, want %d", full, CODES - LEFT);
	CHECK(redeemed() == CAP, "race: %lld codes redeemed, want %d", redeemed(), CAP);
	slots_agree(__LINE__);
}

int main(void)
{
	struct cp_format f;
	struct cp_redeem_req r;
	struct cp_redeem_result res;
	struct cp_err e;
	char one[CP_CODE_MAX + 1], two[CP_CODE_MAX + 1];
	unsigned int n;

	db = tl_db_fresh("cap", &cfg);
	adm = tl_db_open(&cfg);
	id = fx_campaign(db, "capped", "CP", "", &f);
	fx_codes(db, id, &f, 0, CODES, codes);
	set_cap(CAP);
	race();

	/* Validate says what redeem would. */
	r = fx_req(fresh_code(), NULL, NULL);
	cp_err_clear(&e);
	CHECK(cp_validate(db, &r, &res, &e) == CP_E_CAP_REACHED, "validate: %s",
	      cp_status_code(res.status));

	/* A refund gives its unit back, once. */
	redeemed_code(0, one);
	refund(one);
	slots_agree(__LINE__);
	n = redeem_until_refused(__LINE__, CP_E_CAP_REACHED);
	CHECK(n == 1, "after a refund: %u redemptions, want 1", n);

	/* Raising the cap lets exactly the difference through. */
	set_cap(CAP + 5);
	n = redeem_until_refused(__LINE__, CP_E_CAP_REACHED);
	CHECK(n == 5, "cap raised by 5: %u redemptions", n);
	slots_agree(__LINE__);

	/* Lowered below the count: refused until refunds bring it below the cap. */
	set_cap(CAP + 2);
	CHECK(redeemed() == CAP + 5, "lowering the cap un-redeemed codes");
	for (unsigned int i = 0; i < 3; i++) {
		redeemed_code(i * 7, one);
		refund(one);
		n = redeem_until_refused(__LINE__, CP_E_CAP_REACHED);
		CHECK(n == 0, "over the cap, after refund %u: %u redemptions", i + 1, n);
	}
	CHECK(redeemed() == CAP + 2, "%lld redeemed", redeemed());
	redeemed_code(5, one);
	refund(one);
	n = redeem_until_refused(__LINE__, CP_E_CAP_REACHED);
	CHECK(n == 1, "below the cap again: %u redemptions, want 1", n);
	CHECK(redeemed() == CAP + 2, "%lld redeemed at the lowered cap", redeemed());
	slots_agree(__LINE__);

	/* No cap: redemptions go on, on the fast statement (the cache has no cap). */
	set_cap(0);
	CHECK(tl_query_intf(db, "SELECT COUNT(*) FROM campaign_cap_slots WHERE campaign_id = %u",
			    id) == 0, "the slots outlived the cap");
	for (unsigned int i = 0; i < 10; i++) {
		const char *code = fresh_code();

		if (i == 0)
			memcpy(two, code, sizeof two);
		CHECK(redeem_as(db, CP_OP_REDEEM, code, "free", &e) == CP_OK, "uncapped: %s",
		      e.msg);
	}
	/*
	 * A first cap of count + 2, set by another connection: DB's cache still has
	 * the campaign open for the fast statement until the fence. Redeemed codes
	 * with no slot count for slot 0; a refund of one gives it back there.
	 */
	set_cap((uint32_t)redeemed() + 2);
	n = redeem_until_refused(__LINE__, CP_E_CAP_REACHED);
	CHECK(n == 2, "a first cap of the count + 2: %u redemptions", n);
	slots_agree(__LINE__);
	/* TWO was redeemed before the cap. */
	refund(two);
	slots_agree(__LINE__);
	n = redeem_until_refused(__LINE__, CP_E_CAP_REACHED);
	CHECK(n == 1, "after refunding a code redeemed before the cap: %u redemptions", n);
	slots_agree(__LINE__);

	cp_db_close(adm);
	cp_db_close(db);
	cp_config_free(&cfg);
	return tl_done("test_cap");
}
