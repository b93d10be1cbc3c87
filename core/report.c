/*
 * Reports: a campaign's redemptions, reservations and refunds per hour or day,
 * with codes issued and redeemed to date, as one series every front end renders.
 *
 * Where each count comes from:
 *  - redemptions: codes redeemed now, by redeemed_at (ix_codes_campaign_status),
 *    plus those redeemed then and unredeemed or expired since, by the prior
 *    redeemed_at their code_events row kept (ix_events_campaign);
 *  - reservations: reserved_at, the time of a code's latest reservation
 *    (sql/009, ix_codes_campaign_reserved);
 *  - refunds: code_events rows of action unredeem, by their time;
 *  - issued: each batch's generated codes from the time it started.
 * MariaDB groups rows into quarter hours of UTC (every zone's offset is a whole
 * number of them since 1972); the quarters are summed into buckets of the
 * campaign's local hours or days here (core/tz.c: a day is 23 to 25 hours
 * across a DST change, an hour in a +05:30 zone starts at half past in UTC).
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch.h"
#include "db.h"
#include "report.h"
#include "text.h"
#include "tz.h"
#include "xmalloc.h"

#define QUARTER 900
/* An unredeem or expiry may be stamped by the database's clock a little before
 * the redeemed_at the program's clock wrote: look this far before SINCE. */
#define CLOCK_SLACK 3600

/* ---------------------------------------------------------------- buckets */

/* The start of T's local hour or day in the report's zone, and of the next one. */
static time_t bucket_floor(const struct cp_report *r, time_t t)
{
	return r->bucket == CP_REPORT_DAY ? tz_day_start(r->zone, t) : tz_hour_start(r->zone, t);
}

static time_t bucket_next(const struct cp_report *r, time_t start)
{
	return r->bucket == CP_REPORT_DAY ? tz_next_day(r->zone, start)
					  : tz_next_hour(r->zone, start);
}

/* The bucket holding T, or -1 outside the report. */
static ptrdiff_t bucket_of(const struct cp_report *r, time_t t)
{
	size_t lo = 0, hi = r->n;

	if (r->n == 0 || t < r->since || t >= r->until)
		return -1;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->rows[mid].start <= t)
			lo = mid;
		else
			hi = mid;
	}
	return (ptrdiff_t)lo;
}

static size_t count_buckets(const struct cp_report *r, time_t since, time_t until)
{
	size_t n = 0;

	for (time_t t = since; t < until && n <= CP_REPORT_BUCKETS_MAX; t = bucket_next(r, t))
		n++;
	return n;
}

/* The earliest start that keeps a report ending at UNTIL to CP_REPORT_BUCKETS_MAX buckets. */
static time_t earliest_since(const struct cp_report *r, time_t until)
{
	time_t t = bucket_floor(r, until - 1);

	for (size_t n = 1; n < CP_REPORT_BUCKETS_MAX; n++)
		t = bucket_floor(r, t - 1);
	return t;
}

static void lay_out(struct cp_report *r)
{
	size_t i = 0;

	r->n = count_buckets(r, r->since, r->until);
	r->rows = xcalloc(r->n ? r->n : 1, sizeof *r->rows);
	for (time_t t = r->since; i < r->n; t = bucket_next(r, t))
		r->rows[i++].start = t;
}

/* ---------------------------------------------------------------- arguments */

static bool given(const char *s)
{
	return s != NULL && *s != '\0';
}

static enum cp_status parse_bucket(const char *s, enum cp_report_bucket *b, struct cp_err *e)
{
	*b = CP_REPORT_HOUR;
	if (!given(s) || strcmp(s, "hour") == 0)
		return CP_OK;
	if (strcmp(s, "day") == 0) {
		*b = CP_REPORT_DAY;
		return CP_OK;
	}
	return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, "bucket", "'%.20s' is not hour or day", s);
}

/* The buckets cover [since, until), each end widened to a bucket's edge. */
static enum cp_status parse_range(const struct cp_report_args *a, time_t created,
				  struct cp_report *r, struct cp_err *e)
{
	time_t since = 0, until = 0;
	enum cp_status st;

