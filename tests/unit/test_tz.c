/*
 * core/tz.c against the system tz database: which names open, and the
 * conversions across the changes of Europe/Berlin and America/New_York, at
 * Asia/Kolkata's half hour, and from many threads at once. Expected instants
 * are written as RFC 3339 with the offset, read by cp_parse_time.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "tz.h"

static const struct {
	int line;
	const char *name;
	bool ok;
} names[] = {
	{__LINE__, "UTC", true},
	{__LINE__, "Europe/Berlin", true},
	{__LINE__, "America/New_York", true},
	{__LINE__, "America/Argentina/Buenos_Aires", true},
	{__LINE__, "Asia/Kolkata", true},
	{__LINE__, "Etc/GMT-14", true},
	{__LINE__, "EST5EDT", true}, /* a file of the database, so a zone */
	{__LINE__, "", false},
	{__LINE__, "europe/berlin", false},
	{__LINE__, "Europe/Nowhere", false},
	{__LINE__, "Europe", false}, /* a directory */
	{__LINE__, "Europe/", false},
	{__LINE__, "Europe//Berlin", false},
	{__LINE__, "/Europe/Berlin", false},
	{__LINE__, "/etc/passwd", false},
	{__LINE__, "../../../etc/passwd", false},
	{__LINE__, "Europe/../Europe/Berlin", false},
	{__LINE__, "./UTC", false},
	{__LINE__, "zone.tab", false},
	{__LINE__, "tzdata.zi", false},
	{__LINE__, "posix/Europe/Berlin", false},
	{__LINE__, "right/UTC", false},
	{__LINE__, "localtime", false},
	{__LINE__, "Europe/Berlin\n", false},
	{__LINE__, "Europe/Ber\tlin", false},
	{__LINE__, "Europe/Berlin ", false},
	{__LINE__, "ABC3", false},   /* a POSIX TZ rule, not a name */
	{__LINE__, "CET-1CEST", false},
	{__LINE__, "+05:30", false},
	{__LINE__, "Z", false},
	{__LINE__, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", false},
};

static void test_names(void)
{
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const struct tz *z = NULL;
		struct cp_err e;
		enum cp_status st;

		cp_err_clear(&e);
		st = tz_open(names[i].name, &z, &e);
		if (names[i].ok) {
			CHECK_AT(names[i].line, st == CP_OK && strcmp(tz_name(z), names[i].name) == 0,
				 "'%s': %s", names[i].name, e.msg);
			continue;
		}
		CHECK_AT(names[i].line,
			 st == CP_E_INVALID_TIME_ZONE && strcmp(e.field, "time_zone") == 0,
			 "'%s' opened (%s)", names[i].name, cp_status_code(st));
	}
}

static time_t at(int line, const char *rfc3339)
{
	struct cp_err e;
	time_t t = 0;

	CHECK_AT(line, cp_parse_time("t", rfc3339, &t, &e) == CP_OK, "%s: %s", rfc3339, e.msg);
	return t;
}

static const struct tz *zone(int line, const char *name)
{
	const struct tz *z = tz_utc();
	struct cp_err e;

	CHECK_AT(line, tz_open(name, &z, &e) == CP_OK, "%s: %s", name, e.msg);
	return z;
}

