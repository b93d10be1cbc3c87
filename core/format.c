/*
 * Code format: alphabet, prefix, body length, check character and display
 * grouping; the normaliser that turns typed input into the stored form.
 *
 * The check character. The first design asked for "Luhn mod N", but plain Luhn mod N
 * is not sound for the alphabets we allow:
 *  - for every even N it misses the adjacent transposition of the values 0 and
 *    N-1 (with d(v) the folded double, d(v) - v is v for v < N/2 and v+1 for
 *    v >= N/2, so 0 and N-1 both give 0 mod N: "0Z" and "Z0" in Crockford);
 *  - for odd N the folded double is not even a permutation (1 and (N+1)/2 both
 *    give 2), so it misses single substitutions too.
 * This cannot be patched within Luhn's frame: a check of the form
 * sum(s_i(a_i)) mod N over the cyclic group Z_N catches every adjacent
 * transposition only if Z_N has an anti-symmetric mapping, and no cyclic group
 * of even order has one (Gallian and Mullin, "Groups with antisymmetric
 * mappings", 1995). So we keep Luhn's idea -- a different permutation per
 * position, check symbol closing the sum -- over a group of order N that has
 * one, which is Verhoeff's scheme generalised to radix N:
 *
 *   s^0(c) . s^1(a_1) . s^2(a_2) ... s^n(a_n) = identity
 *
 * a_1 is the last body symbol, c the check symbol. Single substitutions are
 * caught because each s^i is a permutation; a transposition at positions i,
 * i+1 (the check character included, i = 0) because x.s(y) != y.s(x) for
 * x != y. Groups, with N = 2^j * m, m odd:
 *  - j != 1: GF(2^j) (addition is XOR) x Z_m, s(g, z) = (alpha*g, -z).
 *    s is an automorphism, so this is a weighted sum with weights
 *    (alpha^i, (-1)^i); (1 + alpha) and 2 are invertible, hence anti-symmetric.
 *    Odd N is the alternating sum mod N.
 *  - j == 1, N >= 6: the dihedral group D_m, s(r^k) = r^-k,
 *    s(s.r^k) = s.r^(k+1): anti-symmetric, checked by brute force for every
 *    odd m <= 31 (N <= 62); the unit test covers every N our alphabets reach.
 *  - N == 2: a binary check symbol that catches every substitution is the
 *    parity, which misses every transposition; cp_format_validate refuses it.
 * tests/unit/test_format.c verifies the claims exhaustively on random codes.
 */
#include "config.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "coupon.h"
#include "format_internal.h"
#include "text.h"

_Static_assert(CP_PREFIX_MAX + CP_BODY_MAX + 1 <= CP_CODE_MAX, "our codes fit CP_CODE_MAX");

#define XSTR(x) #x
#define STR(x) XSTR(x)

/* The group of order N the check character lives in; see the top comment. */
enum check_kind { CHECK_NONE, CHECK_ABELIAN, CHECK_DIHEDRAL };

struct check_group {
	enum check_kind kind;
	unsigned int bits; /* GF(2^bits) part, abelian kind only */
	unsigned int poly; /* its reduction polynomial, top bit included */
	unsigned int m;    /* odd part: Z_m or D_m */
};

/* Irreducible polynomials of GF(2^j), j <= 6 since N <= CP_ALPHABET_MAX. */
static const unsigned int gf_poly[] = {
	[0] = 0x0, [2] = 0x7, [3] = 0xb, [4] = 0x13, [5] = 0x25, [6] = 0x43,
};

static void check_group_init(struct check_group *g, unsigned int radix)
{
	g->bits = (unsigned int)__builtin_ctz(radix);
	g->m = radix >> g->bits;
	g->poly = 0;
	if (g->bits != 1) {
		g->kind = CHECK_ABELIAN;
		g->poly = gf_poly[g->bits];
	} else
		g->kind = g->m > 1 ? CHECK_DIHEDRAL : CHECK_NONE;
}

/* Multiplies by alpha = x in GF(2^bits). */
static unsigned int gf_alpha(const struct check_group *g, unsigned int x)
{
	x <<= 1;
	if (x & (1u << g->bits))
		x ^= g->poly;
	return x;
}

/*
 * Horner from the first body symbol: h = s(h) + a. After the last symbol h is
 * the sum over s^(i-1)(a_i); the check symbol is minus s(h), which is alpha*h
 * in the GF part (its own negative) and h in the Z_m part.
 */
