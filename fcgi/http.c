/*
 * Request checks shared by every handler. Every bad byte becomes a clean 4xx
 * with a message naming what was wrong (lighttpd's request.c is the model).
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "text.h"
#include "xmalloc.h"

void http_resp_init(struct http_resp *r)
{
	memset(r, 0, sizeof *r);
	buf_init(&r->body);
	http_resp_reset(r);
}

void http_resp_reset(struct http_resp *r)
{
	r->status = 200;
	r->content_type = "application/json";
	r->hlen = 0;
	r->headers[0] = '\0';
	buf_reset(&r->body);
	r->error = CP_OK;
	r->error_detail = NULL;
	r->stream = NULL;
	r->stream_ctx = NULL;
}

void http_resp_free(struct http_resp *r)
{
	buf_free(&r->body);
}

void http_header(struct http_resp *r, const char *fmt, ...)
{
	/* Room for the text, CR LF and the NUL; never negative, whatever hlen is. */
	size_t room = r->hlen + 3 <= sizeof r->headers ? sizeof r->headers - r->hlen - 2 : 0;
	va_list ap;
	int n;

	if (room == 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(r->headers + r->hlen, room, fmt, ap);
	va_end(ap);
	/* Headers are ours, never user input; one that does not fit is dropped whole. */
	if (n < 0 || (size_t)n >= room) {
		r->headers[r->hlen] = '\0';
		return;
	}
	r->hlen += (size_t)n;
	memcpy(r->headers + r->hlen, "\r\n", 3);
	r->hlen += 2;
}

static const struct {
	int status;
	const char *reason;
} reasons[] = {
	{200, "OK"}, {201, "Created"}, {202, "Accepted"}, {204, "No Content"},
	{400, "Bad Request"}, {401, "Unauthorized"}, {403, "Forbidden"},
	{404, "Not Found"}, {405, "Method Not Allowed"}, {409, "Conflict"},
	{410, "Gone"}, {411, "Length Required"}, {413, "Content Too Large"},
	{415, "Unsupported Media Type"}, {422, "Unprocessable Content"},
	{429, "Too Many Requests"}, {500, "Internal Server Error"},
	{503, "Service Unavailable"},
};

const char *http_reason(int status)
{
	for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "Unknown";
}

void reply_error(struct http_resp *r, enum cp_status st, const char *msg)
{
	reply_error_field(r, st, NULL, msg);
}

void reply_error_field(struct http_resp *r, enum cp_status st, const char *field, const char *msg)
{
	reply_error_with(r, st, field, msg, NULL, NULL);
}

void reply_error_with(struct http_resp *r, enum cp_status st, const char *field, const char *msg,
		      const char *member, const char *value)
{
	const char *m = msg != NULL && *msg != '\0' ? msg : cp_status_message(st);

	buf_reset(&r->body);
	r->status = cp_status_http(st);
	r->content_type = "application/json";
	r->error = st;
	r->stream = NULL;
	buf_puts(&r->body, "{\"error\":{\"code\":");
	buf_json_str(&r->body, cp_status_code(st), strlen(cp_status_code(st)));
	buf_puts(&r->body, ",\"message\":");
	/* Messages may quote input (a database message, say): the writer keeps it UTF-8. */
	buf_json_str(&r->body, m, strlen(m));
	/* Field names come from the field tables and core, never from input. */
	if (field != NULL && *field != '\0') {
		buf_puts(&r->body, ",\"field\":");
		buf_json_str(&r->body, field, strlen(field));
	}
	if (member != NULL)
		buf_printf(&r->body, ",\"%s\":%s", member, value);
	buf_puts(&r->body, "}}\n");
}

void reply_json(struct http_resp *r, int status)
{
	buf_reset(&r->body);
	r->status = status;
	r->content_type = "application/json";
	r->error = CP_OK;
}

/* Percent-decodes IN[0..len) into OUT (at least len+1 bytes); PLUS maps '+' to ' '. */
static bool pct_decode(const char *in, size_t len, char *out, size_t *outlen, bool plus)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		int hi, lo;

		if (in[i] == '+' && plus) {
			out[o++] = ' ';
			continue;
		}
		if (in[i] != '%') {
			out[o++] = in[i];
			continue;
		}
		if (i + 2 >= len || (hi = text_hexval(in[i + 1])) < 0 ||
		    (lo = text_hexval(in[i + 2])) < 0)
			return false;
		out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	out[o] = '\0';
	*outlen = o;
	return true;
}

enum cp_status http_req_path(struct http_req *req, struct cp_err *e)
{
	const char *u = req->uri != NULL ? req->uri : "";
	const char *q = strchr(u, '?');
	size_t len = q != NULL ? (size_t)(q - u) : strlen(u);
	size_t outlen;

