/*
 * The per-connection cache of campaigns: the formats that normalise typed codes
 * before the database sees them, the names and per-user limits the replies and
 * the choice of statement need, and the campaigns the fast redemption statement
 * may take.
 *
 * For everything but the fast statement the cache is only a hint: the other
 * statements check campaign status, window and per-user limit in SQL, so a stale
 * entry costs a retry, never a wrong answer. It is refreshed every CACHE_TTL_MS
 * and on a miss (at most every MISS_RELOAD_MS, so a flood of garbage codes cannot
 * turn into a flood of queries).
 *
 * The fast statement (core/redeem.c) is a single-table UPDATE: reading campaigns
 * in the statement costs 15-25 % of redemption throughput (bench/redeem), so it
 * takes the campaigns' state from here instead, as a list of "open" campaigns
 * (active, inside their window, no per-user limit, no events, no cap, no
 * unfinished import, whose codes the statement could not tell apart), and is made exact
 * by a fence: the cache is read together with the server's NOW(6) + FENCE_MS,
 * and the statement only matches while the server's NOW(6) is before that
 * instant. Whatever can make an open entry wrong (a pause or archive, and through
 * cp_campaign_update an earlier end, a later start, a new per-user limit, events)
 * waits in cache_fence_wait() until each cache read before it has passed its
 * fence: once such a change has returned, no redemption that it forbids can start.
 * Resuming and other widening changes need no wait: a campaign missing from the
 * list takes the joined statement. A capped campaign is never in the list: it has
 * a fast statement of its own (core/redeem.c), for which the cache says whether
 * it is open but for its cap (cache_open_capped), under the same fence.
 * Each fence is in the clock of the server that read the list and is checked by
 * that same server, so on a Galera cluster (where the read is causal, below) only
 * the nodes' clock rates matter, not their offsets. A server clock stepped back
 * stretches a fence by the step.
 *
 * It lives in the connection's cache slot (db_cache), so a reconnect starts afresh.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "campaign_cache.h"
#include "db.h"
#include "rewards.h"
#include "xmalloc.h"

/* Reloaded before the fence is near, so the fast statement rarely meets it. */
#define CACHE_TTL_MS (CACHE_FENCE_MS * 3 / 4)
#define MISS_RELOAD_MS 200
/* More open campaigns than this and redemption takes the joined statement. */
#define OPEN_MAX 1000

#define STR_(x) #x
#define STR(x) STR_(x)
#define FENCE_SQL "NOW(6) + INTERVAL " STR(CACHE_FENCE_MS) "000 MICROSECOND"

struct held_reward {
	uint32_t id;
	bool used; /* by a campaign of the last load */
	struct cp_reward *r;
};

