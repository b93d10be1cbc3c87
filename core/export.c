/*
 * Distribution: exporting codes for a print vendor (CSV with a SHA-256
 * manifest, recorded in code_exports and the audit log). A leaked batch or
 * campaign is expired by core/expiry.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "audit.h"
#include "batch.h"
#include "db.h"
#include "rewards.h"
#include "text.h"
#include "xmalloc.h"

#define EXPORT_BUF (256 * 1024)

/*
 * Indexed by (batch filter ? 1 : 0) | (status filter ? 2 : 0). No ORDER BY: the
 * rows stream in the order of whatever access the optimiser finds cheapest, a
 * range of ix_codes_campaign_status or ix_codes_batch_status for a campaign that
 * is a small part of the table, a table scan for one that is most of it, and
 * never a sort of millions of rows before the first one arrives. The file's
 * order is not part of the contract; its manifest is.
 */
#define COLUMNS                                                                          \
	"code, batch_id, status, expires_at, COALESCE(reward_id, 0), "                    \
	"COALESCE(redeemed_by_user_id, ''), COALESCE(order_id, ''), redeemed_at, reserved_until"
#define SHOWN CODE_SHOWN_SQL("coupon_codes")
/* By batch (1), status (2), and (4) for a campaign with an import not complete (batch.h). */
static const char *const select_sql[] = {
	"SELECT " COLUMNS " FROM coupon_codes WHERE campaign_id = ?",
	"SELECT " COLUMNS " FROM coupon_codes WHERE campaign_id = ? AND batch_id = ?",
	"SELECT " COLUMNS " FROM coupon_codes WHERE campaign_id = ? AND status = ?",
	("SELECT " COLUMNS " FROM coupon_codes WHERE campaign_id = ? AND batch_id = ? "
	 "AND status = ?"),
	"SELECT " COLUMNS " FROM coupon_codes WHERE campaign_id = ?" SHOWN,
	"SELECT " COLUMNS " FROM coupon_codes WHERE campaign_id = ? AND batch_id = ?" SHOWN,
	"SELECT " COLUMNS " FROM coupon_codes WHERE campaign_id = ? AND status = ?" SHOWN,
	("SELECT " COLUMNS " FROM coupon_codes WHERE campaign_id = ? AND batch_id = ? "
	 "AND status = ?" SHOWN),
};

struct export {
	struct cp_db *db;
	const struct cp_export_opts *o;
	const char *status;  /* o->status as stored, NULL for every status */
	struct cp_campaign camp;
	char *tmp, *sum, *sumtmp;
	bool made_tmp, made_sumtmp; /* created by this export: removed if it fails */
	FILE *f;
	EVP_MD_CTX *md;
	uint64_t count;
	unsigned char digest[EVP_MAX_MD_SIZE];
	/* The rewards granted so far, as text: a campaign has few, rows never change. */
	struct granted {
		uint32_t id;
		char text[128];
	} *granted;
	size_t ngranted;
};

static enum cp_status out(struct export *x, const char *s, size_t n, struct cp_err *e)
{
	if (fwrite(s, 1, n, x->f) != n)
		return cp_err_set(e, CP_E_IO, "writing %s: %s", x->tmp, strerror(errno));
	if (EVP_DigestUpdate(x->md, s, n) != 1)
		return cp_err_set(e, CP_E_CRYPTO, "SHA-256 update failed");
	return CP_OK;
}

static const char rewards_sql[] = "SELECT id FROM campaign_rewards WHERE campaign_id = ?";

/*
 * The campaign's reward rows as CSV text, read before the rows stream (which
 * holds the connection): a code is only ever granted a reward of its campaign,
 * and a campaign has few. Quoted: a sku may hold a comma, never a quote.
 */
static enum cp_status load_rewards(struct export *x, struct cp_err *e)
{
	MYSQL_BIND p[1], r[1];
	MYSQL_STMT *stmt;
	uint32_t cid = x->o->campaign_id, id;
	struct cp_reward w;
	enum cp_status st = CP_OK;
	int rc;

