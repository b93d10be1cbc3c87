/*
 * The per-connection cache of campaigns: the formats that normalise typed codes
 * before the database sees them, and the names and per-user limits the replies
 * and the choice of statement need.
 *
 * The cache is only ever a hint: the redemption statements check campaign status,
 * window and per-user limit in SQL, so a stale entry costs a retry, never a wrong
 * answer. It is refreshed every CACHE_TTL_MS and on a miss (at most every
 * MISS_RELOAD_MS, so a flood of garbage codes cannot turn into a flood of queries).
 *
 * It lives in the connection's cache slot (db_cache), so a reconnect starts afresh.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codes.h"
#include "db.h"
#include "xmalloc.h"

#define CACHE_TTL_MS 5000
#define MISS_RELOAD_MS 200

struct cache {
	struct codes_campaign *v;
	size_t n;
	int64_t loaded_ms; /* monotonic; 0 = never / stale */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void cache_free(void *p)
{
	struct cache *c = p;

	free(c->v);
	free(c);
}

/* The connection's cache, made on first use. */
static struct cache *cache_for(struct cp_db *db)
{
	struct cache *c = db_cache(db);

	if (c == NULL) {
		c = xcalloc(1, sizeof *c);
		db_set_cache(db, c, cache_free);
	}
	return c;
}

static const char load_sql[] =
	"SELECT id, name, per_user_limit, unredeem_policy = 'restore', alphabet, prefix,"
	" body_length, check_char, group_size, events_enabled FROM campaigns"
	" WHERE status <> 'archived'"
	" ORDER BY id";

static void copy_str(char *dst, size_t sz, const char *s)
{
	size_t n = s != NULL ? strnlen(s, sz - 1) : 0;

	memcpy(dst, s != NULL ? s : "", n);
	dst[n] = '\0';
}

static void fill_campaign(struct codes_campaign *k, MYSQL_ROW row)
{
	memset(k, 0, sizeof *k);
	k->id = (uint32_t)strtoul(row[0], NULL, 10);
	copy_str(k->name, sizeof k->name, row[1]);
	k->per_user_limit = (uint32_t)strtoul(row[2], NULL, 10);
	k->restores = row[3] != NULL && row[3][0] == '1';
	copy_str(k->format.alphabet, sizeof k->format.alphabet, row[4]);
	copy_str(k->format.prefix, sizeof k->format.prefix, row[5]);
	k->format.body_len = (unsigned int)strtoul(row[6], NULL, 10);
	k->format.check = row[7] != NULL && row[7][0] != '0';
	k->format.group = (unsigned int)strtoul(row[8], NULL, 10);
	k->events = row[9] != NULL && row[9][0] != '0';
}

static enum cp_status load(struct cp_db *db, struct cache *c, struct cp_err *e)
{
	MYSQL *m = db_mysql(db);
	MYSQL_RES *res;
	MYSQL_ROW row;
	size_t n = 0;

	if (mysql_query(m, load_sql) != 0 || (res = mysql_store_result(m)) == NULL)
		return db_fail(db, e, "load campaigns");
	free(c->v);
	c->v = xcalloc(mysql_num_rows(res) + 1, sizeof *c->v);
	while ((row = mysql_fetch_row(res)) != NULL)
		fill_campaign(&c->v[n++], row);
	mysql_free_result(res);
	c->n = n;
	c->loaded_ms = now_ms();
	return CP_OK;
}

/* The cache for DB, loaded or refreshed as its age requires. */
static struct cache *fresh(struct cp_db *db, struct cp_err *e, enum cp_status *st)
{
	struct cache *c;

	if ((*st = cp_db_ensure(db, e)) != CP_OK)
		return NULL;
	c = cache_for(db);
	if (c->loaded_ms == 0 || now_ms() - c->loaded_ms > CACHE_TTL_MS)
		if ((*st = load(db, c, e)) != CP_OK)
			return NULL;
	*st = CP_OK;
	return c;
}

/* Reloads after a miss, unless the cache is younger than MISS_RELOAD_MS. */
static bool reload_on_miss(struct cp_db *db, struct cache *c)
{
	struct cp_err e;

	if (now_ms() - c->loaded_ms < MISS_RELOAD_MS)
		return false;
	return load(db, c, &e) == CP_OK;
}

struct match {
	char out[CP_CODE_MAX + 1], alt[CP_CODE_MAX + 1];
	unsigned int forms;
	bool wrong_check;
	struct cp_err check_err, other_err;
	struct codes_hint hint;
};

