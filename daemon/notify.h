/* SPDX-License-Identifier: Apache-2.0 */
/*
 * daemon/notify.h - the service manager's readiness protocol (systemd's
 * Type=notify, sd_notify(3)): READY=1 once every port is bound,
 * RELOADING=1 ... READY=1 around a reload, STOPPING=1 at shutdown.
 * Without NOTIFY_SOCKET in the environment (not under systemd) every
 * call does nothing.
 */
#ifndef DG_NOTIFY_H
#define DG_NOTIFY_H

/* Sends `state` (newline-separated VAR=value lines).  Returns 1 when
 * sent, 0 when there is nobody to tell, -1 on error (logged once). */
int	notify_send(const char *state);
/* RELOADING=1 with MONOTONIC_USEC=, as systemd >= 253 wants it. */
int	notify_reloading(void);

#endif
