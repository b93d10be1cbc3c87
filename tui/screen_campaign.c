/*
 * Campaign detail: window, limits, format and its guess probability, counts and
 * rate, and the batches with their progress; under them, the selected import's
 * file, progress and duplicates (core's reading of its batch row). Enter on an
 * unfinished batch resumes it; x expires the selected batch's available codes.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console_job.h"
#include "ui.h"
#include "xmalloc.h"

#define BATCHES_MAX 256
#define RELOAD_MS 2000

struct detail {
	uint32_t id;
	struct cp_campaign c;
	bool loaded;
	struct cp_batch batches[BATCHES_MAX];
	struct ui_list list;
	uint64_t loaded_ms;
	int list_rows;
	struct cp_import_result imp; /* of the selected batch when it is an import */
	uint64_t imp_id;             /* 0: none loaded */
};

static const enum ui_action hints[] = {UA_GENERATE, UA_EXPORT, UA_PAUSE, UA_EXPIRE, UA_ENTER,
				       UA_BACK, UA_HELP, UA_NONE};

static bool add_batch(const struct cp_batch *b, void *arg)
{
	struct detail *d = arg;

	/* Newest first, keeping the newest BATCHES_MAX. */
	if (d->list.n == BATCHES_MAX)
		d->list.n--;
	memmove(d->batches + 1, d->batches, d->list.n * sizeof *d->batches);
	d->batches[0] = *b;
	d->list.n++;
	return true;
}

/* The selected batch's import state, when it is one: read again with each reload. */
static void load_import(struct ui *ui, struct detail *d)
{
	const struct cp_batch *b = &d->batches[d->list.cur];
	struct cp_err e;
	enum cp_status st;

	d->imp_id = 0;
	if (d->list.n == 0 || b->method != CP_GEN_IMPORT)
		return;
	cp_err_clear(&e);
	if ((st = cp_import_get(ui->db, b->id, &d->imp, &e)) != CP_OK) {
		ui_fail(ui, "import", st, &e);
		return;
	}
	d->imp_id = b->id;
}

static void reload(struct ui *ui, struct detail *d)
{
	struct cp_err e;
	enum cp_status st;

	cp_err_clear(&e);
	d->loaded_ms = ui_now_ms();
	if ((st = cp_campaign_get(ui->db, d->id, &d->c, &e)) != CP_OK) {
		ui_fail(ui, "campaign", st, &e);
		return;
	}
	d->loaded = true;
	d->list.n = 0;
	if ((st = cp_batch_list(ui->db, d->id, add_batch, d, &e)) != CP_OK)
		ui_fail(ui, "batches", st, &e);
	ui_list_fit(&d->list, d->list_rows);
	load_import(ui, d);
	ui_dirty(ui);
}

static void *detail_open(struct ui *ui, void *arg)
{
	struct detail *d = xcalloc(1, sizeof *d);

	d->id = (uint32_t)(uintptr_t)arg;
	d->list_rows = 5;
	reload(ui, d);
	return d;
}

static void detail_close(struct ui *ui, void *state)
{
	(void)ui;
	free(state);
}

static void detail_tick(struct ui *ui, void *state)
{
	struct detail *d = state;

	ui_stats_tick(ui, false);
	if (ui_now_ms() - d->loaded_ms >= RELOAD_MS)
		reload(ui, d);
}

static void resume_yes(struct ui *ui, void *arg)
{
	struct detail *d = arg;
	const struct cp_batch *b = &d->batches[d->list.cur];
	char label[1024], n[32];

	snprintf(label, sizeof label, "Batch %llu (resumed): %s codes for %s",
		 (unsigned long long)b->id, ui_num(b->requested, n, sizeof n), d->c.name);
	if (ui_generate_start(ui, b->id, b->requested, label))
		ui_push(ui, &screen_progress, NULL);
}

static void expire_batch_yes(struct ui *ui, void *arg)
{
	struct detail *d = arg;
	uint64_t id = d->batches[d->list.cur].id, n = 0;
	struct cp_err e;
	enum cp_status st;
	char num[32];

	cp_err_clear(&e);
	st = cp_expire_codes(ui->db, d->id, id, ui->cli->actor, "batch expired in the console", &n,
			     &e);
	if (st != CP_OK) {
		ui_fail(ui, "expire", st, &e);
		return;
	}
	ui_msg(ui, false, "Expired %s available codes of batch %llu.", ui_num(n, num, sizeof num),
	       (unsigned long long)id);
	ui_stats_tick(ui, true);
	reload(ui, d);
}

