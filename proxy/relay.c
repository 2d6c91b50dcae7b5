/* SPDX-License-Identifier: Apache-2.0 */
/*
 * relay.c - moves frames between the legs once both handshakes are done,
 * and puts the filter on the path.
 *
 * Hot path, per read: bytes land in the daemon's scratch buffer
 * (scratch.h), through the source leg's operations (leg.h); frames are
 * split in place (filter/dist_frame.c); each frame gets its verdict from
 * filter/verdict.c (decoded once, judged by the guard of the node it goes
 * to), which this file performs: alerts, counters, the answer to the
 * sender, the close; forwarded ranges go out with one writev straight
 * from the scratch buffer.  Nothing is allocated per message, payloads are never copied or
 * parsed past the prefix a rule needs, and a large frame streams through
 * once decided.  Only what the destination does not take at once is copied
 * to its queue, and then the source is not read again until the queue has
 * drained (backpressure).
 *
 * The relay is direction-neutral: a frame read from one leg is judged by
 * the guard of the leg it goes to, when that leg leads to a node of ours
 * (session.h, filter/guard.h).  A frame from a node of ours is decoded
 * too: it must be well framed, and what the node asks (spawn, monitor,
 * unlink) and shows (pids, aliases) is noted in its guard, so that the
 * replies it is owed pass whatever the rules say.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "conf/conf.h"
#include "core/alert.h"
#include "dg_flags.h"
#include "dg_log.h"
#include "filter/dist_ctl.h"
#include "filter/guard.h"
#include "filter/nodes.h"
#include "filter/rewrite.h"
#include "filter/verdict.h"
#include "relay.h"
#include "scratch.h"
#include "session.h"

#define RELAY_IOV	256
#define INJECT_MAX	(64 * 1024)
/* Bytes queued towards the peer above which the peer is not read. */
#define RELAY_ANSWERS_MAX	(256 * 1024)

struct iov_batch {
	struct iovec	v[RELAY_IOV];
	int		n;
};

static void	relay_alert(const struct leg *, const char *, const char *, ...)
		    DG_PRINTF(3, 4);

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

/* Writes the batch to one leg (one writev, or sealed into records over a
 * link); what it does not take is queued.  Returns -1 when the session
 * had to close. */
static int
flush(struct leg *dst, struct iov_batch *b)
{
	int rc;

	if (b->n == 0)
		return 0;
	rc = dst->io->sendv(dst, b->v, b->n);
	b->n = 0;
	return rc;
}

/* A deny answer for a leg waits until the stream towards it (what the
 * other leg sends) is between frames. */
