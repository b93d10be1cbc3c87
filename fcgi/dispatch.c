/*
 * The FastCGI connections: one thread watches the listening socket and every
 * open connection (epoll), queues a connection whose next request has begun to
 * arrive, and the workers take from that queue. A worker that has answered a
 * request on a connection the web server keeps open (FCGI_KEEP_CONN) gives it
 * back to be watched again instead of blocking on it, so an idle kept
 * connection costs a descriptor and an epoll entry, never a worker: nginx's
 * fastcgi_keep_conn with an upstream keepalive pool is safe at any worker
 * count. The records are still parsed by libfcgi (transport_accept).
 *
 * States of a connection, all changed under the lock: IDLE (armed in epoll,
 * one-shot), QUEUED, BUSY (a worker has it). The loop owns IDLE ones, the
 * workers the others, so a descriptor is only ever closed by its owner.
 *
 * At the cap (max-connections) a new connection takes the place of the idle
 * one unused longest, which is closed: nginx reuses its most recent kept
 * connection first, so the one closed is the one it is least likely to be
 * sending on. With none idle, new connections wait in the listen backlog.
 * Closing an idle connection races with a request the web server may be
 * sending on it, so the cap is for safety, set above the web server's pool.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dispatch.h"
#include "log.h"
#include "metrics.h"
#include "xmalloc.h"

#define EVENTS 64
#define CAP_LOG_INTERVAL 60 /* seconds between repeats of the cap's log line */
#define RETRY_MS 1000       /* accept paused by a lack of descriptors or memory */
#define READ_TIMEOUT 60     /* seconds a worker waits for the rest of a request */

enum conn_state { FREE, IDLE, QUEUED, BUSY };

struct dispatch {
	int listen_fd, ep, wake_fd;
	unsigned int max_conns, open, idle;
	unsigned int *idle_since; /* by descriptor: the tick it turned idle */
	unsigned int tick;
	unsigned char *state; /* enum conn_state by descriptor, nfds of them */
	unsigned int nfds;
	int *ready; /* ring of QUEUED descriptors, max_conns long */
	unsigned int head, queued;
	bool stopping, listening;
	bool drained; /* stopping, and the idle connections are closed or queued */
	char *web_servers; /* FCGI_WEB_SERVER_ADDRS, as libfcgi reads it */
	time_t cap_logged;
	unsigned long cap_hits;
	pthread_t tid;
	pthread_mutex_t lock;
	pthread_cond_t ready_cond;
};

static bool watch(struct dispatch *d, int op, int fd, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.fd = fd};

	return epoll_ctl(d->ep, op, fd, &ev) == 0;
}

static void wake(struct dispatch *d)
{
	uint64_t one = 1;

	if (write(d->wake_fd, &one, sizeof one) < 0 && errno != EAGAIN)
		log_error("dispatch: waking the loop: %s", strerror(errno));
}

/* 1: a request's bytes are there; 0: the peer closed; -1: neither, or an error. */
static int peek(int fd)
{
	char b;
	ssize_t n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

	return n > 0 ? 1 : n == 0 ? 0 : -1;
}

static void set_state(struct dispatch *d, int fd, enum conn_state st)
{
	d->idle += (st == IDLE) - (d->state[fd] == IDLE);
	d->state[fd] = (unsigned char)st;
	if (st == IDLE)
		d->idle_since[fd] = d->tick++;
}

/* Under the lock. The first close below the cap lets the loop listen again. */
static void forget(struct dispatch *d, int fd)
{
	set_state(d, fd, FREE);
	if (d->open-- == d->max_conns)
		wake(d);
	metrics_connections(-1);
}

static void enqueue(struct dispatch *d, int fd)
{
	d->ready[(d->head + d->queued++) % d->max_conns] = fd;
	set_state(d, fd, QUEUED);
	pthread_cond_signal(&d->ready_cond);
}

/* An event on an IDLE connection: a request, or the web server closing it. */
static void conn_event(struct dispatch *d, int fd, uint32_t events)
{
	bool request = true;

	/* A request sent just before the close is still served. */
	if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		request = peek(fd) > 0;
	pthread_mutex_lock(&d->lock);
	if (request) {
		enqueue(d, fd);
	} else {
		forget(d, fd);
		close(fd);
	}
	pthread_mutex_unlock(&d->lock);
}

/* libfcgi's FCGI_WEB_SERVER_ADDRS: IPv4 peers must be in the comma-separated list. */
static bool peer_allowed(const struct dispatch *d, const struct sockaddr_storage *sa)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
	const char *p = d->web_servers;
	char one[INET_ADDRSTRLEN];
	struct in_addr a;

	if (p == NULL || *p == '\0' || sa->ss_family != AF_INET)
		return true;
	while (*p != '\0') {
		size_t n = strcspn(p, ",");

		if (n < sizeof one) {
			memcpy(one, p, n);
			one[n] = '\0';
			if (inet_pton(AF_INET, one, &a) == 1 && a.s_addr == in->sin_addr.s_addr)
				return true;
		}
		p += n + (p[n] == ',');
	}
	return false;
}

