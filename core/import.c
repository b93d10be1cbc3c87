/*
 * Imports: codes made elsewhere, read from a file (core/import_csv.c) into a
 * batch of method import, in chunks like generation (core/generate.c): each
 * chunk is one transaction that stores its codes (LOAD DATA LOCAL INFILE
 * streamed from memory) and the batch's progress together, so a run killed at
 * any moment resumes from the batch row alone, none twice.
 *
 * What the batch row keeps (params): the duplicate policy, how many bytes and
 * lines of the input the committed chunks cover, and the SHA-256 of exactly
 * those bytes. A resume reads the input from its start again, checks that
 * hash where the committed part ends, and skips the records before it; a
 * different file is refused before anything is stored.
 *
 * Invisible until complete: creating the batch sets campaigns.importing in
 * the same transaction, and every statement that changes or looks up a code
 * then checks the code's batch (core/redeem.c, VISIBLE_SQL). The fast
 * single-table statement never sees such a campaign: the campaign cache leaves
 * it out of its list of open campaigns, and the run waits out the fence of
 * every cache read before the flag (cache_fence_wait) before it stores a code.
 * So campaigns without an unfinished import pay nothing. A failed import
 * deletes its codes; the flag is cleared once no import of the campaign holds
 * unfinished codes.
 *
 * Duplicates (within the file or against any stored code, the unique index
 * being global) are found per chunk: a hash set over the chunk, and, only when
 * LOAD DATA ... IGNORE stored fewer rows than it was given, a lookup of the
 * chunk's codes after rolling it back, which names their lines.
 */
#include "config.h"

#include <errmsg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "audit.h"
#include "batch.h"
#include "campaign_cache.h"
#include "db.h"
#include "import.h"
#include "text.h"
#include "xmalloc.h"

#define READ_SIZE 65536
#define ARENA_FLUSH (4u << 20)  /* bytes of codes and metadata that end a chunk early */
#define LOOKUP_N 100            /* codes per duplicate lookup */
#define DELETE_N 10000          /* codes per transaction when a failed import is undone */
#define STORE_ATTEMPTS 4

/* ------------------------------------------------------------ the batch's state */

struct state {
	enum cp_import_dup dup;
	uint64_t size, bytes, lines, dups;
	char sha[65];   /* of the whole input, "" until known */
	char psha[65];  /* of its first BYTES bytes */
};

static void state_format(const struct state *s, char *out, size_t size)
{
	snprintf(out, size, "import;dup=%s;size=%" PRIu64 ";bytes=%" PRIu64 ";lines=%" PRIu64
		 ";dups=%" PRIu64 ";sha=%s;psha=%s", s->dup == CP_IMPORT_DUP_SKIP ? "skip" : "fail",
		 s->size, s->bytes, s->lines, s->dups, s->sha[0] ? s->sha : "-",
		 s->psha[0] ? s->psha : "-");
}

static bool hash_field(const char *p, char *out)
{
	if (*p == '-') {
		out[0] = '\0';
		return p[1] == '\0' || p[1] == ';';
	}
	for (int i = 0; i < 64; i++)
		if (text_hexval(p[i]) < 0)
			return false;
	memcpy(out, p, 64);
	out[64] = '\0';
	return true;
}

static bool state_parse(const char *s, struct state *st)
{
	char dup[8];
	int n = 0;
	const char *sha, *psha;

	memset(st, 0, sizeof *st);
	if (sscanf(s, "import;dup=%4[a-z];size=%" SCNu64 ";bytes=%" SCNu64 ";lines=%" SCNu64
		   ";dups=%" SCNu64 ";sha=%n", dup, &st->size, &st->bytes, &st->lines, &st->dups,
		   &n) != 5 || n == 0)
		return false;
	st->dup = strcmp(dup, "skip") == 0 ? CP_IMPORT_DUP_SKIP : CP_IMPORT_DUP_FAIL;
	sha = s + n;
	if ((psha = strstr(sha, ";psha=")) == NULL)
		return false;
	return hash_field(sha, st->sha) && hash_field(psha + 6, st->psha);
}

/* ------------------------------------------------------------ the chunk */

struct rec {
	uint64_t line, end;
	uint32_t code, meta;      /* offsets into the arena */
	uint32_t meta_len;
	uint8_t code_len;
	bool dup;
	time_t expires;           /* 0 = none */
};

struct chunk {
	struct rec *v;
	size_t n, cap;
	char *arena;
	size_t used, arena_cap;
	uint32_t *slot;           /* hash set of first occurrences: index + 1, 0 = free */
	size_t nslots;
};

/* ------------------------------------------------------------ the run */

struct run {
	struct cp_db *db;
	const struct cp_import_opts *opts;
	struct cp_batch batch;
	struct cp_campaign camp;
	struct state st;          /* as committed */
	uint64_t resume;          /* bytes the batch had read when this run began */
	char dup_lines[CP_IMPORT_DUP_LINES * 21];
	unsigned int ndup_lines;
	bool dup_lines_changed;
	struct imp_parser parser;
	struct chunk ck;
	size_t chunk_max;
	EVP_MD_CTX *md;
	uint64_t hashed;          /* bytes of the input in md */
	const char *buf;          /* the input being fed, at offset base */
	uint64_t base;
	struct timespec t0;
	/* The LOAD DATA under way. */
	size_t load_i;
	char pending[2 * CP_METADATA_MAX + 2 * CP_CODE_MAX + 64];
	size_t pending_n, pending_off;
	char load_sql[400];
};

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void hex32(const unsigned char *d, char *out)
{
	text_hex(out, d, 32);
	out[64] = '\0';
}

