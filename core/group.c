/*
 * Group commit: the leader/follower combiner (the shape of MariaDB's binlog
 * group commit, without its ordered stages). A member appends itself to the
 * queue under the mutex. If fewer than the concurrency lead, it leads at once: a
 * lone member is never kept waiting, so there is no timer and no added latency
 * at low load. Otherwise it sleeps on its own condition until a leader has run
 * its item, or hands it the lead. A leader takes the whole queue, runs it
 * without the mutex, marks every member done and passes the lead to the head of
 * what queued meanwhile (so the next group is as large as the wait for this one
 * made it).
 */
#include "config.h"

#include <stdlib.h>

#include "group.h"
#include "xmalloc.h"

struct cp_group {
	pthread_mutex_t lock;
	struct group_member *head, **tail;
	unsigned int leaders, concurrency;
	cp_group_observer observe;
	void *observe_arg;
};

struct cp_group *cp_group_create(unsigned int concurrency)
{
	struct cp_group *g = xcalloc(1, sizeof *g);

	pthread_mutex_init(&g->lock, NULL);
	g->tail = &g->head;
	g->concurrency = concurrency > 0 ? concurrency : 1;
	return g;
}

void cp_group_free(struct cp_group *g)
{
	if (g == NULL)
		return;
	pthread_mutex_destroy(&g->lock);
	free(g);
}

void cp_group_set_observer(struct cp_group *g, cp_group_observer fn, void *arg)
{
	g->observe = fn;
	g->observe_arg = arg;
}

/* With the lock held: the lead to the queue's head, or one leader fewer. */
static void pass(struct cp_group *g)
{
	/* A head leading already (it joined with a place free) is counted already. */
	if (g->head != NULL && g->head->state == GM_WAITING) {
		g->head->state = GM_LEADING;
		pthread_cond_signal(&g->head->cond);
	} else {
		g->leaders--;
	}
}

/* Called with the lock held; returns with it held, SELF's item run. */
static void lead(struct cp_group *g, struct group_member *self, group_fn fn)
{
	struct group_member *batch = g->head, *m;
	unsigned int duplicates = 0;
	void **items;
	size_t n = 0, i = 0;

	g->head = NULL;
	g->tail = &g->head;
	pthread_mutex_unlock(&g->lock);
	for (m = batch; m != NULL; m = m->next)
		n++;
	items = xreallocarray(NULL, n, sizeof *items);
	for (m = batch; m != NULL; m = m->next)
		items[i++] = m->item;
	fn(self->item, items, n, &duplicates);
	free(items);
	if (g->observe != NULL)
		g->observe(g->observe_arg, (unsigned int)n, duplicates);
	pthread_mutex_lock(&g->lock);
	/* Signalled under the lock: a member's condition lives on its stack. */
	for (m = batch; m != NULL; m = m->next) {
		m->state = GM_DONE;
		if (m != self)
			pthread_cond_signal(&m->cond);
	}
	pass(g);
}

void group_join(struct cp_group *g, struct group_member *m, void *item, group_fn fn)
{
	m->next = NULL;
	m->item = item;
	m->state = GM_WAITING;
	pthread_cond_init(&m->cond, NULL);
	pthread_mutex_lock(&g->lock);
	/* A queue means a leader is busy or about to take it: wait for that one. */
	if (g->head == NULL && g->leaders < g->concurrency) {
		g->leaders++;
		m->state = GM_LEADING;
	}
	*g->tail = m;
	g->tail = &m->next;
	while (m->state == GM_WAITING)
		pthread_cond_wait(&m->cond, &g->lock);
	if (m->state == GM_LEADING)
		lead(g, m, fn);
	pthread_mutex_unlock(&g->lock);
	pthread_cond_destroy(&m->cond);
}
