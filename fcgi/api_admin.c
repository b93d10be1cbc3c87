/*
 * The admin endpoints: campaigns, batches (generated in the background), the
 * streamed export and the support operations on one code. Rules and audit
 * records are the core's; this file maps JSON onto them.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api_internal.h"
#include "log.h"
#include "xmalloc.h"

#define GEN_MAX 2 /* batch generations running at once */

/* The members are core's campaign fields (cp_campaign_set), which bounds them. */
const struct field f_campaign[] = {
	{"name", FT_STR, P_NAME, FIELD_TEXT_ANY, true},
	{"status", FT_STR, P_STATUS, FIELD_TEXT_ANY, false},
	{"time_zone", FT_STR, P_TIME_ZONE, FIELD_TEXT_ANY, false}, /* before the times */
	{"starts_at", FT_STR, P_STARTS, FIELD_TEXT_ANY, false},
	{"expires_at", FT_STR, P_EXPIRES, FIELD_TEXT_ANY, false},
	{"per_user_limit", FT_UINT, P_LIMIT, FIELD_NUM_ANY, false},
	{"unredeem", FT_STR, P_UNREDEEM, FIELD_TEXT_ANY, false},
	{"alphabet", FT_STR, P_ALPHABET, FIELD_TEXT_ANY, false},
	{"prefix", FT_STR, P_PREFIX, FIELD_TEXT_ANY, false},
	{"body_length", FT_UINT, P_BODY_LEN, FIELD_NUM_ANY, false},
	{"check", FT_BOOL, P_CHECK, 0, false},
	{"group", FT_UINT, P_GROUP, FIELD_NUM_ANY, false},
	{"planned_codes", FT_UINT, P_PLANNED, FIELD_NUM_ANY, false},
	{"events", FT_BOOL, P_EVENTS, 0, false},
	{"transferable", FT_BOOL, P_TRANSFERABLE, 0, false},
	{"valid_for", FT_STR, P_VALID_FOR, FIELD_TEXT_ANY, false},
	{"reward", FT_OBJ, P_REWARD, 0, false},
	{"min_order", FT_OBJ, P_MIN_ORDER, 0, false},
	{"metadata", FT_OBJ, P_METADATA, 0, false},
	{"max_redemptions", FT_UINT, P_MAX_REDEMPTIONS, FIELD_NUM_ANY, false},
	{"format", FT_OBJ, P_FORMAT, 0, false},
	{NULL, FT_STR, 0, 0, false},
};
/* What PATCH may change: the terms cp_campaign_update writes, and the status. */
const struct field f_campaign_patch[] = {
	{"status", FT_STR, P_STATUS, FIELD_TEXT_ANY, false},
	{"time_zone", FT_STR, P_TIME_ZONE, FIELD_TEXT_ANY, false}, /* before the times */
	{"starts_at", FT_STR, P_STARTS, FIELD_TEXT_ANY, false},
	{"expires_at", FT_STR, P_EXPIRES, FIELD_TEXT_ANY, false},
	{"per_user_limit", FT_UINT, P_LIMIT, FIELD_NUM_ANY, false},
	{"unredeem", FT_STR, P_UNREDEEM, FIELD_TEXT_ANY, false},
	{"events", FT_BOOL, P_EVENTS, 0, false},
	{"transferable", FT_BOOL, P_TRANSFERABLE, 0, false},
	{"valid_for", FT_STR, P_VALID_FOR, FIELD_TEXT_ANY, false},
	{"reward", FT_OBJ, P_REWARD, 0, false},
	{"min_order", FT_OBJ, P_MIN_ORDER, 0, false},
	{"metadata", FT_OBJ, P_METADATA, 0, false},
	{"max_redemptions", FT_UINT, P_MAX_REDEMPTIONS, FIELD_NUM_ANY, false},
	{NULL, FT_STR, 0, 0, false},
};
const struct field f_batch[] = {
	{"count", FT_UINT, P_COUNT, 100000000ull, true},
	{"method", FT_STR, P_METHOD, 16, false},
	{"code_expires_at", FT_STR, P_CODE_EXPIRES, FIELD_TEXT_ANY, false},
	{NULL, FT_STR, 0, 0, false},
};
const struct field f_reason[] = {
	{"reason", FT_STR, P_REASON, CP_REASON_MAX, false},
	{NULL, FT_STR, 0, 0, false},
};
static const struct field f_export_query[] = {
	{"status", FT_STR, P_STATUS, 16, false},
	{"batch", FT_UINT, P_BATCH, UINT64_MAX >> 1, false},
	{NULL, FT_STR, 0, 0, false},
};

