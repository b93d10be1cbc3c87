/*
 * The dashboard: redemptions in the last minute and hour with a per-second
 * sparkline, and every campaign with its codes by status. Refreshed by the
 * shared stats watch (core/stats.c) once a second; drawing is diffed by curses,
 * so nothing flickers.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console_job.h"
#include "ui.h"
#include "xmalloc.h"

struct dash {
	struct ui_list list;
	uint32_t selected; /* campaign id under the cursor, kept across refreshes */
	int list_rows;
};

static const enum ui_action hints[] = {UA_ENTER, UA_NEW, UA_GENERATE, UA_EXPORT, UA_SEARCH,
				       UA_RECENT, UA_HELP, UA_BACK, UA_NONE};

static void *dash_open(struct ui *ui, void *arg)
{
	(void)arg;
	ui_stats_tick(ui, true);
	return xcalloc(1, sizeof(struct dash));
}

static void dash_close(struct ui *ui, void *state)
{
	(void)ui;
	free(state);
}

static const struct cp_stats *stats(const struct ui *ui)
{
	return ui_stats(ui);
}

/* Keeps the cursor on the same campaign when the list changes under it. */
static void sync_cursor(struct ui *ui, struct dash *d)
{
	const struct cp_stats *s = stats(ui);

	d->list.n = s->ncampaigns;
	for (size_t i = 0; i < d->list.n; i++)
		if (s->campaigns[i].id == d->selected)
			d->list.cur = i;
	ui_list_fit(&d->list, d->list_rows);
	if (d->list.n > 0)
		d->selected = s->campaigns[d->list.cur].id;
}

static void dash_tick(struct ui *ui, void *state)
{
	if (ui_stats_tick(ui, false))
		sync_cursor(ui, state);
	if (job_active(ui->job))
		ui_dirty(ui);
}

static bool dash_action(struct ui *ui, void *state, enum ui_action a)
{
	struct dash *d = state;

	if (ui_list_move(&d->list, a, d->list_rows)) {
		if (d->list.n > 0)
			d->selected = stats(ui)->campaigns[d->list.cur].id;
		ui_dirty(ui);
		return true;
	}
	if (a == UA_REFRESH) {
		ui_stats_tick(ui, true);
		sync_cursor(ui, d);
		return true;
	}
	if (a == UA_ENTER && d->list.n > 0) {
		ui_push(ui, &screen_campaign, (void *)(uintptr_t)d->selected);
		return true;
	}
	return d->list.n > 0 && ui_campaign_action(ui, d->selected, a);
}

static enum ui_attr status_attr(enum cp_campaign_status s)
{
	static const enum ui_attr a[] = {
		[CP_CAMPAIGN_ACTIVE] = UI_GOOD,
		[CP_CAMPAIGN_PAUSED] = UI_WARN,
		[CP_CAMPAIGN_ARCHIVED] = UI_DIM,
	};
	return a[s];
}

/* ", oldest 42 s" for the dashboard's backlog note. */
static const char *outbox_age(double seconds, char *buf, size_t size)
{
	snprintf(buf, size, ", oldest %.0f s", seconds);
	return buf;
}

static void draw_rates(struct ui *ui, WINDOW *win, int w)
{
	const struct cp_stats *s = stats(ui);
	char a[32], b[32];
	uint32_t peak = 0;
	int sw = w - 4 < (int)s->nspark ? w - 4 : (int)s->nspark;

	for (unsigned int i = s->nspark - (unsigned int)sw; i < s->nspark; i++)
		peak = s->spark[i] > peak ? s->spark[i] : peak;
	ui_put(ui, win, 0, 2, 12, UI_HEADER, false, "Redemptions");
	ui_putf(ui, win, 0, 15, w - 16, UI_NORMAL, "last minute %s   last hour %s   now %u/s",
		ui_num(s->last_minute, a, sizeof a), ui_num(s->last_hour, b, sizeof b),
		s->nspark ? s->spark[s->nspark - 1] : 0);
	ui_spark(ui, win, 1, 2, sw, s->spark, s->nspark);
	ui_putf(ui, win, 2, 2, w - 4, UI_DIM,
		"per second, last %d s; peak %u/s; events undelivered %s%s; refresh %.1f ms, %u queries",
		sw, peak, ui_num(s->outbox_pending, a, sizeof a),
		s->outbox_pending ? outbox_age(s->outbox_oldest, b, sizeof b) : "",
		s->query_ms, s->queries);
}

/* Columns: the name takes what the numbers leave; "assigned" and "last hour" need 92 columns. */
static int name_width(int w, bool wide)
{
	int nw = w - 2 - 5 - 9 - 12 * 2 - 9 * 2 - 7 - (wide ? 11 + 9 : 0);

	return nw < 8 ? 8 : nw;
}