/* Adds campaign K's reading of IN to M. */
static void try_format(const struct codes_campaign *k, const char *in, size_t inlen,
		       struct match *m)
{
	char buf[CP_CODE_MAX + 1];
	struct cp_err e;
	enum cp_status st;

	cp_err_clear(&e);
	st = cp_code_normalize(&k->format, in, inlen, buf, sizeof buf, &e);
	if (st == CP_E_WRONG_CHECK && !m->wrong_check) {
		m->wrong_check = true;
		m->check_err = e;
	} else if (st != CP_OK && m->other_err.msg[0] == '\0') {
		m->other_err = e;
	}
	if (st != CP_OK)
		return;
	if (m->forms == 0 || strcmp(buf, m->out) == 0) {
		if (m->forms == 0)
			memcpy(m->out, buf, sizeof buf);
		m->forms = m->forms ? m->forms : 1;
	} else if (m->forms == 1 || strcmp(buf, m->alt) != 0) {
		if (m->forms == 1)
			memcpy(m->alt, buf, sizeof buf);
		m->forms = 2;
	}
	m->hint.any_limit |= k->per_user_limit > 0;
	m->hint.any_events |= k->events;
	m->hint.campaign_id = m->hint.campaign_id == 0 ? k->id : UINT32_MAX;
}

static void match_all(const struct cache *c, const char *in, size_t inlen, struct match *m)
{
	memset(m, 0, sizeof *m);
	for (size_t i = 0; i < c->n; i++)
		try_format(&c->v[i], in, inlen, m);
	if (m->hint.campaign_id == UINT32_MAX)
		m->hint.campaign_id = 0;
}

static enum cp_status refuse(const struct cache *c, const struct match *m, struct cp_err *e)
{
	if (m->wrong_check) {
		if (e != NULL)
			*e = m->check_err;
		return CP_E_WRONG_CHECK;
	}
	/* With a single campaign its message says best what is wrong. */
	if (c->n == 1 && m->other_err.msg[0] != '\0') {
		if (e != NULL)
			*e = m->other_err;
		return CP_E_INVALID_CODE;
	}
	return cp_err_set(e, CP_E_INVALID_CODE, "the code matches no campaign's format");
}

enum cp_status codes_normalize(struct cp_db *db, const char *in, size_t inlen, char *out,
			       char *alt, struct codes_hint *hint, struct cp_err *e)
{
	struct cache *c;
	struct match m;
	enum cp_status st;

	if (in == NULL || inlen == 0)
		return cp_err_set(e, CP_E_INVALID_CODE, "the code is empty");
	if (inlen > CP_INPUT_MAX)
		return cp_err_set(e, CP_E_INVALID_CODE, "the code is too long: %zu bytes, at most %d",
				  inlen, CP_INPUT_MAX);
	if ((c = fresh(db, e, &st)) == NULL)
		return st;
	match_all(c, in, inlen, &m);
	if (m.forms == 0 && reload_on_miss(db, c))
		match_all(c, in, inlen, &m);
	if (m.forms == 0)
		return refuse(c, &m, e);
	memcpy(out, m.out, sizeof m.out);
	if (alt != NULL)
		memcpy(alt, m.forms > 1 ? m.alt : "", m.forms > 1 ? sizeof m.alt : 1);
	if (hint != NULL)
		*hint = m.hint;
	return CP_OK;
}

const struct codes_campaign *codes_campaign(struct cp_db *db, uint32_t id)
{
	struct cp_err e;
	enum cp_status st;
	struct cache *c = fresh(db, &e, &st);

	if (c == NULL)
		return NULL;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < c->n; i++)
			if (c->v[i].id == id)
				return &c->v[i];
		if (pass == 0 && !reload_on_miss(db, c))
			break;
	}
	return NULL;
}

void codes_stale(struct cp_db *db)
{
	cache_for(db)->loaded_ms = 0;
}

void cp_campaign_cache_reset(struct cp_db *db)
{
	codes_stale(db);
}

enum cp_status cp_code_lookup_normalize(struct cp_db *db, const char *in, size_t inlen,
					char *out, size_t outsz, struct cp_err *e)
{
	char buf[CP_CODE_MAX + 1];
	enum cp_status st;

	if (outsz < sizeof buf)
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "output buffer too small");
	if ((st = codes_normalize(db, in, inlen, buf, NULL, NULL, e)) == CP_OK)
		memcpy(out, buf, sizeof buf);
	return st;
}
