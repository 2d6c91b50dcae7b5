/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linkleg.c - link legs and the link listener (linkleg.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "core/accept.h"
#include "core/ban.h"
#include "core/alert.h"
#include "conf/conf.h"
#include "core/net.h"
#include "dg_log.h"
#include "link/link_conf.h"
#include "linkleg.h"
#include "scratch.h"
#include "session.h"

static const struct leg_io linkleg_io;
static int	linkleg_sendv(struct leg *, const struct iovec *, int);

static void
link_alert(struct leg *l, const char *alert, const char *detail)
{
	struct session *s = l->s;
	char reason[320];

	alert_emit_dir(s->d->alerts, alert, peer_sa(s),
	    s->peer->name[0] ? s->peer->name : NULL,
	    s->node->name[0] ? s->node->name : s->alive,
	    session_direction(s), "%s", detail);
	snprintf(reason, sizeof(reason), "link: %s: %s", alert, detail);
	session_close(s, reason);
}

/* ---- the receive buffers' pool -------------------------------------------- */

/* A buffer for a leg that has bytes to keep: the pool's last freed one
 * (with one busy link, always the same), else a new one. */
static struct linkleg_inbuf *
pool_take(struct dg_scratch *sc)
{
	struct linkleg_inbuf *b = sc->link_pool;

	if (b == NULL)
		return malloc(sizeof(*b));
	sc->link_pool = b->next;
	sc->link_pooled--;
	return b;
}

static void
pool_put(struct dg_scratch *sc, struct linkleg_inbuf *b)
{
	if (sc->link_pool_closed || sc->link_pooled >= LINKLEG_POOL_KEEP) {
		free(b);
		return;
	}
	b->next = sc->link_pool;
	sc->link_pool = b;
	sc->link_pooled++;
}

/* used bytes of the leg's buffer were taken; an emptied buffer goes back
 * to the pool at once (it held only ciphertext, already authenticated
 * and opened, or the exchange's public messages). */
static void
in_consumed(struct leg *l, size_t used)
{
	struct linkleg *k = l->link;

	k->off += used;
	k->inlen -= used;
	if (k->inlen == 0 && k->in != NULL) {
		pool_put(l->s->d->scratch, k->in);
		k->in = NULL;
		k->off = 0;
	}
}

/* Sends what the key exchange wrote; -1 when the session was closed. */
static int
send_exchange(struct leg *l)
{
	struct lk_hs *h = l->link->hs;

	if (h->out_len > 0 && session_leg_send(l, h->out, h->out_len) == -1) {
		session_close(l->s, "link: write failed");
		return -1;
	}
	h->out_len = 0;
	return 0;
}

int
linkleg_start(struct leg *l, enum lk_role role, const char *expect_host,
    void (*on_up)(struct leg *))
{
	struct session *s = l->s;
	const struct lk_conf *k = s->conf->link;
	struct lk_hs_params p;

	if (k == NULL || k->key == NULL) {
		session_close(s, "link: this host has no {host_key, ...}");
		return -1;
	}
	if ((l->link = calloc(1, sizeof(*l->link))) == NULL ||
	    (l->link->hs = calloc(1, sizeof(*l->link->hs))) == NULL) {
		session_close(s, "link: out of memory");
		return -1;
	}
	l->io = &linkleg_io;
	l->link->on_up = on_up;
	randombytes_buf(l->link->vcookie, sizeof(l->link->vcookie));
	memset(&p, 0, sizeof(p));
	p.role = role;
	p.self = k->key;
	p.cert = k->cert_len ? k->cert : NULL;
	p.cert_len = k->cert_len;
	p.trust = &k->trust;
	p.expect_host = expect_host;
	p.from = role == LK_RESPONDER ? peer_sa(s) : NULL;
	p.now = (uint64_t)time(NULL);
	/* Initiator ephemerals seen by this daemon's responders. */
	p.replay = s->d->link_replay;
	if (lk_hs_start(l->link->hs, &p) == LK_HS_EV_FAIL) {
		link_alert(l, l->link->hs->alert, l->link->hs->detail);
		return -1;
	}
	return send_exchange(l);
}

/* Feeds the key exchange what is buffered; the bytes past it stay. */
static int
drive_exchange(struct leg *l)
{
	struct linkleg *k = l->link;
	enum lk_hs_event ev;
	size_t used = 0;

	if (k->inlen == 0)
		return 0;
	ev = lk_hs_input(k->hs, k->in->b + k->off, k->inlen, &used);
	in_consumed(l, used);
	if (send_exchange(l) == -1)
		return -1;
	if (ev == LK_HS_EV_FAIL) {
		lk_hs_wipe(k->hs);
		link_alert(l, k->hs->alert, k->hs->detail);
		return -1;
	}
	if (ev == LK_HS_EV_UP) {
		if (lk_rec_init_suite(&k->rec, k->hs->suite, k->hs->key_tx,
		    k->hs->key_rx) == -1) {
			lk_hs_wipe(k->hs);
			link_alert(l, LK_ALERT_INTEGRITY, "the suite chosen "
			    "cannot run here");
			return -1;
		}
		lk_hs_wipe(k->hs);	/* the binding and identity stay */
		k->st = LINKLEG_RECORDS;
		log_info("conn %llu: link up with host %s%s, suite %d",
		    (unsigned long long)l->s->id, k->hs->binding.host,
		    k->hs->binding.by_cert ? " (by certificate)" : "",
		    k->rec.suite);
		k->on_up(l);
		if (l->s->state == SESSION_CLOSED)
			return -1;
	}
	return 0;
}

int
linkleg_pull(struct leg *l)
{
	struct linkleg *k = l->link;
	size_t room;
	ssize_t n;

	if (k->in == NULL &&
	    (k->in = pool_take(l->s->d->scratch)) == NULL) {
		session_close(l->s, "link: out of memory");
		return -1;
	}
	/* The partial record moves to the front only when a whole record
	 * no longer fits behind it: opened records are skipped, not moved,
	 * so most bytes are never copied inside this buffer. */
	if (k->off > 0 && sizeof(k->in->b) - k->off - k->inlen < LK_REC_SEAL_MAX) {
		memmove(k->in->b, k->in->b + k->off, k->inlen);
		k->off = 0;
	}
	room = sizeof(k->in->b) - k->off - k->inlen;
	if (room > 0) {
		n = read(l->fd, k->in->b + k->off + k->inlen, room);
		if (n > 0)
			k->inlen += (size_t)n;
		else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			in_consumed(l, 0);
			session_close(l->s, "link: read error");
			return -1;
		}
		if (n == 0)
			k->eof = 1;
	}
	in_consumed(l, 0);	/* nothing read: the buffer goes back */
	if (k->eof)
		return 0;
	if (k->st == LINKLEG_EXCHANGE && drive_exchange(l) == -1)
		return -1;
	return 1;
}

