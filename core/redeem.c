/*
 * Redemption: validate, redeem, reserve, confirm, release. See doc/DESIGN.md,
 * "Exactly once".
 *
 * Every state change is one conditional UPDATE whose affected-rows count decides;
 * the reason for a refusal is looked up only when it reported 0 rows. The
 * statement checks the campaign (status, window, per-user limit) in SQL through a
 * join on its primary key, so a stale campaign cache costs a retry, never a wrong
 * answer; the join costs a few percent against the bare UPDATE (bench/redeem).
 *
 * The UPDATE also hands back the campaign's id, whether it writes outbox events
 * and its per-user limit through LAST_INSERT_ID(expr), which travels in the OK
 * packet: the success path needs no second statement to learn which campaign the
 * code belonged to.
 *
 * Transactions only where they are needed: a campaign with a per-user limit
 * (UPDATE + conditional increment) and an idempotency key (UPDATE + stored
 * response) and a campaign with events (UPDATE + outbox row). Inside one, an
 * UPDATE that reported 1 row is not a redemption until COMMIT has returned.
 *
 * Events: the autocommit statements exclude campaigns with events enabled, so a
 * stale cache can never commit a change without its event; it costs a refusal
 * lookup and a retry in a transaction, as a stale per-user limit does.
 *
 * Handed-out codes (core/assign.c): status assigned is redeemable like available,
 * by its holder only (assigned_user_id), or by anyone where the campaign is
 * transferable, and not after the hand-out's own end (assigned_until). The fast
 * statements see no campaign, so they take the holder only; a transferable code
 * they leave alone is found redeemable by the lookup and tried with the join.
 *
 * Redeem has a faster statement still: a single-table UPDATE limited to the
 * campaigns the connection's cache lists as open, valid until a fence in the
 * server's clock (core/campaign_cache.c says why that is exact). A code it leaves alone
 * that the lookup finds redeemable is tried again with the joined statement.
 *
 * A campaign with a cap (core/cap.c) has statements of its own for redeem and
 * confirm, which also take a unit of one of its slot rows in the same UPDATE;
 * the others exclude it in SQL, as they exclude events.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch.h"
#include "campaign_cache.h"
#include "cap.h"
#include "db.h"
#include "group.h"
#include "idempotency.h"
#include "op.h"
#include "outbox.h"
#include "text.h"
#include "xmalloc.h"

/*
 * A code of an import that has not completed does not exist yet, for every
 * operation and for the refusal lookup alike (so it is an unknown code, counted
 * as a failed lookup). Only campaigns with such an import (k.importing) look at
 * the batch; the fast statement never meets their codes (core/campaign_cache.c).
 */
#define VISIBLE_SQL                                                                   \
	" AND (k.importing = 0 OR NOT EXISTS (SELECT 1 FROM generation_batches b"    \
	" WHERE b.id = c.batch_id AND " BATCH_HIDDEN_SQL("b") "))"
/* Campaign active, inside its window; code not past its own expiry nor its hand-out's; imported. */
#define OPEN_SQL                                                                       \
	" AND k.status = 'active' AND (k.starts_at IS NULL OR k.starts_at <= NOW(6))" \
	" AND (k.expires_at IS NULL OR k.expires_at > NOW(6))"                        \
	" AND (c.expires_at IS NULL OR c.expires_at > NOW(6))"                        \
	" AND (c.assigned_until IS NULL OR c.assigned_until > NOW(6))" VISIBLE_SQL
/* A handed-out code, for its holder (bound: the request's user) or anyone's if transferable. */
#define HELD_SQL " OR (c.status = 'assigned' AND (c.assigned_user_id = ? OR k.transferable))"
/*
 * Records the campaign's current reward with the change and hands the campaign
 * id, events flag and per-user limit back in the OK packet (TAKE_SQL: the
 * transaction statements, which read the reward back), or the campaign id and
 * the reward (TAKE_REWARD_SQL: the autocommit ones, whose campaigns have neither
 * events nor, where it counts, a limit).
 */
#define TAKE_SQL                                                                        \
	" c.reward_id = k.reward_id,"                                                     \
	" c.campaign_id = LAST_INSERT_ID((k.id << 33) | ((k.events_enabled <> 0) << 32)" \
	" | k.per_user_limit) >> 33"
#define TAKE_REWARD_SQL                                                                 \
	" c.reward_id = k.reward_id,"                                                     \
	" c.campaign_id = LAST_INSERT_ID((k.id << 33) | COALESCE(k.reward_id, 0)) >> 33"
#define JOIN_SQL "UPDATE coupon_codes c JOIN campaigns k ON k.id = c.campaign_id"
#define NO_LIMIT_SQL " AND k.per_user_limit = 0"
/* Autocommit statements: an event must commit with its change. */
#define NO_EVENTS_SQL " AND k.events_enabled = 0"
/* The statements of campaigns without a cap (capped ones have their own, below). */
#define NO_CAP_SQL " AND k.max_redemptions IS NULL"

#define REDEEM_SQL(take) REDEEM_ON_SQL(JOIN_SQL, "", take, "") NO_CAP_SQL
#define REDEEM_ON_SQL(join, cap_take, take, cap_room)                                    \
	join " SET c.status = 'redeemed', c.redeemed_by_user_id = ?, c.order_id = ?," \
		 " c.redeemed_at = ?, c.reserved_until = NULL," cap_take take               \
		 " WHERE c.code = ? AND (c.status = 'available' OR"                        \
		 " (c.status = 'pending' AND c.reserved_until < NOW(6))" HELD_SQL ")" OPEN_SQL     \
		 cap_room
static const char redeem_sql[] = REDEEM_SQL(TAKE_SQL);
static const char redeem_nolimit_sql[] = REDEEM_SQL(TAKE_REWARD_SQL) NO_LIMIT_SQL NO_EVENTS_SQL;
/*
 * The fast statement's prefix; the cache appends the open campaigns' ids. The
 * index hint keeps the optimizer from estimating ranges of ix_codes_campaign_status
 * for the IN list on every execution, which cost a third of the throughput at 16
 * threads in a one-off measurement.
 */
#define REDEEM_OPEN_SET_SQL                                                            \
	"UPDATE coupon_codes FORCE INDEX (uq_codes_code) SET status = 'redeemed',"         \
	" redeemed_by_user_id = ?, order_id = ?, redeemed_at = ?, reserved_until = NULL,"   \
	" reward_id = "
#define REDEEM_OPEN_WHERE_SQL(which)                                                   \
	" WHERE code = ? AND (status = 'available' OR"                                     \
	" (status = 'pending' AND reserved_until < NOW(6))"                                 \
	" OR (status = 'assigned' AND assigned_user_id = ?))"                               \
	" AND (expires_at IS NULL OR expires_at > NOW(6))"                                  \
	" AND (assigned_until IS NULL OR assigned_until > NOW(6))"                          \
	" AND NOW(6) < ? AND campaign_id " which
/*
 * The cache puts the open campaigns' rewards (a CASE on campaign_id) between the
 * two; the assignments run left to right, so the OK packet carries the new reward.
 */
static const char *const redeem_open_prefix[2] = {
	REDEEM_OPEN_SET_SQL,
	", campaign_id = LAST_INSERT_ID(campaign_id << 33 | COALESCE(reward_id, 0)) >> 33"
	REDEEM_OPEN_WHERE_SQL("IN ("),
};
/* When the code's format names its campaign: no list, and nothing to hand back. */
static const char redeem_one_sql[] =
	REDEEM_OPEN_SET_SQL "NULLIF(?, 0)" REDEEM_OPEN_WHERE_SQL("= ?");

/*
 * The same user reserving again extends; a user at the limit may not hold codes.
 * reserved_at (sql/009) is what reports count reservations by.
 */
