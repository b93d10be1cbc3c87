/*
 * coupon-relay: delivers outbox events to RabbitMQ and/or an HTTP webhook, at
 * least once. See man/coupon-relay.8 and doc/DESIGN.md, "Events after a change".
 *
 * The loop: claim a batch (lowest seq first; conditional UPDATEs, so several
 * relays can run side by side without taking the same events), hand it to the
 * sinks, mark the delivered prefix, and on a failure record it, give the rest of
 * the batch back and wait with exponential backoff before claiming again. An
 * event is marked delivered only after the broker confirmed it and the webhook
 * answered 2xx; a crash in between delivers it again (consumers de-duplicate by
 * event_id).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <amqp.h>
#include <curl/curl.h>

#include "relay.h"
#include "text.h"
#include "xmalloc.h"

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static bool to_journal; /* journald stamps lines with the time and our name */

void relay_log(const char *fmt, ...)
{
	char when[32];
	time_t now = time(NULL);
	va_list ap;

	if (!to_journal) {
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
		fprintf(stderr, "%s coupon-relay: ", when);
	}
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

double relay_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleeps MS milliseconds, or less when a signal asks us to stop. */
static void pause_ms(unsigned int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (!stopping && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ------------------------------------------------------------ the message */

/* S as a JSON string, or null when it is empty (no user, no order). */
static void json_or_null(char *buf, size_t size, const char *s)
{
	if (*s == '\0')
		snprintf(buf, size, "null");
	else
		text_json_str(buf, size, s, strlen(s));
}

/* Room for the longest literal: six bytes a byte (\u00XX), two quotes, a NUL. */
#define LITERAL_MAX(n) ((n) * 6 + 3)
/* The body is never cut: the names, numbers and time take under 256 bytes. */
_Static_assert(RELAY_JSON_MAX >= 256 + CP_EVENT_ID_LEN + LITERAL_MAX(CP_CODE_MAX) +
		LITERAL_MAX(CP_USER_MAX) + LITERAL_MAX(CP_ORDER_MAX),
	       "RELAY_JSON_MAX cannot hold every event");

size_t relay_event_json(const struct cp_event *ev, char *buf, size_t size)
{
	char code[LITERAL_MAX(CP_CODE_MAX)], user[LITERAL_MAX(CP_USER_MAX)];
	char order[LITERAL_MAX(CP_ORDER_MAX)], when[32];
	struct tm tm;

	/* A partner's imported code may hold a quote or a backslash. */
	text_json_str(code, sizeof code, ev->code, strlen(ev->code));
	json_or_null(user, sizeof user, ev->user_id);
	json_or_null(order, sizeof order, ev->order_id);
	gmtime_r(&ev->at, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	return (size_t)snprintf(buf, size,
				"{\"event_id\":\"%s\",\"type\":\"%s\",\"seq\":%" PRIu64
				",\"campaign_id\":%" PRIu32 ",\"code\":%s,\"user_id\":%s"
				",\"order_id\":%s,\"time\":\"%s.%06uZ\",\"reward\":%s}",
				ev->event_id, ev->type, ev->seq, ev->campaign_id, code, user,
				order, when, ev->at_usec, ev->reward[0] != '\0' ? ev->reward : "null");
}

/* ------------------------------------------------------------ options */

struct relay {
	struct relay_opts o;
	struct cp_config cfg;
	struct cp_db *db;
	struct amqp_sink *amqp;
	struct webhook_sink *hook;
	unsigned int backoff_ms;
	uint64_t failed_seq; /* the event that failed last, 0 = none */
	double next_gauges, next_purge;
};

static enum cp_status set_secret(struct relay_opts *o, const char *path, struct cp_err *e)
{
	char buf[512];
	FILE *f = fopen(path, "r");
	struct stat sb = {0};
	size_t n;

	if (f == NULL)
		return cp_err_set(e, CP_E_IO, "%s: %s", path, strerror(errno));
	/* As for the code key: a secret others can read or change is no secret. */
	if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode) || (sb.st_mode & 077) != 0) {
		fclose(f);
		return cp_err_set(e, CP_E_INVALID_ARGUMENT,
				  "%s: the webhook secret file must be a regular file of mode 0600"
				  " or 0400 (it is %04o); chmod 600 it",
				  path, (unsigned int)(sb.st_mode & 07777));
	}
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n == 0)
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "%s: the webhook secret is empty", path);
	free(o->webhook_secret);
	o->webhook_secret = xmalloc(n + 1);
	memcpy(o->webhook_secret, buf, n);
	o->webhook_secret[n] = '\0';
	o->webhook_secret_len = n;
	explicit_bzero(buf, sizeof buf);
	return CP_OK;
}

