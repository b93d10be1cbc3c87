/*
 * One table of typed campaign settings, fed to all three front ends, which must
 * agree (and one of reservation times for the two that take them): the HTTP API (api_serve() without FastCGI, on the real database with a
 * real API key), couponadm's subcommand (the built binary) and the console's
 * create form (campaign_form_submit(), what Enter runs). Every row gets the same
 * accept or refusal, the same status code and, where the front end shows one,
 * the same field; accepted rows store the same campaign everywhere.
 *
 * The boolean fields are not here: JSON has true/false, couponadm flags, the
 * console yes/no, so no one text reaches all three (tests/unit/test_field.c has
 * their words). Neither is status, which only the API takes at create.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api.h"
#include "campaign_form.h"
#include "cli.h"
#include "http.h"
#include "ratelimit.h"
#include "redeem_fixture.h"
#include "testlib.h"

/* 101 characters: one more than a campaign name may have. */
#define LONG_NAME "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

struct setting {
	const char *field, *text;
};

static const struct {
	int line;
	struct setting s[3]; /* the later ones may be {NULL} */
	const char *code;    /* cp_status_code of the outcome */
	const char *field;   /* the field a refusal names */
} rows[] = {
	/* times: what any front end took before, and RFC 3339 */
	{__LINE__, {{"starts_at", "2025-03-01"}}, "ok", NULL},
	{__LINE__, {{"starts_at", "2025-03-01T12:30"}}, "ok", NULL},
	{__LINE__, {{"starts_at", "2025-03-01 12:30"}}, "ok", NULL},
	{__LINE__, {{"starts_at", "2025-03-01 12:30:15"}}, "ok", NULL},
	{__LINE__, {{"starts_at", "2025-03-01T12:30:15Z"}}, "ok", NULL},
	{__LINE__, {{"starts_at", "2025-03-01T12:30:00+02:00"}}, "ok", NULL},
	{__LINE__, {{"starts_at", "2025-03-01T12:30:00.250-05:30"}}, "ok", NULL},
	{__LINE__, {{"starts_at", "none"}}, "ok", NULL},
	{__LINE__, {{"starts_at", ""}}, "ok", NULL},
	{__LINE__, {{"expires_at", "2099-12-31T23:59:59Z"}}, "ok", NULL},
	{__LINE__, {{"starts_at", "tomorrow"}}, "invalid_argument", "starts_at"},
	{__LINE__, {{"starts_at", "2025-02-29"}}, "invalid_argument", "starts_at"},
	{__LINE__, {{"starts_at", "2025-3-1"}}, "invalid_argument", "starts_at"},
	{__LINE__, {{"starts_at", "1969-12-31"}}, "invalid_argument", "starts_at"},
	{__LINE__, {{"starts_at", "2025-03-01T12:30:00 +02:00"}}, "invalid_argument", "starts_at"},
	{__LINE__, {{"expires_at", "2025-01-01T25:00"}}, "invalid_argument", "expires_at"},
	{__LINE__, {{"starts_at", "2025-02-01"}, {"expires_at", "2025-01-01"}}, "invalid_argument",
	 "expires_at"},
	/* time zones: the times are read in the campaign's, whichever comes first */
	{__LINE__, {{"time_zone", "Europe/Berlin"}, {"expires_at", "2025-12-31"}}, "ok", NULL},
	{__LINE__, {{"expires_at", "2025-12-31"}, {"time_zone", "Europe/Berlin"}}, "ok", NULL},
	{__LINE__, {{"time_zone", "Europe/Berlin"}, {"starts_at", "2025-12-31T23:59:59"},
		    {"expires_at", "2025-12-31"}}, "ok", NULL},
	/* a window ending at local midnight: a bare end date is all of that day */
	{__LINE__, {{"time_zone", "Europe/Berlin"}, {"starts_at", "2026-01-01"},
		    {"expires_at", "2025-12-31"}}, "invalid_argument", "expires_at"},
	{__LINE__, {{"time_zone", "Europe/Berlin"}, {"starts_at", "2025-03-30T02:30"},
		    {"expires_at", "2025-10-26T02:30"}}, "ok", NULL},
	{__LINE__, {{"time_zone", "America/New_York"}, {"starts_at", "2025-03-09 02:30"},
		    {"expires_at", "2025-11-02"}}, "ok", NULL},
	{__LINE__, {{"time_zone", "Asia/Kolkata"}, {"starts_at", "2025-12-31 23:30"}}, "ok", NULL},
	{__LINE__, {{"time_zone", "Europe/Berlin"}, {"starts_at", "2025-03-01T12:30:00Z"}}, "ok",
	 NULL},
	{__LINE__, {{"time_zone", ""}}, "ok", NULL},
	{__LINE__, {{"time_zone", "Mars/Olympus_Mons"}}, "invalid_time_zone", "time_zone"},
	{__LINE__, {{"time_zone", "europe/berlin"}}, "invalid_time_zone", "time_zone"},
	{__LINE__, {{"time_zone", "../../../etc/passwd"}}, "invalid_time_zone", "time_zone"},
	{__LINE__, {{"time_zone", "ABC3"}}, "invalid_time_zone", "time_zone"},
	{__LINE__, {{"time_zone", "Europe/Berlin"}, {"expires_at", "2025-02-29"}}, "invalid_argument",
	 "expires_at"},
	/* the refund policy */
	{__LINE__, {{"unredeem", "spend"}}, "ok", NULL},
	{__LINE__, {{"unredeem", "Restore"}}, "ok", NULL},
	{__LINE__, {{"unredeem", "keep"}}, "invalid_argument", "unredeem"},
	/* the format */
	{__LINE__, {{"prefix", "spring"}}, "ok", NULL},
	{__LINE__, {{"prefix", "SP1"}}, "ok", NULL},
	{__LINE__, {{"prefix", "SP-1"}}, "invalid_argument", "prefix"},
	{__LINE__, {{"prefix", "ABCDEFGHIJKLMNOPQ"}}, "invalid_argument", "prefix"},
	{__LINE__, {{"body_length", ""}}, "ok", NULL},
	{__LINE__, {{"body_length", "8"}, {"planned_codes", "1000"}}, "ok", NULL},
	{__LINE__, {{"body_length", "6"}}, "format_too_weak", "body_length"},
	{__LINE__, {{"body_length", "5"}}, "invalid_argument", "body_length"},
	{__LINE__, {{"body_length", "25"}}, "invalid_argument", "body_length"},
	{__LINE__, {{"body_length", "ten"}}, "invalid_argument", "body_length"},
	{__LINE__, {{"alphabet", "23456789ABCDEFGHJKMNPQRSTVWXYZ"}}, "ok", NULL},
	{__LINE__, {{"alphabet", "0123456789"}}, "ok", NULL},
	{__LINE__, {{"alphabet", "abcdef"}}, "invalid_argument", "alphabet"},
	{__LINE__, {{"alphabet", "AAB"}}, "invalid_argument", "alphabet"},
	{__LINE__, {{"alphabet", "01"}, {"planned_codes", "1000000000000"}}, "format_too_weak",
	 "planned_codes"},
	{__LINE__, {{"group", "0"}}, "ok", NULL},
	{__LINE__, {{"group", "5"}}, "ok", NULL},
	{__LINE__, {{"group", "20"}}, "invalid_argument", "group"},
	{__LINE__, {{"group", "25"}}, "invalid_argument", "group"},
	/* sizes and limits */
	{__LINE__, {{"planned_codes", "1000"}}, "ok", NULL},
	{__LINE__, {{"planned_codes", "1000000000000"}}, "ok", NULL},
	{__LINE__, {{"planned_codes", "1000000000001"}}, "invalid_argument", "planned_codes"},
	{__LINE__, {{"planned_codes", "0"}}, "invalid_argument", "planned_codes"},
	{__LINE__, {{"planned_codes", "-5"}}, "invalid_argument", "planned_codes"},
	{__LINE__, {{"per_user_limit", "3"}}, "ok", NULL},
	{__LINE__, {{"per_user_limit", ""}}, "ok", NULL},
	{__LINE__, {{"per_user_limit", "4294967296"}}, "invalid_argument", "per_user_limit"},
	{__LINE__, {{"per_user_limit", "1.5"}}, "invalid_argument", "per_user_limit"},
	/* the name (these rows name the campaign themselves) */
	{__LINE__, {{"name", "caf\xc3\xa9 d'\xc3\xa9t\xc3\xa9"}}, "ok", NULL},
	{__LINE__, {{"name", ""}}, "invalid_argument", "name"},
	{__LINE__, {{"name", LONG_NAME}}, "invalid_argument", "name"},
	{__LINE__, {{"name", "tab\there"}}, "invalid_argument", "name"},
};
#define NROWS (sizeof rows / sizeof rows[0])

