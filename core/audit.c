/*
 * The audit log: who changed what, before and after, written in the transaction
 * of the change (see audit.h); and its listing, newest first.
 * Strings go through core's one JSON string writer (core/text.c).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "db.h"
#include "text.h"
#include "xmalloc.h"

static void put(struct jobj *j, const char *s, size_t n)
{
	/* Room is kept for the closing brace and the NUL. */
	if (j->cut || j->n + n + 2 > j->size) {
		j->cut = true;
		return;
	}
	memcpy(j->s + j->n, s, n);
	j->n += n;
	j->s[j->n] = '\0';
}

/* A JSON string literal through core's one writer (core/text.c), whole or not at all. */
static void put_string(struct jobj *j, const char *s)
{
	size_t len = strlen(s), size = 6 * len + 3; /* each byte at most \u00XX, and quotes */
	char *lit = xmalloc(size);

	put(j, lit, text_json_str(lit, size, s, len));
	free(lit);
}

void jobj_init(struct jobj *j)
{
	jobj_init_buf(j, j->own, sizeof j->own);
}

void jobj_init_buf(struct jobj *j, char *buf, size_t size)
{
	j->s = buf;
	j->size = size;
	j->n = 0;
	j->cut = false;
	j->s[0] = '\0';
	put(j, "{", 1);
}

static void key(struct jobj *j, const char *k)
{
	if (j->n > 1)
		put(j, ",", 1);
	put_string(j, k);
	put(j, ":", 1);
}

void jobj_str(struct jobj *j, const char *k, const char *value)
{
	key(j, k);
	if (value != NULL)
		put_string(j, value);
	else
		put(j, "null", 4);
}

void jobj_raw(struct jobj *j, const char *k, const char *value)
{
	key(j, k);
	if (value != NULL && *value != '\0')
		put(j, value, strlen(value));
	else
		put(j, "null", 4);
}

void jobj_u64(struct jobj *j, const char *k, uint64_t value)
{
	char num[24];

	key(j, k);
	put(j, num, (size_t)snprintf(num, sizeof num, "%" PRIu64, value));
}

void jobj_bool(struct jobj *j, const char *k, bool value)
{
	key(j, k);
	put(j, value ? "true" : "false", value ? 4 : 5);
}

void jobj_time(struct jobj *j, const char *k, time_t value)
{
	char buf[32];
	struct tm tm;

	if (value == 0 || gmtime_r(&value, &tm) == NULL ||
	    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		jobj_str(j, k, NULL);
		return;
	}
	jobj_str(j, k, buf);
}

const char *jobj_end(struct jobj *j)
{
	static const char cut[] = "{\"truncated\":true}";

	if (j->cut) {
		if (j->size < sizeof cut) {
			j->s[0] = '\0';
			return j->s;
		}
		memcpy(j->s, cut, sizeof cut);
		j->n = sizeof cut - 1;
		return j->s;
	}
	j->s[j->n++] = '}';
	j->s[j->n] = '\0';
	return j->s;
}

const char *audit_campaign_json(struct jobj *j, const struct cp_campaign *c)
{
	jobj_init(j);
	jobj_str(j, "name", c->name);
	jobj_str(j, "status", cp_campaign_status_name(c->status));
	jobj_time(j, "starts_at", c->starts_at);
	jobj_time(j, "expires_at", c->expires_at);
	jobj_str(j, "time_zone", c->time_zone);
	jobj_u64(j, "per_user_limit", c->per_user_limit);
	jobj_str(j, "unredeem_policy", cp_unredeem_name(c->unredeem_restores));
	jobj_bool(j, "events", c->events);
	if (c->max_redemptions != 0)
		jobj_u64(j, "max_redemptions", c->max_redemptions);
	else
		jobj_raw(j, "max_redemptions", NULL);
	jobj_bool(j, "transferable", c->transferable);
	jobj_u64(j, "valid_for", c->valid_for);
	if (c->reward.id != 0) {
		char reward[CP_REWARD_JSON_MAX], min[96];

		cp_reward_json(&c->reward, reward, sizeof reward);
		cp_money_json(&c->reward.min_order, min, sizeof min);
		jobj_u64(j, "reward_id", c->reward.id);
		jobj_raw(j, "reward", reward);
		jobj_raw(j, "min_order", min);
	} else {
		jobj_raw(j, "reward", NULL);
	}
	return jobj_end(j);
}

const char *cp_audit_json(const struct cp_audit_entry *a, char *buf, size_t size)
{
	struct jobj j;

	jobj_init_buf(&j, buf, size);
	jobj_u64(&j, "id", a->id);
	jobj_time(&j, "at", a->at);
	jobj_str(&j, "actor", a->actor);
	jobj_str(&j, "action", a->action);
	jobj_str(&j, "object_type", a->object_type);
	jobj_u64(&j, "object_id", a->object_id);
	jobj_raw(&j, "before", a->before);
	jobj_raw(&j, "after", a->after);
	return jobj_end(&j);
}

/* Written in the change's transaction, never on its own (db.h). */
static const char insert_sql[] =
	"INSERT INTO audit_log (actor, action, object_type, object_id, before_json, after_json)"
	" SELECT ?, ?, ?, ?, ?, ? FROM DUAL WHERE " DB_IN_TX_SQL;

