/*
 * Leak response: every still-available code of a batch or a campaign expired in
 * one step, each recorded in code_events (and the outbox, for a campaign with
 * events) and the step in the audit log, all in one transaction. The codes of an
 * import not yet complete are not in use (batch.h): they are left as they are.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "batch.h"
#include "db.h"

#define EXPIRE_TRIES 5

/*
 * The events are written first, from the available codes locked FOR UPDATE,
 * then, if the campaign has events, one outbox row per code, then the same codes
 * are expired. The counts must agree: a code added to the batch in between (a
 * generator still running) makes them differ, and the whole step is retried
 * rather than leaving a code expired without its event.
 *
 * The outbox rows are made by the server in one statement, so their event ids
 * are its UUID() (version 1, unique across servers and time) rather than the
 * version 4 ids the single-code operations draw; consumers treat both as opaque.
 */
static const char *const events_sql[] = {
	"INSERT INTO code_events (code_id, campaign_id, action, prior_status, prior_user_id, "
	"prior_order_id, prior_redeemed_at, actor, reason) SELECT id, campaign_id, "
	"'campaign_expire', status, redeemed_by_user_id, order_id, redeemed_at, ?, ? FROM "
	"coupon_codes WHERE campaign_id = ? AND status = 'available'" CODE_SHOWN_SQL("coupon_codes")
	" FOR UPDATE",
	"INSERT INTO code_events (code_id, campaign_id, action, prior_status, prior_user_id, "
	"prior_order_id, prior_redeemed_at, actor, reason) SELECT id, campaign_id, "
	"'batch_expire', status, redeemed_by_user_id, order_id, redeemed_at, ?, ? FROM "
	"coupon_codes WHERE campaign_id = ? AND batch_id = ? AND status = 'available'"
	CODE_SHOWN_SQL("coupon_codes") " FOR UPDATE",
};
#define OUTBOX_SQL                                                                        \
	"INSERT INTO outbox (event_id, event_type, campaign_id, code, created_at)"           \
	" SELECT UUID(), 'expired', c.campaign_id, c.code, NOW(6) FROM coupon_codes c"      \
	" JOIN campaigns k ON k.id = c.campaign_id AND k.events_enabled <> 0"               \
	" WHERE c.campaign_id = ? AND c.status = 'available'" CODE_SHOWN_SQL("c")
static const char *const outbox_sql[] = {OUTBOX_SQL, OUTBOX_SQL " AND c.batch_id = ?"};
static const char *const expire_sql[] = {
	"UPDATE coupon_codes SET status = 'expired', expired_reason = ? WHERE campaign_id = ? "
	"AND status = 'available'" CODE_SHOWN_SQL("coupon_codes"),
	"UPDATE coupon_codes SET status = 'expired', expired_reason = ? WHERE campaign_id = ? "
	"AND batch_id = ? AND status = 'available'" CODE_SHOWN_SQL("coupon_codes"),
};

struct expiry {
	uint32_t campaign_id;
	uint64_t batch_id;
	const char *actor, *reason;
};

static enum cp_status expire_tx(struct cp_db *db, struct expiry *x, uint64_t *count,
				struct cp_err *e)
{
	unsigned int b = x->batch_id != 0;
	MYSQL_BIND p[4];
	unsigned long l1, l2;
	uint64_t events = 0, outbox = 0, expired = 0;
	struct jobj after;
	enum cp_status st;

	memset(p, 0, sizeof p);
	db_bind_str(&p[0], x->actor, &l1);
	db_bind_str(&p[1], x->reason, &l2);
	db_bind_u32(&p[2], &x->campaign_id);
	db_bind_u64(&p[3], &x->batch_id);
	if ((st = db_run(db, events_sql[b], p, &events, e)) != CP_OK)
		return st;
	/* Whether the campaign has events is read here, in the transaction. */
	if ((st = db_run(db, outbox_sql[b], &p[2], &outbox, e)) != CP_OK)
		return st;
	if (outbox != 0 && outbox != events)
		return cp_err_set(e, CP_E_BUSY, "codes changed during the expiry; retrying");
	memset(p, 0, sizeof p);
	db_bind_str(&p[0], x->reason, &l2);
	db_bind_u32(&p[1], &x->campaign_id);
	db_bind_u64(&p[2], &x->batch_id);
	if ((st = db_run(db, expire_sql[b], p, &expired, e)) != CP_OK)
		return st;
	if (events != expired)
		return cp_err_set(e, CP_E_BUSY, "codes changed during the expiry; retrying");
	*count = expired;
	jobj_init(&after);
	jobj_u64(&after, "expired", expired);
	jobj_str(&after, "reason", x->reason);
	return audit_add(db, x->actor, b ? "batch.expire" : "campaign.expire", b ? "batch" : "campaign",
			 b ? x->batch_id : x->campaign_id, NULL, jobj_end(&after), e);
}

enum cp_status cp_expire_codes(struct cp_db *db, uint32_t campaign_id, uint64_t batch_id,
			       const char *actor, const char *reason, uint64_t *count,
			       struct cp_err *e)
{
	struct expiry x = {campaign_id, batch_id, actor ? actor : "unknown",
			   reason ? reason : "leak response"};
	struct cp_campaign camp;
	struct cp_batch b;
	enum cp_status st;

	*count = 0;
	if (reason != NULL && (st = cp_check_ident("reason", reason, CP_REASON_MAX, e)) != CP_OK) {
		cp_err_field(e, "reason");
		return st;
	}
	if ((st = cp_campaign_get(db, campaign_id, &camp, e)) != CP_OK)
		return st;
	if (batch_id != 0 && (st = cp_batch_get(db, batch_id, &b, e)) != CP_OK)
		return st;
	if (batch_id != 0 && b.campaign_id != campaign_id)
		return cp_err_set(e, CP_E_NOT_FOUND, "batch %" PRIu64 " is not a batch of campaign "
				  "'%s'", batch_id, camp.name);
	if (batch_id != 0 && b.method == CP_GEN_IMPORT && b.status != CP_BATCH_COMPLETE)
		return cp_err_set(e, CP_E_CONFLICT, "import batch %" PRIu64 " is not complete: its "
				  "codes are not in use", batch_id);
	for (unsigned int attempt = 1;; attempt++) {
		if ((st = db_begin(db, e)) == CP_OK && (st = expire_tx(db, &x, count, e)) == CP_OK &&
		    (st = db_commit(db, e)) == CP_OK)
			return CP_OK;
		db_rollback(db);
		if (!db_retryable(st) || attempt == EXPIRE_TRIES)
			return st;
		db_backoff(attempt);
	}
}