static bool on_batch(struct ui *ui, struct detail *d, enum ui_action a)
{
	const struct cp_batch *b = &d->batches[d->list.cur];
	struct ui_confirm q = {.arg = d};

	if (a == UA_ENTER && b->method == CP_GEN_IMPORT && b->status != CP_BATCH_COMPLETE) {
		/* The file is the operator's, not the console's to find again. */
		ui_msg(ui, false, "Batch %llu is an import: couponadm import --resume %llu FILE",
		       (unsigned long long)b->id, (unsigned long long)b->id);
		return true;
	}
	if (a == UA_ENTER && b->status != CP_BATCH_COMPLETE) {
		if (job_active(ui->job)) {
			ui_push(ui, &screen_progress, NULL);
			return true;
		}
		q.yes = resume_yes;
		snprintf(q.question, sizeof q.question, "Resume batch %llu?", (unsigned long long)b->id);
		snprintf(q.detail, sizeof q.detail,
			 "It is %s with %llu of %llu codes; it runs to exactly its requested count.",
			 cp_batch_status_name(b->status), (unsigned long long)b->generated,
			 (unsigned long long)b->requested);
	} else if (a == UA_EXPIRE) {
		q.yes = expire_batch_yes;
		snprintf(q.question, sizeof q.question,
			 "Expire every available code of batch %llu?", (unsigned long long)b->id);
		snprintf(q.detail, sizeof q.detail,
			 "For a leaked batch. Redeemed codes keep their redemption; "
			 "each expiry is recorded in code_events.");
	} else {
		return false;
	}
	ui_confirm(ui, &q);
	return true;
}

static bool detail_action(struct ui *ui, void *state, enum ui_action a)
{
	struct detail *d = state;

	if (ui_list_move(&d->list, a, d->list_rows)) {
		load_import(ui, d);
		ui_dirty(ui);
		return true;
	}
	if (a == UA_REFRESH) {
		ui_stats_tick(ui, true);
		reload(ui, d);
		return true;
	}
	if (d->list.n > 0 && on_batch(ui, d, a))
		return true;
	return ui_campaign_action(ui, d->id, a);
}

/* On the campaign's clock, with the zone's abbreviation at each end. */
static const char *window_text(const struct cp_campaign *c, char *buf, size_t size)
{
	char a[CP_TIME_TEXT_MAX], b[CP_TIME_TEXT_MAX];

	if (c->starts_at == 0 && c->expires_at == 0)
		snprintf(buf, size, "always");
	else
		snprintf(buf, size, "%s .. %s",
			 c->starts_at ? cp_time_format(c->starts_at, c->time_zone, CP_TIME_LOCAL, a)
				      : "now",
			 c->expires_at ? cp_time_format(c->expires_at, c->time_zone, CP_TIME_LOCAL, b)
				       : "open");
	return buf;
}

/* What the campaign's codes grant now, on which minimum, and its metadata. */
static int draw_reward(struct ui *ui, WINDOW *win, const struct cp_reward *r, int y)
{
	int w = getmaxx(win);
	char text[128], min[64];

	cp_reward_text(r, text, sizeof text);
	cp_money_text(&r->min_order, min, sizeof min);
	ui_putf(ui, win, y++, 2, w - 4, UI_NORMAL, "Reward   %s, minimum order %s",
		r->id != 0 ? text : "none", min);
	if (r->metadata[0] != '\0') {
		char flat[256];
		size_t i;

		/* JSON's line breaks and tabs (between tokens only) shown as spaces. */
		for (i = 0; r->metadata[i] != '\0' && i + 1 < sizeof flat; i++)
			flat[i] = strchr("\n\r\t", r->metadata[i]) != NULL ? ' ' : r->metadata[i];
		flat[i] = '\0';
		ui_putf(ui, win, y++, 2, w - 4, UI_NORMAL, "Metadata %s", flat);
	}
	return y;
}

