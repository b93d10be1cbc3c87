/*
 * Redemption search: who redeemed or holds which code, filtered by campaign, user,
 * order, status and time, newest first. Pages are keyset ranges on the unique
 * (redeemed_at, id) order, so a page never repeats or skips a row while
 * redemptions keep arriving; each filter has an index that makes it a range
 * (sql/004_redemption_search.sql), and the statement names it.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "search.h"
#include "text.h"

/* A cursor: version, filter hash, redeemed_at in microseconds, id; big-endian. */
#define CURSOR_VERSION 1
#define CURSOR_BYTES (1 + 4 + 8 + 8)
#define CURSOR_CHARS ((CURSOR_BYTES * 4 + 2) / 3)

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void put_be(unsigned char *p, uint64_t v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * (n - 1 - i)));
}

static uint64_t get_be(const unsigned char *p, unsigned int n)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* Unpadded base64url of exactly CURSOR_BYTES (a multiple of 3). */
static void cursor_encode(uint32_t hash, int64_t at_us, uint64_t id, char *out)
{
	unsigned char raw[CURSOR_BYTES];
	size_t o = 0;

	raw[0] = CURSOR_VERSION;
	put_be(raw + 1, hash, 4);
	put_be(raw + 5, (uint64_t)at_us, 8);
	put_be(raw + 13, id, 8);
	for (size_t i = 0; i < CURSOR_BYTES; i += 3) {
		uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 | raw[i + 2];

		for (int k = 3; k >= 0; k--)
			out[o++] = b64url[(v >> (6 * k)) & 63];
	}
	out[o] = '\0';
}

static bool cursor_decode(const char *s, unsigned char raw[CURSOR_BYTES])
{
	if (strlen(s) != CURSOR_CHARS)
		return false;
	for (size_t i = 0, o = 0; i < CURSOR_CHARS; i += 4, o += 3) {
		uint32_t v = 0;

		for (size_t k = 0; k < 4; k++) {
			const char *p = s[i + k] != '\0' ? strchr(b64url, s[i + k]) : NULL;

			if (p == NULL)
				return false;
			v = v << 6 | (uint32_t)(p - b64url);
		}
		put_be(raw + o, v, 3);
	}
	return raw[0] == CURSOR_VERSION;
}

/* FNV-1a: a cursor carries its filters' hash, so it is not replayed with others. */
static uint32_t fnv(uint32_t h, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ ((const unsigned char *)p)[i]) * 16777619u;
	return h;
}

static uint32_t filter_hash(const struct cp_search *s)
{
	uint32_t h = 2166136261u;
	unsigned char num[8];

	put_be(num, s->campaign_id, 4);
	h = fnv(h, num, 4);
	h = fnv(h, s->user_id, strlen(s->user_id) + 1);
	h = fnv(h, s->order_id, strlen(s->order_id) + 1);
	put_be(num, (uint64_t)s->status, 4);
	h = fnv(h, num, 4);
	put_be(num, (uint64_t)s->since_us, 8);
	h = fnv(h, num, 8);
	put_be(num, (uint64_t)s->until_us, 8);
	return fnv(h, num, 8);
}

static bool given(const char *s)
{
	return s != NULL && *s != '\0';
}

static enum cp_status copy_id(const char *field, const char *s, char *out, size_t size,
			      struct cp_err *e)
{
	if (!given(s)) {
		*out = '\0';
		return CP_OK;
	}
	if (strlen(s) >= size)
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, field, "longer than %zu bytes",
					size - 1);
	memcpy(out, s, strlen(s) + 1);
	return CP_OK;
}

static enum cp_status parse_time_us(const char *field, const char *s, int64_t *out,
				    struct cp_err *e)
{
	time_t t = 0;
	enum cp_status st = given(s) ? cp_parse_time(field, s, &t, e) : CP_OK;

	*out = (int64_t)t * 1000000;
	return st;
}

static enum cp_status parse_filters(struct cp_db *db, const struct cp_search_args *a,
				    struct cp_search *s, struct cp_err *e)
{
	struct cp_campaign c;
	enum cp_status st;

