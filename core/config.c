/*
 * Settings from a my.cnf-style option file: the [coupon] group (or the one named),
 * "key = value" lines, '#' and ';' comments, !include and !includedir. Keys spell
 * '-' and '_' alike, as MySQL's own programs do. Connection keys are left to
 * Connector/C, which reads the same file and group. Other programs read their
 * own group by the same rules (coupon-relay's [coupon-relay]).
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "coupon.h"
#include "xmalloc.h"

#define CONFIG_INCLUDE_DEPTH 8

enum opt_kind { OPT_STR, OPT_UINT, OPT_SIZE, OPT_DURATION, OPT_CONN };

struct opt {
	const char *name;
	enum opt_kind kind;
	size_t offset;
	uint64_t min, max;
};

#define OFF(f) offsetof(struct cp_config, f)
static const struct opt opts[] = {
	{"host", OPT_STR, OFF(host), 0, 0},
	{"user", OPT_STR, OFF(user), 0, 0},
	{"password", OPT_STR, OFF(password), 0, 0},
	{"socket", OPT_STR, OFF(socket), 0, 0},
	{"database", OPT_STR, OFF(database), 0, 0},
	{"port", OPT_UINT, OFF(port), 1, 65535},
	{"connect-timeout", OPT_UINT, OFF(connect_timeout), 1, 3600},
	{"read-timeout", OPT_UINT, OFF(read_timeout), 1, 86400},
	{"write-timeout", OPT_UINT, OFF(write_timeout), 1, 86400},
	{"key-file", OPT_STR, OFF(key_file), 0, 0},
	{"listen", OPT_STR, OFF(listen), 0, 0},
	{"threads", OPT_UINT, OFF(threads), 1, 1024},
	{"max-connections", OPT_UINT, OFF(max_connections), 1, 1000000},
	{"body-max", OPT_SIZE, OFF(body_max), 256, 16 * 1024 * 1024},
	{"import-max", OPT_SIZE, OFF(import_max), 1024, 1ull << 40},
	{"site", OPT_STR, OFF(site), 0, 0},
	{"log-file", OPT_STR, OFF(log_file), 0, 0},
	{"idempotency-retention", OPT_DURATION, OFF(idempotency_retention), 60, 90 * 86400},
	{"idempotency-stale", OPT_DURATION, OFF(idempotency_stale), 1, 86400},
	{"retries", OPT_UINT, OFF(retries), 0, 100},
	{"rate-limit", OPT_UINT, OFF(rate_limit), 1, 1000000},
	{"rate-limit-key", OPT_UINT, OFF(rate_limit_key), 1, 1000000},
	{"rate-limit-ipv6-prefix", OPT_UINT, OFF(rate_limit_ipv6_prefix), 16, 128},
	{"trusted-proxies", OPT_STR, OFF(trusted_proxies), 0, 0},
	{"health-listen", OPT_STR, OFF(health_listen), 0, 0},
};
#undef OFF

/* Options Connector/C reads itself from the same group; accepted, not interpreted. */
static const char *const conn_opts[] = {
	"default-character-set", "protocol", "compress", "ssl", "ssl-ca", "ssl-capath",
	"ssl-cert", "ssl-key", "ssl-cipher", "ssl-crl", "ssl-crlpath", "ssl-verify-server-cert",
	"tls-version", "ssl-fp", "ssl-fp-list", "local-infile", "plugin-dir", "default-auth",
	"bind-address", "init-command", "max-allowed-packet", "net-buffer-length",
	"secure-auth", "multi-results", "multi-statements", "server-public-key",
};

static const char *search_path =
	"$COUPON_CONFIG, ./coupon.cnf, " SYSCONFDIR "/coupon.cnf, ~/.coupon.cnf";

const char *cp_config_search_path(void)
{
	return search_path;
}

