/*
 * API keys: the list (revoked ones dimmed), n creates one (name, scopes) and
 * shows its secret once, d revokes the selected key after confirmation.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"
#include "xmalloc.h"

#define KEYS_MAX 512

enum mode { LIST, FORM, SECRET };
enum { F_NAME, F_SCOPES, NFIELDS };

struct keys {
	enum mode mode;
	struct cp_apikey keys[KEYS_MAX];
	struct ui_list list;
	int list_rows;
	struct ui_field fields[NFIELDS];
	struct ui_form form;
	char secret[CP_APIKEY_SECRET_LEN + 16];
	char secret_name[CP_NAME_MAX * 4 + 1];
};

static const enum ui_action hints[] = {UA_NEW, UA_REVOKE, UA_ENTER, UA_BACK, UA_NONE};

static void add_key(const struct cp_apikey *k, void *arg)
{
	struct keys *x = arg;

	if (x->list.n < KEYS_MAX)
		x->keys[x->list.n++] = *k;
}

static void reload(struct ui *ui, struct keys *x)
{
	struct cp_err e;
	enum cp_status st;

	cp_err_clear(&e);
	x->list.n = 0;
	if ((st = cp_apikey_list(ui->db, add_key, x, &e)) != CP_OK)
		ui_fail(ui, "API keys", st, &e);
	ui_list_fit(&x->list, x->list_rows);
	ui_dirty(ui);
}

static void *keys_open(struct ui *ui, void *arg)
{
	struct keys *x = xcalloc(1, sizeof *x);

	(void)arg;
	x->fields[F_NAME] = (struct ui_field){.label = "Name", .hint = "who uses it, unique"};
	x->fields[F_SCOPES] = (struct ui_field){.label = "Scopes", .hint = "redeem, admin or both"};
	x->form.fields = x->fields;
	x->form.n = NFIELDS;
	x->list_rows = 10;
	reload(ui, x);
	return x;
}

static void keys_close(struct ui *ui, void *state)
{
	struct keys *x = state;

	(void)ui;
	wipe(x->secret, sizeof x->secret);
	free(x);
}

static bool keys_input(struct ui *ui, void *state, int ch)
{
	struct keys *x = state;

	if (x->mode == SECRET) {
		/* Any key hides the secret for good. */
		wipe(x->secret, sizeof x->secret);
		x->mode = LIST;
		ui_dirty(ui);
		return true;
	}
	if (x->mode != FORM || !ui_form_input(&x->form, ch))
		return false;
	ui_dirty(ui);
	return true;
}

static void create(struct ui *ui, struct keys *x)
{
	unsigned int scopes;
	uint32_t id;
	struct cp_err e;
	enum cp_status st;

	ui_form_clear_errors(&x->form);
	cp_err_clear(&e);
	if ((st = cp_scopes_parse(x->fields[F_SCOPES].value, &scopes, &e)) != CP_OK) {
		ui_copy(x->fields[F_SCOPES].error, sizeof x->fields[F_SCOPES].error, e.msg);
		return;
	}
	st = cp_apikey_create(ui->db, x->fields[F_NAME].value, scopes, x->secret, sizeof x->secret,
			      &id, &e);
	if (st != CP_OK) {
		ui_copy(x->fields[F_NAME].error, sizeof x->fields[F_NAME].error, e.msg[0] ? e.msg : cp_status_message(st));
		return;
	}
	ui_copy(x->secret_name, sizeof x->secret_name, x->fields[F_NAME].value);
	ui_form_set(&x->form, F_NAME, "");
	x->mode = SECRET;
	reload(ui, x);
}

static void revoke_yes(struct ui *ui, void *arg)
{
	struct keys *x = arg;
	char id[16];
	struct cp_err e;
	enum cp_status st;

	cp_err_clear(&e);
	snprintf(id, sizeof id, "%u", x->keys[x->list.cur].id);
	if ((st = cp_apikey_revoke(ui->db, id, &e)) != CP_OK)
		ui_fail(ui, "revoke", st, &e);
	else
		ui_msg(ui, false, "Key \"%s\" revoked.", x->keys[x->list.cur].name);
	reload(ui, x);
}

