/* Private to libcoupon: campaign_rewards rows, immutable once written. */
#ifndef REWARDS_H
#define REWARDS_H

#include "coupon.h"

/* Reads row ID into R. CP_E_NOT_FOUND if there is none. */
enum cp_status rewards_get(struct cp_db *, uint32_t id, struct cp_reward *r, struct cp_err *);
/* Appends R as a row of CAMPAIGN_ID; sets R->id. */
enum cp_status rewards_insert(struct cp_db *, uint32_t campaign_id, struct cp_reward *r,
			      struct cp_err *);
/* Whether R says anything: a reward, a minimum order or metadata. */
bool rewards_any(const struct cp_reward *r);

#endif
