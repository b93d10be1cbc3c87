/*
 * Unit tests of the import reader (core/import_csv.c) and of the external code
 * format (core/format.c): table-driven, each row its line. Every input is also
 * fed one byte at a time, so a record split across reads reads the same.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "coupon.h"
#include "import.h"
#include "testlib.h"

#define check(line, ok, ...) tl_check(__FILE__, (line), (ok), __VA_ARGS__)

/* The records as "line:code|expires|metadata;" ("-" for a column the file lacks). */
struct seen {
	char out[512];
};

static void put_field(struct seen *s, const struct imp_record *r, int col)
{
	size_t o = strlen(s->out);

	if (r->field[col] == NULL)
		snprintf(s->out + o, sizeof s->out - o, "-");
	else
		snprintf(s->out + o, sizeof s->out - o, "%.*s", (int)r->len[col], r->field[col]);
}

static enum cp_status on_record(const struct imp_record *r, void *arg, struct cp_err *e)
{
	struct seen *s = arg;
	size_t o = strlen(s->out);

	(void)e;
	snprintf(s->out + o, sizeof s->out - o, "%llu:", (unsigned long long)r->line);
	put_field(s, r, IMP_CODE);
	strncat(s->out, "|", sizeof s->out - strlen(s->out) - 1);
	put_field(s, r, IMP_EXPIRES);
	strncat(s->out, "|", sizeof s->out - strlen(s->out) - 1);
	put_field(s, r, IMP_METADATA);
	strncat(s->out, ";", sizeof s->out - strlen(s->out) - 1);
	return CP_OK;
}

/* Reads IN whole (STEP 0) or STEP bytes at a time: the records, or the error. */
static void read_all(const char *in, size_t step, struct seen *s, struct cp_err *e,
		     enum cp_status *st)
{
	static struct imp_parser p;
	size_t n = strlen(in);

	memset(s, 0, sizeof *s);
	cp_err_clear(e);
	imp_init(&p);
	*st = CP_OK;
	for (size_t i = 0; i < n && *st == CP_OK; i += step ? step : n)
		*st = imp_feed(&p, in + i, step && n - i > step ? step : n - i, on_record, s, e);
	if (*st == CP_OK)
		*st = imp_end(&p, on_record, s, e);
}

static const struct {
	int line;
	const char *in;
	const char *records; /* NULL: an error */
	const char *error;   /* a part of it */
} reads[] = {
	{__LINE__, "A1\nB2\n", "1:A1|-|-;2:B2|-|-;", NULL},
	{__LINE__, "A1\r\nB2", "1:A1|-|-;2:B2|-|-;", NULL},
	{__LINE__, "A1\n\n\nB2\n", "1:A1|-|-;4:B2|-|-;", NULL},
	{__LINE__, "", "", NULL},
	{__LINE__, "a,\"b\"\n", "1:a,\"b\"|-|-;", NULL}, /* plain: quotes are characters */
	{__LINE__, "code\nX\n", "2:X|-|-;", NULL},
	{__LINE__, "CODE,Expires_At\nX,2030-01-01\nY,\n", "2:X|2030-01-01|-;3:Y||-;", NULL},
	{__LINE__, "metadata,code\n\"{\"\"a\"\":1}\",K\n", "2:K|-|{\"a\":1};", NULL},
	{__LINE__, "code,metadata\nK,\"{\"\"a\"\":\n1}\"\nL,\n", "2:K|-|{\"a\":\n1};4:L|-|;", NULL},
	{__LINE__, "\"code\"\n\"A,B\"\n", "2:A,B|-|-;", NULL},
	{__LINE__, "code,expiry\nX,1\n", NULL, "line 1: unknown column 'expiry'"},
	{__LINE__, "code,code\n", NULL, "line 1: column code given twice"},
	{__LINE__, "code\nX\n\"Y\n", NULL, "line 3: broken CSV quote: a quoted field is not closed"},
	{__LINE__, "code\n\"Y\"z\n", NULL, "line 2: broken CSV quote: text after a closing quote"},
	{__LINE__, "code\nY\"z\n", NULL, "line 2: broken CSV quote"},
	{__LINE__, "code,expires_at\nX\n", NULL, "line 2: 1 fields, the header has 2"},
	{__LINE__, "code\nX,Y\n", NULL, "line 2: 2 fields, the header has 1"},
};

static void test_reads(void)
{
	static const size_t steps[] = {0, 1, 3};
	struct seen s;
	struct cp_err e;
	enum cp_status st;

	for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
		for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
			read_all(reads[i].in, steps[k], &s, &e, &st);
			if (reads[i].records != NULL)
				check(reads[i].line, st == CP_OK && strcmp(s.out, reads[i].records) == 0,
				      "step %zu: got '%s' (%s), want '%s'", steps[k], s.out, e.msg,
				      reads[i].records);
			else
				check(reads[i].line, st == CP_E_INVALID_IMPORT &&
				      strstr(e.msg, reads[i].error) != NULL,
				      "step %zu: got %s '%s', want '%s'", steps[k],
				      cp_status_code(st), e.msg, reads[i].error);
		}
	}
}

