/* Private to core/ and its tests: the plan MariaDB makes for a search's statement. */
#ifndef SEARCH_H
#define SEARCH_H

#include <mysql.h>

#include "coupon.h"

struct search_plan {
	char table[65], type[32], key[65], rows[24], extra[256];
};

/* The result columns of an EXPLAIN, bound into PL (report.c's plans too). */
struct search_plan_binds {
	struct search_plan pl;
	MYSQL_BIND b[10];
	unsigned long len[10];
	my_bool null[10];
	char skip[10][256];
};
void search_plan_bind(struct search_plan_binds *);
/* After each fetch: NULL columns as "". */
void search_plan_fetched(struct search_plan_binds *);

/* EXPLAIN of the very statement cp_search_run would execute; FN per plan row. */
enum cp_status search_explain(struct cp_db *, const struct cp_search *,
			      void (*fn)(const struct search_plan *, void *), void *arg,
			      struct cp_err *);

#endif
