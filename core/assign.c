/*
 * Hand-out: one available code of a campaign to a user, once. See doc/API.md,
 * "Handing out codes", and doc/BENCHMARKS.md, "Handing out codes".
 *
 * The common case is one autocommit statement, as a redemption is: a campaign
 * with one code a user, no events, no idempotency key. Its UPDATE names one code
 * by primary key, a candidate, and changes it only if it is still available and
 * not past its expiry and the campaign, joined on its key, still hands out in
 * one statement (active, started, not over, one code a user, no events, no
 * import in progress). The reward and the validity it stored come back in the OK
 * packet through LAST_INSERT_ID(), as core/redeem.c hands back its campaign, and
 * the candidate's code text is known: the reply needs no second round trip. The
 * unique key refuses a user who holds a code already.
 *
 * Candidates come from a pool the process keeps for each campaign: one plain
 * SELECT, locking nothing, reads a run of up to 256 available codes (id and text)
 * from a random point of the campaign's ids (then from the first, when the point
 * is near the end), and the threads of the process take them in turn under a
 * mutex held for a copy. The pool is only a hint: a code taken by another
 * process, redeemed, expired or of a campaign paused since reading reports 0
 * rows and the hand-out takes the next. The pools are a fixed table of 32 slots
 * by campaign id, 20 KiB each at most: a campaign that takes a slot drops the
 * candidates of the one before, and a pool is read again only when it is empty.
 * A run starts at a random point so that processes handing out from the same
 * campaign (coupon-fcgi, couponadm assign) seldom walk the same stretch.
 *
 * Anything else takes the transaction: three candidates that all reported 0
 * rows (the campaign refuses, or others took them), a duplicate, a run that
 * found nothing (the pool then stays dry for a second, and the transaction
 * decides alone), another kind of campaign. The transaction reads the campaign
 * under a shared lock (so a pause that commits waits for hand-outs in flight,
 * and none starts after it), counts the user's codes, takes a free code with
 * SELECT ... FOR UPDATE SKIP LOCKED from a random point and makes it the user's
 * with a conditional UPDATE. SKIP LOCKED is what keeps it off a hot row:
 * concurrent hand-outs each take the first code nobody else holds instead of
 * queueing on the same "next free code".
 *
 * Searches start at random points of the campaign's ids (and wrap): a code taken
 * leaves a delete-marked entry in the status index until purge removes it, and
 * a search from the front would walk every one of them; 50,000 hand-outs from the
 * front took 364 s in tests/integration/test_assign on a loaded machine, from
 * random points 137 to 195 s.
 *
 * "One per user" is the unique key uq_codes_assignment (campaign, user, slot),
 * never a check-then-insert: two requests of the same user that both counted
 * nothing race to the same slot, the second gets a duplicate-key error, rolls
 * back and, run again, finds the first's code and returns it.
 *
 * Exhaustion is exact: it is only ever decided by the transaction. When SKIP
 * LOCKED finds nothing, the same SELECT without it waits for the codes other
 * transactions hold, so a code released by a rollback is still handed out, and
 * campaign_exhausted means no code was left.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "batch.h"
#include "campaign_cache.h"
#include "db.h"
#include "idempotency.h"
#include "op.h"
#include "outbox.h"

/* The slot column is a SMALLINT UNSIGNED: a larger per-user limit hands out this many. */
#define SLOT_MAX 65535u
/* Candidates one read puts in a campaign's pool (the SQL spells the number). */
#define POOL_RUN 256
#define POOL_RUN_SQL "256"

static const char campaign_sql[] =
	"SELECT k.name, k.status, k.starts_at IS NOT NULL AND k.starts_at > NOW(6),"
	" k.expires_at IS NOT NULL AND k.expires_at <= NOW(6), k.per_user_limit,"
	" k.events_enabled <> 0, k.assign_valid_for, COALESCE(k.reward_id, 0),"
	" (SELECT COUNT(*) FROM coupon_codes c WHERE c.campaign_id = k.id"
	" AND c.assigned_user_id = ?)"
	" FROM campaigns k WHERE k.id = ? LOCK IN SHARE MODE";
/* The user's code: the one for this order (NULL: any), newest first. */
static const char held_sql[] =
	"SELECT code, assigned_at, assigned_until, COALESCE(reward_id, 0) FROM coupon_codes"
	" WHERE campaign_id = ? AND assigned_user_id = ? AND (? IS NULL OR order_id = ?)"
	" ORDER BY assigned_slot DESC LIMIT 1";
