/* coupon-relay: shared by its modules. */
#ifndef RELAY_H
#define RELAY_H

#include <stdatomic.h>
#include <stddef.h>
#include <time.h>

#include "coupon.h"

#define RELAY_BATCH_MAX 1000
#define RELAY_ROUTES_MAX 8 /* one per event type */

struct relay_route {
	char *exchange, *key;
};

struct relay_opts {
	char *id;                 /* claims are made in this name */
	char *amqp_url;           /* amqp://user:pass@host:port/vhost; NULL = no broker */
	char *amqp_exchange;      /* default exchange of every type */
	char *amqp_prefix;        /* routing key = prefix + type */
	struct relay_route routes[RELAY_ROUTES_MAX]; /* by cp_event_types index */
	bool amqp_mandatory;      /* unroutable messages count as failures */
	char *webhook_url;        /* NULL = no webhook */
	char *webhook_secret;     /* HMAC-SHA256 key (from webhook-secret-file) */
	size_t webhook_secret_len;
	unsigned int timeout_ms;  /* per broker wait / webhook request */
	unsigned int batch;       /* events per claim */
	unsigned int lease;       /* seconds a claim holds */
	unsigned int poll_ms;     /* idle wait between empty claims */
	unsigned int retry_min_ms, retry_max_ms;
	unsigned int retention;   /* seconds delivered events are kept; 0 = forever */
	char *metrics;            /* host:port of the /metrics listener; NULL = none */
	bool verbose;
};

/* Counters, read by the /metrics thread while the loop writes them. */
struct relay_counters {
	atomic_ullong delivered, failures, retries, db_errors, claims, purged;
	atomic_ullong sink_ok[2], sink_failed[2]; /* by enum relay_sink */
	atomic_ullong backlog, oldest_attempts;
	atomic_ullong oldest_ms;
	atomic_int amqp_connected;
};

enum relay_sink { SINK_AMQP, SINK_WEBHOOK };

extern struct relay_counters relay_stats;

void relay_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The event as JSON (the message body of both sinks), NUL-terminated, in BUF. */
size_t relay_event_json(const struct cp_event *, char *buf, size_t size);
#define RELAY_JSON_MAX 1536 /* the longest event whole (relay_event_json) */

/*
 * Sinks deliver EV[0..n) in order and return how many, from the first, are
 * delivered (the broker confirmed / the webhook answered 2xx); on a failure ERR
 * says why. A sink that stops early without an error ran out of time.
 */
struct amqp_sink;
struct amqp_sink *amqp_sink_create(const struct relay_opts *);
size_t amqp_sink_publish(struct amqp_sink *, const struct cp_event *ev, char (*body)[RELAY_JSON_MAX],
			 size_t n, char *err, size_t errsz);
void amqp_sink_free(struct amqp_sink *);

struct webhook_sink;
struct webhook_sink *webhook_sink_create(const struct relay_opts *);
size_t webhook_sink_post(struct webhook_sink *, const struct cp_event *ev,
			 char (*body)[RELAY_JSON_MAX], size_t n, double deadline, char *err,
			 size_t errsz);
void webhook_sink_free(struct webhook_sink *);
/* "t=T,v1=HEX": HMAC-SHA256 under KEY of "T." + BODY. False if libcrypto failed. */
#define WEBHOOK_SIG_MAX 96
bool webhook_signature(const char *key, size_t keylen, time_t t, const char *body, size_t len,
		       char *out, size_t outsz);

/* The /metrics listener on LISTEN ("127.0.0.1:9188"), in a thread of its own. */
int metrics_start(const char *listen);

double relay_now(void); /* monotonic seconds */

#endif
