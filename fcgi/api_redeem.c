/*
 * The redemption endpoints: the JSON API (validate, redeem, reserve, confirm,
 * release) and the customer page's form post. The rules are the core's; this
 * file maps requests onto cp_redeem_op() and results onto replies, and keeps the
 * failed-lookup limits.
 */
#include "config.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api_internal.h"
#include "log.h"

#define OP_FIELDS(user_required)                                                \
	{"code", FT_STR, P_CODE, CP_INPUT_MAX, true},                           \
	{"user_id", FT_STR, P_USER_ID, CP_USER_MAX, user_required},             \
	{"order_id", FT_STR, P_ORDER_ID, CP_ORDER_MAX, false},                  \
	{"order_amount", FT_OBJ, P_ORDER_AMOUNT, 0, false}

const struct field f_validate[] = {OP_FIELDS(false), {NULL, FT_STR, 0, 0, false}};
const struct field f_redeem[] = {OP_FIELDS(true), {NULL, FT_STR, 0, 0, false}};
const struct field f_reserve[] = {
	OP_FIELDS(true),
	{"ttl", FT_UINT, P_TTL, FIELD_NUM_ANY, false}, /* cp_parse_ttl bounds it */
	{NULL, FT_STR, 0, 0, false},
};
const struct field f_form[] = {
	{"code", FT_STR, P_CODE, CP_INPUT_MAX, true},
	{"user", FT_STR, P_USER, CP_USER_MAX, true},
	{NULL, FT_STR, 0, 0, false},
};

/* What a success is called in the reply, by operation. */
static const char *const op_state[] = {
	[CP_OP_VALIDATE] = "redeemable", [CP_OP_REDEEM] = "redeemed",
	[CP_OP_RESERVE] = "reserved", [CP_OP_CONFIRM] = "redeemed",
	[CP_OP_RELEASE] = "released",
};

/*
 * Group commit of plain redemptions (core/group.c): [coupon-fcgi] group-commit
 * turns it on or off, group-commit-groups bounds the groups running at once.
 */
#define GROUPS_DEFAULT 8
static bool group_commit = true;
static unsigned int group_groups = GROUPS_DEFAULT;
static struct cp_group *group;

static const char form_refusal[] = "This code cannot be redeemed. Check it and try again.";

/* Typos and guesses: what the limits count. */
static bool failed_lookup(enum cp_status st)
{
	return st == CP_E_UNKNOWN_CODE || st == CP_E_WRONG_CHECK || st == CP_E_INVALID_CODE;
}

struct rl_keys {
	char key[2][CP_USER_MAX + 64];
	enum rl_kind kind[2];
	unsigned int limit[2];
	unsigned int n;
};

static void add_key(struct rl_keys *k, enum rl_kind kind, unsigned int limit, const char *fmt,
		    ...) __attribute__((format(printf, 4, 5)));

static void add_key(struct rl_keys *k, enum rl_kind kind, unsigned int limit, const char *fmt,
		    ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(k->key[k->n], sizeof k->key[k->n], fmt, ap);
	va_end(ap);
	k->kind[k->n] = kind;
	k->limit[k->n++] = limit;
}

/*
 * Anonymous visitors are limited per client address and per user. An API caller
 * is a shop's back end speaking for many customers from one address, so there the
 * limit is per user of that key, and the key as a whole has a ceiling of its own.
 * The spaces are apart ("f" form, "a" API): a stranger posting the form with a
 * customer's user id cannot make the shop's own API refuse that customer.
 */
static void keys_for(const struct api_ctx *c, struct rl_keys *k)
{
	const struct cp_config *cfg = c->w->cfg;
	char client[CLIENT_KEY_MAX];

	k->n = 0;
	if (c->rt->body == BODY_FORM) {
		api_client_key(c, client);
		add_key(k, RL_ADDR, cfg->rate_limit, "fa:%s", client);
		add_key(k, RL_USER, cfg->rate_limit, "fu:%s", c->ps.v[P_USER].s);
		return;
	}
	add_key(k, RL_KEY, cfg->rate_limit_key, "ak:%u", (unsigned int)c->key_id);
	if (c->ps.v[P_USER_ID].set)
		add_key(k, RL_USER, cfg->rate_limit, "au:%u:%s", (unsigned int)c->key_id,
			c->ps.v[P_USER_ID].s);
}

