/*
 * A strict reader of JSON text (RFC 8259) that checks and measures without
 * building anything: a campaign's metadata is stored and returned as the client
 * wrote it, so the core needs to know only that the text is one well-formed
 * object of valid UTF-8 within the bounds, and where a member's value lies.
 * Parsing into values is cJSON's job in coupon-fcgi; this is the part of it the
 * core cannot do without, in a hundred and fifty lines rather than a dependency.
 */
#include "config.h"

#include <string.h>

#include "coupon.h"
#include "text.h"

struct scan {
	const unsigned char *p, *end;
	unsigned int depth, max_depth;
	const char *why;
};

static bool value(struct scan *s);

static void ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static bool fail(struct scan *s, const char *why)
{
	if (s->why == NULL)
		s->why = why;
	return false;
}

static bool lit(struct scan *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return fail(s, "unexpected character");
	s->p += n;
	return true;
}

static bool digits(struct scan *s)
{
	const unsigned char *start = s->p;

	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return s->p > start || fail(s, "a number needs digits");
}

static bool number(struct scan *s)
{
	if (*s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0')
		s->p++;
	else if (!digits(s))
		return false;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (!digits(s))
			return false;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (!digits(s))
			return false;
	}
	return true;
}

static int hex4(const unsigned char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		int d = text_hexval(p[i]);

		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* A \u escape at s->p (past the 'u'); a surrogate must come in a pair. */
static bool unicode_escape(struct scan *s)
{
	int hi, lo;

	if (s->end - s->p < 4 || (hi = hex4(s->p)) < 0)
		return fail(s, "bad \\u escape");
	s->p += 4;
	if (hi >= 0xDC00 && hi <= 0xDFFF)
		return fail(s, "unpaired surrogate in a \\u escape");
	if (hi < 0xD800 || hi > 0xDBFF)
		return true;
	if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u' || (lo = hex4(s->p + 2)) < 0 ||
	    lo < 0xDC00 || lo > 0xDFFF)
		return fail(s, "unpaired surrogate in a \\u escape");
	s->p += 6;
	return true;
}

/* One well-formed UTF-8 sequence (text.c's rule). */
static bool utf8(struct scan *s)
{
	uint32_t cp;
	size_t n = text_utf8_seq(s->p, (size_t)(s->end - s->p), &cp);

	if (n == 0)
		return fail(s, "invalid UTF-8");
	s->p += n;
	return true;
}

static bool string(struct scan *s)
{
	s->p++; /* the opening quote */
	while (s->p < s->end && *s->p != '"') {
		if (*s->p < 0x20)
			return fail(s, "a control character in a string");
		if (*s->p >= 0x80) {
			if (!utf8(s))
				return false;
			continue;
		}
		if (*s->p++ != '\\')
			continue;
		if (s->p == s->end)
			break;
		if (*s->p == 'u') {
			s->p++;
			if (!unicode_escape(s))
				return false;
		} else if (strchr("\"\\/bfnrt", *s->p) != NULL && *s->p != '\0') {
			s->p++;
		} else {
			return fail(s, "bad escape in a string");
		}
	}
	if (s->p == s->end)
		return fail(s, "unterminated string");
	s->p++;
	return true;
}

/* An object or array: OPEN already seen; members are "key": value for objects. */
static bool container(struct scan *s, unsigned char close)
{
	if (++s->depth > s->max_depth)
		return fail(s, "nested too deeply");
	s->p++;
	ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		s->depth--;
		return true;
	}
	for (;;) {
		if (close == '}') {
			if (s->p == s->end || *s->p != '"')
				return fail(s, "an object member needs a string key");
			if (!string(s))
				return false;
			ws(s);
			if (s->p == s->end || *s->p++ != ':')
				return fail(s, "':' expected after a key");
		}
		if (!value(s))
			return false;
		ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			ws(s);
			continue;
		}
		if (s->p < s->end && *s->p == close) {
			s->p++;
			s->depth--;
			return true;
		}
		return fail(s, close == '}' ? "',' or '}' expected" : "',' or ']' expected");
	}
}

static bool value(struct scan *s)
{
	ws(s);
	if (s->p == s->end)
		return fail(s, "a value is missing");
	switch (*s->p) {
	case '{':
		return container(s, '}');
	case '[':
		return container(s, ']');
	case '"':
		return string(s);
	case 't':
		return lit(s, "true");
	case 'f':
		return lit(s, "false");
	case 'n':
		return lit(s, "null");
	default:
		if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
			return number(s);
		return fail(s, "unexpected character");
	}
}

enum cp_status cp_metadata_check(const char *text, size_t len, struct cp_err *e)
{
	struct scan s = {(const unsigned char *)text, (const unsigned char *)text + len, 0,
			 CP_METADATA_DEPTH, NULL};

	if (len > CP_METADATA_MAX)
		return cp_err_set(e, CP_E_INVALID_METADATA,
				  "metadata is %zu bytes, at most %d", len, CP_METADATA_MAX);
	if (memchr(text, '\0', len) != NULL)
		return cp_err_set(e, CP_E_INVALID_METADATA, "metadata holds a NUL byte");
	ws(&s);
	if (s.p == s.end || *s.p != '{')
		return cp_err_set(e, CP_E_INVALID_METADATA, "metadata must be a JSON object");
	if (!value(&s))
		return cp_err_set(e, CP_E_INVALID_METADATA, "metadata: %s at byte %zu", s.why,
				  (size_t)(s.p - (const unsigned char *)text) + 1);
	ws(&s);
	if (s.p != s.end)
		return cp_err_set(e, CP_E_INVALID_METADATA,
				  "metadata: text after the object at byte %zu",
				  (size_t)(s.p - (const unsigned char *)text) + 1);
	return CP_OK;
}

bool cp_json_member(const char *text, size_t len, const char *name, size_t *off, size_t *n)
{
	struct scan s = {(const unsigned char *)text, (const unsigned char *)text + len, 1,
			 CP_METADATA_DEPTH + 1, NULL};
	size_t nlen = strlen(name);

	ws(&s);
	if (s.p == s.end || *s.p++ != '{')
		return false;
	for (;;) {
		const unsigned char *key;
		bool match;

		ws(&s);
		if (s.p == s.end || *s.p != '"')
			return false;
		key = s.p;
		if (!string(&s))
			return false;
		match = (size_t)(s.p - key) == nlen + 2 && memcmp(key + 1, name, nlen) == 0;
		ws(&s);
		if (s.p == s.end || *s.p++ != ':')
			return false;
		ws(&s);
		key = s.p;
		if (!value(&s))
			return false;
		if (match) {
			*off = (size_t)(key - (const unsigned char *)text);
			*n = (size_t)(s.p - key);
			return true;
		}
		ws(&s);
		if (s.p == s.end || *s.p++ != ',')
			return false;
	}
}
