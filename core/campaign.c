/*
 * Campaigns: their rules (validity window, per-user limit) and their code
 * format, checked against the number of codes they are planned to hold.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "batch.h"
#include "cap.h"
#include "campaign_cache.h"
#include "db.h"
#include "field.h"
#include "rewards.h"
#include "text.h"

static const char *const status_names[] = {
	[CP_CAMPAIGN_ACTIVE] = "active",
	[CP_CAMPAIGN_PAUSED] = "paused",
	[CP_CAMPAIGN_ARCHIVED] = "archived",
};

const char *cp_campaign_status_name(enum cp_campaign_status s)
{
	return (unsigned int)s < sizeof status_names / sizeof status_names[0] ? status_names[s]
									       : "unknown";
}

bool cp_campaign_status_parse(const char *s, enum cp_campaign_status *out)
{
	int i = field_name_index(status_names, sizeof status_names / sizeof status_names[0], s);

	if (i >= 0)
		*out = (enum cp_campaign_status)i;
	return i >= 0;
}

/* A row's status; one this program does not know takes no redemptions. */
static enum cp_campaign_status status_parse(const char *s)
{
	enum cp_campaign_status st;

	return cp_campaign_status_parse(s, &st) ? st : CP_CAMPAIGN_ARCHIVED;
}

/* By unredeem_restores; also the values of campaigns.unredeem_policy. */
static const char *const unredeem_names[] = {[false] = "spend", [true] = "restore"};

const char *cp_unredeem_name(bool restores)
{
	return unredeem_names[restores];
}

bool cp_unredeem_parse(const char *s, bool *restores)
{
	int i = field_name_index(unredeem_names, 2, s);

	if (i >= 0)
		*restores = i;
	return i >= 0;
}

void cp_campaign_init(struct cp_campaign *c)
{
	memset(c, 0, sizeof *c);
	c->status = CP_CAMPAIGN_ACTIVE;
	c->unredeem_restores = true;
	c->planned_codes = 1000000;
	cp_format_default(&c->format);
	c->format.body_len = 0;
	memcpy(c->time_zone, "UTC", sizeof "UTC");
}

enum cp_status cp_campaign_choose_length(struct cp_campaign *c, double target, struct cp_err *e)
{
	enum cp_status st;

	if (c->format.body_len != 0)
		return CP_OK;
	st = cp_format_length_for(c->format.alphabet, c->planned_codes,
				  target != 0 ? target : CP_GUESS_TARGET_DEFAULT,
				  &c->format.body_len, e);
	if (st != CP_OK)
		cp_err_field(e, "planned_codes");
	return st;
}

/* 1..CP_NAME_MAX characters of valid UTF-8, no control characters. */
static enum cp_status check_name(const char *name, struct cp_err *e)
{
	size_t at, chars;

	switch (text_scan(name, strlen(name), 0, &at, &chars)) {
	case TEXT_BAD_UTF8:
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, "name",
					"campaign name: invalid UTF-8 at byte %zu", at + 1);
	case TEXT_CONTROL:
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, "name",
					"campaign name: control character at byte %zu", at + 1);
	case TEXT_OK:
		break;
	}
	if (chars == 0 || chars > CP_NAME_MAX)
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, "name",
					"campaign name: 1 to %d characters, not %zu", CP_NAME_MAX,
					chars);
	return CP_OK;
}

static enum cp_status check_window(const struct cp_campaign *c, struct cp_err *e)
{
	enum cp_status st;

	if ((st = cp_time_zone_check(c->time_zone, e)) != CP_OK)
		return st;
	if (c->starts_at != 0 && c->expires_at != 0 && c->expires_at <= c->starts_at)
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, "expires_at",
					"the campaign must expire after it starts");
	return CP_OK;
}

/* What cp_campaign_set checked, again for callers that filled the struct themselves. */
static enum cp_status check_reward(const struct cp_reward *r, struct cp_err *e)
{
	const char *cur = r->min_order.currency;