/* An instant, and the wall clock, offset and DST flag there. */
static const struct {
	int line;
	const char *zone, *instant, *wall;
	long offset;
	bool dst;
} locals[] = {
	{__LINE__, "UTC", "2025-03-30T00:59:59Z", "2025-03-30 00:59:59", 0, false},
	{__LINE__, "Europe/Berlin", "2025-03-30T00:59:59Z", "2025-03-30 01:59:59", 3600, false},
	{__LINE__, "Europe/Berlin", "2025-03-30T01:00:00Z", "2025-03-30 03:00:00", 7200, true},
	{__LINE__, "Europe/Berlin", "2025-10-26T00:59:59Z", "2025-10-26 02:59:59", 7200, true},
	{__LINE__, "Europe/Berlin", "2025-10-26T01:00:00Z", "2025-10-26 02:00:00", 3600, false},
	{__LINE__, "America/New_York", "2025-03-09T06:59:59Z", "2025-03-09 01:59:59", -18000, false},
	{__LINE__, "America/New_York", "2025-03-09T07:00:00Z", "2025-03-09 03:00:00", -14400, true},
	{__LINE__, "America/New_York", "2025-11-02T05:59:59Z", "2025-11-02 01:59:59", -14400, true},
	{__LINE__, "America/New_York", "2025-11-02T06:00:00Z", "2025-11-02 01:00:00", -18000, false},
	{__LINE__, "Asia/Kolkata", "2025-12-31T18:29:59Z", "2025-12-31 23:59:59", 19800, false},
	{__LINE__, "Asia/Kolkata", "2025-12-31T18:30:00Z", "2026-01-01 00:00:00", 19800, false},
	/* Past the last transition the file lists: the footer's rule. */
	{__LINE__, "Europe/Berlin", "2099-07-01T12:00:00Z", "2099-07-01 14:00:00", 7200, true},
	{__LINE__, "America/New_York", "2099-01-01T12:00:00Z", "2099-01-01 07:00:00", -18000, false},
};

static void test_local(void)
{
	for (size_t i = 0; i < sizeof locals / sizeof locals[0]; i++) {
		int line = locals[i].line;
		const struct tz *z = zone(line, locals[i].zone);
		time_t t = at(line, locals[i].instant);
		struct tz_civil c;
		char wall[32];
		long off = tz_local(z, t, &c);

		snprintf(wall, sizeof wall, "%04d-%02d-%02d %02d:%02d:%02d", c.year, c.mon, c.day,
			 c.hour, c.min, c.sec);
		CHECK_AT(line, strcmp(wall, locals[i].wall) == 0 && off == locals[i].offset,
			 "%s in %s: %s %+ld", locals[i].instant, locals[i].zone, wall, off);
		CHECK_AT(line, tz_is_dst(z, t) == locals[i].dst, "dst at %s", locals[i].instant);
	}
}

/* A wall time and the instant it is: gaps forward by their length, repeats the first. */
static const struct {
	int line;
	const char *zone;
	int y, mo, d, h, mi, s;
	const char *want;
} walls[] = {
	{__LINE__, "UTC", 2025, 3, 30, 2, 30, 0, "2025-03-30T02:30:00Z"},
	{__LINE__, "Europe/Berlin", 2025, 1, 15, 12, 0, 0, "2025-01-15T12:00:00+01:00"},
	{__LINE__, "Europe/Berlin", 2025, 7, 15, 12, 0, 0, "2025-07-15T12:00:00+02:00"},
	{__LINE__, "Europe/Berlin", 2025, 3, 30, 1, 59, 59, "2025-03-30T01:59:59+01:00"},
	{__LINE__, "Europe/Berlin", 2025, 3, 30, 2, 0, 0, "2025-03-30T03:00:00+02:00"},   /* gap */
	{__LINE__, "Europe/Berlin", 2025, 3, 30, 2, 30, 0, "2025-03-30T03:30:00+02:00"},  /* gap */
	{__LINE__, "Europe/Berlin", 2025, 3, 30, 3, 0, 0, "2025-03-30T03:00:00+02:00"},
	{__LINE__, "Europe/Berlin", 2025, 10, 26, 2, 30, 0, "2025-10-26T02:30:00+02:00"}, /* twice */
	{__LINE__, "Europe/Berlin", 2025, 10, 26, 3, 0, 0, "2025-10-26T03:00:00+01:00"},
	{__LINE__, "America/New_York", 2025, 3, 9, 2, 30, 0, "2025-03-09T03:30:00-04:00"},
	{__LINE__, "America/New_York", 2025, 11, 2, 1, 30, 0, "2025-11-02T01:30:00-04:00"},
	{__LINE__, "America/New_York", 2025, 11, 2, 2, 0, 0, "2025-11-02T02:00:00-05:00"},
	{__LINE__, "Asia/Kolkata", 2026, 1, 1, 0, 0, 0, "2025-12-31T18:30:00Z"},
	/* Midnight skipped (Chile sets its clocks from 24:00 to 01:00). */
	{__LINE__, "America/Santiago", 2025, 9, 7, 0, 0, 0, "2025-09-07T01:00:00-03:00"},
};

