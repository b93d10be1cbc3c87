/*
 * bench-fcgi: the ceilings bench/http measures coupon-fcgi against.
 *   noop     a FastCGI responder that answers {} at once (the FastCGI ceiling)
 *   update   a FastCGI responder that runs only the bare prepared conditional
 *            UPDATE, one connection per worker (the HTTP redemption ceiling)
 *   core     the same with the statement the core runs on its hot path (the
 *            single-table UPDATE with its campaign, window and fence checks; kept
 *            in step by hand with core/redeem.c): where the rest of the gap lies
 *   sqlloop  the same UPDATE from a tight loop, no HTTP (for context)
 * The responders use the same process model as coupon-fcgi: N threads, each
 * with its own connection, all in FCGX_Accept_r on one socket.
 */
#include "config.h"

#include <fastcgi.h>
#include <fcgiapp.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "coupon.h"
#include "db.h"

#define MAX_THREADS 256

static const char bare_sql[] =
	"UPDATE coupon_codes SET status = 'redeemed', redeemed_by_user_id = ?,"
	" redeemed_at = NOW(6) WHERE code = ? AND status = 'available'";

/*
 * core/redeem.c's redeem_open_prefix, with the time as NOW(6), the fence as a
 * literal and the list of open campaigns read at start (core_sql()).
 */
static const char core_prefix[] =
	"UPDATE coupon_codes FORCE INDEX (uq_codes_code) SET status = 'redeemed',"
	" redeemed_by_user_id = ?, order_id = NULL, redeemed_at = NOW(6),"
	" reserved_until = NULL, campaign_id = LAST_INSERT_ID(campaign_id << 33) >> 33"
	" WHERE code = ? AND (status = 'available' OR"
	" (status = 'pending' AND reserved_until < NOW(6)))"
	" AND (expires_at IS NULL OR expires_at > NOW(6)) AND NOW(6) < '2999-01-01'"
	" AND campaign_id IN (";
static char core_sql[4096];
static struct cp_config cfg;

/* The core's statement for the campaigns now in the database. */
static bool make_core_sql(void)
{
	struct cp_db *db;
	struct cp_err e;
	MYSQL_RES *res;
	MYSQL_ROW row;
	bool ok;

	if (cp_db_open(&db, &cfg, "bench-fcgi", &e) != CP_OK) {
		fprintf(stderr, "bench-fcgi: %s\n", e.msg);
		return false;
	}
	ok = mysql_query(db_mysql(db), "SELECT GROUP_CONCAT(id) FROM campaigns") == 0 &&
	     (res = mysql_store_result(db_mysql(db))) != NULL;
	if (ok) {
		row = mysql_fetch_row(res);
		ok = row != NULL && row[0] != NULL &&
		     (size_t)snprintf(core_sql, sizeof core_sql, "%s%s)", core_prefix, row[0]) <
			     sizeof core_sql;
		mysql_free_result(res);
	}
	cp_db_close(db);
	if (!ok)
		fprintf(stderr, "bench-fcgi: no campaigns to build the core's statement for\n");
	return ok;
}

static const char *update_sql = bare_sql;
static int listen_fd;
static bool do_update;
static char **codes;
static size_t ncodes;
static atomic_size_t next_code;
static atomic_bool stop;

/* The value of "NAME":"..." in a small JSON body, copied into OUT. */
static bool field(const char *body, const char *name, char *out, size_t outsz)
{
	char key[32];
	const char *p, *q;

	snprintf(key, sizeof key, "\"%s\":\"", name);
	if ((p = strstr(body, key)) == NULL)
		return false;
	p += strlen(key);
	if ((q = strchr(p, '"')) == NULL || (size_t)(q - p) >= outsz)
		return false;
	memcpy(out, p, (size_t)(q - p));
	out[q - p] = '\0';
	return true;
}

static int run_update(struct cp_db *db, const char *code, const char *user)
{
	MYSQL_BIND p[2];
	unsigned long l[2];
	uint64_t n = 0;
	struct cp_err e;

	memset(p, 0, sizeof p);
	db_bind_str(&p[0], user, &l[0]);
	db_bind_str(&p[1], code, &l[1]);
	if (db_run(db, update_sql, p, &n, &e) != CP_OK)
		return 503;
	return n == 1 ? 200 : 409;
}

static void respond(FCGX_Request *rq, struct cp_db *db)
{
	static const char *const bodies[] = {"{}\n", "{\"result\":\"redeemed\"}\n"};
	char body[1024], code[64], user[80], head[128];
	const char *cl = FCGX_GetParam("CONTENT_LENGTH", rq->envp);
	int status = 200, len = cl != NULL ? atoi(cl) : 0, n, got = 0;

	if (do_update) {
		if (len <= 0 || len >= (int)sizeof body)
			status = 400;
		while (status == 200 && got < len && (n = FCGX_GetStr(body + got, len - got, rq->in)) > 0)
			got += n;
		body[got] = '\0';
		if (status == 200 && (!field(body, "code", code, sizeof code) ||
				      !field(body, "user_id", user, sizeof user)))
			status = 400;
		if (status == 200)
			status = run_update(db, code, user);
	}
	n = snprintf(head, sizeof head, "Status: %d\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\n\r\n", status, strlen(bodies[do_update]));
	FCGX_PutStr(head, n, rq->out);
	FCGX_PutStr(bodies[do_update], (int)strlen(bodies[do_update]), rq->out);
}

