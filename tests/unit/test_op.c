/*
 * Unit tests of core/op.c: the reply to every operation on a code in every state,
 * in a campaign in every state, with the user under and at the per-user limit. The
 * test builds the whole cross product and holds each cell against the expected
 * table below, so a changed reply fails the row that names it. The same replies
 * against the real server: tests/integration/test_redeem.c.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "coupon.h"
#include "op.h"
#include "testlib.h"

/* The code as the lookup finds it; the campaign fields come from the campaign axis. */
enum code_state {
	K_UNKNOWN,
	K_AVAILABLE,
	K_AVAILABLE_PAST,
	K_MINE,
	K_MINE_LAPSED,
	K_MINE_PAST,
	K_THEIRS,
	K_THEIRS_LAPSED,
	K_THEIRS_PAST,
	K_REDEEMED_SAME,
	K_REDEEMED_NONE,
	K_REDEEMED_UNASKED,
	K_REDEEMED_OTHER,
	K_REDEEMED_THEIRS,
	K_EXPIRED,
	K_ASSIGNED_MINE,
	K_ASSIGNED_MINE_PAST,
	K_ASSIGNED_THEIRS,
	K_ASSIGNED_TRANSFERABLE,
	K_COUNT
};

#define AVAILABLE .found = true, .code = CP_CODE_AVAILABLE
#define PENDING .found = true, .code = CP_CODE_PENDING
#define REDEEMED .found = true, .code = CP_CODE_REDEEMED
#define ASSIGNED .found = true, .code = CP_CODE_ASSIGNED

static const struct {
	const char *name;
	struct op_facts f;
} code_states[K_COUNT] = {
	[K_UNKNOWN] = {"no such code", {.found = false}},
	[K_AVAILABLE] = {"available", {AVAILABLE}},
	[K_AVAILABLE_PAST] = {"available, past its expiry", {AVAILABLE, .code_expired = true}},
	[K_MINE] = {"reserved by the user", {PENDING, .mine = true}},
	[K_MINE_LAPSED] = {"reserved by the user, lapsed",
			   {PENDING, .mine = true, .lapsed = true}},
	[K_MINE_PAST] = {"reserved by the user, past its expiry",
			 {PENDING, .mine = true, .code_expired = true}},
	[K_THEIRS] = {"reserved by another", {PENDING}},
	[K_THEIRS_LAPSED] = {"reserved by another, lapsed", {PENDING, .lapsed = true}},
	[K_THEIRS_PAST] = {"reserved by another, past its expiry",
			   {PENDING, .code_expired = true}},
	[K_REDEEMED_SAME] = {"redeemed by the user for this order",
			     {REDEEMED, .mine = true, .order_asked = true,
			      .order_matches = true}},
	[K_REDEEMED_NONE] = {"redeemed by the user, no order on either",
				 {REDEEMED, .mine = true, .order_matches = true}},
	[K_REDEEMED_UNASKED] = {"redeemed by the user for an order the request does not name",
				{REDEEMED, .mine = true}},
	[K_REDEEMED_OTHER] = {"redeemed by the user for another order",
				    {REDEEMED, .mine = true, .order_asked = true}},
	[K_REDEEMED_THEIRS] = {"redeemed by another for this order",
				   {REDEEMED, .order_asked = true, .order_matches = true}},
	[K_EXPIRED] = {"expired", {.found = true, .code = CP_CODE_EXPIRED}},
	[K_ASSIGNED_MINE] = {"handed out to the user", {ASSIGNED, .mine = true}},
	[K_ASSIGNED_MINE_PAST] = {"handed out to the user, past its expiry",
				  {ASSIGNED, .mine = true, .code_expired = true}},
	[K_ASSIGNED_THEIRS] = {"handed out to another", {ASSIGNED}},
	[K_ASSIGNED_TRANSFERABLE] = {"handed out to another, transferable",
				     {ASSIGNED, .transferable = true}},
};

/* The campaign: status by window, in the columns of the expected table. */
#define NCAMPAIGN 9
static const struct {
	const char *name;
	enum cp_campaign_status status;
	bool not_started, over;
} campaigns[NCAMPAIGN] = {
	{"active", CP_CAMPAIGN_ACTIVE, false, false},
	{"active, not started", CP_CAMPAIGN_ACTIVE, true, false},
	{"active, over", CP_CAMPAIGN_ACTIVE, false, true},
	{"paused", CP_CAMPAIGN_PAUSED, false, false},
	{"paused, not started", CP_CAMPAIGN_PAUSED, true, false},
	{"paused, over", CP_CAMPAIGN_PAUSED, false, true},
	{"archived", CP_CAMPAIGN_ARCHIVED, false, false},
	{"archived, not started", CP_CAMPAIGN_ARCHIVED, true, false},
	{"archived, over", CP_CAMPAIGN_ARCHIVED, false, true},
};

