/* SPDX-License-Identifier: Apache-2.0 */
/*
 * daemon.c - `distguard run`: builds the daemon context, starts the EPMD
 * service and the control socket, handles signals (SIGINT/SIGTERM stop,
 * SIGHUP reloads), and reloads the configuration without dropping a
 * connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/alert.h"
#include "daemon/daemon.h"
#include "daemon/ctl.h"
#include "core/context.h"
#include "core/ban.h"
#include "conf/conf.h"
#include "core/net.h"
#include "daemon/grant.h"
#include "dg_log.h"
#include "daemon/metrics.h"
#include "daemon/notify.h"
#include "daemon/privdrop.h"
#include "core/seen.h"
#include "core/stats.h"
#include "epmd/epmd_srv.h"
#include "epmd/localguard.h"
#include "proxy/egress.h"
#include "proxy/listener.h"
#include "proxy/egress_grace.h"
#include "proxy/linkleg.h"
#include "handshake/hs_crypto.h"

/* Configuration errors go to the log as well as to whoever asked. */
static void
log_error(void *arg, const char *file, int line, const char *msg)
{
	log_warnx("%s:%d: %s", file, line, msg);
	conf_errs_collect(arg, file, line, msg);
}

/* What a reload cannot change without a restart. */
static void
warn_unreloadable(const struct dg_conf *a, const struct dg_conf *b)
{
	if (a->epmd_port != b->epmd_port || a->nepmd_addrs != b->nepmd_addrs)
		log_warnx("reload: epmd port and addresses change at the next restart");
	if (a->listen_port_min != b->listen_port_min ||
	    a->listen_port_max != b->listen_port_max ||
	    strcmp(a->listen_addr.text, b->listen_addr.text) != 0)
		log_warnx("reload: listen settings apply to nodes registering from now on");
	if (a->metrics_on != b->metrics_on || (a->metrics_on &&
	    strcmp(a->metrics_addr.text, b->metrics_addr.text) != 0) ||
	    (a->metrics_on && net_sockaddr_port((const struct sockaddr *)
	    &a->metrics_addr.ss) != net_sockaddr_port((const struct sockaddr *)
	    &b->metrics_addr.ss)))
		log_warnx("reload: the metrics address changes at the next "
		    "restart");
	if ((a->control_path == NULL) != (b->control_path == NULL) ||
	    (a->control_path && strcmp(a->control_path, b->control_path) != 0))
		log_warnx("reload: the control socket moves at the next restart");
	if ((a->run_user == NULL) != (b->run_user == NULL) ||
	    a->run_uid != b->run_uid || a->run_gid != b->run_gid)
		log_warnx("reload: user and group change at the next restart");
	if (a->local_guard == DG_LGUARD_OFF && b->local_guard != DG_LGUARD_OFF)
		log_warnx("reload: local_guard was off at start: its helper "
		    "starts at the next restart (until then the guard is not "
		    "available)");
}

/*
 * A new alerts file is opened by the user the daemon runs as now, which
 * after the privilege drop may not be allowed to: refuse the reload then,
 * as for any other error, rather than lose the alerts.
 */
static int
alerts_file_usable(const struct dg_daemon *d, const struct dg_conf *nc,
    struct conf_errs *e)
{
	char msg[512];
	int fd;

	if (nc->alerts_path == NULL || (d->conf->alerts_path != NULL &&
	    strcmp(d->conf->alerts_path, nc->alerts_path) == 0))
		return 1;
	fd = open(nc->alerts_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600);
	if (fd != -1) {
		close(fd);
		return 1;
	}
	snprintf(msg, sizeof(msg), "alerts file %s: %s (opened by uid %u: "
	    "the daemon's user after the privilege drop)", nc->alerts_path,
	    strerror(errno), (unsigned)geteuid());
	log_error(e, nc->path, nc->alerts_line, msg);
	return 0;
}

/* Loads the configuration again and applies it; on error keeps the old
 * one.  Returns 0 on success, -1 (errors logged) on failure; `err`
 * receives the error lines for the control socket.  The daemon's reload. */
static int
daemon_reload_conf(struct dg_daemon *d, char *err, size_t errlen)
{
	struct conf_errs e = { err, errlen, 0, 0 };
	struct dg_conf *nc, *old = d->conf;

	if (err && errlen)
		err[0] = '\0';
	nc = conf_load(d->conf_path, log_error, &e);
	if (nc != NULL && !alerts_file_usable(d, nc, &e)) {
		conf_unref(nc);
		nc = NULL;
	}
	if (nc == NULL) {
		log_warnx("reload: %d error(s) in %s; the old configuration stays "
		    "in force", e.n, d->conf_path ? d->conf_path : "<embedded>");
		return -1;
	}
	warn_unreloadable(conf_root(old), nc);
	d->conf = nc;
	alerts_configure(d->alerts, nc->alerts_path, nc->alerts_syslog,
	    nc->alerts_per_source);
	bans_configure(d->bans, nc->ban_failures, nc->ban_window, nc->ban_duration);
	conf_unref(old);	/* live sessions keep theirs until next message */
	grants_reloaded(d->grants);	/* dropped, or laid over nc */
	log_info("reload: configuration from %s in force",
	    d->conf_path ? d->conf_path : "<embedded>");
	return 0;
}

