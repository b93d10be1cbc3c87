/*
 * Money: ISO 4217 currencies and exact decimal amounts. An amount is held as a
 * signed 64-bit count of the currency's minor unit (cents, fils; yen are their
 * own minor unit), read from and written to decimal text with the currency's
 * exponent. No floating point anywhere: "59.90" is 5990, always.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coupon.h"

/*
 * The active codes of ISO 4217 with their minor-unit exponent, sorted by code.
 * Funds and precious metals without a minor unit (XAU, XDR, ...) are left out:
 * nothing is paid in them at a checkout.
 */
static const struct currency {
	char code[4];
	unsigned char exponent;
} currencies[] = {
	{"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"ANG", 2}, {"AOA", 2}, {"ARS", 2},
	{"AUD", 2}, {"AWG", 2}, {"AZN", 2}, {"BAM", 2}, {"BBD", 2}, {"BDT", 2}, {"BGN", 2},
	{"BHD", 3}, {"BIF", 0}, {"BMD", 2}, {"BND", 2}, {"BOB", 2}, {"BOV", 2}, {"BRL", 2},
	{"BSD", 2}, {"BTN", 2}, {"BWP", 2}, {"BYN", 2}, {"BZD", 2}, {"CAD", 2}, {"CDF", 2},
	{"CHE", 2}, {"CHF", 2}, {"CHW", 2}, {"CLF", 4}, {"CLP", 0}, {"CNY", 2}, {"COP", 2},
	{"COU", 2}, {"CRC", 2}, {"CUP", 2}, {"CVE", 2}, {"CZK", 2}, {"DJF", 0}, {"DKK", 2},
	{"DOP", 2}, {"DZD", 2}, {"EGP", 2}, {"ERN", 2}, {"ETB", 2}, {"EUR", 2}, {"FJD", 2},
	{"FKP", 2}, {"GBP", 2}, {"GEL", 2}, {"GHS", 2}, {"GIP", 2}, {"GMD", 2}, {"GNF", 0},
	{"GTQ", 2}, {"GYD", 2}, {"HKD", 2}, {"HNL", 2}, {"HTG", 2}, {"HUF", 2}, {"IDR", 2},
	{"ILS", 2}, {"INR", 2}, {"IQD", 3}, {"IRR", 2}, {"ISK", 0}, {"JMD", 2}, {"JOD", 3},
	{"JPY", 0}, {"KES", 2}, {"KGS", 2}, {"KHR", 2}, {"KMF", 0}, {"KPW", 2}, {"KRW", 0},
	{"KWD", 3}, {"KYD", 2}, {"KZT", 2}, {"LAK", 2}, {"LBP", 2}, {"LKR", 2}, {"LRD", 2},
	{"LSL", 2}, {"LYD", 3}, {"MAD", 2}, {"MDL", 2}, {"MGA", 2}, {"MKD", 2}, {"MMK", 2},
	{"MNT", 2}, {"MOP", 2}, {"MRU", 2}, {"MUR", 2}, {"MVR", 2}, {"MWK", 2}, {"MXN", 2},
	{"MXV", 2}, {"MYR", 2}, {"MZN", 2}, {"NAD", 2}, {"NGN", 2}, {"NIO", 2}, {"NOK", 2},
	{"NPR", 2}, {"NZD", 2}, {"OMR", 3}, {"PAB", 2}, {"PEN", 2}, {"PGK", 2}, {"PHP", 2},
	{"PKR", 2}, {"PLN", 2}, {"PYG", 0}, {"QAR", 2}, {"RON", 2}, {"RSD", 2}, {"RUB", 2},
	{"RWF", 0}, {"SAR", 2}, {"SBD", 2}, {"SCR", 2}, {"SDG", 2}, {"SEK", 2}, {"SGD", 2},
	{"SHP", 2}, {"SLE", 2}, {"SOS", 2}, {"SRD", 2}, {"SSP", 2}, {"STN", 2}, {"SVC", 2},
	{"SYP", 2}, {"SZL", 2}, {"THB", 2}, {"TJS", 2}, {"TMT", 2}, {"TND", 3}, {"TOP", 2},
	{"TRY", 2}, {"TTD", 2}, {"TWD", 2}, {"TZS", 2}, {"UAH", 2}, {"UGX", 0}, {"USD", 2},
	{"USN", 2}, {"UYI", 0}, {"UYU", 2}, {"UYW", 4}, {"UZS", 2}, {"VED", 2}, {"VES", 2},
	{"VND", 0}, {"VUV", 0}, {"WST", 2}, {"XAF", 0}, {"XCD", 2}, {"XCG", 2}, {"XOF", 0},
	{"XPF", 0}, {"YER", 2}, {"ZAR", 2}, {"ZMW", 2}, {"ZWG", 2},
};

static int by_code(const void *key, const void *elem)
{
	return strcmp(key, ((const struct currency *)elem)->code);
}

int cp_currency_exponent(const char *code)
{
	const struct currency *c;

	if (code == NULL || strlen(code) != CP_CURRENCY_LEN)
		return -1;
	c = bsearch(code, currencies, sizeof currencies / sizeof currencies[0],
		    sizeof currencies[0], by_code);
	return c != NULL ? c->exponent : -1;
}

/*
 * Plain decimal text: digits, no sign, no leading zeros (but "0"), then
 * optionally '.' and 1..EXPONENT digits. Exponent notation, spaces and "+" are
 * refused: an amount is read the way a person writes it, or not at all.
 */
enum cp_status cp_decimal_parse(const char *s, unsigned int exponent, int64_t *minor,
				struct cp_err *e)
{
	const char *p = s;
	uint64_t v = 0;
	unsigned int frac = 0;

	if (s == NULL || *s == '\0')
		return cp_err_set(e, CP_E_INVALID_AMOUNT, "the amount is empty");
	if (*p == '0' && p[1] >= '0' && p[1] <= '9')
		return cp_err_set(e, CP_E_INVALID_AMOUNT, "'%.40s': no leading zeros", s);
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (uint64_t)INT64_MAX / 10 || v * 10 + (uint64_t)(*p - '0') > INT64_MAX)
			return cp_err_set(e, CP_E_INVALID_AMOUNT, "'%.40s' is too large", s);
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p == s)
		return cp_err_set(e, CP_E_INVALID_AMOUNT,
				  "'%.40s' is not a decimal amount (digits, '.', digits)", s);
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, frac++) {
			if (frac == exponent)
				return cp_err_set(e, CP_E_INVALID_AMOUNT,
						  "'%.40s' has more than %u decimals", s, exponent);
			if (v > (uint64_t)INT64_MAX / 10 ||
			    v * 10 + (uint64_t)(*p - '0') > INT64_MAX)
				return cp_err_set(e, CP_E_INVALID_AMOUNT, "'%.40s' is too large", s);
			v = v * 10 + (uint64_t)(*p - '0');
		}
		if (frac == 0)
			return cp_err_set(e, CP_E_INVALID_AMOUNT,
					  "'%.40s': a '.' must have digits after it", s);
	}
	if (*p != '\0')
		return cp_err_set(e, CP_E_INVALID_AMOUNT,
				  "'%.40s' is not a decimal amount (digits, '.', digits)", s);
	for (; frac < exponent; frac++) {
		if (v > (uint64_t)INT64_MAX / 10)
			return cp_err_set(e, CP_E_INVALID_AMOUNT, "'%.40s' is too large", s);
		v *= 10;
	}
	*minor = (int64_t)v;
	return CP_OK;
}

