/*
 * Idempotency keys, as the IETF draft and Stripe have them: the first response
 * for a key is stored in the same transaction as the change it reports, a repeat
 * of the same request gets it back, a different request with the same key is a
 * conflict, and a repeat while the first still runs is told so.
 *
 * A claim is a row in state in_progress whose response column holds a random
 * token while it runs. Every later step (store, abandon, take-over of a claim
 * that went stale because its holder died) is conditional on that token, so two
 * holders can never both commit a response: the affected-rows count decides.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/evp.h>

#include "db.h"
#include "idempotency.h"
#include "text.h"

/*
 * A claim older than the configured idempotency-stale (120 s by default) belongs to
 * a request that died: it may be taken over. The crash tests shorten it.
 */
#define PURGE_CHUNK 10000
#define RESPONSE_MAX 2048

static const char claim_sql[] =
	"INSERT INTO idempotency_keys (api_key_id, idem_key, fingerprint, state, response,"
	" claimed_at) VALUES (?, ?, ?, 'in_progress', ?, NOW(6))";
static const char read_sql[] =
	"SELECT fingerprint, state, response,"
	" claimed_at < NOW(6) - INTERVAL ? SECOND"
	" FROM idempotency_keys WHERE api_key_id = ? AND idem_key = ?";
static const char takeover_sql[] =
	"UPDATE idempotency_keys SET response = ?, claimed_at = NOW(6)"
	" WHERE api_key_id = ? AND idem_key = ? AND state = 'in_progress' AND response = ?"
	" AND claimed_at < NOW(6) - INTERVAL ? SECOND";
static const char store_sql[] =
	"UPDATE idempotency_keys SET state = 'done', http_status = ?, response = ?"
	" WHERE api_key_id = ? AND idem_key = ? AND state = 'in_progress' AND response = ?"
	" AND " DB_IN_TX_SQL; /* with the change it reports, never on its own (db.h) */
static const char abandon_sql[] =
	"DELETE FROM idempotency_keys"
	" WHERE api_key_id = ? AND idem_key = ? AND state = 'in_progress' AND response = ?";
static const char purge_sql[] =
	"DELETE FROM idempotency_keys WHERE created_at < NOW(6) - INTERVAL ? SECOND LIMIT "
	"10000";

static void bind_blob(MYSQL_BIND *b, const void *p, unsigned long *len, size_t n)
{
	*len = (unsigned long)n;
	b->buffer_type = MYSQL_TYPE_BLOB;
	b->buffer = (void *)p;
	b->buffer_length = *len;
	b->length = len;
}

static void digest_str(EVP_MD_CTX *md, const char *s)
{
	/* The NUL keeps ("ab","c") apart from ("a","bc"); NULL is its own mark. */
	if (s == NULL)
		EVP_DigestUpdate(md, "\1", 1);
	else
		EVP_DigestUpdate(md, s, strlen(s) + 1);
}

enum cp_status idem_check_key(const char *k, struct cp_err *e)
{
	size_t n = strnlen(k, CP_IDEM_KEY_MAX + 1);

	if (n == 0 || n > CP_IDEM_KEY_MAX)
		return cp_err_set(e, CP_E_INVALID_ARGUMENT,
				  "the idempotency key must be 1..%d characters", CP_IDEM_KEY_MAX);
	for (size_t i = 0; i < n; i++)
		if (k[i] < 0x21 || k[i] > 0x7E)
			return cp_err_set(e, CP_E_INVALID_ARGUMENT,
					  "the idempotency key must be printable ASCII");
	return CP_OK;
}