	if (r->metadata[0] != '\0' &&
	    cp_metadata_check(r->metadata, strlen(r->metadata), e) != CP_OK) {
		cp_err_field(e, "metadata");
		return CP_E_INVALID_METADATA;
	}
	if (cur[0] != '\0' && (cp_currency_exponent(cur) < 0 || r->min_order.minor < 0))
		return cp_err_set_field(e, CP_E_INVALID_AMOUNT, "min_order",
					"the minimum order is not an amount in an ISO 4217 currency");
	if ((unsigned int)r->type > CP_REWARD_ITEM ||
	    (r->type == CP_REWARD_PERCENT_OFF && (r->percent == 0 || r->percent > 10000)) ||
	    (r->type == CP_REWARD_AMOUNT_OFF &&
	     (r->amount.minor <= 0 || cp_currency_exponent(r->amount.currency) < 0)))
		return cp_err_set_field(e, CP_E_INVALID_REWARD, "reward", "the reward is malformed");
	return CP_OK;
}

/* Chooses the body length when none was set. */
static enum cp_status check_campaign(struct cp_campaign *c, struct cp_err *e)
{
	enum cp_status st;

	if ((st = check_name(c->name, e)) != CP_OK || (st = check_window(c, e)) != CP_OK)
		return st;
	if (c->planned_codes == 0)
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, "planned_codes",
					"planned codes must be at least 1");
	if ((st = check_reward(&c->reward, e)) != CP_OK)
		return st;
	if (c->format.external) {
		/* Alphabet, prefix, length and check are the maker's business. */
		memset(c->format.alphabet, 0, sizeof c->format.alphabet);
		memset(c->format.prefix, 0, sizeof c->format.prefix);
		c->format.body_len = 0;
		c->format.check = false;
		c->format.group = 0;
		return CP_OK;
	}
	if ((st = cp_campaign_choose_length(c, 0, e)) != CP_OK)
		return st;
	if ((st = cp_format_allows(&c->format, c->planned_codes, e)) != CP_OK) {
		/* Too weak or too small for the plan: the length is what to change. */
		cp_err_field(e, "body_length");
		cp_err_prefix(e, "code format");
	}
	return st;
}

/* The columns of a campaign row, bound once for both directions. */
struct row {
	MYSQL_BIND b[24];
	uint32_t id, limit, reward_id, cap;
	my_bool reward_null, cap_null;
	char name[sizeof ((struct cp_campaign *)0)->name], status[16], policy[16];
	char alphabet[CP_ALPHABET_MAX + 1], prefix[CP_PREFIX_MAX + 1];
	char time_zone[CP_TZ_NAME_MAX + 1];
	unsigned long name_len, status_len, policy_len, alphabet_len, prefix_len, time_zone_len;
	MYSQL_TIME starts, expires, created;
	my_bool starts_null, expires_null, created_null, nulls[3];
	uint32_t body_len, check, group, events, transferable, valid_for;
	uint32_t external, case_sensitive, ignore_separators, importing;
	uint64_t planned;
};

#define CAMPAIGN_COLUMNS                                                                \
	"id, name, status, starts_at, expires_at, per_user_limit, unredeem_policy, "     \
	"alphabet, prefix, body_length, check_char, group_size, planned_codes, "        \
	"events_enabled, created_at, reward_id, max_redemptions, time_zone, transferable, "  \
	"assign_valid_for, external, case_sensitive, ignore_separators, importing"

static void bind_row(struct row *r)
{
	MYSQL_BIND *b = r->b;

	memset(b, 0, sizeof r->b);
	db_bind_u32(&b[0], &r->id);
	db_bind_buf(&b[1], r->name, sizeof r->name, &r->name_len, &r->nulls[0]);
	db_bind_buf(&b[2], r->status, sizeof r->status, &r->status_len, &r->nulls[1]);
	db_bind_time(&b[3], &r->starts, &r->starts_null);
	db_bind_time(&b[4], &r->expires, &r->expires_null);
	db_bind_u32(&b[5], &r->limit);
	db_bind_buf(&b[6], r->policy, sizeof r->policy, &r->policy_len, &r->nulls[2]);
	db_bind_buf(&b[7], r->alphabet, sizeof r->alphabet, &r->alphabet_len, NULL);
	db_bind_buf(&b[8], r->prefix, sizeof r->prefix, &r->prefix_len, NULL);
	db_bind_u32(&b[9], &r->body_len);
	db_bind_u32(&b[10], &r->check);
	db_bind_u32(&b[11], &r->group);
	db_bind_u64(&b[12], &r->planned);
	db_bind_u32(&b[13], &r->events);
	db_bind_time(&b[14], &r->created, &r->created_null);
	db_bind_u32(&b[15], &r->reward_id);
	b[15].is_null = &r->reward_null;
	db_bind_u32(&b[16], &r->cap);
	b[16].is_null = &r->cap_null;
	db_bind_buf(&b[17], r->time_zone, sizeof r->time_zone, &r->time_zone_len, NULL);
	db_bind_u32(&b[18], &r->transferable);
	db_bind_u32(&b[19], &r->valid_for);
	db_bind_u32(&b[20], &r->external);
	db_bind_u32(&b[21], &r->case_sensitive);
	db_bind_u32(&b[22], &r->ignore_separators);
	db_bind_u32(&b[23], &r->importing);
}

