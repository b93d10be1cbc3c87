/* Shared by the redemption tests: campaigns and codes made with plain SQL. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redeem_fixture.h"
#include "testlib.h"

uint32_t fx_campaign(struct cp_db *db, const char *name, const char *prefix, const char *extra,
		     struct cp_format *fmt)
{
	struct cp_format f;
	char sql[1024];

	cp_format_default(&f);
	snprintf(f.prefix, sizeof f.prefix, "%s", prefix);
	snprintf(sql, sizeof sql,
		 "INSERT INTO campaigns SET name = '%s', alphabet = '%s', prefix = '%s',"
		 " body_length = %u, check_char = %d, group_size = %u%s%s",
		 name, f.alphabet, f.prefix, f.body_len, f.check, f.group,
		 extra[0] ? ", " : "", extra);
	tl_exec(db, sql);
	if (fmt != NULL)
		*fmt = f;
	snprintf(sql, sizeof sql, "SELECT id FROM campaigns WHERE name = '%s'", name);
	return (uint32_t)tl_query_int(db, sql);
}

void fx_code(const struct cp_format *f, uint64_t index, char *out)
{
	uint8_t d[CP_BODY_MAX];
	unsigned int radix = (unsigned int)strlen(f->alphabet);

	/* Spread the indexes over the body so neighbouring codes look unrelated. */
	index = index * 2654435761u + 97;
	for (unsigned int k = f->body_len; k-- > 0;) {
		d[k] = (uint8_t)(index % radix);
		index /= radix;
	}
	cp_code_compose(f, d, out);
}

void fx_codes(struct cp_db *db, uint32_t id, const struct cp_format *f, uint64_t first,
	      size_t count, char (*out)[CP_CODE_MAX + 1])
{
	size_t cap = 64 + 1000 * (CP_CODE_MAX + 16), len = 0;
	char *sql = malloc(cap), code[CP_CODE_MAX + 1];

	for (size_t i = 0; i < count; i++) {
		fx_code(f, first + i, code);
		if (out != NULL)
			memcpy(out[i], code, sizeof code);
		if (len == 0)
			len = (size_t)snprintf(sql, cap,
					       "INSERT INTO coupon_codes (code, campaign_id, batch_id)"
					       " VALUES ");
		len += (size_t)snprintf(sql + len, cap - len, "%s('%s', %" PRIu32 ", 1)",
					i % 1000 ? "," : "", code, id);
		if ((i + 1) % 1000 == 0 || i + 1 == count) {
			tl_exec(db, sql);
			len = 0;
		}
	}
	free(sql);
}

struct cp_redeem_req fx_req(const char *code, const char *user, const char *order)
{
	struct cp_redeem_req r;

	memset(&r, 0, sizeof r);
	r.code = code;
	r.code_len = code != NULL ? strlen(code) : 0;
	r.user_id = user;
	r.order_id = order;
	return r;
}

long long fx_stmt_executes(struct cp_db *db)
{
	return tl_query_int(db, "SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS"
				" WHERE VARIABLE_NAME = 'COM_STMT_EXECUTE'");
}
