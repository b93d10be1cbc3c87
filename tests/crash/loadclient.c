/*
 * loadclient: the crash tests' load generator and witness.
 *
 * THREADS threads send POST /api/v1/redeem through nginx over plain HTTP/1.1
 * keep-alive sockets (no client library: the test must see exactly what came
 * back, and nothing may retry behind its back). Every request carries its own
 * Idempotency-Key, and every attempt is logged with its reply. The requests:
 *
 *   own    a code of the thread's own slice, tried by nobody else: must succeed;
 *   hot    one of a few codes all threads fight over: exactly one winner each;
 *   again  an earlier success of this thread, same user and order, new key: the
 *          original success again, marked as a replay.
 *
 * A request whose reply was lost (no answer, a 5xx, 409 in_progress, 429) is in
 * doubt: it may or may not have committed. After the load phase every such
 * request is retried with its same key until it gets a definitive answer, which
 * is what the reconcile step (tests/crash/reconcile.awk) checks against the
 * database.
 *
 * usage: loadclient -p PORT -k KEYFILE -c CODES -H HOTCODES -o LOG
 *                   [-t THREADS] [-d SECONDS] [-r RETRY_SECONDS] [-n PCT]
 * The load phase lasts SECONDS (default 20) or until SIGUSR1; the retries then
 * get at most RETRY_SECONDS (default 120) more.
 * With -n PCT, that percent of the requests carry no key (plain redemptions, which
 * coupon-fcgi commits in groups): one in doubt is retried as it was, and the
 * same user's repeat finds its original success. Their key is logged as "-".
 * Log lines (tab-separated): phase id attempt kind key code user order status
 * error replay ms. Status 0 is "no reply".
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#define RESP_MAX 16384
#define IO_TIMEOUT 15     /* seconds; longer than any answer of a healthy stack */
#define PCT_HOT 10        /* of the requests, percent on a hot code */
#define PCT_AGAIN 3       /* percent replaying an earlier success */
#define DOUBT_PAUSE_MS 100 /* a client backs off after a failure, as shops do */

enum kind { K_OWN, K_HOT, K_AGAIN };
static const char *const kind_names[] = {"own", "hot", "again"};

struct request {
	unsigned long id;
	enum kind kind;
	const char *code;
	char user[16], order[24], key[48];
	int status;
	char error[40];
	bool replay, doubt, ever_doubt;
	unsigned int attempts;
};

struct thread {
	pthread_t tid;
	unsigned int no;
	int fd;
	uint64_t rnd;
	struct request *rq;
	size_t nrq, cap;
	size_t next_own;   /* index into the codes, stepping by the thread count */
	size_t *wins;      /* own requests that succeeded: candidates for "again" */
	size_t nwins;
	char buf[RESP_MAX];
};

struct reply {
	int status;
	char error[40];
	bool replay, close;
};

static struct {
	unsigned short port;
	char key[300];
	char **codes, **hot;
	size_t ncodes, nhot;
	unsigned int threads;
	unsigned int plain_pct; /* of the requests, percent without a key */
	double until, retry, retry_until; /* retry_until: set when the first thread is done */
	const char *run;   /* makes the idempotency keys unique across runs */
	FILE *log;
} g = {.threads = 32};

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t id_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long next_id;
/* SIGUSR1 ends the load phase early: the fault script sends it when it is done. */
static volatile sig_atomic_t stop_load;

static void on_usr1(int sig)
{
	(void)sig;
	stop_load = 1;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("loadclient: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pause_ms(unsigned int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* xorshift64*: per thread, no locks. */
static unsigned int rnd(struct thread *t, unsigned int n)
{
	t->rnd ^= t->rnd >> 12;
	t->rnd ^= t->rnd << 25;
	t->rnd ^= t->rnd >> 27;
	return (unsigned int)((t->rnd * 2685821657736338717ULL) >> 33) % n;
}

/* ------------------------------------------------------------ input */

static char **read_lines(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	char line[256], **v = NULL;
	size_t cap = 0;

	if (f == NULL)
		die("%s: %s", path, strerror(errno));
	*n = 0;
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((v = realloc(v, cap * sizeof *v)) == NULL)
				die("out of memory");
		}
		if ((v[(*n)++] = strdup(line)) == NULL)
			die("out of memory");
	}
	fclose(f);
	return v;
}