static pthread_mutex_t gen_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gen_done = PTHREAD_COND_INITIALIZER;
static unsigned int gen_running;
static bool stopping;

void admin_shutdown(void)
{
	pthread_mutex_lock(&gen_lock);
	stopping = true;
	pthread_mutex_unlock(&gen_lock);
}

void admin_wait(void)
{
	pthread_mutex_lock(&gen_lock);
	while (gen_running > 0)
		pthread_cond_wait(&gen_done, &gen_lock);
	pthread_mutex_unlock(&gen_lock);
}

static bool path_id(struct api_ctx *c, unsigned int arg, uint64_t max, uint64_t *id)
{
	if (cp_parse_uint(c->args[arg], 1, max, id, NULL) == CP_OK)
		return true;
	reply_error(c->resp, CP_E_NOT_FOUND, NULL);
	return false;
}

static void campaign_json(struct buf *b, const struct cp_campaign *cp,
			  const struct cp_code_counts *k)
{
	const struct cp_format *f = &cp->format;

	buf_printf(b, "{\"id\":%u,\"name\":", (unsigned int)cp->id);
	buf_json_str(b, cp->name, strlen(cp->name));
	buf_printf(b, ",\"status\":\"%s\",\"time_zone\":", cp_campaign_status_name(cp->status));
	buf_json_str(b, cp->time_zone, strlen(cp->time_zone));
	buf_puts(b, ",\"starts_at\":");
	buf_json_time_in(b, (long long)cp->starts_at, cp->time_zone);
	buf_puts(b, ",\"expires_at\":");
	buf_json_time_in(b, (long long)cp->expires_at, cp->time_zone);
	buf_printf(b, ",\"per_user_limit\":%u,\"unredeem\":\"%s\",\"planned_codes\":%llu,"
		      "\"events\":%s,\"transferable\":%s,\"valid_for\":%u,\"format\":{\"alphabet\":\"%s\","
		      "\"prefix\":\"%s\",\"body_length\":%u,\"check\":%s,\"group\":%u,\"external\":%s,"
		      "\"case_sensitive\":%s,\"ignore_separators\":%s},\"created_at\":",
		   (unsigned int)cp->per_user_limit, cp_unredeem_name(cp->unredeem_restores),
		   (unsigned long long)cp->planned_codes, cp->events ? "true" : "false",
		   cp->transferable ? "true" : "false", (unsigned int)cp->valid_for,
		   f->alphabet, f->prefix, f->body_len, f->check ? "true" : "false", f->group,
		   f->external ? "true" : "false", f->case_sensitive ? "true" : "false",
		   f->ignore_separators ? "true" : "false");
	buf_json_time_in(b, (long long)cp->created_at, cp->time_zone);
	api_reward_members(b, &cp->reward);
	if (cp->max_redemptions != 0)
		buf_printf(b, ",\"max_redemptions\":%u", (unsigned int)cp->max_redemptions);
	else
		buf_puts(b, ",\"max_redemptions\":null");
	if (k != NULL)
		buf_printf(b, ",\"codes\":{\"total\":%llu,\"available\":%llu,\"pending\":%llu,"
			      "\"redeemed\":%llu,\"expired\":%llu,\"assigned\":%llu,"
			      "\"importing\":%llu}",
			   (unsigned long long)k->total, (unsigned long long)k->available,
			   (unsigned long long)k->pending, (unsigned long long)k->redeemed,
			   (unsigned long long)k->expired, (unsigned long long)k->assigned,
			   (unsigned long long)k->importing);
	buf_puts(b, "}");
}

/* Every member given, through core's one reading of it. */
static enum cp_status campaign_fields(const struct api_ctx *c, struct cp_campaign *cp,
				      struct cp_err *e)
{
	enum cp_status st;
	char num[24];

