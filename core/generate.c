/*
 * The generation run. A batch is one generation_batches row (core/batch.c);
 * its codes are written in chunks, each chunk one transaction that stores the
 * codes (LOAD DATA LOCAL INFILE streamed from memory) and the batch's new
 * generated count together. So generated == COUNT(codes of the batch) at every commit, and a run
 * killed at any moment resumes from the row alone: exactly the requested count
 * in the end, none twice (the unique index on code sees to that).
 *
 * LOAD DATA ... IGNORE skips codes already stored (by any campaign); its
 * affected-row count says how many went in, and the next chunk makes up the
 * shortfall. Random codes collide by chance; keyed codes can only collide with
 * codes made another way, and then consume further sequence numbers.
 *
 * Measured (doc/BENCHMARKS.md, "Generating codes"): LOAD DATA from memory in chunks of
 * 100k runs at the speed of one LOAD DATA of a pre-made file; multi-row INSERTs
 * were slower and cost more client CPU.
 */
#include "config.h"

#include <errmsg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch.h"
#include "db.h"
#include "field.h"
#include "format_internal.h"
#include "keyed.h"
#include "random.h"
#include "xmalloc.h"

#define STALL_LIMIT 16 /* chunks in a row that store nothing: the format is full */

struct run {
	struct cp_db *db;
	const struct cp_gen_opts *opts;
	struct cp_campaign camp;
	struct cp_batch batch;
	struct batch_params kp;
	struct keyed keyed;
	bool keyed_open;
	struct rnd *rnd;
	struct cp_gen_progress prog;
	struct timespec t0;
	/* The LOAD DATA under way: codes to stream, codes streamed. */
	uint64_t load_n, load_done;
	enum cp_status load_st;
	struct cp_err load_err;
	char load_sql[400];
	char lock[64];
};

static int infile_init(void **ptr, const char *name, void *userdata)
{
	(void)name;
	*ptr = userdata;
	/* Outside load() a server asking for a "file" gets nothing. */
	return userdata != NULL ? 0 : 1;
}

static enum cp_status make_code(struct run *r, char *out)
{
	uint8_t digits[CP_BODY_MAX];
	enum cp_status st;

	if (r->batch.method == CP_GEN_KEYED)
		return keyed_code(&r->keyed, batch_params_seq(&r->kp, r->kp.used + r->load_done), out,
				  &r->load_err);
	if ((st = rnd_body(r->rnd, digits, r->camp.format.body_len, &r->load_err)) != CP_OK)
		return st;
	cp_code_compose(&r->camp.format, digits, out);
	return CP_OK;
}

/* Streams whole lines, made as the server asks for them: no file, no big buffer. */
static int infile_read(void *ptr, char *buf, unsigned int size)
{
	struct run *r = ptr;
	unsigned int o = 0;

	while (r->load_done < r->load_n && size - o > CP_CODE_MAX + 1) {
		if ((r->load_st = make_code(r, buf + o)) != CP_OK)
			return -1;
		o += (unsigned int)strlen(buf + o);
		buf[o++] = '\n';
		r->load_done++;
	}
	return (int)o;
}

static void infile_end(void *ptr)
{
	(void)ptr;
}

static int infile_error(void *ptr, char *msg, unsigned int size)
{
	struct run *r = ptr;

	snprintf(msg, size, "%s", r != NULL && r->load_err.msg[0] ? r->load_err.msg
								  : "code generation failed");
	return CR_UNKNOWN_ERROR;
}

/*
 * LOCAL INFILE is on only during our LOAD DATA, and our handlers never read a
 * file: they make codes. So a server cannot ask this client for its files.
 */
static void local_infile(MYSQL *m, struct run *r)
{
	unsigned int on = r != NULL;

	mysql_optionsv(m, MYSQL_OPT_LOCAL_INFILE, &on);
	mysql_set_local_infile_handler(m, infile_init, infile_read, infile_end, infile_error, r);
}

/* One LOAD DATA of N codes; *STORED gets how many were new. */
static enum cp_status load(struct run *r, uint64_t n, uint64_t *stored, struct cp_err *e)
{
	MYSQL *m = db_mysql(r->db);
	int rc;

