/* SPDX-License-Identifier: Apache-2.0 */
/*
 * privdrop.c - the daemon stops being root as soon as it no longer needs
 * to be, in the way OpenBSD daemons do it: first everything only root can
 * get (the EPMD and control sockets bound, the configuration and its
 * cookies read, syslog opened; the alerts file only when its directory is
 * root's alone), then the groups, the
 * gid and the uid, each real, effective and saved, and a check that root
 * cannot be had back.
 *
 * distguard decodes untrusted traffic for its whole life and needs no
 * privilege to do it: its ports are above 1024 by default and the
 * listeners opened later, as nodes register, are opened by the
 * unprivileged user.  So root with no {user, Name} is refused rather than
 * kept.  There is no chroot: a reload re-reads the configuration and the
 * cookie files by the paths the operator wrote, which a chroot would hide
 * (docs/SERVICE.md says what a service should do instead).
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "conf/conf.h"
#include "dg_log.h"
#include "daemon/privdrop.h"

#define UNPRIV_PORT_FILE	"/proc/sys/net/ipv4/ip_unprivileged_port_start"

/* The lowest port an unprivileged process may bind; 1024 when the kernel
 * does not say. */
static int
unprivileged_port_start(void)
{
	FILE *f;
	int port = 1024;

	if ((f = fopen(UNPRIV_PORT_FILE, "re")) == NULL)
		return port;
	if (fscanf(f, "%d", &port) != 1)
		port = 1024;
	fclose(f);
	return port;
}

/* Listeners are opened after the drop; a range the user cannot bind would
 * only fail later, at each registration. */
static int
listen_ports_bindable(const struct dg_conf *c)
{
	int start = unprivileged_port_start();

	if (c->listen_port_min >= start)
		return 1;
	log_warnx("privilege drop: listen ports %u..%u start below %d (%s): "
	    "user %s could not open the listeners nodes register for; use "
	    "ports from %d up", c->listen_port_min, c->listen_port_max, start,
	    UNPRIV_PORT_FILE, c->run_user, start);
	return 0;
}

static int
become(const struct dg_conf *c)
{
	gid_t gid = c->run_gid;
	uid_t uid = c->run_uid;

	/* Groups first: once the uid is gone, so is the right to change
	 * them.  Only the one group: root's supplementary groups must not
	 * survive, and the user's own are not needed. */
	if (setgroups(1, &gid) == -1) {
		log_warn("privilege drop: setgroups(%u)", (unsigned)gid);
		return -1;
	}
	if (setresgid(gid, gid, gid) == -1) {
		log_warn("privilege drop: setresgid(%u)", (unsigned)gid);
		return -1;
	}
	if (setresuid(uid, uid, uid) == -1) {
		log_warn("privilege drop: setresuid(%u)", (unsigned)uid);
		return -1;
	}
	return 0;
}

/* The drop is only trusted once checked: every id is the target's, the
 * group list is that one group, and root's ids cannot be set again. */
static int
dropped(const struct dg_conf *c)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg, groups[2];
	int n;

	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1)
		return 0;
	if (ru != c->run_uid || eu != c->run_uid || su != c->run_uid ||
	    rg != c->run_gid || eg != c->run_gid || sg != c->run_gid)
		return 0;
	n = getgroups(2, groups);
	if (n != 1 || groups[0] != c->run_gid)
		return 0;
	if (setuid(0) != -1 || seteuid(0) != -1 || setgid(0) != -1)
		return 0;
	return 1;
}

int
privdrop_owner(const struct dg_conf *c, uid_t *uid, gid_t *gid)
{
	if (geteuid() != 0 || c->run_user == NULL)
		return -1;
	*uid = c->run_uid;
	*gid = c->run_gid;
	return 0;
}

int
privdrop_check(const struct dg_conf *c)
{
	if (geteuid() != 0 || c->run_user != NULL)
		return 0;
	log_warnx("refusing to run as root: %s has no {user, Name} "
	    "entry.  distguard needs root only to start; add e.g. "
	    "{user, \"distguard\"} (an account of its own) and it "
	    "drops to that user once its ports are bound", c->path);
	return -1;
}

int
privdrop(const struct dg_conf *c)
{
	struct group *gr;

	if (geteuid() != 0) {
		if (c->run_user != NULL && geteuid() != c->run_uid)
			log_warnx("privilege drop: not started as root, so "
			    "{user, \"%s\"} cannot apply; running on as uid %u",
			    c->run_user, (unsigned)geteuid());
		return 0;
	}
	if (privdrop_check(c) == -1)
		return -1;
	if (!listen_ports_bindable(c) || become(c) == -1)
		return -1;
	if (!dropped(c)) {
		log_warnx("privilege drop: the process still holds a root id "
		    "after becoming %s; stopping", c->run_user);
		return -1;
	}
	gr = getgrgid(c->run_gid);
	log_info("privileges dropped: user %s (uid %u), group %s (gid %u)",
	    c->run_user, (unsigned)c->run_uid, gr != NULL ? gr->gr_name : "?",
	    (unsigned)c->run_gid);
	return 0;
}