/* Cells: two letters per reply; capitals when the reply carries the row's time. */
static const struct {
	const char cell[3];
	enum cp_status st;
} legend[] = {
	{"ok", CP_OK},
	{"ag", CP_E_CONFLICT}, /* again: the change should have matched */
	{"un", CP_E_UNKNOWN_CODE},
	{"ar", CP_E_ALREADY_REDEEMED},
	{"ex", CP_E_EXPIRED},
	{"pa", CP_E_CAMPAIGN_PAUSED},
	{"ns", CP_E_NOT_STARTED},
	{"rs", CP_E_RESERVED},
	{"nr", CP_E_NOT_RESERVED},
	{"li", CP_E_USER_LIMIT},
	{"ca", CP_E_CAP_REACHED},
	{"ao", CP_E_ASSIGNED_OTHER},
};

static struct op_facts facts(enum code_state k, unsigned int c, bool at_limit, bool cap_full)
{
	struct op_facts f = code_states[k].f;

	f.cap_full = cap_full;
	f.campaign = campaigns[c].status;
	f.not_started = campaigns[c].not_started;
	f.campaign_over = campaigns[c].over;
	f.at_limit = at_limit;
	return f;
}

/*
 * Per operation and code state: a cell per campaign (active | paused | archived,
 * each in its window, not started, over), first with the user under the per-user
 * limit, then at it, then under it with the campaign's cap used up. "ag" is the lookup finding nothing to refuse: the change
 * should have matched, and core/redeem.c runs it again.
 */
#define V CP_OP_VALIDATE
#define RD CP_OP_REDEEM
#define RS CP_OP_RESERVE
#define CF CP_OP_CONFIRM
#define RL CP_OP_RELEASE