	r->load_n = n;
	r->load_done = 0;
	r->load_st = CP_OK;
	cp_err_clear(&r->load_err);
	local_infile(m, r);
	rc = mysql_real_query(m, r->load_sql, (unsigned long)strlen(r->load_sql));
	local_infile(m, NULL);
	if (rc != 0) {
		if (r->load_st != CP_OK) {
			*e = r->load_err;
			return r->load_st;
		}
		return db_fail(r->db, e, "storing codes");
	}
	if (r->load_done != n)
		return cp_err_set(e, CP_E_INTERNAL, "streamed %" PRIu64 " of %" PRIu64 " codes",
				  r->load_done, n);
	*stored = mysql_affected_rows(m);
	return CP_OK;
}

static const char chunk_done_sql[] =
	"UPDATE generation_batches SET generated = ?, params = ?, updated_at = NOW(6), "
	"status = IF(? = requested, 'complete', 'running'), "
	"finished_at = IF(? = requested, NOW(6), NULL) WHERE id = ? AND generated = ? AND "
	DB_IN_TX_SQL; /* never without the chunk's codes (db.h) */

/* Records the chunk's codes on the batch row, in the chunk's transaction. */
static enum cp_status record_chunk(struct run *r, uint64_t generated, struct cp_err *e)
{
	MYSQL_BIND p[6];
	unsigned long plen;
	uint64_t n = 0;
	enum cp_status st;

	if (r->batch.method == CP_GEN_KEYED)
		batch_params_format(&r->kp, r->batch.params, sizeof r->batch.params);
	memset(p, 0, sizeof p);
	db_bind_u64(&p[0], &generated);
	db_bind_str(&p[1], r->batch.params, &plen);
	db_bind_u64(&p[2], &generated);
	db_bind_u64(&p[3], &generated);
	db_bind_u64(&p[4], &r->batch.id);
	db_bind_u64(&p[5], &r->batch.generated);
	if ((st = db_run(r->db, chunk_done_sql, p, &n, e)) != CP_OK)
		return st;
	if (n != 1)
		return cp_err_set(e, CP_E_CONFLICT, "batch %" PRIu64 " changed under this run",
				  r->batch.id);
	return CP_OK;
}

static enum cp_status chunk(struct run *r, uint64_t n, struct cp_err *e)
{
	uint64_t stored = 0, used = r->kp.used;
	enum cp_status st;

