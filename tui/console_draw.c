/*
 * Drawing helpers: attributes by meaning (colour or monochrome), UTF-8 or ASCII
 * line drawing, width-aware text, bars, sparklines and number formatting.
 */
#include "config.h"

#include <langinfo.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

#include "text.h"
#include "ui.h"

/* Colour pair and the monochrome attribute that carries the same meaning. */
static const struct {
	short fg, bg;
	chtype color_extra, mono;
} attrs[UI_NATTR] = {
	[UI_NORMAL] = {-1, -1, 0, A_NORMAL},
	[UI_TITLE] = {COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE | A_BOLD},
	[UI_STATUS] = {COLOR_BLACK, COLOR_CYAN, 0, A_REVERSE},
	[UI_HEADER] = {COLOR_CYAN, -1, A_BOLD, A_BOLD | A_UNDERLINE},
	[UI_SELECTED] = {COLOR_BLACK, COLOR_YELLOW, 0, A_REVERSE},
	[UI_GOOD] = {COLOR_GREEN, -1, 0, A_NORMAL},
	[UI_WARN] = {COLOR_YELLOW, -1, A_BOLD, A_BOLD},
	[UI_BAD] = {COLOR_RED, -1, A_BOLD, A_BOLD | A_UNDERLINE},
	[UI_DIM] = {COLOR_WHITE, -1, A_DIM, A_DIM},
	[UI_SPARK] = {COLOR_GREEN, -1, A_BOLD, A_NORMAL},
	[UI_FIELD] = {COLOR_WHITE, COLOR_BLACK, A_UNDERLINE, A_UNDERLINE},
};

static const struct ui_glyphs utf8_glyphs = {
	"\xe2\x94\x80", "\xe2\x94\x82", "\xe2\x96\x88", "\xe2\x96\x91",
	{"\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84", "\xe2\x96\x85",
	 "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88"},
	"\xe2\x80\xa6",
};

static const struct ui_glyphs ascii_glyphs = {
	"-", "|", "#", ".", {"_", ".", ",", "-", "=", "+", "*", "#"}, "~",
};

void ui_colors_init(struct ui *ui)
{
	const char *nc = getenv("NO_COLOR");

	/* https://no-color.org: present and non-empty disables colour. */
	ui->color = has_colors() && (nc == NULL || *nc == '\0');
	if (!ui->color)
		return;
	start_color();
	use_default_colors();
	for (int i = 1; i < UI_NATTR; i++)
		init_pair((short)i, attrs[i].fg, attrs[i].bg);
}

void ui_glyphs_init(struct ui *ui)
{
	const char *cs = nl_langinfo(CODESET);

	ui->utf8 = cs != NULL && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0);
	ui->g = ui->utf8 ? &utf8_glyphs : &ascii_glyphs;
}

chtype ui_attr(const struct ui *ui, enum ui_attr a)
{
	if (!ui->color)
		return attrs[a].mono;
	if (a == UI_NORMAL)
		return A_NORMAL;
	return (chtype)COLOR_PAIR(a) | attrs[a].color_extra;
}

/* Bytes of S that fit in W columns; *COLS gets the columns they take. */
static size_t fit(const char *s, int w, int *cols)
{
	mbstate_t ps;
	size_t off = 0, len = strlen(s);
	int used = 0;

	memset(&ps, 0, sizeof ps);
	while (off < len) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, s + off, len - off, &ps);
		int cw;

		if (n == (size_t)-1 || n == (size_t)-2 || n == 0)
			break;
		cw = wcwidth(wc);
		if (cw < 0)
			cw = 1;
		if (used + cw > w)
			break;
		used += cw;
		off += n;
	}
	*cols = used;
	return off;
}

void ui_put(const struct ui *ui, WINDOW *win, int y, int x, int w, enum ui_attr a, bool pad,
	    const char *s)
{
	int cols;
	size_t n;

	if (w <= 0 || y < 0 || y >= getmaxy(win))
		return;
	n = fit(s, w, &cols);
	wattrset(win, ui_attr(ui, a));
	mvwaddnstr(win, y, x, s, (int)n);
	for (; pad && cols < w; cols++)
		waddch(win, ' ');
	wattrset(win, A_NORMAL);
}

void ui_putf(const struct ui *ui, WINDOW *win, int y, int x, int w, enum ui_attr a,
	     const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	ui_put(ui, win, y, x, w, a, false, buf);
}

