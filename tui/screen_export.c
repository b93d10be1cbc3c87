/*
 * Export: a file prompt and filters, then core's cp_export runs in the worker.
 * core reports no progress while it streams, so the console estimates it from
 * the size of the .tmp file being written; the SHA-256 is shown when done.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "console_job.h"
#include "ui.h"
#include "xmalloc.h"

enum { F_PATH, F_STATUS, F_BATCH, F_FORCE, NFIELDS };

struct exp {
	uint32_t campaign_id;
	char name[CP_NAME_MAX * 4 + 1];
	struct ui_field fields[NFIELDS];
	struct ui_form form;
};

struct exp_arg {
	struct cp_export_opts o;
	char path[UI_FIELD_MAX], status[16], actor[128];
};

static const enum ui_action hints[] = {UA_ENTER, UA_NEXT_FIELD, UA_BACK, UA_NONE};

static enum cp_status exp_run(struct ui_job *j, struct cp_db *db, void *arg, struct cp_err *e)
{
	struct exp_arg *x = arg;
	struct cp_export_result r;
	enum cp_status st;
	char n[32];

	memset(&r, 0, sizeof r);
	st = cp_export(db, &x->o, &r, e);
	if (st == CP_OK) {
		job_progress(j, r.count, r.count);
		job_set_result(j, "%s codes written to %s; SHA-256 %s", ui_num(r.count, n, sizeof n),
			       x->path, r.sha256);
	}
	return st;
}

static void *exp_open(struct ui *ui, void *arg)
{
	struct exp *x = xcalloc(1, sizeof *x);
	const struct cp_campaign_stats *c;
	char path[UI_FIELD_MAX], day[16];
	time_t now = time(NULL);
	struct tm tm;

	x->campaign_id = (uint32_t)(uintptr_t)arg;
	c = ui_campaign_stats(ui, x->campaign_id);
	ui_copy(x->name, sizeof x->name, c ? c->name : "?");
	x->fields[F_PATH] = (struct ui_field){.label = "File", .hint = "CSV; .sha256 beside it"};
	x->fields[F_STATUS] = (struct ui_field){.label = "Status", .hint = "empty = all, or available..."};
	x->fields[F_BATCH] = (struct ui_field){.label = "Batch", .hint = "empty = all batches"};
	x->fields[F_FORCE] = (struct ui_field){.label = "Overwrite", .hint = "yes/no"};
	x->form.fields = x->fields;
	x->form.n = NFIELDS;
	gmtime_r(&now, &tm);
	strftime(day, sizeof day, "%Y%m%d", &tm);
	snprintf(path, sizeof path, "campaign-%u-%s.csv", x->campaign_id, day);
	ui_form_set(&x->form, F_PATH, path);
	ui_form_set(&x->form, F_FORCE, "no");
	return x;
}

static void exp_close(struct ui *ui, void *state)
{
	(void)ui;
	free(state);
}

static bool exp_input(struct ui *ui, void *state, int ch)
{
	struct exp *x = state;

	if (!ui_form_input(&x->form, ch))
		return false;
	ui_dirty(ui);
	return true;
}

/* How many lines the export should write, for the estimate: the stats' counts. */
static uint64_t expected(const struct ui *ui, const struct exp *x, const char *status)
{
	const struct cp_campaign_stats *c = ui_campaign_stats(ui, x->campaign_id);
	enum cp_code_status s;

	if (c == NULL)
		return 0;
	const uint64_t by[] = {
		[CP_CODE_AVAILABLE] = c->available, [CP_CODE_PENDING] = c->pending,
		[CP_CODE_REDEEMED] = c->redeemed, [CP_CODE_EXPIRED] = c->expired,
		[CP_CODE_ASSIGNED] = c->assigned,
	};
	if (cp_code_status_parse(status, &s))
		return by[s] + 1;
	return c->generated + 1; /* + the header line */
}

static bool submit(struct ui *ui, struct exp *x)
{
	struct exp_arg *a = xcalloc(1, sizeof *a);
	uint64_t batch = 0;
	struct cp_err e;
	struct ui_job *j;
	char label[1024], tmp[UI_FIELD_MAX + 8];

	ui_form_clear_errors(&x->form);
	cp_err_clear(&e);
	if (x->fields[F_BATCH].len > 0 &&
	    cp_parse_uint(x->fields[F_BATCH].value, 1, UINT64_MAX, &batch, &e) != CP_OK) {
		ui_copy(x->fields[F_BATCH].error, sizeof x->fields[F_BATCH].error, e.msg);
		free(a);
		return true;
	}
	if (x->fields[F_PATH].len == 0) {
		snprintf(x->fields[F_PATH].error, sizeof x->fields[F_PATH].error, "a file name");
		free(a);
		return true;
	}
	ui_copy(a->path, sizeof a->path, x->fields[F_PATH].value);
	ui_copy(a->status, sizeof a->status, x->fields[F_STATUS].value);
	ui_copy(a->actor, sizeof a->actor, ui->cli->actor);
	a->o.campaign_id = x->campaign_id;
	a->o.batch_id = batch;
	a->o.status = a->status[0] ? a->status : NULL;
	a->o.path = a->path;
	a->o.force = strcmp(x->fields[F_FORCE].value, "yes") == 0;
	a->o.actor = a->actor;
	snprintf(label, sizeof label, "Export of %s to %s", x->name, a->path);
	snprintf(tmp, sizeof tmp, "%s.tmp", a->path);
	if ((j = job_start(ui, label, exp_run, a, free, &e)) == NULL) {
		ui_copy(x->form.error, sizeof x->form.error, e.msg);
		return true;
	}
	job_watch_file(j, tmp, expected(ui, x, a->status));
	ui_replace(ui, &screen_progress, NULL);
	return true;
}

static bool exp_action(struct ui *ui, void *state, enum ui_action a)
{
	struct exp *x = state;

	ui_dirty(ui);
	if (a == UA_ENTER)
		return submit(ui, x);
	return ui_form_action(&x->form, a);
}

static void exp_draw(struct ui *ui, void *state, WINDOW *win)
{
	struct exp *x = state;
	int y;

	ui_title(ui, "Export codes %s %s", ui->g->vline, x->name);
	y = ui_form_draw(ui, win, &x->form, 1, true);
	ui->cursor = true;
	ui_put(ui, win, y + 1, 2, getmaxx(win) - 4, UI_DIM, false,
	       "The file is relative to the directory couponadm was started in. "
	       "Every export is recorded.");
}

const struct ui_screen screen_export = {
	.name = "export",
	.open = exp_open,
	.close = exp_close,
	.input = exp_input,
	.action = exp_action,
	.draw = exp_draw,
	.hints = hints,
};
