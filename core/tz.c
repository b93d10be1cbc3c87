/*
 * Time zones (core/tz.h). GLib's GTimeZone reads the zone's TZif file from
 * the system tz database, including the POSIX rule in its footer that carries
 * the zone past its last listed transition; this file asks it one question,
 * the offset in force at a UTC instant, and builds every other conversion on
 * that. Why GLib and not ICU or a reader of our own: doc/DESIGN.md.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "tz.h"
#include "xmalloc.h"

#define TZ_DIR_DEFAULT "/usr/share/zoneinfo"

struct tz {
	struct tz *next; /* the cache */
	GTimeZone *g;
	bool utc;
	char name[CP_TZ_NAME_MAX + 1];
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tz *cache;
static struct tz utc_zone = {NULL, NULL, true, "UTC"};
static pthread_once_t utc_once = PTHREAD_ONCE_INIT;

static void utc_init(void)
{
	utc_zone.g = g_time_zone_new_utc();
}

const struct tz *tz_utc(void)
{
	pthread_once(&utc_once, utc_init);
	return &utc_zone;
}

const char *tz_name(const struct tz *z)
{
	return z->name;
}

bool tz_is_utc(const struct tz *z)
{
	return z->utc;
}

/* ------------------------------------------------------------ names */

static bool name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '+' || c == '-';
}

/*
 * A name of the database's shape: components of name characters joined by
 * single slashes. No dots at all, so no "." or ".." and no file outside the
 * tree; no control characters or spaces. The trees of other flavours, and the
 * host's own "localtime", are not zone names.
 */
static bool name_shape(const char *s)
{
	static const char *const refused[] = {"posix/", "right/", "localtime"};
	size_t n = strlen(s);

	if (n == 0 || n > CP_TZ_NAME_MAX || s[0] == '/' || s[n - 1] == '/')
		return false;
	for (const char *p = s; *p != '\0'; p++)
		if (!name_char(*p) && !(*p == '/' && p[1] != '/'))
			return false;
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		if (strncmp(s, refused[i], strlen(refused[i])) == 0)
			return false;
	return true;
}

/* NAME is a regular TZif file of the tz database GLib reads. */
static bool name_is_zone_file(const char *name)
{
	const char *dir = getenv("TZDIR");
	char path[PATH_MAX], magic[4];
	struct stat sb;
	bool ok;
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = TZ_DIR_DEFAULT;
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
		return false;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	ok = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
	     read(fd, magic, sizeof magic) == (ssize_t)sizeof magic &&
	     memcmp(magic, "TZif", sizeof magic) == 0;
	close(fd);
	return ok;
}

static enum cp_status refuse(const char *name, struct cp_err *e)
{
	return cp_err_set_field(e, CP_E_INVALID_TIME_ZONE, "time_zone",
				"'%.*s' is not a time zone of the tz database "
				"(names like Europe/Berlin, case as written)",
				CP_TZ_NAME_MAX, name);
}

static struct tz *cache_find(const char *name)
{
	for (struct tz *z = cache; z != NULL; z = z->next)
		if (strcmp(z->name, name) == 0)
			return z;
	return NULL;
}

/* Loads NAME into the cache; the caller holds cache_lock. */
static struct tz *cache_load(const char *name)
{
	struct tz *z;
	GTimeZone *g;

	if (!name_shape(name) || !name_is_zone_file(name) ||
	    (g = g_time_zone_new_identifier(name)) == NULL)
		return NULL;
	z = xcalloc(1, sizeof *z);
	z->g = g;
	memcpy(z->name, name, strlen(name) + 1);
	z->next = cache;
	cache = z;
	return z;
}

enum cp_status tz_open(const char *name, const struct tz **out, struct cp_err *e)
{
	struct tz *z;

	if (strcmp(name, "UTC") == 0) {
		*out = tz_utc();
		return CP_OK;
	}
	pthread_mutex_lock(&cache_lock);
	if ((z = cache_find(name)) == NULL)
		z = cache_load(name);
	pthread_mutex_unlock(&cache_lock);
	if (z == NULL)
		return refuse(name, e);
	*out = z;
	return CP_OK;
}

void tz_cache_free(void)
{
	pthread_mutex_lock(&cache_lock);
	while (cache != NULL) {
		struct tz *z = cache;

		cache = z->next;
		g_time_zone_unref(z->g);
		free(z);
	}
	pthread_mutex_unlock(&cache_lock);
}

/* ------------------------------------------------------------ conversions */

static int interval(const struct tz *z, time_t t)
{
	return g_time_zone_find_interval(z->g, G_TIME_TYPE_UNIVERSAL, (gint64)t);
}

static long offset_at(const struct tz *z, time_t t)
{
	return z->utc ? 0 : (long)g_time_zone_get_offset(z->g, interval(z, t));
}

bool tz_is_dst(const struct tz *z, time_t t)
{
	return !z->utc && g_time_zone_is_dst(z->g, interval(z, t));
}

const char *tz_abbrev(const struct tz *z, time_t t)
{
	return z->utc ? "UTC" : g_time_zone_get_abbreviation(z->g, interval(z, t));
}