static void test_from_local(void)
{
	for (size_t i = 0; i < sizeof walls / sizeof walls[0]; i++) {
		int line = walls[i].line;
		struct tz_civil c = {walls[i].y, walls[i].mo, walls[i].d,
				     walls[i].h, walls[i].mi, walls[i].s, 0};
		time_t got = tz_from_local(zone(line, walls[i].zone), &c);
		time_t want = at(line, walls[i].want);

		CHECK_AT(line, got == want, "%s: %lld, want %lld", walls[i].want, (long long)got,
			 (long long)want);
	}
}

/* The day and the hour around an instant: 23- and 25-hour days, the repeated hour. */
static const struct {
	int line;
	const char *zone, *instant, *day, *next_day, *hour, *next_hour;
} spans[] = {
	{__LINE__, "UTC", "2025-03-30T12:34:56Z", "2025-03-30T00:00:00Z", "2025-03-31T00:00:00Z",
	 "2025-03-30T12:00:00Z", "2025-03-30T13:00:00Z"},
	{__LINE__, "Europe/Berlin", "2025-03-30T01:30:00+01:00", "2025-03-30T00:00:00+01:00",
	 "2025-03-31T00:00:00+02:00", "2025-03-30T01:00:00+01:00", "2025-03-30T03:00:00+02:00"},
	{__LINE__, "Europe/Berlin", "2025-10-26T02:15:00+02:00", "2025-10-26T00:00:00+02:00",
	 "2025-10-27T00:00:00+01:00", "2025-10-26T02:00:00+02:00", "2025-10-26T02:00:00+01:00"},
	{__LINE__, "Europe/Berlin", "2025-10-26T02:15:00+01:00", "2025-10-26T00:00:00+02:00",
	 "2025-10-27T00:00:00+01:00", "2025-10-26T02:00:00+01:00", "2025-10-26T03:00:00+01:00"},
	{__LINE__, "Europe/Berlin", "2025-12-31T23:59:59+01:00", "2025-12-31T00:00:00+01:00",
	 "2026-01-01T00:00:00+01:00", "2025-12-31T23:00:00+01:00", "2026-01-01T00:00:00+01:00"},
	{__LINE__, "America/New_York", "2025-03-09T12:00:00-04:00", "2025-03-09T00:00:00-05:00",
	 "2025-03-10T00:00:00-04:00", "2025-03-09T12:00:00-04:00", "2025-03-09T13:00:00-04:00"},
	{__LINE__, "America/New_York", "2025-11-02T01:30:00-05:00", "2025-11-02T00:00:00-04:00",
	 "2025-11-03T00:00:00-05:00", "2025-11-02T01:00:00-05:00", "2025-11-02T02:00:00-05:00"},
	{__LINE__, "Asia/Kolkata", "2025-06-01T15:40:00+05:30", "2025-06-01T00:00:00+05:30",
	 "2025-06-02T00:00:00+05:30", "2025-06-01T15:00:00+05:30", "2025-06-01T16:00:00+05:30"},
	{__LINE__, "America/Santiago", "2025-09-07T12:00:00-03:00", "2025-09-07T01:00:00-03:00",
	 "2025-09-08T00:00:00-03:00", "2025-09-07T12:00:00-03:00", "2025-09-07T13:00:00-03:00"},
};

static void test_spans(void)
{
	for (size_t i = 0; i < sizeof spans / sizeof spans[0]; i++) {
		int line = spans[i].line;
		const struct tz *z = zone(line, spans[i].zone);
		time_t t = at(line, spans[i].instant);

		CHECK_AT(line, tz_day_start(z, t) == at(line, spans[i].day), "day of %s",
			 spans[i].instant);
		CHECK_AT(line, tz_next_day(z, t) == at(line, spans[i].next_day), "next day of %s",
			 spans[i].instant);
		CHECK_AT(line, tz_hour_start(z, t) == at(line, spans[i].hour), "hour of %s",
			 spans[i].instant);
		CHECK_AT(line, tz_next_hour(z, t) == at(line, spans[i].next_hour),
			 "next hour of %s", spans[i].instant);
	}
}

