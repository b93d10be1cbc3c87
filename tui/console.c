/*
 * The console loop: a stack of screens, one key table, wtimeout + wgetch with a
 * dirty flag and wnoutrefresh/doupdate, relayout on KEY_RESIZE. The terminal is
 * restored on every way out: return, exit(), SIGINT/SIGTERM/SIGHUP, and crashes
 * (SIGSEGV, SIGABRT from xmalloc, ...) through an async-signal-safe path.
 */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <term.h>

#include "cli.h"
#include "console.h"
#include "console_job.h"
#include "ui.h"

#define TICK_MS 100

static volatile sig_atomic_t stop_signal;
static bool curses_on;
static struct termios saved_tty;
static bool saved_tty_ok;
/* Leave the alternate screen, show the cursor, reset attributes: for crash paths. */
static char crash_reset[128];
static size_t crash_reset_len;

static void on_stop(int sig)
{
	stop_signal = sig;
}

static void on_crash(int sig)
{
	/* Only async-signal-safe calls: tcsetattr, write, signal, raise. */
	if (saved_tty_ok)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
	if (crash_reset_len > 0 && write(STDOUT_FILENO, crash_reset, crash_reset_len) < 0)
		crash_reset_len = 0;
	signal(sig, SIG_DFL);
	raise(sig);
}

static void add_cap(const char *cap)
{
	const char *s = tigetstr((char *)cap);
	size_t n;

	if (s == NULL || s == (char *)-1)
		return;
	n = strlen(s);
	if (crash_reset_len + n < sizeof crash_reset) {
		memcpy(crash_reset + crash_reset_len, s, n);
		crash_reset_len += n;
	}
}

static void install_signals(void)
{
	static const int stops[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	static const int crashes[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop; /* no SA_RESTART: wgetch returns and the loop sees it */
	for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++)
		sigaction(stops[i], &sa, NULL);
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_RESETHAND;
	for (size_t i = 0; i < sizeof crashes / sizeof crashes[0]; i++)
		sigaction(crashes[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void ui_restore_terminal(void)
{
	if (!curses_on)
		return;
	curses_on = false;
	curs_set(1);
	endwin();
}

uint64_t ui_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static struct ui_frame *top_frame(struct ui *ui)
{
	return ui->depth > 0 ? &ui->stack[ui->depth - 1] : NULL;
}

void ui_dirty(struct ui *ui)
{
	ui->dirty = true;
}

void ui_push(struct ui *ui, const struct ui_screen *s, void *arg)
{
	struct ui_frame *f;

	if (ui->depth == UI_STACK_MAX) {
		ui_msg(ui, true, "too many screens open; press q to go back");
		return;
	}
	f = &ui->stack[ui->depth++];
	f->screen = s;
	f->state = NULL;
	ui->message[0] = '\0';
	f->state = s->open != NULL ? s->open(ui, arg) : NULL;
	ui->dirty = true;
}

void ui_pop(struct ui *ui)
{
	struct ui_frame *f = top_frame(ui);

	if (f == NULL)
		return;
	if (f->screen->close != NULL)
		f->screen->close(ui, f->state);
	ui->depth--;
	if (ui->depth == 0)
		ui->quit = true;
	ui->dirty = true;
}

void ui_replace(struct ui *ui, const struct ui_screen *s, void *arg)
{
	char msg[sizeof ui->message];
	bool bad = ui->message_bad;

	/* A form that becomes its result keeps the message it just set. */
	memcpy(msg, ui->message, sizeof msg);
	ui_pop(ui);
	ui->quit = false;
	ui_push(ui, s, arg);
	memcpy(ui->message, msg, sizeof msg);
	ui->message_bad = bad;
}

void ui_title(struct ui *ui, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ui->title, sizeof ui->title, fmt, ap);
	va_end(ap);
}

void ui_msg(struct ui *ui, bool bad, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ui->message, sizeof ui->message, fmt, ap);
	va_end(ap);
	ui->message_bad = bad;
	ui->dirty = true;
}

void ui_fail(struct ui *ui, const char *what, enum cp_status st, const struct cp_err *e)
{
	ui_msg(ui, true, "%s: %s", what,
	       e != NULL && e->msg[0] != '\0' ? e->msg : cp_status_message(st));
}

static void layout(struct ui *ui)
{
	getmaxyx(stdscr, ui->rows, ui->cols);
	if (ui->top != NULL) {
		delwin(ui->top);
		delwin(ui->body);
		delwin(ui->bottom);
	}
	ui->top = newwin(1, ui->cols, 0, 0);
	ui->body = newwin(ui->rows > 2 ? ui->rows - 2 : 1, ui->cols, 1, 0);
	ui->bottom = newwin(1, ui->cols, ui->rows > 1 ? ui->rows - 1 : 0, 0);
	keypad(ui->body, TRUE);
	wtimeout(ui->body, TICK_MS);
	/* Everything is drawn again after a resize; the old screen is gone. */
	clearok(curscr, TRUE);
	ui->relayout = false;
	ui->dirty = true;
}

static void draw_top(struct ui *ui)
{
	char clock[16];
	time_t now = time(NULL);
	struct tm tm;
	int w = ui->cols;

	localtime_r(&now, &tm);
	strftime(clock, sizeof clock, "%H:%M:%S", &tm);
	werase(ui->top);
	wbkgdset(ui->top, ui_attr(ui, UI_TITLE));
	ui_put(ui, ui->top, 0, 0, w, UI_TITLE, true, "");
	ui_putf(ui, ui->top, 0, 1, w - 11, UI_TITLE, "couponadm %s %s", ui->g->vline, ui->title);
	if (w > 20)
		ui_put(ui, ui->top, 0, w - 9, 9, UI_TITLE, false, clock);
	wnoutrefresh(ui->top);
}

static void draw_hints(struct ui *ui, const enum ui_action *hints)
{
	char keys[48], buf[512];
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; hints != NULL && hints[i] != UA_NONE && len < sizeof buf; i++) {
		ui_action_keys(hints[i], keys, sizeof keys);
		/* The first key only: "j/Down" shows as "j"; the key "/" stays "/". */
		if (keys[0] != '\0')
			keys[strcspn(keys + 1, "/") + 1] = '\0';
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s %s", len ? "  " : "",
					keys, ui_action_hint(hints[i]));
	}
	ui_put(ui, ui->bottom, 0, 1, ui->cols - 1, UI_STATUS, true, buf);
}

