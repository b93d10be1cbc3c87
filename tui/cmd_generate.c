/*
 * couponadm generate: a batch of codes for a campaign, with a progress bar on a
 * terminal, a plain line every few seconds otherwise. Killed or interrupted,
 * the same command (or --resume BATCH) finishes the batch exactly.
 */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

#define PLAIN_EVERY 5.0 /* seconds between progress lines when not on a terminal */
#define BAR_WIDTH 30

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

struct progress {
	bool quiet, tty;
	double last;
	bool drawn;
};

static void fmt_eta(double s, char *buf, size_t size)
{
	unsigned long t = (unsigned long)(s + 0.5);

	if (s < 0 || s > 360000)
		snprintf(buf, size, "--:--");
	else if (t >= 3600)
		snprintf(buf, size, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, size, "%lu:%02lu", t / 60, t % 60);
}

static bool show_progress(const struct cp_gen_progress *p, void *arg)
{
	struct progress *pr = arg;
	double frac = p->requested ? (double)p->generated / (double)p->requested : 1;
	double rate = p->elapsed > 0 ? (double)p->run_generated / p->elapsed : 0;
	char bar[BAR_WIDTH + 1], eta[32];
	int fill = (int)(frac * BAR_WIDTH);

	if (pr->quiet || (!pr->tty && p->elapsed - pr->last < PLAIN_EVERY &&
			  p->generated < p->requested))
		return !interrupted;
	pr->last = p->elapsed;
	fmt_eta(rate > 0 ? (double)(p->requested - p->generated) / rate : -1, eta, sizeof eta);
	if (pr->tty) {
		memset(bar, '#', (size_t)fill);
		memset(bar + fill, '.', (size_t)(BAR_WIDTH - fill));
		bar[BAR_WIDTH] = '\0';
		fprintf(stderr, "\r[%s] %5.1f%% %" PRIu64 "/%" PRIu64 " %.0f codes/s ETA %s \033[K",
			bar, 100 * frac, p->generated, p->requested, rate, eta);
		pr->drawn = true;
	} else {
		fprintf(stderr, "batch %" PRIu64 ": %" PRIu64 "/%" PRIu64 " codes (%.1f%%), "
			"%.0f codes/s, ETA %s\n", p->batch_id, p->generated, p->requested,
			100 * frac, rate, eta);
	}
	fflush(stderr);
	return !interrupted;
}

struct gen_args {
	const char *campaign;
	uint64_t count, resume, cancel;
	enum cp_gen_method method;
	bool count_set, quiet, fresh;
	unsigned int chunk;
	const char *code_expires; /* NULL = the codes have no expiry of their own */
};

static enum cp_status parse_opt(struct gen_args *a, int ch, const char *arg, struct cp_err *e)
{
	uint64_t v;
	enum cp_status st = CP_OK;

	switch (ch) {
	case 'c':
		a->campaign = arg;
		break;
	case 'n':
		a->count_set = true;
		st = cp_parse_uint(arg, 0, UINT64_MAX / 2, &a->count, e);
		break;
	case 'm':
		st = cp_parse_method(arg, &a->method, e);
		break;
	case 'k':
		st = cp_parse_uint(arg, 1, CP_GEN_CHUNK_MAX, &v, e);
		a->chunk = (unsigned int)v;
		break;
	case 'r':
		st = cp_parse_uint(arg, 1, UINT64_MAX, &a->resume, e);
		break;
	case 'x':
		st = cp_parse_uint(arg, 1, UINT64_MAX, &a->cancel, e);
		break;
	case 'N':
		a->fresh = true;
		break;
	case 'X': /* checked here, read in the campaign's zone once it is known */
		a->code_expires = arg;
		st = cp_parse_time("code_expires_at", arg, &(time_t){0}, e);
		break;
	case 'q':
		a->quiet = true;
		break;
	default:
		st = cp_err_set(e, CP_E_INVALID_ARGUMENT, "%s", "");
	}
	return st;
}