static bool list_action(struct ui *ui, struct keys *x, enum ui_action a)
{
	struct ui_confirm q = {.yes = revoke_yes, .arg = x};

	if (ui_list_move(&x->list, a, x->list_rows))
		return true;
	if (a == UA_NEW) {
		x->mode = FORM;
		ui_form_set(&x->form, F_SCOPES, "redeem");
		return true;
	}
	if (a != UA_REVOKE || x->list.n == 0)
		return false;
	if (x->keys[x->list.cur].revoked_at != 0) {
		ui_msg(ui, false, "That key is already revoked.");
		return true;
	}
	snprintf(q.question, sizeof q.question, "Revoke API key \"%s\" (%s...)?",
		 x->keys[x->list.cur].name, x->keys[x->list.cur].prefix);
	snprintf(q.detail, sizeof q.detail, "Requests with it are refused at once (401). "
		 "This cannot be undone; create a new key instead.");
	ui_confirm(ui, &q);
	return true;
}

static bool keys_action(struct ui *ui, void *state, enum ui_action a)
{
	struct keys *x = state;

	ui_dirty(ui);
	if (x->mode == LIST)
		return list_action(ui, x, a);
	if (a == UA_BACK) {
		x->mode = LIST;
		return true;
	}
	if (a == UA_ENTER) {
		create(ui, x);
		return true;
	}
	return ui_form_action(&x->form, a) || a != UA_QUIT;
}

static void draw_list(struct ui *ui, WINDOW *win, struct keys *x, int y)
{
	int w = getmaxx(win), h = getmaxy(win);
	char scopes[32], t[2][32];

	ui_putf(ui, win, y++, 1, w - 2, UI_HEADER, "%4s %-24s %-10s %-13s %-19s %s", "ID", "NAME",
		"PREFIX", "SCOPES", "CREATED (UTC)", "LAST USED / REVOKED");
	x->list_rows = h - y;
	ui_list_fit(&x->list, x->list_rows);
	if (x->list.n == 0)
		ui_put(ui, win, y, 2, w - 4, UI_DIM, false, "No API keys: press n to create one.");
	for (size_t i = x->list.top; i < x->list.n && y < h; i++, y++) {
		const struct cp_apikey *k = &x->keys[i];
		bool sel = i == x->list.cur;

		cp_scopes_format(k->scopes, scopes, sizeof scopes);
		ui_put(ui, win, y, 0, w, sel ? UI_SELECTED : UI_NORMAL, true, "");
		ui_putf(ui, win, y, 1, w - 2, sel ? UI_SELECTED : k->revoked_at ? UI_DIM : UI_NORMAL,
			"%4u %-24.24s %-10s %-13s %-19s %s%s", k->id, k->name, k->prefix, scopes,
			ui_time(k->created_at, t[0], sizeof t[0]), k->revoked_at ? "revoked " : "",
			ui_time(k->revoked_at ? k->revoked_at : k->last_used_at, t[1], sizeof t[1]));
	}
}

static void keys_draw(struct ui *ui, void *state, WINDOW *win)
{
	struct keys *x = state;
	int w = getmaxx(win);

	ui_title(ui, "API keys");
	if (x->mode == SECRET) {
		ui_putf(ui, win, 2, 4, w - 8, UI_HEADER, "Secret of the new key \"%s\":", x->secret_name);
		ui_put(ui, win, 4, 6, w - 10, UI_WARN, false, x->secret);
		ui_put(ui, win, 6, 4, w - 8, UI_NORMAL, false,
		       "Copy it now: it is shown this once and is not stored (only its SHA-256).");
		ui_put(ui, win, 8, 4, w - 8, UI_DIM, false, "Press any key to hide it.");
		return;
	}
	if (x->mode == FORM) {
		ui_form_draw(ui, win, &x->form, 0, true);
		ui->cursor = true;
		return;
	}
	draw_list(ui, win, x, 1);
}

const struct ui_screen screen_apikeys = {
	.name = "apikeys",
	.open = keys_open,
	.close = keys_close,
	.input = keys_input,
	.action = keys_action,
	.draw = keys_draw,
	.hints = hints,
};
