/*
 * Unit tests of core/text.c: the UTF-8 and control-character scan at every
 * boundary of RFC 3629, the JSON string writer on the inputs its four
 * predecessors disagreed on (DEL and C1, ill-formed UTF-8, truncation inside a
 * character or an escape) and on random bytes, cutting at character
 * boundaries, and hex digits.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "text.h"

/* A literal and its length, NUL bytes included. */
#define S(lit) lit, sizeof lit - 1

static const struct {
	int line;
	const char *s;
	size_t len;
	unsigned int flags;
	enum text_fault want;
	size_t at, chars;
} scans[] = {
	{__LINE__, S(""), 0, TEXT_OK, 0, 0},
	{__LINE__, S("plain"), 0, TEXT_OK, 5, 5},
	{__LINE__, S("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\x9f"), 0, TEXT_OK, 14, 8},
	{__LINE__, S(" ~"), 0, TEXT_OK, 2, 2},
	/* Control characters: C0, DEL, C1; tab, LF and CR only with TEXT_SPACE. */
	{__LINE__, S("a\x1f"), 0, TEXT_CONTROL, 1, 1},
	{__LINE__, S("a\0b"), TEXT_SPACE, TEXT_CONTROL, 1, 1},
	{__LINE__, S("a\tb"), 0, TEXT_CONTROL, 1, 1},
	{__LINE__, S("a\tb\r\n"), TEXT_SPACE, TEXT_OK, 5, 5},
	{__LINE__, S("a\x01" "b"), TEXT_SPACE, TEXT_CONTROL, 1, 1},
	{__LINE__, S("a\x0b"), TEXT_SPACE, TEXT_CONTROL, 1, 1},
	{__LINE__, S("a\x7f"), TEXT_SPACE, TEXT_CONTROL, 1, 1},
	{__LINE__, S("\xc3\xa9\xc2\x80"), 0, TEXT_CONTROL, 2, 1},
	{__LINE__, S("a\xc2\x85"), TEXT_SPACE, TEXT_CONTROL, 1, 1}, /* NEL */
	{__LINE__, S("\xc2\x9f"), 0, TEXT_CONTROL, 0, 0},
	{__LINE__, S("\xc2\xa0"), 0, TEXT_OK, 2, 1},              /* NBSP */
	{__LINE__, S("\xe2\x80\xa8"), 0, TEXT_OK, 3, 1},          /* LINE SEPARATOR */
	/* Well-formed at every edge of RFC 3629's table. */
	{__LINE__, S("\x7e\xc2\x80"), TEXT_SPACE, TEXT_CONTROL, 1, 1},
	{__LINE__, S("\xdf\xbf"), 0, TEXT_OK, 2, 1},               /* U+07FF */
	{__LINE__, S("\xe0\xa0\x80"), 0, TEXT_OK, 3, 1},           /* U+0800 */
	{__LINE__, S("\xed\x9f\xbf"), 0, TEXT_OK, 3, 1},           /* U+D7FF */
	{__LINE__, S("\xee\x80\x80"), 0, TEXT_OK, 3, 1},           /* U+E000 */
	{__LINE__, S("\xef\xbf\xbf"), 0, TEXT_OK, 3, 1},           /* U+FFFF */
	{__LINE__, S("\xf0\x90\x80\x80"), 0, TEXT_OK, 4, 1},       /* U+10000 */
	{__LINE__, S("\xf4\x8f\xbf\xbf"), 0, TEXT_OK, 4, 1},       /* U+10FFFF */
	/* Ill-formed: overlong, surrogate, too high, stray, cut short. */
	{__LINE__, S("\xc0\xaf"), 0, TEXT_BAD_UTF8, 0, 0},
	{__LINE__, S("x\xc1\xbf"), 0, TEXT_BAD_UTF8, 1, 1},
	{__LINE__, S("\xe0\x80\xaf"), 0, TEXT_BAD_UTF8, 0, 0},
	{__LINE__, S("\xe0\x9f\xbf"), 0, TEXT_BAD_UTF8, 0, 0},
	{__LINE__, S("\xed\xa0\x80"), 0, TEXT_BAD_UTF8, 0, 0},
	{__LINE__, S("\xed\xbf\xbf"), 0, TEXT_BAD_UTF8, 0, 0},
	{__LINE__, S("\xf0\x8f\xbf\xbf"), 0, TEXT_BAD_UTF8, 0, 0},
	{__LINE__, S("\xf4\x90\x80\x80"), 0, TEXT_BAD_UTF8, 0, 0},
	{__LINE__, S("\xf5\x80\x80\x80"), 0, TEXT_BAD_UTF8, 0, 0},
	{__LINE__, S("\xf8\x88\x80\x80\x80"), 0, TEXT_BAD_UTF8, 0, 0},
	{__LINE__, S("\xfe"), 0, TEXT_BAD_UTF8, 0, 0},
	{__LINE__, S("\xff"), 0, TEXT_BAD_UTF8, 0, 0},
	{__LINE__, S("ab\x80"), 0, TEXT_BAD_UTF8, 2, 2},
	{__LINE__, S("\xe2\x82"), 0, TEXT_BAD_UTF8, 0, 0},
	{__LINE__, S("ab\xe2\x82" "c"), 0, TEXT_BAD_UTF8, 2, 2},
	{__LINE__, S("\xf0\x9f\x8e"), 0, TEXT_BAD_UTF8, 0, 0},
	{__LINE__, "\xe2\x82\xac", 2, 0, TEXT_BAD_UTF8, 0, 0},  /* cut by LEN */
	/* The first fault counts. */
	{__LINE__, S("\x01\xff"), 0, TEXT_CONTROL, 0, 0},
	{__LINE__, S("\xff\x01"), 0, TEXT_BAD_UTF8, 0, 0},
};

