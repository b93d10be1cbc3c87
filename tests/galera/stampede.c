/*
 * stampede: many clients on every node of a Galera cluster redeem the same code
 * at the same moment, code after code, through the core (cp_redeem), and the
 * outcome is checked against every node's table.
 *
 * Three phases, one code a round, all threads released together by a barrier:
 *   autocommit   a campaign without limits or events, no idempotency key: the
 *                one-statement path. With wsrep_retry_autocommit=0 a
 *                certification failure reaches the core as 1213 at the UPDATE.
 *   idempotent   the same campaign with an idempotency key per request: claim,
 *                UPDATE, stored reply, COMMIT. The UPDATE reports 1 row on
 *                several nodes at once and all but one COMMIT fail with 1213.
 *   limited      a campaign with a per-user limit (set when the phase
 *                starts): UPDATE and the usage increment in one transaction,
 *                conflicts at COMMIT too.
 *
 * The promises: per code exactly one success; every other client told
 * already_redeemed (a conflict is retried by the core, never reported as a
 * success), or busy (a 503) if its retries ran out; on every node (read with
 * wsrep_sync_wait) the code redeemed by the winner and nobody else. The nodes'
 * certification-failure and brute-force-abort counters, and the core's retry
 * counts, show that the conflicts happened and were retried.
 *
 * usage: stampede -d DATABASE -p PLAIN_CODES -l LIMITED_CODES [-t THREADS_PER_NODE]
 *                 [-r ROUNDS] NODE1.cnf NODE2.cnf ...
 * Prints one line a phase and "stampede: N checks, M failed".
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "campaign_cache.h"
#include "db.h"
#include "testlib.h"

#define MAX_NODES 5
#define MAX_THREADS 128
#define MAX_ROUNDS 1000

enum phase { PH_AUTOCOMMIT, PH_IDEMPOTENT, PH_LIMITED, PH_COUNT };

static const struct {
	const char *name;
	bool idem;    /* an idempotency key per request */
	bool limited; /* codes of the per-user-limit campaign */
} phases[PH_COUNT] = {
	[PH_AUTOCOMMIT] = {"autocommit", false, false},
	[PH_IDEMPOTENT] = {"idempotent", true, false},
	[PH_LIMITED] = {"limited", false, true},
};

/* The wsrep counters that show the conflicts, summed over the nodes. */
static const char *const counters[] = {"wsrep_local_cert_failures", "wsrep_local_bf_aborts"};
#define NCOUNTERS (sizeof counters / sizeof counters[0])

static struct {
	const char *database;
	char **plain, **limited;
	size_t nplain, nlimited;
	unsigned int nodes, per_node, threads, rounds;
	struct cp_config cfg[MAX_NODES];
	struct cp_db *admin[MAX_NODES];
} g = {.per_node = 8, .rounds = 30};

/* One thread's view of one phase. */
struct thread {
	pthread_t tid;
	unsigned int no;
	struct cp_db *db;
	enum phase phase;
	enum cp_status st[MAX_ROUNDS];
	bool replay[MAX_ROUNDS];
	unsigned int tries[MAX_ROUNDS]; /* the core's retries of that round's request */
	unsigned int retries;
	char err[700];
};

static struct thread threads[MAX_THREADS];
static pthread_barrier_t barrier;

static void die(const char *msg, const char *detail)
{
	fprintf(stderr, "stampede: %s%s%s\n", msg, detail ? ": " : "", detail ? detail : "");
	exit(99);
}

static char **read_codes(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	char line[128], **v;

	if (f == NULL)
		die(path, strerror(errno));
	v = calloc(MAX_ROUNDS, sizeof *v);
	*n = 0;
	while (v != NULL && *n < MAX_ROUNDS && fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] != '\0' && (v[(*n)++] = strdup(line)) == NULL)
			die("out of memory", NULL);
	}
	fclose(f);
	if (v == NULL)
		die("out of memory", NULL);
	return v;
}

static const char *code_of(enum phase ph, unsigned int round)
{
	return phases[ph].limited ? g.limited[round] : g.plain[ph * g.rounds + round];
}

