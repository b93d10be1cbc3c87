/*
 * FF1 format-preserving encryption, NIST SP 800-38G (Rev. 1), over AES from
 * libcrypto.
 *
 * The keyed generator pushes millions of sequence numbers through here, so the
 * per-call path allocates nothing and never re-keys: the cipher context is keyed
 * once in cp_ff1_create and every scratch buffer has a fixed maximum. One
 * object holds one EVP_CIPHER_CTX, so an object is for one thread at a time.
 *
 * Numeral strings are capped at FF1_MAXLEN numerals (the spec allows 2^32);
 * codes are at most CP_BODY_MAX long, and the cap bounds every buffer below.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "coupon.h"

#define FF1_MAXLEN CP_FF1_MAXLEN
#define FF1_RADIX_MAX 65536
#define FF1_ROUNDS 10
/* SP 800-38G Rev. 1: radix^minlen >= 1,000,000. */
#define FF1_MIN_DOMAIN 1000000
/* The longer half, v = n - floor(n/2). */
#define FF1_HALF_MAX (FF1_MAXLEN - FF1_MAXLEN / 2)
/* b for v = FF1_HALF_MAX at radix 2^16: 512 bits. */
#define FF1_B_MAX (FF1_HALF_MAX * 16 / 8)
#define FF1_D_MAX (4 * ((FF1_B_MAX + 3) / 4) + 4)
#define FF1_S_BLOCKS ((FF1_D_MAX + 15) / 16)
/* 32-bit limbs: enough for y (d bytes) and for radix^v itself (one bit more). */
#define FF1_LIMBS (FF1_D_MAX / 4 + 1)
/* Last part of Q: up to 15 bytes of tweak and padding, [i], NUM(B). */
#define FF1_TAIL_MAX (15 + 1 + FF1_B_MAX)

/*
 * Division of any 32-bit N by an invariant D, 2 <= D <= 2^16, as one multiply
 * (Lemire, Kaser, Kurz: "Faster remainder by direct computation", 2019).
 */
struct ff1_div {
	uint32_t d;
	uint64_t m; /* ceil(2^64 / d) */
};

struct cp_ff1 {
	EVP_CIPHER_CTX *ctx; /* AES-ECB, keyed once */
	unsigned int radix;
	unsigned int minlen;
	bool pow2;                        /* radix is a power of two */
	unsigned int chunk;               /* numerals per 32-bit word */
	uint32_t pow[32];                 /* radix^j for j <= chunk */
	unsigned int dchunk;              /* numerals per division step */
	struct ff1_div by_radix;          /* radix */
	struct ff1_div by_dpow;           /* radix^dchunk <= 2^16 */
	uint8_t bytes[FF1_HALF_MAX + 1];  /* b for each half length v */
	unsigned int narrow_v;            /* halves up to this long take the uint64 path */
	uint64_t pow64[FF1_HALF_MAX + 1]; /* radix^j for j <= narrow_v */
	/* CIPH(P) depends only on n and t, which a generator never varies. */
	size_t p_n, p_t;
	uint8_t p_mac[16];
};

/* What stays fixed over the ten rounds of one call. */
struct ff1_call {
	size_t u, v, b, d;
	uint8_t mac[16];                /* CBC-MAC state after P and Q's fixed blocks */
	uint8_t tail[FF1_TAIL_MAX + 1]; /* Q's last blocks, rebuilt each round */
	size_t tail_i;                  /* offset of [i] in tail */
	size_t tail_len;
};

/* ------------------------------------------------------------ multi-precision */

/* L = L * MUL + ADD over NL little-endian limbs; returns the new limb count. */
static size_t limbs_mul_add(uint32_t *l, size_t nl, uint32_t mul, uint32_t add)
{
	uint64_t carry = add;

	for (size_t i = 0; i < nl; i++) {
		uint64_t t = (uint64_t)l[i] * mul + carry;

		l[i] = (uint32_t)t;
		carry = t >> 32;
	}
	if (carry != 0)
		l[nl++] = (uint32_t)carry;
	return nl;
}

static void div_init(struct ff1_div *dv, uint32_t d)
{
	dv->d = d;
	dv->m = UINT64_MAX / d + 1;
}