static void buf_end(char *buf, size_t size, unsigned long len)
{
	buf[len < size ? len : size - 1] = '\0';
}

static void row_to_campaign(struct row *r, struct cp_campaign *c)
{
	memset(c, 0, sizeof *c);
	buf_end(r->name, sizeof r->name, r->name_len);
	buf_end(r->status, sizeof r->status, r->status_len);
	buf_end(r->policy, sizeof r->policy, r->policy_len);
	buf_end(r->alphabet, sizeof r->alphabet, r->alphabet_len);
	buf_end(r->prefix, sizeof r->prefix, r->prefix_len);
	buf_end(r->time_zone, sizeof r->time_zone, r->time_zone_len);
	c->id = r->id;
	memcpy(c->name, r->name, sizeof c->name);
	c->status = status_parse(r->status);
	c->starts_at = r->starts_null ? 0 : db_time_to_unix(&r->starts);
	c->expires_at = r->expires_null ? 0 : db_time_to_unix(&r->expires);
	memcpy(c->time_zone, r->time_zone, sizeof c->time_zone);
	c->per_user_limit = r->limit;
	/* A policy this program does not know stays spend: it never frees a code. */
	(void)cp_unredeem_parse(r->policy, &c->unredeem_restores);
	memcpy(c->format.alphabet, r->alphabet, sizeof c->format.alphabet);
	memcpy(c->format.prefix, r->prefix, sizeof c->format.prefix);
	c->format.body_len = r->body_len;
	c->format.check = r->check != 0;
	c->format.group = r->group;
	c->format.external = r->external != 0;
	c->format.case_sensitive = r->case_sensitive != 0;
	c->format.ignore_separators = r->ignore_separators != 0;
	c->importing = r->importing != 0;
	c->planned_codes = r->planned;
	c->events = r->events != 0;
	c->transferable = r->transferable != 0;
	c->valid_for = r->valid_for;
	c->created_at = r->created_null ? 0 : db_time_to_unix(&r->created);
	c->reward.id = r->reward_null ? 0 : r->reward_id;
	c->max_redemptions = r->cap_null ? 0 : r->cap;
}

/* The campaign's current reward row, after row_to_campaign. */
static enum cp_status read_reward(struct cp_db *db, struct cp_campaign *c, struct cp_err *e)
{
	return c->reward.id != 0 ? rewards_get(db, c->reward.id, &c->reward, e) : CP_OK;
}

/* Binds C's window, per-user limit and unredeem policy to B[0..3], through R. */
static void bind_terms(struct row *r, const struct cp_campaign *c, MYSQL_BIND *b)
{
	r->starts_null = c->starts_at == 0;
	r->expires_null = c->expires_at == 0;
	db_time_from_unix(&r->starts, c->starts_at);
	db_time_from_unix(&r->expires, c->expires_at);
	db_bind_time(&b[0], &r->starts, &r->starts_null);
	db_bind_time(&b[1], &r->expires, &r->expires_null);
	r->limit = c->per_user_limit;
	db_bind_u32(&b[2], &r->limit);
	db_bind_str(&b[3], cp_unredeem_name(c->unredeem_restores), &r->policy_len);
}

static const char set_reward_sql[] =
	"UPDATE campaigns SET reward_id = ? WHERE id = ? AND status <> 'archived'";

/* In the caller's transaction: a new row for R, made campaign ID's current one. */
static enum cp_status set_reward(struct cp_db *db, uint32_t id, struct cp_reward *r,
				 uint64_t *rows, struct cp_err *e)
{
	MYSQL_BIND p[2];
	enum cp_status st;

	if ((st = rewards_insert(db, id, r, e)) != CP_OK)
		return st;
	memset(p, 0, sizeof p);
	db_bind_u32(&p[0], &r->id);
	db_bind_u32(&p[1], &id);
	return db_run(db, set_reward_sql, p, rows, e);
}

