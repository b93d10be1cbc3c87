/* couponadm campaign create|set|list|show|pause|resume. */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"

/* Times on the campaign's clock: RFC 3339 with its offset, or local time and zone. */
static void json_time(FILE *f, time_t t, const char *zone)
{
	char buf[CP_TIME_TEXT_MAX];

	if (t == 0)
		fputs("null", f);
	else
		fprintf(f, "\"%s\"", cp_time_format(t, zone, CP_TIME_RFC3339, buf));
}

static const char *text_time(time_t t, const char *zone, char buf[CP_TIME_TEXT_MAX])
{
	return t == 0 ? "-" : cp_time_format(t, zone, CP_TIME_LOCAL, buf);
}

static int parse_guess(const char *s, double *v)
{
	char *end;

	*v = strtod(s, &end);
	if (end != s && *end == '\0' && *v > 0 && *v <= CP_GUESS_CEILING)
		return 0;
	cli_warnx("--guess takes a probability above 0 and at most %g, not '%s'",
		  CP_GUESS_CEILING, s);
	return -1;
}

static void example(const struct cp_campaign *c, char *out, size_t size)
{
	uint8_t digits[CP_BODY_MAX] = {0};
	char norm[CP_CODE_MAX + 1];

	if (c->format.external) {
		snprintf(out, size, "external (%s, spaces and dashes %s)",
			 c->format.case_sensitive ? "case-sensitive" : "any case",
			 c->format.ignore_separators ? "ignored" : "kept");
		return;
	}

	cp_code_compose(&c->format, digits, norm);
	if (cp_code_display(&c->format, norm, out, size) != CP_OK)
		snprintf(out, size, "%s", norm);
	/* Show the shape, not a code: every body symbol as X. */
	for (char *p = out + (c->format.prefix[0] ? strlen(c->format.prefix) + 1 : 0); *p; p++)
		if (*p != '-')
			*p = 'X';
}

/* Options that set one campaign field: core reads the value (cp_campaign_set). */
static const struct {
	int ch;
	const char *option, *field;
} field_opts[] = {
	{'n', "codes", "planned_codes"},
	{'a', "alphabet", "alphabet"},
	{'p', "prefix", "prefix"},
	{'l', "length", "body_length"},
	{'G', "group", "group"},
	{'s', "starts", "starts_at"},
	{'e', "expires", "expires_at"},
	{'Z', "time-zone", "time_zone"},
	{'L', "per-user-limit", "per_user_limit"},
	{'u', "unredeem", "unredeem"},
	{'E', "events", "events"},
	{'R', "reward", "reward"},
	{'M', "min-order", "min_order"},
	{'D', "metadata", "metadata"},
	{'x', "max-redemptions", "max_redemptions"},
	{'T', "transferable", "transferable"},
	{'V', "valid-for", "valid_for"},
};

/* The field of option CH from ARG into C; -1 after a message. */
static int field_opt(struct cp_campaign *c, int ch, const char *arg)
{
	struct cp_err e;

	cp_err_clear(&e);
	for (size_t i = 0; i < sizeof field_opts / sizeof field_opts[0]; i++) {
		if (field_opts[i].ch != ch)
			continue;
		if (cp_campaign_set(c, field_opts[i].field, arg, &e) == CP_OK)
			return 0;
		cli_warnx("--%s: %s", field_opts[i].option, e.msg);
		return -1;
	}
	return -1;
}

/* Options in the order given; --time-zone is applied first, as the times are read in it. */
struct given {
	int ch;
	const char *arg;
};
#define GIVEN_MAX 24

/* Reads the options into G (at most GIVEN_MAX); their number, -1 on a usage error. */
static int read_given(const struct cmd_entry *self, int argc, char **argv, struct given *g)
{
	int ch, n = 0;

	while ((ch = cmd_getopt(self, argc, argv)) != -1) {
		if (ch == '?' || n == GIVEN_MAX)
			return -1;
		g[n].ch = ch;
		g[n++].arg = optarg;
	}
	/* A stable move of --time-zone to the front. */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && g[j].ch == 'Z' && g[j - 1].ch != 'Z'; j--) {
			struct given t = g[j];

			g[j] = g[j - 1];
			g[j - 1] = t;
		}
	return n;
}

struct create_args {
	struct cp_campaign c;
	double guess; /* 0: core's default target */
};

