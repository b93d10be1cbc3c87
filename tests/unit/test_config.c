/* Option-file parsing and number parsing. */
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
	test_numbers();
	test_status_table();
	return tl_done("test_config");
}
