/*
 * Unit tests of core/format.c: format validation, the normaliser's treatment
 * of every kind of bad input, display grouping, guess arithmetic, and the
 * check character -- cross-checked against a slow reference written from the
 * group definitions, and shown exhaustively to catch every single substitution
 * and every adjacent transposition (the check character included) of random
 * codes over many alphabets.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coupon.h"
#include "testlib.h"
#include "format_internal.h"

static unsigned long mutants;

#define check(line, ok, ...) tl_check(__FILE__, (line), (ok), __VA_ARGS__)

#define rng tl_rng

#define CROCKFORD CP_ALPHABET_CROCKFORD
#define ALT32 "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
#define FULL36 "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define DEC "0123456789"
#define CROCK31 "0123456789ABCDEFGHJKMNPQRSTVWXY"

enum { F_DEFAULT, F_SPRING, F_SOLO, F_ALT, F_FULL, F_DEC, F_NOCHECK, F_BIN, F_BINCHECK };

static const struct cp_format formats[] = {
	[F_DEFAULT] = {CROCKFORD, "", 12, true, 4, false, false, true},
	[F_SPRING] = {CROCKFORD, "SPRING", 10, true, 4, false, false, true},
	[F_SOLO] = {CROCKFORD, "SOLO", 10, true, 4, false, false, true},
	[F_ALT] = {ALT32, "", 12, true, 4, false, false, true},
	[F_FULL] = {FULL36, "", 12, true, 4, false, false, true},
	[F_DEC] = {DEC, "", 10, true, 0, false, false, true},
	[F_NOCHECK] = {CROCKFORD, "", 10, false, 5, false, false, true},
	[F_BIN] = {"01", "", 24, false, 8, false, false, true},
	[F_BINCHECK] = {"01", "", 24, true, 8, false, false, true},
};

static bool has(const char *msg, const char *want)
{
	return want == NULL || strstr(msg, want) != NULL;
}

/* ------------------------------------------------------------ validate */

static void test_default(void)
{
	struct cp_format f;
	struct cp_err e;

	memset(&f, 0xff, sizeof f);
	cp_format_default(&f);
	check(__LINE__, strcmp(f.alphabet, CROCKFORD) == 0 && f.prefix[0] == '\0' &&
	      f.body_len == 12 && f.check && f.group == 4, "cp_format_default");
	check(__LINE__, cp_format_validate(&f, &e) == CP_OK, "default invalid: %s", e.msg);
}

static const struct {
	int line;
	const char *alphabet, *prefix;
	unsigned int body_len;
	bool check;
	unsigned int group;
	enum cp_status st;
	const char *msg;
} validate_rows[] = {
	{__LINE__, CROCKFORD, "", 12, true, 4, CP_OK, NULL},
	{__LINE__, ALT32, "SPRING", 10, true, 4, CP_OK, NULL},
	{__LINE__, FULL36, "ABCDEFGHIJKLMNOP", 24, true, 1, CP_OK, NULL},
	{__LINE__, "ABC", "", 6, true, 0, CP_OK, NULL},
	{__LINE__, "ABCDEF", "", 6, true, 0, CP_OK, NULL},
	{__LINE__, "01", "", 6, false, 0, CP_OK, NULL},
	{__LINE__, "01", "", 6, true, 0, CP_E_INVALID_ARGUMENT,
	 "no check character over 2 symbols"},
	{__LINE__, "", "", 12, true, 4, CP_E_INVALID_ARGUMENT, "at least 2 symbols, it has 0"},
	{__LINE__, "A", "", 12, true, 4, CP_E_INVALID_ARGUMENT, "at least 2 symbols, it has 1"},
	{__LINE__, "0123456789abcdef", "", 12, true, 4, CP_E_INVALID_ARGUMENT,
	 "alphabet byte 0x61 at position 11 is not an uppercase letter or digit"},
	{__LINE__, "0123-56789", "", 12, true, 4, CP_E_INVALID_ARGUMENT,
	 "alphabet byte 0x2D at position 5"},
	{__LINE__, "0123 56789", "", 12, true, 4, CP_E_INVALID_ARGUMENT,
	 "alphabet byte 0x20 at position 5"},
	{__LINE__, "0123\xc3\xa9", "", 12, true, 4, CP_E_INVALID_ARGUMENT,
	 "alphabet byte 0xC3 at position 5"},
	{__LINE__, "0123456789A0", "", 12, true, 4, CP_E_INVALID_ARGUMENT,
	 "the alphabet lists '0' twice"},
	{__LINE__, CROCKFORD, "spring", 12, true, 4, CP_E_INVALID_ARGUMENT,
	 "prefix byte 0x73 at position 1"},
	{__LINE__, CROCKFORD, "SPRING!", 12, true, 4, CP_E_INVALID_ARGUMENT,
	 "prefix byte 0x21 at position 7"},
	{__LINE__, CROCKFORD, "SPR-NG", 12, true, 4, CP_E_INVALID_ARGUMENT,
	 "prefix byte 0x2D at position 4"},
	{__LINE__, CROCKFORD, "", 5, true, 4, CP_E_INVALID_ARGUMENT,
	 "body length 5 is outside 6..24"},
	{__LINE__, CROCKFORD, "", 25, true, 4, CP_E_INVALID_ARGUMENT,
	 "body length 25 is outside 6..24"},
	{__LINE__, CROCKFORD, "", 0, false, 0, CP_E_INVALID_ARGUMENT, "body length 0"},
	{__LINE__, CROCKFORD, "", 6, true, 4, CP_OK, NULL},
	{__LINE__, CROCKFORD, "", 24, true, 4, CP_OK, NULL},
	{__LINE__, CROCKFORD, "", 12, true, 13, CP_OK, NULL},
	{__LINE__, CROCKFORD, "", 12, true, 14, CP_E_INVALID_ARGUMENT,
	 "display group of 14 is longer than the code (13 symbols)"},
	{__LINE__, CROCKFORD, "", 12, false, 13, CP_E_INVALID_ARGUMENT,
	 "display group of 13 is longer than the code (12 symbols)"},
	{__LINE__, CROCKFORD, "", 12, true, 0, CP_OK, NULL},
};