/* SHA-256 of what md holds so far, md left as it is. */
static enum cp_status digest_now(struct run *r, char *out, struct cp_err *e)
{
	EVP_MD_CTX *copy = EVP_MD_CTX_new();
	unsigned char d[32];
	unsigned int n = 0;
	bool ok = copy != NULL && EVP_MD_CTX_copy_ex(copy, r->md) == 1 &&
		  EVP_DigestFinal_ex(copy, d, &n) == 1 && n == 32;

	EVP_MD_CTX_free(copy);
	if (!ok)
		return cp_err_set(e, CP_E_CRYPTO, "SHA-256 failed");
	hex32(d, out);
	return CP_OK;
}

/*
 * Hashes the current input up to offset TO (within r->buf), checking on the way
 * that the part a resumed batch had read is the same as before.
 */
static enum cp_status hash_to(struct run *r, uint64_t to, struct cp_err *e)
{
	char now[65];
	enum cp_status st;

	if (to <= r->hashed)
		return CP_OK;
	if (r->hashed < r->resume && to >= r->resume) {
		if (EVP_DigestUpdate(r->md, r->buf + (r->hashed - r->base),
				     (size_t)(r->resume - r->hashed)) != 1)
			return cp_err_set(e, CP_E_CRYPTO, "SHA-256 failed");
		r->hashed = r->resume;
		if ((st = digest_now(r, now, e)) != CP_OK)
			return st;
		if (strcmp(now, r->st.psha) != 0)
			return cp_err_set(e, CP_E_CONFLICT,
					  "this is not the file batch %" PRIu64 " was importing: its "
					  "first %" PRIu64 " bytes differ", r->batch.id, r->resume);
	}
	if (EVP_DigestUpdate(r->md, r->buf + (r->hashed - r->base), (size_t)(to - r->hashed)) != 1)
		return cp_err_set(e, CP_E_CRYPTO, "SHA-256 failed");
	r->hashed = to;
	return CP_OK;
}

/* ------------------------------------------------------------ storing a chunk */

static int infile_init(void **ptr, const char *name, void *userdata)
{
	(void)name;
	*ptr = userdata;
	return userdata != NULL ? 0 : 1;
}

/* Appends S[0..N) escaped for LOAD DATA's default format (tab, newline, backslash). */
static size_t put_escaped(char *out, const char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '\\' || c == '\t' || c == '\n' || c == '\r') {
			out[o++] = '\\';
			c = c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : c;
		}
		out[o++] = c;
	}
	return o;
}

/* One row: code, expires_at, metadata, tab-separated, \N for NULL. */
static size_t format_row(const struct run *r, const struct rec *c, char *out)
{
	size_t o = put_escaped(out, r->ck.arena + c->code, c->code_len);

	out[o++] = '\t';
	if (c->expires != 0) {
		MYSQL_TIME t;

		db_time_from_unix(&t, c->expires);
		o += (size_t)sprintf(out + o, "%04u-%02u-%02u %02u:%02u:%02u", t.year, t.month,
				     t.day, t.hour, t.minute, t.second);
	} else {
		o += (size_t)sprintf(out + o, "\\N");
	}
	out[o++] = '\t';
	if (c->meta_len > 0)
		o += put_escaped(out + o, r->ck.arena + c->meta, c->meta_len);
	else
		o += (size_t)sprintf(out + o, "\\N");
	out[o++] = '\n';
	return o;
}

/* Streams the chunk's rows that are not duplicates, a row split where the buffer ends. */
static int infile_read(void *ptr, char *buf, unsigned int size)
{
	struct run *r = ptr;
	unsigned int o = 0;

	while (o < size) {
		if (r->pending_off == r->pending_n) {
			while (r->load_i < r->ck.n && r->ck.v[r->load_i].dup)
				r->load_i++;
			if (r->load_i == r->ck.n)
				break;
			r->pending_n = format_row(r, &r->ck.v[r->load_i++], r->pending);
			r->pending_off = 0;
		}
		size_t take = r->pending_n - r->pending_off;

		if (take > size - o)
			take = size - o;
		memcpy(buf + o, r->pending + r->pending_off, take);
		r->pending_off += take;
		o += (unsigned int)take;
	}
	return (int)o;
}

static void infile_end(void *ptr)
{
	(void)ptr;
}

static int infile_error(void *ptr, char *msg, unsigned int size)
{
	(void)ptr;
	snprintf(msg, size, "import stream failed");
	return CR_UNKNOWN_ERROR;
}

/* LOCAL INFILE is on only during our LOAD DATA, whose handlers read no file. */
static void local_infile(MYSQL *m, struct run *r)
{
	unsigned int on = r != NULL;

	mysql_optionsv(m, MYSQL_OPT_LOCAL_INFILE, &on);
	mysql_set_local_infile_handler(m, infile_init, infile_read, infile_end, infile_error, r);
}

static enum cp_status load(struct run *r, uint64_t *stored, struct cp_err *e)
{
	MYSQL *m = db_mysql(r->db);
	int rc;

