/* Test helper: prints N random valid codes of the default format, one a line. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>

#include "coupon.h"

int main(int argc, char **argv)
{
	struct cp_format f;
	uint64_t n;
	uint8_t digits[CP_BODY_MAX];
	char code[CP_CODE_MAX + 1];

	if (argc != 2 || cp_parse_uint(argv[1], 1, 10000000, &n, NULL) != CP_OK) {
		fprintf(stderr, "usage: mkcodes COUNT\n");
		return 2;
	}
	cp_format_default(&f);
	for (uint64_t i = 0; i < n; i++) {
		if (getrandom(digits, f.body_len, 0) != (ssize_t)f.body_len)
			return 1;
		for (unsigned int j = 0; j < f.body_len; j++)
			digits[j] %= 32; /* Crockford: radix 32, so no bias */
		cp_code_compose(&f, digits, code);
		puts(code);
	}
	return 0;
}
