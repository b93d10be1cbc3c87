/*
 * couponadm code: one code, for support staff (a customer on the phone); and
 * couponadm idempotency purge. The synopses are in the entries at the end.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"

struct code_args {
	const char *user, *order, *reason;
	unsigned int ttl;
	struct cp_money amount;
	bool has_amount;
};

/* On the clock of ZONE, the code's campaign's. */
static void when(const char *label, time_t t, const char *zone)
{
	char buf[CP_TIME_TEXT_MAX];

	printf("%-15s %s\n", label, t == 0 ? "-" : cp_time_format(t, zone, CP_TIME_RFC3339, buf));
}

static void field(const char *label, const char *v)
{
	printf("%-15s %s\n", label, v != NULL && *v ? v : "-");
}

static void print_event(const struct cp_code_event *v, void *arg)
{
	char buf[CP_TIME_TEXT_MAX];

	cp_time_format(v->created_at, arg, CP_TIME_RFC3339, buf);
	printf("  %s %s by %s (was %s%s%s%s%s)%s%s\n", buf, v->action, v->actor,
	       cp_code_status_name(v->prior_status), v->prior_user_id[0] ? ", user " : "",
	       v->prior_user_id, v->prior_order_id[0] ? ", order " : "", v->prior_order_id,
	       v->reason[0] ? ": " : "", v->reason);
}

/* A reward as the lines of show: its type and value, minimum order, metadata. */
static void print_reward(const char *label, const struct cp_reward *r)
{
	char text[128], min[64];

	if (r->id == 0) {
		field(label, NULL);
		return;
	}
	cp_reward_text(r, text, sizeof text);
	cp_money_text(&r->min_order, min, sizeof min);
	field(label, text);
	field("min order:", min);
	field("metadata:", r->metadata);
}

static void print_info(struct cp_db *db, const struct cp_code_info *i)
{
	char camp[CP_NAME_MAX * 4 + 32];
	struct cp_err e;

	snprintf(camp, sizeof camp, "%s (id %u)", i->campaign_name, i->campaign_id);
	field("code:", i->code);
	field("display:", i->display);
	field("campaign:", camp);
	printf("%-15s %llu\n", "batch:", (unsigned long long)i->batch_id);
	field("status:", cp_code_status_name(i->status));
	field("redeemable:", i->redeemable == CP_OK ? "yes" : cp_status_code(i->redeemable));
	field("user:", i->user_id);
	field("order:", i->order_id);
	when("redeemed at:", i->redeemed_at, i->time_zone);
	when("reserved until:", i->reserved_until, i->time_zone);
	when("expires at:", i->expires_at, i->time_zone);
	field("expired reason:", i->expired_reason);
	when("created at:", i->created_at, i->time_zone);
	if (i->assigned_to[0] != '\0') { /* handed out (couponadm assign, POST .../assign) */
		field("assigned to:", i->assigned_to);
		when("assigned at:", i->assigned_at, i->time_zone);
		when("assigned until:", i->assigned_until, i->time_zone);
	}
	print_reward(i->status == CP_CODE_PENDING ? "held:" : "granted:", &i->reward);
	printf("events:\n");
	cp_err_clear(&e);
	cp_code_events(db, i->id, print_event, (void *)i->time_zone, &e);
}

/* A refusal: "couponadm: CODE: already_redeemed: the code was already redeemed". */
static int refused(const char *code, enum cp_status st, const struct cp_err *e)
{
	if (st == CP_E_DB || st == CP_E_DB_UNAVAILABLE || st == CP_E_BUSY)
		return cli_fail(st, e);
	cli_warnx("%s: %s: %s", code, cp_status_code(st),
		  e->msg[0] ? e->msg : cp_status_message(st));
	return st == CP_E_INVALID_ARGUMENT ? EXIT_USAGE : EXIT_FAILURE;
}

static int do_show(struct cp_db *db, const char *code)
{
	struct cp_code_info info;
	struct cp_err e;
	enum cp_status st;

	cp_err_clear(&e);
	if ((st = cp_code_show(db, code, strlen(code), &info, &e)) != CP_OK)
		return refused(code, st, &e);
	print_info(db, &info);
	return EXIT_SUCCESS;
}

static int do_op(struct cp_db *db, enum cp_op op, const char *code, const struct code_args *a)
{
	struct cp_redeem_req q;
	struct cp_redeem_result r;
	struct cp_err e;
	enum cp_status st;

	memset(&q, 0, sizeof q);
	q.code = code;
	q.code_len = strlen(code);
	q.user_id = a->user;
	q.order_id = a->order;
	q.ttl = a->ttl;
	q.order_amount = a->has_amount ? &a->amount : NULL;
	cp_err_clear(&e);
	if ((st = cp_redeem_op(db, op, &q, &r, &e)) != CP_OK)
		return refused(code, st, &e);
	printf("%s: %s ok%s, campaign %s\n", r.code, cp_op_name(op),
	       r.replay ? " (again: the original success)" : "", r.campaign_name);
	if (r.redeemed_at != 0)
		when("redeemed at:", r.redeemed_at, NULL); /* as the API replies: UTC */
	if (r.reserved_until != 0)
		when("reserved until:", r.reserved_until, NULL);
	if (op != CP_OP_RELEASE)
		print_reward(op == CP_OP_VALIDATE ? "reward:" : op == CP_OP_RESERVE ? "held:"
											: "granted:",
			     &r.reward);
	return EXIT_SUCCESS;
}

