/*
 * Routing and the checks every request passes, in this order: path, method,
 * content type, Content-Length (all before a byte of the body is read), then
 * the body itself, the API key, the fields, and only then the handler.
 */
#include "config.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_internal.h"
#include "client.h"
#include "log.h"
#include "xmalloc.h"

static void h_healthz(struct api_ctx *);
static void h_metrics(struct api_ctx *);

#define RS CP_SCOPE_REDEEM
#define AS CP_SCOPE_ADMIN
static const struct route routes[] = {
	{"validate", "POST", "/api/v1/validate", BODY_JSON, RS, f_validate, h_op, CP_OP_VALIDATE},
	{"redeem", "POST", "/api/v1/redeem", BODY_JSON, RS, f_redeem, h_op, CP_OP_REDEEM},
	{"reserve", "POST", "/api/v1/reserve", BODY_JSON, RS, f_reserve, h_op, CP_OP_RESERVE},
	{"confirm", "POST", "/api/v1/confirm", BODY_JSON, RS, f_redeem, h_op, CP_OP_CONFIRM},
	{"release", "POST", "/api/v1/release", BODY_JSON, RS, f_redeem, h_op, CP_OP_RELEASE},
	{"campaign_create", "POST", "/api/v1/campaigns", BODY_JSON, AS, f_campaign,
	 h_campaign_create, -1},
	{"campaign_list", "GET", "/api/v1/campaigns", BODY_NONE, AS, NULL, h_campaign_list, -1},
	{"campaign_get", "GET", "/api/v1/campaigns/*", BODY_NONE, AS, NULL, h_campaign_get, -1},
	{"campaign_patch", "PATCH", "/api/v1/campaigns/*", BODY_JSON, AS, f_campaign_patch,
	 h_campaign_patch, -1},
	{"batch_create", "POST", "/api/v1/campaigns/*/batches", BODY_JSON, AS, f_batch,
	 h_batch_create, -1},
	{"batch_get", "GET", "/api/v1/batches/*", BODY_NONE, AS, NULL, h_batch_get, -1},
	{"import", "POST", "/api/v1/campaigns/*/imports", BODY_CSV, AS, NULL, h_import, -1},
	{"batch_expire", "POST", "/api/v1/batches/*/expire", BODY_JSON_OPT, AS, f_reason,
	 h_batch_expire, -1},
	{"campaign_expire", "POST", "/api/v1/campaigns/*/expire", BODY_JSON_OPT, AS, f_reason,
	 h_campaign_expire, -1},
	{"export", "GET", "/api/v1/campaigns/*/codes.csv", BODY_NONE, AS, NULL, h_export, -1},
	{"code_get", "GET", "/api/v1/codes/*", BODY_NONE, AS, NULL, h_code_get, -1},
	{"audit", "GET", "/api/v1/audit", BODY_NONE, AS, NULL, h_audit_list, -1},
	{"key_list", "GET", "/api/v1/keys", BODY_NONE, AS, NULL, h_key_list, -1},
	{"key_create", "POST", "/api/v1/keys", BODY_JSON, AS, f_key, h_key_create, -1},
	{"key_revoke", "DELETE", "/api/v1/keys/*", BODY_NONE, AS, NULL, h_key_revoke, -1},
	{"redemptions", "GET", "/api/v1/redemptions", BODY_NONE, AS, NULL, h_redemptions, -1},
	{"report", "GET", "/api/v1/campaigns/*/report", BODY_NONE, AS, NULL, h_report, -1},
	{"code_expire", "POST", "/api/v1/codes/*/expire", BODY_JSON_OPT, AS, f_reason,
	 h_code_expire, -1},
	{"code_unredeem", "POST", "/api/v1/codes/*/unredeem", BODY_JSON_OPT, AS, f_reason,
	 h_code_unredeem, -1},
	{"code_unassign", "POST", "/api/v1/codes/*/unassign", BODY_JSON_OPT, AS, f_reason,
	 h_code_unassign, -1},
	{"assign", "POST", "/api/v1/campaigns/*/assign", BODY_JSON, RS, f_assign, h_assign, -1},
	{"form", "POST", "/redeem", BODY_FORM, 0, f_form, h_form, CP_OP_REDEEM},
	{"healthz", "GET", "/healthz", BODY_NONE, 0, NULL, h_healthz, -1},
	{"metrics", "GET", "/metrics", BODY_NONE, 0, NULL, h_metrics, -1},
};
#undef RS
#undef AS
#define NROUTES (sizeof routes / sizeof routes[0])
/* Metrics labels: the routes, then requests that matched none. */
static const char *ep_names[NROUTES + 1];
#define EP_UNKNOWN NROUTES