struct cache_list {
	struct cache_campaign *v;
	size_t n;
	int64_t loaded_ms; /* monotonic, taken before the query; 0 = never / stale */
	uint32_t *open;    /* ids of the open campaigns, ascending */
	uint32_t *open_reward; /* and the reward each grants (0 = none) */
	size_t nopen;
	/* Reward rows the campaigns point at (and replies asked for), by id: immutable. */
	struct held_reward *rewards;
	size_t nrewards;
	MYSQL_TIME fence;  /* the server's time until which OPEN holds */
	char *open_sql;    /* the fast statement for OPEN, built on first use */
	const char *open_prefix; /* what it was built from */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap_us(int64_t us)
{
	struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void cache_list_free(void *p)
{
	struct cache_list *c = p;

	free(c->v);
	free(c->open);
	free(c->open_reward);
	free(c->open_sql);
	for (size_t i = 0; i < c->nrewards; i++)
		free(c->rewards[i].r);
	free(c->rewards);
	free(c);
}

/* The connection's cache, made on first use. */
static struct cache_list *list_for(struct cp_db *db)
{
	struct cache_list *c = db_cache(db);

	if (c == NULL) {
		c = xcalloc(1, sizeof *c);
		db_set_cache(db, c, cache_list_free);
	}
	return c;
}

/* A campaign that ends before the fence is not open: the joined statement decides. */
#define LOAD_SQL                                                                          \
	"SELECT id, name, per_user_limit, unredeem_policy = 'restore', alphabet, prefix,"  \
	" body_length, check_char, group_size, events_enabled,"                            \
	" status = 'active' AND per_user_limit = 0 AND events_enabled = 0 AND importing = 0" \
	" AND (starts_at IS NULL OR starts_at <= NOW(6))"                                  \
	" AND (expires_at IS NULL OR expires_at > " FENCE_SQL "), " FENCE_SQL              \
	", COALESCE(reward_id, 0), max_redemptions IS NOT NULL, external, case_sensitive,"  \
	" ignore_separators"                                                              \
	" FROM campaigns WHERE status <> 'archived' ORDER BY id"
static const char load_sql[] = LOAD_SQL;
/*
 * On a Galera node the read waits until the node has applied every write set the
 * cluster had committed when it began (a causal read), so a pause committed on
 * another node before the read is seen, and the fence holds across nodes too.
 */
static const char load_causal_sql[] = "SET STATEMENT wsrep_sync_wait = 1 FOR " LOAD_SQL;

static void copy_str(char *dst, size_t sz, const char *s)
{
	size_t n = s != NULL ? strnlen(s, sz - 1) : 0;

	memcpy(dst, s != NULL ? s : "", n);
	dst[n] = '\0';
}

static void fill_campaign(struct cache_campaign *k, MYSQL_ROW row)
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
	k->reward_id = row[12] != NULL ? (uint32_t)strtoul(row[12], NULL, 10) : 0;
	k->capped = row[13] != NULL && row[13][0] == '1';
	k->format.external = row[14] != NULL && row[14][0] != '0';
	k->format.case_sensitive = row[15] != NULL && row[15][0] != '0';
	k->format.ignore_separators = row[16] != NULL && row[16][0] != '0';
}

/* "YYYY-MM-DD HH:MM:SS.ffffff" as the server sent it. */
static bool parse_time(const char *s, MYSQL_TIME *t)
{
	unsigned int y, mo, d, h, mi, sec;
	unsigned long us;

	memset(t, 0, sizeof *t);
	if (s == NULL ||
	    sscanf(s, "%4u-%2u-%2u %2u:%2u:%2u.%6lu", &y, &mo, &d, &h, &mi, &sec, &us) != 7)
		return false;
	t->year = y;
	t->month = mo;
	t->day = d;
	t->hour = h;
	t->minute = mi;
	t->second = sec;
	t->second_part = us;
	t->time_type = MYSQL_TIMESTAMP_DATETIME;
	return true;
}

static void forget_open_sql(struct cp_db *db, struct cache_list *c)
{
	if (c->open_sql == NULL)
		return;
	db_forget(db, c->open_sql);
	free(c->open_sql);
	c->open_sql = NULL;
}

/* Takes the new list of open campaigns; the fast statement goes if it changed. */
static void set_open(struct cp_db *db, struct cache_list *c, uint32_t *open, uint32_t *reward,
		     size_t n)
{
	bool same = n == c->nopen && (n == 0 || (memcmp(open, c->open, n * sizeof *open) == 0 &&
						 memcmp(reward, c->open_reward,
							n * sizeof *reward) == 0));

	free(c->open);
	free(c->open_reward);
	c->open = open;
	c->open_reward = reward;
	c->nopen = n;
	if (!same)
		forget_open_sql(db, c);
}

/* Where reward ID is in C->rewards, or would go. */
static size_t reward_slot(const struct cache_list *c, uint32_t id)
{
	size_t lo = 0, hi = c->nrewards;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->rewards[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The cached reward ID, read on a miss (rows never change: no reload, ever).
 * MARK notes that a campaign of this load points at it.
 */
static enum cp_status hold_reward(struct cp_db *db, struct cache_list *c, uint32_t id, bool mark,
				  struct cp_reward **out, struct cp_err *e)
{
	size_t i = reward_slot(c, id);
	struct cp_reward *r;
	enum cp_status st;

	if (i == c->nrewards || c->rewards[i].id != id) {
		r = xmalloc(sizeof *r);
		if ((st = rewards_get(db, id, r, e)) != CP_OK) {
			free(r);
			return st;
		}
		c->rewards = xreallocarray(c->rewards, c->nrewards + 1, sizeof *c->rewards);
		memmove(&c->rewards[i + 1], &c->rewards[i], (c->nrewards - i) * sizeof *c->rewards);
		c->rewards[i] = (struct held_reward){id, false, r};
		c->nrewards++;
	}
	c->rewards[i].used |= mark;
	*out = c->rewards[i].r;
	return CP_OK;
}

/*
 * Points each campaign at its reward, reading the rows not seen before, and
 * drops the rows no campaign points at any more.
 */
static enum cp_status link_rewards(struct cp_db *db, struct cache_list *c, struct cp_err *e)
{
	size_t keep = 0;
	struct cp_reward *r;
	enum cp_status st;

	for (size_t j = 0; j < c->nrewards; j++)
		c->rewards[j].used = false;
	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i].reward_id == 0)
			continue;
		if ((st = hold_reward(db, c, c->v[i].reward_id, true, &r, e)) != CP_OK)
			return st;
		c->v[i].reward = r;
	}
	for (size_t j = 0; j < c->nrewards; j++) {
		if (c->rewards[j].used)
			c->rewards[keep++] = c->rewards[j];
		else
			free(c->rewards[j].r);
	}
	c->nrewards = keep;
	return CP_OK;
}

