/*
 * The audit log (core/audit.c): every administrative change, newest first, who
 * made it and on what; the selected change's before and after below the list.
 * Scrolling fetches older entries a page at a time (by id: the log is append-only,
 * so a page never repeats or skips a row); C-r starts again from the newest.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"
#include "xmalloc.h"

#define PAGE 100
#define ROWS_MAX 10000
#define DETAIL_LINES 8 /* the before/after pane */

/* An entry as kept: its JSON in allocations of its own size, not 2 x 4 KiB. */
struct row {
	uint64_t id, object_id;
	time_t at;
	char action[33], object_type[17];
	char *actor, *before, *after;
};

struct audit {
	struct row *rows;
	size_t cap;
	bool more; /* the last page was full: older entries may follow */
	struct ui_list list;
	int list_rows;
};

static const enum ui_action hints[] = {UA_DOWN, UA_PGDN, UA_REFRESH, UA_BACK, UA_NONE};

static bool add(const struct cp_audit_entry *a, void *arg)
{
	struct audit *x = arg;
	struct row *r;

	if (x->list.n == x->cap) {
		x->cap = x->cap ? 2 * x->cap : PAGE;
		x->rows = xreallocarray(x->rows, x->cap, sizeof *x->rows);
	}
	r = &x->rows[x->list.n++];
	r->id = a->id;
	r->object_id = a->object_id;
	r->at = a->at;
	ui_copy(r->action, sizeof r->action, a->action);
	ui_copy(r->object_type, sizeof r->object_type, a->object_type);
	r->actor = xstrdup(a->actor);
	r->before = xstrdup(a->before);
	r->after = xstrdup(a->after);
	return true;
}

static void forget(struct audit *x)
{
	for (size_t i = 0; i < x->list.n; i++) {
		free(x->rows[i].actor);
		free(x->rows[i].before);
		free(x->rows[i].after);
	}
	x->list.n = x->list.cur = x->list.top = 0;
}

/* The next PAGE entries older than those loaded (all from the newest when none are). */
static void fetch(struct ui *ui, struct audit *x)
{
	struct cp_audit_filter f = {.limit = PAGE};
	size_t had = x->list.n;
	struct cp_err e;
	enum cp_status st;

	if (had > 0)
		f.before_id = x->rows[had - 1].id;
	cp_err_clear(&e);
	if ((st = cp_audit_list(ui->db, &f, add, x, &e)) != CP_OK)
		ui_fail(ui, "audit log", st, &e);
	x->more = st == CP_OK && x->list.n - had == PAGE && x->list.n < ROWS_MAX;
	ui_dirty(ui);
}

static void *audit_open(struct ui *ui, void *arg)
{
	struct audit *x = xcalloc(1, sizeof *x);

	(void)arg;
	x->list_rows = 10;
	fetch(ui, x);
	return x;
}

static void audit_close(struct ui *ui, void *state)
{
	struct audit *x = state;

	(void)ui;
	forget(x);
	free(x->rows);
	free(x);
}

static bool audit_action(struct ui *ui, void *state, enum ui_action a)
{
	struct audit *x = state;

	if (a == UA_REFRESH) {
		forget(x);
		fetch(ui, x);
		return true;
	}
	if (!ui_list_move(&x->list, a, x->list_rows))
		return false;
	if (x->more && x->list.cur + (size_t)x->list_rows >= x->list.n)
		fetch(ui, x);
	ui_dirty(ui);
	return true;
}

static void draw_detail(struct ui *ui, WINDOW *win, const struct row *r, int y)
{
	int w = getmaxx(win), h = getmaxy(win);
	char title[96];

	snprintf(title, sizeof title, "Entry %llu", (unsigned long long)r->id);
	ui_section(ui, win, y++, 1, w - 2, title);
	ui_put(ui, win, y, 2, 7, UI_DIM, false, "before");
	y = ui_wrap(ui, win, y, 9, w - 11, UI_NORMAL, r->before[0] ? r->before : "-");
	if (y < h) {
		ui_put(ui, win, y, 2, 7, UI_DIM, false, "after");
		ui_wrap(ui, win, y, 9, w - 11, UI_NORMAL, r->after[0] ? r->after : "-");
	}
}

static void audit_draw(struct ui *ui, void *state, WINDOW *win)
{
	struct audit *x = state;
	int w = getmaxx(win), h = getmaxy(win), y = 0;
	char t[32], obj[48], n[32];

	ui_title(ui, "Audit log");
	ui_putf(ui, win, y++, 1, w - 2, UI_HEADER, "%-19s %-24s %-20s %s", "WHEN (UTC)", "WHO",
		"WHAT", "ON");
	x->list_rows = h - y - DETAIL_LINES - 1;
	if (x->list_rows < 3)
		x->list_rows = 3;
	ui_list_fit(&x->list, x->list_rows);
	if (x->list.n == 0)
		ui_put(ui, win, y, 2, w - 4, UI_DIM, false, "No administrative change recorded yet.");
	for (size_t i = x->list.top; i < x->list.n && y <= x->list_rows; i++, y++) {
		const struct row *r = &x->rows[i];
		bool sel = i == x->list.cur;

		snprintf(obj, sizeof obj, "%s %llu", r->object_type,
			 (unsigned long long)r->object_id);
		ui_put(ui, win, y, 0, w, sel ? UI_SELECTED : UI_NORMAL, true, "");
		ui_putf(ui, win, y, 1, w - 2, sel ? UI_SELECTED : UI_NORMAL,
			"%-19s %-24.24s %-20s %s", ui_time(r->at, t, sizeof t), r->actor, r->action,
			obj);
	}
	ui_putf(ui, win, x->list_rows + 1, 1, w - 2, UI_DIM, "%s entries%s",
		ui_num(x->list.n, n, sizeof n),
		x->more ? ", older ones as you scroll" : ", back to the first");
	if (x->list.n > 0)
		draw_detail(ui, win, &x->rows[x->list.cur], x->list_rows + 2);
}

const struct ui_screen screen_audit = {
	.name = "audit",
	.open = audit_open,
	.close = audit_close,
	.action = audit_action,
	.draw = audit_draw,
	.hints = hints,
};
