/*
 * libFuzzer target: the import reader (core/import_csv.c). The input is a file;
 * fed whole and fed in pieces (the first byte picks their size) it gives the
 * same records, or the same refusal, and every record lies within the input.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct digest {
	uint64_t records, sum, last_end;
	size_t size;
};

static enum cp_status on_record(const struct imp_record *r, void *arg, struct cp_err *e)
{
	struct digest *d = arg;

	(void)e;
	if (r->end > d->size || r->end <= d->last_end || r->line == 0)
		__builtin_trap();
	d->last_end = r->end;
	d->records++;
	d->sum = d->sum * 31 + r->line;
	for (int c = 0; c < IMP_NCOLS; c++) {
		if (r->field[c] == NULL)
			continue;
		if (r->len[c] > IMPORT_RECORD_MAX)
			__builtin_trap();
		for (size_t i = 0; i < r->len[c]; i++)
			d->sum = d->sum * 131 + (unsigned char)r->field[c][i];
	}
	return CP_OK;
}

static enum cp_status read_in(struct imp_parser *p, const uint8_t *data, size_t size,
			      size_t step, struct digest *d)
{
	struct cp_err e;
	enum cp_status st = CP_OK;

	memset(d, 0, sizeof *d);
	d->size = size;
	imp_init(p);
	for (size_t i = 0; i < size && st == CP_OK; i += step)
		st = imp_feed(p, (const char *)data + i, size - i < step ? size - i : step,
			      on_record, d, &e);
	return st == CP_OK ? imp_end(p, on_record, d, &e) : st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct imp_parser p;
	struct digest whole, pieces;
	size_t step;
	enum cp_status a, b;

	if (size == 0)
		return 0;
	step = (size_t)data[0] % 17 + 1;
	a = read_in(&p, data + 1, size - 1, size, &whole);
	b = read_in(&p, data + 1, size - 1, step, &pieces);
	if (a != b || whole.records != pieces.records || whole.sum != pieces.sum)
		__builtin_trap();
	return 0;
}
