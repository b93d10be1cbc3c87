/*
 * couponadm: the console for campaign managers (no arguments) and the same
 * operations as subcommands for scripts.
 */
#include "config.h"

#include <curses.h>
#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const struct cli_command commands[] = {
	{"apikey", cmd_apikey, "apikey create --name N --scope S | list | revoke NAME|ID",
	 "API keys of the HTTP API (the secret is shown once)"},
	{"campaign", cmd_campaign, "campaign create|set|list|show|pause|resume ...",
	 "manage campaigns and their code format"},
	{"code", cmd_code, "code show|redeem|unredeem|expire|... CODE [options]",
	 "look up or change one code (support)"},
	{"expire", cmd_expire, "expire --batch N | --campaign X",
	 "expire every available code (leak response)"},
	{"export", cmd_export, "export --campaign X [--batch N] --out FILE",
	 "codes to CSV with a SHA-256 manifest"},
	{"generate", cmd_generate, "generate --campaign X --count N [--method M]",
	 "generate a batch of codes (random or keyed)"},
	{"idempotency", cmd_idempotency, "idempotency purge [--older-than DURATION]",
	 "delete idempotency keys past their retention"},
	{"migrate", cmd_migrate, "migrate [--status]", "apply pending schema migrations"},
	{"stats", cmd_stats, "stats [--json] [--count N] [--interval S]",
	 "campaign counts and redemption rates"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const struct option global_opts[] = {
	{"config", required_argument, NULL, 'c'},
	{"host", required_argument, NULL, 'H'},
	{"port", required_argument, NULL, 'P'},
	{"socket", required_argument, NULL, 'S'},
	{"user", required_argument, NULL, 'u'},
	{"database", required_argument, NULL, 'D'},
	{"set", required_argument, NULL, 'o'},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

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

int cli_usage(const char *text)
{
	fprintf(stderr, "usage: couponadm [options] %s\n", text);
	return EXIT_USAGE;
}

struct cp_db *cli_db(struct cli *cli, bool check_schema)
{
	struct cp_err e;
	enum cp_status st;

	if (cli->db != NULL)
		return cli->db;
	cp_err_clear(&e);
	st = cp_db_open(&cli->db, &cli->cfg, "couponadm", &e);
	if (st == CP_OK && check_schema)
		st = cp_schema_check(cli->db, &e);
	if (st != CP_OK) {
		cli_fail(st, &e);
		cp_db_close(cli->db);
		cli->db = NULL;
	}
	return cli->db;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: couponadm [options]                 open the console\n"
		"       couponadm [options] COMMAND [args]  run one operation\n"
		"\n"
		"options:\n"
		"  -c, --config FILE    option file (default: first of %s)\n"
		"  -H, --host HOST      database host          -P, --port PORT\n"
		"  -S, --socket PATH    database socket        -u, --user USER\n"
		"  -D, --database NAME  database name\n"
		"  -o, --set KEY=VALUE  any option of the [coupon] group\n"
		"  -q, --quiet          no progress output\n"
		"  -h, --help           this help              -V, --version\n"
		"\n"
		"commands:\n",
		cp_config_search_path());
	for (size_t i = 0; i < NCOMMANDS; i++) {
		/* A long usage gets its summary on the next line, in the same column. */
		if (strlen(commands[i].usage) > 44)
			fprintf(f, "  %s\n  %-44s %s\n", commands[i].usage, "", commands[i].summary);
		else
			fprintf(f, "  %-44s %s\n", commands[i].usage, commands[i].summary);
	}
	fprintf(f, "\nSee couponadm(1).\n");
}

static int set_option(struct cli *cli, const char *key, const char *value)
{
	struct cp_err e;
	enum cp_status st;

	cp_err_clear(&e);
	st = cp_config_set(&cli->cfg, key, value, &e);
	return st == CP_OK ? 0 : cli_fail(st, &e);
}

static int set_kv(struct cli *cli, const char *kv)
{
	const char *eq = strchr(kv, '=');
	char key[64];

	if (eq == NULL || (size_t)(eq - kv) >= sizeof key) {
		cli_warnx("--set takes KEY=VALUE, got '%s'", kv);
		return EXIT_USAGE;
	}
	memcpy(key, kv, (size_t)(eq - kv));
	key[eq - kv] = '\0';
	return set_option(cli, key, eq + 1);
}

/* Flags override the option file, so they are applied after it is read. */
struct flag {
	int opt;
	const char *arg;
};

static int apply_flags(struct cli *cli, const struct flag *flags, int n)
{
	static const struct {
		int opt;
		const char *key;
	} keys[] = {{'H', "host"}, {'P', "port"}, {'S', "socket"}, {'u', "user"},
		    {'D', "database"}};
	int rc = 0;

	for (int i = 0; i < n && rc == 0; i++) {
		if (flags[i].opt == 'o') {
			rc = set_kv(cli, flags[i].arg);
			continue;
		}
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
			if (keys[k].opt == flags[i].opt)
				rc = set_option(cli, keys[k].key, flags[i].arg);
	}
	return rc;
}

static const char *whoami(void)
{
	const struct passwd *pw = getpwuid(getuid());
	const char *sudo = getenv("SUDO_USER");

	if (sudo != NULL && *sudo != '\0')
		return sudo;
	return pw != NULL ? pw->pw_name : "unknown";
}

static int run_command(struct cli *cli, int argc, char **argv)
{
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strcmp(argv[0], commands[i].name) == 0) {
			optind = 0; /* the subcommand parses its own options */
			return commands[i].run(cli, argc, argv);
		}
	}
	cli_warnx("unknown command '%s' (see couponadm --help)", argv[0]);
	return EXIT_USAGE;
}