static const struct {
	int line;
	const char *zone, *instant;
	enum cp_time_style style;
	const char *want;
} formats[] = {
	{__LINE__, "", "2025-12-31T23:00:00Z", CP_TIME_RFC3339, "2025-12-31T23:00:00Z"},
	{__LINE__, "UTC", "2025-12-31T23:00:00Z", CP_TIME_RFC3339, "2025-12-31T23:00:00Z"},
	{__LINE__, "Europe/Berlin", "2025-12-31T23:00:00Z", CP_TIME_RFC3339,
	 "2026-01-01T00:00:00+01:00"},
	{__LINE__, "Europe/Berlin", "2025-07-01T00:00:00Z", CP_TIME_LOCAL,
	 "2025-07-01 02:00:00 CEST"},
	{__LINE__, "America/New_York", "2025-11-02T06:30:00Z", CP_TIME_RFC3339,
	 "2025-11-02T01:30:00-05:00"},
	{__LINE__, "America/New_York", "2025-11-02T06:30:00Z", CP_TIME_LOCAL,
	 "2025-11-02 01:30:00 EST"},
	{__LINE__, "Asia/Kolkata", "2025-12-31T18:30:00Z", CP_TIME_RFC3339,
	 "2026-01-01T00:00:00+05:30"},
	{__LINE__, "Europe/London", "2025-01-01T00:00:00Z", CP_TIME_RFC3339,
	 "2025-01-01T00:00:00+00:00"},
	{__LINE__, "Africa/Monrovia", "1971-06-01T00:00:00Z", CP_TIME_RFC3339,
	 "1971-06-01T00:00:00Z"}, /* -00:44:30 has no RFC 3339 form */
	{__LINE__, "No/Such_Zone", "2025-12-31T23:00:00Z", CP_TIME_RFC3339, "2025-12-31T23:00:00Z"},
};

static void test_format(void)
{
	char out[CP_TIME_TEXT_MAX];

	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		int line = formats[i].line;

		cp_time_format(at(line, formats[i].instant), formats[i].zone, formats[i].style,
			       out);
		CHECK_AT(line, strcmp(out, formats[i].want) == 0, "'%s', want '%s'", out,
			 formats[i].want);
	}
	CHECK(*cp_time_format(0, "Europe/Berlin", CP_TIME_RFC3339, out) == '\0', "0 is no time");
}

/* Many threads opening and converting at once agree with one thread alone. */
#define THREADS 8
static void *convert_many(void *arg)
{
	static const char *const zones[] = {"Europe/Berlin", "America/New_York", "Asia/Kolkata",
					    "Australia/Lord_Howe", "Pacific/Chatham"};
	long *bad = arg;

	for (int i = 0; i < 20000; i++) {
		const struct tz *z;
		time_t t = 1700000000 + (time_t)i * 7919, back;
		struct tz_civil c;

		if (tz_open(zones[i % 5], &z, NULL) != CP_OK) {
			(*bad)++;
			continue;
		}
		tz_local(z, t, &c);
		back = tz_from_local(z, &c);
		/* Only a repeated wall time may map back to its other instant. */
		if (back != t && tz_local(z, back, NULL) == tz_local(z, t, NULL))
			(*bad)++;
		if (tz_day_start(z, t) > t || tz_next_day(z, t) <= t || tz_hour_start(z, t) > t ||
		    tz_next_hour(z, t) <= t)
			(*bad)++;
	}
	return NULL;
}

static void test_threads(void)
{
	pthread_t th[THREADS];
	long bad[THREADS] = {0};

	for (int i = 0; i < THREADS; i++)
		CHECK(pthread_create(&th[i], NULL, convert_many, &bad[i]) == 0, "thread %d", i);
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		CHECK(bad[i] == 0, "thread %d: %ld wrong conversions", i, bad[i]);
	}
}

int main(void)
{
	const struct tz *a, *b;

	/* The process's own zone must change nothing. */
	setenv("TZ", "Pacific/Kiritimati", 1);
	tzset();
	test_names();
	test_local();
	test_from_local();
	test_spans();
	test_format();
	test_threads();
	CHECK(tz_open("Europe/Berlin", &a, NULL) == CP_OK &&
	      tz_open("Europe/Berlin", &b, NULL) == CP_OK && a == b, "the cache shares a zone");
	tz_cache_free();
	return tl_done("test_tz");
}