/* What a front end made of a row. */
struct outcome {
	char code[40];
	char field[40];     /* "" where the front end does not say */
	char msg[1024];     /* for the HTTP API and the console; couponadm's stderr */
	char stored[1200];  /* the campaign as stored, when accepted */
};

static struct cp_db *db;
static struct cp_config cfg;
static char secret[CP_APIKEY_SECRET_LEN + 1];

static bool numeric_field(const char *field)
{
	static const char *const nums[] = {"per_user_limit", "body_length", "group",
					   "planned_codes"};

	for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
		if (strcmp(field, nums[i]) == 0)
			return true;
	return false;
}

static const char *row_name(size_t r, char *buf, size_t size)
{
	for (size_t i = 0; i < 3 && rows[r].s[i].field != NULL; i++)
		if (strcmp(rows[r].s[i].field, "name") == 0)
			return rows[r].s[i].text;
	snprintf(buf, size, "row-%d", rows[r].line);
	return buf;
}

/* The campaign NAME as stored, one line; then removed for the next front end. */
static void take_stored(const char *name, struct outcome *o)
{
	struct cp_campaign c;
	struct cp_err e;
	const struct cp_format *f = &c.format;
	char sql[64];

	cp_err_clear(&e);
	if (cp_campaign_find(db, name, &c, &e) != CP_OK) {
		snprintf(o->stored, sizeof o->stored, "not stored: %s", e.msg);
		return;
	}
	snprintf(o->stored, sizeof o->stored,
		 "name=%s status=%s tz=%s starts=%lld expires=%lld limit=%u unredeem=%s "
		 "alphabet=%s prefix=%s body=%u check=%d group=%u planned=%llu events=%d",
		 c.name, cp_campaign_status_name(c.status), c.time_zone, (long long)c.starts_at,
		 (long long)c.expires_at, (unsigned int)c.per_user_limit,
		 cp_unredeem_name(c.unredeem_restores), f->alphabet, f->prefix, f->body_len,
		 f->check, f->group, (unsigned long long)c.planned_codes, c.events);
	snprintf(sql, sizeof sql, "DELETE FROM campaigns WHERE id = %u", (unsigned int)c.id);
	tl_exec(db, sql);
	cp_campaign_cache_reset(db);
}