static void draw_bottom(struct ui *ui)
{
	struct ui_frame *f = top_frame(ui);

	werase(ui->bottom);
	wbkgdset(ui->bottom, ui_attr(ui, UI_STATUS));
	ui_put(ui, ui->bottom, 0, 0, ui->cols, UI_STATUS, true, "");
	if (ui->message[0] != '\0')
		ui_put(ui, ui->bottom, 0, 1, ui->cols - 1, ui->message_bad ? UI_BAD : UI_STATUS,
		       true, ui->message);
	else if (f != NULL)
		draw_hints(ui, f->screen->hints);
	wnoutrefresh(ui->bottom);
}

static void draw(struct ui *ui)
{
	struct ui_frame *f = top_frame(ui);

	if (f == NULL)
		return;
	werase(ui->body);
	ui->title[0] = '\0';
	ui->cursor = false;
	f->screen->draw(ui, f->state, ui->body);
	draw_top(ui);
	draw_bottom(ui);
	/* The body goes last so that the cursor of a form ends up where it typed. */
	wnoutrefresh(ui->body);
	curs_set(ui->cursor ? 1 : 0);
	doupdate();
	ui->dirty = false;
}

void ui_flush(struct ui *ui)
{
	draw(ui);
}

static void quit_anyway(struct ui *ui, void *arg)
{
	(void)arg;
	ui->quit = true;
}

static void ask_quit(struct ui *ui)
{
	struct ui_confirm c = {.yes = quit_anyway};

	if (!job_active(ui->job)) {
		ui->quit = true;
		return;
	}
	snprintf(c.question, sizeof c.question, "%s is running. Quit anyway?",
		 job_label(ui->job));
	job_resume_hint(ui->job, c.detail, sizeof c.detail);
	ui_confirm(ui, &c);
}

