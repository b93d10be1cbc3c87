/*
 * The outbox: events written in the same transaction as the change of a code,
 * and the claim/deliver bookkeeping of coupon-relay. See doc/DESIGN.md, "Events after a change".
 *
 * Claiming is three statements, each bounded by the primary key: a consistent
 * read finds the id range of the first MAX claimable events, a conditional
 * UPDATE over that range takes those still claimable (another relay may have
 * been quicker; its rows no longer match), and a read of the range returns what
 * this relay now holds. Sessions run in READ COMMITTED (core/db.c), so the
 * UPDATE takes no gap locks that would stall the redemptions inserting events.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "db.h"
#include "outbox.h"
#include "rewards.h"
#include "text.h"

const char *const cp_event_types[] = {
	[OUTBOX_REDEEMED] = "redeemed",	    [OUTBOX_RESERVED] = "reserved",
	[OUTBOX_CONFIRMED] = "confirmed",   [OUTBOX_RELEASED] = "released",
	[OUTBOX_UNREDEEMED] = "unredeemed", [OUTBOX_EXPIRED] = "expired",
	[OUTBOX_ASSIGNED] = "assigned",
	NULL,
};

#define EVENT_COLUMNS \
	"(event_id, event_type, campaign_id, code, user_id, order_id, created_at)"
/* An event is written in its change's transaction, never on its own (db.h). */
static const char add_sql[] =
	"INSERT INTO outbox " EVENT_COLUMNS " SELECT ?, ?, ?, ?, ?, ?, COALESCE(?, NOW(6))"
	" FROM DUAL WHERE " DB_IN_TX_SQL;
static const char add_if_sql[] =
	"INSERT INTO outbox " EVENT_COLUMNS " SELECT ?, ?, id, ?, ?, ?, COALESCE(?, NOW(6))"
	" FROM campaigns WHERE id = ? AND events_enabled <> 0 AND " DB_IN_TX_SQL;

/* With the reward the change recorded on the row. */
static const char add_row_sql[] =
	"INSERT INTO outbox (event_id, event_type, campaign_id, code, user_id, order_id,"
	" created_at, reward_id) SELECT ?, ?, c.campaign_id, c.code,"
	" c.redeemed_by_user_id, c.order_id, COALESCE(?, NOW(6)), c.reward_id"
	" FROM coupon_codes c WHERE c.code = ? AND " DB_IN_TX_SQL;

#define CLAIMABLE \
	" delivered_at IS NULL AND (claimed_until IS NULL OR claimed_until < NOW(6) OR claimed_by = ?)"
static const char range_sql[] =
	"SELECT MIN(id), MAX(id) FROM (SELECT id FROM outbox WHERE" CLAIMABLE
	" ORDER BY id LIMIT ?) t";
static const char claim_sql[] =
	"UPDATE outbox SET claimed_by = ?, claimed_until = NOW(6) + INTERVAL ? SECOND"
	" WHERE id BETWEEN ? AND ? AND" CLAIMABLE;
static const char fetch_sql[] =
	"SELECT id, event_id, event_type, campaign_id, code, user_id, order_id, created_at,"
	" attempts, COALESCE(reward_id, 0) FROM outbox WHERE id BETWEEN ? AND ? AND claimed_by = ?"
	" AND delivered_at IS NULL ORDER BY id LIMIT ?";
static const char delivered_sql[] =
	"UPDATE outbox SET delivered_at = NOW(6), claimed_until = NULL"
	" WHERE id BETWEEN ? AND ? AND claimed_by = ? AND delivered_at IS NULL";
static const char failed_sql[] =
	"UPDATE outbox SET attempts = attempts + 1, last_error = ?,"
	" claimed_until = NOW(6) + INTERVAL ? MICROSECOND"
	" WHERE id = ? AND claimed_by = ? AND delivered_at IS NULL";
static const char release_sql[] =
	"UPDATE outbox SET claimed_by = NULL, claimed_until = NULL"
	" WHERE id > ? AND claimed_by = ? AND delivered_at IS NULL";
static const char count_sql[] = "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL";
static const char oldest_sql[] =
	"SELECT TIMESTAMPDIFF(MICROSECOND, created_at, NOW(6)), attempts FROM outbox"
	" WHERE delivered_at IS NULL ORDER BY delivered_at, id LIMIT 1";
static const char purge_sql[] =
	"DELETE FROM outbox WHERE delivered_at IS NOT NULL"
	" AND delivered_at < NOW(6) - INTERVAL ? SECOND ORDER BY delivered_at LIMIT ?";