/*
 * An available code has no redemption time: (campaign, status, NULL, id) is a
 * range of ids. A code of an import that has not completed does not exist yet
 * (core/import.c): never handed out.
 */
#define PICK_SQL                                                                      \
	"SELECT id, code FROM coupon_codes FORCE INDEX (ix_codes_campaign_status)"         \
	" WHERE campaign_id = ? AND status = 'available'"                                  \
	" AND redeemed_at IS NULL AND id >= ?"                                             \
	" AND (expires_at IS NULL OR expires_at > NOW(6))"                                 \
	CODE_SHOWN_SQL("coupon_codes") " LIMIT 1 FOR UPDATE"
static const char pick_sql[] = PICK_SQL " SKIP LOCKED";
static const char pick_wait_sql[] = PICK_SQL;
/*
 * The hand-out by candidate (see the top): code ID of the campaign if it is still
 * available and the campaign still hands out in one statement. The reward and
 * the hand-out's validity it stored come back in the OK packet, packed into
 * LAST_INSERT_ID() (both INT UNSIGNED): reward << 32 | valid_for.
 * ? = user, time, time, order, id, campaign.
 */
static const char give_sql[] =
	"UPDATE coupon_codes c JOIN campaigns k ON k.id = c.campaign_id"
	" SET c.status = 'assigned', c.assigned_user_id = ?, c.assigned_slot = 1,"
	" c.assigned_at = ?, c.assigned_until = ? + INTERVAL NULLIF(k.assign_valid_for, 0) SECOND,"
	" c.order_id = ?, c.reward_id = NULLIF(LAST_INSERT_ID(COALESCE(k.reward_id, 0) << 32"
	" | k.assign_valid_for) >> 32, 0)"
	" WHERE c.id = ? AND c.campaign_id = ? AND c.status = 'available' AND c.redeemed_at IS NULL"
	" AND (c.expires_at IS NULL OR c.expires_at > NOW(6))"
	" AND k.status = 'active' AND (k.starts_at IS NULL OR k.starts_at <= NOW(6))"
	" AND (k.expires_at IS NULL OR k.expires_at > NOW(6))"
	" AND k.per_user_limit <= 1 AND k.events_enabled = 0 AND k.importing = 0";
/* Available codes with ids in [?, ?), for the pool: a plain read, locking nothing. */
static const char run_sql[] =
	"SELECT id, code FROM coupon_codes FORCE INDEX (ix_codes_campaign_status)"
	" WHERE campaign_id = ? AND status = 'available' AND redeemed_at IS NULL"
	" AND id >= ? AND id < ? AND (expires_at IS NULL OR expires_at > NOW(6))"
	" LIMIT " POOL_RUN_SQL;
/* The ids of a campaign's available codes: one index entry each, in index order (no MIN()). */
static const char range_sql[] =
	"SELECT COALESCE((SELECT id FROM coupon_codes c FORCE INDEX (ix_codes_campaign_status)"
	" WHERE c.campaign_id = ? AND c.status = 'available'"
	" ORDER BY c.status, c.redeemed_at, c.id LIMIT 1), 0),"
	" COALESCE((SELECT id FROM coupon_codes c FORCE INDEX (ix_codes_campaign_status)"
	" WHERE c.campaign_id = ? AND c.status = 'available'"
	" ORDER BY c.status DESC, c.redeemed_at DESC, c.id DESC LIMIT 1), 0)";
static const char take_sql[] =
	"UPDATE coupon_codes SET status = 'assigned', assigned_user_id = ?, assigned_slot = ?,"
	" assigned_at = ?, assigned_until = ?, order_id = ?, reward_id = NULLIF(?, 0)"
	" WHERE id = ? AND status = 'available'";

/* The campaign as the hand-out reads it. */
struct terms {
	bool found;
	char name[CP_NAME_MAX * 4 + 1], status[16];
	int64_t not_started, over, events;
	uint32_t limit, valid_for, reward_id;
	uint64_t held; /* codes the user was handed in this campaign */
	uint64_t first, last; /* the lowest and highest id of its available codes; 0 when none */
};

struct ctx {
	struct cp_db *db;
	const struct cp_assign_req *req;
	struct cp_assign_result *res;
	struct cp_err *e;
	struct terms t;
	MYSQL_TIME when, until;
	time_t when_unix;
	bool idem, again, quick_tried;
	struct idem key;
};

