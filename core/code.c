/*
 * Support operations on one code: show, unredeem (refund), expire. Not the hot
 * path: each runs in a transaction that reads the row FOR UPDATE, changes it with
 * a conditional UPDATE (its affected rows decide) and appends the prior state to
 * code_events, so the audit record and the change commit together; so does the
 * outbox event where the campaign enables events.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "campaign_cache.h"
#include "cap.h"
#include "db.h"
#include "field.h"
#include "outbox.h"
#include "rewards.h"

#define SHOW_COLUMNS                                                                    \
	"SELECT c.id, c.code, c.campaign_id, k.name, c.batch_id, c.status,"              \
	" c.redeemed_by_user_id, c.order_id, c.expired_reason, c.redeemed_at,"           \
	" c.reserved_until, c.expires_at, c.created_at, k.unredeem_policy = 'restore'," \
	" k.alphabet, k.prefix, k.body_length, k.check_char, k.group_size,"              \
	" COALESCE(c.reward_id, 0), k.time_zone, c.assigned_user_id, c.assigned_at,"     \
	" c.assigned_until"                                                             \
	" FROM coupon_codes c JOIN campaigns k ON k.id = c.campaign_id WHERE c.code = ?"
static const char show_sql[] = SHOW_COLUMNS;
static const char lock_sql[] = SHOW_COLUMNS " FOR UPDATE";

/* A refunded hand-out is its holder's again. */
static const char restore_sql[] =
	"UPDATE coupon_codes SET status = IF(assigned_user_id IS NULL, 'available', 'assigned'),"
	" redeemed_by_user_id = NULL,"
	" order_id = NULL, redeemed_at = NULL, reserved_until = NULL, reward_id = NULL,"
	" cap_slot = NULL WHERE id = ? AND status = 'redeemed'";
/* Policy spend: the refund is recorded, the code stays unusable (keeps its data). */
static const char spend_sql[] =
	"UPDATE coupon_codes SET status = 'expired', expired_reason = 'refunded'"
	" WHERE id = ? AND status = 'redeemed'";
static const char expire_sql[] =
	"UPDATE coupon_codes SET status = 'expired', expired_reason = ?, reserved_until = NULL"
	" WHERE id = ? AND status = ?";
static const char unassign_sql[] =
	"UPDATE coupon_codes SET status = 'available', assigned_user_id = NULL,"
	" assigned_slot = NULL, assigned_at = NULL, assigned_until = NULL, order_id = NULL,"
	" reward_id = NULL WHERE id = ? AND status = 'assigned'";
/* These follow the code's change in its transaction, never run on their own (db.h). */
static const char unuse_sql[] =
	"UPDATE campaign_user_usage SET used = used - 1"
	" WHERE campaign_id = ? AND user_id = ? AND used > 0 AND " DB_IN_TX_SQL;
static const char event_sql[] =
	"INSERT INTO code_events (code_id, campaign_id, action, prior_status, prior_user_id,"
	" prior_order_id, prior_redeemed_at, actor, reason)"
	" SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? FROM DUAL WHERE " DB_IN_TX_SQL;
static const char events_sql[] =
	"SELECT id, action, prior_status, prior_user_id, prior_order_id, prior_redeemed_at,"
	" actor, reason, created_at FROM code_events WHERE code_id = ? ORDER BY id";

static const char *const status_names[] = {"available", "pending", "redeemed", "expired",
					   "assigned"};
#define NSTATUS (sizeof status_names / sizeof status_names[0])

const char *cp_code_status_name(enum cp_code_status s)
{
	return (unsigned int)s < NSTATUS ? status_names[s] : "unknown";
}

bool cp_code_status_parse(const char *s, enum cp_code_status *out)
{
	int i = field_name_index(status_names, NSTATUS, s);

	if (i >= 0)
		*out = (enum cp_code_status)i;
	return i >= 0;
}

/* A row's status; one this program does not know is not usable. */
static enum cp_code_status status_from(const char *s)
{
	enum cp_code_status st;

	return cp_code_status_parse(s, &st) ? st : CP_CODE_EXPIRED;
}