static int draw_info(struct ui *ui, WINDOW *win, const struct detail *d, int y)
{
	const struct cp_campaign *c = &d->c;
	const struct cp_campaign_stats *s = ui_campaign_stats(ui, d->id);
	int w = getmaxx(win), half = w / 2;
	char buf[128], n[6][32];
	uint64_t count = s && s->generated > c->planned_codes ? s->generated : c->planned_codes;

	ui_putf(ui, win, y, 2, half - 2, UI_NORMAL, "Status   %s", cp_campaign_status_name(c->status));
	ui_putf(ui, win, y++, half, w - half - 1, UI_NORMAL, "Zone     %s", c->time_zone);
	ui_putf(ui, win, y++, 2, w - 4, UI_NORMAL, "Window   %s", window_text(c, buf, sizeof buf));
	ui_putf(ui, win, y, 2, half - 2, UI_NORMAL, "Limit    %s",
		c->per_user_limit ? ui_num(c->per_user_limit, n[0], sizeof n[0]) : "unlimited per user");
	ui_putf(ui, win, y++, half, w - half - 1, UI_NORMAL, "Unredeem %s",
		c->unredeem_restores ? "restores the code" : "spends the code");
	if (c->format.external) {
		/* Codes made elsewhere: no alphabet or length of ours to reckon a guess from. */
		ui_putf(ui, win, y++, 2, w - 4, UI_NORMAL,
			"Format   external: codes made elsewhere, %s, %s",
			c->format.case_sensitive ? "case-sensitive" : "case-insensitive",
			c->format.ignore_separators ? "spaces and dashes ignored"
						    : "spaces and dashes significant");
	} else {
		ui_putf(ui, win, y++, 2, w - 4, UI_NORMAL,
			"Format   prefix '%s', %u symbols of %zu, check %s, groups of %u",
			c->format.prefix, c->format.body_len, strlen(c->format.alphabet),
			c->format.check ? "on" : "off", c->format.group);
		ui_putf(ui, win, y++, 2, w - 4, UI_NORMAL,
			"Guess    %.1e for one random guess against %s codes",
			cp_format_guess_probability(&c->format, count),
			ui_num(count, n[1], sizeof n[1]));
	}
	if (c->max_redemptions != 0)
		ui_putf(ui, win, y++, 2, w - 4, UI_NORMAL, "Cap      %s redemptions in all",
			ui_num(c->max_redemptions, n[2], sizeof n[2]));
	y = draw_reward(ui, win, &c->reward, y);
	if (s == NULL)
		return y + 1;
	ui_putf(ui, win, y++, 2, w - 4, UI_NORMAL,
		"Codes    %s available, %s assigned, %s pending, %s redeemed, %s expired",
		ui_num(s->available, n[0], sizeof n[0]), ui_num(s->assigned, n[5], sizeof n[5]),
		ui_num(s->pending, n[1], sizeof n[1]), ui_num(s->redeemed, n[2], sizeof n[2]),
		ui_num(s->expired, n[3], sizeof n[3]));
	if (s->importing != 0)
		ui_putf(ui, win, y++, 2, w - 4, UI_WARN,
			"Importing %s codes, not in use until their import completes",
			ui_num(s->importing, n[0], sizeof n[0]));
	ui_putf(ui, win, y, 2, 40, UI_NORMAL, "Rate     %s last minute, %s last hour",
		ui_num(s->last_minute, n[0], sizeof n[0]), ui_num(s->last_hour, n[4], sizeof n[4]));
	if (w > 60)
		ui_spark(ui, win, y, 48, w - 50 < (int)ui_stats(ui)->nspark ? w - 50
									 : (int)ui_stats(ui)->nspark,
			 s->spark, ui_stats(ui)->nspark);
	return y + 2;
}

static enum ui_attr batch_attr(enum cp_batch_status s)
{
	static const enum ui_attr a[] = {
		[CP_BATCH_RUNNING] = UI_WARN,
		[CP_BATCH_COMPLETE] = UI_GOOD,
		[CP_BATCH_FAILED] = UI_BAD,
		[CP_BATCH_CANCELLED] = UI_WARN,
	};
	return a[s];
}

/* IMP: the batch's import state when loaded (the selected one), else NULL. */
static void draw_batch(struct ui *ui, WINDOW *win, int y, const struct cp_batch *b, bool sel,
		       const struct cp_import_result *imp)
{
	int w = getmaxx(win);
	char req[32], gen[32], t[32];
	enum ui_attr base = sel ? UI_SELECTED : UI_NORMAL;

	ui_put(ui, win, y, 0, w, base, true, "");
	ui_putf(ui, win, y, 1, 40, base, "%6llu %-6s %12s %12s", (unsigned long long)b->id,
		cp_gen_method_name(b->method), ui_num(b->requested, req, sizeof req),
		ui_num(b->generated, gen, sizeof gen));
	ui_put(ui, win, y, 41, 9, sel ? base : batch_attr(b->status), false,
	       cp_batch_status_name(b->status));
	/* "11-30 01:19:23": the year is noise in a list of recent batches. */
	ui_put(ui, win, y, 51, 14, base, false, ui_time(b->started_at, t, sizeof t) + 5);
	if (w - 67 < 5)
		return;
	/* An import has as many codes as it read: its progress is the file's, when known. */
	if (b->method != CP_GEN_IMPORT)
		ui_bar(ui, win, y, 66, w - 67, b->generated, b->requested);
	else if (imp != NULL && imp->size != 0)
		ui_bar(ui, win, y, 66, w - 67, imp->bytes, imp->size);
	else if (b->status == CP_BATCH_COMPLETE)
		ui_bar(ui, win, y, 66, w - 67, 1, 1);
}

