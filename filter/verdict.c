/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verdict.c - the verdict on one frame (verdict.h).
 *
 * A frame towards a node of ours is decoded once (dist_ctl.c) and judged
 * by that node's guard: the spoofing check, the replies it is owed, the
 * rules (rules.c) or audit mode, the atom budget, what the peer makes it
 * hold, global's sync, the spawn handler (rewrite.c), and a payload
 * admitted on its first bytes is walked to its end as it passes.  A
 * frame from a node of ours is decoded too, and what it shows and asks
 * is noted in its own guard, so that the replies it is owed pass
 * whatever the rules say.
 *
 * Trusts nothing of the frame; trusts its caller for the framing
 * (df_peek's answer) and for the guards' policy (rules_resolve).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "dg_etf.h"
#include "core/seen.h"
#include "filter/atombook.h"
#include "filter/deny.h"
#include "filter/disclose.h"
#include "filter/dist_ctl.h"
#include "filter/nodes.h"
#include "filter/rewrite.h"
#include "filter/rules.h"
#include "filter/term.h"
#include "filter/verdict.h"

/* Internal answers, besides DF_FORWARD and DF_DROP. */
#define VD_CLOSED	(-1)		/* v->kind is VD_DISCONNECT */
#define VD_HELD		GUARD_HOLD	/* -2 */
#define VD_REWRITTEN	(-3)

static void	vd_alert(struct verdict *, const char *, const char *, ...)
		    DG_PRINTF(3, 4);

/* ---- what a verdict says, besides its kind ----------------------------- */

/*
 * The conversion at f, just past a '%': 's', 'S' (%.*s), 'd', 'D' (%lld),
 * 'U' (%llu) or '%'; *next is past it.  These are all vd_alert's formats
 * use; DG_PRINTF checks its arguments against them.  Anything else is
 * returned as it is, and neither recorded nor rendered.
 */
static inline int
vd_conv(const char *f, const char **next)
{
	if (f[0] == 'l' && f[1] == 'l' && (f[2] == 'd' || f[2] == 'u')) {
		*next = f + 3;
		return f[2] == 'd' ? 'D' : 'U';
	}
	if (f[0] == '.' && f[1] == '*' && f[2] == 's') {
		*next = f + 3;
		return 'S';
	}
	*next = f + (f[0] != '\0');
	return f[0];
}

/* Raises an alert: its format and arguments are kept, not rendered
 * (verdict.h, struct vd_alert). */
static void
vd_alert(struct verdict *v, const char *event, const char *fmt, ...)
{
	struct vd_alert *a;
	union vd_arg *x;
	const char *f;
	va_list ap;
	int n;

	if (v->nalerts == VD_ALERTS_MAX)
		return;		/* more than a frame raises: cannot happen */
	a = &v->alerts[v->nalerts++];
	a->event = event;
	a->fmt = fmt;
	a->nargs = 0;
	a->rendered = 0;
	va_start(ap, fmt);
	for (f = strchr(fmt, '%'); f != NULL && a->nargs < VD_ARGS_MAX;
	    f = strchr(f, '%')) {
		x = &a->args[a->nargs];
		switch (vd_conv(f + 1, &f)) {
		case 's':
			x->s.p = va_arg(ap, const char *);
			x->s.len = SIZE_MAX;
			break;
		case 'S':
			n = va_arg(ap, int);
			x->s.p = va_arg(ap, const char *);
			x->s.len = n > 0 ? (size_t)n : 0;
			break;
		case 'd':
			x->i = va_arg(ap, int);
			break;
		case 'D':
			x->i = va_arg(ap, long long);
			break;
		case 'U':
			x->u = va_arg(ap, unsigned long long);
			break;
		default:
			continue;	/* %%, or none of ours */
		}
		a->nargs++;
	}
	va_end(ap);
}

/* A copy of text t for an alert of v, where it outlives the caller's
 * stack; cut short if v has no room left for all of it (two per frame
 * at most, each shorter than VD_DETAIL_MAX: it has). */
static const char *
vd_keep(struct verdict *v, const char *t)
{
	size_t room = sizeof(v->kept) - v->nkept, n = strlen(t);
	char *p = v->kept + v->nkept;

	if (room == 0)
		return "";
	if (n > room - 1)
		n = room - 1;
	memcpy(p, t, n);
	p[n] = '\0';
	v->nkept += n + 1;
	return p;
}

/* Appends n bytes of p to buf[0..len) at *at, keeping room for the NUL. */
static void
vd_put(char *buf, size_t len, size_t *at, const char *p, size_t n)
{
	if (n > len - 1 - *at)
		n = len - 1 - *at;
	if (n == 0)
		return;
	memcpy(buf + *at, p, n);
	*at += n;
}

/* x in decimal, at the end of num[24]: returns where it starts. */
static const char *
vd_decimal(char *num, unsigned long long x, int neg)
{
	char *p = num + 23;

	*p = '\0';
	do
		*--p = (char)('0' + x % 10);
	while ((x /= 10) != 0);
	if (neg)
		*--p = '-';
	return p;
}

size_t
verdict_alert_render(const struct vd_alert *a, char *buf, size_t len)
{
	const union vd_arg *x;
	const char *f = a->fmt, *pct, *d;
	char num[24];
	size_t at = 0;
	int i = 0, c;

	while ((pct = strchr(f, '%')) != NULL) {
		vd_put(buf, len, &at, f, (size_t)(pct - f));
		c = vd_conv(pct + 1, &f);
		if (c == '%')
			vd_put(buf, len, &at, "%", 1);
		if ((c != 's' && c != 'S' && c != 'd' && c != 'D' &&
		    c != 'U') || i == a->nargs)
			continue;
		x = &a->args[i++];
		if (c == 's' || c == 'S') {
			/* As printf: a string ends at its NUL. */
			if (x->s.len > 0)
				vd_put(buf, len, &at, x->s.p,
				    x->s.len == SIZE_MAX ? strlen(x->s.p) :
				    strnlen(x->s.p, x->s.len));
			continue;
		}
		d = c == 'U' ? vd_decimal(num, x->u, 0) : x->i < 0 ?
		    vd_decimal(num, 0 - (unsigned long long)x->i, 1) :
		    vd_decimal(num, (unsigned long long)x->i, 0);
		vd_put(buf, len, &at, d, strlen(d));
	}
	vd_put(buf, len, &at, f, strlen(f));
	buf[at] = '\0';
	return at;
}

const char *
verdict_alert_text(struct vd_alert *a)
{
	if (!a->rendered) {
		(void)verdict_alert_render(a, a->detail, sizeof(a->detail));
		a->rendered = 1;
	}
	return a->detail;
}

static void
vd_bump(struct verdict *v, enum vd_counter what, int type, int action)
{
	if (v->nbumps == VD_BUMPS_MAX)
		return;
	v->bumps[v->nbumps].what = what;
	v->bumps[v->nbumps].type = type;
	v->bumps[v->nbumps].action = action;
	v->nbumps++;
}

/* The connection must close: returns VD_CLOSED. */
static int
vd_close(struct verdict *v, const char *reason)
{
	v->kind = VD_DISCONNECT;
	v->close_reason = reason;
	return VD_CLOSED;
}

/* ---- the atom budget (docs/FILTER.md 12) ------------------------------- */

/*
 * The distinct atoms a peer sent a local node, in frames that reached it
 * (filter/atombook.h).  One book per (local node, peer) pair, kept in the
 * table of nodes when the connection closes: B's atom table never
 * shrinks while B runs, and a peer cut off for its atoms reconnects at
 * once (any send does), so a book per connection would let it start
 * over.  The book holds at most `budget` atoms: the connection closes
 * before one more would pass.
 */

/* dc_opts.atom: one atom of the message (its tag byte, proven).  The
 * atoms point into the frame being decided, which stays put until its
 * verdict. */
static void
collect_atom(void *arg, const uint8_t *a)
{
	struct vd_scratch *sc = arg;
	uint64_t h;

	if (atombook_has(&sc->book->book, a, &h))
		return;
	if (sc->n == VD_MSG_ATOMS_MAX) {
		sc->overflow = 1;
		return;
	}
	sc->h[sc->n] = h;
	sc->a[sc->n++] = a;
}

/*
 * Enters the new atoms of a message that is to be forwarded.  Returns
 * VD_CLOSED (alerted, the message not forwarded) when that would take
 * the book past the budget, else 0.
 */
static int
atoms_charge(const struct vd_env *e, struct verdict *v)
{
	struct guard *g = e->judge;
	struct vd_scratch *sc = e->scratch;
	struct atom_book *bk = g->atoms;
	struct nodes_refusal r = { "message", 0, 0 };
	size_t i;

	if (bk == NULL || sc->book != bk || g->pol.atoms <= 0)
		return 0;
	for (i = 0; i < sc->n && !sc->overflow; i++)
		if (nodes_charge(bk, sc->h[i], sc->a[i], g->pol.atoms,
		    e->conf, &r) == -1)
			break;
	if (i == sc->n && !sc->overflow)
		return 0;
	if (r.budget == NULL)
		r.budget = "message (too many new atoms in one)";
	/* Which budget: the peer name's own, or one rotation cannot beat
	 * (the local node's, its source address's, its cookie's). */
	vd_alert(v, "filter.atom_flood", "atom budget of the %s spent: "
	    "more than %lld distinct atoms (%llu counted; this peer's name: "
	    "%llu); connection closed", r.budget, (long long)(r.bound ?
	    r.bound : g->pol.atoms), (unsigned long long)r.count,
	    (unsigned long long)bk->book.count);
	return vd_close(v, "atom budget exhausted");
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
 * per message.  All are freed when the connection ends.
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
walk_find(struct vd_dir *d, uint64_t seq)
{
	struct pwalk *w;

	for (w = d->walks; w != NULL; w = w->next)
		if (w->seq == seq)
			return w;
	return NULL;
}

/* A walker from the free list, or a new one within the bound; NULL when
 * none may be had.  It is put on the list of walks in progress. */
static struct pwalk *
walk_get(struct vd_dir *d, int max_seqs)
{
	struct pwalk *w = d->walk_free;

	if (w != NULL)
		d->walk_free = w->next;
	else if (d->walk_n > max_seqs || (w = malloc(sizeof(*w))) == NULL)
		return NULL;
	else
		d->walk_n++;
	w->next = d->walks;
	d->walks = w;
	return w;
}

/* The walk is over: back to the free list. */
static void
walk_end(struct vd_dir *d, struct pwalk *w)
{
	struct pwalk **pp;

	for (pp = &d->walks; *pp != NULL; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	if (d->walk_cur == w)
		d->walk_cur = NULL;
	w->next = d->walk_free;
	d->walk_free = w;
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

void
verdict_dir_free(struct vd_dir *d)
{
	walk_free_list(d->walks);
	walk_free_list(d->walk_free);
	d->walks = d->walk_free = d->walk_cur = NULL;
	d->walk_n = 0;
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
 * whole, and the walk is over.  Returns 0, or VD_CLOSED (alerted):
 * nothing of these bytes may go. */
static int
walk_feed(struct vd_dir *d, struct pwalk *w, const uint8_t *p, size_t n,
    int ends, struct verdict *v)
{
	struct term_visit tv = { TV_FUNS | TV_ATOMS, walk_visit, w, NULL };
	size_t used;
	int rc;

	rc = term_stream_feed(&w->ts, p, n, &tv, &used);
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
		vd_bump(v, VD_C_WOULD_DENY, w->type, 0);
		vd_alert(v, "filter.would_deny", "deny %s: a fun past the "
		    "part of the message judged; forwarded (audit mode)",
		    dg_type_name(w->type));
	}
	if (w->bad == NULL) {
		if (ends)
			walk_end(d, w);
		return 0;
	}
	vd_alert(v, w->event, "%s; connection closed before the "
	    "message's end reached the node", w->bad);
	walk_end(d, w);
	return vd_close(v, "payload refused past its first bytes");
}

/* Starts the walk of m, admitted on its first bytes.  Returns DF_FORWARD,
 * DF_DROP (no walker may be had), or VD_CLOSED. */
static int
walk_start(struct vd_dir *d, const struct df_dir *df, const struct vd_env *e,
    const struct df_frame *f, const struct dist_msg *m, unsigned need,
    struct verdict *v)
{
	struct guard *g = e->judge;
	uint64_t seq = f->kind == DF_FRAG_FIRST && f->frag > 1 ? f->seq : 0;
	struct pwalk *w;
	int i;

	/* A first fragment reusing an open sequence's id: the framing check
	 * (df_commit) refuses it; its old walk is void either way. */
	if ((w = walk_find(d, seq)) == NULL &&
	    (w = walk_get(d, df->max_seqs)) == NULL) {
		/* More walks than open sequences: the framing bounds make
		 * this unreachable; refused rather than let pass unwalked. */
		vd_alert(v, "filter.undecidable", "more messages "
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
	w->conf = e->conf;
	w->bad = NULL;
	w->event = NULL;
	/* Argument lists judged on their header's count (dist_ctl.h). */
	for (i = 0; i < m->n_claims; i++)
		(void)term_stream_claim(&w->ts,
		    (uint64_t)(m->claim_at[i] - m->payload), m->claim_n[i]);
	/* This frame's end is the message's end only when unfragmented; what
	 * is not here of it (the payload was cut) is walked as it is skipped. */
	w->last_frame = seq == 0;
	d->walk_cur = f->complete ? NULL : w;
	return walk_feed(d, w, m->payload, (size_t)(f->terms_end - m->payload),
	    f->complete && seq == 0, v) == VD_CLOSED ? VD_CLOSED : DF_FORWARD;
}

/* A continuation of a walked sequence: its bytes here, and the rest of
 * it marked for the skip path.  Returns 0 or VD_CLOSED. */
static int
walk_cont(struct vd_dir *d, const struct df_frame *f, struct verdict *v)
{
	struct pwalk *w = walk_find(d, f->seq);

	if (w == NULL || f->seq == 0)
		return 0;
	w->last_frame = f->frag == 1;
	d->walk_cur = f->complete ? NULL : w;
	return walk_feed(d, w, f->terms, (size_t)(f->terms_end - f->terms),
	    f->complete && f->frag == 1, v);
}

void
verdict_skip(struct vd_dir *d, const uint8_t *p, size_t n, int ends,
    struct verdict *v)
{
	struct pwalk *w = d->walk_cur;

	v->kind = VD_FORWARD;
	v->answer = NULL;
	v->close_reason = NULL;
	v->nalerts = v->nbumps = 0;
	v->nkept = 0;
	if (w == NULL)
		return;
	/* The walked message's bytes are walked before they go; its last
	 * ones go only once the walk is done. */
	if (ends)
		d->walk_cur = NULL;
	(void)walk_feed(d, w, p, n, ends && w->last_frame, v);
}

/* ---- what a peer makes a node hold (docs/FILTER.md 20) ----------------- */

/*
 * A message about to reach a node of ours that makes it hold something
 * more (a monitor, a link, a spawn request): an alert at the threshold;
 * past the bound the connection closes (the node then drops everything
 * the peer made it hold: its monitors fire, its links break).  Returns
 * VD_CLOSED or 0.
 */
static int
held_check(const struct vd_env *e, const struct dist_msg *m,
    struct verdict *v)
{
	struct guard *g = e->judge;
	const struct dg_conf *c = e->conf;

	/* A peer without an atom budget may do everything anyway (allow_all,
	 * {default, allow}, {atoms, infinity}): trusted with this too. */
	if (g->pol.atoms <= 0)
		return 0;
	switch (guard_held_charge(g, m, c->held_alert, c->held_max)) {
	case HELD_ALERT:
		vd_alert(v, "filter.held_budget", "this peer made the node "
		    "hold %llu monitors, links and spawn requests (alert at "
		    "%d, bound %d)", (unsigned long long)g->nheld,
		    c->held_alert, c->held_max);
		return 0;
	case HELD_REFUSE:
		vd_alert(v, "filter.held_budget", "refused %s: the node "
		    "holds %llu monitors, links and spawn requests for this "
		    "peer, the bound is %d; connection closed",
		    dist_op_name(m->op), (unsigned long long)g->nheld,
		    c->held_max);
		return vd_close(v, "held budget exhausted");
	default:
		return 0;
	}
}

/* A tick towards a node of ours: forwarded at most once per
 * tick_interval; a sustained flood alerts and closes. */
static int
tick_check(const struct vd_env *e, struct verdict *v)
{
	struct guard *g = e->judge;
	const struct dg_conf *c = e->conf;
	int r = guard_tick_pass(g, e->now, c->tick_interval_ms, c->tick_flood);

	if (r > 0)
		return DF_FORWARD;
	if (r == 0)
		return DF_DROP;
	vd_alert(v, "filter.tick_flood", "more than %d ticks in a second "
	    "past one per %d ms (%llu dropped); connection closed",
	    c->tick_flood, c->tick_interval_ms,
	    (unsigned long long)g->ticks_dropped);
	return vd_close(v, "tick flood");
}

/* ---- alerts and the seen table ----------------------------------------- */

static void
alert_denied(const struct dist_msg *m, const struct rules_verdict *rv,
    struct verdict *v)
{
	char where[800];
	/* What the decoder could not read (an improper argument list) is
	 * the reason even where no rule looked at it. */
	const char *reason = rv->reason ? rv->reason : m->opaque_why;

	if (rv->code) {
		/* The code guard: where the fun sat, and what allowed the rest. */
		dist_fun_where(m, where, sizeof(where));
		vd_alert(v, "filter.code", "%s %s: a fun in %s, and no "
		    "funs rule lets it through (decided by %s, line %d): op %s",
		    dg_action_name(rv->action), dg_type_name(m->type),
		    vd_keep(v, where),
		    rv->what, rv->line, dist_op_name(m->op));
		return;
	}
	/* The frame's spans are kept as they are (verdict.h): no text is
	 * made here for an alert the rate limit may suppress.  An empty
	 * name is no target, as before. */
	if (m->via != VIA_NONE)
		vd_alert(v, "filter.denied", "%s %s%s%.*s mfa %.*s:%.*s/%d by "
		    "%s (line %d)%s%s: op %s", dg_action_name(rv->action),
		    dg_type_name(m->type),
		    m->has_name && m->name.len > 0 ? " to " : "",
		    m->has_name ? (int)m->name.len : 0, (const char *)m->name.p,
		    (int)m->exec_m.len, (const char *)m->exec_m.p,
		    (int)m->exec_f.len, (const char *)m->exec_f.p,
		    m->exec_arity, rv->what, rv->line,
		    reason ? ", reason " : "", reason ? reason : "",
		    dist_op_name(m->op));
	else
		vd_alert(v, "filter.denied", "%s %s%s%.*s by %s (line %d)%s%s: "
		    "op %s", dg_action_name(rv->action), dg_type_name(m->type),
		    m->has_name && m->name.len > 0 ? " to " : "",
		    m->has_name ? (int)m->name.len : 0, (const char *)m->name.p,
		    rv->what, rv->line, reason ? ", reason " : "",
		    reason ? reason : "", dist_op_name(m->op));
}

/* m's target as the seen table names it: a registered name, "M:F/A",
 * or "" (a pid or an alias).  Returns its length. */
static size_t
msg_target(const struct dist_msg *m, char *buf, size_t len)
{
	char num[24];
	const char *d;
	size_t at = 0;

	buf[0] = '\0';
	if (m->type == DG_T_SPAWN_REQUEST && m->via != VIA_NONE) {
		/* "M:F/A" without snprintf: this runs for every decision. */
		vd_put(buf, len, &at, (const char *)m->exec_m.p, m->exec_m.len);
		vd_put(buf, len, &at, ":", 1);
		vd_put(buf, len, &at, (const char *)m->exec_f.p, m->exec_f.len);
		vd_put(buf, len, &at, "/", 1);
		d = m->exec_arity < 0 ? vd_decimal(num,
		    0 - (unsigned long long)m->exec_arity, 1) :
		    vd_decimal(num, (unsigned long long)m->exec_arity, 0);
		vd_put(buf, len, &at, d, strlen(d));
		buf[at] = '\0';
		return at;
	}
	if (!m->has_name)
		return 0;
	vd_put(buf, len, &at, (const char *)m->name.p, m->name.len);
	buf[at] = '\0';
	return at;
}

/* Counts m in the daemon's table of what was seen (suggest's input).
 * Returns seen_note's answer. */
static int
note_seen(const struct vd_env *e, const struct dist_msg *m,
    enum seen_kind kind, int code)
{
	char target[600];
	size_t n;

	if (e->seen == NULL)
		return -1;
	n = msg_target(m, target, sizeof(target));
	return seen_note(e->seen, &e->judge->seen_last, e->judge->node,
	    e->judge->peer, m->type, target, n, kind, rules_profiles_of(m),
	    (m->disclosed ? SEEN_F_DISCLOSED : 0) | (code ? SEEN_F_FUN : 0),
	    e->now);
}

/* filter.would_deny alerts: each key's first, then at most this many a
 * second per connection and direction. */
#define AUDIT_ALERTS_PER_SEC	5

/* Audit mode let through what the rules refuse: alerted, rate-limited
 * (`first`: the first of its key). */
static void
alert_would_deny(const struct vd_env *e, const struct dist_msg *m,
    const struct rules_verdict *rv, int first, struct verdict *v)
{
	struct guard *g = e->judge;
	char target[600], where[800] = "";
	const char *reason = rv->reason ? rv->reason : m->opaque_why;

	if (e->now - g->audit_window >= 1.0) {
		g->audit_window = e->now;
		g->audit_alerts = 0;
	}
	/* A message with a fun is alerted every time, as the walk past a
	 * message's first bytes alerts it (walk_feed): whether the frame
	 * came whole or streamed must not decide if it is told. */
	if (first != 1 && !rv->code && m->pl_fun_at == NULL &&
	    g->audit_alerts >= AUDIT_ALERTS_PER_SEC) {
		g->audit_quiet++;
		return;
	}
	g->audit_alerts++;
	(void)msg_target(m, target, sizeof(target));
	/* A fun is named even where the rules refused the message before
	 * the code guard looked (no rule admits it, in audit mode): as the
	 * walk past a message's first bytes names it, so the operator
	 * learns of it however the frame arrived. */
	if (rv->code || m->pl_fun_at != NULL)
		dist_fun_where(m, where, sizeof(where));
	vd_alert(v, "filter.would_deny", "%s %s%s%s by %s (line %d)%s%s"
	    "%s%s: op %s; forwarded (audit mode)%s",
	    dg_action_name(rv->action), dg_type_name(m->type),
	    target[0] ? " to " : "", vd_keep(v, target), rv->what, rv->line,
	    reason ? ", reason " : "", reason ? reason : "",
	    where[0] ? ", a fun in " : "", vd_keep(v, where),
	    dist_op_name(m->op),
	    first == 1 ? ", first of its kind" : "");
}

/* P speaks for another node: drop, count, alert. */
static int
spoofed(const struct dist_msg *m, struct dg_span node, const char *what,
    struct verdict *v)
{
	vd_bump(v, VD_C_INVALID, 0, 0);
	vd_alert(v, "filter.spoofed_sender", "%s claims %s node %.*s",
	    dist_op_name(m->op), what, (int)(node.len < 299 ? node.len : 299),
	    (const char *)node.p);
	return DF_DROP;
}

/* Answers the sender as if the target of m did not exist (deny.c). */
static void
deny_answer(const struct vd_env *e, const struct dist_msg *m,
    int passthrough, struct verdict *v)
{
	int n;

	n = deny_reply(m, e->flags, passthrough, e->scratch->reply,
	    sizeof(e->scratch->reply));
	if (n > 0) {
		v->answer = e->scratch->reply;
		v->answer_len = (size_t)n;
	}
}

/* ---- the spawn handler (filter/rewrite.h) ------------------------------ */

/*
 * An allowed code request (spawn, erpc, rex, net_kernel) under {handler,
 * spawn_request, Module}: built anew in e->out, or denied (alerted,
 * answered as a denial is) when it cannot be.  Returns VD_REWRITTEN,
 * DF_FORWARD (not a code request), DF_DROP, or VD_CLOSED.
 */
static int
handle_spawn(const struct vd_env *e, const struct df_frame *f,
    const struct dist_msg *m, int passthrough, struct verdict *v)
{
	struct guard *g = e->judge;
	const uint8_t *frame = f->terms - f->hdr_len - 4;
	const char *why = NULL;
	int n;

	if (m->type != DG_T_SPAWN_REQUEST || m->via == VIA_NONE)
		return DF_FORWARD;
	if (!f->complete || f->kind != DF_MSG)
		why = "a spawn request too large to rewrite";
	else if ((n = rewrite_spawn(m, frame, 4 + (size_t)f->len,
	    (size_t)(f->terms - frame), passthrough, g->pol.handler,
	    g->peer, e->out, e->out_cap, &why)) > 0) {
		v->frame = e->out;
		v->frame_len = (size_t)n;
		return VD_REWRITTEN;
	}
	vd_alert(v, "filter.handler", "deny spawn_request mfa %.*s:%.*s/%d: "
	    "handler %s not applied: %s: op %s", (int)m->exec_m.len,
	    (const char *)m->exec_m.p, (int)m->exec_f.len,
	    (const char *)m->exec_f.p, m->exec_arity,
	    g->pol.handler, why, dist_op_name(m->op));
	vd_bump(v, VD_C_VERDICT, m->type, DG_DENY);
	deny_answer(e, m, passthrough, v);
	if (g->pol.disconnect)
		return vd_close(v, "denied message, and the peer has "
		    "{disconnect, true}");
	return DF_DROP;
}

/* ---- the message handlers (filter/rewrite.h, docs/FILTER.md 26) ------- */

/* A message under a handler that cannot take it: denied as the rules
 * deny, alerted filter.handler.  Returns DF_DROP or VD_CLOSED. */
static int
handler_refuse(const struct vd_env *e, const struct dist_msg *m,
    const char *module, const char *why, int passthrough, struct verdict *v)
{
	/* The name as the frame's span (alert_denied's way): nothing of
	 * this stack frame outlives it in the alert. */
	vd_alert(v, "filter.handler", "deny %s%s%.*s: handler %s not applied: "
	    "%s: op %s", dg_type_name(m->type),
	    m->has_name && m->name.len > 0 ? " to " : "",
	    m->has_name ? (int)m->name.len : 0, (const char *)m->name.p,
	    module, why, dist_op_name(m->op));
	vd_bump(v, VD_C_VERDICT, m->type, DG_DENY);
	deny_answer(e, m, passthrough, v);
	if (e->judge->pol.disconnect)
		return vd_close(v, "denied message, and the peer has "
		    "{disconnect, true}");
	return DF_DROP;
}

/*
 * An allowed message of a type under {handler, Type, Module}: rebuilt in
 * e->out as a spawn of Module's function with a ref the guard minted, or
 * denied when it cannot be.  Returns VD_REWRITTEN, DF_DROP or VD_CLOSED.
 */
static int
handle_message(const struct vd_env *e, const struct df_frame *f,
    const struct dist_msg *m, int passthrough, struct verdict *v)
{
	struct guard *g = e->judge;
	const char *module = g->pol.msg_handler[m->type];
	struct rewrite_refs *refs;
	const uint8_t *frame = f->terms - f->hdr_len - 4;
	const char *why = NULL;
	uint32_t id[3];
	int n;

	if (rewrite_message_fun(m->op) == NULL)
		return handler_refuse(e, m, module, m->op == DOP_SEND ||
		    m->op == DOP_SEND_TT ? "a send without its sender" :
		    "not a message a handler takes", passthrough, v);
	if (!f->complete || f->kind != DF_MSG)
		return handler_refuse(e, m, module, "a message in fragments "
		    "or too large to rewrite", passthrough, v);
	if ((refs = guard_minted(g)) == NULL)
		return handler_refuse(e, m, module, "out of memory for the "
		    "handler's refs", passthrough, v);
	if (rewrite_ref_mint(refs, id) == -1)
		return handler_refuse(e, m, module, "too many handler spawns "
		    "in flight", passthrough, v);
	n = rewrite_message(m, frame, 4 + (size_t)f->len,
	    (size_t)(f->terms - frame), passthrough, module, g->peer, id,
	    e->out, e->out_cap, &why);
	if (n <= 0) {
		/* Not sent: its ref is owed nothing. */
		refs->slot[id[0] % REWRITE_REFS_MAX] = 0;
		refs->n--;
		return handler_refuse(e, m, module, why, passthrough, v);
	}
	v->frame = e->out;
	v->frame_len = (size_t)n;
	return VD_REWRITTEN;
}

/*
 * What a node of ours sends about a message handler's spawn is the
 * guard's, not the peer's (who never asked), and goes nowhere: its
 * SPAWN_REPLY (a failed spawn alerted, and its slot freed), and the exit
 * signal of the link it asked for when the handler's process ends (its
 * slot freed: the bound is on processes alive).  Returns 1 when
 * swallowed.
 */
static int
handler_swallow(struct guard *g, const struct dist_msg *m, struct verdict *v)
{
	const uint8_t *q = m->ctl.p;
	struct dg_span err;
	int i;

	if (g->minted == NULL || g->minted->n == 0)
		return 0;
	switch (m->op) {
	case DOP_EXIT:
	case DOP_EXIT_TT:
	case DOP_PAYLOAD_EXIT:
	case DOP_PAYLOAD_EXIT_TT:
		return m->t_from.len > 0 && m->t_target.len > 0 &&
		    rewrite_ref_exited(g->minted, m->t_from, m->t_target);
	}
	if (m->reply != REPLY_SPAWN || m->key.len == 0)
		return 0;
	if (m->t_result.len > 0)	/* spawned: its slot waits for the EXIT */
		return rewrite_ref_spawned(g->minted, m->key.p, m->t_result,
		    m->t_from);
	if (!rewrite_ref_match(g->minted, m->key.p, 1))
		return 0;
	/* {31, ReqId, To, Flags, Result(, Token)}: Result is an error atom. */
	q += q[0] == T_SMALL_TUPLE ? 2 : 5;
	for (i = 0; i < 4; i++)
		q = term_next(q);
	if (term_atom(&q, &err) == -1)
		err.p = (const uint8_t *)"?", err.len = 1;
	vd_alert(v, "filter.handler", "a handler's spawn failed on the node: "
	    "%.*s; its reply swallowed", (int)err.len, (const char *)err.p);
	return 1;
}

/* ---- judging one message for a node of ours ---------------------------- */

/* Judges a message by the guard of the node it goes to.  Returns
 * DF_FORWARD, DF_DROP, or VD_CLOSED. */
static int
judge(const struct vd_env *e, int rc, const struct dist_msg *m,
    const char *why, int passthrough, struct verdict *v)
{
	struct guard *g = e->judge;
	struct rules_verdict rv;

	if (rc != 0) {
		vd_bump(v, VD_C_INVALID, 0, 0);
		vd_alert(v, rc == DG_AGAIN ? "filter.undecidable" :
		    "filter.invalid", "%s", rc == DG_AGAIN ?
		    "control message or inspected payload does not fit the first "
		    "bytes of the frame" : why ? why : "invalid control message");
		if (g->pol.disconnect)
			return vd_close(v, "violation, and the peer has "
			    "{disconnect, true}");
		return DF_DROP;
	}
	/* ERTS does not check that a sender pid belongs to the peer (spec
	 * 5.2): rules on names would mean nothing if the sender could speak
	 * for a third node. */
	if (m->has_from && !term_span_eq(m->from_node, g->peer))
		return spoofed(m, m->from_node, "a sender", v);
	/* The same holds inside global's protocol, whose messages name the
	 * node they speak for. */
	if (m->claim_node.len > 0 && !term_span_eq(m->claim_node, g->peer))
		return spoofed(m, m->claim_node, "a global message from", v);
	if (m->reply != REPLY_NONE &&
	    guard_owed_match(g, m->key, m->reply != REPLY_SPAWN)) {
		vd_bump(v, VD_C_REPLIES, 0, 0);
		return DF_FORWARD;
	}
	rules_decide(&g->pol, m, &rv);
	if (rv.audit) {
		vd_bump(v, VD_C_WOULD_DENY, m->type, 0);
		alert_would_deny(e, m, &rv, note_seen(e, m, SEEN_WOULD_DENY,
		    rv.code), v);
		return DF_FORWARD;
	}
	vd_bump(v, VD_C_VERDICT, m->type, rv.action);
	(void)note_seen(e, m, rv.action == DG_ALLOW ? SEEN_ALLOWED :
	    SEEN_DENIED, rv.code);
	if (rv.action == DG_ALLOW)
		return DF_FORWARD;
	alert_denied(m, &rv, v);
	if (rv.action == DG_DENY)
		deny_answer(e, m, passthrough, v);
	if (rv.disconnect)
		return vd_close(v, "denied message, and the peer has "
		    "{disconnect, true}");
	return DF_DROP;
}

/*
 * A message for a node of ours, judged by its guard: the verdict, the
 * atom budget, the spawn handler, what a local peer publishes.  Returns
 * DF_FORWARD, DF_DROP, VD_REWRITTEN, or VD_CLOSED.
 */
static int
judge_for(const struct vd_env *e, int passthrough, int rc,
    struct dist_msg *m, const char *why, const struct df_frame *f,
    const uint8_t *frame_end, unsigned need, struct verdict *v)
{
	struct guard *g = e->judge;
	int verdict;

	if (rc == 0 && (g->pol.needs & DC_NEED_IDS) && disclose_wanted(m))
		m->disclosed = disclose_has(&g->disclosed,
		    guard_published_set(g, e->nodes), m);
	if (rc == 0 && m->type == DG_T_SPAWN_REQUEST && m->t_gl.len > 0)
		m->gl_handed = disclose_is_leader(&g->disclosed, m->t_gl.p);
	verdict = judge(e, rc, m, why, passthrough, v);
	if (verdict == DF_FORWARD && (need & DC_NEED_ATOMS) &&
	    atoms_charge(e, v) == VD_CLOSED)
		return VD_CLOSED;
	if (verdict == DF_FORWARD && rc == 0 && held_check(e, m, v) == VD_CLOSED)
		return VD_CLOSED;
	if (verdict == DF_FORWARD && rc == 0 && (need & DC_NEED_GLOBAL) &&
	    guard_global_exchange_repeated(g, m)) {
		vd_alert(v, "filter.denied", "deny reg_send to "
		    "global_name_server: a second exchange of one sync, reason "
		    "not global's protocol; connection closed");
		return vd_close(v, "global sync out of order");
	}
	if (verdict == DF_FORWARD && rc == 0 && g->pol.handler != NULL)
		verdict = handle_spawn(e, f, m, passthrough, v);
	if (verdict == DF_FORWARD && rc == 0 &&
	    g->pol.msg_handler[m->type] != NULL)
		verdict = handle_message(e, f, m, passthrough, v);
	if (verdict == DF_FORWARD && rc == 0)
		guard_peer_publishes(g, e->nodes, m, f, frame_end);
	return verdict;
}

/* Decides a frame that starts a message (not a continuation, not a
 * tick): DF_FORWARD, DF_DROP, VD_HELD, VD_REWRITTEN or VD_CLOSED. */
static int
decide_msg(struct vd_dir *d, const struct df_dir *df, const struct vd_env *e,
    const struct df_frame *f, struct verdict *v)
{
	struct guard *jg = e->judge;	/* judges what is sent */
	struct vd_scratch *sc = e->scratch;
	const uint8_t *frame_end = f->terms + (f->len - f->hdr_len);
	int passthrough = !df->header_mode, verdict = DF_FORWARD, rc;
	struct dist_msg m;
	const char *why = NULL;
	struct dc_opts o;

	/* Payload facts only where the policy's rules look at them. */
	o.need = jg ? jg->pol.needs & (DC_NEED_PIDSEND | DC_NEED_GLOBAL |
	    DC_NEED_FUNS | DC_NEED_ATOMS | DC_NEED_BEHAV) : 0;
	o.frame_end = frame_end;
	o.final = f->decidable;
	o.atom = collect_atom;
	o.atom_arg = sc;
	if (jg != NULL && f->kind == DF_FRAG_FIRST && f->frag > 1)
		o.need |= DC_MSG_GOES_ON;
	/* A send in the middle of arriving is judged on its first bytes and
	 * walked as the rest passes (walk_start), rather than held and
	 * copied until it is whole. */
	if ((o.need & (DC_NEED_FUNS | DC_NEED_ATOMS)) &&
	    !jg->pol.msg_rewrites)	/* a handler rewrites whole messages */
		o.need |= DC_STREAM;
	if (o.need & DC_NEED_ATOMS) {
		if ((sc->book = guard_atoms_of(jg, e->nodes)) == NULL)
			o.need &= ~DC_NEED_ATOMS;	/* out of memory */
		sc->n = 0;
		sc->overflow = 0;
	}
	rc = dist_ctl_decode_x(f->terms, f->terms_end, passthrough, &o, &m,
	    &why);
	/* Decide as soon as the control part is in: a large frame then
	 * streams instead of being held until DF_WINDOW bytes came. */
	if (rc == DG_AGAIN && !f->decidable)
		return VD_HELD;
	/* Decided early, the decoder saw only part of the frame: an op
	 * without a payload must still end where the frame ends. */
	if (rc == 0 && !m.has_payload && !f->complete) {
		rc = DG_EINVAL;
		why = "bytes after a control message that has no payload";
	}
	/* The reply to a message handler's spawn: the guard's own. */
	if (e->sender != NULL && rc == 0 && handler_swallow(e->sender, &m, v))
		return DF_DROP;
	/* A node of ours sending: noted first, so that a frame held for its
	 * disclosures is not judged twice. */
	if (e->sender != NULL && rc == 0 &&
	    (verdict = guard_note_sent(e->sender, e->nodes, &m, f, frame_end)) ==
	    GUARD_HOLD)
		return VD_HELD;
	if (jg != NULL)
		verdict = judge_for(e, passthrough, rc, &m, why, f, frame_end,
		    o.need, v);
	if (verdict == VD_REWRITTEN || verdict < 0)
		return verdict;
	/* Admitted on its first bytes: walked to its end. */
	if (verdict == DF_FORWARD && rc == 0 && jg != NULL &&
	    ((o.need & (DC_NEED_FUNS | DC_NEED_ATOMS)) || m.n_claims > 0) &&
	    m.payload != NULL && m.pl_state == PL_PREFIX)
		verdict = walk_start(d, df, e, f, &m, o.need, v);
	return verdict;
}

void
verdict_frame(struct vd_dir *d, const struct df_dir *df,
    const struct vd_env *e, const struct df_frame *f, struct verdict *v)
{
	int r = DF_FORWARD;

	v->answer = NULL;
	v->answer_len = 0;
	v->frame = NULL;
	v->frame_len = 0;
	v->close_reason = NULL;
	v->nalerts = v->nbumps = 0;
	v->nkept = 0;
	if (f->kind == DF_TICK)
		r = e->judge != NULL ? tick_check(e, v) : DF_FORWARD;
	else if (f->kind != DF_FRAG_CONT)
		r = decide_msg(d, df, e, f, v);
	else if (d->walks != NULL && walk_cont(d, f, v) == VD_CLOSED)
		r = VD_CLOSED;
	switch (r) {
	case DF_FORWARD:
		v->kind = VD_FORWARD;
		break;
	case DF_DROP:
		v->kind = v->answer != NULL ? VD_DENY : VD_DROP;
		break;
	case VD_HELD:
		v->kind = VD_HOLD;
		break;
	case VD_REWRITTEN:
		v->kind = VD_REWRITE;
		break;
	default:
		v->kind = VD_DISCONNECT;	/* vd_close said why */
		break;
	}
}

const char *
verdict_kind_name(enum vd_kind k)
{
	static const char *const names[] = { "forward", "drop", "deny",
	    "rewrite", "disconnect", "hold" };

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] :
	    "?";
}
