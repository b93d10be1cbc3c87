/*
 * Unit tests of core/ff1.c: the NIST SP 800-38G FF1 samples, round trips, a
 * cross-check against a slow BIGNUM reference written straight from the spec,
 * the permutation property on a small domain, and argument checking.
 */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/evp.h>

#include "coupon.h"
#include "testlib.h"

#define MAXLEN 64 /* core/ff1.c's cap on numerals */


#define check(line, ok, ...) tl_check(__FILE__, (line), (ok), __VA_ARGS__)

#define rng tl_rng

#define rng_bytes tl_rng_bytes

static void rng_numerals(uint16_t *x, size_t n, unsigned int radix)
{
	for (size_t i = 0; i < n; i++)
		x[i] = (uint16_t)(rng() % radix);
}

static size_t unhex(const char *hex, uint8_t *out)
{
	size_t n = strlen(hex) / 2;

	for (size_t i = 0; i < n; i++) {
		unsigned int byte;

		sscanf(hex + 2 * i, "%2x", &byte);
		out[i] = (uint8_t)byte;
	}
	return n;
}

/* "0123456789abc..." to numerals, the samples' notation. */
static size_t numerals(const char *s, uint16_t *x)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++)
		x[i] = (uint16_t)(s[i] <= '9' ? s[i] - '0' : s[i] - 'a' + 10);
	return n;
}

static bool same(const uint16_t *a, const uint16_t *b, size_t n)
{
	return memcmp(a, b, n * sizeof *a) == 0;
}

/* ---------------------------------------------------------------- NIST samples */

#define K128 "2B7E151628AED2A6ABF7158809CF4F3C"
#define K192 K128 "EF4359D8D580AA4F"
#define K256 K192 "7F036D6F04FC6A94"
#define PT10 "0123456789"
#define PT36 "0123456789abcdefghi"
#define TW2 "39383736353433323130"
#define TW3 "3737373770717273373737"

static const struct vector {
	int line;
	const char *key;
	unsigned int radix;
	const char *tweak;
	const char *pt, *ct;
} vectors[] = {
	{__LINE__, K128, 10, "", PT10, "2433477484"},          /* Sample 1 */
	{__LINE__, K128, 10, TW2, PT10, "6124200773"},         /* Sample 2 */
	{__LINE__, K128, 36, TW3, PT36, "a9tv40mll9kdu509eum"}, /* Sample 3 */
	{__LINE__, K192, 10, "", PT10, "2830668132"},          /* Sample 4 */
	{__LINE__, K192, 10, TW2, PT10, "2496655549"},         /* Sample 5 */
	{__LINE__, K192, 36, TW3, PT36, "xbj3kv35jrawxv32ysr"}, /* Sample 6 */
	{__LINE__, K256, 10, "", PT10, "6657667009"},          /* Sample 7 */
	{__LINE__, K256, 10, TW2, PT10, "1001623463"},         /* Sample 8 */
	{__LINE__, K256, 36, TW3, PT36, "xs8a0azh2avyalyzuwd"}, /* Sample 9 */
};

static void test_vector(const struct vector *v)
{
	uint8_t key[32], tweak[16];
	uint16_t pt[MAXLEN], ct[MAXLEN], out[MAXLEN];
	size_t keylen = unhex(v->key, key), tlen = unhex(v->tweak, tweak);
	size_t n = numerals(v->pt, pt);
	struct cp_ff1 *f;
	struct cp_err err;

	numerals(v->ct, ct);
	if (!check(v->line, cp_ff1_create(&f, key, keylen, v->radix, &err) == CP_OK,
		   "create: %s", err.msg))
		return;
	check(v->line, cp_ff1_encrypt(f, tweak, tlen, pt, n, out) == CP_OK && same(out, ct, n),
	      "encrypt %s does not give %s", v->pt, v->ct);
	check(v->line, cp_ff1_decrypt(f, tweak, tlen, ct, n, out) == CP_OK && same(out, pt, n),
	      "decrypt %s does not give %s", v->ct, v->pt);
	/* In place: X and Y the same array. */
	memcpy(out, pt, n * sizeof *out);
	check(v->line, cp_ff1_encrypt(f, tweak, tlen, out, n, out) == CP_OK && same(out, ct, n),
	      "in-place encrypt %s does not give %s", v->pt, v->ct);
	cp_ff1_free(f);
}

