/*
 * coupon-fcgi's request handling without a web server or database: form and
 * JSON bodies against field tables (UTF-8 and control characters), path
 * decoding, media types, the rate limiter, and api_serve() for every refusal
 * that comes before authentication.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "client.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit.h"
#include "testlib.h"
#include "xmalloc.h"

enum { S_CODE, S_USER, S_TTL, S_FLAG };
static const struct field fields[] = {
	{"code", FT_STR, S_CODE, 16, true},
	{"user", FT_STR, S_USER, 8, false},
	{"ttl", FT_UINT, S_TTL, 100, false},
	{"flag", FT_BOOL, S_FLAG, 0, false},
	{NULL, FT_STR, 0, 0, false},
};

static const struct {
	int line;
	const char *body;
	enum cp_status want;
	const char *msg_has, *code, *user;
	uint64_t ttl;
} jsons[] = {
	{__LINE__, "{\"code\":\"AB\"}", CP_OK, NULL, "AB", NULL, 0},
	{__LINE__, " {\"code\":\"AB\",\"user\":\"u\",\"ttl\":7,\"flag\":true} \n", CP_OK, NULL, "AB", "u", 7},
	{__LINE__, "{\"code\":\"A\\u00e9\"}", CP_OK, NULL, "A\xc3\xa9", NULL, 0},
	{__LINE__, "{\"code\":\"AB\",\"user\":null}", CP_OK, NULL, "AB", NULL, 0},
	{__LINE__, "{\"code\":\"AB\"", CP_E_INVALID_ARGUMENT, "invalid JSON", NULL, NULL, 0},
	{__LINE__, "{\"code\":\"AB\"}x", CP_E_INVALID_ARGUMENT, "invalid JSON", NULL, NULL, 0},
	{__LINE__, "{\"code\":\"AB\"}{}", CP_E_INVALID_ARGUMENT, "invalid JSON", NULL, NULL, 0},
	{__LINE__, "[\"AB\"]", CP_E_INVALID_ARGUMENT, "object", NULL, NULL, 0},
	{__LINE__, "null", CP_E_INVALID_ARGUMENT, "object", NULL, NULL, 0},
	{__LINE__, "", CP_E_INVALID_ARGUMENT, "empty", NULL, NULL, 0},
	{__LINE__, "{}", CP_E_INVALID_ARGUMENT, "'code' is required", NULL, NULL, 0},
	{__LINE__, "{\"code\":null}", CP_E_INVALID_ARGUMENT, "must be a string", NULL, NULL, 0},
	{__LINE__, "{\"code\":\"AB\",\"x\":1}", CP_E_INVALID_ARGUMENT, "unknown field 'x'", NULL, NULL, 0},
	{__LINE__, "{\"code\":\"AB\",\"code\":\"CD\"}", CP_E_INVALID_ARGUMENT, "twice", NULL, NULL, 0},
	{__LINE__, "{\"code\":1}", CP_E_INVALID_ARGUMENT, "must be a string", NULL, NULL, 0},
	{__LINE__, "{\"code\":\"AB\",\"ttl\":\"7\"}", CP_E_INVALID_ARGUMENT, "must be a number", NULL, NULL, 0},
	{__LINE__, "{\"code\":\"AB\",\"ttl\":101}", CP_E_INVALID_ARGUMENT, "from 0 to 100", NULL, NULL, 0},
	{__LINE__, "{\"code\":\"AB\",\"ttl\":-1}", CP_E_INVALID_ARGUMENT, "from 0 to 100", NULL, NULL, 0},
	{__LINE__, "{\"code\":\"AB\",\"ttl\":1.5}", CP_E_INVALID_ARGUMENT, "from 0 to 100", NULL, NULL, 0},
	{__LINE__, "{\"code\":\"AB\",\"ttl\":1e999}", CP_E_INVALID_ARGUMENT, "from 0 to 100", NULL, NULL, 0},
	{__LINE__, "{\"code\":\"AB\",\"flag\":1}", CP_E_INVALID_ARGUMENT, "true or false", NULL, NULL, 0},
	{__LINE__, "{\"code\":\"0123456789abcdefX\"}", CP_E_INVALID_ARGUMENT, "too long", NULL, NULL, 0},
	{__LINE__, "{\"code\":\"AB\",\"user\":\"a\\u0001\"}", CP_E_INVALID_ARGUMENT, "control", NULL, NULL, 0},
	{__LINE__, "{\"code\":\"AB\",\"user\":\"a\\u0000b\"}", CP_E_INVALID_ARGUMENT, "\\u0000", NULL, NULL, 0},
	{__LINE__, "{\"code\":\"AB\",\"user\":\"a\\\\u0000\"}", CP_OK, NULL, "AB", "a\\u0000", 0},
	{__LINE__, "{\"code\":\"AB\",\"user\":\"\\ud800\"}", CP_E_INVALID_ARGUMENT, NULL, NULL, NULL, 0},
	{__LINE__, "{\"code\":\"AB\",\"user\":\"\xff\"}", CP_E_INVALID_ARGUMENT, "UTF-8", NULL, NULL, 0},
	{__LINE__, "{\"code\":\"A\tB\"}", CP_E_INVALID_ARGUMENT, NULL, NULL, NULL, 0},
	{__LINE__, "{\"code\":\"AB\",\"\xc3\xa9\":1}", CP_E_INVALID_ARGUMENT, "unknown field", NULL, NULL, 0},
};

static const struct {
	int line;
	const char *body;
	enum cp_status want;
	const char *msg_has, *code, *user;
} forms[] = {
	{__LINE__, "code=AB&user=u", CP_OK, NULL, "AB", "u"},
	{__LINE__, "code=A+B%2dC&user=%C3%A9", CP_OK, NULL, "A B-C", "\xc3\xa9"},
	{__LINE__, "&code=AB&&", CP_OK, NULL, "AB", NULL},
	{__LINE__, "code", CP_OK, NULL, "", NULL},
	{__LINE__, "co%64e=AB", CP_OK, NULL, "AB", NULL},
	{__LINE__, "code=AB&code=CD", CP_E_INVALID_ARGUMENT, "twice", NULL, NULL},
	{__LINE__, "code=AB&evil=1", CP_E_INVALID_ARGUMENT, "unknown field 'evil'", NULL, NULL},
	{__LINE__, "user=u", CP_E_INVALID_ARGUMENT, "'code' is required", NULL, NULL},
	{__LINE__, "code=A%2", CP_E_INVALID_ARGUMENT, "escape", NULL, NULL},
	{__LINE__, "code=A%ZZ", CP_E_INVALID_ARGUMENT, "escape", NULL, NULL},
	{__LINE__, "code=A%00B", CP_E_INVALID_ARGUMENT, "NUL", NULL, NULL},
	{__LINE__, "code=A%01B", CP_E_INVALID_ARGUMENT, "control", NULL, NULL},
	{__LINE__, "code=%FF", CP_E_INVALID_ARGUMENT, "UTF-8", NULL, NULL},
	{__LINE__, "code=AB&user=123456789", CP_E_INVALID_ARGUMENT, "too long", NULL, NULL},
	{__LINE__, "code=AB&ttl=x", CP_E_INVALID_ARGUMENT, "integer", NULL, NULL},
	{__LINE__, "code=AB&flag=maybe", CP_E_INVALID_ARGUMENT, "true or false", NULL, NULL},
};

static bool str_is(const struct param *p, const char *want)
{
	if (want == NULL)
		return !p->set;
	return p->set && strlen(want) == p->len && memcmp(p->s, want, p->len) == 0;
}

static void test_json(void)
{
	for (size_t i = 0; i < sizeof jsons / sizeof jsons[0]; i++) {
		struct params ps;
		struct cp_err e;
		enum cp_status st;
		int line = jsons[i].line;

		cp_err_clear(&e);
		st = http_parse_json(jsons[i].body, strlen(jsons[i].body), fields, false, &ps, &e);
		CHECK_AT(line, st == jsons[i].want, "status %s, want %s (%s)", cp_status_code(st),
			 cp_status_code(jsons[i].want), e.msg);
		if (jsons[i].msg_has != NULL)
			CHECK_AT(line, strstr(e.msg, jsons[i].msg_has) != NULL, "message '%s'", e.msg);
		if (st == CP_OK) {
			CHECK_AT(line, str_is(&ps.v[S_CODE], jsons[i].code), "code");
			CHECK_AT(line, str_is(&ps.v[S_USER], jsons[i].user), "user");
			CHECK_AT(line, ps.v[S_TTL].u == jsons[i].ttl, "ttl");
		}
		params_free(&ps);
	}
}

static void test_form(void)
{
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		struct params ps;
		struct cp_err e;
		enum cp_status st;
		int line = forms[i].line;

		cp_err_clear(&e);
		st = http_parse_form(forms[i].body, strlen(forms[i].body), fields, &ps, &e);
		CHECK_AT(line, st == forms[i].want, "status %s (%s)", cp_status_code(st), e.msg);
		if (forms[i].msg_has != NULL)
			CHECK_AT(line, strstr(e.msg, forms[i].msg_has) != NULL, "message '%s'", e.msg);
		if (st == CP_OK) {
			CHECK_AT(line, str_is(&ps.v[S_CODE], forms[i].code), "code");
			CHECK_AT(line, str_is(&ps.v[S_USER], forms[i].user), "user");
		}
		params_free(&ps);
	}
}

static void test_small(void)
{
	struct http_req r;
	struct cp_err e;
	struct buf b;

	CHECK(http_media_type_is("application/json", "application/json"), "plain type");
	CHECK(http_media_type_is("Application/JSON; charset=utf-8", "application/json"), "params");
	CHECK(!http_media_type_is("application/jsonx", "application/json"), "prefix only");
	CHECK(!http_media_type_is(NULL, "application/json"), "absent");
	CHECK(http_accepts("text/html, application/json;q=0.9", "application/json"), "accept list");
	CHECK(!http_accepts("text/html", "application/json"), "accept html");
	CHECK(!http_accepts(NULL, "application/json"), "accept absent");

	memset(&r, 0, sizeof r);
	r.uri = "/api/v1/codes/AB%2DCD?x=1";
	CHECK(http_req_path(&r, &e) == CP_OK && strcmp(r.path, "/api/v1/codes/AB-CD") == 0 &&
	      strcmp(r.query, "x=1") == 0, "path and query");
	r.uri = "/a%00b";
	CHECK(http_req_path(&r, &e) == CP_E_INVALID_ARGUMENT, "NUL in the path");
	r.uri = "/a%G0";
	CHECK(http_req_path(&r, &e) == CP_E_INVALID_ARGUMENT, "bad escape");
	r.uri = "/api/v1/codes/AB%2fexpire";
	CHECK(http_req_path(&r, &e) == CP_E_INVALID_ARGUMENT, "escaped slash");
	r.uri = "/api/v1/campaigns/1/codes.csv?x=%2F";
	CHECK(http_req_path(&r, &e) == CP_OK, "escaped slash in the query is fine");
	r.uri = "relative";
	CHECK(http_req_path(&r, &e) == CP_E_INVALID_ARGUMENT, "relative path");

	buf_init(&b);
	buf_json_str(&b, "a\"\\\n\x01", 5);
	CHECK(strcmp(b.p, "\"a\\\"\\\\\\u000a\\u0001\"") == 0, "JSON escaping: %s", b.p);
	buf_reset(&b);
	buf_json_str(&b, "\x7f\xff", 2);
	CHECK(strcmp(b.p, "\"\\u007f\xef\xbf\xbd\"") == 0, "JSON: DEL escaped, bad byte replaced: %s",
	      b.p);
	buf_reset(&b);
	buf_html(&b, "<a href='x'>&\"", 14);
	CHECK(strcmp(b.p, "&lt;a href=&#39;x&#39;&gt;&amp;&quot;") == 0, "HTML escaping: %s", b.p);
	buf_free(&b);
}

/* A refusal names its field; one that concerns none has no "field". */
static void test_error_field(void)
{
	struct http_resp resp;

	http_resp_init(&resp);
	reply_error_field(&resp, CP_E_INVALID_ARGUMENT, "starts_at", "not a time");
	CHECK(resp.status == 400 && strcmp(resp.body.p, "{\"error\":{\"code\":\"invalid_argument\","
						   "\"message\":\"not a time\",\"field\":\"starts_at\"}}\n") == 0,
	      "with a field: %s", resp.body.p);
	http_resp_reset(&resp);
	reply_error_field(&resp, CP_E_CONFLICT, "", NULL);
	CHECK(strstr(resp.body.p, "\"field\"") == NULL, "without: %s", resp.body.p);
	http_resp_free(&resp);
}

