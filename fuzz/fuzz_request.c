/*
 * libFuzzer target: a request-body parser, the form one (x-www-form-urlencoded)
 * or, built with FUZZ_JSON, the JSON one: fuzz_form and fuzz_json.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "text.h"

static const struct field fields[] = {
	{"code", FT_STR, 0, 128, true},
	{"user", FT_STR, 1, 64, false},
	{"order_id", FT_STR, 2, 64, false},
	{"ttl", FT_UINT, 3, 86400, false},
	{"json", FT_BOOL, 4, 0, false},
	{NULL, FT_STR, 0, 0, false},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The transport hands handlers a NUL-terminated copy of exactly the body. */
	char *body = malloc(size + 1);
	struct params p;
	struct cp_err e;

	memcpy(body, data, size);
	body[size] = '\0';
	memset(&p, 0, sizeof p);
#ifdef FUZZ_JSON
	if (http_parse_json(body, size, fields, true, &p, &e) == CP_OK) {
#else
	if (http_parse_form(body, size, fields, &p, &e) == CP_OK) {
#endif
		for (size_t i = 0; fields[i].name != NULL; i++) {
			const struct param *v = &p.v[fields[i].slot];

			if (v->set && fields[i].type == FT_STR &&
			    (!text_ok(v->s, v->len, 0) || v->len > fields[i].max))
				__builtin_trap();
		}
	}
	params_free(&p);
	free(body);
	return 0;
}