/* ------------------------------------------------------------- slow reference */

/* AES of one block, ECB; CIPH_K in the spec. */
static void ref_ciph(EVP_CIPHER_CTX *ecb, const uint8_t *in, uint8_t *out)
{
	int outl;

	EVP_EncryptUpdate(ecb, out, &outl, in, 16);
}

/* PRF(X): AES-CBC with a zero IV over the whole of X, the last block. */
static void ref_prf(const uint8_t *key, size_t keylen, const uint8_t *x, size_t len,
		    uint8_t *r)
{
	static const uint8_t iv[16];
	const EVP_CIPHER *c = keylen == 16 ? EVP_aes_128_cbc()
			      : keylen == 24 ? EVP_aes_192_cbc() : EVP_aes_256_cbc();
	EVP_CIPHER_CTX *cbc = EVP_CIPHER_CTX_new();
	uint8_t *out = malloc(len);
	int outl;

	EVP_EncryptInit_ex(cbc, c, NULL, key, iv);
	EVP_CIPHER_CTX_set_padding(cbc, 0);
	EVP_EncryptUpdate(cbc, out, &outl, x, (int)len);
	memcpy(r, out + len - 16, 16);
	free(out);
	EVP_CIPHER_CTX_free(cbc);
}

static BIGNUM *ref_num(const uint16_t *x, size_t n, unsigned int radix)
{
	BIGNUM *v = BN_new();

	BN_zero(v);
	for (size_t i = 0; i < n; i++) {
		BN_mul_word(v, radix);
		BN_add_word(v, x[i]);
	}
	return v;
}

static BIGNUM *ref_pow(unsigned int radix, size_t m)
{
	BIGNUM *p = BN_new();

	BN_one(p);
	for (size_t i = 0; i < m; i++)
		BN_mul_word(p, radix);
	return p;
}

/* One round: C = STR^m(NUM(A) + NUM(S) mod radix^m), into A. */
static void ref_round(const uint8_t *key, size_t keylen, EVP_CIPHER_CTX *ecb,
		      const uint8_t *pq, size_t pqlen, size_t d, unsigned int radix,
		      uint16_t *a, size_t m, BN_CTX *bctx)
{
	uint8_t s[5 * 16], blk[16];
	BIGNUM *y, *c = ref_num(a, m, radix), *mod = ref_pow(radix, m);

	ref_prf(key, keylen, pq, pqlen, s);
	for (size_t j = 1; j < (d + 15) / 16; j++) {
		memcpy(blk, s, 16);
		blk[15] ^= (uint8_t)j;
		ref_ciph(ecb, blk, s + 16 * j);
	}
	y = BN_bin2bn(s, (int)d, NULL);
	BN_mod_add(c, c, y, mod, bctx);
	for (size_t i = m; i-- > 0;)
		a[i] = (uint16_t)BN_div_word(c, radix);
	BN_free(y);
	BN_free(c);
	BN_free(mod);
}

