/*
 * Dashboard statistics, read-only, cheap enough to run once a second against
 * campaigns of tens of millions of codes.
 *
 * InnoDB counts rows by walking them, so counting a 10M-code campaign's statuses
 * every second would read ~10M index entries a second. Instead:
 *  - available = SUM(generated) of the batches (a few rows) minus the others and
 *    minus importing, the codes of imports not complete (core/batch.h), which
 *    nothing can use yet;
 *  - pending is counted by index range (campaign_id, 'pending'): it stays small;
 *  - redeemed and "last hour" are kept incrementally: a full count (by index range
 *    on ix_codes_campaign_status) up to a mark LAG seconds in the past, then each
 *    refresh adds the seconds that crossed the mark, read from the same per-second
 *    histogram of the recent window that draws the sparkline and gives "last
 *    minute", and drops the second that left the hour (a one-second range);
 *  - assigned (handed out, core/assign.c) is counted with the recounts below, so it
 *    lags hand-outs by up to RECOUNT_EVERY seconds: a mail merge hands out
 *    millions, and an index range that size a second is what this file avoids;
 *  - expired changes only through admin changes, which write code_events: new
 *    code_events rows recount the campaigns they name; a changed campaign set, a
 *    gap longer than the window, or RECOUNT_EVERY seconds recount everything,
 *    which also heals any drift (a redemption committed more than LAG seconds
 *    after its NOW()).
 * A recount reads every redeemed and expired index entry of a campaign (~1 s for
 * 1M redeemed codes), so the console refreshes in its own thread.
 * The steady-state refresh is 2 + 3 x (campaigns not archived) index-range
 * queries, each reading only the last minute's redemptions or fewer rows.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "db.h"
#include "xmalloc.h"

#define LAG 5            /* seconds: commits later than this are left to the recount */
#define RECOUNT_EVERY 600
#define HOUR 3600
#define WINDOW_MIN 60

struct track {
	bool stale;             /* an admin change touched it: recount */
	uint64_t redeemed_base; /* redeemed_at < mark */
	uint64_t hour_base;     /* redeemed_at in [mark - HOUR, mark) */
	uint64_t expired;
	uint64_t assigned;
};

struct cp_stats_watch {
	unsigned int spark_seconds;
	int64_t mark; /* whole seconds, server clock; 0 = recount on the next refresh */
	int64_t last_recount;
	uint64_t events_max;
	struct cp_stats st;
	size_t cap;
	struct track *tr;
	uint32_t *hist; /* scratch: one campaign's window, per second */
	unsigned int window;
};

static const char now_sql[] =
	"SELECT UNIX_TIMESTAMP(), (SELECT COALESCE(MAX(id), 0) FROM code_events)";
static const char touched_sql[] =
	"SELECT DISTINCT campaign_id FROM code_events WHERE id > ?";
static const char campaigns_sql[] =
	"SELECT c.id, c.name, c.status, COALESCE(UNIX_TIMESTAMP(c.starts_at), 0),"
	" COALESCE(UNIX_TIMESTAMP(c.expires_at), 0),"
	" COALESCE(SUM(b.requested), 0), COALESCE(SUM(b.generated), 0),"
	" COALESCE(SUM(b.status = 'running'), 0),"
	" CAST(COALESCE(SUM(IF(" BATCH_HIDDEN_SQL("b") ", b.generated, 0)), 0) AS UNSIGNED)"
	" FROM campaigns c LEFT JOIN generation_batches b ON b.campaign_id = c.id"
	" GROUP BY c.id ORDER BY c.id";
/* Each of these is a range on ix_codes_campaign_status (campaign_id, status, redeemed_at). */
static const char hist_sql[] =
	"SELECT FLOOR(UNIX_TIMESTAMP(redeemed_at)), COUNT(*) FROM coupon_codes"
	" WHERE campaign_id = ? AND status = 'redeemed' AND redeemed_at >= FROM_UNIXTIME(?)"
	" GROUP BY 1";
static const char range_sql[] =
	"SELECT COUNT(*) FROM coupon_codes WHERE campaign_id = ? AND status = 'redeemed'"
	" AND redeemed_at >= FROM_UNIXTIME(?) AND redeemed_at < FROM_UNIXTIME(?)";
static const char status_sql[] =
	"SELECT COUNT(*) FROM coupon_codes WHERE campaign_id = ? AND status = ?";