static void set_listening(struct dispatch *d, bool on)
{
	if (on == d->listening)
		return;
	if (on ? watch(d, EPOLL_CTL_ADD, d->listen_fd, EPOLLIN)
	       : watch(d, EPOLL_CTL_DEL, d->listen_fd, 0))
		d->listening = on;
}

static void cap_reached(struct dispatch *d)
{
	time_t now = time(NULL);

	d->cap_hits++;
	if (d->cap_logged != 0 && now - d->cap_logged < CAP_LOG_INTERVAL)
		return;
	log_warn("%u FastCGI connections open, the cap (max-connections), none idle: new "
		 "connections wait in the listen backlog (reached %lu times)", d->max_conns,
		 d->cap_hits);
	d->cap_logged = now;
}

/* A new connection: watched for its first request like a kept one. */
static void adopt(struct dispatch *d, int fd, const struct sockaddr_storage *sa)
{
	struct timeval tv = {READ_TIMEOUT, 0};
	int one = 1;

	if ((unsigned int)fd >= d->nfds || !peer_allowed(d, sa)) {
		if ((unsigned int)fd >= d->nfds)
			log_error("dispatch: descriptor %d beyond the limit %u", fd, d->nfds);
		close(fd);
		return;
	}
	if (sa->ss_family == AF_INET || sa->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	/* A peer that stops mid-request frees its worker after a while. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	pthread_mutex_lock(&d->lock);
	d->open++;
	metrics_connections(1);
	set_state(d, fd, IDLE);
	if (!watch(d, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLRDHUP | EPOLLONESHOT)) {
		log_error("dispatch: epoll_ctl: %s", strerror(errno));
		forget(d, fd);
		close(fd);
	}
	pthread_mutex_unlock(&d->lock);
}

/* Under the lock: closes the idle connection unused longest, to make room. */
static void evict(struct dispatch *d)
{
	unsigned int oldest = 0;
	int victim = -1;

	for (unsigned int fd = 0; fd < d->nfds; fd++) {
		unsigned int age = d->tick - d->idle_since[fd];

		if (d->state[fd] == IDLE && (victim < 0 || age > oldest)) {
			victim = (int)fd;
			oldest = age;
		}
	}
	if (victim < 0 || peek(victim) > 0)
		return; /* a request arrived on it: the loop queues it */
	forget(d, victim);
	close(victim);
}

/* Below the cap, or at it with an idle connection to give up (then closed). */
static bool below_cap(struct dispatch *d)
{
	bool below;

	pthread_mutex_lock(&d->lock);
	if (d->open >= d->max_conns && d->idle > 0)
		evict(d);
	below = d->open < d->max_conns;
	pthread_mutex_unlock(&d->lock);
	return below;
}

/* The loop waits for room at the cap: a connection turning idle is some. */
static bool room_at_cap(struct dispatch *d)
{
	bool room;

	pthread_mutex_lock(&d->lock);
	room = d->open < d->max_conns || d->idle > 0;
	pthread_mutex_unlock(&d->lock);
	return room;
}

/* Accepts what waits, up to the cap; false when accepting must pause. */
static bool accept_all(struct dispatch *d)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int fd;

	for (;;) {
		if (!below_cap(d)) {
			cap_reached(d);
			return false;
		}
		len = sizeof sa;
		fd = accept4(d->listen_fd, (struct sockaddr *)&sa, &len, SOCK_CLOEXEC);
		if (fd >= 0) {
			adopt(d, fd, &sa);
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			return true;
		} else if (errno == EINVAL) {
			return false; /* shut down: stopping */
		} else if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			   errno == ENOMEM) {
			log_error("accept: %s: pausing %d ms", strerror(errno), RETRY_MS);
			return false;
		} else if (errno != EINTR && errno != ECONNABORTED && errno != EPROTO) {
			log_error("accept: %s", strerror(errno));
			return true;
		}
	}
}

/* Stopping: idle connections close now, or are served if a request just came. */
static void close_idle(struct dispatch *d)
{
	pthread_mutex_lock(&d->lock);
	for (unsigned int fd = 0; fd < d->nfds; fd++) {
		if (d->state[fd] != IDLE)
			continue;
		epoll_ctl(d->ep, EPOLL_CTL_DEL, (int)fd, NULL);
		if (peek((int)fd) > 0) {
			enqueue(d, (int)fd);
		} else {
			forget(d, (int)fd);
			close((int)fd);
		}
	}
	d->drained = true;
	pthread_cond_broadcast(&d->ready_cond);
	pthread_mutex_unlock(&d->lock);
}

