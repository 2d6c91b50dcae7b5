/*
 * dg_grant.h - break-glass grants: temporary rules for a peer pattern,
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

struct dg_daemon;
struct grants;

/* Who is asking: the control socket peer's credentials (SO_PEERCRED). */
struct grant_who {
	uid_t	uid;
	pid_t	pid;
};

#define GRANT_REASON_MAX	256	/* bytes of --reason */
#define GRANT_RULES_MAX		2048	/* bytes of RULES */

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
/* The table for `distguard grants`, malloc'd. */
char	*grants_render(const struct grants *, size_t *len);
int	 grants_count(const struct grants *);

/*
 * A reload has put a new file configuration in force: without
 * {grants, [{keep_on_reload, true}]} every grant ends (policy.revoked,
 * "configuration reloaded"); with it they are laid over the new one.
 */
void	grants_reloaded(struct grants *);

/* {grants, [{state_file, Path}]}: grants written there survive a restart;
 * grants_restore reads them back at start (expired ones are dropped). */
void	grants_restore(struct grants *);

#endif