void cp_config_init(struct cp_config *c)
{
	memset(c, 0, sizeof *c);
	c->group = xstrdup("coupon");
	c->connect_timeout = 5;
	c->read_timeout = 30;
	c->write_timeout = 30;
	c->threads = 16;
	c->max_connections = 1024;
	c->body_max = 16 * 1024;
	c->import_max = 256u << 20;
	c->idempotency_retention = 24 * 3600;
	c->idempotency_stale = 120;
	c->retries = 5;
	c->rate_limit = 30;
	c->tls_verify = -1;
	c->rate_limit_key = 600;
	c->rate_limit_ipv6_prefix = 64;
}

void cp_config_free(struct cp_config *c)
{
	if (c == NULL)
		return;
	free(c->file);
	free(c->group);
	free(c->host);
	free(c->user);
	xfree_secret(c->password);
	free(c->socket);
	free(c->database);
	free(c->key_file);
	free(c->listen);
	free(c->site);
	free(c->log_file);
	free(c->trusted_proxies);
	free(c->health_listen);
	memset(c, 0, sizeof *c);
}

enum cp_status cp_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out,
			     struct cp_err *e)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s == '\0' || !isdigit((unsigned char)*s))
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "'%s' is not a number", s ? s : "");
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "'%s' is not a number", s);
	if (v < min || v > max)
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "%s is out of range %llu..%llu", s,
				  (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return CP_OK;
}

enum cp_status cp_parse_duration(const char *s, uint64_t *seconds, struct cp_err *e)
{
	static const struct {
		char suffix;
		uint64_t mult;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
	char buf[32];
	size_t len = s ? strlen(s) : 0;
	uint64_t mult = 1, v;

	if (len == 0 || len >= sizeof buf)
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "'%s' is not a duration", s ? s : "");
	memcpy(buf, s, len + 1);
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (buf[len - 1] == units[i].suffix) {
			mult = units[i].mult;
			buf[--len] = '\0';
			break;
		}
	}
	if (cp_parse_uint(buf, 0, UINT64_MAX / mult, &v, e) != CP_OK)
		return cp_err_set(e, CP_E_INVALID_ARGUMENT,
				  "'%s' is not a duration (seconds, or a number with s, m, h or d)", s);
	*seconds = v * mult;
	return CP_OK;
}

/* "read_timeout" and "read-timeout" are the same key. */
static bool key_equal(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		char x = *a == '_' ? '-' : *a, y = *b == '_' ? '-' : *b;

		if (tolower((unsigned char)x) != tolower((unsigned char)y))
			return false;
	}
	return *a == *b;
}

bool cp_config_key_is(const char *key, const char *name)
{
	return key_equal(key, name);
}

static bool is_conn_opt(const char *key)
{
	for (size_t i = 0; i < sizeof conn_opts / sizeof conn_opts[0]; i++)
		if (key_equal(key, conn_opts[i]))
			return true;
	return false;
}

/* A boolean as MySQL's option files spell it; a bare key means on. */
static int parse_bool(const char *v)
{
	static const char *const on[] = {"1", "on", "true", "yes"}, *const off[] = {
		"0", "off", "false", "no"};

	if (v == NULL)
		return 1;
	for (size_t i = 0; i < sizeof on / sizeof on[0]; i++) {
		if (strcasecmp(v, on[i]) == 0)
			return 1;
		if (strcasecmp(v, off[i]) == 0)
			return 0;
	}
	return -1;
}

/* What the core must know of Connector/C's TLS keys (see struct cp_config). */
static enum cp_status note_tls(struct cp_config *c, const char *key, const char *value,
			       struct cp_err *e)
{
	if (key_equal(key, "ssl-ca") || key_equal(key, "ssl-capath"))
		c->tls_ca = true;
	if (key_equal(key, "ssl-verify-server-cert") && (c->tls_verify = parse_bool(value)) < 0)
		return cp_err_set(e, CP_E_INVALID_ARGUMENT,
				  "ssl-verify-server-cert: '%s' is not 0 or 1", value);
	return CP_OK;
}

