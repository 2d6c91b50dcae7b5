/* SPDX-License-Identifier: Apache-2.0 */
/*
 * relay.c - moves frames between the legs once both handshakes are done,
 * and puts the filter on the path.
 *
 * Hot path, per read: bytes land in one static scratch buffer; frames are
 * split in place (filter/dist_frame.c); each frame's control message is
 * decoded once (filter/dist_ctl.c) and judged (filter/rules.c) on the way
 * to B; forwarded ranges go out with one writev straight from the scratch
 * buffer.  Nothing is allocated per message, payloads are never copied or
 * parsed past the prefix a rule needs, and a large frame streams through
 * once decided.  Only what the destination does not take at once is copied
 * to its queue, and then the source is not read again until the queue has
 * drained (backpressure).
 *
 * The relay is direction-neutral: a frame read from one leg is judged by
 * the guard of the leg it goes to, when that leg leads to a node of ours
 * (session.h).  A frame from a node of ours is decoded too: it must be
 * well framed, and what the node asks (spawn, monitor, unlink) and shows
 * (pids, aliases) is noted in its guard, so that the replies it is owed
 * pass whatever the rules say.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/alert.h"
#include "conf/conf.h"
#include "dg_etf.h"
#include "filter/atombook.h"
#include "filter/deny.h"
#include "filter/disclose.h"
#include "dg_flags.h"
#include "dg_log.h"
#include "core/seen.h"
#include "filter/dist_ctl.h"
#include "filter/rewrite.h"
#include "linkleg.h"
#include "guard.h"
#include "nodes.h"
#include "session.h"

#define RELAY_READ	(256 * 1024)
#define RELAY_HELD_MAX	(DF_WINDOW + 64)
#define RELAY_IOV	256
#define INJECT_MAX	(64 * 1024)
/* Bytes queued towards the peer above which the peer is not read. */
#define RELAY_ANSWERS_MAX	(256 * 1024)

static uint8_t	scratch[RELAY_HELD_MAX + RELAY_READ];

struct iov_batch {
	struct iovec	v[RELAY_IOV];
	int		n;
};

static void	relay_alert(const struct leg *, const char *, const char *, ...)
		    DG_PRINTF(3, 4);

/* ---- the atom budget (docs/FILTER.md 12) ------------------------------- */

/*
 * The distinct atoms a peer sent a local node, in frames that reached it
 * (filter/atombook.h).  One book per (local node, peer) pair, kept when
 * the connection closes: B's atom table never shrinks while B runs, and a
 * peer cut off for its atoms reconnects at once (any send does), so a
 * book per connection would let it start over.  The book holds at most
 * `budget` atoms: the connection closes before one more would pass.
 */
/*
 * The atoms of the message being decided, before the verdict: only those
 * the book does not hold yet.  Bounded: every atom takes two bytes at
 * least, and the decoder sees at most DF_WINDOW of a frame.
 */
#define MSG_ATOMS_MAX	(DF_WINDOW / 2 + 64)

/* The atoms point into the frame being decided, which stays put until
 * its verdict. */
static struct {
	struct atom_book	*book;
	uint64_t		 h[MSG_ATOMS_MAX];
	const uint8_t		*a[MSG_ATOMS_MAX];
	size_t			 n;
	int			 overflow;
} msg_atoms;

/* dc_opts.atom: one atom of the message (its tag byte, proven). */
static void
collect_atom(void *arg, const uint8_t *a)
{
	uint64_t h;

	(void)arg;
	if (atombook_has(&msg_atoms.book->book, a, &h))
		return;
	if (msg_atoms.n == MSG_ATOMS_MAX) {
		msg_atoms.overflow = 1;
		return;
	}
	msg_atoms.h[msg_atoms.n] = h;
	msg_atoms.a[msg_atoms.n++] = a;
}

/*
 * Enters the new atoms of a message that is to be forwarded.  Returns -1
 * (alerted, session closed, the message not forwarded) when that would
 * take the book past the budget.
 */
static int
atoms_charge(struct leg *src, struct guard *g)
{
	struct atom_book *bk = g->atoms;
	struct nodes_refusal r = { "message", 0, 0 };
	size_t i;

	if (bk == NULL || msg_atoms.book != bk || g->pol.atoms <= 0)
		return 0;
	for (i = 0; i < msg_atoms.n && !msg_atoms.overflow; i++)
		if (nodes_charge(bk, msg_atoms.h[i], msg_atoms.a[i],
		    g->pol.atoms, src->s->conf, &r) == -1)
			break;
	if (i == msg_atoms.n && !msg_atoms.overflow)
		return 0;
	if (r.budget == NULL)
		r.budget = "message (too many new atoms in one)";
	/* Which budget: the peer name's own, or one rotation cannot beat
	 * (the local node's, its source address's, its cookie's). */
	relay_alert(src, "filter.atom_flood", "atom budget of the %s spent: "
	    "more than %lld distinct atoms (%llu counted; this peer's name: "
	    "%llu); connection closed", r.budget, (long long)(r.bound ?
	    r.bound : g->pol.atoms), (unsigned long long)r.count,
	    (unsigned long long)bk->book.count);
	session_close(src->s, "atom budget exhausted");
	return -1;
}

/* ---- payloads walked to their end (issue 18 item 3) -------------------- */

/*
 * A message admitted on its first bytes (a send whose payload runs past
 * the 68 KiB window or the first fragment, or that was judged while its
 * frame was still arriving: dist_ctl.h DC_STREAM) is walked to its
 * end as its bytes pass (filter/term.h term_stream): its atoms go to the
 * budget as they come, a fun the code guard would refuse, or a term the
 * node would refuse, ends the connection before the message's last bytes
 * reach the node, which then drops what it held of it.
 *
 * ERTS interleaves the fragments of large messages from different
 * processes on one connection, so there is one walk per open fragment
 * sequence (and one for an unfragmented frame, whose walk ends with it):
 * at most max_fragment_sequences + 1 per direction.  A walker is ~4.2 KiB;
 * finished ones wait on a free list, so steady traffic allocates nothing
 * per message.  All are freed when the session ends.
 */
