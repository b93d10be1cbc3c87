/*
 * The campaign cap: at most max_redemptions redeemed codes in a campaign,
 * however many it has. See doc/DESIGN.md, "The campaign cap".
 *
 * One counter row would make every redemption of the campaign wait for the one
 * before it to commit. The cap is split instead over CAP_SLOTS rows of
 * campaign_cap_slots whose quotas sum to it: a redemption takes one unit of its
 * thread's slot, in its own statement (core/redeem.c: "used < quota" in the
 * UPDATE that redeems), and moves to a slot with room when that one is full; the code records the slot (cap_slot, NULL read as slot 0) so whatever
 * takes the redemption back returns the unit there. No slot ever hands out more
 * than its quota, so no more than the cap are redeemed, whatever the races; and
 * a redemption is refused only when every slot was seen full at once.
 *
 * A code holds a unit while it is redeemed: a refund (either unredeem policy) or
 * a staff expiry of a redeemed code gives it back; a reservation holds none.
 *
 * Changing the cap happens with the campaign's row locked and every slot row
 * locked (FOR UPDATE), so no redemption takes a unit meanwhile; the quotas are
 * shared out again over what each slot has used. A cap lowered below the count
 * leaves each slot at most what it used and the slots' quotas still summing to
 * the cap: a slot "in debt" (used > quota) refuses, and a unit given back
 * elsewhere pays the debt first (cap_give), so refunds give room back only once
 * the count is below the cap again.
 *
 * A campaign's first cap cannot count its redeemed codes at once: until the
 * front ends' fence has passed (core/campaign_cache.c) the fast statement, which
 * does not read the campaign, may still redeem without a slot. So the change
 * writes slots that count without limiting (quota CAP_OPEN) and, after its commit
 * and the fence, cap_settle counts the redeemed codes and applies the cap.
 */
#include "config.h"

#include <stdatomic.h>
#include <string.h>

#include "cap.h"
#include "db.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* The quota of a slot that counts without limiting, until cap_settle. */
#define CAP_OPEN 4294967295 /* UINT32_MAX, written for SQL too */

static atomic_uint next_slot;
static _Thread_local uint32_t my_slot = CAP_SLOTS; /* none yet */

uint32_t cap_slot_mine(void)
{
	if (my_slot >= CAP_SLOTS)
		my_slot = atomic_fetch_add(&next_slot, 1) % CAP_SLOTS;
	return my_slot;
}

void cap_slot_moved(uint32_t slot)
{
	my_slot = slot % CAP_SLOTS;
}

/* The writes below run inside a campaign's or a code's change, never alone (db.h). */
static const char drop_sql[] =
	"DELETE FROM campaign_cap_slots WHERE campaign_id = ? AND " DB_IN_TX_SQL;
static const char put_sql[] =
	"INSERT INTO campaign_cap_slots (campaign_id, slot, quota, used)"
	" SELECT ?, ?, ?, ? FROM DUAL WHERE " DB_IN_TX_SQL
	" ON DUPLICATE KEY UPDATE quota = VALUES(quota), used = VALUES(used)";
static const char lock_slots_sql[] =
	"SELECT slot, used, quota = " STR(CAP_OPEN) " FROM campaign_cap_slots"
	" WHERE campaign_id = ? ORDER BY slot FOR UPDATE";
/* Redeemed codes by the slot they hold (what cap_give returns them to). */
static const char count_sql[] =
	"SELECT COALESCE(cap_slot, 0) % " STR(CAP_SLOTS) ", COUNT(*), 0 FROM coupon_codes"
	" WHERE campaign_id = ? AND status = 'redeemed' GROUP BY 1";
static const char lock_campaign_sql[] =
	"SELECT COALESCE(max_redemptions, 0) FROM campaigns WHERE id = ? FOR UPDATE";

/*
 * Rows of (slot, count, open) of campaign ID into COUNT[slot]; *ROWS gets how
 * many there were, *OPEN whether one was flagged.
 */
static enum cp_status read_slots(struct cp_db *db, const char *sql, uint32_t id,
				 uint32_t count[CAP_SLOTS], unsigned int *rows, bool *open,
				 struct cp_err *e)
{
	MYSQL_BIND p[1], r[3];
	MYSQL_STMT *stmt;
	uint32_t slot, n, flag;
	enum cp_status st = cp_db_ensure(db, e);
	int rc;