static enum cp_status set_opt(struct cp_config *c, const struct opt *o, const char *value,
			      struct cp_err *e)
{
	void *field = (char *)c + o->offset;
	uint64_t v;
	enum cp_status st;

	switch (o->kind) {
	case OPT_STR:
	case OPT_CONN:
		if (strcmp(o->name, "password") == 0)
			xfree_secret(*(char **)field);
		else
			free(*(char **)field);
		*(char **)field = xstrdup(value);
		return CP_OK;
	case OPT_DURATION:
		st = cp_parse_duration(value, &v, e);
		break;
	default:
		st = cp_parse_uint(value, o->min, o->max, &v, e);
		break;
	}
	if (st != CP_OK) {
		cp_err_prefix(e, "%s", o->name);
		return st;
	}
	if (v < o->min || v > o->max)
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "%s: %s is out of range %llu..%llu",
				  o->name, value, (unsigned long long)o->min,
				  (unsigned long long)o->max);
	if (o->kind == OPT_SIZE)
		*(size_t *)field = (size_t)v;
	else
		*(unsigned int *)field = (unsigned int)v;
	return CP_OK;
}

enum cp_status cp_config_set(struct cp_config *c, const char *key, const char *value,
			     struct cp_err *e)
{
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
		if (key_equal(key, opts[i].name)) {
			if (value == NULL)
				return cp_err_set(e, CP_E_INVALID_ARGUMENT, "%s needs a value",
						  opts[i].name);
			return set_opt(c, &opts[i], value, e);
		}
	}
	if (is_conn_opt(key))
		return note_tls(c, key, value, e);
	return cp_err_set(e, CP_E_INVALID_ARGUMENT, "unknown option '%s'", key);
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* Removes one level of matching quotes, as the MySQL option-file reader does. */
static char *unquote(char *v)
{
	size_t len = strlen(v);

	if (len >= 2 && (v[0] == '"' || v[0] == '\'') && v[len - 1] == v[0]) {
		v[len - 1] = '\0';
		return v + 1;
	}
	return v;
}

/* What a read is for: the group it takes and where its options go. */
struct reader {
	const char *group;
	cp_option_fn set;
	void *arg;
};

static enum cp_status read_file(const struct reader *, const char *, int, struct cp_err *);

static enum cp_status read_dir(const struct reader *r, const char *dir, int depth,
			       struct cp_err *e)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	enum cp_status st = CP_OK;

	if (n < 0)
		return cp_err_set(e, CP_E_IO, "!includedir %s: %s", dir, strerror(errno));
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		size_t len = strlen(name);
		char path[4096];

		if (st == CP_OK && len > 4 && strcmp(name + len - 4, ".cnf") == 0) {
			snprintf(path, sizeof path, "%s/%s", dir, name);
			st = read_file(r, path, depth + 1, e);
		}
		free(names[i]);
	}
	free(names);
	return st;
}

static enum cp_status directive(const struct reader *r, char *line, int depth,
				struct cp_err *e)
{
	if (strncmp(line, "!includedir", 11) == 0 && isspace((unsigned char)line[11]))
		return read_dir(r, trim(line + 11), depth, e);
	if (strncmp(line, "!include", 8) == 0 && isspace((unsigned char)line[8]))
		return read_file(r, trim(line + 8), depth + 1, e);
	return cp_err_set(e, CP_E_INVALID_ARGUMENT, "unknown directive '%s'", line);
}

static enum cp_status parse_line(const struct reader *r, char *line, bool *in_group,
				 int depth, bool *secret, struct cp_err *e)
{
	char *eq, *key, *value = NULL;

	line = trim(line);
	if (*line == '\0' || *line == '#' || *line == ';')
		return CP_OK;
	if (*line == '!')
		return directive(r, line, depth, e);
	if (*line == '[') {
		char *close = strchr(line, ']');

		if (close == NULL)
			return cp_err_set(e, CP_E_INVALID_ARGUMENT, "unterminated group '%s'", line);
		*close = '\0';
		*in_group = strcmp(trim(line + 1), r->group) == 0;
		return CP_OK;
	}
	if (!*in_group)
		return CP_OK;
	if ((eq = strchr(line, '=')) != NULL) {
		*eq = '\0';
		value = unquote(trim(eq + 1));
	}
	key = trim(line);
	*secret = *secret || key_equal(key, "password");
	return r->set(r->arg, key, value, e);
}

