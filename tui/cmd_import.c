/*
 * couponadm import: codes made elsewhere, from a file or standard input, into
 * a batch of the campaign. The core reads and stores; this feeds it bytes and
 * reports. A regular file is hashed first, so that a resume with another file
 * is refused before it is read; from a pipe the hash of what the batch read so
 * far decides.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

struct import_args {
	const char *campaign, *file;
	uint64_t resume;
	enum cp_import_dup dup;
	unsigned int chunk;
	bool quiet;
};

struct input {
	int fd;
	const char *name;
	bool tty;      /* progress on a terminal */
	bool quiet;
	double last;
};

static long read_input(void *arg, char *buf, size_t n, struct cp_err *e)
{
	struct input *in = arg;
	ssize_t got;

	while ((got = read(in->fd, buf, n)) < 0 && errno == EINTR)
		;
	if (got < 0)
		cp_err_set(e, CP_E_IO, "%s: %s", in->name, strerror(errno));
	return (long)got;
}

static bool show_progress(const struct cp_import_progress *p, void *arg)
{
	struct input *in = arg;

	if (in->quiet || p->elapsed - in->last < 5.0)
		return !interrupted;
	in->last = p->elapsed;
	fprintf(stderr, "batch %" PRIu64 ": %" PRIu64 " codes from %" PRIu64 " lines",
		p->batch_id, p->imported, p->nlines);
	if (p->size > 0)
		fprintf(stderr, " (%.1f%%)", 100.0 * (double)p->bytes / (double)p->size);
	fprintf(stderr, ", %" PRIu64 " duplicates\n", p->duplicates);
	return !interrupted;
}

/* SHA-256 and size of a regular file, read once before the import reads it again. */
static int hash_file(struct input *in, char *hex, uint64_t *size)
{
	struct cp_err e;
	enum cp_status st;

	cp_err_clear(&e);
	if ((st = cp_import_digest(read_input, in, hex, size, &e)) != CP_OK) {
		cli_fail(st, &e);
		return -1;
	}
	if (lseek(in->fd, 0, SEEK_SET) != 0) {
		cli_warnx("%s: %s", in->name, strerror(errno));
		return -1;
	}
	return 0;
}

static int parse_args(const struct cmd_entry *self, int argc, char **argv, struct import_args *a)
{
	struct cp_err e;
	uint64_t v;
	int ch;

	cp_err_clear(&e);
	while ((ch = cmd_getopt(self, argc, argv)) != -1) {
		enum cp_status st = CP_OK;

		switch (ch) {
		case 'c':
			a->campaign = optarg;
			break;
		case 'r':
			st = cp_parse_uint(optarg, 1, UINT64_MAX, &a->resume, &e);
			break;
		case 'd':
			if (strcmp(optarg, "skip") == 0)
				a->dup = CP_IMPORT_DUP_SKIP;
			else if (strcmp(optarg, "fail") == 0)
				a->dup = CP_IMPORT_DUP_FAIL;
			else
				st = cp_err_set(&e, CP_E_INVALID_ARGUMENT,
						"--on-duplicate takes skip or fail");
			break;
		case 'k':
			st = cp_parse_uint(optarg, 1, CP_GEN_CHUNK_MAX, &v, &e);
			a->chunk = (unsigned int)v;
			break;
		case 'q':
			a->quiet = true;
			break;
		default:
			return cmd_usage(self);
		}
		if (st != CP_OK) {
			cli_warnx("%s", e.msg);
			return cmd_usage(self);
		}
	}
	if (optind + 1 != argc || (a->resume == 0) == (a->campaign == NULL))
		return cmd_usage(self);
	a->file = argv[optind];
	return 0;
}

static int open_input(const struct import_args *a, struct input *in, char *sha, uint64_t *size)
{
	struct stat sb;

	in->name = strcmp(a->file, "-") == 0 ? "standard input" : a->file;
	in->fd = strcmp(a->file, "-") == 0 ? STDIN_FILENO : open(a->file, O_RDONLY | O_CLOEXEC);
	if (in->fd < 0) {
		cli_warnx("%s: %s", a->file, strerror(errno));
		return -1;
	}
	sha[0] = '\0';
	*size = 0;
	if (fstat(in->fd, &sb) == 0 && S_ISREG(sb.st_mode))
		return hash_file(in, sha, size);
	return 0;
}

