/*
 * A campaign's report as a bar chart (core's cp_report_*, the series the API,
 * couponadm report and its HTML page show): one bucket a column, the newest at
 * the right, as many as the terminal is wide. Tab picks the series, b switches
 * between hours and days.
 */
#include "config.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ui.h"
#include "xmalloc.h"

#define RELOAD_MS 10000
#define AXIS 8 /* columns of the y axis's labels */

static const struct series {
	const char *name;
	size_t off;
} series[] = {
	{"Redemptions", offsetof(struct cp_report_row, redemptions)},
	{"Reservations", offsetof(struct cp_report_row, reservations)},
	{"Refunds", offsetof(struct cp_report_row, refunds)},
};
#define NSERIES (sizeof series / sizeof series[0])

struct chart {
	uint32_t campaign;
	enum cp_report_bucket bucket;
	size_t shown; /* index into series */
	struct cp_report *r;
	uint64_t loaded_ms;
	int width; /* columns the last load was for */
};

static const enum ui_action hints[] = {UA_NEXT_FIELD, UA_REPORT, UA_REFRESH, UA_BACK, UA_NONE};

/* Columns for bars: one a bucket, right of the y axis. */
static int chart_width(const struct ui *ui)
{
	return ui->cols - AXIS - 2 > 1 ? ui->cols - AXIS - 2 : 1;
}

static uint64_t value(const struct cp_report_row *w, size_t s)
{
	uint64_t v;

	memcpy(&v, (const char *)w + series[s].off, sizeof v);
	return v;
}

/* Loads as many buckets as the window has columns for, ending now. */
static void reload(struct ui *ui, struct chart *x)
{
	char id[16], since[CP_TIME_TEXT_MAX];
	struct cp_report_args a = {.campaign = id, .since = since};
	time_t span = x->bucket == CP_REPORT_DAY ? 86400 : 3600;
	struct cp_report *r;
	struct cp_err e;
	enum cp_status st;

	x->width = chart_width(ui);
	snprintf(id, sizeof id, "%" PRIu32, x->campaign);
	cp_time_format(time(NULL) - (time_t)(x->width - 1) * span, "UTC", CP_TIME_RFC3339, since);
	a.bucket = cp_report_bucket_name(x->bucket);
	cp_err_clear(&e);
	x->loaded_ms = ui_now_ms();
	if ((st = cp_report_make(ui->db, &a, &r, &e)) != CP_OK) {
		ui_fail(ui, "report", st, &e);
		return;
	}
	cp_report_free(x->r);
	x->r = r;
	ui_dirty(ui);
}

static void *chart_open(struct ui *ui, void *arg)
{
	struct chart *x = xcalloc(1, sizeof *x);

	x->campaign = (uint32_t)(uintptr_t)arg;
	reload(ui, x);
	return x;
}

static void chart_close(struct ui *ui, void *state)
{
	struct chart *x = state;

	(void)ui;
	cp_report_free(x->r);
	free(x);
}

static void chart_tick(struct ui *ui, void *state)
{
	struct chart *x = state;

	if (ui_now_ms() - x->loaded_ms >= RELOAD_MS || x->width != chart_width(ui))
		reload(ui, x);
}

static bool chart_action(struct ui *ui, void *state, enum ui_action a)
{
	struct chart *x = state;

	switch (a) {
	case UA_NEXT_FIELD:
	case UA_PREV_FIELD:
		x->shown = (x->shown + (a == UA_NEXT_FIELD ? 1 : NSERIES - 1)) % NSERIES;
		ui_dirty(ui);
		return true;
	case UA_REPORT:
		x->bucket = x->bucket == CP_REPORT_DAY ? CP_REPORT_HOUR : CP_REPORT_DAY;
		reload(ui, x);
		return true;
	case UA_REFRESH:
		reload(ui, x);
		return true;
	default:
		return false;
	}
}