static void test_validate(void)
{
	for (size_t i = 0; i < sizeof validate_rows / sizeof validate_rows[0]; i++) {
		struct cp_format f = {.body_len = validate_rows[i].body_len,
				      .check = validate_rows[i].check,
				      .group = validate_rows[i].group};
		struct cp_err e = {.msg = ""};
		enum cp_status st;

		strcpy(f.alphabet, validate_rows[i].alphabet);
		strcpy(f.prefix, validate_rows[i].prefix);
		st = cp_format_validate(&f, &e);
		check(validate_rows[i].line, st == validate_rows[i].st && has(e.msg,
		      validate_rows[i].msg), "validate: got %s \"%s\", want %s \"%s\"",
		      cp_status_code(st), e.msg, cp_status_code(validate_rows[i].st),
		      validate_rows[i].msg ? validate_rows[i].msg : "");
	}
}

/* Fields without room for a terminator, and no format at all. */
static void test_validate_unterminated(void)
{
	struct cp_format f;
	struct cp_err e;

	cp_format_default(&f);
	memset(f.alphabet, 'A', sizeof f.alphabet);
	check(__LINE__, cp_format_validate(&f, &e) == CP_E_INVALID_ARGUMENT &&
	      has(e.msg, "longer than 64 symbols"), "65-byte alphabet: %s", e.msg);
	cp_format_default(&f);
	memset(f.prefix, 'A', sizeof f.prefix);
	check(__LINE__, cp_format_validate(&f, &e) == CP_E_INVALID_ARGUMENT &&
	      has(e.msg, "prefix is longer than 16"), "17-byte prefix: %s", e.msg);
	check(__LINE__, cp_format_validate(NULL, &e) == CP_E_INVALID_ARGUMENT, "NULL format");
	check(__LINE__, cp_format_validate(NULL, NULL) == CP_E_INVALID_ARGUMENT,
	      "NULL format, NULL err");
}

/* ------------------------------------------------------------ normalize */

static char long_ok[CP_INPUT_MAX + 1], long_bad[CP_INPUT_MAX + 2];

#define STRLEN ((size_t)-1)