static unsigned int check_abelian(const struct check_group *g, const uint8_t *v, size_t n)
{
	unsigned int mask = (1u << g->bits) - 1, h = 0, z = 0;

	for (size_t k = 0; k < n; k++) {
		h = gf_alpha(g, h) ^ (v[k] & mask);
		z = (z ? g->m - z : 0) + (v[k] >> g->bits);
		if (z >= g->m)
			z -= g->m;
	}
	return gf_alpha(g, h) | z << g->bits;
}

/*
 * D_m as pairs (e, r) = s^e.r^r, value e*m + r. Walks from the last body
 * symbol (position 1) so the product keeps its order; i is the position mod m.
 */
static unsigned int check_dihedral(const struct check_group *g, const uint8_t *v, size_t n)
{
	unsigned int m = g->m, e = 0, r = 0, i = 0;
	bool odd = false;

	for (size_t k = n; k-- > 0;) {
		unsigned int ve = v[k] >= m, vr = v[k] - ve * m;

		i = i + 1 == m ? 0 : i + 1;
		odd = !odd;
		if (ve) {
			vr += i;
			if (vr >= m)
				vr -= m;
		} else if (odd && vr)
			vr = m - vr;
		/* (e, r).(ve, vr) = (e ^ ve, (ve ? -r : r) + vr) */
		if (ve && r)
			r = m - r;
		r += vr;
		if (r >= m)
			r -= m;
		e ^= ve;
	}
	/* The check symbol is the inverse; reflections are their own. */
	if (!e && r)
		r = m - r;
	return e * m + r;
}

/* Check symbol value over body values V[0..n), -1 if RADIX has no sound scheme. */
static int check_value(unsigned int radix, const uint8_t *v, size_t n)
{
	struct check_group g;

	check_group_init(&g, radix);
	switch (g.kind) {
	case CHECK_ABELIAN:
		return (int)check_abelian(&g, v, n);
	case CHECK_DIHEDRAL:
		return (int)check_dihedral(&g, v, n);
	default:
		return -1;
	}
}

/* ------------------------------------------------------------ symbols */