enum cp_status audit_add(struct cp_db *db, const char *actor, const char *action,
			 const char *object_type, uint64_t object_id, const char *before,
			 const char *after, struct cp_err *e)
{
	MYSQL_BIND b[6];
	unsigned long len[6];
	uint64_t rows = 0;
	enum cp_status st;

	memset(b, 0, sizeof b);
	db_bind_str(&b[0], actor != NULL && *actor ? actor : db_actor(db), &len[0]);
	db_bind_str(&b[1], action, &len[1]);
	db_bind_str(&b[2], object_type, &len[2]);
	db_bind_u64(&b[3], &object_id);
	db_bind_str(&b[4], before, &len[4]);
	db_bind_str(&b[5], after, &len[5]);
	if ((st = db_run(db, insert_sql, b, &rows, e)) != CP_OK)
		return st;
	return rows == 1 ? CP_OK
			 : cp_err_set(e, CP_E_INTERNAL, "audit: %s written outside a transaction",
				      action);
}

/* ------------------------------------------------------------ listing */

/* Each combination of filters is its own statement, so each is an index range. */
#define LIST_COLUMNS                                                                      \
	"SELECT id, created_at, actor, action, object_type, object_id, before_json,"       \
	" after_json FROM audit_log WHERE id < ? AND created_at >= ?"
static const char list_sql[] = LIST_COLUMNS " ORDER BY id DESC LIMIT ?";
static const char list_action_sql[] = LIST_COLUMNS " AND action = ? ORDER BY id DESC LIMIT ?";

/* Heap-allocated: two JSON buffers are too large for a thread's stack. */
struct audit_row {
	struct cp_audit_entry v;
	unsigned long len[6];
	my_bool null[6], tnull;
	MYSQL_TIME t;
};

static void terminate(char *s, size_t size, unsigned long len, my_bool null)
{
	s[null ? 0 : len < size ? len : size - 1] = '\0';
}

enum cp_status cp_audit_list(struct cp_db *db, const struct cp_audit_filter *f,
			     bool (*fn)(const struct cp_audit_entry *, void *), void *arg,
			     struct cp_err *e)
{
	const char *sql = f->action != NULL ? list_action_sql : list_sql;
	struct audit_row *r;
	MYSQL_BIND p[4], res[8];
	MYSQL_TIME since;
	my_bool since_null = 0;
	unsigned long alen;
	uint64_t before = f->before_id != 0 ? f->before_id : UINT64_MAX;
	uint32_t limit = f->limit != 0 ? f->limit : 100;
	MYSQL_STMT *stmt;
	enum cp_status st;
	int rc;

	if (f->limit > CP_AUDIT_LIMIT_MAX)
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, "limit",
					"limit: 1 to %d, not %u", CP_AUDIT_LIMIT_MAX, f->limit);
	if ((r = calloc(1, sizeof *r)) == NULL)
		return cp_err_set(e, CP_E_NOMEM, "out of memory");
	memset(p, 0, sizeof p);
	memset(res, 0, sizeof res);
	db_time_from_unix(&since, f->since);
	db_bind_u64(&p[0], &before);
	db_bind_time(&p[1], &since, &since_null);
	if (f->action != NULL) {
		db_bind_str(&p[2], f->action, &alen);
		db_bind_u32(&p[3], &limit);
	} else {
		db_bind_u32(&p[2], &limit);
	}
	db_bind_u64(&res[0], &r->v.id);
	db_bind_time(&res[1], &r->t, &r->tnull);
	db_bind_buf(&res[2], r->v.actor, sizeof r->v.actor - 1, &r->len[0], NULL);
	db_bind_buf(&res[3], r->v.action, sizeof r->v.action - 1, &r->len[1], NULL);
	db_bind_buf(&res[4], r->v.object_type, sizeof r->v.object_type - 1, &r->len[2], NULL);
	db_bind_u64(&res[5], &r->v.object_id);
	db_bind_buf(&res[6], r->v.before, sizeof r->v.before - 1, &r->len[4], &r->null[4]);
	db_bind_buf(&res[7], r->v.after, sizeof r->v.after - 1, &r->len[5], &r->null[5]);
	if ((st = cp_db_ensure(db, e)) != CP_OK || (stmt = db_prepare(db, sql, e, &st)) == NULL) {
		free(r);
		return st;
	}
	if (mysql_stmt_bind_param(stmt, p) != 0 || mysql_stmt_execute(stmt) != 0 ||
	    mysql_stmt_bind_result(stmt, res) != 0 || mysql_stmt_store_result(stmt) != 0) {
		free(r);
		return db_stmt_fail(db, stmt, e, "list the audit log");
	}
	while ((rc = mysql_stmt_fetch(stmt)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
		terminate(r->v.actor, sizeof r->v.actor, r->len[0], 0);
		terminate(r->v.action, sizeof r->v.action, r->len[1], 0);
		terminate(r->v.object_type, sizeof r->v.object_type, r->len[2], 0);
		terminate(r->v.before, sizeof r->v.before, r->len[4], r->null[4]);
		terminate(r->v.after, sizeof r->v.after, r->len[5], r->null[5]);
		r->v.at = r->tnull ? 0 : db_time_to_unix(&r->t);
		if (!fn(&r->v, arg))
			break;
	}
	st = rc == 1 ? db_stmt_fail(db, stmt, e, "list the audit log") : CP_OK;
	mysql_stmt_free_result(stmt);
	free(r);
	return st;
}