enum cp_status idem_init(struct idem *k, enum cp_op op, const struct cp_redeem_req *req,
			 const char *code, struct cp_err *e)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t rnd[16];
	char ttl[16];
	unsigned int n = 0;
	bool ok;

	memset(k, 0, sizeof *k);
	k->api_key_id = req->api_key_id;
	k->key = req->idem_key;
	snprintf(ttl, sizeof ttl, "%u", req->ttl);
	ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
	if (ok) {
		digest_str(md, cp_op_name(op));
		if (req->fingerprint != NULL) {
			EVP_DigestUpdate(md, req->fingerprint, 32);
		} else {
			digest_str(md, code);
			digest_str(md, req->user_id);
			digest_str(md, req->order_id);
			digest_str(md, ttl);
			if (req->order_amount != NULL) {
				char amount[64];

				cp_money_text(req->order_amount, amount, sizeof amount);
				digest_str(md, amount);
			}
		}
		ok = EVP_DigestFinal_ex(md, k->fp, &n) == 1 && n == sizeof k->fp;
	}
	EVP_MD_CTX_free(md);
	if (!ok)
		return cp_err_set(e, CP_E_CRYPTO, "SHA-256 failed");
	if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
		return cp_err_set(e, CP_E_CRYPTO, "getrandom failed");
	memcpy(k->token, "claim:", 6);
	text_hex(k->token + 6, rnd, sizeof rnd);
	return CP_OK;
}

/* ------------------------------------------------------------ the stored reply */

/*
 * "v3 STATUS CAMPAIGN REDEEMED_AT RESERVED_UNTIL RETRIES CODE REWARD\nCAMPAIGN NAME".
 * REWARD is the campaign_rewards id: its row never changes, so a replay reads
 * back the very reward (and minimum) the first reply had. CODE is in hex ("-"
 * for none): an external code may hold spaces. v2 (the code as is) and v1
 * (before rewards, read as no reward) are still read.
 */
static void serialise(const struct cp_redeem_result *r, char *out, size_t sz)
{
	char hex[2 * CP_CODE_MAX + 1] = "-";
	size_t n = strnlen(r->code, CP_CODE_MAX);

	if (n > 0)
		text_hex(hex, r->code, n);
	snprintf(out, sz, "v3 %s %" PRIu32 " %lld %lld %u %s %" PRIu32 "\n%s",
		 cp_status_code(r->status), r->campaign_id, (long long)r->redeemed_at,
		 (long long)r->reserved_until, r->retries, hex, r->reward.id, r->campaign_name);
}