	memset(count, 0, CAP_SLOTS * sizeof *count);
	*rows = 0;
	*open = false;
	if (st != CP_OK || (stmt = db_prepare(db, sql, e, &st)) == NULL)
		return st;
	memset(p, 0, sizeof p);
	memset(r, 0, sizeof r);
	db_bind_u32(&p[0], &id);
	db_bind_u32(&r[0], &slot);
	db_bind_u32(&r[1], &n);
	db_bind_u32(&r[2], &flag);
	if (mysql_stmt_bind_param(stmt, p) != 0 || mysql_stmt_execute(stmt) != 0 ||
	    mysql_stmt_bind_result(stmt, r) != 0 || mysql_stmt_store_result(stmt) != 0)
		return db_stmt_fail(db, stmt, e, "read the cap's slots");
	while ((rc = mysql_stmt_fetch(stmt)) == 0) {
		if (slot < CAP_SLOTS) {
			count[slot] += n;
			(*rows)++;
		}
		*open |= flag != 0;
	}
	mysql_stmt_free_result(stmt);
	return rc == 1 ? db_stmt_fail(db, stmt, e, "read the cap's slots") : CP_OK;
}

/*
 * QUOTA[] summing to CAP from what each slot USED: room left shared out evenly;
 * below the count, each slot at most what it used (refunds pay that debt first).
 */
static void share(const uint32_t used[CAP_SLOTS], uint32_t cap, uint32_t quota[CAP_SLOTS])
{
	uint64_t total = 0, left;

	for (unsigned int s = 0; s < CAP_SLOTS; s++)
		total += used[s];
	if (total <= cap) {
		left = cap - total;
		for (unsigned int s = 0; s < CAP_SLOTS; s++)
			quota[s] = used[s] + (uint32_t)(left / CAP_SLOTS) + (s < left % CAP_SLOTS);
		return;
	}
	left = cap;
	for (unsigned int s = 0; s < CAP_SLOTS; s++) {
		quota[s] = used[s] < left ? used[s] : (uint32_t)left;
		left -= quota[s];
	}
}

static enum cp_status put_slot(struct cp_db *db, uint32_t id, uint32_t slot, uint32_t quota,
			       uint32_t used, struct cp_err *e)
{
	MYSQL_BIND b[4];

	memset(b, 0, sizeof b);
	db_bind_u32(&b[0], &id);
	db_bind_u32(&b[1], &slot);
	db_bind_u32(&b[2], &quota);
	db_bind_u32(&b[3], &used);
	return db_run(db, put_sql, b, NULL, e);
}

/* With the campaign's row locked: the slots of CAP, counting the codes if COUNT. */
static enum cp_status rebalance(struct cp_db *db, uint32_t id, uint32_t cap, bool count,
				struct cp_err *e)
{
	uint32_t used[CAP_SLOTS], quota[CAP_SLOTS];
	unsigned int rows;
	bool open;
	enum cp_status st;

	if ((st = read_slots(db, lock_slots_sql, id, used, &rows, &open, e)) != CP_OK)
		return st;
	/* Missing or never settled slots: the codes say what was used. */
	if ((count || open || rows != CAP_SLOTS) &&
	    (st = read_slots(db, count_sql, id, used, &rows, &open, e)) != CP_OK)
		return st;
	share(used, cap, quota);
	for (uint32_t s = 0; s < CAP_SLOTS && st == CP_OK; s++)
		st = put_slot(db, id, s, quota[s], used[s], e);
	return st;
}

enum cp_status cap_create(struct cp_db *db, uint32_t id, uint32_t cap, struct cp_err *e)
{
	uint32_t used[CAP_SLOTS] = {0}, quota[CAP_SLOTS];
	enum cp_status st = CP_OK;

	share(used, cap, quota);
	for (uint32_t s = 0; s < CAP_SLOTS && st == CP_OK; s++)
		st = put_slot(db, id, s, quota[s], 0, e);
	return st;
}

enum cp_status cap_change(struct cp_db *db, uint32_t id, uint32_t old, uint32_t new, bool *settle,
			  struct cp_err *e)
{
	MYSQL_BIND b[1];
	enum cp_status st = CP_OK;

	*settle = false;
	if (new == 0) {
		memset(b, 0, sizeof b);
		db_bind_u32(&b[0], &id);
		return old != 0 ? db_run(db, drop_sql, b, NULL, e) : CP_OK;
	}
	if (old != 0)
		return rebalance(db, id, new, false, e);
	*settle = true;
	for (uint32_t s = 0; s < CAP_SLOTS && st == CP_OK; s++)
		st = put_slot(db, id, s, CAP_OPEN, 0, e);
	return st;
}