static bool is_symbol(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

unsigned int cp_format_radix(const struct cp_format *fmt)
{
	return (unsigned int)strnlen(fmt->alphabet, sizeof fmt->alphabet);
}

int cp_format_symbol_value(const struct cp_format *fmt, char c)
{
	const char *p;

	if (c == '\0')
		return -1;
	p = memchr(fmt->alphabet, c, cp_format_radix(fmt));
	return p != NULL ? (int)(p - fmt->alphabet) : -1;
}

/* ------------------------------------------------------------ validation */

void cp_format_default(struct cp_format *fmt)
{
	memset(fmt, 0, sizeof *fmt);
	memcpy(fmt->alphabet, CP_ALPHABET_CROCKFORD, sizeof CP_ALPHABET_CROCKFORD);
	fmt->body_len = 12;
	fmt->check = true;
	fmt->group = 4;
	fmt->ignore_separators = true;
}

static enum cp_status validate_alphabet(const char *a, struct cp_err *err)
{
	size_t n = strnlen(a, CP_ALPHABET_MAX + 1);
	bool seen[256] = {false};

	if (n > CP_ALPHABET_MAX)
		return cp_err_set_field(err, CP_E_INVALID_ARGUMENT, "alphabet",
					"the alphabet is longer than %d symbols", CP_ALPHABET_MAX);
	if (n < 2)
		return cp_err_set_field(err, CP_E_INVALID_ARGUMENT, "alphabet",
					"the alphabet needs at least 2 symbols, it has %zu", n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a[i];

		if (!is_symbol(c))
			return cp_err_set_field(err, CP_E_INVALID_ARGUMENT, "alphabet",
						"alphabet byte 0x%02X at position %zu is not an "
						"uppercase letter or digit", c, i + 1);
		if (seen[c])
			return cp_err_set_field(err, CP_E_INVALID_ARGUMENT, "alphabet",
						"the alphabet lists '%c' twice", c);
		seen[c] = true;
	}
	return CP_OK;
}

static enum cp_status validate_prefix(const char *p, struct cp_err *err)
{
	size_t n = strnlen(p, CP_PREFIX_MAX + 1);

	if (n > CP_PREFIX_MAX)
		return cp_err_set_field(err, CP_E_INVALID_ARGUMENT, "prefix",
					"the prefix is longer than %d characters", CP_PREFIX_MAX);
	for (size_t i = 0; i < n; i++)
		if (!is_symbol((unsigned char)p[i]))
			return cp_err_set_field(err, CP_E_INVALID_ARGUMENT, "prefix",
						"prefix byte 0x%02X at position %zu is not an "
						"uppercase letter or digit", (unsigned char)p[i], i + 1);
	return CP_OK;
}

static enum cp_status validate_shape(const struct cp_format *fmt, struct cp_err *err)
{
	unsigned int symbols = fmt->body_len + fmt->check;

	if (fmt->body_len < CP_BODY_MIN || fmt->body_len > CP_BODY_MAX)
		return cp_err_set_field(err, CP_E_INVALID_ARGUMENT, "body_length",
					"body length %u is outside %d..%d", fmt->body_len,
					CP_BODY_MIN, CP_BODY_MAX);
	if (fmt->group > symbols)
		return cp_err_set_field(err, CP_E_INVALID_ARGUMENT, "group",
					"display group of %u is longer than the code (%u symbols)",
					fmt->group, symbols);
	if (fmt->check && cp_format_radix(fmt) == 2)
		return cp_err_set_field(err, CP_E_INVALID_ARGUMENT, "check",
					"no check character over 2 symbols catches swapped "
					"neighbours; use a larger alphabet or no check character");
	return CP_OK;
}

enum cp_status cp_format_validate(const struct cp_format *fmt, struct cp_err *err)
{
	enum cp_status st;

	if (fmt == NULL)
		return cp_err_set(err, CP_E_INVALID_ARGUMENT, "no format");
	if (fmt->external)
		return CP_OK;
	if ((st = validate_alphabet(fmt->alphabet, err)) != CP_OK)
		return st;
	if ((st = validate_prefix(fmt->prefix, err)) != CP_OK)
		return st;
	return validate_shape(fmt, err);
}

/* ------------------------------------------------------------ guessing */

/*
 * radix^len by multiplication rather than powl: exact while it fits the
 * mantissa (10^15 must stay exact for 1e6 codes to meet 1e-9 at length 15),
 * and 64^24 = 2^144 is far from overflow.
 */
static long double power(unsigned int radix, unsigned int len)
{
	long double p = 1;

	for (unsigned int i = 0; i < len; i++)
		p *= radix;
	return p;
}

static double guess(unsigned int radix, unsigned int len, uint64_t count)
{
	if (radix < 2)
		return 1.0;
	return (double)((long double)count / power(radix, len));
}

double cp_format_guess_probability(const struct cp_format *fmt, uint64_t count)
{
	return guess(cp_format_radix(fmt), fmt->body_len, count);
}

/* Compared as doubles so that length_for and allows agree at the boundary. */
static unsigned int shortest_length(unsigned int radix, uint64_t count, double target)
{
	for (unsigned int len = CP_BODY_MIN; len <= CP_BODY_MAX; len++)
		if (guess(radix, len, count) <= target)
			return len;
	return 0;
}

enum cp_status cp_format_length_for(const char *alphabet, uint64_t count, double target,
				    unsigned int *len, struct cp_err *err)
{
	enum cp_status st;
	unsigned int radix;

	if (alphabet == NULL || len == NULL)
		return cp_err_set(err, CP_E_INVALID_ARGUMENT, "no alphabet or no result");
	if ((st = validate_alphabet(alphabet, err)) != CP_OK)
		return st;
	/* Written so that NaN fails too. */
	if (!(target > 0 && target <= 1))
		return cp_err_set(err, CP_E_INVALID_ARGUMENT,
				  "the guess target must be above 0 and at most 1, not %g",
				  target);
	radix = (unsigned int)strlen(alphabet);
	*len = shortest_length(radix, count, target);
	if (*len != 0)
		return CP_OK;
	return cp_err_set(err, CP_E_FORMAT_WEAK,
			  "%" PRIu64 " codes of a %u-symbol alphabet: even a body length "
			  "of %d misses the %g guess target", count, radix, CP_BODY_MAX,
			  target);
}

/* radix^len, saturating at UINT64_MAX: no count can exceed that anyway. */
static uint64_t capacity(unsigned int radix, unsigned int len)
{
	uint64_t cap = 1;

	for (unsigned int i = 0; i < len; i++) {
		if (cap > UINT64_MAX / radix)
			return UINT64_MAX;
		cap *= radix;
	}
	return cap;
}

uint64_t cp_format_capacity(const struct cp_format *fmt)
{
	return capacity(cp_format_radix(fmt), fmt->body_len);
}

static enum cp_status refuse_weak(const struct cp_format *fmt, unsigned int radix,
				  uint64_t count, struct cp_err *err)
{
	unsigned int target = shortest_length(radix, count, CP_GUESS_TARGET_DEFAULT);
	unsigned int ceiling = shortest_length(radix, count, CP_GUESS_CEILING);
	/* Below 1e6 here, since the chance is above the ceiling. */
	uint64_t odds = (uint64_t)(power(radix, fmt->body_len) / (long double)count);
	char need[160];

	if (target != 0)
		snprintf(need, sizeof need, "a body length of %u is needed (%s target; "
			 "%u passes the %s ceiling)", target,
			 STR(CP_GUESS_TARGET_DEFAULT), ceiling, STR(CP_GUESS_CEILING));
	else if (ceiling != 0)
		snprintf(need, sizeof need, "a body length of %u passes the %s ceiling; "
			 "none up to %d meets the %s target", ceiling,
			 STR(CP_GUESS_CEILING), CP_BODY_MAX, STR(CP_GUESS_TARGET_DEFAULT));
	else
		snprintf(need, sizeof need, "no body length up to %d is enough; use a "
			 "larger alphabet", CP_BODY_MAX);
	return cp_err_set(err, CP_E_FORMAT_WEAK,
			  "%" PRIu64 " codes at body length %u of a %u-symbol alphabet: "
			  "one guess in %" PRIu64 " hits; %s", count, fmt->body_len, radix, odds,
			  need);
}

enum cp_status cp_format_allows(const struct cp_format *fmt, uint64_t count, struct cp_err *err)
{
	enum cp_status st;
	unsigned int radix;
	uint64_t cap;

	if ((st = cp_format_validate(fmt, err)) != CP_OK)
		return st;
	/* Codes made elsewhere: their guessing is the maker's; rate limits guard lookups. */
	if (fmt->external)
		return CP_OK;
	radix = cp_format_radix(fmt);
	cap = capacity(radix, fmt->body_len);
	if (count > cap)
		return cp_err_set(err, CP_E_CAPACITY,
				  "%" PRIu64 " codes do not fit: body length %u of a "
				  "%u-symbol alphabet holds %" PRIu64, count, fmt->body_len,
				  radix, cap);
	if (guess(radix, fmt->body_len, count) > CP_GUESS_CEILING)
		return refuse_weak(fmt, radix, count, err);
	return CP_OK;
}

/* ------------------------------------------------------------ normalising */

/* Why a byte of typed input is refused outright; NULL if it is not. */
static const char *bad_byte(unsigned char c)
{
	if (c == '\0')
		return "NUL byte";
	if (c >= 0x80)
		return "non-ASCII byte";
	if (text_is_control(c))
		return "control byte";
	return NULL;
}

/* Refuses input holding a byte no code may hold, naming it and its position. */
static enum cp_status check_bytes(const char *in, size_t inlen, struct cp_err *err)
{
	for (size_t i = 0; i < inlen; i++) {
		unsigned char c = (unsigned char)in[i];
		const char *why = bad_byte(c);

		if (why != NULL)
			return cp_err_set(err, CP_E_INVALID_CODE, "%s 0x%02X at position %zu",
					  why, c, i + 1);
	}
	return CP_OK;
}

/*
 * Drops spaces and dashes and folds case (our alphabets have no lowercase).
 * POS keeps each kept byte's 1-based input position for error messages.
 */
static enum cp_status compact(const char *in, size_t inlen, char *buf, uint8_t *pos,
			      size_t *n, struct cp_err *err)
{
	if (inlen == 0)
		return cp_err_set(err, CP_E_INVALID_CODE, "the code is empty");
	if (inlen > CP_INPUT_MAX)
		return cp_err_set(err, CP_E_INVALID_CODE,
				  "the code is too long: %zu bytes, at most %d", inlen,
				  CP_INPUT_MAX);
	*n = 0;
	if (check_bytes(in, inlen, err) != CP_OK)
		return CP_E_INVALID_CODE;
	for (size_t i = 0; i < inlen; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == ' ' || c == '-')
			continue;
		buf[*n] = (char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
		pos[(*n)++] = (uint8_t)(i + 1);
	}
	if (*n == 0)
		return cp_err_set(err, CP_E_INVALID_CODE, "the code is empty");
	return CP_OK;
}

/* Crockford's reading of lookalikes, applied where the alphabet allows. */
static const struct {
	char from, to;
} lookalikes[] = {
	{'O', '0'},
	{'I', '1'},
	{'L', '1'},
};

static char unlookalike(const struct cp_format *fmt, char c)
{
	for (size_t i = 0; i < sizeof lookalikes / sizeof lookalikes[0]; i++)
		if (c == lookalikes[i].from && cp_format_symbol_value(fmt, c) < 0 &&
		    cp_format_symbol_value(fmt, lookalikes[i].to) >= 0)
			return lookalikes[i].to;
	return c;
}

/* Maps lookalikes in BODY[0..n) in place and turns it into values. */
static enum cp_status body_values(const struct cp_format *fmt, char *body,
				  const uint8_t *pos, size_t n, uint8_t *v, struct cp_err *err)
{
	for (size_t k = 0; k < n; k++) {
		int val;

		body[k] = unlookalike(fmt, body[k]);
		if ((val = cp_format_symbol_value(fmt, body[k])) < 0)
			return cp_err_set(err, CP_E_INVALID_CODE,
					  "symbol '%c' at position %u is not in the alphabet",
					  body[k], pos[k]);
		v[k] = (uint8_t)val;
	}
	return CP_OK;
}

/*
 * The check character is always the code's last symbol: the message says so
 * rather than give its offset in the typed text, which counts dashes and spaces.
 * Any symbol may be the mistyped one.
 */
static enum cp_status check_body(const struct cp_format *fmt, const char *body, size_t n,
				 const uint8_t *v, struct cp_err *err)
{
	unsigned int want = fmt->body_len + fmt->check;

	if (n != want)
		return cp_err_set(err, CP_E_INVALID_CODE,
				  "wrong length: expected %u symbols%s, got %zu", want,
				  fmt->prefix[0] ? " after the prefix" : "", n);
	if (fmt->check &&
	    check_value(cp_format_radix(fmt), v, fmt->body_len) != v[fmt->body_len])
		return cp_err_set(err, CP_E_WRONG_CHECK,
				  "the check character '%c' (the last symbol) does not match "
				  "the others: probably a typo", body[fmt->body_len]);
	return CP_OK;
}

/*
 * An external code: printable ASCII, surrounding spaces trimmed, spaces and
 * dashes dropped when the campaign ignores them, case folded unless it is
 * case-sensitive; 1..CP_EXTERNAL_MAX characters left.
 */
static enum cp_status normalize_external(const struct cp_format *fmt, const char *in,
					 size_t inlen, char *out, size_t outsz,
					 struct cp_err *err)
{
	size_t n = 0;

	if (check_bytes(in, inlen, err) != CP_OK)
		return CP_E_INVALID_CODE;
	while (inlen > 0 && in[inlen - 1] == ' ')
		inlen--;
	for (size_t i = 0; i < inlen; i++) {
		unsigned char c = (unsigned char)in[i];

		if ((c == ' ' && n == 0) || (fmt->ignore_separators && (c == ' ' || c == '-')))
			continue;
		if (n == CP_EXTERNAL_MAX || n + 1 >= outsz)
			return cp_err_set(err, CP_E_INVALID_CODE,
					  "the code is longer than %d characters", CP_EXTERNAL_MAX);
		out[n++] = (char)(!fmt->case_sensitive && c >= 'a' && c <= 'z' ? c - 'a' + 'A'
									      : c);
	}
	out[n] = '\0';
	if (n == 0)
		return cp_err_set(err, CP_E_INVALID_CODE, "the code is empty");
	return CP_OK;
}

enum cp_status cp_code_normalize(const struct cp_format *fmt, const char *in, size_t inlen,
				 char *out, size_t outsz, struct cp_err *err)
{
	char buf[CP_INPUT_MAX];
	uint8_t pos[CP_INPUT_MAX], v[CP_INPUT_MAX];
	size_t n = 0, plen;
	enum cp_status st;

	if (fmt == NULL || (in == NULL && inlen != 0) || out == NULL)
		return cp_err_set(err, CP_E_INVALID_ARGUMENT, "no format, input or output");
	if (outsz > 0)
		out[0] = '\0';
	if ((st = cp_format_validate(fmt, err)) != CP_OK)
		return st;
	if (inlen > CP_INPUT_MAX)
		return cp_err_set(err, CP_E_INVALID_CODE,
				  "the code is too long: %zu bytes, at most %d", inlen,
				  CP_INPUT_MAX);
	if (fmt->external)
		return normalize_external(fmt, in, inlen, out, outsz, err);
	plen = strlen(fmt->prefix);
	if (outsz < plen + fmt->body_len + fmt->check + 1)
		return cp_err_set(err, CP_E_INVALID_ARGUMENT,
				  "output buffer of %zu bytes is too small", outsz);
	if ((st = compact(in, inlen, buf, pos, &n, err)) != CP_OK)
		return st;
	/* Before the lookalike mapping: prefixes may hold O, I, L ("SOLO"). */
	if (n < plen || memcmp(buf, fmt->prefix, plen) != 0)
		return cp_err_set(err, CP_E_INVALID_CODE,
				  "the code does not start with the prefix %s", fmt->prefix);
	if ((st = body_values(fmt, buf + plen, pos + plen, n - plen, v, err)) != CP_OK)
		return st;
	if ((st = check_body(fmt, buf + plen, n - plen, v, err)) != CP_OK)
		return st;
	memcpy(out, buf, n);
	out[n] = '\0';
	return CP_OK;
}

/* ------------------------------------------------------------ composing */

char cp_check_char(const struct cp_format *fmt, const char *body, size_t len)
{
	uint8_t v[CP_BODY_MAX];
	unsigned int radix;
	int c;

	if (fmt == NULL || body == NULL || len == 0 || len > CP_BODY_MAX)
		return '\0';
	radix = cp_format_radix(fmt);
	if (radix < 2 || radix > CP_ALPHABET_MAX)
		return '\0';
	for (size_t k = 0; k < len; k++) {
		int val = cp_format_symbol_value(fmt, body[k]);

		if (val < 0)
			return '\0';
		v[k] = (uint8_t)val;
	}
	c = check_value(radix, v, len);
	return c < 0 ? '\0' : fmt->alphabet[c];
}

/* Hot path of the generator: FMT is validated, DIGITS are below the radix. */
void cp_code_compose(const struct cp_format *fmt, const uint8_t *digits, char *out)
{
	size_t plen = strlen(fmt->prefix), n = fmt->body_len;
	char *p = out + plen;

	memcpy(out, fmt->prefix, plen);
	for (size_t k = 0; k < n; k++)
		p[k] = fmt->alphabet[digits[k]];
	if (fmt->check) {
		int c = check_value(cp_format_radix(fmt), digits, n);

		p[n++] = c < 0 ? '\0' : fmt->alphabet[c];
	}
	p[n] = '\0';
}

enum cp_status cp_code_display(const struct cp_format *fmt, const char *norm, char *out,
			       size_t outsz)
{
	size_t plen, blen, dashes, need, o = 0;

	if (fmt == NULL || norm == NULL || out == NULL)
		return CP_E_INVALID_ARGUMENT;
	if (fmt->external) {
		/* Shown as stored: the maker's own form. */
		if (strnlen(norm, CP_EXTERNAL_MAX + 1) > CP_EXTERNAL_MAX ||
		    strlen(norm) + 1 > outsz)
			return CP_E_INVALID_ARGUMENT;
		memcpy(out, norm, strlen(norm) + 1);
		return CP_OK;
	}
	plen = strnlen(fmt->prefix, sizeof fmt->prefix);
	blen = fmt->body_len + fmt->check;
	if (strnlen(norm, CP_CODE_MAX + 1) != plen + blen ||
	    memcmp(norm, fmt->prefix, plen) != 0)
		return CP_E_INVALID_ARGUMENT;
	dashes = fmt->group && blen ? (blen - 1) / fmt->group : 0;
	need = plen + (plen ? 1 : 0) + blen + dashes + 1;
	if (outsz < need)
		return CP_E_INVALID_ARGUMENT;
	memcpy(out, norm, plen);
	o = plen;
	if (plen)
		out[o++] = '-';
	for (size_t k = 0; k < blen; k++) {
		if (fmt->group && k && k % fmt->group == 0)
			out[o++] = '-';
		out[o++] = norm[plen + k];
	}
	out[o] = '\0';
	return CP_OK;
}