	for (const struct field *f = f_campaign; f->name != NULL; f++) {
		const struct param *p = &c->ps.v[f->slot];

		if (!p->set)
			continue;
		if (f->type == FT_OBJ)
			st = api_campaign_object(c, f, p, cp, e);
		else
			st = cp_campaign_set(cp, f->name, http_param_text(f, p, num, sizeof num), e);
		if (st != CP_OK)
			return st;
	}
	return CP_OK;
}

void h_campaign_create(struct api_ctx *c)
{
	struct cp_campaign cp;
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st;

	cp_campaign_init(&cp);
	cp_err_clear(&e);
	if ((st = campaign_fields(c, &cp, &e)) != CP_OK) {
		api_fail(c, st, &e);
		return;
	}
	if ((db = api_db(c)) == NULL)
		return;
	if ((st = cp_campaign_create(db, &cp, &e)) != CP_OK) {
		api_fail(c, st, &e);
		return;
	}
	reply_json(c->resp, 201);
	http_header(c->resp, "Location: /api/v1/campaigns/%u", (unsigned int)cp.id);
	campaign_json(&c->resp->body, &cp, NULL);
	buf_puts(&c->resp->body, "\n");
}

/*
 * PATCH: the terms through cp_campaign_set and cp_campaign_update, then the
 * status (pause, resume, archive) through cp_campaign_set_status; both wait for
 * the fence as couponadm does, and each writes its audit row.
 */
void h_campaign_patch(struct api_ctx *c)
{
	const struct param *status = &c->ps.v[P_STATUS];
	enum cp_campaign_status to = CP_CAMPAIGN_ACTIVE;
	struct cp_campaign cp;
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st = CP_OK;
	bool terms = false;
	char num[24];
	uint64_t id;

	cp_err_clear(&e);
	if (!path_id(c, 0, UINT32_MAX, &id))
		return;
	for (const struct field *f = f_campaign_patch + 1; f->name != NULL; f++)
		terms |= c->ps.v[f->slot].set;
	if (!terms && !status->set)
		st = cp_err_set(&e, CP_E_INVALID_ARGUMENT, "nothing to change");
	else if (status->set && !cp_campaign_status_parse(status->s, &to))
		st = cp_err_set_field(&e, CP_E_INVALID_ARGUMENT, "status",
				      "status: active, paused or archived, not '%s'", status->s);
	if (st != CP_OK || (db = api_db(c)) == NULL) {
		if (st != CP_OK)
			api_fail(c, st, &e);
		return;
	}
	if ((st = cp_campaign_get(db, (uint32_t)id, &cp, &e)) != CP_OK) {
		api_fail(c, st, &e);
		return;
	}
	for (const struct field *f = f_campaign_patch + 1; st == CP_OK && f->name != NULL; f++) {
		const struct param *p = &c->ps.v[f->slot];

		if (p->set && f->type == FT_OBJ)
			st = api_campaign_object(c, f, p, &cp, &e);
		else if (p->set)
			st = cp_campaign_set(&cp, f->name, http_param_text(f, p, num, sizeof num), &e);
	}
	if (st == CP_OK && terms)
		st = cp_campaign_update(db, &cp, &e);
	if (st == CP_OK && status->set)
		st = cp_campaign_set_status(db, cp.id, to, &e);
	if (st == CP_OK)
		st = cp_campaign_get(db, cp.id, &cp, &e);
	if (st != CP_OK) {
		api_fail(c, st, &e);
		return;
	}
	reply_json(c->resp, 200);
	campaign_json(&c->resp->body, &cp, NULL);
	buf_puts(&c->resp->body, "\n");
}

struct list_ctx {
	struct buf *b;
	unsigned int n;
};

static bool list_one(const struct cp_campaign *cp, void *arg)
{
	struct list_ctx *l = arg;

	if (l->n++ > 0)
		buf_puts(l->b, ",");
	campaign_json(l->b, cp, NULL);
	return true;
}

void h_campaign_list(struct api_ctx *c)
{
	struct list_ctx l = {&c->resp->body, 0};
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st;

	if ((db = api_db(c)) == NULL)
		return;
	cp_err_clear(&e);
	reply_json(c->resp, 200);
	buf_puts(l.b, "{\"campaigns\":[");
	if ((st = cp_campaign_list(db, list_one, &l, &e)) != CP_OK) {
		api_fail(c, st, &e);
		return;
	}
	buf_puts(l.b, "]}\n");
}