static const char insert_sql[] =
	"INSERT INTO campaigns (name, status, starts_at, expires_at, per_user_limit, "
	"unredeem_policy, alphabet, prefix, body_length, check_char, group_size, "
	"planned_codes, events_enabled, max_redemptions, time_zone, transferable, assign_valid_for,"
	" external, case_sensitive, ignore_separators)"
	" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, 0), ?, ?, ?, ?, ?, ?)";

enum cp_status cp_campaign_create(struct cp_db *db, struct cp_campaign *c, struct cp_err *e)
{
	struct jobj after;
	struct row r;
	enum cp_status st;

	if ((st = check_campaign(c, e)) != CP_OK)
		return st;
	memset(&r, 0, sizeof r);
	db_bind_str(&r.b[0], c->name, &r.name_len);
	db_bind_str(&r.b[1], cp_campaign_status_name(c->status), &r.status_len);
	bind_terms(&r, c, &r.b[2]);
	db_bind_str(&r.b[6], c->format.alphabet, &r.alphabet_len);
	db_bind_str(&r.b[7], c->format.prefix, &r.prefix_len);
	r.body_len = c->format.body_len;
	r.check = c->format.check;
	r.group = c->format.group;
	r.planned = c->planned_codes;
	r.events = c->events;
	db_bind_u32(&r.b[8], &r.body_len);
	db_bind_u32(&r.b[9], &r.check);
	db_bind_u32(&r.b[10], &r.group);
	db_bind_u64(&r.b[11], &r.planned);
	db_bind_u32(&r.b[12], &r.events);
	r.cap = c->max_redemptions;
	db_bind_u32(&r.b[13], &r.cap);
	db_bind_str(&r.b[14], c->time_zone, &r.time_zone_len);
	r.transferable = c->transferable;
	r.valid_for = c->valid_for;
	db_bind_u32(&r.b[15], &r.transferable);
	db_bind_u32(&r.b[16], &r.valid_for);
	r.external = c->format.external;
	r.case_sensitive = c->format.case_sensitive;
	r.ignore_separators = c->format.ignore_separators;
	db_bind_u32(&r.b[17], &r.external);
	db_bind_u32(&r.b[18], &r.case_sensitive);
	db_bind_u32(&r.b[19], &r.ignore_separators);
	/* The row, its reward, its cap's slots and its audit record commit together. */
	if ((st = db_begin(db, e)) == CP_OK && (st = db_run(db, insert_sql, r.b, NULL, e)) == CP_OK) {
		c->id = (uint32_t)db_insert_id(db, insert_sql);
		if (rewards_any(&c->reward))
			st = set_reward(db, c->id, &c->reward, NULL, e);
		if (st == CP_OK && c->max_redemptions != 0)
			st = cap_create(db, c->id, c->max_redemptions, e);
		if (st == CP_OK && (st = cp_campaign_get(db, c->id, c, e)) == CP_OK &&
		    (st = audit_add(db, NULL, "campaign.create", "campaign", c->id, NULL,
				    audit_campaign_json(&after, c), e)) == CP_OK)
			st = db_commit(db, e);
	}
	if (st != CP_OK)
		db_rollback(db);
	if (st == CP_E_DB && e != NULL && e->db_errno == DB_ER_DUP_ENTRY)
		return cp_err_set_field(e, CP_E_EXISTS, "name", "a campaign named '%s' already exists",
					c->name);
	return st;
}

static const char by_id_sql[] = "SELECT " CAMPAIGN_COLUMNS " FROM campaigns WHERE id = ?";
static const char lock_sql[] = "SELECT " CAMPAIGN_COLUMNS " FROM campaigns WHERE id = ? FOR UPDATE";
static const char by_name_sql[] = "SELECT " CAMPAIGN_COLUMNS " FROM campaigns WHERE name = ?";

static enum cp_status read_campaign(struct cp_db *db, const char *sql, uint32_t id,
				    struct cp_campaign *c, struct cp_err *e)
{
	MYSQL_BIND p[1];
	struct row r;
	bool found;
	enum cp_status st;

	memset(p, 0, sizeof p);
	db_bind_u32(&p[0], &id);
	bind_row(&r);
	if ((st = db_select1(db, sql, p, r.b, &found, e)) != CP_OK)
		return st;
	if (!found)
		return cp_err_set(e, CP_E_NOT_FOUND, "no campaign with id %" PRIu32, id);
	row_to_campaign(&r, c);
	return read_reward(db, c, e);
}