/* Bars from line TOP down to line BOTTOM (the base), eighths of a line at the top. */
static void bars(struct ui *ui, WINDOW *win, const struct chart *x, int top, int bottom,
		 uint64_t max, size_t from)
{
	const struct cp_report *r = x->r;
	int h = bottom - top + 1;
	char n[32];

	ui_putf(ui, win, top, 0, AXIS - 1, UI_DIM, "%*s", AXIS - 1, ui_num(max, n, sizeof n));
	ui_putf(ui, win, bottom, 0, AXIS - 1, UI_DIM, "%*s", AXIS - 1, "0");
	wattrset(win, ui_attr(ui, UI_SPARK));
	for (size_t i = from; i < r->n; i++) {
		uint64_t eighths = max ? value(&r->rows[i], x->shown) * (uint64_t)h * 8 / max : 0;
		int col = AXIS + (int)(i - from);

		for (int k = 0; k < h && eighths > (uint64_t)k * 8; k++) {
			uint64_t left = eighths - (uint64_t)k * 8;

			mvwaddstr(win, bottom - k, col, left >= 8 ? ui->g->full : ui->g->spark[left - 1]);
		}
	}
	wattrset(win, A_NORMAL);
}

static void heading(struct ui *ui, WINDOW *win, const struct chart *x, int w, uint64_t total)
{
	int col = 1;
	char n[32];

	for (size_t s = 0; s < NSERIES; s++) {
		ui_put(ui, win, 1, col, w - col, s == x->shown ? UI_SELECTED : UI_DIM, false,
		       series[s].name);
		col += (int)strlen(series[s].name) + 2;
	}
	ui_putf(ui, win, 1, col, w - col, UI_NORMAL, "%s in view", ui_num(total, n, sizeof n));
}

static void footer(struct ui *ui, WINDOW *win, const struct cp_report *r, int y, int w)
{
	const struct cp_report_row *last = &r->rows[r->n - 1];
	char a[32], b[32], c[32], d[32], e[32], f[32], g[32];

	ui_putf(ui, win, y, 1, w - 2, UI_NORMAL,
		"Codes now: %s available, %s assigned, %s pending, %s redeemed, %s expired",
		ui_num(r->status[CP_CODE_AVAILABLE], a, sizeof a),
		ui_num(r->status[CP_CODE_ASSIGNED], g, sizeof g),
		ui_num(r->status[CP_CODE_PENDING], b, sizeof b),
		ui_num(r->status[CP_CODE_REDEEMED], c, sizeof c),
		ui_num(r->status[CP_CODE_EXPIRED], d, sizeof d));
	ui_putf(ui, win, y + 1, 1, w - 2, UI_NORMAL, "To date: %s issued, %s redeemed",
		ui_num(last->issued, e, sizeof e), ui_num(last->redeemed, f, sizeof f));
	ui_put(ui, win, y + 2, 1, w - 2, UI_DIM, false, "Failed lookups: not recorded per campaign "
							"(coupon-fcgi's /metrics counts them).");
}

static void chart_draw(struct ui *ui, void *state, WINDOW *win)
{
	struct chart *x = state;
	const struct cp_report *r = x->r;
	int h = getmaxy(win), w = getmaxx(win);
	size_t from;
	uint64_t max = 0, total = 0;
	char t[CP_TIME_TEXT_MAX];

	if (r == NULL || r->n == 0) {
		ui_title(ui, "Report");
		return;
	}
	ui_title(ui, "Report: %s, per %s (%s)", r->campaign, cp_report_bucket_name(r->bucket),
		 r->time_zone);
	from = w > AXIS + 1 && r->n > (size_t)(w - AXIS - 1) ? r->n - (size_t)(w - AXIS - 1) : 0;
	for (size_t i = from; i < r->n; i++) {
		uint64_t v = value(&r->rows[i], x->shown);

		max = v > max ? v : max;
		total += v;
	}
	heading(ui, win, x, w, total);
	if (h < 10 || w < AXIS + 4)
		return;
	bars(ui, win, x, 3, h - 6, max, from);
	ui_hline(ui, win, h - 5, AXIS, (int)(r->n - from));
	cp_time_format(r->rows[from].start, r->time_zone, CP_TIME_LOCAL, t);
	ui_put(ui, win, h - 4, AXIS, w - AXIS, UI_DIM, false, t);
	cp_time_format(r->rows[r->n - 1].start, r->time_zone, CP_TIME_LOCAL, t);
	if ((int)(r->n - from) > 2 * (int)strlen(t) + 2)
		ui_put(ui, win, h - 4, AXIS + (int)(r->n - from) - (int)strlen(t), (int)strlen(t),
		       UI_DIM, false, t);
	footer(ui, win, r, h - 3, w);
}

const struct ui_screen screen_report = {
	.name = "report",
	.open = chart_open,
	.close = chart_close,
	.action = chart_action,
	.tick = chart_tick,
	.draw = chart_draw,
	.hints = hints,
};
