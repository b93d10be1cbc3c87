/* Option-file parsing, for the [coupon] group and another program's, and number parsing. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

static const struct {
	int line;
	const char *text;
	enum cp_status want;
	const char *msg_has;
} files[] = {
	{__LINE__, "[coupon]\nthreads = 8\n", CP_OK, NULL},
	{__LINE__, "[client]\nbogus=1\n[coupon]\nthreads=8\n", CP_OK, NULL},
	{__LINE__, "# c\n; c\n[coupon]\nread_timeout = 7\nthreads=\"8\"\n", CP_OK, NULL},
	{__LINE__, "[coupon]\nthreads = 0\n", CP_E_INVALID_ARGUMENT, "out of range"},
	{__LINE__, "[coupon]\nthreads = 8x\n", CP_E_INVALID_ARGUMENT, "not a number"},
	{__LINE__, "[coupon]\nthreads = -1\n", CP_E_INVALID_ARGUMENT, "not a number"},
	{__LINE__, "[coupon]\nthreadz = 8\n", CP_E_INVALID_ARGUMENT, "unknown option 'threadz'"},
	{__LINE__, "[coupon]\nthreads\n", CP_E_INVALID_ARGUMENT, "needs a value"},
	{__LINE__, "[coupon\nthreads=8\n", CP_E_INVALID_ARGUMENT, "unterminated group"},
	{__LINE__, "[coupon]\nssl-ca=/x\nsocket=/tmp/s\n", CP_OK, NULL},
	{__LINE__, "[coupon]\n!include /nonexistent/x.cnf\n", CP_E_IO, "No such file"},
	{__LINE__, "[coupon]\n!frobnicate\n", CP_E_INVALID_ARGUMENT, "unknown directive"},
	{__LINE__, "[coupon]\nidempotency-retention = 2h\n", CP_OK, NULL},
	{__LINE__, "[coupon]\nidempotency-retention = 2w\n", CP_E_INVALID_ARGUMENT, "duration"},
};

/*
 * cp_config_read_group(): another program's group (coupon-relay's), read by the
 * same rules. @INC@ stands for a second file holding INCLUDED. GOT lists what the
 * callback saw, "key=value;" or "key;" for a bare key; it knows batch, lease, id,
 * route and no-mandatory and refuses every other key.
 */
static const struct {
	int line;
	const char *text, *included;
	enum cp_status want;
	const char *got, *msg_has;
} groups[] = {
	{__LINE__, "[coupon]\nthreads=8\n[coupon-relay]\nbatch = 50\n", NULL, CP_OK, "batch=50;",
	 NULL},
	{__LINE__, "[coupon-relay]\nno-mandatory\nid = \"a b\"\nroute='x=y/z'\n", NULL, CP_OK,
	 "no-mandatory;id=a b;route=x=y/z;", NULL},
	{__LINE__, "[coupon-relay]\n# c\n; c\n\n  lease  =  5  \n[other]\nbogus=1\n", NULL, CP_OK,
	 "lease=5;", NULL},
	{__LINE__, "[coupon-relay]\nno_mandatory\nBATCH=1\nid=\n", NULL, CP_OK,
	 "no_mandatory;BATCH=1;id=;", NULL},
	{__LINE__, "[coupon-relay]\n!include @INC@\nbatch=2\n",
	 "[coupon-relay]\nlease=3\n[coupon]\nthreads=1\n", CP_OK, "lease=3;batch=2;", NULL},
	{__LINE__, "[coupon-relay]\nbatch=1\nbogus=2\nlease=3\n", NULL, CP_E_INVALID_ARGUMENT,
	 "batch=1;", ":3: unknown option 'bogus'"},
	{__LINE__, "[coupon-relay]\n!include @INC@\n", "\n[coupon-relay]\nbogus\n",
	 CP_E_INVALID_ARGUMENT, "", "@INC@:3: unknown option 'bogus'"},
	{__LINE__, "[coupon-relay]\nbatch=1\n[coupon-relay\n", NULL, CP_E_INVALID_ARGUMENT,
	 "batch=1;", ":3: unterminated group"},
	{__LINE__, "[coupon-relay]\n!includedir /nonexistent\n", NULL, CP_E_IO, "", ":2: "},
	{__LINE__, "[coupon-relay]\n!frobnicate\n", NULL, CP_E_INVALID_ARGUMENT, "",
	 ":2: unknown directive"},
};

static const struct {
	int line;
	const char *key, *name;
	bool want;
} keys[] = {
	{__LINE__, "read-timeout", "read-timeout", true},
	{__LINE__, "read_timeout", "read-timeout", true},
	{__LINE__, "Read_Timeout", "read-timeout", true},
	{__LINE__, "read-timeou", "read-timeout", false},
	{__LINE__, "read-timeoutx", "read-timeout", false},
	{__LINE__, "readtimeout", "read-timeout", false},
	{__LINE__, "", "read-timeout", false},
};