	r->load_i = 0;
	r->pending_n = r->pending_off = 0;
	local_infile(m, r);
	rc = mysql_real_query(m, r->load_sql, (unsigned long)strlen(r->load_sql));
	local_infile(m, NULL);
	if (rc != 0)
		return db_fail(r->db, e, "storing imported codes");
	*stored = mysql_affected_rows(m);
	return CP_OK;
}

static size_t code_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return (size_t)h;
}

/* The index of the chunk's first record with code S[0..N), or -1. */
static long find_code(const struct chunk *k, const char *s, size_t n)
{
	for (size_t i = code_hash(s, n) & (k->nslots - 1);; i = (i + 1) & (k->nslots - 1)) {
		uint32_t v = k->slot[i];

		if (v == 0)
			return -1;
		if (k->v[v - 1].code_len == n && memcmp(k->arena + k->v[v - 1].code, s, n) == 0)
			return (long)v - 1;
	}
}

static const char lookup_head[] = "SELECT code FROM coupon_codes WHERE code IN (";

/* Marks the chunk's records whose code is stored already (one of our own rows or not). */
static enum cp_status mark_stored(struct run *r, struct cp_err *e)
{
	char sql[sizeof lookup_head + 2 * LOOKUP_N + 2];
	MYSQL_BIND p[LOOKUP_N], res[1];
	unsigned long plen[LOOKUP_N], rlen;
	char code[CP_CODE_MAX + 1];
	struct chunk *k = &r->ck;
	MYSQL_STMT *stmt;
	enum cp_status st;
	int rc;

	size_t o = strlen(lookup_head);

	memcpy(sql, lookup_head, o);
	for (int i = 0; i < LOOKUP_N; i++)
		o += (size_t)sprintf(sql + o, "%s?", i ? "," : "");
	sprintf(sql + o, ")");
	if ((stmt = db_prepare(r->db, sql, e, &st)) == NULL)
		return st;
	for (size_t i = 0; i < k->n; i += LOOKUP_N) {
		memset(p, 0, sizeof p);
		for (size_t j = 0; j < LOOKUP_N; j++) {
			const struct rec *c = &k->v[i + j < k->n ? i + j : i];

			p[j].buffer_type = MYSQL_TYPE_STRING;
			p[j].buffer = k->arena + c->code;
			plen[j] = c->code_len;
			p[j].buffer_length = plen[j];
			p[j].length = &plen[j];
		}
		memset(res, 0, sizeof res);
		db_bind_buf(&res[0], code, sizeof code, &rlen, NULL);
		if (mysql_stmt_bind_param(stmt, p) != 0 || mysql_stmt_execute(stmt) != 0 ||
		    mysql_stmt_bind_result(stmt, res) != 0 || mysql_stmt_store_result(stmt) != 0)
			return db_stmt_fail(r->db, stmt, e, "looking up imported codes");
		while ((rc = mysql_stmt_fetch(stmt)) == 0) {
			long at = find_code(k, code, rlen < sizeof code ? rlen : sizeof code - 1);

			if (at >= 0)
				k->v[at].dup = true;
		}
		mysql_stmt_free_result(stmt);
		if (rc == 1)
			return db_stmt_fail(r->db, stmt, e, "looking up imported codes");
	}
	return CP_OK;
}

static const char chunk_done_sql[] =
	"UPDATE generation_batches SET generated = generated + ?, requested = generated, "
	"params = ?, duplicate_lines = COALESCE(?, duplicate_lines), updated_at = NOW(6), "
	"status = IF(?, 'complete', 'running'), finished_at = IF(?, NOW(6), NULL) "
	"WHERE id = ? AND generated = ? AND " DB_IN_TX_SQL; /* never without its codes (db.h) */

/* The duplicates of the chunk: counted, their first lines noted; FIRST gets the first. */
static uint64_t note_dups(struct run *r, uint64_t *first)
{
	uint64_t n = 0;

	*first = 0;
	for (size_t i = 0; i < r->ck.n; i++) {
		const struct rec *c = &r->ck.v[i];

		if (!c->dup)
			continue;
		if (n++ == 0)
			*first = c->line;
		if (r->ndup_lines < CP_IMPORT_DUP_LINES) {
			size_t o = strlen(r->dup_lines);

			snprintf(r->dup_lines + o, sizeof r->dup_lines - o, "%s%" PRIu64,
				 r->ndup_lines ? "," : "", c->line);
			r->ndup_lines++;
			r->dup_lines_changed = true;
		}
	}
	return n;
}

/* In the chunk's transaction: the batch row moves on with it. */
static enum cp_status record_chunk(struct run *r, const struct state *next, uint64_t stored,
				   bool final, struct cp_err *e)
{
	MYSQL_BIND p[7];
	char params[256];
	unsigned long l1, l2;
	uint32_t fin = final;
	uint64_t rows = 0;
	my_bool dl_null = !r->dup_lines_changed;
	enum cp_status st;

	state_format(next, params, sizeof params);
	memset(p, 0, sizeof p);
	db_bind_u64(&p[0], &stored);
	db_bind_str(&p[1], params, &l1);
	db_bind_str(&p[2], r->dup_lines, &l2);
	p[2].is_null = &dl_null;
	db_bind_u32(&p[3], &fin);
	db_bind_u32(&p[4], &fin);
	db_bind_u64(&p[5], &r->batch.id);
	db_bind_u64(&p[6], &r->batch.generated);
	if ((st = db_run(r->db, chunk_done_sql, p, &rows, e)) != CP_OK)
		return st;
	if (rows != 1)
		return cp_err_set(e, CP_E_CONFLICT, "batch %" PRIu64 " changed under this run",
				  r->batch.id);
	return CP_OK;
}