void cp_decimal_format(int64_t minor, unsigned int exponent, char *out, size_t outsz)
{
	uint64_t v = minor < 0 ? 0 - (uint64_t)minor : (uint64_t)minor;
	char digits[48];
	size_t len, o = 0;
	char text[64];

	len = (size_t)snprintf(digits, sizeof digits, "%0*" PRIu64, (int)exponent + 1, v);
	if (minor < 0)
		text[o++] = '-';
	memcpy(text + o, digits, len - exponent);
	o += len - exponent;
	if (exponent > 0) {
		text[o++] = '.';
		memcpy(text + o, digits + len - exponent, exponent);
		o += exponent;
	}
	text[o] = '\0';
	snprintf(out, outsz, "%s", text);
}

enum cp_status cp_money_parse(const char *amount, const char *currency, struct cp_money *m,
			      struct cp_err *e)
{
	char code[CP_CURRENCY_LEN + 1];
	int exp;
	size_t n = currency != NULL ? strnlen(currency, CP_CURRENCY_LEN + 1) : 0;

	if (n != CP_CURRENCY_LEN)
		return cp_err_set(e, CP_E_INVALID_CURRENCY,
				  "the currency must be an ISO 4217 code such as EUR");
	for (size_t i = 0; i < n; i++)
		code[i] = currency[i] >= 'a' && currency[i] <= 'z' ? (char)(currency[i] - 32)
								   : currency[i];
	code[n] = '\0';
	if ((exp = cp_currency_exponent(code)) < 0)
		return cp_err_set(e, CP_E_INVALID_CURRENCY, "'%s' is not an ISO 4217 currency",
				  code);
	if (cp_decimal_parse(amount, (unsigned int)exp, &m->minor, e) != CP_OK) {
		cp_err_prefix(e, "%s amount (%d decimals)", code, exp);
		return CP_E_INVALID_AMOUNT;
	}
	memcpy(m->currency, code, sizeof code);
	return CP_OK;
}

enum cp_status cp_money_parse_text(const char *s, struct cp_money *m, struct cp_err *e)
{
	char amount[32];
	size_t n = strlen(s), a = n;

	/* "59.90 EUR" or "59.90EUR": the last three characters are the currency. */
	if (n < CP_CURRENCY_LEN + 1)
		return cp_err_set(e, CP_E_INVALID_AMOUNT,
				  "'%.40s' is not an amount and a currency such as 59.90EUR", s);
	a = n - CP_CURRENCY_LEN;
	if (s[a - 1] == ' ')
		a--;
	if (a == 0 || a >= sizeof amount)
		return cp_err_set(e, CP_E_INVALID_AMOUNT,
				  "'%.40s' is not an amount and a currency such as 59.90EUR", s);
	memcpy(amount, s, a);
	amount[a] = '\0';
	return cp_money_parse(amount, s + n - CP_CURRENCY_LEN, m, e);
}

void cp_money_amount(const struct cp_money *m, char *out, size_t outsz)
{
	int exp = cp_currency_exponent(m->currency);

	cp_decimal_format(m->minor, exp < 0 ? 0 : (unsigned int)exp, out, outsz);
}
