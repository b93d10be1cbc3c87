/*
 * Who a request comes from, as the rate limiter counts it: the peer address, or
 * behind trusted proxies the right-most untrusted hop of X-Forwarded-For. IPv4
 * clients are counted per address, IPv6 clients per prefix (a /64 by default: one
 * subscriber usually holds a whole /64 and can pick any address in it).
 */
#ifndef CLIENT_H
#define CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#define CLIENT_KEY_MAX 48 /* "ffff:...:ffff/128" and a NUL */

struct client_nets;

/*
 * Parses TRUSTED ("CIDR,CIDR,...", NULL or "" for none; a bare address is a /32
 * or /128). NULL with a message in ERR on a malformed entry.
 */
struct client_nets *client_nets_parse(const char *trusted, char *err, size_t errsz);
void client_nets_free(struct client_nets *);

/*
 * The client behind REMOTE (REMOTE_ADDR) and XFF (X-Forwarded-For, NULL when
 * absent), written to OUT as the limiter's key: "192.0.2.7" or "2001:db8:1:2::/64".
 * XFF is read only when REMOTE is trusted, from the right, skipping trusted hops.
 */
void client_key(const struct client_nets *, unsigned int v6_prefix, const char *remote,
		const char *xff, char out[CLIENT_KEY_MAX]);

#endif