/* ------------------------------------------------------------ the clients */

static void redeem_once(struct thread *t, unsigned int round)
{
	const char *code = code_of(t->phase, round);
	char user[32], order[32], key[64];
	struct cp_redeem_req r = {.code = code, .code_len = strlen(code), .user_id = user,
				  .order_id = order};
	struct cp_redeem_result res;
	struct cp_err e;

	snprintf(user, sizeof user, "s%u", t->no);
	snprintf(order, sizeof order, "%s-%u", phases[t->phase].name, round);
	if (phases[t->phase].idem) {
		snprintf(key, sizeof key, "stampede-%ld-%u-%u", (long)getpid(), round, t->no);
		r.api_key_id = 1;
		r.idem_key = key;
	}
	cp_err_clear(&e);
	t->st[round] = cp_redeem(t->db, &r, &res, &e);
	t->replay[round] = res.replay;
	t->tries[round] = res.retries;
	t->retries += res.retries;
	if (t->st[round] != CP_OK && t->st[round] != CP_E_ALREADY_REDEEMED && t->err[0] == '\0')
		snprintf(t->err, sizeof t->err, "%s %s: %s", code, cp_status_code(t->st[round]),
			 e.msg);
}

static void *client(void *arg)
{
	struct thread *t = arg;

	/* The limited phase starts with a new limit: no stale campaign cache. */
	cp_campaign_cache_reset(t->db);

	for (unsigned int round = 0; round < g.rounds; round++) {
		/* Everybody at once: the conflicts are the point. */
		pthread_barrier_wait(&barrier);
		redeem_once(t, round);
	}
	return NULL;
}

/* ------------------------------------------------------------ the nodes */

static long long status_counter(struct cp_db *db, const char *name)
{
	char sql[128];
	MYSQL_RES *res;
	MYSQL_ROW row;
	long long v = -1;

	snprintf(sql, sizeof sql, "SHOW GLOBAL STATUS LIKE '%s'", name);
	if (mysql_query(db_mysql(db), sql) != 0 || (res = mysql_store_result(db_mysql(db))) == NULL)
		die("SHOW STATUS", mysql_error(db_mysql(db)));
	if ((row = mysql_fetch_row(res)) != NULL && row[1] != NULL)
		v = atoll(row[1]);
	mysql_free_result(res);
	return v;
}

static void read_counters(long long *out)
{
	for (size_t c = 0; c < NCOUNTERS; c++) {
		out[c] = 0;
		for (unsigned int n = 0; n < g.nodes; n++)
			out[c] += status_counter(g.admin[n], counters[c]);
	}
}

/* The code's row on node N, read after the node applied everything before. */
static bool row_on(unsigned int n, const char *code, char *status, char *user, char *order)
{
	MYSQL *m = db_mysql(g.admin[n]);
	char esc[2 * CP_CODE_MAX + 1], sql[256];
	MYSQL_RES *res;
	MYSQL_ROW row;
	bool found;

	mysql_real_escape_string(m, esc, code, (unsigned long)strnlen(code, CP_CODE_MAX));
	snprintf(sql, sizeof sql,
		 "SELECT status, IFNULL(redeemed_by_user_id, '-'), IFNULL(order_id, '-')"
		 " FROM coupon_codes WHERE code = '%s'", esc);
	if (mysql_query(m, sql) != 0 || (res = mysql_store_result(m)) == NULL)
		die("SELECT", mysql_error(m));
	if ((found = (row = mysql_fetch_row(res)) != NULL)) {
		snprintf(status, 16, "%s", row[0]);
		snprintf(user, 32, "%s", row[1]);
		snprintf(order, 32, "%s", row[2]);
	}
	mysql_free_result(res);
	return found;
}

/* ------------------------------------------------------------ checks */

