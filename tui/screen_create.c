/*
 * Create a campaign: a form with inline errors. The console parses what was
 * typed (numbers, dates); whether the campaign is acceptable (name, window,
 * format strength for its size) is cp_campaign_create's decision, and the line
 * under the form shows core's guess probability for the format as it is typed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ui.h"
#include "xmalloc.h"

enum {
	F_NAME,
	F_PLANNED,
	F_PREFIX,
	F_LENGTH,
	F_ALPHABET,
	F_CHECK,
	F_GROUP,
	F_STARTS,
	F_EXPIRES,
	F_LIMIT,
	F_UNREDEEM,
	NFIELDS
};

static const struct {
	const char *label, *hint, *initial;
} field_defs[NFIELDS] = {
	[F_NAME] = {"Name", "unique", ""},
	[F_PLANNED] = {"Planned codes", "sizes the format", "1000000"},
	[F_PREFIX] = {"Prefix", "optional, A-Z 0-9", ""},
	[F_LENGTH] = {"Body length", "empty = shortest safe", ""},
	[F_ALPHABET] = {"Alphabet", "empty = Crockford", ""},
	[F_CHECK] = {"Check character", "yes/no", "yes"},
	[F_GROUP] = {"Group size", "display groups", "4"},
	[F_STARTS] = {"Starts at", "YYYY-MM-DD [HH:MM] UTC", ""},
	[F_EXPIRES] = {"Expires at", "YYYY-MM-DD [HH:MM] UTC", ""},
	[F_LIMIT] = {"Per-user limit", "0 = unlimited", "0"},
	[F_UNREDEEM] = {"Unredeem", "restore or spend", "restore"},
};

struct create {
	struct ui_field fields[NFIELDS];
	struct ui_form form;
};

static const enum ui_action hints[] = {UA_ENTER, UA_NEXT_FIELD, UA_BACK, UA_NONE};

static void *create_open(struct ui *ui, void *arg)
{
	struct create *c = xcalloc(1, sizeof *c);

	(void)ui;
	(void)arg;
	c->form.fields = c->fields;
	c->form.n = NFIELDS;
	for (size_t i = 0; i < NFIELDS; i++) {
		c->fields[i].label = field_defs[i].label;
		c->fields[i].hint = field_defs[i].hint;
		ui_form_set(&c->form, i, field_defs[i].initial);
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

static bool bad(struct create *c, size_t i, const char *msg)
{
	ui_copy(c->fields[i].error, sizeof c->fields[i].error, msg);
	return false;
}

/* "2024-05-01" or "2024-05-01 12:30", UTC; empty = no bound. */
static bool parse_time(struct create *c, size_t i, time_t *out)
{
	const char *v = c->fields[i].value, *end;
	struct tm tm;

	*out = 0;
	if (*v == '\0')
		return true;
	memset(&tm, 0, sizeof tm);
	if ((end = strptime(v, "%Y-%m-%d %H:%M", &tm)) == NULL || *end != '\0') {
		memset(&tm, 0, sizeof tm);
		if ((end = strptime(v, "%Y-%m-%d", &tm)) == NULL || *end != '\0')
			return bad(c, i, "a date YYYY-MM-DD, optionally with HH:MM (UTC)");
	}
	*out = timegm(&tm);
	return true;
}

static bool parse_num(struct create *c, size_t i, uint64_t min, uint64_t max, uint64_t *out)
{
	struct cp_err e;

	if (cp_parse_uint(c->fields[i].value, min, max, out, &e) == CP_OK)
		return true;
	return bad(c, i, e.msg);
}

static bool parse_choice(struct create *c, size_t i, const char *yes, const char *no, bool *out)
{
	if (strcasecmp(c->fields[i].value, yes) == 0)
		*out = true;
	else if (strcasecmp(c->fields[i].value, no) == 0)
		*out = false;
	else {
		char msg[64];

		snprintf(msg, sizeof msg, "%s or %s", yes, no);
		return bad(c, i, msg);
	}
	return true;
}

