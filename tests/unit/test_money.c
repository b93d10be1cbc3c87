/*
 * Unit tests of core/money.c, core/reward.c and core/json.c: exact decimal
 * amounts at every boundary of int64 and of the currency's exponent, the reward
 * forms people type, their JSON and text, the minimum-order check, and the
 * strict reading of metadata.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "coupon.h"
#include "testlib.h"

static void test_currency(void)
{
	static const struct {
		int line;
		const char *code;
		int exponent;
	} rows[] = {
		{__LINE__, "EUR", 2}, {__LINE__, "JPY", 0}, {__LINE__, "KWD", 3},
		{__LINE__, "BHD", 3}, {__LINE__, "CLF", 4}, {__LINE__, "USD", 2},
		{__LINE__, "AED", 2}, {__LINE__, "ZWG", 2}, {__LINE__, "eur", -1},
		{__LINE__, "XAU", -1}, {__LINE__, "EU", -1}, {__LINE__, "EURO", -1},
		{__LINE__, "", -1},    {__LINE__, "DEM", -1},
	};

	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		CHECK_AT(rows[i].line, cp_currency_exponent(rows[i].code) == rows[i].exponent,
			 "%s: exponent %d, want %d", rows[i].code,
			 cp_currency_exponent(rows[i].code), rows[i].exponent);
}

static void test_decimal(void)
{
	static const struct {
		int line;
		const char *text;
		unsigned int exponent;
		enum cp_status st;
		int64_t minor;
		const char *back; /* cp_decimal_format of minor; NULL when refused */
	} rows[] = {
		{__LINE__, "5", 2, CP_OK, 500, "5.00"},
		{__LINE__, "5.0", 2, CP_OK, 500, "5.00"},
		{__LINE__, "5.00", 2, CP_OK, 500, "5.00"},
		{__LINE__, "5.001", 2, CP_E_INVALID_AMOUNT, 0, NULL},
		{__LINE__, "59.9", 2, CP_OK, 5990, "59.90"},
		{__LINE__, "0", 2, CP_OK, 0, "0.00"},
		{__LINE__, "0.01", 2, CP_OK, 1, "0.01"},
		{__LINE__, "0.5", 3, CP_OK, 500, "0.500"},
		{__LINE__, "1.234", 3, CP_OK, 1234, "1.234"},
		{__LINE__, "1.2345", 3, CP_E_INVALID_AMOUNT, 0, NULL},
		{__LINE__, "500", 0, CP_OK, 500, "500"},
		{__LINE__, "500.", 0, CP_E_INVALID_AMOUNT, 0, NULL},
		{__LINE__, "500.0", 0, CP_E_INVALID_AMOUNT, 0, NULL},
		{__LINE__, "05", 2, CP_E_INVALID_AMOUNT, 0, NULL},
		{__LINE__, "00.5", 2, CP_E_INVALID_AMOUNT, 0, NULL},
		{__LINE__, "-1", 2, CP_E_INVALID_AMOUNT, 0, NULL},
		{__LINE__, "+1", 2, CP_E_INVALID_AMOUNT, 0, NULL},
		{__LINE__, "1e3", 2, CP_E_INVALID_AMOUNT, 0, NULL},
		{__LINE__, "1E3", 0, CP_E_INVALID_AMOUNT, 0, NULL},
		{__LINE__, ".5", 2, CP_E_INVALID_AMOUNT, 0, NULL},
		{__LINE__, "5.", 2, CP_E_INVALID_AMOUNT, 0, NULL},
		{__LINE__, " 5", 2, CP_E_INVALID_AMOUNT, 0, NULL},
		{__LINE__, "5 ", 2, CP_E_INVALID_AMOUNT, 0, NULL},
		{__LINE__, "5,00", 2, CP_E_INVALID_AMOUNT, 0, NULL},
		{__LINE__, "", 2, CP_E_INVALID_AMOUNT, 0, NULL},
		{__LINE__, "0x10", 0, CP_E_INVALID_AMOUNT, 0, NULL},
		{__LINE__, "NaN", 2, CP_E_INVALID_AMOUNT, 0, NULL},
		/* 2^63 - 1 minor units is the largest; one more is refused. */
		{__LINE__, "9223372036854775807", 0, CP_OK, INT64_MAX, "9223372036854775807"},
		{__LINE__, "9223372036854775808", 0, CP_E_INVALID_AMOUNT, 0, NULL},
		{__LINE__, "92233720368547758.07", 2, CP_OK, INT64_MAX, "92233720368547758.07"},
		{__LINE__, "92233720368547758.08", 2, CP_E_INVALID_AMOUNT, 0, NULL},
		{__LINE__, "92233720368547758.1", 2, CP_E_INVALID_AMOUNT, 0, NULL},
		{__LINE__, "92233720368547759", 2, CP_E_INVALID_AMOUNT, 0, NULL},
		{__LINE__, "9223372036854775.807", 3, CP_OK, INT64_MAX, "9223372036854775.807"},
		{__LINE__, "99999999999999999999999", 0, CP_E_INVALID_AMOUNT, 0, NULL},
	};

	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct cp_err e;
		int64_t v = -1;
		char back[64];
		enum cp_status st;

		cp_err_clear(&e);
		st = cp_decimal_parse(rows[i].text, rows[i].exponent, &v, &e);
		CHECK_AT(rows[i].line, st == rows[i].st, "'%s' exp %u: %s (%s)", rows[i].text,
			 rows[i].exponent, cp_status_code(st), e.msg);
		if (st != CP_OK || rows[i].back == NULL)
			continue;
		CHECK_AT(rows[i].line, v == rows[i].minor, "'%s': %" PRId64 ", want %" PRId64,
			 rows[i].text, v, rows[i].minor);
		cp_decimal_format(v, rows[i].exponent, back, sizeof back);
		CHECK_AT(rows[i].line, strcmp(back, rows[i].back) == 0, "'%s' back as '%s'",
			 rows[i].text, back);
	}
}