static const struct {
	int line;
	int fmt;
	const char *in;
	size_t inlen; /* STRLEN: strlen(in) */
	size_t outsz; /* 0: CP_CODE_MAX + 1 */
	enum cp_status st;
	const char *want; /* output on success, a piece of the message otherwise */
} normalize_rows[] = {
	{__LINE__, F_DEFAULT, "7KQ4M9XT2H0ZJ", STRLEN, 0, CP_OK, "7KQ4M9XT2H0ZJ"},
	{__LINE__, F_DEFAULT, "7kq4-m9xt 2h0z-j", STRLEN, 0, CP_OK, "7KQ4M9XT2H0ZJ"},
	{__LINE__, F_DEFAULT, "  7KQ4--M9XT -2H0Z-J  ", STRLEN, 0, CP_OK, "7KQ4M9XT2H0ZJ"},
	{__LINE__, F_DEFAULT, "oIAB-CDEF-GHlL-j", STRLEN, 0, CP_OK, "01ABCDEFGH11J"},
	{__LINE__, F_DEFAULT, long_ok, STRLEN, 0, CP_OK, "7KQ4M9XT2H0ZJ"},
	{__LINE__, F_DEFAULT, "7KQ4M9XT2H0ZJ\0", 13, 0, CP_OK, "7KQ4M9XT2H0ZJ"},
	{__LINE__, F_DEFAULT, "7KQ4M9XT2H0ZJX", 13, 0, CP_OK, "7KQ4M9XT2H0ZJ"},
	{__LINE__, F_DEFAULT, "7KQ4M9XT2H0ZJ", STRLEN, 14, CP_OK, "7KQ4M9XT2H0ZJ"},
	{__LINE__, F_DEFAULT, "7KQ4M9XT2H0ZJ", STRLEN, 13, CP_E_INVALID_ARGUMENT,
	 "output buffer of 13 bytes is too small"},
	{__LINE__, F_DEFAULT, "7KQ4M9XT2H0ZK", STRLEN, 0, CP_E_WRONG_CHECK,
	 "the check character 'K' (the last symbol) does not match the others"},
	{__LINE__, F_DEFAULT, "7KQ4-M9XT-2H0Z-B", STRLEN, 0, CP_E_WRONG_CHECK,
	 "the check character 'B' (the last symbol) does not match"},
	{__LINE__, F_DEFAULT, "7KQ4M9XT2HZ0J", STRLEN, 0, CP_E_WRONG_CHECK, "does not match"},
	{__LINE__, F_DEFAULT, "7KQ4M9XT2H0JZ", STRLEN, 0, CP_E_WRONG_CHECK, "does not match"},
	{__LINE__, F_DEFAULT, "", 0, 0, CP_E_INVALID_CODE, "the code is empty"},
	{__LINE__, F_DEFAULT, NULL, 0, 0, CP_E_INVALID_CODE, "the code is empty"},
	{__LINE__, F_DEFAULT, " - -", STRLEN, 0, CP_E_INVALID_CODE, "the code is empty"},
	{__LINE__, F_DEFAULT, long_bad, STRLEN, 0, CP_E_INVALID_CODE,
	 "the code is too long: 129 bytes, at most 128"},
	{__LINE__, F_DEFAULT, "7KQ4\xc3\xa9M9XT2H0ZJ", STRLEN, 0, CP_E_INVALID_CODE,
	 "non-ASCII byte 0xC3 at position 5"},
	{__LINE__, F_DEFAULT, "7KQ4M9XT2H0ZJ\xff", STRLEN, 0, CP_E_INVALID_CODE,
	 "non-ASCII byte 0xFF at position 14"},
	{__LINE__, F_DEFAULT, "7KQ4\tM9XT2H0ZJ", STRLEN, 0, CP_E_INVALID_CODE,
	 "control byte 0x09 at position 5"},
	{__LINE__, F_DEFAULT, "7KQ4M9XT2H0ZJ\n", STRLEN, 0, CP_E_INVALID_CODE,
	 "control byte 0x0A at position 14"},
	{__LINE__, F_DEFAULT, "\r7KQ4M9XT2H0ZJ", STRLEN, 0, CP_E_INVALID_CODE,
	 "control byte 0x0D at position 1"},
	{__LINE__, F_DEFAULT, "7KQ4M9XT2H0ZJ\x7f", STRLEN, 0, CP_E_INVALID_CODE,
	 "control byte 0x7F at position 14"},
	{__LINE__, F_DEFAULT, "7KQ4\0M9XT2H0ZJ", 14, 0, CP_E_INVALID_CODE,
	 "NUL byte 0x00 at position 5"},
	{__LINE__, F_DEFAULT, "7KQ4M9XT2H0ZJ\0", 14, 0, CP_E_INVALID_CODE,
	 "NUL byte 0x00 at position 14"},
	{__LINE__, F_DEFAULT, "7KQ4-M9XU-2H0Z-J", STRLEN, 0, CP_E_INVALID_CODE,
	 "symbol 'U' at position 9 is not in the alphabet"},
	{__LINE__, F_DEFAULT, "7KQ4M9XT2H0Z!", STRLEN, 0, CP_E_INVALID_CODE,
	 "symbol '!' at position 13 is not in the alphabet"},
	{__LINE__, F_DEFAULT, "7KQ4_M9XT2H0ZJ", STRLEN, 0, CP_E_INVALID_CODE,
	 "symbol '_' at position 5"},
	{__LINE__, F_DEFAULT, "7KQ4M9XT2H0Z", STRLEN, 0, CP_E_INVALID_CODE,
	 "wrong length: expected 13 symbols, got 12"},
	{__LINE__, F_DEFAULT, "7KQ4M9XT2H0ZJJ", STRLEN, 0, CP_E_INVALID_CODE,
	 "wrong length: expected 13 symbols, got 14"},
	{__LINE__, F_SPRING, "SPRING7KQ4M9XT2HB", STRLEN, 0, CP_OK, "SPRING7KQ4M9XT2HB"},
	{__LINE__, F_SPRING, "spring-7kq4-m9xt-2hb", STRLEN, 0, CP_OK, "SPRING7KQ4M9XT2HB"},
	{__LINE__, F_SPRING, "Spring 7KQ4 M9XT 2HB", STRLEN, 0, CP_OK, "SPRING7KQ4M9XT2HB"},
	{__LINE__, F_SPRING, "SPRING-7KQ4-M9XT-2HC", STRLEN, 0, CP_E_WRONG_CHECK,
	 "the check character 'C' (the last symbol)"},
	{__LINE__, F_SPRING, "7KQ4M9XT2HB", STRLEN, 0, CP_E_INVALID_CODE,
	 "the code does not start with the prefix SPRING"},
	{__LINE__, F_SPRING, "SPRNG7KQ4M9XT2HB", STRLEN, 0, CP_E_INVALID_CODE,
	 "does not start with the prefix SPRING"},
	{__LINE__, F_SPRING, "SPR1NG7KQ4M9XT2HB", STRLEN, 0, CP_E_INVALID_CODE,
	 "does not start with the prefix SPRING"},
	{__LINE__, F_SPRING, "SPRIN", STRLEN, 0, CP_E_INVALID_CODE,
	 "does not start with the prefix SPRING"},
	{__LINE__, F_SPRING, "SPRING", STRLEN, 0, CP_E_INVALID_CODE,
	 "wrong length: expected 11 symbols after the prefix, got 0"},
	{__LINE__, F_SPRING, "SPRING-U", STRLEN, 0, CP_E_INVALID_CODE,
	 "symbol 'U' at position 8"},
	{__LINE__, F_SOLO, "solo-oooo-oooo-oo0", STRLEN, 0, CP_OK, "SOLO00000000000"},
	{__LINE__, F_SOLO, "SOLO-I000-0000-00H", STRLEN, 0, CP_OK, "SOLO1000000000H"},
	{__LINE__, F_SOLO, "SoLo-l000-0000-00h", STRLEN, 0, CP_OK, "SOLO1000000000H"},
	{__LINE__, F_SOLO, "S0L0-0000-0000-000", STRLEN, 0, CP_E_INVALID_CODE,
	 "does not start with the prefix SOLO"},
	{__LINE__, F_SOLO, "S010-0000-0000-000", STRLEN, 0, CP_E_INVALID_CODE,
	 "does not start with the prefix SOLO"},
	{__LINE__, F_ALT, "23lu-abcd-efgh-c", STRLEN, 0, CP_OK, "23LUABCDEFGHC"},
	{__LINE__, F_ALT, "O3LU-ABCD-EFGH-C", STRLEN, 0, CP_E_INVALID_CODE,
	 "symbol 'O' at position 1 is not in the alphabet"},
	{__LINE__, F_ALT, "I3LU-ABCD-EFGH-C", STRLEN, 0, CP_E_INVALID_CODE,
	 "symbol 'I' at position 1"},
	{__LINE__, F_ALT, "03LU-ABCD-EFGH-C", STRLEN, 0, CP_E_INVALID_CODE,
	 "symbol '0' at position 1"},
	{__LINE__, F_ALT, "13LU-ABCD-EFGH-C", STRLEN, 0, CP_E_INVALID_CODE,
	 "symbol '1' at position 1"},
	{__LINE__, F_FULL, "oil0-1234-56ab-c", STRLEN, 0, CP_OK, "OIL0123456ABC"},
	{__LINE__, F_FULL, "0110-1234-56ab-c", STRLEN, 0, CP_E_WRONG_CHECK, "does not match"},
	{__LINE__, F_DEC, "oi2345678 97", STRLEN, 0, CP_OK, "01234567897"},
	{__LINE__, F_DEC, "Ol2345678 97", STRLEN, 0, CP_OK, "01234567897"},
	{__LINE__, F_DEC, "10234567897", STRLEN, 0, CP_E_WRONG_CHECK, "does not match"},
	{__LINE__, F_DEC, "A1234567897", STRLEN, 0, CP_E_INVALID_CODE, "symbol 'A' at position 1"},
	{__LINE__, F_NOCHECK, "7kq4m-9xt2h", STRLEN, 0, CP_OK, "7KQ4M9XT2H"},
	{__LINE__, F_NOCHECK, "7KQ4M9XT2HB", STRLEN, 0, CP_E_INVALID_CODE,
	 "expected 10 symbols, got 11"},
	{__LINE__, F_BIN, "01010101 01010101 0101O1I1", STRLEN, 0, CP_OK,
	 "010101010101010101010111"},
	{__LINE__, F_BINCHECK, "010101010101010101010101", STRLEN, 0, CP_E_INVALID_ARGUMENT,
	 "no check character over 2 symbols"},
};

static void fill_long_inputs(void)
{
	memset(long_ok, ' ', CP_INPUT_MAX);
	memcpy(long_ok + 50, "7KQ4M9XT2H0ZJ", 13);
	memset(long_bad, ' ', CP_INPUT_MAX + 1);
	memcpy(long_bad + 50, "7KQ4M9XT2H0ZJ", 13);
	check(__LINE__, strlen(long_ok) == CP_INPUT_MAX && strlen(long_bad) == CP_INPUT_MAX + 1,
	      "long inputs");
}

