/*
 * Campaigns, generation batches (random and keyed), export and bulk expiry
 * against a real MariaDB: exact counts, forced duplicates, resume after a
 * cancel, a lost connection and a key change, and the refusals.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "keyed.h"
#include "testlib.h"

static struct cp_config cfg;
static struct cp_db *db;
static char dir[] = "/tmp/cpt-generate-XXXXXX";
static char keyfile[256];

#define q(...) tl_query_intf(db, __VA_ARGS__)

static void write_key(const char *path, const char *hexkey, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		perror(path);
		exit(99);
	}
	fprintf(f, "%s\n", hexkey);
	fclose(f);
	chmod(path, mode);
}

static const char key_a[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
static const char key_b[] = "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1eff";

static uint32_t make_campaign(const char *name, const char *prefix, uint64_t planned)
{
	struct cp_campaign c;
	struct cp_err e;

	cp_campaign_init(&c);
	snprintf(c.name, sizeof c.name, "%s", name);
	snprintf(c.format.prefix, sizeof c.format.prefix, "%s", prefix);
	c.planned_codes = planned;
	if (planned <= 1000)
		c.format.body_len = 8;
	cp_err_clear(&e);
	if (cp_campaign_create(db, &c, &e) != CP_OK) {
		fprintf(stderr, "create %s: %s\n", name, e.msg);
		exit(99);
	}
	return c.id;
}

/* ------------------------------------------------------------ campaigns */

static const struct {
	int line;
	const char *name, *alphabet, *prefix;
	unsigned int body_len;
	uint64_t planned;
	time_t starts, expires;
	enum cp_status want;
	const char *msg; /* part of the message, or NULL */
} creates[] = {
	{__LINE__, "spring", NULL, "SPRING", 12, 1000000, 0, 0, CP_OK, NULL},
	{__LINE__, "spring", NULL, "", 12, 1000, 0, 0, CP_E_EXISTS, "already exists"},
	{__LINE__, "short", NULL, "", 6, 1000000, 0, 0, CP_E_FORMAT_WEAK, "body length of 10"},
	{__LINE__, "digits", "0123456789", "", 8, 1000, 0, 0, CP_E_FORMAT_WEAK, "body length of"},
	{__LINE__, "digits-ok", "0123456789", "", 18, 1000, 0, 0, CP_OK, NULL},
	{__LINE__, "", NULL, "", 12, 1000, 0, 0, CP_E_INVALID_ARGUMENT, "1 to 100"},
	{__LINE__, "window", NULL, "", 12, 1000, 2000000000, 1900000000, CP_E_INVALID_ARGUMENT,
	 "expire after"},
	{__LINE__, "zero", NULL, "", 12, 0, 0, 0, CP_E_INVALID_ARGUMENT, "planned"},
	{__LINE__, "badprefix", NULL, "a-b", 12, 1000, 0, 0, CP_E_INVALID_ARGUMENT, NULL},
};

static void test_campaigns(void)
{
	struct cp_campaign c, got;
	struct cp_err e;
	enum cp_status st;

	for (size_t i = 0; i < sizeof creates / sizeof creates[0]; i++) {
		cp_campaign_init(&c);
		snprintf(c.name, sizeof c.name, "%s", creates[i].name);
		if (creates[i].alphabet)
			snprintf(c.format.alphabet, sizeof c.format.alphabet, "%s",
				 creates[i].alphabet);
		snprintf(c.format.prefix, sizeof c.format.prefix, "%s", creates[i].prefix);
		c.format.body_len = creates[i].body_len;
		c.planned_codes = creates[i].planned;
		c.starts_at = creates[i].starts;
		c.expires_at = creates[i].expires;
		cp_err_clear(&e);
		st = cp_campaign_create(db, &c, &e);
		CHECK_AT(creates[i].line, st == creates[i].want, "'%s': got %s (%s)",
			 creates[i].name, cp_status_code(st), e.msg);
		if (creates[i].msg)
			CHECK_AT(creates[i].line, strstr(e.msg, creates[i].msg) != NULL,
				 "message '%s' lacks '%s'", e.msg, creates[i].msg);
	}
	CHECK(cp_campaign_find(db, "spring", &got, &e) == CP_OK && got.format.body_len == 12 &&
	      strcmp(got.format.prefix, "SPRING") == 0 && got.status == CP_CAMPAIGN_ACTIVE,
	      "find by name: %s", e.msg);
	CHECK(cp_campaign_find(db, "1", &c, &e) == CP_OK && c.id == got.id, "find by id");
	CHECK(cp_campaign_find(db, "nope", &c, &e) == CP_E_NOT_FOUND, "unknown campaign");
	CHECK(cp_campaign_set_status(db, got.id, CP_CAMPAIGN_PAUSED, &e) == CP_OK &&
	      cp_campaign_get(db, got.id, &c, &e) == CP_OK && c.status == CP_CAMPAIGN_PAUSED,
	      "pause");
	CHECK(cp_campaign_set_status(db, got.id, CP_CAMPAIGN_ACTIVE, &e) == CP_OK &&
	      cp_campaign_get(db, got.id, &c, &e) == CP_OK && c.status == CP_CAMPAIGN_ACTIVE,
	      "resume");
}

