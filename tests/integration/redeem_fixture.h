/* Shared by the redemption tests: campaigns and codes made with plain SQL. */
#ifndef REDEEM_FIXTURE_H
#define REDEEM_FIXTURE_H

#include "coupon.h"

/*
 * Inserts a campaign with the default format and PREFIX; EXTRA is a list of
 * further "column = value" assignments ("" for none), e.g. "per_user_limit = 1".
 * FMT (may be NULL) gets its format. Returns the id.
 */
uint32_t fx_campaign(struct cp_db *, const char *name, const char *prefix, const char *extra,
		     struct cp_format *fmt);
/* The INDEXth valid code of FMT (deterministic). */
void fx_code(const struct cp_format *, uint64_t index, char *out);
/* Inserts codes FIRST..FIRST+COUNT-1 of campaign ID; OUT (may be NULL) gets them. */
void fx_codes(struct cp_db *, uint32_t id, const struct cp_format *, uint64_t first,
	      size_t count, char (*out)[CP_CODE_MAX + 1]);
/* A request for CODE by USER (may be NULL) for ORDER (may be NULL). */
struct cp_redeem_req fx_req(const char *code, const char *user, const char *order);
/* Prepared statements this connection executed so far (COM_STMT_EXECUTE). */
long long fx_stmt_executes(struct cp_db *);

#endif
