/*
 * Redemption search: filter fields (campaign, user, order, status, time range)
 * over core's keyset search (cp_search_*), newest first. The list scrolls and
 * fetches the next page when the cursor nears its end; Enter opens the code in
 * the lookup screen, / goes back to the filters. With a user and no status it is
 * the lookup by user: the codes the user holds reserved, then those redeemed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"
#include "xmalloc.h"

#define PAGE "100"
#define ROWS_MAX 10000 /* rows kept on screen; narrow the filters for more */

enum { F_CAMPAIGN, F_USER, F_ORDER, F_STATUS, F_SINCE, F_UNTIL, NFIELDS };

struct srch {
	bool listing; /* the results have the keys; / edits the filters again */
	struct ui_field fields[NFIELDS];
	struct ui_form form;
	struct cp_search_args args; /* of the redeemed search, pointing into fields */
	char next[CP_CURSOR_MAX + 1]; /* "" when the last page is in */
	struct cp_redemption *rows;
	size_t cap;
	size_t reserved; /* the first rows, when reserved codes are listed too */
	struct ui_list list;
	int list_rows;
};

static const enum ui_action hints[] = {UA_ENTER, UA_NEXT_FIELD, UA_SEARCH, UA_PGDN, UA_BACK,
				       UA_NONE};

/* ARG of ui_push for the lookup by user: the cursor starts on the user field. */
const char ui_search_by_user[] = "user";

static void *search_open(struct ui *ui, void *arg)
{
	struct srch *x = xcalloc(1, sizeof *x);

	(void)ui;
	x->fields[F_CAMPAIGN] = (struct ui_field){.label = "Campaign", .hint = "name or id; empty = all"};
	x->fields[F_USER] = (struct ui_field){.label = "User", .hint = "exact user id"};
	x->fields[F_ORDER] = (struct ui_field){.label = "Order", .hint = "exact order id"};
	x->fields[F_STATUS] = (struct ui_field){
		.label = "Status", .hint = "redeemed or pending; empty with a user = both"};
	x->fields[F_SINCE] = (struct ui_field){.label = "Since", .hint = "2026-01-31, ... 12:00, UTC"};
	x->fields[F_UNTIL] = (struct ui_field){.label = "Until", .hint = "before this time"};
	x->form.fields = x->fields;
	x->form.n = NFIELDS;
	if (arg == ui_search_by_user)
		x->form.cur = F_USER;
	x->list_rows = 10;
	return x;
}

static void search_close(struct ui *ui, void *state)
{
	struct srch *x = state;

	(void)ui;
	free(x->rows);
	free(x);
}

static const char *given(const struct srch *x, int f)
{
	return x->fields[f].len > 0 ? x->fields[f].value : NULL;
}

static bool add_row(const struct cp_redemption *r, void *arg)
{
	struct srch *x = arg;

	if (x->list.n == ROWS_MAX)
		return false;
	if (x->list.n == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 256;
		x->rows = xreallocarray(x->rows, x->cap, sizeof *x->rows);
	}
	x->rows[x->list.n++] = *r;
	return true;
}

/* Puts an error of core on the field it names, or above the form. */
static void field_error(struct srch *x, enum cp_status st, const struct cp_err *e)
{
	static const char *const names[NFIELDS] = {"campaign", "user_id", "order_id",
						   "status", "since", "until"};
	const char *msg = e->msg[0] ? e->msg : cp_status_message(st);

	for (int f = 0; f < NFIELDS; f++) {
		if (strcmp(e->field, names[f]) == 0) {
			ui_copy(x->fields[f].error, sizeof x->fields[f].error, msg);
			x->form.cur = (size_t)f;
			return;
		}
	}
	ui_copy(x->form.error, sizeof x->form.error, msg);
}

/* One page of ARGS (with the cursor of the last) appended; NEXT gets the next cursor. */
static enum cp_status fetch(struct ui *ui, struct srch *x, const struct cp_search_args *args,
			    char next[CP_CURSOR_MAX + 1], struct cp_err *e)
{
	struct cp_search s;
	enum cp_status st;

	next[0] = '\0';
	if ((st = cp_search_init(ui->db, args, &s, e)) != CP_OK)
		return st;
	return cp_search_run(ui->db, &s, add_row, x, next, e);
}

static void run(struct ui *ui, struct srch *x)
{
	struct cp_search_args a;
	struct cp_err e;
	enum cp_status st = CP_OK;
	char ignored[CP_CURSOR_MAX + 1];

	ui_form_clear_errors(&x->form);
	cp_err_clear(&e);
	x->list = (struct ui_list){0};
	x->reserved = 0;
	memset(&x->args, 0, sizeof x->args);
	x->args.campaign = given(x, F_CAMPAIGN);
	x->args.user_id = given(x, F_USER);
	x->args.order_id = given(x, F_ORDER);
	x->args.status = given(x, F_STATUS);
	x->args.since = given(x, F_SINCE);
	x->args.until = given(x, F_UNTIL);
	x->args.limit = PAGE;
	if (x->args.user_id != NULL && x->args.status == NULL) {
		/* What the user holds: every reservation first (few), then the redemptions. */
		a = x->args;
		a.status = "pending";
		a.limit = NULL;
		a.all = true;
		st = fetch(ui, x, &a, ignored, &e);
		x->reserved = x->list.n;
	}
	if (st == CP_OK)
		st = fetch(ui, x, &x->args, x->next, &e);
	if (st != CP_OK) {
		field_error(x, st, &e);
		x->list.n = 0;
		return;
	}
	x->listing = true;
}