/* Hardware division costs tens of cycles; this is one multiply. Exact for all N. */
static uint32_t div_q(const struct ff1_div *dv, uint32_t n)
{
#ifdef __SIZEOF_INT128__
	return (uint32_t)(((unsigned __int128)dv->m * n) >> 64);
#else
	return n / dv->d;
#endif
}

/*
 * L /= D in place, 16 bits at a time so every step is a 32-by-16-bit division;
 * drops leading zero limbs and returns the remainder.
 */
static uint32_t limbs_div(uint32_t *l, size_t *nl, const struct ff1_div *dv)
{
	uint32_t rem = 0;

	for (size_t i = *nl; i-- > 0;) {
		uint32_t t = rem << 16 | l[i] >> 16, qh, ql;

		qh = div_q(dv, t);
		rem = t - qh * dv->d;
		t = rem << 16 | (l[i] & 0xffff);
		ql = div_q(dv, t);
		rem = t - ql * dv->d;
		l[i] = qh << 16 | ql;
	}
	while (*nl > 0 && l[*nl - 1] == 0)
		(*nl)--;
	return rem;
}

static unsigned int limbs_bits(const uint32_t *l, size_t nl)
{
	while (nl > 0 && l[nl - 1] == 0)
		nl--;
	if (nl == 0)
		return 0;
	return (unsigned int)(nl * 32 - (size_t)__builtin_clz(l[nl - 1]));
}

/* NUM_radix(X), CHUNK numerals at a time so the limb loop runs rarely. */
static size_t num_radix(const struct cp_ff1 *f, const uint16_t *x, size_t len, uint32_t *l)
{
	size_t nl = 0;

	while (len > 0) {
		size_t k = len < f->chunk ? len : f->chunk;
		uint32_t w = 0;

		for (size_t j = 0; j < k; j++)
			w = w * f->radix + x[j];
		nl = limbs_mul_add(l, nl, f->pow[k], w);
		x += k;
		len -= k;
	}
	return nl;
}

/* [L]^len: big-endian, zero-padded to exactly LEN bytes. */
static void limbs_to_bytes(const uint32_t *l, size_t nl, uint8_t *out, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		size_t w = i / 4;

		out[len - 1 - i] = w < nl ? (uint8_t)(l[w] >> (8 * (i % 4))) : 0;
	}
}

static uint64_t load_be32(const uint8_t *p)
{
	return (uint64_t)p[0] << 24 | (uint64_t)p[1] << 16 | (uint64_t)p[2] << 8 | p[3];
}

/* NUM(S) for big-endian S of LEN bytes, LEN a multiple of 4. */
static size_t bytes_to_limbs(const uint8_t *s, size_t len, uint32_t *l)
{
	size_t nl = len / 4;

	for (size_t j = 0; j < nl; j++)
		l[j] = (uint32_t)load_be32(s + len - 4 * (j + 1));
	return nl;
}

/* STR^m_radix(Y mod radix^m): the M lowest digits, most significant first. */
static void low_digits(const struct cp_ff1 *f, uint32_t *l, size_t nl, uint16_t *dg, size_t m)
{
	size_t pos = m;

	while (pos > 0) {
		uint32_t r = limbs_div(l, &nl, &f->by_dpow);
		size_t k = pos < f->dchunk ? pos : f->dchunk;

		for (size_t j = 0; j < k; j++) {
			uint32_t q = div_q(&f->by_radix, r);

			dg[--pos] = (uint16_t)(r - q * f->radix);
			r = q;
		}
	}
}

/* (NUM(A) + Y) mod radix^m, numeral by numeral, so A never becomes a number. */
static void digits_add(uint16_t *a, const uint16_t *y, size_t m, unsigned int radix)
{
	unsigned int carry = 0;

	for (size_t j = m; j-- > 0;) {
		unsigned int s = a[j] + y[j] + carry;

		carry = s >= radix;
		a[j] = (uint16_t)(s - (carry ? radix : 0));
	}
}

static void digits_sub(uint16_t *a, const uint16_t *y, size_t m, unsigned int radix)
{
	int borrow = 0;

	for (size_t j = m; j-- > 0;) {
		int s = (int)a[j] - (int)y[j] - borrow;

		borrow = s < 0;
		a[j] = (uint16_t)(s + (borrow ? (int)radix : 0));
	}
}

/* -------------------------------------------------------------------- tables */