/* ------------------------------------------------------------ batches */

struct watch {
	unsigned int calls;
	unsigned int cancel_after; /* 0 = never */
	unsigned long kill_id;     /* kill this connection after the first chunk */
	bool killing;              /* the killer runs: joined before the third chunk */
	pthread_t killer;
	uint64_t duplicates;
};

static void *killer(void *arg)
{
	unsigned long id = *(unsigned long *)arg;
	struct cp_db *k = tl_db_open(&cfg);
	char sql[64];

	usleep(20000); /* most likely inside the second chunk's LOAD DATA */
	snprintf(sql, sizeof sql, "KILL CONNECTION %lu", id);
	tl_exec(k, sql);
	cp_db_close(k);
	return NULL;
}

static bool watch(const struct cp_gen_progress *p, void *arg)
{
	struct watch *w = arg;

	w->calls++;
	w->duplicates = p->duplicates;
	if (w->killing) { /* the kill has not hit the second chunk: it hits the third */
		pthread_join(w->killer, NULL);
		w->killing = false;
	}
	if (w->kill_id != 0 && p->run_generated > 0) {
		static unsigned long victim;

		victim = w->kill_id;
		pthread_create(&w->killer, NULL, killer, &victim);
		w->killing = true;
		w->kill_id = 0;
	}
	return w->cancel_after == 0 || w->calls < w->cancel_after;
}

static enum cp_status gen(uint32_t cid, enum cp_gen_method m, uint64_t count, unsigned int chunk,
			  struct watch *w, uint64_t *bid, struct cp_err *e)
{
	struct cp_gen_opts o = {.chunk = chunk, .progress = watch, .arg = w};
	enum cp_status st;

	cp_err_clear(e);
	if ((st = cp_batch_create(db, cid, m, count, bid, e)) != CP_OK)
		return st;
	return cp_batch_run(db, *bid, &o, NULL, e);
}

/* generated == requested == stored codes, status complete. */
static void check_exact(int line, uint64_t bid, uint64_t want)
{
	struct cp_batch b;
	struct cp_err e;
	long long stored = q("SELECT COUNT(*) FROM coupon_codes WHERE batch_id = %llu",
			     (unsigned long long)bid);

	CHECK_AT(line, cp_batch_get(db, bid, &b, &e) == CP_OK, "batch %llu: %s",
		 (unsigned long long)bid, e.msg);
	CHECK_AT(line, b.requested == want && b.generated == want && stored == (long long)want &&
			       b.status == CP_BATCH_COMPLETE && b.finished_at != 0,
		 "batch %llu: requested %llu generated %llu stored %lld status %s",
		 (unsigned long long)bid, (unsigned long long)b.requested,
		 (unsigned long long)b.generated, stored, cp_batch_status_name(b.status));
}

