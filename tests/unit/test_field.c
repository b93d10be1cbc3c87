/*
 * core/field.c and the name tables: the one reading of every setting a person
 * types. What each front end makes of the same rows is tests/integration/test_fields.c.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "testlib.h"

#define REFUSED (-1)

static const struct {
	int line;
	const char *in;
	long long want; /* seconds since the epoch, REFUSED */
} times[] = {
	{__LINE__, "", 0},
	{__LINE__, "none", 0},
	{__LINE__, "NONE", 0},
	{__LINE__, "2025-03-01", 1740787200},
	{__LINE__, "2025-03-01T12:30", 1740832200},
	{__LINE__, "2025-03-01t12:30", 1740832200},
	{__LINE__, "2025-03-01 12:30", 1740832200},
	{__LINE__, "2025-03-01T12:30:15", 1740832215},
	{__LINE__, "2025-03-01 12:30:15", 1740832215},
	{__LINE__, "2025-03-01T12:30:15Z", 1740832215},
	{__LINE__, "2025-03-01T12:30:15z", 1740832215},
	{__LINE__, "2025-03-01T12:30Z", 1740832200},
	{__LINE__, "2025-03-01T12:30:00+02:00", 1740825000},
	{__LINE__, "2025-03-01T12:30:00-05:30", 1740852000},
	{__LINE__, "2025-03-01T12:30:00+00:00", 1740832200},
	{__LINE__, "2025-01-31T12:00:00.123Z", 1738324800},
	{__LINE__, "2025-01-31T12:00:00.5+01:00", 1738321200},
	{__LINE__, "2024-02-29", 1709164800},
	{__LINE__, "2016-12-31T23:59:60Z", 1483228800}, /* a leap second */
	{__LINE__, "1970-01-01T00:00:01Z", 1},
	{__LINE__, "9999-12-31T23:59:59Z", 253402300799LL},
	{__LINE__, "1970-01-01", REFUSED},               /* 0 is "no bound" */
	{__LINE__, "1969-12-31", REFUSED},
	{__LINE__, "1970-01-01T00:30:00+01:00", REFUSED},
	{__LINE__, "9999-12-31T23:59:59-01:00", REFUSED}, /* past the DATETIME range */
	{__LINE__, "2025-02-29", REFUSED},
	{__LINE__, "2100-02-29", REFUSED},
	{__LINE__, "2025-04-31", REFUSED},
	{__LINE__, "2025-13-01", REFUSED},
	{__LINE__, "2025-00-10", REFUSED},
	{__LINE__, "2025-01-00", REFUSED},
	{__LINE__, "2025-01-01T24:00", REFUSED},
	{__LINE__, "2025-01-01T12:60", REFUSED},
	{__LINE__, "2025-01-01T12:00:61", REFUSED},
	{__LINE__, "2025-3-1", REFUSED},
	{__LINE__, "25-03-01", REFUSED},
	{__LINE__, "2025/03/01", REFUSED},
	{__LINE__, "2025-03-01T", REFUSED},
	{__LINE__, "2025-03-01T12", REFUSED},
	{__LINE__, "2025-03-01T12:3", REFUSED},
	{__LINE__, "2025-03-01T12:30:", REFUSED},
	{__LINE__, "2025-03-01T12:30:00.", REFUSED},
	{__LINE__, "2025-03-01T12:30:00+2", REFUSED},
	{__LINE__, "2025-03-01T12:30:00+0200", REFUSED},
	{__LINE__, "2025-03-01T12:30:00+24:00", REFUSED},
	{__LINE__, "2025-03-01T12:30:00Z ", REFUSED},
	{__LINE__, " 2025-03-01", REFUSED},
	{__LINE__, "2025-03-01+02:00", REFUSED},         /* an offset needs a time */
	{__LINE__, "2025-03-01T12:30:00 UTC", REFUSED},
	{__LINE__, "tomorrow", REFUSED},
	{__LINE__, "nonesuch", REFUSED},
};