/* ------------------------------------------------------------ the HTTP API */

/* The JSON a script would send: numbers as numbers, empty as null. */
static char *row_json(size_t r, const char *name)
{
	cJSON *o = cJSON_CreateObject();
	bool named = false;
	char *s;

	for (size_t i = 0; i < 3 && rows[r].s[i].field != NULL; i++) {
		const char *f = rows[r].s[i].field, *t = rows[r].s[i].text;

		named |= strcmp(f, "name") == 0;
		if (numeric_field(f) && *t == '\0')
			cJSON_AddNullToObject(o, f);
		else if (numeric_field(f) && strspn(t, "0123456789") == strlen(t))
			cJSON_AddNumberToObject(o, f, strtod(t, NULL));
		else
			cJSON_AddStringToObject(o, f, t);
	}
	if (!named)
		cJSON_AddStringToObject(o, "name", name);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/*
 * METHOD with BODY (NULL: none) to URI as the API key's holder; the outcome's code,
 * field and message, and the reply's body into OUT (may be NULL).
 */
static int request(struct worker *w, const char *method, const char *uri, const char *body,
		   struct outcome *o, char *out, size_t size)
{
	char clen[24], auth[64];
	struct tl_mem m = {body != NULL ? body : "", body != NULL ? strlen(body) : 0};
	struct http_resp resp;
	struct http_req req;
	cJSON *j, *err;
	int status;

	memset(&req, 0, sizeof req);
	snprintf(clen, sizeof clen, "%zu", m.n);
	snprintf(auth, sizeof auth, "Bearer %s", secret);
	req.method = method;
	req.uri = uri;
	req.content_type = body != NULL ? "application/json" : NULL;
	req.content_length = body != NULL ? clen : NULL;
	req.authorization = auth;
	req.remote_addr = "192.0.2.1";
	http_resp_init(&resp);
	api_serve(w, &req, tl_mem_read, &m, &resp);
	j = cJSON_Parse(resp.body.p != NULL ? resp.body.p : "");
	err = cJSON_GetObjectItem(j, "error");
	if (resp.status / 100 == 2) {
		snprintf(o->code, sizeof o->code, "ok");
	} else if (err != NULL) {
		const cJSON *c = cJSON_GetObjectItem(err, "code"), *f = cJSON_GetObjectItem(err, "field"),
			    *msg = cJSON_GetObjectItem(err, "message");

		snprintf(o->code, sizeof o->code, "%s", cJSON_IsString(c) ? c->valuestring : "?");
		snprintf(o->field, sizeof o->field, "%s", cJSON_IsString(f) ? f->valuestring : "");
		snprintf(o->msg, sizeof o->msg, "%s", cJSON_IsString(msg) ? msg->valuestring : "");
	} else {
		snprintf(o->code, sizeof o->code, "HTTP %d: %.100s", resp.status,
			 resp.body.p != NULL ? resp.body.p : "");
	}
	status = resp.status;
	if (out != NULL)
		snprintf(out, size, "%s", resp.body.p != NULL ? resp.body.p : "");
	cJSON_Delete(j);
	http_resp_free(&resp);
	return status;
}

static int post(struct worker *w, const char *uri, const char *body, struct outcome *o)
{
	return request(w, "POST", uri, body, o, NULL, 0);
}

static void via_http(struct worker *w, size_t r, const char *name, struct outcome *o)
{
	char *body = row_json(r, name);

	if (post(w, "/api/v1/campaigns", body, o) == 201)
		take_stored(name, o);
	free(body);
}

/* ------------------------------------------------------------ couponadm */

static const struct {
	const char *field, *option;
} cli_options[] = {
	{"planned_codes", "--codes"}, {"alphabet", "--alphabet"}, {"prefix", "--prefix"},
	{"body_length", "--length"}, {"group", "--group"}, {"starts_at", "--starts"},
	{"expires_at", "--expires"}, {"per_user_limit", "--per-user-limit"},
	{"unredeem", "--unredeem"}, {"time_zone", "--time-zone"},
};

static const char *cli_option(const char *field)
{
	for (size_t i = 0; i < sizeof cli_options / sizeof cli_options[0]; i++)
		if (strcmp(cli_options[i].field, field) == 0)
			return cli_options[i].option;
	return NULL;
}

/* Runs ARGV with stderr into ERR; the exit status, or -1. */
static int run(char *const argv[], char *err, size_t size)
{
	int fds[2], status;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(fds) != 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], err + got, size - 1 - got)) > 0 ||
	       (n < 0 && errno == EINTR))
		if (n > 0)
			got += (size_t)n;
	err[got] = '\0';
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void via_cli(const char *adm, size_t r, const char *name, struct outcome *o)
{
	char *argv[20];
	int n = 0, rc;

	argv[n++] = (char *)adm;
	argv[n++] = (char *)"-c";
	argv[n++] = cfg.file;
	argv[n++] = (char *)"-D";
	argv[n++] = cfg.database;
	argv[n++] = (char *)"campaign";
	argv[n++] = (char *)"create";
	argv[n++] = (char *)name;
	for (size_t i = 0; i < 3 && rows[r].s[i].field != NULL; i++) {
		const char *opt = cli_option(rows[r].s[i].field);

		if (opt == NULL)
			continue; /* the name, already the operand */
		argv[n++] = (char *)opt;
		argv[n++] = (char *)rows[r].s[i].text;
	}
	argv[n] = NULL;
	rc = run(argv, o->msg, sizeof o->msg);
	/* couponadm's exit status is its code: 2 bad input, 1 any other refusal. */
	snprintf(o->code, sizeof o->code, "%s",
		 rc == 0 ? "ok" : rc == EXIT_USAGE ? "invalid_argument" : rc == 1 ? "other" : "?");
	if (rc == 0)
		take_stored(name, o);
}