#define RESERVE_SQL(take)                                                                 \
	JOIN_SQL " SET c.status = 'pending', c.redeemed_by_user_id = ?, c.order_id = ?,"     \
		 " c.reserved_until = ?, c.redeemed_at = NULL, c.reserved_at = NOW(6)," take   \
		 " WHERE c.code = ? AND (c.status = 'available' OR (c.status = 'pending' AND"  \
		 " (c.reserved_until < NOW(6) OR c.redeemed_by_user_id = ?))" HELD_SQL ")" OPEN_SQL \
		 " AND (k.per_user_limit = 0 OR NOT EXISTS (SELECT 1 FROM campaign_user_usage u" \
		 " WHERE u.campaign_id = k.id AND u.user_id = ? AND u.used >= k.per_user_limit))"
static const char reserve_sql[] = RESERVE_SQL(TAKE_SQL);
static const char reserve_noevents_sql[] = RESERVE_SQL(TAKE_REWARD_SQL) NO_EVENTS_SQL;

/* Confirming is the redemption: it is granted the reward the campaign has now. */
#define CONFIRM_SQL(take) CONFIRM_ON_SQL(JOIN_SQL, "", take, "") NO_CAP_SQL
#define CONFIRM_ON_SQL(join, cap_take, take, cap_room)                                 \
	join " SET c.status = 'redeemed', c.order_id = COALESCE(?, c.order_id),"           \
	     " c.redeemed_at = ?, c.reserved_until = NULL," cap_take take                 \
	     " WHERE c.code = ? AND c.status = 'pending' AND c.redeemed_by_user_id = ?"     \
	     " AND c.reserved_until >= NOW(6)" OPEN_SQL cap_room
static const char confirm_sql[] = CONFIRM_SQL(TAKE_SQL);
static const char confirm_nolimit_sql[] = CONFIRM_SQL(TAKE_REWARD_SQL) NO_LIMIT_SQL NO_EVENTS_SQL;

/* Giving a reservation back is allowed whatever the campaign's state. */
/* A handed-out code goes back to its holder. */
#define RELEASE_SQL(take)                                                           \
	JOIN_SQL " SET c.status = IF(c.assigned_user_id IS NULL, 'available', 'assigned'),"     \
		 " c.redeemed_by_user_id = NULL,"                                       \
		 " c.order_id = NULL, c.reserved_until = NULL," take                    \
		 " WHERE c.code = ? AND c.status = 'pending' AND c.redeemed_by_user_id = ?"
/* A released code holds no reward: k.reward_id IS NULL never matches a campaign id. */
static const char release_sql[] = RELEASE_SQL(
	" c.reward_id = NULL, c.campaign_id = LAST_INSERT_ID((k.id << 33)"
	" | ((k.events_enabled <> 0) << 32) | k.per_user_limit) >> 33");
static const char release_noevents_sql[] =
	RELEASE_SQL(" c.reward_id = NULL, c.campaign_id = LAST_INSERT_ID(k.id << 33) >> 33")
		NO_EVENTS_SQL;

/*
 * The campaign cap (core/cap.c). Redeem and confirm of a capped campaign take a
 * unit of the slot bound first ("used < quota") in the UPDATE that redeems, and
 * record the slot on the code; the autocommit ones are still one statement. The
 * other statements leave capped campaigns alone, so a stale cache costs a
 * refusal lookup and a retry, never a redemption outside the cap.
 */
#define CAP_JOIN_SQL JOIN_SQL " JOIN campaign_cap_slots s ON s.campaign_id = k.id AND s.slot = ?"
#define CAP_TAKE_SQL " s.used = s.used + 1, c.cap_slot = s.slot,"
#define CAP_ROOM_SQL " AND s.used < s.quota"
static const char cap_redeem_sql[] =
	REDEEM_ON_SQL(CAP_JOIN_SQL, CAP_TAKE_SQL, TAKE_SQL, CAP_ROOM_SQL);
static const char cap_redeem_nolimit_sql[] =
	REDEEM_ON_SQL(CAP_JOIN_SQL, CAP_TAKE_SQL, TAKE_REWARD_SQL, CAP_ROOM_SQL)
		NO_LIMIT_SQL NO_EVENTS_SQL;
/*
 * The fast statement of a capped campaign, for the one campaign the code's format
 * names, open but for its cap in the connection's cache (cache_open_capped): no
 * join of campaigns, exact by the same fence as redeem_one_sql. An UPDATE of two
 * tables makes MariaDB build a temporary table on each execution; the slot unit
 * and the code by two single-table statements in a transaction instead measured
 * slower still at 64 threads (bench/redeem, doc/BENCHMARKS.md).
 */
static const char cap_redeem_one_sql[] =
	"UPDATE coupon_codes c FORCE INDEX (uq_codes_code) JOIN campaign_cap_slots s"
	" ON s.campaign_id = c.campaign_id AND s.slot = ?"
	" SET c.status = 'redeemed', c.redeemed_by_user_id = ?, c.order_id = ?, c.redeemed_at = ?,"
	" c.reserved_until = NULL," CAP_TAKE_SQL " c.reward_id = NULLIF(?, 0)"
	" WHERE c.code = ? AND (c.status = 'available' OR"
	" (c.status = 'pending' AND c.reserved_until < NOW(6))"
	" OR (c.status = 'assigned' AND c.assigned_user_id = ?))"
	" AND (c.expires_at IS NULL OR c.expires_at > NOW(6))"
	" AND (c.assigned_until IS NULL OR c.assigned_until > NOW(6))"
	" AND NOW(6) < ? AND c.campaign_id = ?" CAP_ROOM_SQL;
static const char cap_confirm_sql[] =
	CONFIRM_ON_SQL(CAP_JOIN_SQL, CAP_TAKE_SQL, TAKE_SQL, CAP_ROOM_SQL);
static const char cap_confirm_nolimit_sql[] =
	CONFIRM_ON_SQL(CAP_JOIN_SQL, CAP_TAKE_SQL, TAKE_REWARD_SQL, CAP_ROOM_SQL)
		NO_LIMIT_SQL NO_EVENTS_SQL;

/* In the transaction statements' transaction: the reward the change recorded. */
static const char granted_sql[] = "SELECT COALESCE(reward_id, 0) FROM coupon_codes WHERE code = ?";
/*
 * After COMMIT, where a COMMIT may have committed nothing (db_commits_unsure):
 * the row carries this change, by its user and its own microsecond time.
 */
static const char committed_sql[] =
	"SELECT 1 FROM coupon_codes WHERE code = ? AND redeemed_by_user_id = ? AND status = ?"
	" AND IF(status = 'pending', reserved_until, redeemed_at) = ?";
/* Which campaign a code belongs to, when several formats read it and one has a minimum. */
static const char owner_sql[] = "SELECT campaign_id FROM coupon_codes WHERE code = ?";

/* Affected rows: 1 inserted, 2 incremented, 0 at the limit (unchanged). */
static const char usage_sql[] =
	"INSERT INTO campaign_user_usage (campaign_id, user_id, used)"
	" SELECT ?, ?, 1 FROM DUAL WHERE " DB_IN_TX_SQL
	" ON DUPLICATE KEY UPDATE used = IF(used < ?, used + 1, used)";