	if ((stmt = db_prepare(x->db, rewards_sql, e, &st)) == NULL)
		return st;
	memset(p, 0, sizeof p);
	memset(r, 0, sizeof r);
	db_bind_u32(&p[0], &cid);
	db_bind_u32(&r[0], &id);
	if (mysql_stmt_bind_param(stmt, p) != 0 || mysql_stmt_execute(stmt) != 0 ||
	    mysql_stmt_bind_result(stmt, r) != 0 || mysql_stmt_store_result(stmt) != 0)
		return db_stmt_fail(x->db, stmt, e, "export rewards");
	while ((rc = mysql_stmt_fetch(stmt)) == 0) {
		x->granted = xreallocarray(x->granted, x->ngranted + 1, sizeof *x->granted);
		x->granted[x->ngranted++].id = id;
	}
	mysql_stmt_free_result(stmt);
	for (size_t i = 0; st == CP_OK && i < x->ngranted; i++) {
		struct granted *g = &x->granted[i];

		if ((st = rewards_get(x->db, g->id, &w, e)) != CP_OK)
			break;
		g->text[0] = '"';
		cp_reward_text(&w, g->text + 1, sizeof g->text - 2);
		strcat(g->text, "\"");
	}
	return st;
}

static const char *reward_text(const struct export *x, uint32_t id)
{
	for (size_t i = 0; id != 0 && i < x->ngranted; i++)
		if (x->granted[i].id == id)
			return x->granted[i].text;
	return "";
}

/* One stored row, as the stream binds it. */
struct export_row {
	char code[CP_CODE_MAX + 8], status[16];
	/* The columns hold 64 characters of utf8mb4: room for all four bytes of each. */
	char user[4 * CP_USER_MAX + 1], order[4 * CP_ORDER_MAX + 1];
	unsigned long clen, slen, ulen, olen;
	uint64_t batch;
	uint32_t reward;
	MYSQL_TIME expires, redeemed, reserved;
	my_bool expires_null, redeemed_null, reserved_null;
};

