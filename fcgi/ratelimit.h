/*
 * Failed-lookup limiter shared by the worker threads: a fixed-size table of
 * sliding-window counters (the previous and the current minute, weighted), keyed by
 * client address or user. Memory is bounded: a full neighbourhood evicts its least
 * recently active entry.
 */
#ifndef RATELIMIT_H
#define RATELIMIT_H

#include <stddef.h>
#include <time.h>

struct ratelimit;

/* LIMIT failures a minute per key; SLOTS entries (rounded up to a power of two). */
struct ratelimit *rl_create(unsigned int limit, size_t slots);
void rl_free(struct ratelimit *);
/* 0 if KEY may try now, else the seconds until it may (for Retry-After). */
unsigned int rl_check(struct ratelimit *, const char *key, size_t len, time_t now);
/* Counts one failure of KEY. */
void rl_fail(struct ratelimit *, const char *key, size_t len, time_t now);
void rl_stats(struct ratelimit *, unsigned long *tracked, unsigned long *evicted);

#endif
