/*
 * libFuzzer target: coupon-fcgi's whole request path from the bytes a web server
 * sends. The input is a stream of FastCGI records (BEGIN_REQUEST, PARAMS, STDIN,
 * ...) written to a real socket; libfcgi, the library the responder runs on,
 * parses them, and the request goes through transport.c and api_serve() exactly
 * as in the responder: path decoding, routing, Content-Length, Authorization,
 * Origin and Referer, Accept, the body parsers and the replies. There is no
 * database: what needs one is answered 503 after one failed connect.
 *
 * Beyond what the sanitizers catch, a reply must be a whole HTTP status of
 * 2xx-5xx other than 500, with a content type: bad input is a clean 4xx.
 */
#include "config.h"

#include <errno.h>
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
	api_init(&cfg, 1);
	worker_init(&w, 0, &cfg, rl_create(cfg.rate_limit, 1024));
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

/* One name or value length of a PARAMS stream: 1 byte, or 4 with the top bit set. */
static bool nv_len(const uint8_t *p, size_t n, size_t *at, size_t *len)
{
	if (*at >= n)
		return false;
	if ((p[*at] & 0x80) == 0) {
		*len = p[(*at)++];
		return true;
	}
	if (*at + 4 > n)
		return false;
	*len = ((size_t)(p[*at] & 0x7F) << 24) | ((size_t)p[*at + 1] << 16) |
	       ((size_t)p[*at + 2] << 8) | p[*at + 3];
	*at += 4;
	return true;
}

/* False if a name or value length in the name-value pairs P[0..N) exceeds LIMIT. */
static bool pairs_plausible(const uint8_t *p, size_t n, size_t limit)
{
	size_t at = 0, name, value;

	while (nv_len(p, n, &at, &name) && nv_len(p, n, &at, &value)) {
		if (name > limit || value > limit)
			return false;
		at += name + value;
	}
	return true;
}

/*
 * False if a parameter (of a request's PARAMS or of a GET_VALUES management
 * record) claims more bytes than the whole input holds. libfcgi allocates what
 * the lengths claim before reading, and Debian 12's libfcgi still aborts the
 * process when a name and a value length add up past INT_MAX (doc/SECURITY.md):
 * a known crash of the library, reachable only by whoever can write to the
 * FastCGI socket, that would stop the fuzzer from exploring our code.
 */
static bool lengths_plausible(const uint8_t *d, size_t size)
{
	static uint8_t params[2][1 << 17];
	size_t np[2] = {0, 0};

	for (size_t i = 0; i + 8 <= size;) {
		size_t clen = ((size_t)d[i + 4] << 8) | d[i + 5], pad = d[i + 6];
		size_t take = clen <= size - i - 8 ? clen : size - i - 8;
		int k = d[i + 1] == 4 /* FCGI_PARAMS */ ? 0 : d[i + 1] == 9 /* GET_VALUES */ ? 1 : -1;

		if (k >= 0 && np[k] + take <= sizeof params[k]) {
			memcpy(params[k] + np[k], d + i + 8, take);
			np[k] += take;
		}
		/* libfcgi reads the next header right after a BEGIN_REQUEST's content. */
		i += 8 + clen + (d[i + 1] == 1 ? 0 : pad);
	}
	return pairs_plausible(params[0], np[0], size) && pairs_plausible(params[1], np[1], size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req req;
	int c;

	if (!lengths_plausible(data, size))
		return -1; /* not added to the corpus */
	if (listener < 0)
		setup();
	c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&addr, sizeof addr) != 0)
		abort();
	send_all(c, data, size);
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
