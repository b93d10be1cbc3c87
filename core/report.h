/* Private to core/ and its tests: the plans MariaDB makes for a report's statements. */
#ifndef REPORT_H
#define REPORT_H

#include "coupon.h"
#include "search.h"

/*
 * EXPLAIN of each statement cp_report_make runs for CAMPAIGN over [SINCE, UNTIL);
 * FN gets the statement's name and the index it names.
 */
enum cp_status report_explain(struct cp_db *, uint32_t campaign, time_t since, time_t until,
			      void (*fn)(const char *what, const char *index,
				       const struct search_plan *, void *),
			      void *arg, struct cp_err *);

#endif
