/* The console's campaign form: fields and their reading (see campaign_form.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "campaign_form.h"

const struct campaign_form_field campaign_form[CF_COUNT] = {
	[CF_NAME] = {"Name", "unique", "", "name"},
	[CF_PLANNED] = {"Planned codes", "sizes the format", "1000000", "planned_codes"},
	[CF_PREFIX] = {"Prefix", "optional, A-Z 0-9", "", "prefix"},
	[CF_LENGTH] = {"Body length", "empty = shortest safe", "", "body_length"},
	[CF_ALPHABET] = {"Alphabet", "empty = Crockford", "", "alphabet"},
	[CF_CHECK] = {"Check character", "yes/no", "yes", "check"},
	[CF_GROUP] = {"Group size", "display groups", "4", "group"},
	[CF_TIME_ZONE] = {"Time zone", "e.g. Europe/Berlin", "UTC", "time_zone"},
	[CF_STARTS] = {"Starts at", "YYYY-MM-DD HH:MM local", "", "starts_at"},
	[CF_EXPIRES] = {"Expires at", "YYYY-MM-DD: to its end", "", "expires_at"},
	[CF_LIMIT] = {"Per-user limit", "0 = unlimited", "0", "per_user_limit"},
	[CF_UNREDEEM] = {"Unredeem", "restore or spend", "restore", "unredeem"},
	[CF_REWARD] = {"Reward", "e.g. percent_off 12.5", "", "reward"},
	[CF_MIN_ORDER] = {"Minimum order", "e.g. 50.00 EUR", "", "min_order"},
	[CF_METADATA] = {"Metadata", "a JSON object", "", "metadata"},
};

size_t campaign_form_index(const char *field)
{
	for (size_t i = 0; i < CF_COUNT; i++)
		if (strcmp(campaign_form[i].field, field) == 0)
			return i;
	return CF_COUNT;
}

enum cp_status campaign_form_read(const char *const text[CF_COUNT], struct cp_campaign *c,
				  struct cp_err errs[CF_COUNT])
{
	enum cp_status first = CP_OK, st;

	cp_campaign_init(c);
	for (size_t i = 0; i < CF_COUNT; i++) {
		cp_err_clear(&errs[i]);
		st = cp_campaign_set(c, campaign_form[i].field, text[i], &errs[i]);
		if (first == CP_OK)
			first = st;
	}
	return first;
}

enum cp_status campaign_form_submit(struct cp_db *db, const char *const text[CF_COUNT],
				    struct cp_campaign *c, struct cp_err errs[CF_COUNT + 1])
{
	struct cp_err e;
	enum cp_status st;

	cp_err_clear(&errs[CF_COUNT]);
	if ((st = campaign_form_read(text, c, errs)) != CP_OK)
		return st;
	cp_err_clear(&e);
	if ((st = cp_campaign_create(db, c, &e)) != CP_OK) {
		if (e.msg[0] == '\0')
			snprintf(e.msg, sizeof e.msg, "%s", cp_status_message(st));
		errs[campaign_form_index(e.field)] = e;
	}
	return st;
}
