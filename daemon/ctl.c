/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl.c - the control socket: a Unix stream socket that answers one
 * command per connection ("stats", "stats json", "seen", "memory", "reload",
 * "grant\tPEER\tSECONDS\tREASON\tRULES", "grants", "revoke ID") and
 * closes.  Local administration only; nothing on the network reaches it.
 * Reads are bounded and deadlined like every other input.
 *
 * Who may do what is the kernel's word: the peer's credentials
 * (SO_PEERCRED, SO_PEERGROUPS), never the socket's mode alone.  root and
 * {control_users} / {control_group} may change things (reload, grant,
 * revoke); {control_read_group} may read (stats, grants, seen).  The daemon's
 * own user, once it has dropped to it, may read but never change: any
 * process of that user could otherwise grant itself [allow_all].
 *
 * The socket lives in a directory only root or the daemon's user can
 * write (by default /run/distguard, made by the unit or by the daemon):
 * in a shared directory such as /tmp another user could take the name
 * first.  The daemon refuses to start when it cannot bind its own socket
 * there, and the client checks whose socket it is before it sends.
 */
#include <errno.h>
#include <grp.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/types.h>
#include <unistd.h>

#include "core/accept.h"
#include "core/alert.h"
#include "conf/conf.h"
#include "daemon/ctl.h"
#include "daemon/grant.h"
#include "dg_log.h"
#include "core/outq.h"
#include "daemon/privdrop.h"
#include "core/seen.h"
#include "core/stats.h"

/* A grant line carries RULES and a reason. */
#define CTL_LINE_MAX	(GRANT_RULES_MAX + GRANT_REASON_MAX + DG_MAX_NODE_BYTES + 64)
#define CTL_TIMEOUT	2.0
#define CTL_DEFAULT_DIR	"/run/distguard"
#define CTL_MAX_GROUPS	64	/* supplementary groups looked at */

/* What a peer may do. */
enum ctl_right {
	CTL_NONE,
	CTL_READ,		/* stats, grants */
	CTL_CHANGE		/* reload, grant, revoke too */
};

struct ctl {
	struct acceptor		 acc;
	struct dg_daemon	*d;
	uid_t			 service_uid;	/* what the daemon runs as */
	int			 dropping;	/* started as root: it drops */
	double			 refused_at;	/* last refusal alerted */
	char			 path[108];
};

struct ctl_conn {
	ev_io			 rd, wr;
	ev_timer		 timer;
	struct ctl		*ctl;
	struct grant_who	 who;		/* SO_PEERCRED */
	enum ctl_right		 right;
	char			 line[CTL_LINE_MAX];
	size_t			 len;
	struct outq		 out;
};

static void
cc_free(struct ctl_conn *c)
{
	struct ev_loop *loop = c->ctl->d->loop;

	ev_io_stop(loop, &c->rd);
	ev_io_stop(loop, &c->wr);
	ev_timer_stop(loop, &c->timer);
	close(c->rd.fd);
	outq_free(&c->out);
	free(c);
}

static void
cc_answer(struct ctl_conn *c, char *text, size_t len)
{
	outq_adopt(&c->out, text, len);
	ev_io_stop(c->ctl->d->loop, &c->rd);
	ev_io_start(c->ctl->d->loop, &c->wr);
}

static void
cc_text(struct ctl_conn *c, const char *fmt, ...) DG_PRINTF(2, 3);

/* Answers with a formatted text. */
static void
cc_text(struct ctl_conn *c, const char *fmt, ...)
{
	va_list ap;
	char *text;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0) {
		cc_free(c);
		return;
	}
	cc_answer(c, text, (size_t)n);
}

/* "grant\tPEER\tSECONDS\tREASON\tRULES" */
static void
cc_grant(struct ctl_conn *c, char *args)
{
	char *f[4], err[2048], *end;
	double secs;
	int i, id;

	for (i = 0; i < 4; i++) {
		f[i] = args;
		if (i < 3 && (args = strchr(args, '\t')) == NULL) {
			cc_text(c, "grant refused\nmalformed grant command\n");
			return;
		}
		if (i < 3)
			*args++ = '\0';
	}
	secs = strtod(f[1], &end);
	if (end == f[1] || *end != '\0') {
		cc_text(c, "grant refused\nbad duration\n");
		return;
	}
	id = grants_add(c->ctl->d->grants, f[0], f[3], f[2], secs, &c->who,
	    err, sizeof(err));
	if (id < 0)
		cc_text(c, "grant refused\n%s", err);
	else
		cc_text(c, "granted %d\n", id);
}

