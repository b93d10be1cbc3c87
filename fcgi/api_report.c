/*
 * GET /api/v1/campaigns/ID/report: core's per hour or day series (cp_report_*)
 * as JSON, or as CSV with Accept: text/csv. A report is at most
 * CP_REPORT_BUCKETS_MAX lines, so it is written whole, not streamed.
 */
#include "config.h"

#include <string.h>

#include "api_internal.h"
#include "buf.h"
#include "http.h"

static const struct field f_report[] = {
	{"bucket", FT_STR, P_BUCKET, 8, false},
	{"since", FT_STR, P_SINCE, 64, false},
	{"until", FT_STR, P_UNTIL, 64, false},
	{"time_zone", FT_STR, P_TIME_ZONE, CP_TZ_NAME_MAX, false},
	{NULL, FT_STR, 0, 0, false},
};

static const char *arg(const struct params *q, unsigned int slot)
{
	return q->v[slot].set ? q->v[slot].s : NULL;
}

static bool to_body(void *sink, const char *s, size_t n)
{
	buf_add(sink, s, n);
	return true;
}

void h_report(struct api_ctx *c)
{
	struct cp_report_args a = {0};
	struct cp_report *r;
	struct params q;
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st;
	uint64_t id;
	bool csv;

	cp_err_clear(&e);
	if (cp_parse_uint(c->args[0], 1, UINT32_MAX, &id, NULL) != CP_OK) {
		reply_error(c->resp, CP_E_NOT_FOUND, NULL);
		return;
	}
	if ((st = http_parse_form(c->req->query, strlen(c->req->query), f_report, &q, &e)) != CP_OK) {
		api_fail(c, st, &e);
		params_free(&q);
		return;
	}
	if ((db = api_db(c)) == NULL) {
		params_free(&q);
		return;
	}
	a.campaign_id = (uint32_t)id;
	a.bucket = arg(&q, P_BUCKET);
	a.since = arg(&q, P_SINCE);
	a.until = arg(&q, P_UNTIL);
	a.time_zone = arg(&q, P_TIME_ZONE);
	st = cp_report_make(db, &a, &r, &e);
	params_free(&q);
	if (st != CP_OK) {
		api_fail(c, st, &e);
		return;
	}
	csv = http_accepts(c->req->accept, "text/csv");
	reply_json(c->resp, 200);
	if (csv) {
		c->resp->content_type = "text/csv; charset=utf-8";
		cp_report_csv(r, to_body, &c->resp->body);
	} else {
		cp_report_json(r, to_body, &c->resp->body);
	}
	http_header(c->resp, "Cache-Control: no-store");
	cp_report_free(r);
}
