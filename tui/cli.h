/*
 * couponadm's context and helpers, shared by the subcommands (tui/cmd_*.c) and
 * the console: the option file, the database opened on demand, who is acting,
 * and how a failure is reported and turned into an exit status.
 */
#ifndef CLI_H
#define CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "coupon.h"

#define EXIT_USAGE 2

struct cli {
	struct cp_config cfg;
	struct cp_db *db; /* opened on demand by cli_db() */
	const char *actor; /* who, for code_events and exports */
	bool quiet;
};

/* Opens the database once, checking the schema unless CHECK_SCHEMA is false. */
struct cp_db *cli_db(struct cli *, bool check_schema);
/* Prints "couponadm: MESSAGE" for a failure and returns the exit code for it. */
int cli_fail(enum cp_status, const struct cp_err *);
void cli_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The campaign named or numbered REF into C; else prints why and returns the exit code. */
int cli_campaign(struct cli *, const char *ref, struct cp_campaign *c);
/* --format: "table", "csv" or "json" into *F; false for anything else. */
enum cli_format { CLI_TABLE, CLI_CSV, CLI_JSON };
bool cli_format(const char *s, enum cli_format *f);
/* Writes S as a JSON string literal, escaped. */
void cli_json_str(FILE *, const char *s);
/* ,"reward":...,"min_order":...,"metadata":... (nulls when R->id is 0). */
void cli_json_reward(FILE *, const struct cp_reward *r);
/* "reward WHAT  ..." and, with a reward, its minimum order and metadata, a line each. */
void cli_text_reward(FILE *, const char *what, const struct cp_reward *r);

#endif
