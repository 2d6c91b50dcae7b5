/*
 * ctl.c - the control socket: a Unix stream socket, mode 0600, that
 * answers one command per connection ("stats", "stats json", "reload",
 * "grant\tPEER\tSECONDS\tREASON\tRULES", "grants", "revoke ID") and
 * closes.  Grants name who asked by the socket peer's credentials
 * (SO_PEERCRED), which the kernel vouches for.  Local administration only; nothing on the network reaches
 * it.  Reads are bounded and deadlined like every other input.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "dg_ctl.h"
#include "dg_grant.h"
#include "dg_log.h"
#include "dg_privdrop.h"
#include "dg_stats.h"

/* A grant line carries RULES and a reason. */
#define CTL_LINE_MAX	(GRANT_RULES_MAX + GRANT_REASON_MAX + DG_MAX_NODE_BYTES + 64)
#define CTL_TIMEOUT	2.0

struct ctl {
	ev_io			 io;
	struct dg_daemon	*d;
	char			 path[108];
};

struct ctl_conn {
	ev_io			 rd, wr;
	ev_timer		 timer;
	struct ctl		*ctl;
	struct grant_who	 who;		/* SO_PEERCRED */
	char			 line[CTL_LINE_MAX];
	size_t			 len;
	char			*out;
	size_t			 outlen, outoff;
};

static void
cc_free(struct ctl_conn *c)
{
	struct ev_loop *loop = c->ctl->d->loop;

	ev_io_stop(loop, &c->rd);
	ev_io_stop(loop, &c->wr);
	ev_timer_stop(loop, &c->timer);
	close(c->rd.fd);
	free(c->out);
	free(c);
}

static void
cc_answer(struct ctl_conn *c, char *text, size_t len)
{
	c->out = text;
	c->outlen = len;
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

static void
cc_command(struct ctl_conn *c)
{
	struct dg_daemon *d = c->ctl->d;
	char *text;
	size_t len;

	if (strcmp(c->line, "stats") == 0 || strcmp(c->line, "stats json") == 0) {
		text = stats_render(d->stats, c->line[5] != '\0', &len);
		cc_answer(c, text, len);
	} else if (strcmp(c->line, "reload") == 0) {
		char err[4096];

		if ((text = malloc(sizeof(err) + 32)) == NULL) {
			cc_free(c);
			return;
		}
		if (daemon_reload(d, err, sizeof(err)) == 0)
			len = (size_t)snprintf(text, sizeof(err) + 32,
			    "reloaded\n");
		else
			len = (size_t)snprintf(text, sizeof(err) + 32,
			    "reload failed; old configuration kept\n%s", err);
		cc_answer(c, text, len);
	} else if (strncmp(c->line, "grant\t", 6) == 0) {
		cc_grant(c, c->line + 6);
	} else if (strcmp(c->line, "grants") == 0) {
		if ((text = grants_render(d->grants, &len)) == NULL) {
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
	ssize_t n;

	while (c->outoff < c->outlen) {
		n = write(w->fd, c->out + c->outoff, c->outlen - c->outoff);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			break;
		}
		c->outoff += (size_t)n;
	}
	cc_free(c);
}

static void
cc_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	cc_free((struct ctl_conn *)((char *)w - offsetof(struct ctl_conn, timer)));
}

static void
ctl_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl *ctl = (struct ctl *)w;
	struct ctl_conn *c;
	int fd;

	fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1)
		return;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	c->ctl = ctl;
	{
		struct ucred uc;
		socklen_t ulen = sizeof(uc);

		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &ulen) == 0) {
			c->who.uid = uc.uid;
			c->who.pid = uc.pid;
		} else {
			c->who.uid = (uid_t)-1;
			c->who.pid = -1;
		}
	}
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
		snprintf(buf, len, "/tmp/distguard.%u.ctl", conf->epmd_port);
	return buf;
}

/*
 * The socket is bound while the daemon is still root; it belongs to the
 * user the daemon is about to become, so that the daemon can remove it
 * when it stops (in a sticky /tmp only the owner may).  Root can always
 * connect; with mode 0600 nobody else but that user can.
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

struct ctl *
ctl_start(struct dg_daemon *d)
{
	struct ctl *ctl = calloc(1, sizeof(*ctl));
	struct sockaddr_un sun;
	mode_t old;
	int fd;

	if (ctl == NULL)
		fatalx("out of memory");
	ctl->d = d;
	ctl_path(d->conf, ctl->path, sizeof(ctl->path));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", ctl->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		goto fail;
	unlink(ctl->path);
	old = umask(077);	/* only the daemon's user may talk to it */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, 16) == -1) {
		umask(old);
		close(fd);
		goto fail;
	}
	umask(old);
	give_to_service_user(d->conf, ctl->path);
	ev_io_init(&ctl->io, ctl_accept, fd, EV_READ);
	ev_io_start(d->loop, &ctl->io);
	log_info("control socket %s", ctl->path);
	return ctl;
fail:
	log_warn("control socket %s", ctl->path);
	free(ctl);
	return NULL;
}

void
ctl_stop(struct ctl *ctl)
{
	if (ctl == NULL)
		return;
	ev_io_stop(ctl->d->loop, &ctl->io);
	close(ctl->io.fd);
	unlink(ctl->path);
	free(ctl);
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
