/* couponadm campaign create|set|list|show|pause|resume. */
#include "config.h"

#include <ctype.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "text.h"
#include "xmalloc.h"

#define CREATE_USAGE                                                                      \
	"campaign create NAME [--codes N] [--alphabet SYMBOLS] [--prefix P]\n"             \
	"           [--length N | --guess P] [--no-check] [--group N] [--starts TIME]\n"   \
	"           [--expires TIME] [--per-user-limit N] [--unredeem restore|spend]\n"      \
	"           [--events]"

#define SET_USAGE                                                                          \
	"campaign set NAME|ID [--starts TIME|none] [--expires TIME|none]\n"                 \
	"           [--per-user-limit N] [--unredeem restore|spend] [--events on|off]"

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

static void json_time(FILE *f, time_t t)
{
	char buf[32];

	if (t == 0) {
		fputs("null", f);
		return;
	}
	strftime(buf, sizeof buf, "\"%Y-%m-%dT%H:%M:%SZ\"", gmtime(&t));
	fputs(buf, f);
}

static const char *text_time(time_t t, char *buf, size_t size)
{
	if (t == 0)
		return "-";
	strftime(buf, size, "%Y-%m-%d %H:%M:%S", gmtime(&t));
	return buf;
}

/* "2025-03-01", "2025-03-01 12:00", "2025-03-01T12:00:00Z": UTC. */
static int parse_time(const char *s, time_t *out)
{
	static const char *const formats[] = {"%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S",
					      "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S",
					      "%Y-%m-%dT%H:%M:%SZ"};

	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		struct tm tm;
		const char *end;

		memset(&tm, 0, sizeof tm);
		if ((end = strptime(s, formats[i], &tm)) != NULL && *end == '\0') {
			*out = timegm(&tm);
			return 0;
		}
	}
	cli_warnx("'%s' is not a time: use YYYY-MM-DD[ HH:MM[:SS]] (UTC)", s);
	return -1;
}

static int parse_num(const char *what, const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	struct cp_err e;

	cp_err_clear(&e);
	if (cp_parse_uint(s, min, max, v, &e) == CP_OK)
		return 0;
	cli_warnx("%s: %s", what, e.msg);
	return -1;
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

	cp_code_compose(&c->format, digits, norm);
	if (cp_code_display(&c->format, norm, out, size) != CP_OK)
		snprintf(out, size, "%s", norm);
	/* Show the shape, not a code: every body symbol as X. */
	for (char *p = out + (c->format.prefix[0] ? strlen(c->format.prefix) + 1 : 0); *p; p++)
		if (*p != '-')
			*p = 'X';
}

/*
 * The options create and set share: --starts, --expires (TIME or none),
 * --per-user-limit, --unredeem. -1 after a message.
 */
static int terms_opt(struct cp_campaign *c, int ch, const char *arg)
{
	uint64_t v;

	switch (ch) {
	case 's':
	case 'e': {
		time_t *t = ch == 's' ? &c->starts_at : &c->expires_at;

		if (strcmp(arg, "none") == 0) {
			*t = 0;
			return 0;
		}
		return parse_time(arg, t);
	}
	case 'L':
		if (parse_num("--per-user-limit", arg, 0, UINT32_MAX, &v) != 0)
			return -1;
		c->per_user_limit = (uint32_t)v;
		return 0;
	case 'u':
		if (strcmp(arg, "restore") != 0 && strcmp(arg, "spend") != 0)
			return cli_warnx("--unredeem takes restore or spend"), -1;
		c->unredeem_restores = strcmp(arg, "restore") == 0;
		return 0;
	}
	return -1;
}

struct create_args {
	struct cp_campaign c;
	double guess;
	bool length_set;
};