static void
cc_revoke(struct ctl_conn *c, const char *arg)
{
	char *end;
	long id = strtol(arg, &end, 10);

	if (end == arg || *end != '\0' || id < 1 || id > INT32_MAX ||
	    grants_revoke(c->ctl->d->grants, (int)id, &c->who) == -1)
		cc_text(c, "no grant %s\n", arg);
	else
		cc_text(c, "revoked %ld\n", id);
}

/* The right a command needs; CTL_READ for an unknown one (it is
 * answered "unknown command"). */
static enum ctl_right
cc_needs(const char *line)
{
	if (strcmp(line, "reload") == 0 || strncmp(line, "grant\t", 6) == 0 ||
	    strncmp(line, "revoke ", 7) == 0)
		return CTL_CHANGE;
	return CTL_READ;
}

/* A refusal: answered, logged, and alerted at most once a second (the
 * alert of an operator's socket is not rate-limited by address). */
static void
cc_refuse(struct ctl_conn *c)
{
	char cmd[16];
	double now = dg_now();
	size_t i;

	for (i = 0; i < sizeof(cmd) - 1 && c->line[i] != '\0' &&
	    c->line[i] != '\t' && c->line[i] != ' '; i++)
		cmd[i] = (char)((unsigned char)c->line[i] < ' ' ||
		    (unsigned char)c->line[i] > '~' ? '?' : c->line[i]);
	cmd[i] = '\0';
	log_warnx("control: uid %ld pid %ld may not \"%s\": refused",
	    (long)c->who.uid, (long)c->who.pid, cmd);
	if (now - c->ctl->refused_at >= 1.0) {
		c->ctl->refused_at = now;
		alert_emit(c->ctl->d->alerts, "control.refused", NULL, NULL,
		    NULL, "uid %ld pid %ld may not \"%s\" (%s)",
		    (long)c->who.uid, (long)c->who.pid, cmd,
		    c->who.uid == c->ctl->service_uid && c->ctl->dropping ?
		    "the daemon's own user only reads" :
		    "not root, control_users nor control_group");
	}
	cc_text(c, "not permitted: uid %ld may not %s\n", (long)c->who.uid,
	    cmd);
}

static void
cc_command(struct ctl_conn *c)
{
	struct dg_daemon *d = c->ctl->d;
	char *text;
	size_t len;

	if (c->right < cc_needs(c->line)) {
		cc_refuse(c);
		return;
	}
	if (strcmp(c->line, "stats") == 0 || strcmp(c->line, "stats json") == 0) {
		if ((text = stats_render(d->stats, c->line[5] != '\0',
		    &len)) == NULL) {
			log_warnx("control: out of memory: connection closed");
			cc_free(c);
			return;
		}
		cc_answer(c, text, len);
	} else if (strcmp(c->line, "memory") == 0) {
		/* What malloc holds, for bench/run.sh's memory per connection
		 * (read): in use, and what the heap and mmap took in all. */
		struct mallinfo2 mi = mallinfo2();

		if ((text = malloc(160)) == NULL) {
			cc_free(c);
			return;
		}
		len = (size_t)snprintf(text, 160, "heap_in_use %zu\n"
		    "heap_arena %zu\nheap_mmap %zu\nsessions %d\n"
		    "hs_pending %d\n", mi.uordblks, mi.arena, mi.hblkhd,
		    d->sessions, d->hs_pending);
		cc_answer(c, text, len);
	} else if (strcmp(c->line, "seen") == 0) {
		/* What the rules judged, for `distguard suggest` (read). */
		if ((text = seen_render(d->seen, &len)) == NULL) {
			cc_free(c);
			return;
		}
		cc_answer(c, text, len);
	} else if (strcmp(c->line, "reload") == 0) {
		char err[4096];

		if ((text = malloc(sizeof(err) + 32)) == NULL) {
			cc_free(c);
			return;
		}
		if (d->reload(d, err, sizeof(err)) == 0)
			len = (size_t)snprintf(text, sizeof(err) + 32,
			    "reloaded\n");
		else
			len = (size_t)snprintf(text, sizeof(err) + 32,
			    "reload failed; old configuration kept\n%s", err);
		cc_answer(c, text, len);
	} else if (strncmp(c->line, "grant\t", 6) == 0) {
		cc_grant(c, c->line + 6);
	} else if (strcmp(c->line, "grants") == 0 ||
	    strcmp(c->line, "grants json") == 0) {
		if ((text = grants_render(d->grants, c->line[6] != '\0',
		    &len)) == NULL) {
			cc_free(c);
			return;
		}
		cc_answer(c, text, len);
	} else if (strncmp(c->line, "revoke ", 7) == 0) {
		cc_revoke(c, c->line + 7);
	} else {
		if ((text = strdup("unknown command\n")) == NULL) {
			cc_free(c);
			return;
		}
		cc_answer(c, text, strlen(text));
	}
}

