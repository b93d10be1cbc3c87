/*
 * Code lookup: type a code the way a customer read it (any case, dashes, spaces,
 * O for 0); core normalises it, says its status, who redeemed it and when,
 * whether a redeem would succeed now, and its admin history. x expires it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"
#include "xmalloc.h"

#define EVENTS_MAX 64

struct lookup {
	struct ui_field field;
	struct ui_form form;
	bool shown; /* a result is on screen: keys are actions, / types again */
	bool found;
	struct cp_code_info info;
	struct cp_code_event events[EVENTS_MAX];
	size_t nevents;
};

static const enum ui_action hints[] = {UA_ENTER, UA_SEARCH, UA_EXPIRE, UA_BACK, UA_NONE};

static void look_up(struct ui *, struct lookup *);

static void *lookup_open(struct ui *ui, void *arg)
{
	struct lookup *l = xcalloc(1, sizeof *l);

	l->field.label = "Code";
	l->field.hint = "as printed or read out";
	l->form.fields = &l->field;
	l->form.n = 1;
	if (arg != NULL) { /* opened on a code (from a list): show it at once */
		ui_form_set(&l->form, 0, arg);
		look_up(ui, l);
	}
	return l;
}

static void lookup_close(struct ui *ui, void *state)
{
	(void)ui;
	free(state);
}

static void add_event(const struct cp_code_event *ev, void *arg)
{
	struct lookup *l = arg;

	/* Oldest first from core; keep the newest EVENTS_MAX. */
	if (l->nevents == EVENTS_MAX) {
		memmove(l->events, l->events + 1, (EVENTS_MAX - 1) * sizeof *l->events);
		l->nevents--;
	}
	l->events[l->nevents++] = *ev;
}

static void look_up(struct ui *ui, struct lookup *l)
{
	struct cp_err e;
	enum cp_status st;

	cp_err_clear(&e);
	l->found = false;
	l->nevents = 0;
	l->field.error[0] = '\0';
	st = cp_code_show(ui->db, l->field.value, l->field.len, &l->info, &e);
	if (st != CP_OK) {
		ui_copy(l->field.error, sizeof l->field.error, e.msg[0] ? e.msg : cp_status_message(st));
		return;
	}
	l->found = l->shown = true;
	if ((st = cp_code_events(ui->db, l->info.id, add_event, l, &e)) != CP_OK)
		ui_fail(ui, "events", st, &e);
}

static void expire_yes(struct ui *ui, void *arg)
{
	struct lookup *l = arg;
	struct cp_err e;
	enum cp_status st;

	cp_err_clear(&e);
	st = cp_code_expire(ui->db, l->info.code, strlen(l->info.code), ui->cli->actor,
			    "expired by staff in the console", NULL, &e);
	if (st != CP_OK) {
		ui_fail(ui, "expire", st, &e);
		return;
	}
	look_up(ui, l);
	ui_msg(ui, false, "Code %s expired.", l->info.display);
	ui_stats_tick(ui, true);
}

static bool lookup_input(struct ui *ui, void *state, int ch)
{
	struct lookup *l = state;

	if (l->shown)
		return false;
	if (!ui_form_input(&l->form, ch))
		return false;
	ui_dirty(ui);
	return true;
}

static bool ask_expire(struct ui *ui, struct lookup *l)
{
	struct ui_confirm q = {.yes = expire_yes, .arg = l};

	if (!l->found)
		return false;
	snprintf(q.question, sizeof q.question, "Expire code %s of \"%s\"?", l->info.display,
		 l->info.campaign_name);
	snprintf(q.detail, sizeof q.detail,
		 "Its status is %s. Expired codes can never be redeemed; the change is "
		 "recorded in code_events.", cp_code_status_name(l->info.status));
	ui_confirm(ui, &q);
	return true;
}

static bool lookup_action(struct ui *ui, void *state, enum ui_action a)
{
	struct lookup *l = state;

	ui_dirty(ui);
	if (!l->shown && a == UA_ENTER) {
		look_up(ui, l);
		return true;
	}
	if (l->shown && a == UA_SEARCH) {
		l->shown = l->found = false;
		ui_form_set(&l->form, 0, "");
		return true;
	}
	if (l->shown && a == UA_EXPIRE)
		return ask_expire(ui, l);
	/* Keys that would open other views while typing stay with the field. */
	return !l->shown && a != UA_BACK && a != UA_QUIT && a != UA_HELP;
}

static enum ui_attr code_attr(enum cp_code_status s)
{
	static const enum ui_attr a[] = {
		[CP_CODE_AVAILABLE] = UI_GOOD,
		[CP_CODE_PENDING] = UI_WARN,
		[CP_CODE_REDEEMED] = UI_HEADER,
		[CP_CODE_EXPIRED] = UI_BAD,
		[CP_CODE_ASSIGNED] = UI_WARN,
	};
	return (unsigned int)s < sizeof a / sizeof a[0] ? a[s] : UI_BAD;
}