/*
 * Where each campaign's available codes lie, shared by the threads: a hint for
 * the random start, read again after RANGE_TTL seconds (a stale one costs a
 * longer walk, never a wrong answer: the search wraps).
 */
#define RANGE_TTL 10
#define RANGES 64
static struct id_range {
	uint32_t campaign;
	uint64_t first, last;
	time_t read_at;
} ranges[RANGES];
static pthread_mutex_t ranges_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * The process's pools of candidates (see the top), one slot per campaign id
 * modulo POOLS: a campaign that takes a slot drops the candidates of the one
 * before. All of them under one lock, held only to take a candidate or install
 * a run; the read of a run happens outside it, by one thread a slot while the
 * others of that slot wait for it (pools_filled).
 */
#define POOLS 32
/* After a read found no candidate, the transaction decides for this many seconds. */
#define POOL_DRY_S 1
/* Candidates one hand-out tries before it leaves the decision to the transaction. */
#define QUICK_TRIES 3

struct candidate {
	uint64_t id;
	char code[CP_CODE_MAX + 1];
};

static struct pool {
	uint32_t campaign;
	unsigned int next, n;
	bool reading;
	time_t dry_until; /* CLOCK_MONOTONIC seconds */
	struct candidate c[POOL_RUN];
} pools[POOLS];
static pthread_mutex_t pools_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pools_filled = PTHREAD_COND_INITIALIZER;

/* ------------------------------------------------------------ input */

static enum cp_status check_input(const struct cp_assign_req *r, struct cp_err *e)
{
	enum cp_status st;

	if (r->campaign_id == 0)
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, "campaign", "campaign is missing");
	if ((st = cp_check_ident("user_id", r->user_id, CP_USER_MAX, e)) != CP_OK) {
		cp_err_field(e, "user_id");
		return st;
	}
	if (r->idem_key != NULL && (st = idem_check_key(r->idem_key, e)) != CP_OK)
		return st;
	if (r->order_id != NULL &&
	    (st = cp_check_ident("order_id", r->order_id, CP_ORDER_MAX, e)) != CP_OK) {
		cp_err_field(e, "order_id");
		return st;
	}
	return CP_OK;
}

/* The idempotency fingerprint: the operation, the campaign, the user and the order. */
static enum cp_status idem_setup(struct ctx *x)
{
	char campaign[16];
	struct cp_redeem_req q;

	snprintf(campaign, sizeof campaign, "%u", x->req->campaign_id);
	memset(&q, 0, sizeof q);
	q.user_id = x->req->user_id;
	q.order_id = x->req->order_id;
	q.api_key_id = x->req->api_key_id;
	q.idem_key = x->req->idem_key;
	q.fingerprint = x->req->fingerprint;
	return idem_init(&x->key, CP_OP_ASSIGN, &q, campaign, x->e);
}

/* ------------------------------------------------------------ statements */

static enum cp_status read_terms(struct ctx *x)
{
	MYSQL_BIND p[2], r[9];
	unsigned long plen, rlen[2] = {0, 0};
	uint32_t id = x->req->campaign_id;
	struct terms *t = &x->t;
	enum cp_status st;

	memset(t, 0, sizeof *t);
	memset(p, 0, sizeof p);
	memset(r, 0, sizeof r);
	db_bind_str(&p[0], x->req->user_id, &plen);
	db_bind_u32(&p[1], &id);
	db_bind_buf(&r[0], t->name, sizeof t->name - 1, &rlen[0], NULL);
	db_bind_buf(&r[1], t->status, sizeof t->status - 1, &rlen[1], NULL);
	db_bind_i64(&r[2], &t->not_started);
	db_bind_i64(&r[3], &t->over);
	db_bind_u32(&r[4], &t->limit);
	db_bind_i64(&r[5], &t->events);
	db_bind_u32(&r[6], &t->valid_for);
	db_bind_u32(&r[7], &t->reward_id);
	db_bind_u64(&r[8], &t->held);
	if ((st = db_select1(x->db, campaign_sql, p, r, &t->found, x->e)) != CP_OK)
		return st;
	t->name[rlen[0] < sizeof t->name ? rlen[0] : 0] = '\0';
	t->status[rlen[1] < sizeof t->status ? rlen[1] : 0] = '\0';
	return CP_OK;
}

