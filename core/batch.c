/*
 * Generation batches as rows: their names, reading and listing them, cancelling
 * one, creating one (checked against the format's capacity and strength, keyed
 * batches with their range of the global sequence reserved), the keyed
 * parameters a batch row carries, and the progress of running batches. The run
 * that fills a batch with codes is core/generate.c.
 */
#include "config.h"

#include <errmsg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch.h"
#include "db.h"
#include "field.h"
#include "format_internal.h"
#include "keyed.h"
#include "rewards.h"
#include "xmalloc.h"

static const char *const method_names[] = {
	[CP_GEN_RANDOM] = "random", [CP_GEN_KEYED] = "keyed", [CP_GEN_IMPORT] = "import",
};
static const char *const batch_status_names[] = {
	[CP_BATCH_RUNNING] = "running",
	[CP_BATCH_COMPLETE] = "complete",
	[CP_BATCH_FAILED] = "failed",
	[CP_BATCH_CANCELLED] = "cancelled",
};

const char *cp_gen_method_name(enum cp_gen_method m)
{
	return (unsigned int)m < 3 ? method_names[m] : "unknown";
}

bool cp_gen_method_parse(const char *s, enum cp_gen_method *m)
{
	int i = field_name_index(method_names, 3, s);

	if (i >= 0)
		*m = (enum cp_gen_method)i;
	return i >= 0;
}

const char *cp_batch_status_name(enum cp_batch_status s)
{
	return (unsigned int)s < 4 ? batch_status_names[s] : "unknown";
}

static enum cp_batch_status batch_status_parse(const char *s)
{
	for (unsigned int i = 0; i < 4; i++)
		if (strcmp(s, batch_status_names[i]) == 0)
			return (enum cp_batch_status)i;
	return CP_BATCH_FAILED;
}

/* ------------------------------------------------------------ batch rows */

struct brow {
	MYSQL_BIND b[11];
	uint64_t id, requested, generated;
	uint32_t campaign_id;
	char method[16], params[256], status[16], error[512];
	unsigned long method_len, params_len, status_len, error_len;
	my_bool error_null, finished_null, started_null, code_expires_null;
	MYSQL_TIME started, finished, code_expires;
};

#define BATCH_COLUMNS                                                                    \
	"id, campaign_id, method, requested, generated, params, status, started_at, "    \
	"finished_at, error, code_expires_at"

static void bind_brow(struct brow *r)
{
	MYSQL_BIND *b = r->b;

	memset(r, 0, sizeof *r);
	db_bind_u64(&b[0], &r->id);
	db_bind_u32(&b[1], &r->campaign_id);
	db_bind_buf(&b[2], r->method, sizeof r->method, &r->method_len, NULL);
	db_bind_u64(&b[3], &r->requested);
	db_bind_u64(&b[4], &r->generated);
	db_bind_buf(&b[5], r->params, sizeof r->params, &r->params_len, NULL);
	db_bind_buf(&b[6], r->status, sizeof r->status, &r->status_len, NULL);
	db_bind_time(&b[7], &r->started, &r->started_null);
	db_bind_time(&b[8], &r->finished, &r->finished_null);
	db_bind_buf(&b[9], r->error, sizeof r->error, &r->error_len, &r->error_null);
	db_bind_time(&b[10], &r->code_expires, &r->code_expires_null);
}

static void cut(char *buf, size_t size, unsigned long len)
{
	buf[len < size ? len : size - 1] = '\0';
}

static void brow_to_batch(struct brow *r, struct cp_batch *b)
{
	memset(b, 0, sizeof *b);
	cut(r->method, sizeof r->method, r->method_len);
	cut(r->params, sizeof r->params, r->params_len);
	cut(r->status, sizeof r->status, r->status_len);
	cut(r->error, sizeof r->error, r->error_null ? 0 : r->error_len);
	b->id = r->id;
	b->campaign_id = r->campaign_id;
	if (!cp_gen_method_parse(r->method, &b->method))
		b->method = CP_GEN_RANDOM;
	b->requested = r->requested;
	b->generated = r->generated;
	memcpy(b->params, r->params, sizeof b->params);
	b->status = batch_status_parse(r->status);
	b->started_at = r->started_null ? 0 : db_time_to_unix(&r->started);
	b->finished_at = r->finished_null ? 0 : db_time_to_unix(&r->finished);
	memcpy(b->error, r->error, sizeof b->error);
	b->code_expires_at = r->code_expires_null ? 0 : db_time_to_unix(&r->code_expires);
}