static void
cc_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_conn *c = (struct ctl_conn *)w;
	ssize_t n;
	char *nl;

	n = read(w->fd, c->line + c->len, sizeof(c->line) - 1 - c->len);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		cc_free(c);
		return;
	}
	c->len += (size_t)n;
	c->line[c->len] = '\0';
	if ((nl = strchr(c->line, '\n')) == NULL) {
		if (c->len == sizeof(c->line) - 1)
			cc_free(c);	/* no command is that long */
		return;
	}
	*nl = '\0';
	cc_command(c);
}

static void
cc_write(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_conn *c = (struct ctl_conn *)((char *)w -
	    offsetof(struct ctl_conn, wr));
	if (outq_flush(&c->out, w->fd) == 0)
		return;
	cc_free(c);		/* one answer per connection, or a write error */
}

static void
cc_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	cc_free((struct ctl_conn *)((char *)w - offsetof(struct ctl_conn, timer)));
}

static int
in_group(gid_t g, gid_t primary, const gid_t *groups, int n)
{
	int i;

	if (g == primary)
		return 1;
	for (i = 0; i < n; i++)
		if (groups[i] == g)
			return 1;
	return 0;
}

/*
 * The peer's right, from its credentials as the kernel gives them
 * (SO_PEERCRED: uid, gid and pid at connect(); SO_PEERGROUPS: its
 * supplementary groups).  No credentials, no right.
 */
static enum ctl_right
peer_right(const struct ctl *ctl, int fd, struct grant_who *who)
{
	const struct dg_conf *conf = ctl->d->conf;
	gid_t groups[CTL_MAX_GROUPS];
	struct ucred uc;
	socklen_t ulen = sizeof(uc), glen = sizeof(groups);
	int i, ngroups = 0, own;

	who->uid = (uid_t)-1;
	who->pid = -1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &ulen) == -1)
		return CTL_NONE;
	who->uid = uc.uid;
	who->pid = uc.pid;
	/* More groups than we look at: only the first ones count. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) == 0)
		ngroups = (int)(glen / sizeof(gid_t));
	if (uc.uid == 0)
		return CTL_CHANGE;
	own = uc.uid == ctl->service_uid;
	/* Started unprivileged, the daemon is its user's own process: that
	 * user may do anything with it (it could ptrace it anyway). */
	if (own && !ctl->dropping)
		return CTL_CHANGE;
	if (!own) {
		for (i = 0; i < conf->ncontrol_uids; i++)
			if (conf->control_uids[i] == uc.uid)
				return CTL_CHANGE;
		if (conf->control_gid_set && in_group(conf->control_gid,
		    uc.gid, groups, ngroups))
			return CTL_CHANGE;
	}
	if (own || (conf->control_read_gid_set &&
	    in_group(conf->control_read_gid, uc.gid, groups, ngroups)))
		return CTL_READ;
	return CTL_NONE;
}

/* A connection to the control socket (no gate: what a caller may do
 * is decided by its credentials, peer_right). */
static void
ctl_conn(void *owner, int fd, const struct sockaddr_storage *ss)
{
	struct ctl *ctl = owner;
	struct ev_loop *loop = ctl->d->loop;
	struct ctl_conn *c;

	(void)ss;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	c->ctl = ctl;
	c->right = peer_right(ctl, fd, &c->who);
	ev_io_init(&c->rd, cc_read, fd, EV_READ);
	ev_io_init(&c->wr, cc_write, fd, EV_WRITE);
	ev_timer_init(&c->timer, cc_timeout, CTL_TIMEOUT, 0.0);
	ev_io_start(loop, &c->rd);
	ev_timer_start(loop, &c->timer);
}