static enum cp_status load(struct cp_db *db, struct cache_list *c, struct cp_err *e)
{
	MYSQL *m = db_mysql(db);
	MYSQL_RES *res;
	MYSQL_ROW row;
	uint32_t *open, *reward;
	size_t n = 0, nopen = 0;
	enum cp_status st;
	bool fenced = true;
	int64_t started = now_ms();

	if (mysql_query(m, db_galera(db) ? load_causal_sql : load_sql) != 0 ||
	    (res = mysql_store_result(m)) == NULL)
		return db_fail(db, e, "load campaigns");
	free(c->v);
	c->v = xcalloc(mysql_num_rows(res) + 1, sizeof *c->v);
	open = xcalloc(mysql_num_rows(res) + 1, sizeof *open);
	reward = xcalloc(mysql_num_rows(res) + 1, sizeof *reward);
	while ((row = mysql_fetch_row(res)) != NULL) {
		fill_campaign(&c->v[n], row);
		if (n == 0)
			fenced = parse_time(row[11], &c->fence);
		/* A capped campaign has a fast statement of its own (cache_open_capped). */
		if (row[10] != NULL && row[10][0] == '1' && c->v[n].capped) {
			c->v[n].open_capped = fenced;
		} else if (row[10] != NULL && row[10][0] == '1') {
			reward[nopen] = c->v[n].reward_id;
			open[nopen++] = c->v[n].id;
		}
		n++;
	}
	mysql_free_result(res);
	c->n = n;
	set_open(db, c, open, reward, fenced && nopen <= OPEN_MAX ? nopen : 0);
	if ((st = link_rewards(db, c, e)) != CP_OK) {
		c->loaded_ms = 0;
		return st;
	}
	c->loaded_ms = started;
	return CP_OK;
}

/* The cache for DB, loaded or refreshed as its age requires. */
static struct cache_list *fresh(struct cp_db *db, struct cp_err *e, enum cp_status *st)
{
	struct cache_list *c;

	for (int attempt = 0; attempt < 2; attempt++) {
		if ((*st = cp_db_ensure(db, e)) != CP_OK)
			return NULL;
		c = list_for(db);
		if (c->loaded_ms != 0 && now_ms() - c->loaded_ms <= CACHE_TTL_MS)
			return c;
		if ((*st = load(db, c, e)) == CP_OK)
			return c;
		/*
		 * A connection the server dropped while idle (a restart) is only found
		 * dead by using it: the read is tried once more on a new one, which
		 * comes with a new cache.
		 */
		if (*st != CP_E_DB_UNAVAILABLE)
			return NULL;
	}
	return NULL;
}

/* Reloads after a miss, unless the cache is younger than MISS_RELOAD_MS. */
static bool reload_on_miss(struct cp_db *db, struct cache_list *c)
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
	struct cache_hint hint;
};

/* Adds campaign K's reading of IN to M. */
static void try_format(const struct cache_campaign *k, const char *in, size_t inlen,
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
	m->hint.any_cap |= k->capped;
	m->hint.any_min |= k->reward != NULL && k->reward->min_order.currency[0] != '\0';
	m->hint.campaign_id = m->hint.campaign_id == 0 ? k->id : UINT32_MAX;
}

static void match_all(const struct cache_list *c, const char *in, size_t inlen, struct match *m)
{
	memset(m, 0, sizeof *m);
	for (size_t i = 0; i < c->n; i++)
		try_format(&c->v[i], in, inlen, m);
	if (m->hint.campaign_id == UINT32_MAX)
		m->hint.campaign_id = 0;
}

static enum cp_status refuse(const struct cache_list *c, const struct match *m, struct cp_err *e)
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

