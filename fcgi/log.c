/*
 * The file is kept on fd 2, so libraries that write to stderr land in it too.
 * Reopening dup2()s a new descriptor over fd 2, which is atomic: writers on
 * other threads never see a closed descriptor.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "coupon.h"
#include "log.h"
#include "xmalloc.h"

static char *log_path;
static bool to_journal; /* journald adds time, name and pid; "<N>" sets the priority */

static int open_path(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
}

bool log_open(const char *path, int *errnum)
{
	int fd;

	if (path == NULL || strcmp(path, "-") == 0) {
		to_journal = cp_stderr_is_journal();
		return true;
	}
	if ((fd = open_path(path)) < 0) {
		*errnum = errno;
		return false;
	}
	if (fd != STDERR_FILENO) {
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	to_journal = false;
	free(log_path);
	log_path = xstrdup(path);
	return true;
}

void log_reopen(void)
{
	int fd;

	if (log_path == NULL)
		return;
	if ((fd = open_path(log_path)) < 0) {
		log_error("cannot reopen %s: %s", log_path, strerror(errno));
		return;
	}
	dup2(fd, STDERR_FILENO);
	close(fd);
	log_info("log reopened");
}

/* The sd-daemon(3) prefix journald reads as the line's priority. */
static char journal_priority(const char *level)
{
	return strcmp(level, "error") == 0 ? '3' : strcmp(level, "warning") == 0 ? '4' : '6';
}

/*
 * Copies MSG into OUT (room for OUTSZ bytes, no NUL) with every byte outside
 * printable ASCII written as \xNN, and '\' as \\: request data in a message
 * (a path, a header) cannot end the line, forge another or drive a terminal.
 */
size_t log_escape(char *out, size_t outsz, const char *msg)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)msg; *p != '\0'; p++) {
		bool plain = *p >= 0x20 && *p < 0x7f && *p != '\\';
		size_t need = plain ? 1 : *p == '\\' ? 2 : 4;

		if (n + need > outsz)
			break;
		if (plain) {
			out[n++] = (char)*p;
		} else if (*p == '\\') {
			out[n++] = '\\';
			out[n++] = '\\';
		} else {
			out[n++] = '\\';
			out[n++] = 'x';
			out[n++] = hex[*p >> 4];
			out[n++] = hex[*p & 15];
		}
	}
	return n;
}

void log_msg(const char *level, const char *fmt, ...)
{
	char line[2048], msg[1024];
	struct timeval tv;
	struct tm tm;
	va_list ap;
	size_t n;
	int m;

	if (to_journal) {
		m = snprintf(line, sizeof line, "<%c>%s: ", journal_priority(level), level);
		n = m > 0 ? (size_t)m : 0;
	} else {
		gettimeofday(&tv, NULL);
		gmtime_r(&tv.tv_sec, &tm);
		n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
		m = snprintf(line + n, sizeof line - n, ".%03ldZ coupon-fcgi[%ld] %s: ",
			     (long)tv.tv_usec / 1000, (long)getpid(), level);
		n += m > 0 ? (size_t)m : 0;
	}
	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof msg, fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	n += log_escape(line + n, sizeof line - n - 1, msg);
	line[n++] = '\n';
	/* One write() per line: O_APPEND keeps concurrent lines whole. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}