struct pwalk {
	struct term_stream	 ts;
	struct pwalk		*next;
	uint64_t		 seq;		/* its fragment sequence; 0: one frame */
	int			 last_frame;	/* the frame skipped ends the message */
	int			 funs;		/* a fun is refused (1), or only
						 * alerted: audit mode (2) */
	int			 fun_seen;	/* audit: 1 found, 2 alerted */
	enum dg_type		 type;
	struct atom_book	*book;		/* NULL: no budget */
	int64_t			 budget;
	const struct dg_conf	*conf;		/* the session's, for the budgets */
	const char		*bad;		/* why it must not reach the node */
	const char		*event;
};

static struct pwalk *
walk_find(struct relay_dir *dir, uint64_t seq)
{
	struct pwalk *w;

	for (w = dir->walks; w != NULL; w = w->next)
		if (w->seq == seq)
			return w;
	return NULL;
}

/* A walker from the free list, or a new one within the bound; NULL when
 * none may be had.  It is put on the list of walks in progress. */
static struct pwalk *
walk_get(struct relay_dir *dir)
{
	struct pwalk *w = dir->walk_free;

	if (w != NULL)
		dir->walk_free = w->next;
	else if (dir->walk_n > dir->df.max_seqs ||
	    (w = malloc(sizeof(*w))) == NULL)
		return NULL;
	else
		dir->walk_n++;
	w->next = dir->walks;
	dir->walks = w;
	return w;
}