/* Row buffers of the show statement. */
struct show_row {
	struct cp_code_info *info;
	char status[16], alphabet[CP_ALPHABET_MAX + 1], prefix[CP_PREFIX_MAX + 1];
	unsigned long len[11];
	my_bool null[11], tnull[6];
	MYSQL_TIME t[6];
	int64_t restores;
	uint32_t body, check, group;
};

static void bind_show(MYSQL_BIND *r, struct show_row *w)
{
	struct cp_code_info *i = w->info;

	db_bind_u64(&r[0], &i->id);
	db_bind_buf(&r[1], i->code, sizeof i->code - 1, &w->len[0], NULL);
	db_bind_u32(&r[2], &i->campaign_id);
	db_bind_buf(&r[3], i->campaign_name, sizeof i->campaign_name - 1, &w->len[1], NULL);
	db_bind_u64(&r[4], &i->batch_id);
	db_bind_buf(&r[5], w->status, sizeof w->status - 1, &w->len[2], NULL);
	db_bind_buf(&r[6], i->user_id, sizeof i->user_id - 1, &w->len[3], &w->null[3]);
	db_bind_buf(&r[7], i->order_id, sizeof i->order_id - 1, &w->len[4], &w->null[4]);
	db_bind_buf(&r[8], i->expired_reason, sizeof i->expired_reason - 1, &w->len[5],
		    &w->null[5]);
	for (int k = 0; k < 4; k++)
		db_bind_time(&r[9 + k], &w->t[k], &w->tnull[k]);
	db_bind_i64(&r[13], &w->restores);
	db_bind_buf(&r[14], w->alphabet, sizeof w->alphabet - 1, &w->len[6], NULL);
	db_bind_buf(&r[15], w->prefix, sizeof w->prefix - 1, &w->len[7], NULL);
	db_bind_u32(&r[16], &w->body);
	db_bind_u32(&r[17], &w->check);
	db_bind_u32(&r[18], &w->group);
	db_bind_u32(&r[19], &i->reward.id);
	db_bind_buf(&r[20], i->time_zone, sizeof i->time_zone - 1, &w->len[9], NULL);
	db_bind_buf(&r[21], i->assigned_to, sizeof i->assigned_to - 1, &w->len[10], &w->null[10]);
	db_bind_time(&r[22], &w->t[4], &w->tnull[4]);
	db_bind_time(&r[23], &w->t[5], &w->tnull[5]);
}

static time_t opt_time(const MYSQL_TIME *t, my_bool null)
{
	return null ? 0 : db_time_to_unix(t);
}

static void terminate(char *s, size_t sz, unsigned long len, my_bool null)
{
	s[null || len >= sz ? 0 : len] = '\0';
}

static void finish_show(struct show_row *w)
{
	struct cp_code_info *i = w->info;
	struct cp_format f;

	terminate(i->code, sizeof i->code, w->len[0], 0);
	terminate(i->campaign_name, sizeof i->campaign_name, w->len[1], 0);
	terminate(w->status, sizeof w->status, w->len[2], 0);
	terminate(i->user_id, sizeof i->user_id, w->len[3], w->null[3]);
	terminate(i->order_id, sizeof i->order_id, w->len[4], w->null[4]);
	terminate(i->expired_reason, sizeof i->expired_reason, w->len[5], w->null[5]);
	terminate(i->assigned_to, sizeof i->assigned_to, w->len[10], w->null[10]);
	terminate(w->alphabet, sizeof w->alphabet, w->len[6], 0);
	terminate(w->prefix, sizeof w->prefix, w->len[7], 0);
	terminate(i->time_zone, sizeof i->time_zone, w->len[9], 0);
	i->status = status_from(w->status);
	memset(&f, 0, sizeof f);
	memcpy(f.alphabet, w->alphabet, sizeof f.alphabet);
	memcpy(f.prefix, w->prefix, sizeof f.prefix);
	f.body_len = w->body;
	f.check = w->check != 0;
	f.group = w->group;
	if (cp_code_display(&f, i->code, i->display, sizeof i->display) != CP_OK)
		memcpy(i->display, i->code, sizeof i->code);
}