	/* Like the search's: since inclusive, until exclusive, a date its midnight. */
	if ((given(a->since) && (st = cp_parse_time_in("since", a->since, r->time_zone,
						       CP_TIME_START, &since, e)) != CP_OK) ||
	    (given(a->until) && (st = cp_parse_time_in("until", a->until, r->time_zone,
						       CP_TIME_START, &until, e)) != CP_OK))
		return st;
	if (until == 0)
		until = r->made_at + 1;
	if (given(a->since) && since >= until)
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, given(a->until) ? "until" : "since",
					"until must come after since");
	r->until = bucket_floor(r, until - 1);
	r->until = bucket_next(r, r->until);
	if (given(a->since)) {
		r->since = bucket_floor(r, since);
		if (count_buckets(r, r->since, r->until) > CP_REPORT_BUCKETS_MAX)
			return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, "since",
						"more than %d %ss from since to until",
						CP_REPORT_BUCKETS_MAX, cp_report_bucket_name(r->bucket));
		return CP_OK;
	}
	r->since = bucket_floor(r, created < until ? created : until - 1);
	if (r->since < earliest_since(r, r->until))
		r->since = earliest_since(r, r->until);
	return CP_OK;
}

/* ---------------------------------------------------------------- the queries */

/*
 * Each selects (key, count); the key is a UTC quarter hour unless said otherwise.
 * ORDER BY NULL: the groups are summed here in any order, so no sort.
 */
#define REDEEMED_SQL                                                                     \
	"SELECT UNIX_TIMESTAMP(redeemed_at) DIV 900, COUNT(*) FROM coupon_codes"          \
	" FORCE INDEX (ix_codes_campaign_status) WHERE campaign_id = ? AND status = 'redeemed'" \
	" AND redeemed_at >= ? AND redeemed_at < ? GROUP BY 1 ORDER BY NULL"
/* Codes redeemed then and no longer: their prior state is in code_events. */
#define UNDONE_SQL                                                                         \
	"SELECT UNIX_TIMESTAMP(prior_redeemed_at) DIV 900, COUNT(*) FROM code_events"       \
	" FORCE INDEX (ix_events_campaign) WHERE campaign_id = ? AND created_at >= ?"       \
	" AND prior_status = 'redeemed' AND prior_redeemed_at >= ? AND prior_redeemed_at < ?" \
	" GROUP BY 1 ORDER BY NULL"
#define REFUNDS_SQL                                                                     \
	"SELECT UNIX_TIMESTAMP(created_at) DIV 900, COUNT(*) FROM code_events"           \
	" FORCE INDEX (ix_events_campaign) WHERE campaign_id = ? AND created_at >= ?"    \
	" AND created_at < ? AND action = 'unredeem' GROUP BY 1 ORDER BY NULL"
#define RESERVED_SQL                                                                     \
	"SELECT UNIX_TIMESTAMP(reserved_at) DIV 900, COUNT(*) FROM coupon_codes"          \
	" FORCE INDEX (ix_codes_campaign_reserved) WHERE campaign_id = ?"                  \
	" AND reserved_at >= ? AND reserved_at < ? GROUP BY 1 ORDER BY NULL"
/* Key 0: codes redeemed now whose redemption came before the report. */
#define BEFORE_SQL                                                                      \
	"SELECT 0, COUNT(*) FROM coupon_codes FORCE INDEX (ix_codes_campaign_status)"    \
	" WHERE campaign_id = ? AND status = 'redeemed' AND redeemed_at < ?"
/* Key: when the batch started, in seconds. An unfinished import issued nothing yet (batch.h). */
#define BATCHES_SQL                                                                   \
	"SELECT UNIX_TIMESTAMP(started_at), generated FROM generation_batches"         \
	" FORCE INDEX (ix_batches_campaign) WHERE campaign_id = ?"                     \
	" AND NOT " BATCH_HIDDEN_SQL("generation_batches")
/* Key 0: the codes of those imports, stored available but in no status's count. */
#define IMPORTING_SQL                                                                 \
	"SELECT 0, CAST(COALESCE(SUM(generated), 0) AS UNSIGNED) FROM generation_batches" \
	" FORCE INDEX (ix_batches_campaign) WHERE campaign_id = ?"                     \
	" AND " BATCH_HIDDEN_SQL("generation_batches")
/* Key: the status's position in the ENUM, which is cp_code_status's order plus one. */
#define STATUS_SQL                                                                        \
	"SELECT status + 0, COUNT(*) FROM coupon_codes FORCE INDEX (ix_codes_campaign_status)" \
	" WHERE campaign_id = ? GROUP BY status ORDER BY NULL"

/* What a query binds after the campaign's id. */
enum query_params { QP_RANGE, QP_SLACK_RANGE, QP_BEFORE, QP_NONE };