/* A version 4 UUID: unique without coordination between front ends. */
static enum cp_status make_uuid(char *out, struct cp_err *e)
{
	uint8_t r[16];

	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		return cp_err_set(e, CP_E_CRYPTO, "getrandom failed");
	r[6] = (uint8_t)((r[6] & 0x0F) | 0x40);
	r[8] = (uint8_t)((r[8] & 0x3F) | 0x80);
	snprintf(out, CP_EVENT_ID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0],
		 r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13],
		 r[14], r[15]);
	return CP_OK;
}

/* The statement for EV and its parameters in that statement's order. */
static const char *bind_event(const struct outbox_event *ev, bool check, MYSQL_BIND *b,
			      unsigned long *len, const char *id, MYSQL_TIME *at, my_bool *at_null,
			      uint32_t *campaign)
{
	size_t i = 0;

	db_bind_str(&b[i], id, &len[i]), i++;
	db_bind_str(&b[i], cp_event_types[ev->type], &len[i]), i++;
	if (ev->from_row) {
		db_bind_time(&b[i++], at, at_null);
		db_bind_str(&b[i], ev->code, &len[i]);
		return add_row_sql;
	}
	if (!check)
		db_bind_u32(&b[i++], campaign);
	db_bind_str(&b[i], ev->code, &len[i]), i++;
	db_bind_str(&b[i], ev->user_id, &len[i]), i++;
	db_bind_str(&b[i], ev->order_id, &len[i]), i++;
	db_bind_time(&b[i++], at, at_null);
	if (check)
		db_bind_u32(&b[i], campaign);
	return check ? add_if_sql : add_sql;
}

static enum cp_status insert(struct cp_db *db, const struct outbox_event *ev, bool check,
			     struct cp_err *e)
{
	char id[CP_EVENT_ID_LEN + 1];
	MYSQL_BIND b[7];
	unsigned long len[7];
	MYSQL_TIME at;
	my_bool at_null = ev->at == NULL;
	uint32_t campaign = ev->campaign_id;
	const char *sql;
	enum cp_status st;

	if ((st = make_uuid(id, e)) != CP_OK)
		return st;
	memset(&at, 0, sizeof at);
	if (ev->at != NULL)
		at = *ev->at;
	memset(b, 0, sizeof b);
	sql = bind_event(ev, check, b, len, id, &at, &at_null, &campaign);
	return db_run(db, sql, b, NULL, e);
}

enum cp_status outbox_add(struct cp_db *db, const struct outbox_event *ev, struct cp_err *e)
{
	return insert(db, ev, false, e);
}

enum cp_status outbox_add_if_enabled(struct cp_db *db, const struct outbox_event *ev,
				     struct cp_err *e)
{
	return insert(db, ev, true, e);
}

/* ------------------------------------------------------------ relay side */

static enum cp_status check_relay(const char *relay, struct cp_err *e)
{
	size_t n = relay != NULL ? strnlen(relay, 65) : 0;

	if (n == 0 || n > 64)
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "the relay id must be 1..64 characters");
	for (size_t i = 0; i < n; i++)
		if (relay[i] < 0x21 || relay[i] > 0x7E)
			return cp_err_set(e, CP_E_INVALID_ARGUMENT,
					  "the relay id must be printable ASCII");
	return CP_OK;
}

/* The id range of the first MAX claimable events; *FOUND false if there are none. */
static enum cp_status claim_range(struct cp_db *db, const char *relay, uint32_t max,
				  uint64_t range[2], bool *found, struct cp_err *e)
{
	MYSQL_BIND p[2], r[2];
	unsigned long len;
	my_bool null[2] = {0, 0};
	enum cp_status st;

	memset(p, 0, sizeof p);
	memset(r, 0, sizeof r);
	db_bind_str(&p[0], relay, &len);
	db_bind_u32(&p[1], &max);
	db_bind_u64(&r[0], &range[0]);
	db_bind_u64(&r[1], &range[1]);
	r[0].is_null = &null[0];
	r[1].is_null = &null[1];
	if ((st = db_select1(db, range_sql, p, r, found, e)) != CP_OK)
		return st;
	*found = *found && !null[0];
	return CP_OK;
}

static enum cp_status take(struct cp_db *db, const char *relay, uint32_t lease,
			   uint64_t range[2], struct cp_err *e)
{
	MYSQL_BIND p[5];
	unsigned long len[2];

	memset(p, 0, sizeof p);
	db_bind_str(&p[0], relay, &len[0]);
	db_bind_u32(&p[1], &lease);
	db_bind_u64(&p[2], &range[0]);
	db_bind_u64(&p[3], &range[1]);
	db_bind_str(&p[4], relay, &len[1]);
	return db_run(db, claim_sql, p, NULL, e);
}