/* CODE as stored by version V into OUT (CP_CODE_MAX + 1 bytes); false if malformed. */
static bool parse_code(char v, const char *code, char *out)
{
	size_t n = strlen(code);

	if (strcmp(code, "-") == 0)
		n = 0;
	if (n == 0 || v != '3') {
		if (n > CP_CODE_MAX)
			return false;
		memcpy(out, code, n);
		out[n] = '\0';
		return true;
	}
	if (n % 2 != 0 || n / 2 > CP_CODE_MAX)
		return false;
	for (size_t i = 0; i < n; i += 2) {
		int hi = text_hexval(code[i]), lo = text_hexval(code[i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i / 2] = (char)(hi << 4 | lo);
	}
	out[n / 2] = '\0';
	return true;
}

static bool parse(const char *s, struct cp_redeem_result *r)
{
	char status[64], code[2 * CP_CODE_MAX + 1];
	long long red, res;
	const char *nl = strchr(s, '\n');
	size_t nlen;
	enum cp_status st;
	char v = s[0] == 'v' && s[1] >= '1' && s[1] <= '3' && s[2] == ' ' ? s[1] : '\0';

	_Static_assert(2 * CP_CODE_MAX == 128, "the %128s below");
	if (nl == NULL || v == '\0' ||
	    sscanf(s + 3, "%63s %" SCNu32 " %lld %lld %u %128s", status, &r->campaign_id, &red,
		   &res, &r->retries, code) != 6)
		return false;
	if (v != '1' && sscanf(s + 3, "%*s %*s %*s %*s %*s %*s %" SCNu32, &r->reward.id) != 1)
		return false;
	if ((st = cp_status_from_code(status)) == CP_STATUS_COUNT || !parse_code(v, code, r->code))
		return false;
	r->status = st;
	r->redeemed_at = (time_t)red;
	r->reserved_until = (time_t)res;
	nlen = strnlen(nl + 1, sizeof r->campaign_name - 1);
	memcpy(r->campaign_name, nl + 1, nlen);
	r->campaign_name[nlen] = '\0';
	return true;
}

/* ------------------------------------------------------------ claims */

struct row {
	uint8_t fp[32];
	char state[16];
	char response[RESPONSE_MAX];
	int64_t stale;
	bool found;
};

static enum cp_status read_key(struct cp_db *db, const struct idem *k, struct row *w,
			       struct cp_err *e)
{
	MYSQL_BIND p[3], r[4];
	unsigned long plen[3], rlen[3];
	my_bool null_resp = 0;
	uint32_t id = k->api_key_id, stale = db_config(db)->idempotency_stale;
	enum cp_status st;

	memset(p, 0, sizeof p);
	memset(r, 0, sizeof r);
	memset(w, 0, sizeof *w);
	db_bind_u32(&p[0], &stale);
	db_bind_u32(&p[1], &id);
	db_bind_str(&p[2], k->key, &plen[2]);
	db_bind_buf(&r[0], (char *)w->fp, sizeof w->fp, &rlen[0], NULL);
	r[0].buffer_type = MYSQL_TYPE_BLOB;
	db_bind_buf(&r[1], w->state, sizeof w->state - 1, &rlen[1], NULL);
	db_bind_buf(&r[2], w->response, sizeof w->response - 1, &rlen[2], &null_resp);
	db_bind_i64(&r[3], &w->stale);
	if ((st = db_select1(db, read_sql, p, r, &w->found, e)) != CP_OK)
		return st;
	w->state[rlen[1] < sizeof w->state ? rlen[1] : 0] = '\0';
	w->response[null_resp || rlen[2] >= sizeof w->response ? 0 : rlen[2]] = '\0';
	return CP_OK;
}

static enum cp_status insert_claim(struct cp_db *db, const struct idem *k, bool *dup,
				   struct cp_err *e)
{
	MYSQL_BIND b[4];
	unsigned long len[4];
	uint32_t id = k->api_key_id;
	struct cp_err mine;
	enum cp_status st;

	memset(b, 0, sizeof b);
	db_bind_u32(&b[0], &id);
	db_bind_str(&b[1], k->key, &len[1]);
	bind_blob(&b[2], k->fp, &len[2], sizeof k->fp);
	db_bind_str(&b[3], k->token, &len[3]);
	cp_err_clear(&mine);
	st = db_run(db, claim_sql, b, NULL, &mine);
	*dup = st == CP_E_DB && mine.db_errno == DB_ER_DUP_ENTRY;
	if (st != CP_OK && !*dup && e != NULL)
		*e = mine;
	return *dup ? CP_OK : st;
}

static enum cp_status take_over(struct cp_db *db, const struct idem *k, const char *theirs,
				struct cp_err *e)
{
	MYSQL_BIND b[5];
	unsigned long len[5];
	uint32_t id = k->api_key_id, stale = db_config(db)->idempotency_stale;
	uint64_t rows = 0;
	enum cp_status st;

	memset(b, 0, sizeof b);
	db_bind_str(&b[0], k->token, &len[0]);
	db_bind_u32(&b[1], &id);
	db_bind_str(&b[2], k->key, &len[2]);
	db_bind_str(&b[3], theirs, &len[3]);
	db_bind_u32(&b[4], &stale);
	if ((st = db_run(db, takeover_sql, b, &rows, e)) != CP_OK)
		return st;
	return rows == 1 ? CP_OK
			 : cp_err_set(e, CP_E_IN_PROGRESS, "%s", cp_status_message(CP_E_IN_PROGRESS));
}

/* What an existing key row means for this request. */
static enum cp_status judge(struct cp_db *db, const struct idem *k, const struct row *w,
			    struct cp_redeem_result *res, bool *stored, struct cp_err *e)
{
	if (memcmp(w->fp, k->fp, sizeof k->fp) != 0)
		return cp_err_set(e, CP_E_IDEMPOTENCY_CONFLICT, "%s",
				  cp_status_message(CP_E_IDEMPOTENCY_CONFLICT));
	if (strcmp(w->state, "done") == 0) {
		memset(res, 0, sizeof *res);
		if (!parse(w->response, res))
			return cp_err_set(e, CP_E_INTERNAL, "unreadable stored response for "
							      "idempotency key");
		res->replay = true;
		*stored = true;
		return CP_OK;
	}
	if (strcmp(w->response, k->token) == 0)
		return CP_OK; /* our own claim, found again after a retry */
	if (w->stale)
		return take_over(db, k, w->response, e);
	return cp_err_set(e, CP_E_IN_PROGRESS, "%s", cp_status_message(CP_E_IN_PROGRESS));
}

enum cp_status idem_claim(struct cp_db *db, struct idem *k, struct cp_redeem_result *res,
			  bool *stored, struct cp_err *e)
{
	struct row w;
	bool dup = false;
	enum cp_status st;

	*stored = false;
	/* Twice: the row may be purged between our INSERT and our SELECT. */
	for (int i = 0; i < 2; i++) {
		if ((st = insert_claim(db, k, &dup, e)) != CP_OK || !dup)
			return st;
		if ((st = read_key(db, k, &w, e)) != CP_OK)
			return st;
		if (w.found)
			return judge(db, k, &w, res, stored, e);
	}
	return cp_err_set(e, CP_E_BUSY, "the idempotency key kept disappearing");
}

enum cp_status idem_store(struct cp_db *db, const struct idem *k,
			  const struct cp_redeem_result *res, struct cp_err *e)
{
	MYSQL_BIND b[5];
	unsigned long len[5];
	char text[RESPONSE_MAX];
	uint32_t http = (uint32_t)cp_status_http(res->status), id = k->api_key_id;
	uint64_t rows = 0;
	enum cp_status st;

	serialise(res, text, sizeof text);
	memset(b, 0, sizeof b);
	db_bind_u32(&b[0], &http);
	db_bind_str(&b[1], text, &len[1]);
	db_bind_u32(&b[2], &id);
	db_bind_str(&b[3], k->key, &len[3]);
	db_bind_str(&b[4], k->token, &len[4]);
	if ((st = db_run(db, store_sql, b, &rows, e)) != CP_OK)
		return st;
	return rows == 1 ? CP_OK
			 : cp_err_set(e, CP_E_IN_PROGRESS,
				      "the idempotency claim was taken over by a later request");
}

void idem_abandon(struct cp_db *db, const struct idem *k)
{
	MYSQL_BIND b[3];
	unsigned long len[3];
	uint32_t id = k->api_key_id;

	memset(b, 0, sizeof b);
	db_bind_u32(&b[0], &id);
	db_bind_str(&b[1], k->key, &len[1]);
	db_bind_str(&b[2], k->token, &len[2]);
	/* Best effort: a claim left behind goes stale and is taken over later. */
	db_run(db, abandon_sql, b, NULL, NULL);
}

enum cp_status cp_idempotency_purge(struct cp_db *db, unsigned int older_than,
				    uint64_t *deleted, struct cp_err *e)
{
	MYSQL_BIND b[1];
	uint32_t secs = older_than;
	uint64_t rows;
	enum cp_status st;

	*deleted = 0;
	memset(b, 0, sizeof b);
	db_bind_u32(&b[0], &secs);
	/* In chunks, so a big purge never holds many locks at once. */
	do {
		rows = 0;
		if ((st = db_run(db, purge_sql, b, &rows, e)) != CP_OK)
			return st;
		*deleted += rows;
	} while (rows == PURGE_CHUNK);
	return CP_OK;
}
