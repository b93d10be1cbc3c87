/*
 * Private to libcoupon: a batch row's keyed parameters, shared by core/batch.c and
 * core/generate.c; which batches' codes are in use.
 */
#ifndef BATCH_H
#define BATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "coupon.h"
#include "keyed.h"

#define MAX_RANGES 4

struct range {
	uint64_t start, len;
};
/* The "params" of a keyed batch: key fingerprint, numbers used, reserved ranges. */
struct batch_params {
	char key[KEYED_FP_HEX + 1];
	uint64_t used;
	struct range r[MAX_RANGES];
	unsigned int n;
};

bool batch_params_parse(const char *s, struct batch_params *k);
void batch_params_format(const struct batch_params *k, char *out, size_t size);
/* How many numbers the ranges hold. */
uint64_t batch_params_total(const struct batch_params *k);
/* The sequence number at position POS of the ranges. */
uint64_t batch_params_seq(const struct batch_params *k, uint64_t pos);
/* Appends a range; false when there is no room for one more. */
bool batch_params_add(struct batch_params *k, uint64_t start, uint64_t len);
/* Reserves COUNT numbers of the global sequence (of CAPACITY): *START the first. */
enum cp_status batch_reserve(struct cp_db *db, uint64_t count, uint64_t capacity,
			     uint64_t *start, struct cp_err *e);

/*
 * The one rule of what is in use: the codes of an import that has not completed
 * (running, stopped, or failed and not yet removed; core/import.c) are seen by
 * no operation and counted apart ("importing"), never as available. B names a
 * generation_batches row; CODES a coupon_codes row (table name or alias).
 */
#define BATCH_HIDDEN_SQL(b) "(" b ".method = 'import' AND " b ".status <> 'complete')"
#define CODE_SHOWN_SQL(codes)                                                        \
	" AND NOT EXISTS (SELECT 1 FROM generation_batches hb WHERE hb.id = " codes \
	".batch_id AND " BATCH_HIDDEN_SQL("hb") ")"

/*
 * One run per batch (generation or import): a named lock, waited for up to 30 s
 * (a killed run's connection may still be closing). CP_E_CONFLICT if held.
 */
enum cp_status batch_lock(struct cp_db *db, uint64_t id, struct cp_err *e);
void batch_unlock(struct cp_db *db, uint64_t id);

#endif
