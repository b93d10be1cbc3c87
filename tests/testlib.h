/* Shared by the C tests: checks that carry __LINE__, and scratch databases. */
#ifndef TESTLIB_H
#define TESTLIB_H

#include "coupon.h"

/* Exit status automake reads as "skipped". */
#define TL_SKIP 77

extern unsigned int tl_checks, tl_failures;

void tl_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* CHECK(cond, fmt, ...): counts, and reports file:line on failure. */
#define CHECK(cond, ...)                                            \
	do {                                                        \
		tl_checks++;                                        \
		if (!(cond))                                        \
			tl_fail(__FILE__, __LINE__, __VA_ARGS__);   \
	} while (0)
/* Table rows carry their own line: CHECK_AT(row->line, cond, ...). */
#define CHECK_AT(line, cond, ...)                                   \
	do {                                                        \
		tl_checks++;                                        \
		if (!(cond))                                        \
			tl_fail(__FILE__, (line), __VA_ARGS__);     \
	} while (0)

/* CHECK_AT as a function that says whether it passed (for early returns). */
bool tl_check(const char *file, int line, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A request body in memory, read in pieces as a transport reads one (api_read_fn). */
struct tl_mem {
	const char *p;
	size_t n;
};
size_t tl_mem_read(void *src, char *buf, size_t n);

/* xorshift64*: reproducible inputs, so a failure can be replayed. */
uint32_t tl_rng(void);
void tl_rng_bytes(uint8_t *p, size_t n);

/* Prints "NAME: N checks, M failed" and returns the exit status. */
int tl_done(const char *name);

/*
 * A fresh, migrated database "cpt_NAME_PID" on the server that COUPON_TEST_CONFIG
 * reaches; CFG is initialised to use it. Dropped at exit unless COUPON_TEST_KEEP is
 * set. Without COUPON_TEST_CONFIG: exits TL_SKIP, or fails when CI is set.
 */
void tl_db_config(const char *name, struct cp_config *cfg);
struct cp_db *tl_db_open(const struct cp_config *cfg);
/* tl_db_config, then open and migrate: the usual start of an integration test. */
struct cp_db *tl_db_fresh(const char *name, struct cp_config *cfg);
/* Runs SQL on DB, failing the test on error. */
void tl_exec(struct cp_db *db, const char *sql);
/* tl_exec of the SQL that FMT and the arguments make (at most 2,047 bytes). */
void tl_execf(struct cp_db *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The first column of the first row of SQL as an integer (-1 for none or NULL). */
long long tl_query_int(struct cp_db *db, const char *sql);
/* tl_query_int of the SQL that FMT and the arguments make (at most 1,023 bytes). */
long long tl_query_intf(struct cp_db *db, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