static int create_opt(struct create_args *a, int ch, const char *arg)
{
	struct cp_format *f = &a->c.format;
	uint64_t v;

	switch (ch) {
	case 'n':
		return parse_num("--codes", arg, 1, UINT64_MAX / 2, &a->c.planned_codes);
	case 'a':
		snprintf(f->alphabet, sizeof f->alphabet, "%s", arg);
		return strlen(arg) < sizeof f->alphabet ? 0 : (cli_warnx("alphabet too long"), -1);
	case 'p':
		if (strlen(arg) >= sizeof f->prefix)
			return cli_warnx("--prefix: at most %d characters", CP_PREFIX_MAX), -1;
		for (size_t i = 0; arg[i] != '\0'; i++)
			f->prefix[i] = (char)toupper((unsigned char)arg[i]);
		return 0;
	case 'l':
		a->length_set = true;
		if (parse_num("--length", arg, CP_BODY_MIN, CP_BODY_MAX, &v) != 0)
			return -1;
		f->body_len = (unsigned int)v;
		return 0;
	case 'g':
		return parse_guess(arg, &a->guess);
	case 'C':
		f->check = false;
		return 0;
	case 'G':
		if (parse_num("--group", arg, 0, CP_BODY_MAX, &v) != 0)
			return -1;
		f->group = (unsigned int)v;
		return 0;
	case 's':
	case 'e':
	case 'L':
	case 'u':
		return terms_opt(&a->c, ch, arg);
	case 'E': /* relay work: outbox events for coupon-relay */
		a->c.events = true;
		return 0;
	}
	return -1;
}

static int create(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"codes", required_argument, NULL, 'n'},
		{"alphabet", required_argument, NULL, 'a'},
		{"prefix", required_argument, NULL, 'p'},
		{"length", required_argument, NULL, 'l'},
		{"guess", required_argument, NULL, 'g'},
		{"no-check", no_argument, NULL, 'C'},
		{"group", required_argument, NULL, 'G'},
		{"starts", required_argument, NULL, 's'},
		{"expires", required_argument, NULL, 'e'},
		{"per-user-limit", required_argument, NULL, 'L'},
		{"unredeem", required_argument, NULL, 'u'},
		{"events", no_argument, NULL, 'E'},
		{NULL, 0, NULL, 0},
	};
	struct create_args a = {.guess = CP_GUESS_TARGET_DEFAULT};
	char shape[CP_DISPLAY_MAX + 1];
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st;
	int ch;

	cp_campaign_init(&a.c);
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if (ch == '?' || create_opt(&a, ch, optarg) != 0)
			return cli_usage(CREATE_USAGE);
	if (optind + 1 != argc)
		return cli_usage(CREATE_USAGE);
	if (strlen(argv[optind]) >= sizeof a.c.name)
		return cli_warnx("campaign name too long"), EXIT_USAGE;
	snprintf(a.c.name, sizeof a.c.name, "%s", argv[optind]);
	cp_err_clear(&e);
	if (!a.length_set &&
	    (st = cp_format_length_for(a.c.format.alphabet, a.c.planned_codes, a.guess,
				       &a.c.format.body_len, &e)) != CP_OK)
		return cli_fail(st, &e);
	if ((db = cli_db(cli, true)) == NULL)
		return EXIT_FAILURE;
	if ((st = cp_campaign_create(db, &a.c, &e)) != CP_OK)
		return cli_fail(st, &e);
	example(&a.c, shape, sizeof shape);
	printf("campaign %" PRIu32 " '%s' created: codes like %s (body %u of %zu symbols%s), "
	       "guess probability %.1e for %" PRIu64 " codes\n",
	       a.c.id, a.c.name, shape, a.c.format.body_len, strlen(a.c.format.alphabet),
	       a.c.format.check ? ", check character" : "",
	       cp_format_guess_probability(&a.c.format, a.c.planned_codes), a.c.planned_codes);
	return EXIT_SUCCESS;
}

/* An option of campaign set into C; -1 after a message. */
static int set_opt(struct cp_campaign *c, int ch, const char *arg)
{
	switch (ch) {
	case 's':
	case 'e':
	case 'L':
	case 'u':
		return terms_opt(c, ch, arg);
	case 'E':
		if (strcmp(arg, "on") != 0 && strcmp(arg, "off") != 0)
			return cli_warnx("--events takes on or off"), -1;
		c->events = strcmp(arg, "on") == 0;
		return 0;
	}
	return -1;
}

