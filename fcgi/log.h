/*
 * The responder's log: one line per event with a UTC timestamp, on stderr or a
 * file that SIGHUP reopens (after logrotate moved it). Safe from any thread.
 */
#ifndef LOG_H
#define LOG_H

#include <stdbool.h>
#include <stddef.h>

/*
 * PATH NULL keeps stderr; when that is the journal, lines carry a priority
 * instead of a timestamp, name and pid. Errors go to *ERRNUM.
 */
bool log_open(const char *path, int *errnum);
/* Reopens the file given to log_open(); a no-op on stderr. */
void log_reopen(void);
/* Writes MSG to OUT (OUTSZ bytes, not NUL-terminated) with non-printable bytes as \xNN. */
size_t log_escape(char *out, size_t outsz, const char *msg);
/* One line; whatever the arguments hold, the line is printable ASCII. */
void log_msg(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_info(...) log_msg("info", __VA_ARGS__)
#define log_warn(...) log_msg("warning", __VA_ARGS__)
#define log_error(...) log_msg("error", __VA_ARGS__)

#endif
