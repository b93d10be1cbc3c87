/*
 * The handlers behind coupon-fcgi: a route table, authentication, rate limits and
 * the JSON/HTML replies. Transport-free: main.c hands in CGI variables and a body
 * reader, so the unit tests drive the same code without a web server.
 */
#ifndef API_H
#define API_H

#include <stdbool.h>
#include <time.h>

#include "coupon.h"
#include "http.h"
#include "ratelimit.h"

#define API_AUTH_CACHE 4

struct auth_entry {
	unsigned char sha[32];   /* SHA-256 of the presented secret */
	uint32_t id;
	unsigned int scopes;
	double until;            /* monotonic seconds */
};

/* One per worker thread: its own connection and scratch space. */
struct worker {
	unsigned int id;
	const struct cp_config *cfg;
	struct cp_db *db;        /* NULL while the database cannot be reached */
	struct ratelimit *rl;    /* shared by all workers */
	char *body;              /* cfg->body_max + 1 bytes */
	struct auth_entry auth[API_AUTH_CACHE];
	unsigned int auth_next;
	struct evp_md_ctx_st *md; /* reused for the API key's SHA-256 */
};

/* Reads up to N bytes of the body; returns how many (fewer only at its end). */
typedef size_t (*api_read_fn)(void *src, char *buf, size_t n);

void worker_init(struct worker *, unsigned int id, const struct cp_config *, struct ratelimit *);
void worker_free(struct worker *);

/*
 * Global state: call once before the workers start (metrics labels, trusted
 * proxies). False with E set on a bad setting.
 */
bool api_init(const struct cp_config *, unsigned int threads, struct cp_err *e);
/*
 * coupon-fcgi's own options ([coupon-fcgi] group, or --set): group-commit,
 * group-commit-groups. A cp_option_fn; set them before api_init().
 */
bool api_option_known(const char *key);
enum cp_status api_option(void *arg, const char *key, const char *value, struct cp_err *e);
/* Whether background work (batch generation) should stop: set at shutdown. */
void api_shutdown(void);
/* Waits for background work to end. */
void api_wait(void);

/*
 * Serves one request: routes it, checks method, content type and length before
 * reading the body through READ, authenticates, parses and answers in RESP.
 * Returns the endpoint index for metrics.
 */
unsigned int api_serve(struct worker *, struct http_req *, api_read_fn, void *src,
		       struct http_resp *);
const char *const *api_endpoint_names(unsigned int *n);

/* Monotonic clock in seconds. */
double api_now(void);

#endif