static int create_opt(struct create_args *a, int ch, const char *arg)
{
	switch (ch) {
	case 'g':
		return parse_guess(arg, &a->guess);
	case 'C':
		a->c.format.check = false;
		return 0;
	case 'E': /* relay work: outbox events for coupon-relay */
		a->c.events = true;
		return 0;
	case 'T': /* hand-out: assigned codes redeemable by anyone */
		a->c.transferable = true;
		return 0;
	case 'X': /* codes made elsewhere (couponadm import) */
		a->c.format.external = true;
		return 0;
	case 'S':
		a->c.format.case_sensitive = true;
		return 0;
	case 'K':
		a->c.format.ignore_separators = false;
		return 0;
	}
	return field_opt(&a->c, ch, arg);
}

static int create(const struct cmd_entry *self, struct cli *cli, int argc, char **argv)
{
	struct create_args a = {.guess = 0};
	char shape[CP_DISPLAY_MAX + 1];
	struct given given[GIVEN_MAX];
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st;
	int n;

	cp_campaign_init(&a.c);
	if ((n = read_given(self, argc, argv, given)) < 0 || optind + 1 != argc)
		return cmd_usage(self);
	for (int i = 0; i < n; i++)
		if (create_opt(&a, given[i].ch, given[i].arg) != 0)
			return cmd_usage(self);
	cp_err_clear(&e);
	if ((st = cp_campaign_set(&a.c, "name", argv[optind], &e)) != CP_OK)
		return cli_fail(st, &e);
	/* --guess: the length for that target; otherwise core's default at create. */
	if (a.guess != 0 && (st = cp_campaign_choose_length(&a.c, a.guess, &e)) != CP_OK)
		return cli_fail(st, &e);
	if ((db = cli_db(cli, true)) == NULL)
		return EXIT_FAILURE;
	if ((st = cp_campaign_create(db, &a.c, &e)) != CP_OK)
		return cli_fail(st, &e);
	example(&a.c, shape, sizeof shape);
	if (a.c.format.external) {
		printf("campaign %" PRIu32 " '%s' created: codes made elsewhere, %s; import them "
		       "with couponadm import\n", a.c.id, a.c.name, shape);
		return EXIT_SUCCESS;
	}
	printf("campaign %" PRIu32 " '%s' created: codes like %s (body %u of %zu symbols%s), "
	       "guess probability %.1e for %" PRIu64 " codes\n",
	       a.c.id, a.c.name, shape, a.c.format.body_len, strlen(a.c.format.alphabet),
	       a.c.format.check ? ", check character" : "",
	       cp_format_guess_probability(&a.c.format, a.c.planned_codes), a.c.planned_codes);
	return EXIT_SUCCESS;
}

/* Changes of a campaign's window, limit, refund policy and events. */
static int set(const struct cmd_entry *self, struct cli *cli, int argc, char **argv)
{
	struct given given[GIVEN_MAX];
	struct cp_campaign c;
	struct cp_err e;
	enum cp_status st;
	int n, rc;

	/* Read the options first: a usage error needs no database. */
	if ((n = read_given(self, argc, argv, given)) <= 0 || optind + 1 != argc)
		return cmd_usage(self);
	if ((rc = cli_campaign(cli, argv[optind], &c)) != EXIT_SUCCESS)
		return rc;
	for (int i = 0; i < n; i++)
		if (field_opt(&c, given[i].ch, given[i].arg) != 0)
			return cmd_usage(self);
	cp_err_clear(&e);
	if ((st = cp_campaign_update(cli->db, &c, &e)) != CP_OK)
		return cli_fail(st, &e);
	if (!cli->quiet)
		printf("campaign %" PRIu32 " '%s' updated\n", c.id, c.name);
	return EXIT_SUCCESS;
}

static void json_campaign(FILE *f, const struct cp_campaign *c)
{
	fprintf(f, "{\"id\":%" PRIu32 ",\"name\":", c->id);
	cli_json_str(f, c->name);
	fprintf(f, ",\"status\":\"%s\",\"time_zone\":", cp_campaign_status_name(c->status));
	cli_json_str(f, c->time_zone);
	fputs(",\"starts_at\":", f);
	json_time(f, c->starts_at, c->time_zone);
	fputs(",\"expires_at\":", f);
	json_time(f, c->expires_at, c->time_zone);
	fprintf(f, ",\"per_user_limit\":%" PRIu32 ",\"unredeem\":\"%s\",\"events\":%s,"
		"\"format\":{\"alphabet\":",
		c->per_user_limit, cp_unredeem_name(c->unredeem_restores),
		c->events ? "true" : "false");
	cli_json_str(f, c->format.alphabet);
	fputs(",\"prefix\":", f);
	cli_json_str(f, c->format.prefix);
	fprintf(f, ",\"body_length\":%u,\"check\":%s,\"group\":%u},\"planned_codes\":%" PRIu64
		",\"guess_probability\":%.3g,\"created_at\":",
		c->format.body_len, c->format.check ? "true" : "false", c->format.group,
		c->planned_codes, cp_format_guess_probability(&c->format, c->planned_codes));
	json_time(f, c->created_at, c->time_zone);
	cli_json_reward(f, &c->reward);
	if (c->max_redemptions != 0)
		fprintf(f, ",\"max_redemptions\":%" PRIu32, c->max_redemptions);
	else
		fputs(",\"max_redemptions\":null", f);
	fputc('}', f);
}