/* b = ceil(ceil(v * log2(radix)) / 8); ceil(v * log2(radix)) = bits(radix^v - 1). */
static uint8_t ff1_bytes(unsigned int radix, unsigned int v)
{
	uint32_t l[FF1_LIMBS];
	size_t nl = limbs_mul_add(l, 0, 0, 1);
	size_t i = 0;

	for (unsigned int j = 0; j < v; j++)
		nl = limbs_mul_add(l, nl, radix, 0);
	while (l[i] == 0)
		l[i++] = UINT32_MAX;
	l[i]--;
	return (uint8_t)((limbs_bits(l, nl) + 7) / 8);
}

/* Half lengths whose radix^v fits a uint64; none without 128-bit products. */
static void ff1_narrow_table(struct cp_ff1 *f, unsigned int radix)
{
	f->pow64[0] = 1;
	f->narrow_v = 0;
#ifdef __SIZEOF_INT128__
	while (f->narrow_v < FF1_HALF_MAX && f->pow64[f->narrow_v] <= UINT64_MAX / radix) {
		f->pow64[f->narrow_v + 1] = f->pow64[f->narrow_v] * radix;
		f->narrow_v++;
	}
#else
	(void)radix;
#endif
}

static void ff1_tables(struct cp_ff1 *f, unsigned int radix)
{
	uint64_t domain = (uint64_t)radix * radix;

	f->radix = radix;
	f->pow2 = (radix & (radix - 1)) == 0;
	f->pow[0] = 1;
	f->chunk = 0;
	while ((uint64_t)f->pow[f->chunk] * radix <= UINT32_MAX) {
		f->pow[f->chunk + 1] = f->pow[f->chunk] * radix;
		f->chunk++;
	}
	f->dchunk = 1;
	while (f->dchunk < f->chunk && f->pow[f->dchunk + 1] <= 65536)
		f->dchunk++;
	div_init(&f->by_radix, radix);
	div_init(&f->by_dpow, f->pow[f->dchunk]);
	for (f->minlen = 2; domain < FF1_MIN_DOMAIN; f->minlen++)
		domain *= radix;
	for (unsigned int v = 1; v <= FF1_HALF_MAX; v++)
		f->bytes[v] = ff1_bytes(radix, v);
	ff1_narrow_table(f, radix);
}

/* ------------------------------------------------------------------- cipher */

/* In place; ECB because CBC-MAC chaining and S's counter blocks are done here. */
static enum cp_status ff1_aes(struct cp_ff1 *f, uint8_t *buf, size_t len)
{
	int outl = 0;

	if (EVP_EncryptUpdate(f->ctx, buf, &outl, buf, (int)len) != 1 || (size_t)outl != len)
		return CP_E_CRYPTO;
	return CP_OK;
}

static enum cp_status ff1_mac_block(struct cp_ff1 *f, uint8_t *mac, const uint8_t *blk)
{
	uint64_t m[2], b[2];

	memcpy(m, mac, 16);
	memcpy(b, blk, 16);
	m[0] ^= b[0];
	m[1] ^= b[1];
	memcpy(mac, m, 16);
	return ff1_aes(f, mac, 16);
}

/* LEN bytes of T || [0]^pad starting at OFF. */
static void tweak_copy(uint8_t *dst, const uint8_t *tweak, size_t t, size_t off, size_t len)
{
	size_t have = off < t ? t - off : 0;

	if (have > len)
		have = len;
	if (have > 0)
		memcpy(dst, tweak + off, have);
	memset(dst + have, 0, len - have);
}

static void ff1_p_block(const struct cp_ff1 *f, const struct ff1_call *c, size_t t,
			uint8_t *p)
{
	size_t n = c->u + c->v;

	p[0] = 1;
	p[1] = 2;
	p[2] = 1;
	p[3] = (uint8_t)(f->radix >> 16);
	p[4] = (uint8_t)(f->radix >> 8);
	p[5] = (uint8_t)f->radix;
	p[6] = 10;
	p[7] = (uint8_t)c->u;
	for (int j = 0; j < 4; j++) {
		p[8 + j] = (uint8_t)(n >> (24 - 8 * j));
		p[12 + j] = (uint8_t)(t >> (24 - 8 * j));
	}
}

static enum cp_status ff1_p_mac(struct cp_ff1 *f, struct ff1_call *c, size_t t)
{
	enum cp_status st;