static struct ratelimit *global_rl;

static bool dropped(enum cp_status, const struct cp_err *);

double api_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * SHA-256 fetched once: EVP_sha256() makes OpenSSL 3 look the algorithm up
 * again on every digest, which was most of the crypto time of a request.
 */
static EVP_MD *sha256_md;

static struct client_nets *trusted_nets;

bool api_init(const struct cp_config *cfg, unsigned int threads, struct cp_err *e)
{
	char msg[128];

	client_nets_free(trusted_nets);
	if ((trusted_nets = client_nets_parse(cfg->trusted_proxies, msg, sizeof msg)) == NULL) {
		cp_err_set(e, CP_E_INVALID_ARGUMENT, "%s", msg);
		return false;
	}
	if (sha256_md == NULL && (sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		sha256_md = (EVP_MD *)EVP_sha256();
	for (size_t i = 0; i < NROUTES; i++)
		ep_names[i] = routes[i].name;
	ep_names[EP_UNKNOWN] = "unknown";
	metrics_init(ep_names, NROUTES + 1, threads);
	api_redeem_init();
	return true;
}

void api_client_key(const struct api_ctx *c, char out[CLIENT_KEY_MAX])
{
	client_key(trusted_nets, c->w->cfg->rate_limit_ipv6_prefix, c->req->remote_addr,
		   c->req->forwarded_for, out);
}

void api_shutdown(void)
{
	admin_shutdown();
}

void api_wait(void)
{
	admin_wait();
}

const char *const *api_endpoint_names(unsigned int *n)
{
	*n = NROUTES + 1;
	return ep_names;
}

void worker_init(struct worker *w, unsigned int id, const struct cp_config *cfg,
		 struct ratelimit *rl)
{
	memset(w, 0, sizeof *w);
	w->id = id;
	w->cfg = cfg;
	w->rl = rl;
	global_rl = rl;
	w->body = xmalloc(cfg->body_max + 1);
	if ((w->md = EVP_MD_CTX_new()) == NULL)
		abort(); /* out of memory, as xmalloc */
}

void worker_free(struct worker *w)
{
	cp_db_close(w->db);
	free(w->body);
	EVP_MD_CTX_free(w->md);
	wipe(w->auth, sizeof w->auth);
	memset(w, 0, sizeof *w);
}

/* PATTERN against PATH; '*' captures one non-empty segment into ARGS. */
static bool match(const char *pattern, const char *path, char args[2][ARG_MAX + 1])
{
	unsigned int n = 0;

	while (*pattern != '\0') {
		if (*pattern == '*') {
			size_t len = strcspn(path, "/");

			if (len == 0 || len > ARG_MAX || n == 2)
				return false;
			memcpy(args[n], path, len);
			args[n++][len] = '\0';
			path += len;
			pattern++;
			continue;
		}
		if (*pattern++ != *path++)
			return false;
	}
	return *path == '\0';
}

/* The route for the request; NULL after answering 404 or 405. */
static const struct route *route(struct api_ctx *c)
{
	char allow[128] = "";
	size_t alen = 0;

	for (size_t i = 0; i < NROUTES; i++) {
		if (!match(routes[i].pattern, c->req->path, c->args))
			continue;
		if (strcmp(routes[i].method, c->req->method) == 0)
			return &routes[i];
		alen += (size_t)snprintf(allow + alen, sizeof allow - alen, "%s%s",
					 alen ? ", " : "", routes[i].method);
	}
	if (alen == 0) {
		reply_error(c->resp, CP_E_NOT_FOUND, "no such endpoint");
		return NULL;
	}
	http_header(c->resp, "Allow: %s", allow);
	reply_error(c->resp, CP_E_METHOD, NULL);
	return NULL;
}

static const char *body_type(enum body_kind k)
{
	if (k == BODY_CSV)
		return "text/csv";
	return k == BODY_FORM ? "application/x-www-form-urlencoded" : "application/json";
}

/* Content type and Content-Length, before reading; *WANT gets the body length. */
static bool admit(struct api_ctx *c, size_t *want)
{
	const char *cl = c->req->content_length;
	uint64_t n = 0;

	if (cl != NULL && *cl != '\0' &&
	    cp_parse_uint(cl, 0, UINT64_MAX, &n, NULL) != CP_OK) {
		reply_error(c->resp, CP_E_INVALID_ARGUMENT, "bad Content-Length");
		return false;
	}
	if (c->rt->body == BODY_NONE) {
		if (n != 0)
			reply_error(c->resp, CP_E_INVALID_ARGUMENT, "this request takes no body");
		*want = 0;
		return n == 0;
	}
	/* nginx passes an absent Content-Type as an empty one. */
	if (!(n == 0 && c->rt->body == BODY_JSON_OPT &&
	      (c->req->content_type == NULL || *c->req->content_type == '\0')) &&
	    !http_media_type_is(c->req->content_type, body_type(c->rt->body))) {
		char msg[64];

		snprintf(msg, sizeof msg, "expected %s", body_type(c->rt->body));
		reply_error(c->resp, CP_E_MEDIA_TYPE, msg);
		return false;
	}
	if (n > (c->rt->body == BODY_CSV ? c->w->cfg->import_max : c->w->cfg->body_max)) {
		char msg[64];

		snprintf(msg, sizeof msg, "the body is limited to %zu bytes",
			 c->rt->body == BODY_CSV ? c->w->cfg->import_max : c->w->cfg->body_max);
		reply_error(c->resp, CP_E_TOO_LARGE, msg);
		return false;
	}
	*want = (size_t)n;
	return true;
}

static bool read_body(struct api_ctx *c, size_t want, api_read_fn rd, void *src)
{
	size_t got;

	if (c->rt->body == BODY_CSV) {
		/* Streamed by the handler, after the API key is checked. */
		c->rd = rd;
		c->src = src;
		c->body_want = want;
		want = 0;
	}
	got = want > 0 ? rd(src, c->w->body, want) : 0;
	c->w->body[got] = '\0';
	c->req->body = c->w->body;
	c->req->body_len = got;
	if (got != want) {
		reply_error(c->resp, CP_E_INVALID_ARGUMENT,
			    "the body is shorter than its Content-Length");
		return false;
	}
	return true;
}

/*
 * The database as every worker sees it. While it is unreachable the workers share
 * one back-off (0.25 s doubling to 2 s): a request in between is answered 503 with
 * Retry-After and no connection attempt, and only the request that finds the
 * back-off over tries (a ping or a connect). The outage is logged once as it
 * starts and once as it ends, with the count of requests refused meanwhile.
 */
#define DB_BACKOFF_MIN 0.25
#define DB_BACKOFF_MAX 2.0

static struct {
	pthread_mutex_t lock;
	bool down;
	double since, retry_at, backoff;
	unsigned long long refused, outages, attempts, refused_total;
} dbs = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Whether this request may use the database; false: refused during the back-off. */
static bool db_gate(unsigned int *wait, bool *probe)
{
	double now = api_now();
	bool go = true;

	*probe = false;
	pthread_mutex_lock(&dbs.lock);
	if (dbs.down && now < dbs.retry_at) {
		dbs.refused++;
		dbs.refused_total++;
		*wait = (unsigned int)(dbs.retry_at - now) + 1;
		go = false;
	} else if (dbs.down) {
		dbs.backoff = dbs.backoff * 2 > DB_BACKOFF_MAX ? DB_BACKOFF_MAX : dbs.backoff * 2;
		dbs.retry_at = now + dbs.backoff;
		dbs.attempts++;
		*probe = true;
	}
	pthread_mutex_unlock(&dbs.lock);
	return go;
}

/* Records a failure to reach the database; true if it starts an outage. */
static bool db_outage_begin(const char *why)
{
	double now = api_now();
	bool first;

	pthread_mutex_lock(&dbs.lock);
	if ((first = !dbs.down)) {
		dbs.down = true;
		dbs.since = now;
		dbs.backoff = DB_BACKOFF_MIN;
		dbs.refused = 0;
		dbs.outages++;
	}
	dbs.retry_at = now + dbs.backoff;
	pthread_mutex_unlock(&dbs.lock);
	if (first)
		log_error("database unreachable, answering 503 with Retry-After until it is back: %s",
			  why);
	return first;
}

static void db_outage_end(void)
{
	unsigned long long refused;
	double secs;
	bool was;

	pthread_mutex_lock(&dbs.lock);
	was = dbs.down;
	dbs.down = false;
	refused = dbs.refused;
	secs = api_now() - dbs.since;
	pthread_mutex_unlock(&dbs.lock);
	if (was)
		log_info("database reachable again after %.1f s; %llu requests refused meanwhile", secs,
			 refused);
}

void api_db_state(struct metrics_db *m)
{
	pthread_mutex_lock(&dbs.lock);
	m->up = !dbs.down;
	m->outages = dbs.outages;
	m->refused = dbs.refused_total;
	m->attempts = dbs.attempts;
	pthread_mutex_unlock(&dbs.lock);
}

/* The back-off is over: find out whether the database is back. */
static bool db_probe(struct api_ctx *c)
{
	struct worker *w = c->w;
	struct cp_err e;
	enum cp_status st;

	cp_err_clear(&e);
	if (w->db != NULL) {
		/* A dropped connection fails the first ping; the second reconnects. */
		if (dropped(st = cp_db_ping(w->db, &e), &e))
			st = cp_db_ping(w->db, &e);
	} else if ((st = cp_db_open(&w->db, w->cfg, "coupon-fcgi", &e)) != CP_OK) {
		w->db = NULL;
	}
	if (st != CP_OK) {
		api_fail(c, st, &e);
		return false;
	}
	db_outage_end();
	return true;
}

/* The audit log names the request's API key for what it changes (core/audit.c). */
static struct cp_db *api_db_actor(struct api_ctx *c, struct cp_db *db)
{
	if (c->key_id != 0 && c->rt != NULL && c->rt->scope == CP_SCOPE_ADMIN)
		cp_db_set_actor(db, api_actor(c, db));
	return db;
}

struct cp_db *api_db(struct api_ctx *c)
{
	struct worker *w = c->w;
	struct cp_err e;
	enum cp_status st;
	unsigned int wait = 0;
	bool probe;

	if (!db_gate(&wait, &probe)) {
		http_header(c->resp, "Retry-After: %u", wait);
		reply_error(c->resp, CP_E_DB_UNAVAILABLE, NULL);
		metrics_db_error();
		return NULL;
	}
	if (probe)
		return db_probe(c) ? api_db_actor(c, w->db) : NULL;
	if (w->db != NULL)
		return api_db_actor(c, w->db);
	cp_err_clear(&e);
	if ((st = cp_db_open(&w->db, w->cfg, "coupon-fcgi", &e)) != CP_OK) {
		w->db = NULL;
		api_fail(c, st, &e);
		return NULL;
	}
	log_info("worker %u: connected to the database", w->id);
	return api_db_actor(c, w->db);
}

void api_fail(struct api_ctx *c, enum cp_status st, const struct cp_err *e)
{
	int http = cp_status_http(st);
	const char *why = e != NULL && e->msg[0] ? e->msg : cp_status_message(st);

	if (http >= 500) {
		metrics_db_error();
		/* An outage is logged once, as it starts; its requests are counted, not logged. */
		if (st == CP_E_DB_UNAVAILABLE) {
			db_outage_begin(why);
			http_header(c->resp, "Retry-After: 1");
		} else {
			/* The route, not the path: a path can carry a whole code. */
			log_error("%s %s: %s: %s", c->req->method, c->rt->pattern, cp_status_code(st),
				  why);
		}
		/* Database detail stays in the log; the client gets the stable message. */
		reply_error(c->resp, st, NULL);
		return;
	}
	reply_error_field(c->resp, st, e != NULL ? e->field : NULL, e != NULL ? e->msg : NULL);
}

const char *api_actor(struct api_ctx *c, struct cp_db *db)
{
	struct cp_err e;

	/* The name is for people; when it cannot be read the id still says who. */
	cp_err_clear(&e);
	if (c->actor[0] == '\0' && cp_apikey_actor(db, c->key_id, c->actor, &e) != CP_OK)
		log_error("audit actor of api key %u: %s", (unsigned int)c->key_id, e.msg);
	return c->actor;
}

static bool auth_cached(struct worker *w, const unsigned char *sha, struct api_ctx *c)
{
	double now = api_now();

	for (unsigned int i = 0; i < API_AUTH_CACHE; i++) {
		struct auth_entry *a = &w->auth[i];

		if (a->until > now && CRYPTO_memcmp(a->sha, sha, sizeof a->sha) == 0) {
			c->key_id = a->id;
			c->scopes = a->scopes;
			return true;
		}
	}
	return false;
}

/* Keeps a verified key for a second: revocation shows within that, and the
 * hot path does not pay a key lookup per request. */
static void auth_remember(struct worker *w, const unsigned char *sha, const struct api_ctx *c)
{
	struct auth_entry *a = &w->auth[w->auth_next++ % API_AUTH_CACHE];

	memcpy(a->sha, sha, sizeof a->sha);
	a->id = c->key_id;
	a->scopes = c->scopes;
	a->until = api_now() + 1.0;
}

/*
 * A connection the server dropped while it was idle (a restart, wait_timeout) is
 * only found dead by using it: 2006 (server gone) or 2013 (lost), not a failed
 * connect. Without a second try every worker answered its first request after a
 * database restart with a 503 (tests/crash).
 */
static bool dropped(enum cp_status st, const struct cp_err *e)
{
	return st == CP_E_DB_UNAVAILABLE && (e->db_errno == 2006 || e->db_errno == 2013);
}

static bool authenticate(struct api_ctx *c)
{
	const char *h = c->req->authorization;
	unsigned char sha[32];
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st;
	size_t len;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0) {
		http_header(c->resp, "WWW-Authenticate: Bearer realm=\"coupon\"");
		reply_error(c->resp, CP_E_UNAUTHORIZED, "an Authorization: Bearer API key is required");
		return false;
	}
	h += 7;
	while (*h == ' ')
		h++;
	len = strlen(h);
	if (len == 0 || len > 256 || EVP_DigestInit_ex2(c->w->md, sha256_md, NULL) != 1 ||
	    EVP_DigestUpdate(c->w->md, h, len) != 1 || EVP_DigestFinal_ex(c->w->md, sha, NULL) != 1) {
		http_header(c->resp, "WWW-Authenticate: Bearer realm=\"coupon\", error=\"invalid_token\"");
		reply_error(c->resp, CP_E_UNAUTHORIZED, NULL);
		return false;
	}
	if (!auth_cached(c->w, sha, c)) {
		if ((db = api_db(c)) == NULL)
			return false;
		cp_err_clear(&e);
		st = cp_apikey_verify(db, h, len, &c->key_id, &c->scopes, &e);
		/* The lookup is a read: once more on a new connection. */
		if (dropped(st, &e))
			st = cp_apikey_verify(db, h, len, &c->key_id, &c->scopes, &e);
		if (st == CP_E_UNAUTHORIZED)
			http_header(c->resp, "WWW-Authenticate: Bearer realm=\"coupon\", error=\"invalid_token\"");
		if (st != CP_OK) {
			api_fail(c, st, st == CP_E_UNAUTHORIZED ? NULL : &e);
			return false;
		}
		auth_remember(c->w, sha, c);
	}
	if (!cp_scope_allows(c->scopes, c->rt->scope)) {
		reply_error(c->resp, CP_E_FORBIDDEN, NULL);
		return false;
	}
	return true;
}

static bool parse(struct api_ctx *c)
{
	struct cp_err e;
	enum cp_status st;
	const struct field none[] = {{NULL, FT_STR, 0, 0, false}};
	const struct field *f = c->rt->fields != NULL ? c->rt->fields : none;

	cp_err_clear(&e);
	switch (c->rt->body) {
	case BODY_NONE:
	case BODY_CSV: /* the handler's to read */
		return true;
	case BODY_FORM:
		st = http_parse_form(c->req->body, c->req->body_len, f, &c->ps, &e);
		break;
	default:
		st = http_parse_json(c->req->body, c->req->body_len, f,
				     c->rt->body == BODY_JSON_OPT, &c->ps, &e);
		break;
	}
	if (st != CP_OK)
		reply_error_field(c->resp, st, e.field, e.msg);
	return st == CP_OK;
}

unsigned int api_serve(struct worker *w, struct http_req *req, api_read_fn rd, void *src,
		       struct http_resp *resp)
{
	struct api_ctx c;
	struct cp_err e;
	size_t want;

	memset(&c, 0, sizeof c);
	c.w = w;
	c.req = req;
	c.resp = resp;
	cp_err_clear(&e);
	if (req->method == NULL)
		req->method = "GET";
	if (http_req_path(req, &e) != CP_OK) {
		reply_error(resp, CP_E_INVALID_ARGUMENT, e.msg);
		return EP_UNKNOWN;
	}
	if ((c.rt = route(&c)) == NULL)
		return EP_UNKNOWN;
	if ((c.rt->body != BODY_FORM || form_admit(&c)) &&
	    admit(&c, &want) && read_body(&c, want, rd, src) &&
	    (c.rt->scope == 0 || authenticate(&c)) && parse(&c))
		c.rt->fn(&c);
	/* The public form: one refusal for every failure, HTML unless JSON is asked for. */
	if (c.rt->body == BODY_FORM)
		form_finish(&c);
	params_free(&c.ps);
	return (unsigned int)(c.rt - routes);
}

static void h_healthz(struct api_ctx *c)
{
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st;

	/* During an outage this answers at once (the shared back-off), like any request. */
	if ((db = api_db(c)) == NULL)
		return;
	cp_err_clear(&e);
	/* A dropped connection fails the first ping; the second reconnects. */
	if (dropped(st = cp_db_ping(db, &e), &e))
		st = cp_db_ping(db, &e);
	if (st != CP_OK) {
		api_fail(c, st, &e);
		return;
	}
	reply_json(c->resp, 200);
	buf_printf(&c->resp->body, "{\"status\":\"ok\",\"database\":\"ok\",\"version\":\"%s\"}\n",
		   cp_version());
	http_header(c->resp, "Cache-Control: no-store");
}

/*
 * The worker's connection for a scrape, opened if need be: a scrape reaches any
 * worker, and coupon_db_up must say whether the database answers, not whether
 * that worker happened to be connected. Only outside an outage (the caller).
 */
static struct cp_db *metrics_db_conn(struct worker *w, struct cp_err *e)
{
	if (w->db == NULL && cp_db_open(&w->db, w->cfg, "coupon-fcgi", e) != CP_OK)
		w->db = NULL;
	return w->db;
}

/*
 * What the database knows: whether it answers, running batches, the outbox
 * backlog. During an outage nothing is tried (a scrape must not become a
 * connection attempt then); a scrape that finds the database gone starts the
 * outage as a request would, so coupon_db_up falls with the first failure.
 */
static void metrics_database(struct api_ctx *c)
{
	struct cp_generation_progress g;
	struct cp_outbox_backlog b;
	struct metrics_db d;
	struct cp_db *db = NULL;
	struct cp_err e;
	enum cp_status st = CP_E_DB_UNAVAILABLE;
	bool gen = false, outbox = false;

	cp_err_clear(&e);
	api_db_state(&d);
	if (d.up && (db = metrics_db_conn(c->w, &e)) != NULL &&
	    dropped(st = cp_db_ping(db, &e), &e)) /* the second ping reconnects */
		st = cp_db_ping(db, &e);
	if (d.up && st == CP_E_DB_UNAVAILABLE) {
		db_outage_begin(e.msg[0] ? e.msg : cp_status_message(st));
		api_db_state(&d);
	}
	if (st == CP_OK) {
		gen = cp_generation_progress(db, &g, &e) == CP_OK;
		outbox = cp_outbox_backlog(db, &b, &e) == CP_OK;
	}
	metrics_render_db(&c->resp->body, &d);
	metrics_render_generation(&c->resp->body, gen ? &g : NULL);
	metrics_render_outbox(&c->resp->body, outbox ? &b : NULL);
}

static void h_metrics(struct api_ctx *c)
{
	unsigned long tracked = 0, evicted = 0, untracked = 0;

	if (global_rl != NULL)
		rl_stats(global_rl, &tracked, &evicted, &untracked);
	reply_json(c->resp, 200);
	c->resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	metrics_render(&c->resp->body, tracked, evicted);
	metrics_database(c);
	http_header(c->resp, "Cache-Control: no-store");
}
