/*
 * The console's statistics in their own thread and connection: a recount of a
 * big campaign takes a second or two, and the UI must not wait for it. The UI
 * copies the latest snapshot under the mutex when it is newer than its own.
 */
#include "config.h"

#include <errno.h>
#include <mysql.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ui.h"
#include "xmalloc.h"

struct ui_stats_bg {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const struct cp_config *cfg;
	unsigned int period_ms;
	/* Under mu. */
	bool stop, force;
	uint64_t gen;
	enum cp_status st;
	struct cp_err err;
	struct cp_stats snap;
	size_t cap;
};

static void copy_stats(struct cp_stats *dst, size_t *cap, const struct cp_stats *src)
{
	struct cp_campaign_stats *keep = dst->campaigns;

	if (*cap < src->ncampaigns) {
		*cap = src->ncampaigns;
		keep = xreallocarray(keep, *cap, sizeof *keep);
	}
	*dst = *src;
	dst->campaigns = keep;
	if (src->ncampaigns > 0)
		memcpy(dst->campaigns, src->campaigns, src->ncampaigns * sizeof *keep);
}

static void wait_period(struct ui_stats_bg *b)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += b->period_ms / 1000;
	ts.tv_nsec += (long)(b->period_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (!b->stop && !b->force)
		if (pthread_cond_timedwait(&b->cv, &b->mu, &ts) == ETIMEDOUT)
			break;
	b->force = false;
}

static void *stats_main(void *arg)
{
	struct ui_stats_bg *b = arg;
	struct cp_stats_watch *w = NULL;
	struct cp_db *db = NULL;
	struct cp_err e;
	enum cp_status st;

	mysql_thread_init();
	cp_stats_watch_create(&w, CP_STATS_SPARK_MAX);
	pthread_mutex_lock(&b->mu);
	while (!b->stop) {
		pthread_mutex_unlock(&b->mu);
		cp_err_clear(&e);
		st = db == NULL ? cp_db_open(&db, b->cfg, "couponadm-console-stats", &e) : CP_OK;
		if (st == CP_OK)
			st = cp_stats_refresh(db, w, &e);
		pthread_mutex_lock(&b->mu);
		b->st = st;
		b->err = e;
		if (st == CP_OK)
			copy_stats(&b->snap, &b->cap, cp_stats_get(w));
		b->gen++;
		wait_period(b);
	}
	pthread_mutex_unlock(&b->mu);
	cp_db_close(db);
	cp_stats_watch_free(w);
	mysql_thread_end();
	return NULL;
}

bool ui_stats_start(struct ui *ui)
{
	struct ui_stats_bg *b = xcalloc(1, sizeof *b);
	sigset_t all, old;
	int rc;

	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	b->cfg = &ui->cli->cfg;
	b->period_ms = ui->refresh_ms;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&b->thread, NULL, stats_main, b);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		free(b);
		return false;
	}
	ui->bg = b;
	return true;
}

void ui_stats_stop(struct ui *ui)
{
	struct ui_stats_bg *b = ui->bg;

	if (b == NULL)
		return;
	pthread_mutex_lock(&b->mu);
	b->stop = true;
	pthread_cond_signal(&b->cv);
	pthread_mutex_unlock(&b->mu);
	pthread_join(b->thread, NULL);
	free(b->snap.campaigns);
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->cv);
	free(b);
	ui->bg = NULL;
	free(ui->snap.campaigns);
	memset(&ui->snap, 0, sizeof ui->snap);
}

bool ui_stats_tick(struct ui *ui, bool force)
{
	struct ui_stats_bg *b = ui->bg;
	bool changed = false;

	pthread_mutex_lock(&b->mu);
	if (force) {
		b->force = true;
		pthread_cond_signal(&b->cv);
	}
	if (b->gen != ui->stats_gen) {
		ui->stats_gen = b->gen;
		ui->stats_ok = b->st == CP_OK;
		if (ui->stats_ok)
			copy_stats(&ui->snap, &ui->snap_cap, &b->snap);
		else
			ui_fail(ui, "refresh", b->st, &b->err);
		changed = true;
	}
	pthread_mutex_unlock(&b->mu);
	if (changed)
		ui_dirty(ui);
	return changed;
}

const struct cp_stats *ui_stats(const struct ui *ui)
{
	return &ui->snap;
}

const struct cp_campaign_stats *ui_campaign_stats(const struct ui *ui, uint32_t id)
{
	for (size_t i = 0; i < ui->snap.ncampaigns; i++)
		if (ui->snap.campaigns[i].id == id)
			return &ui->snap.campaigns[i];
	return NULL;
}
