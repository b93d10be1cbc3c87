/*
 * API keys. The secret is shown once; the database keeps its public prefix (to
 * find the row) and the SHA-256 of the whole secret (to check it). A secret has
 * ~190 random bits, so a plain hash is enough: there is nothing to brute-force
 * the way there is with passwords.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "audit.h"
#include "db.h"
#include "text.h"

#define SECRET_BODY 32
#define BASE62 "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
/* last_used_at is written at most this often per key (not on every request). */
#define TOUCH_SECONDS "60"

static const char insert_sql[] =
	"INSERT INTO api_keys (name, key_prefix, secret_sha256, scopes) VALUES (?, ?, ?, ?)";
static const char verify_sql[] =
	"SELECT id, secret_sha256, scopes, revoked_at IS NOT NULL,"
	" last_used_at IS NULL OR last_used_at < NOW(6) - INTERVAL " TOUCH_SECONDS " SECOND"
	" FROM api_keys WHERE key_prefix = ?";
static const char name_sql[] = "SELECT name FROM api_keys WHERE id = ?";
static const char touch_sql[] = "UPDATE api_keys SET last_used_at = NOW(6) WHERE id = ?";
static const char list_sql[] =
	"SELECT id, name, key_prefix, scopes, created_at, last_used_at, revoked_at"
	" FROM api_keys ORDER BY id";
static const char revoke_name_sql[] =
	"UPDATE api_keys SET revoked_at = NOW(6) WHERE name = ? AND revoked_at IS NULL";
static const char revoke_id_sql[] =
	"UPDATE api_keys SET revoked_at = NOW(6) WHERE id = ? AND revoked_at IS NULL";
static const char exists_sql[] = "SELECT id FROM api_keys WHERE name = ? OR id = ?";
static const char id_by_name_sql[] = "SELECT id FROM api_keys WHERE name = ?";

static const struct {
	const char *name;
	unsigned int bit;
} scopes[] = {{"redeem", CP_SCOPE_REDEEM}, {"admin", CP_SCOPE_ADMIN}};
#define NSCOPES (sizeof scopes / sizeof scopes[0])

bool cp_scope_allows(unsigned int have, unsigned int need)
{
	/* admin implies redeem */
	if (have & CP_SCOPE_ADMIN)
		have |= CP_SCOPE_REDEEM;
	return need != 0 && (have & need) == need;
}

enum cp_status cp_scopes_parse(const char *s, unsigned int *out, struct cp_err *e)
{
	unsigned int bits = 0;

	while (s != NULL && *s != '\0') {
		size_t n = strcspn(s, ",");
		size_t i;

		for (i = 0; i < NSCOPES; i++)
			if (strlen(scopes[i].name) == n && strncmp(s, scopes[i].name, n) == 0)
				break;
		if (i == NSCOPES)
			return cp_err_set(e, CP_E_INVALID_ARGUMENT,
					  "unknown scope '%.*s' (redeem, admin)", (int)n, s);
		bits |= scopes[i].bit;
		s += n + (s[n] == ',');
	}
	if (bits == 0)
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "no scope given (redeem, admin)");
	*out = bits;
	return CP_OK;
}

void cp_scopes_format(unsigned int bits, char *out, size_t sz)
{
	size_t o = 0;

	if (sz > 0)
		out[0] = '\0';
	for (size_t i = 0; i < NSCOPES; i++)
		if (bits & scopes[i].bit)
			o += (size_t)snprintf(out + o, o < sz ? sz - o : 0, "%s%s", o ? "," : "",
					      scopes[i].name);
}

