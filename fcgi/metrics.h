/*
 * Process-wide counters for /metrics (Prometheus text format 0.0.4). Lock-free:
 * relaxed atomic adds, read without stopping the workers.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stdbool.h>

#include "buf.h"
#include "coupon.h"

#define METRICS_ENDPOINTS 32

/* Limits: per client address (form), per user (form and API apart), per API key. */
enum rl_kind { RL_ADDR, RL_USER, RL_KEY, RL_KINDS };
enum lookup_source { SRC_API, SRC_FORM, SRC_COUNT };

/* NAMES[i] labels endpoint i (static strings); at most METRICS_ENDPOINTS. */
void metrics_init(const char *const *names, unsigned int n, unsigned int threads);
void metrics_request(unsigned int endpoint, int status, double seconds);
void metrics_inflight(int delta);
void metrics_connections(int delta);
void metrics_result(enum cp_op, enum cp_status);
void metrics_db_error(void);
void metrics_retries(unsigned int n);
void metrics_ratelimit_hit(enum rl_kind);
/* A group commit's size and repeated codes (a cp_group_observer). */
void metrics_group(void *arg, unsigned int size, unsigned int duplicates);
void metrics_failed_lookup(enum lookup_source);
void metrics_render(struct buf *, unsigned long rl_tracked, unsigned long rl_evicted);
/* The database as the workers see it (api.c keeps it). */
struct metrics_db {
	bool up;
	unsigned long long outages, refused, attempts;
};
void metrics_render_db(struct buf *, const struct metrics_db *);
/* Running generation batches; G NULL when the database could not be asked. */
void metrics_render_generation(struct buf *, const struct cp_generation_progress *g);
/* Outbox backlog gauges; B NULL when the database could not be asked. */
void metrics_render_outbox(struct buf *, const struct cp_outbox_backlog *b);
/* Totals since start, for the periodic log summary. */
void metrics_totals(unsigned long long *requests, unsigned long long *errors5xx,
		    unsigned long long *errors4xx);

#endif
