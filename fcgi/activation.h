/*
 * Socket activation: the listening socket handed over by systemd (or any
 * launcher that speaks the sd_listen_fds(3) protocol) as descriptor 3.
 */
#ifndef ACTIVATION_H
#define ACTIVATION_H

#include <stddef.h>

#define ACTIVATION_NONE (-1)  /* not socket-activated */
#define ACTIVATION_ERROR (-2) /* activated, but not with one listening stream socket */

/*
 * The socket passed in LISTEN_FDS/LISTEN_PID, or ACTIVATION_NONE when the
 * variables are absent or name another process; ACTIVATION_ERROR with the
 * reason in ERR otherwise. The variables are removed either way, so nothing
 * this process starts mistakes them for its own.
 */
int activation_listen_fd(char *err, size_t errlen);

#endif