static void clear_wake(struct dispatch *d)
{
	uint64_t v;

	if (read(d->wake_fd, &v, sizeof v) < 0 && errno != EAGAIN)
		log_error("dispatch: eventfd: %s", strerror(errno));
}

static void *loop_main(void *arg)
{
	struct dispatch *d = arg;
	struct epoll_event ev[EVENTS];
	bool stop;

	for (;;) {
		int n = epoll_wait(d->ep, ev, EVENTS, d->listening ? -1 : RETRY_MS);

		if (n < 0 && errno != EINTR) {
			log_error("epoll_wait: %s", strerror(errno));
			n = 0;
		}
		for (int i = 0; i < n; i++) {
			int fd = ev[i].data.fd;

			if (fd == d->wake_fd)
				clear_wake(d);
			else if (fd == d->listen_fd)
				set_listening(d, accept_all(d));
			else
				conn_event(d, fd, ev[i].events);
		}
		pthread_mutex_lock(&d->lock);
		stop = d->stopping;
		pthread_mutex_unlock(&d->lock);
		if (stop)
			break;
		if (!d->listening && room_at_cap(d))
			set_listening(d, true);
	}
	set_listening(d, false);
	close_idle(d);
	return NULL;
}

/* Descriptors a connection may get: the process's limit. */
static unsigned int fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > (1u << 20))
		return 1u << 20;
	return (unsigned int)rl.rlim_cur;
}

struct dispatch *dispatch_start(int listen_fd, unsigned int max_conns)
{
	struct dispatch *d = xcalloc(1, sizeof *d);
	const char *ws = getenv("FCGI_WEB_SERVER_ADDRS");
	int fl = fcntl(listen_fd, F_GETFL);

	d->listen_fd = listen_fd;
	d->ep = d->wake_fd = -1;
	d->max_conns = max_conns;
	d->nfds = fd_limit();
	d->state = xcalloc(d->nfds, 1);
	d->idle_since = xcalloc(d->nfds, sizeof *d->idle_since);
	d->ready = xcalloc(max_conns, sizeof *d->ready);
	d->web_servers = ws != NULL ? xstrdup(ws) : NULL;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->ready_cond, NULL);
	/* Accepting in a loop until EAGAIN: the listening socket must not block. */
	if (fl < 0 || fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK) != 0 ||
	    (d->ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (d->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
	    !watch(d, EPOLL_CTL_ADD, d->wake_fd, EPOLLIN)) {
		log_error("dispatch: %s", strerror(errno));
		goto fail;
	}
	set_listening(d, true);
	if (!d->listening || pthread_create(&d->tid, NULL, loop_main, d) != 0) {
		log_error("dispatch: cannot watch the listening socket");
		goto fail;
	}
	return d;
fail:
	if (d->ep >= 0)
		close(d->ep);
	if (d->wake_fd >= 0)
		close(d->wake_fd);
	free(d->state);
	free(d->idle_since);
	free(d->ready);
	free(d->web_servers);
	free(d);
	return NULL;
}

int dispatch_take(struct dispatch *d)
{
	int fd = -1;

	pthread_mutex_lock(&d->lock);
	while (d->queued == 0 && !d->drained)
		pthread_cond_wait(&d->ready_cond, &d->lock);
	if (d->queued > 0) {
		fd = d->ready[d->head];
		d->head = (d->head + 1) % d->max_conns;
		d->queued--;
		set_state(d, fd, BUSY);
	}
	pthread_mutex_unlock(&d->lock);
	return fd;
}

void dispatch_done(struct dispatch *d, int fd, bool closed)
{
	pthread_mutex_lock(&d->lock);
	if (closed) {
		forget(d, fd);
	} else if (d->stopping ||
		   !watch(d, EPOLL_CTL_MOD, fd, EPOLLIN | EPOLLRDHUP | EPOLLONESHOT)) {
		forget(d, fd);
		close(fd);
	} else {
		set_state(d, fd, IDLE);
		if (d->open >= d->max_conns && d->idle == 1)
			wake(d); /* room for a connection waiting at the cap */
	}
	pthread_mutex_unlock(&d->lock);
}

void dispatch_stop(struct dispatch *d)
{
	pthread_mutex_lock(&d->lock);
	d->stopping = true;
	pthread_mutex_unlock(&d->lock);
	wake(d);
}

void dispatch_free(struct dispatch *d)
{
	if (d == NULL)
		return;
	pthread_join(d->tid, NULL);
	close(d->wake_fd);
	close(d->ep);
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->ready_cond);
	free(d->state);
	free(d->idle_since);
	free(d->ready);
	free(d->web_servers);
	free(d);
}