/* Runs SQL and calls FN after each fetched row (bound to RES); FN must not query. */
static enum cp_status each_row(struct cp_db *db, const char *sql, MYSQL_BIND *params,
			       MYSQL_BIND *res, void (*fn)(void *), void *arg, struct cp_err *e)
{
	enum cp_status st = cp_db_ensure(db, e);
	MYSQL_STMT *stmt;
	int rc;

	if (st != CP_OK || (stmt = db_prepare(db, sql, e, &st)) == NULL)
		return st;
	if ((params != NULL && mysql_stmt_bind_param(stmt, params) != 0) ||
	    mysql_stmt_execute(stmt) != 0 || mysql_stmt_bind_result(stmt, res) != 0)
		return db_stmt_fail(db, stmt, e, "stats");
	while ((rc = mysql_stmt_fetch(stmt)) == 0 || rc == MYSQL_DATA_TRUNCATED)
		fn(arg);
	st = rc == 1 ? db_stmt_fail(db, stmt, e, "stats") : CP_OK;
	mysql_stmt_free_result(stmt);
	return st;
}

static enum cp_status count1(struct cp_db *db, const char *sql, MYSQL_BIND *p, uint64_t *n,
			     struct cp_err *e)
{
	MYSQL_BIND r[1];
	bool found;
	enum cp_status st;

	memset(r, 0, sizeof r);
	db_bind_u64(&r[0], n);
	*n = 0;
	st = db_select1(db, sql, p, r, &found, e);
	return st;
}

static enum cp_status count_range(struct cp_db *db, uint32_t id, int64_t from, int64_t to,
				  uint64_t *n, struct cp_err *e)
{
	MYSQL_BIND p[3];

	if (to <= from) {
		*n = 0;
		return CP_OK;
	}
	memset(p, 0, sizeof p);
	db_bind_u32(&p[0], &id);
	db_bind_i64(&p[1], &from);
	db_bind_i64(&p[2], &to);
	return count1(db, range_sql, p, n, e);
}

static enum cp_status count_status(struct cp_db *db, uint32_t id, const char *status,
				   uint64_t *n, struct cp_err *e)
{
	MYSQL_BIND p[2];
	unsigned long len;

	memset(p, 0, sizeof p);
	db_bind_u32(&p[0], &id);
	db_bind_str(&p[1], status, &len);
	return count1(db, status_sql, p, n, e);
}

/* ------------------------------------------------------------ campaign list */

struct campaign_row {
	struct cp_stats_watch *w;
	uint32_t id;
	char name[CP_NAME_MAX * 4 + 1], status[16];
	unsigned long name_len, status_len;
	int64_t starts, expires;
	uint64_t requested, generated, running, importing;
	size_t n;
	bool changed; /* the set of campaigns differs from the last refresh */
};

static enum cp_campaign_status campaign_status(const char *s)
{
	enum cp_campaign_status st;

	return cp_campaign_status_parse(s, &st) ? st : CP_CAMPAIGN_ACTIVE;
}

static void campaign_fetched(void *arg)
{
	struct campaign_row *r = arg;
	struct cp_stats_watch *w = r->w;
	struct cp_campaign_stats *c;

	if (r->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 16;
		w->st.campaigns = xreallocarray(w->st.campaigns, w->cap, sizeof *w->st.campaigns);
		w->tr = xreallocarray(w->tr, w->cap, sizeof *w->tr);
	}
	c = &w->st.campaigns[r->n];
	if (r->n >= w->st.ncampaigns || c->id != r->id) {
		r->changed = true;
		memset(c, 0, sizeof *c);
		memset(&w->tr[r->n], 0, sizeof w->tr[r->n]);
	}
	c->id = r->id;
	r->name[r->name_len < sizeof r->name ? r->name_len : sizeof r->name - 1] = '\0';
	memcpy(c->name, r->name, sizeof c->name);
	r->status[r->status_len < sizeof r->status ? r->status_len : sizeof r->status - 1] = '\0';
	c->status = campaign_status(r->status);
	c->starts_at = (time_t)r->starts;
	c->expires_at = (time_t)r->expires;
	c->requested = r->requested;
	c->generated = r->generated;
	c->batches_running = (uint32_t)r->running;
	c->importing = r->importing;
	r->n++;
}

static enum cp_status load_campaigns(struct cp_db *db, struct cp_stats_watch *w, bool *changed,
				     struct cp_err *e)
{
	struct campaign_row r;
	MYSQL_BIND res[9];
	enum cp_status st;

