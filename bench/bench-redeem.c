/*
 * bench/redeem: redemptions per second and latency, side by side, in one run:
 *   core       cp_redeem() - the product's path (normalise, the single-table
 *              conditional UPDATE with the open campaigns and their fence, reply
 *              with the campaign)
 *   bare       the bare conditional UPDATE, prepared, autocommit, tight loop (ceiling)
 *   forupdate  the pessimistic variant: BEGIN; SELECT ... FOR UPDATE; UPDATE; COMMIT
 *   capped     cp_redeem() in a campaign with a cap (max_redemptions, core/cap.c)
 *              far above what a run redeems: each redemption also takes a unit of
 *              one of the cap's slot rows; the target is at least 0.8x core
 * Distinct codes (each redeemed once), one connection per thread, cells of a fixed
 * duration interleaved across modes in the four orders of a Williams square (half a
 * second apart: each mode runs in each place, and after each other mode, once) so drift
 * and the wake of the previous cell hit all alike, medians of repetitions.
 * The ratios are given twice: of the modes' medians, and the median of the ratios
 * within each repetition (its cells run back to back, so a shared machine's drift
 * cancels out of them).
 *
 * Seeds the campaigns "bench" and "bench capped" with N codes each first if they
 * have fewer (--seed N).
 * Not part of make check: bench/redeem (the wrapper) builds and runs it.
 */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "coupon.h"
#include "db.h"

#define MAX_THREADS 256
#define MAX_COUNTS 8
#define MAX_REPS 18
#define LAT_CAP (1u << 17)

enum mode { M_CORE, M_BARE, M_FORUPDATE, M_CAPPED, M_COUNT };
static const char *const mode_names[] = {"core", "bare", "forupdate", "capped"};
/* The capped campaign's cap: far more than a run redeems, so it never refuses. */
#define BENCH_CAP 4000000000u

static const char bare_sql[] =
	"UPDATE coupon_codes SET status = 'redeemed', redeemed_by_user_id = ?, order_id = ?,"
	" redeemed_at = NOW(6) WHERE code = ? AND status = 'available'";
static const char lock_sql[] = "SELECT status FROM coupon_codes WHERE code = ? FOR UPDATE";
static const char set_sql[] =
	"UPDATE coupon_codes SET status = 'redeemed', redeemed_by_user_id = ?, order_id = ?,"
	" redeemed_at = NOW(6) WHERE code = ?";

static struct cp_config cfg;
static struct cp_db *conns[MAX_THREADS];
static uint64_t ncodes = 1000000;
static atomic_bool stop;

/* A campaign's codes: the uncapped one's for core, bare and forupdate; the capped one's. */
struct pool {
	const char *name, *prefix;
	uint32_t campaign;
	struct cp_format fmt;
	atomic_uint_fast64_t next;
};
static struct pool pools[2] = {{.name = "bench", .prefix = "B"},
			       {.name = "bench capped", .prefix = "C"}};

static struct pool *pool_of(enum mode m)
{
	return &pools[m == M_CAPPED];
}

struct worker {
	unsigned int n;
	enum mode mode;
	struct cp_db *db;
	uint64_t ops, errors;
	uint32_t *lat;
	size_t nlat;
	char err[256];
};