static const struct {
	int line;
	enum cp_op op;
	enum code_state code;
	const char *under, *at_limit, *cap_full;
} replies[] = {
	/* validate */
	{__LINE__, V, K_UNKNOWN, "un un un|un un un|un un un", "un un un|un un un|un un un",
	 "un un un|un un un|un un un"},
	{__LINE__, V, K_AVAILABLE, "ok ns ex|pa pa pa|ex ex ex", "li ns ex|pa pa pa|ex ex ex",
	 "ca ns ex|pa pa pa|ex ex ex"},
	{__LINE__, V, K_AVAILABLE_PAST, "ex ns ex|pa pa pa|ex ex ex", "ex ns ex|pa pa pa|ex ex ex",
	 "ex ns ex|pa pa pa|ex ex ex"},
	{__LINE__, V, K_MINE, "OK ns ex|pa pa pa|ex ex ex", "LI ns ex|pa pa pa|ex ex ex",
	 "CA ns ex|pa pa pa|ex ex ex"},
	{__LINE__, V, K_MINE_LAPSED, "ok ns ex|pa pa pa|ex ex ex", "li ns ex|pa pa pa|ex ex ex",
	 "ca ns ex|pa pa pa|ex ex ex"},
	{__LINE__, V, K_MINE_PAST, "ex ns ex|pa pa pa|ex ex ex", "ex ns ex|pa pa pa|ex ex ex",
	 "ex ns ex|pa pa pa|ex ex ex"},
	{__LINE__, V, K_THEIRS, "rs ns ex|pa pa pa|ex ex ex", "rs ns ex|pa pa pa|ex ex ex",
	 "rs ns ex|pa pa pa|ex ex ex"},
	{__LINE__, V, K_THEIRS_LAPSED, "ok ns ex|pa pa pa|ex ex ex", "li ns ex|pa pa pa|ex ex ex",
	 "ca ns ex|pa pa pa|ex ex ex"},
	{__LINE__, V, K_THEIRS_PAST, "ex ns ex|pa pa pa|ex ex ex", "ex ns ex|pa pa pa|ex ex ex",
	 "ex ns ex|pa pa pa|ex ex ex"},
	{__LINE__, V, K_REDEEMED_SAME, "AR AR AR|AR AR AR|AR AR AR", "AR AR AR|AR AR AR|AR AR AR",
	 "AR AR AR|AR AR AR|AR AR AR"},
	{__LINE__, V, K_REDEEMED_NONE, "AR AR AR|AR AR AR|AR AR AR", "AR AR AR|AR AR AR|AR AR AR",
	 "AR AR AR|AR AR AR|AR AR AR"},
	{__LINE__, V, K_REDEEMED_UNASKED, "ar ar ar|ar ar ar|ar ar ar", "ar ar ar|ar ar ar|ar ar ar",
	 "ar ar ar|ar ar ar|ar ar ar"},
	{__LINE__, V, K_REDEEMED_OTHER, "ar ar ar|ar ar ar|ar ar ar", "ar ar ar|ar ar ar|ar ar ar",
	 "ar ar ar|ar ar ar|ar ar ar"},
	{__LINE__, V, K_REDEEMED_THEIRS, "ar ar ar|ar ar ar|ar ar ar", "ar ar ar|ar ar ar|ar ar ar",
	 "ar ar ar|ar ar ar|ar ar ar"},
	{__LINE__, V, K_EXPIRED, "ex ex ex|ex ex ex|ex ex ex", "ex ex ex|ex ex ex|ex ex ex",
	 "ex ex ex|ex ex ex|ex ex ex"},
	{__LINE__, V, K_ASSIGNED_MINE, "ok ns ex|pa pa pa|ex ex ex", "li ns ex|pa pa pa|ex ex ex",
	 "ca ns ex|pa pa pa|ex ex ex"},
	{__LINE__, V, K_ASSIGNED_MINE_PAST, "ex ns ex|pa pa pa|ex ex ex", "ex ns ex|pa pa pa|ex ex ex",
	 "ex ns ex|pa pa pa|ex ex ex"},
	{__LINE__, V, K_ASSIGNED_THEIRS, "ao ns ex|pa pa pa|ex ex ex", "ao ns ex|pa pa pa|ex ex ex",
	 "ao ns ex|pa pa pa|ex ex ex"},
	{__LINE__, V, K_ASSIGNED_TRANSFERABLE, "ok ns ex|pa pa pa|ex ex ex", "li ns ex|pa pa pa|ex ex ex",
	 "ca ns ex|pa pa pa|ex ex ex"},
	/* redeem */
	{__LINE__, RD, K_UNKNOWN, "un un un|un un un|un un un", "un un un|un un un|un un un",
	 "un un un|un un un|un un un"},
	{__LINE__, RD, K_AVAILABLE, "ag ns ex|pa pa pa|ex ex ex", "li ns ex|pa pa pa|ex ex ex",
	 "ca ns ex|pa pa pa|ex ex ex"},
	{__LINE__, RD, K_AVAILABLE_PAST, "ex ns ex|pa pa pa|ex ex ex", "ex ns ex|pa pa pa|ex ex ex",
	 "ex ns ex|pa pa pa|ex ex ex"},
	{__LINE__, RD, K_MINE, "rs ns ex|pa pa pa|ex ex ex", "li ns ex|pa pa pa|ex ex ex",
	 "rs ns ex|pa pa pa|ex ex ex"},
	{__LINE__, RD, K_MINE_LAPSED, "ag ns ex|pa pa pa|ex ex ex", "li ns ex|pa pa pa|ex ex ex",
	 "ca ns ex|pa pa pa|ex ex ex"},
	{__LINE__, RD, K_MINE_PAST, "ex ns ex|pa pa pa|ex ex ex", "ex ns ex|pa pa pa|ex ex ex",
	 "ex ns ex|pa pa pa|ex ex ex"},
	{__LINE__, RD, K_THEIRS, "rs ns ex|pa pa pa|ex ex ex", "rs ns ex|pa pa pa|ex ex ex",
	 "rs ns ex|pa pa pa|ex ex ex"},
	{__LINE__, RD, K_THEIRS_LAPSED, "ag ns ex|pa pa pa|ex ex ex", "li ns ex|pa pa pa|ex ex ex",
	 "ca ns ex|pa pa pa|ex ex ex"},
	{__LINE__, RD, K_THEIRS_PAST, "ex ns ex|pa pa pa|ex ex ex", "ex ns ex|pa pa pa|ex ex ex",
	 "ex ns ex|pa pa pa|ex ex ex"},
	{__LINE__, RD, K_REDEEMED_SAME, "OK OK OK|OK OK OK|OK OK OK", "OK OK OK|OK OK OK|OK OK OK",
	 "OK OK OK|OK OK OK|OK OK OK"},
	{__LINE__, RD, K_REDEEMED_NONE, "OK OK OK|OK OK OK|OK OK OK", "OK OK OK|OK OK OK|OK OK OK",
	 "OK OK OK|OK OK OK|OK OK OK"},
	{__LINE__, RD, K_REDEEMED_UNASKED, "ar ar ar|ar ar ar|ar ar ar", "ar ar ar|ar ar ar|ar ar ar",
	 "ar ar ar|ar ar ar|ar ar ar"},
	{__LINE__, RD, K_REDEEMED_OTHER, "ar ar ar|ar ar ar|ar ar ar", "ar ar ar|ar ar ar|ar ar ar",
	 "ar ar ar|ar ar ar|ar ar ar"},
	{__LINE__, RD, K_REDEEMED_THEIRS, "ar ar ar|ar ar ar|ar ar ar", "ar ar ar|ar ar ar|ar ar ar",
	 "ar ar ar|ar ar ar|ar ar ar"},
	{__LINE__, RD, K_EXPIRED, "ex ex ex|ex ex ex|ex ex ex", "ex ex ex|ex ex ex|ex ex ex",
	 "ex ex ex|ex ex ex|ex ex ex"},
	{__LINE__, RD, K_ASSIGNED_MINE, "ag ns ex|pa pa pa|ex ex ex", "li ns ex|pa pa pa|ex ex ex",
	 "ca ns ex|pa pa pa|ex ex ex"},
	{__LINE__, RD, K_ASSIGNED_MINE_PAST, "ex ns ex|pa pa pa|ex ex ex", "ex ns ex|pa pa pa|ex ex ex",
	 "ex ns ex|pa pa pa|ex ex ex"},
	{__LINE__, RD, K_ASSIGNED_THEIRS, "ao ns ex|pa pa pa|ex ex ex", "ao ns ex|pa pa pa|ex ex ex",
	 "ao ns ex|pa pa pa|ex ex ex"},
	{__LINE__, RD, K_ASSIGNED_TRANSFERABLE, "ag ns ex|pa pa pa|ex ex ex", "li ns ex|pa pa pa|ex ex ex",
	 "ca ns ex|pa pa pa|ex ex ex"},
	/* reserve */
	{__LINE__, RS, K_UNKNOWN, "un un un|un un un|un un un", "un un un|un un un|un un un",
	 "un un un|un un un|un un un"},
	{__LINE__, RS, K_AVAILABLE, "ag ns ex|pa pa pa|ex ex ex", "li ns ex|pa pa pa|ex ex ex",
	 "ag ns ex|pa pa pa|ex ex ex"},
	{__LINE__, RS, K_AVAILABLE_PAST, "ex ns ex|pa pa pa|ex ex ex", "ex ns ex|pa pa pa|ex ex ex",
	 "ex ns ex|pa pa pa|ex ex ex"},
	{__LINE__, RS, K_MINE, "ag ns ex|pa pa pa|ex ex ex", "li ns ex|pa pa pa|ex ex ex",
	 "ag ns ex|pa pa pa|ex ex ex"},
	{__LINE__, RS, K_MINE_LAPSED, "ag ns ex|pa pa pa|ex ex ex", "li ns ex|pa pa pa|ex ex ex",
	 "ag ns ex|pa pa pa|ex ex ex"},
	{__LINE__, RS, K_MINE_PAST, "ex ns ex|pa pa pa|ex ex ex", "ex ns ex|pa pa pa|ex ex ex",
	 "ex ns ex|pa pa pa|ex ex ex"},
	{__LINE__, RS, K_THEIRS, "rs ns ex|pa pa pa|ex ex ex", "rs ns ex|pa pa pa|ex ex ex",
	 "rs ns ex|pa pa pa|ex ex ex"},
	{__LINE__, RS, K_THEIRS_LAPSED, "ag ns ex|pa pa pa|ex ex ex", "li ns ex|pa pa pa|ex ex ex",
	 "ag ns ex|pa pa pa|ex ex ex"},
	{__LINE__, RS, K_THEIRS_PAST, "ex ns ex|pa pa pa|ex ex ex", "ex ns ex|pa pa pa|ex ex ex",
	 "ex ns ex|pa pa pa|ex ex ex"},
	{__LINE__, RS, K_REDEEMED_SAME, "AR AR AR|AR AR AR|AR AR AR", "AR AR AR|AR AR AR|AR AR AR",
	 "AR AR AR|AR AR AR|AR AR AR"},
	{__LINE__, RS, K_REDEEMED_NONE, "AR AR AR|AR AR AR|AR AR AR", "AR AR AR|AR AR AR|AR AR AR",
	 "AR AR AR|AR AR AR|AR AR AR"},
	{__LINE__, RS, K_REDEEMED_UNASKED, "ar ar ar|ar ar ar|ar ar ar", "ar ar ar|ar ar ar|ar ar ar",
	 "ar ar ar|ar ar ar|ar ar ar"},
	{__LINE__, RS, K_REDEEMED_OTHER, "ar ar ar|ar ar ar|ar ar ar", "ar ar ar|ar ar ar|ar ar ar",
	 "ar ar ar|ar ar ar|ar ar ar"},
	{__LINE__, RS, K_REDEEMED_THEIRS, "ar ar ar|ar ar ar|ar ar ar", "ar ar ar|ar ar ar|ar ar ar",
	 "ar ar ar|ar ar ar|ar ar ar"},
	{__LINE__, RS, K_EXPIRED, "ex ex ex|ex ex ex|ex ex ex", "ex ex ex|ex ex ex|ex ex ex",
	 "ex ex ex|ex ex ex|ex ex ex"},
	{__LINE__, RS, K_ASSIGNED_MINE, "ag ns ex|pa pa pa|ex ex ex", "li ns ex|pa pa pa|ex ex ex",
	 "ag ns ex|pa pa pa|ex ex ex"},
	{__LINE__, RS, K_ASSIGNED_MINE_PAST, "ex ns ex|pa pa pa|ex ex ex", "ex ns ex|pa pa pa|ex ex ex",
	 "ex ns ex|pa pa pa|ex ex ex"},
	{__LINE__, RS, K_ASSIGNED_THEIRS, "ao ns ex|pa pa pa|ex ex ex", "ao ns ex|pa pa pa|ex ex ex",
	 "ao ns ex|pa pa pa|ex ex ex"},
	{__LINE__, RS, K_ASSIGNED_TRANSFERABLE, "ag ns ex|pa pa pa|ex ex ex", "li ns ex|pa pa pa|ex ex ex",
	 "ag ns ex|pa pa pa|ex ex ex"},
	/* confirm */
	{__LINE__, CF, K_UNKNOWN, "un un un|un un un|un un un", "un un un|un un un|un un un",
	 "un un un|un un un|un un un"},
	{__LINE__, CF, K_AVAILABLE, "nr ns ex|pa pa pa|ex ex ex", "li ns ex|pa pa pa|ex ex ex",
	 "nr ns ex|pa pa pa|ex ex ex"},
	{__LINE__, CF, K_AVAILABLE_PAST, "ex ns ex|pa pa pa|ex ex ex", "ex ns ex|pa pa pa|ex ex ex",
	 "ex ns ex|pa pa pa|ex ex ex"},
	{__LINE__, CF, K_MINE, "ag ns ex|pa pa pa|ex ex ex", "li ns ex|pa pa pa|ex ex ex",
	 "ca ns ex|pa pa pa|ex ex ex"},
	{__LINE__, CF, K_MINE_LAPSED, "nr ns ex|pa pa pa|ex ex ex", "li ns ex|pa pa pa|ex ex ex",
	 "nr ns ex|pa pa pa|ex ex ex"},
	{__LINE__, CF, K_MINE_PAST, "ex ns ex|pa pa pa|ex ex ex", "ex ns ex|pa pa pa|ex ex ex",
	 "ex ns ex|pa pa pa|ex ex ex"},
	{__LINE__, CF, K_THEIRS, "nr ns ex|pa pa pa|ex ex ex", "nr ns ex|pa pa pa|ex ex ex",
	 "nr ns ex|pa pa pa|ex ex ex"},
	{__LINE__, CF, K_THEIRS_LAPSED, "nr ns ex|pa pa pa|ex ex ex", "li ns ex|pa pa pa|ex ex ex",
	 "nr ns ex|pa pa pa|ex ex ex"},
	{__LINE__, CF, K_THEIRS_PAST, "ex ns ex|pa pa pa|ex ex ex", "ex ns ex|pa pa pa|ex ex ex",
	 "ex ns ex|pa pa pa|ex ex ex"},
	{__LINE__, CF, K_REDEEMED_SAME, "OK OK OK|OK OK OK|OK OK OK", "OK OK OK|OK OK OK|OK OK OK",
	 "OK OK OK|OK OK OK|OK OK OK"},
	{__LINE__, CF, K_REDEEMED_NONE, "OK OK OK|OK OK OK|OK OK OK", "OK OK OK|OK OK OK|OK OK OK",
	 "OK OK OK|OK OK OK|OK OK OK"},
	{__LINE__, CF, K_REDEEMED_UNASKED, "OK OK OK|OK OK OK|OK OK OK", "OK OK OK|OK OK OK|OK OK OK",
	 "OK OK OK|OK OK OK|OK OK OK"},
	{__LINE__, CF, K_REDEEMED_OTHER, "ar ar ar|ar ar ar|ar ar ar", "ar ar ar|ar ar ar|ar ar ar",
	 "ar ar ar|ar ar ar|ar ar ar"},
	{__LINE__, CF, K_REDEEMED_THEIRS, "ar ar ar|ar ar ar|ar ar ar", "ar ar ar|ar ar ar|ar ar ar",
	 "ar ar ar|ar ar ar|ar ar ar"},
	{__LINE__, CF, K_EXPIRED, "ex ex ex|ex ex ex|ex ex ex", "ex ex ex|ex ex ex|ex ex ex",
	 "ex ex ex|ex ex ex|ex ex ex"},
	{__LINE__, CF, K_ASSIGNED_MINE, "nr ns ex|pa pa pa|ex ex ex", "li ns ex|pa pa pa|ex ex ex",
	 "nr ns ex|pa pa pa|ex ex ex"},
	{__LINE__, CF, K_ASSIGNED_MINE_PAST, "ex ns ex|pa pa pa|ex ex ex", "ex ns ex|pa pa pa|ex ex ex",
	 "ex ns ex|pa pa pa|ex ex ex"},
	{__LINE__, CF, K_ASSIGNED_THEIRS, "nr ns ex|pa pa pa|ex ex ex", "nr ns ex|pa pa pa|ex ex ex",
	 "nr ns ex|pa pa pa|ex ex ex"},
	{__LINE__, CF, K_ASSIGNED_TRANSFERABLE, "nr ns ex|pa pa pa|ex ex ex", "li ns ex|pa pa pa|ex ex ex",
	 "nr ns ex|pa pa pa|ex ex ex"},
	/* release */
	{__LINE__, RL, K_UNKNOWN, "un un un|un un un|un un un", "un un un|un un un|un un un",
	 "un un un|un un un|un un un"},
	{__LINE__, RL, K_AVAILABLE, "ok ok ok|ok ok ok|ok ok ok", "ok ok ok|ok ok ok|ok ok ok",
	 "ok ok ok|ok ok ok|ok ok ok"},
	{__LINE__, RL, K_AVAILABLE_PAST, "ok ok ok|ok ok ok|ok ok ok", "ok ok ok|ok ok ok|ok ok ok",
	 "ok ok ok|ok ok ok|ok ok ok"},
	{__LINE__, RL, K_MINE, "ag ag ag|ag ag ag|ag ag ag", "ag ag ag|ag ag ag|ag ag ag",
	 "ag ag ag|ag ag ag|ag ag ag"},
	{__LINE__, RL, K_MINE_LAPSED, "ag ag ag|ag ag ag|ag ag ag", "ag ag ag|ag ag ag|ag ag ag",
	 "ag ag ag|ag ag ag|ag ag ag"},
	{__LINE__, RL, K_MINE_PAST, "ag ag ag|ag ag ag|ag ag ag", "ag ag ag|ag ag ag|ag ag ag",
	 "ag ag ag|ag ag ag|ag ag ag"},
	{__LINE__, RL, K_THEIRS, "nr nr nr|nr nr nr|nr nr nr", "nr nr nr|nr nr nr|nr nr nr",
	 "nr nr nr|nr nr nr|nr nr nr"},
	{__LINE__, RL, K_THEIRS_LAPSED, "nr nr nr|nr nr nr|nr nr nr", "nr nr nr|nr nr nr|nr nr nr",
	 "nr nr nr|nr nr nr|nr nr nr"},
	{__LINE__, RL, K_THEIRS_PAST, "nr nr nr|nr nr nr|nr nr nr", "nr nr nr|nr nr nr|nr nr nr",
	 "nr nr nr|nr nr nr|nr nr nr"},
	{__LINE__, RL, K_REDEEMED_SAME, "AR AR AR|AR AR AR|AR AR AR", "AR AR AR|AR AR AR|AR AR AR",
	 "AR AR AR|AR AR AR|AR AR AR"},
	{__LINE__, RL, K_REDEEMED_NONE, "AR AR AR|AR AR AR|AR AR AR", "AR AR AR|AR AR AR|AR AR AR",
	 "AR AR AR|AR AR AR|AR AR AR"},
	{__LINE__, RL, K_REDEEMED_UNASKED, "ar ar ar|ar ar ar|ar ar ar", "ar ar ar|ar ar ar|ar ar ar",
	 "ar ar ar|ar ar ar|ar ar ar"},
	{__LINE__, RL, K_REDEEMED_OTHER, "ar ar ar|ar ar ar|ar ar ar", "ar ar ar|ar ar ar|ar ar ar",
	 "ar ar ar|ar ar ar|ar ar ar"},
	{__LINE__, RL, K_REDEEMED_THEIRS, "ar ar ar|ar ar ar|ar ar ar", "ar ar ar|ar ar ar|ar ar ar",
	 "ar ar ar|ar ar ar|ar ar ar"},
	{__LINE__, RL, K_EXPIRED, "ex ex ex|ex ex ex|ex ex ex", "ex ex ex|ex ex ex|ex ex ex",
	 "ex ex ex|ex ex ex|ex ex ex"},
	{__LINE__, RL, K_ASSIGNED_MINE, "ok ok ok|ok ok ok|ok ok ok", "ok ok ok|ok ok ok|ok ok ok",
	 "ok ok ok|ok ok ok|ok ok ok"},
	{__LINE__, RL, K_ASSIGNED_MINE_PAST, "ok ok ok|ok ok ok|ok ok ok", "ok ok ok|ok ok ok|ok ok ok",
	 "ok ok ok|ok ok ok|ok ok ok"},
	{__LINE__, RL, K_ASSIGNED_THEIRS, "nr nr nr|nr nr nr|nr nr nr", "nr nr nr|nr nr nr|nr nr nr",
	 "nr nr nr|nr nr nr|nr nr nr"},
	{__LINE__, RL, K_ASSIGNED_TRANSFERABLE, "ok ok ok|ok ok ok|ok ok ok", "ok ok ok|ok ok ok|ok ok ok",
	 "ok ok ok|ok ok ok|ok ok ok"},
};