static void test_ratelimit(void)
{
	struct ratelimit *rl = rl_create(64);
	unsigned long tracked, evicted, untracked;
	time_t t = 1000000020; /* 20 s into a window */
	char key[32];

	for (int i = 0; i < 3; i++) {
		CHECK(rl_check(rl, "a:1", 3, 3, t) == 0, "under the limit after %d failures", i);
		rl_fail(rl, "a:1", 3, 3, t);
	}
	CHECK(rl_check(rl, "a:1", 3, 3, t) > 0, "limited after 3 failures");
	CHECK(rl_check(rl, "a:1", 3, 3, t) <= 120, "Retry-After bounded");
	CHECK(rl_check(rl, "a:1", 3, 4, t) == 0, "another space's limit is its own");
	CHECK(rl_check(rl, "a:2", 3, 3, t) == 0, "other keys are not limited");
	/* The previous minute still weighs on the next; two minutes later it is gone. */
	CHECK(rl_check(rl, "a:1", 3, 3, t + 45) > 0, "still limited early in the next window");
	CHECK(rl_check(rl, "a:1", 3, 3, t + 150) == 0, "free two windows later");
	/* Far more keys than slots: memory stays bounded and old entries give way. */
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof key, "u:%d", i);
		rl_fail(rl, key, strlen(key), 3, t + 200);
	}
	rl_stats(rl, &tracked, &evicted, &untracked);
	CHECK(tracked <= 64, "tracked %lu <= slots", tracked);
	CHECK(evicted > 0, "entries were evicted");
	rl_free(rl);
}