static void test_money(void)
{
	static const struct {
		int line;
		const char *text;
		enum cp_status st;
		int64_t minor;
		const char *currency, *shown;
	} rows[] = {
		{__LINE__, "59.90 EUR", CP_OK, 5990, "EUR", "59.90 EUR"},
		{__LINE__, "59.90EUR", CP_OK, 5990, "EUR", "59.90 EUR"},
		{__LINE__, "59.9eur", CP_OK, 5990, "EUR", "59.90 EUR"},
		{__LINE__, "500 JPY", CP_OK, 500, "JPY", "500 JPY"},
		{__LINE__, "500.5 JPY", CP_E_INVALID_AMOUNT, 0, NULL, NULL},
		{__LINE__, "1.5 KWD", CP_OK, 1500, "KWD", "1.500 KWD"},
		{__LINE__, "1.5 XYZ", CP_E_INVALID_CURRENCY, 0, NULL, NULL},
		{__LINE__, "1.5", CP_E_INVALID_AMOUNT, 0, NULL, NULL},
		{__LINE__, "EUR", CP_E_INVALID_AMOUNT, 0, NULL, NULL},
		{__LINE__, "-5 EUR", CP_E_INVALID_AMOUNT, 0, NULL, NULL},
		{__LINE__, "5  EUR", CP_E_INVALID_AMOUNT, 0, NULL, NULL},
	};

	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct cp_money m;
		struct cp_err e;
		char shown[64];
		enum cp_status st;

		memset(&m, 0, sizeof m);
		cp_err_clear(&e);
		st = cp_money_parse_text(rows[i].text, &m, &e);
		CHECK_AT(rows[i].line, st == rows[i].st, "'%s': %s (%s)", rows[i].text,
			 cp_status_code(st), e.msg);
		if (st != CP_OK || rows[i].st != CP_OK)
			continue;
		cp_money_text(&m, shown, sizeof shown);
		CHECK_AT(rows[i].line,
			 m.minor == rows[i].minor && strcmp(m.currency, rows[i].currency) == 0 &&
				 strcmp(shown, rows[i].shown) == 0,
			 "'%s' read as %" PRId64 " %s, shown '%s'", rows[i].text, m.minor,
			 m.currency, shown);
	}
}