#define NOPS (CP_OP_RELEASE + 1)

/* The cell's reply; *TIMED: in capitals, the reply carries the row's time. */
static bool cell(const char *s, unsigned int c, enum cp_status *st, bool *timed)
{
	char lower[3] = {(char)tolower((unsigned char)s[3 * c]),
			 (char)tolower((unsigned char)s[3 * c + 1]), '\0'};

	*timed = isupper((unsigned char)s[3 * c]) != 0;
	for (size_t i = 0; i < sizeof legend / sizeof legend[0]; i++) {
		if (strcmp(legend[i].cell, lower) == 0) {
			*st = legend[i].st;
			return true;
		}
	}
	return false;
}

static bool well_formed(const char *s)
{
	if (strlen(s) != 3 * NCAMPAIGN - 1)
		return false;
	for (unsigned int c = 0; c + 1 < NCAMPAIGN; c++)
		if (s[3 * c + 2] != (c % 3 == 2 ? '|' : ' '))
			return false;
	return true;
}

/* The user's and the campaign's count, in the order of the table's columns. */
enum terms { UNDER, AT_LIMIT, CAP_FULL };
static const char *const terms_names[] = {"under the limit", "at the limit", "cap used up"};

static void check_cell(int line, enum cp_op op, enum code_state k, unsigned int c, enum terms t,
		       const char *want)
{
	struct op_facts f = facts(k, c, t == AT_LIMIT, t == CAP_FULL);
	struct op_verdict v = op_refusal(op, &f);
	enum cp_status st = CP_STATUS_COUNT;
	bool timed = false, ok;

	if (!tl_check(__FILE__, line, cell(want, c, &st, &timed), "bad cell %u: %s", c, want))
		return;
	ok = v.status == st && v.replay == (timed && f.code == CP_CODE_REDEEMED) &&
	     v.held == (timed && f.code == CP_CODE_PENDING);
	CHECK_AT(line, ok, "%s, %s, campaign %s, %s: got %s%s%s, want %s%s",
		 cp_op_name(op), code_states[k].name, campaigns[c].name,
		 terms_names[t], cp_status_code(v.status),
		 v.replay ? " (replay)" : "", v.held ? " (held)" : "", cp_status_code(st),
		 timed ? " with the row's time" : "");
}