/* The failure path: everything that decides why the UPDATE did not match. */
static const char why_sql[] =
	"SELECT c.status, c.redeemed_by_user_id, c.order_id, c.redeemed_at,"
	" c.reserved_until, c.reserved_until IS NOT NULL AND c.reserved_until < NOW(6),"
	" (c.expires_at IS NOT NULL AND c.expires_at <= NOW(6)) OR"
	" (c.assigned_until IS NOT NULL AND c.assigned_until <= NOW(6)), c.campaign_id, k.status,"
	" k.starts_at IS NOT NULL AND k.starts_at > NOW(6),"
	" k.expires_at IS NOT NULL AND k.expires_at <= NOW(6), k.per_user_limit,"
	" COALESCE((SELECT u.used FROM campaign_user_usage u"
	" WHERE u.campaign_id = c.campaign_id AND u.user_id = ?), 0), k.events_enabled <> 0,"
	" COALESCE(c.reward_id, 0), c.assigned_user_id, k.transferable <> 0,"
	/* The cap: whether there is one, whether it is used up, a slot with room. */
	" k.max_redemptions IS NOT NULL, k.max_redemptions IS NOT NULL AND NOT EXISTS"
	" (SELECT 1 FROM campaign_cap_slots s WHERE s.campaign_id = k.id AND s.used < s.quota),"
	" COALESCE((SELECT s.slot FROM campaign_cap_slots s WHERE s.campaign_id = k.id"
	" AND s.used < s.quota ORDER BY RAND() LIMIT 1), 0)"
	" FROM coupon_codes c JOIN campaigns k ON k.id = c.campaign_id WHERE c.code = ?"
	VISIBLE_SQL;

/* Bound parameters, in statement order. */
enum param { P_END, P_USER, P_ORDER, P_TIME, P_CODE };

struct op_def {
	/* autocommit: campaigns without events (and without a per-user limit if counts) */
	const char *hot_sql;
	const char *tx_sql;  /* in a transaction, any campaign */
	/* The same two for a capped campaign; NULL: the operation takes no unit of a cap. */
	const char *cap_hot_sql, *cap_tx_sql;
	enum param params[8];
	bool counts;         /* increments the per-user usage */
	bool needs_user;
	enum outbox_type event;
	bool event_time;     /* the event happened at the stored time (else: now) */
};

static const struct op_def ops[] = {
	[CP_OP_VALIDATE] = {NULL, NULL, NULL, NULL, {P_END}, false, false, 0, false},
	[CP_OP_REDEEM] = {redeem_nolimit_sql, redeem_sql, cap_redeem_nolimit_sql, cap_redeem_sql,
			  {P_USER, P_ORDER, P_TIME, P_CODE, P_USER}, true, true, OUTBOX_REDEEMED,
			  true},
	[CP_OP_RESERVE] = {reserve_noevents_sql, reserve_sql, NULL, NULL,
			   {P_USER, P_ORDER, P_TIME, P_CODE, P_USER, P_USER, P_USER}, false, true,
			   OUTBOX_RESERVED, false},
	[CP_OP_CONFIRM] = {confirm_nolimit_sql, confirm_sql, cap_confirm_nolimit_sql,
			   cap_confirm_sql, {P_ORDER, P_TIME, P_CODE, P_USER}, true, true,
			   OUTBOX_CONFIRMED, true},
	[CP_OP_RELEASE] = {release_noevents_sql, release_sql, NULL, NULL, {P_CODE, P_USER}, false,
			   true, OUTBOX_RELEASED, false},
};
#define NOPS (sizeof ops / sizeof ops[0])

/* What the failure-path lookup found. */
struct why {
	bool found;
	char status[16], kstatus[16];
	char user[CP_USER_MAX + 1], order[CP_ORDER_MAX + 1], holder[CP_USER_MAX + 1];
	my_bool user_null, order_null, redeemed_null, reserved_null, holder_null;
	MYSQL_TIME redeemed_at, reserved_until;
	int64_t lapsed, code_expired, not_started, campaign_over, used, events, transferable;
	uint32_t campaign_id, limit, reward_id;
	int64_t capped, cap_full;
	uint32_t free_slot;
};

/* Group commit: the request's change committed with its group, or run alone, or neither. */
enum grouped { GR_FALLBACK, GR_WON, GR_RAN };

struct ctx {
	struct cp_db *db;
	enum cp_op op;
	const struct op_def *def;
	const struct cp_redeem_req *req;
	struct cp_redeem_result *res;
	struct cp_err *e;
	char code[CP_CODE_MAX + 1], alt[CP_CODE_MAX + 1];
	struct cache_hint hint;
	MYSQL_TIME when; /* redeemed_at or reserved_until, as stored */
	time_t when_unix;
	bool use_tx_sql; /* the campaign has (or may have) a per-user limit */
	bool events;     /* the campaign has (or may have) events enabled */
	bool again;      /* the state moved under us: try the operation again */
	bool open_sql;   /* the last change ran the fast statement (redeem_open_prefix) */
	bool joined;     /* it left a redeemable code alone: take the joined statement */
	bool idem;
	struct idem key;
	/* The campaign's reward and minimum order as checked before the change. */
	uint32_t reward_id;
	struct cp_money min_order;
	bool min_known;  /* the campaign (and so its minimum) was known beforehand */
	/* The cap (core/cap.c): the statement takes a unit of slot SLOT. */
	bool capped;     /* the campaign has (or may have) a cap */
	bool cap_sql;    /* the last change ran a capped statement */
	uint32_t slot;
	unsigned int moves; /* to another slot, the one tried being full */
	MYSQL_TIME fence; /* group commit: redeem_one_sql's fence, as checked */
	enum grouped grouped; /* what group commit made of the request */
	enum cp_status ran;   /* GR_RAN: what run() returned */
};

/* ------------------------------------------------------------ input */

enum cp_status cp_check_ident(const char *what, const char *s, size_t max, struct cp_err *e)
{
	size_t n, at;

	if (s == NULL || *s == '\0')
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "%s is missing", what);
	if ((n = strnlen(s, max + 1)) > max)
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "%s is longer than %zu bytes", what,
				  max);
	switch (text_scan(s, n, 0, &at, NULL)) {
	case TEXT_BAD_UTF8:
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "%s is not valid UTF-8 (byte %zu)",
				  what, at + 1);
	case TEXT_CONTROL:
		return cp_err_set(e, CP_E_INVALID_ARGUMENT,
				  "%s holds a control character (byte %zu)", what, at + 1);
	case TEXT_OK:
		break;
	}
	return CP_OK;
}

static enum cp_status check_input(struct ctx *x)
{
	const struct cp_redeem_req *r = x->req;
	enum cp_status st = CP_OK;

	if ((x->def->needs_user || r->user_id != NULL) &&
	    (st = cp_check_ident("user_id", r->user_id, CP_USER_MAX, x->e)) != CP_OK)
		cp_err_field(x->e, "user_id");
	if (st == CP_OK && r->order_id != NULL &&
	    (st = cp_check_ident("order_id", r->order_id, CP_ORDER_MAX, x->e)) != CP_OK)
		cp_err_field(x->e, "order_id");
	if (st == CP_OK && x->op == CP_OP_RESERVE && r->ttl > CP_TTL_MAX)
		st = cp_err_set_field(x->e, CP_E_INVALID_ARGUMENT, "ttl",
				      "ttl must be 1..%d seconds", CP_TTL_MAX);
	if (st == CP_OK && x->idem)
		st = idem_check_key(r->idem_key, x->e);
	return st;
}

/* ------------------------------------------------------------ statements */

static void set_when(struct ctx *x)
{
	struct timespec ts;
	unsigned int ttl = x->req->ttl ? x->req->ttl : CP_TTL_DEFAULT;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (x->op == CP_OP_RESERVE)
		ts.tv_sec += ttl;
	db_time_from_unix(&x->when, ts.tv_sec);
	x->when.second_part = (unsigned long)(ts.tv_nsec / 1000);
	x->when_unix = ts.tv_sec;
}

/*
 * REWARD (may be NULL) is bound right after the time; FENCE and then CAMPAIGN
 * (each may be NULL) after the operation's own parameters.
 */