enum linkleg_next
linkleg_next(struct leg *l, uint8_t *out, size_t cap, size_t *outlen)
{
	struct linkleg *k = l->link;
	enum lk_rec_status st;
	size_t used = 0;

	for (;;) {
		if (k->st == LINKLEG_EXCHANGE || k->inlen == 0)
			return LINKLEG_NONE;
		st = lk_rec_open(&k->rec, k->in->b + k->off, k->inlen, &used,
		    out, cap, outlen);
		in_consumed(l, used);
		switch (st) {
		case LK_REC_AGAIN:
			if (used > 0)
				continue;	/* the stream header */
			return LINKLEG_NONE;
		case LK_REC_DATA:
		case LK_REC_CLOSED:
			if (st == LK_REC_CLOSED)
				k->eof = 1;
			if (*outlen > 0)
				return LINKLEG_DATA;
			if (st == LK_REC_CLOSED)
				return LINKLEG_NONE;
			continue;
		case LK_REC_FAIL:
			link_alert(l, k->rec.alert ? k->rec.alert :
			    LK_ALERT_INTEGRITY, k->rec.detail);
			return LINKLEG_FAIL;
		}
	}
}

/*
 * Plaintext gathered for one record, and the sealed records waiting for
 * one write (the daemon's scratch, sc): many small frames become few
 * records and one write.  Both are empty again when linkleg_sendv
 * returns.
 */