/* How many codes the user may hold: the per-user limit, at least one. */
static uint32_t slots(const struct terms *t)
{
	return t->limit == 0 ? 1 : t->limit < SLOT_MAX ? t->limit : SLOT_MAX;
}

/* The campaign's verdict (core/op.c) before any code is looked at. */
static enum cp_status verdict(const struct ctx *x, bool empty)
{
	struct op_facts f;

	memset(&f, 0, sizeof f);
	f.found = x->t.found;
	f.campaign = CP_CAMPAIGN_ARCHIVED;
	(void)cp_campaign_status_parse(x->t.status, &f.campaign);
	f.not_started = x->t.not_started != 0;
	f.campaign_over = x->t.over != 0;
	f.at_limit = x->t.held >= slots(&x->t) && slots(&x->t) > 1;
	f.pool_empty = empty;
	return op_assign_refusal(&f);
}

/* The code the user holds (for ORDER, when not NULL). *FOUND false if none. */
static enum cp_status read_held(struct ctx *x, const char *order, bool *found)
{
	MYSQL_BIND p[4], r[4];
	unsigned long plen[4], rlen = 0;
	uint32_t id = x->req->campaign_id, reward = 0;
	MYSQL_TIME at, until;
	my_bool at_null = 1, until_null = 1;
	struct cp_assign_result *res = x->res;
	enum cp_status st;

	memset(p, 0, sizeof p);
	memset(r, 0, sizeof r);
	db_bind_u32(&p[0], &id);
	db_bind_str(&p[1], x->req->user_id, &plen[1]);
	db_bind_str(&p[2], order, &plen[2]);
	db_bind_str(&p[3], order, &plen[3]);
	db_bind_buf(&r[0], res->code, sizeof res->code - 1, &rlen, NULL);
	db_bind_time(&r[1], &at, &at_null);
	db_bind_time(&r[2], &until, &until_null);
	db_bind_u32(&r[3], &reward);
	if ((st = db_select1(x->db, held_sql, p, r, found, x->e)) != CP_OK || !*found)
		return st;
	res->code[rlen < sizeof res->code ? rlen : 0] = '\0';
	res->assigned_at = at_null ? 0 : db_time_to_unix(&at);
	res->valid_until = until_null ? 0 : db_time_to_unix(&until);
	res->reward.id = reward;
	res->held = true;
	return CP_OK;
}

/* A free code at or after id FROM, locked for us; *ID 0 when there is none. */
static enum cp_status pick(struct ctx *x, const char *sql, uint64_t from, uint64_t *id)
{
	MYSQL_BIND p[2], r[2];
	unsigned long rlen = 0;
	uint32_t campaign = x->req->campaign_id;
	bool found;
	enum cp_status st;

	memset(p, 0, sizeof p);
	memset(r, 0, sizeof r);
	*id = 0;
	db_bind_u32(&p[0], &campaign);
	db_bind_u64(&p[1], &from);
	db_bind_u64(&r[0], id);
	db_bind_buf(&r[1], x->res->code, sizeof x->res->code - 1, &rlen, NULL);
	if ((st = db_select1(x->db, sql, p, r, &found, x->e)) != CP_OK)
		return st;
	if (!found)
		*id = 0;
	x->res->code[found && rlen < sizeof x->res->code ? rlen : 0] = '\0';
	return CP_OK;
}

/* Makes code ID the user's in SLOT. *DUP: the user holds that slot already. */
static enum cp_status take(struct ctx *x, uint64_t id, uint32_t slot, bool *dup)
{
	MYSQL_BIND b[7];
	unsigned long len[7];
	my_bool until_null = x->t.valid_for == 0;
	uint32_t reward = x->t.reward_id;
	uint64_t rows = 0;
	struct cp_err mine;
	enum cp_status st;

	memset(b, 0, sizeof b);
	db_bind_str(&b[0], x->req->user_id, &len[0]);
	db_bind_u32(&b[1], &slot);
	db_bind_time(&b[2], &x->when, NULL);
	db_bind_time(&b[3], &x->until, &until_null);
	db_bind_str(&b[4], x->req->order_id, &len[4]);
	db_bind_u32(&b[5], &reward);
	db_bind_u64(&b[6], &id);
	cp_err_clear(&mine);
	st = db_run(x->db, take_sql, b, &rows, &mine);
	*dup = st == CP_E_DB && mine.db_errno == DB_ER_DUP_ENTRY;
	if (*dup)
		return CP_OK;
	if (st != CP_OK) {
		if (x->e != NULL)
			*x->e = mine;
		return st;
	}
	/* We hold the row's lock: it cannot have changed since the pick. */
	return rows == 1 ? CP_OK
			 : cp_err_set(x->e, CP_E_INTERNAL, "a locked code changed under the hand-out");
}

