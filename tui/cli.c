/* couponadm's helpers for the subcommands and the console (see cli.h). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "text.h"
#include "xmalloc.h"

void cli_warnx(const char *fmt, ...)
{
	va_list ap;

	fputs("couponadm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_fail(enum cp_status st, const struct cp_err *e)
{
	cli_warnx("%s", e != NULL && e->msg[0] != '\0' ? e->msg : cp_status_message(st));
	return st == CP_E_INVALID_ARGUMENT ? EXIT_USAGE : EXIT_FAILURE;
}

struct cp_db *cli_db(struct cli *cli, bool check_schema)
{
	struct cp_err e;
	enum cp_status st;

	if (cli->db != NULL)
		return cli->db;
	cp_err_clear(&e);
	st = cp_db_open(&cli->db, &cli->cfg, "couponadm", &e);
	if (st == CP_OK)
		cp_db_set_actor(cli->db, cli->actor);
	if (st == CP_OK && check_schema)
		st = cp_schema_check(cli->db, &e);
	if (st != CP_OK) {
		cli_fail(st, &e);
		cp_db_close(cli->db);
		cli->db = NULL;
	}
	return cli->db;
}

int cli_campaign(struct cli *cli, const char *ref, struct cp_campaign *c)
{
	struct cp_db *db = cli_db(cli, true);
	struct cp_err e;
	enum cp_status st;

	if (db == NULL)
		return EXIT_FAILURE;
	cp_err_clear(&e);
	if ((st = cp_campaign_find(db, ref, c, &e)) != CP_OK)
		return cli_fail(st, &e);
	return EXIT_SUCCESS;
}

void cli_json_str(FILE *f, const char *s)
{
	size_t len = strlen(s), n = text_json_str(NULL, 0, s, len);
	char *lit = xmalloc(n + 1);

	text_json_str(lit, n + 1, s, len);
	fwrite(lit, 1, n, f);
	free(lit);
}

void cli_json_reward(FILE *f, const struct cp_reward *r)
{
	char members[CP_REWARD_MEMBERS_MAX];

	cp_reward_members(r, members, sizeof members);
	fprintf(f, ",%s", members);
}

void cli_text_reward(FILE *f, const char *what, const struct cp_reward *r)
{
	char text[128], min[64];

	cp_reward_text(r, text, sizeof text);
	cp_money_text(&r->min_order, min, sizeof min);
	fprintf(f, "reward%-10s%s\n", what, r->id != 0 ? text : "none");
	if (r->id == 0)
		return;
	fprintf(f, "min order       %s\n", min);
	fprintf(f, "metadata        %s\n", r->metadata[0] != '\0' ? r->metadata : "none");
}

bool cli_format(const char *s, enum cli_format *f)
{
	static const char *const names[] = {"table", "csv", "json"};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(s, names[i]) == 0) {
			*f = (enum cli_format)i;
			return true;
		}
	return false;
}
