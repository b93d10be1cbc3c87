/*
 * couponadm assign: one code for each user of a list, for the mail campaign
 * that follows (core/assign.c does the work). The list is read whole and
 * checked before the first hand-out, so a bad line changes nothing; the CSV
 * is written beside OUT and renamed when complete. Run again after a kill, it
 * completes: a user who holds a code gets the same one back.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "xmalloc.h"

#define LINE_MAX_BYTES 4096

struct users {
	char **v;
	size_t n, cap;
	unsigned long *line; /* where each came from, for messages */
};

static void users_free(struct users *u)
{
	for (size_t i = 0; i < u->n; i++)
		free(u->v[i]);
	free(u->v);
	free(u->line);
}

/*
 * The first field of a CSV line (RFC 4180 quotes, "" for a quote) into OUT.
 * False with WHY for a broken quote.
 */
static bool first_field(const char *s, char *out, size_t outsz, const char **why)
{
	size_t n = 0;

	if (*s != '"') {
		while (*s != '\0' && *s != ',' && n + 1 < outsz)
			out[n++] = *s++;
		out[n] = '\0';
		return true;
	}
	for (s++;; s++) {
		if (*s == '\0') {
			*why = "a quote is not closed";
			return false;
		}
		if (*s == '"' && s[1] != '"')
			break;
		if (*s == '"')
			s++;
		if (n + 1 < outsz)
			out[n++] = *s;
	}
	out[n] = '\0';
	if (s[1] != '\0' && s[1] != ',') {
		*why = "text after a closing quote";
		return false;
	}
	return true;
}

/* One line: blank lines and a header "user_id" are skipped. False after saying why. */
static bool add_line(struct users *u, char *line, unsigned long no, const char *path)
{
	char user[LINE_MAX_BYTES];
	const char *why = NULL;
	struct cp_err e;
	size_t len = strlen(line);

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	if (len == 0)
		return true;
	if (!first_field(line, user, sizeof user, &why)) {
		cli_warnx("%s:%lu: %s", path, no, why);
		return false;
	}
	if (no == 1 && strcmp(user, "user_id") == 0)
		return true;
	cp_err_clear(&e);
	if (cp_check_ident("user_id", user, CP_USER_MAX, &e) != CP_OK) {
		cli_warnx("%s:%lu: %s", path, no, e.msg);
		return false;
	}
	if (u->n == u->cap) {
		u->cap = u->cap ? 2 * u->cap : 1024;
		u->v = xreallocarray(u->v, u->cap, sizeof *u->v);
		u->line = xreallocarray(u->line, u->cap, sizeof *u->line);
	}
	u->line[u->n] = no;
	u->v[u->n++] = xstrdup(user);
	return true;
}

static bool read_users(const char *path, struct users *u)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char line[LINE_MAX_BYTES + 2];
	unsigned long no = 0;
	bool ok = true;

	if (f == NULL) {
		cli_warnx("%s: %s", path, strerror(errno));
		return false;
	}
	while (ok && fgets(line, sizeof line, f) != NULL) {
		no++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			cli_warnx("%s:%lu: a line longer than %d bytes", path, no, LINE_MAX_BYTES);
			ok = false;
		} else {
			ok = add_line(u, line, no, path);
		}
	}
	if (ok && ferror(f)) {
		cli_warnx("%s: %s", path, strerror(errno));
		ok = false;
	}
	if (f != stdin)
		fclose(f);
	return ok;
}

/* A CSV field: quoted when it holds a comma, quote or line break. */
static void csv_field(FILE *out, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void csv_time(FILE *out, time_t t)
{
	char buf[32];
	struct tm tm;

	if (t != 0 && gmtime_r(&t, &tm) != NULL && strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm))
		fputs(buf, out);
}

/* Hands out in list order; the row of each user into OUT. */
static int hand_out(struct cli *cli, const struct cp_campaign *c, const struct users *u,
		    FILE *out, uint64_t *fresh)
{
	fputs("user_id,code,display,assigned_at,valid_until\n", out);
	for (size_t i = 0; i < u->n; i++) {
		struct cp_assign_req q = {.campaign_id = c->id, .user_id = u->v[i]};
		struct cp_assign_result r;
		struct cp_err e;
		enum cp_status st;

		cp_err_clear(&e);
		if ((st = cp_assign(cli->db, &q, &r, &e)) != CP_OK) {
			cli_warnx("line %lu (%s): %s: %s", u->line[i], u->v[i], cp_status_code(st),
				  e.msg[0] ? e.msg : cp_status_message(st));
			return st == CP_E_CAMPAIGN_EXHAUSTED ? EXIT_FAILURE : cli_fail(st, &e);
		}
		*fresh += !r.held;
		csv_field(out, u->v[i]);
		fprintf(out, ",%s,%s,", r.code, r.display);
		csv_time(out, r.assigned_at);
		fputc(',', out);
		csv_time(out, r.valid_until);
		fputc('\n', out);
	}
	return EXIT_SUCCESS;
}

static int assign(const struct cmd_entry *self, struct cli *cli, int argc, char **argv)
{
	const char *campaign = NULL, *list = NULL, *path = NULL;
	struct users u = {NULL, 0, 0, NULL};
	struct cp_campaign c;
	char tmp[4096];
	uint64_t fresh = 0;
	FILE *out;
	int ch, rc;

	while ((ch = cmd_getopt(self, argc, argv)) != -1) {
		if (ch == 'c')
			campaign = optarg;
		else if (ch == 'u')
			list = optarg;
		else if (ch == 'o')
			path = optarg;
		else
			return cmd_usage(self);
	}
	if (optind != argc || campaign == NULL || list == NULL || path == NULL)
		return cmd_usage(self);
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		return cli_warnx("--out: the path is too long"), EXIT_USAGE;
	if (!read_users(list, &u)) {
		users_free(&u);
		return EXIT_USAGE;
	}
	if ((rc = cli_campaign(cli, campaign, &c)) != EXIT_SUCCESS) {
		users_free(&u);
		return rc;
	}
	if ((out = fopen(tmp, "w")) == NULL) {
		cli_warnx("%s: %s", tmp, strerror(errno));
		users_free(&u);
		return EXIT_FAILURE;
	}
	rc = hand_out(cli, &c, &u, out, &fresh);
	if (fclose(out) != 0 && rc == EXIT_SUCCESS)
		rc = (cli_warnx("%s: %s", tmp, strerror(errno)), EXIT_FAILURE);
	if (rc == EXIT_SUCCESS && rename(tmp, path) != 0)
		rc = (cli_warnx("%s: %s", path, strerror(errno)), EXIT_FAILURE);
	if (rc == EXIT_SUCCESS && !cli->quiet)
		printf("%zu users of campaign '%s': %" PRIu64 " codes handed out now, %" PRIu64
		       " held already; %s\n", u.n, c.name, fresh, (uint64_t)u.n - fresh, path);
	users_free(&u);
	return rc;
}

static const struct option assign_opts[] = {
	{"campaign", required_argument, NULL, 'c'},
	{"users", required_argument, NULL, 'u'},
	{"out", required_argument, NULL, 'o'},
	{NULL, 0, NULL, 0},
};

const struct cmd_entry cmd_assign_entry = {
	.name = "assign",
	.synopsis = "--campaign NAME|ID --users FILE|- --out FILE",
	.summary = "hand one code to each user of a list (a mail merge); run again to resume",
	.options = assign_opts,
	.exec = assign,
};
