/*
 * The reader of import files: bytes in, records out, in constant memory. See
 * core/import.h for the format. Quotes are tracked only in CSV mode, so a code
 * of a plain file may hold any printable character, '"' and ',' included.
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>
#include <strings.h>

#include "import.h"

static const char *const col_names[IMP_NCOLS] = {
	[IMP_CODE] = "code", [IMP_EXPIRES] = "expires_at", [IMP_METADATA] = "metadata",
};

void imp_init(struct imp_parser *p)
{
	memset(p, 0, sizeof *p);
	p->mode = IMP_FIRST;
	p->between = true;
}

static enum cp_status bad(const struct imp_parser *p, struct cp_err *e, const char *why)
{
	return cp_err_set(e, CP_E_INVALID_IMPORT, "line %" PRIu64 ": %s", p->rec_line, why);
}

/* The fields of record REC[0..N) into F/LEN; quoted ones are copied unquoted into VAL. */
static enum cp_status split(struct imp_parser *p, const char *rec, size_t n, const char **f,
			    size_t *len, unsigned int *nf, struct cp_err *e)
{
	size_t i = 0, v = 0;

	*nf = 0;
	for (;;) {
		if (*nf == IMPORT_COLUMNS_MAX)
			return bad(p, e, "more than 8 fields");
		if (i < n && rec[i] == '"') {
			f[*nf] = p->val + v;
			for (i++;; i++) {
				if (i == n)
					return bad(p, e, "broken CSV quote: a quoted field is not closed");
				if (rec[i] == '"' && i + 1 < n && rec[i + 1] == '"')
					i++;
				else if (rec[i] == '"')
					break;
				p->val[v++] = rec[i];
			}
			len[*nf] = (size_t)(p->val + v - f[*nf]);
			if (++i < n && rec[i] != ',')
				return bad(p, e, "broken CSV quote: text after a closing quote");
		} else {
			size_t start = i;

			while (i < n && rec[i] != ',') {
				if (rec[i] == '"')
					return bad(p, e, "broken CSV quote: a quote inside an unquoted field");
				i++;
			}
			f[*nf] = rec + start;
			len[*nf] = i - start;
		}
		(*nf)++;
		if (i == n)
			return CP_OK;
		i++; /* the comma */
	}
}

static bool is_name(const char *s, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(s, name, n) == 0;
}

static enum cp_status header(struct imp_parser *p, const char **f, const size_t *len,
			     unsigned int nf, struct cp_err *e)
{
	bool seen[IMP_NCOLS] = {false};

	for (unsigned int i = 0; i < nf; i++) {
		int c = -1;

		for (int k = 0; k < IMP_NCOLS; k++)
			if (is_name(f[i], len[i], col_names[k]))
				c = k;
		if (c < 0)
			return cp_err_set(e, CP_E_INVALID_IMPORT, "line 1: unknown column '%.*s' "
					  "(the columns are code, expires_at and metadata)",
					  (int)(len[i] > 32 ? 32 : len[i]), f[i]);
		if (seen[c])
			return cp_err_set(e, CP_E_INVALID_IMPORT, "line 1: column %s given twice",
					  col_names[c]);
		seen[c] = true;
		p->col[i] = c;
	}
	p->ncols = nf;
	p->mode = IMP_CSV;
	return CP_OK;
}

/* One complete record REC[0..N) (its line end removed). */
static enum cp_status record(struct imp_parser *p, const char *rec, size_t n, imp_record_fn fn,
			     void *arg, struct cp_err *e)
{
	const char *f[IMPORT_COLUMNS_MAX];
	size_t len[IMPORT_COLUMNS_MAX];
	struct imp_record r;
	unsigned int nf;
	enum cp_status st;

	if (p->too_long)
		return bad(p, e, "longer than 16384 bytes");
	if (n > 0 && rec[n - 1] == '\r')
		n--;
	if (p->mode == IMP_FIRST) {
		if (split(p, rec, n, f, len, &nf, e) == CP_OK)
			for (unsigned int i = 0; i < nf; i++)
				if (is_name(f[i], len[i], "code"))
					return header(p, f, len, nf, e);
		p->mode = IMP_PLAIN;
	}
	if (n == 0)
		return CP_OK;
	memset(&r, 0, sizeof r);
	r.line = p->rec_line;
	r.end = p->offset;
	if (p->mode == IMP_PLAIN) {
		r.field[IMP_CODE] = rec;
		r.len[IMP_CODE] = n;
		return fn(&r, arg, e);
	}
	if ((st = split(p, rec, n, f, len, &nf, e)) != CP_OK)
		return st;
	if (nf != p->ncols)
		return cp_err_set(e, CP_E_INVALID_IMPORT, "line %" PRIu64 ": %u fields, the header "
				  "has %u", p->rec_line, nf, p->ncols);
	for (unsigned int i = 0; i < nf; i++) {
		r.field[p->col[i]] = f[i];
		r.len[p->col[i]] = len[i];
	}
	return fn(&r, arg, e);
}

enum cp_status imp_feed(struct imp_parser *p, const char *buf, size_t n, imp_record_fn fn,
			void *arg, struct cp_err *e)
{
	enum cp_status st;

	for (size_t i = 0; i < n; i++) {
		char c = buf[i];

		if (p->between) {
			p->rec_line = p->line + 1;
			p->between = false;
		}
		p->offset++;
		if (c == '"' && p->mode == IMP_CSV)
			p->quoted = !p->quoted;
		if (c == '\n') {
			p->line++;
			if (!p->quoted) {
				st = record(p, p->rec, p->n, fn, arg, e);
				p->n = 0;
				p->too_long = false;
				p->between = true;
				if (st != CP_OK)
					return st;
				continue;
			}
		}
		if (p->n == sizeof p->rec)
			p->too_long = true;
		else
			p->rec[p->n++] = c;
	}
	return CP_OK;
}

enum cp_status imp_end(struct imp_parser *p, imp_record_fn fn, void *arg, struct cp_err *e)
{
	enum cp_status st;

	if (p->quoted)
		return bad(p, e, "broken CSV quote: a quoted field is not closed at the end of the file");
	if (p->between)
		return CP_OK;
	p->between = true;
	p->line++; /* the last line, without its line end */
	st = record(p, p->rec, p->n, fn, arg, e);
	p->n = 0;
	return st;
}