static unsigned int parse_set(const char *s)
{
	unsigned int bits = 0;

	/* From the database: ignore what we do not know rather than fail. */
	for (size_t i = 0; i < NSCOPES; i++) {
		const char *p = strstr(s, scopes[i].name);
		size_t n = strlen(scopes[i].name);

		if (p != NULL && (p == s || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
			bits |= scopes[i].bit;
	}
	return bits;
}

/* ------------------------------------------------------------ secrets */

static bool random_base62(char *out, size_t n)
{
	uint8_t buf[64];
	size_t o = 0;

	/* Rejection sampling: bytes below 248 (= 4 * 62) map without bias. */
	while (o < n) {
		if (getrandom(buf, sizeof buf, 0) != (ssize_t)sizeof buf)
			return false;
		for (size_t i = 0; i < sizeof buf && o < n; i++)
			if (buf[i] < 248)
				out[o++] = BASE62[buf[i] % 62];
	}
	OPENSSL_cleanse(buf, sizeof buf);
	return true;
}

static bool sha256(const char *s, size_t n, uint8_t out[32])
{
	unsigned int len = 0;

	return EVP_Digest(s, n, out, &len, EVP_sha256(), NULL) == 1 && len == 32;
}

/* "cpk_" PREFIX "_" BODY: splits out the prefix; false if malformed. */
static bool split(const char *s, size_t n, char *prefix)
{
	if (n != CP_APIKEY_SECRET_LEN || memcmp(s, "cpk_", 4) != 0 ||
	    s[4 + CP_APIKEY_PREFIX_LEN] != '_')
		return false;
	for (size_t i = 4; i < n; i++)
		if (i != 4 + CP_APIKEY_PREFIX_LEN && strchr(BASE62, s[i]) == NULL)
			return false;
	memcpy(prefix, s + 4, CP_APIKEY_PREFIX_LEN);
	prefix[CP_APIKEY_PREFIX_LEN] = '\0';
	return true;
}

static enum cp_status insert_key(struct cp_db *db, const char *name, const char *prefix,
				 const uint8_t *hash, const char *scope_set, struct cp_err *e)
{
	MYSQL_BIND b[4];
	unsigned long len[4];

	memset(b, 0, sizeof b);
	db_bind_str(&b[0], name, &len[0]);
	db_bind_str(&b[1], prefix, &len[1]);
	len[2] = 32;
	b[2].buffer_type = MYSQL_TYPE_BLOB;
	b[2].buffer = (void *)hash;
	b[2].buffer_length = 32;
	b[2].length = &len[2];
	db_bind_str(&b[3], scope_set, &len[3]);
	return db_run(db, insert_sql, b, NULL, e);
}

/* Builds a fresh secret into S, its prefix into PREFIX, its hash into HASH. */
static enum cp_status make_secret(char *s, char *prefix, uint8_t *hash, struct cp_err *e)
{
	memcpy(s, "cpk_", 4);
	if (!random_base62(s + 4, CP_APIKEY_PREFIX_LEN) ||
	    !random_base62(s + 5 + CP_APIKEY_PREFIX_LEN, SECRET_BODY))
		return cp_err_set(e, CP_E_CRYPTO, "getrandom failed");
	s[4 + CP_APIKEY_PREFIX_LEN] = '_';
	s[CP_APIKEY_SECRET_LEN] = '\0';
	memcpy(prefix, s + 4, CP_APIKEY_PREFIX_LEN);
	prefix[CP_APIKEY_PREFIX_LEN] = '\0';
	if (!sha256(s, CP_APIKEY_SECRET_LEN, hash))
		return cp_err_set(e, CP_E_CRYPTO, "SHA-256 failed");
	return CP_OK;
}

enum cp_status cp_apikey_create(struct cp_db *db, const char *name, unsigned int bits,
				char *secret, size_t secretsz, uint32_t *id, struct cp_err *e)
{
	char s[CP_APIKEY_SECRET_LEN + 1], prefix[CP_APIKEY_PREFIX_LEN + 1], set[32];
	uint8_t hash[32];
	struct cp_err mine;
	enum cp_status st;

	if ((st = cp_check_ident("name", name, CP_NAME_MAX, e)) != CP_OK)
		return st;
	if (bits == 0 || (bits & ~(CP_SCOPE_REDEEM | CP_SCOPE_ADMIN)) != 0)
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "bad scopes");
	if (secretsz <= CP_APIKEY_SECRET_LEN)
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "secret buffer too small");
	cp_scopes_format(bits, set, sizeof set);
	if ((st = db_begin(db, e)) != CP_OK)
		return st;
	/* A prefix collision (1 in 62^8 per pair) gets a new secret. */
	for (int attempt = 0; attempt < 3; attempt++) {
		cp_err_clear(&mine);
		if ((st = make_secret(s, prefix, hash, e)) != CP_OK)
			break;
		st = insert_key(db, name, prefix, hash, set, &mine);
		if (st != CP_E_DB || mine.db_errno != DB_ER_DUP_ENTRY ||
		    strstr(mine.msg, "prefix") == NULL)
			break;
	}
	if (st == CP_E_DB && mine.db_errno == DB_ER_DUP_ENTRY)
		st = cp_err_set(e, CP_E_EXISTS, "an API key named '%s' exists", name);
	else if (st != CP_OK && e != NULL && mine.msg[0] != '\0')
		*e = mine;
	if (st == CP_OK) {
		uint32_t made = (uint32_t)db_insert_id(db, insert_sql);
		struct jobj after;

		/* The key's name and scopes and the prefix that identifies it; never the secret. */
		jobj_init(&after);
		jobj_str(&after, "name", name);
		jobj_str(&after, "prefix", prefix);
		jobj_str(&after, "scopes", set);
		if ((st = audit_add(db, NULL, "apikey.create", "apikey", made, NULL, jobj_end(&after),
				    e)) == CP_OK && (st = db_commit(db, e)) == CP_OK) {
			memcpy(secret, s, sizeof s);
			if (id != NULL)
				*id = made;
		}
	}
	if (st != CP_OK)
		db_rollback(db);
	OPENSSL_cleanse(s, sizeof s);
	return st;
}