/* Slots to try, first the one after the user's codes, then the ones freed by unassign. */
static enum cp_status take_slot(struct ctx *x, uint64_t id, bool *taken)
{
	uint32_t n = slots(&x->t), first = (uint32_t)(x->t.held % n);
	bool dup = true;
	enum cp_status st = CP_OK;

	for (uint32_t i = 0; i < n && dup && st == CP_OK; i++)
		st = take(x, id, (first + i) % n + 1, &dup);
	*taken = st == CP_OK && !dup;
	return st;
}

static enum cp_status add_event(struct ctx *x)
{
	const struct outbox_event ev = {
		.type = OUTBOX_ASSIGNED,
		.campaign_id = x->req->campaign_id,
		.code = x->res->code,
		.user_id = x->req->user_id,
		.order_id = x->req->order_id,
		.at = &x->when,
	};

	return outbox_add(x->db, &ev, x->e);
}

/* The campaign's range from the shared hints, read from the database when stale. */
static void campaign_range(struct ctx *x, uint64_t *first, uint64_t *last)
{
	uint32_t id = x->req->campaign_id;
	struct id_range *r = &ranges[id % RANGES];
	time_t now = time(NULL);
	MYSQL_BIND p[2], res[2];
	bool found = false, fresh;

	pthread_mutex_lock(&ranges_lock);
	fresh = r->campaign == id && now - r->read_at < RANGE_TTL;
	*first = r->first;
	*last = r->last;
	pthread_mutex_unlock(&ranges_lock);
	if (fresh)
		return;
	memset(p, 0, sizeof p);
	memset(res, 0, sizeof res);
	db_bind_u32(&p[0], &id);
	db_bind_u32(&p[1], &id);
	db_bind_u64(&res[0], first);
	db_bind_u64(&res[1], last);
	if (db_select1(x->db, range_sql, p, res, &found, NULL) != CP_OK || !found) {
		*first = *last = 0;
		return;
	}
	pthread_mutex_lock(&ranges_lock);
	*r = (struct id_range){id, *first, *last, now};
	pthread_mutex_unlock(&ranges_lock);
}

