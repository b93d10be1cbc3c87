/* A yes/no question before anything that cannot be undone. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ui.h"
#include "xmalloc.h"

static const enum ui_action hints[] = {UA_BACK, UA_NONE};

void ui_confirm(struct ui *ui, const struct ui_confirm *c)
{
	ui_push(ui, &screen_confirm, (void *)c);
}

static void *confirm_open(struct ui *ui, void *arg)
{
	struct ui_confirm *c = xmalloc(sizeof *c);

	(void)ui;
	memcpy(c, arg, sizeof *c);
	return c;
}

static void confirm_close(struct ui *ui, void *state)
{
	(void)ui;
	free(state);
}

static bool confirm_input(struct ui *ui, void *state, int ch)
{
	struct ui_confirm c;

	if (ch == 'y' || ch == 'Y') {
		/* Pop first: the callback may push its result screen. */
		memcpy(&c, state, sizeof c);
		ui_pop(ui);
		ui->quit = false;
		c.yes(ui, c.arg);
		return true;
	}
	if (ch == 'n' || ch == 'N') {
		ui_pop(ui);
		return true;
	}
	return false;
}

static bool confirm_action(struct ui *ui, void *state, enum ui_action a)
{
	(void)state;
	/* Only y, n and Back answer; Enter alone must not destroy anything. */
	if (a == UA_BACK || a == UA_QUIT) {
		ui_pop(ui);
		return true;
	}
	return a != UA_HELP;
}

static void confirm_draw(struct ui *ui, void *state, WINDOW *win)
{
	struct ui_confirm *c = state;
	int w = getmaxx(win), y = getmaxy(win) / 3;

	ui_title(ui, "Confirm");
	y = ui_wrap(ui, win, y, 4, w - 8, UI_WARN, c->question);
	y = ui_wrap(ui, win, y + 1, 4, w - 8, UI_NORMAL, c->detail);
	ui_put(ui, win, y + 1, 4, w - 8, UI_HEADER, false, "Press y to confirm, n or Esc to cancel.");
}

const struct ui_screen screen_confirm = {
	.name = "confirm",
	.open = confirm_open,
	.close = confirm_close,
	.input = confirm_input,
	.action = confirm_action,
	.draw = confirm_draw,
	.hints = hints,
};