/* ------------------------------------------------------------ verifying */

struct key_row {
	uint32_t id;
	uint8_t hash[32];
	char set[32];
	int64_t revoked, touch;
	unsigned long len[2];
	bool found;
};

static enum cp_status find(struct cp_db *db, const char *prefix, struct key_row *k,
			   struct cp_err *e)
{
	MYSQL_BIND p[1], r[5];
	unsigned long plen;

	memset(p, 0, sizeof p);
	memset(r, 0, sizeof r);
	db_bind_str(&p[0], prefix, &plen);
	db_bind_u32(&r[0], &k->id);
	db_bind_buf(&r[1], (char *)k->hash, sizeof k->hash, &k->len[0], NULL);
	r[1].buffer_type = MYSQL_TYPE_BLOB;
	db_bind_buf(&r[2], k->set, sizeof k->set - 1, &k->len[1], NULL);
	db_bind_i64(&r[3], &k->revoked);
	db_bind_i64(&r[4], &k->touch);
	return db_select1(db, verify_sql, p, r, &k->found, e);
}

static void touch(struct cp_db *db, uint32_t id)
{
	MYSQL_BIND b[1];

	memset(b, 0, sizeof b);
	db_bind_u32(&b[0], &id);
	db_run(db, touch_sql, b, NULL, NULL); /* bookkeeping: a failure changes nothing */
}

enum cp_status cp_apikey_verify(struct cp_db *db, const char *secret, size_t n, uint32_t *id,
				unsigned int *bits, struct cp_err *e)
{
	char prefix[CP_APIKEY_PREFIX_LEN + 1];
	uint8_t hash[32];
	struct key_row k;
	enum cp_status st;
	bool match;

	memset(&k, 0, sizeof k);
	if (secret == NULL || !split(secret, n, prefix))
		return cp_err_set(e, CP_E_UNAUTHORIZED, "malformed API key");
	if ((st = find(db, prefix, &k, e)) != CP_OK)
		return st;
	/* Hash and compare whether or not the row exists: the same work either way. */
	if (!sha256(secret, n, hash))
		return cp_err_set(e, CP_E_CRYPTO, "SHA-256 failed");
	match = CRYPTO_memcmp(hash, k.hash, sizeof hash) == 0 && k.found && k.len[0] == 32;
	OPENSSL_cleanse(hash, sizeof hash);
	if (!match || k.revoked)
		return cp_err_set(e, CP_E_UNAUTHORIZED, "%s", cp_status_message(CP_E_UNAUTHORIZED));
	k.set[k.len[1] < sizeof k.set ? k.len[1] : 0] = '\0';
	if (k.touch)
		touch(db, k.id);
	*id = k.id;
	*bits = parse_set(k.set);
	return CP_OK;
}

