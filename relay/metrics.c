/*
 * The relay's /metrics (Prometheus text format) on a small listener of its own,
 * meant for 127.0.0.1: one thread, one short connection at a time. The figures
 * are atomics that the delivery loop updates; the backlog gauges are what the
 * loop last read from the outbox.
 */
#include "config.h"

#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "relay.h"

struct relay_counters relay_stats;

#define U(x) ((unsigned long long)atomic_load(&relay_stats.x))

static int render(char *buf, size_t size)
{
	static const char *const sink[] = {"amqp", "webhook"};
	int n = snprintf(buf, size,
			 "# HELP coupon_relay_delivered_total Events marked delivered.\n"
			 "# TYPE coupon_relay_delivered_total counter\n"
			 "coupon_relay_delivered_total %llu\n"
			 "# HELP coupon_relay_failures_total Batches that ended in a delivery failure.\n"
			 "# TYPE coupon_relay_failures_total counter\n"
			 "coupon_relay_failures_total %llu\n"
			 "# HELP coupon_relay_retries_total Events delivered again after a failure.\n"
			 "# TYPE coupon_relay_retries_total counter\n"
			 "coupon_relay_retries_total %llu\n"
			 "# HELP coupon_relay_db_errors_total Database statements of the loop that failed.\n"
			 "# TYPE coupon_relay_db_errors_total counter\n"
			 "coupon_relay_db_errors_total %llu\n"
			 "# HELP coupon_relay_claimed_total Events claimed for delivery.\n"
			 "# TYPE coupon_relay_claimed_total counter\n"
			 "coupon_relay_claimed_total %llu\n"
			 "# HELP coupon_relay_purged_total Delivered events deleted after their retention.\n"
			 "# TYPE coupon_relay_purged_total counter\n"
			 "coupon_relay_purged_total %llu\n"
			 "# HELP coupon_outbox_backlog Undelivered outbox events.\n"
			 "# TYPE coupon_outbox_backlog gauge\n"
			 "coupon_outbox_backlog %llu\n"
			 "# HELP coupon_outbox_oldest_seconds Age of the oldest undelivered event.\n"
			 "# TYPE coupon_outbox_oldest_seconds gauge\n"
			 "coupon_outbox_oldest_seconds %.3f\n"
			 "# HELP coupon_outbox_oldest_attempts Failed deliveries of the oldest undelivered event.\n"
			 "# TYPE coupon_outbox_oldest_attempts gauge\n"
			 "coupon_outbox_oldest_attempts %llu\n"
			 "# HELP coupon_relay_amqp_connected Whether the relay holds a RabbitMQ connection.\n"
			 "# TYPE coupon_relay_amqp_connected gauge\n"
			 "coupon_relay_amqp_connected %d\n"
			 "# HELP coupon_relay_sink_total Deliveries by sink and result.\n"
			 "# TYPE coupon_relay_sink_total counter\n",
			 U(delivered), U(failures), U(retries), U(db_errors), U(claims), U(purged),
			 U(backlog), (double)U(oldest_ms) / 1000, U(oldest_attempts),
			 atomic_load(&relay_stats.amqp_connected));

	for (int s = 0; s < 2 && n > 0 && (size_t)n < size; s++)
		n += snprintf(buf + n, size - (size_t)n,
			      "coupon_relay_sink_total{sink=\"%s\",result=\"ok\"} %llu\n"
			      "coupon_relay_sink_total{sink=\"%s\",result=\"failed\"} %llu\n",
			      sink[s], U(sink_ok[s]), sink[s], U(sink_failed[s]));
	return n;
}

static void serve(int c)
{
	char req[1024], body[8192], head[160];
	struct timeval tv = {2, 0};
	int n, h;

	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	/* Any request gets the figures; the request line is read only to be polite. */
	if (recv(c, req, sizeof req, 0) <= 0)
		return;
	n = render(body, sizeof body);
	if (n < 0 || (size_t)n >= sizeof body)
		n = 0;
	h = snprintf(head, sizeof head,
		     "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
		     "Content-Length: %d\r\nConnection: close\r\n\r\n", n);
	if (send(c, head, (size_t)h, MSG_NOSIGNAL) == h)
		send(c, body, (size_t)n, MSG_NOSIGNAL);
}

static void *loop(void *arg)
{
	int s = (int)(intptr_t)arg, c;

	for (;;) {
		if ((c = accept(s, NULL, NULL)) < 0)
			continue;
		serve(c);
		close(c);
	}
	return NULL;
}

static int listen_on(const char *spec)
{
	struct addrinfo hints, *ai = NULL;
	char host[256];
	const char *colon = strrchr(spec, ':');
	int s = -1, one = 1;

	if (colon == NULL || (size_t)(colon - spec) >= sizeof host)
		return -1;
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
		return -1;
	if ((s = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0 &&
	    (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	     bind(s, ai->ai_addr, ai->ai_addrlen) != 0 || listen(s, 16) != 0)) {
		close(s);
		s = -1;
	}
	freeaddrinfo(ai);
	return s;
}

int metrics_start(const char *spec)
{
	pthread_t t;
	int s = listen_on(spec);

	if (s < 0)
		return -1;
	if (pthread_create(&t, NULL, loop, (void *)(intptr_t)s) != 0) {
		close(s);
		return -1;
	}
	pthread_detach(t);
	return 0;
}
