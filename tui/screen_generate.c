/*
 * Generate a batch: a small form (count, method), then the batch runs in a worker
 * thread (console_job.c) and screen_progress shows it. The batch's rules (format
 * capacity, guessability, archived campaigns) are cp_batch_create's.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console_job.h"
#include "ui.h"
#include "xmalloc.h"

enum { F_COUNT, F_METHOD, NFIELDS };

struct gen {
	uint32_t campaign_id;
	char name[CP_NAME_MAX * 4 + 1];
	struct ui_field fields[NFIELDS];
	struct ui_form form;
	struct cp_batch unfinished;
	bool has_unfinished;
};

struct gen_arg {
	uint64_t batch_id;
	uint64_t count;
};

static const enum ui_action form_hints[] = {UA_ENTER, UA_NEXT_FIELD, UA_BACK, UA_NONE};
static const enum ui_action progress_hints[] = {UA_CANCEL, UA_BACK, UA_NONE};

static bool on_progress(const struct cp_gen_progress *p, void *arg)
{
	return job_progress(arg, p->generated, p->requested);
}

static enum cp_status gen_run(struct ui_job *j, struct cp_db *db, void *arg, struct cp_err *e)
{
	struct gen_arg *g = arg;
	struct cp_gen_opts o;
	struct cp_batch out;
	enum cp_status st;
	uint64_t chunk = g->count / 50;
	char n[32];

	/* Small chunks for small batches, so that the bar moves; core's cap otherwise. */
	memset(&o, 0, sizeof o);
	memset(&out, 0, sizeof out);
	o.chunk = (unsigned int)(chunk < 1000 ? 1000 : chunk > CP_GEN_CHUNK_DEFAULT
							   ? CP_GEN_CHUNK_DEFAULT
							   : chunk);
	o.progress = on_progress;
	o.arg = j;
	job_set_id(j, g->batch_id);
	st = cp_batch_run(db, g->batch_id, &o, &out, e);
	if (st == CP_OK)
		job_set_result(j, "Batch %llu complete: %s codes.", (unsigned long long)out.id,
			       ui_num(out.generated, n, sizeof n));
	else if (st == CP_E_CANCELLED)
		job_set_result(j, "%s. Resume it from the campaign screen or with: "
				  "couponadm generate --resume %llu", e->msg,
			       (unsigned long long)g->batch_id);
	return st;
}

/* Starts the worker for batch ID (new or resumed) and shows its progress. */
bool ui_generate_start(struct ui *ui, uint64_t batch_id, uint64_t count, const char *label)
{
	struct gen_arg *g = xcalloc(1, sizeof *g);
	struct cp_err e;

	g->batch_id = batch_id;
	g->count = count;
	cp_err_clear(&e);
	if (job_start(ui, label, gen_run, g, free, &e) == NULL) {
		ui_fail(ui, "generate", CP_E_CONFLICT, &e);
		return false;
	}
	return true;
}

static void *gen_open(struct ui *ui, void *arg)
{
	struct gen *g = xcalloc(1, sizeof *g);
	const struct cp_campaign_stats *c;
	struct cp_err e;

	g->campaign_id = (uint32_t)(uintptr_t)arg;
	c = ui_campaign_stats(ui, g->campaign_id);
	ui_copy(g->name, sizeof g->name, c ? c->name : "?");
	g->fields[F_COUNT] = (struct ui_field){.label = "Codes", .hint = "e.g. 100000"};
	g->fields[F_METHOD] = (struct ui_field){.label = "Method", .hint = "random or keyed"};
	g->form.fields = g->fields;
	g->form.n = NFIELDS;
	ui_form_set(&g->form, F_METHOD, "random");
	cp_err_clear(&e);
	cp_batch_unfinished(ui->db, g->campaign_id, &g->unfinished, &g->has_unfinished, &e);
	return g;
}

static void gen_close(struct ui *ui, void *state)
{
	(void)ui;
	free(state);
}

static bool gen_input(struct ui *ui, void *state, int ch)
{
	struct gen *g = state;

	if (!ui_form_input(&g->form, ch))
		return false;
	ui_dirty(ui);
	return true;
}

static bool field_error(struct ui_form *f, size_t i, enum cp_status st, const struct cp_err *e)
{
	ui_copy(f->fields[i].error, sizeof f->fields[i].error, e->msg[0] ? e->msg : cp_status_message(st));
	f->cur = i;
	return true;
}

static bool submit(struct ui *ui, struct gen *g)
{
	uint64_t count, id = 0;
	enum cp_gen_method method;
	struct cp_err e;
	enum cp_status st;
	char label[1024], n[32];

	ui_form_clear_errors(&g->form);
	cp_err_clear(&e);
	if ((st = cp_parse_uint(g->fields[F_COUNT].value, 1, UINT64_MAX, &count, &e)) != CP_OK)
		return field_error(&g->form, F_COUNT, st, &e);
	if ((st = cp_parse_method(g->fields[F_METHOD].value, &method, &e)) != CP_OK)
		return field_error(&g->form, F_METHOD, st, &e);
	st = cp_batch_create(ui->db, g->campaign_id, method, count, &id, &e);
	if (st != CP_OK) {
		/* Under the field core names; the rest above the form. */
		if (strcmp(e.field, "count") == 0)
			return field_error(&g->form, F_COUNT, st, &e);
		ui_copy(g->form.error, sizeof g->form.error, e.msg);
		return true;
	}
	snprintf(label, sizeof label, "Batch %llu: %s %s codes for %s", (unsigned long long)id,
		 ui_num(count, n, sizeof n), cp_gen_method_name(method), g->name);
	if (ui_generate_start(ui, id, count, label))
		ui_replace(ui, &screen_progress, NULL);
	return true;
}