static int kv(struct ui *ui, WINDOW *win, int y, const char *k, const char *v)
{
	ui_put(ui, win, y, 4, 16, UI_DIM, false, k);
	ui_put(ui, win, y, 21, getmaxx(win) - 23, UI_NORMAL, false, v);
	return y + 1;
}

static const char *local_time(time_t t, const char *zone, char buf[CP_TIME_TEXT_MAX])
{
	return t == 0 ? "-" : cp_time_format(t, zone, CP_TIME_LOCAL, buf);
}

static int draw_info(struct ui *ui, WINDOW *win, const struct cp_code_info *i, int y)
{
	char t[4][CP_TIME_TEXT_MAX], buf[640];
	const char *z = i->time_zone; /* the campaign's clock, with the zone's abbreviation */
	int w = getmaxx(win);

	ui_putf(ui, win, y, 4, 16, UI_DIM, "%s", "Status");
	ui_put(ui, win, y, 21, 12, code_attr(i->status), false, cp_code_status_name(i->status));
	ui_putf(ui, win, y++, 34, w - 36, i->redeemable == CP_OK ? UI_GOOD : UI_DIM, "%s",
		i->redeemable == CP_OK ? "redeemable now" : cp_status_message(i->redeemable));
	snprintf(buf, sizeof buf, "%s  (stored as %s)", i->display, i->code);
	y = kv(ui, win, y, "Code", buf);
	snprintf(buf, sizeof buf, "%s (id %u), batch %llu", i->campaign_name, i->campaign_id,
		 (unsigned long long)i->batch_id);
	y = kv(ui, win, y, "Campaign", buf);
	if (i->assigned_to[0] != '\0') {
		snprintf(buf, sizeof buf, "%s at %s%s%s", i->assigned_to,
			 ui_time(i->assigned_at, t[0], sizeof t[0]),
			 i->assigned_until ? ", valid until " : "",
			 i->assigned_until ? ui_time(i->assigned_until, t[1], sizeof t[1]) : "");
		y = kv(ui, win, y, "Assigned to", buf);
	}
	y = kv(ui, win, y, "Redeemed by", i->user_id[0] ? i->user_id : "-");
	y = kv(ui, win, y, "Order", i->order_id[0] ? i->order_id : "-");
	y = kv(ui, win, y, "Redeemed at", local_time(i->redeemed_at, z, t[0]));
	if (i->reserved_until != 0)
		y = kv(ui, win, y, "Reserved until", local_time(i->reserved_until, z, t[1]));
	if (i->expires_at != 0)
		y = kv(ui, win, y, "Expires at", local_time(i->expires_at, z, t[2]));
	if (i->expired_reason[0] != '\0')
		y = kv(ui, win, y, "Expired because", i->expired_reason);
	if (i->reward.id != 0) {
		cp_reward_text(&i->reward, buf, sizeof buf);
		y = kv(ui, win, y, i->status == CP_CODE_PENDING ? "Reward held" : "Reward granted",
		       buf);
	}
	return kv(ui, win, y, "Created at", local_time(i->created_at, z, t[3]));
}

static void draw_events(struct ui *ui, WINDOW *win, const struct lookup *l, int y)
{
	int w = getmaxx(win), h = getmaxy(win);
	char t[32];

	ui_section(ui, win, y++, 1, w - 2, "Admin changes (UTC)");
	if (l->nevents == 0)
		ui_put(ui, win, y, 4, w - 6, UI_DIM, false, "none");
	for (size_t i = l->nevents; i-- > 0 && y < h; y++) {
		const struct cp_code_event *ev = &l->events[i];

		ui_putf(ui, win, y, 4, w - 6, UI_NORMAL, "%s  %-9s was %-9s by %s%s%s",
			ui_time(ev->created_at, t, sizeof t), ev->action,
			cp_code_status_name(ev->prior_status), ev->actor, ev->reason[0] ? ": " : "",
			ev->reason);
	}
}

static void lookup_draw(struct ui *ui, void *state, WINDOW *win)
{
	struct lookup *l = state;
	int y;

	ui_title(ui, "Code lookup");
	y = ui_form_draw(ui, win, &l->form, 0, !l->shown);
	ui->cursor = !l->shown;
	if (!l->found) {
		ui_put(ui, win, y + 1, 4, getmaxx(win) - 6, UI_DIM, false,
		       "Case, dashes and spaces do not matter; O reads as 0, I and L as 1.");
		return;
	}
	y = draw_info(ui, win, &l->info, y + 1);
	draw_events(ui, win, l, y + 1);
}

const struct ui_screen screen_lookup = {
	.name = "lookup",
	.open = lookup_open,
	.close = lookup_close,
	.input = lookup_input,
	.action = lookup_action,
	.draw = lookup_draw,
	.hints = hints,
};
