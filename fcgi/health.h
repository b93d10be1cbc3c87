/*
 * Liveness on a socket of its own: one thread that answers without a database
 * connection and without queueing behind the workers, so a load balancer's check
 * gets an answer within milliseconds even while every worker waits on the
 * database (a stalled cluster, a locked row). Readiness, the database's state as
 * the workers last saw it, comes with it.
 */
#ifndef HEALTH_H
#define HEALTH_H

#include <stdbool.h>

#include "coupon.h"

/* Opens cfg->health_listen and starts the thread; true when none is configured. */
bool health_start(const struct cp_config *);
void health_stop(void);

#endif