	memset(&r, 0, sizeof r);
	r.w = w;
	memset(res, 0, sizeof res);
	db_bind_u32(&res[0], &r.id);
	db_bind_buf(&res[1], r.name, sizeof r.name, &r.name_len, NULL);
	db_bind_buf(&res[2], r.status, sizeof r.status, &r.status_len, NULL);
	db_bind_i64(&res[3], &r.starts);
	db_bind_i64(&res[4], &r.expires);
	db_bind_u64(&res[5], &r.requested);
	db_bind_u64(&res[6], &r.generated);
	db_bind_u64(&res[7], &r.running);
	db_bind_u64(&res[8], &r.importing);
	st = each_row(db, campaigns_sql, NULL, res, campaign_fetched, &r, e);
	if (st != CP_OK)
		return st;
	*changed = r.changed || r.n != w->st.ncampaigns;
	w->st.ncampaigns = r.n;
	return CP_OK;
}

/* ---------------------------------------------------------------- histogram */

struct hist_row {
	struct cp_stats_watch *w;
	int64_t from, sec;
	uint64_t n;
};

static void hist_fetched(void *arg)
{
	struct hist_row *r = arg;

	if (r->sec >= r->from && r->sec < r->from + (int64_t)r->w->window)
		r->w->hist[r->sec - r->from] += (uint32_t)r->n;
}

/* Fills w->hist with campaign ID's redemptions per second of [FROM, FROM + window). */
static enum cp_status load_hist(struct cp_db *db, struct cp_stats_watch *w, uint32_t id,
				int64_t from, struct cp_err *e)
{
	struct hist_row r = {.w = w, .from = from};
	MYSQL_BIND p[2], res[2];

	memset(w->hist, 0, w->window * sizeof *w->hist);
	memset(p, 0, sizeof p);
	memset(res, 0, sizeof res);
	db_bind_u32(&p[0], &id);
	db_bind_i64(&p[1], &from);
	db_bind_i64(&res[0], &r.sec);
	db_bind_u64(&res[1], &r.n);
	return each_row(db, hist_sql, p, res, hist_fetched, &r, e);
}

static uint64_t hist_sum(const struct cp_stats_watch *w, int64_t from, int64_t a, int64_t b)
{
	uint64_t n = 0;

	for (int64_t s = a < from ? from : a; s < b && s < from + (int64_t)w->window; s++)
		n += w->hist[s - from];
	return n;
}

/* -------------------------------------------------------------- admin changes */

struct touched_row {
	struct cp_stats_watch *w;
	uint32_t id;
};

static void touched_fetched(void *arg)
{
	struct touched_row *r = arg;

	for (size_t i = 0; i < r->w->st.ncampaigns; i++)
		if (r->w->st.campaigns[i].id == r->id)
			r->w->tr[i].stale = true;
}

/* Marks the campaigns that code_events rows after the last seen one name. */
static enum cp_status mark_touched(struct cp_db *db, struct cp_stats_watch *w, struct cp_err *e)
{
	struct touched_row r = {.w = w};
	MYSQL_BIND p[1], res[1];

	memset(p, 0, sizeof p);
	memset(res, 0, sizeof res);
	db_bind_u64(&p[0], &w->events_max);
	db_bind_u32(&res[0], &r.id);
	w->st.queries++;
	return each_row(db, touched_sql, p, res, touched_fetched, &r, e);
}

/* ------------------------------------------------------------------ refresh */

static enum cp_status recount(struct cp_db *db, struct cp_stats_watch *w, size_t i,
			      int64_t mark, struct cp_err *e)
{
	struct cp_campaign_stats *c = &w->st.campaigns[i];
	struct track *t = &w->tr[i];
	enum cp_status st;

	if ((st = count_range(db, c->id, 0, mark, &t->redeemed_base, e)) != CP_OK ||
	    (st = count_range(db, c->id, mark - HOUR, mark, &t->hour_base, e)) != CP_OK ||
	    (st = count_status(db, c->id, "expired", &t->expired, e)) != CP_OK ||
	    (st = count_status(db, c->id, "assigned", &t->assigned, e)) != CP_OK)
		return st;
	w->st.queries += 4;
	return CP_OK;
}

