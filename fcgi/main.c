/*
 * coupon-fcgi: the FastCGI responder behind nginx, lighttpd or Apache.
 *
 * This file is the process: options, the listening socket (inherited from
 * spawn-fcgi or systemd, or opened with --listen), N worker threads each with
 * its own database connection, and signals. The connections are dispatch.c's
 * (one thread watches them all, the workers take those with a request); the
 * mapping of a FastCGI request onto api_serve() is transport.c's; everything a
 * request means is in api*.c.
 */
#include "config.h"

#include <errno.h>
#include <fastcgi.h>
#include <fcgiapp.h>
#include <cjson/cJSON.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "activation.h"
#include "api.h"
#include "dispatch.h"
#include "health.h"
#include "log.h"
#include "metrics.h"
#include "transport.h"
#include "xmalloc.h"

#define SUMMARY_INTERVAL 60      /* seconds between log summaries */
#define PURGE_INTERVAL 600       /* seconds between idempotency-key purges */
#define STOP_GRACE 20            /* seconds to wait for in-flight requests */
#define RL_SLOTS 16384
#define STACK_SIZE (512 * 1024)

struct opts {
	const char *config;
	const char *pid_file;
	unsigned int backlog;
	mode_t listen_mode;
	bool check;
	bool access_log;
	int activated_fd; /* the socket from systemd, or ACTIVATION_NONE */
};

struct wthread {
	pthread_t tid;
	struct worker w;
	struct http_resp resp;
	FCGX_Request rq;
	struct dispatch *d;
	bool access_log;
};

static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static unsigned int workers_left;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: coupon-fcgi [options]\n"
		"  -c, --config FILE     option file (default: first of %s)\n"
		"  -l, --listen ADDR     unix socket path or [host]:port (default: the socket\n"
		"                        from systemd (LISTEN_FDS), else the one inherited\n"
		"                        on fd 0, as from spawn-fcgi)\n"
		"  -t, --threads N       worker threads, one database connection each\n"
		"  -b, --backlog N       listen backlog (default 1024)\n"
		"  -m, --listen-mode M   permissions of a unix socket (octal, default 0660)\n"
		"  -L, --log-file FILE   log here instead of stderr; SIGHUP reopens it\n"
		"  -p, --pid-file FILE   write the process id here\n"
		"  -o, --set KEY=VALUE   any option of the [coupon] or [coupon-fcgi] group\n"
		"  -a, --access-log      log every request (costly at high rates)\n"
		"      --check           connect, check the schema and exit\n"
		"  -h, --help            this help\n"
		"  -V, --version         print the version\n"
		"\nSee coupon-fcgi(8).\n",
		cp_config_search_path());
}

static int check(const struct cp_config *cfg)
{
	struct cp_db *db = NULL;
	struct cp_err e;
	enum cp_status st;

	cp_err_clear(&e);
	st = cp_db_open(&db, cfg, "coupon-fcgi", &e);
	if (st == CP_OK)
		st = cp_schema_check(db, &e);
	cp_db_close(db);
	if (st != CP_OK) {
		fprintf(stderr, "coupon-fcgi: %s\n", e.msg);
		return EXIT_FAILURE;
	}
	printf("coupon-fcgi: database and schema OK\n");
	return EXIT_SUCCESS;
}

/* One request on connection FD; returns the connection if it stays open, else -1. */
static int serve(struct wthread *t, int fd)
{
	double t0 = api_now();
	struct http_req req;
	unsigned int ep, nep;
	char method[16] = "";

	if (!transport_accept(&t->rq, fd))
		return -1; /* the web server closed it, or broke the protocol */
	metrics_inflight(1);
	transport_request(&t->rq, &req);
	http_resp_reset(&t->resp);
	ep = api_serve(&t->w, &req, transport_read, t->rq.in, &t->resp);
	transport_respond(&t->rq, &t->resp);
	/* Finishing frees the parameters req.method points into. */
	if (t->access_log)
		snprintf(method, sizeof method, "%s", req.method != NULL ? req.method : "-");
	fd = transport_finish(&t->rq);
	metrics_request(ep, t->resp.status, api_now() - t0);
	metrics_inflight(-1);
	/* The endpoint, not the path: paths can carry codes (/api/v1/codes/CODE). */
	if (t->access_log)
		log_info("%s %s %d %.3fms", method, api_endpoint_names(&nep)[ep],
			 t->resp.status, (api_now() - t0) * 1e3);
	return fd;
}