/* The reload, told to the service manager: RELOADING=1 before, READY=1
 * after, whether the new configuration took or the old one stays. */
static int
daemon_reload(struct dg_daemon *d, char *err, size_t errlen)
{
	int rc;

	notify_reloading();
	rc = daemon_reload_conf(d, err, errlen);
	notify_send(rc == 0 ? "READY=1\nSTATUS=serving (configuration "
	    "reloaded)" : "READY=1\nSTATUS=serving (reload failed: the old "
	    "configuration stays)");
	return rc;
}

static void
on_stop(struct ev_loop *loop, ev_signal *w, int revents)
{
	log_info("signal %d: stopping", w->signum);
	notify_send("STOPPING=1");
	ev_break(loop, EVBREAK_ALL);
}

static void
on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct dg_daemon *d = w->data;

	log_info("SIGHUP: reloading");
	daemon_reload(d, NULL, 0);
}

static void
set_hostnames(struct dg_daemon *d)
{
	char *dot;

	if (gethostname(d->hostname, sizeof(d->hostname) - 1) == -1)
		snprintf(d->hostname, sizeof(d->hostname), "localhost");
	snprintf(d->hostshort, sizeof(d->hostshort), "%s", d->hostname);
	if ((dot = strchr(d->hostshort, '.')) != NULL)
		*dot = '\0';
}

/* More descriptors than the default 1024 soft limit: each proxied
 * connection costs two. */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/*
 * With the embedded configuration, distguard must work with stock nodes as
 * they are: like `erl` on its first start, create $HOME/.erlang.cookie
 * (20 random capital letters, mode 0400) when it does not exist, so that
 * distguard and the nodes started after it share one cookie.
 */
static void
ensure_erlang_cookie(void)
{
	const char *home = getenv("HOME");
	char path[1024], cookie[20];
	size_t i;
	int fd;

	if (home == NULL || home[0] == '\0' ||
	    (size_t)snprintf(path, sizeof(path), "%s/.erlang.cookie", home) >=
	    sizeof(path) || access(path, F_OK) == 0)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0400);
	if (fd == -1)
		return;
	for (i = 0; i < sizeof(cookie); i++)
		cookie[i] = (char)('A' + randombytes_uniform(26));
	if (write(fd, cookie, sizeof(cookie)) != (ssize_t)sizeof(cookie))
		log_warn("%s", path);
	close(fd);
	sodium_memzero(cookie, sizeof(cookie));
	log_info("created %s (mode 0400), as erl would", path);
}

/*
 * May root open `path` (and create it) safely?  Only when its directory
 * belongs to root and nobody else may write to it: nobody can then have
 * planted a link there.  Anywhere else the file waits for the privilege
 * drop and is opened by the daemon's user.
 */
static int
dir_is_roots(const char *path)
{
	char dir[PATH_MAX], *slash;
	struct stat st;

	if (path == NULL || geteuid() != 0 ||
	    (size_t)snprintf(dir, sizeof(dir), "%s", path) >= sizeof(dir) ||
	    (slash = strrchr(dir, '/')) == NULL)
		return 0;
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	return lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == 0 &&
	    (st.st_mode & 022) == 0;
}

/* The daemon's node_port: where a node registered here listens. */
static int
daemon_node_port(struct dg_daemon *d, const char *alive, int *family,
    uint16_t *port)
{
	struct epmd_node *n;

	if (d->epmd == NULL ||
	    (n = epmd_reg_find(epmd_srv_registry(d->epmd), alive,
	    strlen(alive))) == NULL)
		return -1;
	*family = n->family;
	*port = n->a.port;
	return 0;
}

/*
 * The local guard's helper keeps root for the packet filter, so it is
 * forked now, while the daemon is root and holds nothing else: no socket,
 * no cookie.  It lets through the uid the daemon runs as after its drop.
 */
static void
start_local_guard(struct dg_daemon *d)
{
	uid_t allowed = geteuid();
	const char *why;

	if (d->conf->local_guard == DG_LGUARD_OFF)
		return;
	if (allowed == 0 && d->conf->run_user != NULL)
		allowed = d->conf->run_uid;
	d->lguard = localguard_start(d->conf->epmd_port, allowed);
	if (!localguard_ready(d->lguard, &why))
		log_warnx("local guard: not available: %s; nodes' own ports "
		    "stay open to local processes (local_guard %s)", why,
		    d->conf->local_guard == DG_LGUARD_REQUIRED ?
		    "required: registrations are refused" : "optional");
}