/* Reads the code's row (locked when LOCK). *RESTORES gets the campaign's policy. */
static enum cp_status read_code(struct cp_db *db, const char *code, bool lock,
				struct cp_code_info *info, bool *restores, struct cp_err *e)
{
	MYSQL_BIND p[1], r[24];
	unsigned long plen;
	struct show_row w;
	bool found;
	enum cp_status st;

	memset(&w, 0, sizeof w);
	memset(info, 0, sizeof *info);
	memset(p, 0, sizeof p);
	memset(r, 0, sizeof r);
	w.info = info;
	db_bind_str(&p[0], code, &plen);
	bind_show(r, &w);
	st = db_select1(db, lock ? lock_sql : show_sql, p, r, &found, e);
	if (st != CP_OK)
		return st;
	if (!found)
		return cp_err_set(e, CP_E_UNKNOWN_CODE, "no such code: %s", code);
	finish_show(&w);
	info->redeemed_at = opt_time(&w.t[0], w.tnull[0]);
	info->reserved_until = opt_time(&w.t[1], w.tnull[1]);
	info->expires_at = opt_time(&w.t[2], w.tnull[2]);
	info->created_at = opt_time(&w.t[3], w.tnull[3]);
	info->assigned_at = opt_time(&w.t[4], w.tnull[4]);
	info->assigned_until = opt_time(&w.t[5], w.tnull[5]);
	if (restores != NULL)
		*restores = w.restores != 0;
	return CP_OK;
}

/*
 * The stored form of a typed code: through the campaign formats, else (a code
 * of an archived campaign) the input with separators dropped and case folded.
 */
static enum cp_status stored_form(struct cp_db *db, const char *in, size_t len, char *out,
				  struct cp_err *e)
{
	enum cp_status st = cache_normalize(db, in, len, out, NULL, NULL, e);
	size_t n = 0;

	if (st != CP_E_INVALID_CODE)
		return st;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == ' ' || c == '-')
			continue;
		if (!isalnum(c) || c >= 0x80 || n == CP_CODE_MAX)
			return st;
		out[n++] = (char)toupper(c);
	}
	out[n] = '\0';
	return n > 0 ? CP_OK : st;
}

enum cp_status cp_code_show(struct cp_db *db, const char *code, size_t len,
			    struct cp_code_info *info, struct cp_err *e)
{
	char norm[CP_CODE_MAX + 1];
	struct cp_redeem_req q;
	struct cp_redeem_result res;
	enum cp_status st;

	if ((st = stored_form(db, code, len, norm, e)) != CP_OK)
		return st;
	if ((st = read_code(db, norm, false, info, NULL, e)) != CP_OK)
		return st;
	/* What it was granted (rows never change: as it was then). */
	if (info->reward.id != 0 && (st = rewards_get(db, info->reward.id, &info->reward, e)) != CP_OK)
		return st;
	memset(&q, 0, sizeof q);
	q.code = norm;
	q.code_len = strlen(norm);
	st = cp_validate(db, &q, &res, NULL);
	info->redeemable = st;
	return CP_OK;
}

/* ------------------------------------------------------------ changes */

static enum cp_status add_event(struct cp_db *db, const struct cp_code_info *prior,
				const char *action, const char *actor, const char *reason,
				struct cp_err *e)
{
	MYSQL_BIND b[9];
	unsigned long len[9];
	MYSQL_TIME t;
	my_bool tnull = prior->redeemed_at == 0;
	uint64_t id = prior->id;
	uint32_t campaign = prior->campaign_id;
	const char *user;

	memset(b, 0, sizeof b);
	db_time_from_unix(&t, prior->redeemed_at);
	db_bind_u64(&b[0], &id);
	db_bind_u32(&b[1], &campaign);
	db_bind_str(&b[2], action, &len[2]);
	db_bind_str(&b[3], cp_code_status_name(prior->status), &len[3]);
	/* Of a handed-out code, the user it was handed to. */
	user = prior->status == CP_CODE_ASSIGNED ? prior->assigned_to : prior->user_id;
	db_bind_str(&b[4], user[0] ? user : NULL, &len[4]);
	db_bind_str(&b[5], prior->order_id[0] ? prior->order_id : NULL, &len[5]);
	db_bind_time(&b[6], &t, &tnull);
	db_bind_str(&b[7], actor != NULL && *actor ? actor : "unknown", &len[7]);
	db_bind_str(&b[8], reason, &len[8]);
	return db_run(db, event_sql, b, NULL, e);
}

