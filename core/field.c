/*
 * The settings people type, read once for every front end. The HTTP API's JSON
 * members, couponadm's options and the console's form all hand their text to
 * cp_campaign_set() and cp_parse_*(), so one input gets one answer everywhere,
 * and a refusal names its field (struct cp_err.field) by its API name.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "coupon.h"
#include "field.h"
#include "tz.h"

int field_name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] != NULL && strcasecmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

/* ------------------------------------------------------------ time */

struct civil {
	int year, mon, day, hour, min, sec;
};

/* Exactly N digits at *P into *V; advances *P past what it read. */
static bool digits(const char **p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return false;
		*v = *v * 10 + (**p - '0');
	}
	return true;
}

static bool skip(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

/* "YYYY-MM-DD", then optionally "T", "t" or " " and "HH:MM[:SS[.fraction]]". */
static bool read_civil(const char **p, struct civil *c)
{
	memset(c, 0, sizeof *c);
	if (!digits(p, 4, &c->year) || !skip(p, '-') || !digits(p, 2, &c->mon) ||
	    !skip(p, '-') || !digits(p, 2, &c->day))
		return false;
	if (!skip(p, 'T') && !skip(p, 't') && !skip(p, ' '))
		return **p == '\0'; /* a date alone has no zone */
	if (!digits(p, 2, &c->hour) || !skip(p, ':') || !digits(p, 2, &c->min))
		return false;
	if (!skip(p, ':'))
		return true;
	if (!digits(p, 2, &c->sec))
		return false;
	if (skip(p, '.')) { /* fractions of a second are dropped */
		if (**p < '0' || **p > '9')
			return false;
		while (**p >= '0' && **p <= '9')
			(*p)++;
	}
	return true;
}

/* The rest of the text: nothing, "Z" or "+HH:MM" / "-HH:MM" (seconds east of UTC). */
static bool read_zone(const char *p, bool *given, long *offset)
{
	int h, m;
	long sign;

	*given = *p != '\0';
	*offset = 0;
	if (*p == '\0' || ((*p == 'Z' || *p == 'z') && p[1] == '\0'))
		return true;
	if (*p != '+' && *p != '-')
		return false;
	sign = *p++ == '-' ? -1 : 1;
	if (!digits(&p, 2, &h) || !skip(&p, ':') || !digits(&p, 2, &m) || *p != '\0' || h > 23 ||
	    m > 59)
		return false;
	*offset = sign * (h * 3600L + m * 60L);
	return true;
}

static bool civil_valid(const struct civil *c)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (c->year % 4 == 0 && c->year % 100 != 0) || c->year % 400 == 0;

	if (c->mon < 1 || c->mon > 12 || c->day < 1)
		return false;
	if (c->day > days[c->mon - 1] + (c->mon == 2 && leap))
		return false;
	/* 60: a leap second, as RFC 3339 allows; it counts as the next minute. */
	return c->hour <= 23 && c->min <= 59 && c->sec <= 60;
}

/*
 * The zone a time is read in: the offset typed with it, else zone Z's wall
 * clock. This is the one place that decides it. A date alone that ends a span
 * is the end of that day, the next day's first instant (ends are exclusive).
 */
static time_t civil_to_unix(const struct civil *c, bool date_only, bool offset_given,
			    long offset, const struct tz *z, enum cp_time_bound bound)
{
	struct tz_civil w = {c->year, c->mon, c->day, c->hour, c->min, c->sec, 0};

	if (offset_given)
		return tz_civil_seconds(&w) - offset;
	w.day += date_only && bound == CP_TIME_END; /* tz_from_local normalises it */
	return tz_from_local(z, &w);
}

/* 10000-01-01T00:00:00Z: the database's DATETIME ends before it. */
#define TIME_END 253402300800LL

enum cp_status cp_parse_time_in(const char *field, const char *s, const char *zone,
			       enum cp_time_bound bound, time_t *out, struct cp_err *e)
{
	const struct tz *z;
	const char *p = s;
	struct civil c;
	bool given;
	long offset;
	enum cp_status st;
	time_t t;

