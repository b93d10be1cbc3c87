/*
 * couponadm report --html: a report as one self-contained HTML page with SVG
 * charts (no script, nothing fetched), so it can be mailed or archived as is:
 * redemptions over time, redeemed to date against codes issued, and the
 * codes by status.
 */
#include "config.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "report_html.h"

#define W 880   /* a chart's drawing area */
#define H 220
#define LEFT 64 /* room for the y axis's labels */
#define TOP 16
#define BOTTOM 40

static const char style[] =
	"body{font:15px/1.4 system-ui,sans-serif;color:#1d232a;background:#fff;margin:24px auto;"
	"max-width:1000px;padding:0 16px}"
	"h1{font-size:1.5em;margin:0 0 4px}h2{font-size:1.1em;margin:28px 0 6px}"
	".meta,.note{color:#56606b}.note{font-size:.9em}"
	"svg{display:block;background:#fafbfc;border:1px solid #dde2e7;border-radius:4px}"
	"svg text{font:12px system-ui,sans-serif;fill:#56606b}"
	".key{display:inline-block;width:12px;height:12px;margin:0 4px 0 14px;vertical-align:-1px}"
	"table{border-collapse:collapse;font-size:.9em}td,th{padding:2px 10px;text-align:right}"
	"th{border-bottom:1px solid #dde2e7}td:first-child,th:first-child{text-align:left}";

enum colour { C_REDEEMED, C_RESERVED, C_REFUNDED, C_ISSUED, C_GRID };
static const char *const colours[] = {"#2f6fb3", "#e0a030", "#c8433a", "#7d8b99", "#dde2e7"};
/* The codes by status, in cp_code_status order. */
static const char *const status_colours[CP_REPORT_STATUSES] = {"#7d8b99", "#e0a030", "#2f6fb3",
							       "#c8433a", "#6a9f58"};

static void html_text(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* The top of an axis at or above V with four grid steps of round numbers (at least 4). */
static uint64_t nice_ceil(uint64_t v)
{
	static const uint64_t steps[] = {1, 2, 4, 6, 8, 10};
	uint64_t p = 1;

	while (p * 10 < v)
		p *= 10;
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
		if (steps[i] * p >= v && steps[i] * p % 4 == 0)
			return steps[i] * p;
	return 12 * p;
}

static double y_of(uint64_t v, uint64_t top)
{
	return TOP + H - (double)H * (double)v / (double)top;
}

static double x_of(size_t i, size_t n)
{
	return LEFT + (double)W * ((double)i + 0.5) / (double)n;
}

/* The frame: grid lines with their values, and the first, middle and last bucket. */
static void axes(FILE *f, const struct cp_report *r, uint64_t top)
{
	char t[CP_TIME_TEXT_MAX];

	for (int k = 0; k <= 4; k++) {
		double y = y_of(top * (uint64_t)k / 4, top);

		fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>", LEFT,
			LEFT + W, y, y, colours[C_GRID]);
		fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%" PRIu64 "</text>",
			LEFT - 6, y + 4, top * (uint64_t)k / 4);
	}
	for (size_t i = 0; r->n > 0 && i < 3; i++) {
		size_t b = (size_t[]){0, r->n / 2, r->n - 1}[i];

		if (i > 0 && b == (size_t[]){0, r->n / 2, r->n - 1}[i - 1])
			continue;
		cp_time_format(r->rows[b].start, r->time_zone, CP_TIME_LOCAL, t);
		/* The date, or date and minute; the zone is in the heading. */
		t[r->bucket == CP_REPORT_DAY ? 10 : 16] = '\0';
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">%s</text>", x_of(b, r->n),
			TOP + H + 18, i == 0 ? "start" : i == 1 ? "middle" : "end", t);
	}
}

static void svg_open(FILE *f, const char *label)
{
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		   "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">",
		LEFT + W + 16, TOP + H + BOTTOM, LEFT + W + 16, TOP + H + BOTTOM, label);
}

static void legend(FILE *f, const enum colour *c, const char *const *names, size_t n)
{
	fputs("<p>", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "<span class=\"key\" style=\"background:%s\"></span>%s", colours[c[i]],
			names[i]);
	fputs("</p>\n", f);
}

/* A line through one value per bucket; OFF is the member's offset in the row. */
static void polyline(FILE *f, const struct cp_report *r, size_t off, uint64_t top, enum colour c)
{
	fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", colours[c]);
	for (size_t i = 0; i < r->n; i++) {
		uint64_t v;

		memcpy(&v, (const char *)&r->rows[i] + off, sizeof v);
		fprintf(f, "%s%.1f,%.1f", i ? " " : "", x_of(i, r->n), y_of(v, top));
	}
	fputs("\"/>", f);
}