	if (f->p_n != c->u + c->v || f->p_t != t) {
		ff1_p_block(f, c, t, f->p_mac);
		if ((st = ff1_aes(f, f->p_mac, 16)) != CP_OK) {
			f->p_n = 0;
			return st;
		}
		f->p_n = c->u + c->v;
		f->p_t = t;
	}
	memcpy(c->mac, f->p_mac, 16);
	return CP_OK;
}

/*
 * P and the leading whole blocks of Q (tweak and padding) are the same in all
 * ten rounds, so the CBC-MAC runs over them once per call.
 */
static enum cp_status ff1_setup(struct cp_ff1 *f, struct ff1_call *c, const uint8_t *tweak,
				size_t t, size_t n)
{
	uint8_t blk[16];
	size_t pad, fixed, full;
	enum cp_status st;

	c->u = n / 2;
	c->v = n - c->u;
	c->b = f->bytes[c->v];
	c->d = 4 * ((c->b + 3) / 4) + 4;
	pad = (16 - (t + c->b + 1) % 16) % 16;
	fixed = t + pad;
	full = fixed / 16;
	if ((st = ff1_p_mac(f, c, t)) != CP_OK)
		return st;
	for (size_t j = 0; j < full; j++) {
		tweak_copy(blk, tweak, t, 16 * j, 16);
		if ((st = ff1_mac_block(f, c->mac, blk)) != CP_OK)
			return st;
	}
	c->tail_i = fixed % 16;
	tweak_copy(c->tail, tweak, t, 16 * full, c->tail_i);
	c->tail_len = c->tail_i + 1 + c->b;
	return CP_OK;
}

/* S = R || CIPH(R xor [1]^16) || ..., cut to d bytes by the caller. */
static enum cp_status ff1_expand(struct cp_ff1 *f, const uint8_t *r, size_t d, uint8_t *s)
{
	size_t blocks = (d + 15) / 16;

	memcpy(s, r, 16);
	for (size_t j = 1; j < blocks; j++) {
		memcpy(s + 16 * j, r, 16);
		s[16 * j + 15] ^= (uint8_t)j;
	}
	return blocks > 1 ? ff1_aes(f, s + 16, 16 * (blocks - 1)) : CP_OK;
}

/*
 * One round's y, reduced to the M numerals it changes: PRF(P || Q) over the
 * numerals X that stay put, expanded to d bytes, taken mod radix^M.
 */
static enum cp_status ff1_round(struct cp_ff1 *f, struct ff1_call *c, unsigned int i,
				const uint16_t *x, size_t len, uint16_t *dg, size_t m)
{
	uint32_t l[FF1_LIMBS];
	uint8_t r[16], s[FF1_S_BLOCKS * 16];
	size_t nl;
	enum cp_status st;

	c->tail[c->tail_i] = (uint8_t)i;
	nl = num_radix(f, x, len, l);
	limbs_to_bytes(l, nl, c->tail + c->tail_i + 1, c->b);
	memcpy(r, c->mac, 16);
	for (size_t off = 0; off < c->tail_len; off += 16)
		if ((st = ff1_mac_block(f, r, c->tail + off)) != CP_OK)
			return st;
	if ((st = ff1_expand(f, r, c->d, s)) != CP_OK)
		return st;
	nl = bytes_to_limbs(s, c->d, l);
	low_digits(f, l, nl, dg, m);
	return CP_OK;
}

/* ------------------------------------------------------------- uint64 path */

#ifdef __SIZEOF_INT128__
static uint64_t pack(const struct cp_ff1 *f, const uint16_t *x, size_t len)
{
	uint64_t v = 0;

	for (size_t j = 0; j < len; j++)
		v = v * f->radix + x[j];
	return v;
}

/* STR^len_radix(V): hardware division only until V fits 32 bits. */
static void unpack(const struct cp_ff1 *f, uint64_t v, uint16_t *x, size_t len)
{
	while (len > 0 && v > UINT32_MAX) {
		size_t k = len < f->chunk ? len : f->chunk;
		uint32_t lo = (uint32_t)(v % f->pow[k]);

		v /= f->pow[k];
		for (size_t j = 0; j < k; j++) {
			uint32_t q = div_q(&f->by_radix, lo);

			x[--len] = (uint16_t)(lo - q * f->radix);
			lo = q;
		}
	}
	for (uint32_t w = (uint32_t)v; len > 0;) {
		uint32_t q = div_q(&f->by_radix, w);

		x[--len] = (uint16_t)(w - q * f->radix);
		w = q;
	}
}

