/* Private to libcoupon: idempotency keys of the redemption operations. */
#ifndef IDEMPOTENCY_H
#define IDEMPOTENCY_H

#include "coupon.h"

#define IDEM_TOKEN_LEN 38 /* "claim:" + 32 hex */

struct idem {
	uint32_t api_key_id;
	const char *key;
	uint8_t fp[32];                 /* stored fingerprint: operation + request */
	char token[IDEM_TOKEN_LEN + 1]; /* marks our claim while it is in progress */
};

/*
 * Fingerprint of OP and the request: SHA-256 over the operation's name and the
 * caller's fingerprint, or the normalised request (CODE, user, order, ttl) when
 * the caller gave none.
 */
/* A key as the header carries it: 1..CP_IDEM_KEY_MAX printable ASCII. CP_E_INVALID_ARGUMENT. */
enum cp_status idem_check_key(const char *key, struct cp_err *);
enum cp_status idem_init(struct idem *, enum cp_op, const struct cp_redeem_req *,
			 const char *code, struct cp_err *);
/*
 * Claims the key (or finds our own claim again after a reconnect). CP_OK: go
 * ahead, *STORED false; or *STORED true and RES holds the stored result (a replay).
 * CP_E_IDEMPOTENCY_CONFLICT, CP_E_IN_PROGRESS, or a database failure.
 */
enum cp_status idem_claim(struct cp_db *, struct idem *, struct cp_redeem_result *res,
			  bool *stored, struct cp_err *);
/*
 * Stores RES as the key's response; run inside the operation's transaction so the
 * two commit together. CP_E_IN_PROGRESS if our claim was taken over (roll back).
 */
enum cp_status idem_store(struct cp_db *, const struct idem *,
			  const struct cp_redeem_result *, struct cp_err *);
/* Gives the claim up after a transient failure, so the client may retry. */
void idem_abandon(struct cp_db *, const struct idem *);

#endif