	s->status = CP_CODE_REDEEMED;
	if (given(a->status) && (!cp_code_status_parse(a->status, &s->status) ||
				 (s->status != CP_CODE_REDEEMED && s->status != CP_CODE_PENDING)))
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, "status",
					"'%.20s' is not redeemed or pending", a->status);
	if ((st = copy_id("user_id", a->user_id, s->user_id, sizeof s->user_id, e)) != CP_OK ||
	    (st = copy_id("order_id", a->order_id, s->order_id, sizeof s->order_id, e)) != CP_OK ||
	    (st = parse_time_us("since", a->since, &s->since_us, e)) != CP_OK ||
	    (st = parse_time_us("until", a->until, &s->until_us, e)) != CP_OK)
		return st;
	if (s->status == CP_CODE_PENDING && (s->since_us != 0 || s->until_us != 0))
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, s->since_us ? "since" : "until",
					"a time range applies to redeemed codes, not pending ones");
	if (given(a->campaign)) {
		if ((st = cp_campaign_find(db, a->campaign, &c, e)) != CP_OK) {
			cp_err_field(e, "campaign");
			return st;
		}
		s->campaign_id = c.id;
	}
	return CP_OK;
}

enum cp_status cp_search_init(struct cp_db *db, const struct cp_search_args *a,
			      struct cp_search *s, struct cp_err *e)
{
	unsigned char raw[CURSOR_BYTES];
	enum cp_status st;

	memset(s, 0, sizeof *s);
	if ((st = parse_filters(db, a, s, e)) != CP_OK)
		return st;
	s->filter_hash = filter_hash(s);
	s->limit = a->all ? 0 : CP_SEARCH_LIMIT_DEFAULT;
	if (given(a->limit) && cp_parse_uint(a->limit, 1, CP_SEARCH_LIMIT_MAX, &s->limit, e) != CP_OK)
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, "limit",
					"'%.20s' is not a number from 1 to %u", a->limit,
					CP_SEARCH_LIMIT_MAX);
	if (!given(a->cursor))
		return CP_OK;
	if (!cursor_decode(a->cursor, raw))
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, "cursor",
					"not a cursor this server made");
	if ((uint32_t)get_be(raw + 1, 4) != s->filter_hash)
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, "cursor",
					"the cursor belongs to a search with other filters");
	s->after = true;
	s->at_us = (int64_t)get_be(raw + 5, 8);
	s->at_id = get_be(raw + 13, 8);
	return CP_OK;
}

/* ---------------------------------------------------------------- the statement */

#define SELECT_SQL                                                                   \
	"%sSELECT id, code, campaign_id, status, redeemed_by_user_id, order_id, redeemed_at," \
	" reserved_until, expires_at FROM coupon_codes FORCE INDEX (%s) WHERE status = ?"

struct stmt_params {
	MYSQL_BIND b[10];
	unsigned int n;
	unsigned long len[3];
	MYSQL_TIME t[3];
	uint64_t id, limit;
	uint32_t campaign;
	const char *status;
};

static void us_to_time(MYSQL_TIME *t, int64_t us)
{
	db_time_from_unix(t, (time_t)(us / 1000000));
	t->second_part = (unsigned long)(us % 1000000);
}

static int64_t time_to_us(const MYSQL_TIME *t)
{
	return (int64_t)db_time_to_unix(t) * 1000000 + (int64_t)t->second_part;
}

static void add_time(struct stmt_params *p, unsigned int slot, int64_t us)
{
	us_to_time(&p->t[slot], us);
	db_bind_time(&p->b[p->n++], &p->t[slot], NULL);
}

/* The most selective filter picks the index: each leads with it, then status, time. */
static const char *index_for(const struct cp_search *s)
{
	if (s->order_id[0] != '\0')
		return "ix_codes_order";
	if (s->user_id[0] != '\0')
		return "ix_codes_user";
	if (s->campaign_id != 0)
		return "ix_codes_campaign_status";
	return "ix_codes_status_time";
}

static void add(char *sql, size_t size, size_t *o, const char *text)
{
	int n = snprintf(sql + *o, size - *o, "%s", text);

	*o += n > 0 ? (size_t)n : 0;
}

/* Writes the statement into SQL (sized for the longest) and binds its parameters. */
static void build(const struct cp_search *s, const char *lead, char *sql, size_t size,
		  struct stmt_params *p)
{
	size_t o = (size_t)snprintf(sql, size, SELECT_SQL, lead, index_for(s));