static void test_normalize(void)
{
	fill_long_inputs();
	for (size_t i = 0; i < sizeof normalize_rows / sizeof normalize_rows[0]; i++) {
		const char *in = normalize_rows[i].in;
		size_t inlen = normalize_rows[i].inlen == STRLEN ? strlen(in) : normalize_rows[i].inlen;
		size_t outsz = normalize_rows[i].outsz ? normalize_rows[i].outsz : CP_CODE_MAX + 1;
		char out[CP_CODE_MAX + 1];
		struct cp_err e = {.msg = ""};
		enum cp_status st;
		bool ok;

		memset(out, 'x', sizeof out);
		st = cp_code_normalize(&formats[normalize_rows[i].fmt], in, inlen, out, outsz, &e);
		if (st == CP_OK)
			ok = strcmp(out, normalize_rows[i].want) == 0;
		else
			ok = has(e.msg, normalize_rows[i].want) && out[0] == '\0';
		check(normalize_rows[i].line, st == normalize_rows[i].st && ok,
		      "normalize: got %s \"%s\" out \"%.*s\", want %s \"%s\"", cp_status_code(st),
		      e.msg, (int)strnlen(out, sizeof out), out,
		      cp_status_code(normalize_rows[i].st), normalize_rows[i].want);
	}
}

static void test_normalize_arguments(void)
{
	char out[CP_CODE_MAX + 1];
	struct cp_err e;

	check(__LINE__, cp_code_normalize(NULL, "X", 1, out, sizeof out, &e) ==
	      CP_E_INVALID_ARGUMENT, "NULL format");
	check(__LINE__, cp_code_normalize(&formats[F_DEFAULT], "X", 1, NULL, 0, &e) ==
	      CP_E_INVALID_ARGUMENT, "NULL output");
	check(__LINE__, cp_code_normalize(&formats[F_DEFAULT], NULL, 5, out, sizeof out, &e) ==
	      CP_E_INVALID_ARGUMENT, "NULL input with a length");
	check(__LINE__, cp_code_normalize(&formats[F_DEFAULT], "7KQ4M9XT2H0ZJ", 13, out,
	      sizeof out, NULL) == CP_OK, "NULL err on success");
	check(__LINE__, cp_code_normalize(&formats[F_DEFAULT], "", 0, out, sizeof out, NULL) ==
	      CP_E_INVALID_CODE, "NULL err on failure");
}

/* ------------------------------------------------------------ display */

#define MAXPFX "ABCDEFGHIJKLMNOP"
#define MAXBODY "0123456789ABCDEFGHJKMNPQR"

static const struct {
	int line;
	struct cp_format fmt;
	const char *norm;
	size_t outsz;
	enum cp_status st;
	const char *want;
} display_rows[] = {
	{__LINE__, {CROCKFORD, "SPRING", 10, true, 4, false, false, true}, "SPRING7KQ4M9XT2HB", 64, CP_OK,
	 "SPRING-7KQ4-M9XT-2HB"},
	{__LINE__, {CROCKFORD, "SPRING", 10, true, 4, false, false, true}, "SPRING7KQ4M9XT2HB", 21, CP_OK,
	 "SPRING-7KQ4-M9XT-2HB"},
	{__LINE__, {CROCKFORD, "SPRING", 10, true, 4, false, false, true}, "SPRING7KQ4M9XT2HB", 20,
	 CP_E_INVALID_ARGUMENT, NULL},
	{__LINE__, {CROCKFORD, "", 12, true, 4, false, false, true}, "7KQ4M9XT2H0ZJ", 64, CP_OK, "7KQ4-M9XT-2H0Z-J"},
	{__LINE__, {CROCKFORD, "", 12, false, 4, false, false, true}, "7KQ4M9XT2H0Z", 64, CP_OK, "7KQ4-M9XT-2H0Z"},
	{__LINE__, {CROCKFORD, "", 12, false, 4, false, false, true}, "7KQ4M9XT2H0Z", 15, CP_OK, "7KQ4-M9XT-2H0Z"},
	{__LINE__, {CROCKFORD, "", 12, false, 4, false, false, true}, "7KQ4M9XT2H0Z", 14, CP_E_INVALID_ARGUMENT,
	 NULL},
	{__LINE__, {CROCKFORD, "SPRING", 10, true, 0, false, false, true}, "SPRING7KQ4M9XT2HB", 64, CP_OK,
	 "SPRING-7KQ4M9XT2HB"},
	{__LINE__, {CROCKFORD, "", 10, true, 0, false, false, true}, "7KQ4M9XT2HB", 64, CP_OK, "7KQ4M9XT2HB"},
	{__LINE__, {CROCKFORD, "", 10, true, 11, false, false, true}, "7KQ4M9XT2HB", 64, CP_OK, "7KQ4M9XT2HB"},
	{__LINE__, {CROCKFORD, "", 10, true, 5, false, false, true}, "7KQ4M9XT2HB", 64, CP_OK, "7KQ4M-9XT2H-B"},
	{__LINE__, {CROCKFORD, "", 10, false, 5, false, false, true}, "7KQ4M9XT2H", 64, CP_OK, "7KQ4M-9XT2H"},
	{__LINE__, {CROCKFORD, "AB", 6, true, 1, false, false, true}, "ABXXXXXXC", 64, CP_OK, "AB-X-X-X-X-X-X-C"},
	{__LINE__, {CROCKFORD, MAXPFX, 24, true, 1, false, false, true}, MAXPFX MAXBODY, CP_DISPLAY_MAX, CP_OK,
	 MAXPFX "-0-1-2-3-4-5-6-7-8-9-A-B-C-D-E-F-G-H-J-K-M-N-P-Q-R"},
	{__LINE__, {CROCKFORD, MAXPFX, 24, true, 1, false, false, true}, MAXPFX MAXBODY, CP_DISPLAY_MAX - 1,
	 CP_E_INVALID_ARGUMENT, NULL},
	{__LINE__, {CROCKFORD, "SPRING", 10, true, 4, false, false, true}, "SPRING7KQ4M9XT2H", 64,
	 CP_E_INVALID_ARGUMENT, NULL},
	{__LINE__, {CROCKFORD, "SPRING", 10, true, 4, false, false, true}, "SPRING7KQ4M9XT2HBB", 64,
	 CP_E_INVALID_ARGUMENT, NULL},
	{__LINE__, {CROCKFORD, "SPRING", 10, true, 4, false, false, true}, "SPRINX7KQ4M9XT2HB", 64,
	 CP_E_INVALID_ARGUMENT, NULL},
	{__LINE__, {CROCKFORD, "SPRING", 10, true, 4, false, false, true}, "", 64, CP_E_INVALID_ARGUMENT, NULL},
};