static void draw_header(struct ui *ui, WINDOW *win, int y, int w)
{
	bool wide = w >= 92;
	int nw = name_width(w, wide);

	ui_putf(ui, win, y, 1, w - 1, UI_HEADER, "%4s %-*.*s %-8s %11s %11s %8s %8s %6s%s", "ID",
		nw, nw, "CAMPAIGN", "STATUS", "AVAILABLE", "REDEEMED", "PENDING", "EXPIRED",
		"1 MIN", wide ? " ASSIGNED     1 HOUR" : "");
}

static void draw_row(struct ui *ui, WINDOW *win, int y, int w, const struct cp_campaign_stats *c,
		     bool sel)
{
	bool wide = w >= 92;
	int nw = name_width(w, wide);
	char av[32], re[32], pe[32], ex[32], hr[32], as[32], line[512];
	enum ui_attr base = sel ? UI_SELECTED : UI_NORMAL;

	ui_num(c->available, av, sizeof av);
	ui_num(c->redeemed, re, sizeof re);
	ui_num(c->pending, pe, sizeof pe);
	ui_num(c->expired, ex, sizeof ex);
	ui_num(c->last_hour, hr, sizeof hr);
	ui_num(c->assigned, as, sizeof as);
	ui_put(ui, win, y, 0, w, base, true, "");
	ui_putf(ui, win, y, 1, 5, base, "%4u", c->id);
	ui_put(ui, win, y, 6, nw, base, false, c->name);
	ui_put(ui, win, y, 7 + nw, 8, sel ? base : status_attr(c->status), false,
	       cp_campaign_status_name(c->status));
	snprintf(line, sizeof line, "%11s %11s %8s %8s %6llu", av, re, pe, ex,
		 (unsigned long long)c->last_minute);
	if (wide)
		snprintf(line + strlen(line), sizeof line - strlen(line), " %8s %10s", as, hr);
	ui_put(ui, win, y, 16 + nw, w - 16 - nw, base, false, line);
	if (c->batches_running > 0 && !sel)
		ui_put(ui, win, y, 15 + nw, 1, UI_WARN, false, "*");
}

static void draw_job(struct ui *ui, WINDOW *win, int y, int w)
{
	struct job_view v;
	char a[32], b[32], r[32], eta[16];

	if (ui->job == NULL)
		return;
	job_snapshot(ui->job, &v);
	if (v.finished) {
		ui_putf(ui, win, y, 2, w - 4, v.status == CP_OK ? UI_GOOD : UI_BAD, "%s: %s",
			job_label(ui->job),
			v.status == CP_OK ? "done" : v.err.msg[0] ? v.err.msg : cp_status_message(v.status));
		return;
	}
	ui_putf(ui, win, y, 2, w - 4, UI_WARN, "%s of %s, %s/s, ETA %s%s  %s",
		ui_num(v.done, a, sizeof a), ui_num(v.total, b, sizeof b),
		ui_num((uint64_t)v.rate, r, sizeof r), ui_duration(v.eta, eta, sizeof eta),
		v.cancelling ? " (cancelling)" : "", job_label(ui->job));
	if (y + 1 < getmaxy(win))
		ui_bar(ui, win, y + 1, 2, w - 4, v.done, v.total);
}

static void dash_draw(struct ui *ui, void *state, WINDOW *win)
{
	struct dash *d = state;
	const struct cp_stats *s = stats(ui);
	int w = getmaxx(win), h = getmaxy(win), y = 4, job_rows = ui->job ? 3 : 0;

	ui_title(ui, "Dashboard");
	if (ui->stats_gen == 0) {
		ui_put(ui, win, 1, 2, w - 4, UI_DIM, false, "Counting codes...");
		return;
	}
	if (!ui->stats_ok)
		ui_put(ui, win, 3, 2, w - 4, UI_BAD, false,
		       "The last refresh failed; these figures are older (retrying).");
	draw_rates(ui, win, w);
	ui_section(ui, win, y++, 1, w - 2, "Campaigns");
	if (s->ncampaigns == 0) {
		ui_put(ui, win, y + 1, 2, w - 4, UI_NORMAL, false,
		       "No campaigns yet. Press n to create one.");
		return;
	}
	draw_header(ui, win, y++, w);
	d->list_rows = h - y - job_rows;
	sync_cursor(ui, d);
	for (size_t i = d->list.top; i < d->list.n && y < h - job_rows; i++, y++)
		draw_row(ui, win, y, w, &s->campaigns[i], i == d->list.cur);
	if (ui->job != NULL)
		draw_job(ui, win, h - 2, w);
}

const struct ui_screen screen_dashboard = {
	.name = "dashboard",
	.open = dash_open,
	.close = dash_close,
	.action = dash_action,
	.tick = dash_tick,
	.draw = dash_draw,
	.hints = hints,
};