/* ------------------------------------------------------------ the console */

static void via_console(size_t r, const char *name, struct outcome *o)
{
	struct cp_err errs[CF_COUNT + 1];
	const char *text[CF_COUNT];
	struct cp_campaign c;
	enum cp_status st;

	for (size_t i = 0; i < CF_COUNT; i++)
		text[i] = campaign_form[i].initial;
	text[CF_NAME] = name;
	for (size_t i = 0; i < 3 && rows[r].s[i].field != NULL; i++)
		text[campaign_form_index(rows[r].s[i].field)] = rows[r].s[i].text;
	st = campaign_form_submit(db, text, &c, errs);
	snprintf(o->code, sizeof o->code, "%s", cp_status_code(st));
	if (st == CP_OK) {
		take_stored(name, o);
		return;
	}
	/* The form shows a refusal under its field: which one is the field it names. */
	for (size_t i = 0; i <= CF_COUNT; i++) {
		if (errs[i].msg[0] == '\0')
			continue;
		snprintf(o->field, sizeof o->field, "%s", i < CF_COUNT ? campaign_form[i].field : "");
		snprintf(o->msg, sizeof o->msg, "%s", errs[i].msg);
		break;
	}
}

/* ------------------------------------------------------------ reservations */

/* A reservation's time to live: the API's reserve and couponadm code reserve. */
static const struct {
	int line;
	const char *text;
	const char *code;
} ttls[] = {
	{__LINE__, "1", "ok"},
	{__LINE__, "600", "ok"},
	{__LINE__, "86400", "ok"},
	{__LINE__, "0", "invalid_argument"},
	{__LINE__, "86401", "invalid_argument"},
	{__LINE__, "4294967296", "invalid_argument"},
	{__LINE__, "-1", "invalid_argument"},
	{__LINE__, "15m", "invalid_argument"},
};