/* The walk is over: back to the free list. */
static void
walk_end(struct relay_dir *dir, struct pwalk *w)
{
	struct pwalk **pp;

	for (pp = &dir->walks; *pp != NULL; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	if (dir->walk_cur == w)
		dir->walk_cur = NULL;
	w->next = dir->walk_free;
	dir->walk_free = w;
}

static void
walk_free_list(struct pwalk *w)
{
	struct pwalk *next;

	for (; w != NULL; w = next) {
		next = w->next;
		free(w);
	}
}

static void
walk_visit(void *arg, const uint8_t *t)
{
	struct pwalk *w = arg;
	struct nodes_refusal r = { "message", 0, 0 };
	uint64_t h;

	if (w->bad != NULL)
		return;
	if (t[0] == T_NEW_FUN || t[0] == T_EXPORT) {
		if (w->funs == 2 && w->fun_seen == 0)
			w->fun_seen = 1;
		else if (w->funs == 1) {
			w->bad = "a fun past the part of the message judged";
			w->event = "filter.code";
		}
		return;
	}
	if (w->book == NULL || atombook_has(&w->book->book, t, &h))
		return;
	/* The same charge as a message's first bytes: the peer name's book,
	 * and the node's, source's and cookie's budgets rotation cannot beat. */
	if (nodes_charge(w->book, h, t, w->budget, w->conf, &r) == -1) {
		w->bad = "more atoms than the budget past the part judged";
		w->event = "filter.atom_flood";
	}
}

/* Feeds n bytes of walk w; at the message's end (`ends`) the term must be
 * whole, and the walk is over.  Returns 0, or -1 (alerted, session
 * closed): nothing of these bytes may go. */
static int
walk_feed(struct leg *src, struct pwalk *w, const uint8_t *p, size_t n,
    int ends)
{
	struct term_visit v = { TV_FUNS | TV_ATOMS, walk_visit, w, NULL };
	size_t used;
	int rc;

	rc = term_stream_feed(&w->ts, p, n, &v, &used);
	if (rc == DG_EINVAL && w->bad == NULL) {
		w->bad = w->ts.why ? w->ts.why : "invalid payload";
		/* A broken arity claim: the request the rules judged is not
		 * the one ERTS would run. */
		w->event = w->ts.why != NULL &&
		    strcmp(w->ts.why, TS_WHY_CLAIM) == 0 ?
		    "filter.denied" : "filter.invalid";
	}
	if (w->bad == NULL && ends && rc != TS_DONE) {
		w->bad = "payload ends inside a term";
		w->event = "filter.invalid";
	}
	if (w->bad == NULL && ends && !term_stream_claims_met(&w->ts)) {
		w->bad = TS_WHY_CLAIM;
		w->event = "filter.denied";
	}
	if (w->fun_seen == 1) {
		/* Audit mode: the code guard's verdict, forwarded. */
		w->fun_seen = 2;
		session_row(src->other)->would_deny[w->type]++;
		relay_alert(src, "filter.would_deny", "deny %s: a fun past the "
		    "part of the message judged; forwarded (audit mode)",
		    dg_type_name(w->type));
	}
	if (w->bad == NULL) {
		if (ends)
			walk_end(&src->in, w);
		return 0;
	}
	relay_alert(src, w->event, "%s; connection closed before the "
	    "message's end reached the node", w->bad);
	walk_end(&src->in, w);
	session_close(src->s, "payload refused past its first bytes");
	return -1;
}

/* Starts the walk of m, admitted on its first bytes.  Returns DF_FORWARD,
 * DF_DROP (no walker may be had), or -1 (session closed). */
static int
walk_start(struct leg *src, const struct df_frame *f, const struct dist_msg *m,
    unsigned need)
{
	struct relay_dir *dir = &src->in;
	struct guard *g = src->other->guard;
	uint64_t seq = f->kind == DF_FRAG_FIRST && f->frag > 1 ? f->seq : 0;
	struct pwalk *w;
	int i;

	/* A first fragment reusing an open sequence's id: the framing check
	 * (df_commit) refuses it; its old walk is void either way. */
	if ((w = walk_find(dir, seq)) == NULL && (w = walk_get(dir)) == NULL) {
		/* More walks than open sequences: the framing bounds make
		 * this unreachable; refused rather than let pass unwalked. */
		relay_alert(src, "filter.undecidable", "more messages "
		    "admitted on their first bytes than walks: dropped");
		return DF_DROP;
	}
	term_stream_init(&w->ts);
	w->seq = seq;
	w->funs = (need & DC_NEED_FUNS) && !rules_funs_allowed(&g->pol, m);
	if (w->funs && g->pol.audit)
		w->funs = 2;
	w->fun_seen = 0;
	w->type = m->type;
	w->book = (need & DC_NEED_ATOMS) && g->pol.atoms > 0 ? g->atoms : NULL;
	w->budget = g->pol.atoms;
	w->conf = src->s->conf;
	w->bad = NULL;
	w->event = NULL;
	/* Argument lists judged on their header's count (dist_ctl.h). */
	for (i = 0; i < m->n_claims; i++)
		(void)term_stream_claim(&w->ts,
		    (uint64_t)(m->claim_at[i] - m->payload), m->claim_n[i]);
	/* This frame's end is the message's end only when unfragmented; what
	 * is not here of it (the payload was cut) is walked as it is skipped. */
	w->last_frame = seq == 0;
	dir->walk_cur = f->complete ? NULL : w;
	return walk_feed(src, w, m->payload,
	    (size_t)(f->terms_end - m->payload),
	    f->complete && seq == 0) == -1 ? -1 : DF_FORWARD;
}

/* A continuation of a walked sequence: its bytes here, and the rest of
 * it marked for the skip path.  Returns 0 or -1 (session closed). */
static int
walk_cont(struct leg *src, const struct df_frame *f)
{
	struct relay_dir *dir = &src->in;
	struct pwalk *w = walk_find(dir, f->seq);

	if (w == NULL || f->seq == 0)
		return 0;
	w->last_frame = f->frag == 1;
	dir->walk_cur = f->complete ? NULL : w;
	return walk_feed(src, w, f->terms, (size_t)(f->terms_end - f->terms),
	    f->complete && f->frag == 1);
}

/* ---- what a peer makes a node hold (docs/FILTER.md 20) ----------------- */

/*
 * A message about to reach a node of ours that makes it hold something
 * more (a monitor, a link, a spawn request): an alert at the threshold;
 * past the bound the connection closes (the node then drops everything
 * the peer made it hold: its monitors fire, its links break).  Returns
 * -1 when the session was closed.
 */
static int
held_check(struct leg *src, struct guard *g, const struct dist_msg *m)
{
	const struct dg_conf *c = src->s->conf;

	/* A peer without an atom budget may do everything anyway (allow_all,
	 * {default, allow}, {atoms, infinity}): trusted with this too. */
	if (g->pol.atoms <= 0)
		return 0;
	switch (held_charge(g, m, c->held_alert, c->held_max)) {
	case HELD_ALERT:
		relay_alert(src, "filter.held_budget", "this peer made the node "
		    "hold %llu monitors, links and spawn requests (alert at "
		    "%d, bound %d)", (unsigned long long)g->nheld,
		    c->held_alert, c->held_max);
		return 0;
	case HELD_REFUSE:
		relay_alert(src, "filter.held_budget", "refused %s: the node "
		    "holds %llu monitors, links and spawn requests for this "
		    "peer, the bound is %d; connection closed",
		    dist_op_name(m->op), (unsigned long long)g->nheld,
		    c->held_max);
		session_close(src->s, "held budget exhausted");
		return -1;
	default:
		return 0;
	}
}

/* A tick towards a node of ours: forwarded at most once per
 * tick_interval; a sustained flood alerts and closes. */
static int
tick_check(struct leg *src, struct guard *g)
{
	const struct dg_conf *c = src->s->conf;
	int r = tick_pass(g, ev_now(src->s->d->loop), c->tick_interval_ms,
	    c->tick_flood);

	if (r > 0)
		return DF_FORWARD;
	if (r == 0)
		return DF_DROP;
	relay_alert(src, "filter.tick_flood", "more than %d ticks in a second "
	    "past one per %d ms (%llu dropped); connection closed",
	    c->tick_flood, c->tick_interval_ms,
	    (unsigned long long)g->ticks_dropped);
	session_close(src->s, "tick flood");
	return -1;
}

/* ---- output ------------------------------------------------------------ */

static void
iov_add(struct iov_batch *b, const uint8_t *p, size_t n)
{
	if (n == 0)
		return;
	if (b->n > 0) {
		struct iovec *last = &b->v[b->n - 1];

		if ((uint8_t *)last->iov_base + last->iov_len == p) {
			last->iov_len += n;
			return;
		}
	}
	b->v[b->n].iov_base = (void *)p;
	b->v[b->n].iov_len = n;
	b->n++;
}

/* Writes the batch to one leg; what it does not take is queued.
 * Returns -1 when the session had to close. */
static int
flush(struct leg *dst, struct iov_batch *b)
{
	struct session *s = dst->s;
	struct outq *q = &dst->q;
	ssize_t w = 0;
	int i;

	if (b->n == 0)
		return 0;
	if (dst->link != NULL) {
		/* Over a link, sealed into records (linkleg.c). */
		i = linkleg_sendv(dst, b->v, b->n);
		b->n = 0;
		return i;
	}
	if (q->len == q->off) {
		w = writev(dst->fd, b->v, b->n);
		if (w < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				session_close(s, dst == s->peer ?
				    "write to peer failed" : "write to node failed");
				return -1;
			}
			w = 0;
		}
	}
	for (i = 0; i < b->n; i++) {
		size_t len = b->v[i].iov_len;

		if ((size_t)w >= len) {
			w -= (ssize_t)len;
			continue;
		}
		if (leg_send(dst, (uint8_t *)b->v[i].iov_base + w,
		    len - (size_t)w) == -1) {
			session_close(s, "out of memory");
			return -1;
		}
		w = 0;
	}
	b->n = 0;
	return 0;
}

/* A deny answer for a leg waits until the stream towards it (what the
 * other leg sends) is between frames. */
static void
inject_flush(struct leg *l)
{
	if (l->inject.len == 0 || l->other->in.skip_left != 0)
		return;
	if ((l->link != NULL ? linkleg_send(l, l->inject.buf, l->inject.len) :
	    leg_send(l, l->inject.buf, l->inject.len)) == -1)
		log_warnx("conn %llu: deny answer lost", (unsigned long long)l->s->id);
	l->inject.len = 0;
}