/* "TYPE=EXCHANGE/KEY": that event type goes to its own exchange and routing key. */
static enum cp_status set_route(struct relay_opts *o, const char *v, struct cp_err *e)
{
	const char *eq = strchr(v, '='), *slash = eq ? strchr(eq, '/') : NULL;

	for (size_t i = 0; eq && slash && slash > eq + 1 && slash[1] && cp_event_types[i]; i++) {
		if (strncmp(v, cp_event_types[i], (size_t)(eq - v)) != 0 ||
		    cp_event_types[i][eq - v] != '\0')
			continue;
		free(o->routes[i].exchange);
		free(o->routes[i].key);
		o->routes[i].exchange = xstrndup(eq + 1, (size_t)(slash - eq - 1));
		o->routes[i].key = xstrdup(slash + 1);
		return CP_OK;
	}
	return cp_err_set(e, CP_E_INVALID_ARGUMENT,
			  "takes TYPE=EXCHANGE/KEY with a known type, not '%s'", v);
}

static enum cp_status set_num(unsigned int *out, const char *v, uint64_t min, uint64_t max,
			      struct cp_err *e)
{
	uint64_t n;
	enum cp_status st;

	if ((st = cp_parse_uint(v, min, max, &n, e)) == CP_OK)
		*out = (unsigned int)n;
	return st;
}

static enum cp_status set_duration(unsigned int *out, const char *v, struct cp_err *e)
{
	uint64_t secs;
	enum cp_status st;

	if ((st = cp_parse_duration(v, &secs, e)) != CP_OK)
		return st;
	if (secs > UINT32_MAX)
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "'%s' is too long", v);
	*out = (unsigned int)secs;
	return CP_OK;
}

static enum cp_status set_str(char **out, const char *v)
{
	free(*out);
	*out = xstrdup(v);
	return CP_OK;
}

enum { O_ID = 256, O_AMQP, O_EXCHANGE, O_PREFIX, O_ROUTE, O_NOMANDATORY, O_WEBHOOK, O_SECRET,
       O_TIMEOUT, O_BATCH, O_LEASE, O_POLL, O_RMIN, O_RMAX, O_RETENTION, O_METRICS };

/* The options from O_ID on may also be given in the [coupon-relay] group. */
static const struct option long_opts[] = {
	{"config", required_argument, NULL, 'c'},
	{"id", required_argument, NULL, O_ID},
	{"amqp-url", required_argument, NULL, O_AMQP},
	{"amqp-exchange", required_argument, NULL, O_EXCHANGE},
	{"amqp-routing-prefix", required_argument, NULL, O_PREFIX},
	{"route", required_argument, NULL, O_ROUTE},
	{"no-mandatory", no_argument, NULL, O_NOMANDATORY},
	{"webhook-url", required_argument, NULL, O_WEBHOOK},
	{"webhook-secret-file", required_argument, NULL, O_SECRET},
	{"timeout", required_argument, NULL, O_TIMEOUT},
	{"batch", required_argument, NULL, O_BATCH},
	{"lease", required_argument, NULL, O_LEASE},
	{"poll", required_argument, NULL, O_POLL},
	{"retry-min", required_argument, NULL, O_RMIN},
	{"retry-max", required_argument, NULL, O_RMAX},
	{"retention", required_argument, NULL, O_RETENTION},
	{"metrics", required_argument, NULL, O_METRICS},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

static enum cp_status set_opt(struct relay_opts *o, int ch, const char *v, struct cp_err *e)
{
	switch (ch) {
	case O_ID: return set_str(&o->id, v);
	case O_AMQP: return set_str(&o->amqp_url, v);
	case O_EXCHANGE: return set_str(&o->amqp_exchange, v);
	case O_PREFIX: return set_str(&o->amqp_prefix, v);
	case O_ROUTE: return set_route(o, v, e);
	case O_NOMANDATORY: o->amqp_mandatory = false; return CP_OK;
	case O_WEBHOOK: return set_str(&o->webhook_url, v);
	case O_SECRET: return set_secret(o, v, e);
	case O_TIMEOUT: return set_num(&o->timeout_ms, v, 100, 600000, e);
	case O_BATCH: return set_num(&o->batch, v, 1, RELAY_BATCH_MAX, e);
	case O_LEASE: return set_num(&o->lease, v, 1, 86400, e);
	case O_POLL: return set_num(&o->poll_ms, v, 1, 60000, e);
	case O_RMIN: return set_num(&o->retry_min_ms, v, 1, 3600000, e);
	case O_RMAX: return set_num(&o->retry_max_ms, v, 1, 3600000, e);
	case O_RETENTION: return set_duration(&o->retention, v, e);
	case O_METRICS: return set_str(&o->metrics, v);
	case 'v': o->verbose = true; return CP_OK;
	}
	return cp_err_set(e, CP_E_INVALID_ARGUMENT, "unknown option");
}

/* One "key = value" of the [coupon-relay] group (VALUE NULL for a bare key). */
static enum cp_status file_option(void *o, const char *key, const char *value,
				  struct cp_err *e)
{
	const struct option *opt = long_opts;
	enum cp_status st;

	while (opt->name != NULL && !(opt->val >= O_ID && cp_config_key_is(key, opt->name)))
		opt++;
	if (opt->name == NULL)
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "unknown [coupon-relay] option '%s'",
				  key);
	if (value == NULL && opt->has_arg == required_argument)
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "%s needs a value", opt->name);
	if (value != NULL && opt->has_arg == no_argument)
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "%s takes no value", opt->name);
	if ((st = set_opt(o, opt->val, value, e)) != CP_OK)
		cp_err_prefix(e, "%s", opt->name);
	return st;
}