/* Answers 429 if any key is over its limit. */
static bool limited(struct api_ctx *c, const struct rl_keys *k)
{
	time_t now = time(NULL);

	for (unsigned int i = 0; i < k->n; i++) {
		unsigned int wait = rl_check(c->w->rl, k->key[i], strlen(k->key[i]), k->limit[i], now);

		if (wait == 0)
			continue;
		metrics_ratelimit_hit(k->kind[i]);
		http_header(c->resp, "Retry-After: %u", wait);
		reply_error(c->resp, CP_E_RATE_LIMITED, NULL);
		return true;
	}
	return false;
}

static void count_failure(struct api_ctx *c, const struct rl_keys *k)
{
	time_t now = time(NULL);

	for (unsigned int i = 0; i < k->n; i++)
		rl_fail(c->w->rl, k->key[i], strlen(k->key[i]), k->limit[i], now);
}

/*
 * What the limits count. For the anonymous form every refusal counts, so the
 * moment the 429 comes says nothing about which codes exist; for an API key only
 * lookups that found no code (its other refusals are the shop's business).
 */
static bool counted(const struct api_ctx *c, enum cp_status st)
{
	if (c->rt->body == BODY_FORM)
		return st != CP_OK && st != CP_E_RATE_LIMITED && cp_status_http(st) < 500;
	return failed_lookup(st);
}

bool api_fingerprint(const struct http_req *req, unsigned char *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
		  EVP_DigestUpdate(ctx, req->method, strlen(req->method)) == 1 &&
		  EVP_DigestUpdate(ctx, "\n", 1) == 1 &&
		  EVP_DigestUpdate(ctx, req->path, strlen(req->path)) == 1 &&
		  EVP_DigestUpdate(ctx, "\n", 1) == 1 &&
		  EVP_DigestUpdate(ctx, req->body, req->body_len) == 1 &&
		  EVP_DigestFinal_ex(ctx, out, NULL) == 1;

	EVP_MD_CTX_free(ctx);
	return ok;
}

static void success_body(struct api_ctx *c, enum cp_op op, const struct cp_redeem_result *r,
			 const struct cp_redeem_req *rq)
{
	struct buf *b = &c->resp->body;

	reply_json(c->resp, 200);
	/* Codes made elsewhere may hold quotes and backslashes: the JSON writer, always. */
	buf_printf(b, "{\"result\":\"%s\"", op_state[op]);
	buf_json_kv(b, "code", r->code, 0);
	if (r->display[0] != '\0')
		buf_json_kv(b, "display", r->display, 0);
	if (rq->user_id != NULL)
		buf_json_kv(b, "user_id", rq->user_id, 0);
	if (rq->order_id != NULL)
		buf_json_kv(b, "order_id", rq->order_id, 0);
	if (op == CP_OP_REDEEM || op == CP_OP_CONFIRM) {
		buf_puts(b, ",\"redeemed_at\":");
		buf_json_time(b, (long long)r->redeemed_at);
	}
	if (op == CP_OP_RESERVE) {
		buf_puts(b, ",\"reserved_until\":");
		buf_json_time(b, (long long)r->reserved_until);
	}
	api_reward_members(b, &r->reward);
	buf_printf(b, ",\"campaign\":{\"id\":%u,\"name\":", (unsigned int)r->campaign_id);
	buf_json_str(b, r->campaign_name, strlen(r->campaign_name));
	buf_puts(b, "}}\n");
	/* The body is rebuilt from the stored result, so a replay is byte-identical. */
	if (r->replay)
		http_header(c->resp, "Idempotent-Replayed: true");
}

static bool order_refusal(enum cp_status st)
{
	return st == CP_E_ORDER_AMOUNT_REQUIRED || st == CP_E_CURRENCY_MISMATCH ||
	       st == CP_E_ORDER_BELOW_MINIMUM;
}

/* An order refusal carries the campaign's minimum, so the shop can say what is missing. */
static void refuse_order(struct api_ctx *c, enum cp_status st, const struct cp_err *e,
			 const struct cp_redeem_result *r)
{
	char min[96];

	cp_money_json(&r->reward.min_order, min, sizeof min);
	reply_error_with(c->resp, st, e != NULL ? e->field : NULL, e != NULL ? e->msg : NULL,
			 "min_order", min);
}

