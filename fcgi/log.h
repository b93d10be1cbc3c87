/*
 * The responder's log: one line per event with a UTC timestamp, on stderr or a
 * file that SIGHUP reopens (after logrotate moved it). Safe from any thread.
 */
#ifndef LOG_H
#define LOG_H

#include <stdbool.h>

/*
 * PATH NULL keeps stderr; when that is the journal, lines carry a priority
 * instead of a timestamp, name and pid. Errors go to *ERRNUM.
 */
bool log_open(const char *path, int *errnum);
/* Reopens the file given to log_open(); a no-op on stderr. */
void log_reopen(void);
void log_msg(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_info(...) log_msg("info", __VA_ARGS__)
#define log_warn(...) log_msg("warning", __VA_ARGS__)
#define log_error(...) log_msg("error", __VA_ARGS__)

#endif