/* Every stored code of the batch normalises under its campaign's format. */
static void check_codes_valid(int line, uint32_t cid, uint64_t bid)
{
	MYSQL *m = db_mysql(db);
	struct cp_campaign c;
	struct cp_err e;
	MYSQL_RES *res;
	MYSQL_ROW row;
	char sql[160], norm[CP_CODE_MAX + 1];
	unsigned int bad = 0, n = 0;

	cp_campaign_get(db, cid, &c, &e);
	snprintf(sql, sizeof sql, "SELECT code FROM coupon_codes WHERE batch_id = %llu LIMIT 2000",
		 (unsigned long long)bid);
	mysql_query(m, sql);
	res = mysql_store_result(m);
	while (res != NULL && (row = mysql_fetch_row(res)) != NULL) {
		n++;
		if (cp_code_normalize(&c.format, row[0], strlen(row[0]), norm, sizeof norm, &e) !=
			    CP_OK ||
		    strcmp(norm, row[0]) != 0)
			bad++;
	}
	mysql_free_result(res);
	CHECK_AT(line, n > 0 && bad == 0, "%u of %u codes of batch %llu do not normalise", bad, n,
		 (unsigned long long)bid);
}

static void test_random(void)
{
	uint32_t cid = make_campaign("random", "R", 1000000);
	struct watch w = {0};
	struct cp_err e;
	uint64_t bid;

	CHECK(gen(cid, CP_GEN_RANDOM, 25000, 4000, &w, &bid, &e) == CP_OK, "random: %s", e.msg);
	check_exact(__LINE__, bid, 25000);
	check_codes_valid(__LINE__, cid, bid);
	CHECK(w.calls >= 7, "progress called %u times for 7 chunks", w.calls);
}

/* A deterministic source repeating every block of 500 codes, twice in a run. */
static void test_duplicates(void)
{
	uint32_t a = make_campaign("dup-a", "", 1000000), b = make_campaign("dup-b", "", 1000000);
	struct watch w = {0};
	struct cp_gen_opts o = {.chunk = 1000, .test_seed = 7, .test_period = 500,
				.progress = watch, .arg = &w};
	struct cp_batch ba, bb;
	struct cp_err e;
	uint64_t ida, idb;

	cp_err_clear(&e);
	CHECK(cp_batch_create(db, a, CP_GEN_RANDOM, 3000, &ida, &e) == CP_OK &&
	      cp_batch_run(db, ida, &o, &ba, &e) == CP_OK, "dup-a: %s", e.msg);
	check_exact(__LINE__, ida, 3000);
	CHECK(ba.generated == 3000, "dup-a generated %llu", (unsigned long long)ba.generated);
	/* Each full chunk of 1000 held every code twice; the last, 500, once. */
	CHECK(w.duplicates == 2500, "dup-a: %llu duplicates within chunks, expected 2500",
	      (unsigned long long)w.duplicates);
	/* Same stream again: the first 3000 are all stored already, in dup-a. */
	CHECK(cp_batch_create(db, b, CP_GEN_RANDOM, 4000, &idb, &e) == CP_OK &&
	      cp_batch_run(db, idb, &o, &bb, &e) == CP_OK, "dup-b: %s", e.msg);
	check_exact(__LINE__, idb, 4000);
	CHECK(w.duplicates >= 3000 + 4000, "dup-b: %llu duplicates, expected 3000 stored + 4000",
	      (unsigned long long)w.duplicates);
	CHECK(q("SELECT COUNT(*) FROM coupon_codes WHERE campaign_id IN (%u, %u)", a, b) == 7000,
	      "dup-a and dup-b share no code");
}

static void test_keyed(void)
{
	uint32_t cid = make_campaign("keyed", "K", 1000000);
	struct watch w = {0};
	struct cp_campaign c;
	struct keyed k;
	struct cp_err e;
	MYSQL_RES *res;
	MYSQL_ROW row;
	char sql[128];
	uint64_t bid, seq, start, lo = UINT64_MAX, hi = 0, n = 0;

	start = (uint64_t)q("SELECT next_value FROM keyed_sequence WHERE id = 1");
	CHECK(gen(cid, CP_GEN_KEYED, 20000, 3000, &w, &bid, &e) == CP_OK, "keyed: %s", e.msg);
	check_exact(__LINE__, bid, 20000);
	check_codes_valid(__LINE__, cid, bid);
	CHECK(q("SELECT next_value FROM keyed_sequence WHERE id = 1") == (long long)start + 20000,
	      "the sequence moved by the count");
	/* Decrypting gives back exactly the reserved numbers. */
	cp_campaign_get(db, cid, &c, &e);
	CHECK(keyed_open(&k, keyfile, &c.format, &e) == CP_OK, "keyed_open: %s", e.msg);
	snprintf(sql, sizeof sql, "SELECT code FROM coupon_codes WHERE batch_id = %llu",
		 (unsigned long long)bid);
	mysql_query(db_mysql(db), sql);
	res = mysql_store_result(db_mysql(db));
	while (res != NULL && (row = mysql_fetch_row(res)) != NULL)
		if (keyed_seq(&k, row[0], &seq, &e) == CP_OK) {
			lo = seq < lo ? seq : lo;
			hi = seq > hi ? seq : hi;
			n++;
		}
	mysql_free_result(res);
	CHECK(n == 20000 && lo == start && hi == start + 19999, "decrypted %llu codes to %llu..%llu",
	      (unsigned long long)n, (unsigned long long)lo, (unsigned long long)hi);
	keyed_close(&k);
}