static void test_display(void)
{
	for (size_t i = 0; i < sizeof display_rows / sizeof display_rows[0]; i++) {
		char out[CP_DISPLAY_MAX + 16] = "";
		enum cp_status st = cp_code_display(&display_rows[i].fmt, display_rows[i].norm,
						    out, display_rows[i].outsz);

		check(display_rows[i].line, st == display_rows[i].st &&
		      (st != CP_OK || strcmp(out, display_rows[i].want) == 0),
		      "display: got %s \"%s\", want %s \"%s\"", cp_status_code(st), out,
		      cp_status_code(display_rows[i].st),
		      display_rows[i].want ? display_rows[i].want : "");
	}
	check(__LINE__, strlen(display_rows[13].want) + 1 == CP_DISPLAY_MAX,
	      "the widest display fills CP_DISPLAY_MAX exactly");
	check(__LINE__, cp_code_display(NULL, "X", (char[8]){0}, 8) == CP_E_INVALID_ARGUMENT &&
	      cp_code_display(&formats[F_DEFAULT], NULL, (char[8]){0}, 8) ==
	      CP_E_INVALID_ARGUMENT &&
	      cp_code_display(&formats[F_DEFAULT], "X", NULL, 8) == CP_E_INVALID_ARGUMENT,
	      "display NULL arguments");
}

/* ------------------------------------------------------------ guessing */

static const struct {
	int line;
	const char *alphabet;
	unsigned int body_len;
	uint64_t count;
	double want;
} guess_rows[] = {
	{__LINE__, CROCKFORD, 6, 1000000, 1e6 / 1073741824.0},
	{__LINE__, CROCKFORD, 10, 1000000, 1e6 / 1125899906842624.0},
	{__LINE__, CROCKFORD, 24, 1, 0x1p-120},
	{__LINE__, CROCKFORD, 24, UINT64_MAX, 0x1p-56},
	{__LINE__, CROCKFORD, 12, 0, 0.0},
	{__LINE__, DEC, 6, 1000000, 1.0},
	{__LINE__, DEC, 24, 1, 1e-24},
	{__LINE__, FULL36, 24, UINT64_MAX, 18446744073709551615.0 / 2.2452257707354557e37},
};

static void test_guess(void)
{
	for (size_t i = 0; i < sizeof guess_rows / sizeof guess_rows[0]; i++) {
		struct cp_format f = {.body_len = guess_rows[i].body_len};
		double got, want = guess_rows[i].want;

		strcpy(f.alphabet, guess_rows[i].alphabet);
		got = cp_format_guess_probability(&f, guess_rows[i].count);
		check(guess_rows[i].line, fabs(got - want) <= want * 1e-12,
		      "guess probability %.17g, want %.17g", got, want);
	}
}

static const struct {
	int line;
	const char *alphabet;
	uint64_t count;
	double target;
	enum cp_status st;
	unsigned int len;
	const char *msg;
} length_rows[] = {
	/* 32^10 = 1.1e15: 1e6 codes give 8.9e-10; 32^9 gives 2.8e-8. */
	{__LINE__, CROCKFORD, 1000000, 1e-9, CP_OK, 10, NULL},
	{__LINE__, ALT32, 1000000, 1e-9, CP_OK, 10, NULL},
	/* 32^8 = 1.1e12: 9.1e-7 */
	{__LINE__, CROCKFORD, 1000000, 1e-6, CP_OK, 8, NULL},
	{__LINE__, CROCKFORD, 1, 1e-9, CP_OK, 6, NULL},
	{__LINE__, CROCKFORD, 0, 1e-9, CP_OK, 6, NULL},
	{__LINE__, CROCKFORD, 10000000, 1e-9, CP_OK, 11, NULL},
	{__LINE__, CROCKFORD, 1000000000, 1e-9, CP_OK, 12, NULL},
	/* 2^64 * 1e9 = 1.8e28 needs 2^95 */
	{__LINE__, CROCKFORD, UINT64_MAX, 1e-9, CP_OK, 19, NULL},
	/* Exactly on the target counts as meeting it: 1e6 / 10^15. */
	{__LINE__, DEC, 1000000, 1e-9, CP_OK, 15, NULL},
	{__LINE__, DEC, 1000000, 1e-6, CP_OK, 12, NULL},
	{__LINE__, CROCK31, 1000000, 1e-9, CP_OK, 11, NULL},
	{__LINE__, FULL36, 1000000, 1e-9, CP_OK, 10, NULL},
	{__LINE__, FULL36, UINT64_MAX, 1e-9, CP_OK, 19, NULL},
	{__LINE__, "01", 1, 1e-6, CP_OK, 20, NULL},
	{__LINE__, "01", 1, 1e-9, CP_E_FORMAT_WEAK,
	 0, "1 codes of a 2-symbol alphabet: even a body length of 24 misses the 1e-09"},
	{__LINE__, CROCKFORD, 1000000, 0, CP_E_INVALID_ARGUMENT, 0, "guess target"},
	{__LINE__, CROCKFORD, 1000000, -1e-9, CP_E_INVALID_ARGUMENT, 0, "guess target"},
	{__LINE__, CROCKFORD, 1000000, 2, CP_E_INVALID_ARGUMENT, 0, "guess target"},
	{__LINE__, CROCKFORD, 1000000, NAN, CP_E_INVALID_ARGUMENT, 0, "guess target"},
	{__LINE__, "0O0", 1000000, 1e-9, CP_E_INVALID_ARGUMENT, 0, "lists '0' twice"},
	{__LINE__, "x", 1000000, 1e-9, CP_E_INVALID_ARGUMENT, 0, "at least 2 symbols"},
};

static void test_length_for(void)
{
	for (size_t i = 0; i < sizeof length_rows / sizeof length_rows[0]; i++) {
		struct cp_err e = {.msg = ""};
		unsigned int len = 0;
		enum cp_status st = cp_format_length_for(length_rows[i].alphabet,
							 length_rows[i].count,
							 length_rows[i].target, &len, &e);

		check(length_rows[i].line, st == length_rows[i].st &&
		      (st != CP_OK || len == length_rows[i].len) && has(e.msg, length_rows[i].msg),
		      "length_for: got %s %u \"%s\", want %s %u", cp_status_code(st), len, e.msg,
		      cp_status_code(length_rows[i].st), length_rows[i].len);
	}
	check(__LINE__, cp_format_length_for(NULL, 1, 1e-9, (unsigned int[1]){0}, NULL) ==
	      CP_E_INVALID_ARGUMENT && cp_format_length_for(CROCKFORD, 1, 1e-9, NULL, NULL) ==
	      CP_E_INVALID_ARGUMENT, "length_for NULL arguments");
}