/* Changes of a campaign's window, limit, refund policy and events. */
static int set(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"starts", required_argument, NULL, 's'},
		{"expires", required_argument, NULL, 'e'},
		{"per-user-limit", required_argument, NULL, 'L'},
		{"unredeem", required_argument, NULL, 'u'},
		{"events", required_argument, NULL, 'E'},
		{NULL, 0, NULL, 0},
	};
	struct {
		int ch;
		const char *arg;
	} given[16];
	size_t n = 0;
	struct cp_campaign c;
	struct cp_err e;
	enum cp_status st;
	int ch, rc;

	/* Read the options first: a usage error needs no database. */
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == '?' || n == sizeof given / sizeof given[0])
			return cli_usage(SET_USAGE);
		given[n].ch = ch;
		given[n++].arg = optarg;
	}
	if (optind + 1 != argc || n == 0)
		return cli_usage(SET_USAGE);
	if ((rc = cli_campaign(cli, argv[optind], &c)) != EXIT_SUCCESS)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (set_opt(&c, given[i].ch, given[i].arg) != 0)
			return cli_usage(SET_USAGE);
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
	fprintf(f, ",\"status\":\"%s\",\"starts_at\":", cp_campaign_status_name(c->status));
	json_time(f, c->starts_at);
	fputs(",\"expires_at\":", f);
	json_time(f, c->expires_at);
	fprintf(f, ",\"per_user_limit\":%" PRIu32 ",\"unredeem\":\"%s\",\"events\":%s,"
		"\"format\":{\"alphabet\":",
		c->per_user_limit, c->unredeem_restores ? "restore" : "spend",
		c->events ? "true" : "false");
	cli_json_str(f, c->format.alphabet);
	fputs(",\"prefix\":", f);
	cli_json_str(f, c->format.prefix);
	fprintf(f, ",\"body_length\":%u,\"check\":%s,\"group\":%u},\"planned_codes\":%" PRIu64
		",\"guess_probability\":%.3g,\"created_at\":",
		c->format.body_len, c->format.check ? "true" : "false", c->format.group,
		c->planned_codes, cp_format_guess_probability(&c->format, c->planned_codes));
	json_time(f, c->created_at);
	fputc('}', f);
}

struct list_state {
	bool json;
	unsigned int n;
};