enum cp_status cp_campaign_get(struct cp_db *db, uint32_t id, struct cp_campaign *c,
			       struct cp_err *e)
{
	return read_campaign(db, by_id_sql, id, c, e);
}

/*
 * Opens a transaction and reads the campaign's row locked, for a change; refuses
 * an archived campaign. On failure the transaction is rolled back.
 */
static enum cp_status lock_open(struct cp_db *db, uint32_t id, struct cp_campaign *c,
				struct cp_err *e)
{
	enum cp_status st;

	if ((st = db_begin(db, e)) == CP_OK && (st = read_campaign(db, lock_sql, id, c, e)) == CP_OK &&
	    c->status == CP_CAMPAIGN_ARCHIVED)
		st = cp_err_set(e, CP_E_CONFLICT, "campaign '%s' is archived", c->name);
	if (st != CP_OK)
		db_rollback(db);
	return st;
}

/* Records OLD -> NEW under ACTION and commits; rolls back on failure. */
static enum cp_status audit_commit(struct cp_db *db, const char *action,
				   const struct cp_campaign *old, const struct cp_campaign *new,
				   struct cp_err *e)
{
	struct jobj before, after;
	enum cp_status st;

	st = audit_add(db, NULL, action, "campaign", old->id, audit_campaign_json(&before, old),
		       audit_campaign_json(&after, new), e);
	if (st == CP_OK)
		st = db_commit(db, e);
	if (st != CP_OK)
		db_rollback(db);
	return st;
}

enum cp_status cp_campaign_find(struct cp_db *db, const char *ref, struct cp_campaign *c,
				struct cp_err *e)
{
	MYSQL_BIND p[1];
	unsigned long len;
	struct row r;
	uint64_t id;
	bool found;
	enum cp_status st;

	memset(p, 0, sizeof p);
	db_bind_str(&p[0], ref, &len);
	bind_row(&r);
	if ((st = db_select1(db, by_name_sql, p, r.b, &found, e)) != CP_OK)
		return st;
	if (found) {
		row_to_campaign(&r, c);
		return read_reward(db, c, e);
	}
	if (cp_parse_uint(ref, 1, UINT32_MAX, &id, NULL) == CP_OK &&
	    cp_campaign_get(db, (uint32_t)id, c, e) == CP_OK)
		return CP_OK;
	return cp_err_set(e, CP_E_NOT_FOUND, "no campaign named '%s'", ref);
}

static const char list_sql[] = "SELECT " CAMPAIGN_COLUMNS " FROM campaigns ORDER BY id";

enum cp_status cp_campaign_list(struct cp_db *db,
				bool (*fn)(const struct cp_campaign *, void *), void *arg,
				struct cp_err *e)
{
	MYSQL_STMT *stmt;
	struct cp_campaign c;
	struct row r;
	enum cp_status st = cp_db_ensure(db, e);
	int rc;

	if (st != CP_OK || (stmt = db_prepare(db, list_sql, e, &st)) == NULL)
		return st;
	bind_row(&r);
	if (mysql_stmt_execute(stmt) != 0 || mysql_stmt_bind_result(stmt, r.b) != 0 ||
	    mysql_stmt_store_result(stmt) != 0)
		return db_stmt_fail(db, stmt, e, "list campaigns");
	while ((rc = mysql_stmt_fetch(stmt)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
		row_to_campaign(&r, &c);
		/* The rows are stored client-side: the connection is free for this. */
		if ((st = read_reward(db, &c, e)) != CP_OK) {
			mysql_stmt_free_result(stmt);
			return st;
		}
		if (!fn(&c, arg))
			break;
	}
	mysql_stmt_free_result(stmt);
	return rc == 1 ? db_stmt_fail(db, stmt, e, "list campaigns") : CP_OK;
}

static const char set_status_sql[] =
	"UPDATE campaigns SET status = ? WHERE id = ? AND status <> 'archived'";

static const char *const status_actions[] = {
	[CP_CAMPAIGN_ACTIVE] = "campaign.resume",
	[CP_CAMPAIGN_PAUSED] = "campaign.pause",
	[CP_CAMPAIGN_ARCHIVED] = "campaign.archive",
};

enum cp_status cp_campaign_set_status(struct cp_db *db, uint32_t id, enum cp_campaign_status s,
				      struct cp_err *e)
{
	struct cp_campaign c, now;
	MYSQL_BIND p[2];
	unsigned long len;
	uint64_t n = 0;
	enum cp_status st;