static void test_times(void)
{
	for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
		int line = times[i].line;
		struct cp_err e;
		time_t t = 12345;
		enum cp_status st;

		cp_err_clear(&e);
		st = cp_parse_time("starts_at", times[i].in, &t, &e);
		if (times[i].want == REFUSED) {
			CHECK_AT(line, st == CP_E_INVALID_ARGUMENT, "'%s' accepted as %lld",
				 times[i].in, (long long)t);
			CHECK_AT(line, strcmp(e.field, "starts_at") == 0, "field '%s'", e.field);
			CHECK_AT(line, t == 12345, "'%s' wrote a result when refused", times[i].in);
		} else {
			CHECK_AT(line, st == CP_OK && (long long)t == times[i].want,
				 "'%s': %s %lld, want %lld (%s)", times[i].in, cp_status_code(st),
				 (long long)t, times[i].want, e.msg);
		}
	}
}

/* What cp_campaign_set made of the text, as one string for the table. */
static void value_of(const struct cp_campaign *c, const char *field, char *out, size_t size)
{
	const struct cp_format *f = &c->format;

	if (strcmp(field, "name") == 0)
		snprintf(out, size, "%s", c->name);
	else if (strcmp(field, "status") == 0)
		snprintf(out, size, "%s", cp_campaign_status_name(c->status));
	else if (strcmp(field, "starts_at") == 0)
		snprintf(out, size, "%lld", (long long)c->starts_at);
	else if (strcmp(field, "expires_at") == 0)
		snprintf(out, size, "%lld", (long long)c->expires_at);
	else if (strcmp(field, "time_zone") == 0)
		snprintf(out, size, "%s", c->time_zone);
	else if (strcmp(field, "per_user_limit") == 0)
		snprintf(out, size, "%u", (unsigned int)c->per_user_limit);
	else if (strcmp(field, "unredeem") == 0)
		snprintf(out, size, "%s", cp_unredeem_name(c->unredeem_restores));
	else if (strcmp(field, "alphabet") == 0)
		snprintf(out, size, "%s", f->alphabet);
	else if (strcmp(field, "prefix") == 0)
		snprintf(out, size, "%s", f->prefix);
	else if (strcmp(field, "body_length") == 0)
		snprintf(out, size, "%u", f->body_len);
	else if (strcmp(field, "check") == 0)
		snprintf(out, size, "%d", f->check);
	else if (strcmp(field, "group") == 0)
		snprintf(out, size, "%u", f->group);
	else if (strcmp(field, "planned_codes") == 0)
		snprintf(out, size, "%llu", (unsigned long long)c->planned_codes);
	else if (strcmp(field, "events") == 0)
		snprintf(out, size, "%d", c->events);
	else
		snprintf(out, size, "?");
}

