/*
 * Test helper, RabbitMQ side: "setup" declares the exchange the relay publishes
 * to and a durable queue bound to every event type; "drain" takes every
 * message off that queue (basic.get until empty) and prints its message id
 * (the event id), one a line.
 *
 *   consumer setup|drain HOST PORT EXCHANGE QUEUE
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <amqp.h>
#include <amqp_tcp_socket.h>

static void die_on(amqp_rpc_reply_t r, const char *what)
{
	if (r.reply_type == AMQP_RESPONSE_NORMAL)
		return;
	fprintf(stderr, "consumer: %s failed (reply type %d)\n", what, r.reply_type);
	exit(1);
}

static void drain(amqp_connection_state_t c, amqp_bytes_t q)
{
	for (;;) {
		amqp_rpc_reply_t r = amqp_basic_get(c, 1, q, 1);
		amqp_message_t m;

		die_on(r, "basic.get");
		if (r.reply.id == AMQP_BASIC_GET_EMPTY_METHOD)
			return;
		die_on(amqp_read_message(c, 1, &m, 0), "read message");
		printf("%.*s\n", (int)m.properties.message_id.len,
		       (const char *)m.properties.message_id.bytes);
		amqp_destroy_message(&m);
	}
}

int main(int argc, char **argv)
{
	amqp_connection_state_t c;
	amqp_socket_t *s;
	amqp_bytes_t q;

	if (argc != 6 || (strcmp(argv[1], "setup") != 0 && strcmp(argv[1], "drain") != 0))
		return fprintf(stderr, "usage: consumer setup|drain HOST PORT EXCHANGE QUEUE\n"), 2;
	c = amqp_new_connection();
	s = amqp_tcp_socket_new(c);
	if (amqp_socket_open(s, argv[2], atoi(argv[3])) != AMQP_STATUS_OK)
		return fprintf(stderr, "consumer: cannot connect\n"), 1;
	die_on(amqp_login(c, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest"), "login");
	amqp_channel_open(c, 1);
	die_on(amqp_get_rpc_reply(c), "channel");
	q = amqp_cstring_bytes(argv[5]);
	if (strcmp(argv[1], "setup") == 0) {
		amqp_exchange_declare(c, 1, amqp_cstring_bytes(argv[4]), amqp_cstring_bytes("topic"),
				      0, 1, 0, 0, amqp_empty_table);
		die_on(amqp_get_rpc_reply(c), "exchange.declare");
		amqp_queue_declare(c, 1, q, 0, 1, 0, 0, amqp_empty_table);
		die_on(amqp_get_rpc_reply(c), "queue.declare");
		amqp_queue_bind(c, 1, q, amqp_cstring_bytes(argv[4]), amqp_cstring_bytes("#"),
				amqp_empty_table);
		die_on(amqp_get_rpc_reply(c), "queue.bind");
	} else {
		drain(c, q);
	}
	amqp_channel_close(c, 1, AMQP_REPLY_SUCCESS);
	amqp_connection_close(c, AMQP_REPLY_SUCCESS);
	amqp_destroy_connection(c);
	return 0;
}