static void report(const struct cp_import_result *r, bool quiet)
{
	if (r->batch.id == 0)
		return;
	if (!quiet || r->batch.status != CP_BATCH_COMPLETE)
		printf("batch %" PRIu64 ": %" PRIu64 " codes imported from %" PRIu64 " lines, %"
		       PRIu64 " duplicates skipped, %s\n", r->batch.id, r->batch.generated,
		       r->nlines, r->duplicates, cp_batch_status_name(r->batch.status));
	if (r->ndup_lines > 0 && !quiet) {
		printf("duplicate lines%s:", r->duplicates > r->ndup_lines ? " (the first 100)" : "");
		for (unsigned int i = 0; i < r->ndup_lines; i++)
			printf(" %" PRIu64, r->dup_lines[i]);
		printf("\n");
	}
	if (r->sha256[0] != '\0' && r->batch.status == CP_BATCH_COMPLETE && !quiet)
		printf("sha256 %s\n", r->sha256);
}

static int import(const struct cmd_entry *self, struct cli *cli, int argc, char **argv)
{
	struct import_args a = {.dup = CP_IMPORT_DUP_FAIL};
	struct input in = {.fd = -1};
	struct cp_import_result res;
	struct cp_campaign c;
	struct cp_err e;
	char sha[65];
	uint64_t size, bid = a.resume;
	enum cp_status st;
	int rc;

	if ((rc = parse_args(self, argc, argv, &a)) != 0)
		return rc;
	a.quiet = a.quiet || cli->quiet;
	if (open_input(&a, &in, sha, &size) != 0)
		return EXIT_FAILURE;
	in.quiet = a.quiet;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	struct cp_import_opts o = {
		.on_duplicate = a.dup, .sha256 = sha[0] ? sha : NULL, .size = size,
		.chunk = a.chunk, .progress = show_progress, .arg = &in,
	};
	cp_err_clear(&e);
	memset(&res, 0, sizeof res);
	rc = EXIT_FAILURE;
	bid = a.resume;
	if (a.campaign != NULL && (rc = cli_campaign(cli, a.campaign, &c)) != EXIT_SUCCESS)
		goto out;
	if (cli_db(cli, true) == NULL) {
		rc = EXIT_FAILURE;
		goto out;
	}
	if (bid == 0 && (st = cp_import_create(cli->db, c.id, &o, &bid, &e)) != CP_OK) {
		rc = cli_fail(st, &e);
		goto out;
	}
	if (!a.quiet)
		fprintf(stderr, "%s batch %" PRIu64 "\n", a.resume ? "resuming" : "importing into",
			bid);
	st = cp_import_run(cli->db, bid, read_input, &in, &o, &res, &e);
	report(&res, a.quiet);
	rc = EXIT_SUCCESS;
	if (st != CP_OK) {
		rc = cli_fail(st, &e);
		if (res.batch.status != CP_BATCH_COMPLETE && res.batch.status != CP_BATCH_FAILED &&
		    res.batch.id != 0)
			cli_warnx("finish it with: couponadm import --resume %" PRIu64 " FILE", bid);
	}
out:
	if (in.fd > STDIN_FILENO)
		close(in.fd);
	return rc;
}

static const struct option import_opts[] = {
	{"campaign", required_argument, NULL, 'c'},
	{"resume", required_argument, NULL, 'r'},
	{"on-duplicate", required_argument, NULL, 'd'},
	{"chunk", required_argument, NULL, 'k'},
	{"quiet", no_argument, NULL, 'q'},
	{NULL, 0, NULL, 0},
};

const struct cmd_entry cmd_import_entry = {
	.name = "import",
	.synopsis = "--campaign NAME|ID [--on-duplicate skip|fail] [--chunk N] [--quiet] FILE|-\n"
		    "--resume BATCH [--chunk N] [--quiet] FILE|-",
	.summary = "import codes made elsewhere (CSV or one a line) into a batch; resume one",
	.shortopts = "q",
	.options = import_opts,
	.exec = import,
};
