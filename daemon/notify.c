/* SPDX-License-Identifier: Apache-2.0 */
/*
 * notify.c - readiness notification to the service manager (daemon/notify.h).
 *
 * With libsystemd (built when pkg-config finds it, DG_HAVE_LIBSYSTEMD) this
 * is sd_notify().  Without it, the same documented protocol by hand: one
 * datagram with the state text to the AF_UNIX socket named by
 * NOTIFY_SOCKET (a path, or "@name" for the abstract namespace).  The
 * socket is systemd's; distguard trusts only that the variable was set by
 * whoever started it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifdef DG_HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "dg_log.h"
#include "daemon/notify.h"

#ifndef DG_HAVE_LIBSYSTEMD
/* The datagram itself: 0 sent, -1 with errno. */
static int
notify_datagram(const char *path, const char *state)
{
	struct sockaddr_un sun;
	size_t plen = strlen(path);
	socklen_t alen;
	ssize_t n;
	int fd, saved;

	if (plen < 2 || plen >= sizeof(sun.sun_path) ||
	    (path[0] != '/' && path[0] != '@')) {
		errno = EINVAL;
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, plen);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';	/* abstract: no NUL at the end */
	alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen +
	    (path[0] == '/' ? 1 : 0));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	n = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, alen);
	saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)strlen(state) ? 0 : -1;
}
#endif

/* One log line, the state's lines joined by " | ". */
static void
notify_log(const char *state)
{
	char line[256];
	size_t i, o = 0;

	for (i = 0; state[i] != '\0' && o + 4 < sizeof(line); i++) {
		if (state[i] == '\n') {
			memcpy(line + o, " | ", 3);
			o += 3;
		} else
			line[o++] = state[i];
	}
	line[o] = '\0';
	log_debug("notify: %s", line);
}

int
notify_send(const char *state)
{
	static int warned;
	const char *path = getenv("NOTIFY_SOCKET");
	int rc;

	if (path == NULL || path[0] == '\0')
		return 0;
#ifdef DG_HAVE_LIBSYSTEMD
	rc = sd_notify(0, state);
	if (rc < 0)
		errno = -rc;
	rc = rc < 0 ? -1 : 1;
#else
	rc = notify_datagram(path, state) == 0 ? 1 : -1;
#endif
	if (rc == -1 && !warned++)
		log_warn("notify: cannot tell the service manager (%s) \"%s\"",
		    path, state);
	else if (rc == 1)
		notify_log(state);
	return rc;
}

int
notify_reloading(void)
{
	struct timespec ts;
	char state[96];

	/* systemd >= 253 matches a reload by the CLOCK_MONOTONIC time it
	 * began; older ones ignore the second line. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(state, sizeof(state), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL);
	return notify_send(state);
}
