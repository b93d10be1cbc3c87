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
	X(E_CAP_REACHED, "campaign_cap_reached", 409,                                   \
	  "the campaign has reached its maximum number of redemptions")                 \
	X(E_CAMPAIGN_EXHAUSTED, "campaign_exhausted", 409,                              \
	  "the campaign has no code left to hand out")                                  \
	X(E_ASSIGNED_OTHER, "assigned_to_another_user", 409,                            \
	  "the code was handed out to another user")                                    \
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
	X(E_INVALID_REWARD, "invalid_reward", 400, "the reward is malformed")           \
	X(E_INVALID_CURRENCY, "invalid_currency", 400, "not an ISO 4217 currency code")  \
	X(E_INVALID_AMOUNT, "invalid_amount", 400,                                      \
	  "the amount is malformed or out of range")                                    \
	X(E_INVALID_METADATA, "invalid_metadata", 400,                                  \
	  "metadata must be a JSON object of at most 4 KiB")                            \
	X(E_INVALID_TIME_ZONE, "invalid_time_zone", 400,                                \
	  "not a time zone of the tz database")                                         \
	X(E_INVALID_IMPORT, "invalid_import", 400, "the import file is malformed")      \
	X(E_DUPLICATE_CODE, "duplicate_code", 409, "the code is stored already")        \
	X(E_ORDER_AMOUNT_REQUIRED, "order_amount_required", 400,                        \
	  "the campaign has a minimum order: the order amount is required")             \
	X(E_CURRENCY_MISMATCH, "currency_mismatch", 409,                                \
	  "the order is not in the currency of the campaign's minimum order")           \
	X(E_ORDER_BELOW_MINIMUM, "order_below_minimum", 409,                            \
	  "the order is below the campaign's minimum order")                            \
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

/*
 * Detail of a failure: MySQL error number and SQLSTATE where the database spoke,
 * and the input field at fault where one is (its API name, "starts_at"), so a
 * front end can put the message beside what was typed without reading it.
 */
struct cp_err {
	unsigned int db_errno; /* 0 when not a database error */
	char sqlstate[6];      /* "" when not a database error */
	char field[32];        /* "" when no one field is at fault */
	char msg[512];
};