void h_campaign_get(struct api_ctx *c)
{
	struct cp_campaign cp;
	struct cp_code_counts k;
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st;
	uint64_t id;

	if (!path_id(c, 0, UINT32_MAX, &id) || (db = api_db(c)) == NULL)
		return;
	cp_err_clear(&e);
	if ((st = cp_campaign_get(db, (uint32_t)id, &cp, &e)) != CP_OK ||
	    (st = cp_code_counts(db, cp.id, 0, &k, &e)) != CP_OK) {
		api_fail(c, st, &e);
		return;
	}
	reply_json(c->resp, 200);
	campaign_json(&c->resp->body, &cp, &k);
	buf_puts(&c->resp->body, "\n");
}

/* An import batch's own state, inside its batch object. */
static void import_json(struct buf *b, const struct cp_import_result *r)
{
	buf_printf(b, ",\"import\":{\"on_duplicate\":\"%s\",\"lines\":%llu,\"bytes\":%llu,"
		      "\"size\":%llu,\"duplicates\":%llu,\"duplicate_lines\":[",
		   r->on_duplicate == CP_IMPORT_DUP_SKIP ? "skip" : "fail",
		   (unsigned long long)r->nlines, (unsigned long long)r->bytes,
		   (unsigned long long)r->size, (unsigned long long)r->duplicates);
	for (unsigned int i = 0; i < r->ndup_lines; i++)
		buf_printf(b, "%s%llu", i ? "," : "", (unsigned long long)r->dup_lines[i]);
	buf_puts(b, "],\"sha256\":");
	if (r->sha256[0] != '\0')
		buf_printf(b, "\"%s\"", r->sha256);
	else
		buf_puts(b, "null");
	buf_puts(b, "}");
}

/* Times on the clock of ZONE, its campaign's; the caller closes the object. */
static void batch_json(struct buf *b, const struct cp_batch *bt, const char *zone)
{
	buf_printf(b, "{\"id\":%llu,\"campaign_id\":%u,\"method\":\"%s\",\"requested\":%llu,"
		      "\"generated\":%llu,\"status\":\"%s\",\"started_at\":",
		   (unsigned long long)bt->id, (unsigned int)bt->campaign_id,
		   cp_gen_method_name(bt->method), (unsigned long long)bt->requested,
		   (unsigned long long)bt->generated, cp_batch_status_name(bt->status));
	buf_json_time_in(b, (long long)bt->started_at, zone);
	buf_puts(b, ",\"finished_at\":");
	buf_json_time_in(b, (long long)bt->finished_at, zone);
	buf_puts(b, ",\"code_expires_at\":");
	buf_json_time_in(b, (long long)bt->code_expires_at, zone);
	buf_puts(b, ",\"error\":");
	if (bt->error[0] != '\0')
		buf_json_str(b, bt->error, strlen(bt->error));
	else
		buf_puts(b, "null");
}

struct gen_job {
	const struct cp_config *cfg;
	uint64_t batch_id;
};

static bool gen_progress(const struct cp_gen_progress *p, void *arg)
{
	bool stop;

	(void)p;
	(void)arg;
	pthread_mutex_lock(&gen_lock);
	stop = stopping;
	pthread_mutex_unlock(&gen_lock);
	return !stop; /* at shutdown the batch stops between chunks, resumable */
}

static void *gen_thread(void *arg)
{
	struct gen_job *job = arg;
	struct cp_gen_opts opts = {0};
	struct cp_batch out;
	struct cp_db *db = NULL;
	struct cp_err e;
	enum cp_status st;

	cp_err_clear(&e);
	opts.progress = gen_progress;
	st = cp_db_open(&db, job->cfg, "coupon-fcgi-generate", &e);
	if (st == CP_OK)
		st = cp_batch_run(db, job->batch_id, &opts, &out, &e);
	if (st != CP_OK)
		log_error("batch %llu: %s", (unsigned long long)job->batch_id, e.msg);
	else
		log_info("batch %llu: %llu codes generated", (unsigned long long)job->batch_id,
			 (unsigned long long)out.generated);
	cp_db_close(db);
	free(job);
	pthread_mutex_lock(&gen_lock);
	gen_running--;
	pthread_cond_broadcast(&gen_done);
	pthread_mutex_unlock(&gen_lock);
	return NULL;
}

