/*
 * Forms: labelled one-line fields with inline errors. The form only edits text;
 * what the text means is decided by core when the screen submits it.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "text.h"
#include "ui.h"

#define CTRL(c) ((c) & 0x1f)
#define LABEL_W 18

void ui_form_set(struct ui_form *f, size_t i, const char *value)
{
	ui_copy(f->fields[i].value, sizeof f->fields[i].value, value);
	f->fields[i].len = strlen(f->fields[i].value);
}

void ui_form_clear_errors(struct ui_form *f)
{
	f->error[0] = '\0';
	for (size_t i = 0; i < f->n; i++)
		f->fields[i].error[0] = '\0';
}

static void backspace(struct ui_field *fl)
{
	/* Remove one whole UTF-8 character. */
	if (fl->len > 0)
		fl->len = text_utf8_cut(fl->value, fl->len, fl->len - 1);
	fl->value[fl->len] = '\0';
}

bool ui_form_input(struct ui_form *f, int ch)
{
	struct ui_field *fl = &f->fields[f->cur];

	if (ch == KEY_BACKSPACE || ch == 127 || ch == CTRL('h')) {
		backspace(fl);
		fl->error[0] = '\0';
		return true;
	}
	if (ch == CTRL('u')) {
		fl->len = 0;
		fl->value[0] = '\0';
		return true;
	}
	/* Printable ASCII and the bytes of UTF-8 sequences; keys are above 0xff. */
	if (ch < 0x20 || ch == 0x7f || ch > 0xff)
		return false;
	if (fl->len + 1 < sizeof fl->value) {
		fl->value[fl->len++] = (char)ch;
		fl->value[fl->len] = '\0';
		fl->error[0] = '\0';
	}
	return true;
}

bool ui_form_action(struct ui_form *f, enum ui_action a)
{
	switch (a) {
	case UA_NEXT_FIELD:
	case UA_DOWN:
		f->cur = (f->cur + 1) % f->n;
		return true;
	case UA_PREV_FIELD:
	case UA_UP:
		f->cur = (f->cur + f->n - 1) % f->n;
		return true;
	default:
		return false;
	}
}

static void draw_value(const struct ui *ui, WINDOW *win, int y, int x, int w,
		       const struct ui_field *fl, bool focused)
{
	char masked[UI_FIELD_MAX];
	const char *v = fl->value;
	size_t skip = 0;

	if (fl->secret) {
		memset(masked, '*', fl->len);
		masked[fl->len] = '\0';
		v = masked;
	}
	/* Keep the end of a long value (where the cursor is) in view. */
	while (strlen(v + skip) >= (size_t)w - 1 && v[skip] != '\0')
		skip++;
	ui_put(ui, win, y, x, w, UI_FIELD, true, v + skip);
	if (focused) {
		int cy, cx;

		getyx(win, cy, cx);
		(void)cx;
		wmove(win, cy, x + (int)strlen(v + skip));
	}
}

int ui_form_draw(const struct ui *ui, WINDOW *win, const struct ui_form *f, int y,
		 bool focused)
{
	int w = getmaxx(win), fw = w - LABEL_W - 4, cur_y = -1;

	/* Leave the hints room on a narrow screen; long values scroll. */
	if (fw > (w >= 110 ? 50 : 36))
		fw = w >= 110 ? 50 : 36;
	if (f->error[0] != '\0')
		ui_put(ui, win, y++, 2, w - 4, UI_BAD, false, f->error);
	y++;
	for (size_t i = 0; i < f->n; i++) {
		const struct ui_field *fl = &f->fields[i];
		bool here = focused && i == f->cur;

		ui_putf(ui, win, y, 2, LABEL_W, here ? UI_HEADER : UI_NORMAL, "%s%s",
			here ? "> " : "  ", fl->label);
		draw_value(ui, win, y, LABEL_W + 2, fw, fl, false);
		if (fl->hint != NULL && LABEL_W + 3 + fw < w)
			ui_put(ui, win, y, LABEL_W + 3 + fw, w - LABEL_W - 3 - fw, UI_DIM, false,
			       fl->hint);
		if (here)
			cur_y = y;
		y++;
		if (fl->error[0] != '\0')
			ui_putf(ui, win, y++, LABEL_W + 2, w - LABEL_W - 2, UI_BAD, "^ %s",
				fl->error);
	}
	if (cur_y >= 0)
		draw_value(ui, win, cur_y, LABEL_W + 2, fw, &f->fields[f->cur], true);
	return y;
}