static enum cp_status run_change(struct ctx *x, const char *sql, const MYSQL_TIME *fence,
				 uint32_t *campaign, uint32_t *reward, uint64_t *rows)
{
	MYSQL_BIND b[9];
	unsigned long len[9];
	const char *user = x->req->user_id, *order = x->req->order_id;
	MYSQL_TIME until;
	size_t i;

	memset(b, 0, sizeof b);
	i = 0;
	if (x->cap_sql)
		db_bind_u32(&b[i++], &x->slot);
	for (size_t j = 0; x->def->params[j] != P_END; i++, j++) {
		switch (x->def->params[j]) {
		case P_USER:
			db_bind_str(&b[i], user, &len[i]);
			break;
		case P_ORDER:
			db_bind_str(&b[i], order, &len[i]);
			break;
		case P_TIME:
			db_bind_time(&b[i], &x->when, NULL);
			if (reward != NULL)
				db_bind_u32(&b[++i], reward);
			break;
		case P_CODE:
			db_bind_str(&b[i], x->code, &len[i]);
			break;
		case P_END:
			break;
		}
	}
	if (fence != NULL) {
		until = *fence;
		db_bind_time(&b[i++], &until, NULL);
	}
	if (campaign != NULL)
		db_bind_u32(&b[i], campaign);
	return db_run(x->db, sql, b, rows, x->e);
}

/* Fills the reply's campaign from the connection's cache. */
/* The code as campaign K prints it, for replies to people. */
static void display_with(const struct cache_campaign *k, struct cp_redeem_result *r)
{
	if (k == NULL || r->code[0] == '\0' ||
	    cp_code_display(&k->format, r->code, r->display, sizeof r->display) != CP_OK)
		r->display[0] = '\0';
}

/* Fills the reply's campaign (name, the code as printed) from the connection's cache. */
static void set_campaign(struct ctx *x, uint32_t id)
{
	const struct cache_campaign *k = cache_campaign(x->db, id);

	x->res->campaign_id = id;
	if (k != NULL) {
		memcpy(x->res->campaign_name, k->name, sizeof k->name);
		x->res->reward.id = k->reward_id;
	}
	display_with(k, x->res);
}

/* The campaign's reward and minimum order, as the cache has them now. */
static void load_terms(struct ctx *x, uint32_t id)
{
	const struct cache_campaign *k = cache_campaign(x->db, id);

	x->min_known = k != NULL;
	x->reward_id = k != NULL ? k->reward_id : 0;
	if (k != NULL && k->reward != NULL)
		x->min_order = k->reward->min_order;
	else
		memset(&x->min_order, 0, sizeof x->min_order);
}

/* The reply's reward in full, from its id (rows never change, so replays agree). */
static void fill_reward(struct ctx *x)
{
	struct cp_reward *r = &x->res->reward;
	const struct cp_reward *row;
	uint32_t id = r->id;

	if (id == 0)
		return;
	if ((row = codes_reward(x->db, id, NULL)) != NULL)
		*r = *row;
	else
		r->id = 0; /* unreadable now: the reply says less, never something else */
}

/* A stored reply (an idempotent replay) carries its campaign's id but no display. */
static void set_display(struct ctx *x)
{
	struct cp_redeem_result *r = x->res;

	if (r->display[0] == '\0' && r->campaign_id != 0)
		display_with(cache_campaign(x->db, r->campaign_id), r);
}

/* 1: counted; 0: the user is at the limit. */
static enum cp_status count_use(struct ctx *x, uint32_t campaign, uint32_t limit,
				bool *ok)
{
	MYSQL_BIND b[3];
	unsigned long len;
	uint64_t rows = 0;
	enum cp_status st;

	memset(b, 0, sizeof b);
	db_bind_u32(&b[0], &campaign);
	db_bind_str(&b[1], x->req->user_id, &len);
	db_bind_u32(&b[2], &limit);
	st = db_run(x->db, usage_sql, b, &rows, x->e);
	*ok = rows > 0;
	return st;
}

/* ------------------------------------------------------------ refusals */

/* A failure of the machinery rather than a reply to the request. */
static bool failed(enum cp_status st)
{
	static const enum cp_status machinery[] = {CP_E_DB_UNAVAILABLE, CP_E_DB, CP_E_BUSY,
						   CP_E_SCHEMA, CP_E_NOMEM, CP_E_INTERNAL,
						   CP_E_INVALID_ARGUMENT};

	for (size_t i = 0; i < sizeof machinery / sizeof machinery[0]; i++)
		if (st == machinery[i])
			return true;
	return false;
}

static enum cp_status lookup(struct ctx *x, struct why *w)
{
	MYSQL_BIND p[2], r[20];
	unsigned long plen[2], rlen[5] = {0, 0, 0, 0, 0}; /* read even when no row was found */
	enum cp_status st;

	memset(w, 0, sizeof *w);
	memset(p, 0, sizeof p);
	memset(r, 0, sizeof r);
	db_bind_str(&p[0], x->req->user_id, &plen[0]);
	db_bind_str(&p[1], x->code, &plen[1]);
	db_bind_buf(&r[0], w->status, sizeof w->status - 1, &rlen[0], NULL);
	db_bind_buf(&r[1], w->user, sizeof w->user - 1, &rlen[1], &w->user_null);
	db_bind_buf(&r[2], w->order, sizeof w->order - 1, &rlen[2], &w->order_null);
	db_bind_time(&r[3], &w->redeemed_at, &w->redeemed_null);
	db_bind_time(&r[4], &w->reserved_until, &w->reserved_null);
	db_bind_i64(&r[5], &w->lapsed);
	db_bind_i64(&r[6], &w->code_expired);
	db_bind_u32(&r[7], &w->campaign_id);
	db_bind_buf(&r[8], w->kstatus, sizeof w->kstatus - 1, &rlen[3], NULL);
	db_bind_i64(&r[9], &w->not_started);
	db_bind_i64(&r[10], &w->campaign_over);
	db_bind_u32(&r[11], &w->limit);
	db_bind_i64(&r[12], &w->used);
	db_bind_i64(&r[13], &w->events);
	db_bind_u32(&r[14], &w->reward_id);
	db_bind_buf(&r[15], w->holder, sizeof w->holder - 1, &rlen[4], &w->holder_null);
	db_bind_i64(&r[16], &w->transferable);
	db_bind_i64(&r[17], &w->capped);
	db_bind_i64(&r[18], &w->cap_full);
	db_bind_u32(&r[19], &w->free_slot);
	if ((st = db_select1(x->db, why_sql, p, r, &w->found, x->e)) != CP_OK)
		return st;
	w->status[rlen[0] < sizeof w->status ? rlen[0] : 0] = '\0';
	w->user[w->user_null ? 0 : rlen[1]] = '\0';
	w->order[w->order_null ? 0 : rlen[2]] = '\0';
	w->holder[w->holder_null ? 0 : rlen[4]] = '\0';
	w->kstatus[rlen[3] < sizeof w->kstatus ? rlen[3] : 0] = '\0';
	return CP_OK;
}

/* The stored names as the enums; the schema's ENUM columns allow no others. */
static enum cp_code_status code_status(const char *s)
{
	for (int i = CP_CODE_AVAILABLE; i <= CP_CODE_ASSIGNED; i++)
		if (strcmp(s, cp_code_status_name((enum cp_code_status)i)) == 0)
			return (enum cp_code_status)i;
	return CP_CODE_AVAILABLE;
}

static enum cp_campaign_status campaign_status(const char *s)
{
	for (int i = CP_CAMPAIGN_ACTIVE; i <= CP_CAMPAIGN_ARCHIVED; i++)
		if (strcmp(s, cp_campaign_status_name((enum cp_campaign_status)i)) == 0)
			return (enum cp_campaign_status)i;
	return CP_CAMPAIGN_ARCHIVED;
}

