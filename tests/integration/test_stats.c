/*
 * core/stats.c against plain COUNT(*) queries: the incremental refresh must give
 * the same figures as counting everything, after redemptions, admin expiries,
 * new batches and archived campaigns. The codes of an import that has not
 * completed are in none of them, here nor in cp_code_counts nor the report, nor
 * in an export.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

static struct cp_db *db;

static long long q(const char *fmt, unsigned int id)
{
	char sql[512];

	snprintf(sql, sizeof sql, fmt, id);
	return tl_query_int(db, sql);
}

/* Every figure of every campaign equals a direct count. */
static void compare(int line, struct cp_stats_watch *w)
{
	struct cp_err e;
	const struct cp_stats *s;

	cp_err_clear(&e);
	CHECK_AT(line, cp_stats_refresh(db, w, &e) == CP_OK, "refresh: %s", e.msg);
	s = cp_stats_get(w);
	CHECK_AT(line, (long long)s->ncampaigns == tl_query_int(db, "SELECT COUNT(*) FROM campaigns"),
		 "campaign count %zu", s->ncampaigns);
	for (size_t i = 0; i < s->ncampaigns; i++) {
		const struct cp_campaign_stats *c = &s->campaigns[i];
		static const char base[] = "SELECT COUNT(*) FROM coupon_codes WHERE campaign_id = %u";
		char sql[512], minute[160];
		struct {
			const char *cond;
			uint64_t got;
		} rows[] = {
			{" AND status = 'available' AND batch_id NOT IN (SELECT id FROM"
			 " generation_batches WHERE method = 'import' AND status <> 'complete')",
			 c->available},
			{" AND status = 'pending'", c->pending},
			{" AND status = 'redeemed'", c->redeemed},
			{" AND status = 'expired'", c->expired},
			{minute, c->last_minute},
		};

		/* The last minute is whole seconds of the server clock at the refresh: the
		 * same seconds here, not NOW() of a later query on a loaded machine. */
		snprintf(minute, sizeof minute,
			 " AND status = 'redeemed' AND redeemed_at >= FROM_UNIXTIME(%lld)"
			 " AND redeemed_at < FROM_UNIXTIME(%lld)",
			 (long long)s->at - 59, (long long)s->at + 1);

		for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
			snprintf(sql, sizeof sql, "%s%s", base, rows[r].cond);
			CHECK_AT(line, (long long)rows[r].got == q(sql, c->id),
				 "campaign %u%s: stats %llu, count %lld", c->id, rows[r].cond,
				 (unsigned long long)rows[r].got, q(sql, c->id));
		}
		/* The hour's far edge moves by up to LAG seconds: none of our rows are there. */
		snprintf(sql, sizeof sql, "%s AND status = 'redeemed' AND redeemed_at >= NOW(6) - "
			 "INTERVAL 1 HOUR", base);
		CHECK_AT(line, (long long)c->last_hour == q(sql, c->id), "campaign %u last hour %llu",
			 c->id, (unsigned long long)c->last_hour);
	}
}

static void codes(unsigned int campaign, unsigned int batch, const char *prefix, int n,
		  const char *status, const char *redeemed_at)
{
	char sql[1024];

	snprintf(sql, sizeof sql,
		 "INSERT INTO coupon_codes (code, campaign_id, batch_id, status, redeemed_at)"
		 " SELECT CONCAT('%s', seq), %u, %u, '%s', %s FROM seq_1_to_%d",
		 prefix, campaign, batch, status, redeemed_at, n);
	tl_exec(db, sql);
	snprintf(sql, sizeof sql,
		 "UPDATE generation_batches SET generated = generated + %d, requested = "
		 "requested + %d WHERE id = %u", n, n, batch);
	tl_exec(db, sql);
}

struct input {
	const char *p;
	size_t left;
};

static long input_read(void *arg, char *buf, size_t n, struct cp_err *e)
{
	struct input *in = arg;

	(void)e;
	n = n < in->left ? n : in->left;
	memcpy(buf, in->p, n);
	in->p += n;
	in->left -= n;
	return (long)n;
}

static bool stop(const struct cp_import_progress *p, void *arg)
{
	(void)p;
	(void)arg;
	return false;
}

static const struct cp_campaign_stats *find(struct cp_stats_watch *w, uint32_t id)
{
	const struct cp_stats *s = cp_stats_get(w);

	for (size_t i = 0; i < s->ncampaigns; i++)
		if (s->campaigns[i].id == id)
			return &s->campaigns[i];
	return NULL;
}

