/*
 * Create a campaign: a form with inline errors. Core reads what was typed
 * (campaign_form.c hands each field to cp_campaign_set) and decides whether the
 * campaign is acceptable (cp_campaign_create); every refusal names its field,
 * which puts it under that field. The line under the form shows core's guess
 * probability for the format as it is typed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign_form.h"
#include "ui.h"
#include "xmalloc.h"

struct create {
	struct ui_field fields[CF_COUNT];
	struct ui_form form;
};

static const enum ui_action hints[] = {UA_ENTER, UA_NEXT_FIELD, UA_BACK, UA_NONE};

static void *create_open(struct ui *ui, void *arg)
{
	struct create *c = xcalloc(1, sizeof *c);

	(void)ui;
	(void)arg;
	c->form.fields = c->fields;
	c->form.n = CF_COUNT;
	for (size_t i = 0; i < CF_COUNT; i++) {
		c->fields[i].label = campaign_form[i].label;
		c->fields[i].hint = campaign_form[i].hint;
		ui_form_set(&c->form, i, campaign_form[i].initial);
	}
	return c;
}

static void create_close(struct ui *ui, void *state)
{
	(void)ui;
	free(state);
}

static bool create_input(struct ui *ui, void *state, int ch)
{
	struct create *c = state;

	if (!ui_form_input(&c->form, ch))
		return false;
	ui_dirty(ui);
	return true;
}

static void texts(const struct create *c, const char *text[CF_COUNT])
{
	for (size_t i = 0; i < CF_COUNT; i++)
		text[i] = c->fields[i].value;
}

static bool submit(struct ui *ui, struct create *c)
{
	struct cp_err errs[CF_COUNT + 1];
	const char *text[CF_COUNT];
	struct cp_campaign camp;
	bool moved = false;

	ui_form_clear_errors(&c->form);
	texts(c, text);
	if (campaign_form_submit(ui->db, text, &camp, errs) != CP_OK) {
		for (size_t i = 0; i < CF_COUNT; i++) {
			if (errs[i].msg[0] == '\0')
				continue;
			ui_copy(c->fields[i].error, sizeof c->fields[i].error, errs[i].msg);
			if (!moved)
				c->form.cur = i;
			moved = true;
		}
		ui_copy(c->form.error, sizeof c->form.error, errs[CF_COUNT].msg);
		return true;
	}
	cp_campaign_cache_reset(ui->db);
	ui_stats_tick(ui, true);
	ui_msg(ui, false, "Campaign \"%s\" created (id %u). Press g to generate codes.", camp.name,
	       camp.id);
	ui_replace(ui, &screen_campaign, (void *)(uintptr_t)camp.id);
	return true;
}

static bool create_action(struct ui *ui, void *state, enum ui_action a)
{
	struct create *c = state;

	ui_dirty(ui);
	if (a == UA_ENTER)
		return submit(ui, c);
	return ui_form_action(&c->form, a);
}

/* Core's figures for the format as typed so far, or nothing while unreadable. */
static void draw_preview(struct ui *ui, WINDOW *win, int y, const struct create *c)
{
	struct cp_err errs[CF_COUNT], e;
	const char *text[CF_COUNT];
	struct cp_campaign camp;
	enum cp_status st;

	texts(c, text);
	cp_err_clear(&e);
	if (campaign_form_read(text, &camp, errs) != CP_OK ||
	    cp_campaign_choose_length(&camp, 0, &e) != CP_OK)
		return;
	st = cp_format_allows(&camp.format, camp.planned_codes, &e);
	ui_putf(ui, win, y, 2, getmaxx(win) - 4, st == CP_OK ? UI_DIM : UI_WARN,
		"Body %u symbols; one random guess hits a code with probability %.1e%s%s",
		camp.format.body_len, cp_format_guess_probability(&camp.format, camp.planned_codes),
		st == CP_OK ? "" : ": ", st == CP_OK ? "" : e.msg);
}

static void create_draw(struct ui *ui, void *state, WINDOW *win)
{
	struct create *c = state;
	int y;

	ui_title(ui, "New campaign");
	y = ui_form_draw(ui, win, &c->form, 0, true);
	ui->cursor = true;
	draw_preview(ui, win, y + 1, c);
}

const struct ui_screen screen_create = {
	.name = "create",
	.open = create_open,
	.close = create_close,
	.input = create_input,
	.action = create_action,
	.draw = create_draw,
	.hints = hints,
};