static int parse_args(const struct cmd_entry *self, int argc, char **argv, struct gen_args *a)
{
	struct cp_err e;
	int ch;

	cp_err_clear(&e);
	while ((ch = cmd_getopt(self, argc, argv)) != -1) {
		if (parse_opt(a, ch, optarg, &e) != CP_OK) {
			if (e.msg[0])
				cli_warnx("%s", e.msg);
			return cmd_usage(self);
		}
	}
	if (a->cancel != 0)
		return optind == argc && !a->resume && !a->campaign && !a->count_set
			       ? 0 : cmd_usage(self);
	if (optind != argc || (!a->resume && (!a->campaign || !a->count_set)))
		return cmd_usage(self);
	if (!a->resume && a->count == 0) {
		cli_warnx("--count must be at least 1");
		return EXIT_USAGE;
	}
	return 0;
}

/* SIGINT and SIGTERM stop after the chunk under way: the batch is left cancelled. */
static void catch_signals(void)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	/* A shell runs background jobs with SIGINT ignored; keep it so. */
	if (sigaction(SIGINT, NULL, &old) == 0 && old.sa_handler != SIG_IGN)
		sigaction(SIGINT, &sa, NULL);
}

/*
 * The campaign's unfinished batch (killed, failed, interrupted) is finished
 * first when it is the same request, so running the same command again is how
 * an interrupted run is completed. A different request must say --new.
 */
static int pick_batch(struct cli *cli, const struct gen_args *a, const struct cp_campaign *c,
		      uint64_t *bid)
{
	struct cp_batch b;
	struct cp_err e;
	enum cp_status st;
	time_t expires = 0;
	bool found;

	cp_err_clear(&e);
	if (a->code_expires != NULL &&
	    (st = cp_parse_time_in("code_expires_at", a->code_expires, c->time_zone, CP_TIME_END,
				   &expires, &e)) != CP_OK)
		return cli_fail(st, &e);
	if ((st = cp_batch_unfinished(cli->db, c->id, &b, &found, &e)) != CP_OK)
		return cli_fail(st, &e);
	if (found && !a->fresh && b.requested == a->count && b.method == a->method &&
	    b.code_expires_at == expires) {
		if (!a->quiet)
			fprintf(stderr, "resuming batch %" PRIu64 " (%" PRIu64 " of %" PRIu64
				" codes, %s)\n", b.id, b.generated, b.requested,
				cp_batch_status_name(b.status));
		*bid = b.id;
		return EXIT_SUCCESS;
	}
	if (found && !a->fresh) {
		cli_warnx("campaign '%s' has an unfinished batch %" PRIu64 " (%s, %" PRIu64
			  " of %" PRIu64 " codes): finish it with --resume %" PRIu64
			  ", or start another batch anyway with --new", c->name, b.id,
			  cp_gen_method_name(b.method), b.generated, b.requested, b.id);
		return EXIT_FAILURE;
	}
	if ((st = cp_batch_create_expiring(cli->db, c->id, a->method, a->count, expires,
					   bid, &e)) != CP_OK)
		return cli_fail(st, &e);
	return EXIT_SUCCESS;
}

static int resolve(struct cli *cli, const struct gen_args *a, uint64_t *bid)
{
	struct cp_campaign c;
	struct cp_batch b;
	struct cp_err e;
	enum cp_status st;
	int rc;

	if (a->campaign != NULL && (rc = cli_campaign(cli, a->campaign, &c)) != EXIT_SUCCESS)
		return rc;
	if (a->resume == 0)
		return pick_batch(cli, a, &c, bid);
	cp_err_clear(&e);
	if (cli_db(cli, true) == NULL)
		return EXIT_FAILURE;
	if ((st = cp_batch_get(cli->db, a->resume, &b, &e)) != CP_OK)
		return cli_fail(st, &e);
	if (a->campaign != NULL && b.campaign_id != c.id) {
		cli_warnx("batch %" PRIu64 " is not a batch of campaign '%s'", b.id, c.name);
		return EXIT_FAILURE;
	}
	*bid = b.id;
	return EXIT_SUCCESS;
}