	memset(p, 0, sizeof *p);
	p->status = cp_code_status_name(s->status);
	db_bind_str(&p->b[p->n++], p->status, &p->len[0]);
	if (s->order_id[0] != '\0') {
		add(sql, size, &o, " AND order_id = ?");
		db_bind_str(&p->b[p->n++], s->order_id, &p->len[1]);
	}
	if (s->user_id[0] != '\0') {
		add(sql, size, &o, " AND redeemed_by_user_id = ?");
		db_bind_str(&p->b[p->n++], s->user_id, &p->len[2]);
	}
	p->campaign = s->campaign_id;
	if (s->campaign_id != 0) {
		add(sql, size, &o, " AND campaign_id = ?");
		db_bind_u32(&p->b[p->n++], &p->campaign);
	}
	if (s->since_us != 0) {
		add(sql, size, &o, " AND redeemed_at >= ?");
		add_time(p, 0, s->since_us);
	}
	if (s->until_us != 0) {
		add(sql, size, &o, " AND redeemed_at < ?");
		add_time(p, 1, s->until_us);
	}
	p->id = s->at_id;
	if (s->status == CP_CODE_PENDING) {
		/* A reservation clears redeemed_at: a constant the index order skips. */
		add(sql, size, &o, " AND redeemed_at IS NULL");
		if (s->after) {
			add(sql, size, &o, " AND id < ?");
			db_bind_u64(&p->b[p->n++], &p->id);
		}
		add(sql, size, &o, " ORDER BY id DESC");
	} else {
		if (s->after) {
			add(sql, size, &o, " AND redeemed_at <= ? AND (redeemed_at < ? OR id < ?)");
			add_time(p, 2, s->at_us);
			db_bind_time(&p->b[p->n++], &p->t[2], NULL);
			db_bind_u64(&p->b[p->n++], &p->id);
		}
		add(sql, size, &o, " ORDER BY redeemed_at DESC, id DESC");
	}
	/* One row more than the page tells whether there is a next one. */
	p->limit = s->limit + 1;
	if (s->limit != 0) {
		add(sql, size, &o, " LIMIT ?");
		db_bind_u64(&p->b[p->n++], &p->limit);
	}
}

struct row {
	MYSQL_BIND b[9];
	struct cp_redemption r;
	char status[16];
	unsigned long len[6];
	my_bool null[9];
	MYSQL_TIME redeemed, reserved, expires;
};

static void bind_row(struct row *w)
{
	memset(w, 0, sizeof *w);
	db_bind_u64(&w->b[0], &w->r.id);
	db_bind_buf(&w->b[1], w->r.code, sizeof w->r.code, &w->len[0], &w->null[1]);
	db_bind_u32(&w->b[2], &w->r.campaign_id);
	db_bind_buf(&w->b[3], w->status, sizeof w->status, &w->len[1], &w->null[3]);
	db_bind_buf(&w->b[4], w->r.user_id, sizeof w->r.user_id, &w->len[2], &w->null[4]);
	db_bind_buf(&w->b[5], w->r.order_id, sizeof w->r.order_id, &w->len[3], &w->null[5]);
	db_bind_time(&w->b[6], &w->redeemed, &w->null[6]);
	db_bind_time(&w->b[7], &w->reserved, &w->null[7]);
	db_bind_time(&w->b[8], &w->expires, &w->null[8]);
}

static void row_done(struct row *w)
{
	if (w->null[4])
		w->r.user_id[0] = '\0';
	if (w->null[5])
		w->r.order_id[0] = '\0';
	if (!cp_code_status_parse(w->status, &w->r.status))
		w->r.status = CP_CODE_EXPIRED;
	w->r.redeemed_us = w->null[6] ? 0 : time_to_us(&w->redeemed);
	w->r.reserved_until = w->null[7] ? 0 : db_time_to_unix(&w->reserved);
	w->r.expires_at = w->null[8] ? 0 : db_time_to_unix(&w->expires);
}

/* Prepares and executes the search (with LEAD before it: "" or "EXPLAIN "). */
static MYSQL_STMT *start(struct cp_db *db, const struct cp_search *s, const char *lead,
			 MYSQL_BIND *result, struct cp_err *e, enum cp_status *st)
{
	struct stmt_params p;
	char sql[600];
	MYSQL_STMT *stmt;

	if ((*st = cp_db_ensure(db, e)) != CP_OK)
		return NULL;
	build(s, lead, sql, sizeof sql, &p);
	/* Not cached: the statement's text depends on the filters given. */
	if ((stmt = mysql_stmt_init(db_mysql(db))) == NULL) {
		*st = cp_err_set(e, CP_E_NOMEM, "mysql_stmt_init failed");
		return NULL;
	}
	if (mysql_stmt_prepare(stmt, sql, (unsigned long)strlen(sql)) != 0 ||
	    mysql_stmt_bind_param(stmt, p.b) != 0 || mysql_stmt_execute(stmt) != 0 ||
	    mysql_stmt_bind_result(stmt, result) != 0) {
		*st = db_stmt_fail(db, stmt, e, "search redemptions");
		mysql_stmt_close(stmt);
		return NULL;
	}
	return stmt;
}

