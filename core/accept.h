/* SPDX-License-Identifier: Apache-2.0 */
/*
 * accept.h - the one acceptor of the daemon's listening sockets: EPMD, the
 * nodes' and egress listeners, the link listener, metrics and the control
 * socket.  A listening socket watched on the loop, accepted from in a
 * bounded burst per wake-up, with the daemon's spare descriptor taken on
 * EMFILE/ENFILE and a pause instead of a spin; each connection goes through
 * its owner's admission callback (the gate) and then to its owner.
 */
#ifndef DG_ACCEPT_H
#define DG_ACCEPT_H

#include <ev.h>
#include <stdint.h>
#include <sys/socket.h>

/* Connections taken per wake-up of one listening socket: a fair share for
 * the loop's other descriptors under a connection flood. */
#define ACCEPT_BURST	64
/* Seconds a listening socket is not watched after running out of
 * descriptors: the loop does not spin on a readable socket it cannot
 * accept from, and sessions ending meanwhile give descriptors back. */
#define ACCEPT_PAUSE	1.0
/* The backlog when /proc/sys/net/core/somaxconn cannot be read: the
 * kernel's default since Linux 5.4. */
#define ACCEPT_BACKLOG_FALLBACK	4096

/* Who accepts: the label of the counters (metrics) and of the log lines. */
enum accept_kind {
	ACCEPT_EPMD,
	ACCEPT_INBOUND,		/* a node's filtering listener */
	ACCEPT_EGRESS,		/* an egress listener (loopback) */
	ACCEPT_LINK,
	ACCEPT_METRICS,
	ACCEPT_CONTROL,
	ACCEPT_KINDS
};

/* Counted per kind, for the life of the daemon (struct dg_daemon). */
struct accept_stats {
	uint64_t	admitted;	/* given to the owner */
	uint64_t	refused;	/* refused by the owner's gate */
	uint64_t	shed;		/* closed unread: no descriptor left */
	uint64_t	pauses;		/* accepting paused for lack of one */
};

struct dg_daemon;

/*
 * The owner's gate: 1 admits the connection from `sa`; 0 refuses it, the
 * callback having logged, alerted and counted what it owes, and the
 * acceptor closes the socket.  No byte has been read.
 */
typedef int	(*accept_admit_fn)(void *owner, const struct sockaddr *sa);
/* An admitted connection: the owner takes fd (non-blocking, close on
 * exec; TCP_NODELAY on TCP) and closes it when it fails.  Neither
 * callback may close or free the acceptor: the burst goes on after it. */
typedef void	(*accept_conn_fn)(void *owner, int fd,
		    const struct sockaddr_storage *ss);

struct acceptor {
	ev_io			 io;		/* first: the callback casts */
	ev_timer		 resume;	/* the pause after EMFILE */
	struct ev_loop		*loop;
	int			*reserve_fd;	/* the daemon's spare fd */
	struct accept_stats	*stats;
	accept_admit_fn		 admit;		/* NULL: every connection */
	accept_conn_fn		 conn;
	void			*owner;
	int			 backlog;
	int			 burst;		/* ACCEPT_BURST */
	double			 pause;		/* ACCEPT_PAUSE */
	int			 on;		/* started by its owner */
	char			 name[72];	/* "epmd", "listener b", ... */
};

/*
 * Sets up `a` for daemon `d` (its loop, spare descriptor and the counters
 * of `kind`); no socket yet.  backlog: the configuration's listen_backlog,
 * 0 for the default (accept_backlog).  name: the log lines' prefix.
 */
void	accept_init(struct acceptor *a, struct dg_daemon *d,
	    enum accept_kind kind, const char *name, int backlog,
	    accept_admit_fn admit, accept_conn_fn conn, void *owner);
/*
 * A TCP listening socket at sa (non-blocking, SO_REUSEADDR; v6only for an
 * IPv6 address: 0 lets "::" take IPv4 too), listened on with a's backlog,
 * and started.  Returns the fd, or -1 with errno kept (EADDRINUSE: the
 * caller may try another port).
 */
int	accept_listen(struct acceptor *a, const struct sockaddr *sa,
	    socklen_t len, int v6only);
/* A socket its owner made and bound (the control socket's Unix path):
 * listen(2) with a's backlog and start.  0, or -1 with errno (the owner
 * still owns fd then). */
int	accept_adopt(struct acceptor *a, int fd);
void	accept_start(struct acceptor *a);
/* Stops watching (and any pause); the socket stays open. */
void	accept_stop(struct acceptor *a);
/* Stops and closes the socket. */
void	accept_close(struct acceptor *a);
int	accept_fd(const struct acceptor *a);
/*
 * The listen(2) backlog: `configured` when above 0, else the host's
 * net.core.somaxconn, read once (the kernel caps every backlog at it, so
 * asking for less only drops connections of a burst the host could
 * queue; a queued connection costs memory only while it waits).
 */
int	accept_backlog(int configured);
/* "epmd", "inbound", ... (metrics labels). */
const char	*accept_kind_name(enum accept_kind);

#endif