static enum cp_status finish_audit(struct run *r, const struct state *s, uint64_t generated,
				   struct cp_err *e)
{
	struct jobj j;

	jobj_init(&j);
	jobj_u64(&j, "campaign_id", r->batch.campaign_id);
	jobj_u64(&j, "imported", generated);
	jobj_u64(&j, "duplicates", s->dups);
	jobj_u64(&j, "lines", s->lines);
	jobj_str(&j, "sha256", s->sha);
	return audit_add(r->db, NULL, "import.complete", "batch", r->batch.id, NULL, jobj_end(&j),
			 e);
}

/* One transaction: the chunk's new codes and the batch's progress. */
static enum cp_status store_once(struct run *r, const struct state *next, bool final,
				 uint64_t want, bool *short_, struct cp_err *e)
{
	uint64_t stored = 0;
	enum cp_status st;

	*short_ = false;
	if ((st = db_exec(r->db, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", e)) != CP_OK ||
	    (st = db_begin(r->db, e)) != CP_OK)
		return st;
	if (want > 0)
		st = load(r, &stored, e);
	if (st == CP_OK && stored < want) {
		*short_ = true;
		db_rollback(r->db);
		return CP_OK;
	}
	if (st == CP_OK)
		st = record_chunk(r, next, stored, final, e);
	if (st == CP_OK && final)
		st = finish_audit(r, next, r->batch.generated + stored, e);
	if (st == CP_OK)
		st = db_commit(r->db, e);
	if (st != CP_OK) {
		db_rollback(r->db);
		return st;
	}
	r->batch.generated += stored;
	return CP_OK;
}

static enum cp_status fail_dup(uint64_t line, struct cp_err *e)
{
	return cp_err_set(e, CP_E_DUPLICATE_CODE, "line %" PRIu64 ": the code is a duplicate "
			  "(of an earlier line or a stored code)", line);
}

static void chunk_clear(struct chunk *k)
{
	k->n = 0;
	k->used = 0;
	memset(k->slot, 0, k->nslots * sizeof *k->slot);
}

/* Stores the chunk, up to input offset END (LINES lines); FINAL completes the batch. */
static enum cp_status flush(struct run *r, uint64_t end, uint64_t lines, bool final,
			    struct cp_err *e)
{
	struct state next = r->st;
	char dl_saved[sizeof r->dup_lines];
	unsigned int nd_saved = r->ndup_lines;
	uint64_t want = 0, first = 0, ndup;
	bool short_ = false, looked = false;
	enum cp_status st;

	if ((st = hash_to(r, end, e)) != CP_OK || (st = digest_now(r, next.psha, e)) != CP_OK)
		return st;
	next.bytes = end;
	next.lines = lines;
	if (final)
		memcpy(next.sha, next.psha, sizeof next.sha);
	memcpy(dl_saved, r->dup_lines, sizeof dl_saved);
	for (unsigned int attempt = 0;; attempt++) {
		want = 0;
		for (size_t i = 0; i < r->ck.n; i++)
			want += !r->ck.v[i].dup;
		/* Within the chunk a duplicate shows at once; the first of all is named. */
		if (want < r->ck.n && r->st.dup == CP_IMPORT_DUP_FAIL && !looked) {
			if ((st = mark_stored(r, e)) != CP_OK)
				return st;
			looked = true;
			continue;
		}
		memcpy(r->dup_lines, dl_saved, sizeof dl_saved);
		r->ndup_lines = nd_saved;
		ndup = note_dups(r, &first);
		if (ndup > 0 && r->st.dup == CP_IMPORT_DUP_FAIL)
			return fail_dup(first, e);
		next.dups = r->st.dups + ndup;
		if ((st = store_once(r, &next, final, want, &short_, e)) != CP_OK)
			return st;
		if (!short_)
			break;
		/* Stored already (by an earlier line or anyone): which ones? */
		if (attempt == STORE_ATTEMPTS)
			return cp_err_set(e, CP_E_BUSY, "the chunk's codes kept changing under it");
		if ((st = mark_stored(r, e)) != CP_OK)
			return st;
		looked = true;
	}
	r->dup_lines_changed = false;
	r->st = next;
	chunk_clear(&r->ck);
	if (r->opts->progress != NULL) {
		struct cp_import_progress pr = {
			.batch_id = r->batch.id, .imported = r->batch.generated,
			.duplicates = r->st.dups, .nlines = r->st.lines, .bytes = r->st.bytes,
			.size = r->st.size, .elapsed = since(&r->t0),
		};

		if (!r->opts->progress(&pr, r->opts->arg))
			return cp_err_set(e, CP_E_CANCELLED, "import batch %" PRIu64 " stopped at line %"
					  PRIu64, r->batch.id, r->st.lines);
	}
	return CP_OK;
}

/* ------------------------------------------------------------ reading records */

static enum cp_status bad_line(uint64_t line, enum cp_status st, const char *what,
			       const struct cp_err *why, struct cp_err *e)
{
	return cp_err_set(e, st, "line %" PRIu64 ": %s%s", line, what, why->msg);
}

static enum cp_status read_expires(const struct imp_record *rec, time_t *t, struct cp_err *e)
{
	char s[64];
	struct cp_err why;
	size_t n = rec->len[IMP_EXPIRES];

	*t = 0;
	if (rec->field[IMP_EXPIRES] == NULL || n == 0)
		return CP_OK;
	cp_err_clear(&why);
	if (n >= sizeof s)
		return cp_err_set(e, CP_E_INVALID_IMPORT, "line %" PRIu64 ": bad expires_at: "
				  "longer than %zu bytes", rec->line, sizeof s - 1);
	memcpy(s, rec->field[IMP_EXPIRES], n);
	s[n] = '\0';
	if (cp_parse_time("expires_at", s, t, &why) != CP_OK)
		return bad_line(rec->line, CP_E_INVALID_IMPORT, "bad expires_at: ", &why, e);
	if (*t != 0 && *t <= time(NULL))
		return cp_err_set(e, CP_E_INVALID_IMPORT, "line %" PRIu64 ": bad expires_at: "
				  "in the past", rec->line);
	return CP_OK;
}

static void chunk_reserve(struct chunk *k, size_t bytes)
{
	if (k->n == k->cap) {
		k->cap = k->cap ? 2 * k->cap : 1024;
		k->v = xreallocarray(k->v, k->cap, sizeof *k->v);
	}
	if (k->used + bytes > k->arena_cap) {
		k->arena_cap = k->arena_cap ? 2 * k->arena_cap : 65536;
		while (k->arena_cap < k->used + bytes)
			k->arena_cap *= 2;
		k->arena = xreallocarray(k->arena, k->arena_cap, 1);
	}
}

/* The record, checked, into the chunk. */
static enum cp_status take(struct run *r, const struct imp_record *rec, struct cp_err *e)
{
	char code[CP_CODE_MAX + 1];
	struct chunk *k = &r->ck;
	struct cp_err why;
	struct rec *c;
	time_t expires;
	size_t n = rec->len[IMP_CODE], mlen = rec->field[IMP_METADATA] ? rec->len[IMP_METADATA] : 0;
	size_t slot;
	enum cp_status st;

	cp_err_clear(&why);
	if (n > CP_EXTERNAL_MAX)
		return cp_err_set(e, CP_E_INVALID_IMPORT, "line %" PRIu64 ": the code is %zu bytes, "
				  "over %d", rec->line, n, CP_EXTERNAL_MAX);
	if ((st = cp_code_normalize(&r->camp.format, rec->field[IMP_CODE], n, code, sizeof code,
				    &why)) != CP_OK)
		return bad_line(rec->line, st, "", &why, e);
	if ((st = read_expires(rec, &expires, e)) != CP_OK)
		return st;
	if (mlen > 0 && cp_metadata_check(rec->field[IMP_METADATA], mlen, &why) != CP_OK)
		return bad_line(rec->line, CP_E_INVALID_METADATA, "bad metadata: ", &why, e);
	n = strlen(code);
	chunk_reserve(k, n + mlen);
	c = &k->v[k->n];
	memset(c, 0, sizeof *c);
	c->line = rec->line;
	c->end = rec->end;
	c->code = (uint32_t)k->used;
	c->code_len = (uint8_t)n;
	memcpy(k->arena + k->used, code, n);
	k->used += n;
	c->meta = (uint32_t)k->used;
	c->meta_len = (uint32_t)mlen;
	memcpy(k->arena + k->used, rec->field[IMP_METADATA] ? rec->field[IMP_METADATA] : "", mlen);
	k->used += mlen;
	c->expires = expires;
	if (find_code(k, code, n) >= 0) {
		c->dup = true;
	} else {
		for (slot = code_hash(code, n) & (k->nslots - 1); k->slot[slot] != 0;
		     slot = (slot + 1) & (k->nslots - 1))
			;
		k->slot[slot] = (uint32_t)(k->n + 1);
	}
	k->n++;
	return CP_OK;
}

static enum cp_status on_record(const struct imp_record *rec, void *arg, struct cp_err *e)
{
	struct run *r = arg;
	enum cp_status st;

	/* Stored by an earlier run. */
	if (rec->end <= r->resume)
		return CP_OK;
	if ((st = take(r, rec, e)) != CP_OK)
		return st;
	/* A duplicate within the chunk fails the import: store what precedes it first. */
	if (r->ck.n < r->chunk_max && r->ck.used < ARENA_FLUSH &&
	    !(r->ck.v[r->ck.n - 1].dup && r->st.dup == CP_IMPORT_DUP_FAIL))
		return CP_OK;
	return flush(r, rec->end, r->parser.line, false, e);
}

/* ------------------------------------------------------------ undoing a failed import */

static const char campaign_lock_sql[] = "SELECT id FROM campaigns WHERE id = ? FOR UPDATE";
static const char unfinished_sql[] =
	"SELECT COUNT(*) FROM generation_batches b WHERE campaign_id = ? AND "
	BATCH_HIDDEN_SQL("b") " AND (status <> 'failed' OR generated > 0) LOCK IN SHARE MODE";
static const char importing_sql[] =
	"UPDATE campaigns SET importing = ? WHERE id = ? AND " DB_IN_TX_SQL;

/*
 * Clears the campaign's importing flag when no import of it holds unfinished
 * codes. The campaign row is locked first, so an import created meanwhile
 * (which sets the flag under the same lock) is counted.
 */
static enum cp_status settle_campaign(struct cp_db *db, uint32_t campaign, struct cp_err *e)
{
	MYSQL_BIND p[2], res[1];
	uint64_t n = 0;
	uint32_t id = campaign, flag;
	bool found;
	enum cp_status st;

	memset(p, 0, sizeof p);
	memset(res, 0, sizeof res);
	db_bind_u32(&p[0], &id);
	db_bind_u32(&res[0], &flag);
	if ((st = db_begin(db, e)) != CP_OK)
		return st;
	if ((st = db_select1(db, campaign_lock_sql, p, res, &found, e)) == CP_OK) {
		db_bind_u64(&res[0], &n);
		st = db_select1(db, unfinished_sql, p, res, &found, e);
	}
	if (st == CP_OK) {
		flag = n > 0;
		db_bind_u32(&p[0], &flag);
		db_bind_u32(&p[1], &id);
		st = db_run(db, importing_sql, p, NULL, e);
	}
	if (st == CP_OK)
		return db_commit(db, e);
	db_rollback(db);
	return st;
}

static const char delete_sql[] = "DELETE FROM coupon_codes WHERE batch_id = ? LIMIT 10000";
static const char deleted_sql[] =
	"UPDATE generation_batches SET generated = generated - ?, requested = generated,"
	" updated_at = NOW(6) WHERE id = ? AND " DB_IN_TX_SQL;

/* Deletes the codes of failed import ID, a transaction per DELETE_N. */
static enum cp_status undo(struct cp_db *db, uint64_t id, struct cp_err *e)
{
	MYSQL_BIND p[2];
	uint64_t rows;
	enum cp_status st;

	_Static_assert(DELETE_N == 10000, "delete_sql's LIMIT");
	do {
		rows = 0;
		memset(p, 0, sizeof p);
		db_bind_u64(&p[0], &id);
		if ((st = db_begin(db, e)) != CP_OK)
			return st;
		if ((st = db_run(db, delete_sql, p, &rows, e)) == CP_OK) {
			db_bind_u64(&p[0], &rows);
			db_bind_u64(&p[1], &id);
			st = db_run(db, deleted_sql, p, NULL, e);
		}
		if (st == CP_OK)
			st = db_commit(db, e);
		if (st != CP_OK) {
			db_rollback(db);
			return st;
		}
	} while (rows > 0);
	return CP_OK;
}

static const char failed_sql[] =
	"UPDATE generation_batches SET status = 'failed', error = ?, updated_at = NOW(6),"
	" finished_at = NOW(6) WHERE id = ? AND status <> 'complete'";

/* Best effort (the database may be what failed): the batch fails and its codes go. */
static void fail_batch(struct run *r, const struct cp_err *why)
{
	MYSQL_BIND p[2];
	unsigned long len;
	struct jobj j;
	struct cp_err ignored;
	char msg[512];

	if (cp_db_ensure(r->db, &ignored) != CP_OK)
		return;
	snprintf(msg, sizeof msg, "%s", why->msg);
	memset(p, 0, sizeof p);
	db_bind_str(&p[0], msg, &len);
	db_bind_u64(&p[1], &r->batch.id);
	jobj_init(&j);
	jobj_u64(&j, "campaign_id", r->batch.campaign_id);
	jobj_str(&j, "error", msg);
	if (db_begin(r->db, &ignored) != CP_OK)
		return;
	if (db_run(r->db, failed_sql, p, NULL, &ignored) != CP_OK ||
	    audit_add(r->db, NULL, "import.fail", "batch", r->batch.id, NULL, jobj_end(&j),
		      &ignored) != CP_OK ||
	    db_commit(r->db, &ignored) != CP_OK) {
		db_rollback(r->db);
		return;
	}
	if (undo(r->db, r->batch.id, &ignored) == CP_OK)
		settle_campaign(r->db, r->batch.campaign_id, &ignored);
}

/* ------------------------------------------------------------ the API */

static const char create_flag_sql[] =
	"UPDATE campaigns SET importing = 1 WHERE id = ? AND status <> 'archived'";
static const char create_sql[] =
	"INSERT INTO generation_batches (campaign_id, method, requested, params)"
	" SELECT ?, 'import', 0, ? FROM DUAL WHERE " DB_IN_TX_SQL;

enum cp_status cp_import_create(struct cp_db *db, uint32_t campaign_id,
				const struct cp_import_opts *o, uint64_t *batch_id, struct cp_err *e)
{
	static const struct cp_import_opts none;
	struct state s;
	struct cp_campaign camp;
	MYSQL_BIND p[2];
	char params[256];
	unsigned long len;
	uint64_t rows = 0;
	uint32_t id = campaign_id;
	struct jobj j;
	enum cp_status st;

	o = o != NULL ? o : &none;
	memset(&s, 0, sizeof s);
	s.dup = o->on_duplicate;
	s.size = o->size;
	if (o->sha256 != NULL && !hash_field(o->sha256, s.sha))
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, "sha256", "not a SHA-256 in hex");
	if ((st = cp_campaign_get(db, campaign_id, &camp, e)) != CP_OK)
		return st;
	state_format(&s, params, sizeof params);
	memset(p, 0, sizeof p);
	db_bind_u32(&p[0], &id);
	if ((st = db_begin(db, e)) != CP_OK)
		return st;
	if ((st = db_run(db, create_flag_sql, p, &rows, e)) == CP_OK && rows == 0)
		st = cp_err_set(e, CP_E_CONFLICT, "campaign '%s' is archived", camp.name);
	if (st == CP_OK) {
		db_bind_str(&p[1], params, &len);
		st = db_run(db, create_sql, p, NULL, e);
	}
	if (st == CP_OK) {
		*batch_id = db_insert_id(db, create_sql);
		jobj_init(&j);
		jobj_u64(&j, "campaign_id", campaign_id);
		jobj_str(&j, "on_duplicate", s.dup == CP_IMPORT_DUP_SKIP ? "skip" : "fail");
		jobj_str(&j, "sha256", s.sha[0] ? s.sha : NULL);
		st = audit_add(db, NULL, "import.start", "batch", *batch_id, NULL, jobj_end(&j), e);
	}
	if (st == CP_OK && (st = db_commit(db, e)) == CP_OK) {
		cache_stale(db);
		return CP_OK;
	}
	db_rollback(db);
	return st;
}

static const char dup_lines_sql[] =
	"SELECT COALESCE(duplicate_lines, '') FROM generation_batches WHERE id = ?";

enum cp_status cp_import_get(struct cp_db *db, uint64_t id, struct cp_import_result *out,
			     struct cp_err *e)
{
	MYSQL_BIND p[1], res[1];
	char lines[CP_IMPORT_DUP_LINES * 21];
	unsigned long len = 0;
	struct state s;
	bool found;
	enum cp_status st;

	memset(out, 0, sizeof *out);
	if ((st = cp_batch_get(db, id, &out->batch, e)) != CP_OK)
		return st;
	if (out->batch.method != CP_GEN_IMPORT || !state_parse(out->batch.params, &s))
		return cp_err_set(e, CP_E_CONFLICT, "batch %" PRIu64 " is not an import", id);
	memset(p, 0, sizeof p);
	memset(res, 0, sizeof res);
	db_bind_u64(&p[0], &id);
	db_bind_buf(&res[0], lines, sizeof lines, &len, NULL);
	if ((st = db_select1(db, dup_lines_sql, p, res, &found, e)) != CP_OK)
		return st;
	lines[len < sizeof lines ? len : sizeof lines - 1] = '\0';
	for (char *q = lines, *end; *q != '\0' && out->ndup_lines < CP_IMPORT_DUP_LINES; q = end) {
		out->dup_lines[out->ndup_lines++] = strtoull(q, &end, 10);
		if (*end == ',')
			end++;
		else if (*end != '\0' || end == q)
			break;
	}
	out->on_duplicate = s.dup;
	out->duplicates = s.dups;
	out->nlines = s.lines;
	out->bytes = s.bytes;
	out->size = s.size;
	memcpy(out->sha256, s.sha, sizeof out->sha256);
	return CP_OK;
}

enum cp_status cp_import_digest(cp_import_read_fn rd, void *arg, char *hex, uint64_t *size,
				struct cp_err *e)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char *buf = xmalloc(READ_SIZE);
	unsigned char d[32];
	unsigned int n = 0;
	enum cp_status st = CP_OK;
	long got;

	*size = 0;
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		st = cp_err_set(e, CP_E_CRYPTO, "SHA-256 failed");
	while (st == CP_OK && (got = rd(arg, buf, READ_SIZE, e)) != 0) {
		if (got < 0)
			st = CP_E_IO;
		else if (EVP_DigestUpdate(md, buf, (size_t)got) != 1)
			st = cp_err_set(e, CP_E_CRYPTO, "SHA-256 failed");
		else
			*size += (uint64_t)got;
	}
	if (st == CP_OK && (EVP_DigestFinal_ex(md, d, &n) != 1 || n != 32))
		st = cp_err_set(e, CP_E_CRYPTO, "SHA-256 failed");
	if (st == CP_OK)
		hex32(d, hex);
	EVP_MD_CTX_free(md);
	free(buf);
	return st;
}

