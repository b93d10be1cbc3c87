/*
 * systemd sets JOURNAL_STREAM to "DEVICE:INODE" of the stream it connects to
 * standard output and error. A program that redirected stderr since (a log
 * file, a pipe) inherits the variable but no longer writes to the journal, so
 * the descriptor itself is compared, as systemd.exec(5) advises.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coupon.h"

bool cp_stderr_is_journal(void)
{
	const char *v = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat sb;
	int end = 0;

	if (v == NULL || sscanf(v, "%llu:%llu%n", &dev, &ino, &end) != 2 || v[end] != '\0')
		return false;
	if (fstat(STDERR_FILENO, &sb) != 0)
		return false;
	return (unsigned long long)sb.st_dev == dev && (unsigned long long)sb.st_ino == ino;
}