/*
 * A million distinct sources, each failing once, as a flood of spoofed or rotated
 * addresses would, on the table size coupon-fcgi uses: the attacker who went over
 * the limit before the flood is still refused after it, and memory did not grow.
 */
static void test_ratelimit_flood(void)
{
	struct ratelimit *rl = rl_create(16384);
	unsigned long tracked, evicted, untracked;
	time_t t = 1000000000;
	char key[32];

	for (int i = 0; i < 30; i++)
		rl_fail(rl, "fa:198.51.100.7", 15, 30, t);
	CHECK(rl_check(rl, "fa:198.51.100.7", 15, 30, t) > 0, "the attacker is refused");
	for (unsigned int i = 0; i < 1000000; i++) {
		snprintf(key, sizeof key, "fa:10.%u.%u.%u", i >> 16 & 0xff, i >> 8 & 0xff, i & 0xff);
		/* Later than the attacker's last failure: the attacker is the oldest entry. */
		rl_fail(rl, key, strlen(key), 30, t + 1 + (time_t)(i / 100000));
	}
	CHECK(rl_check(rl, "fa:198.51.100.7", 15, 30, t + 11) > 0,
	      "the attacker is still refused after a million other sources");
	rl_stats(rl, &tracked, &evicted, &untracked);
	CHECK(tracked <= 16384, "tracked %lu <= slots", tracked);
	CHECK(evicted > 900000, "the flood evicted itself (%lu)", evicted);
	rl_free(rl);
}

