/*
 * Private to libcoupon: the combiner behind group commit (core/group.c). A
 * member joins with its item; at most the group's concurrency of members lead
 * at once, each running FN on every item waiting when it took over (its own
 * among them), and every member's join returns once the batch holding its item
 * has run.
 */
#ifndef GROUP_H
#define GROUP_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "coupon.h"

/* Runs ITEMS[0..N) together; LEADER is the item whose thread (and connection) runs them. */
typedef void (*group_fn)(void *leader, void **items, size_t n, unsigned int *duplicates);

struct group_member {
	struct group_member *next;
	pthread_cond_t cond;
	void *item;
	enum { GM_WAITING, GM_LEADING, GM_DONE } state;
};

void group_join(struct cp_group *, struct group_member *, void *item, group_fn fn);

#endif