/* The cross product: every operation, code state, campaign and limit. */
static void test_cross_product(void)
{
	for (unsigned int op = 0; op < NOPS; op++) {
		for (unsigned int k = 0; k < K_COUNT; k++) {
			const char *under = NULL, *at = NULL, *full = NULL;
			int line = 0, rows = 0;

			for (size_t i = 0; i < sizeof replies / sizeof replies[0]; i++) {
				if (replies[i].op == (enum cp_op)op && replies[i].code == k) {
					line = replies[i].line;
					under = replies[i].under;
					at = replies[i].at_limit;
					full = replies[i].cap_full;
					rows++;
				}
			}
			CHECK(rows == 1, "%s, %s: %d rows in the expected table, want 1",
			      cp_op_name((enum cp_op)op), code_states[k].name, rows);
			if (rows != 1)
				continue;
			if (!tl_check(__FILE__, line, well_formed(under) && well_formed(at) &&
						       well_formed(full),
				      "a row needs %d cells in 3 groups", NCAMPAIGN))
				continue;
			for (unsigned int c = 0; c < NCAMPAIGN; c++) {
				check_cell(line, (enum cp_op)op, (enum code_state)k, c, UNDER, under);
				check_cell(line, (enum cp_op)op, (enum code_state)k, c, AT_LIMIT, at);
				check_cell(line, (enum cp_op)op, (enum code_state)k, c, CAP_FULL, full);
			}
		}
	}
}

