/*
 * Campaign actions shared by the dashboard and the campaign screen, and the views
 * that open from anywhere. Each asks core; none decides a rule.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "console_job.h"
#include "ui.h"

#define ID_ARG(id) ((void *)(uintptr_t)(id))
#define ARG_ID(arg) ((uint32_t)(uintptr_t)(arg))

static void set_status(struct ui *ui, uint32_t id, enum cp_campaign_status to)
{
	struct cp_err e;
	enum cp_status st;

	cp_err_clear(&e);
	if (to != CP_CAMPAIGN_ACTIVE) {
		ui_msg(ui, false, "Campaign %u: waiting until no front end can redeem its codes"
				  " (at most 2 s)...", id);
		ui_flush(ui);
	}
	st = cp_campaign_set_status(ui->db, id, to, &e);
	if (st != CP_OK) {
		ui_fail(ui, "pause/resume", st, &e);
		return;
	}
	cp_campaign_cache_reset(ui->db);
	ui_msg(ui, false, "Campaign %u is %s.", id, cp_campaign_status_name(to));
	ui_stats_tick(ui, true);
}

static void pause_yes(struct ui *ui, void *arg)
{
	set_status(ui, ARG_ID(arg), CP_CAMPAIGN_PAUSED);
}

static void expire_yes(struct ui *ui, void *arg)
{
	struct cp_err e;
	uint64_t n = 0;
	char num[32];
	enum cp_status st;

	cp_err_clear(&e);
	st = cp_expire_codes(ui->db, ARG_ID(arg), 0, ui->cli->actor, "campaign expired in the console",
			     &n, &e);
	if (st != CP_OK) {
		ui_fail(ui, "expire", st, &e);
		return;
	}
	ui_msg(ui, false, "Expired %s available codes of campaign %u.", ui_num(n, num, sizeof num),
	       ARG_ID(arg));
	ui_stats_tick(ui, true);
}

static bool toggle_pause(struct ui *ui, uint32_t id)
{
	const struct cp_campaign_stats *c = ui_campaign_stats(ui, id);
	struct ui_confirm q = {.yes = pause_yes, .arg = ID_ARG(id)};

	if (c == NULL)
		return false;
	if (c->status == CP_CAMPAIGN_PAUSED) {
		set_status(ui, id, CP_CAMPAIGN_ACTIVE); /* resuming harms nobody: no question */
		return true;
	}
	snprintf(q.question, sizeof q.question, "Pause campaign \"%s\"?", c->name);
	snprintf(q.detail, sizeof q.detail,
		 "Redemptions are refused (campaign_paused) until it is resumed with p.");
	ui_confirm(ui, &q);
	return true;
}

static bool expire_campaign(struct ui *ui, uint32_t id)
{
	const struct cp_campaign_stats *c = ui_campaign_stats(ui, id);
	struct ui_confirm q = {.yes = expire_yes, .arg = ID_ARG(id)};
	char n[32];

	if (c == NULL)
		return false;
	snprintf(q.question, sizeof q.question, "Expire every available code of campaign \"%s\"?",
		 c->name);
	snprintf(q.detail, sizeof q.detail,
		 "%s codes become expired for good (recorded in code_events). Redeemed codes "
		 "keep their redemption.", ui_num(c->available, n, sizeof n));
	ui_confirm(ui, &q);
	return true;
}

bool ui_campaign_action(struct ui *ui, uint32_t id, enum ui_action a)
{
	switch (a) {
	case UA_GENERATE:
		if (job_active(ui->job))
			ui_push(ui, &screen_progress, NULL);
		else
			ui_push(ui, &screen_generate, ID_ARG(id));
		return true;
	case UA_EXPORT:
		if (job_active(ui->job))
			ui_push(ui, &screen_progress, NULL);
		else
			ui_push(ui, &screen_export, ID_ARG(id));
		return true;
	case UA_PAUSE:
		return toggle_pause(ui, id);
	case UA_EXPIRE:
		return expire_campaign(ui, id);
	case UA_REPORT:
		ui_push(ui, &screen_report, ID_ARG(id));
		return true;
	case UA_CANCEL:
		if (job_active(ui->job)) {
			ui_push(ui, &screen_progress, NULL);
			return true;
		}
		return false;
	default:
		return false;
	}
}

bool ui_global_view(struct ui *ui, enum ui_action a)
{
	static const struct {
		enum ui_action a;
		const struct ui_screen *s;
	} views[] = {
		{UA_SEARCH, &screen_lookup},
		{UA_NEW, &screen_create},
		{UA_RECENT, &screen_recent},
		{UA_APIKEYS, &screen_apikeys},
		{UA_REDEMPTIONS, &screen_search},
		{UA_AUDIT, &screen_audit},
	};

	if (a == UA_USER) {
		ui_push(ui, &screen_search, (void *)ui_search_by_user);
		return true;
	}
	for (size_t i = 0; i < sizeof views / sizeof views[0]; i++) {
		if (views[i].a == a) {
			ui_push(ui, views[i].s, NULL);
			return true;
		}
	}
	return false;
}
