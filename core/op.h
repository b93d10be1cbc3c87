/*
 * The operations on a code and why one is refused (core/op.c): pure, no database.
 * core/redeem.c runs an operation as one conditional UPDATE; when that changed
 * no row it looks the code up and asks op_refusal() what the facts mean.
 */
#ifndef OP_H
#define OP_H

#include "coupon.h"

/* What the lookup found, as seen by the request that was refused. */
struct op_facts {
	bool found;                       /* nothing below counts without the code */
	enum cp_code_status code;         /* as stored */
	bool code_expired;                /* past the code's own expiry */
	bool lapsed;                      /* a reservation past its time */
	bool mine;                        /* the row's user (of an assigned code: its holder) is the request's */
	bool order_asked;                 /* the request names an order */
	bool order_matches;               /* the row's order is the request's (or both none) */
	enum cp_campaign_status campaign; /* as stored */
	bool not_started, campaign_over;  /* before or past the campaign's window */
	bool at_limit;                    /* the request's user has used the per-user limit */
	bool cap_full;                    /* the campaign's cap is used up (core/cap.c) */
	bool transferable;                /* the campaign lets anyone redeem an assigned code */
	bool pool_empty;                  /* assign: no available code is left */
};

struct op_verdict {
	/* The reply; CP_E_CONFLICT: the change should have matched, try it again. */
	enum cp_status status;
	bool replay; /* the code's redemption is this request's own: the original success */
	bool held;   /* validate: the user's own reservation, so the reply says until when */
};

/*
 * What the facts mean for the operation; CP_E_INTERNAL for an operation it does
 * not know, and for CP_OP_ASSIGN, which has a table of its own below.
 */
struct op_verdict op_refusal(enum cp_op, const struct op_facts *);
/*
 * Whether the campaign of the facts (found = it exists; code fields unused) may
 * hand a code to the user: CP_OK, or CP_E_NOT_FOUND, CP_E_CAMPAIGN_PAUSED,
 * CP_E_NOT_STARTED, CP_E_EXPIRED (archived or over), CP_E_USER_LIMIT (the user
 * holds as many as the per-user limit allows), CP_E_CAMPAIGN_EXHAUSTED.
 */
enum cp_status op_assign_refusal(const struct op_facts *);

#endif