/* Takes a generation slot; false if GEN_MAX run already or we are stopping. */
static bool gen_reserve(void)
{
	bool ok;

	pthread_mutex_lock(&gen_lock);
	ok = !stopping && gen_running < GEN_MAX;
	if (ok)
		gen_running++;
	pthread_mutex_unlock(&gen_lock);
	return ok;
}

static void gen_release(void)
{
	pthread_mutex_lock(&gen_lock);
	gen_running--;
	pthread_cond_broadcast(&gen_done);
	pthread_mutex_unlock(&gen_lock);
}

static bool gen_start(const struct cp_config *cfg, uint64_t batch_id)
{
	struct gen_job *job = xcalloc(1, sizeof *job);
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	job->cfg = cfg;
	job->batch_id = batch_id;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, gen_thread, job);
	pthread_attr_destroy(&attr);
	if (rc != 0)
		free(job);
	return rc == 0;
}

void h_batch_create(struct api_ctx *c)
{
	enum cp_gen_method method = CP_GEN_RANDOM;
	struct cp_campaign cp;
	struct cp_batch bt;
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st;
	uint64_t cid, bid;
	time_t expires = 0;

	if (!path_id(c, 0, UINT32_MAX, &cid))
		return;
	cp_err_clear(&e);
	if (c->ps.v[P_METHOD].set && (st = cp_parse_method(c->ps.v[P_METHOD].s, &method, &e)) != CP_OK) {
		api_fail(c, st, &e);
		return;
	}
	if ((db = api_db(c)) == NULL)
		return;
	/* The codes' expiry is read in the campaign's zone: a date is valid all that day. */
	if ((st = cp_campaign_get(db, (uint32_t)cid, &cp, &e)) != CP_OK ||
	    (c->ps.v[P_CODE_EXPIRES].set &&
	     (st = cp_parse_time_in("code_expires_at", c->ps.v[P_CODE_EXPIRES].s, cp.time_zone,
				    CP_TIME_END, &expires, &e)) != CP_OK)) {
		api_fail(c, st, &e);
		return;
	}
	if (!gen_reserve()) {
		reply_error(c->resp, CP_E_BUSY, "generation is already running; retry later");
		http_header(c->resp, "Retry-After: 10");
		return;
	}
	cp_err_clear(&e);
	if ((st = cp_batch_create_expiring(db, (uint32_t)cid, method, c->ps.v[P_COUNT].u, expires,
					   &bid, &e)) != CP_OK ||
	    (st = cp_batch_get(db, bid, &bt, &e)) != CP_OK) {
		gen_release();
		api_fail(c, st, &e);
		return;
	}
	if (!gen_start(c->w->cfg, bid)) {
		gen_release();
		reply_error(c->resp, CP_E_INTERNAL, "cannot start the generation thread");
		return;
	}
	reply_json(c->resp, 202);
	http_header(c->resp, "Location: /api/v1/batches/%llu", (unsigned long long)bid);
	batch_json(&c->resp->body, &bt, cp.time_zone);
	buf_puts(&c->resp->body, "}\n");
}

void h_batch_get(struct api_ctx *c)
{
	struct cp_campaign cp;
	struct cp_import_result imp;
	struct cp_batch bt;
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st;
	uint64_t id;

	if (!path_id(c, 0, UINT64_MAX >> 1, &id) || (db = api_db(c)) == NULL)
		return;
	cp_err_clear(&e);
	if ((st = cp_batch_get(db, id, &bt, &e)) != CP_OK ||
	    (st = cp_campaign_get(db, bt.campaign_id, &cp, &e)) != CP_OK) {
		api_fail(c, st, &e);
		return;
	}
	if (bt.method == CP_GEN_IMPORT && (st = cp_import_get(db, id, &imp, &e)) != CP_OK) {
		api_fail(c, st, &e);
		return;
	}
	reply_json(c->resp, 200);
	batch_json(&c->resp->body, &bt, cp.time_zone);
	if (bt.method == CP_GEN_IMPORT)
		import_json(&c->resp->body, &imp);
	buf_puts(&c->resp->body, "}\n");
}

