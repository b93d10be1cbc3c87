/*
 * The transport/handler boundary: a request as CGI variables plus its body, and a
 * response as status, headers and body. Handlers see only these, so they run in
 * the unit tests without a web server. Also the input checks every handler shares:
 * UTF-8 and control characters, form and JSON bodies against a field table.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "coupon.h"

#define HTTP_PATH_MAX 256
#define HTTP_HEADERS_MAX 512
#define HTTP_PARAMS_MAX 40

struct http_req {
	const char *method;
	const char *uri;            /* REQUEST_URI as sent, query included */
	const char *content_type;   /* NULL when absent */
	const char *content_length; /* NULL when absent */
	const char *authorization;
	const char *idem_key;       /* Idempotency-Key */
	const char *accept;
	const char *origin;
	const char *referer;
	const char *remote_addr;
	const char *forwarded_for;  /* X-Forwarded-For, read behind trusted proxies only */
	const char *body;           /* exactly body_len bytes, NUL-terminated */
	size_t body_len;
	char path[HTTP_PATH_MAX];   /* decoded path, by http_req_path() */
	const char *query;          /* after '?', "" when none */
};

/* A streamed body: the transport calls it after the headers went out. */
typedef bool (*http_write_fn)(void *sink, const void *p, size_t n);

struct http_resp {
	int status;
	const char *content_type;
	char headers[HTTP_HEADERS_MAX]; /* extra "Name: value\r\n" lines */
	size_t hlen;
	struct buf body;
	enum cp_status error;           /* CP_OK, or what reply_error() answered */
	const char *error_detail;       /* for the log, when worth logging */
	/* Streamed responses (export): body is produced by stream(). */
	enum cp_status (*stream)(void *ctx, http_write_fn, void *sink);
	void *stream_ctx;
};

void http_resp_init(struct http_resp *);
void http_resp_reset(struct http_resp *);
void http_resp_free(struct http_resp *);
void http_header(struct http_resp *, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *http_reason(int status);

/*
 * The one way an error leaves: {"error":{"code":...,"message":...}} with the
 * status table's HTTP status. MSG NULL uses the table's message.
 */
void reply_error(struct http_resp *, enum cp_status, const char *msg);
/* The same naming FIELD (a field table's or core's name; NULL for none). */
void reply_error_field(struct http_resp *, enum cp_status, const char *field, const char *msg);
/* The same with one more member of the error object: MEMBER (a name) and VALUE (JSON). */
void reply_error_with(struct http_resp *, enum cp_status, const char *field, const char *msg,
		      const char *member, const char *value);
/* Starts a JSON 2xx reply; the caller appends the object to resp->body. */
void reply_json(struct http_resp *, int status);

/* Splits req->uri into req->path (percent-decoded) and req->query. */
enum cp_status http_req_path(struct http_req *, struct cp_err *);
/* The media type of a Content-Type value equals TYPE (parameters ignored). */
bool http_media_type_is(const char *content_type, const char *type);
/* Whether ACCEPT lists TYPE. */
bool http_accepts(const char *accept, const char *type);

/* Request fields: a table per endpoint; unknown fields are refused. */

/*
 * Bounds for fields whose rule is core's (cp_campaign_set, cp_parse_ttl): only
 * what JSON holds exactly and a sane length, so core's refusal is the one given.
 */
#define FIELD_NUM_ANY (UINT64_C(1) << 53)
#define FIELD_TEXT_ANY 1024
enum field_type { FT_STR, FT_UINT, FT_BOOL, FT_OBJ };

struct field {
	const char *name;
	enum field_type type;
	unsigned int slot;  /* index into struct params.v */
	uint64_t max;       /* bytes for strings, value for numbers */
	bool required;
};

struct param {
	bool set;
	const char *s;      /* FT_STR: NUL-terminated, valid UTF-8 */
	size_t len;
	uint64_t u;         /* FT_UINT */
	bool b;             /* FT_BOOL */
	const void *obj;    /* FT_OBJ: the cJSON object (JSON bodies only) */
};

struct params {
	struct param v[HTTP_PARAMS_MAX];
	void *json;         /* the cJSON tree the strings point into */
	char *scratch;      /* decoded form data the strings point into */
};

void params_free(struct params *);
/*
 * A value as the text core reads (decimal numbers, "true"/"false"): one parser
 * in core for what the API, the console and couponadm are given. BUF holds a
 * number.
 */
const char *http_param_text(const struct field *, const struct param *, char *buf, size_t size);

/*
 * A JSON object whose members are all in FIELDS (NULL-name terminated). The parse
 * must end at the last byte; duplicate members, wrong types, over-long, non-UTF-8
 * or control-character strings are CP_E_INVALID_ARGUMENT with a message naming
 * the field. An empty body is an empty object only if ALLOW_EMPTY.
 */
enum cp_status http_parse_json(const char *body, size_t len, const struct field *fields,
			       bool allow_empty, struct params *, struct cp_err *);
/* The same for application/x-www-form-urlencoded. */
enum cp_status http_parse_form(const char *body, size_t len, const struct field *fields,
			       struct params *, struct cp_err *);

#endif
