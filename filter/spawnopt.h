/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spawnopt.h - the options of a SPAWN_REQUEST, judged against what an
 * MFA rule admits (issue 18 item 5; docs/FILTER.md 18).
 */
#ifndef SPAWNOPT_H
#define SPAWNOPT_H

#include "dist_ctl.h"
#include "dg_policy.h"

/*
 * For a SPAWN_REQUEST(_TT) m decoded by dist_ctl (its OptList and group
 * leader proven with the control term): NULL when every option is link,
 * monitor, {monitor, List} or one `so` admits within its bounds, and the
 * group leader is not a process of `local` (the node the request goes
 * to; "" unknown) and, when so->gl_peer, is one of the requesting node
 * (m->from_node, which the proxy has checked is the peer's); else a
 * static reason.  Other messages: NULL.  Allocates nothing.
 */
const char	*spawnopt_refused(const struct dg_spawn_opts *so,
		    const struct dist_msg *m, const char *local);

#endif