static const struct {
	int line;
	const char *trusted, *remote, *xff;
	unsigned int prefix;
	const char *want;
} clients[] = {
	{__LINE__, NULL, "192.0.2.7", NULL, 64, "192.0.2.7"},
	{__LINE__, NULL, "192.0.2.7", "203.0.113.9", 64, "192.0.2.7"},      /* untrusted peer */
	{__LINE__, NULL, "2001:db8:1:2:aaaa::1", NULL, 64, "2001:db8:1:2::/64"},
	{__LINE__, NULL, "2001:db8:1:2:bbbb::9", NULL, 64, "2001:db8:1:2::/64"},
	{__LINE__, NULL, "2001:db8:1:2:bbbb::9", NULL, 56, "2001:db8:1::/56"},
	{__LINE__, NULL, "2001:db8:1:2:bbbb::9", NULL, 128, "2001:db8:1:2:bbbb::9/128"},
	{__LINE__, NULL, "::ffff:192.0.2.7", NULL, 64, "192.0.2.7"},       /* IPv4-mapped */
	{__LINE__, NULL, "::1", NULL, 64, "::/64"},
	{__LINE__, NULL, "unix:", NULL, 64, "?unix:"},
	{__LINE__, "10.0.0.0/8", "10.1.2.3", "203.0.113.9", 64, "203.0.113.9"},
	{__LINE__, "10.0.0.0/8", "10.1.2.3", "1.1.1.1, 203.0.113.9", 64, "203.0.113.9"},
	/* The right-most untrusted hop: what the client wrote on the left is not believed. */
	{__LINE__, "10.0.0.0/8", "10.1.2.3", "1.1.1.1, 203.0.113.9, 10.9.9.9", 64, "203.0.113.9"},
	{__LINE__, "10.0.0.0/8", "10.1.2.3", "10.2.2.2,10.3.3.3", 64, "10.2.2.2"},
	{__LINE__, "10.0.0.0/8", "10.1.2.3", "garbage, 203.0.113.9", 64, "203.0.113.9"},
	{__LINE__, "10.0.0.0/8", "10.1.2.3", "203.0.113.9, garbage", 64, "10.1.2.3"},
	{__LINE__, "10.0.0.0/8", "10.1.2.3", "", 64, "10.1.2.3"},
	{__LINE__, "10.0.0.0/8", "10.1.2.3", "[2001:db8::5]:4711", 64, "2001:db8::/64"},
	{__LINE__, "10.0.0.0/8", "10.1.2.3", "203.0.113.9:4711", 64, "203.0.113.9"},
	{__LINE__, "10.0.0.0/8", "11.1.2.3", "203.0.113.9", 64, "11.1.2.3"},
	{__LINE__, "10.1.2.3", "10.1.2.3", "203.0.113.9", 64, "203.0.113.9"},
	{__LINE__, "10.1.2.3", "10.1.2.4", "203.0.113.9", 64, "10.1.2.4"},
	{__LINE__, " 192.0.2.0/24 , ::1 ", "::1", "2001:db8:5::1", 48, "2001:db8:5::/48"},
	{__LINE__, "fd00::/8", "fd12::1", "192.0.2.1", 64, "192.0.2.1"},
};