static void test_ttls(struct worker *w, const char *adm)
{
	char codes[1][CP_CODE_MAX + 1];
	struct cp_format fmt;
	uint32_t id = fx_campaign(db, "ttl", "", "", &fmt);

	fx_codes(db, id, &fmt, 1, 1, codes);
	cp_campaign_cache_reset(db);
	for (size_t i = 0; i < sizeof ttls / sizeof ttls[0]; i++) {
		struct outcome h = {0}, a = {0};
		bool number = strspn(ttls[i].text, "0123456789") == strlen(ttls[i].text);
		char body[256];
		char *argv[] = {(char *)adm, (char *)"-c", cfg.file, (char *)"-D", cfg.database,
				(char *)"code", (char *)"reserve", codes[0], (char *)"--user",
				(char *)"u1", (char *)"--ttl", (char *)ttls[i].text, NULL};
		int line = ttls[i].line, rc;
		bool ok = strcmp(ttls[i].code, "ok") == 0;

		snprintf(body, sizeof body, "{\"code\":\"%s\",\"user_id\":\"u1\",\"ttl\":%s%s%s}",
			 codes[0], number ? "" : "\"", ttls[i].text, number ? "" : "\"");
		post(w, "/api/v1/reserve", body, &h);
		rc = run(argv, a.msg, sizeof a.msg);
		CHECK_AT(line, strcmp(h.code, ttls[i].code) == 0, "HTTP: %s, want %s (%s)", h.code,
			 ttls[i].code, h.msg);
		CHECK_AT(line, rc == (ok ? 0 : EXIT_USAGE), "couponadm exits %d: %s", rc, a.msg);
		if (ok)
			continue;
		CHECK_AT(line, strcmp(h.field, "ttl") == 0, "HTTP names '%s'", h.field);
		/* A number reaches core's check in both; anything else JSON refuses as a type. */
		CHECK_AT(line, !number || strstr(a.msg, h.msg) != NULL,
			 "couponadm says '%s', the API '%s'", a.msg, h.msg);
	}
}