static void global_action(struct ui *ui, enum ui_action a)
{
	switch (a) {
	case UA_BACK:
		if (ui->depth > 1)
			ui_pop(ui);
		else
			ask_quit(ui);
		break;
	case UA_QUIT:
		ask_quit(ui);
		break;
	case UA_HELP:
		ui_push(ui, &screen_help, NULL);
		break;
	case UA_REDRAW:
		clearok(curscr, TRUE);
		ui->dirty = true;
		break;
	default:
		ui_global_view(ui, a);
		break;
	}
}

static void handle_key(struct ui *ui, int ch)
{
	struct ui_frame *f = top_frame(ui);
	enum ui_action a;

	if (ui->message[0] != '\0') {
		ui->message[0] = '\0';
		ui->dirty = true;
	}
	if (f->screen->input != NULL && f->screen->input(ui, f->state, ch))
		return;
	if ((a = ui_key_action(ch)) == UA_NONE)
		return;
	if (f->screen->action != NULL && f->screen->action(ui, f->state, a))
		return;
	global_action(ui, a);
}

static void tick(struct ui *ui)
{
	struct ui_frame *f = top_frame(ui);
	static time_t last_clock;
	time_t now = time(NULL);

	if (f != NULL && f->screen->tick != NULL)
		f->screen->tick(ui, f->state);
	if (now != last_clock) { /* the clock in the title bar */
		last_clock = now;
		ui->dirty = true;
	}
}

static void loop(struct ui *ui)
{
	while (!ui->quit && stop_signal == 0) {
		if (ui->relayout)
			layout(ui);
		if (ui->dirty)
			draw(ui);
		int ch = wgetch(ui->body);

		if (ch == KEY_RESIZE)
			ui->relayout = true;
		else if (ch != ERR)
			handle_key(ui, ch);
		tick(ui);
	}
}

static bool start_curses(struct ui *ui)
{
	saved_tty_ok = tcgetattr(STDIN_FILENO, &saved_tty) == 0;
	if (newterm(NULL, stdout, stdin) == NULL) {
		cli_warnx("cannot use terminal type '%s'", getenv("TERM") ? getenv("TERM") : "");
		return false;
	}
	curses_on = true;
	atexit(ui_restore_terminal);
	add_cap("rmcup");
	add_cap("cnorm");
	add_cap("sgr0");
	install_signals();
	set_escdelay(25); /* Esc goes back at once; keys with Esc prefixes still parse */
	cbreak();
	noecho();
	nonl();
	curs_set(0);
	ui_colors_init(ui);
	ui_glyphs_init(ui);
	layout(ui);
	return true;
}

static void close_all(struct ui *ui)
{
	while (ui->depth > 0)
		ui_pop(ui);
	job_shutdown(ui);
	if (ui->top != NULL) {
		delwin(ui->top);
		delwin(ui->body);
		delwin(ui->bottom);
	}
}

/* COUPON_REFRESH_MS tunes the dashboard period (tests, slow links); 1 s by default. */
static unsigned int refresh_ms(void)
{
	const char *v = getenv("COUPON_REFRESH_MS");
	uint64_t ms;
	struct cp_err e;

	if (v != NULL && cp_parse_uint(v, 100, 60000, &ms, &e) == CP_OK)
		return (unsigned int)ms;
	return 1000;
}

int console_run(struct cli *cli)
{
	struct ui ui;
	int sig;

	memset(&ui, 0, sizeof ui);
	ui.cli = cli;
	ui.refresh_ms = refresh_ms();
	setlocale(LC_ALL, "");
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		cli_warnx("the console needs a terminal; see couponadm --help for the commands");
		return EXIT_USAGE;
	}
	if ((ui.db = cli_db(cli, true)) == NULL || !start_curses(&ui))
		return EXIT_FAILURE;
	if (!ui_stats_start(&ui)) {
		ui_restore_terminal();
		cli_warnx("cannot start the statistics thread");
		return EXIT_FAILURE;
	}
	ui_push(&ui, &screen_dashboard, NULL);
	loop(&ui);
	close_all(&ui);
	ui_stats_stop(&ui);
	ui_restore_terminal();
	if ((sig = stop_signal) != 0) {
		/* Leave with the status the signal would have given. */
		signal(sig, SIG_DFL);
		raise(sig);
	}
	return EXIT_SUCCESS;
}