static const char batch_get_sql[] = "SELECT " BATCH_COLUMNS " FROM generation_batches WHERE id = ?";

enum cp_status cp_batch_get(struct cp_db *db, uint64_t id, struct cp_batch *b, struct cp_err *e)
{
	MYSQL_BIND p[1];
	struct brow r;
	bool found;
	enum cp_status st;

	memset(p, 0, sizeof p);
	db_bind_u64(&p[0], &id);
	bind_brow(&r);
	if ((st = db_select1(db, batch_get_sql, p, r.b, &found, e)) != CP_OK)
		return st;
	if (!found)
		return cp_err_set(e, CP_E_NOT_FOUND, "no batch %" PRIu64, id);
	brow_to_batch(&r, b);
	return CP_OK;
}

static const char unfinished_sql[] =
	"SELECT " BATCH_COLUMNS " FROM generation_batches WHERE campaign_id = ? AND status <> "
	"'complete' ORDER BY id DESC LIMIT 1";

enum cp_status cp_batch_unfinished(struct cp_db *db, uint32_t campaign_id, struct cp_batch *b,
				   bool *found, struct cp_err *e)
{
	MYSQL_BIND p[1];
	struct brow r;
	enum cp_status st;

	memset(p, 0, sizeof p);
	db_bind_u32(&p[0], &campaign_id);
	bind_brow(&r);
	if ((st = db_select1(db, unfinished_sql, p, r.b, found, e)) == CP_OK && *found)
		brow_to_batch(&r, b);
	return st;
}

static const char list_sql[] =
	"SELECT " BATCH_COLUMNS " FROM generation_batches WHERE campaign_id = ? ORDER BY id";

enum cp_status cp_batch_list(struct cp_db *db, uint32_t campaign_id,
			     bool (*fn)(const struct cp_batch *, void *), void *arg,
			     struct cp_err *e)
{
	MYSQL_BIND p[1];
	MYSQL_STMT *stmt;
	struct cp_batch b;
	struct brow r;
	enum cp_status st = cp_db_ensure(db, e);
	int rc;

	if (st != CP_OK || (stmt = db_prepare(db, list_sql, e, &st)) == NULL)
		return st;
	memset(p, 0, sizeof p);
	db_bind_u32(&p[0], &campaign_id);
	bind_brow(&r);
	if (mysql_stmt_bind_param(stmt, p) != 0 || mysql_stmt_execute(stmt) != 0 ||
	    mysql_stmt_bind_result(stmt, r.b) != 0 || mysql_stmt_store_result(stmt) != 0)
		return db_stmt_fail(db, stmt, e, "list batches");
	while ((rc = mysql_stmt_fetch(stmt)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
		brow_to_batch(&r, &b);
		if (!fn(&b, arg))
			break;
	}
	mysql_stmt_free_result(stmt);
	return rc == 1 ? db_stmt_fail(db, stmt, e, "list batches") : CP_OK;
}

static const char cancel_sql[] =
	"UPDATE generation_batches SET status = 'cancelled', updated_at = NOW(6) "
	"WHERE id = ? AND status IN ('running', 'failed')";

enum cp_status cp_batch_cancel(struct cp_db *db, uint64_t id, struct cp_err *e)
{
	struct cp_batch b;
	MYSQL_BIND p[1];
	enum cp_status st;