	req->query = q != NULL ? q + 1 : "";
	if (len == 0 || u[0] != '/' || len >= sizeof req->path)
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "bad request path");
	/* An escaped '/' would move segment boundaries after routing saw them. */
	if (strcasestr(u, "%2f") != NULL && (q == NULL || strcasestr(u, "%2f") < q))
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "escaped '/' in the path");
	if (!pct_decode(u, len, req->path, &outlen, false) || !text_ok(req->path, outlen, 0))
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "bad escape or character in the path");
	return CP_OK;
}

bool http_media_type_is(const char *ct, const char *type)
{
	size_t n = strlen(type);

	if (ct == NULL || strncasecmp(ct, type, n) != 0)
		return false;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

bool http_accepts(const char *accept, const char *type)
{
	size_t n = strlen(type);

	for (const char *p = accept; p != NULL && *p != '\0';) {
		while (*p == ' ' || *p == ',')
			p++;
		if (strncasecmp(p, type, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ';' ||
						     p[n] == ' '))
			return true;
		p = strchr(p, ',');
	}
	return false;
}

void params_free(struct params *p)
{
	cJSON_Delete(p->json);
	free(p->scratch);
	memset(p, 0, sizeof *p);
}

const char *http_param_text(const struct field *f, const struct param *p, char *buf, size_t size)
{
	switch (f->type) {
	case FT_UINT:
		snprintf(buf, size, "%llu", (unsigned long long)p->u);
		return buf;
	case FT_BOOL:
		return p->b ? "true" : "false";
	default:
		return p->s;
	}
}

static const struct field *find_field(const struct field *fields, const char *name, size_t len)
{
	for (const struct field *f = fields; f->name != NULL; f++)
		if (strlen(f->name) == len && memcmp(f->name, name, len) == 0)
			return f;
	return NULL;
}

static enum cp_status set_str(const struct field *f, struct param *p, const char *s, size_t len,
			      struct cp_err *e)
{
	if (len > f->max)
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, f->name,
					"field '%s' is too long (at most %llu bytes)", f->name, (unsigned long long)f->max);
	if (!text_ok(s, len, 0))
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, f->name,
					"field '%s' is not valid UTF-8 or holds control characters",
					f->name);
	p->s = s;
	p->len = len;
	return CP_OK;
}

static enum cp_status set_uint(const struct field *f, struct param *p, double d, struct cp_err *e)
{
	if (!isfinite(d) || d < 0 || d != floor(d) || d > (double)f->max)
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, f->name,
					"field '%s' must be an integer from 0 to %llu", f->name,
					(unsigned long long)f->max);
	p->u = (uint64_t)d;
	return CP_OK;
}

/* A form value for a number or a boolean, as JSON would give it. */
static enum cp_status set_from_text(const struct field *f, struct param *p, const char *s,
				    size_t len, struct cp_err *e)
{
	uint64_t v;

	switch (f->type) {
	case FT_STR:
		return set_str(f, p, s, len, e);
	case FT_UINT:
		if (cp_parse_uint(s, 0, f->max, &v, NULL) != CP_OK)
			return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, f->name,
						"field '%s' must be an integer from 0 to %llu",
						f->name, (unsigned long long)f->max);
		p->u = v;
		return CP_OK;
	case FT_OBJ:
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, f->name,
					"field '%s' is an object: send JSON", f->name);
	case FT_BOOL:
		if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0 || strcmp(s, "on") == 0)
			p->b = true;
		else if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0 || strcmp(s, "") == 0)
			p->b = false;
		else
			return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, f->name,
						"field '%s' must be true or false", f->name);
		return CP_OK;
	}
	return CP_E_INTERNAL;
}

static enum cp_status set_from_json(const struct field *f, struct param *p, const cJSON *v,
				    struct cp_err *e)
{
	static const char *const want[] = {"a string", "a number", "true or false", "an object"};

	if (f->type == FT_STR && cJSON_IsString(v))
		return set_str(f, p, v->valuestring, strlen(v->valuestring), e);
	if (f->type == FT_UINT && cJSON_IsNumber(v))
		return set_uint(f, p, v->valuedouble, e);
	if (f->type == FT_BOOL && cJSON_IsBool(v)) {
		p->b = cJSON_IsTrue(v);
		return CP_OK;
	}
	if (f->type == FT_OBJ && cJSON_IsObject(v)) {
		p->obj = v;
		return CP_OK;
	}
	return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, f->name, "field '%s' must be %s", f->name,
				want[f->type]);
}

static enum cp_status check_required(const struct field *fields, const struct params *ps,
				     struct cp_err *e)
{
	for (const struct field *f = fields; f->name != NULL; f++)
		if (f->required && !ps->v[f->slot].set)
			return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, f->name,
						"field '%s' is required", f->name);
	return CP_OK;
}