bool api_option_known(const char *key)
{
	return cp_config_key_is(key, "group-commit") || cp_config_key_is(key, "group-commit-groups");
}

enum cp_status api_option(void *arg, const char *key, const char *value, struct cp_err *e)
{
	/* Even indexes are off, odd ones on. */
	static const char *const words[] = {"0", "1", "off", "on", "no", "yes", "false", "true"};
	uint64_t n;

	(void)arg;
	if (cp_config_key_is(key, "group-commit-groups")) {
		if (value == NULL || cp_parse_uint(value, 1, 1024, &n, e) != CP_OK)
			return cp_err_set(e, CP_E_INVALID_ARGUMENT,
					  "group-commit-groups must be 1..1024");
		group_groups = (unsigned int)n;
		return CP_OK;
	}
	if (!cp_config_key_is(key, "group-commit"))
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "unknown [coupon-fcgi] option '%s'",
				  key);
	for (size_t i = 0; value != NULL && i < sizeof words / sizeof words[0]; i++)
		if (strcasecmp(value, words[i]) == 0) {
			group_commit = i % 2 == 1;
			return CP_OK;
		}
	return cp_err_set(e, CP_E_INVALID_ARGUMENT, "group-commit is on or off, not '%.40s'",
			  value != NULL ? value : "");
}

void api_redeem_init(void)
{
	if (!group_commit || group != NULL)
		return;
	group = cp_group_create(group_groups);
	cp_group_set_observer(group, metrics_group, NULL);
}

/* Runs OP for the request; returns its status (the reply is written). */
static enum cp_status run_op(struct api_ctx *c, enum cp_op op, struct cp_redeem_req *rq,
			     const struct rl_keys *k)
{
	struct cp_redeem_result res;
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st;

	if (limited(c, k))
		return CP_E_RATE_LIMITED;
	if ((db = api_db(c)) == NULL)
		return CP_E_DB_UNAVAILABLE;
	memset(&res, 0, sizeof res);
	cp_err_clear(&e);
	if (op == CP_OP_REDEEM && group != NULL)
		st = cp_redeem_grouped(group, db, rq, &res, &e);
	else
		st = cp_redeem_op(db, op, rq, &res, &e);
	metrics_result(op, st);
	metrics_retries(res.retries);
	if (counted(c, st))
		count_failure(c, k);
	if (failed_lookup(st))
		metrics_failed_lookup(c->rt->body == BODY_FORM ? SRC_FORM : SRC_API);
	if (st == CP_OK) {
		memcpy(c->code, res.code, sizeof c->code);
		memcpy(c->display, res.display, sizeof c->display);
		memcpy(c->campaign, res.campaign_name, sizeof c->campaign);
		success_body(c, op, &res, rq);
	}
	else {
		if (st == CP_E_IN_PROGRESS)
			http_header(c->resp, "Retry-After: 1");
		if (res.replay)
			http_header(c->resp, "Idempotent-Replayed: true");
		/* A stored refusal is replayed with the table's message: the same bytes. */
		if (order_refusal(st))
			refuse_order(c, st, rq->idem_key != NULL ? NULL : &e, &res);
		else
			api_fail(c, st, rq->idem_key != NULL ? NULL : &e);
	}
	return st;
}

void h_op(struct api_ctx *c)
{
	enum cp_op op = (enum cp_op)c->rt->op;
	const struct params *ps = &c->ps;
	struct cp_redeem_req rq;
	struct cp_money amount;
	struct rl_keys k;
	unsigned char fp[32];

	memset(&rq, 0, sizeof rq);
	rq.code = ps->v[P_CODE].s;
	rq.code_len = ps->v[P_CODE].len;
	rq.user_id = ps->v[P_USER_ID].set ? ps->v[P_USER_ID].s : NULL;
	rq.order_id = ps->v[P_ORDER_ID].set ? ps->v[P_ORDER_ID].s : NULL;
	if (ps->v[P_ORDER_AMOUNT].set) {
		struct cp_err e;
		enum cp_status st;

		cp_err_clear(&e);
		if ((st = api_money(ps->v[P_ORDER_AMOUNT].obj, "order_amount", &amount, &e)) != CP_OK) {
			api_fail(c, st, &e);
			return;
		}
		rq.order_amount = &amount;
	}
	if (ps->v[P_TTL].set) {
		struct cp_err e;
		enum cp_status st;
		char num[24];

		cp_err_clear(&e);
		snprintf(num, sizeof num, "%llu", (unsigned long long)ps->v[P_TTL].u);
		if ((st = cp_parse_ttl(num, &rq.ttl, &e)) != CP_OK) {
			api_fail(c, st, &e);
			return;
		}
	}
	if (c->req->idem_key != NULL && op != CP_OP_VALIDATE) {
		if (!api_fingerprint(c->req, fp)) {
			reply_error(c->resp, CP_E_CRYPTO, NULL);
			return;
		}
		rq.api_key_id = c->key_id;
		rq.idem_key = c->req->idem_key;
		rq.fingerprint = fp;
	}
	keys_for(c, &k);
	run_op(c, op, &rq, &k);
}