static void read_key(const char *path)
{
	size_t n;
	char **v = read_lines(path, &n);

	if (n == 0 || strlen(v[0]) >= sizeof g.key)
		die("%s: no API key", path);
	strcpy(g.key, v[0]);
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* ------------------------------------------------------------ HTTP */

static void hangup(struct thread *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

static bool dial(struct thread *t)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(g.port)};
	struct timeval tv = {IO_TIMEOUT, 0};
	int one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((t->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return false;
	setsockopt(t->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	setsockopt(t->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(t->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(t->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		hangup(t);
		return false;
	}
	return true;
}

static bool send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* The value of header NAME in the head's HLEN bytes, or NULL. */
static const char *header(const char *head, size_t hlen, const char *name)
{
	size_t n = strlen(name);
	const char *end = head + hlen;

	for (const char *p = head; p < end; p++) {
		if (p[0] != '\n' || (size_t)(end - p - 1) <= n)
			continue;
		if (strncasecmp(p + 1, name, n) == 0 && p[1 + n] == ':') {
			p += n + 2;
			while (*p == ' ')
				p++;
			return p;
		}
	}
	return NULL;
}

/* The error code of an API error body: {"error":{"code":"..."}}. */
static void error_code(const char *body, char *out, size_t outsz)
{
	const char *p = strstr(body, "\"error\"");
	size_t n;

	snprintf(out, outsz, "-");
	if (p == NULL || (p = strstr(p, "\"code\":\"")) == NULL)
		return;
	p += 8;
	n = strcspn(p, "\"");
	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

static bool has_value(const char *v, const char *want)
{
	return v != NULL && strncasecmp(v, want, strlen(want)) == 0;
}

/* What the head says; false if it is not an HTTP response head. */
static bool parse_head(const char *buf, size_t hlen, struct reply *r, size_t *body,
		       bool *chunked)
{
	const char *v;

	if (sscanf(buf, "HTTP/1.%*d %d", &r->status) != 1)
		return false;
	v = header(buf, hlen, "Content-Length");
	*body = v != NULL ? strtoul(v, NULL, 10) : 0;
	*chunked = has_value(header(buf, hlen, "Transfer-Encoding"), "chunked");
	r->close = has_value(header(buf, hlen, "Connection"), "close");
	r->replay = has_value(header(buf, hlen, "Idempotent-Replayed"), "true");
	return true;
}

/* Reads one response: the head, then Content-Length bytes (or up to a chunked end). */
static bool read_reply(struct thread *t, struct reply *r)
{
	size_t got = 0, hlen = 0, blen = 0;
	bool chunked = false;
	char *e;

	for (;;) {
		ssize_t n;

		if (hlen > 0 && !chunked && got >= hlen + blen)
			break;
		if (hlen > 0 && chunked && strstr(t->buf + hlen - 2, "\r\n0\r\n\r\n") != NULL)
			break;
		if (got + 1 >= sizeof t->buf)
			return false;
		n = recv(t->fd, t->buf + got, sizeof t->buf - 1 - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		got += (size_t)n;
		t->buf[got] = '\0';
		if (hlen == 0 && (e = strstr(t->buf, "\r\n\r\n")) != NULL) {
			hlen = (size_t)(e + 4 - t->buf);
			if (!parse_head(t->buf, hlen, r, &blen, &chunked))
				return false;
		}
	}
	error_code(t->buf + hlen, r->error, sizeof r->error);
	return true;
}

/* One attempt of the request; status 0 when no reply came. */
static void attempt(struct thread *t, const struct request *q, struct reply *r)
{
	char req[1024], body[256], idem[128] = "";
	int blen, rlen;

	memset(r, 0, sizeof *r);
	snprintf(r->error, sizeof r->error, "no_reply");
	blen = snprintf(body, sizeof body, "{\"code\":\"%s\",\"user_id\":\"%s\",\"order_id\":\"%s\"}",
			q->code, q->user, q->order);
	if (strcmp(q->key, "-") != 0)
		snprintf(idem, sizeof idem, "Idempotency-Key: %s\r\n", q->key);
	rlen = snprintf(req, sizeof req,
			"POST /api/v1/redeem HTTP/1.1\r\nHost: 127.0.0.1\r\n"
			"Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
			"%sContent-Length: %d\r\n\r\n%s",
			g.key, idem, blen, body);
	if (t->fd < 0 && !dial(t))
		return;
	if (!send_all(t->fd, req, (size_t)rlen) || !read_reply(t, r)) {
		/* Whatever came is not a reply: the request is in doubt. */
		memset(r, 0, sizeof *r);
		snprintf(r->error, sizeof r->error, "no_reply");
		hangup(t);
		return;
	}
	if (r->close)
		hangup(t);
}

/* A reply that settles nothing: the request may or may not have taken effect. */
static bool in_doubt(const struct reply *r)
{
	return r->status == 0 || r->status >= 500 || r->status == 429 ||
	       (r->status == 409 && strcmp(r->error, "in_progress") == 0);
}

/* ------------------------------------------------------------ requests */

static void log_attempt(const char *phase, const struct request *q, double ms)
{
	pthread_mutex_lock(&log_lock);
	fprintf(g.log, "%s\t%lu\t%u\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%d\t%.1f\n", phase, q->id,
		q->attempts, kind_names[q->kind], q->key, q->code, q->user, q->order, q->status,
		q->error, q->replay, ms);
	pthread_mutex_unlock(&log_lock);
}

static void run_request(struct thread *t, struct request *q, const char *phase)
{
	struct reply r;
	double t0 = now();

	attempt(t, q, &r);
	q->attempts++;
	q->status = r.status;
	q->replay = r.replay;
	snprintf(q->error, sizeof q->error, "%s", r.error);
	q->doubt = in_doubt(&r);
	q->ever_doubt |= q->doubt;
	log_attempt(phase, q, (now() - t0) * 1e3);
}

static struct request *new_request(struct thread *t, enum kind kind, const char *code)
{
	struct request *q;

	if (t->nrq == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 1024;
		if ((t->rq = realloc(t->rq, t->cap * sizeof *t->rq)) == NULL)
			die("out of memory");
	}
	q = &t->rq[t->nrq++];
	memset(q, 0, sizeof *q);
	pthread_mutex_lock(&id_lock);
	q->id = ++next_id;
	pthread_mutex_unlock(&id_lock);
	q->kind = kind;
	q->code = code;
	snprintf(q->user, sizeof q->user, "t%u", t->no);
	snprintf(q->order, sizeof q->order, "o%lu", q->id);
	if (rnd(t, 100) < g.plain_pct)
		snprintf(q->key, sizeof q->key, "-");
	else
		snprintf(q->key, sizeof q->key, "%s-%lu", g.run, q->id);
	return q;
}

/* The next request of the load phase; NULL when the thread's own codes ran out. */
static struct request *pick(struct thread *t)
{
	unsigned int dice = rnd(t, 100);
	struct request *q;

	if (dice < PCT_HOT && g.nhot > 0)
		return new_request(t, K_HOT, g.hot[rnd(t, (unsigned int)g.nhot)]);
	if (dice < PCT_HOT + PCT_AGAIN && t->nwins > 0) {
		/* By index: new_request() may move the array. */
		size_t w = t->wins[rnd(t, (unsigned int)t->nwins)];

		q = new_request(t, K_AGAIN, t->rq[w].code);
		memcpy(q->user, t->rq[w].user, sizeof q->user);
		memcpy(q->order, t->rq[w].order, sizeof q->order);
		return q;
	}
	if (t->next_own >= g.ncodes)
		return NULL;
	q = new_request(t, K_OWN, g.codes[t->next_own]);
	t->next_own += g.threads;
	return q;
}

static void remember_win(struct thread *t, const struct request *q)
{
	if (q->kind != K_OWN || q->status != 200)
		return;
	if ((t->wins = realloc(t->wins, (t->nwins + 1) * sizeof *t->wins)) == NULL)
		die("out of memory");
	t->wins[t->nwins++] = (size_t)(q - t->rq);
}

static void load_phase(struct thread *t)
{
	struct request *q;

	while (!stop_load && now() < g.until && (q = pick(t)) != NULL) {
		run_request(t, q, "load");
		remember_win(t, q);
		if (q->doubt)
			pause_ms(DOUBT_PAUSE_MS + rnd(t, DOUBT_PAUSE_MS));
	}
}

/* Each request in doubt again, with its same key, until it is settled. */
static void retry_phase(struct thread *t, double until)
{
	for (size_t i = 0; i < t->nrq; i++) {
		struct request *q = &t->rq[i];

		/* At once the first time: by now the stack is normally healthy again. */
		for (bool first = true; q->doubt && now() < until; first = false) {
			if (!first)
				pause_ms(DOUBT_PAUSE_MS + rnd(t, DOUBT_PAUSE_MS));
			run_request(t, q, "retry");
		}
	}
}

static void *thread_main(void *arg)
{
	struct thread *t = arg;
	double until;

	t->fd = -1;
	t->next_own = t->no;
	load_phase(t);
	pthread_mutex_lock(&id_lock);
	if (g.retry_until == 0)
		g.retry_until = now() + g.retry;
	until = g.retry_until;
	pthread_mutex_unlock(&id_lock);
	retry_phase(t, until);
	hangup(t);
	return NULL;
}

/* ------------------------------------------------------------ main */

struct tally {
	unsigned long requests, successes, replays, refusals, doubted, attempts, unsettled;
	unsigned long by_kind[3];
};

static void count(struct tally *s, const struct thread *ts)
{
	memset(s, 0, sizeof *s);
	for (unsigned int i = 0; i < g.threads; i++) {
		for (size_t j = 0; j < ts[i].nrq; j++) {
			const struct request *q = &ts[i].rq[j];

			s->requests++;
			s->by_kind[q->kind]++;
			s->attempts += q->attempts;
			s->doubted += q->ever_doubt;
			if (q->doubt)
				s->unsettled++;
			else if (q->status == 200)
				s->successes++, s->replays += q->replay;
			else
				s->refusals++;
		}
	}
}

static void usage(void)
{
	fputs("usage: loadclient -p PORT -k KEYFILE -c CODES -H HOTCODES -o LOG\n"
	      "                  [-t THREADS] [-d SECONDS] [-r RETRY_SECONDS] [-n PCT]\n",
	      stderr);
	exit(2);
}

static void parse_args(int argc, char **argv, double *dur, double *retry)
{
	const char *codes = NULL, *hot = NULL, *log = NULL;
	static char run[32];
	int ch;

	while ((ch = getopt(argc, argv, "p:k:c:H:o:t:d:r:n:")) != -1) {
		switch (ch) {
		case 'p': g.port = (unsigned short)strtoul(optarg, NULL, 10); break;
		case 'k': read_key(optarg); break;
		case 'c': codes = optarg; break;
		case 'H': hot = optarg; break;
		case 'o': log = optarg; break;
		case 't': g.threads = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'd': *dur = strtod(optarg, NULL); break;
		case 'r': *retry = strtod(optarg, NULL); break;
		case 'n': g.plain_pct = (unsigned int)strtoul(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (g.port == 0 || g.key[0] == '\0' || codes == NULL || hot == NULL || log == NULL ||
	    g.threads == 0 || g.threads > 1024 || g.plain_pct > 100 || optind != argc)
		usage();
	g.codes = read_lines(codes, &g.ncodes);
	g.hot = read_lines(hot, &g.nhot);
	if ((g.log = fopen(log, "w")) == NULL)
		die("%s: %s", log, strerror(errno));
	snprintf(run, sizeof run, "lc%ld-%ld", (long)getpid(), (long)time(NULL));
	g.run = run;
}

int main(int argc, char **argv)
{
	double dur = 20, retry = 120, t0;
	struct thread *ts;
	struct tally s;

	parse_args(argc, argv, &dur, &retry);
	signal(SIGUSR1, on_usr1);
	if ((ts = calloc(g.threads, sizeof *ts)) == NULL)
		die("out of memory");
	t0 = now();
	g.until = t0 + dur;
	g.retry = retry;
	for (unsigned int i = 0; i < g.threads; i++) {
		ts[i].no = i;
		ts[i].rnd = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)getpid() << 20) ^ (i + 1) * 7919ULL;
		if (pthread_create(&ts[i].tid, NULL, thread_main, &ts[i]) != 0)
			die("cannot start thread %u", i);
	}
	for (unsigned int i = 0; i < g.threads; i++)
		pthread_join(ts[i].tid, NULL);
	if (fclose(g.log) != 0)
		die("log: %s", strerror(errno));
	count(&s, ts);
	printf("loadclient: %lu requests (%lu own, %lu hot, %lu again) in %.1f s, %lu attempts; "
	       "%lu successes (%lu replays), %lu refusals, %lu in doubt at first, "
	       "%lu still in doubt\n",
	       s.requests, s.by_kind[K_OWN], s.by_kind[K_HOT], s.by_kind[K_AGAIN], now() - t0,
	       s.attempts, s.successes, s.replays, s.refusals, s.doubted, s.unsettled);
	for (unsigned int i = 0; i < g.threads; i++) {
		free(ts[i].rq);
		free(ts[i].wins);
	}
	free(ts);
	return s.unsettled == 0 ? 0 : 1;
}
