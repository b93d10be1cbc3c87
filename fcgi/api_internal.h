/* Shared by api.c and the handler files; private to fcgi/. */
#ifndef API_INTERNAL_H
#define API_INTERNAL_H

#include "api.h"
#include "client.h"
#include "metrics.h"

#define ARG_MAX CP_INPUT_MAX

/* BODY_CSV is not read here: the handler streams it (c->rd, up to c->body_want bytes). */
enum body_kind { BODY_NONE, BODY_JSON, BODY_JSON_OPT, BODY_FORM, BODY_CSV };

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
	api_read_fn rd;             /* the request body, for BODY_CSV */
	void *src;
	size_t body_want;
	char code[CP_CODE_MAX + 1]; /* normalised code of a successful operation */
	char display[CP_DISPLAY_MAX + 1]; /* the same as printed, "" when unknown */
	char campaign[CP_NAME_MAX * 4 + 1]; /* its campaign's name, for the form's page */
	char actor[CP_ACTOR_MAX];           /* api_actor(), "" until asked */
};

/* Slots of struct params, shared by every field table. */
enum {
	P_CODE, P_USER_ID, P_ORDER_ID, P_TTL, P_USER,
	P_NAME, P_STATUS, P_STARTS, P_EXPIRES, P_LIMIT, P_UNREDEEM, P_ALPHABET, P_PREFIX,
	P_BODY_LEN, P_CHECK, P_GROUP, P_PLANNED, P_EVENTS,
	P_COUNT, P_METHOD, P_REASON, P_BATCH,
	P_REWARD, P_MIN_ORDER, P_METADATA, P_ORDER_AMOUNT, P_CODE_EXPIRES,
	P_CAMPAIGN, P_SINCE, P_UNTIL, P_CURSOR,
	P_MAX_REDEMPTIONS,
	P_TIME_ZONE,
	P_BUCKET,
	P_TRANSFERABLE, P_VALID_FOR,
	P_FORMAT,
	P_SLOTS
};
_Static_assert(P_SLOTS <= HTTP_PARAMS_MAX, "struct params holds every slot");

/* The worker's connection, or NULL after answering 503. */
struct cp_db *api_db(struct api_ctx *);
/* The shared database state, for /metrics. */
void api_db_state(struct metrics_db *);
/* Answers a core failure: logs database errors, counts them, reply_error(). */
void api_fail(struct api_ctx *, enum cp_status, const struct cp_err *);
/* The client the request comes from, as the rate limiter keys it (client.h). */
void api_client_key(const struct api_ctx *, char out[CLIENT_KEY_MAX]);
/* Who the request's key is, for audit rows and code history (cp_apikey_actor),
 * looked up once per request. */
const char *api_actor(struct api_ctx *, struct cp_db *);

/* api_reward.c */
/* {"amount":"59.90","currency":"EUR"} (a cJSON object) into M; refusals name FIELD. */
enum cp_status api_money(const void *obj, const char *field, struct cp_money *m,
			 struct cp_err *e);
/* A campaign member that is an object (reward, min_order, metadata, format) into CP. */
enum cp_status api_campaign_object(const struct api_ctx *, const struct field *,
				   const struct param *, struct cp_campaign *cp,
				   struct cp_err *e);
/* ,"reward":...,"min_order":...,"metadata":... of R (nulls when R->id is 0). */
void api_reward_members(struct buf *b, const struct cp_reward *r);

/* api_redeem.c */
/* SHA-256 of method, path and body: what an idempotent repeat must match. */
bool api_fingerprint(const struct http_req *, unsigned char *out);
void h_op(struct api_ctx *);
/* Starts group commit if the options want it (api_init). */
void api_redeem_init(void);
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
void h_import(struct api_ctx *);
void h_export(struct api_ctx *);
void h_code_get(struct api_ctx *);
void h_audit_list(struct api_ctx *);
void h_campaign_patch(struct api_ctx *);
void h_campaign_expire(struct api_ctx *);
void h_batch_expire(struct api_ctx *);
void h_key_list(struct api_ctx *);
void h_key_create(struct api_ctx *);
void h_key_revoke(struct api_ctx *);
void h_code_expire(struct api_ctx *);
void h_code_unredeem(struct api_ctx *);
void h_code_unassign(struct api_ctx *);
void admin_shutdown(void);
void admin_wait(void);
extern const struct field f_campaign[], f_campaign_patch[], f_key[], f_batch[], f_reason[];

/* api_assign.c */
void h_assign(struct api_ctx *);
extern const struct field f_assign[];
/* api_search.c */
void h_redemptions(struct api_ctx *);

/* api_report.c */
void h_report(struct api_ctx *);

#endif