static enum cp_status unuse(struct cp_db *db, const struct cp_code_info *prior,
			    struct cp_err *e)
{
	MYSQL_BIND b[2];
	unsigned long len;
	uint32_t campaign = prior->campaign_id;

	if (prior->user_id[0] == '\0')
		return CP_OK;
	memset(b, 0, sizeof b);
	db_bind_u32(&b[0], &campaign);
	db_bind_str(&b[1], prior->user_id, &len);
	return db_run(db, unuse_sql, b, NULL, e);
}

struct change;
typedef enum cp_status (*change_fn)(struct cp_db *, const struct cp_code_info *prior,
				    bool restores, const struct change *, struct cp_err *);

struct change {
	const char *action, *actor, *reason; /* action: code_events' and, after "code.", the audit log's */
	change_fn apply;
};

/* The outbox row, written only where the campaign enables events (one statement). */
static enum cp_status add_outbox(struct cp_db *db, const struct cp_code_info *prior,
				 enum outbox_type type, struct cp_err *e)
{
	const struct outbox_event ev = {
		.type = type,
		.campaign_id = prior->campaign_id,
		.code = prior->code,
		.user_id = prior->user_id[0] ? prior->user_id : NULL,
		.order_id = prior->order_id[0] ? prior->order_id : NULL,
	};

	return outbox_add_if_enabled(db, &ev, e);
}

static enum cp_status do_unredeem(struct cp_db *db, const struct cp_code_info *prior,
				  bool restores, const struct change *c, struct cp_err *e)
{
	MYSQL_BIND b[1];
	uint64_t id = prior->id, rows = 0;
	enum cp_status st;

	if (prior->status != CP_CODE_REDEEMED)
		return cp_err_set(e, CP_E_NOT_REDEEMED, "%s is %s, not redeemed", prior->code,
				  cp_code_status_name(prior->status));
	/* Refunded either way: the redemption no longer counts against the cap. */
	if ((st = cap_give(db, id, e)) != CP_OK)
		return st;
	memset(b, 0, sizeof b);
	db_bind_u64(&b[0], &id);
	if ((st = db_run(db, restores ? restore_sql : spend_sql, b, &rows, e)) != CP_OK)
		return st;
	if (rows != 1)
		return cp_err_set(e, CP_E_NOT_REDEEMED, "%s is not redeemed", prior->code);
	if ((st = unuse(db, prior, e)) != CP_OK ||
	    (st = add_outbox(db, prior, OUTBOX_UNREDEEMED, e)) != CP_OK)
		return st;
	return add_event(db, prior, c->action, c->actor, c->reason, e);
}

static enum cp_status do_unassign(struct cp_db *db, const struct cp_code_info *prior,
				  bool restores, const struct change *c, struct cp_err *e)
{
	MYSQL_BIND b[1];
	uint64_t id = prior->id, rows = 0;
	enum cp_status st;

	(void)restores;
	if (prior->status != CP_CODE_ASSIGNED)
		return cp_err_set(e, CP_E_CONFLICT, "%s is %s, not assigned", prior->code,
				  cp_code_status_name(prior->status));
	memset(b, 0, sizeof b);
	db_bind_u64(&b[0], &id);
	if ((st = db_run(db, unassign_sql, b, &rows, e)) != CP_OK)
		return st;
	if (rows != 1)
		return cp_err_set(e, CP_E_CONFLICT, "%s changed under the operation", prior->code);
	return add_event(db, prior, c->action, c->actor, c->reason, e);
}