/* Adds N to the member at OFF of the bucket holding T, if any. */
static void count_at(struct cp_report *r, time_t t, size_t off, uint64_t n)
{
	ptrdiff_t b = bucket_of(r, t);
	uint64_t v;

	if (b < 0)
		return;
	memcpy(&v, (char *)&r->rows[b] + off, sizeof v);
	v += n;
	memcpy((char *)&r->rows[b] + off, &v, sizeof v);
}

#define AT(member) offsetof(struct cp_report_row, member)

static void add_redeemed(struct cp_report *r, int64_t key, uint64_t n)
{
	count_at(r, (time_t)key * QUARTER, AT(redemptions), n);
	count_at(r, (time_t)key * QUARTER, AT(redeemed), n);
}

static void add_undone(struct cp_report *r, int64_t key, uint64_t n)
{
	count_at(r, (time_t)key * QUARTER, AT(redemptions), n);
}

static void add_refunds(struct cp_report *r, int64_t key, uint64_t n)
{
	count_at(r, (time_t)key * QUARTER, AT(refunds), n);
}

static void add_reserved(struct cp_report *r, int64_t key, uint64_t n)
{
	count_at(r, (time_t)key * QUARTER, AT(reservations), n);
}

/* Counted into the first bucket: the running sums carry it on. */
static void add_before(struct cp_report *r, int64_t key, uint64_t n)
{
	(void)key;
	count_at(r, r->since, AT(redeemed), n);
}

/* A batch started before the report counts in its first bucket. */
static void add_batch(struct cp_report *r, int64_t key, uint64_t n)
{
	count_at(r, (time_t)key < r->since ? r->since : (time_t)key, AT(issued), n);
}

static void add_status(struct cp_report *r, int64_t key, uint64_t n)
{
	if (key >= 1 && key <= CP_REPORT_STATUSES)
		r->status[key - 1] = n;
}

static void add_importing(struct cp_report *r, int64_t key, uint64_t n)
{
	(void)key;
	r->importing = n;
}

struct query {
	const char *what, *index, *sql, *explain;
	enum query_params params;
	void (*add)(struct cp_report *, int64_t key, uint64_t n);
};

#define Q(what, index, sql, params, add) {what, index, sql, "EXPLAIN " sql, params, add}
static const struct query queries[] = {
	Q("redemptions", "ix_codes_campaign_status", REDEEMED_SQL, QP_RANGE, add_redeemed),
	Q("redemptions undone", "ix_events_campaign", UNDONE_SQL, QP_SLACK_RANGE, add_undone),
	Q("refunds", "ix_events_campaign", REFUNDS_SQL, QP_RANGE, add_refunds),
	Q("reservations", "ix_codes_campaign_reserved", RESERVED_SQL, QP_RANGE, add_reserved),
	Q("redeemed before", "ix_codes_campaign_status", BEFORE_SQL, QP_BEFORE, add_before),
	Q("batches", "ix_batches_campaign", BATCHES_SQL, QP_NONE, add_batch),
	Q("codes by status", "ix_codes_campaign_status", STATUS_SQL, QP_NONE, add_status),
	Q("codes importing", "ix_batches_campaign", IMPORTING_SQL, QP_NONE, add_importing),
};
#undef Q

struct query_binds {
	MYSQL_BIND b[4];
	MYSQL_TIME t[3];
	uint32_t campaign;
};

static void bind_params(const struct cp_report *r, enum query_params qp, struct query_binds *p)
{
	unsigned int n = 0;
	time_t times[3] = {r->since, r->until, 0};

	memset(p, 0, sizeof *p);
	p->campaign = r->campaign_id;
	db_bind_u32(&p->b[n++], &p->campaign);
	if (qp == QP_SLACK_RANGE) {
		times[0] = r->since - CLOCK_SLACK;
		times[1] = r->since;
		times[2] = r->until;
	}
	if (qp == QP_BEFORE)
		times[0] = r->since;
	for (unsigned int i = 0; i < (qp == QP_RANGE ? 2u : qp == QP_SLACK_RANGE ? 3u
							  : qp == QP_BEFORE ? 1u : 0u); i++) {
		db_time_from_unix(&p->t[i], times[i]);
		db_bind_time(&p->b[n++], &p->t[i], NULL);
	}
}

