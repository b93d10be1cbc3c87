/*
 * libcoupon: the rules of coupon. Code format, generation, batches, redemption,
 * campaigns, API keys, idempotency and statistics over MySQL/MariaDB.
 *
 * The core never prints and never exits. Every operation returns an enum
 * cp_status and, on failure, writes detail into a caller-supplied struct cp_err.
 */
#ifndef COUPON_H
#define COUPON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Status codes. One table: enum name, stable string code (API contract, never
 * renamed), HTTP status, default message.
 */
#define CP_STATUS_TABLE(X)                                                          \
	X(OK, "ok", 200, "OK")                                                          \
	X(E_INVALID_ARGUMENT, "invalid_argument", 400, "invalid argument")              \
	X(E_INVALID_CODE, "invalid_code", 400, "the code is malformed")                 \
	X(E_WRONG_CHECK, "wrong_check_character", 400,                                  \
	  "the code's check character does not match: probably a typo")                 \
	X(E_UNKNOWN_CODE, "unknown_code", 404, "no such code")                          \
	X(E_ALREADY_REDEEMED, "already_redeemed", 409, "the code was already redeemed") \
	X(E_RESERVED, "reserved", 409, "the code is reserved by another checkout")      \
	X(E_NOT_RESERVED, "not_reserved", 409, "the code is not reserved by this user") \
	X(E_NOT_REDEEMED, "not_redeemed", 409, "the code is not redeemed")              \
	X(E_EXPIRED, "expired", 410, "the code has expired")                            \
	X(E_NOT_STARTED, "not_started", 409, "the campaign has not started yet")        \
	X(E_CAMPAIGN_PAUSED, "campaign_paused", 409, "the campaign is paused")          \
	X(E_USER_LIMIT, "user_limit_reached", 409,                                      \
	  "this user has reached the campaign's redemption limit")                      \
	X(E_IDEMPOTENCY_CONFLICT, "idempotency_conflict", 422,                          \
	  "the idempotency key was used with a different request")                      \
	X(E_IN_PROGRESS, "in_progress", 409,                                            \
	  "a request with this idempotency key is still in progress")                   \
	X(E_NOT_FOUND, "not_found", 404, "not found")                                   \
	X(E_EXISTS, "already_exists", 409, "already exists")                            \
	X(E_CONFLICT, "conflict", 409, "the object is not in a state that allows this") \
	X(E_UNAUTHORIZED, "unauthorized", 401, "missing or invalid API key")            \
	X(E_FORBIDDEN, "forbidden", 403, "the API key lacks the scope for this")        \
	X(E_METHOD, "method_not_allowed", 405, "method not allowed")                    \
	X(E_TOO_LARGE, "body_too_large", 413, "request body too large")                 \
	X(E_MEDIA_TYPE, "unsupported_media_type", 415, "unsupported content type")      \
	X(E_RATE_LIMITED, "rate_limited", 429, "too many failed attempts; retry later") \
	X(E_FORMAT_WEAK, "format_too_weak", 400,                                        \
	  "the code format is too easy to guess for this many codes")                   \
	X(E_CAPACITY, "format_capacity", 400,                                           \
	  "the code format cannot hold that many codes")                                \
	X(E_DB_UNAVAILABLE, "db_unavailable", 503, "the database is unavailable")       \
	X(E_DB, "db_error", 503, "database error")                                      \
	X(E_BUSY, "busy", 503, "the database stayed busy; retry")                       \
	X(E_SCHEMA, "schema_mismatch", 503,                                             \
	  "the database schema does not match this program")                            \
	X(E_IO, "io_error", 500, "input/output error")                                  \
	X(E_KEY_FILE, "key_file", 500, "the key file is missing or unsafe")             \
	X(E_CRYPTO, "crypto_error", 500, "cryptographic library error")                 \
	X(E_NOMEM, "out_of_memory", 503, "out of memory")                               \
	X(E_CANCELLED, "cancelled", 409, "cancelled")                                   \
	X(E_INTERNAL, "internal", 500, "internal error")

enum cp_status {
#define CP_STATUS_ENUM(name, code, http, msg) CP_##name,
	CP_STATUS_TABLE(CP_STATUS_ENUM)
#undef CP_STATUS_ENUM
	CP_STATUS_COUNT
};

const char *cp_status_code(enum cp_status);    /* "already_redeemed" */
const char *cp_status_message(enum cp_status); /* default English message */
int cp_status_http(enum cp_status);            /* 409 */
/* Parses a stable code back; CP_STATUS_COUNT if unknown. */
enum cp_status cp_status_from_code(const char *code);