static void facts_of(const struct ctx *x, const struct why *w, struct op_facts *f)
{
	const char *user = x->req->user_id, *order = x->req->order_id;

	f->found = w->found;
	f->code = code_status(w->status);
	f->code_expired = w->code_expired != 0;
	f->lapsed = w->lapsed != 0;
	/* A handed-out code is its holder's; a redeemed or reserved one its redeemer's. */
	if (f->code == CP_CODE_ASSIGNED)
		f->mine = user != NULL && !w->holder_null && strcmp(w->holder, user) == 0;
	else
		f->mine = user != NULL && !w->user_null && strcmp(w->user, user) == 0;
	f->transferable = w->transferable != 0;
	f->order_asked = order != NULL;
	f->order_matches = order == NULL ? w->order_null
					 : !w->order_null && strcmp(w->order, order) == 0;
	f->campaign = campaign_status(w->kstatus);
	f->not_started = w->not_started != 0;
	f->campaign_over = w->campaign_over != 0;
	/* Without a user the lookup counts no use: validate checks no limit. */
	f->at_limit = user != NULL && w->limit > 0 && w->used >= w->limit;
	f->cap_full = w->cap_full != 0;
}

static void fill_found(struct ctx *x, const struct why *w, const struct op_verdict *v)
{
	set_campaign(x, w->campaign_id);
	if (v->replay && !w->redeemed_null) {
		x->res->redeemed_at = db_time_to_unix(&w->redeemed_at);
		x->res->replay = true;
		x->res->reward.id = w->reward_id;
	}
	if (v->held && !w->reserved_null)
		x->res->reserved_until = db_time_to_unix(&w->reserved_until);
}

/* A code the statement should have changed: what made this attempt's statement miss it. */
static void stale_cache(struct ctx *x, const struct why *w)
{
	if (w->limit > 0 && !x->use_tx_sql) {
		/* The cache said no limit; the campaign has one now. */
		x->use_tx_sql = true;
		cache_stale(x->db);
	}
	if (x->open_sql)
		x->joined = true;
	if (w->events && !x->events) {
		/* The cache said no events; the autocommit statement refused the code. */
		x->events = true;
		cache_stale(x->db);
	}
	if (x->def->cap_tx_sql != NULL && (w->capped != 0) != x->capped) {
		/* A cap set or removed since the cache was read. */
		x->capped = w->capped != 0;
		cache_stale(x->db);
	} else if (x->cap_sql && x->moves < 2 * CAP_SLOTS) {
		/* The slot tried was full and another has room. */
		x->slot = w->free_slot;
		cap_slot_moved(x->slot);
		x->moves++;
	}
}

/* Why the UPDATE reported 0 rows (or what validate says). */
static enum cp_status refusal(struct ctx *x)
{
	struct why w;
	struct op_facts f;
	struct op_verdict v;
	enum cp_status st;

	if ((st = lookup(x, &w)) != CP_OK)
		return st;
	if (!w.found && x->alt[0] != '\0') {
		/* Another campaign's format read the input differently: try that. */
		memcpy(x->code, x->alt, sizeof x->code);
		x->alt[0] = '\0';
		memcpy(x->res->code, x->code, sizeof x->code);
		x->again = true;
		return CP_OK;
	}
	facts_of(x, &w, &f);
	v = op_refusal(x->op, &f);
	if (v.status == CP_E_CONFLICT) {
		/* The change should have matched: learn what the cache missed, try again. */
		stale_cache(x, &w);
		x->again = true;
		return CP_OK;
	}
	if (w.found)
		fill_found(x, &w, &v);
	return cp_err_set(x->e, v.status, "%s", cp_status_message(v.status));
}

/* ------------------------------------------------------------ one attempt */

static void fill_success(struct ctx *x, uint32_t campaign, uint32_t reward)
{
	set_campaign(x, campaign);
	x->res->reward.id = reward;
	if (x->op == CP_OP_RESERVE)
		x->res->reserved_until = x->when_unix;
	else if (x->op != CP_OP_RELEASE)
		x->res->redeemed_at = x->when_unix;
}

/* In the operation's transaction: the outbox row of a change that matched. */
static enum cp_status add_event(struct ctx *x, uint32_t campaign)
{
	const struct outbox_event ev = {
		.type = x->def->event,
		.campaign_id = campaign,
		.code = x->code,
		.user_id = x->req->user_id,
		.order_id = x->req->order_id,
		.at = x->def->event_time ? &x->when : NULL,
		/* A release leaves no user on the row; the others store what happened. */
		.from_row = x->op != CP_OP_RELEASE,
	};

	return outbox_add(x->db, &ev, x->e);
}

/* The statement that takes any campaign, in a transaction. */
static bool use_tx(const struct ctx *x)
{
	return x->events || (x->use_tx_sql && x->def->counts);
}

/*
 * The statement for this attempt. For the fast ones *FENCE is set, and *ONE
 * when the statement is for the one campaign the code's format names. A
 * campaign with a minimum order takes the fast statement for its own campaign
 * (the fence makes the minimum checked before it exact) or the transaction
 * statement (which reads back the reward it granted).
 */
static const char *statement(struct ctx *x, const MYSQL_TIME **fence, bool *one)
{
	const char *sql;
	uint32_t hint = x->hint.campaign_id;

	*fence = NULL;
	*one = false;
	x->open_sql = false;
	if ((x->cap_sql = x->capped && x->def->cap_tx_sql != NULL)) {
		if (x->op == CP_OP_REDEEM && !x->joined && !use_tx(x) && hint != 0 &&
		    cache_open_capped(x->db, hint, fence)) {
			x->open_sql = *one = true;
			return cap_redeem_one_sql;
		}
		return use_tx(x) || x->hint.any_min ? x->def->cap_tx_sql : x->def->cap_hot_sql;
	}
	if (use_tx(x))
		return x->def->tx_sql;
	if (x->op == CP_OP_REDEEM && !x->joined && hint != 0 && cache_open(x->db, hint, fence)) {
		x->open_sql = *one = true;
		return redeem_one_sql;
	}
	if (x->hint.any_min && x->op != CP_OP_RELEASE)
		return x->def->tx_sql;
	if (x->op != CP_OP_REDEEM || x->joined || hint != 0)
		return x->def->hot_sql;
	if ((sql = cache_open_sql(x->db, redeem_open_prefix, fence)) != NULL) {
		x->open_sql = true;
		return sql;
	}
	return x->def->hot_sql;
}

/* In the transaction statement's transaction: the reward its change recorded. */
static enum cp_status read_granted(struct ctx *x, uint32_t *reward)
{
	MYSQL_BIND p[1], r[1];
	unsigned long len;
	bool found;

	memset(p, 0, sizeof p);
	memset(r, 0, sizeof r);
	db_bind_str(&p[0], x->code, &len);
	db_bind_u32(&r[0], reward);
	return db_select1(x->db, granted_sql, p, r, &found, x->e);
}

/*
 * The change itself, by SQL. *OUTCOME gets the reply when the statements ran;
 * the returned status is CP_OK or a database failure.
 */
static enum cp_status change(struct ctx *x, const char *sql, const MYSQL_TIME *fence, bool one,
			     enum cp_status *outcome)
{
	uint32_t hint = x->hint.campaign_id, bound = x->reward_id, campaign, limit = 0;
	uint32_t reward = 0;
	uint64_t rows = 0, packed;
	enum cp_status st;
	bool ok = true, events = false;
	bool tx_layout = sql == x->def->tx_sql || sql == x->def->cap_tx_sql;

