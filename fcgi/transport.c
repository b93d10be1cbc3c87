/*
 * The FastCGI side of a request: libfcgi's parameters and streams mapped onto the
 * transport-free struct http_req / struct http_resp of http.h. Shared by the
 * responder (main.c) and the fuzz target that writes it FastCGI records.
 */
#include "config.h"

#include <fcgiapp.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "transport.h"

/* Body bytes left unread that are still read to keep the connection; past it, closed. */
#define DRAIN_MAX (4 * 1024 * 1024)

/*
 * libfcgi has no call that takes an accepted connection; FCGX_Accept_r reads
 * the next request from the request's open connection (ipcFd) and accepts only
 * when there is none. So the connection is set there, with keepConnection until
 * the request says otherwise (FCGX_Accept_r first finishes the previous request
 * and would close it). RQ was initialised without a listening socket (-1): when
 * the connection has ended or breaks the protocol, libfcgi closes it and its
 * accept() on -1 fails at once instead of blocking.
 */
bool transport_accept(FCGX_Request *rq, int fd)
{
	rq->ipcFd = fd;
	rq->keepConnection = 1;
	return FCGX_Accept_r(rq) == 0;
}

/*
 * The next request on a kept connection starts after this one's last record:
 * the part of the body the handler did not read (a refusal before the body) and
 * the empty record that ends it. libfcgi drops whatever it buffered when the
 * request ends, so it is read here, to the end of the request's stdin.
 */
static bool read_to_end(FCGX_Stream *in)
{
	char buf[4096];
	size_t total = 0;
	int n;

	while (total <= DRAIN_MAX && (n = FCGX_GetStr(buf, sizeof buf, in)) > 0)
		total += (size_t)n;
	return FCGX_HasSeenEOF(in) && FCGX_GetError(in) == 0;
}

int transport_finish(FCGX_Request *rq)
{
	if (rq->keepConnection && !read_to_end(rq->in))
		rq->keepConnection = 0;
	FCGX_Finish_r(rq);
	return rq->ipcFd;
}

size_t transport_read(void *src, char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		int r = FCGX_GetStr(buf + got, (int)(n - got), src);

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

static bool fcgx_write(void *sink, const void *p, size_t n)
{
	return FCGX_PutStr(p, (int)n, sink) == (int)n;
}

static const char *param(FCGX_Request *rq, const char *name)
{
	return FCGX_GetParam(name, rq->envp);
}

void transport_request(FCGX_Request *rq, struct http_req *req)
{
	memset(req, 0, sizeof *req);
	req->method = param(rq, "REQUEST_METHOD");
	req->uri = param(rq, "REQUEST_URI");
	if (req->uri == NULL) /* servers without REQUEST_URI give the script name */
		req->uri = param(rq, "SCRIPT_NAME");
	req->content_type = param(rq, "CONTENT_TYPE");
	req->content_length = param(rq, "CONTENT_LENGTH");
	req->authorization = param(rq, "HTTP_AUTHORIZATION");
	req->idem_key = param(rq, "HTTP_IDEMPOTENCY_KEY");
	req->accept = param(rq, "HTTP_ACCEPT");
	req->origin = param(rq, "HTTP_ORIGIN");
	req->referer = param(rq, "HTTP_REFERER");
	req->remote_addr = param(rq, "REMOTE_ADDR");
	req->forwarded_for = param(rq, "HTTP_X_FORWARDED_FOR");
}

/* Headers and body; a streamed body follows the headers. */
bool transport_respond(FCGX_Request *rq, struct http_resp *r)
{
	FCGX_Stream *out = rq->out;
	enum cp_status st;
	char head[160];
	int n;

	/* snprintf, not FCGX_FPrintF: libfcgi's own formatter lacks %zu. */
	n = snprintf(head, sizeof head, "Status: %d %s\r\nContent-Type: %s\r\n", r->status,
		     http_reason(r->status), r->content_type);
	if (r->stream == NULL)
		n += snprintf(head + n, sizeof head - (size_t)n, "Content-Length: %zu\r\n",
			      r->body.len);
	FCGX_PutStr(head, n, out);
	FCGX_PutStr(r->headers, (int)r->hlen, out);
	FCGX_PutStr("\r\n", 2, out);
	if (r->stream == NULL)
		return FCGX_PutStr(r->body.p != NULL ? r->body.p : "", (int)r->body.len, out) >= 0;
	/* The status is out: a failure now can only cut the body short. */
	st = r->stream(r->stream_ctx, fcgx_write, out);
	if (st != CP_OK)
		log_error("%s: streamed response cut short", param(rq, "REQUEST_URI"));
	return st == CP_OK;
}