const char *
ctl_path(const struct dg_conf *conf, char *buf, size_t len)
{
	if (conf->control_path)
		snprintf(buf, len, "%s", conf->control_path);
	else
		snprintf(buf, len, CTL_DEFAULT_DIR "/distguard.%u.ctl",
		    conf->epmd_port);
	return buf;
}

/* The directory part of a socket path ("/" or "." at least). */
static void
dir_of(const char *path, char *dir, size_t len)
{
	char *slash;

	snprintf(dir, len, "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, len, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
}

/*
 * May the socket live in `dir`?  Only when no one but root and `owner`
 * can add a name there: else another user could bind the path first, or
 * swap the daemon's socket for its own between two starts.  Writes why
 * not to `why`.
 */
static int
dir_safe(const char *dir, uid_t owner, char *why, size_t len)
{
	struct stat st;

	if (lstat(dir, &st) == -1) {
		snprintf(why, len, "directory %s: %s", dir, strerror(errno));
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, len, "%s is not a directory", dir);
		return 0;
	}
	if (st.st_uid != 0 && st.st_uid != owner) {
		snprintf(why, len, "directory %s belongs to uid %u, neither "
		    "root nor the daemon's user (uid %u)", dir,
		    (unsigned)st.st_uid, (unsigned)owner);
		return 0;
	}
	if ((st.st_mode & 022) != 0) {
		snprintf(why, len, "directory %s is writable by group or "
		    "others (mode %03o): another user could take the "
		    "socket's name", dir, (unsigned)(st.st_mode & 0777));
		return 0;
	}
	return 1;
}

/* The default directory, made by root when the unit has not made it
 * (RuntimeDirectory=distguard): root's, 0755. */
static void
make_default_dir(const struct dg_conf *conf)
{
	if (conf->control_path != NULL || geteuid() != 0)
		return;
	if (mkdir(CTL_DEFAULT_DIR, 0755) == 0)
		log_info("control: made %s (root's, mode 0755)",
		    CTL_DEFAULT_DIR);
}

/*
 * A stale socket of ours (root's or the daemon's user's, from a run that
 * died) is removed; anything else at the path is not ours to remove.
 */
static int
clear_path(const char *path, uid_t owner, char *why, size_t len)
{
	struct stat st;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode) || (st.st_uid != 0 && st.st_uid != owner)) {
		snprintf(why, len, "%s exists and is not a socket of root or "
		    "of the daemon's user (uid %u): not removed", path,
		    (unsigned)owner);
		return -1;
	}
	return unlink(path);
}

/*
 * The socket is bound while the daemon is still root; it belongs to the
 * user the daemon is about to become, so that the daemon can remove it
 * when it stops, and so that the client can tell it is the daemon's.
 */
static void
give_to_service_user(const struct dg_conf *conf, const char *path)
{
	uid_t uid;
	gid_t gid;

	if (privdrop_owner(conf, &uid, &gid) == 0 &&
	    chown(path, uid, gid) == -1)
		log_warn("control socket %s: chown to uid %u", path,
		    (unsigned)uid);
}

/* Who else than root and the daemon's user may connect: then the mode
 * lets them, and SO_PEERCRED sorts them out. */
static int
others_allowed(const struct dg_conf *conf)
{
	return conf->ncontrol_uids > 0 || conf->control_gid_set ||
	    conf->control_read_gid_set;
}

struct ctl *
ctl_start(struct dg_daemon *d)
{
	struct ctl *ctl = calloc(1, sizeof(*ctl));
	struct sockaddr_un sun;
	char dir[108], why[400] = "";
	uid_t uid;
	gid_t gid;
	mode_t old;
	int fd = -1;

	if (ctl == NULL)
		log_fatalx("out of memory");
	ctl->d = d;
	accept_init(&ctl->acc, d, ACCEPT_CONTROL, "control socket",
	    d->conf->listen_backlog, NULL, ctl_conn, ctl);
	ctl->dropping = privdrop_owner(d->conf, &uid, &gid) == 0;
	ctl->service_uid = ctl->dropping ? uid : geteuid();
	ctl_path(d->conf, ctl->path, sizeof(ctl->path));
	make_default_dir(d->conf);
	dir_of(ctl->path, dir, sizeof(dir));
	if (!dir_safe(dir, ctl->service_uid, why, sizeof(why)) ||
	    clear_path(ctl->path, ctl->service_uid, why, sizeof(why)) == -1)
		goto fail;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", ctl->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		goto fail;
	old = umask(077);	/* no window with a wider mode */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    accept_adopt(&ctl->acc, fd) == -1) {
		umask(old);
		goto fail;
	}
	umask(old);
	if (others_allowed(d->conf) && chmod(ctl->path, 0666) == -1)
		goto fail;
	give_to_service_user(d->conf, ctl->path);
	log_info("control socket %s", ctl->path);
	return ctl;