/* Where a search for a free code starts: anywhere in the campaign's ids. */
static uint64_t random_start(const struct terms *t)
{
	uint64_t r;

	if (t->last <= t->first || getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
		return 0;
	return t->first + r % (t->last - t->first + 1);
}

/* A new code for the user, in the open transaction. *OUTCOME gets the reply. */
static enum cp_status hand_out(struct ctx *x, enum cp_status *outcome)
{
	uint64_t id = 0;
	bool taken = false;
	enum cp_status st;

	campaign_range(x, &x->t.first, &x->t.last);
	if ((st = pick(x, pick_sql, random_start(&x->t), &id)) != CP_OK)
		return st;
	if (id == 0 && (st = pick(x, pick_sql, 0, &id)) != CP_OK)
		return st;
	/* Nothing free: wait for the codes others hold, so exhaustion is exact. */
	if (id == 0 && (st = pick(x, pick_wait_sql, 0, &id)) != CP_OK)
		return st;
	if (id == 0) {
		*outcome = cp_err_set(x->e, CP_E_CAMPAIGN_EXHAUSTED, "%s",
				      cp_status_message(CP_E_CAMPAIGN_EXHAUSTED));
		return CP_OK;
	}
	if (x->t.valid_for != 0) {
		db_time_from_unix(&x->until, x->when_unix + x->t.valid_for);
		x->until.second_part = x->when.second_part;
	}
	if ((st = take_slot(x, id, &taken)) != CP_OK)
		return st;
	if (!taken) {
		/* The same user, concurrently: roll back and find that code. */
		x->again = true;
		return CP_OK;
	}
	if (x->t.events && (st = add_event(x)) != CP_OK)
		return st;
	x->res->assigned_at = x->when_unix;
	x->res->valid_until = x->t.valid_for ? x->when_unix + x->t.valid_for : 0;
	x->res->reward.id = x->t.reward_id;
	*outcome = CP_OK;
	return CP_OK;
}

/*
 * Appends to RUN, which holds *N candidates, the campaign's available codes with
 * ids in [FROM, BELOW), up to POOL_RUN in all.
 */
static enum cp_status read_run(struct ctx *x, uint64_t from, uint64_t below,
			       struct candidate *run, unsigned int *n)
{
	MYSQL_BIND p[3], r[2];
	MYSQL_STMT *stmt;
	uint32_t campaign = x->req->campaign_id;
	uint64_t id = 0;
	unsigned long len = 0;
	char code[CP_CODE_MAX + 1];
	enum cp_status st;
	int rc;

	if ((st = cp_db_ensure(x->db, x->e)) != CP_OK ||
	    (stmt = db_prepare(x->db, run_sql, x->e, &st)) == NULL)
		return st;
	memset(p, 0, sizeof p);
	memset(r, 0, sizeof r);
	db_bind_u32(&p[0], &campaign);
	db_bind_u64(&p[1], &from);
	db_bind_u64(&p[2], &below);
	db_bind_u64(&r[0], &id);
	db_bind_buf(&r[1], code, sizeof code - 1, &len, NULL);
	if (mysql_stmt_bind_param(stmt, p) != 0 || mysql_stmt_execute(stmt) != 0 ||
	    mysql_stmt_bind_result(stmt, r) != 0 || mysql_stmt_store_result(stmt) != 0)
		return db_stmt_fail(x->db, stmt, x->e, "read candidates");
	while ((rc = mysql_stmt_fetch(stmt)) == 0 && *n < POOL_RUN) {
		run[*n].id = id;
		memcpy(run[*n].code, code, len);
		run[*n].code[len] = '\0';
		++*n;
	}
	mysql_stmt_free_result(stmt);
	return rc == 1 ? db_stmt_fail(x->db, stmt, x->e, "read candidates") : CP_OK;
}

/*
 * The next candidate of the campaign's pool into *C, reading a run when the pool
 * has none. *GOT false: no available code this process could see (the
 * transaction decides).
 */
static enum cp_status next_candidate(struct ctx *x, struct candidate *c, bool *got)
{
	uint32_t id = x->req->campaign_id;
	struct pool *p = &pools[id % POOLS];
	struct terms t;
	unsigned int n = 0;
	uint64_t from;
	struct timespec ts;
	time_t now;
	bool dry;
	enum cp_status st;

	*got = false;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = ts.tv_sec;
	pthread_mutex_lock(&pools_lock);
	for (;;) {
		if ((*got = p->campaign == id && p->next < p->n))
			*c = p->c[p->next++];
		dry = p->campaign == id && now < p->dry_until;
		if (*got || dry || !p->reading)
			break;
		pthread_cond_wait(&pools_filled, &pools_lock);
	}
	if (*got || dry) {
		pthread_mutex_unlock(&pools_lock);
		return CP_OK;
	}
	/* Ours to read: nobody looks at p->c while p->n is 0. */
	p->campaign = id;
	p->next = p->n = 0;
	p->dry_until = 0;
	p->reading = true;
	pthread_mutex_unlock(&pools_lock);

	memset(&t, 0, sizeof t);
	campaign_range(x, &t.first, &t.last);
	from = random_start(&t);
	st = read_run(x, from, UINT64_MAX, p->c, &n);
	/* Near the end of the ids: the rest from the first. */
	if (st == CP_OK && n < POOL_RUN && from > 0)
		st = read_run(x, 0, from, p->c, &n);

	pthread_mutex_lock(&pools_lock);
	p->reading = false;
	p->n = st == CP_OK ? n : 0;
	p->dry_until = st == CP_OK && n == 0 ? now + POOL_DRY_S : 0;
	if ((*got = p->next < p->n))
		*c = p->c[p->next++];
	pthread_cond_broadcast(&pools_filled);
	pthread_mutex_unlock(&pools_lock);
	return st;
}

/*
 * Candidate ID to the user in one statement. *DONE when it was handed out (the
 * reply in res); *DUP when the user holds a code already.
 */
static enum cp_status give(struct ctx *x, const struct candidate *c, bool *done, bool *dup)
{
	MYSQL_BIND b[6];
	unsigned long len[6];
	uint32_t campaign = x->req->campaign_id;
	uint64_t id = c->id, rows = 0, packed;
	struct cp_err mine;
	enum cp_status st;

	*done = *dup = false;
	memset(b, 0, sizeof b);
	db_bind_str(&b[0], x->req->user_id, &len[0]);
	db_bind_time(&b[1], &x->when, NULL);
	db_bind_time(&b[2], &x->when, NULL);
	db_bind_str(&b[3], x->req->order_id, &len[3]);
	db_bind_u64(&b[4], &id);
	db_bind_u32(&b[5], &campaign);
	cp_err_clear(&mine);
	st = db_run(x->db, give_sql, b, &rows, &mine);
	if (st == CP_E_DB && mine.db_errno == DB_ER_DUP_ENTRY) {
		*dup = true;
		return CP_OK;
	}
	if (st != CP_OK) {
		if (x->e != NULL)
			*x->e = mine;
		return st;
	}
	if (rows != 1)
		return CP_OK;
	packed = db_insert_id(x->db, give_sql);
	memcpy(x->res->code, c->code, sizeof x->res->code);
	x->res->assigned_at = x->when_unix;
	x->res->valid_until = (uint32_t)packed ? x->when_unix + (time_t)(uint32_t)packed : 0;
	x->res->reward.id = (uint32_t)(packed >> 32);
	x->res->held = false;
	*done = true;
	return CP_OK;
}

/*
 * The one-statement hand-out: candidates from the pool until one is handed out.
 * *DONE when it was (the reply is in res); otherwise the transaction decides,
 * and a failure here is only returned when it is not a duplicate (the user holds
 * a code: the transaction finds it).
 */
static enum cp_status quick(struct ctx *x, bool *done)
{
	const struct cache_campaign *k = cache_campaign(x->db, x->req->campaign_id);
	struct candidate c;
	bool got = true, dup = false;
	enum cp_status st = CP_OK;

	*done = false;
	/* The transaction's kinds of campaign, as far as the cache knows. */
	if (k == NULL || k->per_user_limit > 1 || k->events)
		return CP_OK;
	for (unsigned int i = 0; i < QUICK_TRIES && !*done && !dup && got && st == CP_OK; i++)
		if ((st = next_candidate(x, &c, &got)) == CP_OK && got)
			st = give(x, &c, done, &dup);
	return st;
}

/* The reply when the campaign refuses, the user holds a code, or one is handed out. */
static enum cp_status decide(struct ctx *x, enum cp_status *outcome)
{
	const char *order = x->req->order_id;
	bool found = false;
	enum cp_status st;

	if ((st = read_terms(x)) != CP_OK)
		return st;
	if (x->t.found)
		memcpy(x->res->campaign_name, x->t.name, sizeof x->t.name);
	/* One code a user: that one, whatever the order; several: the order's. */
	if (x->t.held > 0 && (slots(&x->t) == 1 || order != NULL) &&
	    (st = read_held(x, slots(&x->t) == 1 ? NULL : order, &found)) != CP_OK)
		return st;
	if (found) {
		*outcome = CP_OK;
		return CP_OK;
	}
	if ((*outcome = verdict(x, false)) != CP_OK) {
		cp_err_set(x->e, *outcome, "%s", cp_status_message(*outcome));
		if (*outcome == CP_E_NOT_FOUND)
			cp_err_set_field(x->e, CP_E_NOT_FOUND, "campaign", "no campaign %u",
					 x->req->campaign_id);
		return CP_OK;
	}
	return hand_out(x, outcome);
}

/* The stored reply (core/idempotency.c): its two times are assigned_at and valid_until. */
static void to_stored(const struct cp_assign_result *a, struct cp_redeem_result *r)
{
	memset(r, 0, sizeof *r);
	r->status = a->status;
	memcpy(r->code, a->code, sizeof r->code);
	r->campaign_id = a->campaign_id;
	memcpy(r->campaign_name, a->campaign_name, sizeof r->campaign_name);
	r->redeemed_at = a->assigned_at;
	r->reserved_until = a->valid_until;
	r->retries = a->retries;
	r->reward.id = a->reward.id;
}

static void from_stored(const struct cp_redeem_result *r, struct cp_assign_result *a)
{
	a->status = r->status;
	a->replay = true;
	memcpy(a->code, r->code, sizeof a->code);
	memcpy(a->campaign_name, r->campaign_name, sizeof a->campaign_name);
	a->assigned_at = r->redeemed_at;
	a->valid_until = r->reserved_until;
	a->reward.id = r->reward.id;
}

/* One attempt in one transaction. A database failure, or CP_OK with the reply in res. */
static enum cp_status attempt(struct ctx *x)
{
	struct cp_redeem_result stored;
	enum cp_status st, outcome = CP_OK;

	x->again = false;
	if (!x->idem && !x->quick_tried) {
		bool done;

		x->quick_tried = true;
		if ((st = quick(x, &done)) != CP_OK || done) {
			x->res->status = st;
			return st;
		}
	}
	/* The pool's reads may have found the server gone: db_begin needs a connection. */
	if ((st = cp_db_ensure(x->db, x->e)) != CP_OK || (st = db_begin(x->db, x->e)) != CP_OK)
		return st;
	if ((st = decide(x, &outcome)) == CP_OK && !x->again) {
		x->res->status = outcome;
		to_stored(x->res, &stored);
		if (x->idem)
			st = idem_store(x->db, &x->key, &stored, x->e);
		if (st == CP_OK)
			return db_commit_open(x->db, x->e);
	}
	db_rollback(x->db);
	return st;
}

static void reset_result(struct ctx *x)
{
	struct cp_assign_result *r = x->res;
	unsigned int retries = r->retries;

	memset(r, 0, sizeof *r);
	r->campaign_id = x->req->campaign_id;
	r->retries = retries;
}

/* Retries as core/redeem.c does: deadlocks bounded, a lost connection once. */
static enum cp_status run(struct ctx *x)
{
	struct db_retry retry = DB_RETRY_INIT(x->db);
	unsigned int races = 0;
	struct cp_redeem_result stored;
	bool replay = false;
	enum cp_status st;

	for (;;) {
		reset_result(x);
		st = x->idem ? idem_claim(x->db, &x->key, &stored, &replay, x->e) : CP_OK;
		if (st == CP_OK && replay) {
			from_stored(&stored, x->res);
			return x->res->status;
		}
		if (st == CP_OK)
			st = attempt(x);
		if (st == CP_OK && !x->again)
			return x->res->status;
		if (st == CP_OK && ++races <= 3)
			continue;
		if (st == CP_OK)
			st = cp_err_set(x->e, CP_E_BUSY, "the user's codes kept changing");
		if (db_retry_again(x->db, &retry, st, &x->res->retries, x->e))
			continue;
		break;
	}
	if (x->idem && st != CP_E_IDEMPOTENCY_CONFLICT && st != CP_E_IN_PROGRESS)
		idem_abandon(x->db, &x->key);
	x->res->status = st;
	return st;
}

static void set_when(struct ctx *x)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	db_time_from_unix(&x->when, ts.tv_sec);
	x->when.second_part = (unsigned long)(ts.tv_nsec / 1000);
	x->when_unix = ts.tv_sec;
}

