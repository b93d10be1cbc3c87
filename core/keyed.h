/* Private to libcoupon: the keyed generator (FF1 over a global sequence). */
#ifndef KEYED_H
#define KEYED_H

#include "coupon.h"

#define KEYED_FP_HEX 16 /* fingerprint: first 8 bytes of SHA-256(key), hex */

struct keyed {
	struct cp_ff1 *ff1;
	const struct cp_format *fmt;
	unsigned int radix;
	char fingerprint[KEYED_FP_HEX + 1];
	uint8_t tweak[CP_PREFIX_MAX + CP_ALPHABET_MAX + 16];
	size_t tweaklen;
	uint64_t capacity; /* radix^body_len, saturated; sequence numbers stay below */
};

/*
 * Reads the key file named by the configuration: 64 hex digits (AES-256) and an
 * optional newline, mode 0600 or stricter. The key never leaves this module:
 * only its fingerprint does. CP_E_KEY_FILE with the reason otherwise.
 */
enum cp_status keyed_open(struct keyed *, const char *key_file, const struct cp_format *,
			  struct cp_err *);
void keyed_close(struct keyed *);
/* Writes the code for sequence number SEQ (< capacity) into OUT. */
enum cp_status keyed_code(struct keyed *, uint64_t seq, char *out, struct cp_err *);
/* Inverse, for tests and audits: the sequence number of normalised code CODE. */
enum cp_status keyed_seq(struct keyed *, const char *code, uint64_t *seq, struct cp_err *);

#endif
