/*
 * Addresses are held as 16 bytes, IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d), so
 * one comparison serves both families; an IPv4 CIDR /n is a /96+n there.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "xmalloc.h"

#define ADDR_TEXT_MAX 64

struct net {
	unsigned char a[16];
	unsigned int bits;
};

struct client_nets {
	size_t n;
	struct net *v;
};

static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static bool is_v4(const unsigned char *a)
{
	return memcmp(a, v4_mapped, sizeof v4_mapped) == 0;
}

/* S[0..len) as an address; "[v6]", "[v6]:port" and "v4:port" are accepted too. */
static bool parse_addr(const char *s, size_t len, unsigned char out[16])
{
	char t[ADDR_TEXT_MAX];
	const char *colon;

	while (len > 0 && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len > 0 && *s == '[') {
		const char *end = memchr(s, ']', len);

		if (end == NULL)
			return false;
		s++;
		len = (size_t)(end - s);
	} else if ((colon = memchr(s, ':', len)) != NULL && memchr(s, '.', len) != NULL &&
		   memchr(colon + 1, ':', len - (size_t)(colon + 1 - s)) == NULL) {
		len = (size_t)(colon - s); /* a.b.c.d:port */
	}
	if (len == 0 || len >= sizeof t)
		return false;
	memcpy(t, s, len);
	t[len] = '\0';
	if (inet_pton(AF_INET, t, out + 12) == 1) {
		memcpy(out, v4_mapped, sizeof v4_mapped);
		return true;
	}
	return inet_pton(AF_INET6, t, out) == 1;
}

static void mask(unsigned char a[16], unsigned int bits)
{
	for (unsigned int i = 0; i < 16; i++) {
		unsigned int keep = bits >= 8 * (i + 1) ? 8 : bits > 8 * i ? bits - 8 * i : 0;

		a[i] &= (unsigned char)(0xff00u >> keep);
	}
}

static bool in_net(const unsigned char a[16], const struct net *n)
{
	unsigned char t[16];

	memcpy(t, a, sizeof t);
	mask(t, n->bits);
	return memcmp(t, n->a, sizeof t) == 0;
}

static bool trusted(const struct client_nets *ns, const unsigned char a[16])
{
	for (size_t i = 0; ns != NULL && i < ns->n; i++)
		if (in_net(a, &ns->v[i]))
			return true;
	return false;
}

static bool parse_net(const char *s, size_t len, struct net *n)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = slash != NULL ? (size_t)(slash - s) : len;
	unsigned long bits;
	char digits[4], *end;

	if (!parse_addr(s, alen, n->a))
		return false;
	n->bits = 128;
	if (slash != NULL) {
		size_t dlen = len - alen - 1;

		if (dlen == 0 || dlen >= sizeof digits || slash[1] < '0' || slash[1] > '9')
			return false;
		memcpy(digits, slash + 1, dlen);
		digits[dlen] = '\0';
		bits = strtoul(digits, &end, 10);
		if (*end != '\0' || bits > (is_v4(n->a) ? 32u : 128u))
			return false;
		n->bits = (unsigned int)bits + (is_v4(n->a) ? 96 : 0);
	}
	mask(n->a, n->bits);
	return true;
}

struct client_nets *client_nets_parse(const char *trusted_list, char *err, size_t errsz)
{
	struct client_nets *ns = xcalloc(1, sizeof *ns);
	const char *p = trusted_list != NULL ? trusted_list : "";

	while (*p != '\0') {
		size_t len = strcspn(p, ",");
		const char *q = p;

		size_t tlen;

		while (len > 0 && (*q == ' ' || *q == '\t'))
			q++, len--;
		for (tlen = len; tlen > 0 && (q[tlen - 1] == ' ' || q[tlen - 1] == '\t');)
			tlen--;
		if (tlen > 0) {
			ns->v = xreallocarray(ns->v, ns->n + 1, sizeof *ns->v);
			if (!parse_net(q, tlen, &ns->v[ns->n])) {
				snprintf(err, errsz, "trusted-proxies: '%.*s' is not an address or CIDR",
					 (int)(tlen > 64 ? 64 : tlen), q);
				client_nets_free(ns);
				return NULL;
			}
			ns->n++;
		}
		p = q + len;
		if (*p == ',')
			p++;
	}
	return ns;
}

void client_nets_free(struct client_nets *ns)
{
	if (ns == NULL)
		return;
	free(ns->v);
	free(ns);
}

/* The right-most hop of XFF that is not trusted, walking left from the peer A. */
static void through_proxies(const struct client_nets *ns, const char *xff, unsigned char a[16])
{
	size_t end = strlen(xff);

	while (trusted(ns, a) && end > 0) {
		size_t start = end;
		unsigned char hop[16];

		while (start > 0 && xff[start - 1] != ',')
			start--;
		/* An unreadable hop was written by nobody we trust: stop at the last one we do. */
		if (!parse_addr(xff + start, end - start, hop))
			return;
		memcpy(a, hop, sizeof hop);
		end = start > 0 ? start - 1 : 0;
	}
}

void client_key(const struct client_nets *ns, unsigned int v6_prefix, const char *remote,
		const char *xff, char out[CLIENT_KEY_MAX])
{
	unsigned char a[16];
	char text[INET6_ADDRSTRLEN];

	if (remote == NULL || !parse_addr(remote, strlen(remote), a)) {
		snprintf(out, CLIENT_KEY_MAX, "?%.40s", remote != NULL ? remote : "");
		return;
	}
	if (xff != NULL)
		through_proxies(ns, xff, a);
	if (is_v4(a)) {
		inet_ntop(AF_INET, a + 12, text, sizeof text);
		snprintf(out, CLIENT_KEY_MAX, "%s", text);
		return;
	}
	mask(a, v6_prefix);
	inet_ntop(AF_INET6, a, text, sizeof text);
	snprintf(out, CLIENT_KEY_MAX, "%s/%u", text, v6_prefix);
}