/* (A + Y) mod M for A, Y < M, even when the sum passes 2^64. */
static uint64_t add_mod(uint64_t a, uint64_t y, uint64_t m)
{
	uint64_t s = a + y;

	return s < a || s >= m ? s - m : s;
}

/* ff1_round with X < 2^64: b <= 8 and d <= 12, so S is R alone. */
static enum cp_status ff1_round64(struct cp_ff1 *f, struct ff1_call *c, unsigned int i,
				  uint64_t x, uint64_t mod, uint64_t *y)
{
	unsigned __int128 yv;
	uint8_t r[16];
	enum cp_status st;

	c->tail[c->tail_i] = (uint8_t)i;
	for (size_t j = 0; j < c->b; j++)
		c->tail[c->tail_i + c->b - j] = (uint8_t)(x >> (8 * j));
	memcpy(r, c->mac, 16);
	for (size_t off = 0; off < c->tail_len; off += 16)
		if ((st = ff1_mac_block(f, r, c->tail + off)) != CP_OK)
			return st;
	/* d is 8 or 12 here. */
	yv = load_be32(r) << 32 | load_be32(r + 4);
	if (c->d == 12)
		yv = yv << 32 | load_be32(r + 8);
	*y = f->pow2 ? (uint64_t)yv & (mod - 1) : (uint64_t)(yv % mod);
	return CP_OK;
}
#endif

static enum cp_status ff1_check(const struct cp_ff1 *f, const uint8_t *tweak, size_t t,
				const uint16_t *x, size_t n, const uint16_t *y)
{
	if (f == NULL || x == NULL || y == NULL || (tweak == NULL && t != 0))
		return CP_E_INVALID_ARGUMENT;
	/* The P block carries t in four bytes. */
	if (n < f->minlen || n > FF1_MAXLEN || t > UINT32_MAX)
		return CP_E_INVALID_ARGUMENT;
	for (size_t j = 0; j < n; j++)
		if (x[j] >= f->radix)
			return CP_E_INVALID_ARGUMENT;
	return CP_OK;
}

/* ------------------------------------------------------------------- public */

static const EVP_CIPHER *ff1_cipher(size_t keylen)
{
	switch (keylen) {
	case 16:
		return EVP_aes_128_ecb();
	case 24:
		return EVP_aes_192_ecb();
	case 32:
		return EVP_aes_256_ecb();
	default:
		return NULL;
	}
}

static enum cp_status ff1_crypto_err(struct cp_err *err, const char *what)
{
	char buf[256];
	unsigned long e = ERR_peek_last_error();

	ERR_error_string_n(e, buf, sizeof buf);
	/* Leave no stale entries for the next libcrypto user on this thread. */
	ERR_clear_error();
	return cp_err_set(err, CP_E_CRYPTO, "ff1: %s: %s", what, e != 0 ? buf : "unknown error");
}