static enum cp_status do_expire(struct cp_db *db, const struct cp_code_info *prior,
				bool restores, const struct change *c, struct cp_err *e)
{
	MYSQL_BIND b[3];
	unsigned long len[3];
	uint64_t id = prior->id, rows = 0;
	const char *reason = c->reason != NULL && *c->reason ? c->reason : "expired by staff";
	enum cp_status st;

	(void)restores;
	if (prior->status == CP_CODE_EXPIRED)
		return cp_err_set(e, CP_E_EXPIRED, "%s is already expired", prior->code);
	/* Only a redeemed code holds a share of the cap. */
	if (prior->status == CP_CODE_REDEEMED && (st = cap_give(db, id, e)) != CP_OK)
		return st;
	memset(b, 0, sizeof b);
	db_bind_str(&b[0], reason, &len[0]);
	db_bind_u64(&b[1], &id);
	db_bind_str(&b[2], cp_code_status_name(prior->status), &len[2]);
	if ((st = db_run(db, expire_sql, b, &rows, e)) != CP_OK)
		return st;
	if (rows != 1)
		return cp_err_set(e, CP_E_CONFLICT, "%s changed under the operation", prior->code);
	if ((st = add_outbox(db, prior, OUTBOX_EXPIRED, e)) != CP_OK)
		return st;
	return add_event(db, prior, c->action, c->actor, reason, e);
}

/* The audit record of a change of PRIOR: its state before and after. */
static enum cp_status audit_code(struct cp_db *db, const struct cp_code_info *prior,
				 bool restores, const struct change *c, struct cp_err *e)
{
	enum cp_code_status now = CP_CODE_EXPIRED;
	char action[40];
	struct jobj before, after;

	if (c->apply == do_unassign || (c->apply == do_unredeem && restores))
		now = c->apply == do_unredeem && prior->assigned_to[0] ? CP_CODE_ASSIGNED
									: CP_CODE_AVAILABLE;
	jobj_init(&before);
	jobj_str(&before, "code", prior->code);
	jobj_str(&before, "status", cp_code_status_name(prior->status));
	jobj_str(&before, "user_id", prior->user_id[0] ? prior->user_id : NULL);
	jobj_str(&before, "order_id", prior->order_id[0] ? prior->order_id : NULL);
	if (prior->assigned_to[0])
		jobj_str(&before, "assigned_to", prior->assigned_to);
	jobj_init(&after);
	jobj_str(&after, "status", cp_code_status_name(now));
	jobj_str(&after, "reason", c->reason != NULL && *c->reason ? c->reason : NULL);
	snprintf(action, sizeof action, "code.%s", c->action);
	return audit_add(db, c->actor, action, "code", prior->id, jobj_end(&before),
			 jobj_end(&after), e);
}

/* One transaction: lock, change, record; retried on deadlock and lock-wait timeout. */
static enum cp_status admin_change(struct cp_db *db, const char *code, size_t len,
				   const struct change *c, struct cp_code_info *info,
				   struct cp_err *e)
{
	char norm[CP_CODE_MAX + 1];
	struct cp_code_info prior;
	unsigned int limit = db_config(db)->retries;
	bool restores = true;
	enum cp_status st;

	if (c->reason != NULL && (st = cp_check_ident("reason", c->reason, CP_REASON_MAX, e)) != CP_OK)
		return st;
	if ((st = stored_form(db, code, len, norm, e)) != CP_OK)
		return st;
	for (unsigned int attempt = 0;; attempt++) {
		if ((st = db_begin(db, e)) == CP_OK &&
		    (st = read_code(db, norm, true, &prior, &restores, e)) == CP_OK)
			st = c->apply(db, &prior, restores, c, e);
		if (st == CP_OK)
			st = audit_code(db, &prior, restores, c, e);
		if (st == CP_OK && (st = db_commit(db, e)) == CP_OK)
			break;
		db_rollback(db);
		if (!db_retryable(st) || attempt >= limit)
			return st;
		db_backoff(attempt + 1);
	}
	return info != NULL ? cp_code_show(db, norm, strlen(norm), info, e) : CP_OK;
}

enum cp_status cp_code_unredeem(struct cp_db *db, const char *code, size_t len,
				const char *actor, const char *reason,
				struct cp_code_info *info, struct cp_err *e)
{
	const struct change c = {"unredeem", actor, reason, do_unredeem};

