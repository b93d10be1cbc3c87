/*
 * The couponadm console: a stack of screens over ncurses. Private to tui/console*.c
 * and tui/screen_*.c. Every rule lives in core/; screens only show and ask.
 */
#ifndef UI_H
#define UI_H

#include <curses.h>
#include <pthread.h>
#include <stdint.h>

#include "cli.h"

/*
 * Actions: name, help section, help text. The key table in console_keys.c binds
 * keys to them and the help screen is generated from both (like tig's REQ_INFO).
 */
#define UI_ACTIONS(X)                                                                        \
	X(UP, "Moving", "up", "Move up")                                                     \
	X(DOWN, "Moving", "down", "Move down (scroll)")                                      \
	X(PGUP, "Moving", "page up", "Page up")                                              \
	X(PGDN, "Moving", "page down", "Page down")                                          \
	X(HOME, "Moving", "first", "First line")                                             \
	X(END, "Moving", "last", "Last line")                                                \
	X(ENTER, "Moving", "open", "Open the selection; submit a form")                      \
	X(BACK, "Moving", "back", "Back to the previous screen (quits on the dashboard)")    \
	X(NEXT_FIELD, "Forms", "next", "Next field (also Down)")                             \
	X(PREV_FIELD, "Forms", "previous", "Previous field (also Up)")                       \
	X(QUIT, "Console", "quit", "Quit the console")                                       \
	X(HELP, "Console", "help", "This help")                                              \
	X(REDRAW, "Console", "redraw", "Redraw the screen")                                  \
	X(REFRESH, "Console", "refresh", "Refresh now")                                      \
	X(SEARCH, "Codes", "look up", "Look up a code (any case, dashes and spaces allowed)") \
	X(NEW, "Campaigns", "new", "Create a campaign (an API key in API keys)")             \
	X(GENERATE, "Campaigns", "generate", "Generate a batch of codes")                    \
	X(EXPORT, "Campaigns", "export", "Export codes to a CSV file with a SHA-256 file")   \
	X(PAUSE, "Campaigns", "pause", "Pause or resume the campaign")                       \
	X(EXPIRE, "Campaigns", "expire", "Expire the code, batch or campaign (confirms)")    \
	X(CANCEL, "Campaigns", "cancel", "Cancel the running generation (stays resumable)")  \
	X(REPORT, "Campaigns", "chart", "Activity per hour as a chart (there: hours/days)")  \
	X(RECENT, "Views", "recent", "Recent redemptions, admin changes, failed batches")    \
	X(APIKEYS, "Views", "API keys", "API keys (create, revoke)")                         \
	X(REVOKE, "Views", "revoke", "Revoke the selected API key (confirms)")                 \
	X(REDEMPTIONS, "Views", "search", "Search redemptions by campaign, user, order, time") \
	X(USER, "Views", "user", "The codes a user holds, reserved or redeemed")              \
	X(AUDIT, "Views", "audit", "The audit log: who changed what, when, before and after")

enum ui_action {
	UA_NONE,
#define UI_ACTION_ENUM(name, section, hint, help) UA_##name,
	UI_ACTIONS(UI_ACTION_ENUM)
#undef UI_ACTION_ENUM
	UA_COUNT
};

/* One key binding; the help screen prints them in table order. */
struct ui_key {
	int key;
	const char *name; /* as shown in help and hints, "j", "Up", "Enter" */
	enum ui_action action;
};

const struct ui_key *ui_keys(size_t *n);
enum ui_action ui_key_action(int key);
const char *ui_action_section(enum ui_action);
const char *ui_action_help(enum ui_action);
const char *ui_action_hint(enum ui_action); /* one or two words for the status bar */
/* "j/Down" for the help and hint lines. */
void ui_action_keys(enum ui_action, char *buf, size_t size);

/* Attributes by meaning; colour or monochrome is decided once at start. */
enum ui_attr {
	UI_NORMAL,
	UI_TITLE,    /* top bar */
	UI_STATUS,   /* bottom bar */
	UI_HEADER,   /* column headings */
	UI_SELECTED, /* the cursor line */
	UI_GOOD,     /* active, complete, success */
	UI_WARN,     /* paused, running, pending */
	UI_BAD,      /* errors, failed, expired */
	UI_DIM,      /* archived, hints */
	UI_SPARK,    /* sparkline and bars */
	UI_FIELD,    /* form input */
	UI_NATTR
};