static void defaults(struct relay_opts *o)
{
	char host[64] = "relay", id[65];

	gethostname(host, sizeof host - 1);
	snprintf(id, sizeof id, "%.40s:%ld", host, (long)getpid());
	memset(o, 0, sizeof *o);
	o->id = xstrdup(id);
	o->amqp_exchange = xstrdup("coupon.events");
	o->amqp_prefix = xstrdup("coupon.");
	o->amqp_mandatory = true;
	o->timeout_ms = 10000;
	o->batch = 100;
	o->lease = 60;
	o->poll_ms = 200;
	o->retry_min_ms = 500;
	o->retry_max_ms = 60000;
	o->retention = 7 * 86400;
}

/* Every type without a --route goes to the default exchange, key prefix + type. */
static void fill_routes(struct relay_opts *o)
{
	for (size_t i = 0; cp_event_types[i] != NULL; i++) {
		size_t n = strlen(o->amqp_prefix) + strlen(cp_event_types[i]) + 1;

		if (o->routes[i].exchange != NULL)
			continue;
		o->routes[i].exchange = xstrdup(o->amqp_exchange);
		o->routes[i].key = xmalloc(n);
		snprintf(o->routes[i].key, n, "%s%s", o->amqp_prefix, cp_event_types[i]);
	}
}

static void free_opts(struct relay_opts *o)
{
	for (size_t i = 0; i < RELAY_ROUTES_MAX; i++) {
		free(o->routes[i].exchange);
		free(o->routes[i].key);
	}
	if (o->webhook_secret != NULL)
		explicit_bzero(o->webhook_secret, o->webhook_secret_len);
	free(o->webhook_secret);
	free(o->id);
	free(o->amqp_url);
	free(o->amqp_exchange);
	free(o->amqp_prefix);
	free(o->webhook_url);
	free(o->metrics);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: coupon-relay [-c FILE] [--amqp-url URL] [--webhook-url URL\n"
		"         --webhook-secret-file FILE] [--id NAME] [--metrics HOST:PORT]\n"
		"         [--amqp-exchange X] [--amqp-routing-prefix P] [--route TYPE=X/KEY]\n"
		"         [--no-mandatory] [--timeout MS] [--batch N] [--lease S] [--poll MS]\n"
		"         [--retry-min MS] [--retry-max MS] [--retention DURATION] [-v]\n"
		"Options may also be set in the [coupon-relay] group of the option file.\n"
		"Option file search path: %s\n",
		cp_config_search_path());
}

/* ------------------------------------------------------------ the loop */

static void db_trouble(struct relay *r, const char *what, const struct cp_err *e)
{
	(void)r;
	atomic_fetch_add(&relay_stats.db_errors, 1);
	relay_log("%s: %s", what, e->msg);
}

static void refresh_gauges(struct relay *r)
{
	struct cp_outbox_backlog b;
	struct cp_err e;
	uint64_t gone = 0;
	double now = relay_now();

	if (now >= r->next_gauges) {
		r->next_gauges = now + 1;
		if (cp_outbox_backlog(r->db, &b, &e) != CP_OK)
			return db_trouble(r, "backlog", &e);
		atomic_store(&relay_stats.backlog, b.pending);
		atomic_store(&relay_stats.oldest_ms, (unsigned long long)(b.oldest_seconds * 1000));
		atomic_store(&relay_stats.oldest_attempts, b.oldest_attempts);
	}
	if (r->o.retention > 0 && now >= r->next_purge) {
		r->next_purge = now + 60;
		if (cp_outbox_purge(r->db, r->o.retention, 10000, &gone, &e) != CP_OK)
			return db_trouble(r, "purge", &e);
		atomic_fetch_add(&relay_stats.purged, gone);
	}
}