enum cp_status cap_settle(struct cp_db *db, uint32_t id, struct cp_err *e)
{
	MYSQL_BIND p[1], r[1];
	uint32_t cap = 0;
	unsigned int limit = db_config(db)->retries;
	bool found;
	enum cp_status st;

	memset(p, 0, sizeof p);
	memset(r, 0, sizeof r);
	db_bind_u32(&p[0], &id);
	db_bind_u32(&r[0], &cap);
	for (unsigned int attempt = 0;; attempt++) {
		if ((st = db_begin(db, e)) == CP_OK &&
		    (st = db_select1(db, lock_campaign_sql, p, r, &found, e)) == CP_OK &&
		    found && cap != 0)
			st = rebalance(db, id, cap, true, e);
		if (st == CP_OK && (st = db_commit(db, e)) == CP_OK)
			return CP_OK;
		db_rollback(db);
		if (!db_retryable(st) || attempt >= limit)
			return st;
		db_backoff(attempt + 1);
	}
}

static const char holder_sql[] =
	"SELECT c.campaign_id, COALESCE(c.cap_slot, 0) % " STR(CAP_SLOTS)
	" FROM coupon_codes c JOIN campaigns k ON k.id = c.campaign_id"
	" WHERE c.id = ? AND c.status = 'redeemed' AND k.max_redemptions IS NOT NULL";
static const char give_sql[] =
	"UPDATE campaign_cap_slots SET used = used - 1"
	" WHERE campaign_id = ? AND slot = ? AND used > 0 AND " DB_IN_TX_SQL;
/* After the give: whether the slot has room now (it was not in debt). */
static const char room_sql[] =
	"SELECT 1 FROM campaign_cap_slots WHERE campaign_id = ? AND slot = ? AND used < quota";
static const char debtor_sql[] =
	"SELECT slot FROM campaign_cap_slots WHERE campaign_id = ? AND used > quota"
	" ORDER BY slot LIMIT 1";
/* The debtor takes one unit of quota while still in debt; the giver gives it. */
static const char pay_sql[] =
	"UPDATE campaign_cap_slots SET quota = quota + 1"
	" WHERE campaign_id = ? AND slot = ? AND used > quota AND " DB_IN_TX_SQL;
static const char paid_sql[] =
	"UPDATE campaign_cap_slots SET quota = quota - 1 WHERE campaign_id = ? AND slot = ? AND "
	DB_IN_TX_SQL;

enum cp_status cap_give(struct cp_db *db, uint64_t code_id, struct cp_err *e)
{
	MYSQL_BIND p[3], r[2];
	uint32_t campaign = 0, slot = 0, debtor = 0, one;
	uint64_t rows = 0;
	bool found;
	enum cp_status st;

	memset(p, 0, sizeof p);
	memset(r, 0, sizeof r);
	db_bind_u64(&p[0], &code_id);
	db_bind_u32(&r[0], &campaign);
	db_bind_u32(&r[1], &slot);
	if ((st = db_select1(db, holder_sql, p, r, &found, e)) != CP_OK || !found)
		return st;
	memset(p, 0, sizeof p);
	db_bind_u32(&p[0], &campaign);
	db_bind_u32(&p[1], &slot);
	if ((st = db_run(db, give_sql, p, &rows, e)) != CP_OK || rows == 0)
		return st;
	memset(r, 0, sizeof r);
	db_bind_u32(&r[0], &one);
	if ((st = db_select1(db, room_sql, p, r, &found, e)) != CP_OK || !found)
		return st;
	/* A cap lowered below the count: the room pays a slot's debt first. */
	for (unsigned int tries = 0; tries < CAP_SLOTS; tries++) {
		memset(p, 0, sizeof p);
		db_bind_u32(&p[0], &campaign);
		db_bind_u32(&r[0], &debtor);
		if ((st = db_select1(db, debtor_sql, p, r, &found, e)) != CP_OK || !found)
			return st;
		db_bind_u32(&p[1], &debtor);
		if ((st = db_run(db, pay_sql, p, &rows, e)) != CP_OK)
			return st;
		if (rows > 0) {
			db_bind_u32(&p[1], &slot);
			return db_run(db, paid_sql, p, NULL, e);
		}
	}
	return CP_OK;
}