/* The steady-state queries of one campaign; moves its counters to NEW_MARK. */
static enum cp_status update(struct cp_db *db, struct cp_stats_watch *w, size_t i,
			     int64_t now, int64_t mark, int64_t new_mark, struct cp_err *e)
{
	struct cp_campaign_stats *c = &w->st.campaigns[i];
	struct track *t = &w->tr[i];
	int64_t from = now - (int64_t)w->window + 1;
	uint64_t crossed, left = 0, tail;
	enum cp_status st;

	if ((st = load_hist(db, w, c->id, from, e)) != CP_OK ||
	    (st = count_status(db, c->id, "pending", &c->pending, e)) != CP_OK ||
	    (st = count_range(db, c->id, mark - HOUR, new_mark - HOUR, &left, e)) != CP_OK)
		return st;
	w->st.queries += 3;
	crossed = hist_sum(w, from, mark, new_mark);
	t->redeemed_base += crossed;
	t->hour_base = t->hour_base + crossed >= left ? t->hour_base + crossed - left : 0;
	tail = hist_sum(w, from, new_mark, now + 1);
	c->redeemed = t->redeemed_base + tail;
	c->last_hour = t->hour_base + tail;
	c->last_minute = hist_sum(w, from, now - 59, now + 1);
	c->expired = t->expired;
	c->assigned = t->assigned;
	for (unsigned int s = 0; s < w->st.nspark; s++) {
		c->spark[s] = w->hist[w->window - w->st.nspark + s];
		w->st.spark[s] += c->spark[s];
	}
	return CP_OK;
}

static void finish(struct cp_stats *s)
{
	s->last_minute = s->last_hour = 0;
	for (size_t i = 0; i < s->ncampaigns; i++) {
		struct cp_campaign_stats *c = &s->campaigns[i];
		uint64_t used = c->pending + c->redeemed + c->expired + c->assigned + c->importing;

		c->available = c->generated > used ? c->generated - used : 0;
		s->last_minute += c->last_minute;
		s->last_hour += c->last_hour;
	}
}

static enum cp_status read_now(struct cp_db *db, int64_t *now, uint64_t *events,
			       struct cp_err *e)
{
	MYSQL_BIND r[2];
	bool found;

	memset(r, 0, sizeof r);
	db_bind_i64(&r[0], now);
	db_bind_u64(&r[1], events);
	return db_select1(db, now_sql, NULL, r, &found, e);
}

/* The relay's backlog: one index range on ix_outbox_pending. */
static enum cp_status outbox(struct cp_db *db, struct cp_stats *s, struct cp_err *e)
{
	struct cp_outbox_backlog b;
	enum cp_status st = cp_outbox_backlog(db, &b, e);

	s->queries++;
	s->outbox_pending = st == CP_OK ? b.pending : 0;
	s->outbox_oldest = st == CP_OK ? b.oldest_seconds : 0;
	return st;
}

enum cp_status cp_stats_refresh(struct cp_db *db, struct cp_stats_watch *w, struct cp_err *e)
{
	struct timespec t0, t1;
	int64_t now = 0, new_mark;
	uint64_t events = 0;
	bool changed = false, full;
	enum cp_status st;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	w->st.queries = 2;
	if ((st = read_now(db, &now, &events, e)) != CP_OK ||
	    (st = load_campaigns(db, w, &changed, e)) != CP_OK)
		return st;
	new_mark = now - LAG;
	full = w->mark == 0 || changed || now - w->last_recount >= RECOUNT_EVERY ||
	       new_mark - w->mark >= (int64_t)w->window - LAG - 1;
	if (!full && events != w->events_max && (st = mark_touched(db, w, e)) != CP_OK)
		return st;
	memset(w->st.spark, 0, sizeof w->st.spark);
	w->st.recounted = full;
	for (size_t i = 0; i < w->st.ncampaigns; i++) {
		struct cp_campaign_stats *c = &w->st.campaigns[i];
		bool again = full || w->tr[i].stale;

		w->st.recounted |= again;
		/* Archived campaigns take no redemptions: their counts change only by recount. */
		if (!again && c->status == CP_CAMPAIGN_ARCHIVED)
			continue;
		if (again && (st = recount(db, w, i, new_mark, e)) != CP_OK)
			break;
		w->tr[i].stale = false;
		if ((st = update(db, w, i, now, again ? new_mark : w->mark, new_mark, e)) != CP_OK)
			break;
	}
	if (st != CP_OK) {
		w->mark = 0; /* counts are half-moved: start again next time */
		return st;
	}
	if ((st = outbox(db, &w->st, e)) != CP_OK)
		return st;
	if (full)
		w->last_recount = now;
	w->events_max = events;
	w->mark = new_mark;
	w->st.at = (time_t)now;
	finish(&w->st);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	w->st.query_ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	return CP_OK;
}

