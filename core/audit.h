/*
 * Private to core/: the audit log. Each administrative change calls audit_add
 * inside its own transaction, so the row and the change commit or roll back
 * together. BEFORE and AFTER are small JSON objects built with struct jobj.
 */
#ifndef AUDIT_H
#define AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coupon.h"

/* A JSON object built field by field; one that would not fit is marked cut. */
struct jobj {
	char *s;
	size_t size, n;
	bool cut;
	char own[CP_AUDIT_JSON_MAX];
};

void jobj_init(struct jobj *);
/* The same, written into the caller's BUF of SIZE bytes instead of OWN. */
void jobj_init_buf(struct jobj *, char *buf, size_t size);
/* VALUE is JSON already (an object this module wrote); "" or NULL: null. */
void jobj_raw(struct jobj *, const char *key, const char *value);
void jobj_str(struct jobj *, const char *key, const char *value); /* NULL: null */
void jobj_u64(struct jobj *, const char *key, uint64_t value);
void jobj_bool(struct jobj *, const char *key, bool value);
void jobj_time(struct jobj *, const char *key, time_t value); /* 0: null */
/* The finished object ("{...}"), or "{\"truncated\":true}" when it was cut. */
const char *jobj_end(struct jobj *);

/* The campaign's administrable fields, as the audit log records them. */
const char *audit_campaign_json(struct jobj *, const struct cp_campaign *);

/* Appends one row; BEFORE or AFTER may be NULL (nothing before a creation). */
enum cp_status audit_add(struct cp_db *, const char *actor, const char *action,
			 const char *object_type, uint64_t object_id, const char *before,
			 const char *after, struct cp_err *);

#endif