static void *worker_main(void *arg)
{
	struct wthread *t = arg;
	struct cp_err e;
	int fd;

	cp_err_clear(&e);
	if (cp_db_open(&t->w.db, t->w.cfg, "coupon-fcgi", &e) != CP_OK) {
		t->w.db = NULL;
		if (t->w.id == 0)
			log_warn("database unavailable at start (answering 503 until it is back): %s",
				 e.msg);
	}
	/* No listening socket: connections come from the dispatcher. */
	FCGX_InitRequest(&t->rq, -1, 0);
	while ((fd = dispatch_take(t->d)) >= 0)
		dispatch_done(t->d, fd, serve(t, fd) < 0);
	FCGX_Free(&t->rq, 0);
	pthread_mutex_lock(&done_lock);
	workers_left--;
	pthread_cond_signal(&done_cond);
	pthread_mutex_unlock(&done_lock);
	return NULL;
}

/* ------------------------------------------------------------ process */

static int open_listener(const struct cp_config *cfg, const struct opts *o)
{
	const char *addr = cfg->listen;
	struct stat sb;
	int fd;

	if (o->activated_fd != ACTIVATION_NONE)
		return o->activated_fd;
	if (addr == NULL) {
		/* spawn-fcgi and friends hand the socket over as fd 0. */
		if (fstat(FCGI_LISTENSOCK_FILENO, &sb) != 0 || !S_ISSOCK(sb.st_mode)) {
			fprintf(stderr, "coupon-fcgi: no --listen, no socket from systemd and fd 0 "
					"is not a socket (run under spawn-fcgi, or give --listen "
					"PATH|HOST:PORT)\n");
			return -1;
		}
		return FCGI_LISTENSOCK_FILENO;
	}
	if (strchr(addr, ':') == NULL && lstat(addr, &sb) == 0 && S_ISSOCK(sb.st_mode))
		unlink(addr); /* a socket left by an earlier run */
	if ((fd = FCGX_OpenSocket(addr, (int)o->backlog)) < 0) {
		fprintf(stderr, "coupon-fcgi: cannot listen on %s: %s\n", addr, strerror(errno));
		return -1;
	}
	if (strchr(addr, ':') == NULL && chmod(addr, o->listen_mode) != 0)
		log_warn("chmod %s: %s", addr, strerror(errno));
	return fd;
}

static void summary(unsigned long long *last_req, unsigned long long *last_5xx,
		    unsigned long long *last_4xx, unsigned int secs)
{
	unsigned long long req, e5, e4;

	metrics_totals(&req, &e5, &e4);
	if (req != *last_req)
		log_info("last %us: %llu requests (%.0f/s), %llu 4xx, %llu 5xx", secs,
			 req - *last_req, (double)(req - *last_req) / secs, e4 - *last_4xx,
			 e5 - *last_5xx);
	*last_req = req;
	*last_5xx = e5;
	*last_4xx = e4;
}

static void purge(const struct cp_config *cfg, struct cp_db **db)
{
	struct cp_err e;
	uint64_t n = 0;

	cp_err_clear(&e);
	if (*db == NULL && cp_db_open(db, cfg, "coupon-fcgi-housekeeping", &e) != CP_OK) {
		*db = NULL;
		return;
	}
	if (cp_idempotency_purge(*db, cfg->idempotency_retention, &n, &e) != CP_OK)
		log_warn("idempotency purge: %s", e.msg);
	else if (n > 0)
		log_info("purged %llu idempotency keys", (unsigned long long)n);
}

/* The main thread: signals, the periodic summary and housekeeping. */
static void supervise(const struct cp_config *cfg, const sigset_t *set)
{
	unsigned long long req = 0, e5 = 0, e4 = 0;
	struct timespec tick = {SUMMARY_INTERVAL, 0};
	time_t last_purge = 0;
	struct cp_db *hk = NULL;
	int sig;

	for (;;) {
		sig = sigtimedwait(set, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT)
			break;
		if (sig == SIGHUP) {
			log_reopen();
			continue;
		}
		if (sig < 0 && errno == EAGAIN) {
			summary(&req, &e5, &e4, SUMMARY_INTERVAL);
			if (time(NULL) - last_purge >= PURGE_INTERVAL) {
				purge(cfg, &hk);
				last_purge = time(NULL);
			}
		}
	}
	cp_db_close(hk);
	log_info("signal %d: finishing in-flight requests", sig);
}

/*
 * Stops accepting and closes idle connections; waits for the workers to answer
 * the requests in flight and those already queued.
 */
static bool drain(struct dispatch *d, int listen_fd)
{
	struct timespec until;
	bool all = true;

	api_shutdown();
	FCGX_ShutdownPending();
	dispatch_stop(d);
	/* New connections are refused at once, not left in the backlog until exit. */
	shutdown(listen_fd, SHUT_RDWR);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += STOP_GRACE;
	pthread_mutex_lock(&done_lock);
	while (workers_left > 0 && all)
		all = pthread_cond_timedwait(&done_cond, &done_lock, &until) != ETIMEDOUT;
	pthread_mutex_unlock(&done_lock);
	return all;
}