static const struct field f_import_query[] = {
	{"on_duplicate", FT_STR, P_METHOD, 8, false},
	{NULL, FT_STR, 0, 0, false},
};

struct body_src {
	api_read_fn rd;
	void *src;
	size_t left;
};

/* Exactly Content-Length bytes of the request body, as they arrive. */
static long read_csv(void *arg, char *buf, size_t n, struct cp_err *e)
{
	struct body_src *s = arg;
	size_t got;

	if (s->left == 0)
		return 0;
	got = s->rd(s->src, buf, n < s->left ? n : s->left);
	if (got == 0) {
		cp_err_set(e, CP_E_INVALID_ARGUMENT, "the body is shorter than its Content-Length");
		return -1;
	}
	s->left -= got;
	return (long)got;
}

static bool import_query(struct api_ctx *c, struct cp_import_opts *o)
{
	struct params q;
	struct cp_err e;
	enum cp_status st;
	const char *v;
	bool ok;

	memset(&q, 0, sizeof q);
	cp_err_clear(&e);
	if ((st = http_parse_form(c->req->query, strlen(c->req->query), f_import_query, &q,
				  &e)) != CP_OK) {
		reply_error(c->resp, st, e.msg);
		params_free(&q);
		return false;
	}
	v = q.v[P_METHOD].set ? q.v[P_METHOD].s : "fail";
	o->on_duplicate = strcmp(v, "skip") == 0 ? CP_IMPORT_DUP_SKIP : CP_IMPORT_DUP_FAIL;
	ok = strcmp(v, "skip") == 0 || strcmp(v, "fail") == 0;
	params_free(&q);
	if (!ok)
		reply_error_field(c->resp, CP_E_INVALID_ARGUMENT, "on_duplicate",
				  "on_duplicate is skip or fail");
	return ok;
}

/*
 * The body streams into the core as it arrives; nothing of it is kept. The
 * batch exists (and GET /api/v1/batches/ID shows its progress) from the first
 * byte; the reply comes when the body has been read.
 */
void h_import(struct api_ctx *c)
{
	struct body_src src = {c->rd, c->src, c->body_want};
	struct cp_import_opts o = {.size = c->body_want};
	struct cp_import_result res;
	struct cp_campaign cp;
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st;
	uint64_t cid, bid = 0;

	if (!path_id(c, 0, UINT32_MAX, &cid) || !import_query(c, &o) || (db = api_db(c)) == NULL)
		return;
	cp_err_clear(&e);
	memset(&res, 0, sizeof res);
	if ((st = cp_import_create(db, (uint32_t)cid, &o, &bid, &e)) == CP_OK)
		st = cp_import_run(db, bid, read_csv, &src, &o, &res, &e);
	/* The client stopped sending: its fault, and the batch stays resumable. */
	if (st == CP_E_IO && src.left > 0)
		st = cp_err_set(&e, CP_E_INVALID_ARGUMENT, "the body is shorter than its "
				"Content-Length");
	if (st != CP_OK && res.batch.id != 0)
		cp_err_prefix(&e, "import batch %llu", (unsigned long long)res.batch.id);
	if (st != CP_OK) {
		api_fail(c, st, &e);
		return;
	}
	reply_json(c->resp, 202);
	http_header(c->resp, "Location: /api/v1/batches/%llu", (unsigned long long)bid);
	batch_json(&c->resp->body, &res.batch,
		   cp_campaign_get(db, (uint32_t)cid, &cp, &e) == CP_OK ? cp.time_zone : "UTC");
	import_json(&c->resp->body, &res);
	buf_puts(&c->resp->body, "}\n");
}

/* The export file, streamed after the headers, then removed. */
struct export_file {
	int fd;
	char dir[64];
	char path[128];
};

static void export_cleanup(struct export_file *x)
{
	char sum[sizeof x->path + 8];

	if (x->fd >= 0)
		close(x->fd);
	snprintf(sum, sizeof sum, "%s.sha256", x->path);
	unlink(x->path);
	unlink(sum);
	rmdir(x->dir);
	free(x);
}