static void test_reward(void)
{
	static const struct {
		int line;
		const char *text;
		enum cp_status st;
		const char *json, *back;
	} rows[] = {
		{__LINE__, "percent_off 12.5", CP_OK,
		 "{\"type\":\"percent_off\",\"percent\":\"12.50\"}", "percent_off 12.50"},
		{__LINE__, "percent_off 100", CP_OK,
		 "{\"type\":\"percent_off\",\"percent\":\"100.00\"}", "percent_off 100.00"},
		{__LINE__, "percent_off 0.01", CP_OK,
		 "{\"type\":\"percent_off\",\"percent\":\"0.01\"}", "percent_off 0.01"},
		{__LINE__, "percent_off 100.01", CP_E_INVALID_REWARD, NULL, NULL},
		{__LINE__, "percent_off 0", CP_E_INVALID_REWARD, NULL, NULL},
		{__LINE__, "percent_off 12.345", CP_E_INVALID_REWARD, NULL, NULL},
		{__LINE__, "percent_off", CP_E_INVALID_REWARD, NULL, NULL},
		{__LINE__, "percent_off 5 EUR", CP_E_INVALID_REWARD, NULL, NULL},
		{__LINE__, "amount_off 5.00 EUR", CP_OK,
		 "{\"type\":\"amount_off\",\"amount\":\"5.00\",\"currency\":\"EUR\"}",
		 "amount_off 5.00 EUR"},
		{__LINE__, "amount_off 5EUR", CP_OK,
		 "{\"type\":\"amount_off\",\"amount\":\"5.00\",\"currency\":\"EUR\"}",
		 "amount_off 5.00 EUR"},
		{__LINE__, "amount_off 500 JPY", CP_OK,
		 "{\"type\":\"amount_off\",\"amount\":\"500\",\"currency\":\"JPY\"}",
		 "amount_off 500 JPY"},
		{__LINE__, "amount_off 0.001 KWD", CP_OK,
		 "{\"type\":\"amount_off\",\"amount\":\"0.001\",\"currency\":\"KWD\"}",
		 "amount_off 0.001 KWD"},
		{__LINE__, "amount_off 0 EUR", CP_E_INVALID_AMOUNT, NULL, NULL},
		{__LINE__, "amount_off 5.001 EUR", CP_E_INVALID_AMOUNT, NULL, NULL},
		{__LINE__, "amount_off 5 ECU", CP_E_INVALID_CURRENCY, NULL, NULL},
		{__LINE__, "amount_off 5", CP_E_INVALID_AMOUNT, NULL, NULL},
		{__LINE__, "free_shipping", CP_OK, "{\"type\":\"free_shipping\"}", "free_shipping"},
		{__LINE__, "free_shipping 5", CP_E_INVALID_REWARD, NULL, NULL},
		{__LINE__, "item GAME-123", CP_OK, "{\"type\":\"item\",\"sku\":\"GAME-123\"}",
		 "item GAME-123"},
		{__LINE__, "item", CP_E_INVALID_REWARD, NULL, NULL},
		{__LINE__, "item a\"b", CP_E_INVALID_REWARD, NULL, NULL},
		{__LINE__, "item a\\b", CP_E_INVALID_REWARD, NULL, NULL},
		{__LINE__, "item \x7f", CP_E_INVALID_REWARD, NULL, NULL},
		{__LINE__,
		 "item 12345678901234567890123456789012345678901234567890123456789012345",
		 CP_E_INVALID_REWARD, NULL, NULL},
		{__LINE__, "none", CP_OK, "{\"type\":\"none\"}", "none"},
		{__LINE__, "discount 5", CP_E_INVALID_REWARD, NULL, NULL},
		{__LINE__, "", CP_E_INVALID_REWARD, NULL, NULL},
	};

	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct cp_reward r, again;
		struct cp_err e;
		char json[CP_REWARD_JSON_MAX], back[128];
		enum cp_status st;

		memset(&r, 0, sizeof r);
		cp_err_clear(&e);
		st = cp_reward_parse(rows[i].text, &r, &e);
		CHECK_AT(rows[i].line, st == rows[i].st, "'%s': %s (%s)", rows[i].text,
			 cp_status_code(st), e.msg);
		if (st != CP_OK || rows[i].json == NULL)
			continue;
		cp_reward_json(&r, json, sizeof json);
		cp_reward_text(&r, back, sizeof back);
		CHECK_AT(rows[i].line, strcmp(json, rows[i].json) == 0, "'%s' as %s", rows[i].text,
			 json);
		CHECK_AT(rows[i].line, strcmp(back, rows[i].back) == 0, "'%s' back as '%s'",
			 rows[i].text, back);
		/* The text form reads back as the same reward. */
		memset(&again, 0, sizeof again);
		CHECK_AT(rows[i].line,
			 cp_reward_parse(back, &again, &e) == CP_OK && cp_reward_same(&r, &again),
			 "'%s' does not read back", back);
	}
}