/* An instant in UTC as RFC 3339 to the second, or nothing for NULL. */
static void utc_text(const MYSQL_TIME *t, my_bool null, char out[32])
{
	time_t u = null ? 0 : db_time_to_unix(t);
	struct tm tm;

	out[0] = '\0';
	if (u != 0 && gmtime_r(&u, &tm) != NULL)
		strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void terminate(char *s, unsigned long len, size_t size)
{
	s[len < size ? len : size - 1] = '\0';
}

static enum cp_status row(struct export *x, struct export_row *r, struct cp_err *e)
{
	char disp[CP_DISPLAY_MAX + 1], user[TEXT_CSV_MAX(sizeof r->user)],
		order[TEXT_CSV_MAX(sizeof r->order)], expires[32], redeemed[32], reserved[32];
	char shown[TEXT_CSV_MAX(CP_DISPLAY_MAX)], stored[TEXT_CSV_MAX(CP_CODE_MAX)];
	char line[sizeof shown + sizeof stored + sizeof user + sizeof order + 256];
	int n;

	terminate(r->code, r->clen, sizeof r->code);
	terminate(r->status, r->slen, sizeof r->status);
	terminate(r->user, r->ulen, sizeof r->user);
	terminate(r->order, r->olen, sizeof r->order);
	/* A code stored under an older format of the campaign: show it as stored. */
	if (cp_code_display(&x->camp.format, r->code, disp, sizeof disp) != CP_OK)
		snprintf(disp, sizeof disp, "%.*s", CP_CODE_MAX, r->code);
	utc_text(&r->expires, r->expires_null, expires);
	utc_text(&r->redeemed, r->redeemed_null, redeemed);
	utc_text(&r->reserved, r->reserved_null, reserved);
	/* External codes may hold commas and quotes; they are kept byte for byte. */
	text_csv(shown, disp);
	text_csv(stored, r->code);
	text_csv_field(user, r->user);
	text_csv_field(order, r->order);
	n = snprintf(line, sizeof line, "%s,%s,%" PRIu64 ",%s,%s,%s,%s,%s,%s,%s\n", shown, stored,
		     r->batch, r->status, expires, reward_text(x, r->reward), user, order, redeemed,
		     reserved);
	x->count++;
	return out(x, line, (size_t)n, e);
}

/* Rows come one at a time from the server (no mysql_stmt_store_result). */
static enum cp_status stream(struct export *x, struct cp_err *e)
{
	const struct cp_export_opts *o = x->o;
	unsigned int which = (o->batch_id ? 1u : 0u) | (x->status ? 2u : 0u) |
			     (x->camp.importing ? 4u : 0u);
	MYSQL_BIND p[3], b[9];
	MYSQL_STMT *stmt;
	struct export_row r;
	unsigned long flen;
	uint32_t cid = o->campaign_id;
	uint64_t bid = o->batch_id;
	unsigned int np = 0;
	enum cp_status st = CP_OK;
	int rc;

	if ((stmt = db_prepare(x->db, select_sql[which], e, &st)) == NULL)
		return st;
	memset(p, 0, sizeof p);
	memset(b, 0, sizeof b);
	db_bind_u32(&p[np++], &cid);
	if (o->batch_id)
		db_bind_u64(&p[np++], &bid);
	if (x->status)
		db_bind_str(&p[np++], x->status, &flen);
	db_bind_buf(&b[0], r.code, sizeof r.code, &r.clen, NULL);
	db_bind_u64(&b[1], &r.batch);
	db_bind_buf(&b[2], r.status, sizeof r.status, &r.slen, NULL);
	db_bind_time(&b[3], &r.expires, &r.expires_null);
	db_bind_u32(&b[4], &r.reward);
	db_bind_buf(&b[5], r.user, sizeof r.user, &r.ulen, NULL);
	db_bind_buf(&b[6], r.order, sizeof r.order, &r.olen, NULL);
	db_bind_time(&b[7], &r.redeemed, &r.redeemed_null);
	db_bind_time(&b[8], &r.reserved, &r.reserved_null);
	if (mysql_stmt_bind_param(stmt, p) != 0 || mysql_stmt_execute(stmt) != 0 ||
	    mysql_stmt_bind_result(stmt, b) != 0)
		return db_stmt_fail(x->db, stmt, e, "export");
	while (st == CP_OK && (rc = mysql_stmt_fetch(stmt)) == 0)
		st = row(x, &r, e);
	/* A row cut short is an error, never the silent end of the file. */
	if (st == CP_OK && rc == MYSQL_DATA_TRUNCATED)
		st = cp_err_set(e, CP_E_DB, "export: a stored row is longer than the export reads");
	else if (st == CP_OK && rc == 1)
		st = db_stmt_fail(x->db, stmt, e, "export");
	mysql_stmt_free_result(stmt);
	return st;
}

/*
 * The codes are a secret until they are printed: the temporary file is created
 * new (O_EXCL), never through a symbolic link (O_NOFOLLOW), and mode 0600 whatever
 * the umask, so a link planted at PATH.tmp cannot send them elsewhere and nobody
 * else reads them while they are written. The published files are this one,
 * linked or renamed, so they keep its mode. A regular file left by a killed
 * export is removed first.
 */
static enum cp_status open_tmp(const char *path, FILE **f, struct cp_err *e)
{
	struct stat sb;
	int fd, err;

	if (lstat(path, &sb) == 0) {
		if (!S_ISREG(sb.st_mode))
			return cp_err_set(e, CP_E_IO, "refusing to write %s: it exists and is not a "
					  "regular file (a symbolic link?)", path);
		if (unlink(path) != 0)
			return cp_err_set(e, CP_E_IO, "cannot remove the stale %s: %s", path,
					  strerror(errno));
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0 && (*f = fdopen(fd, "w")) != NULL)
		return CP_OK;
	err = errno;
	if (fd >= 0)
		close(fd);
	if (err == EEXIST || err == ELOOP)
		return cp_err_set(e, CP_E_IO, "refusing to write %s: something else created it "
				  "meanwhile", path);
	return cp_err_set(e, CP_E_IO, "cannot write %s: %s", path, strerror(err));
}

static enum cp_status close_file(FILE *f, const char *path, struct cp_err *e)
{
	bool ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
	int err = errno;

	if (fclose(f) != 0 && ok) {
		ok = false;
		err = errno;
	}
	return ok ? CP_OK : cp_err_set(e, CP_E_IO, "writing %s: %s", path, strerror(err));
}

/* Without FORCE a file that appeared meanwhile is not replaced either: link(2). */
static enum cp_status publish(const char *tmp, const char *path, bool force, struct cp_err *e)
{
	if (force ? rename(tmp, path) == 0 : link(tmp, path) == 0 && unlink(tmp) == 0)
		return CP_OK;
	if (errno == EEXIST)
		return cp_err_set(e, CP_E_EXISTS, "%s exists; --force replaces it", path);
	return cp_err_set(e, CP_E_IO, "cannot create %s: %s", path, strerror(errno));
}

static enum cp_status write_sum(struct export *x, const char *sha, struct cp_err *e)
{
	const char *base = strrchr(x->o->path, '/');
	enum cp_status st;
	FILE *f;

	base = base != NULL ? base + 1 : x->o->path;
	if ((st = open_tmp(x->sumtmp, &f, e)) != CP_OK)
		return st;
	x->made_sumtmp = true;
	/* sha256sum(1) format, so "sha256sum -c FILE.sha256" checks the CSV. */
	if (fprintf(f, "%s  %s\n", sha, base) < 0) {
		fclose(f);
		return cp_err_set(e, CP_E_IO, "writing %s: %s", x->sumtmp, strerror(errno));
	}
	if ((st = close_file(f, x->sumtmp, e)) != CP_OK)
		return st;
	return publish(x->sumtmp, x->sum, x->o->force, e);
}

static const char record_sql[] =
	"INSERT INTO code_exports (campaign_id, batch_id, status_filter, code_count, file_name, "
	"sha256, actor) VALUES (?, ?, ?, ?, ?, ?, ?)";

static enum cp_status record(struct export *x, struct cp_export_result *res, struct cp_err *e)
{
	MYSQL_BIND p[7];
	char *abs = realpath(x->o->path, NULL);
	const char *name = abs != NULL ? abs : x->o->path;
	unsigned long l1, l2, l3, l4;
	my_bool null = 1;
	uint32_t cid = x->o->campaign_id;
	uint64_t bid = x->o->batch_id;
	struct jobj after;
	enum cp_status st;

	memset(p, 0, sizeof p);
	db_bind_u32(&p[0], &cid);
	db_bind_u64(&p[1], &bid);
	if (bid == 0)
		p[1].is_null = &null;
	db_bind_str(&p[2], x->status, &l1);
	db_bind_u64(&p[3], &res->count);
	db_bind_str(&p[4], name, &l2);
	db_bind_str(&p[5], res->sha256, &l3);
	db_bind_str(&p[6], x->o->actor != NULL ? x->o->actor : "unknown", &l4);
	/* The export's record and its audit row commit together. */
	if ((st = db_begin(x->db, e)) == CP_OK &&
	    (st = db_run(x->db, record_sql, p, NULL, e)) == CP_OK) {
		res->id = db_insert_id(x->db, record_sql);
		jobj_init(&after);
		jobj_u64(&after, "export_id", res->id);
		if (bid != 0)
			jobj_u64(&after, "batch_id", bid);
		jobj_str(&after, "status", x->status);
		jobj_u64(&after, "count", res->count);
		jobj_str(&after, "file", name);
		jobj_str(&after, "sha256", res->sha256);
		if ((st = audit_add(x->db, x->o->actor, "export", "campaign", cid, NULL,
				    jobj_end(&after), e)) == CP_OK)
			st = db_commit(x->db, e);
	}
	if (st != CP_OK)
		db_rollback(x->db);
	free(abs);
	return st;
}

static enum cp_status check_opts(struct export *x, struct cp_err *e)
{
	const struct cp_export_opts *o = x->o;
	enum cp_code_status cs;
	struct cp_batch b;
	struct stat sb;
	enum cp_status st;

	if (o->path == NULL || *o->path == '\0')
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "no output file");
	if (o->status != NULL && !cp_code_status_parse(o->status, &cs))
		return cp_err_set_field(e, CP_E_INVALID_ARGUMENT, "status",
					"unknown status '%s' (available, pending, redeemed, "
					"expired)", o->status);
	x->status = o->status != NULL ? cp_code_status_name(cs) : NULL;
	if ((st = cp_campaign_get(x->db, o->campaign_id, &x->camp, e)) != CP_OK)
		return st;
	if (o->batch_id != 0) {
		if ((st = cp_batch_get(x->db, o->batch_id, &b, e)) != CP_OK)
			return st;
		if (b.campaign_id != o->campaign_id)
			return cp_err_set(e, CP_E_NOT_FOUND, "batch %" PRIu64 " is not a batch of "
					  "campaign '%s'", o->batch_id, x->camp.name);
		if (b.method == CP_GEN_IMPORT && b.status != CP_BATCH_COMPLETE)
			return cp_err_set(e, CP_E_CONFLICT, "import batch %" PRIu64 " is not "
					  "complete: its codes are not in use", o->batch_id);
	}
	/* --force replaces files, never what a symbolic link points at, nor the link. */
	if ((lstat(o->path, &sb) == 0 && S_ISLNK(sb.st_mode)) ||
	    (lstat(x->sum, &sb) == 0 && S_ISLNK(sb.st_mode)))
		return cp_err_set(e, CP_E_IO, "refusing to export to %s: it is a symbolic link",
				  lstat(o->path, &sb) == 0 && S_ISLNK(sb.st_mode) ? o->path : x->sum);
	if (!o->force && (lstat(o->path, &sb) == 0 || lstat(x->sum, &sb) == 0))
		return cp_err_set(e, CP_E_EXISTS, "%s exists; --force replaces it",
				  lstat(o->path, &sb) == 0 ? o->path : x->sum);
	return CP_OK;
}

