/* A growable byte buffer for response bodies, with JSON and HTML escaping. */
#ifndef BUF_H
#define BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *p;
	size_t len, cap;
};

void buf_init(struct buf *);
void buf_free(struct buf *);
void buf_reset(struct buf *);
void buf_add(struct buf *, const void *, size_t);
void buf_puts(struct buf *, const char *);
void buf_printf(struct buf *, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends S (LEN bytes) as a JSON string with its quotes, written by text_json_str(). */
void buf_json_str(struct buf *, const char *s, size_t len);
/* Appends "NAME":"VALUE" (VALUE NULL gives null), with a leading comma unless FIRST. */
void buf_json_kv(struct buf *, const char *name, const char *value, int first);
/* Appends S with &, <, >, " and ' escaped for HTML text and attributes. */
void buf_html(struct buf *, const char *s, size_t len);
/* Appends T as an RFC 3339 UTC timestamp string in quotes, or null when T is 0. */
void buf_json_time(struct buf *, long long t);
/* T as an RFC 3339 string on time zone ZONE's clock (NULL: UTC, with Z), null for 0. */
void buf_json_time_in(struct buf *, long long t, const char *zone);

#endif
