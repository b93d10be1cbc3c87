/*
 * What a code is worth, in JSON: campaigns' reward, minimum order and metadata
 * read from requests, and the reward granted written into replies. The reading
 * of each value is core's (cp_campaign_set, cp_money_parse); this file only maps
 * JSON objects onto it. Metadata is taken from the body as written, so it is
 * stored and returned byte for byte.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "api_internal.h"

/* The string member NAME of OBJ, NULL when absent; *BAD when present but not a string. */
static const char *member_str(const cJSON *obj, const char *name, bool *bad)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (m == NULL || cJSON_IsNull(m))
		return NULL;
	if (!cJSON_IsString(m) || strchr(m->valuestring, ' ') != NULL) {
		*bad = true;
		return NULL;
	}
	return m->valuestring;
}

/* Members of OBJ outside NAMES (NULL-terminated): a typo must not pass silently. */
static bool only(const cJSON *obj, const char *const *names)
{
	for (const cJSON *m = obj->child; m != NULL; m = m->next) {
		size_t i = 0;

		while (names[i] != NULL && strcmp(names[i], m->string) != 0)
			i++;
		if (names[i] == NULL)
			return false;
	}
	return true;
}

enum cp_status api_money(const void *obj, const char *field, struct cp_money *m,
			 struct cp_err *e)
{
	static const char *const names[] = {"amount", "currency", NULL};
	bool bad = false;
	const char *amount = member_str(obj, "amount", &bad);
	const char *currency = member_str(obj, "currency", &bad);
	enum cp_status st;

	if (bad || !only(obj, names))
		return cp_err_set_field(e, CP_E_INVALID_AMOUNT, field,
					"%s is {\"amount\":\"59.90\",\"currency\":\"EUR\"}", field);
	if ((st = cp_money_parse(amount, currency, m, e)) != CP_OK)
		cp_err_field(e, field);
	return st;
}

/* {"type":...,"percent"|"amount"+"currency"|"sku":...} as cp_reward_parse's text. */
static enum cp_status reward_text(const cJSON *obj, char *out, size_t outsz, struct cp_err *e)
{
	static const char *const names[] = {"type", "percent", "amount", "currency", "sku", NULL};
	static const char *const values[] = {"percent", "amount", "sku"};
	const char *type, *value = NULL, *currency;
	bool bad = false;

	type = member_str(obj, "type", &bad);
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		const char *v = member_str(obj, values[i], &bad);

		if (v != NULL && value != NULL)
			bad = true;
		if (v != NULL)
			value = v;
	}
	currency = member_str(obj, "currency", &bad);
	if (bad || type == NULL || !only(obj, names))
		return cp_err_set_field(e, CP_E_INVALID_REWARD, "reward",
					"reward is {\"type\":...} with a percent, an amount and "
					"currency, or a sku, as strings");
	snprintf(out, outsz, "%s%s%s%s%s", type, value ? " " : "", value ? value : "",
		 currency ? " " : "", currency ? currency : "");
	return CP_OK;
}

/*
 * "format":{"external":true,"case_sensitive":false,...}: each member through
 * core's reading of the campaign field of its name; an unknown one is refused.
 */
static enum cp_status format_members(const cJSON *obj, struct cp_campaign *cp, struct cp_err *e)
{
	static const char *const names[] = {"alphabet", "prefix", "body_length", "check", "group",
					    "external", "case_sensitive", "ignore_separators"};
	const cJSON *m;
	char num[24], field[40];
	enum cp_status st;

	cJSON_ArrayForEach(m, obj) {
		const char *text = NULL;
		bool known = false;

		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
			known |= strcmp(m->string, names[i]) == 0;
		snprintf(field, sizeof field, "format.%.24s", m->string);
		if (!known)
			return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, field, "no format member '%.24s'",
						m->string);
		if (cJSON_IsBool(m))
			text = cJSON_IsTrue(m) ? "true" : "false";
		else if (cJSON_IsString(m))
			text = m->valuestring;
		else if (cJSON_IsNull(m))
			text = "";
		else if (cJSON_IsNumber(m) && m->valuedouble >= 0 && m->valuedouble <= 1e9 &&
			 m->valuedouble == (double)(long long)m->valuedouble)
			text = (snprintf(num, sizeof num, "%lld", (long long)m->valuedouble), num);
		if (text == NULL)
			return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, field, "%s: wrong type", field);
		if ((st = cp_campaign_set(cp, m->string, text, e)) != CP_OK) {
			cp_err_field(e, field);
			return st;
		}
	}
	return CP_OK;
}

enum cp_status api_campaign_object(const struct api_ctx *c, const struct field *f,
				   const struct param *p, struct cp_campaign *cp,
				   struct cp_err *e)
{
	char text[160], amount[32], raw[CP_METADATA_MAX + 1];
	size_t off, n;
	struct cp_money m;
	enum cp_status st;

	if (strcmp(f->name, "reward") == 0) {
		if ((st = reward_text(p->obj, text, sizeof text, e)) != CP_OK)
			return st;
		return cp_campaign_set(cp, "reward", text, e);
	}
	if (strcmp(f->name, "format") == 0)
		return format_members(p->obj, cp, e);
	if (strcmp(f->name, "min_order") == 0) {
		if ((st = api_money(p->obj, "min_order", &m, e)) != CP_OK)
			return st;
		cp_money_amount(&m, amount, sizeof amount);
		snprintf(text, sizeof text, "%s %s", amount, m.currency);
		return cp_campaign_set(cp, "min_order", text, e);
	}
	/* metadata: the object exactly as the client wrote it. */
	if (!cp_json_member(c->req->body, c->req->body_len, f->name, &off, &n))
		return cp_err_set_field(e, CP_E_INVALID_METADATA, f->name,
					"with metadata the body must be strict JSON (RFC 8259: no "
					"leading zeros, no lone surrogates)");
	if (n > CP_METADATA_MAX)
		return cp_err_set_field(e, CP_E_INVALID_METADATA, f->name,
					"metadata is %zu bytes, at most %d", n, CP_METADATA_MAX);
	memcpy(raw, c->req->body + off, n);
	raw[n] = '\0';
	return cp_campaign_set(cp, f->name, raw, e);
}

void api_reward_members(struct buf *b, const struct cp_reward *r)
{
	char members[CP_REWARD_MEMBERS_MAX];

	cp_reward_members(r, members, sizeof members);
	buf_printf(b, ",%s", members);
}
