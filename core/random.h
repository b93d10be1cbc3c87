/* Private to libcoupon: unbiased random code bodies for the generator. */
#ifndef RANDOM_H
#define RANDOM_H

#include "coupon.h"

#define RND_BUF 65536

/*
 * A source of uniformly distributed symbol values 0..radix-1. Bytes come from
 * getrandom() 64 KiB at a time (one system call per code is 6x slower); values
 * are unbiased by rejection sampling when the radix is not a power of two.
 *
 * Tests may ask for a deterministic source instead (rnd_init_test): a
 * splitmix64 stream whose blocks of PERIOD bodies each occur twice, so a test
 * can force duplicates within a chunk and against stored codes. Never used by
 * the programs.
 */
struct rnd {
	unsigned int radix;
	unsigned int limit; /* bytes >= limit are rejected */
	unsigned int mask;  /* radix - 1 when the radix is a power of two, else 0 */
	size_t pos, len;
	bool test;
	uint64_t seed, state, produced;
	unsigned int period, body_len;
	uint8_t buf[RND_BUF];
};

void rnd_init(struct rnd *, unsigned int radix);
void rnd_init_test(struct rnd *, unsigned int radix, uint64_t seed, unsigned int period);
/* Fills DIGITS[0..n) with symbol values. CP_E_IO if getrandom fails. */
enum cp_status rnd_body(struct rnd *, uint8_t *digits, size_t n, struct cp_err *);
/* Wipes the buffered randomness. */
void rnd_done(struct rnd *);

#endif