/* FF1.Encrypt exactly as SP 800-38G writes it, allocating freely. */
static void ref_encrypt(const uint8_t *key, size_t keylen, unsigned int radix,
			const uint8_t *t, size_t tlen, const uint16_t *x, size_t n, uint16_t *y)
{
	size_t u = n / 2, v = n - u, b, d, pad, qlen;
	uint16_t ab[2][MAXLEN], *a = ab[0], *bb = ab[1], *tp;
	BN_CTX *bctx = BN_CTX_new();
	BIGNUM *lim = ref_pow(radix, v);
	EVP_CIPHER_CTX *ecb = EVP_CIPHER_CTX_new();
	const EVP_CIPHER *c = keylen == 16 ? EVP_aes_128_ecb()
			      : keylen == 24 ? EVP_aes_192_ecb() : EVP_aes_256_ecb();
	uint8_t *pq;

	BN_sub_word(lim, 1);
	b = ((size_t)BN_num_bits(lim) + 7) / 8;
	d = 4 * ((b + 3) / 4) + 4;
	pad = (16 - (tlen + b + 1) % 16) % 16;
	qlen = tlen + pad + 1 + b;
	pq = calloc(1, 16 + qlen);
	pq[0] = 1, pq[1] = 2, pq[2] = 1;
	pq[3] = (uint8_t)(radix >> 16), pq[4] = (uint8_t)(radix >> 8), pq[5] = (uint8_t)radix;
	pq[6] = 10, pq[7] = (uint8_t)(u % 256);
	pq[8] = (uint8_t)(n >> 24), pq[9] = (uint8_t)(n >> 16);
	pq[10] = (uint8_t)(n >> 8), pq[11] = (uint8_t)n;
	pq[12] = (uint8_t)(tlen >> 24), pq[13] = (uint8_t)(tlen >> 16);
	pq[14] = (uint8_t)(tlen >> 8), pq[15] = (uint8_t)tlen;
	if (tlen > 0)
		memcpy(pq + 16, t, tlen);
	EVP_EncryptInit_ex(ecb, c, NULL, key, NULL);
	EVP_CIPHER_CTX_set_padding(ecb, 0);
	memcpy(a, x, u * sizeof *x);
	memcpy(bb, x + u, v * sizeof *x);
	for (unsigned int i = 0; i < 10; i++) {
		size_t m = i % 2 == 0 ? u : v, lb = i % 2 == 0 ? v : u;
		BIGNUM *nb = ref_num(bb, lb, radix);

		pq[16 + tlen + pad] = (uint8_t)i;
		BN_bn2binpad(nb, pq + 16 + tlen + pad + 1, (int)b);
		BN_free(nb);
		ref_round(key, keylen, ecb, pq, 16 + qlen, d, radix, a, m, bctx);
		tp = a, a = bb, bb = tp;
	}
	memcpy(y, a, u * sizeof *y);
	memcpy(y + u, bb, v * sizeof *y);
	free(pq);
	EVP_CIPHER_CTX_free(ecb);
	BN_free(lim);
	BN_CTX_free(bctx);
}

/* ---------------------------------------------------------------------- tests */

static unsigned int min_len(unsigned int radix)
{
	unsigned int n = 2;

	for (uint64_t dom = (uint64_t)radix * radix; dom < 1000000; dom *= radix)
		n++;
	return n;
}

/* One random case of RADIX and N against the reference; encrypt and decrypt. */
static void reference_case(int line, unsigned int radix, size_t n)
{
	uint8_t key[32], tweak[80];
	uint16_t x[MAXLEN], want[MAXLEN], got[MAXLEN];
	size_t keylen = 16 + 8 * (rng() % 3), tlen = rng() % sizeof tweak;
	struct cp_ff1 *f;

	rng_bytes(key, keylen);
	rng_bytes(tweak, tlen);
	rng_numerals(x, n, radix);
	if (!check(line, cp_ff1_create(&f, key, keylen, radix, NULL) == CP_OK,
		   "create radix %u", radix))
		return;
	ref_encrypt(key, keylen, radix, tweak, tlen, x, n, want);
	check(line, cp_ff1_encrypt(f, tweak, tlen, x, n, got) == CP_OK && same(got, want, n),
	      "radix %u n %zu tweak %zu key %zu: differs from the reference",
	      radix, n, tlen, keylen);
	check(line, cp_ff1_decrypt(f, tweak, tlen, want, n, got) == CP_OK && same(got, x, n),
	      "radix %u n %zu tweak %zu key %zu: decrypt differs", radix, n, tlen, keylen);
	cp_ff1_free(f);
}

