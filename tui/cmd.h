/*
 * couponadm's subcommands, each declared once: its name, the synopsis of each
 * form, a one-line summary, its options and its handler. --help, SUBCOMMAND
 * --help, the usage errors and the man page's SYNOPSIS (checked by
 * tests/cli/synopsis.sh against --synopsis) all come from these entries.
 */
#ifndef CMD_H
#define CMD_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cli.h"

struct cmd_entry {
	/* Words; a word may list alternatives: "code unredeem|expire". */
	const char *name;
	/* What follows the name, one form a line ("" for none): "--resume BATCH". */
	const char *synopsis;
	const char *summary;
	/* getopt_long's; every long option appears in the synopsis and back. */
	const char *shortopts;
	const struct option *options;
	/*
	 * ARGV[0] is the name's last word as typed ("redeem"); getopt is reset.
	 * Returns the exit status.
	 */
	int (*exec)(const struct cmd_entry *, struct cli *, int argc, char **argv);
};

/* getopt_long over the entry's options; '?' after saying what was wrong. */
int cmd_getopt(const struct cmd_entry *, int argc, char **argv);
/* Prints the entry's usage on stderr and returns EXIT_USAGE. */
int cmd_usage(const struct cmd_entry *);

/*
 * The entry ARGV names and how many words its name took, or NULL; then KNOWN
 * says whether ARGV[0] begins some name ("campaign frob").
 */
const struct cmd_entry *cmd_find(int argc, char **argv, int *words, bool *known);
/* The table, in help order. */
const struct cmd_entry *const *cmd_entries(size_t *n);
/* Runs the command ARGV names; usage errors and --help are answered here. */
int cmd_run(struct cli *, int argc, char **argv);
/* The commands, for couponadm --help. */
void cmd_list(FILE *);
/* "couponadm [options] NAME FORM", one a line, unwrapped: the man page's SYNOPSIS. */
void cmd_synopsis(FILE *);

extern const struct cmd_entry cmd_migrate_entry;
extern const struct cmd_entry cmd_campaign_create_entry;
extern const struct cmd_entry cmd_campaign_set_entry;
extern const struct cmd_entry cmd_campaign_list_entry;
extern const struct cmd_entry cmd_campaign_show_entry;
extern const struct cmd_entry cmd_campaign_pause_entry;
extern const struct cmd_entry cmd_campaign_resume_entry;
extern const struct cmd_entry cmd_generate_entry;
extern const struct cmd_entry cmd_import_entry;
extern const struct cmd_entry cmd_export_entry;
extern const struct cmd_entry cmd_expire_entry;
extern const struct cmd_entry cmd_assign_entry;
extern const struct cmd_entry cmd_code_show_entry;
extern const struct cmd_entry cmd_code_op_entry;
extern const struct cmd_entry cmd_code_admin_entry;
extern const struct cmd_entry cmd_redemptions_entry;
extern const struct cmd_entry cmd_report_entry;
extern const struct cmd_entry cmd_apikey_create_entry;
extern const struct cmd_entry cmd_apikey_list_entry;
extern const struct cmd_entry cmd_apikey_revoke_entry;
extern const struct cmd_entry cmd_idempotency_entry;
extern const struct cmd_entry cmd_stats_entry;
extern const struct cmd_entry cmd_audit_entry;

#endif