static bool start_workers(struct wthread *ts, unsigned int n, const struct cp_config *cfg,
			  struct ratelimit *rl, struct dispatch *d, const struct opts *o)
{
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, STACK_SIZE);
	workers_left = n;
	for (unsigned int i = 0; i < n; i++) {
		worker_init(&ts[i].w, i, cfg, rl);
		http_resp_init(&ts[i].resp);
		ts[i].d = d;
		ts[i].access_log = o->access_log;
		if (pthread_create(&ts[i].tid, &attr, worker_main, &ts[i]) != 0) {
			log_error("cannot start worker %u", i);
			pthread_attr_destroy(&attr);
			return false;
		}
	}
	pthread_attr_destroy(&attr);
	return true;
}

static int serve_all(const struct cp_config *cfg, const struct opts *o)
{
	unsigned int n = cfg->threads;
	struct wthread *ts;
	struct ratelimit *rl;
	struct dispatch *d;
	struct cp_err e;
	sigset_t set;
	bool clean;
	int fd;

	if (FCGX_Init() != 0 || (fd = open_listener(cfg, o)) < 0)
		return EXIT_FAILURE;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* inherited by the workers */
	if (cfg->site == NULL || *cfg->site == '\0')
		log_warn("no 'site' configured: the customer form (POST /redeem) is refused "
			 "with 403 until it is set; the API is served");
	cp_err_clear(&e);
	if (!api_init(cfg, n, &e)) {
		log_error("%s", e.msg);
		return EXIT_FAILURE;
	}
	rl = rl_create(RL_SLOTS);
	if (!health_start(cfg))
		return EXIT_FAILURE;
	if ((d = dispatch_start(fd, cfg->max_connections)) == NULL)
		return EXIT_FAILURE;
	ts = xcalloc(n, sizeof *ts);
	if (!start_workers(ts, n, cfg, rl, d, o))
		exit(EXIT_FAILURE);
	log_info("coupon-fcgi %s: %u threads, at most %u connections, on %s", cp_version(), n,
		 cfg->max_connections, cfg->listen != NULL ? cfg->listen
		 : o->activated_fd != ACTIVATION_NONE ? "the socket from systemd"
						      : "the inherited socket");
	supervise(cfg, &set);
	clean = drain(d, fd);
	health_stop();
	api_wait();
	if (!clean) {
		log_warn("stopped with %u requests still running after %d s", workers_left,
			 STOP_GRACE);
		return EXIT_SUCCESS;
	}
	dispatch_free(d);
	for (unsigned int i = 0; i < n; i++) {
		pthread_join(ts[i].tid, NULL);
		worker_free(&ts[i].w);
		http_resp_free(&ts[i].resp);
	}
	free(ts);
	rl_free(rl);
	if (cfg->listen != NULL && strchr(cfg->listen, ':') == NULL)
		unlink(cfg->listen);
	log_info("stopped");
	return EXIT_SUCCESS;
}

/* ------------------------------------------------------------ options */

static int set_opt(struct cp_config *cfg, const char *key, const char *value)
{
	struct cp_err e;

	cp_err_clear(&e);
	if (api_option_known(key) ? api_option(NULL, key, value, &e) == CP_OK
				  : cp_config_set(cfg, key, value, &e) == CP_OK)
		return 0;
	fprintf(stderr, "coupon-fcgi: %s\n", e.msg);
	return 2;
}

static int set_kv(struct cp_config *cfg, const char *kv)
{
	const char *eq = strchr(kv, '=');
	char key[64];

	if (eq == NULL || (size_t)(eq - kv) >= sizeof key) {
		fprintf(stderr, "coupon-fcgi: --set takes KEY=VALUE, got '%s'\n", kv);
		return 2;
	}
	memcpy(key, kv, (size_t)(eq - kv));
	key[eq - kv] = '\0';
	return set_opt(cfg, key, eq + 1);
}