static const struct {
	int line;
	const char *in;
	uint64_t min, max;
	enum cp_status want;
	uint64_t value;
} numbers[] = {
	{__LINE__, "0", 0, 10, CP_OK, 0},
	{__LINE__, "10", 0, 10, CP_OK, 10},
	{__LINE__, "11", 0, 10, CP_E_INVALID_ARGUMENT, 0},
	{__LINE__, "", 0, 10, CP_E_INVALID_ARGUMENT, 0},
	{__LINE__, " 1", 0, 10, CP_E_INVALID_ARGUMENT, 0},
	{__LINE__, "+1", 0, 10, CP_E_INVALID_ARGUMENT, 0},
	{__LINE__, "1 ", 0, 10, CP_E_INVALID_ARGUMENT, 0},
	{__LINE__, "18446744073709551615", 0, UINT64_MAX, CP_OK, UINT64_MAX},
	{__LINE__, "18446744073709551616", 0, UINT64_MAX, CP_E_INVALID_ARGUMENT, 0},
	{__LINE__, "0x10", 0, 100, CP_E_INVALID_ARGUMENT, 0},
};

static void test_files(void)
{
	char path[] = "/tmp/coupon-test-config-XXXXXX";
	struct cp_config c;
	struct cp_err e;

	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		int fd = mkstemp(path);
		enum cp_status st;

		if (fd < 0 || write(fd, files[i].text, strlen(files[i].text)) < 0)
			abort();
		close(fd);
		cp_config_init(&c);
		cp_err_clear(&e);
		st = cp_config_load(&c, path, &e);
		CHECK_AT(files[i].line, st == files[i].want, "got %s (%s)", cp_status_code(st),
			 e.msg);
		if (files[i].msg_has != NULL)
			CHECK_AT(files[i].line, strstr(e.msg, files[i].msg_has) != NULL,
				 "message '%s' lacks '%s'", e.msg, files[i].msg_has);
		if (st != CP_OK)
			CHECK_AT(files[i].line, strstr(e.msg, path) != NULL,
				 "message '%s' does not name the file", e.msg);
		cp_config_free(&c);
		unlink(path);
		memcpy(path + strlen(path) - 6, "XXXXXX", 6);
	}
}

static void test_values(void)
{
	char path[] = "/tmp/coupon-test-config-XXXXXX";
	const char text[] = "[coupon]\nthreads = 8\nread_timeout=7\nsite = 'https://shop'\n"
			    "idempotency-retention=2h\n[other]\nthreads=3\n";
	struct cp_config c;
	struct cp_err e;
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, text, sizeof text - 1) < 0)
		abort();
	close(fd);
	cp_config_init(&c);
	CHECK(c.body_max == 16384, "default body cap %zu", c.body_max);
	CHECK(cp_config_load(&c, path, &e) == CP_OK, "%s", e.msg);
	CHECK(c.threads == 8, "threads %u", c.threads);
	CHECK(c.read_timeout == 7, "read timeout %u", c.read_timeout);
	CHECK(c.site != NULL && strcmp(c.site, "https://shop") == 0, "site unquoted");
	CHECK(c.idempotency_retention == 7200, "retention %u", c.idempotency_retention);
	CHECK(cp_config_set(&c, "threads", "4", &e) == CP_OK && c.threads == 4, "flag override");
	cp_config_free(&c);
	unlink(path);

	cp_config_init(&c);
	CHECK(cp_config_load(&c, "/nonexistent/coupon.cnf", &e) == CP_E_IO, "missing file");
	cp_config_free(&c);
}

/* A password in a file others may read or anyone but the owner change is refused. */
static const struct {
	int line;
	const char *text;
	mode_t mode;
	enum cp_status want;
} secrets[] = {
	{__LINE__, "[coupon]\npassword = s3cret\n", 0600, CP_OK},
	{__LINE__, "[coupon]\npassword = s3cret\n", 0400, CP_OK},
	{__LINE__, "[coupon]\npassword = s3cret\n", 0640, CP_OK},
	{__LINE__, "[coupon]\npassword = s3cret\n", 0644, CP_E_INVALID_ARGUMENT},
	{__LINE__, "[coupon]\npassword = s3cret\n", 0604, CP_E_INVALID_ARGUMENT},
	{__LINE__, "[coupon]\npassword = s3cret\n", 0660, CP_E_INVALID_ARGUMENT},
	{__LINE__, "[coupon]\npassword = s3cret\n", 0602, CP_E_INVALID_ARGUMENT},
	{__LINE__, "[client]\npassword = s3cret\n[coupon]\nthreads = 2\n", 0644, CP_OK},
	{__LINE__, "[coupon]\nthreads = 2\n", 0666, CP_OK},
};