/* Origin (or, without it, Referer) must be the configured site: no cross-site posts. */
static bool same_site(const struct api_ctx *c)
{
	const char *site = c->w->cfg->site, *ref = c->req->referer;
	size_t n;

	n = strlen(site);
	while (n > 0 && site[n - 1] == '/')
		n--;
	if (c->req->origin != NULL && *c->req->origin != '\0')
		return strlen(c->req->origin) == n && strncmp(c->req->origin, site, n) == 0;
	return ref != NULL && strncmp(ref, site, n) == 0 && (ref[n] == '/' || ref[n] == '\0');
}

/* Header values are the sender's: logged bounded and printable only. */
static void log_safe(char *out, size_t outsz, const char *s)
{
	size_t i;

	for (i = 0; s != NULL && s[i] != '\0' && i + 1 < outsz; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	out[i] = '\0';
}

/* A refused cross-site post is someone's page trying to use our form: worth a line. */
static void log_cross_site(const struct api_ctx *c)
{
	char origin[128], referer[128];

	log_safe(origin, sizeof origin, c->req->origin != NULL ? c->req->origin : "-");
	log_safe(referer, sizeof referer, c->req->referer != NULL ? c->req->referer : "-");
	log_warn("cross-site form post refused: from %s, Origin %s, Referer %s",
		 c->req->remote_addr != NULL ? c->req->remote_addr : "-", origin, referer);
}

bool form_admit(struct api_ctx *c)
{
	/* Without a site there is nothing to check against: the form is off (logged at start). */
	if (c->w->cfg->site == NULL || *c->w->cfg->site == '\0') {
		reply_error(c->resp, CP_E_FORBIDDEN, "the form is not enabled ('site' is not set)");
		return false;
	}
	if (same_site(c))
		return true;
	log_cross_site(c);
	reply_error(c->resp, CP_E_FORBIDDEN, "cross-site form posts are refused");
	return false;
}

void h_form(struct api_ctx *c)
{
	struct cp_redeem_req rq;
	struct rl_keys k;

	memset(&rq, 0, sizeof rq);
	rq.code = c->ps.v[P_CODE].s;
	rq.code_len = c->ps.v[P_CODE].len;
	rq.user_id = c->ps.v[P_USER].s;
	keys_for(c, &k);
	run_op(c, CP_OP_REDEEM, &rq, &k);
}

/* Failures that say nothing about the code keep their own answer. */
static bool form_keeps(enum cp_status st)
{
	return st == CP_OK || st == CP_E_RATE_LIMITED || st == CP_E_FORBIDDEN ||
	       st == CP_E_TOO_LARGE || st == CP_E_MEDIA_TYPE || st == CP_E_METHOD ||
	       cp_status_http(st) >= 500;
}

/*
 * The page a form post is answered with when JavaScript is off: the look of
 * www/index.html (its style.css), one of four states, and the result as the
 * page's heading so a screen reader reads it first.
 */
enum form_state { FS_OK, FS_NO, FS_WAIT, FS_DOWN };

static const struct {
	const char *cls;     /* the result box's class in style.css */
	const char *title;
	const char *action;  /* the link back to the form */
} form_states[] = {
	[FS_OK] = {"ok", "Code redeemed", "Redeem another code"},
	[FS_NO] = {"no", "Code not redeemed", "Try again"},
	[FS_WAIT] = {"wait", "Too many attempts", "Back to the form"},
	[FS_DOWN] = {"down", "Service unavailable", "Back to the form"},
};

static void html_text(struct buf *b, const char *s)
{
	buf_html(b, s, strlen(s));
}

/* Everything but the message: the page shell around the result box. */
static void html_open(struct buf *b, enum form_state fs)
{
	buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		    "<meta name=\"referrer\" content=\"same-origin\">\n<title>");
	html_text(b, form_states[fs].title);
	buf_puts(b, " \xc2\xb7 Redeem a coupon code</title>\n"
		    "<link rel=\"stylesheet\" href=\"/style.css\">\n</head>\n<body>\n"
		    "<div class=\"page\">\n<p class=\"brand\"><span class=\"brand-mark\" "
		    "aria-hidden=\"true\">%</span>Coupon</p>\n<main class=\"card answer\">\n"
		    "<div class=\"result ");
	buf_puts(b, form_states[fs].cls);
	buf_puts(b, "\" data-state=\"");
	buf_puts(b, form_states[fs].cls);
	buf_puts(b, "\">\n<h1 class=\"result-title\">");
	html_text(b, form_states[fs].title);
	buf_puts(b, "</h1>\n<p>");
}