static void
inject(struct leg *l, const uint8_t *frame, size_t n)
{
	struct outq *q = &l->inject;

	if (q->len + n > INJECT_MAX) {
		log_warnx("conn %llu: too many deny answers pending; one dropped",
		    (unsigned long long)l->s->id);
		return;
	}
	if (q->len + n > q->cap) {
		uint8_t *nb = realloc(q->buf, INJECT_MAX);

		if (nb == NULL)
			return;
		q->buf = nb;
		q->cap = INJECT_MAX;
	}
	memcpy(q->buf + q->len, frame, n);
	q->len += n;
	inject_flush(l);
}

/* ---- judging one message for a node of ours ---------------------------- */

/* A reload applies to live connections from their next message; a side
 * the new configuration no longer admits is cut off, as it would be
 * refused if it connected now.  Returns -1 when the session was closed. */
static int
follow_reload(struct session *s)
{
	int i;

	if (s->conf == s->d->conf)
		return 0;
	conf_unref(s->conf);
	s->conf = s->d->conf;
	conf_ref(s->conf);
	for (i = 0; i < 2; i++) {
		struct leg *l = &s->leg[i];

		if (l->guard == NULL)
			continue;
		if (!rules_resolve(s->conf, l->name, l->other->name,
		    &l->guard->pol)) {
			session_close(s, "not admitted by the new configuration");
			return -1;
		}
		log_info("conn %llu %s -> %s: new configuration, policy: %s",
		    (unsigned long long)s->id, l->other->name, l->name,
		    l->guard->pol.desc);
	}
	return 0;
}

/* An alert about a session, naming both nodes: `from` as the sender (the
 * peer) and the leg it sends to as the protected node, with the direction
 * seen from that node (session_leg_direction). */