	if ((st = run_change(x, sql, fence, one ? &hint : NULL, one ? &bound : NULL, &rows)) !=
	    CP_OK)
		return st;
	if (rows == 0) {
		*outcome = refusal(x);
		return failed(*outcome) ? *outcome : CP_OK;
	}
	/* Before anything that may reload the cache, which owns the fast statement. */
	packed = one ? (uint64_t)hint << 33 | bound : db_insert_id(x->db, sql);
	campaign = (uint32_t)(packed >> 33);
	if (tx_layout) {
		events = (packed >> 32) & 1;
		limit = (uint32_t)packed;
		if (x->op != CP_OP_RELEASE && (st = read_granted(x, &reward)) != CP_OK)
			return st;
	} else {
		reward = (uint32_t)packed;
	}
	if (x->min_known && x->min_order.currency[0] != '\0' && reward != x->reward_id) {
		/* The minimum checked was not the granted reward's: roll back, look again. */
		cache_stale(x->db);
		x->again = true;
		*outcome = CP_E_CONFLICT;
		return CP_OK;
	}
	/* Only the transaction statement can match a campaign with a limit. */
	if (x->def->counts && limit > 0 && (st = count_use(x, campaign, limit, &ok)) != CP_OK)
		return st;
	if (!ok) {
		set_campaign(x, campaign);
		*outcome = cp_err_set(x->e, CP_E_USER_LIMIT, "%s",
				      cp_status_message(CP_E_USER_LIMIT));
		return CP_OK;
	}
	/* Only the transaction statement can match a campaign with events. */
	if (events && (st = add_event(x, campaign)) != CP_OK)
		return st;
	fill_success(x, campaign, reward);
	*outcome = CP_OK;
	return CP_OK;
}

/* The order against the campaign's minimum, where the operation takes an order. */
static enum cp_status order_check(struct ctx *x)
{
	enum cp_status st;

	if (x->op == CP_OP_RELEASE || !x->min_known ||
	    (st = cp_order_check(&x->min_order, x->req->order_amount, x->e)) == CP_OK)
		return CP_OK;
	set_campaign(x, x->hint.campaign_id != 0 ? x->hint.campaign_id : x->res->campaign_id);
	x->res->reward.id = x->reward_id;
	return st;
}

/*
 * Reads back a committed change where the COMMIT's success does not prove it
 * (a Galera node, see db.h): CP_E_BUSY, retried, when the row does not carry it.
 * Releases are not read back: their row has nothing of this request's own.
 */
static enum cp_status committed(struct ctx *x)
{
	const char *status = x->op == CP_OP_RESERVE ? "pending" : "redeemed";
	MYSQL_BIND p[4], r[1];
	unsigned long len[3];
	int64_t one = 0;
	bool found = false;
	enum cp_status st;

	if (!db_commits_unsure(x->db) || x->op == CP_OP_RELEASE || x->res->status != CP_OK)
		return CP_OK;
	memset(p, 0, sizeof p);
	memset(r, 0, sizeof r);
	db_bind_str(&p[0], x->code, &len[0]);
	db_bind_str(&p[1], x->req->user_id, &len[1]);
	db_bind_str(&p[2], status, &len[2]);
	db_bind_time(&p[3], &x->when, NULL);
	db_bind_i64(&r[0], &one);
	if ((st = db_select1(x->db, committed_sql, p, r, &found, x->e)) != CP_OK || found)
		return st;
	return cp_err_set(x->e, CP_E_BUSY, "the change was rolled back under its COMMIT (a "
			  "cluster conflict); retrying");
}

/* Ends the transaction: stores the reply with the change, or rolls back. */
static enum cp_status finish(struct ctx *x, enum cp_status outcome)
{
	enum cp_status st;

	x->res->status = outcome;
	if (x->again) {
		db_rollback(x->db);
		return CP_OK;
	}
	/* A refused increment must not leave the code redeemed. */
	if (outcome == CP_E_USER_LIMIT) {
		db_rollback(x->db);
		if (x->idem && (st = db_begin(x->db, x->e)) != CP_OK)
			return st;
	}
	if (x->idem && (st = idem_store(x->db, &x->key, x->res, x->e)) != CP_OK) {
		db_rollback(x->db);
		return st;
	}
	if (outcome == CP_E_USER_LIMIT && !x->idem)
		return CP_OK;
	if ((st = db_commit_open(x->db, x->e)) == CP_OK)
		return committed(x);
	db_rollback(x->db);
	return st;
}

/* One attempt. Returns a database failure, or CP_OK with the reply in res->status. */
static enum cp_status attempt(struct ctx *x)
{
	enum cp_status st, outcome = CP_OK;
	const MYSQL_TIME *fence;
	const char *sql;
	bool tx, one;

	x->again = false;
	if (x->op == CP_OP_VALIDATE) {
		if (failed(outcome = refusal(x)))
			return outcome;
		if (outcome == CP_OK && !x->again) {
			if (!x->min_known && x->res->campaign_id != 0)
				load_terms(x, x->res->campaign_id);
			outcome = order_check(x);
		}
		x->res->status = x->again ? CP_E_CONFLICT : outcome;
		return CP_OK;
	}
	sql = statement(x, &fence, &one);
	tx = x->idem || sql == x->def->tx_sql || sql == x->def->cap_tx_sql;
	if (tx && (st = db_begin(x->db, x->e)) != CP_OK)
		return st;
	/* Refused before the change, in the transaction so a key stores the refusal. */
	if ((outcome = order_check(x)) != CP_OK)
		st = CP_OK;
	else
		st = change(x, sql, fence, one, &outcome);
	if (st != CP_OK) {
		if (tx)
			db_rollback(x->db);
		return st;
	}
	if (tx)
		return finish(x, outcome);
	x->res->status = outcome;
	return CP_OK;
}

/* ------------------------------------------------------------ retries */

static void reset_result(struct ctx *x)
{
	unsigned int retries = x->res->retries;

	memset(x->res, 0, sizeof *x->res);
	memcpy(x->res->code, x->code, sizeof x->code);
	x->res->retries = retries;
}

/*
 * Deadlocks and lock-wait timeouts: roll back and retry, bounded, with jitter. A
 * lost connection: reconnect and retry once; safe because a repeat of any
 * operation by the same user finds its own earlier success (and an idempotency
 * claim is found again by its token). The state moving under us (a reservation
 * released between UPDATE and lookup): retry a few times.
 */
static enum cp_status run(struct ctx *x)
{
	struct db_retry retry = DB_RETRY_INIT(x->db);
	unsigned int races = 0;
	bool stored = false;
	enum cp_status st;

	for (;;) {
		reset_result(x);
		st = x->idem ? idem_claim(x->db, &x->key, x->res, &stored, x->e) : CP_OK;
		if (st == CP_OK && stored)
			return x->res->status;
		if (st == CP_OK)
			st = attempt(x);
		if (st == CP_OK && !x->again)
			return x->res->status;
		/* Moving to a slot with room is progress, not a race: each follows a redemption. */
		if (st == CP_OK && ++races <= 3 + x->moves)
			continue;
		if (st == CP_OK)
			st = cp_err_set(x->e, CP_E_BUSY, "the code kept changing under the operation");
		if (db_retry_again(x->db, &retry, st, &x->res->retries, x->e))
			continue;
		break;
	}
	if (x->idem && st != CP_E_IDEMPOTENCY_CONFLICT && st != CP_E_IN_PROGRESS)
		idem_abandon(x->db, &x->key);
	x->res->status = st;
	return st;
}

/*
 * Several campaigns' formats read the code and one has a minimum order: which
 * campaign the code is in decides whether the order must be checked, so ask.
 */
static enum cp_status find_owner(struct ctx *x)
{
	MYSQL_BIND p[1], r[1];
	unsigned long len;
	uint32_t id = 0;
	bool found;
	enum cp_status st;

	memset(p, 0, sizeof p);
	memset(r, 0, sizeof r);
	db_bind_str(&p[0], x->code, &len);
	db_bind_u32(&r[0], &id);
	if ((st = db_select1(x->db, owner_sql, p, r, &found, x->e)) == CP_OK && found)
		x->hint.campaign_id = id;
	return st;
}

/* ------------------------------------------------------------ group commit */

/*
 * Whether the request may join a group: a redemption without key, whose code's
 * format names its campaign, open in the connection's cache with no limit,
 * events, cap or minimum order: the request that takes redeem_one_sql. Its
 * campaign, reward and fence are kept with it, so the group's statement checks
 * each code against what its own request was checked against. Never on a
 * connection whose COMMIT may commit nothing unreported (a Galera node, db.h).
 * Anything else takes its own path at once, never waiting behind a group.
 */
