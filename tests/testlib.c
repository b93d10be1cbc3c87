/* Test support: checks with line numbers and scratch databases. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "testlib.h"
#include "xmalloc.h"

unsigned int tl_checks, tl_failures;

static struct cp_config admin_cfg;
static char scratch[64];

void tl_fail(const char *file, int line, const char *fmt, ...)
{
	const char *base = strrchr(file, '/');
	va_list ap;

	tl_failures++;
	fprintf(stderr, "%s:%d: ", base ? base + 1 : file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

bool tl_check(const char *file, int line, bool ok, const char *fmt, ...)
{
	const char *base = strrchr(file, '/');
	va_list ap;

	tl_checks++;
	if (ok)
		return true;
	tl_failures++;
	fprintf(stderr, "%s:%d: ", base ? base + 1 : file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return false;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

size_t tl_mem_read(void *src, char *buf, size_t n)
{
	struct tl_mem *m = src;
	size_t k = n < m->n ? n : m->n;

	memcpy(buf, m->p, k);
	m->p += k;
	m->n -= k;
	return k;
}

uint32_t tl_rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1Du) >> 32);
}

void tl_rng_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)tl_rng();
}

int tl_done(const char *name)
{
	printf("%s: %u checks, %u failed\n", name, tl_checks, tl_failures);
	return tl_failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static void die(const char *what, const struct cp_err *e)
{
	fprintf(stderr, "testlib: %s: %s\n", what, e->msg);
	exit(99); /* automake: hard error */
}

void tl_exec(struct cp_db *db, const char *sql)
{
	struct cp_err e;

	cp_err_clear(&e);
	if (db_exec(db, sql, &e) != CP_OK)
		die(sql, &e);
}

long long tl_query_int(struct cp_db *db, const char *sql)
{
	MYSQL *m = db_mysql(db);
	MYSQL_RES *res;
	MYSQL_ROW row;
	long long v = -1;

	if (mysql_query(m, sql) != 0) {
		fprintf(stderr, "testlib: %s: %s\n", sql, mysql_error(m));
		exit(99);
	}
	if ((res = mysql_store_result(m)) == NULL)
		return -1;
	if ((row = mysql_fetch_row(res)) != NULL && row[0] != NULL)
		v = strtoll(row[0], NULL, 10);
	mysql_free_result(res);
	return v;
}

/* FMT with AP into SQL of SIZE bytes; a statement cut short is a hard error. */
static void format_sql(char *sql, size_t size, const char *fmt, va_list ap)
{
	int n = vsnprintf(sql, size, fmt, ap);

	if (n < 0 || (size_t)n >= size) {
		fprintf(stderr, "testlib: SQL longer than %zu bytes: %.60s...\n", size - 1, sql);
		exit(99);
	}
}

long long tl_query_intf(struct cp_db *db, const char *fmt, ...)
{
	char sql[1024];
	va_list ap;

	va_start(ap, fmt);
	format_sql(sql, sizeof sql, fmt, ap);
	va_end(ap);
	return tl_query_int(db, sql);
}

void tl_execf(struct cp_db *db, const char *fmt, ...)
{
	char sql[2048];
	va_list ap;

	va_start(ap, fmt);
	format_sql(sql, sizeof sql, fmt, ap);
	va_end(ap);
	tl_exec(db, sql);
}

static void drop_scratch(void)
{
	struct cp_db *db;
	struct cp_err e;
	char sql[128];

	if (getenv("COUPON_TEST_KEEP") != NULL || scratch[0] == '\0')
		return;
	if (cp_db_open(&db, &admin_cfg, "coupon-test", &e) != CP_OK)
		return;
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS `%s`", scratch);
	db_exec(db, sql, &e);
	cp_db_close(db);
	cp_library_end();
}

static const char *test_config(void)
{
	const char *file = getenv("COUPON_TEST_CONFIG");
	const char *ci = getenv("CI");

	if (file != NULL && *file != '\0')
		return file;
	if (ci != NULL && *ci != '\0' && strcmp(ci, "false") != 0) {
		fprintf(stderr, "COUPON_TEST_CONFIG is not set, and CI needs the integration "
				"tests: run them through ./quickstart test\n");
		exit(99);
	}
	fprintf(stderr, "SKIP: COUPON_TEST_CONFIG is not set (./quickstart test sets it)\n");
	exit(TL_SKIP);
}

void tl_db_config(const char *name, struct cp_config *cfg)
{
	const char *file = test_config();
	struct cp_db *db;
	struct cp_err e;
	char sql[160];

	cp_err_clear(&e);
	if (cp_library_init() != CP_OK)
		die("mysql_library_init", &e);
	cp_config_init(&admin_cfg);
	if (cp_config_load(&admin_cfg, file, &e) != CP_OK)
		die(file, &e);
	snprintf(scratch, sizeof scratch, "cpt_%s_%ld", name, (long)getpid());
	if (cp_db_open(&db, &admin_cfg, "coupon-test", &e) != CP_OK)
		die("connect", &e);
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS `%s`", scratch);
	tl_exec(db, sql);
	snprintf(sql, sizeof sql, "CREATE DATABASE `%s`", scratch);
	tl_exec(db, sql);
	cp_db_close(db);
	atexit(drop_scratch);

	cp_config_init(cfg);
	if (cp_config_load(cfg, file, &e) != CP_OK)
		die(file, &e);
	free(cfg->database);
	cfg->database = xstrdup(scratch);
}

struct cp_db *tl_db_open(const struct cp_config *cfg)
{
	struct cp_db *db;
	struct cp_err e;

	cp_err_clear(&e);
	if (cp_db_open(&db, cfg, "coupon-test", &e) != CP_OK)
		die("connect", &e);
	return db;
}

struct cp_db *tl_db_fresh(const char *name, struct cp_config *cfg)
{
	struct cp_db *db;
	struct cp_err e;

	tl_db_config(name, cfg);
	db = tl_db_open(cfg);
	cp_err_clear(&e);
	if (cp_migrate(db, NULL, NULL, &e) != CP_OK)
		die("migrate", &e);
	return db;
}
