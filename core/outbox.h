/* Private to libcoupon: writing outbox events inside the operations' transactions. */
#ifndef OUTBOX_H
#define OUTBOX_H

#include <mysql.h>

#include "coupon.h"

/* What happened to a code; the type names are a contract with consumers. */
enum outbox_type {
	OUTBOX_REDEEMED,
	OUTBOX_RESERVED,
	OUTBOX_CONFIRMED,
	OUTBOX_RELEASED,
	OUTBOX_UNREDEEMED,
	OUTBOX_EXPIRED,
	OUTBOX_ASSIGNED
};

struct outbox_event {
	enum outbox_type type;
	uint32_t campaign_id;
	const char *code;
	const char *user_id;  /* NULL = none */
	const char *order_id; /* NULL = none */
	const MYSQL_TIME *at; /* NULL = the server's clock */
	/* Take campaign, user and order from the code's row as this transaction left it. */
	bool from_row;
};

/* Inserts the event; the caller knows the campaign enables events. In its transaction. */
enum cp_status outbox_add(struct cp_db *, const struct outbox_event *, struct cp_err *);
/* Inserts the event only if the campaign enables events (one statement either way). */
enum cp_status outbox_add_if_enabled(struct cp_db *, const struct outbox_event *,
				     struct cp_err *);

#endif