	if (*s == '\0' || strcasecmp(s, "none") == 0) {
		*out = 0;
		return CP_OK;
	}
	if ((st = tz_open(zone, &z, e)) != CP_OK)
		return st;
	if (!read_civil(&p, &c) || !read_zone(p, &given, &offset))
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, field,
					"'%.40s' is not a time: use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] "
					"(%s), or RFC 3339 with Z or an offset", s, tz_name(z));
	if (!civil_valid(&c))
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, field,
					"'%.40s' is not a date and time of the calendar", s);
	t = civil_to_unix(&c, p == s + 10, given, offset, z, bound);
	if (t <= 0 || (long long)t >= TIME_END)
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, field,
					"'%.40s' is outside 1970..9999", s);
	*out = t;
	return CP_OK;
}

enum cp_status cp_parse_time(const char *field, const char *s, time_t *out, struct cp_err *e)
{
	return cp_parse_time_in(field, s, "UTC", CP_TIME_START, out, e);
}

enum cp_status cp_parse_ttl(const char *s, unsigned int *ttl, struct cp_err *e)
{
	uint64_t v;
	enum cp_status st;

	if ((st = cp_parse_uint(s, 1, CP_TTL_MAX, &v, e)) != CP_OK) {
		cp_err_field(e, "ttl");
		return st;
	}
	*ttl = (unsigned int)v;
	return CP_OK;
}

enum cp_status cp_parse_method(const char *s, enum cp_gen_method *m, struct cp_err *e)
{
	/* Imports are made from a file, not generated. */
	if (!cp_gen_method_parse(s, m) || *m == CP_GEN_IMPORT)
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, "method",
					"method must be random or keyed, not '%.40s'", s);
	return CP_OK;
}

/* ------------------------------------------------------------ campaign fields */

struct field_def;
typedef enum cp_status (*set_fn)(struct cp_campaign *, const struct field_def *, const char *,
				 struct cp_err *);

struct field_def {
	const char *name; /* the API's member, cp_err.field */
	set_fn set;
	size_t off, size; /* the member of struct cp_campaign it sets */
	uint64_t min, max; /* numbers */
};

static void *member(struct cp_campaign *c, const struct field_def *f)
{
	return (char *)c + f->off;
}

static enum cp_status set_number(struct cp_campaign *c, const struct field_def *f,
				 const char *s, struct cp_err *e)
{
	void *p = member(c, f);
	uint64_t v;
	enum cp_status st;

	if ((st = cp_parse_uint(s, f->min, f->max, &v, e)) != CP_OK) {
		cp_err_field(e, f->name);
		return st;
	}
	if (f->size == sizeof(uint64_t))
		*(uint64_t *)p = v;
	else
		*(uint32_t *)p = (uint32_t)v;
	return CP_OK;
}

/* In the campaign's zone: set it first. The end of a window is exclusive. */
static enum cp_status set_time(struct cp_campaign *c, const struct field_def *f, const char *s,
			       struct cp_err *e)
{
	return cp_parse_time_in(f->name, s, c->time_zone, CP_TIME_START,
				(time_t *)member(c, f), e);
}

static enum cp_status set_time_end(struct cp_campaign *c, const struct field_def *f,
				   const char *s, struct cp_err *e)
{
	return cp_parse_time_in(f->name, s, c->time_zone, CP_TIME_END, (time_t *)member(c, f),
				e);
}

static enum cp_status set_bool(struct cp_campaign *c, const struct field_def *f, const char *s,
			       struct cp_err *e)
{
	/* Even indexes are false, odd ones true. */
	static const char *const words[] = {"no", "yes", "false", "true", "off", "on"};
	int i = field_name_index(words, sizeof words / sizeof words[0], s);

	if (i >= 0) {
		*(bool *)member(c, f) = i % 2 == 1;
		return CP_OK;
	}
	return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, f->name,
				"'%.40s' is not yes or no (nor true/false, on/off)", s);
}