/* Near the end of what is loaded: the next page, if there is one. */
static void more(struct ui *ui, struct srch *x)
{
	struct cp_search_args a = x->args;
	char cursor[CP_CURSOR_MAX + 1];
	struct cp_err e;
	enum cp_status st;

	if (x->next[0] == '\0' || x->list.n >= ROWS_MAX ||
	    x->list.cur + (size_t)x->list_rows < x->list.n)
		return;
	memcpy(cursor, x->next, sizeof cursor);
	a.cursor = cursor;
	cp_err_clear(&e);
	if ((st = fetch(ui, x, &a, x->next, &e)) != CP_OK)
		ui_fail(ui, "next page", st, &e);
}

static bool search_input(struct ui *ui, void *state, int ch)
{
	struct srch *x = state;

	if (x->listing || !ui_form_input(&x->form, ch))
		return false;
	ui_dirty(ui);
	return true;
}

static bool search_action(struct ui *ui, void *state, enum ui_action a)
{
	struct srch *x = state;

	ui_dirty(ui);
	if (!x->listing) {
		if (a == UA_ENTER) {
			run(ui, x);
			return true;
		}
		/* Keys that would open other views while typing stay with the form. */
		return ui_form_action(&x->form, a) ||
		       (a != UA_BACK && a != UA_QUIT && a != UA_HELP);
	}
	if (a == UA_SEARCH) {
		x->listing = false;
		x->form.cur = 0;
		return true;
	}
	if (a == UA_REFRESH) {
		run(ui, x);
		return true;
	}
	if (a == UA_ENTER && x->list.n > 0) {
		ui_push(ui, &screen_lookup, x->rows[x->list.cur].code);
		return true;
	}
	if (!ui_list_move(&x->list, a, x->list_rows))
		return false;
	more(ui, x);
	return true;
}

static void filters_line(struct ui *ui, WINDOW *win, const struct srch *x, int y)
{
	char buf[1024];
	size_t len = 0;

	for (int f = 0; f < NFIELDS; f++)
		if (x->fields[f].len > 0)
			len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s %s",
						len ? ", " : "", x->fields[f].label,
						x->fields[f].value);
	if (len == 0)
		snprintf(buf, sizeof buf, "all redemptions");
	ui_putf(ui, win, y, 1, getmaxx(win) - 2, UI_DIM, "%s  (/ changes the filters)", buf);
}

static void draw_list(struct ui *ui, WINDOW *win, struct srch *x, int y)
{
	int w = getmaxx(win), h = getmaxy(win);
	char t[32], n[32];

	ui_putf(ui, win, y++, 1, w - 2, UI_HEADER, "%-19s %-8s %-20s %-16s %-16s %s",
		"WHEN (UTC)", "STATUS", "CODE", "CAMPAIGN", "USER", "ORDER");
	x->list_rows = h - y - 1;
	ui_list_fit(&x->list, x->list_rows);
	if (x->list.n == 0)
		ui_put(ui, win, y, 2, w - 4, UI_DIM, false, "No redemption matches.");
	for (size_t i = x->list.top; i < x->list.n && y < h - 1; i++, y++) {
		const struct cp_redemption *r = &x->rows[i];
		const struct cp_campaign_stats *c = ui_campaign_stats(ui, r->campaign_id);
		bool sel = i == x->list.cur, pending = r->status == CP_CODE_PENDING;

		ui_put(ui, win, y, 0, w, sel ? UI_SELECTED : UI_NORMAL, true, "");
		ui_putf(ui, win, y, 1, w - 2, sel ? UI_SELECTED : pending ? UI_WARN : UI_NORMAL,
			"%-19s %-8s %-20s %-16.16s %-16.16s %s",
			ui_time(pending ? r->reserved_until : (time_t)(r->redeemed_us / 1000000), t,
				sizeof t),
			pending ? "reserved" : cp_code_status_name(r->status), r->code,
			c != NULL ? c->name : "?", r->user_id[0] ? r->user_id : "-",
			r->order_id[0] ? r->order_id : "-");
	}
	ui_putf(ui, win, h - 1, 1, w - 2, UI_DIM, "%s rows%s%s%s", ui_num(x->list.n, n, sizeof n),
		x->reserved ? " (reserved ones first, WHEN is the end of the reservation)" : "",
		x->next[0] == '\0' ? ", all of them" : ", more as you scroll",
		x->list.n >= ROWS_MAX ? " (the first 10,000: narrow the filters)" : "");
}

static void search_draw(struct ui *ui, void *state, WINDOW *win)
{
	struct srch *x = state;
	int y;

	ui_title(ui, "Redemptions");
	if (!x->listing) {
		y = ui_form_draw(ui, win, &x->form, 1, true);
		ui->cursor = true;
		ui_put(ui, win, y + 1, 2, getmaxx(win) - 4, UI_DIM, false,
		       "Newest first. Every filter is optional; Enter searches.");
		return;
	}
	filters_line(ui, win, x, 0);
	draw_list(ui, win, x, 1);
}

const struct ui_screen screen_search = {
	.name = "search",
	.open = search_open,
	.close = search_close,
	.input = search_input,
	.action = search_action,
	.draw = search_draw,
	.hints = hints,
};