int
daemon_run(const char *path, int verbose)
{
	struct dg_daemon d;
	struct conf_errs e = { NULL, 0, 0, 0 };
	ev_signal s_int, s_term, s_hup;
	struct ctl *ctl = NULL;
	int rc = 1;

	memset(&d, 0, sizeof(d));
	d.reload = daemon_reload;
	d.is_local_node = epmd_srv_is_local_node;
	d.node_port = daemon_node_port;
	d.egress_port = egress_port;
	d.listen_node = listener_open;
	d.listen_port = listener_port;
	d.listen_close = listener_close;
	if (verbose)
		log_set_level(DG_LOG_DEBUG);
	d.conf_path = path;
	if (hs_crypto_init() != 0) {
		log_warnx("libsodium failed to initialise");
		return 1;
	}
	if (path == NULL)
		ensure_erlang_cookie();
	if ((d.conf = conf_load(path, log_error, &e)) == NULL) {
		fprintf(stderr, "distguard: %d error(s) in the configuration\n", e.n);
		return 1;
	}
	if (privdrop_check(d.conf) == -1) {
		log_info("not started");
		conf_unref(d.conf);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	start_local_guard(&d);
	raise_fd_limit();
	set_hostnames(&d);
	d.loop = EV_DEFAULT;
	/* The alerts file is opened now only when root alone can touch its
	 * directory; else by the daemon's user after the drop (below). */
	d.alerts = alerts_new(dir_is_roots(d.conf->alerts_path) ?
	    d.conf->alerts_path : NULL, d.conf->alerts_syslog,
	    d.conf->alerts_per_source);
	d.bans = bans_new(d.conf->ban_failures, d.conf->ban_window,
	    d.conf->ban_duration);
	d.stats = stats_new();
	d.seen = seen_new();
	d.hs_sources = srccount_new();
	d.link_sources = srccount_new();
	d.est_sources = srccount_new();
	d.link_rate = net_rate_new();
	d.reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if ((d.epmd = epmd_srv_start(&d)) == NULL) {
		log_warnx("epmd: no address could be bound; giving up");
		goto out;
	}
	if (linkleg_listen(&d) == -1)
		goto out;
	if ((ctl = ctl_start(&d)) == NULL)
		goto out;	/* said why */
	d.grants = grants_new(&d);
	d.metrics = metrics_start(&d);
	/* Everything root was needed for is held now: give root up. */
	if (privdrop(d.conf) == -1)
		goto out;
	/*
	 * The daemon's own files are opened by its user, not by root: they
	 * sit in directories that user can write, where anything it runs
	 * could plant a symlink (docs/SECURITY.md, "The daemon's own
	 * files").
	 */
	if (!alerts_fd_open(d.alerts))
		alerts_configure(d.alerts, d.conf->alerts_path,
		    d.conf->alerts_syslog, d.conf->alerts_per_source);
	if (d.conf->alerts_path != NULL && alerts_fd_open(d.alerts) == 0) {
		log_warnx("alerts file %s cannot be opened by uid %u (the "
		    "daemon's user after the privilege drop): give that user "
		    "the file or its directory", d.conf->alerts_path,
		    (unsigned)geteuid());
		goto out;
	}
	grants_restore(d.grants);
	d.grace = egress_grace_start(&d);
	ev_signal_init(&s_int, on_stop, SIGINT);
	ev_signal_init(&s_term, on_stop, SIGTERM);
	ev_signal_init(&s_hup, on_hup, SIGHUP);
	s_hup.data = &d;
	ev_signal_start(d.loop, &s_int);
	ev_signal_start(d.loop, &s_term);
	ev_signal_start(d.loop, &s_hup);
	log_info("distguard running: configuration %s, epmd port %u, listeners "
	    "%s ports %u..%u", path ? path : "<embedded>", d.conf->epmd_port,
	    d.conf->listen_addr.text, d.conf->listen_port_min,
	    d.conf->listen_port_max);
	/* Every port is bound (EPMD, the link and metrics listeners, the
	 * control socket; the nodes' listeners come with their
	 * registrations): a unit ordered after this one may register now. */
	notify_send("READY=1\nSTATUS=serving");
	ev_run(d.loop, 0);
	rc = 0;
out:
	ctl_stop(ctl);
	egress_grace_stop(d.grace);
	metrics_stop(d.metrics);
	grants_free(d.grants);
	egress_close_all(&d);
	linkleg_listen_stop(&d);
	if (d.epmd != NULL)
		epmd_srv_stop(d.epmd);
	stats_free(d.stats);
	seen_free(d.seen);
	srccount_free(d.hs_sources);
	srccount_free(d.link_sources);
	srccount_free(d.est_sources);
	net_rate_free(d.link_rate);
	bans_free(d.bans);
	alerts_free(d.alerts);
	localguard_stop(d.lguard);
	conf_unref(d.conf);
	if (d.reserve_fd != -1)
		close(d.reserve_fd);
	log_info(rc == 0 ? "stopped" : "not started");
	return rc;
}