/* Codes stored by another campaign where the keyed batch would put its own. */
static void test_keyed_collision(void)
{
	uint32_t cid = make_campaign("keyed-coll", "KC", 1000000);
	uint32_t other = make_campaign("keyed-other", "KC2", 1000000);
	uint64_t next = (uint64_t)q("SELECT next_value FROM keyed_sequence WHERE id = 1"), bid;
	struct cp_campaign c;
	struct watch w = {0};
	struct keyed k;
	struct cp_err e;
	char code[CP_CODE_MAX + 1], sql[256];

	cp_campaign_get(db, cid, &c, &e);
	keyed_open(&k, keyfile, &c.format, &e);
	for (uint64_t s = next; s < next + 1000; s += 97) {
		keyed_code(&k, s, code, &e);
		snprintf(sql, sizeof sql, "INSERT INTO coupon_codes (code, campaign_id, batch_id) "
			 "VALUES ('%s', %u, 0)", code, other);
		tl_exec(db, sql);
	}
	keyed_code(&k, next + 999, code, &e);
	snprintf(sql, sizeof sql, "INSERT INTO coupon_codes (code, campaign_id, batch_id) "
		 "VALUES ('%s', %u, 0)", code, other);
	tl_exec(db, sql);
	keyed_close(&k);
	CHECK(gen(cid, CP_GEN_KEYED, 1000, 300, &w, &bid, &e) == CP_OK, "keyed collision: %s",
	      e.msg);
	check_exact(__LINE__, bid, 1000);
	CHECK(w.duplicates == 12, "%llu duplicates, expected 12",
	      (unsigned long long)w.duplicates);
}

static const struct {
	int line;
	enum cp_gen_method method;
	uint64_t count;
	const char *key; /* key file content, NULL = leave the good one */
	mode_t mode;
	enum cp_status want;
	const char *msg;
} refusals[] = {
	{__LINE__, CP_GEN_RANDOM, 0, NULL, 0, CP_E_INVALID_ARGUMENT, "at least 1"},
	{__LINE__, CP_GEN_RANDOM, 2000000, NULL, 0, CP_E_FORMAT_WEAK, "body length of"},
	{__LINE__, CP_GEN_KEYED, 10, key_a, 0644, CP_E_KEY_FILE, "chmod 600"},
	{__LINE__, CP_GEN_KEYED, 10, key_a, 0640, CP_E_KEY_FILE, "chmod 600"},
	{__LINE__, CP_GEN_KEYED, 10, "abc", 0600, CP_E_KEY_FILE, "64 hex digits"},
	{__LINE__, CP_GEN_KEYED, 10, "", 0, CP_E_KEY_FILE, "No such file"},
};