long tz_local(const struct tz *z, time_t t, struct tz_civil *c)
{
	long off = offset_at(z, t);
	time_t wall = t + off;
	struct tm tm;

	if (c != NULL && gmtime_r(&wall, &tm) != NULL) {
		c->year = tm.tm_year + 1900;
		c->mon = tm.tm_mon + 1;
		c->day = tm.tm_mday;
		c->hour = tm.tm_hour;
		c->min = tm.tm_min;
		c->sec = tm.tm_sec;
		c->wday = tm.tm_wday;
	}
	return off;
}

time_t tz_civil_seconds(const struct tz_civil *c)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = c->year - 1900;
	tm.tm_mon = c->mon - 1;
	tm.tm_mday = c->day;
	tm.tm_hour = c->hour;
	tm.tm_min = c->min;
	tm.tm_sec = c->sec;
	return timegm(&tm);
}

/*
 * The offsets a day either side of the wall time are the two it can have
 * (zones change offset at most once in two days). A candidate instant counts
 * when the offset in force there is the one that made it.
 */
time_t tz_from_local(const struct tz *z, const struct tz_civil *c)
{
	time_t wall = tz_civil_seconds(c);
	long before = offset_at(z, wall - 86400), after = offset_at(z, wall + 86400);
	time_t early = wall - before, late = wall - after;
	bool early_ok = offset_at(z, early) == before, late_ok = offset_at(z, late) == after;

	if (early_ok && late_ok)
		return early < late ? early : late;
	if (late_ok)
		return late;
	return early; /* a real one, or in a gap: read with the offset before it */
}

/* The first instant in (A, B] whose offset is B's, when A's differs. */
static time_t change_after(const struct tz *z, time_t a, time_t b)
{
	long off = offset_at(z, b);

	while (b - a > 1) {
		time_t m = a + (b - a) / 2;

		if (offset_at(z, m) == off)
			b = m;
		else
			a = m;
	}
	return b;
}

time_t tz_hour_start(const struct tz *z, time_t t)
{
	long off = offset_at(z, t);
	time_t s = t - ((t + off) % 3600 + 3600) % 3600;

	return offset_at(z, s) == off ? s : change_after(z, s, t);
}

time_t tz_next_hour(const struct tz *z, time_t t)
{
	long off = offset_at(z, t);
	time_t n = t + 3600 - ((t + off) % 3600 + 3600) % 3600;

	return offset_at(z, n - 1) == off ? n : change_after(z, t, n - 1);
}

time_t tz_day_start(const struct tz *z, time_t t)
{
	struct tz_civil c;
	time_t s;

	tz_local(z, t, &c);
	c.hour = c.min = c.sec = 0;
	s = tz_from_local(z, &c);
	return s <= t ? s : tz_hour_start(z, t); /* only where the day began in a repeat */
}

time_t tz_next_day(const struct tz *z, time_t t)
{
	struct tz_civil c;
	time_t next;
	struct tm tm;

	tz_local(z, t, &c);
	c.hour = c.min = c.sec = 0;
	next = tz_civil_seconds(&c) + 86400; /* the next date, read back as a date */
	gmtime_r(&next, &tm);
	c.year = tm.tm_year + 1900;
	c.mon = tm.tm_mon + 1;
	c.day = tm.tm_mday;
	return tz_from_local(z, &c);
}

/* ------------------------------------------------------------ front ends */

enum cp_status cp_time_zone_check(const char *name, struct cp_err *e)
{
	const struct tz *z;

	return tz_open(name, &z, e);
}

char *cp_time_format(time_t t, const char *zone, enum cp_time_style style,
		     char out[CP_TIME_TEXT_MAX])
{
	const struct tz *z = tz_utc();
	struct tz_civil c;
	long off;
	int n;

	*out = '\0';
	if (t == 0)
		return out;
	if (zone != NULL && *zone != '\0' && tz_open(zone, &z, NULL) != CP_OK)
		z = tz_utc();
	off = tz_local(z, t, &c);
	if (off % 60 != 0) /* RFC 3339 has no seconds of offset (some zones before 1972) */
		off = tz_local(z = tz_utc(), t, &c);
	n = snprintf(out, CP_TIME_TEXT_MAX, "%04d-%02d-%02d%c%02d:%02d:%02d", c.year, c.mon,
		     c.day, style == CP_TIME_LOCAL ? ' ' : 'T', c.hour, c.min, c.sec);
	if (style == CP_TIME_LOCAL)
		snprintf(out + n, CP_TIME_TEXT_MAX - (size_t)n, " %s", tz_abbrev(z, t));
	else if (tz_is_utc(z))
		snprintf(out + n, CP_TIME_TEXT_MAX - (size_t)n, "Z");
	else
		snprintf(out + n, CP_TIME_TEXT_MAX - (size_t)n, "%c%02ld:%02ld",
			 off < 0 ? '-' : '+', labs(off) / 3600, labs(off) / 60 % 60);
	return out;
}