/* The code as the campaign prints it, and the reward in full. */
static void finish_reply(struct ctx *x)
{
	const struct cache_campaign *k;
	const struct cp_reward *row;
	struct cp_assign_result *r = x->res;

	if ((k = cache_campaign(x->db, r->campaign_id)) != NULL && r->campaign_name[0] == '\0')
		memcpy(r->campaign_name, k->name, sizeof r->campaign_name);
	if (r->code[0] != '\0' && k != NULL &&
	    cp_code_display(&k->format, r->code, r->display, sizeof r->display) != CP_OK)
		r->display[0] = '\0';
	if (r->reward.id != 0 && (row = codes_reward(x->db, r->reward.id, NULL)) != NULL)
		r->reward = *row;
	else
		r->reward.id = 0;
}

enum cp_status cp_assign(struct cp_db *db, const struct cp_assign_req *req,
			 struct cp_assign_result *res, struct cp_err *e)
{
	struct ctx x;
	enum cp_status st;

	memset(res, 0, sizeof *res);
	if (req == NULL)
		return res->status = cp_err_set(e, CP_E_INVALID_ARGUMENT, "no request");
	if ((st = check_input(req, e)) != CP_OK)
		return res->status = st;
	memset(&x, 0, sizeof x);
	x.db = db;
	x.req = req;
	x.res = res;
	x.e = e;
	x.idem = req->idem_key != NULL;
	if (x.idem && (st = idem_setup(&x)) != CP_OK)
		return res->status = st;
	set_when(&x);
	st = run(&x);
	res->campaign_id = req->campaign_id;
	if (st == CP_OK || res->code[0] != '\0')
		finish_reply(&x);
	return st;
}
