/* Status codes and error detail. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "coupon.h"

static const struct {
	const char *code;
	int http;
	const char *msg;
} status_table[] = {
#define CP_STATUS_ROW(name, code, http, msg) {code, http, msg},
	CP_STATUS_TABLE(CP_STATUS_ROW)
#undef CP_STATUS_ROW
};

static int status_valid(enum cp_status st)
{
	return (unsigned int)st < CP_STATUS_COUNT;
}

const char *cp_status_code(enum cp_status st)
{
	return status_valid(st) ? status_table[st].code : "internal";
}

const char *cp_status_message(enum cp_status st)
{
	return status_valid(st) ? status_table[st].msg : "internal error";
}

int cp_status_http(enum cp_status st)
{
	return status_valid(st) ? status_table[st].http : 500;
}

enum cp_status cp_status_from_code(const char *code)
{
	for (unsigned int i = 0; i < CP_STATUS_COUNT; i++)
		if (strcmp(status_table[i].code, code) == 0)
			return (enum cp_status)i;
	return CP_STATUS_COUNT;
}

void cp_err_clear(struct cp_err *e)
{
	if (e == NULL)
		return;
	e->db_errno = 0;
	e->sqlstate[0] = '\0';
	e->field[0] = '\0';
	e->msg[0] = '\0';
}

enum cp_status cp_err_set(struct cp_err *e, enum cp_status st, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return st;
	e->db_errno = 0;
	e->sqlstate[0] = '\0';
	e->field[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return st;
}

enum cp_status cp_err_set_field(struct cp_err *e, enum cp_status st, const char *field,
				const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return st;
	e->db_errno = 0;
	e->sqlstate[0] = '\0';
	snprintf(e->field, sizeof e->field, "%s", field);
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return st;
}

void cp_err_field(struct cp_err *e, const char *field)
{
	if (e != NULL && e->field[0] == '\0')
		snprintf(e->field, sizeof e->field, "%s", field);
}

void cp_err_prefix(struct cp_err *e, const char *fmt, ...)
{
	char prefix[256], joined[sizeof prefix + sizeof e->msg + 2];
	va_list ap;

	if (e == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	snprintf(joined, sizeof joined, "%s: %s", prefix, e->msg);
	memcpy(e->msg, joined, sizeof e->msg - 1);
	e->msg[sizeof e->msg - 1] = '\0';
}

const char *cp_version(void)
{
	return PACKAGE_VERSION;
}
