/*
 * GET /api/v1/audit: the audit log, newest first, a bounded page at a time. The
 * cursor is the id of the last row of the page before; next_cursor is null on
 * the last page. Rows only ever arrive with larger ids, so paging on never sees
 * a row twice nor misses one that was there when the first page was read.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "xmalloc.h"

static const struct field f_audit_query[] = {
	{"since", FT_STR, P_STARTS, 64, false},
	{"action", FT_STR, P_STATUS, 32, false},
	{"limit", FT_UINT, P_COUNT, CP_AUDIT_LIMIT_MAX, false},
	{"cursor", FT_UINT, P_BATCH, UINT64_MAX >> 1, false},
	{NULL, FT_STR, 0, 0, false},
};

struct page {
	struct buf *b;
	unsigned int n;
	uint64_t last;
	char json[CP_AUDIT_JSON_ENTRY_MAX];
};

static bool add_entry(const struct cp_audit_entry *a, void *arg)
{
	struct page *p = arg;

	buf_puts(p->b, p->n++ > 0 ? "," : "");
	buf_puts(p->b, cp_audit_json(a, p->json, sizeof p->json));
	p->last = a->id;
	return true;
}

void h_audit_list(struct api_ctx *c)
{
	struct cp_audit_filter f = {0};
	struct params q;
	struct page *p;
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st;

	cp_err_clear(&e);
	st = http_parse_form(c->req->query, strlen(c->req->query), f_audit_query, &q, &e);
	if (st == CP_OK && q.v[P_STARTS].set)
		st = cp_parse_time("since", q.v[P_STARTS].s, &f.since, &e);
	if (st == CP_OK && q.v[P_COUNT].set && q.v[P_COUNT].u == 0)
		st = cp_err_set_field(&e, CP_E_INVALID_ARGUMENT, "limit", "limit: 1 to %d",
				      CP_AUDIT_LIMIT_MAX);
	if (st != CP_OK) {
		reply_error_field(c->resp, st, e.field, e.msg);
		params_free(&q);
		return;
	}
	f.action = q.v[P_STATUS].set ? q.v[P_STATUS].s : NULL;
	f.limit = q.v[P_COUNT].set ? (unsigned int)q.v[P_COUNT].u : 0;
	f.before_id = q.v[P_BATCH].set ? q.v[P_BATCH].u : 0;
	if ((db = api_db(c)) == NULL) {
		params_free(&q);
		return;
	}
	p = xcalloc(1, sizeof *p);
	p->b = &c->resp->body;
	reply_json(c->resp, 200);
	buf_puts(p->b, "{\"entries\":[");
	st = cp_audit_list(db, &f, add_entry, p, &e);
	params_free(&q);
	if (st != CP_OK) {
		free(p);
		api_fail(c, st, &e);
		return;
	}
	/* A full page may have more behind it; a short one is the last. */
	if (p->n == (f.limit != 0 ? f.limit : 100))
		buf_printf(p->b, "],\"next_cursor\":\"%llu\"}\n", (unsigned long long)p->last);
	else
		buf_puts(p->b, "],\"next_cursor\":null}\n");
	free(p);
}