/* Reads the input to its end through the parser. */
static enum cp_status read_all(struct run *r, cp_import_read_fn rd, void *arg, struct cp_err *e)
{
	char *buf = xmalloc(READ_SIZE);
	enum cp_status st = CP_OK;
	long got;

	while ((got = rd(arg, buf, READ_SIZE, e)) > 0) {
		r->buf = buf;
		if ((st = imp_feed(&r->parser, buf, (size_t)got, on_record, r, e)) != CP_OK ||
		    (st = hash_to(r, r->base + (uint64_t)got, e)) != CP_OK)
			break;
		r->base += (uint64_t)got;
	}
	if (st == CP_OK && got < 0)
		st = e->msg[0] ? CP_E_IO : cp_err_set(e, CP_E_IO, "reading the input failed");
	if (st == CP_OK && r->hashed < r->resume)
		st = cp_err_set(e, CP_E_CONFLICT, "this is not the file batch %" PRIu64 " was "
				"importing: it is shorter than the %" PRIu64 " bytes read before",
				r->batch.id, r->resume);
	if (st == CP_OK)
		st = imp_end(&r->parser, on_record, r, e);
	free(buf);
	return st;
}

static enum cp_status finish(struct run *r, struct cp_err *e)
{
	char whole[65];
	enum cp_status st;

