/*
 * rawsend: sends a file's bytes to 127.0.0.1:PORT (::1 with RAWSEND_IPV6) exactly as they are, for the
 * requests curl will not make: slow, truncated, malformed chunked, bare line
 * feeds, NUL bytes and injected header lines.
 *
 * usage: rawsend [-n BYTES] [-d MS] [-H] [-c] [-t SECS] PORT FILE
 *   -n BYTES  send in pieces of BYTES (default: all at once)
 *   -H        send the head (up to the blank line) at once, only the body in pieces
 *   -d MS     pause MS milliseconds between pieces
 *   -c        shut the write side down after the last piece (a client that
 *             sends less than it announced and goes away)
 *   -t SECS   wait at most SECS for the reply (default 10)
 * Prints the reply's status code on the first line, then the reply: "000" when
 * the server closed the connection without a word (what nginx does on its
 * client timeouts, logging a 408), "TMO" when SECS passed without a reply. An
 * HTTP/0.9 reply (a bare HTML page) counts with the status in its title.
 * Exit 0 when a reply came, 1 otherwise, 2 on bad usage.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define REPLY_MAX 65536

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	size_t cap = 0, r;

	*n = 0;
	if (f == NULL)
		return NULL;
	do {
		if (*n == cap && (p = realloc(p, cap = cap ? cap * 2 : 4096)) == NULL)
			exit(2);
		r = fread(p + *n, 1, cap - *n, f);
		*n += r;
	} while (r > 0);
	fclose(f);
	return p;
}

/* 127.0.0.1, or ::1 when RAWSEND_IPV6 is set (the hostile test over IPv6). */
static int dial(unsigned short port, unsigned int secs)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct sockaddr_in6 sa6 = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	struct timeval tv = {(time_t)secs, 0};
	bool v6 = getenv("RAWSEND_IPV6") != NULL;
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa6.sin6_addr = in6addr_loopback;
	if (fd < 0 || connect(fd, v6 ? (struct sockaddr *)&sa6 : (struct sockaddr *)&sa,
			      v6 ? sizeof sa6 : sizeof sa) != 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return fd;
}

/* False when the server hung up before everything was sent (it may have replied). */
static int send_pieces(int fd, const char *p, size_t n, size_t piece, unsigned int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	for (size_t off = 0; off < n;) {
		size_t len = piece == 0 || piece > n - off ? n - off : piece;
		ssize_t w = send(fd, p + off, len, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return 0;
		off += (size_t)w;
		if (off < n && ms > 0)
			nanosleep(&ts, NULL);
	}
	return 1;
}

int main(int argc, char **argv)
{
	static char reply[REPLY_MAX + 1];
	size_t n, piece = 0, got = 0;
	unsigned int ms = 0, secs = 10;
	int ch, fd, close_write = 0, status = 0, timed_out = 0, head_first = 0;
	const char *title, *blank;
	size_t head = 0;
	char *req;

	while ((ch = getopt(argc, argv, "n:d:Hct:")) != -1) {
		switch (ch) {
		case 'n': piece = strtoul(optarg, NULL, 10); break;
		case 'd': ms = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'H': head_first = 1; break;
		case 'c': close_write = 1; break;
		case 't': secs = (unsigned int)strtoul(optarg, NULL, 10); break;
		default: return 2;
		}
	}
	if (argc - optind != 2 || (req = slurp(argv[optind + 1], &n)) == NULL) {
		fputs("usage: rawsend [-n BYTES] [-d MS] [-H] [-c] [-t SECS] PORT FILE\n", stderr);
		return 2;
	}
	if ((fd = dial((unsigned short)strtoul(argv[optind], NULL, 10), secs)) < 0) {
		perror("rawsend: connect");
		return 1;
	}
	if (head_first && (blank = memmem(req, n, "\r\n\r\n", 4)) != NULL)
		head = (size_t)(blank + 4 - req);
	if (send_pieces(fd, req, head, 0, 0) && send_pieces(fd, req + head, n - head, piece, ms) &&
	    close_write)
		shutdown(fd, SHUT_WR);
	for (ssize_t r; got < REPLY_MAX; got += (size_t)r) {
		r = recv(fd, reply + got, REPLY_MAX - got, 0);
		if (r < 0 && errno == EINTR) {
			r = 0;
			continue;
		}
		timed_out = r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
		if (r <= 0)
			break;
	}
	reply[got] = '\0';
	close(fd);
	free(req);
	if (sscanf(reply, "HTTP/1.%*d %d", &status) != 1 &&
	    ((title = strstr(reply, "<title>")) == NULL || sscanf(title, "<title>%d", &status) != 1))
		status = 0;
	if (status == 0 && got == 0 && timed_out)
		printf("TMO\n");
	else
		printf("%03d\n%s", status, reply);
	return status != 0 ? 0 : 1;
}