static const struct {
	int line;
	const char *field, *in;
	const char *want; /* value_of() after the set; NULL = refused */
} sets[] = {
	{__LINE__, "name", "spring", "spring"},
	{__LINE__, "status", "paused", "paused"},
	{__LINE__, "status", "Active", "active"},
	{__LINE__, "status", "archived", NULL},
	{__LINE__, "status", "running", NULL},
	{__LINE__, "starts_at", "2025-03-01", "1740787200"},
	{__LINE__, "expires_at", "none", "0"},
	{__LINE__, "expires_at", "2025-03-01", "1740873600"}, /* the end of that day */
	{__LINE__, "time_zone", "Europe/Berlin", "Europe/Berlin"},
	{__LINE__, "time_zone", "", "UTC"},
	{__LINE__, "expires_at", "2025-02-30", NULL},
	{__LINE__, "per_user_limit", "0", "0"},
	{__LINE__, "per_user_limit", "4294967295", "4294967295"},
	{__LINE__, "per_user_limit", "4294967296", NULL},
	{__LINE__, "per_user_limit", "-1", NULL},
	{__LINE__, "per_user_limit", "", "0"},
	{__LINE__, "unredeem", "", "restore"},
	{__LINE__, "group", "", "4"},
	{__LINE__, "planned_codes", "", "1000000"},
	{__LINE__, "check", "", "1"},
	{__LINE__, "status", "", "active"},
	{__LINE__, "name", "", ""},
	{__LINE__, "unredeem", "spend", "spend"},
	{__LINE__, "unredeem", "RESTORE", "restore"},
	{__LINE__, "unredeem", "keep", NULL},
	{__LINE__, "alphabet", "", CP_ALPHABET_CROCKFORD},
	{__LINE__, "alphabet", "0123456789", "0123456789"},
	{__LINE__, "alphabet", "01234567890123456789012345678901234567890123456789012345678901234", NULL},
	{__LINE__, "prefix", "spring", "SPRING"},
	{__LINE__, "prefix", "Sp1", "SP1"},
	{__LINE__, "prefix", "", ""},
	{__LINE__, "prefix", "ABCDEFGHIJKLMNOPQ", NULL},
	{__LINE__, "body_length", "", "0"},
	{__LINE__, "body_length", "6", "6"},
	{__LINE__, "body_length", "24", "24"},
	{__LINE__, "body_length", "5", NULL},
	{__LINE__, "body_length", "25", NULL},
	{__LINE__, "check", "no", "0"},
	{__LINE__, "check", "YES", "1"},
	{__LINE__, "check", "false", "0"},
	{__LINE__, "check", "on", "1"},
	{__LINE__, "check", "maybe", NULL},
	{__LINE__, "group", "0", "0"},
	{__LINE__, "group", "25", NULL},
	{__LINE__, "planned_codes", "1", "1"},
	{__LINE__, "planned_codes", "1000000000000", "1000000000000"},
	{__LINE__, "planned_codes", "1000000000001", NULL},
	{__LINE__, "planned_codes", "0", NULL},
	{__LINE__, "planned_codes", "1e6", NULL},
	{__LINE__, "events", "off", "0"},
	{__LINE__, "events", "true", "1"},
	{__LINE__, "nosuch", "1", NULL},
};

static void test_sets(void)
{
	for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
		int line = sets[i].line;
		struct cp_campaign c;
		struct cp_err e;
		enum cp_status st;
		char got[sizeof c.name];

		cp_campaign_init(&c);
		cp_err_clear(&e);
		st = cp_campaign_set(&c, sets[i].field, sets[i].in, &e);
		if (sets[i].want == NULL) {
			CHECK_AT(line, st == CP_E_INVALID_ARGUMENT, "%s '%s' accepted", sets[i].field,
				 sets[i].in);
			CHECK_AT(line, strcmp(e.field, sets[i].field) == 0 && e.msg[0] != '\0',
				 "field '%s' message '%s'", e.field, e.msg);
			continue;
		}
		value_of(&c, sets[i].field, got, sizeof got);
		CHECK_AT(line, st == CP_OK && strcmp(got, sets[i].want) == 0, "%s '%s': %s '%s' (%s)",
			 sets[i].field, sets[i].in, cp_status_code(st), got, e.msg);
	}
}

/*
 * Times read in a campaign's zone: text without an offset is its wall clock, a
 * date alone that ends a span is the end of that day there. WANT is RFC 3339,
 * read back by cp_parse_time; NULL = refused with STATUS.
 */
