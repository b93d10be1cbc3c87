/* Shared by api.c and the handler files; private to fcgi/. */
#ifndef API_INTERNAL_H
#define API_INTERNAL_H

#include "api.h"
#include "metrics.h"

#define ARG_MAX CP_INPUT_MAX

enum body_kind { BODY_NONE, BODY_JSON, BODY_JSON_OPT, BODY_FORM };

struct api_ctx;
typedef void (*handler_fn)(struct api_ctx *);

struct route {
	const char *name;        /* metrics label */
	const char *method;
	const char *pattern;     /* '*' matches one path segment */
	enum body_kind body;
	unsigned int scope;      /* 0 = no API key */
	const struct field *fields;
	handler_fn fn;
	int op;                  /* enum cp_op for the redemption routes, else -1 */
};

struct api_ctx {
	struct worker *w;
	struct http_req *req;
	struct http_resp *resp;
	const struct route *rt;
	struct params ps;
	char args[2][ARG_MAX + 1];
	uint32_t key_id;
	unsigned int scopes;
	char code[CP_CODE_MAX + 1]; /* normalised code of a successful operation */
	char display[CP_DISPLAY_MAX + 1]; /* the same as printed, "" when unknown */
	char campaign[CP_NAME_MAX * 4 + 1]; /* its campaign's name, for the form's page */
};

/* Slots of struct params, shared by every field table. */
enum {
	P_CODE, P_USER_ID, P_ORDER_ID, P_TTL, P_USER,
	P_NAME, P_STATUS, P_STARTS, P_EXPIRES, P_LIMIT, P_UNREDEEM, P_ALPHABET, P_PREFIX,
	P_BODY_LEN, P_CHECK, P_GROUP, P_PLANNED, P_EVENTS,
	P_COUNT, P_METHOD, P_REASON, P_BATCH,
	P_CAMPAIGN, P_SINCE, P_UNTIL, P_CURSOR,
	P_SLOTS
};

/* The worker's connection, or NULL after answering 503. */
struct cp_db *api_db(struct api_ctx *);
/* Answers a core failure: logs database errors, counts them, reply_error(). */
void api_fail(struct api_ctx *, enum cp_status, const struct cp_err *);
/* "actor" for audit rows: "api-key:ID". */
void api_actor(const struct api_ctx *, char *out, size_t outsz);

/* api_redeem.c */
void h_op(struct api_ctx *);
void h_form(struct api_ctx *);
/*
 * The public form's Origin/Referer check, before the body is even read: a
 * cross-site post is refused (403) and logged whatever it carries.
 */
bool form_admit(struct api_ctx *);
void form_finish(struct api_ctx *);
extern const struct field f_validate[], f_redeem[], f_reserve[], f_form[];

/* api_admin.c */
void h_campaign_create(struct api_ctx *);
void h_campaign_list(struct api_ctx *);
void h_campaign_get(struct api_ctx *);
void h_batch_create(struct api_ctx *);
void h_batch_get(struct api_ctx *);
void h_export(struct api_ctx *);
void h_code_get(struct api_ctx *);
void h_code_expire(struct api_ctx *);
void h_code_unredeem(struct api_ctx *);
void admin_shutdown(void);
void admin_wait(void);
extern const struct field f_campaign[], f_batch[], f_reason[];

/* api_search.c */
void h_redemptions(struct api_ctx *);

#endif