static enum cp_status export_stream(void *ctx, http_write_fn write_fn, void *sink)
{
	struct export_file *x = ctx;
	enum cp_status st = CP_OK;
	char chunk[65536];
	ssize_t n;

	while (write_fn != NULL && (n = read(x->fd, chunk, sizeof chunk)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || !write_fn(sink, chunk, (size_t)n)) {
			st = CP_E_IO;
			break;
		}
	}
	export_cleanup(x);
	return st;
}

/*
 * cp_export() writes a file and records what left the system; it is streamed from
 * a private temporary directory, so memory stays constant for any campaign size.
 */
void h_export(struct api_ctx *c)
{
	struct cp_export_opts o = {0};
	struct cp_export_result res;
	struct export_file *x;
	struct params q;
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st;
	struct stat sb;
	uint64_t cid;
	const char *tmp = getenv("TMPDIR");

	cp_err_clear(&e);
	if (!path_id(c, 0, UINT32_MAX, &cid))
		return;
	if ((st = http_parse_form(c->req->query, strlen(c->req->query), f_export_query, &q, &e)) != CP_OK) {
		reply_error(c->resp, st, e.msg);
		params_free(&q);
		return;
	}
	if ((db = api_db(c)) == NULL) {
		params_free(&q);
		return;
	}
	x = xcalloc(1, sizeof *x);
	x->fd = -1;
	snprintf(x->dir, sizeof x->dir, "%s/coupon-export.XXXXXX",
		 tmp != NULL && strlen(tmp) < 32 ? tmp : "/tmp");
	if (mkdtemp(x->dir) == NULL) {
		free(x);
		params_free(&q);
		reply_error(c->resp, CP_E_IO, "cannot create a temporary directory");
		return;
	}
	snprintf(x->path, sizeof x->path, "%s/campaign-%llu.csv", x->dir, (unsigned long long)cid);
	o.campaign_id = (uint32_t)cid;
	o.batch_id = q.v[P_BATCH].set ? q.v[P_BATCH].u : 0;
	o.status = q.v[P_STATUS].set ? q.v[P_STATUS].s : NULL;
	o.path = x->path;
	o.actor = api_actor(c, db);
	st = cp_export(db, &o, &res, &e);
	params_free(&q);
	if (st == CP_OK && ((x->fd = open(x->path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(x->fd, &sb) != 0))
		st = cp_err_set(&e, CP_E_IO, "cannot read the export file: %s", strerror(errno));
	if (st != CP_OK) {
		export_cleanup(x);
		api_fail(c, st, &e);
		return;
	}
	reply_json(c->resp, 200);
	c->resp->content_type = "text/csv; charset=utf-8";
	http_header(c->resp, "Content-Length: %lld", (long long)sb.st_size);
	http_header(c->resp, "Content-Disposition: attachment; filename=\"campaign-%llu.csv\"",
		    (unsigned long long)cid);
	http_header(c->resp, "X-Export-Id: %llu", (unsigned long long)res.id);
	http_header(c->resp, "X-Codes-Count: %llu", (unsigned long long)res.count);
	http_header(c->resp, "X-Content-SHA256: %s", res.sha256);
	http_header(c->resp, "Cache-Control: no-store");
	c->resp->stream = export_stream;
	c->resp->stream_ctx = x;
}

static void code_json(struct buf *b, const struct cp_code_info *ci)
{
	/* Codes made elsewhere may hold quotes and backslashes: the JSON writer, always. */
	buf_puts(b, "{");
	buf_json_kv(b, "code", ci->code, 1);
	buf_json_kv(b, "display", ci->display, 0);
	buf_printf(b, ",\"status\":\"%s\",\"redeemable\":\"%s\",\"campaign\":{\"id\":%u,\"name\":",
		   cp_code_status_name(ci->status),
		   cp_status_code(ci->redeemable), (unsigned int)ci->campaign_id);
	buf_json_str(b, ci->campaign_name, strlen(ci->campaign_name));
	buf_printf(b, "},\"batch_id\":%llu", (unsigned long long)ci->batch_id);
	buf_json_kv(b, "user_id", ci->user_id[0] ? ci->user_id : NULL, 0);
	buf_json_kv(b, "order_id", ci->order_id[0] ? ci->order_id : NULL, 0);
	buf_json_kv(b, "expired_reason", ci->expired_reason[0] ? ci->expired_reason : NULL, 0);
	buf_puts(b, ",\"redeemed_at\":");
	buf_json_time_in(b, (long long)ci->redeemed_at, ci->time_zone);
	buf_puts(b, ",\"reserved_until\":");
	buf_json_time_in(b, (long long)ci->reserved_until, ci->time_zone);
	buf_puts(b, ",\"expires_at\":");
	buf_json_time_in(b, (long long)ci->expires_at, ci->time_zone);
	buf_puts(b, ",\"created_at\":");
	buf_json_time_in(b, (long long)ci->created_at, ci->time_zone);
	buf_json_kv(b, "assigned_to", ci->assigned_to[0] ? ci->assigned_to : NULL, 0);
	buf_puts(b, ",\"assigned_at\":");
	buf_json_time_in(b, (long long)ci->assigned_at, ci->time_zone);
	buf_puts(b, ",\"assigned_until\":");
	buf_json_time_in(b, (long long)ci->assigned_until, ci->time_zone);
	api_reward_members(b, &ci->reward);
	buf_puts(b, "}\n");
}

void h_code_get(struct api_ctx *c)
{
	struct cp_code_info ci;
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st;

	if ((db = api_db(c)) == NULL)
		return;
	cp_err_clear(&e);
	if ((st = cp_code_show(db, c->args[0], strlen(c->args[0]), &ci, &e)) != CP_OK) {
		api_fail(c, st, &e);
		return;
	}
	reply_json(c->resp, 200);
	code_json(&c->resp->body, &ci);
}

typedef enum cp_status (*code_op_fn)(struct cp_db *, const char *, size_t, const char *,
				     const char *, struct cp_code_info *, struct cp_err *);

static void code_op(struct api_ctx *c, code_op_fn fn)
{
	struct cp_code_info ci;
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st;

	if ((db = api_db(c)) == NULL)
		return;
	cp_err_clear(&e);
	st = fn(db, c->args[0], strlen(c->args[0]), api_actor(c, db),
		c->ps.v[P_REASON].set ? c->ps.v[P_REASON].s : NULL, &ci, &e);
	if (st != CP_OK) {
		api_fail(c, st, &e);
		return;
	}
	reply_json(c->resp, 200);
	code_json(&c->resp->body, &ci);
}

void h_code_expire(struct api_ctx *c)
{
	code_op(c, cp_code_expire);
}

void h_code_unredeem(struct api_ctx *c)
{
	code_op(c, cp_code_unredeem);
}

void h_code_unassign(struct api_ctx *c)
{
	code_op(c, cp_code_unassign);
}

/*
 * POST /api/v1/campaigns/ID/expire and /api/v1/batches/ID/expire: every still
 * available code, through cp_expire_codes as couponadm expire does; optional
 * {"reason":"..."}. Answers {"expired":N}.
 */
static void expire_codes(struct api_ctx *c, bool batch)
{
	const char *reason = c->ps.v[P_REASON].set ? c->ps.v[P_REASON].s : NULL;
	struct cp_batch bt;
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st = CP_OK;
	uint64_t id, n = 0;
	uint32_t campaign;

	if (!path_id(c, 0, batch ? UINT64_MAX >> 1 : UINT32_MAX, &id) || (db = api_db(c)) == NULL)
		return;
	cp_err_clear(&e);
	campaign = (uint32_t)id;
	if (batch && (st = cp_batch_get(db, id, &bt, &e)) == CP_OK)
		campaign = bt.campaign_id;
	if (st == CP_OK)
		st = cp_expire_codes(db, campaign, batch ? id : 0, api_actor(c, db), reason, &n,
				     &e);
	if (st != CP_OK) {
		api_fail(c, st, &e);
		return;
	}
	reply_json(c->resp, 200);
	buf_printf(&c->resp->body, "{\"expired\":%llu}\n", (unsigned long long)n);
}

void h_campaign_expire(struct api_ctx *c)
{
	expire_codes(c, false);
}

void h_batch_expire(struct api_ctx *c)
{
	expire_codes(c, true);
}