/* A line over the record limit is refused with its number, whatever follows. */
static void test_long_line(void)
{
	static char in[IMPORT_RECORD_MAX + 64];
	struct seen s;
	struct cp_err e;
	enum cp_status st;

	memcpy(in, "A\n", 2);
	memset(in + 2, 'x', IMPORT_RECORD_MAX + 10);
	memcpy(in + 2 + IMPORT_RECORD_MAX + 10, "\nB\n", 4);
	read_all(in, 0, &s, &e, &st);
	check(__LINE__, st == CP_E_INVALID_IMPORT && strstr(e.msg, "line 2: longer than") != NULL,
	      "got %s '%s'", cp_status_code(st), e.msg);
}

enum { X_FOLD, X_CASE, X_KEEP, X_CASE_KEEP };
static const struct cp_format ext[] = {
	[X_FOLD] = {.external = true, .ignore_separators = true},
	[X_CASE] = {.external = true, .case_sensitive = true, .ignore_separators = true},
	[X_KEEP] = {.external = true},
	[X_CASE_KEEP] = {.external = true, .case_sensitive = true},
};

static const struct {
	int line;
	int fmt;
	const char *in;
	const char *want; /* NULL: refused with ERROR */
	const char *error;
} externals[] = {
	{__LINE__, X_FOLD, "ab-cd 12", "ABCD12", NULL},
	{__LINE__, X_CASE, "ab-cd 12", "abcd12", NULL},
	{__LINE__, X_KEEP, "ab-cd 12", "AB-CD 12", NULL},
	{__LINE__, X_CASE_KEEP, "  ab-cd 12  ", "ab-cd 12", NULL},
	{__LINE__, X_CASE_KEEP, "!#$%&'()*+,./:;<=>?@[\\]^_`{|}~\"", "!#$%&'()*+,./:;<=>?@[\\]^_`{|}~\"", NULL},
	{__LINE__, X_FOLD, "x", "X", NULL},
	{__LINE__, X_FOLD, "- -", NULL, "empty"},
	{__LINE__, X_KEEP, "   ", NULL, "empty"},
	{__LINE__, X_FOLD, "ab\tc", NULL, "control byte 0x09 at position 3"},
	{__LINE__, X_FOLD, "ab\x7f", NULL, "control byte 0x7F"},
	{__LINE__, X_FOLD, "caf\xc3\xa9", NULL, "non-ASCII byte 0xC3 at position 4"},
	{__LINE__, X_FOLD, "1234567890123456789012345678901234567890123456789012345678901234",
	 "1234567890123456789012345678901234567890123456789012345678901234", NULL},
	{__LINE__, X_FOLD, "12345678901234567890123456789012345678901234567890123456789012345",
	 NULL, "longer than 64"},
	{__LINE__, X_FOLD, "1234-5678-9012-3456-7890-1234-5678-9012-3456-7890-1234-5678-9012-3456",
	 "12345678901234567890123456789012345678901234567890123456", NULL},
};

static void test_external(void)
{
	char out[CP_CODE_MAX + 1], disp[CP_DISPLAY_MAX + 1];
	struct cp_err e;
	enum cp_status st;

	for (size_t i = 0; i < sizeof externals / sizeof externals[0]; i++) {
		cp_err_clear(&e);
		st = cp_code_normalize(&ext[externals[i].fmt], externals[i].in,
				       strlen(externals[i].in), out, sizeof out, &e);
		if (externals[i].want != NULL) {
			check(externals[i].line, st == CP_OK && strcmp(out, externals[i].want) == 0,
			      "got %s '%s' (%s)", cp_status_code(st), out, e.msg);
			check(externals[i].line, cp_code_display(&ext[externals[i].fmt], out, disp,
								 sizeof disp) == CP_OK &&
				  strcmp(disp, out) == 0, "displayed as '%s'", disp);
		} else {
			check(externals[i].line, st == CP_E_INVALID_CODE &&
			      strstr(e.msg, externals[i].error) != NULL,
			      "got %s '%s', want '%s'", cp_status_code(st), e.msg, externals[i].error);
		}
	}
	check(__LINE__, cp_format_validate(&ext[X_FOLD], &e) == CP_OK, "%s", e.msg);
	check(__LINE__, cp_format_allows(&ext[X_FOLD], 1000000000, &e) == CP_OK, "%s", e.msg);
}

int main(void)
{
	test_reads();
	test_long_line();
	test_external();
	return tl_done("test_import");
}