/* Line drawing: UTF-8 where the locale allows, ASCII otherwise. */
struct ui_glyphs {
	const char *hline, *vline, *full, *empty;
	const char *spark[8]; /* lowest to highest */
	const char *ellipsis;
};

struct ui;

/*
 * A screen: callbacks over its own state. open() gets ARG from ui_push; keys the
 * screen does not handle fall through to the global ones (back, quit, help).
 */
struct ui_screen {
	const char *name;
	void *(*open)(struct ui *, void *arg);
	void (*close)(struct ui *, void *state);
	/* Text being typed: raw keys first; true if consumed. May be NULL. */
	bool (*input)(struct ui *, void *state, int ch);
	/* An action; true if handled. */
	bool (*action)(struct ui *, void *state, enum ui_action);
	/* Called about every tick; marks the screen dirty if it changed. May be NULL. */
	void (*tick)(struct ui *, void *state);
	/* Draws into WIN (werase'd by the caller). Title goes into ui_title(). */
	void (*draw)(struct ui *, void *state, WINDOW *win);
	/* The action keys shown in the status bar. */
	const enum ui_action *hints;
};

#define UI_STACK_MAX 16

struct ui_frame {
	const struct ui_screen *screen;
	void *state;
};

struct ui_stats_bg;
struct ui_job; /* a worker thread: generation or export (console_job.c) */

struct ui {
	struct cli *cli;
	struct cp_db *db; /* the UI thread's connection; jobs open their own */
	WINDOW *top, *body, *bottom;
	int rows, cols;
	struct ui_frame stack[UI_STACK_MAX];
	int depth;
	bool dirty, relayout, quit;
	bool color, utf8;
	bool cursor; /* a screen's draw() sets it to show the cursor (forms) */
	const struct ui_glyphs *g;
	unsigned int refresh_ms; /* dashboard refresh period */
	char title[256];
	char message[256]; /* status-line message until the next key */
	bool message_bad;
	struct ui_job *job; /* at most one long job at a time */
	struct ui_stats_bg *bg;       /* the statistics thread (console_stats.c) */
	struct cp_stats snap;         /* its latest figures, copied for the UI thread */
	size_t snap_cap;
	uint64_t stats_gen;           /* refreshes seen; 0 = none yet */
	bool stats_ok;
};