static void test_refusals(void)
{
	uint32_t cid = make_campaign("small", "S", 1000);	/* body 8: 32^8 codes */
	struct cp_err e;
	enum cp_status st;
	uint64_t bid = 0;
	char path[300];

	snprintf(path, sizeof path, "%s/other.key", dir);
	for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
		unlink(path);
		if (refusals[i].key != NULL && refusals[i].mode != 0)
			write_key(path, refusals[i].key, refusals[i].mode);
		cfg.key_file = refusals[i].key != NULL ? path : keyfile;
		cp_err_clear(&e);
		st = cp_batch_create(db, cid, refusals[i].method, refusals[i].count, &bid, &e);
		CHECK_AT(refusals[i].line, st == refusals[i].want, "got %s (%s)", cp_status_code(st),
			 e.msg);
		CHECK_AT(refusals[i].line, strstr(e.msg, refusals[i].msg) != NULL,
			 "message '%s' lacks '%s'", e.msg, refusals[i].msg);
		CHECK_AT(refusals[i].line, strstr(e.msg, key_a) == NULL, "the key leaked: %s", e.msg);
	}
	cfg.key_file = keyfile;
	CHECK(q("SELECT COUNT(*) FROM generation_batches WHERE campaign_id = %u", cid) == 0,
	      "refused batches leave no row");
	/* The ceiling counts the campaign's batches together: 1,099,511 codes at most. */
	CHECK(gen(cid, CP_GEN_RANDOM, 1000, 0, &(struct watch){0}, &bid, &e) == CP_OK, "%s", e.msg);
	CHECK(cp_batch_create(db, cid, CP_GEN_RANDOM, 1098600, &bid, &e) == CP_E_FORMAT_WEAK,
	      "a batch past what the format allows is refused: %s", e.msg);
}

/* Cancel after two chunks, change the key, resume: refused; right key: exact. */
static void test_resume(void)
{
	uint32_t cid = make_campaign("resume", "RS", 1000000);
	struct cp_gen_opts o = {.chunk = 2000};
	struct watch w = {.cancel_after = 3};
	struct cp_batch b;
	struct cp_err e;
	uint64_t bid;
	enum cp_status st;
	bool found;

	st = gen(cid, CP_GEN_KEYED, 10000, 2000, &w, &bid, &e);
	CHECK(st == CP_E_CANCELLED, "cancel: got %s (%s)", cp_status_code(st), e.msg);
	cp_batch_get(db, bid, &b, &e);
	CHECK(b.status == CP_BATCH_CANCELLED && b.generated == 4000 &&
	      q("SELECT COUNT(*) FROM coupon_codes WHERE batch_id = %llu",
		(unsigned long long)bid) == 4000,
	      "cancelled at 4000: %s %llu", cp_batch_status_name(b.status),
	      (unsigned long long)b.generated);
	CHECK(cp_batch_unfinished(db, cid, &b, &found, &e) == CP_OK && found && b.id == bid,
	      "a cancelled batch is unfinished");
	write_key(keyfile, key_b, 0600);
	st = cp_batch_run(db, bid, &o, &b, &e);
	CHECK(st == CP_E_KEY_FILE && strstr(e.msg, "fingerprint") != NULL,
	      "resume with another key: %s (%s)", cp_status_code(st), e.msg);
	write_key(keyfile, key_a, 0600);
	CHECK(cp_batch_run(db, bid, &o, &b, &e) == CP_OK, "resume: %s", e.msg);
	check_exact(__LINE__, bid, 10000);
	CHECK(cp_batch_run(db, bid, &o, &b, &e) == CP_OK && b.generated == 10000,
	      "running a complete batch again adds nothing");
}

/* The connection killed mid-batch: a clear error, a resumable batch. */
static void test_lost_connection(void)
{
	uint32_t cid = make_campaign("lost", "L", 1000000);
	struct cp_gen_opts o = {.chunk = 20000};
	struct watch w = {0};
	struct cp_batch b;
	struct cp_err e;
	uint64_t bid;
	enum cp_status st;
	bool found;

	CHECK(cp_db_ensure(db, &e) == CP_OK, "connected: %s", e.msg);
	w.kill_id = (unsigned long)q("SELECT CONNECTION_ID()");
	st = gen(cid, CP_GEN_RANDOM, 200000, 20000, &w, &bid, &e);
	if (w.killing)
		pthread_join(w.killer, NULL);
	CHECK(st == CP_E_DB_UNAVAILABLE, "lost connection: got %s (%s)", cp_status_code(st), e.msg);
	CHECK(cp_db_ensure(db, &e) == CP_OK, "reconnect: %s", e.msg);
	cp_batch_get(db, bid, &b, &e);
	CHECK(b.status != CP_BATCH_COMPLETE && b.generated < 200000 &&
	      q("SELECT COUNT(*) FROM coupon_codes WHERE batch_id = %llu",
		(unsigned long long)bid) == (long long)b.generated,
	      "after the loss: %s, %llu generated", cp_batch_status_name(b.status),
	      (unsigned long long)b.generated);
	CHECK(cp_batch_unfinished(db, cid, &b, &found, &e) == CP_OK && found && b.id == bid,
	      "the batch is found unfinished");
	CHECK(cp_batch_run(db, bid, &o, &b, &e) == CP_OK, "resume: %s", e.msg);
	check_exact(__LINE__, bid, 200000);
}