static const struct {
	int line;
	const char *alphabet;
	unsigned int body_len;
	uint64_t count;
	enum cp_status st;
	const char *msg;
} allows_rows[] = {
	{__LINE__, CROCKFORD, 12, 1000000, CP_OK, NULL},
	{__LINE__, CROCKFORD, 8, 1000000, CP_OK, NULL},
	{__LINE__, CROCKFORD, 6, 1000000, CP_E_FORMAT_WEAK,
	 "1000000 codes at body length 6 of a 32-symbol alphabet: one guess in 1073 hits; "
	 "a body length of 10 is needed (1e-9 target; 8 passes the 1e-6 ceiling)"},
	{__LINE__, CROCKFORD, 7, 1000000, CP_E_FORMAT_WEAK,
	 "1000000 codes at body length 7 of a 32-symbol alphabet: one guess in 34359 hits; "
	 "a body length of 10 is needed (1e-9 target; 8 passes the 1e-6 ceiling)"},
	{__LINE__, CROCKFORD, 6, 1073741824, CP_E_FORMAT_WEAK,
	 "1073741824 codes at body length 6 of a 32-symbol alphabet: one guess in 1 hits; "
	 "a body length of 12 is needed (1e-9 target; 10 passes the 1e-6 ceiling)"},
	{__LINE__, CROCKFORD, 6, 1073741825, CP_E_CAPACITY,
	 "1073741825 codes do not fit: body length 6 of a 32-symbol alphabet holds 1073741824"},
	{__LINE__, CROCKFORD, 6, UINT64_MAX, CP_E_CAPACITY, "holds 1073741824"},
	{__LINE__, CROCKFORD, 24, UINT64_MAX, CP_OK, NULL},
	{__LINE__, CROCKFORD, 12, 0, CP_OK, NULL},
	{__LINE__, DEC, 6, 1000000, CP_E_FORMAT_WEAK, "a body length of 15 is needed"},
	{__LINE__, DEC, 6, 1000001, CP_E_CAPACITY, "holds 1000000"},
	{__LINE__, FULL36, 12, UINT64_MAX, CP_E_CAPACITY,
	 "18446744073709551615 codes do not fit: body length 12 of a 36-symbol alphabet "
	 "holds 4738381338321616896"},
	{__LINE__, "01", 24, 16, CP_OK, NULL},
	{__LINE__, "01", 24, 17, CP_E_FORMAT_WEAK,
	 "17 codes at body length 24 of a 2-symbol alphabet: one guess in 986895 hits; "
	 "no body length up to 24 is enough; use a larger alphabet"},
	{__LINE__, "01", 19, 1, CP_E_FORMAT_WEAK,
	 "a body length of 20 passes the 1e-6 ceiling; none up to 24 meets the 1e-9 target"},
	{__LINE__, "01", 5, 1, CP_E_INVALID_ARGUMENT, "body length 5"},
	{__LINE__, "0120", 12, 1, CP_E_INVALID_ARGUMENT, "twice"},
};

static void test_allows(void)
{
	for (size_t i = 0; i < sizeof allows_rows / sizeof allows_rows[0]; i++) {
		struct cp_format f = {.body_len = allows_rows[i].body_len};
		struct cp_err e = {.msg = ""};
		enum cp_status st;

		strcpy(f.alphabet, allows_rows[i].alphabet);
		st = cp_format_allows(&f, allows_rows[i].count, &e);
		check(allows_rows[i].line, st == allows_rows[i].st && has(e.msg,
		      allows_rows[i].msg), "allows: got %s \"%s\", want %s \"%s\"",
		      cp_status_code(st), e.msg, cp_status_code(allows_rows[i].st),
		      allows_rows[i].msg ? allows_rows[i].msg : "");
	}
}

/* ------------------------------------------------------------ check character */

static const struct {
	int line;
	int fmt;
	const char *body;
	size_t len; /* STRLEN: strlen(body) */
	char want;
} check_char_rows[] = {
	/* Pinned: stored codes depend on these never changing. */
	{__LINE__, F_DEFAULT, "7KQ4M9XT2H0Z", STRLEN, 'J'},
	{__LINE__, F_DEFAULT, "7KQ4M9XT2H", STRLEN, 'B'},
	{__LINE__, F_DEFAULT, "01ABCDEFGH11", STRLEN, 'J'},
	{__LINE__, F_DEFAULT, "0000000000", STRLEN, '0'},
	{__LINE__, F_DEFAULT, "1000000000", STRLEN, 'H'},
	{__LINE__, F_ALT, "23LUABCDEFGH", STRLEN, 'C'},
	{__LINE__, F_DEC, "0123456789", STRLEN, '7'},
	{__LINE__, F_DEC, "01234567", STRLEN, '5'},
	{__LINE__, F_DEC, "10234567", STRLEN, '7'},
	{__LINE__, F_FULL, "OIL0123456AB", STRLEN, 'C'},
	/* Invalid bodies. */
	{__LINE__, F_DEFAULT, "7kq4m9xt2h", STRLEN, '\0'},
	{__LINE__, F_DEFAULT, "7KQ4M9XTUH", STRLEN, '\0'},
	{__LINE__, F_DEFAULT, "7KQ4M9XT-H", STRLEN, '\0'},
	{__LINE__, F_DEFAULT, "7KQ\0M9XT2H", 10, '\0'},
	{__LINE__, F_DEFAULT, "", 0, '\0'},
	{__LINE__, F_DEFAULT, "0123456789012345678901234", 25, '\0'},
	{__LINE__, F_ALT, "0123456789", STRLEN, '\0'},
	{__LINE__, F_BINCHECK, "0101010101", STRLEN, '\0'},
};

static void test_check_char(void)
{
	for (size_t i = 0; i < sizeof check_char_rows / sizeof check_char_rows[0]; i++) {
		const char *body = check_char_rows[i].body;
		size_t len = check_char_rows[i].len == STRLEN ? strlen(body) : check_char_rows[i].len;
		char got = cp_check_char(&formats[check_char_rows[i].fmt], body, len);

		check(check_char_rows[i].line, got == check_char_rows[i].want,
		      "check char of \"%s\": got 0x%02X, want 0x%02X", body, (unsigned char)got,
		      (unsigned char)check_char_rows[i].want);
	}
	check(__LINE__, cp_check_char(NULL, "0000", 4) == '\0' &&
	      cp_check_char(&formats[F_DEFAULT], NULL, 4) == '\0', "check char NULL arguments");
}

