/*
 * The keyed generator: sequence number -> body_len numerals in the alphabet's
 * radix -> FF1 (SP 800-38G, AES-256) -> body, then the check character. FF1 is
 * a permutation of the radix^body_len bodies, so distinct numbers give distinct
 * codes with no retries, and without the key the codes are unguessable.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "format_internal.h"
#include "keyed.h"
#include "text.h"

#define KEY_BYTES 32

static enum cp_status parse_key(const char *text, size_t len, uint8_t *key,
				const char *path, struct cp_err *e)
{
	if (len > 0 && text[len - 1] == '\n')
		len--;
	if (len > 0 && text[len - 1] == '\r')
		len--;
	if (len != 2 * KEY_BYTES)
		return cp_err_set(e, CP_E_KEY_FILE,
				  "key file %s: expected 64 hex digits (AES-256), found %zu "
				  "characters", path, len);
	for (size_t i = 0; i < KEY_BYTES; i++) {
		int hi = text_hexval(text[2 * i]), lo = text_hexval(text[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return cp_err_set(e, CP_E_KEY_FILE,
					  "key file %s: not a hex digit at offset %zu", path,
					  2 * i + (hi < 0 ? 0 : 1));
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	return CP_OK;
}

/* The file must be a regular file that no one but its owner may read or write. */
static enum cp_status check_mode(int fd, const char *path, struct cp_err *e)
{
	struct stat sb;

	if (fstat(fd, &sb) != 0)
		return cp_err_set(e, CP_E_KEY_FILE, "key file %s: %s", path, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return cp_err_set(e, CP_E_KEY_FILE, "key file %s: not a regular file", path);
	if ((sb.st_mode & 077) != 0)
		return cp_err_set(e, CP_E_KEY_FILE,
				  "key file %s: mode %04o lets others read or change it; "
				  "chmod 600 it", path, (unsigned int)(sb.st_mode & 07777));
	return CP_OK;
}

static enum cp_status read_key(const char *path, uint8_t *key, struct cp_err *e)
{
	char text[2 * KEY_BYTES + 8];
	enum cp_status st;
	ssize_t n;
	int fd;

	if (path == NULL || *path == '\0')
		return cp_err_set(e, CP_E_KEY_FILE,
				  "no key file configured: set key-file in the [coupon] group "
				  "(or --set key-file=PATH)");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return cp_err_set(e, CP_E_KEY_FILE, "key file %s: %s", path, strerror(errno));
	if ((st = check_mode(fd, path, e)) == CP_OK) {
		do
			n = read(fd, text, sizeof text);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			st = cp_err_set(e, CP_E_KEY_FILE, "key file %s: %s", path, strerror(errno));
		else
			st = parse_key(text, (size_t)n, key, path, e);
	}
	close(fd);
	OPENSSL_cleanse(text, sizeof text);
	return st;
}

static void fingerprint(const uint8_t *key, char *out)
{
	uint8_t md[SHA256_DIGEST_LENGTH];

	SHA256(key, KEY_BYTES, md);
	text_hex(out, md, KEYED_FP_HEX / 2);
	OPENSSL_cleanse(md, sizeof md);
}

/* Different formats (prefix, alphabet) get unrelated permutations. */
static void make_tweak(struct keyed *k, const struct cp_format *fmt)
{
	int n = snprintf((char *)k->tweak, sizeof k->tweak, "coupon/%s/%s", fmt->prefix,
			 fmt->alphabet);

	k->tweaklen = n < 0 ? 0 : (size_t)n;
}

enum cp_status keyed_open(struct keyed *k, const char *key_file, const struct cp_format *fmt,
			  struct cp_err *e)
{
	uint8_t key[KEY_BYTES];
	enum cp_status st;

	memset(k, 0, sizeof *k);
	k->fmt = fmt;
	k->radix = cp_format_radix(fmt);
	k->capacity = cp_format_capacity(fmt);
	make_tweak(k, fmt);
	if ((st = read_key(key_file, key, e)) != CP_OK)
		return st;
	fingerprint(key, k->fingerprint);
	st = cp_ff1_create(&k->ff1, key, sizeof key, k->radix, e);
	OPENSSL_cleanse(key, sizeof key);
	return st;
}

void keyed_close(struct keyed *k)
{
	cp_ff1_free(k->ff1);
	k->ff1 = NULL;
}

enum cp_status keyed_code(struct keyed *k, uint64_t seq, char *out, struct cp_err *e)
{
	unsigned int n = k->fmt->body_len;
	uint16_t x[CP_BODY_MAX] = {0}, y[CP_BODY_MAX] = {0};
	uint8_t digits[CP_BODY_MAX];
	enum cp_status st;

	if (seq >= k->capacity)
		return cp_err_set(e, CP_E_CAPACITY,
				  "sequence number %llu does not fit a body of %u symbols",
				  (unsigned long long)seq, n);
	/* Most significant numeral first, as FF1's NUM_radix reads them. */
	for (unsigned int i = n; i-- > 0; seq /= k->radix)
		x[i] = (uint16_t)(seq % k->radix);
	if ((st = cp_ff1_encrypt(k->ff1, k->tweak, k->tweaklen, x, n, y)) != CP_OK)
		return cp_err_set(e, st, "FF1 encryption failed");
	for (unsigned int i = 0; i < n; i++)
		digits[i] = (uint8_t)y[i];
	cp_code_compose(k->fmt, digits, out);
	return CP_OK;
}

enum cp_status keyed_seq(struct keyed *k, const char *code, uint64_t *seq, struct cp_err *e)
{
	size_t plen = strlen(k->fmt->prefix);
	unsigned int n = k->fmt->body_len;
	uint16_t x[CP_BODY_MAX] = {0}, y[CP_BODY_MAX] = {0};
	enum cp_status st;

	if (strlen(code) < plen + n)
		return cp_err_set(e, CP_E_INVALID_CODE, "code too short");
	for (unsigned int i = 0; i < n; i++) {
		int v = cp_format_symbol_value(k->fmt, code[plen + i]);

		if (v < 0)
			return cp_err_set(e, CP_E_INVALID_CODE, "not a symbol of the alphabet");
		y[i] = (uint16_t)v;
	}
	if ((st = cp_ff1_decrypt(k->ff1, k->tweak, k->tweaklen, y, n, x)) != CP_OK)
		return cp_err_set(e, st, "FF1 decryption failed");
	*seq = 0;
	for (unsigned int i = 0; i < n; i++)
		*seq = *seq * k->radix + x[i];
	return CP_OK;
}