static bool gen_action(struct ui *ui, void *state, enum ui_action a)
{
	struct gen *g = state;

	ui_dirty(ui);
	if (a == UA_ENTER)
		return submit(ui, g);
	return ui_form_action(&g->form, a);
}

static void gen_draw(struct ui *ui, void *state, WINDOW *win)
{
	struct gen *g = state;
	int w = getmaxx(win), y;
	char a[32], b[32];

	ui_title(ui, "Generate codes %s %s", ui->g->vline, g->name);
	y = ui_form_draw(ui, win, &g->form, 1, true);
	ui->cursor = true;
	ui_put(ui, win, y + 1, 2, w - 4, UI_DIM, false,
	       "Enter starts the batch; it runs in the background and can be cancelled and resumed.");
	if (g->has_unfinished)
		ui_putf(ui, win, y + 3, 2, w - 4, UI_WARN,
			"Batch %llu is unfinished (%s of %s): resume it from the campaign screen.",
			(unsigned long long)g->unfinished.id, ui_num(g->unfinished.generated, a, sizeof a),
			ui_num(g->unfinished.requested, b, sizeof b));
}

const struct ui_screen screen_generate = {
	.name = "generate",
	.open = gen_open,
	.close = gen_close,
	.input = gen_input,
	.action = gen_action,
	.draw = gen_draw,
	.hints = form_hints,
};

/* ------------------------------------------------------------------ progress */

static void *progress_open(struct ui *ui, void *arg)
{
	(void)ui;
	(void)arg;
	return NULL;
}

static void progress_close(struct ui *ui, void *state)
{
	(void)state;
	ui_stats_tick(ui, true);
}

static void progress_tick(struct ui *ui, void *state)
{
	(void)state;
	ui_dirty(ui); /* the bar, the rate and the clock move */
}

static bool progress_action(struct ui *ui, void *state, enum ui_action a)
{
	(void)state;
	if (a == UA_CANCEL && job_active(ui->job)) {
		job_cancel(ui->job);
		ui_msg(ui, false, "Cancelling at the end of the current chunk...");
		return true;
	}
	return false;
}

static void progress_draw(struct ui *ui, void *state, WINDOW *win)
{
	struct job_view v;
	int w = getmaxx(win);
	char a[32], b[32], r[32], eta[16], el[16];
	double pct;

	(void)state;
	ui_title(ui, "Progress");
	if (ui->job == NULL) {
		ui_put(ui, win, 1, 2, w - 4, UI_DIM, false, "Nothing is running.");
		return;
	}
	job_snapshot(ui->job, &v);
	pct = v.total ? 100.0 * (double)v.done / (double)v.total : 0;
	ui_put(ui, win, 1, 2, w - 4, UI_HEADER, false, job_label(ui->job));
	ui_bar(ui, win, 3, 2, w - 12, v.done, v.total);
	ui_putf(ui, win, 3, w - 9, 8, UI_NORMAL, "%5.1f%%", pct);
	ui_putf(ui, win, 5, 2, w - 4, UI_NORMAL, "%s of %s   %s/s   elapsed %s   ETA %s",
		ui_num(v.done, a, sizeof a), ui_num(v.total, b, sizeof b),
		ui_num((uint64_t)v.rate, r, sizeof r),
		ui_duration(v.elapsed, el, sizeof el),
		v.finished ? "-" : ui_duration(v.eta, eta, sizeof eta));
	if (!v.finished) {
		ui_put(ui, win, 7, 2, w - 4, v.cancelling ? UI_WARN : UI_DIM, false,
		       v.cancelling ? "Cancelling: the current chunk finishes first."
				    : "c cancels (the batch stays resumable). Esc leaves it running.");
		return;
	}
	if (v.status == CP_OK)
		ui_put(ui, win, 7, 2, w - 4, UI_GOOD, false, v.result);
	else if (v.status == CP_E_CANCELLED)
		ui_put(ui, win, 7, 2, w - 4, UI_WARN, false, v.result[0] ? v.result : "Cancelled.");
	else
		ui_putf(ui, win, 7, 2, w - 4, UI_BAD, "Failed: %s",
			v.err.msg[0] ? v.err.msg : cp_status_message(v.status));
	if (v.status == CP_OK && v.result[0] != '\0' && strstr(job_label(ui->job), "Export"))
		ui_put(ui, win, 9, 2, w - 4, UI_DIM, false, "The checksum file lies beside the CSV.");
}

const struct ui_screen screen_progress = {
	.name = "progress",
	.open = progress_open,
	.close = progress_close,
	.action = progress_action,
	.tick = progress_tick,
	.draw = progress_draw,
	.hints = progress_hints,
};