#define FFFD "\xef\xbf\xbd"

/* Written into a buffer of SIZE bytes (BIG: enough); WANT NULL: untouched. */
#define BIG 256
static const struct {
	int line;
	const char *s;
	size_t len, size;
	const char *want;
	size_t full;
} jsons[] = {
	{__LINE__, S(""), BIG, "\"\"", 2},
	{__LINE__, S("plain /"), BIG, "\"plain /\"", 9},
	{__LINE__, S("a\"b\\c"), BIG, "\"a\\\"b\\\\c\"", 9},
	{__LINE__, S("\n\t\r"), BIG, "\"\\u000a\\u0009\\u000d\"", 20},
	{__LINE__, S("\x01\x1f"), BIG, "\"\\u0001\\u001f\"", 14},
	{__LINE__, S("a\0b"), BIG, "\"a\\u0000b\"", 10},
	{__LINE__, S(" ~"), BIG, "\" ~\"", 4},
	/* DEL and C1: couponadm stats passed them, the others differed on C1. */
	{__LINE__, S("\x7f"), BIG, "\"\\u007f\"", 8},
	{__LINE__, S("\xc2\x80\xc2\x9b\xc2\x9f"), BIG, "\"\\u0080\\u009b\\u009f\"", 20},
	{__LINE__, S("\xc2\xa0"), BIG, "\"\xc2\xa0\"", 4},
	{__LINE__, S("caf\xc3\xa9 \xf0\x9f\x8e\x9f"), BIG, "\"caf\xc3\xa9 \xf0\x9f\x8e\x9f\"", 12},
	{__LINE__, S("\xe2\x80\xa8"), BIG, "\"\xe2\x80\xa8\"", 5},
	/* Ill-formed UTF-8: U+FFFD for each byte that starts no character. */
	{__LINE__, S("\xff"), BIG, "\"" FFFD "\"", 5},
	{__LINE__, S("\x80"), BIG, "\"" FFFD "\"", 5},
	{__LINE__, S("a\xc0\xaf" "b"), BIG, "\"a" FFFD FFFD "b\"", 10},
	{__LINE__, S("\xed\xa0\x80"), BIG, "\"" FFFD FFFD FFFD "\"", 11},
	{__LINE__, S("\xf4\x90\x80\x80"), BIG, "\"" FFFD FFFD FFFD FFFD "\"", 14},
	{__LINE__, S("\xe2\x82"), BIG, "\"" FFFD FFFD "\"", 8},
	{__LINE__, S("\xe2\x82" "A"), BIG, "\"" FFFD FFFD "A\"", 9},
	{__LINE__, S("\xe2\x82\"\xc2\x7f"), BIG, "\"" FFFD FFFD "\\\"" FFFD "\\u007f\"", 19},
	/* Truncation: whole characters and escapes, the literal always closed. */
	{__LINE__, S("abc"), 0, NULL, 5},
	{__LINE__, S("abc"), 1, "", 5},
	{__LINE__, S("abc"), 2, "", 5},
	{__LINE__, S("abc"), 3, "\"\"", 5},
	{__LINE__, S("abc"), 4, "\"a\"", 5},
	{__LINE__, S("abc"), 5, "\"ab\"", 5},
	{__LINE__, S("abc"), 6, "\"abc\"", 5},
	{__LINE__, S("\xc3\xa9"), 4, "\"\"", 4},
	{__LINE__, S("\xc3\xa9"), 5, "\"\xc3\xa9\"", 4},
	{__LINE__, S("x\xf0\x9f\x8e\x9f"), 7, "\"x\"", 7},
	{__LINE__, S("x\xf0\x9f\x8e\x9f"), 8, "\"x\xf0\x9f\x8e\x9f\"", 7},
	{__LINE__, S("a\n"), 8, "\"a\"", 9},
	{__LINE__, S("a\n"), 9, "\"a\"", 9},
	{__LINE__, S("a\n"), 10, "\"a\\u000a\"", 9},
	{__LINE__, S("\""), 4, "\"\"", 4},
	{__LINE__, S("\""), 5, "\"\\\"\"", 4},
	{__LINE__, S("ab\xff"), 7, "\"ab\"", 7},
	/* Nothing after a piece that did not fit, even a piece that would. */
	{__LINE__, S("ab\xffz"), 7, "\"ab\"", 8},
	{__LINE__, S("a\x7f" "bcdefg"), 8, "\"a\"", 15},
};

