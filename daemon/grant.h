/* SPDX-License-Identifier: Apache-2.0 */
/*
 * daemon/grant.h - break-glass grants: temporary rules for a peer pattern,
 * asked for through the control socket, that end by themselves.
 *
 * A grant is an overlay: {peer, Pattern, Rules} in front of the peer
 * entries of every scope of the configuration from the file (see
 * conf_overlay).  Adding, expiring or revoking one swaps a newly built
 * configuration in, as a reload does, so live connections follow it from
 * their next message.  Each of those steps raises an alert (policy.grant,
 * policy.expired, policy.revoked) naming who asked, why, and the rules.
 */
#ifndef DG_GRANT_H
#define DG_GRANT_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "daemon/grant_state.h"	/* GRANT_REASON_MAX, GRANT_RULES_MAX */

struct dg_daemon;
struct grants;

/* Who is asking: the control socket peer's credentials (SO_PEERCRED). */
struct grant_who {
	uid_t	uid;
	pid_t	pid;
};


struct grants	*grants_new(struct dg_daemon *);
/* Ends every grant silently (the daemon is stopping). */
void		 grants_free(struct grants *);

/*
 * Adds a grant for `seconds` (1..grants_max_duration).  Returns its id
 * (> 0), or -1 with the reasons in err (bad pattern or RULES, too many
 * grants, no memory).
 */
int	grants_add(struct grants *, const char *pattern, const char *rules,
	    const char *reason, double seconds, const struct grant_who *,
	    char *err, size_t errlen);
/* Ends grant `id` now; -1 when there is none. */
int	grants_revoke(struct grants *, int id, const struct grant_who *);
/* Builds the configuration in force again from the file's, the grants
 * and the runtime API's changes (daemon/api.c), and swaps it in.  -1
 * (nothing changed, reasons in err) when it cannot be built. */
int	grants_rebuild(struct grants *, char *err, size_t errlen);
/* The table for `distguard grants` (json: `grants --json`, an object
 * {"grants": [...]}), malloc'd. */
char	*grants_render(const struct grants *, int json, size_t *len);
int	 grants_count(const struct grants *);

/*
 * A reload has put a new file configuration in force: without
 * {grants, [{keep_on_reload, true}]} every grant ends (policy.revoked,
 * "configuration reloaded"); with it they are laid over the new one.
 */
void	grants_reloaded(struct grants *);

/*
 * {grants, [{state_file, Path}]}: grants written there survive a restart;
 * grants_restore reads them back at start, after the privilege drop
 * (expired ones are dropped, the rest checked by grant_state_read, each
 * refusal or cut raising an alert: policy.state_refused,
 * policy.state_clamped).
 */
void	grants_restore(struct grants *);

#endif