enum cp_status cp_ff1_create(struct cp_ff1 **out, const uint8_t *key, size_t keylen,
			     unsigned int radix, struct cp_err *err)
{
	const EVP_CIPHER *cipher = ff1_cipher(keylen);
	struct cp_ff1 *f;
	enum cp_status st;

	if (out == NULL)
		return cp_err_set(err, CP_E_INVALID_ARGUMENT, "ff1: no result pointer");
	*out = NULL;
	if (key == NULL || cipher == NULL)
		return cp_err_set(err, CP_E_INVALID_ARGUMENT,
				  "ff1: the key must be 16, 24 or 32 bytes, not %zu", keylen);
	if (radix < 2 || radix > FF1_RADIX_MAX)
		return cp_err_set(err, CP_E_INVALID_ARGUMENT,
				  "ff1: radix %u is outside 2..%u", radix, FF1_RADIX_MAX);
	if ((f = calloc(1, sizeof *f)) == NULL)
		return cp_err_set(err, CP_E_NOMEM, "ff1: out of memory");
	if ((f->ctx = EVP_CIPHER_CTX_new()) == NULL) {
		st = ff1_crypto_err(err, "EVP_CIPHER_CTX_new");
		goto fail;
	}
	if (EVP_EncryptInit_ex(f->ctx, cipher, NULL, key, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(f->ctx, 0) != 1) {
		st = ff1_crypto_err(err, "cannot key AES");
		goto fail;
	}
	ff1_tables(f, radix);
	*out = f;
	return CP_OK;

fail:
	cp_ff1_free(f);
	return st;
}

void cp_ff1_free(struct cp_ff1 *f)
{
	if (f == NULL)
		return;
	/* Frees and cleanses the key schedule. */
	EVP_CIPHER_CTX_free(f->ctx);
	free(f);
}

/*
 * The general path: halves as numeral strings, y in limbs. Both halves live in
 * two local buffers whose roles swap each round.
 */
static enum cp_status ff1_wide(struct cp_ff1 *f, struct ff1_call *c, const uint16_t *x,
			       uint16_t *y, bool decrypt)
{
	uint16_t buf[2][FF1_HALF_MAX], dg[FF1_HALF_MAX], *a = buf[0], *b = buf[1], *tp;
	size_t la = c->u, lb = c->v, tl;
	enum cp_status st;

	memcpy(a, x, la * sizeof *x);
	memcpy(b, x + la, lb * sizeof *x);
	for (unsigned int k = 0; k < FF1_ROUNDS; k++) {
		/* Encryption: A += y(B), then A = B, B = C. Decryption undoes it backwards. */
		if (decrypt)
			st = ff1_round(f, c, FF1_ROUNDS - 1 - k, a, la, dg, lb);
		else
			st = ff1_round(f, c, k, b, lb, dg, la);
		if (st != CP_OK)
			return st;
		if (decrypt)
			digits_sub(b, dg, lb, f->radix);
		else
			digits_add(a, dg, la, f->radix);
		tp = a, a = b, b = tp;
		tl = la, la = lb, lb = tl;
	}
	memcpy(y, a, la * sizeof *y);
	memcpy(y + la, b, lb * sizeof *y);
	return CP_OK;
}

#ifdef __SIZEOF_INT128__
/*
 * The same rounds with each half held as one uint64 number, for radix^v < 2^64:
 * every coupon format. Numerals are converted once per call, not per round.
 */
static enum cp_status ff1_narrow(struct cp_ff1 *f, struct ff1_call *c, const uint16_t *x,
				 uint16_t *y, bool decrypt)
{
	uint64_t a = pack(f, x, c->u), b = pack(f, x + c->u, c->v), t;
	uint64_t ma = f->pow64[c->u], mb = f->pow64[c->v], yv;
	enum cp_status st;

	for (unsigned int k = 0; k < FF1_ROUNDS; k++) {
		if (decrypt)
			st = ff1_round64(f, c, FF1_ROUNDS - 1 - k, a, mb, &yv);
		else
			st = ff1_round64(f, c, k, b, ma, &yv);
		if (st != CP_OK)
			return st;
		if (decrypt)
			b = b >= yv ? b - yv : b + (mb - yv);
		else
			a = add_mod(a, yv, ma);
		t = a, a = b, b = t;
		t = ma, ma = mb, mb = t;
	}
	unpack(f, a, y, c->u);
	unpack(f, b, y + c->u, c->v);
	return CP_OK;
}
#endif

/* X and Y may be the same array: X is read in full before Y is written. */
static enum cp_status ff1_crypt(struct cp_ff1 *f, const uint8_t *tweak, size_t tweaklen,
				const uint16_t *x, size_t n, uint16_t *y, bool decrypt)
{
	struct ff1_call c;
	enum cp_status st;

	if ((st = ff1_check(f, tweak, tweaklen, x, n, y)) != CP_OK)
		return st;
	if ((st = ff1_setup(f, &c, tweak, tweaklen, n)) != CP_OK)
		return st;
#ifdef __SIZEOF_INT128__
	if (c.v <= f->narrow_v)
		return ff1_narrow(f, &c, x, y, decrypt);
#endif
	return ff1_wide(f, &c, x, y, decrypt);
}

enum cp_status cp_ff1_encrypt(struct cp_ff1 *f, const uint8_t *tweak, size_t tweaklen,
			      const uint16_t *x, size_t n, uint16_t *y)
{
	return ff1_crypt(f, tweak, tweaklen, x, n, y, false);
}

enum cp_status cp_ff1_decrypt(struct cp_ff1 *f, const uint8_t *tweak, size_t tweaklen,
			      const uint16_t *x, size_t n, uint16_t *y)
{
	return ff1_crypt(f, tweak, tweaklen, x, n, y, true);
}
