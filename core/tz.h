/*
 * Time zones of the tz database (core/tz.c): an IANA name such as
 * "Europe/Berlin" opened once, then conversions between UTC instants and the
 * wall clock there. Private to core; front ends reach it through
 * cp_time_format() and the campaign's time_zone field.
 *
 * Thread safety: a struct tz is immutable once tz_open has returned it and
 * lives until the process ends, so any thread may use it without a lock; only
 * tz_open takes one, to consult the cache. Nothing here touches TZ, tzset()
 * or localtime(): the zone's rules are read from the system's TZif file
 * ($TZDIR, else /usr/share/zoneinfo), the one tzdata update refreshes.
 */
#ifndef TZ_H
#define TZ_H

#include <stdbool.h>
#include <time.h>

#include "coupon.h"

struct tz;

/* A wall-clock reading: mon 1..12, day 1..31, wday 0 = Sunday. */
struct tz_civil {
	int year, mon, day, hour, min, sec, wday;
};

/*
 * The zone named NAME (exactly as in the tz database, case and all; "UTC"
 * needs no file). CP_E_INVALID_TIME_ZONE (field "time_zone") for a name that
 * is not a zone file there, or that could name anything else: empty, over
 * CP_TZ_NAME_MAX bytes, a leading '/', a "." or ".." component, characters
 * other than letters, digits and "/_+-", or the "posix/" and "right/" trees.
 * The result is cached: later opens of the name return the same pointer.
 */
enum cp_status tz_open(const char *name, const struct tz **out, struct cp_err *);
/* The zone UTC, which is always there. */
const struct tz *tz_utc(void);
const char *tz_name(const struct tz *);
bool tz_is_utc(const struct tz *);

/* The wall clock at instant T in Z into *C (may be NULL); returns the offset east of UTC, s. */
long tz_local(const struct tz *z, time_t t, struct tz_civil *c);
/* Whether daylight-saving time is in force at T, and its abbreviation ("CEST"). */
bool tz_is_dst(const struct tz *z, time_t t);
const char *tz_abbrev(const struct tz *z, time_t t);

/* C read as a UTC wall clock (timegm; out-of-range fields normalised). */
time_t tz_civil_seconds(const struct tz_civil *c);

/*
 * The instant at which Z's clocks show C (wday ignored; C must be a valid date
 * and time). A wall time that occurs twice (clocks set back) is its first
 * occurrence, the earlier instant. A wall time that never occurs (clocks set
 * forward) is read with the offset in force before the change, so it lands as
 * far past the change as it lies past the gap's start: 02:30 on the morning
 * Berlin goes from +01:00 to +02:00 is 03:30+02:00; midnight skipped is the
 * day's first instant. The rule of RFC 5545 and java.time.
 */
time_t tz_from_local(const struct tz *z, const struct tz_civil *c);

/*
 * The first instant of the local day (hour) containing T, and of the day
 * (hour) after it. An hour is the span the clocks show one hour number, so the
 * hour repeated when clocks go back is two hours here, each of its own offset.
 */
time_t tz_day_start(const struct tz *z, time_t t);
time_t tz_next_day(const struct tz *z, time_t t);
time_t tz_hour_start(const struct tz *z, time_t t);
time_t tz_next_hour(const struct tz *z, time_t t);

/* Frees the cache (for leak checkers at exit; no tz may be used afterwards). */
void tz_cache_free(void);

#endif