fail:
	if (why[0] == '\0')
		snprintf(why, sizeof(why), "%s", strerror(errno));
	log_warnx("control socket %s: %s; not starting without it (set "
	    "{control, Path} in a directory of root's or the daemon's user)",
	    ctl->path, why);
	if (fd != -1) {
		accept_stop(&ctl->acc);	/* watched once adopted */
		close(fd);
	}
	free(ctl);
	return NULL;
}

void
ctl_stop(struct ctl *ctl)
{
	if (ctl == NULL)
		return;
	accept_close(&ctl->acc);
	unlink(ctl->path);
	free(ctl);
}

/*
 * Is the socket at `path` the daemon's?  Its directory must be safe as
 * the daemon requires it, the socket must belong to the daemon's user
 * (or root), and so must the process listening on it (SO_PEERCRED of the
 * listener: root, which bound it, or that user).  Else another user's
 * socket could answer "reloaded" for a daemon that never heard a word.
 */
static void
ctl_owner(const struct dg_conf *conf, uid_t *owner)
{
	/* No {user}: no drop, the daemon runs as whoever started it. */
	*owner = conf->run_user != NULL ? conf->run_uid : geteuid();
}

/* Before connecting: the directory and the socket file. */
static int
path_is_daemons(const struct dg_conf *conf, const char *path)
{
	char dir[108], why[400];
	struct stat st;
	uid_t owner;

	ctl_owner(conf, &owner);
	dir_of(path, dir, sizeof(dir));
	if (!dir_safe(dir, owner, why, sizeof(why))) {
		fprintf(stderr, "distguard: control socket %s: %s: not "
		    "sending\n", path, why);
		return 0;
	}
	if (lstat(path, &st) == 0 && (!S_ISSOCK(st.st_mode) ||
	    (st.st_uid != owner && st.st_uid != 0))) {
		fprintf(stderr, "distguard: control socket %s is not a socket "
		    "of the daemon's user (uid %u): not sending\n", path,
		    (unsigned)owner);
		return 0;
	}
	return 1;	/* missing: connect says so */
}

/* Once connected: the process that listens is root's or the daemon's
 * user's (SO_PEERCRED gives the listener's credentials from listen()). */
static int
listener_is_daemons(const struct dg_conf *conf, const char *path, int fd)
{
	struct ucred uc;
	socklen_t ulen = sizeof(uc);
	uid_t owner;

	ctl_owner(conf, &owner);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &ulen) == -1 ||
	    (uc.uid != owner && uc.uid != 0)) {
		fprintf(stderr, "distguard: control socket %s is served by uid "
		    "%ld, not by the daemon's user (uid %u): not sending\n",
		    path, (long)uc.uid, (unsigned)owner);
		return 0;
	}
	return 1;
}

int
ctl_request(const struct dg_conf *conf, const char *cmd, const char *expect,
    FILE *out)
{
	struct sockaddr_un sun;
	char path[108], buf[4096];
	size_t seen = 0, elen = expect ? strlen(expect) : 0;
	int fd, match = 1;
	ssize_t n;

	ctl_path(conf, path, sizeof(path));
	if (!path_is_daemons(conf, path))
		return -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "distguard: cannot reach the daemon at %s: %s\n",
		    path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (!listener_is_daemons(conf, path, fd)) {
		close(fd);
		return -1;
	}
	if (write(fd, cmd, strlen(cmd)) < 0 || write(fd, "\n", 1) < 0) {
		close(fd);
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		/* Compare the answer's first bytes with `expect` as they go. */
		size_t k;

		for (k = 0; seen < elen && k < (size_t)n; k++, seen++)
			if (buf[k] != expect[seen])
				match = 0;
		fwrite(buf, 1, (size_t)n, out);
	}
	close(fd);
	return match && seen == elen ? 0 : 1;
}
