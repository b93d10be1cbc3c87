/*
 * couponadm's table of subcommands and what is derived from it: dispatch, the
 * usage of a usage error, SUBCOMMAND --help, the list in --help and the
 * --synopsis dump the man page is checked against. The entries live beside
 * their handlers (tui/cmd_*.c); this is their order in help and man page.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

#define WIDTH 80 /* help and usage lines are wrapped before this column */

static const struct cmd_entry *const cmd_table[] = {
	&cmd_migrate_entry,
	&cmd_campaign_create_entry,
	&cmd_campaign_set_entry,
	&cmd_campaign_list_entry,
	&cmd_campaign_show_entry,
	&cmd_campaign_pause_entry,
	&cmd_campaign_resume_entry,
	&cmd_generate_entry,
	&cmd_import_entry,
	&cmd_export_entry,
	&cmd_expire_entry,
	&cmd_assign_entry,
	&cmd_code_show_entry,
	&cmd_code_op_entry,
	&cmd_code_admin_entry,
	&cmd_redemptions_entry,
	&cmd_report_entry,
	&cmd_apikey_create_entry,
	&cmd_apikey_list_entry,
	&cmd_apikey_revoke_entry,
	&cmd_idempotency_entry,
	&cmd_stats_entry,
	&cmd_audit_entry,
};
#define NCMDS (sizeof cmd_table / sizeof cmd_table[0])

static const struct option no_options[] = {{NULL, 0, NULL, 0}};

int cmd_getopt(const struct cmd_entry *e, int argc, char **argv)
{
	char spec[32]; /* the longest shortopts is a few letters */
	int ch;

	/* ':' first: a missing value is told apart from an unknown option. */
	snprintf(spec, sizeof spec, ":%s", e->shortopts != NULL ? e->shortopts : "");
	opterr = 0;
	ch = getopt_long(argc, argv, spec, e->options != NULL ? e->options : no_options, NULL);
	if (ch == ':')
		cli_warnx("%s: %s needs a value", e->name, argv[optind - 1]);
	else if (ch == '?')
		cli_warnx("%s: unknown option '%s'", e->name, argv[optind - 1]);
	return ch == ':' ? '?' : ch;
}

/*
 * Prints the words of TEXT[0..len) from column COL, breaking before WIDTH to
 * column INDENT; a bracketed group ("[--length N | --guess P]") is one word.
 */
static void put_words(FILE *f, size_t col, size_t indent, const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *w = p;
		int depth = 0;

		for (; p < end && (*p != ' ' || depth > 0); p++)
			depth += *p == '[' ? 1 : *p == ']' ? -1 : 0;
		if (col > indent && col + 1 + (size_t)(p - w) > WIDTH) {
			fprintf(f, "\n%*s", (int)indent, "");
			col = indent;
		} else {
			fputc(' ', f);
			col++;
		}
		fwrite(w, 1, (size_t)(p - w), f);
		col += (size_t)(p - w);
		while (p < end && *p == ' ')
			p++;
	}
}

/* LEAD, the name and one form, wrapped; continuation lines line up after the name. */
static void put_form(FILE *f, const char *lead, const struct cmd_entry *e, const char *form,
		     size_t len)
{
	int col = fprintf(f, "%s%s", lead, e->name);
	size_t indent = (size_t)col + 1;

	if (indent > WIDTH / 2)
		indent = strlen(lead) + 8;
	put_words(f, (size_t)col, indent, form, len);
	fputc('\n', f);
}

/* The length of the synopsis form at FORM; *NEXT: the next form, NULL after the last. */
static size_t form_len(const char *form, const char **next)
{
	size_t len = strcspn(form, "\n");

	*next = form[len] != '\0' ? form + len + 1 : NULL;
	return len;
}

/* Every form of E, each after "usage: couponadm [options] " or its indent. */
static void put_usage(FILE *f, const struct cmd_entry *e, bool *first)
{
	for (const char *form = e->synopsis, *next; form != NULL; form = next) {
		size_t len = form_len(form, &next);

		put_form(f, *first ? "usage: couponadm [options] " : "       couponadm [options] ",
			 e, form, len);
		*first = false;
	}
}

