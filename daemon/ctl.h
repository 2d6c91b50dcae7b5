/* SPDX-License-Identifier: Apache-2.0 */
/*
 * daemon/ctl.h - the daemon's control socket (daemon/ctl.c) and its client side,
 * used by `distguard stats` and `distguard reload`.
 */
#ifndef DG_CTL_H
#define DG_CTL_H

#include <stdio.h>

#include "core/context.h"
#include "conf/conf.h"

struct ctl;

/* {control, Path}, else /tmp/distguard.<epmd port>.ctl */
const char	*ctl_path(const struct dg_conf *, char *buf, size_t len);
struct ctl	*ctl_start(struct dg_daemon *);
void		 ctl_stop(struct ctl *);
/* Sends one command and copies the answer to `out`.  Returns -1 if the
 * daemon is unreachable, 1 if the answer does not start with `expect`
 * (NULL: anything goes), else 0. */
int		 ctl_request(const struct dg_conf *, const char *cmd,
		    const char *expect, FILE *out);

#endif
