/* Help: generated from the key table, one line per action, grouped by section. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"
#include "xmalloc.h"

struct help {
	char (*lines)[160];
	bool *heading;
	struct ui_list list;
};

static const enum ui_action hints[] = {UA_BACK, UA_DOWN, UA_QUIT, UA_NONE};

static void add(struct help *h, bool heading, const char *fmt, const char *a, const char *b)
{
	h->lines = xreallocarray(h->lines, h->list.n + 1, sizeof *h->lines);
	h->heading = xreallocarray(h->heading, h->list.n + 1, sizeof *h->heading);
	snprintf(h->lines[h->list.n], sizeof h->lines[0], fmt, a, b);
	h->heading[h->list.n++] = heading;
}

/* Sections in the order their first action is declared. */
static bool section_seen(const char *sec, enum ui_action upto)
{
	for (int a = UA_NONE + 1; a < (int)upto; a++)
		if (strcmp(ui_action_section((enum ui_action)a), sec) == 0)
			return true;
	return false;
}

static void add_section(struct help *h, const char *sec)
{
	char keys[64];

	if (h->list.n > 0)
		add(h, false, "%s%s", "", "");
	add(h, true, "%s%s", sec, "");
	for (int a = UA_NONE + 1; a < UA_COUNT; a++) {
		if (strcmp(ui_action_section((enum ui_action)a), sec) != 0)
			continue;
		ui_action_keys((enum ui_action)a, keys, sizeof keys);
		add(h, false, "  %-20s %s", keys, ui_action_help((enum ui_action)a));
	}
}

static void *help_open(struct ui *ui, void *arg)
{
	struct help *h = xcalloc(1, sizeof *h);

	(void)ui;
	(void)arg;
	for (int a = UA_NONE + 1; a < UA_COUNT; a++) {
		const char *sec = ui_action_section((enum ui_action)a);

		if (!section_seen(sec, (enum ui_action)a))
			add_section(h, sec);
	}
	return h;
}

static void help_close(struct ui *ui, void *state)
{
	struct help *h = state;

	(void)ui;
	free(h->lines);
	free(h->heading);
	free(h);
}

static bool help_action(struct ui *ui, void *state, enum ui_action a)
{
	struct help *h = state;

	if (a == UA_HELP) { /* ? again closes it, as in less and tig */
		ui_pop(ui);
		return true;
	}
	if (!ui_list_move(&h->list, a, getmaxy(ui->body) - 2))
		return false;
	/* Scrolling help moves the view, not a cursor. */
	h->list.top = h->list.cur;
	ui_dirty(ui);
	return true;
}

static void help_draw(struct ui *ui, void *state, WINDOW *win)
{
	struct help *h = state;
	int rows = getmaxy(win), w = getmaxx(win);

	ui_title(ui, "Help");
	ui_put(ui, win, 0, 2, w - 4, UI_DIM, false,
	       "Keys of the console. Keys a screen does not use do nothing there.");
	for (int y = 2; y < rows && h->list.top + (size_t)(y - 2) < h->list.n; y++) {
		size_t i = h->list.top + (size_t)(y - 2);

		ui_put(ui, win, y, 2, w - 4, h->heading[i] ? UI_HEADER : UI_NORMAL, false,
		       h->lines[i]);
	}
}

const struct ui_screen screen_help = {
	.name = "help",
	.open = help_open,
	.close = help_close,
	.action = help_action,
	.draw = help_draw,
	.hints = hints,
};