/* Where the uint64 path ends (radix^v < 2^64) and the limb path starts. */
static const struct edge {
	int line;
	unsigned int radix;
	size_t n;
} edges[] = {
	{__LINE__, 65536, 6},  {__LINE__, 65536, 7},  {__LINE__, 65536, 8},
	{__LINE__, 65535, 8},  {__LINE__, 65535, 9},  {__LINE__, 10, 38},
	{__LINE__, 10, 39},    {__LINE__, 36, 24},    {__LINE__, 36, 25},
	{__LINE__, 64, 20},    {__LINE__, 64, 21},    {__LINE__, 32, 24},
	{__LINE__, 32, 25},    {__LINE__, 2, 64},     {__LINE__, 3, 64},
	{__LINE__, 65536, 64}, {__LINE__, 65536, 63}, {__LINE__, 256, 16},
	{__LINE__, 256, 17},   {__LINE__, 7, 45},     {__LINE__, 7, 46},
};

static void test_edges(void)
{
	for (size_t i = 0; i < sizeof edges / sizeof *edges; i++)
		for (int k = 0; k < 20; k++)
			reference_case(edges[i].line, edges[i].radix, edges[i].n);
}

/* Fast against reference at radices, lengths and tweaks the samples never reach. */
static void test_reference(void)
{
	static const unsigned int radices[] = {2, 3, 10, 16, 32, 36, 62, 64, 255, 256,
					       1000, 4093, 65535, 65536};

	for (int iter = 0; iter < 600; iter++) {
		unsigned int radix = iter % 3 == 0 ? 2 + rng() % 65535
				     : radices[rng() % (sizeof radices / sizeof *radices)];
		unsigned int lo = min_len(radix);
		/* Favour the longest strings now and then: the widest arithmetic. */
		size_t n = iter % 5 == 0 ? MAXLEN - rng() % 2 : lo + rng() % (MAXLEN - lo + 1);

		reference_case(__LINE__, radix, n);
	}
}

static void test_round_trip(void)
{
	static const uint8_t key[16] = "coupon-test-key!";
	uint8_t tweak[40];
	uint16_t x[24], e[24], d[24];
	struct cp_ff1 *f;

	if (!check(__LINE__, cp_ff1_create(&f, key, sizeof key, 32, NULL) == CP_OK, "create"))
		return;
	for (size_t n = 4; n <= 24; n++) { /* 32^4 = 1048576 >= 10^6 */
		for (int iter = 0; iter < 500; iter++) {
			size_t tlen = rng() % (sizeof tweak + 1);

			rng_bytes(tweak, tlen);
			rng_numerals(x, n, 32);
			check(__LINE__, cp_ff1_encrypt(f, tweak, tlen, x, n, e) == CP_OK &&
					cp_ff1_decrypt(f, tweak, tlen, e, n, d) == CP_OK &&
					same(d, x, n),
			      "n %zu tweak %zu: decrypt(encrypt(x)) != x", n, tlen);
		}
	}
	cp_ff1_free(f);
}

/* Every input of a 10^6 domain maps to a distinct output. */
static void test_permutation(void)
{
	static uint8_t seen[1000000 / 8];
	static const uint8_t key[16] = "permutation-key.";
	uint16_t x[6], y[6];
	unsigned int dup = 0, bad = 0;
	struct cp_ff1 *f;

	if (!check(__LINE__, cp_ff1_create(&f, key, sizeof key, 10, NULL) == CP_OK, "create"))
		return;
	memset(x, 0, sizeof x);
	for (unsigned int i = 0; i < 1000000; i++) {
		unsigned int v = 0;

		for (unsigned int k = 0, r = i; k < 6; k++, r /= 10)
			x[5 - k] = (uint16_t)(r % 10);
		if (cp_ff1_encrypt(f, (const uint8_t *)"t", 1, x, 6, y) != CP_OK) {
			bad++;
			continue;
		}
		for (unsigned int k = 0; k < 6; k++)
			v = v * 10 + y[k];
		if (y[0] > 9 || v >= 1000000 || (seen[v / 8] >> (v % 8) & 1))
			dup++;
		else
			seen[v / 8] |= (uint8_t)(1u << (v % 8));
	}
	check(__LINE__, bad == 0 && dup == 0, "radix 10 n 6: %u failures, %u collisions",
	      bad, dup);
	cp_ff1_free(f);
}