/* Compose writes what the rows expect; digits come from the expected body. */
static const struct {
	int line;
	int fmt;
	const char *code;
} compose_rows[] = {
	{__LINE__, F_DEFAULT, "7KQ4M9XT2H0ZJ"},
	{__LINE__, F_SPRING, "SPRING7KQ4M9XT2HB"},
	{__LINE__, F_SOLO, "SOLO00000000000"},
	{__LINE__, F_ALT, "23LUABCDEFGHC"},
	{__LINE__, F_DEC, "01234567897"},
	{__LINE__, F_NOCHECK, "7KQ4M9XT2H"},
	{__LINE__, F_BIN, "010101010101010101010111"},
};

static void test_compose(void)
{
	for (size_t i = 0; i < sizeof compose_rows / sizeof compose_rows[0]; i++) {
		const struct cp_format *f = &formats[compose_rows[i].fmt];
		const char *body = compose_rows[i].code + strlen(f->prefix);
		uint8_t digits[CP_BODY_MAX];
		char out[CP_CODE_MAX + 1];

		for (unsigned int k = 0; k < f->body_len; k++)
			digits[k] = (uint8_t)cp_format_symbol_value(f, body[k]);
		memset(out, 'x', sizeof out);
		cp_code_compose(f, digits, out);
		check(compose_rows[i].line, strcmp(out, compose_rows[i].code) == 0,
		      "compose: got \"%s\", want \"%s\"", out, compose_rows[i].code);
	}
}

static void test_symbol_value(void)
{
	const struct cp_format *f = &formats[F_DEFAULT];

	check(__LINE__, cp_format_symbol_value(f, '0') == 0 && cp_format_symbol_value(f, 'Z') == 31 &&
	      cp_format_symbol_value(f, 'J') == 18 && cp_format_symbol_value(f, 'U') == -1 &&
	      cp_format_symbol_value(f, 'a') == -1 && cp_format_symbol_value(f, '\0') == -1,
	      "cp_format_symbol_value");
	check(__LINE__, cp_format_radix(f) == 32 && cp_format_radix(&formats[F_FULL]) == 36,
	      "cp_format_radix");
}

/*
 * Reference check from the definitions in core/format.c's top comment: the
 * product s^0(c).s^1(a_1)...s^n(a_n) in the group, s^i by applying s i
 * times, and c found by trying every symbol. Independent of the Horner loops.
 */
struct ref_group {
	unsigned int radix, bits, m, poly;
	bool dihedral;
};

static void ref_init(struct ref_group *g, unsigned int radix)
{
	static const unsigned int poly[] = {0, 0, 0x7, 0xb, 0x13, 0x25, 0x43};

	g->radix = radix;
	for (g->bits = 0; radix % (2u << g->bits) == 0; g->bits++)
		;
	g->m = radix >> g->bits;
	g->dihedral = g->bits == 1;
	g->poly = g->dihedral ? 0 : poly[g->bits];
}

/* Carry-less product modulo the field polynomial. */
static unsigned int ref_gf_mul(const struct ref_group *g, unsigned int a, unsigned int b)
{
	unsigned int p = 0;

	for (; b; b >>= 1, a <<= 1) {
		if (a & (1u << g->bits))
			a ^= g->poly;
		if (b & 1)
			p ^= a;
	}
	return p;
}

static unsigned int ref_mul(const struct ref_group *g, unsigned int x, unsigned int y)
{
	unsigned int m = g->m;

	if (g->dihedral) {
		unsigned int xe = x / m, xr = x % m, ye = y / m, yr = y % m;

		return (xe ^ ye) * m + ((ye ? m - xr : xr) + yr) % m;
	}
	return ((x ^ y) & ((1u << g->bits) - 1)) |
	       (((x >> g->bits) + (y >> g->bits)) % m) << g->bits;
}

static unsigned int ref_sigma(const struct ref_group *g, unsigned int x)
{
	unsigned int m = g->m;

	if (g->dihedral)
		return x >= m ? m + (x - m + 1) % m : (m - x) % m;
	return ref_gf_mul(g, x & ((1u << g->bits) - 1), 2) |
	       ((m - (x >> g->bits)) % m) << g->bits;
}

/* -1 unless exactly one check symbol closes the product. */
static int ref_check(unsigned int radix, const uint8_t *v, size_t n)
{
	struct ref_group g;
	int found = -1;

	ref_init(&g, radix);
	for (unsigned int c = 0; c < radix; c++) {
		unsigned int acc = c;

		for (size_t i = 1; i <= n; i++) {
			unsigned int x = v[n - i];

			for (size_t k = 0; k < i; k++)
				x = ref_sigma(&g, x);
			acc = ref_mul(&g, acc, x);
		}
		if (acc == 0) {
			if (found >= 0)
				return -1;
			found = (int)c;
		}
	}
	return found;
}

/* Plain Luhn mod N, to pin down the weakness that made us leave it. */
static unsigned int luhn_mod_n(unsigned int radix, const uint8_t *v, size_t n)
{
	unsigned int factor = 2, sum = 0;

	for (size_t k = n; k-- > 0;) {
		unsigned int addend = factor * v[k];

		factor = factor == 2 ? 1 : 2;
		sum += addend / radix + addend % radix;
	}
	return (radix - sum % radix) % radix;
}

static void test_luhn_weakness(void)
{
	static const uint8_t a[] = {7, 19, 0, 31}, b[] = {7, 19, 31, 0};
	const struct cp_format *f = &formats[F_DEFAULT];

	check(__LINE__, luhn_mod_n(32, a, 4) == luhn_mod_n(32, b, 4),
	      "plain Luhn mod 32 was expected to miss the 0<->31 transposition");
	check(__LINE__, cp_check_char(f, "7K0Z", 4) != cp_check_char(f, "7KZ0", 4),
	      "our check misses \"0Z\" <-> \"Z0\"");
}

static const char *exhaustive_alphabets[] = {
	CROCKFORD, ALT32, DEC, CROCK31, FULL36,
};

static void random_format(struct cp_format *f, const char *alphabet, unsigned int i)
{
	memset(f, 0, sizeof *f);
	strcpy(f->alphabet, alphabet);
	f->body_len = CP_BODY_MIN + i % (CP_BODY_MAX - CP_BODY_MIN + 1);
	f->check = true;
}

