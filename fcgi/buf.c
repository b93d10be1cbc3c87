/* Growable buffer; out of memory is fatal (xmalloc), as everywhere in the programs. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "coupon.h"
#include "text.h"
#include "xmalloc.h"

void buf_init(struct buf *b)
{
	b->p = NULL;
	b->len = b->cap = 0;
}

void buf_free(struct buf *b)
{
	free(b->p);
	buf_init(b);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

static void grow(struct buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 256;

	if (b->len + more + 1 <= b->cap)
		return;
	while (cap < b->len + more + 1)
		cap *= 2;
	b->p = xreallocarray(b->p, cap, 1);
	b->cap = cap;
}

void buf_add(struct buf *b, const void *s, size_t n)
{
	grow(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void buf_json_str(struct buf *b, const char *s, size_t len)
{
	size_t n;

	/* Written in place; a second pass only when escapes outgrow the room. */
	grow(b, len + 2);
	if ((n = text_json_str(b->p + b->len, b->cap - b->len, s, len)) >= b->cap - b->len) {
		grow(b, n);
		text_json_str(b->p + b->len, b->cap - b->len, s, len);
	}
	b->len += n;
}

void buf_json_kv(struct buf *b, const char *name, const char *value, int first)
{
	buf_printf(b, "%s\"%s\":", first ? "" : ",", name);
	if (value == NULL)
		buf_puts(b, "null");
	else
		buf_json_str(b, value, strlen(value));
}

void buf_html(struct buf *b, const char *s, size_t len)
{
	size_t i, run = 0;

	for (i = 0; i < len; i++) {
		const char *rep;

		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		buf_add(b, s + run, i - run);
		buf_puts(b, rep);
		run = i + 1;
	}
	buf_add(b, s + run, len - run);
}

void buf_json_time(struct buf *b, long long t)
{
	buf_json_time_in(b, t, NULL);
}

void buf_json_time_in(struct buf *b, long long t, const char *zone)
{
	char s[CP_TIME_TEXT_MAX];

	if (t == 0) {
		buf_puts(b, "null");
		return;
	}
	buf_printf(b, "\"%s\"", cp_time_format((time_t)t, zone, CP_TIME_RFC3339, s));
}