static const struct {
	int line;
	const char *trusted;
} bad_nets[] = {
	{__LINE__, "10.0.0.0/33"}, {__LINE__, "::/129"}, {__LINE__, "10.0.0.0/"},
	{__LINE__, "10.0.0.0/-1"}, {__LINE__, "example.com"}, {__LINE__, "10.0.0.0/8x"},
	{__LINE__, "1.2.3.4,nope"}, {__LINE__, "300.0.0.1"},
};

static void test_client(void)
{
	char err[128], out[CLIENT_KEY_MAX];

	for (size_t i = 0; i < sizeof clients / sizeof clients[0]; i++) {
		struct client_nets *ns = client_nets_parse(clients[i].trusted, err, sizeof err);

		if (!tl_check(__FILE__, clients[i].line, ns != NULL, "parse: %s", err))
			continue;
		client_key(ns, clients[i].prefix, clients[i].remote, clients[i].xff, out);
		CHECK_AT(clients[i].line, strcmp(out, clients[i].want) == 0, "'%s', want '%s'", out,
			 clients[i].want);
		client_nets_free(ns);
	}
	for (size_t i = 0; i < sizeof bad_nets / sizeof bad_nets[0]; i++) {
		err[0] = '\0';
		CHECK_AT(bad_nets[i].line, client_nets_parse(bad_nets[i].trusted, err, sizeof err) == NULL,
			 "'%s' accepted", bad_nets[i].trusted);
		CHECK_AT(bad_nets[i].line, strstr(err, "trusted-proxies") != NULL, "message: %s", err);
	}
}

static const struct {
	int line;
	const char *in, *want;
	size_t room;
} escapes[] = {
	{__LINE__, "plain text", "plain text", 64},
	{__LINE__, "GET /x\r\nfake: line", "GET /x\\x0d\\x0afake: line", 64},
	{__LINE__, "\x1b[31mred", "\\x1b[31mred", 64},
	{__LINE__, "tab\there", "tab\\x09here", 64},
	{__LINE__, "back\\slash", "back\\\\slash", 64},
	{__LINE__, "caf\xc3\xa9 \x9b", "caf\\xc3\\xa9 \\x9b", 64},
	{__LINE__, "del\x7f", "del\\x7f", 64},
	{__LINE__, "abc\ndef", "abc", 6},          /* an escape that does not fit is left out whole */
	{__LINE__, "abcdef", "abcd", 4},
};