static bool list_one(const struct cp_campaign *c, void *arg)
{
	struct list_state *ls = arg;
	char t1[32], t2[32];

	if (ls->json) {
		fputs(ls->n++ ? ",\n " : "", stdout);
		json_campaign(stdout, c);
		return true;
	}
	if (ls->n++ == 0)
		printf("%-6s %-24s %-8s %-19s %-19s %s\n", "ID", "NAME", "STATUS", "STARTS",
		       "EXPIRES", "FORMAT");
	printf("%-6" PRIu32 " %-24s %-8s %-19s %-19s %s%s%u/%zu\n", c->id, c->name,
	       cp_campaign_status_name(c->status), text_time(c->starts_at, t1, sizeof t1),
	       text_time(c->expires_at, t2, sizeof t2), c->format.prefix,
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
};

static bool show_batch(const struct cp_batch *b, void *arg)
{
	struct show_state *ss = arg;
	char t[32];

	if (ss->json) {
		printf("%s{\"id\":%" PRIu64 ",\"method\":\"%s\",\"requested\":%" PRIu64
		       ",\"generated\":%" PRIu64 ",\"status\":\"%s\",\"started_at\":",
		       ss->n++ ? "," : "", b->id, cp_gen_method_name(b->method), b->requested,
		       b->generated, cp_batch_status_name(b->status));
		json_time(stdout, b->started_at);
		fputs(",\"finished_at\":", stdout);
		json_time(stdout, b->finished_at);
		fputs(",\"error\":", stdout);
		if (b->error[0])
			cli_json_str(stdout, b->error);
		else
			fputs("null", stdout);
		fputs("}", stdout);
		return true;
	}
	if (ss->n++ == 0)
		printf("\n%-8s %-7s %12s %12s %-10s %-19s %s\n", "BATCH", "METHOD", "REQUESTED",
		       "GENERATED", "STATUS", "STARTED", "ERROR");
	printf("%-8" PRIu64 " %-7s %12" PRIu64 " %12" PRIu64 " %-10s %-19s %s\n", b->id,
	       cp_gen_method_name(b->method), b->requested, b->generated,
	       cp_batch_status_name(b->status), text_time(b->started_at, t, sizeof t), b->error);
	return true;
}

static void show_text(const struct cp_campaign *c, const struct cp_code_counts *k)
{
	char shape[CP_DISPLAY_MAX + 1], t[32];

	example(c, shape, sizeof shape);
	printf("campaign        %" PRIu32 " '%s'\n", c->id, c->name);
	printf("status          %s\n", cp_campaign_status_name(c->status));
	printf("starts          %s\n", text_time(c->starts_at, t, sizeof t));
	printf("expires         %s\n", text_time(c->expires_at, t, sizeof t));
	printf("per-user limit  %" PRIu32 "%s\n", c->per_user_limit,
	       c->per_user_limit ? "" : " (unlimited)");
	printf("unredeem        %s\n", c->unredeem_restores ? "restore" : "spend");
	printf("events          %s\n", c->events ? "on (outbox, coupon-relay)" : "off");
	printf("format          %s (alphabet %s, body %u, %s, groups of %u)\n", shape,
	       c->format.alphabet, c->format.body_len,
	       c->format.check ? "check character" : "no check character", c->format.group);
	printf("guess chance    %.1e for %" PRIu64 " planned codes\n",
	       cp_format_guess_probability(&c->format, c->planned_codes), c->planned_codes);
	printf("codes           %" PRIu64 " (available %" PRIu64 ", pending %" PRIu64
	       ", redeemed %" PRIu64 ", expired %" PRIu64 ")\n",
	       k->total, k->available, k->pending, k->redeemed, k->expired);
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
	cp_err_clear(&e);
	if ((st = cp_code_counts(cli->db, c.id, 0, &k, &e)) != CP_OK)
		return cli_fail(st, &e);
	if (json) {
		fputs("{\"campaign\":", stdout);
		json_campaign(stdout, &c);
		printf(",\"codes\":{\"total\":%" PRIu64 ",\"available\":%" PRIu64
		       ",\"pending\":%" PRIu64 ",\"redeemed\":%" PRIu64 ",\"expired\":%" PRIu64
		       "},\"batches\":[",
		       k.total, k.available, k.pending, k.redeemed, k.expired);
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

/* list/show/pause/resume: [--json] and at most one operand. */
static int simple(struct cli *cli, int argc, char **argv, const char *usage, bool operand)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	bool json = false;
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'j')
			return cli_usage(usage);
		json = true;
	}
	if (argc - optind != (operand ? 1 : 0))
		return cli_usage(usage);
	if (strcmp(argv[0], "list") == 0)
		return list(cli, json);
	if (strcmp(argv[0], "show") == 0)
		return show(cli, argv[optind], json);
	return set_status(cli, argv[optind],
			  strcmp(argv[0], "pause") == 0 ? CP_CAMPAIGN_PAUSED : CP_CAMPAIGN_ACTIVE);
}

int cmd_campaign(struct cli *cli, int argc, char **argv)
{
	static const struct {
		const char *name, *usage;
		bool operand;
	} subs[] = {
		{"list", "campaign list [--json]", false},
		{"show", "campaign show NAME|ID [--json]", true},
		{"pause", "campaign pause NAME|ID", true},
		{"resume", "campaign resume NAME|ID", true},
	};

	if (argc < 2)
		return cli_usage("campaign create|set|list|show|pause|resume ...");
	if (strcmp(argv[1], "create") == 0)
		return create(cli, argc - 1, argv + 1);
	if (strcmp(argv[1], "set") == 0)
		return set(cli, argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return simple(cli, argc - 1, argv + 1, subs[i].usage, subs[i].operand);
	cli_warnx("unknown campaign command '%s'", argv[1]);
	return cli_usage("campaign create|set|list|show|pause|resume ...");
}