static bool groupable(struct ctx *x)
{
	const MYSQL_TIME *fence;
	bool one;

	if (x->op != CP_OP_REDEEM || x->idem || x->alt[0] != '\0' || x->hint.any_min ||
	    x->capped || db_commits_unsure(x->db))
		return false;
	if (statement(x, &fence, &one) != redeem_one_sql)
		return false;
	x->fence = *fence;
	return true;
}

/*
 * A group's distinct codes in ONE autocommit statement: redeem_one_sql for each
 * of them, the per-code values chosen by CASE code, the rows found through the
 * unique index by code IN (...) (no derived table, no temporary table, no
 * BEGIN or COMMIT of ours: the statement's own commit is the group's). A code
 * is changed only if it is in the campaign its request was checked against and
 * takes the reward it was checked against, before the earliest of the members'
 * fences (core/campaign_cache.c), so a change is exactly the change that
 * member's own redeem_one_sql would have made. Assigned codes are left to the
 * member's own statement (their holder check). The unique index is read in
 * code order, so two groups lock their rows alike and cannot deadlock.
 *
 * Which rows it changed comes back in the OK packet, exactly, as a bit mask:
 * every row it changes evaluates the SET list once, just before the row is
 * written (a row it only looked at, or re-read after a lock wait, evaluates the
 * WHERE only), and the last assignment ORs the row's member bit into
 * LAST_INSERT_ID(), whose value a statement reads back as it sets it. The
 * statement's tag (bit 63 and a counter) in the upper half starts the mask
 * afresh at the first row it changes; whatever the session held before cannot
 * add a bit unnoticed, because the mask must then have exactly as many bits as
 * the statement reported rows (it has at least the changed rows' bits, one
 * each). A mask that fails that check (a stale value with the same tag: only
 * after 2^31 statements or with a campaign id of 2^30 or more) leaves every
 * member in doubt, like a lost connection: each runs on its own, and a code the
 * statement took is found redeemed by its own user (a replay, never a refusal).
 *
 * Prepared once per size class (2, 4, 8, 16 rows), the last row repeated to fill
 * it: the first WHEN of a code decides, and a row is changed once however often
 * it is named.
 */
#define GROUP_ROWS 16
#define GROUP_CLASSES 4
#define GROUP_PARAMS(rows) (12 * (rows) + 3)
static char *group_sql[GROUP_CLASSES];
static pthread_once_t group_sql_once = PTHREAD_ONCE_INIT;
static unsigned int group_tags;

/* Appends CASE code WHEN ? THEN <THEN> ... END; THEN NULL: the row's index. */
static void put_case(FILE *f, const char *then, size_t rows)
{
	fputs("CASE code", f);
	for (size_t r = 0; r < rows; r++) {
		if (then != NULL)
			fprintf(f, " WHEN ? THEN %s", then);
		else
			fprintf(f, " WHEN ? THEN %zu", r);
	}
	fputs(" END", f);
}

static void make_group_sql(void)
{
	for (unsigned int k = 0; k < GROUP_CLASSES; k++) {
		size_t rows = (size_t)2 << k, len;
		char *sql = NULL;
		FILE *f = open_memstream(&sql, &len);

		if (f == NULL)
			abort(); /* out of memory, as xmalloc */
		fputs("UPDATE coupon_codes FORCE INDEX (uq_codes_code) SET status = 'redeemed',"
		      " redeemed_by_user_id = ", f);
		put_case(f, "?", rows);
		fputs(", order_id = ", f);
		put_case(f, "?", rows);
		fputs(", redeemed_at = ", f);
		put_case(f, "?", rows);
		fputs(", reserved_until = NULL, reward_id = ", f);
		put_case(f, "NULLIF(?, 0)", rows);
		fputs(", campaign_id = campaign_id | (LAST_INSERT_ID(IF(LAST_INSERT_ID() >> 32 = ?,"
		      " LAST_INSERT_ID(), ? << 32) | (1 << ", f);
		put_case(f, NULL, rows);
		fputs(")) & 0) WHERE code IN (?", f);
		for (size_t r = 1; r < rows; r++)
			fputs(", ?", f);
		fputs(") AND (status = 'available' OR (status = 'pending' AND reserved_until < NOW(6)))"
		      " AND (expires_at IS NULL OR expires_at > NOW(6))"
		      " AND (assigned_until IS NULL OR assigned_until > NOW(6))"
		      " AND NOW(6) < ? AND campaign_id = ", f);
		put_case(f, "?", rows);
		if (fclose(f) != 0 || sql == NULL)
			abort();
		group_sql[k] = sql;
	}
}

enum group_col { G_CODE, G_USER, G_ORDER, G_AT, G_REWARD, G_CAMPAIGN };

/* Binds ROWS rows of XS[0..N) (the last repeated): the code, then COL unless G_CODE. */
static size_t bind_rows(MYSQL_BIND *b, unsigned long *len, struct ctx **xs, size_t n,
			size_t rows, enum group_col col)
{
	size_t i = 0;

	for (size_t r = 0; r < rows; r++) {
		struct ctx *x = xs[r < n ? r : n - 1];

		db_bind_str(&b[i], x->code, &len[i]);
		i++;
		switch (col) {
		case G_CODE:
			continue;
		case G_USER:
			db_bind_str(&b[i], x->req->user_id, &len[i]);
			break;
		case G_ORDER:
			db_bind_str(&b[i], x->req->order_id, &len[i]);
			break;
		case G_AT:
			db_bind_time(&b[i], &x->when, NULL);
			break;
		case G_REWARD:
			db_bind_u32(&b[i], &x->reward_id);
			break;
		case G_CAMPAIGN:
			db_bind_u32(&b[i], &x->hint.campaign_id);
			break;
		}
		i++;
	}
	return i;
}

static bool earlier(const MYSQL_TIME *a, const MYSQL_TIME *b)
{
	const unsigned long x[] = {a->year, a->month, a->day, a->hour, a->minute, a->second,
				   a->second_part};
	const unsigned long y[] = {b->year, b->month, b->day, b->hour, b->minute, b->second,
				   b->second_part};

	for (size_t i = 0; i < sizeof x / sizeof x[0]; i++)
		if (x[i] != y[i])
			return x[i] < y[i];
	return false;
}

/*
 * The statement for XS[0..N), 2 <= N <= GROUP_ROWS distinct codes, on DB.
 * *TAKEN gets bit i for each XS[i] it changed; *SURE whether that is exact.
 */
static enum cp_status group_statement(struct cp_db *db, struct ctx **xs, size_t n,
				      uint32_t *taken, bool *sure, struct cp_err *e)
{
	MYSQL_BIND b[GROUP_PARAMS(GROUP_ROWS)];
	unsigned long len[GROUP_PARAMS(GROUP_ROWS)];
	MYSQL_TIME fence = xs[0]->fence;
	uint64_t tag, rows = 0, packed;
	unsigned int k = 0;
	size_t i = 0, size;
	const char *sql;
	enum cp_status st;

	pthread_once(&group_sql_once, make_group_sql);
	while (((size_t)2 << k) < n)
		k++;
	sql = group_sql[k];
	size = (size_t)2 << k;
	for (size_t r = 1; r < n; r++)
		if (earlier(&xs[r]->fence, &fence))
			fence = xs[r]->fence;
	tag = 1U << 31 | (__atomic_fetch_add(&group_tags, 1, __ATOMIC_RELAXED) & 0x7fffffff);
	memset(b, 0, sizeof b);
	i += bind_rows(&b[i], &len[i], xs, n, size, G_USER);
	i += bind_rows(&b[i], &len[i], xs, n, size, G_ORDER);
	i += bind_rows(&b[i], &len[i], xs, n, size, G_AT);
	i += bind_rows(&b[i], &len[i], xs, n, size, G_REWARD);
	db_bind_u64(&b[i++], &tag);
	db_bind_u64(&b[i++], &tag);
	i += bind_rows(&b[i], &len[i], xs, n, size, G_CODE);
	i += bind_rows(&b[i], &len[i], xs, n, size, G_CODE);
	db_bind_time(&b[i++], &fence, NULL);
	bind_rows(&b[i], &len[i], xs, n, size, G_CAMPAIGN);
	*taken = 0;
	*sure = false;
	if ((st = db_run_commit(db, sql, b, &rows, e)) != CP_OK)
		return st;
	/* Nothing changed: the OK packet carries no mask, and none is needed. */
	packed = rows > 0 ? db_insert_id(db, sql) : 0;
	*taken = (uint32_t)packed;
	*sure = rows == 0 || (packed >> 32 == tag && (uint64_t)__builtin_popcount(*taken) == rows);
	return CP_OK;
}