/* ------------------------------------------------------------ time zones */

/*
 * What the API writes back: the campaign's times on its clock, RFC 3339 with
 * its offset; a zone change re-reads nothing stored; a bad zone stores nothing.
 */
static void test_zone_output(struct worker *w)
{
	static const struct {
		int line;
		const char *method, *body; /* to the campaign made first; body NULL: GET */
		int status;
		const char *has[3]; /* in the reply */
	} steps[] = {
		{__LINE__, "POST", "{\"name\":\"tz-out\",\"time_zone\":\"Europe/Berlin\","
				   "\"starts_at\":\"2025-03-30T02:30\",\"expires_at\":\"2025-12-31\"}",
		 201, {"\"time_zone\":\"Europe/Berlin\"", "\"starts_at\":\"2025-03-30T03:30:00+02:00\"",
		       "\"expires_at\":\"2026-01-01T00:00:00+01:00\""}},
		{__LINE__, "GET", NULL, 200,
		 {"\"expires_at\":\"2026-01-01T00:00:00+01:00\"", "\"created_at\":\"", "+0"}},
		/* The same instants on another clock. */
		{__LINE__, "PATCH", "{\"time_zone\":\"America/New_York\"}", 200,
		 {"\"time_zone\":\"America/New_York\"", "\"starts_at\":\"2025-03-29T21:30:00-04:00\"",
		  "\"expires_at\":\"2025-12-31T18:00:00-05:00\""}},
		{__LINE__, "PATCH", "{\"expires_at\":\"2025-11-02T01:30\"}", 200,
		 {"\"expires_at\":\"2025-11-02T01:30:00-04:00\"", NULL, NULL}},
		{__LINE__, "PATCH", "{\"time_zone\":\"Asia/Kolkata\",\"expires_at\":\"2025-12-31\"}", 200,
		 {"\"expires_at\":\"2026-01-01T00:00:00+05:30\"", NULL, NULL}},
		{__LINE__, "PATCH", "{\"time_zone\":\"Asia/Calcutta \",\"expires_at\":\"2030-01-01\"}",
		 400, {"\"code\":\"invalid_time_zone\"", "\"field\":\"time_zone\"", NULL}},
		{__LINE__, "GET", NULL, 200,
		 {"\"time_zone\":\"Asia/Kolkata\"", "\"expires_at\":\"2026-01-01T00:00:00+05:30\"", NULL}},
		{__LINE__, "PATCH", "{\"time_zone\":\"UTC\"}", 200,
		 {"\"expires_at\":\"2025-12-31T18:30:00Z\"", NULL, NULL}},
	};
	char uri[64] = "/api/v1/campaigns", out[8192];

	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		struct outcome o = {0};
		int line = steps[i].line;
		int st = request(w, steps[i].method, uri, steps[i].body, &o, out, sizeof out);

		CHECK_AT(line, st == steps[i].status, "%s: %d, want %d: %s", steps[i].method, st,
			 steps[i].status, out);
		for (size_t k = 0; k < 3 && steps[i].has[k] != NULL; k++)
			CHECK_AT(line, strstr(out, steps[i].has[k]) != NULL, "no %s in %s",
				 steps[i].has[k], out);
		if (i == 0)
			snprintf(uri, sizeof uri, "/api/v1/campaigns/%d", atoi(out + strlen("{\"id\":")));
	}
	CHECK(tl_query_int(db, "SELECT COUNT(*) FROM campaigns WHERE name = 'tz-out' AND "
			       "time_zone = 'UTC' AND expires_at = '2025-12-31 18:30:00'") == 1,
	      "stored: the last accepted zone and the UTC instant");
}