/* Row buffers of fetch_sql. */
struct fetch_row {
	struct cp_event ev;
	unsigned long len[6];
	my_bool null[6];
	MYSQL_TIME at;
};

static void bind_fetch(MYSQL_BIND *r, struct fetch_row *w)
{
	struct cp_event *v = &w->ev;

	db_bind_u64(&r[0], &v->seq);
	db_bind_buf(&r[1], v->event_id, sizeof v->event_id - 1, &w->len[0], NULL);
	db_bind_buf(&r[2], v->type, sizeof v->type - 1, &w->len[1], NULL);
	db_bind_u32(&r[3], &v->campaign_id);
	db_bind_buf(&r[4], v->code, sizeof v->code - 1, &w->len[2], NULL);
	db_bind_buf(&r[5], v->user_id, sizeof v->user_id - 1, &w->len[3], &w->null[3]);
	db_bind_buf(&r[6], v->order_id, sizeof v->order_id - 1, &w->len[4], &w->null[4]);
	db_bind_time(&r[7], &w->at, NULL);
	db_bind_u32(&r[8], &v->attempts);
	db_bind_u32(&r[9], &v->reward_id);
}

static void cut(char *s, size_t sz, unsigned long len, my_bool null)
{
	s[null || len >= sz ? 0 : len] = '\0';
}

static void finish_row(struct fetch_row *w, struct cp_event *out)
{
	struct cp_event *v = &w->ev;

	cut(v->event_id, sizeof v->event_id, w->len[0], 0);
	cut(v->type, sizeof v->type, w->len[1], 0);
	cut(v->code, sizeof v->code, w->len[2], 0);
	cut(v->user_id, sizeof v->user_id, w->len[3], w->null[3]);
	cut(v->order_id, sizeof v->order_id, w->len[4], w->null[4]);
	v->at = db_time_to_unix(&w->at);
	v->at_usec = (unsigned int)w->at.second_part;
	*out = *v;
}

static enum cp_status fetch(struct cp_db *db, const char *relay, uint64_t range[2],
			    uint32_t max, struct cp_event *out, size_t *n, struct cp_err *e)
{
	MYSQL_BIND p[4], r[10];
	unsigned long len;
	struct fetch_row w;
	MYSQL_STMT *stmt;
	enum cp_status st;
	int rc = 0; /* max may be 0: no fetch at all */

	memset(p, 0, sizeof p);
	memset(r, 0, sizeof r);
	memset(&w, 0, sizeof w);
	db_bind_u64(&p[0], &range[0]);
	db_bind_u64(&p[1], &range[1]);
	db_bind_str(&p[2], relay, &len);
	db_bind_u32(&p[3], &max);
	bind_fetch(r, &w);
	if ((stmt = db_prepare(db, fetch_sql, e, &st)) == NULL)
		return st;
	if (mysql_stmt_bind_param(stmt, p) != 0 || mysql_stmt_execute(stmt) != 0 ||
	    mysql_stmt_bind_result(stmt, r) != 0)
		return db_stmt_fail(db, stmt, e, "outbox fetch");
	while (*n < max && ((rc = mysql_stmt_fetch(stmt)) == 0 || rc == MYSQL_DATA_TRUNCATED))
		finish_row(&w, &out[(*n)++]);
	st = *n < max && rc == 1 ? db_stmt_fail(db, stmt, e, "outbox fetch") : CP_OK;
	mysql_stmt_free_result(stmt);
	return st;
}

/* Each event's reward as JSON, read after the fetch (the connection is free again). */
static enum cp_status describe_rewards(struct cp_db *db, struct cp_event *ev, size_t n,
				       struct cp_err *e)
{
	struct cp_reward r;
	enum cp_status st;

	for (size_t i = 0; i < n; i++) {
		ev[i].reward[0] = '\0';
		if (ev[i].reward_id == 0)
			continue;
		/* Events of the same reward come in runs: read each row once. */
		if (i > 0 && ev[i - 1].reward_id == ev[i].reward_id) {
			memcpy(ev[i].reward, ev[i - 1].reward, sizeof ev[i].reward);
			continue;
		}
		if ((st = rewards_get(db, ev[i].reward_id, &r, e)) != CP_OK)
			return st;
		cp_reward_json(&r, ev[i].reward, sizeof ev[i].reward);
	}
	return CP_OK;
}

