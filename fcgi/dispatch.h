/* Private to fcgi/: the FastCGI connections, watched by one thread, served by the workers. */
#ifndef DISPATCH_H
#define DISPATCH_H

#include <stdbool.h>

struct dispatch;

/* Watches LISTEN_FD (made non-blocking) in a thread of its own; at most MAX_CONNS open. */
struct dispatch *dispatch_start(int listen_fd, unsigned int max_conns);
/* A connection whose next request has begun to arrive; -1 once stopped and drained. */
int dispatch_take(struct dispatch *);
/* After a request on FD: CLOSED if the worker closed it, else it is watched again. */
void dispatch_done(struct dispatch *, int fd, bool closed);
/*
 * Stops accepting; idle connections are closed (or queued, when a request is
 * already on them), connections given back are closed. The workers take what is
 * queued, then dispatch_take returns -1.
 */
void dispatch_stop(struct dispatch *);
/* After dispatch_stop: waits for the loop's thread and frees. */
void dispatch_free(struct dispatch *);

#endif
