/* Private to core/ and its tests: the plan MariaDB makes for a search's statement. */
#ifndef SEARCH_H
#define SEARCH_H

#include "coupon.h"

struct search_plan {
	char table[65], type[32], key[65], rows[24], extra[256];
};

/* EXPLAIN of the very statement cp_search_run would execute; FN per plan row. */
enum cp_status search_explain(struct cp_db *, const struct cp_search *,
			      void (*fn)(const struct search_plan *, void *), void *arg,
			      struct cp_err *);

#endif