static int run(struct cli *cli, const struct gen_args *a, uint64_t bid)
{
	struct progress pr = {.quiet = a->quiet, .tty = isatty(STDERR_FILENO) == 1};
	struct cp_gen_opts o = {.chunk = a->chunk, .progress = show_progress, .arg = &pr};
	struct cp_batch b;
	struct cp_err e;
	enum cp_status st;

	cp_err_clear(&e);
	st = cp_batch_run(cli->db, bid, &o, &b, &e);
	if (pr.drawn)
		fputc('\n', stderr);
	if (st != CP_OK) {
		cli_fail(st, &e);
		if (b.id != 0 && b.status != CP_BATCH_COMPLETE)
			cli_warnx("batch %" PRIu64 " has %" PRIu64 " of %" PRIu64 " codes; "
				  "finish it with: couponadm generate --resume %" PRIu64, b.id,
				  b.generated, b.requested, b.id);
		return st == CP_E_INVALID_ARGUMENT ? EXIT_USAGE : EXIT_FAILURE;
	}
	if (!a->quiet)
		printf("batch %" PRIu64 ": %" PRIu64 " codes (%s), complete\n", b.id, b.generated,
		       cp_gen_method_name(b.method));
	return EXIT_SUCCESS;
}

/* --cancel: the batch stops being resumed by a plain rerun; --resume still finishes it. */
static int cancel(struct cli *cli, const struct gen_args *a)
{
	struct cp_err e;
	enum cp_status st;

	if (cli_db(cli, true) == NULL)
		return EXIT_FAILURE;
	cp_err_clear(&e);
	if ((st = cp_batch_cancel(cli->db, a->cancel, &e)) != CP_OK)
		return cli_fail(st, &e);
	if (!a->quiet)
		printf("batch %" PRIu64 " cancelled; finish it with: couponadm generate --resume %"
		       PRIu64 "\n", a->cancel, a->cancel);
	return EXIT_SUCCESS;
}

static int generate(const struct cmd_entry *self, struct cli *cli, int argc, char **argv)
{
	struct gen_args a = {.method = CP_GEN_RANDOM};
	uint64_t bid = 0;
	int rc;

	if ((rc = parse_args(self, argc, argv, &a)) != 0)
		return rc;
	a.quiet = a.quiet || cli->quiet;
	if (a.cancel != 0)
		return cancel(cli, &a);
	catch_signals();
	if ((rc = resolve(cli, &a, &bid)) != EXIT_SUCCESS)
		return rc;
	return run(cli, &a, bid);
}

static const struct option generate_opts[] = {
	{"campaign", required_argument, NULL, 'c'},
	{"count", required_argument, NULL, 'n'},
	{"method", required_argument, NULL, 'm'},
	{"chunk", required_argument, NULL, 'k'},
	{"resume", required_argument, NULL, 'r'},
	{"cancel", required_argument, NULL, 'x'},
	{"new", no_argument, NULL, 'N'},
	{"code-expires", required_argument, NULL, 'X'},
	{"quiet", no_argument, NULL, 'q'},
	{NULL, 0, NULL, 0},
};

const struct cmd_entry cmd_generate_entry = {
	.name = "generate",
	.synopsis = "--campaign NAME|ID --count N [--method random|keyed] [--chunk N] "
		    "[--code-expires TIME] [--new] [--quiet]\n"
		    "--resume BATCH [--campaign NAME|ID] [--chunk N] [--quiet]\n"
		    "--cancel BATCH [--quiet]",
	.summary = "generate a batch of codes (random or keyed); resume or cancel one",
	.shortopts = "q",
	.options = generate_opts,
	.exec = generate,
};