	if ((unsigned int)s >= sizeof status_actions / sizeof status_actions[0])
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, "status", "no such status");
	if ((st = lock_open(db, id, &c, e)) != CP_OK)
		return st;
	memset(p, 0, sizeof p);
	db_bind_str(&p[0], cp_campaign_status_name(s), &len);
	db_bind_u32(&p[1], &id);
	if ((st = db_run(db, set_status_sql, p, &n, e)) != CP_OK) {
		db_rollback(db);
		return st;
	}
	now = c;
	now.status = s;
	/* Setting the status it already has changes nothing and records nothing. */
	st = n > 0 ? audit_commit(db, status_actions[s], &c, &now, e) : db_commit(db, e);
	if (st != CP_OK)
		return st;
	cache_stale(db);
	/* Until every front end's list of open campaigns has caught up (core/campaign_cache.c). */
	return s != CP_CAMPAIGN_ACTIVE && n > 0 ? cache_fence_wait(db, e) : CP_OK;
}

static const char update_sql[] =
	"UPDATE campaigns SET starts_at = ?, expires_at = ?, per_user_limit = ?,"
	" unredeem_policy = ?, events_enabled = ?, max_redemptions = NULLIF(?, 0), time_zone = ?,"
	" transferable = ?, assign_valid_for = ?"
	" WHERE id = ? AND status <> 'archived'";

/* Whether going from OLD to NEW can close the campaign to the fast redeem statement. */
static bool narrows(const struct cp_campaign *old, const struct cp_campaign *new)
{
	/* A new reward or minimum: once the change returns, nobody is granted the old. */
	return !cp_reward_same(&old->reward, &new->reward) ||
	       (old->per_user_limit == 0 && new->per_user_limit > 0) ||
	       (!old->events && new->events) || new->starts_at > old->starts_at ||
	       (old->max_redemptions == 0 && new->max_redemptions != 0) ||
	       (new->expires_at != 0 && (old->expires_at == 0 || new->expires_at < old->expires_at));
}

enum cp_status cp_campaign_update(struct cp_db *db, const struct cp_campaign *c, struct cp_err *e)
{
	struct cp_campaign old, now;
	struct cp_reward next;
	struct row r;
	uint32_t id = c->id;
	uint64_t n = 0;
	bool settle = false;
	enum cp_status st;

	if ((st = check_window(c, e)) != CP_OK || (st = check_reward(&c->reward, e)) != CP_OK ||
	    (st = lock_open(db, id, &old, e)) != CP_OK)
		return st;
	memset(&r, 0, sizeof r);
	bind_terms(&r, c, &r.b[0]);
	r.events = c->events;
	db_bind_u32(&r.b[4], &r.events);
	r.cap = c->max_redemptions;
	db_bind_u32(&r.b[5], &r.cap);
	db_bind_str(&r.b[6], c->time_zone, &r.time_zone_len);
	r.transferable = c->transferable;
	r.valid_for = c->valid_for;
	db_bind_u32(&r.b[7], &r.transferable);
	db_bind_u32(&r.b[8], &r.valid_for);
	db_bind_u32(&r.b[9], &id);
	/* Affected rows count changes: a new reward alone leaves N at 0 here. */
	st = db_run(db, update_sql, r.b, &n, e);
	if (st == CP_OK && old.max_redemptions != c->max_redemptions)
		st = cap_change(db, id, old.max_redemptions, c->max_redemptions, &settle, e);
	next = c->reward;
	if (st == CP_OK && !cp_reward_same(&old.reward, &c->reward)) {
		uint64_t m = 0;

		st = set_reward(db, id, &next, &m, e); /* gives NEXT its row's id */
		n += m;
	}
	if (st != CP_OK) {
		db_rollback(db);
		return st;
	}
	now = old;
	now.starts_at = c->starts_at;
	now.expires_at = c->expires_at;
	now.per_user_limit = c->per_user_limit;
	now.unredeem_restores = c->unredeem_restores;
	now.events = c->events;
	now.max_redemptions = c->max_redemptions;
	memcpy(now.time_zone, c->time_zone, sizeof now.time_zone);
	now.transferable = c->transferable;
	now.valid_for = c->valid_for;
	now.reward = next;
	/* A change to what it already was changes no row and records nothing. */
	st = n > 0 ? audit_commit(db, "campaign.update", &old, &now, e) : db_commit(db, e);
	if (st != CP_OK)
		return st;
	cache_stale(db);
	/* As for a pause: until every front end's list of open campaigns has caught up. */
	if (n > 0 && narrows(&old, c) && (st = cache_fence_wait(db, e)) != CP_OK)
		return st;
	/* A first cap: now that no redemption goes without a slot, count and apply it. */
	return settle ? cap_settle(db, id, e) : CP_OK;
}