enum cp_status cp_stats_watch_create(struct cp_stats_watch **out, unsigned int spark_seconds)
{
	struct cp_stats_watch *w = xcalloc(1, sizeof *w);

	if (spark_seconds == 0 || spark_seconds > CP_STATS_SPARK_MAX)
		spark_seconds = CP_STATS_SPARK_MAX;
	w->spark_seconds = spark_seconds;
	w->st.nspark = spark_seconds;
	/* The window must hold the sparkline, the last minute and the seconds since the mark. */
	w->window = spark_seconds > WINDOW_MIN ? spark_seconds : WINDOW_MIN;
	w->window += 30;
	w->hist = xcalloc(w->window, sizeof *w->hist);
	*out = w;
	return CP_OK;
}

void cp_stats_watch_free(struct cp_stats_watch *w)
{
	if (w == NULL)
		return;
	free(w->st.campaigns);
	free(w->tr);
	free(w->hist);
	free(w);
}

const struct cp_stats *cp_stats_get(const struct cp_stats_watch *w)
{
	return &w->st;
}

/* ----------------------------------------------------------- recent activity */

static const char recent_redeemed_sql[] =
	"SELECT code, COALESCE(redeemed_by_user_id, ''), COALESCE(order_id, ''),"
	" UNIX_TIMESTAMP(redeemed_at) FROM coupon_codes"
	" WHERE campaign_id = ? AND status = 'redeemed' AND redeemed_at IS NOT NULL"
	" ORDER BY redeemed_at DESC LIMIT ?";
static const char recent_events_sql[] =
	"SELECT e.campaign_id, COALESCE(k.code, ''), e.action, e.prior_status, e.actor,"
	" COALESCE(e.reason, ''), UNIX_TIMESTAMP(e.created_at)"
	" FROM code_events e LEFT JOIN coupon_codes k ON k.id = e.code_id"
	" ORDER BY e.id DESC LIMIT ?";
static const char recent_failed_sql[] =
	"SELECT id, campaign_id, method, requested, generated, status,"
	" UNIX_TIMESTAMP(started_at), COALESCE(UNIX_TIMESTAMP(finished_at), 0),"
	" COALESCE(error, '') FROM generation_batches"
	" WHERE status IN ('failed', 'cancelled') ORDER BY id DESC LIMIT ?";

static void terminate(char *buf, size_t size, unsigned long len)
{
	buf[len < size ? len : size - 1] = '\0';
}

struct redeemed_row {
	struct cp_recent_redemption r;
	unsigned long lens[3];
	int64_t at;
	void (*fn)(const struct cp_recent_redemption *, void *);
	void *arg;
};

static void redeemed_fetched(void *p)
{
	struct redeemed_row *x = p;

	terminate(x->r.code, sizeof x->r.code, x->lens[0]);
	terminate(x->r.user_id, sizeof x->r.user_id, x->lens[1]);
	terminate(x->r.order_id, sizeof x->r.order_id, x->lens[2]);
	x->r.at = (time_t)x->at;
	x->fn(&x->r, x->arg);
}

enum cp_status cp_stats_recent_redemptions(struct cp_db *db, uint32_t campaign_id, unsigned int max,
					   void (*fn)(const struct cp_recent_redemption *, void *),
					   void *arg, struct cp_err *e)
{
	struct redeemed_row x;
	MYSQL_BIND p[2], res[4];
	uint64_t limit = max;

	memset(&x, 0, sizeof x);
	x.r.campaign_id = campaign_id;
	x.fn = fn;
	x.arg = arg;
	memset(p, 0, sizeof p);
	memset(res, 0, sizeof res);
	db_bind_u32(&p[0], &campaign_id);
	db_bind_u64(&p[1], &limit);
	db_bind_buf(&res[0], x.r.code, sizeof x.r.code, &x.lens[0], NULL);
	db_bind_buf(&res[1], x.r.user_id, sizeof x.r.user_id, &x.lens[1], NULL);
	db_bind_buf(&res[2], x.r.order_id, sizeof x.r.order_id, &x.lens[2], NULL);
	db_bind_i64(&res[3], &x.at);
	return each_row(db, recent_redeemed_sql, p, res, redeemed_fetched, &x, e);
}

