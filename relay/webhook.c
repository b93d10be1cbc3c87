/*
 * The webhook sink (libcurl): one POST per event, in order, over a kept-alive
 * connection. Each request is signed with HMAC-SHA256 under the shared secret
 * over "T.BODY", T being the Unix time of sending (header X-Coupon-Signature:
 * t=T,v1=HEX), so the receiver can tell our events from forged ones and refuse
 * a captured request replayed later (doc/WEBHOOKS.md: a skew of five minutes);
 * X-Coupon-Event-Id carries the id to drop duplicates by. Anything but a 2xx
 * answer is a failure.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>

#include "relay.h"
#include "text.h"
#include "xmalloc.h"

struct webhook_sink {
	const struct relay_opts *o;
	CURL *curl;
};

/* The answer's body is not used; reading it keeps the connection reusable. */
static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

struct webhook_sink *webhook_sink_create(const struct relay_opts *o)
{
	struct webhook_sink *w = xcalloc(1, sizeof *w);

	w->o = o;
	if ((w->curl = curl_easy_init()) == NULL) {
		free(w);
		return NULL;
	}
	curl_easy_setopt(w->curl, CURLOPT_URL, o->webhook_url);
	curl_easy_setopt(w->curl, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
	curl_easy_setopt(w->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)o->timeout_ms);
	curl_easy_setopt(w->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(w->curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(w->curl, CURLOPT_USERAGENT, "coupon-relay/" PACKAGE_VERSION);
	/* Redirects could move a signed event somewhere else: refuse them. */
	curl_easy_setopt(w->curl, CURLOPT_FOLLOWLOCATION, 0L);
	return w;
}

void webhook_sink_free(struct webhook_sink *w)
{
	if (w == NULL)
		return;
	curl_easy_cleanup(w->curl);
	free(w);
}

bool webhook_signature(const char *key, size_t keylen, time_t t, const char *body, size_t len,
		       char *out, size_t outsz)
{
	OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
								(char *)"SHA256", 0),
			       OSSL_PARAM_construct_end()};
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	char stamp[24];
	size_t mdlen = 0;
	int n = snprintf(stamp, sizeof stamp, "%lld.", (long long)t), at;
	bool ok = ctx != NULL && EVP_MAC_init(ctx, (const unsigned char *)key, keylen, params) &&
		  EVP_MAC_update(ctx, (const unsigned char *)stamp, (size_t)n) &&
		  EVP_MAC_update(ctx, (const unsigned char *)body, len) &&
		  EVP_MAC_final(ctx, md, &mdlen, sizeof md);

	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	at = snprintf(out, outsz, "t=%.*s,v1=", n - 1, stamp);
	if (!ok || at < 0 || (size_t)at + 2 * mdlen >= outsz)
		return false;
	text_hex(out + at, md, mdlen);
	return true;
}

static struct curl_slist *headers(const struct webhook_sink *w, const struct cp_event *ev,
				  const char *body)
{
	struct curl_slist *h = NULL;
	char line[160], sig[WEBHOOK_SIG_MAX];

	if (!webhook_signature(w->o->webhook_secret, w->o->webhook_secret_len, time(NULL), body,
			       strlen(body), sig, sizeof sig))
		return NULL;
	h = curl_slist_append(h, "Content-Type: application/json");
	/* No "Expect: 100-continue" round trip for small bodies. */
	h = curl_slist_append(h, "Expect:");
	snprintf(line, sizeof line, "X-Coupon-Signature: %s", sig);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof line, "X-Coupon-Event-Id: %s", ev->event_id);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof line, "X-Coupon-Event: %s", ev->type);
	return curl_slist_append(h, line);
}

static bool post(struct webhook_sink *w, const struct cp_event *ev, const char *body, char *err,
		 size_t errsz)
{
	struct curl_slist *h = headers(w, ev, body);
	long code = 0;
	CURLcode rc;

	if (h == NULL)
		return snprintf(err, errsz, "webhook: cannot sign the request (libcrypto)"), false;

	curl_easy_setopt(w->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(w->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(w->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	rc = curl_easy_perform(w->curl);
	curl_slist_free_all(h);
	if (rc != CURLE_OK)
		return snprintf(err, errsz, "webhook: %s", curl_easy_strerror(rc)), false;
	curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 200 && code < 300)
		return true;
	snprintf(err, errsz, "webhook answered HTTP %ld", code);
	return false;
}

size_t webhook_sink_post(struct webhook_sink *w, const struct cp_event *ev,
			 char (*body)[RELAY_JSON_MAX], size_t n, double deadline, char *err,
			 size_t errsz)
{
	size_t done = 0;

	while (done < n && relay_now() < deadline && post(w, &ev[done], body[done], err, errsz))
		done++;
	return done;
}