/*
 * cJSON turns \u0000 into a NUL that silently ends the string: refuse it before
 * parsing. Walks escapes so that "\\u0000" (a backslash, then text) passes.
 */
static bool has_nul_escape(const char *s, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (s[i] != '\\')
			continue;
		if (s[i + 1] == 'u' && i + 5 < len && strncmp(s + i + 2, "0000", 4) == 0)
			return true;
		i++;
	}
	return false;
}

static enum cp_status json_members(const cJSON *root, const struct field *fields,
				   struct params *ps, struct cp_err *e)
{
	enum cp_status st;

	for (const cJSON *m = root->child; m != NULL; m = m->next) {
		const struct field *f = find_field(fields, m->string, strlen(m->string));
		struct param *p;

		if (f == NULL)
			return cp_err_set(e, CP_E_INVALID_ARGUMENT, "unknown field '%.64s'",
					  text_ok(m->string, strlen(m->string), 0) ? m->string : "?");
		p = &ps->v[f->slot];
		if (p->set)
			return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, f->name,
						"field '%s' given twice", f->name);
		if (cJSON_IsNull(m) && !f->required)
			continue; /* null is the same as absent */
		if ((st = set_from_json(f, p, m, e)) != CP_OK)
			return st;
		p->set = true;
	}
	return CP_OK;
}

enum cp_status http_parse_json(const char *body, size_t len, const struct field *fields,
			       bool allow_empty, struct params *ps, struct cp_err *e)
{
	const char *end = NULL;
	cJSON *root;
	enum cp_status st;

	memset(ps, 0, sizeof *ps);
	if (len == 0 && allow_empty)
		return check_required(fields, ps, e);
	if (len == 0)
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "empty body: a JSON object is expected");
	if (!text_ok(body, len, TEXT_SPACE))
		return cp_err_set(e, CP_E_INVALID_ARGUMENT,
				  "the body is not valid UTF-8 or holds control characters");
	if (has_nul_escape(body, len))
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "\\u0000 is not allowed");
	root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	/* cJSON stops one short of the end after trailing whitespace: step over it. */
	while (root != NULL && end < body + len && strchr(" \t\r\n", *end) != NULL && *end != '\0')
		end++;
	if (root == NULL || end != body + len) {
		cJSON_Delete(root);
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "invalid JSON near byte %zu",
				  end != NULL ? (size_t)(end - body) : (size_t)0);
	}
	ps->json = root;
	if (!cJSON_IsObject(root))
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "the body must be a JSON object");
	if ((st = json_members(root, fields, ps, e)) != CP_OK)
		return st;
	return check_required(fields, ps, e);
}

static enum cp_status form_pair(const char *pair, size_t len, char *out, const struct field *fields,
				struct params *ps, struct cp_err *e)
{
	const char *eq = memchr(pair, '=', len);
	size_t nlen = eq != NULL ? (size_t)(eq - pair) : len, vlen, dlen;
	char name[64];
	const struct field *f;
	struct param *p;
	enum cp_status st;

	if (nlen >= sizeof name || !pct_decode(pair, nlen, name, &dlen, true))
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "malformed form field name");
	if ((f = find_field(fields, name, dlen)) == NULL)
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "unknown field '%.32s'",
				  text_ok(name, dlen, 0) ? name : "?");
	p = &ps->v[f->slot];
	if (p->set)
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, f->name, "field '%s' given twice",
					f->name);
	vlen = eq != NULL ? len - nlen - 1 : 0;
	if (!pct_decode(eq != NULL ? eq + 1 : "", vlen, out, &dlen, true))
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "malformed escape in field '%s'", f->name);
	if (strlen(out) != dlen)
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "field '%s' holds a NUL byte", f->name);
	if ((st = set_from_text(f, p, out, dlen, e)) != CP_OK)
		return st;
	p->set = true;
	return CP_OK;
}

enum cp_status http_parse_form(const char *body, size_t len, const struct field *fields,
			       struct params *ps, struct cp_err *e)
{
	size_t i = 0;
	char *out;
	enum cp_status st;

	memset(ps, 0, sizeof *ps);
	/* Decoded values are never longer than encoded ones; each gets its own NUL. */
	out = ps->scratch = xmalloc(len + 1);
	while (i < len) {
		const char *amp = memchr(body + i, '&', len - i);
		size_t plen = amp != NULL ? (size_t)(amp - (body + i)) : len - i;

		if (plen > 0) {
			if ((st = form_pair(body + i, plen, out, fields, ps, e)) != CP_OK)
				return st;
			out += strlen(out) + 1;
		}
		i += plen + 1;
	}
	return check_required(fields, ps, e);
}