static void activity_chart(FILE *f, const struct cp_report *r)
{
	static const enum colour keys[] = {C_REDEEMED, C_RESERVED, C_REFUNDED};
	static const char *const names[] = {"redemptions", "reservations", "refunds"};
	uint64_t max = 0;
	double bw = (double)W / (double)(r->n ? r->n : 1);

	for (size_t i = 0; i < r->n; i++) {
		const struct cp_report_row *w = &r->rows[i];
		uint64_t m = w->redemptions > w->reservations ? w->redemptions : w->reservations;

		max = m > max ? m : max;
		max = w->refunds > max ? w->refunds : max;
	}
	max = nice_ceil(max);
	fprintf(f, "<h2>Activity per %s</h2>\n", cp_report_bucket_name(r->bucket));
	legend(f, keys, names, 3);
	svg_open(f, "activity per bucket");
	axes(f, r, max);
	for (size_t i = 0; i < r->n; i++) {
		double y = y_of(r->rows[i].redemptions, max);

		if (r->rows[i].redemptions == 0)
			continue;
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
			   "<title>%" PRIu64 "</title></rect>",
			LEFT + bw * (double)i + bw * 0.1, y, bw * 0.8, TOP + H - y,
			colours[C_REDEEMED], r->rows[i].redemptions);
	}
	polyline(f, r, offsetof(struct cp_report_row, reservations), max, C_RESERVED);
	polyline(f, r, offsetof(struct cp_report_row, refunds), max, C_REFUNDED);
	fputs("</svg>\n", f);
}

static void cumulative_chart(FILE *f, const struct cp_report *r)
{
	static const enum colour keys[] = {C_ISSUED, C_REDEEMED};
	static const char *const names[] = {"codes issued", "codes redeemed"};
	uint64_t max = 0;

	for (size_t i = 0; i < r->n; i++) {
		max = r->rows[i].issued > max ? r->rows[i].issued : max;
		max = r->rows[i].redeemed > max ? r->rows[i].redeemed : max;
	}
	max = nice_ceil(max);
	fputs("<h2>Redeemed to date against codes issued</h2>\n", f);
	legend(f, keys, names, 2);
	svg_open(f, "redeemed to date against codes issued");
	axes(f, r, max);
	polyline(f, r, offsetof(struct cp_report_row, issued), max, C_ISSUED);
	polyline(f, r, offsetof(struct cp_report_row, redeemed), max, C_REDEEMED);
	fputs("</svg>\n", f);
}

/* One bar split by status, each part labelled below with its count and share. */
static void status_chart(FILE *f, const struct cp_report *r)
{
	uint64_t total = 0;
	double x = LEFT;

	for (int s = 0; s < CP_REPORT_STATUSES; s++)
		total += r->status[s];
	fprintf(f, "<h2>Codes by status now: %" PRIu64 "</h2>\n", total);
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"90\" "
		   "viewBox=\"0 0 %d 90\" role=\"img\" aria-label=\"codes by status\">",
		LEFT + W + 16, LEFT + W + 16);
	for (int s = 0; s < CP_REPORT_STATUSES && total > 0; s++) {
		double w = (double)W * (double)r->status[s] / (double)total;

		fprintf(f, "<rect x=\"%.1f\" y=\"12\" width=\"%.1f\" height=\"30\" fill=\"%s\"/>", x, w,
			status_colours[s]);
		x += w;
	}
	/* The labels share the bar's width, however many statuses there are. */
	for (int s = 0; s < CP_REPORT_STATUSES; s++) {
		int at = LEFT + s * (W / CP_REPORT_STATUSES);

		fprintf(f, "<rect x=\"%d\" y=\"60\" width=\"12\" height=\"12\" fill=\"%s\"/>", at,
			status_colours[s]);
		fprintf(f, "<text x=\"%d\" y=\"71\" font-size=\"12\">%s %" PRIu64 " (%.1f%%)</text>",
			at + 18,
			cp_code_status_name((enum cp_code_status)s), r->status[s],
			total ? 100.0 * (double)r->status[s] / (double)total : 0.0);
	}
	fputs("</svg>\n", f);
}

static void series_table(FILE *f, const struct cp_report *r)
{
	char t[CP_TIME_TEXT_MAX];

	fputs("<details><summary>The series</summary><table><tr><th>start</th><th>redemptions</th>"
	      "<th>reservations</th><th>refunds</th><th>issued to date</th>"
	      "<th>redeemed to date</th></tr>\n", f);
	for (size_t i = 0; i < r->n; i++) {
		const struct cp_report_row *w = &r->rows[i];

		cp_time_format(w->start, r->time_zone, CP_TIME_LOCAL, t);
		fprintf(f, "<tr><td>%s</td><td>%" PRIu64 "</td><td>%" PRIu64 "</td><td>%" PRIu64
			   "</td><td>%" PRIu64 "</td><td>%" PRIu64 "</td></tr>\n",
			t, w->redemptions, w->reservations, w->refunds, w->issued, w->redeemed);
	}
	fputs("</table></details>\n", f);
}

bool report_html(FILE *f, const struct cp_report *r)
{
	char since[CP_TIME_TEXT_MAX], until[CP_TIME_TEXT_MAX];

	cp_time_format(r->since, r->time_zone, CP_TIME_LOCAL, since);
	cp_time_format(r->until, r->time_zone, CP_TIME_LOCAL, until);
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<meta name=\"color-scheme\" content=\"light\"><title>", f);
	html_text(f, r->campaign);
	fprintf(f, ": report</title><style>%s</style></head><body>\n<h1>", style);
	html_text(f, r->campaign);
	fprintf(f, "</h1>\n<p class=\"meta\">Campaign %" PRIu32 ", per %s in %s, from %s to %s.</p>\n",
		r->campaign_id, cp_report_bucket_name(r->bucket), r->time_zone, since, until);
	activity_chart(f, r);
	cumulative_chart(f, r);
	status_chart(f, r);
	fprintf(f, "<p class=\"note\">Not shown: %s.</p>\n", cp_report_failed_lookups_note());
	series_table(f, r);
	fputs("</body></html>\n", f);
	return !ferror(f);
}