enum cp_status cp_apikey_actor(struct cp_db *db, uint32_t id, char out[CP_ACTOR_MAX],
			       struct cp_err *e)
{
	char name[CP_NAME_MAX * 4 + 1];
	unsigned long len = 0;
	MYSQL_BIND p[1], r[1];
	bool found = false;
	enum cp_status st;
	size_t cut, chars = 0;

	memset(p, 0, sizeof p);
	memset(r, 0, sizeof r);
	db_bind_u32(&p[0], &id);
	db_bind_buf(&r[0], name, sizeof name - 1, &len, NULL);
	st = db_select1(db, name_sql, p, r, &found, e);
	snprintf(out, CP_ACTOR_MAX, "api-key:%" PRIu32, id);
	if (st != CP_OK || !found)
		return st;
	/* Whole characters only: the column counts characters, the cut must not split one. */
	len = len < sizeof name ? len : sizeof name - 1;
	for (cut = 0; cut < len && chars < CP_ACTOR_NAME_MAX; chars++) {
		uint32_t cp;
		size_t n = text_utf8_seq((const unsigned char *)name + cut, len - cut, &cp);

		cut += n != 0 ? n : 1;
	}
	snprintf(out + strlen(out), CP_ACTOR_MAX - strlen(out), " (%.*s)", (int)cut, name);
	return CP_OK;
}

/* ------------------------------------------------------------ listing, revoking */

struct list_row {
	struct cp_apikey key;
	char set[32];
	unsigned long len[3];
	my_bool null[3];
	MYSQL_TIME t[3];
};

static void bind_list(MYSQL_BIND *r, struct list_row *w)
{
	db_bind_u32(&r[0], &w->key.id);
	db_bind_buf(&r[1], w->key.name, sizeof w->key.name - 1, &w->len[0], NULL);
	db_bind_buf(&r[2], w->key.prefix, sizeof w->key.prefix - 1, &w->len[1], NULL);
	db_bind_buf(&r[3], w->set, sizeof w->set - 1, &w->len[2], NULL);
	for (int i = 0; i < 3; i++)
		db_bind_time(&r[4 + i], &w->t[i], &w->null[i]);
}

static void emit(struct list_row *w, void (*fn)(const struct cp_apikey *, void *), void *arg)
{
	time_t *times[] = {&w->key.created_at, &w->key.last_used_at, &w->key.revoked_at};

	w->key.name[w->len[0] < sizeof w->key.name ? w->len[0] : 0] = '\0';
	w->key.prefix[w->len[1] < sizeof w->key.prefix ? w->len[1] : 0] = '\0';
	w->set[w->len[2] < sizeof w->set ? w->len[2] : 0] = '\0';
	w->key.scopes = parse_set(w->set);
	for (int i = 0; i < 3; i++)
		*times[i] = w->null[i] ? 0 : db_time_to_unix(&w->t[i]);
	fn(&w->key, arg);
}

enum cp_status cp_apikey_list(struct cp_db *db, void (*fn)(const struct cp_apikey *, void *),
			      void *arg, struct cp_err *e)
{
	MYSQL_BIND r[7];
	struct list_row w;
	MYSQL_STMT *stmt;
	enum cp_status st;
	int rc;

	memset(r, 0, sizeof r);
	memset(&w, 0, sizeof w);
	bind_list(r, &w);
	if ((st = cp_db_ensure(db, e)) != CP_OK)
		return st;
	if ((stmt = db_prepare(db, list_sql, e, &st)) == NULL)
		return st;
	if (mysql_stmt_execute(stmt) != 0 || mysql_stmt_bind_result(stmt, r) != 0)
		return db_stmt_fail(db, stmt, e, "list API keys");
	while ((rc = mysql_stmt_fetch(stmt)) == 0 || rc == MYSQL_DATA_TRUNCATED)
		emit(&w, fn, arg);
	st = rc == 1 ? db_stmt_fail(db, stmt, e, "list API keys") : CP_OK;
	mysql_stmt_free_result(stmt);
	return st;
}