/* How many of EV[0..n), from the first, every configured sink has delivered. */
static size_t deliver(struct relay *r, const struct cp_event *ev, size_t n,
		      char (*body)[RELAY_JSON_MAX], char *err, size_t errsz)
{
	size_t k = n, a;

	for (size_t i = 0; i < n; i++)
		relay_event_json(&ev[i], body[i], RELAY_JSON_MAX);
	if (r->amqp != NULL) {
		k = amqp_sink_publish(r->amqp, ev, body, n, err, errsz);
		atomic_fetch_add(&relay_stats.sink_ok[SINK_AMQP], k);
		atomic_fetch_add(&relay_stats.sink_failed[SINK_AMQP], k < n);
	}
	if (r->hook != NULL && k > 0) {
		/* Stop well inside the lease, so no other relay takes what we still send. */
		a = webhook_sink_post(r->hook, ev, body, k, relay_now() + r->o.lease / 2.0,
				      err, errsz);
		atomic_fetch_add(&relay_stats.sink_ok[SINK_WEBHOOK], a);
		atomic_fetch_add(&relay_stats.sink_failed[SINK_WEBHOOK], a < k && err[0]);
		k = a;
	}
	return k;
}

static void on_failure(struct relay *r, const struct cp_event *ev, const char *err)
{
	struct cp_err e;
	unsigned int jitter = 0;

	atomic_fetch_add(&relay_stats.failures, 1);
	getrandom(&jitter, sizeof jitter, GRND_NONBLOCK);
	r->backoff_ms = r->backoff_ms == 0 ? r->o.retry_min_ms : r->backoff_ms * 2;
	if (r->backoff_ms > r->o.retry_max_ms)
		r->backoff_ms = r->o.retry_max_ms;
	r->failed_seq = ev->seq;
	relay_log("event %" PRIu64 " (%s, attempt %u): %s; retrying in %u ms", ev->seq,
		  ev->event_id, ev->attempts + 1, err, r->backoff_ms);
	if (cp_outbox_failed(r->db, r->o.id, ev->seq, r->backoff_ms, err, &e) != CP_OK)
		db_trouble(r, "record failure", &e);
	/* A little jitter, so relays that failed together do not retry in lockstep. */
	pause_ms(r->backoff_ms + jitter % (r->backoff_ms / 8 + 1));
}

/* One round: claim, deliver, record. Returns the events it claimed. */
static size_t round_trip(struct relay *r, struct cp_event *ev, char (*body)[RELAY_JSON_MAX])
{
	char err[512] = "";
	struct cp_err e;
	size_t n = 0, k;
	uint64_t rows = 0;

	if (cp_outbox_claim(r->db, r->o.id, r->o.batch, r->o.lease, ev, &n, &e) != CP_OK) {
		db_trouble(r, "claim", &e);
		pause_ms(r->o.poll_ms * 5);
		return 0;
	}
	if (n == 0)
		return 0;
	atomic_fetch_add(&relay_stats.claims, n);
	k = deliver(r, ev, n, body, err, sizeof err);
	for (size_t i = 0; i < k; i++)
		atomic_fetch_add(&relay_stats.retries, ev[i].attempts > 0);
	if (k > 0 && cp_outbox_delivered(r->db, r->o.id, ev[0].seq, ev[k - 1].seq, &rows, &e) != CP_OK)
		db_trouble(r, "mark delivered", &e); /* they will go out again: at least once */
	atomic_fetch_add(&relay_stats.delivered, rows);
	if (r->o.verbose)
		relay_log("claimed %zu, delivered %zu (seq %" PRIu64 "..)", n, k, ev[0].seq);
	if (k == n) {
		r->backoff_ms = 0;
		r->failed_seq = 0;
	} else if (err[0] != '\0') {
		on_failure(r, &ev[k], err);
	} else if (cp_outbox_release(r->db, r->o.id, ev[k - 1].seq, &e) != CP_OK) {
		db_trouble(r, "release", &e); /* out of time: give the rest back */
	}
	return n;
}