/* Every count of CAMPAIGN (and of its batch BATCH) has AVAILABLE in use and IMPORTING apart. */
static void counts(int line, struct cp_stats_watch *w, uint32_t campaign, uint64_t batch,
		   uint64_t available, uint64_t importing)
{
	const struct cp_campaign_stats *c;
	struct cp_report_args ra = {.campaign_id = campaign};
	struct cp_report *rep = NULL;
	struct cp_code_counts k;
	struct cp_err e;

	compare(line, w);
	c = find(w, campaign);
	CHECK_AT(line, c != NULL && c->available == available && c->importing == importing,
		 "stats: available %llu, importing %llu", c ? (unsigned long long)c->available : 0,
		 c ? (unsigned long long)c->importing : 0);
	for (int b = 0; b < 2; b++) {
		CHECK_AT(line, cp_code_counts(db, campaign, b ? batch : 0, &k, &e) == CP_OK,
			 "counts: %s", e.msg);
		CHECK_AT(line, k.available == available && k.importing == importing &&
			 k.total == available, "counts%s: available %llu, importing %llu, total %llu",
			 b ? " of the batch" : "", (unsigned long long)k.available,
			 (unsigned long long)k.importing, (unsigned long long)k.total);
	}
	CHECK_AT(line, cp_report_make(db, &ra, &rep, &e) == CP_OK, "report: %s", e.msg);
	CHECK_AT(line, rep->status[CP_CODE_AVAILABLE] == available && rep->importing == importing &&
		 rep->rows[rep->n - 1].issued == available,
		 "report: available %llu, importing %llu, issued %llu",
		 (unsigned long long)rep->status[CP_CODE_AVAILABLE],
		 (unsigned long long)rep->importing, (unsigned long long)rep->rows[rep->n - 1].issued);
	cp_report_free(rep);
}

/* Exports the campaign's available codes (of BATCH, if not 0) to a new file: the status. */
static enum cp_status export(uint32_t campaign, uint64_t batch, uint64_t *count)
{
	static unsigned int n;
	char dir[] = "/tmp/cpt_stats_XXXXXX", path[64];
	struct cp_export_opts o = {.campaign_id = campaign, .batch_id = batch,
				   .status = "available", .actor = "test"};
	struct cp_export_result res = {0};
	struct cp_err e;
	enum cp_status st;

	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(path, sizeof path, "%s/out%u.csv", dir, n++);
	o.path = path;
	st = cp_export(db, &o, &res, &e);
	*count = res.count;
	unlink(path);
	strcat(path, ".sha256");
	unlink(path);
	rmdir(dir);
	return st;
}

/* An import stopped after its first chunk (as a killed one is): stored, in no count. */
static void unfinished_import(struct cp_stats_watch *w)
{
	struct cp_import_opts o = {.chunk = 100, .progress = stop};
	struct cp_campaign c;
	struct input in;
	struct cp_err e;
	char text[4096];
	uint64_t bid = 0, n = 0;
	size_t len = (size_t)snprintf(text, sizeof text, "code\n");

	for (int i = 0; i < 250; i++)
		len += (size_t)snprintf(text + len, sizeof text - len, "IMP%04d\n", i);
	cp_err_clear(&e);
	cp_campaign_init(&c);
	snprintf(c.name, sizeof c.name, "imported");
	c.format.external = true;
	CHECK(cp_campaign_create(db, &c, &e) == CP_OK, "campaign: %s", e.msg);
	CHECK(cp_import_create(db, c.id, &o, &bid, &e) == CP_OK, "import: %s", e.msg);
	in = (struct input){text, len};
	CHECK(cp_import_run(db, bid, input_read, &in, &o, NULL, &e) == CP_E_CANCELLED,
	      "stopped: %s", e.msg);
	CHECK(tl_query_intf(db, "SELECT COUNT(*) FROM coupon_codes WHERE batch_id = %llu",
			    (unsigned long long)bid) == 100, "a chunk stored");
	counts(__LINE__, w, c.id, bid, 0, 100);
	/* Nor do they leave in an export of available codes. */
	CHECK(export(c.id, 0, &n) == CP_OK && n == 0, "exported %llu", (unsigned long long)n);
	CHECK(export(c.id, bid, &n) == CP_E_CONFLICT, "the batch's export refused");
	/* The leak response leaves them alone; the batch itself is not in use to expire. */
	CHECK(cp_expire_codes(db, c.id, 0, "test", "leak", &n, &e) == CP_OK && n == 0,
	      "campaign expiry: %llu codes, %s", (unsigned long long)n, e.msg);
	CHECK(cp_expire_codes(db, c.id, bid, "test", "leak", &n, &e) == CP_E_CONFLICT,
	      "batch expiry refused: %s", e.msg);
	counts(__LINE__, w, c.id, bid, 0, 100);
	o.progress = NULL;
	in = (struct input){text, len};
	CHECK(cp_import_run(db, bid, input_read, &in, &o, NULL, &e) == CP_OK, "resumed: %s", e.msg);
	counts(__LINE__, w, c.id, bid, 250, 0);
	CHECK(export(c.id, 0, &n) == CP_OK && n == 250, "exported %llu", (unsigned long long)n);
}