enum cp_status cache_normalize(struct cp_db *db, const char *in, size_t inlen, char *out,
			       char *alt, struct cache_hint *hint, struct cp_err *e)
{
	struct cache_list *c;
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

const struct cache_campaign *cache_campaign(struct cp_db *db, uint32_t id)
{
	struct cp_err e;
	enum cp_status st;
	struct cache_list *c = fresh(db, &e, &st);

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

const struct cp_reward *codes_reward(struct cp_db *db, uint32_t id, struct cp_err *e)
{
	enum cp_status st;
	struct cache_list *c = fresh(db, e, &st);
	struct cp_reward *r;

	if (c == NULL || hold_reward(db, c, id, false, &r, e) != CP_OK)
		return NULL;
	return r;
}

bool cache_open(struct cp_db *db, uint32_t id, const MYSQL_TIME **fence)
{
	struct cache_list *c = db_cache(db);

	if (c == NULL || c->loaded_ms == 0)
		return false;
	for (size_t i = 0; i < c->nopen; i++) {
		if (c->open[i] == id) {
			*fence = &c->fence;
			return true;
		}
	}
	return false;
}

bool cache_open_capped(struct cp_db *db, uint32_t id, const MYSQL_TIME **fence)
{
	struct cache_list *c = db_cache(db);
	size_t lo = 0, hi;

	if (c == NULL || c->loaded_ms == 0)
		return false;
	/* Loaded in id order. */
	for (hi = c->n; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == c->n || c->v[lo].id != id || !c->v[lo].open_capped)
		return false;
	*fence = &c->fence;
	return true;
}

/*
 * SET, the rewards as CASE campaign_id WHEN id THEN reward ... END (NULL when no
 * open campaign has one: a CASE needs a WHEN), WHERE, the ids.
 */
static char *build_open_sql(const struct cache_list *c, const char *const *prefix)
{
	size_t len = strlen(prefix[0]), cap = len + strlen(prefix[1]) + c->nopen * 40 + 48;
	char *sql = xmalloc(cap);
	bool any = false;

	memcpy(sql, prefix[0], len);
	for (size_t i = 0; i < c->nopen; i++) {
		if (c->open_reward[i] == 0)
			continue;
		len += (size_t)snprintf(sql + len, cap - len,
					"%s WHEN %" PRIu32 " THEN %" PRIu32,
					any ? "" : "CASE campaign_id", c->open[i], c->open_reward[i]);
		any = true;
	}
	len += (size_t)snprintf(sql + len, cap - len, "%s%s", any ? " ELSE NULL END" : "NULL",
				prefix[1]);
	for (size_t i = 0; i < c->nopen; i++)
		len += (size_t)snprintf(sql + len, cap - len, "%s%" PRIu32, i ? "," : "",
					c->open[i]);
	memcpy(sql + len, ")", 2);
	return sql;
}

const char *cache_open_sql(struct cp_db *db, const char *const *prefix,
			   const MYSQL_TIME **fence)
{
	struct cache_list *c = db_cache(db);

	/* Loaded by cache_normalize for this very request, so young enough. */
	if (c == NULL || c->loaded_ms == 0 || c->nopen == 0)
		return NULL;
	if (c->open_sql != NULL && c->open_prefix != prefix[0])
		forget_open_sql(db, c);
	if (c->open_sql == NULL) {
		c->open_prefix = prefix[0];
		c->open_sql = build_open_sql(c, prefix);
	}
	*fence = &c->fence;
	return c->open_sql;
}

static const char fence_sql[] = "SELECT " FENCE_SQL;
static const char fence_left_sql[] = "SELECT GREATEST(TIMESTAMPDIFF(MICROSECOND, NOW(6), ?), 0)";

enum cp_status cache_fence_wait(struct cp_db *db, struct cp_err *e)
{
	MYSQL_BIND p[1], r[1];
	MYSQL_TIME until;
	int64_t left = 0;
	bool found;
	enum cp_status st;

	memset(r, 0, sizeof r);
	db_bind_time(&r[0], &until, NULL);
	if ((st = db_select1(db, fence_sql, NULL, r, &found, e)) != CP_OK)
		return st;
	memset(p, 0, sizeof p);
	db_bind_time(&p[0], &until, NULL);
	memset(r, 0, sizeof r);
	db_bind_i64(&r[0], &left);
	for (;;) {
		if ((st = db_select1(db, fence_left_sql, p, r, &found, e)) != CP_OK)
			return st;
		if (left <= 0)
			return CP_OK;
		nap_us(left);
	}
}

void cache_stale(struct cp_db *db)
{
	list_for(db)->loaded_ms = 0;
}

void cp_campaign_cache_reset(struct cp_db *db)
{
	cache_stale(db);
}

enum cp_status cp_code_lookup_normalize(struct cp_db *db, const char *in, size_t inlen,
					char *out, size_t outsz, struct cp_err *e)
{
	char buf[CP_CODE_MAX + 1];
	enum cp_status st;

	if (outsz < sizeof buf)
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "output buffer too small");
	if ((st = cache_normalize(db, in, inlen, buf, NULL, NULL, e)) == CP_OK)
		memcpy(out, buf, sizeof buf);
	return st;
}
