/*
 * Random code bodies: getrandom() per 64 KiB, unbiased symbols by rejection
 * sampling. See random.h.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>

#include "random.h"

static void rnd_setup(struct rnd *r, unsigned int radix)
{
	memset(r, 0, offsetof(struct rnd, buf));
	r->radix = radix;
	/* Largest multiple of the radix that fits a byte: values above it would bias. */
	r->limit = 256 - 256 % radix;
	r->mask = (radix & (radix - 1)) == 0 ? radix - 1 : 0;
}

void rnd_init(struct rnd *r, unsigned int radix)
{
	rnd_setup(r, radix);
}

void rnd_init_test(struct rnd *r, unsigned int radix, uint64_t seed, unsigned int period)
{
	rnd_setup(r, radix);
	r->test = true;
	r->seed = seed;
	r->period = period ? period : 1;
}

static enum cp_status refill(struct rnd *r, struct cp_err *e)
{
	ssize_t n;

	do
		n = getrandom(r->buf, sizeof r->buf, 0);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return cp_err_set(e, CP_E_IO, "getrandom: %s", strerror(errno));
	r->len = (size_t)n;
	r->pos = 0;
	return CP_OK;
}

static enum cp_status next_value(struct rnd *r, uint8_t *v, struct cp_err *e)
{
	enum cp_status st;
	unsigned int b;

	for (;;) {
		if (r->pos == r->len && (st = refill(r, e)) != CP_OK)
			return st;
		b = r->buf[r->pos++];
		if (r->mask) {
			*v = (uint8_t)(b & r->mask);
			return CP_OK;
		}
		if (b < r->limit) {
			*v = (uint8_t)(b % r->radix);
			return CP_OK;
		}
	}
}

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* Blocks 2k and 2k+1 of PERIOD bodies are the same stream: every body twice. */
static void test_body(struct rnd *r, uint8_t *digits, size_t n)
{
	if (r->produced % r->period == 0)
		r->state = r->seed * 1000003u + r->produced / r->period / 2;
	for (size_t k = 0; k < n; k++)
		digits[k] = (uint8_t)(splitmix64(&r->state) % r->radix);
	r->produced++;
}

enum cp_status rnd_body(struct rnd *r, uint8_t *digits, size_t n, struct cp_err *e)
{
	enum cp_status st;

	if (r->test) {
		test_body(r, digits, n);
		return CP_OK;
	}
	for (size_t k = 0; k < n; k++)
		if ((st = next_value(r, &digits[k], e)) != CP_OK)
			return st;
	return CP_OK;
}

void rnd_done(struct rnd *r)
{
	OPENSSL_cleanse(r->buf, sizeof r->buf);
	r->pos = r->len = 0;
}