/* console.c (console_run is in console.h) */
void ui_push(struct ui *, const struct ui_screen *, void *arg);
void ui_pop(struct ui *);
/* Replaces the top screen (a form that becomes its result). */
void ui_replace(struct ui *, const struct ui_screen *, void *arg);
void ui_dirty(struct ui *);
/* Draws at once, before an action that blocks for a moment. */
void ui_flush(struct ui *);
void ui_title(struct ui *, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ui_msg(struct ui *, bool bad, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A core failure on the status line: "what: message". */
void ui_fail(struct ui *, const char *what, enum cp_status, const struct cp_err *);
uint64_t ui_now_ms(void);
/* Frees the console state for an exit that does not come back: restores the tty. */
void ui_restore_terminal(void);

/* console_stats.c: statistics refreshed by a thread of their own. */
bool ui_stats_start(struct ui *);
void ui_stats_stop(struct ui *);
/* Takes the thread's newest figures (FORCE: and asks for a refresh now); true if new. */
bool ui_stats_tick(struct ui *, bool force);
const struct cp_stats *ui_stats(const struct ui *);
/* The last figures of campaign ID, NULL if unknown. */
const struct cp_campaign_stats *ui_campaign_stats(const struct ui *, uint32_t id);

/* console_draw.c */
chtype ui_attr(const struct ui *, enum ui_attr);
void ui_colors_init(struct ui *);
void ui_glyphs_init(struct ui *);
/* Prints S at (y, x), cut to W columns (by display width), padded when PAD. */
void ui_put(const struct ui *, WINDOW *, int y, int x, int w, enum ui_attr, bool pad,
	    const char *s);
void ui_putf(const struct ui *, WINDOW *, int y, int x, int w, enum ui_attr, const char *fmt,
	     ...) __attribute__((format(printf, 7, 8)));
/* Prints S word-wrapped in W columns from line Y; returns the line after it. */
int ui_wrap(const struct ui *, WINDOW *, int y, int x, int w, enum ui_attr, const char *s);
void ui_hline(const struct ui *, WINDOW *, int y, int x, int w);
/* A progress bar of W columns for DONE of TOTAL. */
void ui_bar(const struct ui *, WINDOW *, int y, int x, int w, uint64_t done, uint64_t total);
/* A sparkline of the last W values of V[0..n), scaled to their maximum. */
void ui_spark(const struct ui *, WINDOW *, int y, int x, int w, const uint32_t *v, size_t n);
/* Copies S into BUF of SIZE, cut at a character boundary if it must be. */
void ui_copy(char *buf, size_t size, const char *s);
/* "12,345,678" */
const char *ui_num(uint64_t, char *buf, size_t size);
/* "2024-05-01 12:00:00" in UTC, "-" for 0. */
const char *ui_time(time_t, char *buf, size_t size);
/* "3m12s", "1h04m", "--" */
const char *ui_duration(double seconds, char *buf, size_t size);
/* A titled section rule: "── Batches ───────". */
void ui_section(const struct ui *, WINDOW *, int y, int x, int w, const char *title);

/* A scrolling cursor over N lines in a window of H lines. */
struct ui_list {
	size_t n, cur, top;
};
/* Applies a moving action; false if ACT is not one. */
bool ui_list_move(struct ui_list *, enum ui_action, int height);
void ui_list_fit(struct ui_list *, int height);

/* console_form.c: a form of labelled single-line text fields. */
#define UI_FIELD_MAX 256

struct ui_field {
	const char *label;
	const char *hint; /* shown dimmed after the field */
	char value[UI_FIELD_MAX];
	size_t len;        /* bytes */
	char error[512];   /* inline error under the field, "" if none */
	bool secret;
};

struct ui_form {
	struct ui_field *fields;
	size_t n, cur;
	char error[512]; /* form-level error, shown above the fields */
};

void ui_form_set(struct ui_form *, size_t i, const char *value);
/* Editing keys of the current field; true if consumed. */
bool ui_form_input(struct ui_form *, int ch);
/* Next/previous field; true if handled. */
bool ui_form_action(struct ui_form *, enum ui_action);
void ui_form_clear_errors(struct ui_form *);
/* Draws from line Y; returns the next free line. */
int ui_form_draw(const struct ui *, WINDOW *, const struct ui_form *, int y, bool focused);

/* screen_confirm.c: a yes/no question; CALLBACK runs on yes, then the screen pops. */
struct ui_confirm {
	char question[512];
	char detail[512];
	void (*yes)(struct ui *, void *arg);
	void *arg;
};
/* Copies C. */
void ui_confirm(struct ui *, const struct ui_confirm *c);

/*
 * console_actions.c: what a campaign key does wherever a campaign is selected
 * (generate, export, pause/resume, expire); true if handled.
 */
bool ui_campaign_action(struct ui *, uint32_t campaign_id, enum ui_action);
/* screen_generate.c: runs batch ID in the worker; false (message set) if busy. */
bool ui_generate_start(struct ui *, uint64_t batch_id, uint64_t count, const char *label);
/* Actions that open a view from anywhere (search, new campaign, recent, keys). */
bool ui_global_view(struct ui *, enum ui_action);

/* The screens (screen_*.c); ARG of ui_push in brackets. */
extern const struct ui_screen screen_dashboard;
extern const struct ui_screen screen_help;
extern const struct ui_screen screen_confirm;
extern const struct ui_screen screen_campaign; /* (uintptr_t) campaign id */
extern const struct ui_screen screen_create;   /* - */
extern const struct ui_screen screen_generate; /* (uintptr_t) campaign id */
extern const struct ui_screen screen_progress; /* - : the running job */
extern const struct ui_screen screen_export;   /* (uintptr_t) campaign id */
extern const struct ui_screen screen_report;   /* (uintptr_t) campaign id */
extern const struct ui_screen screen_lookup;   /* - or a code (char *) */
extern const struct ui_screen screen_recent;   /* - */
extern const struct ui_screen screen_apikeys;  /* - */
extern const struct ui_screen screen_search;   /* - or ui_search_by_user */
extern const struct ui_screen screen_audit;    /* - */
/* screen_search's ARG for the lookup by user (the cursor starts on the user field). */
extern const char ui_search_by_user[];

#endif