static void
relay_alert(const struct leg *from, const char *event, const char *fmt, ...)
{
	struct session *s = from->s;
	char detail[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	alert_emit_dir(s->d->alerts, event, (struct sockaddr *)&s->peer_addr,
	    from->name, from->other->name, session_leg_direction(from->other),
	    "%s", detail);
}

/* dist_frame refused the stream (and named the event): alert and close.
 * Returns -1, the session being closed. */
static int
framing_violation(struct leg *src, const char *why)
{
	struct session *s = src->s;
	char reason[64];

	/* Named as the session's peer and node, whichever leg it was. */
	relay_alert(s->peer, src->in.df.event ? src->in.df.event :
	    "filter.malformed", "from %s: %s", src->what, why);
	snprintf(reason, sizeof(reason), "protocol violation by the %s",
	    src->what);
	session_close(s, reason);
	return -1;
}

static void
span_text(struct dg_span sp, char *buf, size_t len)
{
	size_t n = sp.len < len - 1 ? sp.len : len - 1;

	memcpy(buf, sp.p, n);
	buf[n] = '\0';
}

static void
alert_denied(const struct leg *src, const struct dist_msg *m,
    const struct rules_verdict *v)
{
	char target[300] = "", mfa[600] = "", mod[256], fun[256], where[800];
	/* What the decoder could not read (an improper argument list) is
	 * the reason even where no rule looked at it. */
	const char *reason = v->reason ? v->reason : m->opaque_why;

	if (v->code) {
		/* The code guard: where the fun sat, and what allowed the rest. */
		dist_fun_where(m, where, sizeof(where));
		relay_alert(src, "filter.code", "%s %s: a fun in %s, and no "
		    "funs rule lets it through (decided by %s, line %d): op %s",
		    dg_action_name(v->action), dg_type_name(m->type), where,
		    v->what, v->line, dist_op_name(m->op));
		return;
	}
	if (m->has_name)
		span_text(m->name, target, sizeof(target));
	if (m->via != VIA_NONE) {
		span_text(m->exec_m, mod, sizeof(mod));
		span_text(m->exec_f, fun, sizeof(fun));
		snprintf(mfa, sizeof(mfa), "%s:%s/%d", mod, fun, m->exec_arity);
	}
	relay_alert(src, "filter.denied", "%s %s%s%s%s%s by %s (line %d)%s%s: op %s",
	    dg_action_name(v->action), dg_type_name(m->type),
	    target[0] ? " to " : "", target, mfa[0] ? " mfa " : "", mfa,
	    v->what, v->line, reason ? ", reason " : "",
	    reason ? reason : "", dist_op_name(m->op));
}

/* m's target as the seen table names it: a registered name, "M:F/A",
 * or "" (a pid or an alias).  Returns its length. */
static size_t
msg_target(const struct dist_msg *m, char *buf, size_t len)
{
	char mod[256], fun[256];
	int n;

	buf[0] = '\0';
	if (m->type == DG_T_SPAWN_REQUEST && m->via != VIA_NONE) {
		span_text(m->exec_m, mod, sizeof(mod));
		span_text(m->exec_f, fun, sizeof(fun));
		n = snprintf(buf, len, "%s:%s/%d", mod, fun, m->exec_arity);
		return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
	}
	if (!m->has_name)
		return 0;
	span_text(m->name, buf, len);
	return m->name.len < len ? m->name.len : len - 1;
}

/* Counts m in the daemon's table of what was seen (suggest's input).
 * Returns seen_note's answer. */
static int
note_seen(const struct leg *src, const struct dist_msg *m,
    enum seen_kind kind, int code)
{
	char target[600];
	size_t n;

	if (src->s->d->seen == NULL)
		return -1;
	n = msg_target(m, target, sizeof(target));
	return seen_note(src->s->d->seen, &src->other->guard->seen_last,
	    src->other->name, src->name,
	    m->type, target, n, kind, rules_profiles_of(m),
	    (m->disclosed ? SEEN_F_DISCLOSED : 0) | (code ? SEEN_F_FUN : 0),
	    ev_now(src->s->d->loop));
}

/* filter.would_deny alerts: each key's first, then at most this many a
 * second per connection and direction. */
#define AUDIT_ALERTS_PER_SEC	5

/* Audit mode let through what the rules refuse: alerted, rate-limited
 * (`first`: the first of its key). */
static void
alert_would_deny(const struct leg *src, const struct dist_msg *m,
    const struct rules_verdict *v, int first)
{
	struct guard *g = src->other->guard;
	double now = ev_now(src->s->d->loop);
	char target[600], where[800] = "";
	const char *reason = v->reason ? v->reason : m->opaque_why;

	if (now - g->audit_window >= 1.0) {
		g->audit_window = now;
		g->audit_alerts = 0;
	}
	if (first != 1 && g->audit_alerts >= AUDIT_ALERTS_PER_SEC) {
		g->audit_quiet++;
		return;
	}
	g->audit_alerts++;
	(void)msg_target(m, target, sizeof(target));
	if (v->code)
		dist_fun_where(m, where, sizeof(where));
	relay_alert(src, "filter.would_deny", "%s %s%s%s by %s (line %d)%s%s"
	    "%s%s: op %s; forwarded (audit mode)%s",
	    dg_action_name(v->action), dg_type_name(m->type),
	    target[0] ? " to " : "", target, v->what, v->line,
	    reason ? ", reason " : "", reason ? reason : "",
	    where[0] ? ", a fun in " : "", where, dist_op_name(m->op),
	    first == 1 ? ", first of its kind" : "");
}

/* P speaks for another node: drop, count, alert. */
static int
spoofed(const struct leg *src, const struct dist_msg *m, struct dg_span node,
    const char *what)
{
	char claimed[300];

	span_text(node, claimed, sizeof(claimed));
	session_row(src->other)->invalid++;
	relay_alert(src, "filter.spoofed_sender", "%s claims %s node %s",
	    dist_op_name(m->op), what, claimed);
	return DF_DROP;
}

/* Answers the sender as if the target of m did not exist (filter/deny.c). */
static void
deny_answer(struct leg *src, const struct dist_msg *m, int passthrough)
{
	static uint8_t reply[DENY_REPLY_MAX(DF_WINDOW)];	/* one loop, one user */
	int n;

	n = deny_reply(m, src->s->flags, passthrough, reply, sizeof(reply));
	if (n > 0)
		inject(src, reply, (size_t)n);
}

/* ---- the spawn handler (filter/rewrite.h) ------------------------------ */

/*
 * Rewritten frames wait here until the batch that points at them is
 * written or queued (flush copies what the socket does not take).
 * relay_process makes room before each frame.
 */
#define ARENA_SIZE	(4 * REWRITE_MAX)

static struct {
	uint8_t		 buf[ARENA_SIZE];
	size_t		 used;
	const uint8_t	*p;		/* the frame decide just built */
	size_t		 n;
} arena;

#define RELAY_REWRITTEN	(-3)

/*
 * An allowed code request (spawn, erpc, rex, net_kernel) under {handler,
 * spawn_request, Module}: built anew in the arena, or denied (alerted,
 * answered as a denial is) when it cannot be.  Returns RELAY_REWRITTEN,
 * DF_FORWARD (not a code request), DF_DROP, or -1 (session closed).
 */
static int
handle_spawn(struct leg *src, const struct df_frame *f,
    const struct dist_msg *m, int passthrough)
{
	struct session *s = src->s;
	struct guard *g = src->other->guard;
	const uint8_t *frame = f->terms - f->hdr_len - 4;
	const char *why = NULL;
	char mod[256], fun[256];
	int n;

	if (m->type != DG_T_SPAWN_REQUEST || m->via == VIA_NONE)
		return DF_FORWARD;
	if (!f->complete || f->kind != DF_MSG)
		why = "a spawn request too large to rewrite";
	else if ((n = rewrite_spawn(m, frame, 4 + (size_t)f->len,
	    (size_t)(f->terms - frame), passthrough, g->pol.handler,
	    src->name, arena.buf + arena.used, ARENA_SIZE - arena.used,
	    &why)) > 0) {
		arena.p = arena.buf + arena.used;
		arena.n = (size_t)n;
		arena.used += (size_t)n;
		return RELAY_REWRITTEN;
	}
	memcpy(mod, m->exec_m.p, m->exec_m.len < 255 ? m->exec_m.len : 255);
	mod[m->exec_m.len < 255 ? m->exec_m.len : 255] = '\0';
	memcpy(fun, m->exec_f.p, m->exec_f.len < 255 ? m->exec_f.len : 255);
	fun[m->exec_f.len < 255 ? m->exec_f.len : 255] = '\0';
	relay_alert(src, "filter.handler", "deny spawn_request mfa %s:%s/%d: "
	    "handler %s not applied: %s: op %s", mod, fun, m->exec_arity,
	    g->pol.handler, why, dist_op_name(m->op));
	session_row(src->other)->verdict[m->type][DG_DENY]++;
	deny_answer(src, m, passthrough);
	if (g->pol.disconnect) {
		session_close(s, "denied message, and the peer has {disconnect, true}");
		return -1;
	}
	return DF_DROP;
}

/* Judges a message from src by the guard of the node it goes to.
 * Returns DF_FORWARD, DF_DROP, or -1 when the session was closed. */
static int
judge(struct leg *src, int rc, const struct dist_msg *m, const char *why,
    int passthrough)
{
	struct session *s = src->s;
	struct guard *g = src->other->guard;
	struct rules_verdict v;

	if (follow_reload(s) == -1)
		return -1;
	if (rc != 0) {
		session_row(src->other)->invalid++;
		relay_alert(src, rc == DG_AGAIN ? "filter.undecidable" :
		    "filter.invalid", "%s", rc == DG_AGAIN ?
		    "control message or inspected payload does not fit the first "
		    "bytes of the frame" : why ? why : "invalid control message");
		if (g->pol.disconnect) {
			session_close(s, "violation, and the peer has {disconnect, true}");
			return -1;
		}
		return DF_DROP;
	}
	/* ERTS does not check that a sender pid belongs to the peer (spec
	 * 5.2): rules on names would mean nothing if the sender could speak
	 * for a third node. */
	if (m->has_from && !term_span_eq(m->from_node, src->name))
		return spoofed(src, m, m->from_node, "a sender");
	/* The same holds inside global's protocol, whose messages name the
	 * node they speak for. */
	if (m->claim_node.len > 0 && !term_span_eq(m->claim_node, src->name))
		return spoofed(src, m, m->claim_node, "a global message from");
	if (m->reply != REPLY_NONE &&
	    owed_match(g, m->key, m->reply != REPLY_SPAWN)) {
		session_row(src->other)->replies++;
		return DF_FORWARD;
	}
	rules_decide(&g->pol, m, &v);
	if (v.audit) {
		session_row(src->other)->would_deny[m->type]++;
		alert_would_deny(src, m, &v, note_seen(src, m, SEEN_WOULD_DENY,
		    v.code));
		return DF_FORWARD;
	}
	session_row(src->other)->verdict[m->type][v.action]++;
	(void)note_seen(src, m, v.action == DG_ALLOW ? SEEN_ALLOWED :
	    SEEN_DENIED, v.code);
	if (v.action == DG_ALLOW)
		return DF_FORWARD;
	alert_denied(src, m, &v);
	if (v.action == DG_DENY)
		deny_answer(src, m, passthrough);
	if (v.disconnect) {
		session_close(s, "denied message, and the peer has {disconnect, true}");
		return -1;
	}
	return DF_DROP;
}

#define RELAY_HOLD	GUARD_HOLD

/*
 * A message for a node of ours, judged by its guard: the verdict, the
 * atom budget, the spawn handler, what a local peer publishes.  Returns
 * DF_FORWARD, DF_DROP, RELAY_REWRITTEN, or -1 (session closed).
 */
static int
judge_for(struct leg *src, int rc, struct dist_msg *m, const char *why,
    const struct df_frame *f, const uint8_t *frame_end, int need)
{
	struct guard *g = src->other->guard;
	int passthrough = !src->in.df.header_mode, verdict;

	if (rc == 0 && (g->pol.needs & DC_NEED_IDS) && disclose_wanted(m))
		m->disclosed = disclose_has(&g->disclosed,
		    published_set(src->other), m);
	if (rc == 0 && m->type == DG_T_SPAWN_REQUEST && m->t_gl.len > 0)
		m->gl_handed = disclose_is_leader(&g->disclosed, m->t_gl.p);
	verdict = judge(src, rc, m, why, passthrough);
	if (verdict == DF_FORWARD && (need & DC_NEED_ATOMS) &&
	    atoms_charge(src, g) == -1)
		return -1;
	if (verdict == DF_FORWARD && rc == 0 && held_check(src, g, m) == -1)
		return -1;
	if (verdict == DF_FORWARD && rc == 0 && (need & DC_NEED_GLOBAL) &&
	    global_exchange_repeated(g, m)) {
		relay_alert(src, "filter.denied", "deny reg_send to "
		    "global_name_server: a second exchange of one sync, reason "
		    "not global's protocol; connection closed");
		session_close(src->s, "global sync out of order");
		return -1;
	}
	if (verdict == DF_FORWARD && rc == 0 && g->pol.handler != NULL)
		verdict = handle_spawn(src, f, m, passthrough);
	if (verdict == DF_FORWARD && rc == 0)
		peer_publishes(src, m, f, frame_end);
	return verdict;
}

/* Decides one frame from src: DF_FORWARD, DF_DROP, RELAY_HOLD when its
 * first bytes are not enough yet, RELAY_REWRITTEN, or -1 when the session
 * was closed. */
static int
decide(struct leg *src, const struct df_frame *f)
{
	struct session *s = src->s;
	struct relay_dir *dir = &src->in;
	struct guard *jg = src->other->guard;	/* judges what src sends */
	struct dist_msg m;
	const char *why = NULL;
	int verdict = DF_FORWARD, rc;

	if (f->kind == DF_TICK)
		return jg != NULL ? tick_check(src, jg) : DF_FORWARD;
	if (f->kind != DF_FRAG_CONT) {
		struct dc_opts o;
		const uint8_t *frame_end = f->terms + (f->len - f->hdr_len);

		/* Payload facts only where the policy's rules look at them. */
		o.need = jg ? jg->pol.needs & (DC_NEED_PIDSEND |
		    DC_NEED_GLOBAL | DC_NEED_FUNS | DC_NEED_ATOMS |
		    DC_NEED_BEHAV) : 0;
		o.frame_end = frame_end;
		o.final = f->decidable;
		o.atom = collect_atom;
		o.atom_arg = NULL;
		if (jg != NULL && f->kind == DF_FRAG_FIRST && f->frag > 1)
			o.need |= DC_MSG_GOES_ON;
		/* A send in the middle of arriving is judged on its first
		 * bytes and walked as the rest passes (walk_start), rather
		 * than held and copied until it is whole. */
		if (o.need & (DC_NEED_FUNS | DC_NEED_ATOMS))
			o.need |= DC_STREAM;
		if (o.need & DC_NEED_ATOMS) {
			if ((msg_atoms.book = atoms_of(src->other)) == NULL)
				o.need &= ~DC_NEED_ATOMS;	/* out of memory */
			msg_atoms.n = 0;
			msg_atoms.overflow = 0;
		}
		rc = dist_ctl_decode_x(f->terms, f->terms_end,
		    !dir->df.header_mode, &o, &m, &why);
		/* Decide as soon as the control part is in: a large frame then
		 * streams instead of being held until DF_WINDOW bytes came. */
		if (rc == DG_AGAIN && !f->decidable)
			return RELAY_HOLD;
		/* Decided early, the decoder saw only part of the frame: an op
		 * without a payload must still end where the frame ends. */
		if (rc == 0 && !m.has_payload && !f->complete) {
			rc = DG_EINVAL;
			why = "bytes after a control message that has no payload";
		}
		/* A node of ours sending: noted first, so that a frame held
		 * for its disclosures is not judged twice. */
		if (src->guard != NULL && rc == 0 &&
		    (verdict = note_sent(src, &m, f, frame_end)) == RELAY_HOLD)
			return RELAY_HOLD;
		if (jg != NULL)
			verdict = judge_for(src, rc, &m, why, f, frame_end, o.need);
		if (verdict == RELAY_REWRITTEN || verdict < 0)
			return verdict;
		/* Admitted on its first bytes: walked to its end. */
		if (verdict == DF_FORWARD && rc == 0 && jg != NULL &&
		    ((o.need & (DC_NEED_FUNS | DC_NEED_ATOMS)) ||
		    m.n_claims > 0) &&
		    m.payload != NULL && m.pl_state == PL_PREFIX &&
		    (verdict = walk_start(src, f, &m, o.need)) < 0)
			return -1;
	} else if (dir->walks != NULL && walk_cont(src, f) == -1)
		return -1;
	if (df_needs_table(&dir->df, f)) {
		/* The first fragmented message: only now does this direction
		 * need its sequence table. */
		struct df_seq *t = calloc((size_t)dir->df.max_seqs, sizeof(*t));

		if (t == NULL) {
			session_close(s, "out of memory");
			return -1;
		}
		df_attach(&dir->df, t);
	}
	if (f->kind == DF_FRAG_FIRST || f->kind == DF_FRAG_CONT) {
		rc = df_commit(&dir->df, f, (enum df_verdict)verdict, &why);
		if (rc < 0)
			return framing_violation(src, why);
		verdict = rc;
	}
	return verdict;
}

/* Keeps an undecided frame's first bytes for the next read.  Returns -1,
 * the session closed, when there is no memory for them. */
static int
hold(struct leg *src, const uint8_t *p, size_t n)
{
	struct relay_dir *dir = &src->in;

	/* n < RELAY_HELD_MAX: df_peek decides any frame with DF_WINDOW of
	 * its bytes present. */
	if (dir->held == NULL && (dir->held = malloc(RELAY_HELD_MAX)) == NULL) {
		session_close(src->s, "out of memory");
		return -1;
	}
	memcpy(dir->held, p, n);
	dir->held_len = n;
	return 0;
}

static void
row_frame(struct stats_row *row, int in, uint64_t total)
{
	if (in) {
		row->frames_in++;
		row->bytes_in += total;
	} else {
		row->frames_out++;
		row->bytes_out += total;
	}
}

static void
count_frame(struct leg *src, uint64_t total)
{
	struct session *s = src->s;

	/* "in": from the peer, towards the node the row is about. */
	row_frame(s->row, src == s->peer, total);
	/* Both nodes ours: the dialled one has its own row, the other way
	 * round. */
	if (s->peer_row != NULL)
		row_frame(s->peer_row, src == s->node, total);
}

/*
 * Splits buf into frames, judges them, forwards what passes to the other
 * leg.  buf is in the scratch buffer.  Returns -1 when the session was
 * closed.
 */
static int
relay_process(struct leg *src, const uint8_t *buf, size_t len)
{
	struct relay_dir *dir = &src->in;
	struct leg *dst = src->other;
	int rewrites = dst->guard != NULL && dst->guard->pol.handler != NULL;
	struct iov_batch batch;
	size_t pos = 0;

	batch.n = 0;
	dir->df.now_ms = (uint64_t)(ev_now(src->s->d->loop) * 1000);
	while (pos < len) {
		struct df_frame f;
		const char *why = NULL;
		uint64_t total;
		size_t take;
		int r, verdict;

		if (dir->skip_left) {
			take = dir->skip_left < len - pos ? dir->skip_left : len - pos;
			/* The walked message's bytes are walked before they
			 * go; its last ones go only once the walk is done. */
			if (dir->walk_cur != NULL) {
				struct pwalk *w = dir->walk_cur;
				int ends = take == dir->skip_left;

				if (ends)
					dir->walk_cur = NULL;
				if (walk_feed(src, w, buf + pos, take, ends &&
				    w->last_frame) == -1)
					return -1;
			}
			if (dir->skip_forward)
				iov_add(&batch, buf + pos, take);
			pos += take;
			dir->skip_left -= take;
			continue;
		}
		r = df_peek(&dir->df, buf + pos, len - pos, &f, &why);
		if (r == DG_AGAIN) {
			if (hold(src, buf + pos, len - pos) == -1)
				return -1;
			break;
		}
		if (r < 0)
			return framing_violation(src, why);
		/* Room for a rewritten frame: what points at the arena goes
		 * out (or to a queue) first. */
		if (rewrites && ARENA_SIZE - arena.used < REWRITE_MAX) {
			if (flush(dst, &batch) == -1)
				return -1;
			arena.used = 0;
		}
		if ((verdict = decide(src, &f)) == RELAY_HOLD) {
			if (hold(src, buf + pos, len - pos) == -1)
				return -1;
			break;
		}
		if (verdict == RELAY_REWRITTEN) {
			/* decide built it from the whole frame, which is here */
			iov_add(&batch, arena.p, arena.n);
			verdict = DF_DROP;
		} else if (verdict < 0)
			return -1;
		total = 4 + (uint64_t)f.len;
		take = total < len - pos ? (size_t)total : len - pos;
		if (verdict == DF_FORWARD)
			iov_add(&batch, buf + pos, take);
		pos += take;
		dir->skip_left = total - take;
		dir->skip_forward = verdict == DF_FORWARD;
		count_frame(src, total);
		if (batch.n == RELAY_IOV && flush(dst, &batch) == -1)
			return -1;
	}
	if (flush(dst, &batch) == -1)
		return -1;
	arena.used = 0;		/* written or queued: nothing points at it */
	inject_flush(dst);	/* dst may be between frames now */
	return 0;
}

/*
 * Should src not be read now?  While its destination has a queue; and,
 * when what src sends is judged, while too many of our answers to it wait
 * unread: a sender of denied requests that never reads would otherwise
 * grow that queue without bound.
 */
static int
must_pause(const struct leg *src)
{
	return outq_pending(&src->other->q) > 0 ||
	    (src->other->guard != NULL && outq_pending(&src->q) > RELAY_ANSWERS_MAX);
}

/* Either side closing closes both, after what was already read has
 * been delivered. */
static void
source_ended(struct leg *src)
{
	struct session *s = src->s;

	src->eof = 1;
	ev_io_stop(s->d->loop, &src->rd);
	if (outq_pending(&src->other->q) == 0)
		session_close(s, src == s->peer ? "peer closed" : "node closed");
}

/*
 * A link leg: what the socket has, then the records buffered, opened
 * into the scratch buffer behind the held bytes, as many as fit at a
 * time.  Records stay buffered while the destination is paused; they are
 * taken again when it drains (relay_on_writable).
 */
static void
link_readable(struct leg *src)
{
	struct session *s = src->s;
	struct relay_dir *dir = &src->in;

	if (!must_pause(src) && linkleg_pull(src) == -1)
		return;
	while (!must_pause(src)) {
		size_t held = dir->held_len, n = 0, len;
		enum linkleg_next nx = LINKLEG_NONE;

		if (held)
			memcpy(scratch, dir->held, held);
		while (held + n + LK_REC_MAX <= sizeof(scratch) &&
		    (nx = linkleg_next(src, scratch + held + n, LK_REC_MAX,
		    &len)) == LINKLEG_DATA)
			n += len;
		if (nx == LINKLEG_FAIL)
			return;
		if (n == 0)
			break;
		dir->held_len = 0;
		if (relay_process(src, scratch, held + n) == -1)
			return;
	}
	if (must_pause(src))
		ev_io_stop(s->d->loop, &src->rd);
	else if (src->link->eof && src->link->inlen == 0)
		source_ended(src);
}

void
relay_on_readable(struct leg *src)
{
	struct session *s = src->s;
	struct relay_dir *dir = &src->in;
	size_t held = dir->held_len;
	ssize_t n;

	if (src->link != NULL) {
		link_readable(src);
		return;
	}
	if (must_pause(src)) {
		ev_io_stop(s->d->loop, &src->rd);
		return;
	}
	if (held)
		memcpy(scratch, dir->held, held);
	n = read(src->fd, scratch + held, RELAY_READ);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		session_close(s, src == s->peer ? "peer read error" :
		    "node read error");
		return;
	}
	if (n == 0) {
		source_ended(src);
		return;
	}
	dir->held_len = 0;
	if (relay_process(src, scratch, held + (size_t)n) == -1)
		return;
	if (must_pause(src))
		ev_io_stop(s->d->loop, &src->rd);
}