/* Seals n bytes at p as one record behind those waiting to be written. */
static int
seal_from(struct leg *l, struct dg_scratch *sc, const uint8_t *p, size_t n)
{
	struct linkleg *k = l->link;
	long w;

	if (sc->nsealed + lk_rec_seal_size(&k->rec, n) > sizeof(sc->seal)) {
		if (session_leg_send(l, sc->seal, sc->nsealed) == -1)
			return -1;
		sc->nsealed = 0;
	}
	w = lk_rec_seal(&k->rec, p, n, 0, sc->seal + sc->nsealed,
	    sizeof(sc->seal) - sc->nsealed);
	if (w < 0)
		return -1;
	sc->nsealed += (size_t)w;
	return 0;
}

static int
seal_plain(struct leg *l, struct dg_scratch *sc)
{
	if (sc->nplain == 0)
		return 0;
	if (seal_from(l, sc, sc->plain, sc->nplain) == -1)
		return -1;
	sc->nplain = 0;
	return 0;
}

static int
linkleg_sendv(struct leg *l, const struct iovec *v, int n)
{
	struct dg_scratch *sc = l->s->d->scratch;
	int i;

	sc->nplain = sc->nsealed = 0;
	for (i = 0; i < n; i++) {
		const uint8_t *p = v[i].iov_base;
		size_t len = v[i].iov_len;

		/* Large runs are sealed where they are, without a copy. */
		while (sc->nplain == 0 && len >= LK_REC_MAX / 4) {
			size_t take = len < LK_REC_MAX ? len : LK_REC_MAX;

			if (seal_from(l, sc, p, take) == -1)
				goto fail;
			p += take;
			len -= take;
		}
		while (len > 0) {
			size_t take = LK_REC_MAX - sc->nplain < len ?
			    LK_REC_MAX - sc->nplain : len;

			memcpy(sc->plain + sc->nplain, p, take);
			sc->nplain += take;
			p += take;
			len -= take;
			if (sc->nplain == LK_REC_MAX && seal_plain(l, sc) == -1)
				goto fail;
		}
	}
	if (seal_plain(l, sc) == -1 ||
	    (sc->nsealed > 0 && session_leg_send(l, sc->seal, sc->nsealed) == -1))
		goto fail;
	sc->nsealed = 0;
	return 0;
fail:
	sc->nplain = sc->nsealed = 0;
	session_close(l->s, "link: cannot seal or send");
	return -1;
}

int
linkleg_send(struct leg *l, const uint8_t *p, size_t n)
{
	struct iovec v;

	v.iov_base = (void *)p;
	v.iov_len = n;
	return linkleg_sendv(l, &v, 1);
}

void
linkleg_settle(struct leg *l)
{
	struct linkleg *k = l->link;

	if (k == NULL || k->hs == NULL)
		return;
	lk_hs_wipe(k->hs);
	free(k->hs);
	k->hs = NULL;
}

static void
linkleg_free(struct leg *l)
{
	struct linkleg *k = l->link;

	if (k == NULL)
		return;
	linkleg_settle(l);
	lk_rec_wipe(&k->rec);
	sodium_memzero(k->vcookie, sizeof(k->vcookie));
	if (k->in != NULL)
		pool_put(l->s->d->scratch, k->in);
	free(k);
	l->link = NULL;
}

/*
 * For the relay: the records buffered, opened into buf one after the
 * other while a whole one fits.  The socket is read by linkleg_pull
 * before, and the records left wait for the next call (the relay pauses
 * while the destination has a queue).
 */
