/* couponadm: shared by the subcommands and the console. */
#ifndef CLI_H
#define CLI_H

#include "coupon.h"

#define EXIT_USAGE 2

struct cli {
	struct cp_config cfg;
	struct cp_db *db; /* opened on demand by cli_db() */
	const char *actor; /* who, for code_events and exports */
	bool quiet;
};

struct cli_command {
	const char *name;
	int (*run)(struct cli *, int argc, char **argv);
	const char *usage;
	const char *summary;
};

/* Opens the database once, checking the schema unless CHECK_SCHEMA is false. */
struct cp_db *cli_db(struct cli *, bool check_schema);
/* Prints "couponadm: MESSAGE" for a failure and returns the exit code for it. */
int cli_fail(enum cp_status, const struct cp_err *);
/* Prints "usage: couponadm USAGE" and returns EXIT_USAGE. */
int cli_usage(const char *usage);
void cli_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int cmd_migrate(struct cli *, int, char **);

#endif