/*
 * A file that gives our group a password must not let others read it or anyone
 * but its owner change it. Group read stays allowed: root owning the file and the
 * service's own group reading it (0640) is the usual way to hand a daemon its
 * configuration.
 */
static enum cp_status check_secret_mode(FILE *f, struct cp_err *e)
{
	struct stat sb;

	if (fstat(fileno(f), &sb) != 0)
		return cp_err_set(e, CP_E_IO, "%s", strerror(errno));
	if ((sb.st_mode & (S_IRWXO | S_IWGRP)) != 0)
		return cp_err_set(e, CP_E_INVALID_ARGUMENT,
				  "holds a password but its mode %04o lets others read or change "
				  "it; chmod 600 (or 640 with a group only the service is in)",
				  (unsigned int)(sb.st_mode & 07777));
	return CP_OK;
}

static enum cp_status read_file(const struct reader *r, const char *path, int depth,
				struct cp_err *e)
{
	FILE *f;
	char line[4096];
	unsigned int lineno = 0;
	bool in_group = false, secret = false;
	enum cp_status st = CP_OK;

	if (depth > CONFIG_INCLUDE_DEPTH)
		return cp_err_set(e, CP_E_INVALID_ARGUMENT, "%s: includes nested too deeply", path);
	if ((f = fopen(path, "r")) == NULL)
		return cp_err_set(e, CP_E_IO, "%s: %s", path, strerror(errno));
	while (st == CP_OK && fgets(line, sizeof line, f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			st = cp_err_set(e, CP_E_INVALID_ARGUMENT, "line too long");
			break;
		}
		st = parse_line(r, line, &in_group, depth, &secret, e);
	}
	if (st == CP_OK && ferror(f))
		st = cp_err_set(e, CP_E_IO, "%s", strerror(errno));
	if (st == CP_OK && secret && (st = check_secret_mode(f, e)) != CP_OK)
		cp_err_prefix(e, "%s", path);
	fclose(f);
	if (st != CP_OK && e != NULL && strncmp(e->msg, path, strlen(path)) != 0)
		cp_err_prefix(e, "%s:%u", path, lineno);
	return st;
}

static char *search(void)
{
	const char *env = getenv("COUPON_CONFIG"), *home = getenv("HOME");
	char path[4096];
	struct stat sb;

	if (env != NULL && *env != '\0')
		return xstrdup(env);
	if (stat("coupon.cnf", &sb) == 0)
		return xstrdup("coupon.cnf");
	if (stat(SYSCONFDIR "/coupon.cnf", &sb) == 0)
		return xstrdup(SYSCONFDIR "/coupon.cnf");
	if (home != NULL) {
		snprintf(path, sizeof path, "%s/.coupon.cnf", home);
		if (stat(path, &sb) == 0)
			return xstrdup(path);
	}
	return NULL;
}

enum cp_status cp_config_read_group(const char *file, const char *group, cp_option_fn set,
				    void *arg, struct cp_err *e)
{
	const struct reader r = {group, set, arg};

	return read_file(&r, file, 0, e);
}

static enum cp_status set_config(void *c, const char *key, const char *value,
				 struct cp_err *e)
{
	return cp_config_set(c, key, value, e);
}

enum cp_status cp_config_load(struct cp_config *c, const char *file, struct cp_err *e)
{
	free(c->file);
	c->file = file != NULL ? xstrdup(file) : search();
	if (c->file == NULL)
		return CP_OK;
	return cp_config_read_group(c->file, c->group, set_config, c, e);
}
