/*
 * The operations on a code: their names, and the reply each gets when its
 * conditional change matched nothing (op x code state x campaign state), and
 * why a campaign hands out no code. No database: core/redeem.c and
 * core/assign.c gather the facts, tests/unit/test_op.c holds every cell.
 */
#include "config.h"

#include <string.h>

#include "op.h"

static const char *const names[] = {
	[CP_OP_VALIDATE] = "validate", [CP_OP_REDEEM] = "redeem", [CP_OP_RESERVE] = "reserve",
	[CP_OP_CONFIRM] = "confirm",   [CP_OP_RELEASE] = "release", [CP_OP_ASSIGN] = "assign",
};
#define NOPS (sizeof names / sizeof names[0])

const char *cp_op_name(enum cp_op op)
{
	return (unsigned int)op < NOPS ? names[op] : NULL;
}

bool cp_op_from_name(const char *s, enum cp_op *op)
{
	for (unsigned int i = 0; s != NULL && i < NOPS; i++) {
		if (strcmp(names[i], s) == 0) {
			*op = (enum cp_op)i;
			return true;
		}
	}
	return false;
}

/* Where the code stands for this request, in the order that decides the reply. */
enum spot {
	S_UNKNOWN,
	S_REDEEMED_SAME, /* by this user, for this order: the original success */
	S_REDEEMED_OTHER,
	S_EXPIRED,
	S_PAUSED,
	S_NOT_STARTED,
	S_OVER,          /* campaign archived or past its window */
	S_MINE,          /* reserved by this user, not lapsed */
	S_MINE_LAPSED,
	S_THEIRS,        /* reserved by someone else, not lapsed */
	S_FREE,          /* available, or a lapsed reservation of someone else */
	S_HANDED_OTHER,  /* assigned to someone else, and not transferable */
	S_COUNT
};

/* Per operation and spot: the reply. CP_E_CONFLICT = the UPDATE should have matched. */
#define AGAIN CP_E_CONFLICT
static const enum cp_status replies[][S_COUNT] = {
	[CP_OP_VALIDATE] = {CP_E_UNKNOWN_CODE, CP_E_ALREADY_REDEEMED, CP_E_ALREADY_REDEEMED,
			    CP_E_EXPIRED, CP_E_CAMPAIGN_PAUSED, CP_E_NOT_STARTED, CP_E_EXPIRED,
			    CP_OK, CP_OK, CP_E_RESERVED, CP_OK, CP_E_ASSIGNED_OTHER},
	[CP_OP_REDEEM] = {CP_E_UNKNOWN_CODE, CP_OK, CP_E_ALREADY_REDEEMED, CP_E_EXPIRED,
			  CP_E_CAMPAIGN_PAUSED, CP_E_NOT_STARTED, CP_E_EXPIRED, CP_E_RESERVED,
			  AGAIN, CP_E_RESERVED, AGAIN, CP_E_ASSIGNED_OTHER},
	[CP_OP_RESERVE] = {CP_E_UNKNOWN_CODE, CP_E_ALREADY_REDEEMED, CP_E_ALREADY_REDEEMED,
			   CP_E_EXPIRED, CP_E_CAMPAIGN_PAUSED, CP_E_NOT_STARTED, CP_E_EXPIRED,
			   AGAIN, AGAIN, CP_E_RESERVED, AGAIN, CP_E_ASSIGNED_OTHER},
	[CP_OP_CONFIRM] = {CP_E_UNKNOWN_CODE, CP_OK, CP_E_ALREADY_REDEEMED, CP_E_EXPIRED,
			   CP_E_CAMPAIGN_PAUSED, CP_E_NOT_STARTED, CP_E_EXPIRED, AGAIN,
			   CP_E_NOT_RESERVED, CP_E_NOT_RESERVED, CP_E_NOT_RESERVED,
			   CP_E_NOT_RESERVED},
	/* Release ignores the campaign and the code's expiry: spot_of() never says so. */
	[CP_OP_RELEASE] = {CP_E_UNKNOWN_CODE, CP_E_ALREADY_REDEEMED, CP_E_ALREADY_REDEEMED,
			   CP_E_EXPIRED, CP_OK, CP_OK, CP_OK, AGAIN, AGAIN, CP_E_NOT_RESERVED,
			   CP_OK, CP_E_NOT_RESERVED},
};

