/*
 * GET /api/v1/redemptions: core's redemption search (cp_search_*) as JSON pages,
 * or as CSV streamed row by row with Accept: text/csv. Arguments are mapped and
 * rows formatted here; the filters, cursors and the query are core's.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "buf.h"
#include "http.h"
#include "xmalloc.h"

static const struct field f_search[] = {
	{"campaign", FT_STR, P_CAMPAIGN, CP_NAME_MAX * 4, false},
	{"user_id", FT_STR, P_USER_ID, CP_USER_MAX, false},
	{"order_id", FT_STR, P_ORDER_ID, CP_ORDER_MAX, false},
	{"status", FT_STR, P_STATUS, 16, false},
	{"since", FT_STR, P_SINCE, 64, false},
	{"until", FT_STR, P_UNTIL, 64, false},
	{"cursor", FT_STR, P_CURSOR, CP_CURSOR_MAX, false},
	{"limit", FT_STR, P_LIMIT, 16, false},
	{NULL, FT_STR, 0, 0, false},
};

static const char *arg(const struct params *q, unsigned int slot)
{
	return q->v[slot].set ? q->v[slot].s : NULL;
}

struct page {
	struct buf *b;
	bool first;
};

static bool json_row(const struct cp_redemption *r, void *arg_)
{
	struct page *pg = arg_;
	char t[32];

	buf_printf(pg->b, "%s{\"id\":%llu", pg->first ? "" : ",", (unsigned long long)r->id);
	buf_json_kv(pg->b, "code", r->code, 0);
	buf_printf(pg->b, ",\"campaign_id\":%u,\"status\":\"%s\"", (unsigned int)r->campaign_id,
		   cp_code_status_name(r->status));
	buf_json_kv(pg->b, "user_id", r->user_id[0] ? r->user_id : NULL, 0);
	buf_json_kv(pg->b, "order_id", r->order_id[0] ? r->order_id : NULL, 0);
	cp_search_time(r->redeemed_us, t);
	buf_json_kv(pg->b, "redeemed_at", t[0] ? t : NULL, 0);
	buf_puts(pg->b, ",\"reserved_until\":");
	buf_json_time(pg->b, (long long)r->reserved_until);
	buf_puts(pg->b, ",\"expires_at\":");
	buf_json_time(pg->b, (long long)r->expires_at);
	buf_puts(pg->b, "}");
	pg->first = false;
	return true;
}

/* The CSV body: run after the headers went out, one row in memory at a time. */
struct csv_stream {
	struct cp_db *db;
	struct cp_search s;
	http_write_fn write_fn;
	void *sink;
	bool failed;
};

static bool csv_row(const struct cp_redemption *r, void *arg_)
{
	struct csv_stream *x = arg_;
	char line[CP_SEARCH_CSV_MAX];
	size_t n = cp_search_csv(r, line);

	if (!x->write_fn(x->sink, line, n))
		x->failed = true;
	return !x->failed;
}

static enum cp_status csv_stream(void *ctx, http_write_fn write_fn, void *sink)
{
	struct csv_stream *x = ctx;
	char next[CP_CURSOR_MAX + 1];
	struct cp_err e;
	enum cp_status st = CP_OK;

	cp_err_clear(&e);
	x->write_fn = write_fn;
	x->sink = sink;
	if (write_fn != NULL) {
		if (!write_fn(sink, CP_SEARCH_CSV_HEADER, strlen(CP_SEARCH_CSV_HEADER)))
			st = CP_E_IO;
		else if ((st = cp_search_run(x->db, &x->s, csv_row, x, next, &e)) == CP_OK &&
			 x->failed)
			st = CP_E_IO;
	}
	free(x);
	return st;
}

void h_redemptions(struct api_ctx *c)
{
	struct cp_search_args a = {0};
	struct page pg = {&c->resp->body, true};
	char next[CP_CURSOR_MAX + 1];
	struct csv_stream *x;
	struct cp_search s;
	struct params q;
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st;

	cp_err_clear(&e);
	if ((st = http_parse_form(c->req->query, strlen(c->req->query), f_search, &q, &e)) != CP_OK) {
		api_fail(c, st, &e);
		params_free(&q);
		return;
	}
	if ((db = api_db(c)) == NULL) {
		params_free(&q);
		return;
	}
	a.campaign = arg(&q, P_CAMPAIGN);
	a.user_id = arg(&q, P_USER_ID);
	a.order_id = arg(&q, P_ORDER_ID);
	a.status = arg(&q, P_STATUS);
	a.since = arg(&q, P_SINCE);
	a.until = arg(&q, P_UNTIL);
	a.cursor = arg(&q, P_CURSOR);
	a.limit = arg(&q, P_LIMIT);
	a.all = http_accepts(c->req->accept, "text/csv");
	st = cp_search_init(db, &a, &s, &e);
	params_free(&q);
	if (st != CP_OK) {
		api_fail(c, st, &e);
		return;
	}
	if (a.all) {
		reply_json(c->resp, 200);
		c->resp->content_type = "text/csv; charset=utf-8";
		http_header(c->resp, "Cache-Control: no-store");
		x = xcalloc(1, sizeof *x);
		x->db = db;
		x->s = s;
		c->resp->stream = csv_stream;
		c->resp->stream_ctx = x;
		return;
	}
	reply_json(c->resp, 200);
	buf_puts(pg.b, "{\"redemptions\":[");
	if ((st = cp_search_run(db, &s, json_row, &pg, next, &e)) != CP_OK) {
		api_fail(c, st, &e);
		return;
	}
	buf_puts(pg.b, "]");
	buf_json_kv(pg.b, "next_cursor", next[0] ? next : NULL, 0);
	buf_puts(pg.b, "}\n");
}