/* A member its group's statement took: answered as its own statement would be. */
static void group_won(struct cp_db *db, struct ctx *x)
{
	struct cp_db *own = x->db;

	x->db = db; /* the leader's thread: its connection's cache */
	reset_result(x);
	fill_success(x, x->hint.campaign_id, x->reward_id);
	x->db = own;
	x->grouped = GR_WON;
}

/*
 * XS[0..N), distinct codes, on the leader LX's connection. A conflict (a
 * deadlock, a lock wait timeout: the statement rolled back whole) retries it,
 * bounded, with backoff, as run() does. What the statement did not take, and
 * every member when it failed otherwise (a lost connection among them: in
 * doubt) or its mask is not exact, goes to run() on the member's own
 * connection, which resolves what is in doubt: a code the statement did take is
 * found redeemed by the same user, its original success.
 */
static void group_run(struct ctx *lx, struct ctx **xs, size_t n)
{
	unsigned int busy = 0, limit = db_config(lx->db)->retries;
	uint32_t taken;
	bool sure;
	enum cp_status st;

	if (n < 2)
		return; /* alone: its own path, on its own connection */
	while ((st = group_statement(lx->db, xs, n, &taken, &sure, lx->e)) != CP_OK) {
		if (!db_retryable(st) || busy++ >= limit)
			return;
		for (size_t i = 0; i < n; i++)
			xs[i]->res->retries++;
		db_backoff(busy);
	}
	for (size_t i = 0; i < n && sure; i++)
		if (taken >> i & 1)
			group_won(lx->db, xs[i]);
}

/* Codes in one order: the statement's IN list and the duplicates next to each other. */
static int by_code(const void *a, const void *b)
{
	const struct ctx *x = *(struct ctx *const *)a, *y = *(struct ctx *const *)b;

	return strcmp(x->code, y->code);
}

/*
 * The leader's work (group_fn). Alone, the request takes today's path at once,
 * with no statement of the group's. Otherwise the group's distinct codes go in
 * statements of GROUP_ROWS; a repeat of a code is answered by run() after the
 * statement that decided the code's first request returned.
 */
static void group_batch(void *leader, void **items, size_t n, unsigned int *duplicates)
{
	struct ctx *lx = leader, **xs = (struct ctx **)items, *u[GROUP_ROWS];
	size_t nu = 0;

	if (n == 1) {
		lx->ran = run(lx);
		lx->grouped = GR_RAN;
		return;
	}
	qsort(xs, n, sizeof *xs, by_code);
	for (size_t i = 0; i < n; i++) {
		xs[i]->grouped = GR_FALLBACK;
		if (i > 0 && strcmp(xs[i]->code, xs[i - 1]->code) == 0)
			(*duplicates)++;
		else
			u[nu++] = xs[i];
		if (nu == GROUP_ROWS || (i == n - 1 && nu > 0)) {
			group_run(lx, u, nu);
			nu = 0;
		}
	}
}

static enum cp_status grouped(struct cp_group *g, struct ctx *x)
{
	struct group_member m;

	x->grouped = GR_FALLBACK;
	group_join(g, &m, x, group_batch);
	switch (x->grouped) {
	case GR_RAN:
		return x->ran;
	case GR_WON:
		x->res->status = CP_OK;
		return CP_OK;
	case GR_FALLBACK:
		break;
	}
	return run(x);
}

/* ------------------------------------------------------------ entry points */

static enum cp_status redeem_with(struct cp_group *g, struct cp_db *db, enum cp_op op,
				  const struct cp_redeem_req *req, struct cp_redeem_result *res,
				  struct cp_err *e)
{
	struct ctx x;
	enum cp_status st;

	memset(res, 0, sizeof *res);
	if ((unsigned int)op >= NOPS || req == NULL)
		return res->status = cp_err_set(e, CP_E_INVALID_ARGUMENT, "bad operation");
	memset(&x, 0, sizeof x);
	x.db = db;
	x.op = op;
	x.def = &ops[op];
	x.req = req;
	x.res = res;
	x.e = e;
	x.idem = req->idem_key != NULL && op != CP_OP_VALIDATE;
	if ((st = check_input(&x)) != CP_OK)
		return res->status = st;
	st = cache_normalize(db, req->code, req->code_len, x.code, x.alt, &x.hint, e);
	if (st != CP_OK)
		return res->status = st;
	memcpy(res->code, x.code, sizeof x.code);
	x.use_tx_sql = x.hint.any_limit;
	x.events = x.hint.any_events;
	x.capped = x.hint.any_cap;
	x.slot = cap_slot_mine();
	if (x.hint.any_min && x.hint.campaign_id == 0 && (st = find_owner(&x)) != CP_OK)
		return res->status = st;
	if (x.hint.campaign_id != 0)
		load_terms(&x, x.hint.campaign_id);
	if (x.idem && (st = idem_init(&x.key, op, req, x.code, e)) != CP_OK)
		return res->status = st;
	set_when(&x);
	st = g != NULL && groupable(&x) ? grouped(g, &x) : run(&x);
	set_display(&x);
	fill_reward(&x);
	return st;
}

enum cp_status cp_redeem_op(struct cp_db *db, enum cp_op op, const struct cp_redeem_req *req,
			    struct cp_redeem_result *res, struct cp_err *e)
{
	return redeem_with(NULL, db, op, req, res, e);
}

enum cp_status cp_redeem_grouped(struct cp_group *g, struct cp_db *db,
				 const struct cp_redeem_req *req, struct cp_redeem_result *res,
				 struct cp_err *e)
{
	return redeem_with(g, db, CP_OP_REDEEM, req, res, e);
}

enum cp_status cp_validate(struct cp_db *db, const struct cp_redeem_req *req,
			   struct cp_redeem_result *res, struct cp_err *e)
{
	return cp_redeem_op(db, CP_OP_VALIDATE, req, res, e);
}

enum cp_status cp_redeem(struct cp_db *db, const struct cp_redeem_req *req,
			 struct cp_redeem_result *res, struct cp_err *e)
{
	return cp_redeem_op(db, CP_OP_REDEEM, req, res, e);
}

enum cp_status cp_reserve(struct cp_db *db, const struct cp_redeem_req *req,
			  struct cp_redeem_result *res, struct cp_err *e)
{
	return cp_redeem_op(db, CP_OP_RESERVE, req, res, e);
}

enum cp_status cp_confirm(struct cp_db *db, const struct cp_redeem_req *req,
			  struct cp_redeem_result *res, struct cp_err *e)
{
	return cp_redeem_op(db, CP_OP_CONFIRM, req, res, e);
}

enum cp_status cp_release(struct cp_db *db, const struct cp_redeem_req *req,
			  struct cp_redeem_result *res, struct cp_err *e)
{
	return cp_redeem_op(db, CP_OP_RELEASE, req, res, e);
}
