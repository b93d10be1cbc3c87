/*
 * What a code is worth: a campaign's reward (percent off, an amount off, free
 * shipping, an item, or none), the minimum order it needs, and metadata the shop
 * attaches. Read from what people type, checked, and written back as JSON and
 * as text, here only, so every front end says the same.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "coupon.h"
#include "field.h"

static const char *const type_names[] = {
	[CP_REWARD_NONE] = "none",
	[CP_REWARD_PERCENT_OFF] = "percent_off",
	[CP_REWARD_AMOUNT_OFF] = "amount_off",
	[CP_REWARD_FREE_SHIPPING] = "free_shipping",
	[CP_REWARD_ITEM] = "item",
};
#define NTYPES (sizeof type_names / sizeof type_names[0])

const char *cp_reward_type_name(enum cp_reward_type t)
{
	return (unsigned int)t < NTYPES ? type_names[t] : "none";
}

bool cp_reward_type_parse(const char *s, enum cp_reward_type *t)
{
	int i = s != NULL ? field_name_index(type_names, NTYPES, s) : -1;

	if (i >= 0)
		*t = (enum cp_reward_type)i;
	return i >= 0;
}

/* 1..CP_SKU_MAX printable ASCII characters; no space, quote or backslash. */
static enum cp_status check_sku(const char *s, struct cp_err *e)
{
	size_t n = s != NULL ? strnlen(s, CP_SKU_MAX + 1) : 0;

	if (n == 0 || n > CP_SKU_MAX)
		return cp_err_set(e, CP_E_INVALID_REWARD, "an item reward needs a sku of 1..%d "
							  "characters", CP_SKU_MAX);
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7E || s[i] == '"' || s[i] == '\\')
			return cp_err_set(e, CP_E_INVALID_REWARD,
					  "the sku must be printable ASCII without spaces, quotes "
					  "or backslashes (byte %zu)", i + 1);
	return CP_OK;
}

static enum cp_status set_percent(struct cp_reward *r, const char *value, struct cp_err *e)
{
	int64_t v;

	if (value == NULL || cp_decimal_parse(value, 2, &v, e) != CP_OK || v <= 0 || v > 10000)
		return cp_err_set(e, CP_E_INVALID_REWARD,
				  "percent_off needs a percent above 0 and at most 100, with at "
				  "most two decimals");
	r->percent = (uint32_t)v;
	return CP_OK;
}

static enum cp_status set_amount(struct cp_reward *r, const char *value, const char *currency,
				 struct cp_err *e)
{
	enum cp_status st;

	if (value == NULL)
		return cp_err_set(e, CP_E_INVALID_REWARD, "amount_off needs an amount and a currency");
	if ((st = cp_money_parse(value, currency, &r->amount, e)) != CP_OK)
		return st;
	if (r->amount.minor == 0)
		return cp_err_set(e, CP_E_INVALID_AMOUNT, "amount_off needs an amount above 0");
	return CP_OK;
}

enum cp_status cp_reward_make(struct cp_reward *r, const char *type, const char *value,
			      const char *currency, struct cp_err *e)
{
	enum cp_reward_type t;
	bool extra;

	memset(&r->amount, 0, sizeof r->amount);
	r->percent = 0;
	r->sku[0] = '\0';
	if (!cp_reward_type_parse(type, &t))
		return cp_err_set(e, CP_E_INVALID_REWARD,
				  "the reward type must be percent_off, amount_off, free_shipping, "
				  "item or none");
	r->type = t;
	extra = (currency != NULL && t != CP_REWARD_AMOUNT_OFF) ||
		(value != NULL && (t == CP_REWARD_NONE || t == CP_REWARD_FREE_SHIPPING));
	if (extra)
		return cp_err_set(e, CP_E_INVALID_REWARD, "a %s reward takes %s", type_names[t],
				  t == CP_REWARD_PERCENT_OFF ? "a percent only"
				  : t == CP_REWARD_ITEM	     ? "a sku only"
							     : "nothing more");
	switch (t) {
	case CP_REWARD_PERCENT_OFF:
		return set_percent(r, value, e);
	case CP_REWARD_AMOUNT_OFF:
		return set_amount(r, value, currency, e);
	case CP_REWARD_ITEM:
		if (check_sku(value, e) != CP_OK)
			return CP_E_INVALID_REWARD;
		memcpy(r->sku, value, strlen(value) + 1);
		return CP_OK;
	default:
		return CP_OK;
	}
}

enum cp_status cp_reward_parse(const char *text, struct cp_reward *r, struct cp_err *e)
{
	char buf[128], *words[4] = {NULL, NULL, NULL, NULL}, *save = NULL;
	size_t n = 0;

	if (strlen(text) >= sizeof buf)
		return cp_err_set(e, CP_E_INVALID_REWARD, "the reward is too long");
	memcpy(buf, text, strlen(text) + 1);
	for (char *p = strtok_r(buf, " ", &save); p != NULL; p = strtok_r(NULL, " ", &save))
		if (n < 4)
			words[n++] = p;
	if (n == 0 || n > 3)
		return cp_err_set(e, CP_E_INVALID_REWARD,
				  "a reward is 'percent_off 12.5', 'amount_off 5.00 EUR', "
				  "'free_shipping', 'item SKU' or 'none'");
	/* "amount_off 5.00EUR" reads as "amount_off 5.00 EUR". */
	if (n == 2 && strcmp(words[0], "amount_off") == 0) {
		struct cp_money m;
		enum cp_status st = cp_money_parse_text(words[1], &m, e);

		if (st != CP_OK)
			return st;
		r->type = CP_REWARD_AMOUNT_OFF;
		r->amount = m;
		return m.minor > 0 ? CP_OK
				   : cp_err_set(e, CP_E_INVALID_AMOUNT,
						"amount_off needs an amount above 0");
	}
	return cp_reward_make(r, words[0], words[1], words[2], e);
}

