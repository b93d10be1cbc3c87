/*
 * POST /api/v1/campaigns/ID/assign: hands one code of the campaign to a user
 * (core/assign.c). The redeem scope may call it: the shop's checkout and its
 * mailer, which hold that scope, are who hands codes out (doc/API.md says why).
 */
#include "config.h"

#include <string.h>

#include "api_internal.h"

const struct field f_assign[] = {
	{"user_id", FT_STR, P_USER_ID, CP_USER_MAX, true},
	{"order_id", FT_STR, P_ORDER_ID, CP_ORDER_MAX, false},
	{NULL, FT_STR, 0, 0, false},
};

static void assigned_body(struct api_ctx *c, const struct cp_assign_result *r,
			  const struct cp_assign_req *rq)
{
	struct buf *b = &c->resp->body;

	reply_json(c->resp, 200);
	/* Codes made elsewhere may hold quotes and backslashes: the JSON writer, always. */
	buf_puts(b, "{\"result\":\"assigned\"");
	buf_json_kv(b, "code", r->code, 0);
	if (r->display[0] != '\0')
		buf_json_kv(b, "display", r->display, 0);
	buf_json_kv(b, "user_id", rq->user_id, 0);
	if (rq->order_id != NULL)
		buf_json_kv(b, "order_id", rq->order_id, 0);
	buf_puts(b, ",\"assigned_at\":");
	buf_json_time(b, (long long)r->assigned_at);
	buf_puts(b, ",\"valid_until\":");
	buf_json_time(b, (long long)r->valid_until);
	api_reward_members(b, &r->reward);
	buf_printf(b, ",\"campaign\":{\"id\":%u,\"name\":", (unsigned int)r->campaign_id);
	buf_json_str(b, r->campaign_name, strlen(r->campaign_name));
	buf_puts(b, "}}\n");
	if (r->replay)
		http_header(c->resp, "Idempotent-Replayed: true");
}

void h_assign(struct api_ctx *c)
{
	const struct params *ps = &c->ps;
	struct cp_assign_req rq;
	struct cp_assign_result res;
	unsigned char fp[32];
	uint64_t id;
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st;

	if (cp_parse_uint(c->args[0], 1, UINT32_MAX, &id, NULL) != CP_OK) {
		reply_error(c->resp, CP_E_NOT_FOUND, NULL);
		return;
	}
	memset(&rq, 0, sizeof rq);
	rq.campaign_id = (uint32_t)id;
	rq.user_id = ps->v[P_USER_ID].s;
	rq.order_id = ps->v[P_ORDER_ID].set ? ps->v[P_ORDER_ID].s : NULL;
	if (c->req->idem_key != NULL) {
		if (!api_fingerprint(c->req, fp)) {
			reply_error(c->resp, CP_E_CRYPTO, NULL);
			return;
		}
		rq.api_key_id = c->key_id;
		rq.idem_key = c->req->idem_key;
		rq.fingerprint = fp;
	}
	if ((db = api_db(c)) == NULL)
		return;
	cp_err_clear(&e);
	st = cp_assign(db, &rq, &res, &e);
	metrics_retries(res.retries);
	if (st == CP_OK) {
		assigned_body(c, &res, &rq);
		return;
	}
	if (st == CP_E_IN_PROGRESS)
		http_header(c->resp, "Retry-After: 1");
	if (res.replay)
		http_header(c->resp, "Idempotent-Replayed: true");
	/* A stored refusal is replayed with the table's message: the same bytes. */
	api_fail(c, st, rq.idem_key != NULL ? NULL : &e);
}