#define STR(x) #x
#define XSTR(x) STR(x)

static void print_version(void)
{
	const char *running = curses_version();
	const struct cp_library libs[] = {
		{"ncursesw", NCURSES_VERSION "." XSTR(NCURSES_VERSION_PATCH),
		 /* "ncurses 6.4.20221231": the number, as in the other column */
		 strncmp(running, "ncurses ", 8) == 0 ? running + 8 : running},
	};
	char text[1024];

	cp_version_text(text, sizeof text, "couponadm", libs, sizeof libs / sizeof libs[0]);
	fputs(text, stdout);
}

int main(int argc, char **argv)
{
	struct cli cli;
	struct flag flags[64];
	int nflags = 0, ch, rc;
	const char *file = NULL;
	struct cp_err e;
	enum cp_status st;

	memset(&cli, 0, sizeof cli);
	cp_config_init(&cli.cfg);
	while ((ch = getopt_long(argc, argv, "+c:H:P:S:u:D:o:qhV", global_opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			file = optarg;
			break;
		case 'q':
			cli.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		case 'V':
			print_version();
			return EXIT_SUCCESS;
		case '?':
			usage(stderr);
			return EXIT_USAGE;
		default:
			if (nflags == (int)(sizeof flags / sizeof flags[0])) {
				cli_warnx("too many options");
				return EXIT_USAGE;
			}
			flags[nflags].opt = ch;
			flags[nflags++].arg = optarg;
		}
	}
	cp_err_clear(&e);
	if ((st = cp_config_load(&cli.cfg, file, &e)) != CP_OK)
		return cli_fail(st, &e);
	if ((rc = apply_flags(&cli, flags, nflags)) != 0)
		return rc;
	cli.actor = whoami();
	argc -= optind;
	argv += optind;
	if (cp_library_init() != CP_OK) {
		cli_warnx("cannot initialise the MySQL client library");
		return EXIT_FAILURE;
	}
	rc = argc == 0 ? console_run(&cli) : run_command(&cli, argc, argv);
	cp_db_close(cli.db);
	cp_config_free(&cli.cfg);
	cp_library_end();
	return rc;
}