/* One statement, so one snapshot: the codes by status and those of unfinished imports. */
#define HIDDEN_COUNT_SQL                                                                  \
	" UNION ALL SELECT 'importing', CAST(COALESCE(SUM(generated), 0) AS UNSIGNED)"     \
	" FROM generation_batches b WHERE b.campaign_id = ? AND " BATCH_HIDDEN_SQL("b")
static const char counts_campaign_sql[] =
	"SELECT status, COUNT(*) FROM coupon_codes WHERE campaign_id = ? GROUP BY status"
	HIDDEN_COUNT_SQL;
static const char counts_batch_sql[] =
	"SELECT status, COUNT(*) FROM coupon_codes WHERE campaign_id = ? AND batch_id = ? "
	"GROUP BY status" HIDDEN_COUNT_SQL " AND b.id = ?";

static void count_into(struct cp_code_counts *k, const char *status, uint64_t n)
{
	static const struct {
		const char *name;
		size_t off;
	} slots[] = {
		{"available", offsetof(struct cp_code_counts, available)},
		{"pending", offsetof(struct cp_code_counts, pending)},
		{"redeemed", offsetof(struct cp_code_counts, redeemed)},
		{"expired", offsetof(struct cp_code_counts, expired)},
		{"assigned", offsetof(struct cp_code_counts, assigned)},
		{"importing", offsetof(struct cp_code_counts, importing)},
	};

	for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++)
		if (strcmp(status, slots[i].name) == 0)
			*(uint64_t *)((char *)k + slots[i].off) += n;
}

/* An unfinished import's codes are stored available; they are not in use yet (batch.h). */
static void count_end(struct cp_code_counts *k)
{
	if (k->importing > k->available)
		k->importing = k->available;
	k->available -= k->importing;
	k->total = k->available + k->pending + k->redeemed + k->expired + k->assigned;
}

enum cp_status cp_code_counts(struct cp_db *db, uint32_t campaign_id, uint64_t batch_id,
			      struct cp_code_counts *k, struct cp_err *e)
{
	const char *sql = batch_id ? counts_batch_sql : counts_campaign_sql;
	MYSQL_BIND p[4], res[2];
	MYSQL_STMT *stmt;
	char status[16];
	unsigned long slen;
	uint64_t n;
	enum cp_status st = cp_db_ensure(db, e);
	int rc;

	memset(k, 0, sizeof *k);
	if (st != CP_OK || (stmt = db_prepare(db, sql, e, &st)) == NULL)
		return st;
	memset(p, 0, sizeof p);
	memset(res, 0, sizeof res);
	/* campaign, batch, campaign, batch; or campaign twice */
	db_bind_u32(&p[0], &campaign_id);
	db_bind_u64(&p[batch_id ? 1 : 2], &batch_id);
	db_bind_u32(&p[batch_id ? 2 : 1], &campaign_id);
	db_bind_u64(&p[3], &batch_id);
	db_bind_buf(&res[0], status, sizeof status, &slen, NULL);
	db_bind_u64(&res[1], &n);
	if (mysql_stmt_bind_param(stmt, p) != 0 || mysql_stmt_execute(stmt) != 0 ||
	    mysql_stmt_bind_result(stmt, res) != 0 || mysql_stmt_store_result(stmt) != 0)
		return db_stmt_fail(db, stmt, e, "count codes");
	while ((rc = mysql_stmt_fetch(stmt)) == 0) {
		buf_end(status, sizeof status, slen);
		count_into(k, status, n);
	}
	mysql_stmt_free_result(stmt);
	if (rc == 1)
		return db_stmt_fail(db, stmt, e, "count codes");
	count_end(k);
	return CP_OK;
}
