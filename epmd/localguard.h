/* SPDX-License-Identifier: Apache-2.0 */
/*
 * localguard.h - a registered node's own distribution port answers only
 * distguard (issue 20).  Every local process could otherwise dial the
 * node's loopback port and talk to it unfiltered.  One nftables table of
 * the daemon's own, "inet distguard_<epmd port>", holds a set of the
 * registered nodes' ports and one output rule: a TCP connection to one of
 * them through the loopback interface from any uid but distguard's is
 * reset.
 *
 * The rules change as nodes come and go, long after the daemon gave up
 * root, so a small helper process forked while still root does the
 * changes: it takes "add port P" / "delete port P" over a socketpair and
 * nothing else (privilege separation; docs/SECURITY.md 2).  Called once
 * per registration and per unregistration, never on the message path.
 */
#ifndef LOCALGUARD_H
#define LOCALGUARD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lgscan.h"

#define LG_WHY_MAX	200	/* a reason, as sent back by the helper */

struct localguard;

/*
 * Forks the helper (the caller must still be root for it to work) and
 * has it create the table, replacing one a previous run left behind.
 * `allowed` is the uid the daemon runs as after its privilege drop: the
 * only one that may still connect.  Never NULL: a guard that could not be
 * set up says so through localguard_ready() and refuses every port.
 */
struct localguard *localguard_start(uint16_t epmd_port, uid_t allowed);

/* 1 when the rules are in place; otherwise 0 and *why says why. */
int	localguard_ready(const struct localguard *, const char **why);

/* Adds (del: removes) a port to the guarded set.  0, or -1 with the
 * reason in why[LG_WHY_MAX]. */
int	localguard_add(struct localguard *, uint16_t port, char *why);
int	localguard_del(struct localguard *, uint16_t port, char *why);

/*
 * Asks the helper which process of uid holds the socket inode conn and
 * the listeners lis[0..nlis) (lgscan.h): the registering connection's
 * other end and the port's listeners.  0 with *res, or -1 with why (no
 * helper, a bad request).
 */
int	localguard_owner(struct localguard *, uid_t uid, uint32_t conn,
	    const uint32_t *lis, int nlis, struct lgscan_result *res,
	    char *why);

/* Ends the helper, which deletes the table; frees the handle. */
void	localguard_stop(struct localguard *);

/* The helper's request and reply, fixed sizes (exported for the tests). */
#define LG_OP_ADD	'A'
#define LG_OP_DEL	'D'
#define LG_OP_OWNER	'P'		/* which process holds the sockets */
struct lg_req {
	uint8_t		op;
	uint8_t		pad;
	uint16_t	port;		/* host order: both ends are this host */
	/* LG_OP_OWNER only (zeros otherwise): */
	uint32_t	uid;
	uint32_t	conn;		/* the registering socket's inode */
	uint32_t	nlis;		/* 1..LGSCAN_MAX_LISTEN */
	uint32_t	lis[LGSCAN_MAX_LISTEN];
};
struct lg_resp {
	uint8_t		ok;		/* 1: done */
	char		why[LG_WHY_MAX];	/* NUL-terminated when !ok */
	struct lgscan_result owner;	/* LG_OP_OWNER's answer */
};

/* The nft commands for one request, into buf; -1 on a bad request (an
 * LG_OP_OWNER request is checked by localguard_owner_ok).  Pure, for the
 * unit test. */
int	localguard_command(const struct lg_req *, uint16_t epmd_port,
	    char *buf, size_t cap);
/* 1 when an LG_OP_OWNER request is well formed. */
int	localguard_owner_ok(const struct lg_req *);
/* The commands that create the table (replacing a stale one); owned:
 * bound to the netlink socket that runs them (gone when it closes). */
int	localguard_table(uint16_t epmd_port, uid_t allowed, int owned,
	    char *buf, size_t cap);

#endif
