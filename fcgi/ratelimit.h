/*
 * Failed-lookup limiter shared by the worker threads: a fixed-size table of
 * sliding-window counters (the previous and the current minute, weighted), keyed by
 * client address, user or API key; each key space has its own limit. Memory is
 * bounded: a full neighbourhood evicts its least recently active entry that is
 * under its limit, and a client over its limit is never evicted to make room (a
 * new key finding only such entries goes uncounted instead).
 */
#ifndef RATELIMIT_H
#define RATELIMIT_H

#include <stddef.h>
#include <time.h>

struct ratelimit;

/* SLOTS entries (rounded up to a power of two). */
struct ratelimit *rl_create(size_t slots);
void rl_free(struct ratelimit *);
/* 0 if KEY may try now (under LIMIT failures a minute), else the seconds until it may. */
unsigned int rl_check(struct ratelimit *, const char *key, size_t len, unsigned int limit,
		      time_t now);
/* Counts one failure of KEY, whose space allows LIMIT a minute. */
void rl_fail(struct ratelimit *, const char *key, size_t len, unsigned int limit, time_t now);
/* Entries ever taken, evicted while active, and failures not counted for want of room. */
void rl_stats(struct ratelimit *, unsigned long *tracked, unsigned long *evicted,
	      unsigned long *untracked);

#endif