static const struct {
	int line;
	const char *zone, *in;
	enum cp_time_bound bound;
	const char *want;
	enum cp_status refusal;
} zoned[] = {
	{__LINE__, "UTC", "2025-12-31", CP_TIME_START, "2025-12-31T00:00:00Z", CP_OK},
	{__LINE__, "UTC", "2025-12-31", CP_TIME_END, "2026-01-01T00:00:00Z", CP_OK},
	{__LINE__, "UTC", "2025-12-31T12:00", CP_TIME_END, "2025-12-31T12:00:00Z", CP_OK},
	{__LINE__, "Europe/Berlin", "2025-12-31", CP_TIME_START, "2025-12-31T00:00:00+01:00", CP_OK},
	{__LINE__, "Europe/Berlin", "2025-12-31", CP_TIME_END, "2026-01-01T00:00:00+01:00", CP_OK},
	{__LINE__, "Europe/Berlin", "2025-12-31 23:59:59", CP_TIME_END,
	 "2025-12-31T23:59:59+01:00", CP_OK},
	{__LINE__, "Europe/Berlin", "2025-07-01T09:00", CP_TIME_START, "2025-07-01T09:00:00+02:00",
	 CP_OK},
	/* An offset typed with the time wins over the zone. */
	{__LINE__, "Europe/Berlin", "2025-07-01T09:00:00Z", CP_TIME_START, "2025-07-01T09:00:00Z",
	 CP_OK},
	{__LINE__, "Europe/Berlin", "2025-07-01T09:00:00-05:00", CP_TIME_END,
	 "2025-07-01T14:00:00Z", CP_OK},
	/* Days of 23 and 25 hours end at their local midnights. */
	{__LINE__, "Europe/Berlin", "2025-03-30", CP_TIME_END, "2025-03-31T00:00:00+02:00", CP_OK},
	{__LINE__, "Europe/Berlin", "2025-03-29", CP_TIME_END, "2025-03-30T00:00:00+01:00", CP_OK},
	{__LINE__, "Europe/Berlin", "2025-10-26", CP_TIME_END, "2025-10-27T00:00:00+01:00", CP_OK},
	{__LINE__, "Europe/Berlin", "2025-03-30T02:30", CP_TIME_START, "2025-03-30T03:30:00+02:00",
	 CP_OK},
	{__LINE__, "Europe/Berlin", "2025-10-26T02:30", CP_TIME_START, "2025-10-26T02:30:00+02:00",
	 CP_OK},
	{__LINE__, "America/New_York", "2025-03-09T02:30", CP_TIME_START,
	 "2025-03-09T03:30:00-04:00", CP_OK},
	{__LINE__, "America/New_York", "2025-11-02T01:30", CP_TIME_START,
	 "2025-11-02T01:30:00-04:00", CP_OK},
	{__LINE__, "America/New_York", "2025-11-01", CP_TIME_END, "2025-11-02T00:00:00-04:00", CP_OK},
	{__LINE__, "America/New_York", "2025-11-02", CP_TIME_END, "2025-11-03T00:00:00-05:00", CP_OK},
	{__LINE__, "Asia/Kolkata", "2025-12-31", CP_TIME_END, "2025-12-31T18:30:00Z", CP_OK},
	{__LINE__, "Asia/Kolkata", "2025-12-31T23:59", CP_TIME_START, "2025-12-31T18:29:00Z", CP_OK},
	{__LINE__, "Pacific/Kiritimati", "9999-12-31", CP_TIME_START, "9999-12-30T10:00:00Z", CP_OK},
	{__LINE__, "UTC", "9999-12-31", CP_TIME_END, NULL, CP_E_INVALID_ARGUMENT},
	{__LINE__, "America/New_York", "1970-01-01", CP_TIME_START, "1970-01-01T05:00:00Z", CP_OK},
	{__LINE__, "Europe/Berlin", "1970-01-01", CP_TIME_START, NULL, CP_E_INVALID_ARGUMENT},
	{__LINE__, "Europe/Berlin", "2025-02-29", CP_TIME_END, NULL, CP_E_INVALID_ARGUMENT},
	{__LINE__, "Europe/Berlin", "2025-12-31T24:00", CP_TIME_END, NULL, CP_E_INVALID_ARGUMENT},
	{__LINE__, "Europe/Berlin", "none", CP_TIME_END, "", CP_OK},
	{__LINE__, "Mars/Olympus_Mons", "2025-12-31", CP_TIME_END, NULL, CP_E_INVALID_TIME_ZONE},
	{__LINE__, "../../etc/passwd", "2025-12-31", CP_TIME_END, NULL, CP_E_INVALID_TIME_ZONE},
};