static const struct bad_create {
	int line;
	bool key;
	size_t keylen;
	unsigned int radix;
} bad_creates[] = {
	{__LINE__, true, 16, 0},
	{__LINE__, true, 16, 1},
	{__LINE__, true, 16, 65537},
	{__LINE__, true, 0, 10},
	{__LINE__, true, 15, 10},
	{__LINE__, true, 17, 10},
	{__LINE__, true, 31, 10},
	{__LINE__, true, 33, 10},
	{__LINE__, false, 16, 10},
};

static void test_bad_create(const struct bad_create *t)
{
	static const uint8_t key[64];
	struct cp_ff1 *f = (struct cp_ff1 *)&f;
	struct cp_err err;

	err.msg[0] = '\0';
	check(t->line, cp_ff1_create(&f, t->key ? key : NULL, t->keylen, t->radix, &err) ==
			       CP_E_INVALID_ARGUMENT && f == NULL && err.msg[0] != '\0',
	      "create keylen %zu radix %u accepted", t->keylen, t->radix);
}

static const struct bad_call {
	int line;
	unsigned int radix;
	size_t n;
	size_t tweaklen;  /* with a NULL tweak */
	int bad_at;       /* index of a numeral set to radix, -1 for none */
	enum cp_status want;
} bad_calls[] = {
	{__LINE__, 10, 5, 0, -1, CP_E_INVALID_ARGUMENT},   /* 10^5 < 10^6 */
	{__LINE__, 10, 6, 0, -1, CP_OK},
	{__LINE__, 2, 19, 0, -1, CP_E_INVALID_ARGUMENT},   /* 2^19 < 10^6 */
	{__LINE__, 2, 20, 0, -1, CP_OK},
	{__LINE__, 32, 3, 0, -1, CP_E_INVALID_ARGUMENT},
	{__LINE__, 32, 4, 0, -1, CP_OK},
	{__LINE__, 1000, 2, 0, -1, CP_OK},
	{__LINE__, 65536, 1, 0, -1, CP_E_INVALID_ARGUMENT}, /* minlen is 2 */
	{__LINE__, 65536, 2, 0, -1, CP_OK},
	{__LINE__, 10, 0, 0, -1, CP_E_INVALID_ARGUMENT},
	{__LINE__, 10, MAXLEN, 0, -1, CP_OK},
	{__LINE__, 10, MAXLEN + 1, 0, -1, CP_E_INVALID_ARGUMENT},
	{__LINE__, 10, 8, 0, 0, CP_E_INVALID_ARGUMENT},    /* numeral >= radix */
	{__LINE__, 10, 8, 0, 7, CP_E_INVALID_ARGUMENT},
	{__LINE__, 36, 8, 0, 3, CP_E_INVALID_ARGUMENT},
	{__LINE__, 10, 8, 4, -1, CP_E_INVALID_ARGUMENT},   /* NULL tweak, nonzero length */
};

static void test_bad_call(const struct bad_call *t)
{
	static const uint8_t key[16];
	uint16_t x[MAXLEN + 1] = {0}, y[MAXLEN + 1];
	struct cp_ff1 *f;

	if (!check(t->line, cp_ff1_create(&f, key, sizeof key, t->radix, NULL) == CP_OK,
		   "create radix %u", t->radix))
		return;
	if (t->bad_at >= 0)
		x[t->bad_at] = (uint16_t)t->radix;
	check(t->line, cp_ff1_encrypt(f, NULL, t->tweaklen, x, t->n, y) == t->want,
	      "encrypt radix %u n %zu: not %s", t->radix, t->n, cp_status_code(t->want));
	check(t->line, cp_ff1_decrypt(f, NULL, t->tweaklen, x, t->n, y) == t->want,
	      "decrypt radix %u n %zu: not %s", t->radix, t->n, cp_status_code(t->want));
	cp_ff1_free(f);
}