struct list_state {
	bool json;
	unsigned int n;
};

static bool list_one(const struct cp_campaign *c, void *arg)
{
	struct list_state *ls = arg;
	char t1[CP_TIME_TEXT_MAX], t2[CP_TIME_TEXT_MAX];

	if (ls->json) {
		fputs(ls->n++ ? ",\n " : "", stdout);
		json_campaign(stdout, c);
		return true;
	}
	if (ls->n++ == 0)
		printf("%-6s %-24s %-8s %-25s %-25s %s\n", "ID", "NAME", "STATUS", "STARTS",
		       "EXPIRES", "FORMAT");
	printf("%-6" PRIu32 " %-24s %-8s %-25s %-25s %s%s%u/%zu\n", c->id, c->name,
	       cp_campaign_status_name(c->status), text_time(c->starts_at, c->time_zone, t1),
	       text_time(c->expires_at, c->time_zone, t2), c->format.prefix,
	       c->format.prefix[0] ? "+" : "", c->format.body_len, strlen(c->format.alphabet));
	return true;
}

static int list(struct cli *cli, bool json)
{
	struct list_state ls = {.json = json};
	struct cp_db *db = cli_db(cli, true);
	struct cp_err e;
	enum cp_status st;

	if (db == NULL)
		return EXIT_FAILURE;
	cp_err_clear(&e);
	if (json)
		fputs("[", stdout);
	if ((st = cp_campaign_list(db, list_one, &ls, &e)) != CP_OK)
		return cli_fail(st, &e);
	if (json)
		fputs("]\n", stdout);
	return EXIT_SUCCESS;
}

struct show_state {
	bool json;
	unsigned int n;
	const char *zone; /* the campaign's */
};

static bool show_batch(const struct cp_batch *b, void *arg)
{
	struct show_state *ss = arg;
	char t[CP_TIME_TEXT_MAX];

	if (ss->json) {
		printf("%s{\"id\":%" PRIu64 ",\"method\":\"%s\",\"requested\":%" PRIu64
		       ",\"generated\":%" PRIu64 ",\"status\":\"%s\",\"started_at\":",
		       ss->n++ ? "," : "", b->id, cp_gen_method_name(b->method), b->requested,
		       b->generated, cp_batch_status_name(b->status));
		json_time(stdout, b->started_at, ss->zone);
		fputs(",\"finished_at\":", stdout);
		json_time(stdout, b->finished_at, ss->zone);
		fputs(",\"code_expires_at\":", stdout);
		json_time(stdout, b->code_expires_at, ss->zone);
		fputs(",\"error\":", stdout);
		if (b->error[0])
			cli_json_str(stdout, b->error);
		else
			fputs("null", stdout);
		fputs("}", stdout);
		return true;
	}
	if (ss->n++ == 0)
		printf("\n%-8s %-7s %12s %12s %-10s %-25s %s\n", "BATCH", "METHOD", "REQUESTED",
		       "GENERATED", "STATUS", "STARTED", "ERROR");
	printf("%-8" PRIu64 " %-7s %12" PRIu64 " %12" PRIu64 " %-10s %-25s %s\n", b->id,
	       cp_gen_method_name(b->method), b->requested, b->generated,
	       cp_batch_status_name(b->status), text_time(b->started_at, ss->zone, t), b->error);
	return true;
}

