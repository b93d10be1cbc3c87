/*
 * Private to libcoupon: the reader of import files (core/import_csv.c), pushed
 * bytes as they come, handing out one record at a time; core/import.c stores
 * them.
 *
 * A file is CSV (RFC 4180) when a field of its first line is "code": that
 * line is the header, naming the columns code (required), expires_at and
 * metadata in any order. Otherwise every line is one code, as it stands.
 * Lines end in LF or CRLF; blank lines are skipped; a quoted field may span
 * lines (its record is numbered by the line it starts on).
 */
#ifndef IMPORT_H
#define IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coupon.h"

#define IMPORT_RECORD_MAX 16384 /* bytes of one record, quotes included */
#define IMPORT_COLUMNS_MAX 8

enum imp_col { IMP_CODE, IMP_EXPIRES, IMP_METADATA, IMP_NCOLS };

struct imp_record {
	uint64_t line;                 /* 1-based line it starts on */
	uint64_t end;                  /* input offset just past it (its line end included) */
	const char *field[IMP_NCOLS];  /* NULL when the file has no such column */
	size_t len[IMP_NCOLS];
};

/* Called for each record; a status other than CP_OK stops the reading with it. */
typedef enum cp_status (*imp_record_fn)(const struct imp_record *, void *arg, struct cp_err *);

enum imp_mode { IMP_FIRST, IMP_CSV, IMP_PLAIN };

struct imp_parser {
	enum imp_mode mode;
	int col[IMPORT_COLUMNS_MAX];   /* CSV: which field column i holds */
	unsigned int ncols;
	uint64_t line;                 /* line ends read so far */
	uint64_t offset;               /* bytes fed so far */
	uint64_t rec_line;             /* the line the record under way starts on */
	bool quoted;                   /* CSV: inside a quoted field */
	bool between;                  /* no record under way */
	bool too_long;
	size_t n;
	char rec[IMPORT_RECORD_MAX];
	char val[IMPORT_RECORD_MAX];   /* unquoted copies of quoted fields */
};

void imp_init(struct imp_parser *);
/*
 * Reads BUF[0..N), calling FN for each complete record. CP_E_INVALID_IMPORT
 * with "line N: why" for a malformed line, or FN's status.
 */
enum cp_status imp_feed(struct imp_parser *, const char *buf, size_t n, imp_record_fn fn,
			void *arg, struct cp_err *);
/* The end of the input: the last line may lack its line end; an open quote is an error. */
enum cp_status imp_end(struct imp_parser *, imp_record_fn fn, void *arg, struct cp_err *);

#endif