	if ((st = cp_batch_get(db, id, &b, e)) != CP_OK)
		return st;
	if (b.status == CP_BATCH_COMPLETE)
		return cp_err_set(e, CP_E_CONFLICT, "batch %" PRIu64 " is complete", id);
	memset(p, 0, sizeof p);
	db_bind_u64(&p[0], &id);
	return db_run(db, cancel_sql, p, NULL, e);
}

/* ------------------------------------------------------------ parameters */

/*
 * Keyed batches keep their state in params: the key's fingerprint, the ranges
 * of the global sequence reserved for them, and how many of those numbers the
 * committed chunks used ("key=0123abcd0123abcd;used=0;seq=1000+500,9000+20").
 * Numbers past "used" belong to no committed code, so a resumed run may encrypt
 * them again; numbers before it are never encrypted again.
 */


static bool parse_u64(const char **p, uint64_t *v)
{
	char *end;

	if (**p < '0' || **p > '9')
		return false;
	*v = strtoull(*p, &end, 10);
	*p = end;
	return true;
}

bool batch_params_parse(const char *s, struct batch_params *k)
{
	const char *p;

	memset(k, 0, sizeof k[0]);
	if (strncmp(s, "key=", 4) != 0 || strlen(s) < 4 + KEYED_FP_HEX)
		return false;
	memcpy(k->key, s + 4, KEYED_FP_HEX);
	p = s + 4 + KEYED_FP_HEX;
	if (strncmp(p, ";used=", 6) != 0)
		return false;
	p += 6;
	if (!parse_u64(&p, &k->used) || strncmp(p, ";seq=", 5) != 0)
		return false;
	p += 5;
	do {
		if (k->n == MAX_RANGES || !parse_u64(&p, &k->r[k->n].start) || *p++ != '+' ||
		    !parse_u64(&p, &k->r[k->n].len))
			return false;
		k->n++;
	} while (*p++ == ',');
	return p[-1] == '\0';
}

void batch_params_format(const struct batch_params *k, char *out, size_t size)
{
	int o = snprintf(out, size, "key=%s;used=%" PRIu64 ";seq=", k->key, k->used);

	for (unsigned int i = 0; i < k->n && o > 0 && (size_t)o < size; i++)
		o += snprintf(out + o, size - (size_t)o, "%s%" PRIu64 "+%" PRIu64, i ? "," : "",
			      k->r[i].start, k->r[i].len);
}

uint64_t batch_params_total(const struct batch_params *k)
{
	uint64_t t = 0;

	for (unsigned int i = 0; i < k->n; i++)
		t += k->r[i].len;
	return t;
}

/* The POS-th reserved number, counting through the ranges in order. */
uint64_t batch_params_seq(const struct batch_params *k, uint64_t pos)
{
	for (unsigned int i = 0; i < k->n; i++) {
		if (pos < k->r[i].len)
			return k->r[i].start + pos;
		pos -= k->r[i].len;
	}
	return UINT64_MAX;
}

bool batch_params_add(struct batch_params *k, uint64_t start, uint64_t len)
{
	if (k->n > 0 && k->r[k->n - 1].start + k->r[k->n - 1].len == start) {
		k->r[k->n - 1].len += len;
		return true;
	}
	if (k->n == MAX_RANGES)
		return false;
	k->r[k->n].start = start;
	k->r[k->n++].len = len;
	return true;
}

/* ------------------------------------------------------------ creating */

static const char lock_campaign_sql[] =
	"SELECT COALESCE(SUM(b.requested), 0) FROM campaigns c LEFT JOIN generation_batches b "
	"ON b.campaign_id = c.id WHERE c.id = ? FOR UPDATE";
static const char reserve_sql[] =
	"UPDATE keyed_sequence SET next_value = LAST_INSERT_ID(next_value + ?) WHERE id = 1";
static const char last_id_sql[] = "SELECT LAST_INSERT_ID()";
static const char insert_batch_sql[] =
	"INSERT INTO generation_batches (campaign_id, method, requested, params, code_expires_at) "
	"VALUES (?, ?, ?, ?, ?)";

/* Reserves COUNT numbers of the global sequence; inside the caller's transaction. */
enum cp_status batch_reserve(struct cp_db *db, uint64_t count, uint64_t capacity,
			     uint64_t *start, struct cp_err *e)
{
	MYSQL_BIND p[1], r[1];
	uint64_t end = 0;
	bool found;
	enum cp_status st;

	memset(p, 0, sizeof p);
	memset(r, 0, sizeof r);
	db_bind_u64(&p[0], &count);
	db_bind_u64(&r[0], &end);
	if ((st = db_run(db, reserve_sql, p, NULL, e)) != CP_OK ||
	    (st = db_select1(db, last_id_sql, NULL, r, &found, e)) != CP_OK)
		return st;
	if (!found || end < count)
		return cp_err_set(e, CP_E_INTERNAL, "keyed_sequence has no row 1");
	if (end > capacity)
		return cp_err_set(e, CP_E_CAPACITY,
				  "the keyed sequence has reached %" PRIu64 ", beyond the %" PRIu64
				  " codes this format holds; use a longer body or the random "
				  "method", end, capacity);
	*start = end - count;
	return CP_OK;
}

struct create {
	const struct cp_campaign *camp;
	enum cp_gen_method method;
	uint64_t count;
	char params[256];
	char fp[KEYED_FP_HEX + 1];
	uint64_t capacity;
	time_t code_expires; /* 0 = none */
};

static enum cp_status create_tx(struct cp_db *db, struct create *c, uint64_t *id,
				struct cp_err *e)
{
	MYSQL_BIND p[5], r[1];
	uint32_t cid = c->camp->id;
	uint64_t sum = 0, start;
	unsigned long mlen, plen;
	MYSQL_TIME expires;
	my_bool expires_null = c->code_expires == 0;
	bool found;
	enum cp_status st;