static int run(struct relay *r)
{
	struct cp_event *ev = xcalloc(r->o.batch, sizeof *ev);
	char (*body)[RELAY_JSON_MAX] = xcalloc(r->o.batch, RELAY_JSON_MAX);
	struct cp_err e;

	while (!stopping) {
		refresh_gauges(r);
		if (round_trip(r, ev, body) == 0)
			pause_ms(r->o.poll_ms);
	}
	relay_log("stopping: giving back unsent claims");
	if (cp_outbox_release(r->db, r->o.id, 0, &e) != CP_OK)
		db_trouble(r, "release", &e);
	free(ev);
	free(body);
	return EXIT_SUCCESS;
}

static void print_version(void)
{
	const struct cp_library libs[] = {
		{"librabbitmq", AMQP_VERSION_STRING, amqp_version()},
		{"libcurl", LIBCURL_VERSION, curl_version()},
	};
	char text[1024];

	cp_version_text(text, sizeof text, "coupon-relay", libs, sizeof libs / sizeof libs[0]);
	fputs(text, stdout);
}

static int parse_args(int argc, char **argv, const char **config)
{
	int ch;

	/* The config file first, so flags override its [coupon-relay] group. */
	while ((ch = getopt_long(argc, argv, "c:vhV", long_opts, NULL)) != -1) {
		if (ch == 'c')
			*config = optarg;
		else if (ch == 'h')
			return usage(stdout), 1;
		else if (ch == 'V')
			return print_version(), 1;
		else if (ch == '?')
			return usage(stderr), -1;
	}
	if (optind != argc)
		return usage(stderr), -1;
	return 0;
}

static int apply_flags(struct relay *r, int argc, char **argv)
{
	struct cp_err e;
	int ch, i = 0;

	/* Only long options can fail, and for those getopt_long() sets I. */
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:vhV", long_opts, &i)) != -1)
		if (ch != 'c' && set_opt(&r->o, ch, optarg, &e) != CP_OK)
			return relay_log("--%s: %s", long_opts[i].name, e.msg), -1;
	return 0;
}

static int check_opts(const struct relay_opts *o)
{
	if (o->amqp_url == NULL && o->webhook_url == NULL)
		return relay_log("nothing to deliver to: give --amqp-url and/or --webhook-url"), -1;
	if (o->webhook_url != NULL && o->webhook_secret == NULL)
		return relay_log("--webhook-url needs --webhook-secret-file"), -1;
	if (strlen(o->id) > 64)
		return relay_log("--id: at most 64 characters"), -1;
	return 0;
}

static int start(struct relay *r)
{
	struct cp_err e;

	if (cp_db_open(&r->db, &r->cfg, "coupon-relay", &e) != CP_OK ||
	    cp_schema_check(r->db, &e) != CP_OK)
		return relay_log("database: %s", e.msg), -1;
	if (r->o.metrics != NULL && metrics_start(r->o.metrics) != 0)
		return relay_log("--metrics %s: cannot listen", r->o.metrics), -1;
	if (r->o.amqp_url != NULL)
		r->amqp = amqp_sink_create(&r->o);
	if (r->o.webhook_url != NULL && (r->hook = webhook_sink_create(&r->o)) == NULL)
		return relay_log("libcurl failed to start"), -1;
	relay_log("relay %s started: %s%s%s", r->o.id, r->amqp ? "RabbitMQ" : "",
		  r->amqp && r->hook ? " and " : "", r->hook ? "webhook" : "");
	return 0;
}

int main(int argc, char **argv)
{
	static struct relay r;
	const char *config = NULL;
	struct cp_err e;
	int rc;

	to_journal = cp_stderr_is_journal();
	defaults(&r.o);
	cp_config_init(&r.cfg);
	if ((rc = parse_args(argc, argv, &config)) != 0)
		return rc > 0 ? EXIT_SUCCESS : 2;
	if (cp_config_load(&r.cfg, config, &e) != CP_OK)
		return relay_log("%s", e.msg), EXIT_FAILURE;
	if (r.cfg.file != NULL &&
	    cp_config_read_group(r.cfg.file, "coupon-relay", file_option, &r.o, &e) != CP_OK)
		return relay_log("%s", e.msg), 2;
	if (apply_flags(&r, argc, argv) != 0 || check_opts(&r.o) != 0)
		return 2;
	fill_routes(&r.o);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (cp_library_init() != CP_OK || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return relay_log("library initialisation failed"), EXIT_FAILURE;
	rc = start(&r) == 0 ? run(&r) : EXIT_FAILURE;
	amqp_sink_free(r.amqp);
	webhook_sink_free(r.hook);
	cp_db_close(r.db);
	curl_global_cleanup();
	cp_library_end();
	cp_config_free(&r.cfg);
	free_opts(&r.o);
	return rc;
}
