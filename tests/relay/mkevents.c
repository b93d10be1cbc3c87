/*
 * Test helper: redeems each code read from standard input (one a line) as user
 * "uN", PAUSE_US microseconds apart, and prints how many succeeded. The
 * redemptions write the outbox events that the relay test delivers.
 *
 *   mkevents OPTION-FILE PAUSE_US < codes
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coupon.h"

int main(int argc, char **argv)
{
	struct cp_config cfg;
	struct cp_db *db = NULL;
	struct cp_err e;
	char line[128], user[32];
	unsigned long ok = 0, n = 0, pause_us = argc == 3 ? strtoul(argv[2], NULL, 10) : 0;

	if (argc != 3)
		return fprintf(stderr, "usage: mkevents OPTION-FILE PAUSE_US < codes\n"), 2;
	cp_config_init(&cfg);
	if (cp_library_init() != CP_OK || cp_config_load(&cfg, argv[1], &e) != CP_OK ||
	    cp_db_open(&db, &cfg, "mkevents", &e) != CP_OK)
		return fprintf(stderr, "mkevents: %s\n", e.msg), 1;
	while (fgets(line, sizeof line, stdin) != NULL) {
		struct cp_redeem_req r;
		struct cp_redeem_result res;

		line[strcspn(line, "\r\n")] = '\0';
		memset(&r, 0, sizeof r);
		snprintf(user, sizeof user, "u%lu", n++);
		r.code = line;
		r.code_len = strlen(line);
		r.user_id = user;
		if (cp_redeem(db, &r, &res, &e) == CP_OK)
			ok++;
		else
			fprintf(stderr, "mkevents: %s: %s\n", line, cp_status_code(res.status));
		if (pause_us)
			usleep((useconds_t)pause_us);
	}
	printf("%lu\n", ok);
	cp_db_close(db);
	cp_config_free(&cfg);
	cp_library_end();
	return ok == n ? 0 : 1;
}