static void test_order(void)
{
	static const struct {
		int line;
		const char *min, *order; /* "" = none */
		enum cp_status st;
	} rows[] = {
		{__LINE__, "", "", CP_OK},
		{__LINE__, "", "1 EUR", CP_OK},
		{__LINE__, "50 EUR", "", CP_E_ORDER_AMOUNT_REQUIRED},
		{__LINE__, "50 EUR", "50 USD", CP_E_CURRENCY_MISMATCH},
		{__LINE__, "50 EUR", "49.99 EUR", CP_E_ORDER_BELOW_MINIMUM},
		{__LINE__, "50 EUR", "50 EUR", CP_OK},
		{__LINE__, "50 EUR", "50.01 EUR", CP_OK},
		{__LINE__, "1000 JPY", "999 JPY", CP_E_ORDER_BELOW_MINIMUM},
	};

	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct cp_money min, order;
		struct cp_err e;
		enum cp_status st;

		memset(&min, 0, sizeof min);
		memset(&order, 0, sizeof order);
		if (rows[i].min[0] != '\0')
			cp_money_parse_text(rows[i].min, &min, NULL);
		if (rows[i].order[0] != '\0')
			cp_money_parse_text(rows[i].order, &order, NULL);
		cp_err_clear(&e);
		st = cp_order_check(&min, rows[i].order[0] != '\0' ? &order : NULL, &e);
		CHECK_AT(rows[i].line, st == rows[i].st, "min '%s' order '%s': %s (%s)",
			 rows[i].min, rows[i].order, cp_status_code(st), e.msg);
		CHECK_AT(rows[i].line, st == CP_OK || strcmp(e.field, "order_amount") == 0,
			 "refusal names field '%s'", e.field);
		CHECK_AT(rows[i].line, st != CP_E_ORDER_BELOW_MINIMUM || strstr(e.msg, "50.00 EUR") ||
					       strstr(e.msg, "1000 JPY"),
			 "the minimum is not in '%s'", e.msg);
	}
}

