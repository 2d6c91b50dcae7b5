/* SPDX-License-Identifier: Apache-2.0 */
/*
 * localguard.c - nftables rules keeping local processes off the nodes'
 * own ports, changed by a privileged helper (localguard.h).
 *
 * The helper is forked while the daemon is still root and keeps root: it
 * is the only part that does.  It reads fixed-size requests from a
 * SOCK_SEQPACKET socketpair, each a port to add or delete, and turns them
 * into nft commands it builds itself: the daemon cannot make it run any
 * other command, name another table, or touch another rule.  It exits,
 * deleting the table, when the daemon closes its end (or dies).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <nftables/libnftables.h>

#include "dg_log.h"
#include "localguard.h"

#define LG_REPLY_MS	3000	/* the helper answers in milliseconds */
#define LG_CMD_MAX	1024

struct localguard {
	int		fd;		/* -1: no helper */
	pid_t		pid;
	int		ready;
	char		why[LG_WHY_MAX];
};

int
localguard_table(uint16_t epmd_port, uid_t allowed, int owned, char *buf,
    size_t cap)
{
	int n;

	/* Only a connection's first packet (SYN without ACK) is judged:
	 * refused there, there is no connection; the packets of distguard's
	 * own connections leave the rule at the flags test.  "add" then
	 * "delete" in one transaction: a table left by a run
	 * that was killed goes, whether or not there was one.  "flags
	 * owner" binds the table to the helper's netlink socket: the kernel
	 * drops it when the helper dies, even by SIGKILL, so no dead run's
	 * table keeps refusing connections to ports that a later daemon
	 * hands out (the listener ports of another daemon on this host). */
	n = snprintf(buf, cap,
	    "add table inet distguard_%u\n"
	    "delete table inet distguard_%u\n"
	    "table inet distguard_%u {\n"
	    "%s"
	    "  set ports { type inet_service; }\n"
	    "  chain out {\n"
	    "    type filter hook output priority 0; policy accept;\n"
	    "    oifname \"lo\" tcp flags & (syn | ack) == syn "
	    "tcp dport @ports meta skuid != %u counter reject with tcp reset\n"
	    "  }\n"
	    "}\n", epmd_port, epmd_port, epmd_port,
	    owned ? "  flags owner;\n" : "", (unsigned)allowed);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

int
localguard_command(const struct lg_req *r, uint16_t epmd_port, char *buf,
    size_t cap)
{
	int n;

	if ((r->op != LG_OP_ADD && r->op != LG_OP_DEL) || r->pad != 0 ||
	    r->port == 0 || r->uid != 0 || r->conn != 0 || r->nlis != 0)
		return -1;
	n = snprintf(buf, cap, "%s element inet distguard_%u ports { %u }\n",
	    r->op == LG_OP_ADD ? "add" : "delete", epmd_port, r->port);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

int
localguard_owner_ok(const struct lg_req *r)
{
	uint32_t i;

	if (r->op != LG_OP_OWNER || r->pad != 0 || r->conn == 0 || r->nlis < 1 || r->nlis > LGSCAN_MAX_LISTEN)
		return 0;
	for (i = 0; i < r->nlis; i++)
		if (r->lis[i] == 0)
			return 0;
	return 1;
}

/* nft's error text, first line, printable, into why. */
static void
nft_reason(struct nft_ctx *nft, const char *what, char *why)
{
	const char *e = nft_ctx_get_error_buffer(nft);
	char line[LG_WHY_MAX];
	size_t i;

	snprintf(line, sizeof(line), "%s", e != NULL ? e : "");
	for (i = 0; line[i] != '\0'; i++)
		if (line[i] == '\n') {
			line[i] = '\0';
			break;
		} else if ((unsigned char)line[i] < 0x20)
			line[i] = ' ';
	/* Bounded so the format cannot truncate: the reason is a hint. */
	snprintf(why, LG_WHY_MAX, "%.60s: %.120s", what,
	    line[0] ? line : "nftables refused the command");
}

static int
nft_do(struct nft_ctx *nft, const char *cmd, const char *what, char *why)
{
	if (nft_run_cmd_from_buffer(nft, cmd) == 0)
		return 0;
	nft_reason(nft, what, why);
	return -1;
}

static void
helper_send(int fd, int ok, const char *why, const struct lgscan_result *o)
{
	struct lg_resp r;

	memset(&r, 0, sizeof(r));
	r.ok = (uint8_t)ok;
	if (!ok)
		snprintf(r.why, sizeof(r.why), "%s", why);
	if (o != NULL)
		r.owner = *o;
	(void)send(fd, &r, sizeof(r), MSG_NOSIGNAL);
}

static void
helper_reply(int fd, int ok, const char *why)
{
	helper_send(fd, ok, why, NULL);
}

/* LG_OP_OWNER: the scan of /proc, as root (lgscan.h). */
static void
helper_owner(int fd, const struct lg_req *r)
{
	struct lgscan_result res;

	if (!localguard_owner_ok(r)) {
		helper_reply(fd, 0, "scan: bad request");
		return;
	}
	if (lgscan_owner("/proc", (uid_t)r->uid, r->conn, r->lis,
	    (int)r->nlis, &res) == -1) {
		helper_reply(fd, 0, "scan: /proc cannot be read");
		return;
	}
	helper_send(fd, 1, NULL, &res);
}

/* Creates the table, owned by this helper's netlink socket where the
 * kernel can (5.12 and later); else unowned, with a warning. */
static int
helper_table(struct nft_ctx *nft, uint16_t epmd_port, uid_t allowed,
    char *why)
{
	char cmd[LG_CMD_MAX];

	localguard_table(epmd_port, allowed, 1, cmd, sizeof(cmd));
	if (nft_do(nft, cmd, "nftables: cannot create the table", why) == 0)
		return 0;
	localguard_table(epmd_port, allowed, 0, cmd, sizeof(cmd));
	if (nft_do(nft, cmd, "nftables: cannot create the table", why) == -1)
		return -1;
	log_warnx("local guard: the kernel cannot bind table inet "
	    "distguard_%u to its helper (flags owner): if the helper is "
	    "killed, the table stays until the next start", epmd_port);
	return 0;
}

/* The helper's whole life. */
static void __attribute__((noreturn))
helper_main(int fd, uint16_t epmd_port, uid_t allowed)
{
	char cmd[LG_CMD_MAX], why[LG_WHY_MAX];
	struct nft_ctx *nft;
	struct lg_req r;
	ssize_t n;

	/* Stopped by the daemon closing the socket, not by the signals
	 * meant for it: a Ctrl-C on the group must not leave the table. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	/* Nothing of the daemon's but the socket and the log. */
	if (fd > 3)
		close_range(3, (unsigned)fd - 1, 0);
	close_range((unsigned)fd + 1, ~0U, 0);
	if ((nft = nft_ctx_new(NFT_CTX_DEFAULT)) == NULL) {
		helper_reply(fd, 0, "nftables: cannot create a context");
		_exit(1);
	}
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	if (helper_table(nft, epmd_port, allowed, why) == -1) {
		helper_reply(fd, 0, why);
		nft_ctx_free(nft);
		_exit(1);
	}
	helper_reply(fd, 1, NULL);
	for (;;) {
		n = recv(fd, &r, sizeof(r), 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(r))
			break;	/* closed, or not a request: stop */
		if (r.op == LG_OP_OWNER) {
			helper_owner(fd, &r);
			continue;
		}
		if (localguard_command(&r, epmd_port, cmd, sizeof(cmd)) == -1) {
			helper_reply(fd, 0, "bad request");
			continue;
		}
		if (nft_do(nft, cmd, r.op == LG_OP_ADD ? "nftables: add" :
		    "nftables: delete", why) == -1)
			helper_reply(fd, 0, why);
		else
			helper_reply(fd, 1, NULL);
	}
	snprintf(cmd, sizeof(cmd), "delete table inet distguard_%u\n",
	    epmd_port);
	if (nft_do(nft, cmd, "nftables: delete table", why) == -1)
		log_warnx("local guard: %s", why);
	nft_ctx_free(nft);
	_exit(0);
}

/* One reply, exactly sized, within LG_REPLY_MS, into *r: 0, -1 when the
 * helper did not answer (gone or stuck), -2 when it answered no. */
static int
read_reply(struct localguard *g, struct lg_resp *rp, char *why)
{
	struct pollfd p = { g->fd, POLLIN, 0 };
	struct lg_resp tmp, *r = rp != NULL ? rp : &tmp;
	ssize_t n;
	int rc;

	do
		rc = poll(&p, 1, LG_REPLY_MS);
	while (rc == -1 && errno == EINTR);
	if (rc <= 0) {
		snprintf(why, LG_WHY_MAX, "the nftables helper did not answer");
		return -1;
	}
	n = recv(g->fd, r, sizeof(*r), MSG_DONTWAIT);
	if (n != (ssize_t)sizeof(*r)) {
		snprintf(why, LG_WHY_MAX, "the nftables helper is gone");
		return -1;
	}
	r->why[sizeof(r->why) - 1] = '\0';
	if (r->ok != 1) {
		snprintf(why, LG_WHY_MAX, "%s", r->why);
		return -2;
	}
	return 0;
}

struct localguard *
localguard_start(uint16_t epmd_port, uid_t allowed)
{
	struct localguard *g = calloc(1, sizeof(*g));
	int sp[2];

	if (g == NULL)
		log_fatalx("out of memory");
	g->fd = -1;
	if (geteuid() != 0) {
		snprintf(g->why, sizeof(g->why), "distguard was not started "
		    "as root, so it cannot change the packet filter");
		return g;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1) {
		snprintf(g->why, sizeof(g->why), "socketpair: %s",
		    strerror(errno));
		return g;
	}
	fflush(NULL);
	if ((g->pid = fork()) == -1) {
		snprintf(g->why, sizeof(g->why), "fork: %s", strerror(errno));
		close(sp[0]);
		close(sp[1]);
		return g;
	}
	if (g->pid == 0) {
		close(sp[0]);
		helper_main(sp[1], epmd_port, allowed);
	}
	close(sp[1]);
	g->fd = sp[0];
	if (read_reply(g, NULL, g->why) != 0) {
		close(g->fd);
		g->fd = -1;
		(void)waitpid(g->pid, NULL, 0);
		return g;
	}
	g->ready = 1;
	log_info("local guard: nftables table inet distguard_%u in place: "
	    "registered nodes' ports answer uid %u only", epmd_port,
	    (unsigned)allowed);
	return g;
}

int
localguard_ready(const struct localguard *g, const char **why)
{
	if (g == NULL) {
		*why = "local_guard was off when distguard started";
		return 0;
	}
	*why = g->why;
	return g->ready;
}

/* A failed exchange means the helper is gone or stuck: the guard stops
 * being ready, so later registrations are judged as unprotected. */
static int
request(struct localguard *g, const struct lg_req *rq, struct lg_resp *rp,
    char *why)
{
	int rc;

	if (!g->ready) {
		snprintf(why, LG_WHY_MAX, "%s", g->why);
		return -1;
	}
	if (send(g->fd, rq, sizeof(*rq), MSG_NOSIGNAL) != (ssize_t)sizeof(*rq)) {
		snprintf(why, LG_WHY_MAX, "the nftables helper is gone");
		g->ready = 0;
		snprintf(g->why, sizeof(g->why), "%s", why);
		return -1;
	}
	if ((rc = read_reply(g, rp, why)) == -1) {
		g->ready = 0;
		snprintf(g->why, sizeof(g->why), "%s", why);
	}
	return rc == 0 ? 0 : -1;
}

static int
port_request(struct localguard *g, uint8_t op, uint16_t port, char *why)
{
	struct lg_req r;

	memset(&r, 0, sizeof(r));
	r.op = op;
	r.port = port;
	return request(g, &r, NULL, why);
}

int
localguard_add(struct localguard *g, uint16_t port, char *why)
{
	return port_request(g, LG_OP_ADD, port, why);
}

int
localguard_del(struct localguard *g, uint16_t port, char *why)
{
	return port_request(g, LG_OP_DEL, port, why);
}

int
localguard_owner(struct localguard *g, uid_t uid, uint32_t conn,
    const uint32_t *lis, int nlis, struct lgscan_result *res, char *why)
{
	struct lg_resp resp;
	struct lg_req r;

	if (nlis < 1 || nlis > LGSCAN_MAX_LISTEN) {
		snprintf(why, LG_WHY_MAX, "%d listeners: 1..%d can be checked",
		    nlis, LGSCAN_MAX_LISTEN);
		return -1;
	}
	memset(&r, 0, sizeof(r));
	r.op = LG_OP_OWNER;
	r.uid = (uint32_t)uid;
	r.conn = conn;
	r.nlis = (uint32_t)nlis;
	memcpy(r.lis, lis, (size_t)nlis * sizeof(*lis));
	if (request(g, &r, &resp, why) == -1)
		return -1;
	*res = resp.owner;
	return 0;
}

void
localguard_stop(struct localguard *g)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i;

	if (g == NULL)
		return;
	if (g->fd != -1) {
		close(g->fd);
		/* It deletes the table, then exits: wait for that, bounded
		 * (libev may have reaped it already: ECHILD). */
		for (i = 0; i < 300; i++) {
			pid_t r = waitpid(g->pid, NULL, WNOHANG);

			if (r == g->pid || (r == -1 && errno == ECHILD))
				break;
			nanosleep(&ts, NULL);
		}
	}
	free(g);
}
