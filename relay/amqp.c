/*
 * The RabbitMQ sink (librabbitmq): persistent messages on a channel in confirm
 * mode. A batch is published in one go and then the broker's acks are awaited;
 * an event counts as delivered only once its delivery tag is acked. A nack, a
 * basic.return of an unroutable mandatory message, a timeout or a lost
 * connection ends the batch there; the connection is then dropped and opened
 * again on the next batch (declaring the exchanges again is idempotent).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <amqp.h>
#include <amqp_tcp_socket.h>

#include "relay.h"
#include "xmalloc.h"

struct amqp_sink {
	const struct relay_opts *o;
	amqp_connection_state_t conn; /* NULL while disconnected */
	uint64_t next_tag;            /* delivery tag of the next publish */
};

static const char *reply_text(amqp_rpc_reply_t r)
{
	static __thread char buf[160];

	switch (r.reply_type) {
	case AMQP_RESPONSE_NORMAL:
		return "ok";
	case AMQP_RESPONSE_NONE:
		return "missing RPC reply";
	case AMQP_RESPONSE_LIBRARY_EXCEPTION:
		return amqp_error_string2(r.library_error);
	case AMQP_RESPONSE_SERVER_EXCEPTION:
		if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD ||
		    r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
			amqp_channel_close_t *c = r.reply.decoded; /* same layout for both */

			snprintf(buf, sizeof buf, "broker closed: %d %.*s", c->reply_code,
				 (int)c->reply_text.len, (const char *)c->reply_text.bytes);
			return buf;
		}
		return "broker exception";
	}
	return "unknown reply";
}

static void drop(struct amqp_sink *s)
{
	if (s->conn == NULL)
		return;
	/* The connection may be dead: no goodbye handshake, just release it. */
	amqp_destroy_connection(s->conn);
	s->conn = NULL;
	atomic_store(&relay_stats.amqp_connected, 0);
}

struct amqp_sink *amqp_sink_create(const struct relay_opts *o)
{
	struct amqp_sink *s = xcalloc(1, sizeof *s);

	s->o = o;
	return s;
}

void amqp_sink_free(struct amqp_sink *s)
{
	if (s == NULL)
		return;
	if (s->conn != NULL)
		amqp_connection_close(s->conn, AMQP_REPLY_SUCCESS);
	drop(s);
	free(s);
}

static bool declare(struct amqp_sink *s, const char *exchange, char *err, size_t errsz)
{
	amqp_exchange_declare(s->conn, 1, amqp_cstring_bytes(exchange),
			      amqp_cstring_bytes("topic"), 0, 1, 0, 0, amqp_empty_table);
	amqp_rpc_reply_t r = amqp_get_rpc_reply(s->conn);

	if (r.reply_type == AMQP_RESPONSE_NORMAL)
		return true;
	snprintf(err, errsz, "declare exchange %s: %s", exchange, reply_text(r));
	return false;
}

static bool open_channel(struct amqp_sink *s, struct amqp_connection_info *ci, char *err,
			 size_t errsz)
{
	amqp_rpc_reply_t r;

	r = amqp_login(s->conn, ci->vhost, 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, ci->user,
		       ci->password);
	if (r.reply_type != AMQP_RESPONSE_NORMAL)
		return snprintf(err, errsz, "login: %s", reply_text(r)), false;
	amqp_channel_open(s->conn, 1);
	if ((r = amqp_get_rpc_reply(s->conn)).reply_type != AMQP_RESPONSE_NORMAL)
		return snprintf(err, errsz, "channel: %s", reply_text(r)), false;
	amqp_confirm_select(s->conn, 1);
	if ((r = amqp_get_rpc_reply(s->conn)).reply_type != AMQP_RESPONSE_NORMAL)
		return snprintf(err, errsz, "confirm.select: %s", reply_text(r)), false;
	for (size_t i = 0; cp_event_types[i] != NULL; i++)
		if (!declare(s, s->o->routes[i].exchange, err, errsz))
			return false;
	return true;
}

static bool connect_broker(struct amqp_sink *s, char *err, size_t errsz)
{
	struct amqp_connection_info ci;
	struct timeval tv = {s->o->timeout_ms / 1000, (s->o->timeout_ms % 1000) * 1000};
	char *url = xstrdup(s->o->amqp_url);
	amqp_socket_t *sock;
	bool ok = false;

	amqp_default_connection_info(&ci);
	if (amqp_parse_url(url, &ci) != AMQP_STATUS_OK) {
		snprintf(err, errsz, "bad amqp-url");
		goto out;
	}
	/* "amqp://host/" parses to the vhost "", which no broker has: mean "/". */
	if (ci.vhost == NULL || ci.vhost[0] == '\0')
		ci.vhost = "/";
	s->conn = amqp_new_connection();
	if ((sock = amqp_tcp_socket_new(s->conn)) == NULL) {
		snprintf(err, errsz, "no socket");
		goto out;
	}
	amqp_set_rpc_timeout(s->conn, &tv);
	if (amqp_socket_open_noblock(sock, ci.host, ci.port, &tv) != AMQP_STATUS_OK) {
		snprintf(err, errsz, "connect %s:%d: refused or timed out", ci.host, ci.port);
		goto out;
	}
	if ((ok = open_channel(s, &ci, err, errsz)))
		s->next_tag = 1;
out:
	free(url);
	if (!ok)
		drop(s);
	else
		atomic_store(&relay_stats.amqp_connected, 1);
	return ok;
}

