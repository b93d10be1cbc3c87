/*
 * The console's campaign form apart from drawing: its fields, what each is in
 * core (cp_campaign_set's name) and how the typed text becomes a campaign. No
 * curses here, so the tests read a form exactly as the console does.
 */
#ifndef CAMPAIGN_FORM_H
#define CAMPAIGN_FORM_H

#include "coupon.h"

enum {
	CF_NAME,
	CF_PLANNED,
	CF_PREFIX,
	CF_LENGTH,
	CF_ALPHABET,
	CF_CHECK,
	CF_GROUP,
	CF_TIME_ZONE, /* before the times, which are read in it */
	CF_STARTS,
	CF_EXPIRES,
	CF_LIMIT,
	CF_UNREDEEM,
	CF_REWARD,
	CF_MIN_ORDER,
	CF_METADATA,
	CF_COUNT
};

struct campaign_form_field {
	const char *label, *hint, *initial;
	const char *field; /* core's name, also cp_err.field */
};

extern const struct campaign_form_field campaign_form[CF_COUNT];

/* The form field of core's FIELD (a cp_err.field); CF_COUNT for none. */
size_t campaign_form_index(const char *field);

/*
 * Reads the text of every field (TEXT[i] for campaign_form[i]) into C. Each
 * refused field gets its detail in ERRS[i] (ERRS[i].msg "" when readable); the
 * status is the first refusal's, CP_OK when all were read.
 */
enum cp_status campaign_form_read(const char *const text[CF_COUNT], struct cp_campaign *c,
				  struct cp_err errs[CF_COUNT]);

/*
 * What Enter does: campaign_form_read, then cp_campaign_create. A refusal of the
 * whole goes to ERRS[campaign_form_index(its field)], or to ERRS[CF_COUNT] when
 * it concerns no one field.
 */
enum cp_status campaign_form_submit(struct cp_db *, const char *const text[CF_COUNT],
				    struct cp_campaign *c, struct cp_err errs[CF_COUNT + 1]);

#endif
