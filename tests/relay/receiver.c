/*
 * Test helper: a webhook receiver on 127.0.0.1, verifying as doc/WEBHOOKS.md
 * tells receivers to: X-Coupon-Signature is "t=T,v1=HEX", HEX the HMAC-SHA256
 * under the secret of "T." + the raw body, compared in constant time, and T
 * within five minutes of the receiver's clock. One line "EVENT-ID ok",
 * "EVENT-ID badsig" or "EVENT-ID stale" is appended to OUT per request it accepts,
 * and, when BODIES is given, "EVENT-ID BODY" to BODIES (the body as it came: an
 * event's JSON holds no raw line break).
 * Every FAIL_EVERY-th request of a connection (0 = never) is answered 503
 * without being recorded, to exercise the relay's retries. The port it listens
 * on is written to PORT-FILE (an existing one names the port to take). A process per connection, so kept-alive
 * connections of several relays are served side by side.
 *
 *   receiver SECRET-FILE OUT PORT-FILE FAIL_EVERY [BODIES]
 */
#include "config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

static char secret[512];
static size_t secret_len;
static int out_fd, bodies_fd = -1;
static unsigned long fail_every;

struct conn {
	int fd;
	char buf[65536];
	size_t len;
};

/* Reads until BUF holds N bytes; false on EOF or error. */
static int fill(struct conn *c, size_t n)
{
	ssize_t r;

	while (c->len < n) {
		if (n > sizeof c->buf || (r = read(c->fd, c->buf + c->len, sizeof c->buf - c->len)) <= 0)
			return 0;
		c->len += (size_t)r;
	}
	return 1;
}

static const char *header(const char *head, const char *name, char *val, size_t size)
{
	const char *p = head;
	size_t n = strlen(name);

	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1, *end = strstr(v, "\r\n");

			while (*v == ' ')
				v++;
			snprintf(val, size, "%.*s", (int)(end ? end - v : 0), v);
			return val;
		}
	}
	val[0] = '\0';
	return NULL;
}

#define SKEW_MAX 300 /* seconds */

/* "t=T,v1=HEX" -> T and the 32 bytes of HEX; false if malformed. */
static int parse_sig(const char *sig, long long *t, unsigned char *mac)
{
	char *end;

	if (strncmp(sig, "t=", 2) != 0)
		return 0;
	*t = strtoll(sig + 2, &end, 10);
	if (end == sig + 2 || strncmp(end, ",v1=", 4) != 0 || strlen(end + 4) != 64)
		return 0;
	for (int i = 0; i < 32; i++)
		if (sscanf(end + 4 + 2 * i, "%2hhx", &mac[i]) != 1)
			return 0;
	return 1;
}

static const char *verdict(const char *body, size_t len, const char *sig)
{
	static unsigned char signed_part[24 + sizeof ((struct conn *)0)->buf];
	unsigned char got[32], want[EVP_MAX_MD_SIZE];
	unsigned int wantlen = 0;
	long long t;
	int n;

	if (!parse_sig(sig, &t, got))
		return "badsig";
	n = snprintf((char *)signed_part, 24, "%lld.", t);
	memcpy(signed_part + n, body, len);
	if (HMAC(EVP_sha256(), secret, (int)secret_len, signed_part, (size_t)n + len, want,
		 &wantlen) == NULL || wantlen != sizeof got ||
	    CRYPTO_memcmp(got, want, sizeof got) != 0)
		return "badsig";
	return llabs((long long)time(NULL) - t) > SKEW_MAX ? "stale" : "ok";
}

/* One write, so lines of several connections' processes never interleave. */
static void keep_body(const char *id, const char *body, size_t len)
{
	static char line[80 + sizeof ((struct conn *)0)->buf];
	int n;

	if (bodies_fd < 0)
		return;
	n = snprintf(line, sizeof line, "%s %.*s\n", id, (int)len, body);
	if (n < 0 || (size_t)n >= sizeof line || write(bodies_fd, line, (size_t)n) != n)
		_exit(1);
}

static void record(const char *id, const char *body, size_t len, const char *sig)
{
	char line[160];
	int n = snprintf(line, sizeof line, "%s %s\n", id, verdict(body, len, sig));

	if (write(out_fd, line, (size_t)n) != n)
		_exit(1);
	keep_body(id, body, len);
}

static void reply(int fd, int code)
{
	char r[128];
	int n = snprintf(r, sizeof r, "HTTP/1.1 %d %s\r\nContent-Length: 0\r\n\r\n", code,
			 code == 200 ? "OK" : "Service Unavailable");

	if (write(fd, r, (size_t)n) != n)
		_exit(0);
}

static void serve(int fd)
{
	static struct conn c;
	char id[64], sig[128], cl[32];
	unsigned long count = 0;
	char *end;
	size_t head, body;

	c.fd = fd;
	for (;;) {
		while ((end = memmem(c.buf, c.len, "\r\n\r\n", 4)) == NULL)
			if (!fill(&c, c.len + 1))
				_exit(0);
		head = (size_t)(end - c.buf) + 4;
		c.buf[head - 2] = '\0';
		body = header(c.buf, "Content-Length", cl, sizeof cl) ? strtoul(cl, NULL, 10) : 0;
		header(c.buf, "X-Coupon-Event-Id", id, sizeof id);
		header(c.buf, "X-Coupon-Signature", sig, sizeof sig);
		if (!fill(&c, head + body))
			_exit(0);
		if (fail_every && ++count % fail_every == 0) {
			reply(fd, 503);
		} else {
			record(id, c.buf + head, body, sig);
			reply(fd, 200);
		}
		memmove(c.buf, c.buf + head + body, c.len - head - body);
		c.len -= head + body;
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof a;
	FILE *f;
	int s, c, one = 1;

	if (argc != 5 && argc != 6)
		return fprintf(stderr, "usage: receiver SECRET-FILE OUT PORT-FILE FAIL_EVERY "
			       "[BODIES]\n"), 2;
	if ((f = fopen(argv[1], "r")) == NULL)
		return perror(argv[1]), 1;
	secret_len = fread(secret, 1, sizeof secret - 1, f);
	fclose(f);
	while (secret_len > 0 && (secret[secret_len - 1] == '\n' || secret[secret_len - 1] == '\r'))
		secret_len--;
	fail_every = strtoul(argv[4], NULL, 10);
	if ((out_fd = open(argv[2], O_WRONLY | O_CREAT | O_APPEND, 0644)) < 0)
		return perror(argv[2]), 1;
	if (argc == 6 && (bodies_fd = open(argv[5], O_WRONLY | O_CREAT | O_APPEND, 0644)) < 0)
		return perror(argv[5]), 1;
	signal(SIGCHLD, SIG_IGN);
	s = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* A port file left by an earlier receiver: take over its port. */
	if ((f = fopen(argv[3], "r")) != NULL) {
		unsigned int port = 0;

		if (fscanf(f, "%u", &port) == 1)
			a.sin_port = htons((uint16_t)port);
		fclose(f);
	}
	if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 64) != 0 ||
	    getsockname(s, (struct sockaddr *)&a, &alen) != 0)
		return perror("listen"), 1;
	if ((f = fopen(argv[3], "w")) == NULL)
		return perror(argv[3]), 1;
	fprintf(f, "%d\n", ntohs(a.sin_port));
	fclose(f);
	for (;;) {
		if ((c = accept(s, NULL, NULL)) < 0)
			continue;
		if (fork() == 0) {
			close(s);
			serve(c);
		}
		close(c);
	}
}