/* Text that must fit a member: the member's size holds it with its NUL. */
static enum cp_status set_text(struct cp_campaign *c, const struct field_def *f, const char *s,
			       struct cp_err *e)
{
	if (strlen(s) >= f->size)
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, f->name,
					"%s: at most %zu bytes", f->name, f->size - 1);
	memcpy(member(c, f), s, strlen(s) + 1);
	return CP_OK;
}

/* A zone change moves no stored instant: only later text is read in it. */
static enum cp_status set_time_zone(struct cp_campaign *c, const struct field_def *f,
				    const char *s, struct cp_err *e)
{
	enum cp_status st;

	if ((st = cp_time_zone_check(s, e)) != CP_OK)
		return st;
	return set_text(c, f, s, e);
}

static enum cp_status set_name(struct cp_campaign *c, const struct field_def *f, const char *s,
			       struct cp_err *e)
{
	if (strlen(s) >= f->size)
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, f->name,
					"campaign name: 1 to %d characters", CP_NAME_MAX);
	return set_text(c, f, s, e);
}

static enum cp_status set_alphabet(struct cp_campaign *c, const struct field_def *f,
				   const char *s, struct cp_err *e)
{
	if (strlen(s) > CP_ALPHABET_MAX)
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, f->name,
					"the alphabet is longer than %d symbols", CP_ALPHABET_MAX);
	return set_text(c, f, s, e);
}

/* Codes are read case-folded: a prefix typed in lower case means the same. */
static enum cp_status set_prefix(struct cp_campaign *c, const struct field_def *f,
				 const char *s, struct cp_err *e)
{
	char *p = c->format.prefix;

	if (strlen(s) > CP_PREFIX_MAX)
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, f->name,
					"the prefix is longer than %d characters", CP_PREFIX_MAX);
	for (; *s != '\0'; s++)
		*p++ = *s >= 'a' && *s <= 'z' ? (char)(*s - 'a' + 'A') : *s;
	*p = '\0';
	return CP_OK;
}

static enum cp_status set_status(struct cp_campaign *c, const struct field_def *f,
				 const char *s, struct cp_err *e)
{
	enum cp_campaign_status v;

	/* Archiving is not how a campaign begins. */
	if (!cp_campaign_status_parse(s, &v) || v == CP_CAMPAIGN_ARCHIVED)
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, f->name,
					"status must be active or paused");
	c->status = v;
	return CP_OK;
}

static enum cp_status set_unredeem(struct cp_campaign *c, const struct field_def *f,
				   const char *s, struct cp_err *e)
{
	if (!cp_unredeem_parse(s, &c->unredeem_restores))
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, f->name,
					"unredeem must be restore or spend");
	return CP_OK;
}

/* The reward itself: min order and metadata are fields of their own. */
static enum cp_status set_reward(struct cp_campaign *c, const struct field_def *f,
				 const char *s, struct cp_err *e)
{
	struct cp_reward r = c->reward;
	enum cp_status st;

	memset(r.sku, 0, sizeof r.sku);
	r.percent = 0;
	memset(&r.amount, 0, sizeof r.amount);
	if ((st = cp_reward_parse(s, &r, e)) != CP_OK) {
		cp_err_field(e, f->name);
		return st;
	}
	c->reward = r;
	return CP_OK;
}

static enum cp_status set_money(struct cp_campaign *c, const struct field_def *f,
				const char *s, struct cp_err *e)
{
	struct cp_money m;
	enum cp_status st;

	memset(&m, 0, sizeof m);
	if (strcasecmp(s, "none") != 0 && (st = cp_money_parse_text(s, &m, e)) != CP_OK) {
		cp_err_field(e, f->name);
		return st;
	}
	memcpy(member(c, f), &m, sizeof m);
	return CP_OK;
}

/* A cap: a count, or "none" (any case); 0 and none are no cap, as for per_user_limit. */
static enum cp_status set_cap(struct cp_campaign *c, const struct field_def *f, const char *s,
			      struct cp_err *e)
{
	if (strcasecmp(s, "none") != 0)
		return set_number(c, f, s, e);
	memset(member(c, f), 0, f->size);
	return CP_OK;
}