/* Redeem: the same order (none on both counts as the same); confirm: any or the same. */
static bool same_order(enum cp_op op, const struct op_facts *f)
{
	return f->order_matches || (!f->order_asked && op == CP_OP_CONFIRM);
}

static enum spot campaign_spot(const struct op_facts *f)
{
	if (f->campaign == CP_CAMPAIGN_PAUSED)
		return S_PAUSED;
	if (f->campaign != CP_CAMPAIGN_ACTIVE || f->campaign_over)
		return S_OVER;
	return f->not_started ? S_NOT_STARTED : S_FREE;
}

static enum spot spot_of(enum cp_op op, const struct op_facts *f)
{
	enum spot s;

	if (!f->found)
		return S_UNKNOWN;
	if (f->code == CP_CODE_REDEEMED)
		return f->mine && same_order(op, f) ? S_REDEEMED_SAME : S_REDEEMED_OTHER;
	if (f->code == CP_CODE_EXPIRED)
		return S_EXPIRED;
	if (op != CP_OP_RELEASE && (s = campaign_spot(f)) != S_FREE)
		return s;
	if (op != CP_OP_RELEASE && f->code_expired)
		return S_EXPIRED;
	/* A handed-out code is its user's, as an available one is everybody's. */
	if (f->code == CP_CODE_ASSIGNED && !f->mine && !f->transferable)
		return S_HANDED_OTHER;
	if (f->code != CP_CODE_PENDING)
		return S_FREE;
	if (f->mine)
		return f->lapsed ? S_MINE_LAPSED : S_MINE;
	/* A lapsed reservation is free for others, but not theirs to release. */
	return f->lapsed && op != CP_OP_RELEASE ? S_FREE : S_THEIRS;
}

/* A spot that lets the operation through, but for the campaign's per-user limit. */
static bool limited(enum cp_op op, const struct op_facts *f, enum spot s)
{
	return (s == S_FREE || s == S_MINE || s == S_MINE_LAPSED) && f->at_limit &&
	       op != CP_OP_RELEASE;
}

/*
 * A spot that lets the operation through, but for the campaign's cap: redeem,
 * confirm and validate take (or would take) a unit of it (core/cap.c).
 */
static bool capped(enum cp_op op, const struct op_facts *f, enum spot s)
{
	bool takes = op == CP_OP_REDEEM || op == CP_OP_CONFIRM || op == CP_OP_VALIDATE;
	bool through = replies[op][s] == CP_OK || replies[op][s] == AGAIN;

	return f->cap_full && takes && through && (s == S_FREE || s == S_MINE || s == S_MINE_LAPSED);
}

struct op_verdict op_refusal(enum cp_op op, const struct op_facts *f)
{
	struct op_verdict v = {CP_E_INTERNAL, false, false};
	enum spot s;

	if ((unsigned int)op >= NOPS || op == CP_OP_ASSIGN)
		return v;
	s = spot_of(op, f);
	v.status = limited(op, f, s)  ? CP_E_USER_LIMIT
		   : capped(op, f, s) ? CP_E_CAP_REACHED
				      : replies[op][s];
	v.replay = s == S_REDEEMED_SAME;
	v.held = op == CP_OP_VALIDATE && s == S_MINE;
	return v;
}

enum cp_status op_assign_refusal(const struct op_facts *f)
{
	if (!f->found)
		return CP_E_NOT_FOUND;
	switch (campaign_spot(f)) {
	case S_PAUSED:
		return CP_E_CAMPAIGN_PAUSED;
	case S_NOT_STARTED:
		return CP_E_NOT_STARTED;
	case S_OVER:
		return CP_E_EXPIRED;
	default:
		break;
	}
	if (f->at_limit)
		return CP_E_USER_LIMIT;
	return f->pool_empty ? CP_E_CAMPAIGN_EXHAUSTED : CP_OK;
}
