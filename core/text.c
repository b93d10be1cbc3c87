/*
 * Text rules, once: UTF-8 well-formedness (RFC 3629), control characters, hex
 * digits and JSON string literals (RFC 8259). The API, the console, the relay and
 * the core's own checks all go through here, so they cannot disagree.
 */
#include "config.h"

#include <string.h>

#include "text.h"

static const char hex_digits[] = "0123456789abcdef";

size_t text_utf8_seq(const unsigned char *s, size_t len, uint32_t *cp)
{
	static const struct {
		unsigned char mask, lead;
		size_t len;
		uint32_t min;
	} forms[] = {{0x80, 0x00, 1, 0}, {0xE0, 0xC0, 2, 0x80}, {0xF0, 0xE0, 3, 0x800},
		     {0xF8, 0xF0, 4, 0x10000}};

	if (len == 0)
		return 0;
	for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
		if ((s[0] & forms[f].mask) != forms[f].lead)
			continue;
		if (forms[f].len > len)
			return 0;
		*cp = s[0] & (unsigned char)~forms[f].mask;
		for (size_t i = 1; i < forms[f].len; i++) {
			if ((s[i] & 0xC0) != 0x80)
				return 0;
			*cp = (*cp << 6) | (s[i] & 0x3F);
		}
		/* Overlong forms, surrogates and beyond U+10FFFF are not UTF-8. */
		if (*cp < forms[f].min || (*cp >= 0xD800 && *cp <= 0xDFFF) || *cp > 0x10FFFF)
			return 0;
		return forms[f].len;
	}
	return 0;
}

bool text_is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

static bool is_space(uint32_t cp)
{
	return cp == '\t' || cp == '\n' || cp == '\r';
}

enum text_fault text_scan(const char *s, size_t len, unsigned int flags, size_t *at,
			  size_t *chars)
{
	const unsigned char *p = (const unsigned char *)s;
	enum text_fault fault = TEXT_OK;
	size_t i = 0, k = 0, n;
	uint32_t cp;

	for (; i < len; i += n, k++) {
		if ((n = text_utf8_seq(p + i, len - i, &cp)) == 0) {
			fault = TEXT_BAD_UTF8;
			break;
		}
		if (text_is_control(cp) && !((flags & TEXT_SPACE) && is_space(cp))) {
			fault = TEXT_CONTROL;
			break;
		}
	}
	if (at != NULL)
		*at = i;
	if (chars != NULL)
		*chars = k;
	return fault;
}

bool text_ok(const char *s, size_t len, unsigned int flags)
{
	return text_scan(s, len, flags, NULL, NULL) == TEXT_OK;
}

size_t text_utf8_cut(const char *s, size_t len, size_t max)
{
	size_t n = max;

	if (len <= max)
		return len;
	/* S[n] is the first byte left out: step back while it continues a sequence. */
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

int text_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void text_hex(char *out, const void *bytes, size_t n)
{
	const unsigned char *b = bytes;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex_digits[b[i] >> 4];
		out[2 * i + 1] = hex_digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/*
 * The literal's piece for the character at S, into UNIT: returns its length and
 * sets *ADV to the input bytes it stands for.
 */
static size_t json_unit(const unsigned char *s, size_t len, char unit[6], size_t *adv)
{
	uint32_t cp;
	size_t n = text_utf8_seq(s, len, &cp);

	if (n == 0) {
		*adv = 1;
		memcpy(unit, "\xEF\xBF\xBD", 3); /* U+FFFD REPLACEMENT CHARACTER */
		return 3;
	}
	*adv = n;
	if (cp == '"' || cp == '\\') {
		unit[0] = '\\';
		unit[1] = (char)cp;
		return 2;
	}
	if (text_is_control(cp)) {
		memcpy(unit, "\\u00", 4);
		unit[4] = hex_digits[cp >> 4];
		unit[5] = hex_digits[cp & 15];
		return 6;
	}
	memcpy(unit, s, n);
	return n;
}

size_t text_json_str(char *out, size_t size, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	bool fits = size >= 3; /* room for the quotes and the NUL */
	size_t total = 2, o = 0, adv;
	char unit[6];

	if (fits)
		out[o++] = '"';
	for (size_t i = 0; i < len; i += adv) {
		size_t k = json_unit(p + i, len - i, unit, &adv);

		total += k;
		/* Whole pieces only, and none after the first that did not fit. */
		if (fits && (fits = o + k + 2 <= size)) {
			memcpy(out + o, unit, k);
			o += k;
		}
	}
	if (size >= 3)
		out[o++] = '"';
	if (size > 0)
		out[o] = '\0';
	return total;
}
