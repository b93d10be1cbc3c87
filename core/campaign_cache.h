/* Private to libcoupon: the per-connection cache of campaigns (formats, names, limits). */
#ifndef CAMPAIGN_CACHE_H
#define CAMPAIGN_CACHE_H

#include <mysql.h>

#include "coupon.h"

struct cache_campaign {
	uint32_t id;
	char name[CP_NAME_MAX * 4 + 1];
	uint32_t per_user_limit;
	bool restores;
	bool events;      /* writes outbox events */
	bool capped;      /* has a max_redemptions (core/cap.c) */
	bool open_capped; /* capped, and open but for that: cache_open_capped */
	struct cp_format format;
	uint32_t reward_id; /* its current campaign_rewards row, 0 = none */
	const struct cp_reward *reward; /* that row; NULL = none; valid until a reload */
};

/* What normalising told about the campaigns the code may belong to. */
struct cache_hint {
	bool any_limit;   /* some campaign with a matching format has a per-user limit */
	bool any_events;  /* some campaign with a matching format writes outbox events */
	bool any_min;     /* some campaign with a matching format has a minimum order */
	bool any_cap;     /* some campaign with a matching format has a cap */
	uint32_t campaign_id; /* the only campaign with a matching format, else 0 */
};

/*
 * Normalises IN with the formats of the cached campaigns. More than one distinct
 * normalised form (campaigns with different formats that all accept IN) is rare;
 * OUT then gets the first, ALT (may be NULL) the second.
 */
enum cp_status cache_normalize(struct cp_db *, const char *in, size_t inlen, char *out,
			       char *alt, struct cache_hint *, struct cp_err *);
/* The cached campaign ID (reloading once on a miss); NULL if unknown. */
const struct cache_campaign *cache_campaign(struct cp_db *, uint32_t id);
/*
 * How long a connection's list of open campaigns holds, in the server's clock,
 * after it was read; a pause waits this long (cache_fence_wait).
 */
#define CACHE_FENCE_MS 2000

/*
 * The fast redemption statement: PREFIX[0], which ends in "reward_id = ", the
 * open campaigns' rewards as a CASE on campaign_id, PREFIX[1], which ends in
 * "campaign_id IN (", and the ids of the open campaigns (active, inside their
 * window beyond the fence, no per-user limit, no events, no cap); NULL when there are
 * none. *FENCE gets the instant the caller binds to "NOW(6) < ?". The string
 * stays valid until the cache next reloads; PREFIX must have static storage.
 */
const char *cache_open_sql(struct cp_db *, const char *const *prefix, const MYSQL_TIME **fence);
/*
 * The campaign_rewards row ID, from the cache or read into it (rows never change).
 * NULL with E set if it cannot be read. Valid until the cache next reloads.
 */
const struct cp_reward *codes_reward(struct cp_db *, uint32_t id, struct cp_err *);
/* Whether campaign ID is open; *FENCE as for cache_open_sql. */
bool cache_open(struct cp_db *, uint32_t id, const MYSQL_TIME **fence);
/*
 * Whether campaign ID has a cap and is open but for it (the cap is checked in
 * SQL, by its slots); *FENCE as for cache_open_sql. Capped campaigns are never
 * in the open list of cache_open and cache_open_sql.
 */
bool cache_open_capped(struct cp_db *, uint32_t id, const MYSQL_TIME **fence);
/*
 * Returns once every connection's list of open campaigns read before the call
 * has passed its fence, so a pause that committed before the call holds for
 * every redemption that starts after the return.
 */
enum cp_status cache_fence_wait(struct cp_db *, struct cp_err *);
/* Marks the cache for reload before its next use (campaign state changed). */
void cache_stale(struct cp_db *);

#endif
