/*
 * The sd_listen_fds(3) protocol without libsystemd: LISTEN_PID names the
 * process the descriptors are for (a launcher sets it after fork), LISTEN_FDS
 * how many there are, starting at 3. coupon-fcgi serves one socket, so it takes
 * exactly one, and checks that it is a stream socket already listening.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "activation.h"
#include "coupon.h"

#define LISTEN_FDS_START 3

static void forget(void)
{
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
}

static bool listening_stream(int fd)
{
	int type = 0, listening = 0;
	socklen_t len = sizeof type;
	struct stat sb;

	if (fstat(fd, &sb) != 0 || !S_ISSOCK(sb.st_mode))
		return false;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM)
		return false;
	len = sizeof listening;
	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening;
}

int activation_listen_fd(char *err, size_t errlen)
{
	const char *pid_s = getenv("LISTEN_PID"), *fds_s = getenv("LISTEN_FDS");
	uint64_t pid, fds;
	int fd = ACTIVATION_NONE;

	if (pid_s == NULL || fds_s == NULL)
		goto out;
	if (cp_parse_uint(pid_s, 1, UINT32_MAX, &pid, NULL) != CP_OK ||
	    cp_parse_uint(fds_s, 0, 1024, &fds, NULL) != CP_OK) {
		snprintf(err, errlen, "bad LISTEN_PID '%s' or LISTEN_FDS '%s'", pid_s, fds_s);
		fd = ACTIVATION_ERROR;
	} else if (pid != (uint64_t)getpid()) {
		fd = ACTIVATION_NONE; /* meant for the process that launched us */
	} else if (fds != 1) {
		snprintf(err, errlen, "LISTEN_FDS=%s: coupon-fcgi takes exactly one socket",
			 fds_s);
		fd = ACTIVATION_ERROR;
	} else if (!listening_stream(LISTEN_FDS_START)) {
		snprintf(err, errlen, "descriptor %d is not a listening stream socket",
			 LISTEN_FDS_START);
		fd = ACTIVATION_ERROR;
	} else {
		fd = LISTEN_FDS_START;
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
out:
	forget();
	return fd;
}