/* Fills CAMP from the fields; false with inline errors when something is unreadable. */
static bool read_form(struct create *c, struct cp_campaign *camp)
{
	uint64_t planned = 0, len = 0, group = 0, limit = 0;
	struct cp_err e;
	bool ok = true;

	cp_campaign_init(camp);
	ui_copy(camp->name, sizeof camp->name, c->fields[F_NAME].value);
	ok &= parse_num(c, F_PLANNED, 1, UINT64_MAX, &planned);
	ui_copy(camp->format.prefix, sizeof camp->format.prefix, c->fields[F_PREFIX].value);
	if (c->fields[F_ALPHABET].len > 0)
		ui_copy(camp->format.alphabet, sizeof camp->format.alphabet, c->fields[F_ALPHABET].value);
	ok &= parse_choice(c, F_CHECK, "yes", "no", &camp->format.check);
	ok &= parse_num(c, F_GROUP, 0, CP_BODY_MAX, &group);
	ok &= parse_time(c, F_STARTS, &camp->starts_at);
	ok &= parse_time(c, F_EXPIRES, &camp->expires_at);
	ok &= parse_num(c, F_LIMIT, 0, UINT32_MAX, &limit);
	ok &= parse_choice(c, F_UNREDEEM, "restore", "spend", &camp->unredeem_restores);
	if (c->fields[F_LENGTH].len > 0)
		ok &= parse_num(c, F_LENGTH, 1, 255, &len);
	if (!ok)
		return false;
	camp->planned_codes = planned;
	camp->format.group = (unsigned int)group;
	camp->per_user_limit = (uint32_t)limit;
	if (len > 0) {
		camp->format.body_len = (unsigned int)len;
	} else if (cp_format_length_for(camp->format.alphabet, planned, CP_GUESS_TARGET_DEFAULT,
					&camp->format.body_len, &e) != CP_OK) {
		return bad(c, F_PLANNED, e.msg);
	}
	return true;
}

/* Where core's refusal belongs: the field its message names, else the form. */
static size_t field_for(enum cp_status st, const char *msg)
{
	static const struct {
		const char *word;
		size_t field;
	} words[] = {
		{"name", F_NAME},       {"prefix", F_PREFIX},   {"alphabet", F_ALPHABET},
		{"length", F_LENGTH},   {"group", F_GROUP},     {"start", F_STARTS},
		{"expir", F_EXPIRES},   {"window", F_EXPIRES},  {"limit", F_LIMIT},
		{"planned", F_PLANNED},
	};

	if (st == CP_E_EXISTS)
		return F_NAME;
	if (st == CP_E_FORMAT_WEAK || st == CP_E_CAPACITY)
		return F_LENGTH;
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcasestr(msg, words[i].word) != NULL)
			return words[i].field;
	return NFIELDS;
}

static bool submit(struct ui *ui, struct create *c)
{
	struct cp_campaign camp;
	struct cp_err e;
	enum cp_status st;
	size_t f;

	ui_form_clear_errors(&c->form);
	if (!read_form(c, &camp))
		return true;
	cp_err_clear(&e);
	if ((st = cp_campaign_create(ui->db, &camp, &e)) != CP_OK) {
		f = field_for(st, e.msg);
		if (f == NFIELDS)
			ui_copy(c->form.error, sizeof c->form.error, e.msg[0] ? e.msg : cp_status_message(st));
		else
			bad(c, f, e.msg[0] ? e.msg : cp_status_message(st));
		if (f != NFIELDS)
			c->form.cur = f;
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
static void draw_preview(struct ui *ui, WINDOW *win, int y, struct create *c)
{
	struct create copy = *c;
	struct cp_campaign camp;
	struct cp_err e;
	enum cp_status st;

	copy.form.fields = copy.fields;
	if (!read_form(&copy, &camp))
		return;
	cp_err_clear(&e);
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