static int do_admin(struct cli *cli, struct cp_db *db, const char *verb, const char *code,
		    const struct code_args *a)
{
	struct cp_code_info info;
	struct cp_err e;
	enum cp_status st;
	size_t n = strlen(code);

	static const struct {
		const char *verb;
		enum cp_status (*fn)(struct cp_db *, const char *, size_t, const char *,
				     const char *, struct cp_code_info *, struct cp_err *);
	} verbs[] = {
		{"unredeem", cp_code_unredeem},
		{"expire", cp_code_expire},
		{"unassign", cp_code_unassign},
	};
	size_t v = 0;

	while (v + 1 < sizeof verbs / sizeof verbs[0] && strcmp(verbs[v].verb, verb) != 0)
		v++;
	cp_err_clear(&e);
	st = verbs[v].fn(db, code, n, cli->actor, a->reason, &info, &e);
	if (st != CP_OK)
		return refused(code, st, &e);
	if (!cli->quiet)
		print_info(db, &info);
	return EXIT_SUCCESS;
}

/* The entry's options into A; the index of the first operand, -1 after a usage error. */
static int parse_args(const struct cmd_entry *self, int argc, char **argv, struct code_args *a)
{
	struct cp_err e;
	int ch;

	cp_err_clear(&e);
	memset(a, 0, sizeof *a);
	while ((ch = cmd_getopt(self, argc, argv)) != -1) {
		switch (ch) {
		case 'u':
			a->user = optarg;
			break;
		case 'o':
			a->order = optarg;
			break;
		case 'r':
			a->reason = optarg;
			break;
		case 't':
			if (cp_parse_ttl(optarg, &a->ttl, &e) != CP_OK)
				return cli_warnx("--ttl: %s", e.msg), -1;
			break;
		case 'a':
			if (cp_money_parse_text(optarg, &a->amount, &e) != CP_OK)
				return cli_warnx("--order-amount: %s", e.msg), -1;
			a->has_amount = true;
			break;
		default:
			return -1;
		}
	}
	return optind;
}

/* ARGV[0] is the verb; options may follow the code. */
static const char *operand(const struct cmd_entry *self, int argc, char **argv,
			   struct code_args *a)
{
	int i = parse_args(self, argc, argv, a);

	return i >= 0 && argc - i == 1 ? argv[i] : NULL;
}

/* The three code entries: show, the redemption operations, unredeem|expire. */
static int code_cmd(const struct cmd_entry *self, struct cli *cli, int argc, char **argv)
{
	struct code_args a;
	struct cp_db *db;
	const char *code;
	enum cp_op op = CP_OP_VALIDATE;

	if ((code = operand(self, argc, argv, &a)) == NULL ||
	    (self == &cmd_code_op_entry && !cp_op_from_name(argv[0], &op)))
		return cmd_usage(self);
	if ((db = cli_db(cli, true)) == NULL)
		return EXIT_FAILURE;
	if (self == &cmd_code_show_entry)
		return do_show(db, code);
	if (self == &cmd_code_admin_entry)
		return do_admin(cli, db, argv[0], code, &a);
	return do_op(db, op, code, &a);
}

static int idempotency(const struct cmd_entry *self, struct cli *cli, int argc, char **argv)
{
	uint64_t secs = cli->cfg.idempotency_retention, deleted = 0;
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st;
	int ch;

	cp_err_clear(&e);
	while ((ch = cmd_getopt(self, argc, argv)) != -1) {
		if (ch != 'o')
			return cmd_usage(self);
		if ((st = cp_parse_duration(optarg, &secs, &e)) != CP_OK)
			return cli_fail(st, &e);
	}
	if (optind + 1 != argc || strcmp(argv[optind], "purge") != 0 || secs > UINT32_MAX)
		return cmd_usage(self);
	if ((db = cli_db(cli, true)) == NULL)
		return EXIT_FAILURE;
	if ((st = cp_idempotency_purge(db, (unsigned int)secs, &deleted, &e)) != CP_OK)
		return cli_fail(st, &e);
	if (!cli->quiet)
		printf("purged %llu idempotency keys older than %llu s\n",
		       (unsigned long long)deleted, (unsigned long long)secs);
	return EXIT_SUCCESS;
}

static const struct option op_opts[] = {
	{"user", required_argument, NULL, 'u'},
	{"order", required_argument, NULL, 'o'},
	{"ttl", required_argument, NULL, 't'},
	{"order-amount", required_argument, NULL, 'a'},
	{NULL, 0, NULL, 0},
};

static const struct option admin_opts[] = {
	{"reason", required_argument, NULL, 'r'},
	{NULL, 0, NULL, 0},
};

static const struct option idempotency_opts[] = {
	{"older-than", required_argument, NULL, 'o'},
	{NULL, 0, NULL, 0},
};

const struct cmd_entry cmd_code_show_entry = {
	.name = "code show",
	.synopsis = "CODE",
	.summary = "look a code up (typed form accepted): status, campaign, history",
	.exec = code_cmd,
};

/* The names are core's (cp_op_from_name). */
const struct cmd_entry cmd_code_op_entry = {
	.name = "code validate|redeem|reserve|confirm|release",
	.synopsis = "CODE --user ID [--order ID] [--ttl SECONDS] [--order-amount AMOUNT]",
	.summary = "the redemption operations, as the HTTP API performs them",
	.shortopts = "u:o:t:",
	.options = op_opts,
	.exec = code_cmd,
};

const struct cmd_entry cmd_code_admin_entry = {
	.name = "code unredeem|expire|unassign",
	.synopsis = "CODE [--reason TEXT]",
	.summary = "refund, expire or take back a handed-out code, recorded in its history",
	.shortopts = "r:",
	.options = admin_opts,
	.exec = code_cmd,
};

const struct cmd_entry cmd_idempotency_entry = {
	.name = "idempotency",
	.synopsis = "purge [--older-than DURATION]",
	.summary = "delete idempotency keys past their retention",
	.shortopts = "o:",
	.options = idempotency_opts,
	.exec = idempotency,
};
