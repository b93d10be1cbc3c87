/*
 * campaign_rewards: a campaign's reward, minimum order and metadata, one row per
 * change and never updated, so that the id a redemption recorded always reads
 * back as what it was granted (replies, replays, reports).
 */
#include "config.h"

#include <string.h>

#include "db.h"
#include "rewards.h"

static const char get_sql[] =
	"SELECT reward_type, percent, amount_minor, amount_currency, sku, min_order_minor,"
	" min_order_currency, metadata FROM campaign_rewards WHERE id = ?";
static const char insert_sql[] =
	"INSERT INTO campaign_rewards (campaign_id, reward_type, percent, amount_minor,"
	" amount_currency, sku, min_order_minor, min_order_currency, metadata)"
	" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

struct row {
	MYSQL_BIND b[8];
	char type[16], currency[8], sku[CP_SKU_MAX + 1], min_currency[8];
	char metadata[CP_METADATA_MAX + 1];
	unsigned long len[8];
	my_bool null[8];
	uint32_t percent;
	int64_t amount, min;
};

static void end(char *s, size_t size, unsigned long len, my_bool null)
{
	s[null || len >= size ? 0 : len] = '\0';
}

enum cp_status rewards_get(struct cp_db *db, uint32_t id, struct cp_reward *r, struct cp_err *e)
{
	MYSQL_BIND p[1];
	struct row w;
	bool found;
	enum cp_status st;

	memset(p, 0, sizeof p);
	memset(&w, 0, sizeof w);
	db_bind_u32(&p[0], &id);
	db_bind_buf(&w.b[0], w.type, sizeof w.type, &w.len[0], &w.null[0]);
	db_bind_u32(&w.b[1], &w.percent);
	w.b[1].is_null = &w.null[1];
	db_bind_i64(&w.b[2], &w.amount);
	w.b[2].is_null = &w.null[2];
	db_bind_buf(&w.b[3], w.currency, sizeof w.currency, &w.len[3], &w.null[3]);
	db_bind_buf(&w.b[4], w.sku, sizeof w.sku, &w.len[4], &w.null[4]);
	db_bind_i64(&w.b[5], &w.min);
	w.b[5].is_null = &w.null[5];
	db_bind_buf(&w.b[6], w.min_currency, sizeof w.min_currency, &w.len[6], &w.null[6]);
	db_bind_buf(&w.b[7], w.metadata, sizeof w.metadata, &w.len[7], &w.null[7]);
	if ((st = db_select1(db, get_sql, p, w.b, &found, e)) != CP_OK)
		return st;
	if (!found)
		return cp_err_set(e, CP_E_NOT_FOUND, "no reward with id %u", (unsigned int)id);
	end(w.type, sizeof w.type, w.len[0], w.null[0]);
	end(w.currency, sizeof w.currency, w.len[3], w.null[3]);
	end(w.sku, sizeof w.sku, w.len[4], w.null[4]);
	end(w.min_currency, sizeof w.min_currency, w.len[6], w.null[6]);
	end(w.metadata, sizeof w.metadata, w.len[7], w.null[7]);
	memset(r, 0, sizeof *r);
	r->id = id;
	/* A type this program does not know grants nothing it could describe. */
	if (!cp_reward_type_parse(w.type, &r->type))
		r->type = CP_REWARD_NONE;
	r->percent = w.null[1] ? 0 : w.percent;
	r->amount.minor = w.null[2] ? 0 : w.amount;
	memcpy(r->amount.currency, w.currency, CP_CURRENCY_LEN + 1);
	r->amount.currency[CP_CURRENCY_LEN] = '\0';
	memcpy(r->sku, w.sku, sizeof r->sku);
	r->min_order.minor = w.null[5] ? 0 : w.min;
	memcpy(r->min_order.currency, w.min_currency, CP_CURRENCY_LEN + 1);
	r->min_order.currency[CP_CURRENCY_LEN] = '\0';
	memcpy(r->metadata, w.metadata, sizeof r->metadata);
	return CP_OK;
}

bool rewards_any(const struct cp_reward *r)
{
	return r->type != CP_REWARD_NONE || r->min_order.currency[0] != '\0' ||
	       r->metadata[0] != '\0';
}

/* S, or NULL (SQL NULL) when it is empty. */
static void bind_text(MYSQL_BIND *b, const char *s, unsigned long *len)
{
	db_bind_str(b, s[0] != '\0' ? s : NULL, len);
}

enum cp_status rewards_insert(struct cp_db *db, uint32_t campaign_id, struct cp_reward *r,
			      struct cp_err *e)
{
	MYSQL_BIND b[9];
	unsigned long len[9];
	uint32_t campaign = campaign_id, percent = r->percent;
	int64_t amount = r->amount.minor, min = r->min_order.minor;
	enum cp_status st;

	memset(b, 0, sizeof b);
	db_bind_u32(&b[0], &campaign);
	db_bind_str(&b[1], cp_reward_type_name(r->type), &len[1]);
	if (r->type == CP_REWARD_PERCENT_OFF)
		db_bind_u32(&b[2], &percent);
	else
		db_bind_null(&b[2]);
	if (r->type == CP_REWARD_AMOUNT_OFF)
		db_bind_i64(&b[3], &amount);
	else
		db_bind_null(&b[3]);
	bind_text(&b[4], r->type == CP_REWARD_AMOUNT_OFF ? r->amount.currency : "", &len[4]);
	bind_text(&b[5], r->type == CP_REWARD_ITEM ? r->sku : "", &len[5]);
	if (r->min_order.currency[0] != '\0')
		db_bind_i64(&b[6], &min);
	else
		db_bind_null(&b[6]);
	bind_text(&b[7], r->min_order.currency, &len[7]);
	bind_text(&b[8], r->metadata, &len[8]);
	if ((st = db_run(db, insert_sql, b, NULL, e)) != CP_OK)
		return st;
	r->id = (uint32_t)db_insert_id(db, insert_sql);
	return CP_OK;
}