static void html_close(struct buf *b, enum form_state fs)
{
	buf_puts(b, "</p>\n</div>\n<a class=\"button");
	buf_puts(b, fs == FS_OK ? " secondary" : "");
	buf_puts(b, "\" href=\"/\">");
	html_text(b, form_states[fs].action);
	buf_puts(b, "</a>\n</main>\n</div>\n</body>\n</html>\n");
}

static void html_redeemed(struct buf *b, const struct api_ctx *c)
{
	html_open(b, FS_OK);
	buf_puts(b, "Your code <span class=\"code\"><strong>");
	html_text(b, c->display[0] != '\0' ? c->display : c->code);
	buf_puts(b, "</strong></span> has been redeemed");
	if (c->campaign[0] != '\0') {
		buf_puts(b, " for <strong>");
		html_text(b, c->campaign);
		buf_puts(b, "</strong>");
	}
	buf_puts(b, ".");
	html_close(b, FS_OK);
}

/* What a refusal that is not about the code says (no input is ever echoed). */
static const char *form_message(enum cp_status st)
{
	switch (st) {
	case CP_E_FORBIDDEN:
		return "This form must be sent from our own page. Open the page and try again.";
	case CP_E_TOO_LARGE:
	case CP_E_MEDIA_TYPE:
	case CP_E_METHOD:
		return "The form could not be read. Open the page and try again.";
	default:
		return form_refusal;
	}
}

/* The seconds to wait, from the Retry-After header run_op() set (ours, not input). */
static unsigned int retry_after(const struct http_resp *r)
{
	const char *h = strstr(r->headers, "Retry-After: ");

	return h != NULL ? (unsigned int)strtoul(h + 13, NULL, 10) : 0;
}

static void html_refused(struct buf *b, const struct http_resp *r, enum cp_status st)
{
	unsigned int wait;

	if (st == CP_E_RATE_LIMITED) {
		wait = retry_after(r);
		html_open(b, FS_WAIT);
		if (wait == 0)
			buf_puts(b, "Please wait a minute, then try again.");
		else
			buf_printf(b, "Please wait %u second%s, then try again.", wait,
				   wait == 1 ? "" : "s");
		html_close(b, FS_WAIT);
		return;
	}
	if (cp_status_http(st) >= 500) {
		html_open(b, FS_DOWN);
		buf_puts(b, "Codes cannot be redeemed right now. Please try again in a few minutes.");
		html_close(b, FS_DOWN);
		return;
	}
	html_open(b, FS_NO);
	html_text(b, form_message(st));
	html_close(b, FS_NO);
}

void form_finish(struct api_ctx *c)
{
	struct http_resp *r = c->resp;
	enum cp_status st = r->error;

	if (!form_keeps(st))
		reply_error(r, st = CP_E_INVALID_CODE, form_refusal);
	http_header(r, "Cache-Control: no-store");
	if (http_accepts(c->req->accept, "application/json"))
		return;
	buf_reset(&r->body);
	r->content_type = "text/html; charset=utf-8";
	/* No scripts on the answer page; only our own style sheet. */
	http_header(r, "Content-Security-Policy: default-src 'none'; style-src 'self'; "
		       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
	http_header(r, "X-Content-Type-Options: nosniff");
	if (st == CP_OK)
		html_redeemed(&r->body, c);
	else
		html_refused(&r->body, r, st);
}