/* An operation the table does not know gets no reply a caller could mistake for one. */
static void test_bad_op(void)
{
	struct op_facts f = facts(K_AVAILABLE, 0, false, false);
	enum cp_op bad[] = {CP_OP_ASSIGN, (enum cp_op)(CP_OP_ASSIGN + 1)};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct op_verdict v = op_refusal(bad[i], &f);

		CHECK(v.status == CP_E_INTERNAL && !v.replay && !v.held, "op %d: got %s",
		      (int)bad[i], cp_status_code(v.status));
	}
}

/*
 * Hand-out: per campaign (the columns above), whether the campaign exists, the
 * user is at the per-user limit and the pool is empty. "nf" not found, "ok" a
 * code is handed out, "xh" exhausted.
 */
static const struct {
	int line;
	bool found, at_limit, empty;
	const char *want;
} assigns[] = {
	{__LINE__, false, false, false, "nf nf nf|nf nf nf|nf nf nf"},
	{__LINE__, true, false, false, "ok ns ex|pa pa pa|ex ex ex"},
	{__LINE__, true, true, false, "li ns ex|pa pa pa|ex ex ex"},
	{__LINE__, true, false, true, "xh ns ex|pa pa pa|ex ex ex"},
	{__LINE__, true, true, true, "li ns ex|pa pa pa|ex ex ex"},
};