/*
 * Each type written as JSON and as the text cp_reward_parse reads, from its one
 * value and currency (check_sku keeps quotes and backslashes out of a sku, and
 * the rest is digits and letters: nothing to escape).
 */
static const struct {
	const char *json, *text;
} forms[] = {
	[CP_REWARD_NONE] = {"{\"type\":\"none\"}", "none"},
	[CP_REWARD_PERCENT_OFF] = {"{\"type\":\"percent_off\",\"percent\":\"%s\"}",
				   "percent_off %s"},
	[CP_REWARD_AMOUNT_OFF] = {"{\"type\":\"amount_off\",\"amount\":\"%s\",\"currency\":\"%s\"}",
				  "amount_off %s %s"},
	[CP_REWARD_FREE_SHIPPING] = {"{\"type\":\"free_shipping\"}", "free_shipping"},
	[CP_REWARD_ITEM] = {"{\"type\":\"item\",\"sku\":\"%s\"}", "item %s"},
};

static void write_form(const struct cp_reward *r, bool json, char *out, size_t outsz)
{
	enum cp_reward_type t = (unsigned int)r->type < NTYPES ? r->type : CP_REWARD_NONE;
	char value[32];

	if (t == CP_REWARD_PERCENT_OFF)
		cp_decimal_format(r->percent, 2, value, sizeof value);
	else if (t == CP_REWARD_AMOUNT_OFF)
		cp_money_amount(&r->amount, value, sizeof value);
	snprintf(out, outsz, json ? forms[t].json : forms[t].text,
		 t == CP_REWARD_ITEM ? r->sku : value, r->amount.currency);
}

void cp_reward_json(const struct cp_reward *r, char *out, size_t outsz)
{
	write_form(r, true, out, outsz);
}

void cp_reward_text(const struct cp_reward *r, char *out, size_t outsz)
{
	write_form(r, false, out, outsz);
}

void cp_reward_members(const struct cp_reward *r, char *out, size_t outsz)
{
	char json[CP_REWARD_JSON_MAX], min[96];

	if (r->id == 0) {
		snprintf(out, outsz, "\"reward\":null,\"min_order\":null,\"metadata\":null");
		return;
	}
	cp_reward_json(r, json, sizeof json);
	cp_money_json(&r->min_order, min, sizeof min);
	/* Metadata passed cp_metadata_check: it is JSON as it stands. */
	snprintf(out, outsz, "\"reward\":%s,\"min_order\":%s,\"metadata\":%s", json, min,
		 r->metadata[0] != '\0' ? r->metadata : "null");
}

void cp_money_text(const struct cp_money *m, char *out, size_t outsz)
{
	char amount[32];

	if (m->currency[0] == '\0') {
		snprintf(out, outsz, "none");
		return;
	}
	cp_money_amount(m, amount, sizeof amount);
	snprintf(out, outsz, "%s %s", amount, m->currency);
}

void cp_money_json(const struct cp_money *m, char *out, size_t outsz)
{
	char amount[32];

	if (m->currency[0] == '\0') {
		snprintf(out, outsz, "null");
		return;
	}
	cp_money_amount(m, amount, sizeof amount);
	snprintf(out, outsz, "{\"amount\":\"%s\",\"currency\":\"%s\"}", amount, m->currency);
}

bool cp_reward_same(const struct cp_reward *a, const struct cp_reward *b)
{
	return a->type == b->type && a->percent == b->percent &&
	       a->amount.minor == b->amount.minor &&
	       strcmp(a->amount.currency, b->amount.currency) == 0 && strcmp(a->sku, b->sku) == 0 &&
	       a->min_order.minor == b->min_order.minor &&
	       strcmp(a->min_order.currency, b->min_order.currency) == 0 &&
	       strcmp(a->metadata, b->metadata) == 0;
}

enum cp_status cp_order_check(const struct cp_money *min, const struct cp_money *order,
			      struct cp_err *e)
{
	char text[64];

	if (min->currency[0] == '\0')
		return CP_OK;
	cp_money_text(min, text, sizeof text);
	if (order == NULL || order->currency[0] == '\0')
		return cp_err_set_field(e, CP_E_ORDER_AMOUNT_REQUIRED, "order_amount",
					"this campaign needs the order amount (minimum order %s)",
					text);
	if (strcmp(order->currency, min->currency) != 0)
		return cp_err_set_field(e, CP_E_CURRENCY_MISMATCH, "order_amount",
					"the order is in %s, the campaign's minimum order in %s",
					order->currency, min->currency);
	if (order->minor < min->minor)
		return cp_err_set_field(e, CP_E_ORDER_BELOW_MINIMUM, "order_amount",
					"the order is below the minimum order of %s", text);
	return CP_OK;
}