static void test_zoned(void)
{
	for (size_t i = 0; i < sizeof zoned / sizeof zoned[0]; i++) {
		int line = zoned[i].line;
		time_t t = 12345, want = 0;
		struct cp_err e;
		enum cp_status st;

		cp_err_clear(&e);
		st = cp_parse_time_in("expires_at", zoned[i].in, zoned[i].zone, zoned[i].bound, &t,
				      &e);
		if (zoned[i].want == NULL) {
			CHECK_AT(line, st == zoned[i].refusal && t == 12345,
				 "'%s' in %s: %s, %lld", zoned[i].in, zoned[i].zone, cp_status_code(st),
				 (long long)t);
			CHECK_AT(line, e.field[0] != '\0' && e.msg[0] != '\0', "field '%s' msg '%s'",
				 e.field, e.msg);
			continue;
		}
		CHECK_AT(line, cp_parse_time("want", zoned[i].want, &want, NULL) == CP_OK,
			 "bad row");
		CHECK_AT(line, st == CP_OK && t == want, "'%s' in %s: %s %lld, want %lld (%s)",
			 zoned[i].in, zoned[i].zone, cp_status_code(st), (long long)t,
			 (long long)want, e.msg);
	}
}

/* The zone is the campaign's: set it first; setting it moves no stored instant. */
static void test_campaign_zone(void)
{
	struct cp_campaign c;
	struct cp_err e;
	time_t berlin_end, utc_end;

	cp_campaign_init(&c);
	CHECK(strcmp(c.time_zone, "UTC") == 0, "default zone '%s'", c.time_zone);
	CHECK(cp_campaign_set(&c, "expires_at", "2025-12-31", &e) == CP_OK, "%s", e.msg);
	utc_end = c.expires_at;
	CHECK(cp_campaign_set(&c, "time_zone", "Europe/Berlin", &e) == CP_OK, "%s", e.msg);
	CHECK(c.expires_at == utc_end, "a zone change moved the end");
	CHECK(cp_campaign_set(&c, "expires_at", "2025-12-31", &e) == CP_OK, "%s", e.msg);
	berlin_end = c.expires_at;
	CHECK(utc_end - berlin_end == 3600, "end of 31 December: UTC %lld, Berlin %lld",
	      (long long)utc_end, (long long)berlin_end);
	cp_err_clear(&e);
	CHECK(cp_campaign_set(&c, "time_zone", "Europe/Berlin ", &e) == CP_E_INVALID_TIME_ZONE &&
	      strcmp(e.field, "time_zone") == 0, "a bad zone: %s", e.msg);
	CHECK(strcmp(c.time_zone, "Europe/Berlin") == 0, "a refused zone was stored: '%s'",
	      c.time_zone);
	CHECK(cp_campaign_set(&c, "time_zone", "", &e) == CP_OK && strcmp(c.time_zone, "UTC") == 0,
	      "empty is the default: '%s'", c.time_zone);
}

static const struct {
	int line;
	const char *in;
	unsigned int want; /* 0 = refused */
} ttls[] = {
	{__LINE__, "1", 1},
	{__LINE__, "900", 900},
	{__LINE__, "86400", 86400},
	{__LINE__, "0", 0},
	{__LINE__, "86401", 0},
	{__LINE__, "15m", 0},
	{__LINE__, "", 0},
};

static void test_ttls(void)
{
	for (size_t i = 0; i < sizeof ttls / sizeof ttls[0]; i++) {
		unsigned int ttl = 0;
		struct cp_err e;
		enum cp_status st;

		cp_err_clear(&e);
		st = cp_parse_ttl(ttls[i].in, &ttl, &e);
		CHECK_AT(ttls[i].line, ttls[i].want ? st == CP_OK && ttl == ttls[i].want
						    : st == CP_E_INVALID_ARGUMENT &&
							      strcmp(e.field, "ttl") == 0,
			 "ttl '%s': %s %u (%s)", ttls[i].in, cp_status_code(st), ttl, e.msg);
	}
}