	memset(p, 0, sizeof p);
	memset(r, 0, sizeof r);
	db_bind_u32(&p[0], &cid);
	db_bind_u64(&r[0], &sum);
	if ((st = db_select1(db, lock_campaign_sql, p, r, &found, e)) != CP_OK)
		return st;
	if ((st = cp_format_allows(&c->camp->format, sum + c->count, e)) != CP_OK) {
		cp_err_prefix(e, "campaign '%s' has %" PRIu64 " codes in batches; %" PRIu64
			      " more", c->camp->name, sum, c->count);
		return st;
	}
	if (c->method == CP_GEN_KEYED) {
		struct batch_params k = {.n = 0};

		if ((st = batch_reserve(db, c->count, c->capacity, &start, e)) != CP_OK)
			return st;
		memcpy(k.key, c->fp, sizeof k.key);
		batch_params_add(&k, start, c->count);
		batch_params_format(&k, c->params, sizeof c->params);
	} else {
		snprintf(c->params, sizeof c->params, "rng=getrandom");
	}
	memset(p, 0, sizeof p);
	db_bind_u32(&p[0], &cid);
	db_bind_str(&p[1], cp_gen_method_name(c->method), &mlen);
	db_bind_u64(&p[2], &c->count);
	db_bind_str(&p[3], c->params, &plen);
	db_time_from_unix(&expires, c->code_expires);
	db_bind_time(&p[4], &expires, &expires_null);
	if ((st = db_run(db, insert_batch_sql, p, NULL, e)) != CP_OK)
		return st;
	*id = db_insert_id(db, insert_batch_sql);
	return CP_OK;
}

/* Reads the key now, so a bad key file is refused before the batch exists. */
static enum cp_status key_fingerprint(struct cp_db *db, const struct cp_campaign *camp,
				      char *fp, uint64_t *capacity, struct cp_err *e)
{
	struct keyed k;
	enum cp_status st = keyed_open(&k, db_config(db)->key_file, &camp->format, e);

	if (st == CP_OK) {
		memcpy(fp, k.fingerprint, KEYED_FP_HEX + 1);
		*capacity = k.capacity;
	}
	keyed_close(&k);
	return st;
}

enum cp_status cp_batch_create(struct cp_db *db, uint32_t campaign_id, enum cp_gen_method method,
			       uint64_t count, uint64_t *batch_id, struct cp_err *e)
{
	return cp_batch_create_expiring(db, campaign_id, method, count, 0, batch_id, e);
}

enum cp_status cp_batch_create_expiring(struct cp_db *db, uint32_t campaign_id,
					enum cp_gen_method method, uint64_t count,
					time_t code_expires, uint64_t *batch_id, struct cp_err *e)
{
	struct cp_campaign camp;
	struct create c;
	enum cp_status st;

	if (count == 0)
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, "count",
					"the count must be at least 1");
	/* Codes born expired are a mistake, not a batch. */
	if (code_expires != 0 && code_expires <= time(NULL))
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, "code_expires_at",
					"the codes' expiry must be in the future");
	if ((st = cp_campaign_get(db, campaign_id, &camp, e)) != CP_OK)
		return st;
	if (camp.status == CP_CAMPAIGN_ARCHIVED)
		return cp_err_set(e, CP_E_CONFLICT, "campaign '%s' is archived", camp.name);
	memset(&c, 0, sizeof c);
	c.camp = &camp;
	c.method = method;
	c.count = count;
	c.code_expires = code_expires;
	if (method == CP_GEN_KEYED && (st = key_fingerprint(db, &camp, c.fp, &c.capacity, e)) != CP_OK)
		return st;
	if ((st = db_begin(db, e)) != CP_OK)
		return st;
	if ((st = create_tx(db, &c, batch_id, e)) != CP_OK) {
		db_rollback(db);
		/* The campaign's format cannot take this many more: the count is at fault. */
		if (st == CP_E_CAPACITY || st == CP_E_FORMAT_WEAK)
			cp_err_field(e, "count");
		return st;
	}
	return db_commit(db, e);
}