void cp_err_clear(struct cp_err *);
/* Formats msg; returns st so that "return cp_err_set(e, CP_E_X, ...)" reads well. */
enum cp_status cp_err_set(struct cp_err *, enum cp_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* cp_err_set naming FIELD as the one at fault. */
enum cp_status cp_err_set_field(struct cp_err *, enum cp_status st, const char *field,
				const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Names FIELD as the one at fault, unless the check below already named one. */
void cp_err_field(struct cp_err *, const char *field);

/* Puts "PREFIX: " before the message already in E (context as an error rises). */
void cp_err_prefix(struct cp_err *, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

const char *cp_version(void);
/* A library a program links: its version from its headers, and from itself. */
struct cp_library {
	const char *name;
	const char *built;   /* at build time: the headers, or what configure found */
	const char *running; /* at run time; NULL when the library has no version call */
};
/*
 * --version: "PROGRAM (coupon) VERSION", then a table of the libraries, built
 * with and running: the core's own (the MySQL client library, OpenSSL) and LIBS.
 * Truncated to SIZE, always terminated.
 */
void cp_version_text(char *out, size_t size, const char *program,
		     const struct cp_library *libs, size_t n);
/*
 * True when standard error is a stream to the systemd journal (JOURNAL_STREAM
 * names its device and inode): journald stamps each line itself.
 */
bool cp_stderr_is_journal(void);

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
	unsigned int max_connections; /* coupon-fcgi: open FastCGI connections at most */
	size_t body_max;             /* coupon-fcgi request body cap, bytes */
	size_t import_max;           /* coupon-fcgi: cap of an import's CSV body, bytes */
	char *site;                  /* coupon-fcgi: origin accepted for form posts */
	char *log_file;              /* NULL = stderr */
	unsigned int idempotency_retention; /* seconds */
	unsigned int idempotency_stale; /* seconds before a dead claim is taken over */
	unsigned int retries;        /* bounded retries of 1205/1213 */
	unsigned int rate_limit;     /* failed lookups a minute per address/user */
	/*
	 * TLS to the database is Connector/C's (ssl-ca, ssl-cert, ssl-key, ... in the
	 * same group); the core only makes a CA imply checking the server's
	 * certificate and host name, which Connector/C 3.3 does not do by default.
	 */
	bool tls_ca;                 /* ssl-ca or ssl-capath is set */
	int tls_verify;              /* ssl-verify-server-cert: -1 unset, 0 off, 1 on */
	unsigned int rate_limit_key; /* failed lookups a minute per API key */
	unsigned int rate_limit_ipv6_prefix; /* IPv6 clients are counted per this prefix */
	char *trusted_proxies;       /* coupon-fcgi: "CIDR,..." whose X-Forwarded-For counts */
	char *health_listen;         /* coupon-fcgi: liveness socket, NULL = none */
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
/*
 * Another program's own group: reads the [GROUP] group of FILE (and of the files
 * it includes) by the same rules as cp_config_load(), calling SET for each
 * "key = value" in order (VALUE NULL for a bare key, one level of quotes
 * removed). A status other than CP_OK from SET stops the read, its message
 * prefixed with the file and line, as for every other error of the file.
 */
typedef enum cp_status (*cp_option_fn)(void *arg, const char *key, const char *value,
				       struct cp_err *);
enum cp_status cp_config_read_group(const char *file, const char *group, cp_option_fn set,
				    void *arg, struct cp_err *);
/* Whether option-file key KEY names option NAME: '-' and '_' alike, any case. */
bool cp_config_key_is(const char *key, const char *name);

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
/*
 * Who the audit log names for the changes made on this connection whose function
 * takes no actor of its own (campaigns, API keys): the API key's name in
 * coupon-fcgi, user@host in couponadm. Core never guesses; unset is "unknown".
 */
void cp_db_set_actor(struct cp_db *, const char *actor);

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
/*
 * Applies the pending migrations up to and including version TARGET, which must
 * be one this program knows (else CP_E_INVALID_ARGUMENT). Never goes down: a
 * schema already past TARGET is CP_E_CONFLICT; one at TARGET applies nothing.
 */
enum cp_status cp_migrate_to(struct cp_db *, unsigned int target,
			     void (*applied)(unsigned int version, const char *name, void *arg),
			     void *arg, struct cp_err *);
/* CP_OK if the schema is exactly what this program knows, CP_E_SCHEMA otherwise. */
enum cp_status cp_schema_check(struct cp_db *, struct cp_err *);

/* ---------------------------------------------------------------- code format */

#define CP_ALPHABET_CROCKFORD "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#define CP_ALPHABET_MAX 64
#define CP_BODY_MIN 6
#define CP_BODY_MAX 24
#define CP_PREFIX_MAX 16
/* Codes made elsewhere (external format): 1..CP_EXTERNAL_MAX printable ASCII. */
#define CP_EXTERNAL_MAX 64
/* Normalised code: prefix + body + check character, or an external code. */
#define CP_CODE_MAX CP_EXTERNAL_MAX
/* Displayed code: prefix, '-', groups separated by '-'. */
#define CP_DISPLAY_MAX (CP_PREFIX_MAX + CP_BODY_MAX + 1 + CP_BODY_MAX + 2) /* >= CP_EXTERNAL_MAX */
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
	/*
	 * Codes made elsewhere: 1..CP_EXTERNAL_MAX printable ASCII characters, no
	 * check character; alphabet, prefix, length and grouping do not apply.
	 * Typed input is trimmed of surrounding spaces, case-folded unless
	 * case_sensitive, and spaces and dashes dropped when ignore_separators.
	 */
	bool external;
	bool case_sensitive;
	bool ignore_separators;             /* default on */
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
 * An external format reads the input as struct cp_format says.
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

/* ------------------------------------------------------------ money, rewards */
/* core/money.c, core/reward.c, core/json.c */

#define CP_CURRENCY_LEN 3
#define CP_SKU_MAX 64
#define CP_METADATA_MAX 4096  /* bytes of a campaign's metadata */
#define CP_METADATA_DEPTH 16  /* nesting of its objects and arrays */

/* An exact amount: MINOR units of CURRENCY (ISO 4217, upper case; "" = none). */
struct cp_money {
	int64_t minor;
	char currency[CP_CURRENCY_LEN + 1];
};

/* The minor-unit exponent of an active ISO 4217 code (JPY 0, EUR 2, KWD 3); -1 if none. */
int cp_currency_exponent(const char *code);
/*
 * Decimal text with at most EXPONENT decimals ("59.9", "59.90") into minor units
 * (5990), 0 .. INT64_MAX. No sign, leading zeros, exponent or spaces.
 * CP_E_INVALID_AMOUNT.
 */
enum cp_status cp_decimal_parse(const char *s, unsigned int exponent, int64_t *minor,
				struct cp_err *);
/* MINOR as decimal text with exactly EXPONENT decimals. */
void cp_decimal_format(int64_t minor, unsigned int exponent, char *out, size_t outsz);
/* AMOUNT in CURRENCY (any case). CP_E_INVALID_CURRENCY, CP_E_INVALID_AMOUNT. */
enum cp_status cp_money_parse(const char *amount, const char *currency, struct cp_money *,
			      struct cp_err *);
/* "59.90 EUR" or "59.90EUR". */
enum cp_status cp_money_parse_text(const char *s, struct cp_money *, struct cp_err *);
/* "59.90" (the currency's exponent); "59.90 EUR" or "none"; JSON object or null. */
void cp_money_amount(const struct cp_money *, char *out, size_t outsz);
void cp_money_text(const struct cp_money *, char *out, size_t outsz);
void cp_money_json(const struct cp_money *, char *out, size_t outsz);

enum cp_reward_type {
	CP_REWARD_NONE,
	CP_REWARD_PERCENT_OFF,
	CP_REWARD_AMOUNT_OFF,
	CP_REWARD_FREE_SHIPPING,
	CP_REWARD_ITEM
};

/*
 * What a campaign grants and on which condition: one immutable row of
 * campaign_rewards, recorded with each redemption that was granted it.
 */
struct cp_reward {
	uint32_t id;                  /* campaign_rewards row; 0 = never set */
	enum cp_reward_type type;
	uint32_t percent;             /* percent_off, in hundredths: 1250 = 12.5 % */
	struct cp_money amount;       /* amount_off */
	char sku[CP_SKU_MAX + 1];     /* item */
	struct cp_money min_order;    /* currency "" = no minimum */
	char metadata[CP_METADATA_MAX + 1]; /* a JSON object as given, "" = none */
};

const char *cp_reward_type_name(enum cp_reward_type);
bool cp_reward_type_parse(const char *, enum cp_reward_type *);
/*
 * Sets R's type and its one value (the percent, the amount with CURRENCY, the
 * sku; NULL for the others). CP_E_INVALID_REWARD, CP_E_INVALID_AMOUNT,
 * CP_E_INVALID_CURRENCY. Min order and metadata are left alone.
 */
enum cp_status cp_reward_make(struct cp_reward *r, const char *type, const char *value,
			      const char *currency, struct cp_err *);
/* "percent_off 12.5", "amount_off 5.00 EUR", "free_shipping", "item SKU", "none". */
enum cp_status cp_reward_parse(const char *text, struct cp_reward *, struct cp_err *);
/* {"type":"percent_off","percent":"12.50"}; and the text form cp_reward_parse reads. */
void cp_reward_json(const struct cp_reward *, char *out, size_t outsz);
void cp_reward_text(const struct cp_reward *, char *out, size_t outsz);
/*
 * The members every front end writes for a reward (granted, or a campaign's):
 * "reward":{..},"min_order":{..}|null,"metadata":{..}|null, all null when R->id
 * is 0. OUTSZ of CP_REWARD_MEMBERS_MAX holds any.
 */
#define CP_REWARD_MEMBERS_MAX (CP_METADATA_MAX + 384)
void cp_reward_members(const struct cp_reward *, char *out, size_t outsz);
/* The same reward, minimum and metadata (ids aside). */
bool cp_reward_same(const struct cp_reward *, const struct cp_reward *);
/*
 * Whether ORDER (NULL = not given) meets the minimum order MIN (currency "" =
 * none): CP_OK, or CP_E_ORDER_AMOUNT_REQUIRED, CP_E_CURRENCY_MISMATCH,
 * CP_E_ORDER_BELOW_MINIMUM, naming the field "order_amount".
 */
enum cp_status cp_order_check(const struct cp_money *min, const struct cp_money *order,
			      struct cp_err *);
/*
 * TEXT[0..LEN) is one JSON object (RFC 8259, strict), valid UTF-8, at most
 * CP_METADATA_MAX bytes and CP_METADATA_DEPTH deep. CP_E_INVALID_METADATA.
 */
enum cp_status cp_metadata_check(const char *text, size_t len, struct cp_err *);
/*
 * Where the value of member NAME of the JSON object TEXT lies, as written: for
 * front ends that keep it verbatim. False if TEXT is not an object or lacks NAME.
 */
bool cp_json_member(const char *text, size_t len, const char *name, size_t *off, size_t *n);

/* ------------------------------------------------------------------ campaigns */
/* Owned by the generation work (core/campaign.c). */

#define CP_NAME_MAX 100 /* characters; stored as utf8mb4 */
#define CP_TZ_NAME_MAX 64 /* bytes of a time zone's name (core/tz.c) */

enum cp_campaign_status { CP_CAMPAIGN_ACTIVE, CP_CAMPAIGN_PAUSED, CP_CAMPAIGN_ARCHIVED };

struct cp_campaign {
	uint32_t id;
	char name[CP_NAME_MAX * 4 + 1];
	enum cp_campaign_status status;
	time_t starts_at, expires_at;    /* 0 = no bound */
	char time_zone[CP_TZ_NAME_MAX + 1]; /* IANA; reads and writes its times ("UTC") */
	uint32_t per_user_limit;         /* 0 = unlimited */
	bool unredeem_restores;          /* unredeem makes the code available again */
	struct cp_format format;
	uint64_t planned_codes;          /* the size the format was checked for */
	bool events;                     /* write outbox events */
	bool transferable;               /* an assigned code is redeemable by anyone who has it */
	uint32_t valid_for;              /* seconds an assigned code stays valid, 0 = no limit */
	time_t created_at;
	struct cp_reward reward;         /* what its codes grant now, min order, metadata */
	uint32_t max_redemptions;        /* redemptions allowed in all, 0 = no cap */
	bool importing;                  /* an import of it is unfinished (read only) */
};

/* --- campaigns: declarations (generation work) --- */

const char *cp_campaign_status_name(enum cp_campaign_status);
/* "active", "paused", "archived" (any case) back; false if unknown. */
bool cp_campaign_status_parse(const char *, enum cp_campaign_status *);
/* What unredeem does: "restore" or "spend"; and back (any case), false if unknown. */
const char *cp_unredeem_name(bool restores);
bool cp_unredeem_parse(const char *, bool *restores);
/*
 * Active, no window, no limit, planned for a million codes, the default format
 * with no body length yet: cp_campaign_create chooses it.
 */
void cp_campaign_init(struct cp_campaign *);
/*
 * When C's body length is 0: the shortest that keeps the chance of one random
 * guess hitting any of planned_codes at most TARGET (0 = CP_GUESS_TARGET_DEFAULT).
 * CP_E_FORMAT_WEAK (field planned_codes) when even CP_BODY_MAX is not enough.
 */
enum cp_status cp_campaign_choose_length(struct cp_campaign *, double target, struct cp_err *);
/*
 * Checks the name, window and format (cp_format_allows for planned_codes, after
 * cp_campaign_choose_length when no length was set) and inserts the campaign;
 * fills id, the body length and created_at. CP_E_EXISTS for a taken name.
 */
enum cp_status cp_campaign_create(struct cp_db *, struct cp_campaign *, struct cp_err *);
enum cp_status cp_campaign_get(struct cp_db *, uint32_t id, struct cp_campaign *,
			       struct cp_err *);
/* By name, or by id when REF is all digits and no campaign has it as its name. */
enum cp_status cp_campaign_find(struct cp_db *, const char *ref, struct cp_campaign *,
				struct cp_err *);
/* Calls FN for each campaign in id order until it returns false. */
enum cp_status cp_campaign_list(struct cp_db *,
				bool (*fn)(const struct cp_campaign *, void *arg), void *arg,
				struct cp_err *);
/*
 * active <-> paused. An archived campaign stays archived (CP_E_CONFLICT). A pause
 * or archive returns once no redemption of the campaign can start any more, which
 * takes up to 2 s (the front ends' campaign cache, core/campaign_cache.c).
 */
enum cp_status cp_campaign_set_status(struct cp_db *, uint32_t id, enum cp_campaign_status,
				      struct cp_err *);

/*
 * Sets the window, time zone, per-user limit, unredeem policy and events of campaign C->id to
 * C's (name, status and format stay; fill C with cp_campaign_get first). A new
 * per-user limit counts redemptions from then on. A change that can stop a
 * redemption (an earlier end, a later start, a limit where there was none, events,
 * a cap where there was none) returns once every front end applies it, as a pause
 * does. A cap counts the campaign's redeemed codes; lowering it below that count
 * refuses further redemptions and un-redeems nothing (core/cap.c).
 */
enum cp_status cp_campaign_update(struct cp_db *, const struct cp_campaign *, struct cp_err *);

/* --- fields: one reading of what people type (core/field.c) --- */

#define CP_PLANNED_MAX 1000000000000ull /* planned codes of one campaign */
#define CP_VALID_FOR_MAX (3660u * 86400u) /* longest valid_for of an assigned code: ~10 years */

/*
 * Every front end reads a campaign's settings through cp_campaign_set: the HTTP
 * API by its JSON members, couponadm by its options, the console by its form.
 * FIELD is the API name, TEXT as typed (numbers in decimal, booleans yes/no,
 * true/false or on/off; "" is the field's cp_campaign_init default, as null is
 * in JSON):
 *   name, status (active|paused), time_zone (default UTC), starts_at,
 *   expires_at (cp_parse_time_in the campaign's time_zone: set that first; a
 *   date alone as expires_at is the end of that day), per_user_limit, unredeem (restore|spend), alphabet (default Crockford),
 *   prefix (upper-cased), body_length (default: chosen at create), check,
 *   group, planned_codes (1..CP_PLANNED_MAX), events, max_redemptions
 *   (0..UINT32_MAX; 0, "none" and "" are no cap), transferable, valid_for
 *   (cp_parse_duration, up to CP_VALID_FOR_MAX; 0 or "none": no limit);
 *   external, case_sensitive and ignore_separators (codes made elsewhere).
 * Whether the whole is acceptable is cp_campaign_create's decision. Refusals are
 * CP_E_INVALID_ARGUMENT with cp_err.field = FIELD.
 */
enum cp_status cp_campaign_set(struct cp_campaign *, const char *field, const char *text,
			       struct cp_err *);
/*
 * A point in time: "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM[:SS]" (T, t or a space) in
 * UTC, or RFC 3339 with Z or an offset ("2025-03-01T12:00:00+01:00", fractions
 * dropped). "" and "none" are 0, no bound. Refusals name FIELD.
 */
enum cp_status cp_parse_time(const char *field, const char *s, time_t *out, struct cp_err *);
/*
 * The same in time zone ZONE (a tz database name): text without an offset is
 * ZONE's wall clock (a time skipped or repeated by a clock change: core/tz.h).
 * CP_TIME_END: a date alone is the end of that day, the first instant of the
 * next, for the ends of spans, which are exclusive. CP_E_INVALID_TIME_ZONE for
 * a bad ZONE.
 */
enum cp_time_bound { CP_TIME_START, CP_TIME_END };
enum cp_status cp_parse_time_in(const char *field, const char *s, const char *zone,
				enum cp_time_bound, time_t *out, struct cp_err *);
/*
 * Time zones: IANA names of the system's tz database ("Europe/Berlin"; "UTC"
 * always), read by core/tz.c without touching TZ, so any thread may convert.
 */
#define CP_TIME_TEXT_MAX 48 /* cp_time_format's longest text, with its NUL */
/* CP_OK if NAME is a zone there; CP_E_INVALID_TIME_ZONE (field "time_zone") if not. */
enum cp_status cp_time_zone_check(const char *name, struct cp_err *);
enum cp_time_style {
	CP_TIME_RFC3339, /* "2025-12-31T23:00:00+01:00"; Z in UTC */
	CP_TIME_LOCAL,   /* "2025-12-31 23:00:00 CET", for people */
};
/*
 * T on ZONE's clock (NULL, "" or an unknown zone: UTC) into OUT; "" for 0, no
 * time. Returns OUT.
 */
char *cp_time_format(time_t t, const char *zone, enum cp_time_style,
		     char out[CP_TIME_TEXT_MAX]);
/* A reservation's time to live: 1..CP_TTL_MAX seconds (field "ttl"). */
enum cp_status cp_parse_ttl(const char *s, unsigned int *ttl, struct cp_err *);

/*
 * Codes of a campaign (or of one batch, when BATCH_ID is not 0) by status; those of
 * an import not yet complete, which nothing can use, only as importing (in no
 * other figure, nor in total).
 */
struct cp_code_counts {
	uint64_t available, pending, redeemed, expired, total;
	uint64_t assigned; /* handed out, not yet redeemed */
	uint64_t importing; /* stored by an import that has not completed */
};
enum cp_status cp_code_counts(struct cp_db *, uint32_t campaign_id, uint64_t batch_id,
			      struct cp_code_counts *, struct cp_err *);


/* ---------------------------------------------------------------- generation */
/* Batches (core/batch.c), their run (core/generate.c), export (core/export.c), expiry (core/expiry.c). */

/* --- generation: declarations (generation work) --- */

enum cp_gen_method { CP_GEN_RANDOM, CP_GEN_KEYED, CP_GEN_IMPORT /* codes from a file */ };
enum cp_batch_status { CP_BATCH_RUNNING, CP_BATCH_COMPLETE, CP_BATCH_FAILED, CP_BATCH_CANCELLED };

const char *cp_gen_method_name(enum cp_gen_method);
bool cp_gen_method_parse(const char *, enum cp_gen_method *);
/* The same for what people type (core/field.c): refusals name the field "method". */
enum cp_status cp_parse_method(const char *s, enum cp_gen_method *, struct cp_err *);
const char *cp_batch_status_name(enum cp_batch_status);

struct cp_batch {
	uint64_t id;
	uint32_t campaign_id;
	enum cp_gen_method method;
	uint64_t requested, generated; /* generated == the batch's stored codes, always */
	char params[256];              /* method parameters: key fingerprint, ranges */
	enum cp_batch_status status;
	time_t started_at, finished_at; /* finished_at 0 while unfinished */
	char error[512];
	time_t code_expires_at;        /* the expiry its codes get, 0 = none */
};

struct cp_gen_progress {
	uint64_t batch_id;
	uint64_t generated, requested; /* of the whole batch, committed */
	uint64_t run_generated;        /* committed by this run */
	uint64_t duplicates;           /* generated by this run but already stored */
	double elapsed;                /* seconds since this run started */
};

/* Called after each committed chunk; returning false cancels the batch (resumable). */
typedef bool (*cp_gen_progress_fn)(const struct cp_gen_progress *, void *arg);

struct cp_gen_opts {
	unsigned int chunk;          /* codes per transaction; 0 = CP_GEN_CHUNK_DEFAULT */
	cp_gen_progress_fn progress; /* may be NULL */
	void *arg;
	/*
	 * Tests only: a deterministic "random" source whose blocks of test_period
	 * codes each occur twice, to force duplicates. 0 = getrandom (always in
	 * the programs).
	 */
	uint64_t test_seed;
	unsigned int test_period;
};
#define CP_GEN_CHUNK_DEFAULT 100000u
#define CP_GEN_CHUNK_MAX 1000000u

/*
 * Records a new batch of COUNT codes (status running) after checking that the
 * campaign is not archived, COUNT is not 0 and the campaign's codes with this
 * batch stay within what its format allows (CP_E_CAPACITY, CP_E_FORMAT_WEAK).
 * Keyed: reads the key file and reserves COUNT numbers of the global sequence.
 */
enum cp_status cp_batch_create(struct cp_db *, uint32_t campaign_id, enum cp_gen_method,
			       uint64_t count, uint64_t *batch_id, struct cp_err *);
/*
 * The same, the codes expiring at CODE_EXPIRES (0 = not on their own; else in the
 * future, or CP_E_INVALID_ARGUMENT naming "code_expires_at"), which redemption
 * honours as it does any code's expires_at.
 */
enum cp_status cp_batch_create_expiring(struct cp_db *, uint32_t campaign_id,
					enum cp_gen_method, uint64_t count, time_t code_expires,
					uint64_t *batch_id, struct cp_err *);
/*
 * Generates what batch ID still lacks, in chunks, each one transaction that
 * stores its codes and the batch's progress together: killed at any moment and
 * run again, the batch ends with exactly its requested count. OUT (may be NULL)
 * gets the batch's final state. One run per batch at a time (a named lock).
 */
enum cp_status cp_batch_run(struct cp_db *, uint64_t batch_id, const struct cp_gen_opts *,
			    struct cp_batch *out, struct cp_err *);
enum cp_status cp_batch_get(struct cp_db *, uint64_t id, struct cp_batch *, struct cp_err *);
/* The campaign's newest unfinished batch: running (killed), failed or cancelled. */
enum cp_status cp_batch_unfinished(struct cp_db *, uint32_t campaign_id, struct cp_batch *,
				   bool *found, struct cp_err *);
/* Marks an unfinished batch cancelled (resumable; the console's stop button). */
enum cp_status cp_batch_cancel(struct cp_db *, uint64_t id, struct cp_err *);
enum cp_status cp_batch_list(struct cp_db *, uint32_t campaign_id,
			     bool (*fn)(const struct cp_batch *, void *arg), void *arg,
			     struct cp_err *);
/* Running batches, for monitoring: a batch whose last chunk is long past has stalled. */
struct cp_generation_progress {
	unsigned int running;    /* batches with status running */
	uint64_t remaining;      /* codes they still lack */
	double stalest_seconds;  /* since the least recently advanced one committed a chunk, 0 if none */
};
enum cp_status cp_generation_progress(struct cp_db *, struct cp_generation_progress *,
				      struct cp_err *);

struct cp_export_opts {
	uint32_t campaign_id;
	uint64_t batch_id;   /* 0 = every batch */
	const char *status;  /* NULL = every status; else "available", ... */
	const char *path;    /* the CSV; PATH.sha256 is written beside it */
	bool force;          /* replace existing files */
	const char *actor;   /* recorded in code_exports */
};
struct cp_export_result {
	uint64_t id;     /* code_exports row */
	uint64_t count;  /* codes written */
	char sha256[65]; /* of the CSV, hex */
};
/*
 * Streams the selected codes as CSV (displayed code, normalised code, batch,
 * status) in constant memory through PATH.tmp, renamed when complete, writes
 * PATH.sha256 in sha256sum(1) format and records the export. An existing PATH is
 * CP_E_EXISTS unless FORCE.
 */
enum cp_status cp_export(struct cp_db *, const struct cp_export_opts *,
			 struct cp_export_result *, struct cp_err *);

/*
 * Leak response: expires every still-available code of batch BATCH_ID (when not
 * 0) or else of the campaign, in one transaction that records each in
 * code_events with ACTOR and REASON. *COUNT gets how many.
 */
enum cp_status cp_expire_codes(struct cp_db *, uint32_t campaign_id, uint64_t batch_id,
			       const char *actor, const char *reason, uint64_t *count,
			       struct cp_err *);


/* ---------------------------------------------------------------- import */
/* Codes made elsewhere, from a file (core/import.c, its reader core/import_csv.c). */

enum cp_import_dup { CP_IMPORT_DUP_FAIL, CP_IMPORT_DUP_SKIP };
#define CP_IMPORT_DUP_LINES 100       /* duplicate line numbers kept */
#define CP_IMPORT_CHUNK_DEFAULT 100000u /* as generation's, measured there */

struct cp_import_progress {
	uint64_t batch_id;
	uint64_t imported, duplicates, nlines, bytes; /* committed, whole batch */
	uint64_t size;                   /* of the input when known, else 0 */
	double elapsed;                  /* seconds since this run started */
};
/* After each committed chunk; returning false stops the run (the batch is resumable). */
typedef bool (*cp_import_progress_fn)(const struct cp_import_progress *, void *arg);
/* Up to N bytes of the input into BUF: how many, 0 at its end, -1 on an error (in E). */
typedef long (*cp_import_read_fn)(void *arg, char *buf, size_t n, struct cp_err *e);

struct cp_import_opts {
	enum cp_import_dup on_duplicate; /* cp_import_create only: the batch keeps it */
	const char *sha256;  /* hex SHA-256 of the whole input, when known before reading; or NULL */
	uint64_t size;       /* bytes of the whole input when known, else 0 */
	unsigned int chunk;  /* codes per transaction; 0 = CP_IMPORT_CHUNK_DEFAULT */
	cp_import_progress_fn progress; /* may be NULL */
	void *arg;
};

struct cp_import_result {
	struct cp_batch batch;           /* generated = codes stored */
	enum cp_import_dup on_duplicate;
	uint64_t duplicates, nlines, bytes; /* skipped, lines read, bytes read (committed) */
	uint64_t size;                   /* of the input, 0 = not known */
	uint64_t dup_lines[CP_IMPORT_DUP_LINES]; /* the first duplicates' line numbers */
	unsigned int ndup_lines;
	char sha256[65];                 /* of the input, "" until known */
};

/*
 * An import batch (method import) for campaign CAMPAIGN_ID (not archived). Its
 * codes stay invisible to every operation until the batch completes; a failed
 * import deletes them. Audited.
 */
enum cp_status cp_import_create(struct cp_db *, uint32_t campaign_id,
				const struct cp_import_opts *, uint64_t *batch_id, struct cp_err *);
/*
 * Reads the whole input through READ (from its first byte, also when resuming)
 * and stores what batch ID lacks, in chunks, each one transaction with the
 * batch's progress: killed at any moment and run again with the same input, the
 * batch ends with each code once. The input's SHA-256 so far is recorded with
 * each chunk; a run whose input differs from what the batch read (or from
 * the SHA-256 recorded for the whole) is refused (CP_E_CONFLICT). A malformed
 * line (CP_E_INVALID_IMPORT, CP_E_INVALID_CODE, CP_E_INVALID_METADATA) or, with
 * CP_IMPORT_DUP_FAIL, a duplicate (CP_E_DUPLICATE_CODE) fails the batch, "line N:
 * why" in E. OUT (may be NULL) gets the batch's state.
 */
enum cp_status cp_import_run(struct cp_db *, uint64_t batch_id, cp_import_read_fn read,
			     void *arg, const struct cp_import_opts *, struct cp_import_result *out,
			     struct cp_err *);
/* SHA-256 (HEX, 65 bytes) and size of everything READ gives, for cp_import_opts. */
enum cp_status cp_import_digest(cp_import_read_fn read, void *arg, char *hex, uint64_t *size,
				struct cp_err *);
/* The state of import batch ID. CP_E_NOT_FOUND, or CP_E_CONFLICT if it is no import. */
enum cp_status cp_import_get(struct cp_db *, uint64_t id, struct cp_import_result *,
			     struct cp_err *);

/* ---------------------------------------------------------------- redemption */
/* Owned by the redemption work (core/redeem.c and friends). */

#define CP_USER_MAX 64  /* bytes of UTF-8 */
#define CP_ORDER_MAX 64 /* bytes of UTF-8 */
#define CP_IDEM_KEY_MAX 255

/* CP_OP_ASSIGN names the hand-out (core/assign.c) for idempotency; cp_redeem_op refuses it. */
enum cp_op {
	CP_OP_VALIDATE, CP_OP_REDEEM, CP_OP_RESERVE, CP_OP_CONFIRM, CP_OP_RELEASE, CP_OP_ASSIGN
};

struct cp_redeem_req {
	const char *code;     /* as typed: any case, spaces, dashes */
	size_t code_len;
	const char *user_id;  /* required except for validate; 1..CP_USER_MAX bytes UTF-8 */
	const char *order_id; /* optional; NULL = none */
	/* validate, redeem, reserve, confirm: the order's total; NULL = not given */
	const struct cp_money *order_amount;
	unsigned int ttl;     /* reserve: seconds the reservation holds */
	/* Idempotency: both set, or idem_key NULL. */
	uint32_t api_key_id;
	const char *idem_key;
	const uint8_t *fingerprint; /* SHA-256 of the request as the client sent it */
};

struct cp_redeem_result {
	enum cp_status status;
	bool replay;                 /* an idempotent replay of an earlier response */
	char code[CP_CODE_MAX + 1];  /* normalised, when the code was well formed */
	char display[CP_DISPLAY_MAX + 1]; /* as printed (prefix, groups), when the campaign is known */
	uint32_t campaign_id;        /* 0 when unknown */
	char campaign_name[CP_NAME_MAX * 4 + 1];
	time_t redeemed_at;          /* redeem, confirm */
	time_t reserved_until;       /* reserve */
	unsigned int retries;        /* deadlock/lock-wait retries it took */
	/*
	 * What the change was granted (redeem, confirm; reserve: what it holds), the
	 * campaign's current reward for validate and refusals; id 0 = none. Its
	 * min_order is the minimum an order refusal speaks of.
	 */
	struct cp_reward reward;
};

/* --- redemption: declarations (redemption work) --- */

/*
 * The redemption operations (core/redeem.c). Each returns the outcome, also in
 * RES->status; CP_OK is a success that has committed. Refusals are typed
 * (CP_E_UNKNOWN_CODE, CP_E_ALREADY_REDEEMED, CP_E_RESERVED, CP_E_NOT_RESERVED,
 * CP_E_EXPIRED, CP_E_NOT_STARTED, CP_E_CAMPAIGN_PAUSED, CP_E_USER_LIMIT, CP_E_CAP_REACHED,
 * CP_E_IDEMPOTENCY_CONFLICT, CP_E_IN_PROGRESS); transient failures are
 * CP_E_DB_UNAVAILABLE / CP_E_BUSY (safe to retry) and CP_E_DB. Bad input is refused
 * before the database is touched: CP_E_INVALID_CODE / CP_E_WRONG_CHECK for the
 * code, CP_E_INVALID_ARGUMENT for user_id / order_id (missing where required,
 * longer than CP_USER_MAX / CP_ORDER_MAX bytes, not UTF-8, control characters),
 * ttl above CP_TTL_MAX (0 = CP_TTL_DEFAULT), or an idempotency key that is empty, longer than
 * CP_IDEM_KEY_MAX or not printable ASCII. ERR gets the detail.
 *
 *  validate  no state change: is the code redeemable now by user_id (user_id
 *            optional; with it, the campaign's per-user limit is checked too).
 *  redeem    available (or a reservation past its time) -> redeemed. The same user
 *            redeeming the same code for the same order again (no order on both
 *            counts as the same) gets the original success, with replay = true.
 *  reserve   available -> pending until now + ttl, for user_id/order_id. The same
 *            user reserving again extends the reservation. Does not count towards
 *            the per-user limit (confirm does); a user already at the limit is
 *            refused with CP_E_USER_LIMIT (advisory, confirm enforces it).
 *  confirm   pending (same user, not yet past reserved_until) -> redeemed;
 *            counts towards the per-user limit and the campaign's cap (a
 *            reservation holds no share of the cap: confirm may get
 *            CP_E_CAP_REACHED). A repeat after success returns
 *            the original success (replay = true).
 *  release   pending (same user) -> available. Releasing a code that is already
 *            available succeeds (so a retried release is not an error).
 *
 * Idempotency: with req->idem_key set (redeem, reserve, confirm, release; ignored
 * by validate), the result is stored in the same transaction as the change. A
 * repeat with the same key and the same request returns the stored result with
 * replay = true; a different request (fingerprint or operation) gets
 * CP_E_IDEMPOTENCY_CONFLICT; a repeat while the first still runs CP_E_IN_PROGRESS.
 * Transient failures are not stored: the client may retry with the same key.
 * req->fingerprint may be NULL: the core then fingerprints the normalised request.
 *
 * Retries: 1213/1205 are retried up to cfg->retries times with jittered backoff;
 * a lost connection is reconnected and the operation retried once, which is safe
 * because every operation's repeat by the same user returns its original success.
 * One MYSQL connection per thread: never call these concurrently on one cp_db.
 */
#define CP_TTL_MAX 86400 /* longest reservation, seconds */
#define CP_TTL_DEFAULT 900

enum cp_status cp_redeem_op(struct cp_db *, enum cp_op, const struct cp_redeem_req *,
			    struct cp_redeem_result *, struct cp_err *);
enum cp_status cp_validate(struct cp_db *, const struct cp_redeem_req *,
			   struct cp_redeem_result *, struct cp_err *);
enum cp_status cp_redeem(struct cp_db *, const struct cp_redeem_req *,
			 struct cp_redeem_result *, struct cp_err *);
enum cp_status cp_reserve(struct cp_db *, const struct cp_redeem_req *,
			  struct cp_redeem_result *, struct cp_err *);
enum cp_status cp_confirm(struct cp_db *, const struct cp_redeem_req *,
			  struct cp_redeem_result *, struct cp_err *);
enum cp_status cp_release(struct cp_db *, const struct cp_redeem_req *,
			  struct cp_redeem_result *, struct cp_err *);
/*
 * Group commit (core/group.c). Plain redemptions (those that take the one-campaign
 * fast statement: no per-user limit, idempotency key, events, cap or order minimum,
 * a code whose format names its campaign) that arrive while CONCURRENCY groups are
 * already running are committed together: the next waiting thread takes every such
 * request waiting, writes them in one autocommit statement on its own connection,
 * and only once it returned does any of them return. A lone
 * request runs at once as cp_redeem() would; every other request is cp_redeem()'s
 * and never waits for a group. The observer (may be NULL) is told each group's
 * size and how many of its requests repeated a code already in it.
 */
struct cp_group;
typedef void (*cp_group_observer)(void *arg, unsigned int size, unsigned int duplicates);
struct cp_group *cp_group_create(unsigned int concurrency);
void cp_group_free(struct cp_group *);
void cp_group_set_observer(struct cp_group *, cp_group_observer, void *arg);
/* cp_redeem(), through group G (NULL: no grouping). */
enum cp_status cp_redeem_grouped(struct cp_group *g, struct cp_db *,
				 const struct cp_redeem_req *, struct cp_redeem_result *,
				 struct cp_err *);
/* "validate", "redeem", ... (core/op.c); NULL for an unknown op. And back: false if unknown. */
const char *cp_op_name(enum cp_op);
bool cp_op_from_name(const char *, enum cp_op *);

/*
 * Checks a user or order id as the operations do (1..max bytes, UTF-8, no control
 * characters): for front ends that want to refuse early. CP_E_INVALID_ARGUMENT.
 */
enum cp_status cp_check_ident(const char *what, const char *s, size_t max, struct cp_err *);

/*
 * Normalises a typed code with the formats of the campaigns this connection knows
 * (cached per connection, refreshed every few seconds and on a miss). OUT gets
 * the normalised code. CP_E_INVALID_CODE, or CP_E_WRONG_CHECK when a format
 * matched all but the check character.
 */
enum cp_status cp_code_lookup_normalize(struct cp_db *, const char *in, size_t inlen,
					char *out, size_t outsz, struct cp_err *);
/* Forgets this connection's campaign cache (after changing campaigns on it). */
void cp_campaign_cache_reset(struct cp_db *);

/* Idempotency keys (core/idempotency.c): deletes keys older than OLDER_THAN seconds. */
enum cp_status cp_idempotency_purge(struct cp_db *, unsigned int older_than,
				    uint64_t *deleted, struct cp_err *);

/* ------------------------------------------------------------------ hand-out */

/*
 * Hand-out (core/assign.c): one available code of a campaign for a user, for a
 * shop's checkout or a mail campaign that must give each customer a code.
 */
struct cp_assign_req {
	uint32_t campaign_id;
	const char *user_id;  /* 1..CP_USER_MAX bytes UTF-8, no control characters */
	const char *order_id; /* optional; NULL = none */
	/* Idempotency as for the redemption operations: both set, or idem_key NULL. */
	uint32_t api_key_id;
	const char *idem_key;
	const uint8_t *fingerprint; /* SHA-256 of the request; NULL: the core makes one */
};

struct cp_assign_result {
	enum cp_status status;
	bool replay;                 /* an idempotent replay of an earlier response */
	bool held;                   /* the user held the code already: no new hand-out */
	char code[CP_CODE_MAX + 1];  /* normalised */
	char display[CP_DISPLAY_MAX + 1];
	uint32_t campaign_id;
	char campaign_name[CP_NAME_MAX * 4 + 1];
	time_t assigned_at;
	time_t valid_until;          /* the campaign's valid_for after assigned_at; 0 = none */
	struct cp_reward reward;     /* the campaign's when it was handed out; id 0 = none */
	unsigned int retries;
};

/*
 * Gives REQ->user_id one available code of the campaign: status assigned, with
 * the user, the time and the order. A user holds one code a campaign, or as many
 * as its per-user limit when that is above one: asking again returns the code
 * held (res->held), for the same order where the limit allows several; a user
 * holding the limit without one for the order gets CP_E_USER_LIMIT. An empty
 * pool is CP_E_CAMPAIGN_EXHAUSTED. The campaign refuses as redemption does:
 * CP_E_NOT_FOUND (field campaign), CP_E_CAMPAIGN_PAUSED, CP_E_NOT_STARTED,
 * CP_E_EXPIRED (archived or past its window). Bad input (CP_E_INVALID_ARGUMENT,
 * naming the field) touches nothing. Idempotency keys and retries as for
 * cp_redeem_op; an assigned code is redeemable by its user only, unless the
 * campaign is transferable, and after valid_for no more.
 */
enum cp_status cp_assign(struct cp_db *, const struct cp_assign_req *,
			 struct cp_assign_result *, struct cp_err *);

/* Support operations on one code (core/code.c). */
enum cp_code_status {
	CP_CODE_AVAILABLE, CP_CODE_PENDING, CP_CODE_REDEEMED, CP_CODE_EXPIRED,
	CP_CODE_ASSIGNED /* handed out to a user (core/assign.c), not yet redeemed */
};
const char *cp_code_status_name(enum cp_code_status);
/* And back (any case); false if unknown. */
bool cp_code_status_parse(const char *, enum cp_code_status *);

struct cp_code_info {
	uint64_t id;
	char code[CP_CODE_MAX + 1];    /* normalised */
	char display[CP_DISPLAY_MAX + 1];
	uint32_t campaign_id;
	char campaign_name[CP_NAME_MAX * 4 + 1];
	char time_zone[CP_TZ_NAME_MAX + 1]; /* the campaign's, for showing its times */
	uint64_t batch_id;
	enum cp_code_status status;    /* as stored */
	/* What a redeem would say right now: CP_OK if redeemable, else the reason. */
	enum cp_status redeemable;
	char user_id[CP_USER_MAX + 1]; /* "" = none */
	char order_id[CP_ORDER_MAX + 1];
	char expired_reason[256];
	time_t redeemed_at, reserved_until, expires_at, created_at; /* 0 = none */
	struct cp_reward reward;       /* granted (redeemed) or held (pending); id 0 = none */
	char assigned_to[CP_USER_MAX + 1]; /* the user it was handed out to, "" = none */
	time_t assigned_at, assigned_until; /* 0 = none */
};

#define CP_REASON_MAX 255 /* bytes of the reason given for an admin change */

struct cp_code_event {
	uint64_t id;
	char action[33];               /* "expire", "unredeem", ... */
	enum cp_code_status prior_status;
	char prior_user_id[CP_USER_MAX + 1];
	char prior_order_id[CP_ORDER_MAX + 1];
	time_t prior_redeemed_at;
	char actor[CP_NAME_MAX * 4 + 1];
	char reason[256 * 4];
	time_t created_at;
};

/* Looks a code up (typed form accepted). CP_E_UNKNOWN_CODE if there is none. */
enum cp_status cp_code_show(struct cp_db *, const char *code, size_t len,
			    struct cp_code_info *, struct cp_err *);
/* Calls FN for each code_events row of code ID, oldest first. */
enum cp_status cp_code_events(struct cp_db *, uint64_t code_id,
			      void (*fn)(const struct cp_code_event *, void *), void *arg,
			      struct cp_err *);

/* ------------------------------------------------------------ audit log */

#define CP_AUDIT_JSON_MAX 4096

/* One audit_log row: an administrative change and who made it. */
struct cp_audit_entry {
	uint64_t id;
	time_t at;
	char actor[200 * 4 + 1];
	char action[33];                 /* "campaign.pause", "code.unredeem", ... */
	char object_type[17];            /* "campaign", "batch", "code", "apikey" */
	uint64_t object_id;
	char before[CP_AUDIT_JSON_MAX];  /* a JSON object, "" when there was none */
	char after[CP_AUDIT_JSON_MAX];
};

struct cp_audit_filter {
	time_t since;         /* 0: from the start */
	const char *action;   /* NULL: every action */
	uint64_t before_id;   /* 0: newest; else only rows with smaller ids (next page) */
	unsigned int limit;   /* 1..CP_AUDIT_LIMIT_MAX; 0 means the default, 100 */
};
#define CP_AUDIT_LIMIT_MAX 1000

/*
 * A as one JSON object in BUF (SIZE bytes; CP_AUDIT_JSON_ENTRY_MAX holds any):
 * id, at (UTC, ISO 8601), actor, action, object_type, object_id, before, after
 * (objects or null). Returns BUF.
 */
#define CP_AUDIT_JSON_ENTRY_MAX (2 * CP_AUDIT_JSON_MAX + 2048)
const char *cp_audit_json(const struct cp_audit_entry *, char *buf, size_t size);

/* Calls FN for each matching row, newest first, until FN returns false. */
enum cp_status cp_audit_list(struct cp_db *, const struct cp_audit_filter *,
			     bool (*fn)(const struct cp_audit_entry *, void *), void *arg,
			     struct cp_err *);
/*
 * Refund: redeemed -> available when the campaign's unredeem_policy is restore;
 * with spend the code becomes expired with reason "refunded" (never usable again).
 * The user's per-user usage is decremented. CP_E_NOT_REDEEMED if it is not
 * redeemed. Writes a code_events row (prior state, ACTOR, REASON may be NULL) in
 * the same transaction. INFO (may be NULL) gets the code's new state.
 */
enum cp_status cp_code_unredeem(struct cp_db *, const char *code, size_t len,
				const char *actor, const char *reason,
				struct cp_code_info *info, struct cp_err *);
/*
 * Support takes a handed-out code back: assigned -> available, the holder's
 * slot free for another hand-out. CP_E_CONFLICT if it is not assigned (a
 * redeemed code is unredeemed instead). Recorded in code_events (prior status
 * assigned, prior user the holder) and the audit log, in the same transaction.
 */
enum cp_status cp_code_unassign(struct cp_db *, const char *code, size_t len,
				const char *actor, const char *reason,
				struct cp_code_info *info, struct cp_err *);
/*
 * Expires one code (any status but expired; a redeemed code keeps its redemption
 * data): status expired, expired_reason REASON (default "expired by staff").
 * CP_E_EXPIRED if it already is. Writes a code_events row in the same transaction.
 */
enum cp_status cp_code_expire(struct cp_db *, const char *code, size_t len,
			      const char *actor, const char *reason,
			      struct cp_code_info *info, struct cp_err *);

/* ------------------------------------------------------------------ API keys */

#define CP_SCOPE_REDEEM 1u
#define CP_SCOPE_ADMIN 2u

/* --- API keys: declarations (redemption work) --- */

/*
 * API keys (core/apikey.c). A secret is "cpk_" + 8-symbol public prefix + "_" + 32
 * random symbols (base62, ~190 bits); only the prefix and SHA-256 of the whole
 * secret are stored. The admin scope implies redeem.
 */
#define CP_APIKEY_SECRET_LEN 45 /* strlen of a secret */
#define CP_APIKEY_PREFIX_LEN 8

struct cp_apikey {
	uint32_t id;
	char name[CP_NAME_MAX * 4 + 1];
	char prefix[CP_APIKEY_PREFIX_LEN + 1];
	unsigned int scopes;           /* CP_SCOPE_* bits */
	time_t created_at, last_used_at, revoked_at; /* 0 = never */
};

/*
 * Creates key NAME with SCOPES; SECRET (SECRETSZ > CP_APIKEY_SECRET_LEN) gets the
 * secret, shown once and never stored. CP_E_EXISTS if the name is taken.
 */
enum cp_status cp_apikey_create(struct cp_db *, const char *name, unsigned int scopes,
				char *secret, size_t secretsz, uint32_t *id, struct cp_err *);
/*
 * Checks a presented secret in constant time: CP_OK with the key's id and scopes,
 * or CP_E_UNAUTHORIZED (unknown, malformed, wrong or revoked; one status for all).
 */
enum cp_status cp_apikey_verify(struct cp_db *, const char *secret, size_t len,
				uint32_t *id, unsigned int *scopes, struct cp_err *);
/*
 * Who key ID is, for the audit log and code history: "api-key:ID (NAME)", the
 * name cut to CP_ACTOR_NAME_MAX characters so the whole fits the 100 characters
 * of code_events.actor; "api-key:ID" alone when the key is gone. OUT of
 * CP_ACTOR_MAX bytes.
 */
#define CP_ACTOR_NAME_MAX 64
#define CP_ACTOR_MAX (CP_ACTOR_NAME_MAX * 4 + 32)
enum cp_status cp_apikey_actor(struct cp_db *, uint32_t id, char out[CP_ACTOR_MAX],
			       struct cp_err *);
/* True if a key with scopes HAVE may do what NEED requires. */
bool cp_scope_allows(unsigned int have, unsigned int need);
/* "redeem", "admin", "redeem,admin" <-> bits. CP_E_INVALID_ARGUMENT if unknown. */
enum cp_status cp_scopes_parse(const char *s, unsigned int *scopes, struct cp_err *);
void cp_scopes_format(unsigned int scopes, char *out, size_t outsz);
/* Calls FN for each key (revoked ones too), by id. */
enum cp_status cp_apikey_list(struct cp_db *, void (*fn)(const struct cp_apikey *, void *),
			      void *arg, struct cp_err *);
/* Revokes the key named NAME_OR_ID (a name, else a numeric id). CP_E_NOT_FOUND. */
enum cp_status cp_apikey_revoke(struct cp_db *, const char *name_or_id, struct cp_err *);

/* --------------------------------------------------------------------- stats */

/* --- stats: declarations (console work) --- */

/*
 * Dashboard statistics (core/stats.c), read-only and cheap enough for a refresh a
 * second on campaigns of tens of millions of codes: see the comment in stats.c.
 */
#define CP_STATS_SPARK_MAX 120 /* seconds of per-second redemption history */

struct cp_campaign_stats {
	uint32_t id;
	char name[CP_NAME_MAX * 4 + 1];
	enum cp_campaign_status status;
	time_t starts_at, expires_at;   /* 0 = no bound */
	uint64_t requested, generated;  /* over all its batches */
	uint64_t available, pending, redeemed, expired; /* by stored status */
	uint64_t assigned;              /* handed out, not redeemed: as of the last recount */
	uint64_t importing;             /* of imports not complete: not in available */
	uint64_t last_minute, last_hour; /* redemptions */
	uint32_t batches_running;
	uint32_t spark[CP_STATS_SPARK_MAX]; /* redemptions per second, oldest first */
};

struct cp_stats {
	time_t at;                       /* the server's clock at the refresh */
	struct cp_campaign_stats *campaigns; /* by id */
	size_t ncampaigns;
	uint64_t last_minute, last_hour; /* all campaigns */
	uint32_t spark[CP_STATS_SPARK_MAX]; /* all campaigns, ending at 'at' */
	unsigned int nspark;             /* seconds in spark[] */
	bool recounted;                  /* this refresh counted everything again */
	unsigned int queries;            /* statements this refresh ran */
	uint64_t outbox_pending;         /* events not yet delivered by coupon-relay */
	double outbox_oldest;            /* age of the oldest of them, seconds */
	double query_ms;                 /* wall time of this refresh */
};

/* State kept between refreshes so that a refresh reads only what changed. */
struct cp_stats_watch;

/* SPARK_SECONDS of history (1..CP_STATS_SPARK_MAX; 0 = the most). */
enum cp_status cp_stats_watch_create(struct cp_stats_watch **, unsigned int spark_seconds);
void cp_stats_watch_free(struct cp_stats_watch *);
enum cp_status cp_stats_refresh(struct cp_db *, struct cp_stats_watch *, struct cp_err *);
/* The last refresh's figures; valid until the next refresh or free. */
const struct cp_stats *cp_stats_get(const struct cp_stats_watch *);

/* Recent activity for the console's "recent" view, newest first, at most MAX rows. */
struct cp_recent_redemption {
	uint32_t campaign_id;
	char code[CP_CODE_MAX + 1];
	char user_id[CP_USER_MAX + 1];
	char order_id[CP_ORDER_MAX + 1];
	time_t at;
};
struct cp_recent_event { /* code_events: admin changes */
	uint32_t campaign_id;
	char code[CP_CODE_MAX + 1];
	char action[33];
	char prior_status[16];
	char actor[CP_NAME_MAX * 4 + 1];
	char reason[256 * 4];
	time_t at;
};
/* Redemptions of one campaign (by index range on its redeemed codes). */
enum cp_status cp_stats_recent_redemptions(struct cp_db *, uint32_t campaign_id, unsigned int max,
					   void (*fn)(const struct cp_recent_redemption *, void *),
					   void *arg, struct cp_err *);
enum cp_status cp_stats_recent_events(struct cp_db *, unsigned int max,
				      void (*fn)(const struct cp_recent_event *, void *),
				      void *arg, struct cp_err *);
/* Batches that failed or were cancelled (struct cp_batch as cp_batch_get fills it). */
enum cp_status cp_stats_recent_failures(struct cp_db *, unsigned int max,
					void (*fn)(const struct cp_batch *, void *), void *arg,
					struct cp_err *);

/* ------------------------------------------------------------------ outbox */
/* Owned by the relay work (core/outbox.c, relay/). */

/* --- outbox: declarations (relay work) --- */

/*
 * Events after a change of a code, for campaigns with events enabled: written in
 * the operation's transaction (redeem, reserve, confirm, release, unredeem,
 * expire), delivered at least once by coupon-relay. SEQ (the outbox id) orders
 * them; EVENT_ID (a UUID) lets consumers drop duplicates.
 */
#define CP_EVENT_ID_LEN 36
#define CP_REWARD_JSON_MAX 192 /* cp_reward_json's longest, with its NUL */

struct cp_event {
	uint64_t seq;
	char event_id[CP_EVENT_ID_LEN + 1];
	char type[33];                   /* "redeemed", "reserved", "confirmed", ... */
	uint32_t campaign_id;
	char code[CP_CODE_MAX + 1];      /* normalised */
	char user_id[CP_USER_MAX + 1];   /* "" = none */
	char order_id[CP_ORDER_MAX + 1]; /* "" = none */
	time_t at;                       /* when it happened */
	unsigned int at_usec;
	unsigned int attempts;           /* failed deliveries so far */
	uint32_t reward_id;              /* what the change granted, 0 = none */
	char reward[CP_REWARD_JSON_MAX]; /* it as cp_reward_json writes it, "" = none */
};

/* The event type names, NULL-terminated: "redeemed", "reserved", ... */
extern const char *const cp_event_types[];

/*
 * Claims up to MAX undelivered events for relay RELAY (1..64 ASCII) for LEASE
 * seconds, lowest seq first, with conditional UPDATEs: an event claimed by
 * another relay whose lease has not run out is skipped; the relay's own claims
 * are always claimable again. OUT[0..*N) gets them in seq order.
 */
enum cp_status cp_outbox_claim(struct cp_db *, const char *relay, unsigned int max,
			       unsigned int lease, struct cp_event *out, size_t *n,
			       struct cp_err *);
/* Marks RELAY's claimed events with FIRST <= seq <= LAST delivered. */
enum cp_status cp_outbox_delivered(struct cp_db *, const char *relay, uint64_t first,
				   uint64_t last, uint64_t *rows, struct cp_err *);
/*
 * A failed delivery of SEQ: counts the attempt, keeps ERROR, and holds the claim
 * for RETRY_MS (other relays wait that long). RELAY's other claimed events after
 * SEQ are given back.
 */
enum cp_status cp_outbox_failed(struct cp_db *, const char *relay, uint64_t seq,
				unsigned int retry_ms, const char *error, struct cp_err *);
/* Gives back RELAY's undelivered claims with seq above AFTER (0 = all). */
enum cp_status cp_outbox_release(struct cp_db *, const char *relay, uint64_t after,
				 struct cp_err *);

struct cp_outbox_backlog {
	uint64_t pending;        /* undelivered events */
	double oldest_seconds;   /* age of the oldest undelivered event, 0 if none */
	unsigned int oldest_attempts; /* its failed deliveries */
};
/* Read-only and cheap while the backlog is small: index ranges on ix_outbox_pending. */
enum cp_status cp_outbox_backlog(struct cp_db *, struct cp_outbox_backlog *, struct cp_err *);
/* Deletes up to LIMIT events delivered more than OLDER_THAN seconds ago. */
enum cp_status cp_outbox_purge(struct cp_db *, unsigned int older_than, unsigned int limit,
			       uint64_t *deleted, struct cp_err *);


/* ---------------------------------------------------------------- redemption search */

#define CP_SEARCH_LIMIT_DEFAULT 100
#define CP_SEARCH_LIMIT_MAX 1000
#define CP_CURSOR_MAX 40 /* characters of an opaque page cursor */

/* A search as given (text, NULL or "" = not given); each is checked by cp_search_init. */
struct cp_search_args {
	const char *campaign;  /* name or id */
	const char *user_id, *order_id;
	const char *status;    /* redeemed (default) or pending (reserved) */
	const char *since, *until; /* redeemed_at >= since, < until (cp_parse_time) */
	const char *cursor;    /* the next_cursor of the previous page, same filters */
	const char *limit;     /* 1..CP_SEARCH_LIMIT_MAX; default 100, or every row if ALL */
	bool all;              /* no default limit: stream every matching row */
};

/* A checked search: filters resolved, page position decoded. */
struct cp_search {
	uint32_t campaign_id;  /* 0 = any */
	char user_id[CP_USER_MAX + 1], order_id[CP_ORDER_MAX + 1]; /* "" = any */
	enum cp_code_status status;
	int64_t since_us, until_us; /* 0 = open */
	bool after;            /* a cursor was given: rows before (at_us, at_id) */
	int64_t at_us;
	uint64_t at_id;
	uint32_t filter_hash;
	uint64_t limit;        /* 0 = every row */
};

struct cp_redemption {
	uint64_t id;
	char code[CP_CODE_MAX + 1];
	uint32_t campaign_id;
	enum cp_code_status status;
	char user_id[CP_USER_MAX + 1];
	char order_id[CP_ORDER_MAX + 1];
	int64_t redeemed_us;   /* microseconds since the epoch, 0 = none (pending) */
	time_t reserved_until, expires_at; /* 0 = none */
};

/*
 * Checks ARGS into S; an error names its field (campaign, user_id, order_id,
 * status, since, until, cursor, limit). A cursor is refused unless it was made by
 * a search with the same filters.
 */
enum cp_status cp_search_init(struct cp_db *, const struct cp_search_args *, struct cp_search *,
			      struct cp_err *);
/*
 * Calls FN for each matching code, newest first ((redeemed_at, id) descending;
 * pending codes by id), until it returns false. Every filter is an index range
 * (sql/004). NEXT gets the cursor of the following page, "" when this was the last.
 * Rows are fetched as they are written out, so memory stays constant.
 */
enum cp_status cp_search_run(struct cp_db *, const struct cp_search *,
			     bool (*fn)(const struct cp_redemption *, void *), void *arg,
			     char next[CP_CURSOR_MAX + 1], struct cp_err *);
/* US (microseconds since the epoch) as RFC 3339 UTC, "2026-01-31T12:00:00.250000Z". */
void cp_search_time(int64_t us, char out[32]);
/* One row as a CSV line (RFC 4180, CRLF-free "\n" ending) under CP_SEARCH_CSV_HEADER. */
#define CP_SEARCH_CSV_HEADER \
	"id,code,campaign_id,status,user_id,order_id,redeemed_at,reserved_until,expires_at\n"
#define CP_SEARCH_CSV_MAX 512
size_t cp_search_csv(const struct cp_redemption *, char out[CP_SEARCH_CSV_MAX]);

/* ---------------------------------------------------------------- reports */

/*
 * A campaign's days or hours as one series, the same for every front end.
 * Times are instants; cp_time_format(t, report->time_zone, ...) shows them.
 */
struct tz;
enum cp_report_bucket { CP_REPORT_HOUR, CP_REPORT_DAY };
#define CP_REPORT_BUCKETS_MAX 2000 /* 83 days of hours, 5 years of days */

/* As given (text, NULL or "" = not given); each is checked by cp_report_make. */
struct cp_report_args {
	const char *campaign;      /* name or id; or */
	uint32_t campaign_id;      /* when not 0, the campaign's id (a URL's) */
	const char *bucket;        /* hour (default) or day */
	/* cp_parse_time_in the report's zone; until defaults to now, since to the
	 * campaign's creation (at most CP_REPORT_BUCKETS_MAX back). */
	const char *since, *until;
	const char *time_zone;     /* the buckets' zone; default the campaign's */
};

/* One bucket: [start, the next one's start) in the campaign's time zone. */
struct cp_report_row {
	time_t start;
	uint64_t redemptions;  /* made in the bucket, whether refunded since or not */
	uint64_t reservations; /* codes whose latest reservation was made in it */
	uint64_t refunds;      /* unredeems in it */
	/* Cumulative at the bucket's end: codes issued (batches started before it),
	 * and codes redeemed now whose redemption came before it. */
	uint64_t issued, redeemed;
};

#define CP_REPORT_STATUSES 5 /* the cp_code_status values */

struct cp_report {
	uint32_t campaign_id;
	char campaign[CP_NAME_MAX * 4 + 1];
	char time_zone[CP_TZ_NAME_MAX + 1]; /* the zone the buckets are cut in */
	const struct tz *zone;     /* the same, core's */
	enum cp_report_bucket bucket;
	time_t since, until;       /* the first bucket's start, the last one's end */
	time_t made_at;
	size_t n;
	struct cp_report_row *rows;
	uint64_t status[CP_REPORT_STATUSES]; /* the campaign's codes by status now */
	uint64_t importing;        /* of imports not complete: in no status, nor in issued */
};

/*
 * Counts the campaign's redemptions, reservations and refunds per bucket
 * (every query an index range); *OUT is freed with cp_report_free. Errors
 * name their field (campaign, bucket, since, until, time_zone).
 */
enum cp_status cp_report_make(struct cp_db *, const struct cp_report_args *, struct cp_report **out,
			      struct cp_err *);
void cp_report_free(struct cp_report *);
const char *cp_report_bucket_name(enum cp_report_bucket);
/* Why failed lookups are not in the series (one sentence). */
const char *cp_report_failed_lookups_note(void);
/*
 * The report as CSV (one line a bucket, under a header) or as one JSON object,
 * through WRITE (false stops it: then false).
 */
bool cp_report_csv(const struct cp_report *, bool (*write)(void *sink, const char *, size_t),
		   void *sink);
bool cp_report_json(const struct cp_report *, bool (*write)(void *sink, const char *, size_t),
		    void *sink);

#ifdef __cplusplus
}
#endif
#endif