int main(void)
{
	struct cp_config cfg;
	struct cp_stats_watch *w;

	db = tl_db_fresh("stats", &cfg);
	cp_stats_watch_create(&w, 60);
	compare(__LINE__, w); /* no campaigns at all */
	tl_exec(db, "INSERT INTO campaigns (id, name, alphabet, body_length) VALUES"
		    " (1, 'a', '0123456789', 8), (2, 'b', '0123456789', 8)");
	tl_exec(db, "INSERT INTO generation_batches (id, campaign_id, method, requested)"
		    " VALUES (1, 1, 'random', 0), (2, 2, 'random', 0)");
	codes(1, 1, "A", 500, "available", "NULL");
	codes(1, 1, "B", 300, "redeemed", "NOW(6) - INTERVAL seq * 10 SECOND"); /* 50 min */
	codes(1, 1, "C", 40, "redeemed", "NOW(6) - INTERVAL 2 HOUR");
	codes(1, 1, "D", 7, "pending", "NULL");
	codes(2, 2, "E", 200, "available", "NULL");
	compare(__LINE__, w); /* the first refresh: a full count */
	/* New redemptions arrive; two refreshes later they are past the mark. */
	codes(1, 1, "F", 25, "redeemed", "NOW(6)");
	codes(2, 2, "G", 10, "redeemed", "NOW(6) - INTERVAL 3 SECOND");
	compare(__LINE__, w);
	sleep(2);
	tl_exec(db, "UPDATE coupon_codes SET status = 'redeemed', redeemed_at = NOW(6)"
		    " WHERE code LIKE 'A1%'");
	compare(__LINE__, w);
	sleep(5);
	compare(__LINE__, w); /* the redemptions crossed the mark */
	/* An admin expiry: code_events names campaign 2, which is recounted. */
	tl_exec(db, "UPDATE coupon_codes SET status = 'expired' WHERE code LIKE 'E1%'");
	tl_exec(db, "INSERT INTO code_events (code_id, campaign_id, action, prior_status, actor)"
		    " VALUES (1, 2, 'expire', 'available', 'test')");
	compare(__LINE__, w);
	/* A new campaign changes the set: everything is counted again. */
	tl_exec(db, "INSERT INTO campaigns (id, name, alphabet, body_length, status)"
		    " VALUES (3, 'c', '0123456789', 8, 'archived')");
	compare(__LINE__, w);
	CHECK(cp_stats_get(w)->recounted, "a new campaign forces a recount");
	compare(__LINE__, w);
	CHECK(!cp_stats_get(w)->recounted, "the next refresh is incremental");
	CHECK(cp_stats_get(w)->outbox_pending == 0, "outbox backlog %llu",
	      (unsigned long long)cp_stats_get(w)->outbox_pending);
	tl_exec(db, "INSERT INTO outbox (event_id, event_type, campaign_id, code, created_at)"
		    " VALUES (UUID(), 'redeemed', 1, 'A1', NOW(6) - INTERVAL 30 SECOND)");
	compare(__LINE__, w);
	CHECK(cp_stats_get(w)->outbox_pending == 1, "outbox backlog %llu",
	      (unsigned long long)cp_stats_get(w)->outbox_pending);
	CHECK(cp_stats_get(w)->outbox_oldest >= 29, "oldest event %.1f s",
	      cp_stats_get(w)->outbox_oldest);
	/* Steady state: now + campaigns, 3 per campaign, the outbox backlog. */
	CHECK(cp_stats_get(w)->queries <= 3 + 3 * 2, "steady state: %u queries",
	      cp_stats_get(w)->queries);
	unfinished_import(w);
	cp_stats_watch_free(w);
	cp_db_close(db);
	cp_config_free(&cfg);
	return tl_done("test_stats");
}