struct event_row {
	struct cp_recent_event r;
	unsigned long lens[6];
	int64_t at;
	void (*fn)(const struct cp_recent_event *, void *);
	void *arg;
};

static void event_fetched(void *p)
{
	struct event_row *x = p;

	terminate(x->r.code, sizeof x->r.code, x->lens[1]);
	terminate(x->r.action, sizeof x->r.action, x->lens[2]);
	terminate(x->r.prior_status, sizeof x->r.prior_status, x->lens[3]);
	terminate(x->r.actor, sizeof x->r.actor, x->lens[4]);
	terminate(x->r.reason, sizeof x->r.reason, x->lens[5]);
	x->r.at = (time_t)x->at;
	x->fn(&x->r, x->arg);
}

enum cp_status cp_stats_recent_events(struct cp_db *db, unsigned int max,
				      void (*fn)(const struct cp_recent_event *, void *),
				      void *arg, struct cp_err *e)
{
	struct event_row x;
	MYSQL_BIND p[1], res[7];
	uint64_t limit = max;

	memset(&x, 0, sizeof x);
	x.fn = fn;
	x.arg = arg;
	memset(p, 0, sizeof p);
	memset(res, 0, sizeof res);
	db_bind_u64(&p[0], &limit);
	db_bind_u32(&res[0], &x.r.campaign_id);
	db_bind_buf(&res[1], x.r.code, sizeof x.r.code, &x.lens[1], NULL);
	db_bind_buf(&res[2], x.r.action, sizeof x.r.action, &x.lens[2], NULL);
	db_bind_buf(&res[3], x.r.prior_status, sizeof x.r.prior_status, &x.lens[3], NULL);
	db_bind_buf(&res[4], x.r.actor, sizeof x.r.actor, &x.lens[4], NULL);
	db_bind_buf(&res[5], x.r.reason, sizeof x.r.reason, &x.lens[5], NULL);
	db_bind_i64(&res[6], &x.at);
	return each_row(db, recent_events_sql, p, res, event_fetched, &x, e);
}

struct failed_row {
	struct cp_batch b;
	char method[16], status[16];
	unsigned long lens[3];
	int64_t started, finished;
	void (*fn)(const struct cp_batch *, void *);
	void *arg;
};

static void failed_fetched(void *p)
{
	struct failed_row *x = p;

	terminate(x->method, sizeof x->method, x->lens[0]);
	terminate(x->status, sizeof x->status, x->lens[1]);
	terminate(x->b.error, sizeof x->b.error, x->lens[2]);
	if (!cp_gen_method_parse(x->method, &x->b.method))
		x->b.method = CP_GEN_RANDOM;
	x->b.status = strcmp(x->status, "failed") == 0 ? CP_BATCH_FAILED : CP_BATCH_CANCELLED;
	x->b.started_at = (time_t)x->started;
	x->b.finished_at = (time_t)x->finished;
	x->fn(&x->b, x->arg);
}

enum cp_status cp_stats_recent_failures(struct cp_db *db, unsigned int max,
					void (*fn)(const struct cp_batch *, void *), void *arg,
					struct cp_err *e)
{
	struct failed_row x;
	MYSQL_BIND p[1], res[9];
	uint64_t limit = max;

	memset(&x, 0, sizeof x);
	x.fn = fn;
	x.arg = arg;
	memset(p, 0, sizeof p);
	memset(res, 0, sizeof res);
	db_bind_u64(&p[0], &limit);
	db_bind_u64(&res[0], &x.b.id);
	db_bind_u32(&res[1], &x.b.campaign_id);
	db_bind_buf(&res[2], x.method, sizeof x.method, &x.lens[0], NULL);
	db_bind_u64(&res[3], &x.b.requested);
	db_bind_u64(&res[4], &x.b.generated);
	db_bind_buf(&res[5], x.status, sizeof x.status, &x.lens[1], NULL);
	db_bind_i64(&res[6], &x.started);
	db_bind_i64(&res[7], &x.finished);
	db_bind_buf(&res[8], x.b.error, sizeof x.b.error, &x.lens[2], NULL);
	return each_row(db, recent_failed_sql, p, res, failed_fetched, &x, e);
}
