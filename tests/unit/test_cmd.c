/*
 * couponadm's subcommand table (tui/cmd.c): which entry a command line names,
 * and that each entry's synopsis and options say the same thing, so --help, the
 * usage errors and the man page (tests/cli/synopsis.sh) describe the parser.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "testlib.h"

static const struct {
	int line;
	const char *args; /* split at spaces */
	const char *entry; /* the name found; NULL for none */
	int words;
	bool known; /* when none: the first word begins a name */
} finds[] = {
	{__LINE__, "migrate", "migrate", 1, false},
	{__LINE__, "migrate --status", "migrate", 1, false},
	{__LINE__, "campaign create spring", "campaign create", 2, false},
	{__LINE__, "campaign list --json", "campaign list", 2, false},
	{__LINE__, "campaign", NULL, 0, true},
	{__LINE__, "campaign frob", NULL, 0, true},
	{__LINE__, "campaign --json list", NULL, 0, true},
	{__LINE__, "code redeem X", "code validate|redeem|reserve|confirm|release", 2, false},
	{__LINE__, "code release X", "code validate|redeem|reserve|confirm|release", 2, false},
	{__LINE__, "code expire X", "code unredeem|expire|unassign", 2, false},
	{__LINE__, "code unassign X", "code unredeem|expire|unassign", 2, false},
	{__LINE__, "assign --campaign x --users u --out o", "assign", 1, false},
	{__LINE__, "code redeem|expire X", NULL, 0, true},
	{__LINE__, "code rede X", NULL, 0, true},
	{__LINE__, "code", NULL, 0, true},
	{__LINE__, "expire --batch 1", "expire", 1, false},
	{__LINE__, "idempotency purge", "idempotency", 1, false},
	{__LINE__, "idempotency --older-than 1d purge", "idempotency", 1, false},
	{__LINE__, "apikey revoke shop", "apikey revoke", 2, false},
	{__LINE__, "campaign|code", NULL, 0, false},
	{__LINE__, "frobnicate", NULL, 0, false},
	{__LINE__, "", NULL, 0, false},
};

static void test_find(void)
{
	for (size_t i = 0; i < sizeof finds / sizeof finds[0]; i++) {
		char buf[128], *argv[8];
		int argc = 0, words = 0;
		bool known;
		const struct cmd_entry *e;

		snprintf(buf, sizeof buf, "%s", finds[i].args);
		for (char *t = strtok(buf, " "); t != NULL && argc < 8; t = strtok(NULL, " "))
			argv[argc++] = t;
		e = cmd_find(argc, argv, &words, &known);
		CHECK_AT(finds[i].line, (e == NULL) == (finds[i].entry == NULL), "'%s': %s",
			 finds[i].args, e != NULL ? e->name : "none");
		if (e != NULL && finds[i].entry != NULL) {
			CHECK_AT(finds[i].line, strcmp(e->name, finds[i].entry) == 0, "'%s': %s",
				 finds[i].args, e->name);
			CHECK_AT(finds[i].line, words == finds[i].words, "'%s': %d words",
				 finds[i].args, words);
		}
		if (e == NULL)
			CHECK_AT(finds[i].line, known == finds[i].known, "'%s': known %d",
				 finds[i].args, known);
	}
}

/* Whether "--NAME" occurs in S as a whole option, not as the start of a longer one. */
static bool mentions(const char *s, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = s; (p = strstr(p, "--")) != NULL; p += 2)
		if (strncmp(p + 2, name, n) == 0 && !isalnum((unsigned char)p[2 + n]) &&
		    p[2 + n] != '-')
			return true;
	return false;
}

static const struct option *long_option(const struct cmd_entry *e, const char *name, size_t n)
{
	for (const struct option *o = e->options; o != NULL && o->name != NULL; o++)
		if (strlen(o->name) == n && strncmp(o->name, name, n) == 0)
			return o;
	return NULL;
}

/* Every --option of the synopsis is parsed, and every parsed one is in the synopsis. */
static void test_options(const struct cmd_entry *e)
{
	for (const struct option *o = e->options; o != NULL && o->name != NULL; o++)
		CHECK(mentions(e->synopsis, o->name), "%s: --%s is not in its synopsis", e->name,
		      o->name);
	for (const char *p = e->synopsis; (p = strstr(p, "--")) != NULL;) {
		size_t n;

		p += 2;
		n = strspn(p, "abcdefghijklmnopqrstuvwxyz-");
		CHECK(long_option(e, p, n) != NULL, "%s: synopsis has --%.*s, which is not parsed",
		      e->name, (int)n, p);
	}
	/* A short option is another spelling of a long one. */
	for (const char *c = e->shortopts; c != NULL && *c != '\0'; c++) {
		const struct option *o = e->options;
		bool arg = c[1] == ':';

		while (o != NULL && o->name != NULL && o->val != *c)
			o++;
		CHECK(o != NULL && o->name != NULL &&
			      (o->has_arg == required_argument) == arg,
		      "%s: -%c is no long option's short form", e->name, *c);
		c += arg;
	}
}

static void test_entries(void)
{
	size_t n;
	const struct cmd_entry *const *t = cmd_entries(&n);

	CHECK(n > 0, "no entries");
	for (size_t i = 0; i < n; i++) {
		const struct cmd_entry *e = t[i];
		size_t len = strlen(e->summary);

		CHECK(e->exec != NULL, "%s: no handler", e->name);
		CHECK(len > 0 && len <= 72 && islower((unsigned char)e->summary[0]) &&
			      e->summary[len - 1] != '.',
		      "%s: a summary is one short line, lower case, no full stop", e->name);
		CHECK(strstr(e->synopsis, "  ") == NULL && e->synopsis[0] != ' ',
		      "%s: synopsis spacing", e->name);
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(e->name, t[j]->name) != 0, "%s: twice", e->name);
		test_options(e);
	}
}

int main(void)
{
	test_find();
	test_entries();
	return tl_done("test_cmd");
}