static void test_assign(void)
{
	static const struct {
		const char cell[3];
		enum cp_status st;
	} more[] = {{"nf", CP_E_NOT_FOUND}, {"xh", CP_E_CAMPAIGN_EXHAUSTED}};

	for (size_t i = 0; i < sizeof assigns / sizeof assigns[0]; i++) {
		const char *w = assigns[i].want;

		if (!tl_check(__FILE__, assigns[i].line, well_formed(w), "malformed row"))
			continue;
		for (unsigned int c = 0; c < NCAMPAIGN; c++) {
			struct op_facts f = facts(K_AVAILABLE, c, assigns[i].at_limit, false);
			enum cp_status st = CP_STATUS_COUNT, got;
			bool timed;

			f.found = assigns[i].found;
			f.pool_empty = assigns[i].empty;
			for (size_t m = 0; m < sizeof more / sizeof more[0]; m++)
				if (strncmp(more[m].cell, w + 3 * c, 2) == 0)
					st = more[m].st;
			if (st == CP_STATUS_COUNT && !cell(w, c, &st, &timed))
				st = CP_STATUS_COUNT;
			got = op_assign_refusal(&f);
			CHECK_AT(assigns[i].line, got == st, "assign, campaign %s: got %s, want %s",
				 campaigns[c].name, cp_status_code(got), cp_status_code(st));
		}
	}
}