static void die(const char *what, const struct cp_err *e)
{
	fprintf(stderr, "bench-redeem: %s: %s\n", what, e != NULL ? e->msg : "");
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The INDEXth code of P: spread over the code space, so neighbours land far apart. */
static void code_of(const struct pool *p, uint64_t index, char *out)
{
	uint8_t d[CP_BODY_MAX];
	uint64_t x = index * 0x9E3779B97F4A7C15ull + 12345;

	for (unsigned int k = 0; k < p->fmt.body_len; k++) {
		d[k] = (uint8_t)(x % 32);
		x /= 32;
		if (k == 11)
			x = index;
	}
	cp_code_compose(&p->fmt, d, out);
}

/* ------------------------------------------------------------ the three ways */

static int op_core(struct worker *w, const char *code, const char *user)
{
	struct cp_redeem_req q;
	struct cp_redeem_result r;
	struct cp_err e;

	memset(&q, 0, sizeof q);
	q.code = code;
	q.code_len = strlen(code);
	q.user_id = user;
	if (cp_redeem(w->db, &q, &r, &e) == CP_OK)
		return 0;
	snprintf(w->err, sizeof w->err, "%s: %.200s", cp_status_code(r.status), e.msg);
	return -1;
}

static MYSQL_STMT *prep(struct worker *w, const char *sql)
{
	struct cp_err e;
	enum cp_status st;
	MYSQL_STMT *s = db_prepare(w->db, sql, &e, &st);

	if (s == NULL)
		die("prepare", &e);
	return s;
}

static int bind_exec(MYSQL_STMT *s, const char *code, const char *user, bool order_param)
{
	MYSQL_BIND b[3];
	unsigned long len[3];
	int i = 0;

	memset(b, 0, sizeof b);
	if (order_param) {
		db_bind_str(&b[i], user, &len[i]);
		i++;
		db_bind_null(&b[i++]);
	}
	db_bind_str(&b[i], code, &len[i]);
	if (mysql_stmt_bind_param(s, b) != 0 || mysql_stmt_execute(s) != 0)
		return -1;
	return 0;
}

static int op_bare(struct worker *w, const char *code, const char *user)
{
	MYSQL_STMT *s = prep(w, bare_sql);

	if (bind_exec(s, code, user, true) != 0 || mysql_stmt_affected_rows(s) != 1) {
		snprintf(w->err, sizeof w->err, "bare: %s", mysql_stmt_error(s));
		return -1;
	}
	return 0;
}

static int op_forupdate(struct worker *w, const char *code, const char *user)
{
	MYSQL *m = db_mysql(w->db);
	MYSQL_STMT *sel = prep(w, lock_sql), *upd = prep(w, set_sql);
	MYSQL_BIND r[1];
	char status[16];
	unsigned long slen = 0;
	bool ok;

	memset(r, 0, sizeof r);
	db_bind_buf(&r[0], status, sizeof status - 1, &slen, NULL);
	if (mysql_real_query(m, "START TRANSACTION", 17) != 0 ||
	    bind_exec(sel, code, user, false) != 0 || mysql_stmt_bind_result(sel, r) != 0 ||
	    mysql_stmt_fetch(sel) != 0)
		goto fail;
	mysql_stmt_free_result(sel);
	status[slen < sizeof status ? slen : 0] = '\0';
	ok = strcmp(status, "available") == 0;
	if (ok && bind_exec(upd, code, user, true) != 0)
		goto fail;
	if (mysql_commit(m) != 0)
		goto fail;
	return ok ? 0 : -1;
fail:
	snprintf(w->err, sizeof w->err, "forupdate: %s", mysql_error(m));
	mysql_stmt_free_result(sel);
	mysql_rollback(m);
	return -1;
}

static int (*const mode_ops[])(struct worker *, const char *, const char *) = {
	op_core, op_bare, op_forupdate, op_core};

static void *run_worker(void *arg)
{
	struct worker *w = arg;
	char code[CP_CODE_MAX + 1], user[32];
	struct pool *p = pool_of(w->mode);

	snprintf(user, sizeof user, "bench-%u", w->n);
	while (!atomic_load(&stop)) {
		uint64_t i = atomic_fetch_add(&p->next, 1);
		double t0;

		if (i >= ncodes)
			break;
		code_of(p, i, code);
		t0 = now_s();
		if (mode_ops[w->mode](w, code, user) != 0) {
			w->errors++;
			continue;
		}
		if (w->nlat < LAT_CAP)
			w->lat[w->nlat++] = (uint32_t)((now_s() - t0) * 1e6);
		w->ops++;
	}
	return NULL;
}

/* ------------------------------------------------------------ cells */

struct cell {
	double ops_s, p50, p99;
	uint64_t errors;
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void percentiles(struct worker *w, unsigned int n, struct cell *c)
{
	size_t total = 0, o = 0;
	uint32_t *all;

	for (unsigned int i = 0; i < n; i++)
		total += w[i].nlat;
	if (total == 0)
		return;
	all = malloc(total * sizeof *all);
	for (unsigned int i = 0; i < n; i++) {
		memcpy(all + o, w[i].lat, w[i].nlat * sizeof *all);
		o += w[i].nlat;
	}
	qsort(all, total, sizeof *all, cmp_u32);
	c->p50 = all[total / 2];
	c->p99 = all[total * 99 / 100];
	free(all);
}

static void reset_codes(struct pool *p)
{
	char sql[320];
	struct cp_err e;

	fprintf(stderr, "resetting the %s codes to available...\n", p->name);
	snprintf(sql, sizeof sql,
		 "UPDATE coupon_codes SET status = 'available', redeemed_by_user_id = NULL,"
		 " order_id = NULL, redeemed_at = NULL, reward_id = NULL, cap_slot = NULL"
		 " WHERE campaign_id = %u AND status <> 'available'", p->campaign);
	if (db_exec(conns[0], sql, &e) != CP_OK)
		die("reset", &e);
	/* The cap's slots count the codes given back (the quotas still sum to the cap). */
	snprintf(sql, sizeof sql, "UPDATE campaign_cap_slots SET used = 0 WHERE campaign_id = %u",
		 p->campaign);
	if (db_exec(conns[0], sql, &e) != CP_OK)
		die("reset", &e);
	atomic_store(&p->next, 0);
	sleep(2); /* let purge catch up before measuring again */
}

static struct cell run_cell(enum mode mode, unsigned int threads, double seconds)
{
	static struct worker w[MAX_THREADS];
	pthread_t t[MAX_THREADS];
	struct cell c = {0, 0, 0, 0};
	struct pool *p = pool_of(mode);
	uint64_t start = atomic_load(&p->next), ops = 0;
	double t0;

	/* Enough codes left for a generous estimate of this cell. */
	if (start + (uint64_t)(40000 * seconds) > ncodes)
		reset_codes(p);
	atomic_store(&stop, false);
	t0 = now_s();
	for (unsigned int i = 0; i < threads; i++) {
		memset(&w[i], 0, sizeof w[i]);
		w[i].n = i;
		w[i].mode = mode;
		w[i].db = conns[i];
		w[i].lat = malloc(LAT_CAP * sizeof *w[i].lat);
		pthread_create(&t[i], NULL, run_worker, &w[i]);
	}
	usleep((useconds_t)(seconds * 1e6));
	atomic_store(&stop, true);
	for (unsigned int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		ops += w[i].ops;
		c.errors += w[i].errors;
		if (w[i].errors && w[i].err[0])
			fprintf(stderr, "  thread %u: %s\n", i, w[i].err);
	}
	c.ops_s = (double)ops / (now_s() - t0);
	percentiles(w, threads, &c);
	for (unsigned int i = 0; i < threads; i++)
		free(w[i].lat);
	return c;
}

/* ------------------------------------------------------------ seeding */

static void ensure_campaign(struct pool *p)
{
	struct cp_err e;
	char sql[512];

	cp_format_default(&p->fmt);
	p->fmt.body_len = 16; /* room for 1e6+ codes at 1e-9 and for the index spreading */
	snprintf(sql, sizeof sql,
		 "INSERT IGNORE INTO campaigns SET name = '%s', alphabet = '%s', prefix = '%s',"
		 " body_length = %u, check_char = 1, group_size = 4", p->name, p->fmt.alphabet,
		 p->prefix, p->fmt.body_len);
	snprintf(p->fmt.prefix, sizeof p->fmt.prefix, "%s", p->prefix);
	if (db_exec(conns[0], sql, &e) != CP_OK)
		die("campaign", &e);
}

/* The capped campaign's cap, set as an operator does (core makes the slots). */
static void ensure_cap(struct pool *p)
{
	struct cp_campaign c;
	struct cp_err e;

	if (cp_campaign_get(conns[0], p->campaign, &c, &e) != CP_OK)
		die("campaign", &e);
	if (c.max_redemptions == BENCH_CAP)
		return;
	c.max_redemptions = BENCH_CAP;
	if (cp_campaign_update(conns[0], &c, &e) != CP_OK)
		die("cap", &e);
}

static long long query_int(const char *sql)
{
	MYSQL *m = db_mysql(conns[0]);
	MYSQL_RES *res;
	MYSQL_ROW row;
	long long v = -1;

	if (mysql_query(m, sql) != 0 || (res = mysql_store_result(m)) == NULL)
		return -1;
	if ((row = mysql_fetch_row(res)) != NULL && row[0] != NULL)
		v = strtoll(row[0], NULL, 10);
	mysql_free_result(res);
	return v;
}

static void seed(struct pool *p)
{
	size_t cap = 64 + 5000 * (CP_CODE_MAX + 24), len = 0;
	char *sql = malloc(cap), code[CP_CODE_MAX + 1], q[160];
	long long have;
	struct cp_err e;
	double t0 = now_s();

	ensure_campaign(p);
	snprintf(q, sizeof q, "SELECT id FROM campaigns WHERE name = '%s'", p->name);
	p->campaign = (uint32_t)query_int(q);
	snprintf(q, sizeof q, "SELECT COUNT(*) FROM coupon_codes WHERE campaign_id = %u",
		 p->campaign);
	have = query_int(q);
	if (have >= (long long)ncodes) {
		free(sql);
		return;
	}
	fprintf(stderr, "seeding %" PRIu64 " %s codes...\n", ncodes - (uint64_t)have, p->name);
	for (uint64_t i = (uint64_t)have; i < ncodes; i++) {
		code_of(p, i, code);
		if (len == 0)
			len = (size_t)snprintf(sql, cap, "INSERT INTO coupon_codes (code, campaign_id,"
							 " batch_id) VALUES ");
		len += (size_t)snprintf(sql + len, cap - len, "%s('%s',%u,0)",
					(i - (uint64_t)have) % 5000 ? "," : "", code, p->campaign);
		if ((i - (uint64_t)have + 1) % 5000 == 0 || i + 1 == ncodes) {
			if (db_exec(conns[0], sql, &e) != CP_OK)
				die("seed", &e);
			len = 0;
		}
	}
	free(sql);
	fprintf(stderr, "seeded in %.1f s\n", now_s() - t0);
}

/* ------------------------------------------------------------ main */

static unsigned int parse_list(const char *s, unsigned int *out)
{
	unsigned int n = 0;
	char *end;

	while (*s && n < MAX_COUNTS) {
		unsigned long v = strtoul(s, &end, 10);

		if (end == s || v == 0 || v > MAX_THREADS)
			return 0;
		out[n++] = (unsigned int)v;
		s = *end == ',' ? end + 1 : end;
		if (*end != ',' && *end != '\0')
			return 0;
	}
	return n;
}

/* A Williams square: each mode in each place, and right after each other mode, once. */
#define NORDERS M_COUNT
static const enum mode orders[NORDERS][M_COUNT] = {
	{M_CORE, M_BARE, M_CAPPED, M_FORUPDATE},
	{M_BARE, M_FORUPDATE, M_CORE, M_CAPPED},
	{M_FORUPDATE, M_CAPPED, M_BARE, M_CORE},
	{M_CAPPED, M_CORE, M_FORUPDATE, M_BARE},
};

/* Lets the server's background work (purge, page flushing) of the last cell ebb. */
static void settle(void)
{
	struct timespec ts = {0, 500 * 1000000L};

	nanosleep(&ts, NULL);
}

/* The median over the repetitions of A's throughput over B's in the same repetition. */
static double paired(const struct cell *a, const struct cell *b, unsigned int reps)
{
	double v[MAX_REPS];

	for (unsigned int r = 0; r < reps; r++)
		v[r] = b[r].ops_s > 0 ? a[r].ops_s / b[r].ops_s : 0;
	qsort(v, reps, sizeof(double), cmp_double);
	return v[reps / 2];
}

static void report(struct cell (*cells)[MAX_COUNTS][MAX_REPS], const unsigned int *counts,
		   unsigned int ncounts, unsigned int reps)
{
	printf("\nredemptions/s (median of %u), p50/p99 latency in ms; %ld CPUs\n", reps,
	       sysconf(_SC_NPROCESSORS_ONLN));
	printf("%-7s | %-22s | %-22s | %-22s | %-22s | %-6s | %-6s | %-8s | %-8s | %-6s | %-8s\n",
	       "threads", "a: core", "b: bare UPDATE", "c: SELECT FOR UPDATE", "d: capped", "a/b",
	       "a/c", "a/b rep", "a/c rep", "d/a", "d/a rep");
	for (unsigned int t = 0; t < ncounts; t++) {
		double med[M_COUNT][3];

		for (int m = 0; m < M_COUNT; m++) {
			double v[3][MAX_REPS];

			for (unsigned int r = 0; r < reps; r++) {
				v[0][r] = cells[m][t][r].ops_s;
				v[1][r] = cells[m][t][r].p50;
				v[2][r] = cells[m][t][r].p99;
			}
			for (int k = 0; k < 3; k++) {
				qsort(v[k], reps, sizeof(double), cmp_double);
				med[m][k] = v[k][reps / 2];
			}
		}
		printf("%-7u", counts[t]);
		for (int m = 0; m < M_COUNT; m++)
			printf(" | %7.0f %6.2f %7.2f", med[m][0], med[m][1] / 1000,
			       med[m][2] / 1000);
		printf(" | %5.2fx | %5.2fx | %7.2fx | %7.2fx | %5.2fx | %7.2fx\n",
		       med[M_CORE][0] / med[M_BARE][0], med[M_CORE][0] / med[M_FORUPDATE][0],
		       paired(cells[M_CORE][t], cells[M_BARE][t], reps),
		       paired(cells[M_CORE][t], cells[M_FORUPDATE][t], reps),
		       med[M_CAPPED][0] / med[M_CORE][0],
		       paired(cells[M_CAPPED][t], cells[M_CORE][t], reps));
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"seed", required_argument, NULL, 'n'},
		{"threads", required_argument, NULL, 't'}, {"seconds", required_argument, NULL, 's'},
		{"reps", required_argument, NULL, 'r'},   {NULL, 0, NULL, 0},
	};
	static struct cell cells[M_COUNT][MAX_COUNTS][MAX_REPS];
	unsigned int counts[MAX_COUNTS] = {1, 4, 16, 64}, ncounts = 4, reps = 3, maxt = 0;
	const char *file = NULL;
	double seconds = 3;
	struct cp_err e;
	int ch;

	while ((ch = getopt_long(argc, argv, "c:n:t:s:r:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': file = optarg; break;
		case 'n': ncodes = strtoull(optarg, NULL, 10); break;
		case 't': ncounts = parse_list(optarg, counts); break;
		case 's': seconds = strtod(optarg, NULL); break;
		case 'r': reps = (unsigned int)strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: bench-redeem -c CONFIG [--seed N] [--threads 1,4,16,64]"
					" [--seconds S] [--reps R]\n");
			return 2;
		}
	}
	if (ncounts == 0 || reps == 0 || reps > MAX_REPS || seconds <= 0 || ncodes < 1000) {
		fprintf(stderr, "bench-redeem: bad arguments\n");
		return 2;
	}
	cp_library_init();
	cp_config_init(&cfg);
	if (cp_config_load(&cfg, file, &e) != CP_OK)
		die("config", &e);
	for (unsigned int i = 0; i < ncounts; i++)
		maxt = counts[i] > maxt ? counts[i] : maxt;
	for (unsigned int i = 0; i < maxt; i++)
		if (cp_db_open(&conns[i], &cfg, "bench-redeem", &e) != CP_OK)
			die("connect", &e);
	for (size_t p = 0; p < sizeof pools / sizeof pools[0]; p++) {
		char q[160];

		seed(&pools[p]);
		snprintf(q, sizeof q, "SELECT COUNT(*) FROM coupon_codes WHERE campaign_id = %u"
				      " AND status <> 'available'", pools[p].campaign);
		if (query_int(q) != 0)
			reset_codes(&pools[p]);
	}
	ensure_cap(&pools[1]);
	for (unsigned int r = 0; r < reps; r++)
		for (unsigned int t = 0; t < ncounts; t++)
			for (int k = 0; k < M_COUNT; k++) {
				/*
				 * The orders in turn, so that every mode runs first, last
				 * and after each other mode equally often (a cell feels
				 * the background work of the one before: rotating one
				 * order kept core always right after forupdate).
				 */
				enum mode m = orders[(r + t) % NORDERS][k];
				struct cell *c = &cells[m][t][r];

				settle();
				*c = run_cell(m, counts[t], seconds);
				fprintf(stderr, "rep %u %2u threads %-9s %8.0f/s p50 %.2f ms p99 %.2f"
						" ms%s\n", r + 1, counts[t], mode_names[m], c->ops_s,
					c->p50 / 1000, c->p99 / 1000, c->errors ? " ERRORS" : "");
			}
	report(cells, counts, ncounts, reps);
	for (unsigned int i = 0; i < maxt; i++)
		cp_db_close(conns[i]);
	cp_config_free(&cfg);
	return 0;
}
