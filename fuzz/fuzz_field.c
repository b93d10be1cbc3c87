/*
 * libFuzzer target: what people type into a campaign's settings (core/field.c).
 * The first byte picks the field, the rest is the text. An accepted time, written
 * back in RFC 3339 (in UTC, and with a DST zone's offset), reads as the same instant; an accepted reward or amount,
 * written back as text, reads as the same; accepted metadata is kept verbatim.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "coupon.h"

static const char *const fields[] = {
	"name",     "status", "starts_at",   "expires_at", "per_user_limit", "unredeem",
	"alphabet", "prefix", "body_length", "check",      "group",          "planned_codes",
	"events",   "reward", "min_order",   "metadata",   "time_zone",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void time_round_trip(const char *s)
{
	char back[64];
	struct cp_err e;
	struct tm tm;
	time_t t, again;

	if (cp_parse_time("starts_at", s, &t, &e) != CP_OK || t == 0)
		return;
	if (gmtime_r(&t, &tm) == NULL || strftime(back, sizeof back, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		__builtin_trap();
	if (cp_parse_time("starts_at", back, &again, &e) != CP_OK || again != t)
		__builtin_trap();
	/* On a zone's clock: the offset written makes the text one instant. */
	if (cp_parse_time_in("expires_at", s, "America/New_York", CP_TIME_END, &t, &e) != CP_OK ||
	    t == 0)
		return;
	cp_time_format(t, "America/New_York", CP_TIME_RFC3339, back);
	if (cp_parse_time_in("expires_at", back, "Europe/Berlin", CP_TIME_END, &again, &e) !=
		    CP_OK ||
	    again != t)
		__builtin_trap();
}

/* What core writes back it reads back as the same value. */
static void money_round_trip(const char *s)
{
	char back[160];
	struct cp_reward r, again;
	struct cp_money m, m2;

	memset(&r, 0, sizeof r);
	memset(&again, 0, sizeof again);
	if (cp_reward_parse(s, &r, NULL) == CP_OK) {
		cp_reward_text(&r, back, sizeof back);
		if (cp_reward_parse(back, &again, NULL) != CP_OK || !cp_reward_same(&r, &again))
			__builtin_trap();
	}
	if (cp_money_parse_text(s, &m, NULL) == CP_OK) {
		cp_money_text(&m, back, sizeof back);
		if (cp_money_parse_text(back, &m2, NULL) != CP_OK || m.minor != m2.minor ||
		    strcmp(m.currency, m2.currency) != 0)
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cp_campaign c;
	struct cp_err e;
	char *s;

	if (size == 0)
		return 0;
	if ((s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	cp_campaign_init(&c);
	cp_err_clear(&e);
	/* A refusal always names its field. */
	if (cp_campaign_set(&c, fields[data[0] % (sizeof fields / sizeof fields[0])], s, &e) != CP_OK &&
	    e.field[0] == '\0')
		__builtin_trap();
	time_round_trip(s);
	money_round_trip(s);
	if (strcmp(fields[data[0] % (sizeof fields / sizeof fields[0])], "metadata") == 0 &&
	    e.field[0] == '\0' && strcmp(c.reward.metadata, s) != 0)
		__builtin_trap();
	free(s);
	return 0;
}