	if ((st = digest_now(r, whole, e)) != CP_OK)
		return st;
	if (r->st.sha[0] != '\0' && strcmp(whole, r->st.sha) != 0)
		return cp_err_set(e, CP_E_CONFLICT, "the input's SHA-256 is %s, not %s as recorded "
				  "for batch %" PRIu64, whole, r->st.sha, r->batch.id);
	if ((st = flush(r, r->parser.offset, r->parser.line, true, e)) != CP_OK)
		return st;
	return settle_campaign(r->db, r->batch.campaign_id, e);
}

static enum cp_status prepare(struct run *r, struct cp_err *e)
{
	enum cp_status st;

	if (r->batch.method != CP_GEN_IMPORT || !state_parse(r->batch.params, &r->st))
		return cp_err_set(e, CP_E_CONFLICT, "batch %" PRIu64 " is not an import",
				  r->batch.id);
	if (r->batch.status == CP_BATCH_COMPLETE)
		return cp_err_set(e, CP_E_CONFLICT, "import batch %" PRIu64 " is complete already",
				  r->batch.id);
	if (r->batch.status == CP_BATCH_FAILED)
		return cp_err_set(e, CP_E_CONFLICT, "import batch %" PRIu64 " failed (%s); import "
				  "the file again", r->batch.id, r->batch.error);
	if (r->opts->sha256 != NULL && r->st.sha[0] != '\0' && strcmp(r->opts->sha256, r->st.sha))
		return cp_err_set(e, CP_E_CONFLICT, "this is not the file batch %" PRIu64 " was "
				  "importing: its SHA-256 is %.64s, the batch's %s", r->batch.id,
				  r->opts->sha256, r->st.sha);
	if ((st = cp_campaign_get(r->db, r->batch.campaign_id, &r->camp, e)) != CP_OK)
		return st;
	/* No redemption may still run on a campaign list read before the import began. */
	if ((st = cache_fence_wait(r->db, e)) != CP_OK)
		return st;
	r->resume = r->st.bytes;
	r->md = EVP_MD_CTX_new();
	if (r->md == NULL || EVP_DigestInit_ex(r->md, EVP_sha256(), NULL) != 1)
		return cp_err_set(e, CP_E_CRYPTO, "SHA-256 failed");
	r->chunk_max = r->opts->chunk ? r->opts->chunk : CP_IMPORT_CHUNK_DEFAULT;
	r->ck.nslots = 1;
	while (r->ck.nslots < 2 * r->chunk_max)
		r->ck.nslots *= 2;
	r->ck.slot = xcalloc(r->ck.nslots, sizeof *r->ck.slot);
	imp_init(&r->parser);
	/*
	 * Integers of our own rows, not user input: safe in the text. The rows are
	 * checked already (ASCII codes, UTF-8 metadata): no conversion on the way.
	 */
	snprintf(r->load_sql, sizeof r->load_sql,
		 "LOAD DATA LOCAL INFILE 'coupon-import-%" PRIu64 "' IGNORE INTO TABLE coupon_codes "
		 "CHARACTER SET binary FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' "
		 "LINES TERMINATED BY '\\n' (code, expires_at, metadata) SET campaign_id = %" PRIu32
		 ", batch_id = %" PRIu64, r->batch.id, r->batch.campaign_id, r->batch.id);
	return CP_OK;
}