enum cp_status cp_outbox_claim(struct cp_db *db, const char *relay, unsigned int max,
			       unsigned int lease, struct cp_event *out, size_t *n,
			       struct cp_err *e)
{
	uint64_t range[2] = {0, 0};
	bool found;
	enum cp_status st;

	*n = 0;
	if ((st = check_relay(relay, e)) != CP_OK)
		return st;
	if (max == 0 || lease == 0)
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "claim at least one event for a second");
	if ((st = cp_db_ensure(db, e)) != CP_OK ||
	    (st = claim_range(db, relay, max, range, &found, e)) != CP_OK || !found)
		return st;
	if ((st = take(db, relay, lease, range, e)) != CP_OK)
		return st;
	if ((st = fetch(db, relay, range, max, out, n, e)) != CP_OK)
		return st;
	return describe_rewards(db, out, *n, e);
}

enum cp_status cp_outbox_delivered(struct cp_db *db, const char *relay, uint64_t first,
				   uint64_t last, uint64_t *rows, struct cp_err *e)
{
	MYSQL_BIND p[3];
	unsigned long len;
	uint64_t dummy;
	enum cp_status st;

	if ((st = check_relay(relay, e)) != CP_OK)
		return st;
	memset(p, 0, sizeof p);
	db_bind_u64(&p[0], &first);
	db_bind_u64(&p[1], &last);
	db_bind_str(&p[2], relay, &len);
	return db_run(db, delivered_sql, p, rows != NULL ? rows : &dummy, e);
}

enum cp_status cp_outbox_failed(struct cp_db *db, const char *relay, uint64_t seq,
				unsigned int retry_ms, const char *error, struct cp_err *e)
{
	MYSQL_BIND p[4];
	unsigned long len[2];
	char msg[512];
	uint64_t usec = (uint64_t)retry_ms * 1000;
	enum cp_status st;
	size_t i;

	if ((st = check_relay(relay, e)) != CP_OK)
		return st;
	/* Cut at a character boundary: the column is utf8mb4 and the session strict. */
	error = error != NULL ? error : "";
	i = text_utf8_cut(error, strlen(error), sizeof msg - 1);
	memcpy(msg, error, i);
	msg[i] = '\0';
	memset(p, 0, sizeof p);
	db_bind_str(&p[0], msg, &len[0]);
	db_bind_u64(&p[1], &usec);
	db_bind_u64(&p[2], &seq);
	db_bind_str(&p[3], relay, &len[1]);
	if ((st = db_run(db, failed_sql, p, NULL, e)) != CP_OK)
		return st;
	return cp_outbox_release(db, relay, seq, e);
}

enum cp_status cp_outbox_release(struct cp_db *db, const char *relay, uint64_t after,
				 struct cp_err *e)
{
	MYSQL_BIND p[2];
	unsigned long len;
	enum cp_status st;

	if ((st = check_relay(relay, e)) != CP_OK)
		return st;
	memset(p, 0, sizeof p);
	db_bind_u64(&p[0], &after);
	db_bind_str(&p[1], relay, &len);
	return db_run(db, release_sql, p, NULL, e);
}

enum cp_status cp_outbox_backlog(struct cp_db *db, struct cp_outbox_backlog *b,
				 struct cp_err *e)
{
	MYSQL_BIND r[2];
	int64_t usec = 0;
	uint32_t attempts = 0;
	bool found;
	enum cp_status st;

	memset(b, 0, sizeof *b);
	memset(r, 0, sizeof r);
	db_bind_u64(&r[0], &b->pending);
	if ((st = db_select1(db, count_sql, NULL, r, &found, e)) != CP_OK || b->pending == 0)
		return st;
	memset(r, 0, sizeof r);
	db_bind_i64(&r[0], &usec);
	db_bind_u32(&r[1], &attempts);
	if ((st = db_select1(db, oldest_sql, NULL, r, &found, e)) != CP_OK)
		return st;
	b->oldest_seconds = found && usec > 0 ? (double)usec / 1e6 : 0;
	b->oldest_attempts = attempts;
	return CP_OK;
}

enum cp_status cp_outbox_purge(struct cp_db *db, unsigned int older_than, unsigned int limit,
			       uint64_t *deleted, struct cp_err *e)
{
	MYSQL_BIND p[2];
	uint32_t age = older_than, max = limit;
	uint64_t dummy;

	memset(p, 0, sizeof p);
	db_bind_u32(&p[0], &age);
	db_bind_u32(&p[1], &max);
	return db_run(db, purge_sql, p, deleted != NULL ? deleted : &dummy, e);
}