static void *responder(void *arg)
{
	struct cp_db *db = NULL;
	FCGX_Request rq;
	struct cp_err e;

	(void)arg;
	if (do_update && cp_db_open(&db, &cfg, "bench-fcgi", &e) != CP_OK) {
		fprintf(stderr, "bench-fcgi: %s\n", e.msg);
		exit(1);
	}
	FCGX_InitRequest(&rq, listen_fd, 0);
	while (FCGX_Accept_r(&rq) >= 0) {
		respond(&rq, db);
		FCGX_Finish_r(&rq);
	}
	cp_db_close(db);
	return NULL;
}

static void *looper(void *arg)
{
	struct cp_db *db = NULL;
	struct cp_err e;
	uint64_t *done = arg;
	char user[32];

	if (cp_db_open(&db, &cfg, "bench-fcgi", &e) != CP_OK) {
		fprintf(stderr, "bench-fcgi: %s\n", e.msg);
		exit(1);
	}
	while (!atomic_load(&stop)) {
		size_t i = atomic_fetch_add(&next_code, 1);

		if (i >= ncodes)
			break;
		snprintf(user, sizeof user, "u%zu", i);
		if (run_update(db, codes[i], user) == 200)
			(*done)++;
	}
	cp_db_close(db);
	return NULL;
}

static void load_codes(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[128];
	size_t cap = 0;

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (ncodes == cap)
			codes = realloc(codes, (cap = cap ? cap * 2 : 65536) * sizeof *codes);
		codes[ncodes++] = strdup(line);
	}
	fclose(f);
}

static int sqlloop(unsigned int n, double seconds)
{
	pthread_t t[MAX_THREADS];
	uint64_t done[MAX_THREADS] = {0}, total = 0;
	struct timespec a, b, d = {(time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9)};

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (unsigned int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, looper, &done[i]);
	nanosleep(&d, NULL);
	atomic_store(&stop, true);
	for (unsigned int i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		total += done[i];
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("RESULT rps=%.0f redeemed=%llu threads=%u\n",
	       total / ((double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9),
	       (unsigned long long)total, n);
	return 0;
}

int main(int argc, char **argv)
{
	const char *listen_path = NULL, *file = NULL, *codes_path = NULL;
	unsigned int threads = 16;
	double seconds = 10;
	pthread_t t[MAX_THREADS];
	struct cp_err e;
	sigset_t set;
	int ch, sig;

	while ((ch = getopt(argc, argv, "c:l:t:s:f:")) != -1) {
		switch (ch) {
		case 'c': file = optarg; break;
		case 'l': listen_path = optarg; break;
		case 't': threads = (unsigned int)atoi(optarg); break;
		case 's': seconds = atof(optarg); break;
		case 'f': codes_path = optarg; break;
		default: goto usage;
		}
	}
	if (optind != argc - 1 || threads < 1 || threads > MAX_THREADS)
		goto usage;
	cp_config_init(&cfg);
	if (cp_config_load(&cfg, file, &e) != CP_OK || cp_library_init() != CP_OK) {
		fprintf(stderr, "bench-fcgi: %s\n", e.msg);
		return 1;
	}
	if (strcmp(argv[optind], "sqlloop") == 0 && codes_path != NULL) {
		load_codes(codes_path);
		return sqlloop(threads, seconds);
	}
	if (listen_path == NULL)
		goto usage;
	do_update = strcmp(argv[optind], "update") == 0 || strcmp(argv[optind], "core") == 0;
	if (strcmp(argv[optind], "core") == 0) {
		if (!make_core_sql())
			return 1;
		update_sql = core_sql;
	}
	if (!do_update && strcmp(argv[optind], "noop") != 0)
		goto usage;
	FCGX_Init();
	unlink(listen_path);
	if ((listen_fd = FCGX_OpenSocket(listen_path, 1024)) < 0) {
		perror(listen_path);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	for (unsigned int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, responder, NULL);
	sigwait(&set, &sig);
	unlink(listen_path);
	_exit(0); /* a benchmark: no graceful drain */
usage:
	fprintf(stderr, "usage: bench-fcgi [-c CNF] [-t THREADS] -l SOCKET noop|update|core\n"
			"       bench-fcgi [-c CNF] [-t THREADS] [-s SECONDS] -f CODES sqlloop\n");
	return 2;
}
