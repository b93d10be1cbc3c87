/*
 * API keys over HTTP (scope admin), through core's apikey functions as couponadm
 * apikey does: GET /api/v1/keys lists them (never a secret), POST creates one
 * and answers its secret once, DELETE /api/v1/keys/ID revokes one. Creation and
 * revocation write their audit rows in core.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "api_internal.h"

const struct field f_key[] = {
	{"name", FT_STR, P_NAME, FIELD_TEXT_ANY, true},
	{"scopes", FT_STR, P_METHOD, 64, true},
	{NULL, FT_STR, 0, 0, false},
};

static void key_json(struct buf *b, const struct cp_apikey *k)
{
	char scopes[32];

	cp_scopes_format(k->scopes, scopes, sizeof scopes);
	buf_printf(b, "{\"id\":%u,\"name\":", (unsigned int)k->id);
	buf_json_str(b, k->name, strlen(k->name));
	buf_printf(b, ",\"prefix\":\"%s\",\"scopes\":\"%s\",\"created_at\":", k->prefix, scopes);
	buf_json_time(b, (long long)k->created_at);
	buf_puts(b, ",\"last_used_at\":");
	buf_json_time(b, (long long)k->last_used_at);
	buf_puts(b, ",\"revoked_at\":");
	buf_json_time(b, (long long)k->revoked_at);
	buf_puts(b, "}");
}

struct key_list {
	struct buf *b;
	unsigned int n;
	uint32_t want;         /* find: the id sought */
	struct cp_apikey found;
};

static void list_one(const struct cp_apikey *k, void *arg)
{
	struct key_list *l = arg;

	if (l->n++ > 0)
		buf_puts(l->b, ",");
	key_json(l->b, k);
}

static void find_one(const struct cp_apikey *k, void *arg)
{
	struct key_list *l = arg;

	if (k->id == l->want)
		l->found = *k;
}

void h_key_list(struct api_ctx *c)
{
	struct key_list l = {.b = &c->resp->body};
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st;

	if ((db = api_db(c)) == NULL)
		return;
	cp_err_clear(&e);
	reply_json(c->resp, 200);
	buf_puts(l.b, "{\"keys\":[");
	if ((st = cp_apikey_list(db, list_one, &l, &e)) != CP_OK) {
		api_fail(c, st, &e);
		return;
	}
	buf_puts(l.b, "]}\n");
}

void h_key_create(struct api_ctx *c)
{
	char secret[CP_APIKEY_SECRET_LEN + 1], scopes[32];
	unsigned int bits = 0;
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st;
	uint32_t id = 0;

	cp_err_clear(&e);
	if ((st = cp_scopes_parse(c->ps.v[P_METHOD].s, &bits, &e)) != CP_OK) {
		cp_err_field(&e, "scopes");
		api_fail(c, st, &e);
		return;
	}
	if ((db = api_db(c)) == NULL)
		return;
	st = cp_apikey_create(db, c->ps.v[P_NAME].s, bits, secret, sizeof secret, &id, &e);
	if (st != CP_OK) {
		if (st == CP_E_INVALID_ARGUMENT || st == CP_E_EXISTS)
			cp_err_field(&e, "name");
		api_fail(c, st, &e);
		return;
	}
	cp_scopes_format(bits, scopes, sizeof scopes);
	reply_json(c->resp, 201);
	/* The secret is in this answer only: no cache may keep it. */
	http_header(c->resp, "Cache-Control: no-store");
	http_header(c->resp, "Location: /api/v1/keys/%u", (unsigned int)id);
	buf_printf(&c->resp->body, "{\"id\":%u,\"name\":", (unsigned int)id);
	buf_json_str(&c->resp->body, c->ps.v[P_NAME].s, strlen(c->ps.v[P_NAME].s));
	buf_printf(&c->resp->body, ",\"scopes\":\"%s\",\"secret\":\"%s\"}\n", scopes, secret);
	memset(secret, 0, sizeof secret);
}

/* By id only: the key's own name is what is revoked, so a key named "7" is not key 7. */
void h_key_revoke(struct api_ctx *c)
{
	struct key_list l = {0};
	struct cp_db *db;
	struct cp_err e;
	enum cp_status st;
	uint64_t id;

	if (cp_parse_uint(c->args[0], 1, UINT32_MAX, &id, NULL) != CP_OK) {
		reply_error(c->resp, CP_E_NOT_FOUND, NULL);
		return;
	}
	if ((db = api_db(c)) == NULL)
		return;
	cp_err_clear(&e);
	l.want = (uint32_t)id;
	if ((st = cp_apikey_list(db, find_one, &l, &e)) == CP_OK && l.found.id == 0)
		st = cp_err_set(&e, CP_E_NOT_FOUND, "no API key %llu", (unsigned long long)id);
	if (st == CP_OK)
		st = cp_apikey_revoke(db, l.found.name, &e);
	if (st == CP_OK)
		st = cp_apikey_list(db, find_one, &l, &e);
	if (st != CP_OK) {
		api_fail(c, st, &e);
		return;
	}
	reply_json(c->resp, 200);
	key_json(&c->resp->body, &l.found);
	buf_puts(&c->resp->body, "\n");
}