static void test_metadata(void)
{
	static const struct {
		int line;
		const char *text;
		enum cp_status st;
	} rows[] = {
		{__LINE__, "{}", CP_OK},
		{__LINE__, " { } ", CP_OK},
		{__LINE__, "{\"a\":1,\"b\":[true,false,null,-0.5e+3,\"x\"],\"c\":{\"d\":\"\\u00e9\"}}",
		 CP_OK},
		{__LINE__, "{\"price\":12345678901234567890123}", CP_OK},
		{__LINE__, "{\"snow\":\"\xe2\x98\x83\"}", CP_OK},
		{__LINE__, "{\"pair\":\"\\ud83d\\ude00\"}", CP_OK},
		{__LINE__, "[]", CP_E_INVALID_METADATA},
		{__LINE__, "\"x\"", CP_E_INVALID_METADATA},
		{__LINE__, "", CP_E_INVALID_METADATA},
		{__LINE__, "{", CP_E_INVALID_METADATA},
		{__LINE__, "{}{}", CP_E_INVALID_METADATA},
		{__LINE__, "{\"a\":1,}", CP_E_INVALID_METADATA},
		{__LINE__, "{'a':1}", CP_E_INVALID_METADATA},
		{__LINE__, "{\"a\":01}", CP_E_INVALID_METADATA},
		{__LINE__, "{\"a\":1.}", CP_E_INVALID_METADATA},
		{__LINE__, "{\"a\":+1}", CP_E_INVALID_METADATA},
		{__LINE__, "{\"a\":NaN}", CP_E_INVALID_METADATA},
		{__LINE__, "{\"a\":tru}", CP_E_INVALID_METADATA},
		{__LINE__, "{\"a\":\"\x01\"}", CP_E_INVALID_METADATA},
		{__LINE__, "{\"a\":\"\\x\"}", CP_E_INVALID_METADATA},
		{__LINE__, "{\"a\":\"\\ud83d\"}", CP_E_INVALID_METADATA},
		{__LINE__, "{\"a\":\"\\ude00\"}", CP_E_INVALID_METADATA},
		{__LINE__, "{\"a\":\"\xc0\xaf\"}", CP_E_INVALID_METADATA},
		{__LINE__, "{\"a\":\"\xed\xa0\x80\"}", CP_E_INVALID_METADATA},
		{__LINE__, "{\"a\":\"\xf4\x90\x80\x80\"}", CP_E_INVALID_METADATA},
		{__LINE__, "{\"a\":\"\xe2\x98\"}", CP_E_INVALID_METADATA},
		{__LINE__, "{\"a\":\"unterminated}", CP_E_INVALID_METADATA},
		{__LINE__, "{1:2}", CP_E_INVALID_METADATA},
	};
	char big[CP_METADATA_MAX + 16];
	struct cp_err e;

	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		enum cp_status st = cp_metadata_check(rows[i].text, strlen(rows[i].text), &e);

		CHECK_AT(rows[i].line, st == rows[i].st, "'%s': %s (%s)", rows[i].text,
			 cp_status_code(st), e.msg);
	}
	/* Depth: CP_METADATA_DEPTH nested containers pass, one more does not. */
	{
		char ok[128], bad[128];
		size_t o = 0, b = 0;

		ok[o++] = '{';
		memcpy(ok + o, "\"a\":", 4), o += 4;
		for (int d = 1; d < CP_METADATA_DEPTH; d++)
			ok[o++] = '[';
		for (int d = 1; d < CP_METADATA_DEPTH; d++)
			ok[o++] = ']';
		ok[o++] = '}';
		memcpy(bad, ok, 5), b = 5;
		for (int d = 0; d < CP_METADATA_DEPTH; d++)
			bad[b++] = '[';
		for (int d = 0; d < CP_METADATA_DEPTH; d++)
			bad[b++] = ']';
		bad[b++] = '}';
		CHECK(cp_metadata_check(ok, o, &e) == CP_OK, "depth %d: %s", CP_METADATA_DEPTH,
		      e.msg);
		CHECK(cp_metadata_check(bad, b, &e) == CP_E_INVALID_METADATA, "depth %d passed",
		      CP_METADATA_DEPTH + 1);
	}
	/* Size: exactly CP_METADATA_MAX bytes pass, one more does not. */
	memset(big, ' ', sizeof big);
	memcpy(big, "{\"a\":\"", 6);
	memset(big + 6, 'x', CP_METADATA_MAX - 8);
	memcpy(big + CP_METADATA_MAX - 2, "\"}", 2);
	CHECK(cp_metadata_check(big, CP_METADATA_MAX, &e) == CP_OK, "4096 bytes: %s", e.msg);
	CHECK(cp_metadata_check(big, CP_METADATA_MAX + 1, &e) == CP_E_INVALID_METADATA,
	      "4097 bytes passed");
	/* A NUL inside is not text. */
	CHECK(cp_metadata_check("{\"a\":\"\0\"}", 9, &e) == CP_E_INVALID_METADATA, "NUL passed");
}

static void test_member(void)
{
	static const char body[] =
		"{ \"name\" : \"x\", \"metadata\" :  {\"k\": [1, 2.50, \"}\"]} , \"z\":null}";
	size_t off = 0, n = 0;

	CHECK(cp_json_member(body, strlen(body), "metadata", &off, &n) &&
		      n == strlen("{\"k\": [1, 2.50, \"}\"]}") &&
		      memcmp(body + off, "{\"k\": [1, 2.50, \"}\"]}", n) == 0,
	      "metadata at %zu+%zu", off, n);
	CHECK(cp_json_member(body, strlen(body), "z", &off, &n) && n == 4, "z: %zu", n);
	CHECK(!cp_json_member(body, strlen(body), "nope", &off, &n), "found a missing member");
	CHECK(!cp_json_member("[1]", 3, "a", &off, &n), "found a member of an array");
}

int main(void)
{
	test_currency();
	test_decimal();
	test_money();
	test_reward();
	test_order();
	test_metadata();
	test_member();
	return tl_done("test_money");
}