static void test_secret_modes(void)
{
	for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++) {
		char path[] = "/tmp/coupon-test-config-XXXXXX";
		int fd = mkstemp(path);
		struct cp_config c;
		struct cp_err e;
		enum cp_status st;

		if (fd < 0 || write(fd, secrets[i].text, strlen(secrets[i].text)) < 0 ||
		    fchmod(fd, secrets[i].mode) != 0)
			abort();
		close(fd);
		cp_config_init(&c);
		cp_err_clear(&e);
		st = cp_config_load(&c, path, &e);
		CHECK_AT(secrets[i].line, st == secrets[i].want, "mode %04o: got %s (%s)",
			 (unsigned int)secrets[i].mode, cp_status_code(st), e.msg);
		if (st != CP_OK)
			CHECK_AT(secrets[i].line, strstr(e.msg, path) != NULL &&
				 strstr(e.msg, "chmod 600") != NULL, "message '%s'", e.msg);
		cp_config_free(&c);
		unlink(path);
	}
}

static enum cp_status record(void *arg, const char *key, const char *value, struct cp_err *e)
{
	static const char *const known[] = {"batch", "lease", "id", "route", "no-mandatory"};
	char *got = arg;
	size_t n = strlen(got);

	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		if (!cp_config_key_is(key, known[i]))
			continue;
		if (value != NULL)
			snprintf(got + n, 256 - n, "%s=%s;", key, value);
		else
			snprintf(got + n, 256 - n, "%s;", key);
		return CP_OK;
	}
	return cp_err_set(e, CP_E_INVALID_ARGUMENT, "unknown option '%s'", key);
}

/* TMPL with @INC@ replaced by PATH. */
static void subst(char *out, size_t size, const char *tmpl, const char *path)
{
	const char *at = strstr(tmpl, "@INC@");

	if (at == NULL)
		snprintf(out, size, "%s", tmpl);
	else
		snprintf(out, size, "%.*s%s%s", (int)(at - tmpl), tmpl, path, at + 5);
}

static void write_file(char *path, const char *text)
{
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		abort();
	close(fd);
}

static void test_groups(void)
{
	for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
		char path[] = "/tmp/coupon-test-config-XXXXXX", inc[] = "/tmp/coupon-test-inc-XXXXXX";
		char text[512], want[512], got[256] = "";
		struct cp_err e;
		enum cp_status st;

		if (groups[i].included != NULL)
			write_file(inc, groups[i].included);
		subst(text, sizeof text, groups[i].text, inc);
		write_file(path, text);
		cp_err_clear(&e);
		st = cp_config_read_group(path, "coupon-relay", record, got, &e);
		CHECK_AT(groups[i].line, st == groups[i].want, "got %s (%s)", cp_status_code(st),
			 e.msg);
		CHECK_AT(groups[i].line, strcmp(got, groups[i].got) == 0, "saw '%s', expected '%s'",
			 got, groups[i].got);
		if (groups[i].msg_has != NULL) {
			subst(want, sizeof want, groups[i].msg_has, inc);
			CHECK_AT(groups[i].line, strstr(e.msg, want) != NULL,
				 "message '%s' lacks '%s'", e.msg, want);
		}
		/* An error names the file it is in, the included one if it is there. */
		if (st != CP_OK)
			CHECK_AT(groups[i].line, strncmp(e.msg, path, strlen(path)) == 0 ||
				 strncmp(e.msg, inc, strlen(inc)) == 0,
				 "message '%s' does not start with a file name", e.msg);
		unlink(path);
		if (groups[i].included != NULL)
			unlink(inc);
	}
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		CHECK_AT(keys[i].line, cp_config_key_is(keys[i].key, keys[i].name) == keys[i].want,
			 "'%s' against '%s'", keys[i].key, keys[i].name);
}

static void test_numbers(void)
{
	for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
		uint64_t v = 0;
		struct cp_err e;
		enum cp_status st = cp_parse_uint(numbers[i].in, numbers[i].min, numbers[i].max,
						  &v, &e);

		CHECK_AT(numbers[i].line, st == numbers[i].want, "'%s': %s", numbers[i].in,
			 cp_status_code(st));
		if (st == CP_OK)
			CHECK_AT(numbers[i].line, v == numbers[i].value, "'%s' gave %llu",
				 numbers[i].in, (unsigned long long)v);
	}
}

static void test_status_table(void)
{
	for (unsigned int i = 0; i < CP_STATUS_COUNT; i++) {
		enum cp_status st = (enum cp_status)i;
		int http = cp_status_http(st);

		CHECK(cp_status_from_code(cp_status_code(st)) == st, "%s does not round-trip",
		      cp_status_code(st));
		CHECK(http >= 200 && http <= 599, "%s has HTTP status %d", cp_status_code(st), http);
	}
	CHECK(cp_status_http(CP_E_ALREADY_REDEEMED) == 409, "already_redeemed is not 409");
	CHECK(cp_status_from_code("nonsense") == CP_STATUS_COUNT, "unknown code parsed");
}

int main(void)
{
	test_files();
	test_values();
	test_secret_modes();
	test_groups();
	test_numbers();
	test_status_table();
	return tl_done("test_config");
}
