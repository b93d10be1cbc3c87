/* Private to fcgi/: a FastCGI request onto api_serve() and its response back. */
#ifndef TRANSPORT_H
#define TRANSPORT_H

#include <fcgiapp.h>

#include "http.h"

/* The request's CGI variables; the strings stay RQ's. */
void transport_request(FCGX_Request *rq, struct http_req *req);
/* An api_read_fn over the request's FCGX_Stream. */
size_t transport_read(void *src, char *buf, size_t n);
/* Status, headers and body (or the streamed body) onto RQ's output. */
bool transport_respond(FCGX_Request *rq, struct http_resp *r);

#endif