static void test_null_arguments(void)
{
	static const uint8_t key[16];
	uint16_t x[8] = {0}, y[8];
	struct cp_ff1 *f;

	check(__LINE__, cp_ff1_create(NULL, key, sizeof key, 10, NULL) == CP_E_INVALID_ARGUMENT,
	      "create with no result pointer accepted");
	cp_ff1_free(NULL);
	if (!check(__LINE__, cp_ff1_create(&f, key, sizeof key, 10, NULL) == CP_OK, "create"))
		return;
	check(__LINE__, cp_ff1_encrypt(NULL, NULL, 0, x, 8, y) == CP_E_INVALID_ARGUMENT,
	      "NULL object accepted");
	check(__LINE__, cp_ff1_encrypt(f, NULL, 0, NULL, 8, y) == CP_E_INVALID_ARGUMENT,
	      "NULL input accepted");
	check(__LINE__, cp_ff1_decrypt(f, NULL, 0, x, 8, NULL) == CP_E_INVALID_ARGUMENT,
	      "NULL output accepted");
	cp_ff1_free(f);
}

/* The tweak and the key both change the output. */
static void test_sensitivity(void)
{
	static const uint8_t k1[16] = "key-one.........", k2[16] = "key-two.........";
	uint16_t x[12] = {0}, y1[12], y2[12], y3[12];
	struct cp_ff1 *f1, *f2;

	if (!check(__LINE__, cp_ff1_create(&f1, k1, 16, 32, NULL) == CP_OK &&
				     cp_ff1_create(&f2, k2, 16, 32, NULL) == CP_OK, "create"))
		return;
	cp_ff1_encrypt(f1, (const uint8_t *)"a", 1, x, 12, y1);
	cp_ff1_encrypt(f1, (const uint8_t *)"b", 1, x, 12, y2);
	cp_ff1_encrypt(f2, (const uint8_t *)"a", 1, x, 12, y3);
	check(__LINE__, !same(y1, y2, 12), "tweak does not change the output");
	check(__LINE__, !same(y1, y3, 12), "key does not change the output");
	cp_ff1_free(f1);
	cp_ff1_free(f2);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Information only, never asserted: machines and sanitizers differ too much. */
static void bench(void)
{
	static const uint8_t key[16] = "benchmark-key...";
	uint16_t x[12] = {0}, y[12];
	unsigned long count = 0;
	double start = now(), elapsed;
	struct cp_ff1 *f;

	if (cp_ff1_create(&f, key, sizeof key, 32, NULL) != CP_OK)
		return;
	do {
		for (int i = 0; i < 10000; i++, count++) {
			x[11] = (uint16_t)(count % 32);
			x[10] = (uint16_t)(count / 32 % 32);
			cp_ff1_encrypt(f, NULL, 0, x, 12, y);
		}
		elapsed = now() - start;
	} while (elapsed < 0.5);
	printf("test_ff1: info: n=12 radix=32: %.0f encryptions/s\n", (double)count / elapsed);
	cp_ff1_free(f);
}

int main(void)
{
	for (size_t i = 0; i < sizeof vectors / sizeof *vectors; i++)
		test_vector(&vectors[i]);
	for (size_t i = 0; i < sizeof bad_creates / sizeof *bad_creates; i++)
		test_bad_create(&bad_creates[i]);
	for (size_t i = 0; i < sizeof bad_calls / sizeof *bad_calls; i++)
		test_bad_call(&bad_calls[i]);
	test_null_arguments();
	test_sensitivity();
	test_round_trip();
	test_reference();
	test_edges();
	test_permutation();
	bench();
	return tl_done("test_ff1");
}