static void run_free(struct run *r)
{
	EVP_MD_CTX_free(r->md);
	free(r->ck.v);
	free(r->ck.arena);
	free(r->ck.slot);
	free(r);
}

/* Failures of the input fail the batch; the machinery's leave it to be resumed. */
static bool input_at_fault(enum cp_status st)
{
	return st == CP_E_INVALID_IMPORT || st == CP_E_INVALID_CODE || st == CP_E_WRONG_CHECK ||
	       st == CP_E_INVALID_METADATA || st == CP_E_DUPLICATE_CODE;
}

enum cp_status cp_import_run(struct cp_db *db, uint64_t batch_id, cp_import_read_fn rd,
			     void *arg, const struct cp_import_opts *opts,
			     struct cp_import_result *out, struct cp_err *e)
{
	static const struct cp_import_opts none;
	struct run *r = xcalloc(1, sizeof *r);
	enum cp_status st;
	bool locked = false;

	r->db = db;
	r->opts = opts != NULL ? opts : &none;
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	if ((st = batch_lock(db, batch_id, e)) != CP_OK)
		goto out;
	locked = true;
	if ((st = cp_batch_get(db, batch_id, &r->batch, e)) != CP_OK ||
	    (st = prepare(r, e)) != CP_OK)
		goto out;
	if ((st = read_all(r, rd, arg, e)) == CP_OK)
		st = finish(r, e);
	if (input_at_fault(st) ||
	    (st == CP_E_CONFLICT && r->st.sha[0] != '\0' && r->hashed > r->resume))
		fail_batch(r, e);
out:
	if (locked && st != CP_E_DB_UNAVAILABLE)
		batch_unlock(db, batch_id);
	if (out != NULL) {
		struct cp_err ignored;

		if (cp_import_get(db, batch_id, out, &ignored) != CP_OK)
			out->batch = r->batch;
	}
	run_free(r);
	return st;
}