struct tally {
	unsigned long subst, subst_missed, swap, swap_missed, swap_check, swap_check_missed;
	char subst_example[CP_CODE_MAX + 1], swap_example[CP_CODE_MAX + 1];
};

/* Is CODE (body + check, n + 1 symbols) accepted by the check character? */
static bool accepted(const struct cp_format *f, const char *code, size_t n)
{
	return cp_check_char(f, code, n) == code[n];
}

/* Keeps the first missed mutant of a kind for the failure message. */
static void note_miss(char *example, const char *code)
{
	if (example[0] == '\0')
		strcpy(example, code);
}

static void mutate_substitutions(const struct cp_format *f, const char *code, size_t n,
				 struct tally *t)
{
	char mut[CP_CODE_MAX + 1];
	unsigned int radix = cp_format_radix(f);

	for (size_t p = 0; p <= n; p++) {
		memcpy(mut, code, n + 2);
		for (unsigned int s = 0; s < radix; s++) {
			if (f->alphabet[s] == code[p])
				continue;
			mut[p] = f->alphabet[s];
			t->subst++;
			if (accepted(f, mut, n)) {
				t->subst_missed++;
				note_miss(t->subst_example, mut);
			}
		}
	}
}

static void mutate_transpositions(const struct cp_format *f, const char *code, size_t n,
				  struct tally *t)
{
	char mut[CP_CODE_MAX + 1];

	for (size_t p = 0; p < n; p++) {
		if (code[p] == code[p + 1])
			continue; /* not an error: the code is unchanged */
		memcpy(mut, code, n + 2);
		mut[p] = code[p + 1];
		mut[p + 1] = code[p];
		t->swap++;
		t->swap_check += p + 1 == n;
		if (accepted(f, mut, n)) {
			t->swap_missed++;
			t->swap_check_missed += p + 1 == n;
			note_miss(t->swap_example, mut);
		}
	}
}

/* The real entry point on a few mutants: the wrong check is what it reports. */
static void mutate_through_normalize(const struct cp_format *f, const char *code, size_t n)
{
	char mut[CP_CODE_MAX + 1], out[CP_CODE_MAX + 1];
	struct cp_err e;
	unsigned int radix = cp_format_radix(f);

	for (size_t p = 0; p < n; p++) {
		enum cp_status st;

		memcpy(mut, code, n + 2);
		mut[p] = f->alphabet[(cp_format_symbol_value(f, mut[p]) + 1) % radix];
		st = cp_code_normalize(f, mut, n + 1, out, sizeof out, &e);
		check(__LINE__, st == CP_E_WRONG_CHECK, "radix %u: substitution %s of %s: %s",
		      radix, mut, code, cp_status_code(st));
		if (code[p] == code[p + 1])
			continue;
		memcpy(mut, code, n + 2);
		mut[p] = code[p + 1];
		mut[p + 1] = code[p];
		st = cp_code_normalize(f, mut, n + 1, out, sizeof out, &e);
		check(__LINE__, st == CP_E_WRONG_CHECK, "radix %u: transposition %s of %s: %s",
		      radix, mut, code, cp_status_code(st));
	}
}

/* One random code: composed, equal to the reference, accepted. */
static bool sample_code(const struct cp_format *f, char *code)
{
	uint8_t digits[CP_BODY_MAX];
	unsigned int radix = cp_format_radix(f);
	char out[CP_CODE_MAX + 1];
	struct cp_err e;
	int ref;

	for (unsigned int k = 0; k < f->body_len; k++)
		digits[k] = (uint8_t)(rng() % radix);
	cp_code_compose(f, digits, code);
	ref = ref_check(radix, digits, f->body_len);
	check(__LINE__, ref >= 0 && code[f->body_len] == f->alphabet[ref] &&
	      code[f->body_len + 1] == '\0', "radix %u: %s disagrees with the reference "
	      "check %c", radix, code, ref >= 0 ? f->alphabet[ref] : '?');
	return check(__LINE__, cp_code_normalize(f, code, strlen(code), out, sizeof out, &e) ==
		     CP_OK && strcmp(out, code) == 0, "radix %u: composed %s refused: %s",
		     radix, code, e.msg);
}

static void exhaust_alphabet(const char *alphabet, unsigned int samples)
{
	struct tally t = {0};
	struct cp_format f;
	char code[CP_CODE_MAX + 1];

	for (unsigned int i = 0; i < samples; i++) {
		random_format(&f, alphabet, i);
		if (!sample_code(&f, code))
			continue;
		mutate_substitutions(&f, code, f.body_len, &t);
		mutate_transpositions(&f, code, f.body_len, &t);
		if (i < 10)
			mutate_through_normalize(&f, code, f.body_len);
	}
	mutants += t.subst + t.swap;
	check(__LINE__, t.subst > 0 && t.subst_missed == 0,
	      "%s: %lu of %lu substitutions missed, e.g. %s", alphabet, t.subst_missed,
	      t.subst, t.subst_example);
	check(__LINE__, t.swap > 0 && t.swap_missed == 0,
	      "%s: %lu of %lu adjacent transpositions missed, e.g. %s", alphabet,
	      t.swap_missed, t.swap, t.swap_example);
	check(__LINE__, t.swap_check > 0 && t.swap_check_missed == 0,
	      "%s: %lu of %lu swaps with the check character missed", alphabet,
	      t.swap_check_missed, t.swap_check);
}

static void test_exhaustive(void)
{
	char alphabet[sizeof FULL36];

	for (size_t i = 0; i < sizeof exhaustive_alphabets / sizeof exhaustive_alphabets[0]; i++)
		exhaust_alphabet(exhaustive_alphabets[i], 1000);
	/* Every radix we can spell, so each group shape (odd, 2 mod 4, 0 mod 4) runs. */
	for (size_t radix = 3; radix <= strlen(FULL36); radix++) {
		memcpy(alphabet, FULL36, radix);
		alphabet[radix] = '\0';
		exhaust_alphabet(alphabet, 300);
	}
}

int main(void)
{
	test_default();
	test_validate();
	test_validate_unterminated();
	test_normalize();
	test_normalize_arguments();
	test_display();
	test_guess();
	test_length_for();
	test_allows();
	test_check_char();
	test_compose();
	test_symbol_value();
	test_luhn_weakness();
	test_exhaustive();
	printf("test_format: %lu mutated codes checked\n", mutants);
	return tl_done("test_format");
}