static const struct {
	int line;
	const char *s;
	size_t len, max, want;
} cuts[] = {
	{__LINE__, S("abc"), 5, 3},
	{__LINE__, S("abc"), 3, 3},
	{__LINE__, S("abc"), 2, 2},
	{__LINE__, S("abc"), 0, 0},
	{__LINE__, S("a\xc3\xa9"), 2, 1},
	{__LINE__, S("a\xc3\xa9"), 3, 3},
	{__LINE__, S("\xe2\x82\xac"), 1, 0},
	{__LINE__, S("\xe2\x82\xac"), 2, 0},
	{__LINE__, S("\xe2\x82\xac."), 3, 3},
	{__LINE__, S("\xf0\x9f\x8e\x9fz"), 3, 0},
	{__LINE__, S("\xf0\x9f\x8e\x9fz"), 4, 4},
};

static const struct {
	int line;
	int c, want;
} hexvals[] = {
	{__LINE__, '0', 0}, {__LINE__, '9', 9}, {__LINE__, 'a', 10}, {__LINE__, 'f', 15},
	{__LINE__, 'A', 10}, {__LINE__, 'F', 15}, {__LINE__, '/', -1}, {__LINE__, ':', -1},
	{__LINE__, '@', -1}, {__LINE__, 'G', -1}, {__LINE__, '`', -1}, {__LINE__, 'g', -1},
	{__LINE__, ' ', -1}, {__LINE__, 0, -1}, {__LINE__, 0xb0, -1}, {__LINE__, -1, -1},
	{__LINE__, (char)0xe6, -1},
};

static const struct {
	int line;
	uint32_t cp;
	bool want;
} controls[] = {
	{__LINE__, 0x00, true}, {__LINE__, 0x1f, true}, {__LINE__, 0x20, false},
	{__LINE__, 0x7e, false}, {__LINE__, 0x7f, true}, {__LINE__, 0x80, true},
	{__LINE__, 0x9f, true}, {__LINE__, 0xa0, false}, {__LINE__, 0x2028, false},
	{__LINE__, 0xfeff, false},
};