static void show_text(const struct cp_campaign *c, const struct cp_code_counts *k)
{
	char shape[CP_DISPLAY_MAX + 1], t[CP_TIME_TEXT_MAX];

	example(c, shape, sizeof shape);
	printf("campaign        %" PRIu32 " '%s'\n", c->id, c->name);
	printf("status          %s\n", cp_campaign_status_name(c->status));
	printf("time zone       %s\n", c->time_zone);
	printf("starts          %s\n", text_time(c->starts_at, c->time_zone, t));
	printf("expires         %s\n", text_time(c->expires_at, c->time_zone, t));
	printf("per-user limit  %" PRIu32 "%s\n", c->per_user_limit,
	       c->per_user_limit ? "" : " (unlimited)");
	if (c->max_redemptions != 0)
		printf("cap             %" PRIu32 " redemptions in all\n", c->max_redemptions);
	else
		printf("cap             none\n");
	printf("unredeem        %s\n", cp_unredeem_name(c->unredeem_restores));
	printf("events          %s\n", c->events ? "on (outbox, coupon-relay)" : "off");
	printf("transferable    %s\n", c->transferable ? "yes (anyone may redeem a handed-out code)"
						      : "no");
	if (c->valid_for != 0)
		printf("valid for       %" PRIu32 " s after hand-out\n", c->valid_for);
	cli_text_reward(stdout, "", &c->reward);
	printf("format          %s (alphabet %s, body %u, %s, groups of %u)\n", shape,
	       c->format.alphabet, c->format.body_len,
	       c->format.check ? "check character" : "no check character", c->format.group);
	printf("guess chance    %.1e for %" PRIu64 " planned codes\n",
	       cp_format_guess_probability(&c->format, c->planned_codes), c->planned_codes);
	printf("codes           %" PRIu64 " (available %" PRIu64 ", assigned %" PRIu64
	       ", pending %" PRIu64 ", redeemed %" PRIu64 ", expired %" PRIu64 ")\n",
	       k->total, k->available, k->assigned, k->pending, k->redeemed, k->expired);
	if (k->importing != 0)
		printf("importing       %" PRIu64 " codes of imports not complete (not in use yet)\n",
		       k->importing);
}

static int show(struct cli *cli, const char *ref, bool json)
{
	struct show_state ss = {.json = json};
	struct cp_code_counts k;
	struct cp_campaign c;
	struct cp_err e;
	enum cp_status st;
	int rc;

	if ((rc = cli_campaign(cli, ref, &c)) != EXIT_SUCCESS)
		return rc;
	ss.zone = c.time_zone;
	cp_err_clear(&e);
	if ((st = cp_code_counts(cli->db, c.id, 0, &k, &e)) != CP_OK)
		return cli_fail(st, &e);
	if (json) {
		fputs("{\"campaign\":", stdout);
		json_campaign(stdout, &c);
		printf(",\"codes\":{\"total\":%" PRIu64 ",\"available\":%" PRIu64
		       ",\"pending\":%" PRIu64 ",\"redeemed\":%" PRIu64 ",\"expired\":%" PRIu64
		       ",\"assigned\":%" PRIu64 ",\"importing\":%" PRIu64 "},\"batches\":[",
		       k.total, k.available, k.pending, k.redeemed, k.expired, k.assigned,
		       k.importing);
	} else {
		show_text(&c, &k);
	}
	if ((st = cp_batch_list(cli->db, c.id, show_batch, &ss, &e)) != CP_OK)
		return cli_fail(st, &e);
	if (json)
		fputs("]}\n", stdout);
	return EXIT_SUCCESS;
}

static int set_status(struct cli *cli, const char *ref, enum cp_campaign_status s)
{
	struct cp_campaign c;
	struct cp_err e;
	enum cp_status st;
	int rc;

	if ((rc = cli_campaign(cli, ref, &c)) != EXIT_SUCCESS)
		return rc;
	cp_err_clear(&e);
	if ((st = cp_campaign_set_status(cli->db, c.id, s, &e)) != CP_OK)
		return cli_fail(st, &e);
	if (!cli->quiet)
		printf("campaign %" PRIu32 " '%s' is %s\n", c.id, c.name, cp_campaign_status_name(s));
	return EXIT_SUCCESS;
}

/* list/show/pause/resume: the entry's options ([--json]) and at most one operand. */
static int simple(const struct cmd_entry *self, struct cli *cli, int argc, char **argv)
{
	bool operand = strcmp(argv[0], "list") != 0, json = false;
	int ch;

	while ((ch = cmd_getopt(self, argc, argv)) != -1) {
		if (ch != 'j')
			return cmd_usage(self);
		json = true;
	}
	if (argc - optind != (operand ? 1 : 0))
		return cmd_usage(self);
	if (strcmp(argv[0], "list") == 0)
		return list(cli, json);
	if (strcmp(argv[0], "show") == 0)
		return show(cli, argv[optind], json);
	return set_status(cli, argv[optind],
			  strcmp(argv[0], "pause") == 0 ? CP_CAMPAIGN_PAUSED : CP_CAMPAIGN_ACTIVE);
}