enum cp_status cp_search_run(struct cp_db *db, const struct cp_search *s,
			     bool (*fn)(const struct cp_redemption *, void *), void *arg,
			     char next[CP_CURSOR_MAX + 1], struct cp_err *e)
{
	struct row w;
	uint64_t n = 0, last_id = 0;
	int64_t last_us = 0;
	bool more = false;
	enum cp_status st;
	MYSQL_STMT *stmt;
	int rc;

	next[0] = '\0';
	bind_row(&w);
	if ((stmt = start(db, s, "", w.b, e, &st)) == NULL)
		return st;
	while ((rc = mysql_stmt_fetch(stmt)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
		row_done(&w);
		if (s->limit != 0 && n == s->limit) {
			more = true;
			break;
		}
		n++;
		last_id = w.r.id;
		last_us = w.r.redeemed_us;
		if (!fn(&w.r, arg)) {
			more = true;
			break;
		}
	}
	if (rc == 1)
		st = db_stmt_fail(db, stmt, e, "search redemptions");
	mysql_stmt_close(stmt);
	if (st == CP_OK && more)
		cursor_encode(s->filter_hash, last_us, last_id, next);
	return st;
}

enum cp_status search_explain(struct cp_db *db, const struct cp_search *s,
			      void (*fn)(const struct search_plan *, void *), void *arg,
			      struct cp_err *e)
{
	/* id, select_type, table, type, possible_keys, key, key_len, ref, rows, Extra */
	static const int col[] = {-1, -1, 0, 1, -1, 2, -1, -1, 3, 4};
	struct search_plan pl;
	char *dst[] = {pl.table, pl.type, pl.key, pl.rows, pl.extra};
	size_t size[] = {sizeof pl.table, sizeof pl.type, sizeof pl.key, sizeof pl.rows,
			 sizeof pl.extra};
	char skip[10][256];
	MYSQL_BIND b[10];
	unsigned long len[10];
	my_bool null[10];
	enum cp_status st;
	MYSQL_STMT *stmt;
	int rc;

	memset(b, 0, sizeof b);
	for (size_t i = 0; i < 10; i++)
		db_bind_buf(&b[i], col[i] >= 0 ? dst[col[i]] : skip[i],
			    col[i] >= 0 ? size[col[i]] : sizeof skip[i], &len[i], &null[i]);
	if ((stmt = start(db, s, "EXPLAIN ", b, e, &st)) == NULL)
		return st;
	while ((rc = mysql_stmt_fetch(stmt)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
		for (size_t i = 0; i < 10; i++)
			if (col[i] >= 0 && null[i])
				dst[col[i]][0] = '\0';
		fn(&pl, arg);
	}
	if (rc == 1)
		st = db_stmt_fail(db, stmt, e, "explain a search");
	mysql_stmt_close(stmt);
	return st;
}

void cp_search_time(int64_t us, char out[32])
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	size_t n;

	if (us <= 0 || gmtime_r(&t, &tm) == NULL) {
		out[0] = '\0';
		return;
	}
	/* The calendar bounds every field: 27 bytes in all. */
	n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);

	snprintf(out + n, 32 - n, ".%06dZ", (int)(us % 1000000));
}

static void unix_text(time_t t, char out[32])
{
	cp_search_time(t > 0 ? (int64_t)t * 1000000 : 0, out);
}

size_t cp_search_csv(const struct cp_redemption *r, char out[CP_SEARCH_CSV_MAX])
{
	char redeemed[32], reserved[32], expires[32];
	size_t o;

	cp_search_time(r->redeemed_us, redeemed);
	unix_text(r->reserved_until, reserved);
	unix_text(r->expires_at, expires);
	o = (size_t)snprintf(out, CP_SEARCH_CSV_MAX, "%" PRIu64 ",%s,%" PRIu32 ",%s,", r->id,
			     r->code, r->campaign_id, cp_code_status_name(r->status));
	/* Each id is at most 64 bytes, 130 quoted: the line always fits. */
	o += text_csv(out + o, r->user_id);
	out[o++] = ',';
	o += text_csv(out + o, r->order_id);
	o += (size_t)snprintf(out + o, CP_SEARCH_CSV_MAX - o, ",%s,%s,%s\n", redeemed, reserved,
			      expires);
	return o;
}