/* Detail of a failure: MySQL error number and SQLSTATE where the database spoke. */
struct cp_err {
	unsigned int db_errno; /* 0 when not a database error */
	char sqlstate[6];      /* "" when not a database error */
	char msg[512];
};

void cp_err_clear(struct cp_err *);
/* Formats msg; returns st so that "return cp_err_set(e, CP_E_X, ...)" reads well. */
enum cp_status cp_err_set(struct cp_err *, enum cp_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Puts "PREFIX: " before the message already in E (context as an error rises). */
void cp_err_prefix(struct cp_err *, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

const char *cp_version(void);

/* Whole-string, bounded number parsing (never atoi on input). */
enum cp_status cp_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out,
			     struct cp_err *);
/* "90", "90s", "15m", "24h", "7d" -> seconds. */
enum cp_status cp_parse_duration(const char *s, uint64_t *seconds, struct cp_err *);

/* ---------------------------------------------------------------- configuration */

/*
 * Settings come from the [coupon] group of a my.cnf-style option file. Connection
 * options (host, port, socket, user, password, database, ssl-*, ...) are read by
 * Connector/C itself from the same file and group, so a DBA's habits apply.
 */
struct cp_config {
	char *file;  /* option file in use, NULL if none was found */
	char *group; /* option group, default "coupon" */

	/* Connection overrides (flags); NULL/0 = take from the option file. */
	char *host, *user, *password, *socket, *database;
	unsigned int port;
	unsigned int connect_timeout, read_timeout, write_timeout; /* seconds */

	char *key_file;              /* keyed-generation key (FF1) */
	char *listen;                /* coupon-fcgi: unix path or host:port */
	unsigned int threads;        /* coupon-fcgi worker threads */
	size_t body_max;             /* coupon-fcgi request body cap, bytes */
	char *site;                  /* coupon-fcgi: origin accepted for form posts */
	char *log_file;              /* NULL = stderr */
	unsigned int idempotency_retention; /* seconds */
	unsigned int retries;        /* bounded retries of 1205/1213 */
	unsigned int rate_limit;     /* failed lookups a minute per address/user */
};

/* Fills defaults. */
void cp_config_init(struct cp_config *);
/*
 * Reads FILE, or when FILE is NULL the first existing file of the search path:
 * $COUPON_CONFIG, ./coupon.cnf, SYSCONFDIR/coupon.cnf, ~/.coupon.cnf.
 * A missing explicit FILE is an error; no file at all on the search path is not.
 */
enum cp_status cp_config_load(struct cp_config *, const char *file, struct cp_err *);
/* Sets one option by its option-file name ("read-timeout", "threads", ...). */
enum cp_status cp_config_set(struct cp_config *, const char *key, const char *value,
			     struct cp_err *);
void cp_config_free(struct cp_config *);
/* The search path, for --help and the man pages. */
const char *cp_config_search_path(void);

/* ------------------------------------------------------------------ database */

struct cp_db; /* one per thread */

/* Call once in main() before starting threads; cp_library_end() at exit. */
enum cp_status cp_library_init(void);
void cp_library_end(void);

enum cp_status cp_db_open(struct cp_db **, const struct cp_config *, const char *program,
			  struct cp_err *);
void cp_db_close(struct cp_db *);
enum cp_status cp_db_ping(struct cp_db *, struct cp_err *);
/* Reconnects if the connection was lost. */
enum cp_status cp_db_ensure(struct cp_db *, struct cp_err *);

/* Migrations compiled into the program from sql/. */
struct cp_migration_state {
	unsigned int current;  /* highest applied version, 0 = none */
	unsigned int latest;   /* highest version this program knows */
	unsigned int pending;  /* how many this run would apply */
};
enum cp_status cp_migrate_status(struct cp_db *, struct cp_migration_state *, struct cp_err *);
/* Applies pending migrations in order; callback per applied one (may be NULL). */
enum cp_status cp_migrate(struct cp_db *, void (*applied)(unsigned int version,
							    const char *name, void *arg),
			  void *arg, struct cp_err *);
/* CP_OK if the schema is exactly what this program knows, CP_E_SCHEMA otherwise. */
enum cp_status cp_schema_check(struct cp_db *, struct cp_err *);

/* ---------------------------------------------------------------- code format */

#define CP_ALPHABET_CROCKFORD "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#define CP_ALPHABET_MAX 64
#define CP_BODY_MIN 6
#define CP_BODY_MAX 24
#define CP_PREFIX_MAX 16
/* Normalised code: prefix + body + check character. */
#define CP_CODE_MAX (CP_PREFIX_MAX + CP_BODY_MAX + 1)
/* Displayed code: prefix, '-', groups separated by '-'. */
#define CP_DISPLAY_MAX (CP_CODE_MAX + CP_BODY_MAX + 2)
/* Longest typed input accepted before normalisation. */
#define CP_INPUT_MAX 128
#define CP_GUESS_TARGET_DEFAULT 1e-9
#define CP_GUESS_CEILING 1e-6

struct cp_format {
	char alphabet[CP_ALPHABET_MAX + 1]; /* 2..36 distinct symbols of [0-9A-Z] */
	char prefix[CP_PREFIX_MAX + 1];     /* [A-Z0-9], may be empty */
	unsigned int body_len;              /* CP_BODY_MIN..CP_BODY_MAX */
	/*
	 * Append a check character: Luhn's position-dependent scheme carried over to
	 * radix N on a group where it catches every single substitution and adjacent
	 * transposition (plain Luhn mod N misses some; see core/format.c). Needs N > 2.
	 */
	bool check;
	unsigned int group;                 /* display group size, 0 = none */
};

/* Crockford Base32, no prefix, body 12, check character on, groups of 4. */
void cp_format_default(struct cp_format *);
/* Checks alphabet, prefix, length and grouping; says what is wrong in err. */
enum cp_status cp_format_validate(const struct cp_format *, struct cp_err *);
/* Chance that one random guess hits one of COUNT valid codes: COUNT / radix^body_len. */
double cp_format_guess_probability(const struct cp_format *, uint64_t count);
/*
 * Shortest body length (>= CP_BODY_MIN) whose guess probability for COUNT codes is
 * at most TARGET. CP_E_FORMAT_WEAK if even CP_BODY_MAX is not enough.
 */
enum cp_status cp_format_length_for(const char *alphabet, uint64_t count, double target,
				    unsigned int *len, struct cp_err *);
/*
 * CP_OK if FMT may hold COUNT codes: guess probability at most CP_GUESS_CEILING
 * (else CP_E_FORMAT_WEAK, naming the length needed) and COUNT not beyond
 * radix^body_len (else CP_E_CAPACITY).
 */
enum cp_status cp_format_allows(const struct cp_format *, uint64_t count, struct cp_err *);
/*
 * Normalises typed input: case folded, spaces and dashes dropped, and where the
 * alphabet lacks them, O read as 0, I and L read as 1. Checks prefix, length,
 * symbols and the check character. OUT gets the normalised code (NUL-terminated,
 * at most CP_CODE_MAX chars). CP_E_INVALID_CODE or CP_E_WRONG_CHECK on failure.
 */
enum cp_status cp_code_normalize(const struct cp_format *, const char *in, size_t inlen,
				 char *out, size_t outsz, struct cp_err *);
/* Check character for BODY (len <= CP_BODY_MAX symbols); '\0' if BODY is invalid. */
char cp_check_char(const struct cp_format *, const char *body, size_t len);
/*
 * Writes prefix + body from symbol values DIGITS[0..body_len) + check character.
 * FMT must have passed cp_format_validate; every digit must be below the radix.
 */
void cp_code_compose(const struct cp_format *, const uint8_t *digits, char *out);
/* Display form of a normalised code: "SPRING-7KQ4-M9XT-2H". */
enum cp_status cp_code_display(const struct cp_format *, const char *norm, char *out,
			       size_t outsz);

/* ------------------------------------------------------------- FF1 (SP 800-38G) */

struct cp_ff1; /* opaque; AES key schedule from libcrypto */

/*
 * KEY is 16, 24 or 32 bytes. RADIX 2..65536; numeral strings of 2..CP_FF1_MAXLEN.
 * One cp_ff1 serves one thread at a time (it caches per-call state).
 */
#define CP_FF1_MAXLEN 64
enum cp_status cp_ff1_create(struct cp_ff1 **, const uint8_t *key, size_t keylen,
			     unsigned int radix, struct cp_err *);
void cp_ff1_free(struct cp_ff1 *);
/* X and Y are numeral strings of N digits (each < radix); TWEAK may be empty. */
enum cp_status cp_ff1_encrypt(struct cp_ff1 *, const uint8_t *tweak, size_t tweaklen,
			      const uint16_t *x, size_t n, uint16_t *y);
enum cp_status cp_ff1_decrypt(struct cp_ff1 *, const uint8_t *tweak, size_t tweaklen,
			      const uint16_t *x, size_t n, uint16_t *y);

#ifdef __cplusplus
}
#endif
#endif