static const struct option create_opts[] = {
	{"codes", required_argument, NULL, 'n'},
	{"alphabet", required_argument, NULL, 'a'},
	{"prefix", required_argument, NULL, 'p'},
	{"length", required_argument, NULL, 'l'},
	{"guess", required_argument, NULL, 'g'},
	{"no-check", no_argument, NULL, 'C'},
	{"group", required_argument, NULL, 'G'},
	{"starts", required_argument, NULL, 's'},
	{"expires", required_argument, NULL, 'e'},
	{"time-zone", required_argument, NULL, 'Z'},
	{"per-user-limit", required_argument, NULL, 'L'},
	{"unredeem", required_argument, NULL, 'u'},
	{"events", no_argument, NULL, 'E'},
	{"reward", required_argument, NULL, 'R'},
	{"min-order", required_argument, NULL, 'M'},
	{"metadata", required_argument, NULL, 'D'},
	{"max-redemptions", required_argument, NULL, 'x'},
	{"transferable", no_argument, NULL, 'T'},
	{"valid-for", required_argument, NULL, 'V'},
	{"external", no_argument, NULL, 'X'},
	{"case-sensitive", no_argument, NULL, 'S'},
	{"keep-separators", no_argument, NULL, 'K'},
	{NULL, 0, NULL, 0},
};

static const struct option set_opts[] = {
	{"starts", required_argument, NULL, 's'},
	{"expires", required_argument, NULL, 'e'},
	{"time-zone", required_argument, NULL, 'Z'},
	{"per-user-limit", required_argument, NULL, 'L'},
	{"unredeem", required_argument, NULL, 'u'},
	{"events", required_argument, NULL, 'E'},
	{"reward", required_argument, NULL, 'R'},
	{"min-order", required_argument, NULL, 'M'},
	{"metadata", required_argument, NULL, 'D'},
	{"max-redemptions", required_argument, NULL, 'x'},
	{"transferable", required_argument, NULL, 'T'},
	{"valid-for", required_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

static const struct option json_opts[] = {
	{"json", no_argument, NULL, 'j'},
	{NULL, 0, NULL, 0},
};

const struct cmd_entry cmd_campaign_create_entry = {
	.name = "campaign create",
	.synopsis = "NAME [--codes N] [--alphabet SYMBOLS] [--prefix PREFIX] "
		    "[--length N | --guess P] [--no-check] [--group N] [--starts TIME] "
		    "[--expires TIME] [--time-zone ZONE] [--per-user-limit N] "
		    "[--unredeem restore|spend] [--events] "
		    "[--reward REWARD] [--min-order AMOUNT] [--metadata JSON] "
		    "[--max-redemptions N] [--transferable] [--valid-for DURATION]\n"
		    "NAME --external [--case-sensitive] [--keep-separators] [--starts TIME] "
		    "[--expires TIME] [--time-zone ZONE] [--per-user-limit N] "
		    "[--unredeem restore|spend] [--events] "
		    "[--reward REWARD] [--min-order AMOUNT] [--metadata JSON] "
		    "[--max-redemptions N] [--transferable] [--valid-for DURATION]",
	.summary = "create a campaign and choose its code format",
	.options = create_opts,
	.exec = create,
};

const struct cmd_entry cmd_campaign_set_entry = {
	.name = "campaign set",
	.synopsis = "NAME|ID [--starts TIME|none] [--expires TIME|none] [--time-zone ZONE] "
		    "[--per-user-limit N] "
		    "[--unredeem restore|spend] [--events on|off] [--reward REWARD|none] "
		    "[--min-order AMOUNT|none] [--metadata JSON] [--max-redemptions N|none] "
		    "[--transferable on|off] [--valid-for DURATION|none]",
	.summary = "change a campaign's window, zone, limits, events, reward, hand-out",
	.options = set_opts,
	.exec = set,
};

const struct cmd_entry cmd_campaign_list_entry = {
	.name = "campaign list",
	.synopsis = "[--json]",
	.summary = "the campaigns",
	.options = json_opts,
	.exec = simple,
};

const struct cmd_entry cmd_campaign_show_entry = {
	.name = "campaign show",
	.synopsis = "NAME|ID [--json]",
	.summary = "a campaign, its code counts and its batches",
	.options = json_opts,
	.exec = simple,
};

const struct cmd_entry cmd_campaign_pause_entry = {
	.name = "campaign pause",
	.synopsis = "NAME|ID",
	.summary = "pause a campaign; returns once no front end can redeem its codes",
	.exec = simple,
};

const struct cmd_entry cmd_campaign_resume_entry = {
	.name = "campaign resume",
	.synopsis = "NAME|ID",
	.summary = "resume a paused campaign",
	.exec = simple,
};