static const struct option long_opts[] = {
	{"config", required_argument, NULL, 'c'},
	{"listen", required_argument, NULL, 'l'},
	{"threads", required_argument, NULL, 't'},
	{"backlog", required_argument, NULL, 'b'},
	{"listen-mode", required_argument, NULL, 'm'},
	{"log-file", required_argument, NULL, 'L'},
	{"pid-file", required_argument, NULL, 'p'},
	{"set", required_argument, NULL, 'o'},
	{"access-log", no_argument, NULL, 'a'},
	{"check", no_argument, NULL, 'k'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

/* Flags that map onto [coupon] keys are applied after the file: flags win. */
struct flag_set {
	const char *key;
	const char *value;
};

static void print_version(void)
{
	char cjson[32], text[1024];
	const struct cp_library libs[] = {
		{"libfcgi", FCGI_FOUND, NULL},
		{"cJSON", cjson, cJSON_Version()},
	};

	snprintf(cjson, sizeof cjson, "%d.%d.%d", CJSON_VERSION_MAJOR, CJSON_VERSION_MINOR,
		 CJSON_VERSION_PATCH);
	cp_version_text(text, sizeof text, "coupon-fcgi", libs, sizeof libs / sizeof libs[0]);
	fputs(text, stdout);
}

static int parse_args(int argc, char **argv, struct opts *o, struct flag_set *fs, size_t *nfs)
{
	static const char *const keys[] = {['l'] = "listen", ['t'] = "threads", ['L'] = "log-file"};
	uint64_t v;
	char *end;
	int ch;

	while ((ch = getopt_long(argc, argv, "c:l:t:b:m:L:p:o:ahV", long_opts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 'l': case 't': case 'L': case 'o':
			if (*nfs == 32)
				return 2;
			fs[*nfs].key = ch == 'o' ? NULL : keys[ch];
			fs[(*nfs)++].value = optarg;
			break;
		case 'b':
			if (cp_parse_uint(optarg, 1, 65535, &v, NULL) != CP_OK)
				return fprintf(stderr, "coupon-fcgi: bad --backlog\n"), 2;
			o->backlog = (unsigned int)v;
			break;
		case 'm':
			v = strtoul(optarg, &end, 8);
			if (*optarg == '\0' || *end != '\0' || v > 0777)
				return fprintf(stderr, "coupon-fcgi: bad --listen-mode\n"), 2;
			o->listen_mode = (mode_t)v;
			break;
		case 'p': o->pid_file = optarg; break;
		case 'a': o->access_log = true; break;
		case 'k': o->check = true; break;
		case 'h': usage(stdout); exit(EXIT_SUCCESS);
		case 'V': print_version(); exit(EXIT_SUCCESS);
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	return 0;
}

/*
 * A socket handed over by systemd wins over "listen": the unit's socket is the
 * one the web server was pointed at. It is systemd's to remove, not ours.
 */
static bool take_activated_socket(struct cp_config *cfg, struct opts *o)
{
	char err[128];

	o->activated_fd = activation_listen_fd(err, sizeof err);
	if (o->activated_fd == ACTIVATION_ERROR) {
		log_error("socket activation: %s", err);
		return false;
	}
	if (o->activated_fd != ACTIVATION_NONE && cfg->listen != NULL) {
		log_warn("socket activation: ignoring listen = %s", cfg->listen);
		free(cfg->listen);
		cfg->listen = NULL;
	}
	return true;
}

static bool write_pid(const char *path)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return false;
	fprintf(f, "%ld\n", (long)getpid());
	return fclose(f) == 0;
}

int main(int argc, char **argv)
{
	struct opts o = {.backlog = 1024, .listen_mode = 0660, .activated_fd = ACTIVATION_NONE};
	struct flag_set fs[32];
	size_t nfs = 0;
	struct cp_config cfg;
	struct cp_err e;
	int rc, errnum = 0;

	if ((rc = parse_args(argc, argv, &o, fs, &nfs)) != 0)
		return rc;
	cp_config_init(&cfg);
	cp_err_clear(&e);
	if (cp_config_load(&cfg, o.config, &e) != CP_OK) {
		fprintf(stderr, "coupon-fcgi: %s\n", e.msg);
		cp_config_free(&cfg);
		return 2;
	}
	if (cfg.file != NULL &&
	    cp_config_read_group(cfg.file, "coupon-fcgi", api_option, NULL, &e) != CP_OK) {
		fprintf(stderr, "coupon-fcgi: %s\n", e.msg);
		cp_config_free(&cfg);
		return 2;
	}
	for (size_t i = 0; i < nfs; i++)
		if ((rc = fs[i].key != NULL ? set_opt(&cfg, fs[i].key, fs[i].value)
					    : set_kv(&cfg, fs[i].value)) != 0) {
			cp_config_free(&cfg);
			return rc;
		}
	signal(SIGPIPE, SIG_IGN); /* a client gone mid-reply is an error return, not death */
	if (cp_library_init() != CP_OK)
		return EXIT_FAILURE;
	if (o.check) {
		rc = check(&cfg);
	} else if (!log_open(cfg.log_file, &errnum)) {
		fprintf(stderr, "coupon-fcgi: %s: %s\n", cfg.log_file, strerror(errnum));
		rc = EXIT_FAILURE;
	} else if (!take_activated_socket(&cfg, &o)) {
		rc = EXIT_FAILURE;
	} else if (o.pid_file != NULL && !write_pid(o.pid_file)) {
		fprintf(stderr, "coupon-fcgi: %s: %s\n", o.pid_file, strerror(errno));
		rc = EXIT_FAILURE;
	} else {
		rc = serve_all(&cfg, &o);
		if (o.pid_file != NULL)
			unlink(o.pid_file);
	}
	cp_library_end();
	cp_config_free(&cfg);
	return rc;
}