/* Per round: one winner, everyone else already_redeemed; every node agrees. */
static void check_round(enum phase ph, unsigned int round, unsigned int *total_busy)
{
	const char *code = code_of(ph, round);
	int winner = -1;
	unsigned int wins = 0, refused = 0, busy = 0;
	char status[16], user[32], order[32], want_user[32], want_order[32];

	for (unsigned int i = 0; i < g.threads; i++) {
		if (threads[i].st[round] == CP_OK && !threads[i].replay[round]) {
			wins++;
			winner = (int)i;
		} else if (threads[i].st[round] == CP_E_ALREADY_REDEEMED) {
			refused++;
		} else if (threads[i].st[round] == CP_E_BUSY) {
			busy++;
		}
	}
	CHECK(wins == 1, "%s %s: %u successes", phases[ph].name, code, wins);
	/* Who won, where, after how many retries: what an investigation starts from. */
	for (unsigned int i = 0; wins > 1 && i < g.threads; i++)
		if (threads[i].st[round] == CP_OK && !threads[i].replay[round])
			printf("stampede: %s %s: success for s%u on node %u after %u retries\n",
			       phases[ph].name, code, i, i % g.nodes + 1, threads[i].tries[round]);
	/* busy (503, retry later) is an honest answer when the retries ran out. */
	CHECK(refused + busy == g.threads - 1,
	      "%s %s: %u of %u losers told already_redeemed or busy", phases[ph].name, code,
	      refused + busy, g.threads - 1);
	*total_busy += busy;
	if (winner < 0)
		return;
	snprintf(want_user, sizeof want_user, "s%d", winner);
	snprintf(want_order, sizeof want_order, "%s-%u", phases[ph].name, round);
	for (unsigned int n = 0; n < g.nodes; n++) {
		bool found = row_on(n, code, status, user, order);

		CHECK(found && strcmp(status, "redeemed") == 0 && strcmp(user, want_user) == 0 &&
			      strcmp(order, want_order) == 0,
		      "%s %s on node %u: %s %s/%s, the reply said %s/%s", phases[ph].name, code,
		      n + 1, found ? status : "missing", found ? user : "-",
		      found ? order : "-", want_user, want_order);
	}
}

/*
 * Both campaigns share the default format, and the core takes the transaction
 * path for every code a campaign with a per-user limit could own: the limit is
 * set only now, so the phases before run the one-statement path.
 */
static void set_limit(void)
{
	MYSQL *m = db_mysql(g.admin[0]);
	char esc[2 * CP_CODE_MAX + 1], sql[256];
	struct cp_err e;

	mysql_real_escape_string(m, esc, g.limited[0], (unsigned long)strlen(g.limited[0]));
	snprintf(sql, sizeof sql, "UPDATE campaigns SET per_user_limit = 1000 WHERE id ="
		 " (SELECT campaign_id FROM coupon_codes WHERE code = '%s')", esc);
	if (mysql_query(m, sql) != 0 || mysql_affected_rows(m) != 1)
		die("setting the per-user limit", mysql_error(m));
	/* The campaign caches read causally on a cluster node (core/campaign_cache.c). */
	if (!db_galera(g.admin[0]))
		die("the connection does not see a Galera node", NULL);
	/* A change that closes the campaign to the fast statement waits out its fence. */
	if (cache_fence_wait(g.admin[0], &e) != CP_OK)
		die("waiting for the campaign caches", e.msg);
}

static void run_phase(enum phase ph)
{
	long long before[NCOUNTERS], after[NCOUNTERS];
	unsigned int retries = 0, busy = 0;
	const char *first_err = NULL;

	if (phases[ph].limited)
		set_limit();

	read_counters(before);
	for (unsigned int i = 0; i < g.threads; i++) {
		threads[i].phase = ph;
		threads[i].retries = 0;
		threads[i].err[0] = '\0';
		if (pthread_create(&threads[i].tid, NULL, client, &threads[i]) != 0)
			die("pthread_create", NULL);
	}
	for (unsigned int i = 0; i < g.threads; i++) {
		pthread_join(threads[i].tid, NULL);
		retries += threads[i].retries;
		if (first_err == NULL && threads[i].err[0] != '\0')
			first_err = threads[i].err;
	}
	read_counters(after);
	for (unsigned int round = 0; round < g.rounds; round++)
		check_round(ph, round, &busy);
	printf("stampede: %-10s %u codes x %u clients on %u nodes: %u core retries, %u gave up busy;"
	       " %lld certification failures, %lld brute-force aborts on the nodes\n",
	       phases[ph].name, g.rounds, g.threads, g.nodes, retries, busy,
	       after[0] - before[0], after[1] - before[1]);
	if (first_err != NULL)
		printf("stampede: %-10s first unexpected reply: %s\n", phases[ph].name, first_err);
	/* A stampede whose conflicts never reached the core proved nothing. */
	CHECK(after[0] - before[0] + after[1] - before[1] > 0,
	      "%s: no certification conflict happened", phases[ph].name);
	CHECK(retries > 0, "%s: the core retried nothing", phases[ph].name);
}