/* ------------------------------------------------------------ export, expiry */

static void test_export_expire(void)
{
	uint32_t cid = make_campaign("export", "EX", 1000000);
	struct cp_export_opts o = {.campaign_id = cid, .actor = "test"};
	struct cp_export_result r;
	struct cp_code_counts k;
	struct watch w = {0};
	struct cp_err e;
	uint64_t b1, b2, n;
	char path[300], line[128];
	FILE *f;
	unsigned int lines = 0;

	gen(cid, CP_GEN_RANDOM, 3000, 0, &w, &b1, &e);
	gen(cid, CP_GEN_KEYED, 2000, 0, &w, &b2, &e);
	snprintf(path, sizeof path, "%s/codes.csv", dir);
	o.path = path;
	CHECK(cp_export(db, &o, &r, &e) == CP_OK && r.count == 5000, "export: %s", e.msg);
	if ((f = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof line, f) != NULL)
			lines++;
		fclose(f);
	}
	CHECK(lines == 5001, "%u lines in the CSV", lines);
	CHECK(q("SELECT COUNT(*) FROM code_exports WHERE id = %llu AND code_count = 5000 AND "
		"sha256 = '%s' AND actor = 'test' AND batch_id IS NULL",
		(unsigned long long)r.id, r.sha256) == 1,
	      "export recorded");
	CHECK(cp_export(db, &o, &r, &e) == CP_E_EXISTS, "existing file refused: %s", e.msg);
	o.force = true;
	o.batch_id = b2;
	CHECK(cp_export(db, &o, &r, &e) == CP_OK && r.count == 2000, "forced batch export: %s",
	      e.msg);
	o.path = "/nonexistent/dir/codes.csv";
	CHECK(cp_export(db, &o, &r, &e) == CP_E_IO && strstr(e.msg, "/nonexistent/dir") != NULL,
	      "unwritable path: %s", e.msg);
	o.path = path;
	o.status = "bogus";
	CHECK(cp_export(db, &o, &r, &e) == CP_E_INVALID_ARGUMENT, "unknown status filter");

	CHECK(cp_expire_codes(db, cid, b1, "test", "leaked", &n, &e) == CP_OK && n == 3000,
	      "expire batch: %s (%llu)", e.msg, (unsigned long long)n);
	CHECK(q("SELECT COUNT(*) FROM code_events WHERE action = 'batch_expire' AND "
		"prior_status = 'available' AND actor = 'test' AND reason = 'leaked'") == 3000,
	      "3000 events recorded");
	CHECK(cp_expire_codes(db, cid, b1, "test", "leaked", &n, &e) == CP_OK && n == 0,
	      "second expiry finds nothing");
	o.status = "available";
	o.batch_id = 0;
	CHECK(cp_export(db, &o, &r, &e) == CP_OK && r.count == 2000, "available only: %llu",
	      (unsigned long long)r.count);
	CHECK(cp_expire_codes(db, cid, 0, "test", NULL, &n, &e) == CP_OK && n == 2000,
	      "expire campaign: %llu", (unsigned long long)n);
	CHECK(cp_code_counts(db, cid, 0, &k, &e) == CP_OK && k.expired == 5000 && k.total == 5000,
	      "all 5000 expired");
}

int main(void)
{
	char cmd[400];

	db = tl_db_fresh("generate", &cfg);
	if (mkdtemp(dir) == NULL)
		return 99;
	snprintf(keyfile, sizeof keyfile, "%s/coupon.key", dir);
	write_key(keyfile, key_a, 0600);
	free(cfg.key_file);
	cfg.key_file = NULL;
	cfg.key_file = keyfile;

	test_campaigns();
	test_random();
	test_duplicates();
	test_keyed();
	test_keyed_collision();
	test_refusals();
	test_resume();
	test_lost_connection();
	test_export_expire();

	cfg.key_file = NULL;
	cp_db_close(db);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return tl_done("test_generate");
}
