/*
 * libFuzzer target: coupon-fcgi's whole request path from the FastCGI records a
 * web server sends. The input names the CGI parameters and the body (below);
 * the harness writes them as records, split and padded as the input says, to a
 * real socket; libfcgi, the library the responder runs on, parses them, and the
 * request goes through transport.c and api_serve() exactly as in the responder:
 * path decoding, routing, Content-Length, Authorization, Origin and Referer,
 * Accept, the body parsers and the replies. There is no database: what needs
 * one is answered 503 after a failed connect.
 *
 * Beyond what the sanitizers catch, a reply must be a whole HTTP status of
 * 2xx-5xx other than 500, with a content type: bad input is a clean 4xx.
 */
#include "config.h"

#include <errno.h>
#include <fastcgi.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "api.h"
#include "transport.h"

static struct sockaddr_un addr;
static int listener = -1;
static struct cp_config cfg;
static struct worker w;
static struct http_resp resp;
static FCGX_Request rq;

static void setup(void)
{
	char dir[] = "/tmp/coupon-fuzz-fcgi-XXXXXX";

	if (mkdtemp(dir) == NULL)
		abort();
	addr.sun_family = AF_UNIX;
	snprintf(addr.sun_path, sizeof addr.sun_path, "%s/fcgi.sock", dir);
	listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/*
	 * Non-blocking: after a malformed stream libfcgi closes the connection and goes
	 * back to accept(), which must then return at once instead of waiting.
	 */
	if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 ||
	    listen(listener, 4) != 0 || fcntl(listener, F_SETFL, O_NONBLOCK) != 0)
		abort();
	if (FCGX_Init() != 0 || FCGX_InitRequest(&rq, listener, 0) != 0)
		abort();
	cp_config_init(&cfg);
	/* A database that is not there: connect fails at once, as in an outage. */
	cp_config_set(&cfg, "socket", "/nonexistent/coupon-fuzz.sock", NULL);
	cp_config_set(&cfg, "host", "localhost", NULL);
	cp_config_set(&cfg, "site", "https://shop.example", NULL);
	if (!api_init(&cfg, 1, NULL))
		abort();
	worker_init(&w, 0, &cfg, rl_create(1024));
	http_resp_init(&resp);
}

/* Writes what fits into the socket's buffer; the rest is cut, as a dying peer would. */
static void send_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k <= 0)
			break;
		p += k;
		n -= (size_t)k;
	}
}

static void drain(int fd)
{
	char buf[4096];

	while (read(fd, buf, sizeof buf) > 0)
		;
}

static void check_reply(void)
{
	if (resp.status < 200 || resp.status > 599 || resp.status == 500 ||
	    resp.content_type == NULL)
		__builtin_trap();
}

/* The records a web server would send, built from the fuzz input. */
struct records {
	uint8_t *p;
	size_t n, cap;
};

static void put(struct records *r, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (r->n + n > r->cap) {
		r->cap = (r->n + n) * 2;
		if ((r->p = realloc(r->p, r->cap)) == NULL)
			abort();
	}
	memcpy(r->p + r->n, p, n);
	r->n += n;
}

/* One record of TYPE with CONTENT, padded to 8 bytes when PAD. */
static void record(struct records *r, int type, int id, const uint8_t *content, size_t n,
		   bool pad)
{
	static const uint8_t zeros[8];
	size_t padding = pad ? (8 - n % 8) % 8 : 0;
	uint8_t h[8] = {FCGI_VERSION_1, (uint8_t)type, (uint8_t)(id >> 8), (uint8_t)id,
			(uint8_t)(n >> 8), (uint8_t)n, (uint8_t)padding, 0};

	put(r, h, sizeof h);
	put(r, content, n);
	put(r, zeros, padding);
}

/* A stream of TYPE: CONTENT in records of at most CHUNK bytes, then the empty one. */
static void stream(struct records *r, int type, const uint8_t *content, size_t n,
		   size_t chunk, bool pad)
{
	for (size_t at = 0; at < n; at += chunk)
		record(r, type, 1, content + at, n - at < chunk ? n - at : chunk, pad);
	record(r, type, 1, NULL, 0, pad);
}

static void nv_length(struct records *r, size_t n)
{
	uint8_t b[4] = {(uint8_t)(0x80 | (n >> 24)), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
			(uint8_t)n};

	if (n < 128)
		put(r, b + 3, 1);
	else
		put(r, b, 4);
}

/*
 * The input is FLAGS, then "NAME=VALUE" lines (any bytes but a newline), an
 * empty line, and the body. FLAGS: bit 0 asks to keep the connection, bit 1
 * sends a GET_VALUES management record first, bit 2 pads records, bits 3-7 the
 * record size (1 to 32 times 61 bytes), so params and body arrive split in every
 * way. The lengths in the records are always the true ones: libfcgi's own record
 * parser aborts on lying lengths in Debian 12 (doc/SECURITY.md), which only
 * whoever can write to the FastCGI socket can send, and which would keep the
 * fuzzer from our code; that bug is the library's and is reported there.
 */
static void build(const uint8_t *d, size_t size, struct records *r)
{
	struct records params = {0};
	uint8_t flags = size > 0 ? d[0] : 0, begin[8] = {0, FCGI_RESPONDER, 0};
	size_t at = size > 0 ? 1 : 0, chunk = (size_t)((flags >> 3) + 1) * 61;
	bool pad = (flags & 4) != 0;

	begin[2] = (flags & 1) ? FCGI_KEEP_CONN : 0;
	r->n = 0;
	if (flags & 2) {
		static const uint8_t ask[] = "\016\000FCGI_MAX_CONNS\015\000FCGI_MAX_REQS";

		record(r, FCGI_GET_VALUES, 0, ask, sizeof ask - 1, pad);
	}
	record(r, FCGI_BEGIN_REQUEST, 1, begin, sizeof begin, false);
	while (at < size && d[at] != '\n') {
		const uint8_t *line = d + at, *nl = memchr(line, '\n', size - at);
		size_t len = nl != NULL ? (size_t)(nl - line) : size - at;
		const uint8_t *eq = memchr(line, '=', len);
		size_t nlen = eq != NULL ? (size_t)(eq - line) : len;
		size_t vlen = eq != NULL ? len - nlen - 1 : 0;

		nv_length(&params, nlen);
		nv_length(&params, vlen);
		put(&params, line, nlen);
		if (vlen > 0)
			put(&params, eq + 1, vlen);
		at += len + (nl != NULL);
	}
	at += at < size; /* the empty line */
	stream(r, FCGI_PARAMS, params.p, params.n, chunk, pad);
	stream(r, FCGI_STDIN, d + at, size - at, chunk, pad);
	free(params.p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct records in;
	struct http_req req;
	int c;

	if (listener < 0)
		setup();
	build(data, size, &in);
	c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&addr, sizeof addr) != 0)
		abort();
	send_all(c, in.p, in.n);
	shutdown(c, SHUT_WR);
	if (FCGX_Accept_r(&rq) == 0) {
		http_resp_reset(&resp);
		transport_request(&rq, &req);
		api_serve(&w, &req, transport_read, rq.in, &resp);
		check_reply();
		transport_respond(&rq, &resp);
		FCGX_Finish_r(&rq);
		/* A request that asked to keep the connection: nothing more comes on it. */
		if (rq.ipcFd >= 0)
			FCGX_Free(&rq, 1);
	}
	fcntl(c, F_SETFL, 0);
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &(struct timeval){1, 0}, sizeof(struct timeval));
	drain(c);
	close(c);
	return 0;
}