/* The log: request data cannot end a line, forge another or reach a terminal raw. */
static void test_log(void)
{
	char out[64], path[] = "/tmp/test_http_log.XXXXXX", text[4096];
	int fd, saved, errnum = 0;
	ssize_t got;
	size_t lines = 0;

	for (size_t i = 0; i < sizeof escapes / sizeof escapes[0]; i++) {
		size_t n = log_escape(out, escapes[i].room, escapes[i].in);

		out[n] = '\0';
		CHECK_AT(escapes[i].line, strcmp(out, escapes[i].want) == 0, "'%s', want '%s'", out,
			 escapes[i].want);
	}
	if ((fd = mkstemp(path)) < 0 || (saved = dup(STDERR_FILENO)) < 0) {
		CHECK(false, "mkstemp or dup failed");
		return;
	}
	close(fd);
	CHECK(log_open(path, &errnum), "log_open: %d", errnum);
	log_warn("from %s: %s", "1.2.3.4\r\n2026-01-01T00:00:00.000Z coupon-fcgi[1] info: forged",
		 "\x1b]0;title\x07\x1b[2J");
	dup2(saved, STDERR_FILENO);
	close(saved);
	fd = open(path, O_RDONLY);
	got = fd >= 0 ? read(fd, text, sizeof text - 1) : -1;
	if (fd >= 0)
		close(fd);
	unlink(path);
	CHECK(got > 0, "nothing logged");
	for (ssize_t i = 0; i < got; i++) {
		lines += text[i] == '\n';
		CHECK(text[i] == '\n' || (text[i] >= 0x20 && text[i] < 0x7f), "raw byte 0x%02x logged",
		      (unsigned char)text[i]);
	}
	CHECK(lines == 1 && text[got - 1] == '\n', "%zu lines logged", lines);
}

/* http_header() at every fill level, and at the last bytes of the buffer. */
static void test_header_bounds(void)
{
	struct http_resp r;
	char v[HTTP_HEADERS_MAX + 8];
	size_t full = HTTP_HEADERS_MAX - 1;

	http_resp_init(&r);
	for (size_t len = 0; len < sizeof v - 1; len++) {
		http_resp_reset(&r);
		memset(v, 'v', len);
		v[len] = '\0';
		for (int i = 0; i < 4; i++)
			http_header(&r, "%s", v);
		CHECK(r.hlen < sizeof r.headers && r.headers[r.hlen] == '\0' &&
		      strlen(r.headers) == r.hlen, "length %zu: hlen %zu", len, r.hlen);
	}
	/* Filled to the last byte but the NUL: nothing more fits, nothing is written. */
	for (size_t used = full - 3; used <= full; used++) {
		http_resp_reset(&r);
		memset(v, 'v', used - 2);
		v[used - 2] = '\0';
		http_header(&r, "%s", v);
		CHECK(r.hlen == used, "filled to %zu: hlen %zu", used, r.hlen);
		http_header(&r, "X: %s", "y");
		http_header(&r, "%s", "");
		CHECK(r.hlen <= full && r.headers[r.hlen] == '\0' && strlen(r.headers) == r.hlen,
		      "filled to %zu, one more: hlen %zu", used, r.hlen);
		CHECK(r.status == 200, "filled to %zu: the status is intact (%d)", used, r.status);
	}
	http_resp_free(&r);
}

