/*
 * Recent activity: redemptions (newest first across campaigns), admin changes
 * (code_events) and failed or cancelled batches. Failed redemption requests are
 * not stored (the hot path is one statement): they are in coupon-fcgi's /metrics
 * and logs.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"
#include "xmalloc.h"

#define ROWS 50
#define RELOAD_MS 2000

struct recent {
	struct cp_recent_redemption red[ROWS];
	size_t nred;
	struct cp_recent_event ev[ROWS];
	size_t nev;
	struct cp_batch fail[ROWS];
	size_t nfail;
	uint64_t loaded_ms;
	struct ui_list list; /* scrolls the whole page */
};

static const enum ui_action hints[] = {UA_DOWN, UA_REFRESH, UA_BACK, UA_NONE};

static void add_red(const struct cp_recent_redemption *r, void *arg)
{
	struct recent *x = arg;
	size_t i = x->nred;

	/* Merge campaigns by time: insertion into the newest-first array. */
	while (i > 0 && x->red[i - 1].at < r->at)
		i--;
	if (i >= ROWS)
		return;
	memmove(x->red + i + 1, x->red + i, (x->nred - i - (x->nred == ROWS)) * sizeof *r);
	x->red[i] = *r;
	x->nred += x->nred < ROWS;
}

static void add_ev(const struct cp_recent_event *r, void *arg)
{
	struct recent *x = arg;

	if (x->nev < ROWS)
		x->ev[x->nev++] = *r;
}

static void add_fail(const struct cp_batch *b, void *arg)
{
	struct recent *x = arg;

	if (x->nfail < ROWS)
		x->fail[x->nfail++] = *b;
}

static void reload(struct ui *ui, struct recent *x)
{
	const struct cp_stats *s = ui_stats(ui);
	struct cp_err e;
	enum cp_status st = CP_OK;

	cp_err_clear(&e);
	x->nred = x->nev = x->nfail = 0;
	x->loaded_ms = ui_now_ms();
	for (size_t i = 0; i < s->ncampaigns && st == CP_OK; i++)
		if (s->campaigns[i].status != CP_CAMPAIGN_ARCHIVED)
			st = cp_stats_recent_redemptions(ui->db, s->campaigns[i].id, ROWS, add_red, x, &e);
	if (st == CP_OK)
		st = cp_stats_recent_events(ui->db, ROWS, add_ev, x, &e);
	if (st == CP_OK)
		st = cp_stats_recent_failures(ui->db, ROWS, add_fail, x, &e);
	if (st != CP_OK)
		ui_fail(ui, "recent", st, &e);
	ui_dirty(ui);
}

static void *recent_open(struct ui *ui, void *arg)
{
	struct recent *x = xcalloc(1, sizeof *x);

	(void)arg;
	reload(ui, x);
	return x;
}

static void recent_close(struct ui *ui, void *state)
{
	(void)ui;
	free(state);
}

static void recent_tick(struct ui *ui, void *state)
{
	struct recent *x = state;

	ui_stats_tick(ui, false);
	if (ui_now_ms() - x->loaded_ms >= RELOAD_MS)
		reload(ui, x);
}

static bool recent_action(struct ui *ui, void *state, enum ui_action a)
{
	struct recent *x = state;

	if (a == UA_REFRESH) {
		reload(ui, x);
		return true;
	}
	x->list.n = x->nred + x->nev + x->nfail + 6;
	if (!ui_list_move(&x->list, a, 1))
		return false;
	x->list.top = x->list.cur;
	ui_dirty(ui);
	return true;
}

static const char *campaign_name(const struct ui *ui, uint32_t id)
{
	const struct cp_campaign_stats *c = ui_campaign_stats(ui, id);

	return c ? c->name : "?";
}

/* Lines are numbered from the top of the page; only those in view are drawn. */
struct page {
	struct ui *ui;
	WINDOW *win;
	int line, top, w, h;
};

static bool visible(struct page *p, int *y)
{
	*y = p->line++ - p->top;
	return *y >= 0 && *y < p->h;
}

static void section(struct page *p, const char *title, size_t n)
{
	char buf[96];
	int y;

	snprintf(buf, sizeof buf, "%s (%zu)", title, n);
	if (visible(p, &y))
		ui_section(p->ui, p->win, y, 1, p->w - 2, buf);
}

static void draw_lists(struct page *p, const struct recent *x)
{
	char t[32];
	int y;

	section(p, "Redemptions, newest first (UTC)", x->nred);
	for (size_t i = 0; i < x->nred; i++)
		if (visible(p, &y))
			ui_putf(p->ui, p->win, y, 2, p->w - 4, UI_NORMAL, "%s  %-20.20s %-24s %s %s",
				ui_time(x->red[i].at, t, sizeof t), campaign_name(p->ui, x->red[i].campaign_id),
				x->red[i].code, x->red[i].user_id, x->red[i].order_id);
	section(p, "Admin changes", x->nev);
	for (size_t i = 0; i < x->nev; i++)
		if (visible(p, &y))
			ui_putf(p->ui, p->win, y, 2, p->w - 4, UI_NORMAL, "%s  %-9s %-24s was %-9s by %s %s",
				ui_time(x->ev[i].at, t, sizeof t), x->ev[i].action, x->ev[i].code,
				x->ev[i].prior_status, x->ev[i].actor, x->ev[i].reason);
	section(p, "Failed and cancelled batches", x->nfail);
	for (size_t i = 0; i < x->nfail; i++)
		if (visible(p, &y))
			ui_putf(p->ui, p->win, y, 2, p->w - 4, x->fail[i].status == CP_BATCH_FAILED ? UI_BAD : UI_WARN,
				"%s  batch %llu of %-16.16s %s at %llu/%llu %s",
				ui_time(x->fail[i].started_at, t, sizeof t), (unsigned long long)x->fail[i].id,
				campaign_name(p->ui, x->fail[i].campaign_id),
				cp_batch_status_name(x->fail[i].status), (unsigned long long)x->fail[i].generated,
				(unsigned long long)x->fail[i].requested, x->fail[i].error);
	if (visible(p, &y))
		ui_put(p->ui, p->win, y, 2, p->w - 4, UI_DIM, false,
		       "Refused redemption requests are not stored: see coupon-fcgi's /metrics and log.");
}

static void recent_draw(struct ui *ui, void *state, WINDOW *win)
{
	struct recent *x = state;
	struct page p = {ui, win, 0, (int)x->list.top, getmaxx(win), getmaxy(win)};

	ui_title(ui, "Recent activity");
	draw_lists(&p, x);
}

const struct ui_screen screen_recent = {
	.name = "recent",
	.open = recent_open,
	.close = recent_close,
	.action = recent_action,
	.tick = recent_tick,
	.draw = recent_draw,
	.hints = hints,
};