/* Bytes read "of" the file's size, when known (not from a pipe). */
static const char *import_read(const struct cp_import_result *r, char *buf, size_t size)
{
	char a[32], b[32];

	if (r->size != 0)
		snprintf(buf, size, "%s of %s bytes", ui_num(r->bytes, a, sizeof a),
			 ui_num(r->size, b, sizeof b));
	else
		snprintf(buf, size, "%s bytes", ui_num(r->bytes, a, sizeof a));
	return buf;
}

/* Two lines at Y: what the import read and skipped, and the file's SHA-256. */
static void draw_import(struct ui *ui, WINDOW *win, int y, const struct cp_import_result *r)
{
	int w = getmaxx(win);
	char rd[80], n[3][32], dups[CP_IMPORT_DUP_LINES * 22 + 64];
	size_t o;

	if (r->on_duplicate == CP_IMPORT_DUP_SKIP) {
		o = (size_t)snprintf(dups, sizeof dups, "duplicates skipped: %s",
				     ui_num(r->duplicates, n[2], sizeof n[2]));
		for (unsigned int i = 0; i < r->ndup_lines && o < sizeof dups; i++)
			o += (size_t)snprintf(dups + o, sizeof dups - o, "%s%llu",
					      i ? ", " : " (lines ", (unsigned long long)r->dup_lines[i]);
		if (r->ndup_lines > 0 && o < sizeof dups)
			snprintf(dups + o, sizeof dups - o, ")");
	} else {
		snprintf(dups, sizeof dups, "a duplicate fails it");
	}
	ui_putf(ui, win, y, 2, w - 4, UI_NORMAL, "Import %llu %s: %s codes from %s lines (%s); %s",
		(unsigned long long)r->batch.id, cp_batch_status_name(r->batch.status),
		ui_num(r->batch.generated, n[0], sizeof n[0]), ui_num(r->nlines, n[1], sizeof n[1]),
		import_read(r, rd, sizeof rd), dups);
	ui_putf(ui, win, y + 1, 2, w - 4, UI_DIM, "File SHA-256 %s",
		r->sha256[0] != '\0' ? r->sha256 : "not known until it is read to its end");
}

static void detail_draw(struct ui *ui, void *state, WINDOW *win)
{
	struct detail *d = state;
	int w = getmaxx(win), h = getmaxy(win), y, foot;

	ui_title(ui, "Campaign %u %s %s", d->id, ui->g->vline, d->loaded ? d->c.name : "?");
	if (!d->loaded)
		return;
	y = draw_info(ui, win, d, 1);
	ui_section(ui, win, y++, 1, w - 2, "Batches");
	if (d->list.n == 0) {
		ui_put(ui, win, y, 2, w - 4, UI_DIM, false, "No batches yet: press g to generate codes.");
		return;
	}
	ui_putf(ui, win, y++, 1, w - 2, UI_HEADER, "%6s %-6s %12s %12s %-9s %-14s %s", "BATCH",
		"METHOD", "REQUESTED", "GENERATED", "STATUS", "STARTED (UTC)", w >= 72 ? "PROGRESS" : "");
	/* The footer: the selected import's two lines, then any batch's error. */
	foot = 1 + (d->imp_id != 0 ? 2 : 0);
	d->list_rows = h - y - foot;
	ui_list_fit(&d->list, d->list_rows);
	for (size_t i = d->list.top; i < d->list.n && y < h - foot; i++, y++)
		draw_batch(ui, win, y, &d->batches[i], i == d->list.cur,
			   d->imp_id == d->batches[i].id ? &d->imp : NULL);
	if (d->imp_id != 0 && d->imp_id == d->batches[d->list.cur].id)
		draw_import(ui, win, h - 3, &d->imp);
	if (d->batches[d->list.cur].error[0] != '\0')
		ui_putf(ui, win, h - 1, 2, w - 4, UI_BAD, "Batch %llu: %s",
			(unsigned long long)d->batches[d->list.cur].id, d->batches[d->list.cur].error);
}

const struct ui_screen screen_campaign = {
	.name = "campaign",
	.open = detail_open,
	.close = detail_close,
	.action = detail_action,
	.tick = detail_tick,
	.draw = detail_draw,
	.hints = hints,
};