	/*
	 * REPEATABLE READ for this transaction only (the session runs READ
	 * COMMITTED): measured ~30% faster for LOAD DATA ... IGNORE into a unique
	 * index on MariaDB 10.11, see doc/BENCHMARKS.md.
	 */
	if ((st = db_exec(r->db, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", e)) != CP_OK ||
	    (st = db_begin(r->db, e)) != CP_OK)
		return st;
	if ((st = load(r, n, &stored, e)) == CP_OK) {
		r->kp.used += n;
		st = record_chunk(r, r->batch.generated + stored, e);
	}
	if (st == CP_OK)
		st = db_commit(r->db, e);
	if (st != CP_OK) {
		r->kp.used = used;
		db_rollback(r->db);
		return st;
	}
	r->batch.generated += stored;
	r->prog.run_generated += stored;
	r->prog.duplicates += n - stored;
	return CP_OK;
}

/* Deadlocks and lock-wait timeouts (two runs storing the same code) are retried. */
static enum cp_status chunk_retried(struct run *r, uint64_t n, struct cp_err *e)
{
	unsigned int retries = db_config(r->db)->retries;
	enum cp_status st;

	for (unsigned int attempt = 1;; attempt++) {
		st = chunk(r, n, e);
		if (!db_retryable(st) || attempt > retries)
			return st;
		db_backoff(attempt);
	}
}

static const char params_sql[] =
	"UPDATE generation_batches SET params = ?, updated_at = NOW(6) WHERE id = ?";

/* Keyed codes that collided with codes made otherwise need further numbers. */
static enum cp_status reserve_more(struct run *r, uint64_t count, struct cp_err *e)
{
	MYSQL_BIND p[2];
	unsigned long plen;
	uint64_t start;
	enum cp_status st;

	if ((st = db_begin(r->db, e)) != CP_OK)
		return st;
	if ((st = batch_reserve(r->db, count, r->keyed.capacity, &start, e)) == CP_OK &&
	    !batch_params_add(&r->kp, start, count))
		st = cp_err_set(e, CP_E_INTERNAL, "batch %" PRIu64 ": too many sequence ranges",
				r->batch.id);
	if (st == CP_OK) {
		batch_params_format(&r->kp, r->batch.params, sizeof r->batch.params);
		memset(p, 0, sizeof p);
		db_bind_str(&p[0], r->batch.params, &plen);
		db_bind_u64(&p[1], &r->batch.id);
		st = db_run(r->db, params_sql, p, NULL, e);
	}
	if (st == CP_OK)
		return db_commit(r->db, e);
	db_rollback(r->db);
	return st;
}

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static bool report(struct run *r)
{
	r->prog.batch_id = r->batch.id;
	r->prog.generated = r->batch.generated;
	r->prog.requested = r->batch.requested;
	r->prog.elapsed = since(&r->t0);
	return r->opts->progress == NULL || r->opts->progress(&r->prog, r->opts->arg);
}

static unsigned int chunk_size(const struct cp_gen_opts *o)
{
	if (o->chunk == 0)
		return CP_GEN_CHUNK_DEFAULT;
	return o->chunk > CP_GEN_CHUNK_MAX ? CP_GEN_CHUNK_MAX : o->chunk;
}

static enum cp_status generate(struct run *r, struct cp_err *e)
{
	uint64_t size = chunk_size(r->opts), before, n;
	unsigned int stalls = 0;
	enum cp_status st;

	while (r->batch.generated < r->batch.requested) {
		if (!report(r))
			return cp_err_set(e, CP_E_CANCELLED, "batch %" PRIu64 " cancelled at %" PRIu64
					  " of %" PRIu64 " codes", r->batch.id, r->batch.generated,
					  r->batch.requested);
		n = r->batch.requested - r->batch.generated;
		n = n < size ? n : size;
		if (r->batch.method == CP_GEN_KEYED) {
			uint64_t left = batch_params_total(&r->kp) - r->kp.used;

			if (left == 0 && (st = reserve_more(r, r->batch.requested -
							       r->batch.generated, e)) != CP_OK)
				return st;
			left = batch_params_total(&r->kp) - r->kp.used;
			n = n < left ? n : left;
		}
		before = r->batch.generated;
		if ((st = chunk_retried(r, n, e)) != CP_OK)
			return st;
		stalls = r->batch.generated == before ? stalls + 1 : 0;
		if (stalls == STALL_LIMIT)
			return cp_err_set(e, CP_E_CAPACITY, "%u chunks in a row found only codes "
					  "already stored: the format is full", STALL_LIMIT);
	}
	report(r);
	return CP_OK;
}

static const char restart_sql[] =
	"UPDATE generation_batches SET status = 'running', error = NULL, finished_at = NULL, "
	"updated_at = NOW(6) WHERE id = ? AND status <> 'complete'";
static const char finish_sql[] =
	"UPDATE generation_batches SET status = ?, error = ?, updated_at = NOW(6) "
	"WHERE id = ? AND status = 'running'";

static enum cp_status set_status(struct run *r, const char *status, const char *error,
				 struct cp_err *e)
{
	MYSQL_BIND p[3];
	unsigned long slen, elen;

	memset(p, 0, sizeof p);
	db_bind_str(&p[0], status, &slen);
	db_bind_str(&p[1], error, &elen);
	db_bind_u64(&p[2], &r->batch.id);
	return db_run(r->db, finish_sql, p, NULL, e);
}

/* Best effort: the database may be what failed. The batch stays resumable. */
static void record_end(struct run *r, enum cp_status st, const struct cp_err *e)
{
	struct cp_err ignored;

	if (st == CP_E_CANCELLED) {
		set_status(r, "cancelled", NULL, &ignored);
		return;
	}
	if (cp_db_ensure(r->db, &ignored) == CP_OK)
		set_status(r, "failed", e->msg[0] ? e->msg : cp_status_message(st), &ignored);
}

static enum cp_status prepare(struct run *r, struct cp_err *e)
{
	MYSQL_BIND p[1];
	char expires[48] = "";
	enum cp_status st;

	if ((st = cp_campaign_get(r->db, r->batch.campaign_id, &r->camp, e)) != CP_OK)
		return st;
	if (r->batch.method == CP_GEN_KEYED) {
		if (!batch_params_parse(r->batch.params, &r->kp))
			return cp_err_set(e, CP_E_INTERNAL, "batch %" PRIu64 ": unreadable "
					  "parameters '%s'", r->batch.id, r->batch.params);
		if ((st = keyed_open(&r->keyed, db_config(r->db)->key_file, &r->camp.format,
				     e)) != CP_OK)
			return st;
		r->keyed_open = true;
		if (strcmp(r->keyed.fingerprint, r->kp.key) != 0)
			return cp_err_set(e, CP_E_KEY_FILE,
					  "batch %" PRIu64 " was started with the key of fingerprint "
					  "%s; the configured key file has %s", r->batch.id,
					  r->kp.key, r->keyed.fingerprint);
	} else {
		r->rnd = xmalloc(sizeof *r->rnd);
		if (r->opts->test_seed != 0)
			rnd_init_test(r->rnd, cp_format_radix(&r->camp.format), r->opts->test_seed,
				      r->opts->test_period);
		else
			rnd_init(r->rnd, cp_format_radix(&r->camp.format));
	}
	/* The codes' own expiry, in the clock the server stores (db_time_from_unix). */
	if (r->batch.code_expires_at != 0) {
		MYSQL_TIME t;

		db_time_from_unix(&t, r->batch.code_expires_at);
		snprintf(expires, sizeof expires,
			 ", expires_at = '%04u-%02u-%02u %02u:%02u:%02u'", t.year, t.month, t.day,
			 t.hour, t.minute, t.second);
	}
	/* Integers of our own rows, not user input: safe to put in the text. */
	snprintf(r->load_sql, sizeof r->load_sql,
		 "LOAD DATA LOCAL INFILE 'coupon-batch-%" PRIu64 "' IGNORE INTO TABLE coupon_codes "
		 "CHARACTER SET ascii FIELDS TERMINATED BY ',' ESCAPED BY '' "
		 "LINES TERMINATED BY '\\n' (code) SET campaign_id = %" PRIu32
		 ", batch_id = %" PRIu64 "%s", r->batch.id, r->batch.campaign_id, r->batch.id,
		 expires);
	memset(p, 0, sizeof p);
	db_bind_u64(&p[0], &r->batch.id);
	return db_run(r->db, restart_sql, p, NULL, e);
}

static void run_free(struct run *r)
{
	if (r->keyed_open)
		keyed_close(&r->keyed);
	if (r->rnd != NULL) {
		rnd_done(r->rnd);
		free(r->rnd);
	}
}

enum cp_status cp_batch_run(struct cp_db *db, uint64_t batch_id, const struct cp_gen_opts *opts,
			    struct cp_batch *out, struct cp_err *e)
{
	static const struct cp_gen_opts none;
	struct run *r = xcalloc(1, sizeof *r);
	enum cp_status st;

	r->db = db;
	r->opts = opts != NULL ? opts : &none;
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	if ((st = cp_batch_get(db, batch_id, &r->batch, e)) != CP_OK)
		goto out;
	if ((st = batch_lock(db, batch_id, e)) != CP_OK)
		goto out;
	/* Read again under the lock: a run that just ended may have moved it on. */
	if ((st = cp_batch_get(db, batch_id, &r->batch, e)) != CP_OK)
		goto unlock;
	if (r->batch.status == CP_BATCH_COMPLETE)
		goto unlock;
	if (r->batch.method == CP_GEN_IMPORT) {
		st = cp_err_set(e, CP_E_CONFLICT, "batch %" PRIu64 " is an import: resume it with "
				"its file", batch_id);
		goto unlock;
	}
	if ((st = prepare(r, e)) != CP_OK)
		goto unlock;
	if ((st = generate(r, e)) != CP_OK)
		record_end(r, st, e);
	else
		st = cp_batch_get(db, batch_id, &r->batch, e);
unlock:
	if (st != CP_E_DB_UNAVAILABLE)
		batch_unlock(db, batch_id);
out:
	if (out != NULL)
		*out = r->batch;
	run_free(r);
	free(r);
	return st;
}

/* updated_at moves with every committed chunk (chunk_done_sql): the batch's last progress. */