static const struct {
	int line;
	const char *name;
	bool known;
	enum cp_op op;
} names[] = {
	{__LINE__, "validate", true, CP_OP_VALIDATE},
	{__LINE__, "redeem", true, CP_OP_REDEEM},
	{__LINE__, "reserve", true, CP_OP_RESERVE},
	{__LINE__, "confirm", true, CP_OP_CONFIRM},
	{__LINE__, "release", true, CP_OP_RELEASE},
	{__LINE__, "assign", true, CP_OP_ASSIGN},
	{__LINE__, "Redeem", false, 0},
	{__LINE__, "redeem ", false, 0},
	{__LINE__, "expire", false, 0},
	{__LINE__, "", false, 0},
	{__LINE__, NULL, false, 0},
};

static void test_names(void)
{
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		enum cp_op op = (enum cp_op)NOPS;
		bool known = cp_op_from_name(names[i].name, &op);

		CHECK_AT(names[i].line, known == names[i].known, "\"%s\": known %d",
			 names[i].name ? names[i].name : "(null)", known);
		if (known)
			CHECK_AT(names[i].line, op == names[i].op && cp_op_name(op) != NULL &&
							strcmp(cp_op_name(op), names[i].name) == 0,
				 "\"%s\": op %d, named %s", names[i].name, op, cp_op_name(op));
	}
	CHECK(cp_op_name((enum cp_op)(CP_OP_ASSIGN + 1)) == NULL, "an unknown op has a name");
	CHECK(cp_op_name((enum cp_op)-1) == NULL, "op -1 has a name");
}

int main(void)
{
	test_cross_product();
	test_bad_op();
	test_assign();
	test_names();
	return tl_done("test_op");
}