	return admin_change(db, code, len, &c, info, e);
}

enum cp_status cp_code_expire(struct cp_db *db, const char *code, size_t len,
			      const char *actor, const char *reason,
			      struct cp_code_info *info, struct cp_err *e)
{
	const struct change c = {"expire", actor, reason, do_expire};

	return admin_change(db, code, len, &c, info, e);
}

enum cp_status cp_code_unassign(struct cp_db *db, const char *code, size_t len,
				const char *actor, const char *reason,
				struct cp_code_info *info, struct cp_err *e)
{
	const struct change c = {"unassign", actor, reason, do_unassign};

	return admin_change(db, code, len, &c, info, e);
}

/* ------------------------------------------------------------ events */

struct event_row {
	struct cp_code_event ev;
	char status[16];
	unsigned long len[7];
	my_bool null[7];
	MYSQL_TIME t[2];
};

static void bind_event(MYSQL_BIND *r, struct event_row *w)
{
	struct cp_code_event *v = &w->ev;

	db_bind_u64(&r[0], &v->id);
	db_bind_buf(&r[1], v->action, sizeof v->action - 1, &w->len[0], NULL);
	db_bind_buf(&r[2], w->status, sizeof w->status - 1, &w->len[1], NULL);
	db_bind_buf(&r[3], v->prior_user_id, sizeof v->prior_user_id - 1, &w->len[2],
		    &w->null[2]);
	db_bind_buf(&r[4], v->prior_order_id, sizeof v->prior_order_id - 1, &w->len[3],
		    &w->null[3]);
	db_bind_time(&r[5], &w->t[0], &w->null[0]);
	db_bind_buf(&r[6], v->actor, sizeof v->actor - 1, &w->len[4], NULL);
	db_bind_buf(&r[7], v->reason, sizeof v->reason - 1, &w->len[5], &w->null[5]);
	db_bind_time(&r[8], &w->t[1], &w->null[1]);
}

static void emit_event(struct event_row *w, void (*fn)(const struct cp_code_event *, void *),
		       void *arg)
{
	struct cp_code_event *v = &w->ev;

	terminate(v->action, sizeof v->action, w->len[0], 0);
	terminate(w->status, sizeof w->status, w->len[1], 0);
	terminate(v->prior_user_id, sizeof v->prior_user_id, w->len[2], w->null[2]);
	terminate(v->prior_order_id, sizeof v->prior_order_id, w->len[3], w->null[3]);
	terminate(v->actor, sizeof v->actor, w->len[4], 0);
	terminate(v->reason, sizeof v->reason, w->len[5], w->null[5]);
	v->prior_status = status_from(w->status);
	v->prior_redeemed_at = opt_time(&w->t[0], w->null[0]);
	v->created_at = opt_time(&w->t[1], w->null[1]);
	fn(v, arg);
}

enum cp_status cp_code_events(struct cp_db *db, uint64_t code_id,
			      void (*fn)(const struct cp_code_event *, void *), void *arg,
			      struct cp_err *e)
{
	MYSQL_BIND p[1], r[9];
	struct event_row w;
	MYSQL_STMT *stmt;
	enum cp_status st;
	int rc;

	memset(p, 0, sizeof p);
	memset(r, 0, sizeof r);
	memset(&w, 0, sizeof w);
	db_bind_u64(&p[0], &code_id);
	bind_event(r, &w);
	if ((st = cp_db_ensure(db, e)) != CP_OK)
		return st;
	if ((stmt = db_prepare(db, events_sql, e, &st)) == NULL)
		return st;
	if (mysql_stmt_bind_param(stmt, p) != 0 || mysql_stmt_execute(stmt) != 0 ||
	    mysql_stmt_bind_result(stmt, r) != 0)
		return db_stmt_fail(db, stmt, e, "code events");
	while ((rc = mysql_stmt_fetch(stmt)) == 0 || rc == MYSQL_DATA_TRUNCATED)
		emit_event(&w, fn, arg);
	st = rc == 1 ? db_stmt_fail(db, stmt, e, "code events") : CP_OK;
	mysql_stmt_free_result(stmt);
	return st;
}