static enum cp_status run_export(struct export *x, struct cp_export_result *res,
				 struct cp_err *e)
{
	static const char header[] =
		"code,normalized,batch,status,expires_at,reward,user_id,order_id,redeemed_at,"
		"reserved_until\n";
	unsigned int n = 0;
	enum cp_status st;

	if ((st = check_opts(x, e)) != CP_OK || (st = load_rewards(x, e)) != CP_OK)
		return st;
	if ((st = open_tmp(x->tmp, &x->f, e)) != CP_OK)
		return st;
	x->made_tmp = true;
	setvbuf(x->f, NULL, _IOFBF, EXPORT_BUF);
	if ((x->md = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(x->md, EVP_sha256(), NULL) != 1)
		return cp_err_set(e, CP_E_CRYPTO, "SHA-256 init failed");
	if ((st = out(x, header, sizeof header - 1, e)) != CP_OK || (st = stream(x, e)) != CP_OK)
		return st;
	st = close_file(x->f, x->tmp, e);
	x->f = NULL;
	if (st != CP_OK)
		return st;
	if (EVP_DigestFinal_ex(x->md, x->digest, &n) != 1)
		return cp_err_set(e, CP_E_CRYPTO, "SHA-256 final failed");
	text_hex(res->sha256, x->digest, n);
	res->count = x->count;
	if ((st = publish(x->tmp, x->o->path, x->o->force, e)) != CP_OK ||
	    (st = write_sum(x, res->sha256, e)) != CP_OK)
		return st;
	return record(x, res, e);
}

static char *concat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = xmalloc(la + lb + 1);

	memcpy(s, a, la);
	memcpy(s + la, b, lb + 1);
	return s;
}

enum cp_status cp_export(struct cp_db *db, const struct cp_export_opts *o,
			 struct cp_export_result *res, struct cp_err *e)
{
	struct export x;
	enum cp_status st;

	memset(&x, 0, sizeof x);
	memset(res, 0, sizeof *res);
	x.db = db;
	x.o = o;
	if (o->path == NULL || *o->path == '\0')
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "no output file");
	x.tmp = concat(o->path, ".tmp");
	x.sum = concat(o->path, ".sha256");
	x.sumtmp = concat(x.sum, ".tmp");
	if ((st = cp_db_ensure(db, e)) == CP_OK)
		st = run_export(&x, res, e);
	if (x.f != NULL)
		fclose(x.f);
	if (st != CP_OK && x.made_tmp)
		unlink(x.tmp);
	if (st != CP_OK && x.made_sumtmp)
		unlink(x.sumtmp);
	EVP_MD_CTX_free(x.md);
	free(x.tmp);
	free(x.sum);
	free(x.sumtmp);
	free(x.granted);
	return st;
}