static const struct {
	int line;
	const char *s, *want;
} csvs[] = {
	{__LINE__, "", ""},
	{__LINE__, "alice", "alice"},
	{__LINE__, "a,b", "\"a,b\""},
	{__LINE__, "say \"hi\"", "\"say \"\"hi\"\"\""},
	{__LINE__, "two\nlines", "\"two\nlines\""},
	{__LINE__, "cr\r", "\"cr\r\""},
	{__LINE__, "=1+1", "\"'=1+1\""},
	{__LINE__, "+49 30 1234", "\"'+49 30 1234\""},
	{__LINE__, "-2", "\"'-2\""},
	{__LINE__, "@SUM(A1)", "\"'@SUM(A1)\""},
	{__LINE__, "\tx", "\"'\tx\""},
	{__LINE__, "\r", "\"'\r\""},
	{__LINE__, "=\"", "\"'=\"\"\""},
	{__LINE__, "a=b", "a=b"},
	{__LINE__, "\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9"},
};

static void test_scan(void)
{
	for (size_t i = 0; i < sizeof scans / sizeof scans[0]; i++) {
		size_t at = 99, chars = 99;
		enum text_fault f = text_scan(scans[i].s, scans[i].len, scans[i].flags, &at, &chars);

		CHECK_AT(scans[i].line, f == scans[i].want, "fault %d, expected %d", (int)f,
			 (int)scans[i].want);
		CHECK_AT(scans[i].line, at == scans[i].at, "at %zu, expected %zu", at, scans[i].at);
		CHECK_AT(scans[i].line, chars == scans[i].chars, "%zu characters, expected %zu",
			 chars, scans[i].chars);
		CHECK_AT(scans[i].line,
			 text_ok(scans[i].s, scans[i].len, scans[i].flags) == (f == TEXT_OK),
			 "text_ok disagrees with text_scan");
	}
	for (size_t i = 0; i < sizeof controls / sizeof controls[0]; i++)
		CHECK_AT(controls[i].line, text_is_control(controls[i].cp) == controls[i].want,
			 "U+%04X", (unsigned int)controls[i].cp);
}

/*
 * A complete JSON string literal as text_json_str() writes it: quotes at both
 * ends, well-formed UTF-8 without a control character, and nothing after a
 * backslash but '"', '\\' or u00 and two lowercase hex digits.
 */
static bool literal_ok(const char *lit)
{
	size_t n = strlen(lit);

	if (n < 2 || lit[0] != '"' || lit[n - 1] != '"' || !text_ok(lit, n, 0))
		return false;
	for (size_t i = 1; i < n - 1; i++) {
		if (lit[i] == '"')
			return false;
		if (lit[i] != '\\')
			continue;
		if (lit[i + 1] == '"' || lit[i + 1] == '\\') {
			i++;
			continue;
		}
		if (i + 6 > n - 1 || strncmp(lit + i + 1, "u00", 3) != 0 ||
		    text_hexval(lit[i + 4]) < 0 || text_hexval(lit[i + 5]) < 0)
			return false;
		i += 5;
	}
	return true;
}

static void test_json(void)
{
	char out[BIG];

	for (size_t i = 0; i < sizeof jsons / sizeof jsons[0]; i++) {
		size_t full;

		memset(out, '#', sizeof out - 1);
		out[sizeof out - 1] = '\0';
		full = text_json_str(out, jsons[i].size, jsons[i].s, jsons[i].len);
		CHECK_AT(jsons[i].line, full == jsons[i].full, "full length %zu, expected %zu",
			 full, jsons[i].full);
		if (jsons[i].want == NULL) {
			CHECK_AT(jsons[i].line, out[0] == '#', "wrote into a buffer of size 0");
			continue;
		}
		CHECK_AT(jsons[i].line, strcmp(out, jsons[i].want) == 0, "got '%s', expected '%s'",
			 out, jsons[i].want);
		CHECK_AT(jsons[i].line, jsons[i].size < 3 || literal_ok(out), "not a literal: '%s'",
			 out);
		CHECK_AT(jsons[i].line, jsons[i].size == BIG || out[jsons[i].size] == '#',
			 "wrote past the buffer");
	}
	CHECK(text_json_str(NULL, 0, "abc", 3) == 5, "measuring without a buffer");
}

