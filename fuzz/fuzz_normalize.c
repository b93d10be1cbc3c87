/* libFuzzer target: the code normaliser, over several formats. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "coupon.h"

static const struct cp_format formats[] = {
	{CP_ALPHABET_CROCKFORD, "", 12, true, 4},
	{CP_ALPHABET_CROCKFORD, "SPRING", 10, true, 4},
	{"23456789ABCDEFGHJKLMNPQRSTUVWXYZ", "SOLO", 8, true, 3},
	{"0123456789", "", 16, true, 0},
	{"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", "X", 6, false, 2},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[CP_CODE_MAX + 1], again[CP_CODE_MAX + 1], shown[CP_DISPLAY_MAX + 1];
	struct cp_err e;

	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		const struct cp_format *f = &formats[i];

		if (cp_code_normalize(f, (const char *)data, size, out, sizeof out, &e) != CP_OK)
			continue;
		/* A normalised code is a fixed point, and its display form reads back to it. */
		if (cp_code_normalize(f, out, strlen(out), again, sizeof again, &e) != CP_OK ||
		    strcmp(out, again) != 0)
			__builtin_trap();
		if (cp_code_display(f, out, shown, sizeof shown) != CP_OK)
			__builtin_trap();
		if (cp_code_normalize(f, shown, strlen(shown), again, sizeof again, &e) != CP_OK ||
		    strcmp(out, again) != 0)
			__builtin_trap();
	}
	return 0;
}