/* A JSON object, kept as written. */
static enum cp_status set_metadata(struct cp_campaign *c, const struct field_def *f,
				   const char *s, struct cp_err *e)
{
	enum cp_status st;

	if ((st = cp_metadata_check(s, strlen(s), e)) != CP_OK) {
		cp_err_field(e, f->name);
		return st;
	}
	memcpy(member(c, f), s, strlen(s) + 1);
	return CP_OK;
}

/* A duration ("90", "15m", "7d"); "none" is 0, no limit. */
static enum cp_status set_duration(struct cp_campaign *c, const struct field_def *f,
				   const char *s, struct cp_err *e)
{
	uint64_t v = 0;
	uint32_t n;

	if (strcasecmp(s, "none") != 0 && cp_parse_duration(s, &v, e) != CP_OK)
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, f->name,
					"%s: a duration such as 3600, 90m, 24h or 30d", f->name);
	if (v > f->max)
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, f->name,
					"%s: at most %llu seconds", f->name,
					(unsigned long long)f->max);
	n = (uint32_t)v;
	memcpy(member(c, f), &n, sizeof n);
	return CP_OK;
}

/* set_number stores 32 bits into unsigned int members too. */
_Static_assert(sizeof(unsigned int) == sizeof(uint32_t), "unsigned int is 32 bits");

#define AT(m) offsetof(struct cp_campaign, m), sizeof ((struct cp_campaign *)0)->m
static const struct field_def fields[] = {
	{"name", set_name, AT(name), 0, 0},
	{"status", set_status, AT(status), 0, 0},
	{"starts_at", set_time, AT(starts_at), 0, 0},
	{"expires_at", set_time_end, AT(expires_at), 0, 0},
	{"time_zone", set_time_zone, AT(time_zone), 0, 0},
	{"per_user_limit", set_number, AT(per_user_limit), 0, UINT32_MAX},
	{"unredeem", set_unredeem, AT(unredeem_restores), 0, 0},
	{"alphabet", set_alphabet, AT(format.alphabet), 0, 0},
	{"prefix", set_prefix, AT(format.prefix), 0, 0},
	{"body_length", set_number, AT(format.body_len), CP_BODY_MIN, CP_BODY_MAX},
	{"check", set_bool, AT(format.check), 0, 0},
	{"group", set_number, AT(format.group), 0, CP_BODY_MAX},
	{"planned_codes", set_number, AT(planned_codes), 1, CP_PLANNED_MAX},
	{"events", set_bool, AT(events), 0, 0},
	{"transferable", set_bool, AT(transferable), 0, 0},
	{"valid_for", set_duration, AT(valid_for), 0, CP_VALID_FOR_MAX},
	{"external", set_bool, AT(format.external), 0, 0},
	{"case_sensitive", set_bool, AT(format.case_sensitive), 0, 0},
	{"ignore_separators", set_bool, AT(format.ignore_separators), 0, 0},
	{"reward", set_reward, offsetof(struct cp_campaign, reward.type),
	 offsetof(struct cp_campaign, reward.min_order) - offsetof(struct cp_campaign, reward.type),
	 0, 0},
	{"min_order", set_money, AT(reward.min_order), 0, 0},
	{"metadata", set_metadata, AT(reward.metadata), 0, 0},
	{"max_redemptions", set_cap, AT(max_redemptions), 0, UINT32_MAX},
};
#undef AT

/* Empty text is the field's default, as null or an absent member is in JSON. */
static void set_default(struct cp_campaign *c, const struct field_def *f)
{
	struct cp_campaign d;

	cp_campaign_init(&d);
	memcpy(member(c, f), member(&d, f), f->size);
}

enum cp_status cp_campaign_set(struct cp_campaign *c, const char *field, const char *text,
			       struct cp_err *e)
{
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		if (strcmp(fields[i].name, field) != 0)
			continue;
		if (*text == '\0') {
			set_default(c, &fields[i]);
			return CP_OK;
		}
		return fields[i].set(c, &fields[i], text, e);
	}
	return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, field, "no campaign setting '%.32s'",
				field);
}