/* Executes SQL with Q's parameters and results bound to RES. */
static MYSQL_STMT *run(struct cp_db *db, const struct cp_report *r, const struct query *q,
		       const char *sql, MYSQL_BIND *res, struct cp_err *e, enum cp_status *st)
{
	struct query_binds p;
	MYSQL_STMT *stmt;

	bind_params(r, q->params, &p);
	if ((*st = cp_db_ensure(db, e)) != CP_OK || (stmt = db_prepare(db, sql, e, st)) == NULL)
		return NULL;
	if (mysql_stmt_bind_param(stmt, p.b) != 0 || mysql_stmt_execute(stmt) != 0 ||
	    mysql_stmt_bind_result(stmt, res) != 0) {
		*st = db_stmt_fail(db, stmt, e, q->what);
		return NULL;
	}
	return stmt;
}

static enum cp_status run_query(struct cp_db *db, struct cp_report *r, const struct query *q,
				struct cp_err *e)
{
	MYSQL_BIND res[2];
	my_bool null[2];
	int64_t key;
	uint64_t n;
	enum cp_status st;
	MYSQL_STMT *stmt;
	int rc;

	memset(res, 0, sizeof res);
	db_bind_i64(&res[0], &key);
	db_bind_u64(&res[1], &n);
	res[0].is_null = &null[0];
	res[1].is_null = &null[1];
	if ((stmt = run(db, r, q, q->sql, res, e, &st)) == NULL)
		return st;
	while ((rc = mysql_stmt_fetch(stmt)) == 0 || rc == MYSQL_DATA_TRUNCATED)
		if (!null[0] && !null[1])
			q->add(r, key, n);
	st = rc == 1 ? db_stmt_fail(db, stmt, e, q->what) : CP_OK;
	mysql_stmt_free_result(stmt);
	return st;
}

/* The cumulative columns: running sums of what the queries put in each bucket. */
static void accumulate(struct cp_report *r)
{
	for (size_t i = 1; i < r->n; i++) {
		r->rows[i].issued += r->rows[i - 1].issued;
		r->rows[i].redeemed += r->rows[i - 1].redeemed;
	}
}

static enum cp_status start(struct cp_db *db, const struct cp_report_args *a,
			    struct cp_report *r, struct cp_err *e)
{
	struct cp_campaign c;
	enum cp_status st;

	r->made_at = time(NULL);
	if ((st = parse_bucket(a->bucket, &r->bucket, e)) != CP_OK)
		return st;
	if (a->campaign_id == 0 && !given(a->campaign))
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, "campaign", "a campaign is required");
	if ((st = a->campaign_id != 0 ? cp_campaign_get(db, a->campaign_id, &c, e)
				      : cp_campaign_find(db, a->campaign, &c, e)) != CP_OK) {
		cp_err_field(e, "campaign");
		return st;
	}
	r->campaign_id = c.id;
	memcpy(r->campaign, c.name, sizeof r->campaign);
	r->zone = tz_utc();
	if ((given(a->time_zone) || c.time_zone[0] != '\0') &&
	    (st = tz_open(given(a->time_zone) ? a->time_zone : c.time_zone, &r->zone, e)) != CP_OK)
		return st;
	snprintf(r->time_zone, sizeof r->time_zone, "%s", tz_name(r->zone));
	return parse_range(a, c.created_at, r, e);
}

enum cp_status cp_report_make(struct cp_db *db, const struct cp_report_args *a,
			      struct cp_report **out, struct cp_err *e)
{
	struct cp_report *r = xcalloc(1, sizeof *r);
	enum cp_status st;

	*out = NULL;
	if ((st = start(db, a, r, e)) != CP_OK) {
		cp_report_free(r);
		return st;
	}
	lay_out(r);
	for (size_t i = 0; st == CP_OK && i < sizeof queries / sizeof queries[0]; i++)
		st = run_query(db, r, &queries[i], e);
	if (st != CP_OK) {
		cp_report_free(r);
		return st;
	}
	accumulate(r);
	/* Two statements: a chunk committed between them is importing but in no status. */
	if (r->importing > r->status[CP_CODE_AVAILABLE])
		r->importing = r->status[CP_CODE_AVAILABLE];
	r->status[CP_CODE_AVAILABLE] -= r->importing;
	*out = r;
	return CP_OK;
}

void cp_report_free(struct cp_report *r)
{
	if (r == NULL)
		return;
	free(r->rows);
	free(r);
}

const char *cp_report_bucket_name(enum cp_report_bucket b)
{
	return b == CP_REPORT_DAY ? "day" : "hour";
}

