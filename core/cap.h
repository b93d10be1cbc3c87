/*
 * Private to core/: the campaign cap (max_redemptions) as CAP_SLOTS rows of
 * campaign_cap_slots whose quotas sum to the cap. See core/cap.c.
 */
#ifndef CAP_H
#define CAP_H

#include <stdbool.h>
#include <stdint.h>

#include "coupon.h"

/* Slots per capped campaign: each redemption updates one of them. */
#define CAP_SLOTS 64

/*
 * The slot the calling thread's redemptions try first: each thread (a front
 * end's worker with its one connection) gets one of its own, round robin, so
 * up to CAP_SLOTS threads never meet on a slot row; cap_slot_moved() makes the
 * slot a redemption moved to, the one it had being full, the thread's own.
 */
uint32_t cap_slot_mine(void);
void cap_slot_moved(uint32_t slot);

/*
 * In the caller's transaction, with campaign ID's row locked: the slots for a cap
 * going from OLD to NEW (0 = none). *SETTLE is set when NEW is the campaign's
 * first cap: the slots then count without limiting until cap_settle has run,
 * after the caller's commit and the fence that closes the fast statements.
 */
enum cp_status cap_change(struct cp_db *, uint32_t id, uint32_t old, uint32_t new, bool *settle,
			  struct cp_err *);
/* In the caller's transaction: the slots of new campaign ID (no code redeemed yet). */
enum cp_status cap_create(struct cp_db *, uint32_t id, uint32_t cap, struct cp_err *);
/* Its own transaction: counts campaign ID's redeemed codes and applies its cap. */
enum cp_status cap_settle(struct cp_db *, uint32_t id, struct cp_err *);
/*
 * In the caller's transaction, with code CODE_ID locked and still redeemed, before
 * it stops being so: gives its unit back to its campaign's slot (none if the
 * campaign has no cap).
 */
enum cp_status cap_give(struct cp_db *, uint64_t code_id, struct cp_err *);

#endif