int cmd_usage(const struct cmd_entry *e)
{
	bool first = true;

	put_usage(stderr, e, &first);
	return EXIT_USAGE;
}

void cmd_list(FILE *f)
{
	for (size_t i = 0; i < NCMDS; i++) {
		for (const char *form = cmd_table[i]->synopsis, *next; form != NULL; form = next) {
			size_t len = form_len(form, &next);

			put_form(f, "  ", cmd_table[i], form, len);
		}
		fprintf(f, "      %s\n", cmd_table[i]->summary);
	}
}

void cmd_synopsis(FILE *f)
{
	fprintf(f, "couponadm [options]\n");
	for (size_t i = 0; i < NCMDS; i++) {
		for (const char *form = cmd_table[i]->synopsis, *next; form != NULL; form = next) {
			size_t len = form_len(form, &next);

			fprintf(f, "couponadm [options] %s%s%.*s\n", cmd_table[i]->name,
				len > 0 ? " " : "", (int)len, form);
		}
	}
}

/* Whether ARG is one of the '|'-separated alternatives of WORD[0..len). */
static bool word_is(const char *word, size_t len, const char *arg)
{
	size_t n = strlen(arg);

	for (const char *p = word, *end = word + len; p <= end;) {
		const char *bar = memchr(p, '|', (size_t)(end - p));
		size_t alt = (size_t)((bar != NULL ? bar : end) - p);

		if (alt == n && memcmp(p, arg, n) == 0)
			return true;
		if (bar == NULL)
			break;
		p = bar + 1;
	}
	return false;
}

/* How many leading words of E's name ARGV gives; *WORDS: how many it has. */
static int name_matches(const struct cmd_entry *e, int argc, char **argv, int *words)
{
	const char *p = e->name;
	int matched = 0;

	for (*words = 0;; p += strcspn(p, " ") + 1) {
		size_t n = strcspn(p, " ");

		if (matched == *words && matched < argc && word_is(p, n, argv[matched]))
			matched++;
		++*words;
		if (p[n] == '\0')
			return matched;
	}
}

/* --help anywhere among the arguments (before "--") asks for help. */
static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0)
			return true;
	return false;
}

static int run_entry(const struct cmd_entry *e, struct cli *cli, int argc, char **argv)
{
	bool first = true;

	if (wants_help(argc, argv)) {
		put_usage(stdout, e, &first);
		printf("\n%s\nSee couponadm(1).\n", e->summary);
		return EXIT_SUCCESS;
	}
	optind = 0; /* getopt starts afresh after argv[0] */
	return e->exec(e, cli, argc, argv);
}

/* COMMAND alone, or COMMAND with an unknown second word: the forms of COMMAND. */
static int group_usage(int argc, char **argv)
{
	FILE *f = argc > 1 && strcmp(argv[1], "--help") == 0 ? stdout : stderr;
	bool first = true;
	int words;

	if (f == stderr && argc > 1)
		cli_warnx("unknown %s command '%s'", argv[0], argv[1]);
	for (size_t i = 0; i < NCMDS; i++)
		if (name_matches(cmd_table[i], 1, argv, &words) == 1)
			put_usage(f, cmd_table[i], &first);
	return f == stdout ? EXIT_SUCCESS : EXIT_USAGE;
}

const struct cmd_entry *cmd_find(int argc, char **argv, int *words, bool *known)
{
	*known = false;
	for (size_t i = 0; i < NCMDS; i++) {
		int m = name_matches(cmd_table[i], argc, argv, words);

		if (m == *words)
			return cmd_table[i];
		*known = *known || m > 0;
	}
	return NULL;
}

const struct cmd_entry *const *cmd_entries(size_t *n)
{
	*n = NCMDS;
	return cmd_table;
}

int cmd_run(struct cli *cli, int argc, char **argv)
{
	const struct cmd_entry *e;
	bool known;
	int words;

	if ((e = cmd_find(argc, argv, &words, &known)) != NULL)
		return run_entry(e, cli, argc - (words - 1), argv + (words - 1));
	if (known)
		return group_usage(argc, argv);
	cli_warnx("unknown command '%s' (see couponadm --help)", argv[0]);
	return EXIT_USAGE;
}