static const struct {
	int line;
	const char *in;
	int want; /* enum cp_gen_method, -1 = refused */
} methods[] = {
	{__LINE__, "random", CP_GEN_RANDOM},
	{__LINE__, "Keyed", CP_GEN_KEYED},
	{__LINE__, "sideways", -1},
	{__LINE__, "", -1},
};

static void test_methods(void)
{
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		enum cp_gen_method m = CP_GEN_RANDOM;
		struct cp_err e;
		enum cp_status st;

		cp_err_clear(&e);
		st = cp_parse_method(methods[i].in, &m, &e);
		CHECK_AT(methods[i].line, methods[i].want >= 0
						  ? st == CP_OK && (int)m == methods[i].want
						  : st == CP_E_INVALID_ARGUMENT &&
							    strcmp(e.field, "method") == 0,
			 "method '%s': %s %d (%s)", methods[i].in, cp_status_code(st), (int)m, e.msg);
	}
}

/* Each name table reads back what it writes, and nothing else. */
static void test_names(void)
{
	enum cp_campaign_status cs;
	enum cp_code_status ks;
	bool restores;

	for (int s = CP_CAMPAIGN_ACTIVE; s <= CP_CAMPAIGN_ARCHIVED; s++)
		CHECK(cp_campaign_status_parse(cp_campaign_status_name(s), &cs) && (int)cs == s,
		      "campaign status %d", s);
	CHECK(!cp_campaign_status_parse("unknown", &cs), "unknown campaign status");
	for (int s = CP_CODE_AVAILABLE; s <= CP_CODE_EXPIRED; s++)
		CHECK(cp_code_status_parse(cp_code_status_name(s), &ks) && (int)ks == s,
		      "code status %d", s);
	CHECK(!cp_code_status_parse("redeem", &ks), "unknown code status");
	for (int r = 0; r < 2; r++)
		CHECK(cp_unredeem_parse(cp_unredeem_name(r), &restores) && restores == r,
		      "unredeem %d", r);
	CHECK(!cp_unredeem_parse("", &restores), "empty unredeem");
}

/* The body length left open is core's choice, made once. */
static void test_length(void)
{
	struct cp_campaign c;
	struct cp_err e;

	cp_campaign_init(&c);
	cp_err_clear(&e);
	CHECK(c.format.body_len == 0, "no length before it is chosen");
	CHECK(cp_campaign_choose_length(&c, 0, &e) == CP_OK && c.format.body_len == 10,
	      "a million Crockford codes: 10 symbols, got %u (%s)", c.format.body_len, e.msg);
	c.format.body_len = 0;
	CHECK(cp_campaign_choose_length(&c, 1e-6, &e) == CP_OK && c.format.body_len == 8,
	      "at 1e-6: 8, got %u", c.format.body_len);
	c.format.body_len = 7;
	CHECK(cp_campaign_choose_length(&c, 0, &e) == CP_OK && c.format.body_len == 7,
	      "a chosen length stays");
	cp_campaign_init(&c);
	CHECK(cp_campaign_set(&c, "alphabet", "01", &e) == CP_OK &&
	      cp_campaign_set(&c, "planned_codes", "1000000000000", &e) == CP_OK, "binary plan");
	CHECK(cp_campaign_choose_length(&c, 0, &e) == CP_E_FORMAT_WEAK &&
	      strcmp(e.field, "planned_codes") == 0, "too many for 24 bits: %s (%s)", e.field,
	      e.msg);
}

int main(void)
{
	test_times();
	test_sets();
	test_zoned();
	test_campaign_zone();
	test_ttls();
	test_methods();
	test_names();
	test_length();
	return tl_done("test_field");
}