/* Random bytes, random buffer sizes: always a literal, a prefix of the whole one. */
static void test_json_random(void)
{
	char whole[40 * 6 + 3], cut[sizeof whole];
	uint8_t in[40];
	static const uint8_t bytes[] = {'a', '"', '\\', 0x00, 0x1f, 0x7f, 0xc2, 0x80,
					0x9f, 0xa0, 0xe2, 0x82, 0xac, 0xed, 0xf0, 0xff};

	for (int round = 0; round < 20000; round++) {
		size_t len = tl_rng() % sizeof in, full, size, n;

		for (size_t i = 0; i < len; i++)
			in[i] = round % 2 ? bytes[tl_rng() % sizeof bytes] : (uint8_t)tl_rng();
		full = text_json_str(whole, sizeof whole, (const char *)in, len);
		size = 3 + tl_rng() % (full + 1);
		text_json_str(cut, size, (const char *)in, len);
		n = strlen(cut);
		if (!tl_check(__FILE__, __LINE__, full < sizeof whole && strlen(whole) == full &&
			      literal_ok(whole), "round %d: whole literal '%s'", round, whole) ||
		    !tl_check(__FILE__, __LINE__, n < size && literal_ok(cut), "round %d: size %zu "
			      "gave '%s'", round, size, cut) ||
		    !tl_check(__FILE__, __LINE__, memcmp(cut, whole, n - 1) == 0, "round %d: '%s' is "
			      "not a prefix of '%s'", round, cut, whole))
			return;
	}
}

static void test_cut(void)
{
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		size_t n = text_utf8_cut(cuts[i].s, cuts[i].len, cuts[i].max);

		CHECK_AT(cuts[i].line, n == cuts[i].want, "cut at %zu, expected %zu", n,
			 cuts[i].want);
	}
}

static void test_hex(void)
{
	static const uint8_t bytes[] = {0x00, 0x0f, 0xa5, 0xff};
	char out[2 * 256 + 1];
	uint8_t all[256];

	for (size_t i = 0; i < sizeof hexvals / sizeof hexvals[0]; i++)
		CHECK_AT(hexvals[i].line, text_hexval(hexvals[i].c) == hexvals[i].want,
			 "hex value of %d: %d", hexvals[i].c, text_hexval(hexvals[i].c));
	text_hex(out, bytes, sizeof bytes);
	CHECK(strcmp(out, "000fa5ff") == 0, "hex '%s'", out);
	text_hex(out, bytes, 0);
	CHECK(out[0] == '\0', "no bytes, no digits");
	for (size_t i = 0; i < sizeof all; i++)
		all[i] = (uint8_t)i;
	text_hex(out, all, sizeof all);
	for (size_t i = 0; i < sizeof all; i++)
		CHECK(text_hexval(out[2 * i]) * 16 + text_hexval(out[2 * i + 1]) == (int)i,
		      "byte %zu does not round-trip", i);
}

static void test_csv(void)
{
	char out[TEXT_CSV_MAX(64)];

	for (size_t i = 0; i < sizeof csvs / sizeof csvs[0]; i++) {
		size_t n = text_csv_field(out, csvs[i].s);

		CHECK_AT(csvs[i].line, strcmp(out, csvs[i].want) == 0 && n == strlen(out),
			 "got '%s' (%zu), expected '%s'", out, n, csvs[i].want);
	}
	/* The bound holds for the worst value: a formula of quotes. */
	memset(out, 0, sizeof out);
	{
		char worst[65];

		memset(worst, '"', 64);
		worst[0] = '=';
		worst[64] = '\0';
		CHECK(text_csv_field(out, worst) == 2 + 1 + 1 + 2 * 63, "worst-case length");
		CHECK(strlen(out) < sizeof out, "fits TEXT_CSV_MAX");
	}
}

int main(void)
{
	test_scan();
	test_json();
	test_json_random();
	test_cut();
	test_hex();
	test_csv();
	return tl_done("test_text");
}