static void
inject_flush(struct leg *l)
{
	if (l->inject.len == 0 || l->other->in.skip_left != 0)
		return;
	if (l->io->send(l, l->inject.buf, l->inject.len) == -1)
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

/* ---- the guards of a session's nodes (filter/guard.h) ----------------- */

/*
 * The shares of a node's atom budget this session charges (nodes.h):
 * its remote's source address, and the cookie its peer proved (a link's
 * peers proved theirs to the other daemon: they share the link's).
 */
void
relay_share_keys(const struct session *s, char *src, size_t srclen,
    char *cookie, size_t cookielen)
{
	const struct dg_cookie *c;

	nodes_share_key((const struct sockaddr *)&s->peer_addr, src, srclen);
	if (s->peer->kind == LEG_LINK)
		snprintf(cookie, cookielen, "cookie (link)");
	else if ((c = conf_peer_cookie(s->conf, s->peer->name)) == NULL)
		snprintf(cookie, cookielen, "cookie (none)");
	else
		snprintf(cookie, cookielen, "cookie %s",
		    c->pattern ? c->pattern : "(default)");
}

/* Leg l leads to a node of ours: its guard learns whom it protects from
 * whom, and takes what the node disclosed to that peer on their last
 * connection (nodes.h). */
static void
guard_start(struct leg *l)
{
	struct session *s = l->s;
	struct guard *g = l->guard;

	g->node = l->name;
	g->peer = l->other->name;
	g->peer_local = l->other == s->peer && s->peer_local;
	relay_share_keys(s, g->share_src, sizeof(g->share_src),
	    g->share_cookie, sizeof(g->share_cookie));
	guard_sets_init(g, nodes_take_disclosed(s->d->nodes, l->name,
	    l->other->name, &g->disclosed, ev_now(s->d->loop)));
}

static void
guard_stop(struct leg *l)
{
	struct session *s = l->s;
	struct guard *g = l->guard;

	nodes_keep_disclosed(s->d->nodes, l->name, l->other->name,
	    &g->disclosed, ev_now(s->d->loop));
	guard_sets_free(g);
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
		/* The cookie share follows the configuration (a book already
		 * made keeps the shares it had). */
		relay_share_keys(s, l->guard->share_src,
		    sizeof(l->guard->share_src), l->guard->share_cookie,
		    sizeof(l->guard->share_cookie));
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

/* core/alert.h's renderer for a verdict's alert (filter/verdict.h). */
static void
render_vd_alert(const void *arg, char *buf, size_t len)
{
	(void)verdict_alert_render(arg, buf, len);
}

/* A verdict's alert, as relay_alert names it; its detail is rendered only
 * if the rate limit lets it through. */
static void
relay_alert_verdict(const struct leg *from, const struct vd_alert *a)
{
	struct session *s = from->s;

	alert_emit_lazy(s->d->alerts, a->event,
	    (struct sockaddr *)&s->peer_addr, from->name, from->other->name,
	    session_leg_direction(from->other), render_vd_alert, a);
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

/* ---- performing a verdict (filter/verdict.h) -------------------------- */

/*
 * What a verdict says besides its frame's fate, done in its order: the
 * alerts (the sender as the peer, the guarded node as ours), the
 * counters on the guarded node's row, the answer to the sender; then the
 * session closes for VD_DISCONNECT.  Returns -1 when it was closed.
 */
static int
verdict_perform(struct leg *src, const struct verdict *v)
{
	struct stats_row *row;
	int i;

	for (i = 0; i < v->nalerts; i++)
		relay_alert_verdict(src, &v->alerts[i]);
	if (v->nbumps > 0) {
		row = session_row(src->other);
		for (i = 0; i < v->nbumps; i++) {
			const struct vd_bump *b = &v->bumps[i];

			switch (b->what) {
			case VD_C_INVALID:
				row->invalid++;
				break;
			case VD_C_REPLIES:
				row->replies++;
				break;
			case VD_C_VERDICT:
				row->verdict[b->type][b->action]++;
				break;
			case VD_C_WOULD_DENY:
				row->would_deny[b->type]++;
				break;
			}
		}
	}
	if (v->answer != NULL)
		inject(src, v->answer, v->answer_len);
	if (v->kind == VD_DISCONNECT) {
		session_close(src->s, v->close_reason);
		return -1;
	}
	return 0;
}

/* ---- the spawn handler's frames (filter/rewrite.h) --------------------- */

/*
 * Rewritten frames wait here until the batch that points at them is
 * written or queued (flush copies what the socket does not take).
 * relay_process makes room before each frame.
 */
#define RELAY_REWRITTEN	(-3)
#define RELAY_HOLD	(-2)

/* Decides one frame from src (filter/verdict.c) and performs the
 * verdict: DF_FORWARD, DF_DROP, RELAY_HOLD when its first bytes are not
 * enough yet, RELAY_REWRITTEN, or -1 when the session was closed. */
static int
decide(struct leg *src, const struct df_frame *f)
{
	struct session *s = src->s;
	struct relay_dir *dir = &src->in;
	struct guard *jg = src->other->guard;	/* judges what src sends */
	const char *why = NULL;
	struct verdict v;
	struct vd_env e;
	int verdict, rc;
	struct relay_arena *arena = &s->d->scratch->arena;

	/* A reload applies from a message's first frame on. */
	if (jg != NULL && f->kind != DF_TICK && f->kind != DF_FRAG_CONT &&
	    follow_reload(s) == -1)
		return -1;
	e.judge = jg;
	e.sender = src->guard;
	e.nodes = s->d->nodes;
	e.seen = s->d->seen;
	e.conf = s->conf;
	e.flags = s->flags;
	e.now = ev_now(s->d->loop);
	e.scratch = &s->d->scratch->verdict;
	e.out = arena->buf + arena->used;
	e.out_cap = RELAY_ARENA - arena->used;
	verdict_frame(&dir->vd, &dir->df, &e, f, &v);
	if (v.kind == VD_HOLD)
		return RELAY_HOLD;
	if (verdict_perform(src, &v) == -1)
		return -1;
	if (v.kind == VD_REWRITE) {
		arena->p = v.frame;
		arena->n = v.frame_len;
		arena->used += v.frame_len;
		return RELAY_REWRITTEN;
	}
	verdict = v.kind == VD_FORWARD ? DF_FORWARD : DF_DROP;
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


/* A buffer of RELAY_HELD_MAX for a leg's undecided frame: a free slot of
 * the scratch (scratch.h), else malloc'd; NULL when memory ran out. */
static uint8_t *
held_take(struct dg_scratch *x)
{
	int i;

	if (x->held_used == UINT64_MAX)
		return malloc(RELAY_HELD_MAX);
	i = __builtin_ctzll(~x->held_used);
	x->held_used |= UINT64_C(1) << i;
	return x->held[i];
}

/* The frame was decided: its buffer goes back. */
static void
held_give(struct dg_scratch *x, struct relay_dir *dir)
{
	uint8_t *p = dir->held;

	dir->held = NULL;
	dir->held_len = 0;
	if (p == NULL)
		return;
	if (p >= x->held[0] && p < x->held[0] + sizeof(x->held))
		x->held_used &= ~(UINT64_C(1) <<
		    ((size_t)(p - x->held[0]) / RELAY_HELD_MAX));
	else
		free(p);
}

/* Keeps an undecided frame's first bytes for the next read.  Returns -1,
 * the session closed, when there is no memory for them. */
static int
hold(struct leg *src, const uint8_t *p, size_t n)
{
	struct relay_dir *dir = &src->in;

	/* n < RELAY_HELD_MAX: df_peek decides any frame with DF_WINDOW of
	 * its bytes present. */
	if (dir->held == NULL &&
	    (dir->held = held_take(src->s->d->scratch)) == NULL) {
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
	int rewrites = dst->guard != NULL && dst->guard->pol.rewrites;
	struct relay_arena *arena = &src->s->d->scratch->arena;
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
			if (dir->vd.walk_cur != NULL) {
				struct verdict v;

				verdict_skip(&dir->vd, buf + pos, take,
				    take == dir->skip_left, &v);
				if (verdict_perform(src, &v) == -1)
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
		if (rewrites && RELAY_ARENA - arena->used < REWRITE_MAX) {
			if (flush(dst, &batch) == -1)
				return -1;
			arena->used = 0;
		}
		if ((verdict = decide(src, &f)) == RELAY_HOLD) {
			if (hold(src, buf + pos, len - pos) == -1)
				return -1;
			break;
		}
		if (verdict == RELAY_REWRITTEN) {
			/* decide built it from the whole frame, which is here */
			iov_add(&batch, arena->p, arena->n);
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
	arena->used = 0;	/* written or queued: nothing points at it */
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
		session_close(s, src->why->closed);
}

/*
 * What src sent, through its operations into the scratch buffer behind
 * the held bytes, as long as its destination takes it: a plain leg's one
 * read, or a link's buffered records, as many as fit at a time.  What
 * stays (a link's records) is taken again when the destination drains
 * (relay_on_writable).
 */
static void
relay_drain(struct leg *src)
{
	struct session *s = src->s;
	struct relay_dir *dir = &src->in;
	uint8_t *buf = s->d->scratch->relay;
	size_t cap = sizeof(s->d->scratch->relay);

	while (!must_pause(src)) {
		size_t held = dir->held_len, n = 0;
		enum leg_fill r;

		if (held)
			memcpy(buf, dir->held, held);
		r = src->io->fill(src, buf + held, cap - held, &n);
		if (r == LEG_FILL_CLOSED)
			return;
		if (r == LEG_FILL_EOF) {
			source_ended(src);
			return;
		}
		if (r == LEG_FILL_NONE)
			break;
		dir->held_len = 0;
		if (relay_process(src, buf, held + n) == -1)
			return;
		if (dir->held_len == 0 && dir->held != NULL)
			held_give(s->d->scratch, dir);	/* decided */
		if (r == LEG_FILL_LAST)
			break;
	}
	if (must_pause(src))
		ev_io_stop(s->d->loop, &src->rd);
}

void
relay_on_readable(struct leg *src)
{
	if (!must_pause(src) && src->io->pull(src) == -1)
		return;
	relay_drain(src);
}

/* l's queue drained: its source may be read again. */
void
relay_on_writable(struct leg *l)
{
	struct session *s = l->s;

	if (l->other->eof) {
		session_close(s, l->other->why->closed);
		return;
	}
	inject_flush(l);
	/* l itself may have been paused for its unread answers. */
	if (l->other->guard != NULL && !l->eof)
		ev_io_start(s->d->loop, &l->rd);
	ev_io_start(s->d->loop, &l->other->rd);
	/* Bytes already buffered (a link's records) wait for no new ones. */
	if (l->other->io->buffered(l->other) > 0)
		relay_on_readable(l->other);
}

void
relay_start(struct session *s, const uint8_t *early, size_t n)
{
	const struct dg_conf *conf = s->conf;
	int i;

	s->teardown = relay_free;
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
			b.node_open = nodes_frag_open(s->d->nodes,
			    l->other->name);
			b.max_node_open = conf->max_frag_node;
			b.idle_ms = (uint64_t)conf->frag_idle * 1000;
			df_bound(&l->in.df, &b);
		}
		if (l->guard != NULL)
			guard_start(l);
		ev_io_start(s->d->loop, &l->rd);
	}
	if (n) {
		/* What the dialled leg sent right after its ack. */
		struct leg *src = &s->leg[HS_INI];
		uint8_t *buf = s->d->scratch->relay;

		memcpy(buf, early, n);
		if (relay_process(src, buf, n) == -1)
			return;
		if (must_pause(src))
			ev_io_stop(s->d->loop, &src->rd);
	}
	/* A link leg may hold the first records already. */
	for (i = 0; i < 2 && s->state != SESSION_CLOSED; i++)
		if (s->leg[i].io->buffered(&s->leg[i]) > 0)
			relay_on_readable(&s->leg[i]);
}

void
relay_free(struct session *s)
{
	int i;

	for (i = 0; i < 2; i++) {
		struct leg *l = &s->leg[i];

		held_give(s->d->scratch, &l->in);
		verdict_dir_free(&l->in.vd);
		df_release(&l->in.df);	/* the node freed its partial messages */
		free(l->in.df.seqs);
		l->in.df.seqs = NULL;
		if (l->guard != NULL)
			guard_stop(l);
	}
}