static enum cp_status key_exists(struct cp_db *db, const char *name, uint32_t id, bool *found,
			       struct cp_err *e)
{
	MYSQL_BIND p[2], r[1];
	unsigned long len;
	uint32_t got;

	memset(p, 0, sizeof p);
	memset(r, 0, sizeof r);
	db_bind_str(&p[0], name, &len);
	db_bind_u32(&p[1], &id);
	db_bind_u32(&r[0], &got);
	return db_select1(db, exists_sql, p, r, found, e);
}

/* The audit row of revoking key ID, or of the key named NAME when ID is 0. */
static enum cp_status audit_revoke(struct cp_db *db, const char *name, uint32_t id,
				   struct cp_err *e)
{
	struct jobj before, after;
	MYSQL_BIND p[1], r[1];
	unsigned long len;
	bool found = true;
	enum cp_status st;

	memset(p, 0, sizeof p);
	memset(r, 0, sizeof r);
	db_bind_str(&p[0], name, &len);
	db_bind_u32(&r[0], &id);
	if (id == 0 && (st = db_select1(db, id_by_name_sql, p, r, &found, e)) != CP_OK)
		return st;
	if (!found)
		return cp_err_set(e, CP_E_CONFLICT, "API key '%s' changed under the revocation", name);
	jobj_init(&before);
	jobj_bool(&before, "revoked", false);
	jobj_init(&after);
	jobj_bool(&after, "revoked", true);
	return audit_add(db, NULL, "apikey.revoke", "apikey", id, jobj_end(&before),
			 jobj_end(&after), e);
}

/* The revocation and its audit row; *ROWS gets the keys it revoked (0 or 1). */
static enum cp_status revoke_tx(struct cp_db *db, const char *name_or_id, uint32_t id,
				uint64_t *rows, struct cp_err *e)
{
	MYSQL_BIND b[1];
	unsigned long len;
	enum cp_status st;

	memset(b, 0, sizeof b);
	db_bind_str(&b[0], name_or_id, &len);
	if ((st = db_run(db, revoke_name_sql, b, rows, e)) != CP_OK)
		return st;
	if (*rows > 0)
		return audit_revoke(db, name_or_id, 0, e);
	if (id == 0)
		return CP_OK;
	memset(b, 0, sizeof b);
	db_bind_u32(&b[0], &id);
	if ((st = db_run(db, revoke_id_sql, b, rows, e)) != CP_OK)
		return st;
	return *rows > 0 ? audit_revoke(db, name_or_id, id, e) : CP_OK;
}

/* By name first; a name that is a number falls back to the id. */
enum cp_status cp_apikey_revoke(struct cp_db *db, const char *name_or_id, struct cp_err *e)
{
	uint64_t rows = 0, id64 = 0;
	uint32_t id;
	bool found = false;
	enum cp_status st;

	if (name_or_id == NULL || *name_or_id == '\0')
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "which key?");
	if (cp_parse_uint(name_or_id, 1, UINT32_MAX, &id64, NULL) != CP_OK)
		id64 = 0;
	id = (uint32_t)id64;
	if ((st = db_begin(db, e)) == CP_OK && (st = revoke_tx(db, name_or_id, id, &rows, e)) == CP_OK)
		st = db_commit(db, e);
	if (st != CP_OK) {
		db_rollback(db);
		return st;
	}
	if (rows > 0)
		return CP_OK;
	/* Nothing changed: already revoked (fine), or no such key. */
	if ((st = key_exists(db, name_or_id, id, &found, e)) != CP_OK)
		return st;
	return found ? CP_OK : cp_err_set(e, CP_E_NOT_FOUND, "no API key '%s'", name_or_id);
}