/* api_serve() for what is refused before any database access. */
static const struct {
	int line;
	const char *method, *uri, *ctype, *clen, *body, *accept;
	int status;
	const char *has;
	const char *origin; /* NULL: the site's own */
} serves[] = {
	{__LINE__, "GET", "/nope", NULL, NULL, "", NULL, 404, "\"not_found\"", NULL},
	{__LINE__, "GET", "/api/v1/redeem", NULL, NULL, "", NULL, 405, "method_not_allowed", NULL},
	{__LINE__, "GET", "/api/%zz", NULL, NULL, "", NULL, 400, "escape", NULL},
	{__LINE__, "POST", "/api/v1/redeem", "text/plain", "2", "{}", NULL, 415, "unsupported_media_type", NULL},
	{__LINE__, "POST", "/api/v1/redeem", NULL, "2", "{}", NULL, 415, "unsupported_media_type", NULL},
	{__LINE__, "POST", "/api/v1/redeem", "application/json", "999999", "{}", NULL, 413, "body_too_large", NULL},
	{__LINE__, "POST", "/api/v1/redeem", "application/json", "-1", "{}", NULL, 400, "Content-Length", NULL},
	{__LINE__, "POST", "/api/v1/redeem", "application/json", "1x", "{}", NULL, 400, "Content-Length", NULL},
	{__LINE__, "POST", "/api/v1/redeem", "application/json", "10", "{}", NULL, 400, "shorter", NULL},
	{__LINE__, "POST", "/api/v1/redeem", "application/json", "2", "{}", NULL, 401, "unauthorized", NULL},
	{__LINE__, "GET", "/api/v1/campaigns", NULL, "3", "abc", NULL, 400, "no body", NULL},
	/* The public form: one refusal for every failure, HTML unless JSON is asked for. */
	{__LINE__, "POST", "/redeem", "application/x-www-form-urlencoded", "9", "code=AB&x", NULL, 400, "cannot be redeemed", NULL},
	{__LINE__, "POST", "/redeem", "application/x-www-form-urlencoded", "4", "co%G", "application/json", 400, "\"invalid_code\"", NULL},
	{__LINE__, "POST", "/redeem", "application/x-www-form-urlencoded", "6", "code=A", "application/json", 400, "cannot be redeemed", NULL},
	{__LINE__, "POST", "/redeem", "application/json", "2", "{}", NULL, 415, "<!DOCTYPE html>", NULL},
	{__LINE__, "POST", "/redeem", "application/x-www-form-urlencoded", "99999", "", "application/json", 413, "body_too_large", NULL},
	/* CSRF: a post from elsewhere is refused before its body is read. */
	{__LINE__, "POST", "/redeem", "application/x-www-form-urlencoded", "9", "code=AB&x", "application/json", 403, "cross-site", "http://evil.example"},
};

static void test_serve(void)
{
	struct cp_config cfg;
	struct worker w;
	struct http_resp resp;
	struct ratelimit *rl;

	cp_config_init(&cfg);
	cfg.site = xstrdup("http://shop.example/");
	rl = rl_create(64);
	CHECK(api_init(&cfg, 1, NULL), "api_init");
	worker_init(&w, 0, &cfg, rl);
	http_resp_init(&resp);
	for (size_t i = 0; i < sizeof serves / sizeof serves[0]; i++) {
		struct http_req req;
		struct tl_mem m = {serves[i].body, strlen(serves[i].body)};
		int line = serves[i].line;

		memset(&req, 0, sizeof req);
		req.method = serves[i].method;
		req.uri = serves[i].uri;
		req.content_type = serves[i].ctype;
		req.content_length = serves[i].clen;
		req.accept = serves[i].accept;
		req.origin = serves[i].origin != NULL ? serves[i].origin : "http://shop.example";
		req.remote_addr = "192.0.2.1";
		http_resp_reset(&resp);
		api_serve(&w, &req, tl_mem_read, &m, &resp);
		CHECK_AT(line, resp.status == serves[i].status, "status %d, want %d: %s", resp.status,
			 serves[i].status, resp.body.p);
		CHECK_AT(line, resp.body.p != NULL && strstr(resp.body.p, serves[i].has) != NULL,
			 "body lacks '%s': %s", serves[i].has, resp.body.p);
	}
	/* CSRF by default: without a site the form is not served, whatever it carries. */
	free(cfg.site);
	cfg.site = NULL;
	for (size_t i = 0; i < 2; i++) {
		struct tl_mem m = {"code=AB&user=u", 14};
		struct http_req req;

		memset(&req, 0, sizeof req);
		req.method = "POST";
		req.uri = "/redeem";
		req.content_type = "application/x-www-form-urlencoded";
		req.content_length = "14";
		req.accept = "application/json";
		req.origin = i == 0 ? "http://shop.example" : NULL;
		req.remote_addr = "192.0.2.1";
		http_resp_reset(&resp);
		api_serve(&w, &req, tl_mem_read, &m, &resp);
		CHECK(resp.status == 403 && strstr(resp.body.p, "'site' is not set") != NULL,
		      "no site, Origin %s: %d %s", req.origin ? req.origin : "none", resp.status,
		      resp.body.p);
	}
	http_resp_free(&resp);
	worker_free(&w);
	rl_free(rl);
	cp_config_free(&cfg);
}

int main(void)
{
	test_json();
	test_form();
	test_small();
	test_error_field();
	test_ratelimit();
	test_ratelimit_flood();
	test_client();
	test_header_bounds();
	test_log();
	test_serve();
	return tl_done("test_http");
}