static enum leg_fill
link_fill(struct leg *l, uint8_t *buf, size_t cap, size_t *n)
{
	enum linkleg_next nx = LINKLEG_NONE;
	size_t len;

	*n = 0;
	while (*n + LK_REC_MAX <= cap &&
	    (nx = linkleg_next(l, buf + *n, LK_REC_MAX, &len)) == LINKLEG_DATA)
		*n += len;
	if (nx == LINKLEG_FAIL)
		return LEG_FILL_CLOSED;
	if (*n > 0)
		return LEG_FILL_MORE;
	if (l->link->eof && l->link->inlen == 0)
		return LEG_FILL_EOF;
	return LEG_FILL_NONE;
}

static size_t
link_buffered(const struct leg *l)
{
	return l->link->inlen;
}

static const struct leg_io linkleg_io = {
	linkleg_pull, link_fill, link_buffered, linkleg_send, linkleg_sendv,
	linkleg_free
};

/* ---- the link listener --------------------------------------------------- */

/*
 * The link listener's gate (net_gate_pass, the path of the nodes'
 * listeners): its own pending budget, in total
 * and per source, so that links cannot take the nodes' handshake slots;
 * established connections per source; and a rate per source.  The rate
 * is what bounds the daemon's public-key work per source: each admitted
 * link costs at most one X25519 key pair, one X25519 product, one
 * Ed25519 signature and one seal (link/link_hs.c), and a source can have
 * at most link_rate of them a second.  TCP has already made the caller
 * prove its address (it answered our SYN-ACK), which is what WireGuard's
 * cookie reply adds to UDP; so no cookie round trip is needed here.  A
 * source over a cap or the rate counts a failure towards a ban.
 */
static int
link_admit(void *owner, const struct sockaddr *sa)
{
	struct dg_daemon *d = owner;
	struct net_gate g;

	memset(&g, 0, sizeof(g));
	g.what = "pending links";
	g.event = "link.refused";
	g.rate_event = "link.rate_limited";
	g.by_source = d->link_sources;
	g.count = &d->link_pending;
	g.max = d->conf->link_max_pending;
	g.max_per_source = d->conf->link_max_per_source;
	g.rate = d->link_rate;
	g.per_s = d->conf->link_rate;
	g.burst = 2 * d->conf->link_rate;
	g.bans = 1;
	g.max_established = d->conf->max_established_per_source;
	g.name = d->link_acc.name;
	g.dir = "link";
	g.ban_counts = "links refused or closed before the key exchange";
	g.ban_failures = d->conf->ban_failures;
	g.ban_window = d->conf->ban_window;
	g.ban_duration = d->conf->ban_duration;
	return net_gate_pass(d, &g, sa, 0);
}

static void
link_conn(void *owner, int fd, const struct sockaddr_storage *ss)
{
	struct dg_daemon *d = owner;

	d->link_admitted++;
	d->link_accepted(d, fd, ss);
}

int
linkleg_listen(struct dg_daemon *d, linkleg_accepted_fn accepted)
{
	const struct lk_conf *k = d->conf->link;

	if (k == NULL || k->key == NULL || k->listen.len == 0)
		return 0;
	d->link_accepted = accepted;
	accept_init(&d->link_acc, d, ACCEPT_LINK, "link", d->conf->listen_backlog,
	    link_admit, link_conn, d);
	if (accept_listen(&d->link_acc, (const struct sockaddr *)&k->listen.ss,
	    k->listen.len, 1) == -1) {
		log_warn("link: cannot listen on %s port %d", k->listen.text,
		    net_sockaddr_port((const struct sockaddr *)&k->listen.ss));
		return -1;
	}
	d->link_open = 1;
	log_info("link: listening on %s port %d", k->listen.text,
	    net_sockaddr_port((const struct sockaddr *)&k->listen.ss));
	return 0;
}

void
linkleg_listen_stop(struct dg_daemon *d)
{
	struct dg_scratch *sc = d->scratch;
	struct linkleg_inbuf *b;

	while (sc != NULL && (b = sc->link_pool) != NULL) {
		sc->link_pool = b->next;
		free(b);
	}
	if (sc != NULL) {
		sc->link_pooled = 0;
		sc->link_pool_closed = 1;
	}
	if (!d->link_open)
		return;
	accept_close(&d->link_acc);
	d->link_open = 0;
}