static bool publish(struct amqp_sink *s, const struct cp_event *ev, const char *body)
{
	const struct relay_route *rt = &s->o->routes[0];
	amqp_basic_properties_t p;

	for (size_t i = 0; cp_event_types[i] != NULL; i++)
		if (strcmp(cp_event_types[i], ev->type) == 0)
			rt = &s->o->routes[i];
	memset(&p, 0, sizeof p);
	p._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG |
		   AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_TYPE_FLAG | AMQP_BASIC_TIMESTAMP_FLAG;
	p.content_type = amqp_cstring_bytes("application/json");
	p.delivery_mode = AMQP_DELIVERY_PERSISTENT;
	p.message_id = amqp_cstring_bytes(ev->event_id);
	p.type = amqp_cstring_bytes(ev->type);
	p.timestamp = (uint64_t)ev->at;
	return amqp_basic_publish(s->conn, 1, amqp_cstring_bytes(rt->exchange),
				  amqp_cstring_bytes(rt->key), s->o->amqp_mandatory, 0, &p,
				  amqp_cstring_bytes(body)) == AMQP_STATUS_OK;
}

/* Confirmation state of one batch: per event, pending, confirmed or refused. */
enum { C_PENDING, C_OK, C_BAD };
struct confirm {
	uint64_t first; /* delivery tag of ev[0] */
	size_t n;
	const struct cp_event *ev;
	unsigned char state[RELAY_BATCH_MAX];
};

static void on_ack(struct confirm *c, uint64_t tag, bool multiple, unsigned char to)
{
	for (size_t i = 0; i < c->n; i++) {
		uint64_t t = c->first + i;

		/* A returned message is acked too: its refusal stands. */
		if ((t == tag || (multiple && t < tag)) && c->state[i] == C_PENDING)
			c->state[i] = to;
	}
}

/* The message of a basic.return, matched to its event by message id. */
static void on_return(struct amqp_sink *s, struct confirm *c, amqp_channel_t ch)
{
	amqp_message_t m;
	amqp_bytes_t id;

	if (amqp_read_message(s->conn, ch, &m, 0).reply_type != AMQP_RESPONSE_NORMAL)
		return;
	id = m.properties.message_id;
	for (size_t i = 0; i < c->n; i++)
		if ((m.properties._flags & AMQP_BASIC_MESSAGE_ID_FLAG) &&
		    id.len == strlen(c->ev[i].event_id) &&
		    memcmp(id.bytes, c->ev[i].event_id, id.len) == 0)
			c->state[i] = C_BAD;
	amqp_destroy_message(&m);
}

/* Reads one frame; false on a timeout, a lost connection or a closed channel. */
static bool wait_confirm(struct amqp_sink *s, struct confirm *c, char *err, size_t errsz)
{
	struct timeval tv = {s->o->timeout_ms / 1000, (s->o->timeout_ms % 1000) * 1000};
	amqp_frame_t f;
	int rc = amqp_simple_wait_frame_noblock(s->conn, &f, &tv);

	if (rc != AMQP_STATUS_OK)
		return snprintf(err, errsz, "waiting for confirms: %s", amqp_error_string2(rc)), false;
	if (f.frame_type != AMQP_FRAME_METHOD)
		return true;
	switch (f.payload.method.id) {
	case AMQP_BASIC_ACK_METHOD: {
		amqp_basic_ack_t *a = f.payload.method.decoded;
		on_ack(c, a->delivery_tag, a->multiple, C_OK);
		return true;
	}
	case AMQP_BASIC_NACK_METHOD: {
		amqp_basic_nack_t *a = f.payload.method.decoded;
		on_ack(c, a->delivery_tag, a->multiple, C_BAD);
		snprintf(err, errsz, "the broker nacked a message");
		return true;
	}
	case AMQP_BASIC_RETURN_METHOD:
		/* Unroutable: no queue is bound for its routing key. */
		snprintf(err, errsz, "unroutable: no queue bound for the routing key (mandatory)");
		on_return(s, c, f.channel);
		return true;
	}
	snprintf(err, errsz, "the broker closed the channel or connection");
	return false;
}

static bool settled(const struct confirm *c, size_t sent)
{
	for (size_t i = 0; i < sent; i++)
		if (c->state[i] == C_PENDING)
			return false;
	return true;
}

size_t amqp_sink_publish(struct amqp_sink *s, const struct cp_event *ev,
			 char (*body)[RELAY_JSON_MAX], size_t n, char *err, size_t errsz)
{
	struct confirm c;
	size_t sent = 0, done = 0;

	if (s->conn == NULL && !connect_broker(s, err, errsz))
		return 0;
	memset(&c, 0, sizeof c);
	c.first = s->next_tag;
	c.n = n < RELAY_BATCH_MAX ? n : RELAY_BATCH_MAX;
	c.ev = ev;
	while (sent < c.n && publish(s, &ev[sent], body[sent]))
		sent++;
	s->next_tag += sent;
	if (sent < c.n)
		snprintf(err, errsz, "publish failed: connection lost");
	while (!settled(&c, sent) && wait_confirm(s, &c, err, errsz))
		;
	while (done < sent && c.state[done] == C_OK)
		done++;
	if (done < n)
		drop(s); /* the rest is in an unknown state: start clean */
	return done;
}