/* ------------------------------------------------------------ */

static void check_row(size_t r, const struct outcome *h, const struct outcome *a,
		      const struct outcome *t)
{
	int line = rows[r].line;
	bool ok = strcmp(rows[r].code, "ok") == 0;
	/* Bad text for an option: couponadm's usage error. */
	bool usage = strcmp(rows[r].code, "invalid_argument") == 0 ||
		     strcmp(rows[r].code, "invalid_time_zone") == 0;

	CHECK_AT(line, strcmp(h->code, rows[r].code) == 0, "HTTP: %s, want %s (%s)", h->code,
		 rows[r].code, h->msg);
	CHECK_AT(line, strcmp(t->code, rows[r].code) == 0, "console: %s, want %s (%s)", t->code,
		 rows[r].code, t->msg);
	CHECK_AT(line, strcmp(a->code, ok ? "ok" : usage ? "invalid_argument" : "other") == 0,
		 "couponadm: %s for %s: %s", a->code, rows[r].code, a->msg);
	if (ok) {
		CHECK_AT(line, strcmp(h->stored, t->stored) == 0 && strcmp(h->stored, a->stored) == 0,
			 "stored differently:\n  HTTP      %s\n  couponadm %s\n  console   %s",
			 h->stored, a->stored, t->stored);
		return;
	}
	CHECK_AT(line, strcmp(h->field, rows[r].field) == 0, "HTTP names '%s', want '%s'",
		 h->field, rows[r].field);
	CHECK_AT(line, strcmp(t->field, rows[r].field) == 0, "console names '%s', want '%s'",
		 t->field, rows[r].field);
	/* couponadm prints core's message, as the console shows it. */
	CHECK_AT(line, t->msg[0] != '\0' && strstr(a->msg, t->msg) != NULL,
		 "couponadm says '%s', the console '%s'", a->msg, t->msg);
}

int main(void)
{
	const char *top = getenv("top_builddir");
	struct ratelimit *rl;
	struct worker w;
	struct cp_err e;
	char adm[4096], name[32];
	uint32_t key_id;

	db = tl_db_fresh("fields", &cfg);
	snprintf(adm, sizeof adm, "%s/tui/couponadm", top != NULL ? top : ".");
	if (access(adm, X_OK) != 0) {
		fprintf(stderr, "test_fields: %s is not built\n", adm);
		return 99;
	}
	cp_err_clear(&e);
	if (cp_apikey_create(db, "fields", CP_SCOPE_ADMIN, secret, sizeof secret, &key_id, &e) !=
	    CP_OK) {
		fprintf(stderr, "test_fields: API key: %s\n", e.msg);
		return 99;
	}
	cfg.rate_limit = 1000; /* the refusals here are about fields, not guessing */
	rl = rl_create(64);
	if (!api_init(&cfg, 1, &e)) {
		fprintf(stderr, "test_fields: api_init: %s\n", e.msg);
		return 99;
	}
	worker_init(&w, 0, &cfg, rl);
	for (size_t r = 0; r < NROWS; r++) {
		struct outcome h = {0}, a = {0}, t = {0};
		const char *n = row_name(r, name, sizeof name);

		via_http(&w, r, n, &h);
		via_cli(adm, r, n, &a);
		via_console(r, n, &t);
		check_row(r, &h, &a, &t);
	}
	test_ttls(&w, adm);
	test_zone_output(&w);
	worker_free(&w);
	rl_free(rl);
	cp_db_close(db);
	return tl_done("test_fields");
}
