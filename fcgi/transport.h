/* Private to fcgi/: a FastCGI request onto api_serve() and its response back. */
#ifndef TRANSPORT_H
#define TRANSPORT_H

#include <fcgiapp.h>

#include "http.h"

/*
 * Reads the next request's parameters from the connection FD (accepted by the
 * caller) into RQ, initialised with FCGX_InitRequest(RQ, -1, 0). False when the
 * connection ended or broke the protocol: libfcgi has closed it.
 */
bool transport_accept(FCGX_Request *rq, int fd);
/*
 * Ends the request (libfcgi's FCGX_Finish_r), first reading what is left of its
 * body when the web server keeps the connection. Returns the connection, still
 * open for the next request, or -1 when it was closed.
 */
int transport_finish(FCGX_Request *rq);
/* The request's CGI variables; the strings stay RQ's. */
void transport_request(FCGX_Request *rq, struct http_req *req);
/* An api_read_fn over the request's FCGX_Stream. */
size_t transport_read(void *src, char *buf, size_t n);
/* Status, headers and body (or the streamed body) onto RQ's output. */
bool transport_respond(FCGX_Request *rq, struct http_resp *r);

#endif
