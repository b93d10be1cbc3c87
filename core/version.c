/*
 * The text of every program's --version: coupon's version, then the libraries
 * the program was built with (their headers) beside the ones it runs with (their
 * own version calls), so that a mismatch after an upgrade is plain to see.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <mysql.h>
#include <openssl/crypto.h>

#include "coupon.h"

#if defined(MARIADB_PACKAGE_VERSION)
#define DB_LIBRARY "MariaDB Connector/C"
#define DB_BUILT MARIADB_PACKAGE_VERSION
#elif defined(LIBMYSQL_VERSION)
#define DB_LIBRARY "MySQL client library"
#define DB_BUILT LIBMYSQL_VERSION
#else
#define DB_LIBRARY "MySQL client library"
#define DB_BUILT MYSQL_SERVER_VERSION
#endif

#ifdef OPENSSL_VERSION_STR /* OpenSSL 3: the bare number */
#define SSL_BUILT OPENSSL_VERSION_STR
#define SSL_RUNNING OPENSSL_VERSION_STRING
#else
#define SSL_BUILT OPENSSL_VERSION_TEXT
#define SSL_RUNNING OPENSSL_VERSION
#endif

static void row(char *out, size_t size, const struct cp_library *l)
{
	size_t used = strlen(out);

	snprintf(out + used, size - used, "%-20s %-24s %s\n", l->name, l->built,
		 l->running != NULL ? l->running : "(no version call)");
}

void cp_version_text(char *out, size_t size, const char *program,
		     const struct cp_library *libs, size_t n)
{
	const struct cp_library core[] = {
		{DB_LIBRARY, DB_BUILT, mysql_get_client_info()},
		{"OpenSSL libcrypto", SSL_BUILT, OpenSSL_version(SSL_RUNNING)},
	};
	const struct cp_library head = {"library", "built with", "running"};

	if (size == 0)
		return;
	snprintf(out, size, "%s (coupon) %s\n", program, PACKAGE_VERSION);
	row(out, size, &head);
	for (size_t i = 0; i < sizeof core / sizeof core[0]; i++)
		row(out, size, &core[i]);
	for (size_t i = 0; i < n; i++)
		row(out, size, &libs[i]);
}