/* ------------------------------------------------------------ running */

#define LOCK_WAIT 30 /* seconds: a killed run's connection may still be closing */

static const char lock_sql[] =
	"SELECT GET_LOCK(CONCAT('coupon.batch.', LEFT(MD5(DATABASE()), 16), '.', ?), ?)";
static const char unlock_sql[] =
	"SELECT RELEASE_LOCK(CONCAT('coupon.batch.', LEFT(MD5(DATABASE()), 16), '.', ?))";

enum cp_status batch_lock(struct cp_db *db, uint64_t id, struct cp_err *e)
{
	MYSQL_BIND p[2], res[1];
	uint32_t wait = LOCK_WAIT;
	int64_t got = 0;
	my_bool null = 0;
	bool found;
	enum cp_status st;

	memset(p, 0, sizeof p);
	memset(res, 0, sizeof res);
	db_bind_u64(&p[0], &id);
	db_bind_u32(&p[1], &wait);
	db_bind_i64(&res[0], &got);
	res[0].is_null = &null;
	if ((st = db_select1(db, lock_sql, p, res, &found, e)) != CP_OK)
		return st;
	if (!found || null || got != 1)
		return cp_err_set(e, CP_E_CONFLICT, "batch %" PRIu64 " is being generated by "
				  "another run", id);
	return CP_OK;
}

void batch_unlock(struct cp_db *db, uint64_t id)
{
	MYSQL_BIND p[1], res[1];
	int64_t v;
	my_bool null;
	bool found;

	memset(p, 0, sizeof p);
	memset(res, 0, sizeof res);
	db_bind_u64(&p[0], &id);
	db_bind_i64(&res[0], &v);
	res[0].is_null = &null;
	db_select1(db, unlock_sql, p, res, &found, NULL);
}


static const char progress_sql[] =
	"SELECT COUNT(*), CAST(COALESCE(SUM(requested - generated), 0) AS UNSIGNED),"
	" COALESCE(TIMESTAMPDIFF(MICROSECOND, MIN(updated_at), NOW(6)), 0)"
	" FROM generation_batches WHERE status = 'running'";

enum cp_status cp_generation_progress(struct cp_db *db, struct cp_generation_progress *p,
				      struct cp_err *e)
{
	MYSQL_BIND r[3];
	uint64_t running = 0;
	int64_t usec = 0;
	bool found;
	enum cp_status st;

	memset(p, 0, sizeof *p);
	memset(r, 0, sizeof r);
	db_bind_u64(&r[0], &running);
	db_bind_u64(&r[1], &p->remaining);
	db_bind_i64(&r[2], &usec);
	if ((st = db_select1(db, progress_sql, NULL, r, &found, e)) != CP_OK)
		return st;
	p->running = (unsigned int)running;
	p->stalest_seconds = usec > 0 ? (double)usec / 1e6 : 0;
	return CP_OK;
}
