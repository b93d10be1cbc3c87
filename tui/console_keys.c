/*
 * The key table: every binding of the console in one place. The help screen and
 * the status-line hints are generated from it, so they cannot drift.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ui.h"

#define CTRL(c) ((c) & 0x1f)

static const struct ui_key keys[] = {
	{KEY_UP, "Up", UA_UP},
	{'k', "k", UA_UP},
	{KEY_DOWN, "Down", UA_DOWN},
	{'j', "j", UA_DOWN},
	{KEY_PPAGE, "PgUp", UA_PGUP},
	{KEY_NPAGE, "PgDn", UA_PGDN},
	{' ', "Space", UA_PGDN},
	{KEY_HOME, "Home", UA_HOME},
	{KEY_END, "End", UA_END},
	{'\n', "Enter", UA_ENTER},
	{'\r', NULL, UA_ENTER},
	{KEY_ENTER, NULL, UA_ENTER},
	{27, "Esc", UA_BACK},
	{'q', "q", UA_BACK},
	{KEY_LEFT, "Left", UA_BACK},
	{'\t', "Tab", UA_NEXT_FIELD},
	{KEY_BTAB, "S-Tab", UA_PREV_FIELD},
	{'Q', "Q", UA_QUIT},
	{CTRL('c'), "C-c", UA_QUIT},
	{'?', "?", UA_HELP},
	{KEY_F(1), "F1", UA_HELP},
	{CTRL('l'), "C-l", UA_REDRAW},
	{CTRL('r'), "C-r", UA_REFRESH},
	{KEY_F(5), "F5", UA_REFRESH},
	{'/', "/", UA_SEARCH},
	{'n', "n", UA_NEW},
	{'g', "g", UA_GENERATE},
	{'e', "e", UA_EXPORT},
	{'p', "p", UA_PAUSE},
	{'x', "x", UA_EXPIRE},
	{'r', "r", UA_RECENT},
	{'a', "a", UA_APIKEYS},
	{'d', "d", UA_REVOKE},
	{'c', "c", UA_CANCEL},
	{'s', "s", UA_REDEMPTIONS},
	{'u', "u", UA_USER},
	{'L', "L", UA_AUDIT},
	{'b', "b", UA_REPORT},
};

static const struct {
	const char *section, *hint, *help;
} info[UA_COUNT] = {
#define UI_ACTION_INFO(name, section, hint, help) [UA_##name] = {section, hint, help},
	UI_ACTIONS(UI_ACTION_INFO)
#undef UI_ACTION_INFO
};

const struct ui_key *ui_keys(size_t *n)
{
	*n = sizeof keys / sizeof keys[0];
	return keys;
}

enum ui_action ui_key_action(int key)
{
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (keys[i].key == key)
			return keys[i].action;
	return UA_NONE;
}

const char *ui_action_section(enum ui_action a)
{
	return a > UA_NONE && a < UA_COUNT ? info[a].section : "";
}

const char *ui_action_help(enum ui_action a)
{
	return a > UA_NONE && a < UA_COUNT ? info[a].help : "";
}

const char *ui_action_hint(enum ui_action a)
{
	return a > UA_NONE && a < UA_COUNT ? info[a].hint : "";
}

void ui_action_keys(enum ui_action a, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof keys / sizeof keys[0] && len < size; i++) {
		if (keys[i].action != a || keys[i].name == NULL)
			continue;
		len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? "/" : "",
					keys[i].name);
	}
}