const char *cp_report_failed_lookups_note(void)
{
	return "failed lookups are not recorded per campaign: a code that fails its check "
	       "character or exists nowhere names no campaign row, and recording it would "
	       "put a write on the refusal path; coupon-fcgi counts them per source in /metrics";
}

/* ---------------------------------------------------------------- writers */

struct out {
	bool (*write)(void *, const char *, size_t);
	void *sink;
	bool ok;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	char line[512], *p = line;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0 || !o->ok)
		return;
	/* A long campaign name, escaped, may not fit the line. */
	if ((size_t)n >= sizeof line) {
		p = xmalloc((size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(p, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	o->ok = o->write(o->sink, p, (size_t)n);
	if (p != line)
		free(p);
}

bool cp_report_csv(const struct cp_report *r, bool (*write)(void *, const char *, size_t),
		   void *sink)
{
	struct out o = {write, sink, true};
	char t[CP_TIME_TEXT_MAX];

	put(&o, "start,redemptions,reservations,refunds,issued_to_date,redeemed_to_date\n");
	for (size_t i = 0; i < r->n; i++) {
		const struct cp_report_row *w = &r->rows[i];

		cp_time_format(w->start, r->time_zone, CP_TIME_RFC3339, t);
		put(&o, "%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n", t,
		    w->redemptions, w->reservations, w->refunds, w->issued, w->redeemed);
	}
	return o.ok;
}

bool cp_report_json(const struct cp_report *r, bool (*write)(void *, const char *, size_t),
		    void *sink)
{
	struct out o = {write, sink, true};
	char name[sizeof r->campaign * 6 + 3], t[CP_TIME_TEXT_MAX], u[CP_TIME_TEXT_MAX];

	text_json_str(name, sizeof name, r->campaign, strlen(r->campaign));
	cp_time_format(r->since, r->time_zone, CP_TIME_RFC3339, t);
	cp_time_format(r->until, r->time_zone, CP_TIME_RFC3339, u);
	put(&o, "{\"campaign_id\":%" PRIu32 ",\"campaign\":%s,\"time_zone\":\"%s\",\"bucket\":\"%s\","
		"\"since\":\"%s\",\"until\":\"%s\",\"status\":{", r->campaign_id, name, r->time_zone,
	    cp_report_bucket_name(r->bucket), t, u);
	for (int s = 0; s < CP_REPORT_STATUSES; s++)
		put(&o, "%s\"%s\":%" PRIu64, s ? "," : "",
		    cp_code_status_name((enum cp_code_status)s), r->status[s]);
	put(&o, "},\"importing\":%" PRIu64 ",\"unavailable\":{\"failed_lookups\":\"%s\"},"
		"\"buckets\":[", r->importing, cp_report_failed_lookups_note());
	for (size_t i = 0; i < r->n; i++) {
		const struct cp_report_row *w = &r->rows[i];

		cp_time_format(w->start, r->time_zone, CP_TIME_RFC3339, t);
		put(&o, "%s{\"start\":\"%s\",\"redemptions\":%" PRIu64 ",\"reservations\":%" PRIu64
			",\"refunds\":%" PRIu64 ",\"issued_to_date\":%" PRIu64
			",\"redeemed_to_date\":%" PRIu64 "}",
		    i ? "," : "", t, w->redemptions, w->reservations, w->refunds, w->issued,
		    w->redeemed);
	}
	put(&o, "]}\n");
	return o.ok;
}

/* ---------------------------------------------------------------- plans */

enum cp_status report_explain(struct cp_db *db, uint32_t campaign, time_t since, time_t until,
			      void (*fn)(const char *what, const char *index,
					 const struct search_plan *, void *),
			      void *arg, struct cp_err *e)
{
	struct cp_report r = {.campaign_id = campaign, .since = since, .until = until};
	struct search_plan_binds p;
	enum cp_status st = CP_OK;

	search_plan_bind(&p);
	for (size_t q = 0; st == CP_OK && q < sizeof queries / sizeof queries[0]; q++) {
		MYSQL_STMT *stmt = run(db, &r, &queries[q], queries[q].explain, p.b, e, &st);
		int rc;

		if (stmt == NULL)
			break;
		while ((rc = mysql_stmt_fetch(stmt)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
			search_plan_fetched(&p);
			fn(queries[q].what, queries[q].index, &p.pl, arg);
		}
		st = rc == 1 ? db_stmt_fail(db, stmt, e, queries[q].what) : CP_OK;
		mysql_stmt_free_result(stmt);
	}
	return st;
}