/* ------------------------------------------------------------ main */

static void open_node(unsigned int n, const char *file)
{
	struct cp_err e;

	cp_err_clear(&e);
	cp_config_init(&g.cfg[n]);
	if (cp_config_load(&g.cfg[n], file, &e) != CP_OK ||
	    cp_config_set(&g.cfg[n], "database", g.database, &e) != CP_OK ||
	    cp_db_open(&g.admin[n], &g.cfg[n], "stampede", &e) != CP_OK)
		die(file, e.msg);
	/* Causal reads: the checks see every write the cluster committed before. */
	if (mysql_query(db_mysql(g.admin[n]), "SET SESSION wsrep_sync_wait = 1") != 0)
		die("wsrep_sync_wait", mysql_error(db_mysql(g.admin[n])));
}

static void usage(void)
{
	fputs("usage: stampede -d DATABASE -p PLAIN_CODES -l LIMITED_CODES"
	      " [-t THREADS_PER_NODE] [-r ROUNDS] NODE.cnf...\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *plain = NULL, *limited = NULL;
	struct cp_err e;
	int ch;

	while ((ch = getopt(argc, argv, "d:p:l:t:r:")) != -1) {
		switch (ch) {
		case 'd': g.database = optarg; break;
		case 'p': plain = optarg; break;
		case 'l': limited = optarg; break;
		case 't': g.per_node = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'r': g.rounds = (unsigned int)strtoul(optarg, NULL, 10); break;
		default: usage();
		}
	}
	g.nodes = (unsigned int)(argc - optind);
	if (g.database == NULL || plain == NULL || limited == NULL || g.nodes == 0 ||
	    g.nodes > MAX_NODES || g.per_node == 0 || g.rounds == 0 || g.rounds > MAX_ROUNDS)
		usage();
	g.threads = g.nodes * g.per_node;
	if (g.threads > MAX_THREADS)
		usage();
	g.plain = read_codes(plain, &g.nplain);
	g.limited = read_codes(limited, &g.nlimited);
	if (g.nplain < 2 * g.rounds || g.nlimited < g.rounds)
		die("not enough codes for the rounds", NULL);
	if (cp_library_init() != CP_OK)
		die("cp_library_init", NULL);
	for (unsigned int n = 0; n < g.nodes; n++)
		open_node(n, argv[optind + n]);
	/* Client I talks to node I mod N: every node has as many as the others. */
	for (unsigned int i = 0; i < g.threads; i++) {
		threads[i].no = i;
		cp_err_clear(&e);
		if (cp_db_open(&threads[i].db, &g.cfg[i % g.nodes], "stampede", &e) != CP_OK)
			die("connect", e.msg);
	}
	if (pthread_barrier_init(&barrier, NULL, g.threads) != 0)
		die("pthread_barrier_init", NULL);
	for (enum phase ph = 0; ph < PH_COUNT; ph++)
		run_phase(ph);
	pthread_barrier_destroy(&barrier);
	for (unsigned int i = 0; i < g.threads; i++)
		cp_db_close(threads[i].db);
	for (unsigned int n = 0; n < g.nodes; n++) {
		cp_db_close(g.admin[n]);
		cp_config_free(&g.cfg[n]);
	}
	cp_library_end();
	return tl_done("stampede");
}