int ui_wrap(const struct ui *ui, WINDOW *win, int y, int x, int w, enum ui_attr a, const char *s)
{
	char line[1024];

	while (*s != '\0' && y < getmaxy(win)) {
		int cols;
		size_t n = fit(s, w, &cols), cut = n;

		/* Break at the last space that fits, unless the rest fits whole. */
		if (s[n] != '\0') {
			while (cut > 0 && s[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = n;
		}
		snprintf(line, sizeof line, "%.*s", (int)cut, s);
		ui_put(ui, win, y++, x, w, a, false, line);
		s += cut;
		while (*s == ' ')
			s++;
	}
	return y;
}

void ui_hline(const struct ui *ui, WINDOW *win, int y, int x, int w)
{
	wattrset(win, ui_attr(ui, UI_DIM));
	wmove(win, y, x);
	for (int i = 0; i < w; i++)
		waddstr(win, ui->g->hline);
	wattrset(win, A_NORMAL);
}

void ui_section(const struct ui *ui, WINDOW *win, int y, int x, int w, const char *title)
{
	int cols;

	ui_hline(ui, win, y, x, 2);
	fit(title, w - 4, &cols);
	ui_put(ui, win, y, x + 3, w - 4, UI_HEADER, false, title);
	if (x + cols + 4 < x + w)
		ui_hline(ui, win, y, x + cols + 4, w - cols - 4);
}

void ui_bar(const struct ui *ui, WINDOW *win, int y, int x, int w, uint64_t done,
	    uint64_t total)
{
	int full = total == 0 ? 0 : (int)((double)done / (double)total * w);

	if (full > w)
		full = w;
	wmove(win, y, x);
	wattrset(win, ui_attr(ui, UI_SPARK));
	for (int i = 0; i < full; i++)
		waddstr(win, ui->g->full);
	wattrset(win, ui_attr(ui, UI_DIM));
	for (int i = full; i < w; i++)
		waddstr(win, ui->g->empty);
	wattrset(win, A_NORMAL);
}

void ui_spark(const struct ui *ui, WINDOW *win, int y, int x, int w, const uint32_t *v,
	      size_t n)
{
	size_t from = n > (size_t)w ? n - (size_t)w : 0;
	uint32_t max = 0;

	for (size_t i = from; i < n; i++)
		if (v[i] > max)
			max = v[i];
	wmove(win, y, x);
	wattrset(win, ui_attr(ui, UI_SPARK));
	for (size_t i = from; i < n; i++) {
		/* Zero stays the lowest block so an idle second is still visible as idle. */
		size_t lvl = max == 0 ? 0 : (size_t)((uint64_t)v[i] * 7 / max);

		waddstr(win, ui->g->spark[lvl]);
	}
	wattrset(win, A_NORMAL);
}

void ui_copy(char *buf, size_t size, const char *s)
{
	/* Do not leave half a UTF-8 character at the end. */
	size_t n = text_utf8_cut(s, strlen(s), size - 1);

	memcpy(buf, s, n);
	buf[n] = '\0';
}

const char *ui_num(uint64_t v, char *buf, size_t size)
{
	char tmp[32];
	int len = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v), o = 0;

	for (int i = 0; i < len && (size_t)o + 2 < size; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
	return buf;
}

const char *ui_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (t == 0) {
		snprintf(buf, size, "-");
		return buf;
	}
	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

const char *ui_duration(double s, char *buf, size_t size)
{
	unsigned long v;

	if (!(s >= 0) || s > 359999)
		snprintf(buf, size, "--");
	else if ((v = (unsigned long)(s + 0.5)) < 60)
		snprintf(buf, size, "%lus", v);
	else if (v < 3600)
		snprintf(buf, size, "%lum%02lus", v / 60, v % 60);
	else
		snprintf(buf, size, "%luh%02lum", v / 3600, v / 60 % 60);
	return buf;
}

void ui_list_fit(struct ui_list *l, int height)
{
	size_t h = height > 0 ? (size_t)height : 1;

	if (l->n == 0) {
		l->cur = l->top = 0;
		return;
	}
	if (l->cur >= l->n)
		l->cur = l->n - 1;
	if (l->cur < l->top)
		l->top = l->cur;
	if (l->cur >= l->top + h)
		l->top = l->cur - h + 1;
	if (l->top + h > l->n)
		l->top = l->n > h ? l->n - h : 0;
}

bool ui_list_move(struct ui_list *l, enum ui_action a, int height)
{
	size_t page = height > 1 ? (size_t)height - 1 : 1;

	switch (a) {
	case UA_UP:
		l->cur = l->cur > 0 ? l->cur - 1 : 0;
		break;
	case UA_DOWN:
		l->cur = l->cur + 1 < l->n ? l->cur + 1 : l->cur;
		break;
	case UA_PGUP:
		l->cur = l->cur > page ? l->cur - page : 0;
		break;
	case UA_PGDN:
		l->cur = l->n == 0 ? 0 : (l->cur + page < l->n ? l->cur + page : l->n - 1);
		break;
	case UA_HOME:
		l->cur = 0;
		break;
	case UA_END:
		l->cur = l->n ? l->n - 1 : 0;
		break;
	default:
		return false;
	}
	ui_list_fit(l, height);
	return true;
}
