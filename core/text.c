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
	unsigned char c = len > 0 ? s[0] : 0x80, lo = 0x80, hi = 0xBF;
	size_t n;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	/*
	 * The well-formed sequences, as in the Unicode Standard's table 3-7: the lead
	 * byte gives the length and the range of the second byte, which is what
	 * rules out overlong forms (E0, F0), surrogates (ED) and values past
	 * U+10FFFF (F4). C0, C1 and F5..FF never lead.
	 */
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		lo = c == 0xE0 ? 0xA0 : 0x80;
		hi = c == 0xED ? 0x9F : 0xBF;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		lo = c == 0xF0 ? 0x90 : 0x80;
		hi = c == 0xF4 ? 0x8F : 0xBF;
	} else {
		return 0;
	}
	if (n > len || s[1] < lo || s[1] > hi)
		return 0;
	*cp = c & (0x7Fu >> n);
	for (size_t i = 1; i < n; i++) {
		if (i > 1 && (s[i] & 0xC0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3F);
	}
	return n;
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

/* Bytes at S that stand for themselves in a literal, each a whole character. */
static size_t plain_run(const unsigned char *s, size_t len)
{
	size_t n = 0;

	while (n < len && s[n] >= 0x20 && s[n] < 0x7F && s[n] != '"' && s[n] != '\\')
		n++;
	return n;
}

size_t text_json_str(char *out, size_t size, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t room = size >= 3 ? size - 3 : 0; /* between the quotes, before the NUL */
	size_t total = 2, used = 0, adv;
	bool fits = size >= 3;
	char unit[6];

	for (size_t i = 0; i < len; i += adv) {
		const char *piece = s + i;
		size_t k = plain_run(p + i, len - i), take;
		bool divisible = k > 0; /* a plain run may end anywhere */

		if (divisible) {
			adv = k;
		} else {
			k = json_unit(p + i, len - i, unit, &adv);
			piece = unit;
		}
		total += k;
		if (!fits)
			continue;
		/* Whole pieces only, and nothing after the first that did not fit. */
		take = k <= room - used ? k : divisible ? room - used : 0;
		memcpy(out + 1 + used, piece, take);
		used += take;
		fits = take == k;
	}
	if (size >= 3) {
		out[0] = '"';
		out[1 + used] = '"';
		out[2 + used] = '\0';
	} else if (size > 0) {
		out[0] = '\0';
	}
	return total;
}

/* S as a CSV field, quoted when it must be or when FORMULA asks for the apostrophe. */
static size_t csv_quote(char *out, const char *s, bool formula)
{
	size_t o = 0;

	if (!formula && strpbrk(s, ",\"\r\n") == NULL) {
		o = strlen(s);
		memcpy(out, s, o + 1);
		return o;
	}
	out[o++] = '"';
	if (formula)
		out[o++] = '\'';
	for (; *s != '\0'; s++) {
		if (*s == '"')
			out[o++] = '"';
		out[o++] = *s;
	}
	out[o++] = '"';
	out[o] = '\0';
	return o;
}

size_t text_csv(char *out, const char *s)
{
	return csv_quote(out, s, false);
}

size_t text_csv_field(char *out, const char *s)
{
	return csv_quote(out, s, s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL);
}