/* l's queue drained: its source may be read again. */
void
relay_on_writable(struct leg *l)
{
	struct session *s = l->s;

	if (l->other->eof) {
		session_close(s, l->other == s->peer ? "peer closed" :
		    "node closed");
		return;
	}
	inject_flush(l);
	/* l itself may have been paused for its unread answers. */
	if (l->other->guard != NULL && !l->eof)
		ev_io_start(s->d->loop, &l->rd);
	ev_io_start(s->d->loop, &l->other->rd);
	/* Records already buffered wait for no new bytes. */
	if (l->other->link != NULL && l->other->link->inlen > 0)
		link_readable(l->other);
}

void
relay_start(struct session *s, const uint8_t *early, size_t n)
{
	const struct dg_conf *conf = s->conf;
	int i;

	for (i = 0; i < 2; i++) {
		struct leg *l = &s->leg[i];

		df_init(&l->in.df, s->flags, conf->max_frame, conf->max_frag_seqs,
		    conf->max_frag_bytes);
		l->in.df.early = 1;
		/* What l sends a node of ours stays in that node until each
		 * message's last fragment: bounded per connection and per
		 * node (docs/FILTER.md 10). */
		if (l->other->guard != NULL) {
			struct df_bounds b;

			b.max_open = conf->max_frag_open;
			b.node_open = nodes_frag_open(l->other->name);
			b.max_node_open = conf->max_frag_node;
			b.idle_ms = (uint64_t)conf->frag_idle * 1000;
			df_bound(&l->in.df, &b);
		}
		if (l->guard != NULL) {
			idset_init(&l->guard->owed, SESSION_OWED);
			if (!nodes_take_disclosed(l->name, l->other->name,
			    &l->guard->disclosed, ev_now(s->d->loop)))
				idset_init(&l->guard->disclosed,
				    IDSET_DEFAULT_MAX);
			idset_init(&l->guard->synced, SESSION_OWED);
			/* Never forgets: the held bound bounds it. */
			idset_init(&l->guard->held, UINT32_MAX / 4);
		}
		ev_io_start(s->d->loop, &l->rd);
	}
	if (n) {
		/* What the dialled leg sent right after its ack. */
		struct leg *src = &s->leg[HS_INI];

		memcpy(scratch, early, n);
		if (relay_process(src, scratch, n) == -1)
			return;
		if (must_pause(src))
			ev_io_stop(s->d->loop, &src->rd);
	}
	/* A link leg may hold the first records already. */
	for (i = 0; i < 2 && !s->closed; i++)
		if (s->leg[i].link != NULL && s->leg[i].link->inlen > 0)
			link_readable(&s->leg[i]);
}

void
relay_free(struct session *s)
{
	int i;

	for (i = 0; i < 2; i++) {
		struct leg *l = &s->leg[i];

		free(l->in.held);
		walk_free_list(l->in.walks);
		walk_free_list(l->in.walk_free);
		l->in.walks = l->in.walk_free = l->in.walk_cur = NULL;
		l->in.walk_n = 0;
		df_release(&l->in.df);	/* the node freed its partial messages */
		free(l->in.df.seqs);
		l->in.held = NULL;
		l->in.df.seqs = NULL;
		if (l->guard != NULL) {
			idset_free(&l->guard->owed);
			nodes_keep_disclosed(l->name, l->other->name,
			    &l->guard->disclosed, ev_now(s->d->loop));
			idset_free(&l->guard->synced);
			idset_free(&l->guard->held);
			book_release(l->guard);
		}
	}
}
