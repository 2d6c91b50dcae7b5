/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verdict.h - the verdict on one frame of a relayed connection
 * (verdict.c): from the frame's bytes, the guard of the node it goes to,
 * the guard of the node that sends it, the table of nodes and the clock,
 * what becomes of it - forward, drop, deny with an answer to the sender,
 * rewrite, disconnect, or hold until more of it came - with the alerts
 * it raises and the counters it moves.
 *
 * Pure: no I/O, no event loop, no session.  The relay (proxy/relay.c)
 * performs the verdict: it writes or drops the frame, injects the
 * answer, raises the alerts in order (core/alert.c, naming the sender as
 * the peer and the guarded node as ours), moves the counters on the
 * guarded node's stats row, and closes the connection.  The guards and
 * the table of nodes are changed in place (what a node is owed, held,
 * showed, the atoms it saw): that is the state the verdict keeps.
 *
 * Nothing is allocated per message: the atoms of the message being
 * decided and the deny answer live in a scratch struct the caller owns
 * (one for the whole loop); a rewritten frame is built where the caller
 * says (vd_env.out); the walkers of payloads admitted on their first
 * bytes (one per open fragment sequence at most) are made on first use
 * and reused.
 */
#ifndef VERDICT_H
#define VERDICT_H

#include <stddef.h>
#include <stdint.h>

#include "dg.h"
#include "filter/deny.h"
#include "filter/dist_frame.h"
#include "filter/guard.h"

struct dg_conf;
struct dg_nodes;
struct seen;

enum vd_kind {
	VD_FORWARD,	/* the frame goes on as it came */
	VD_DROP,	/* it goes nowhere */
	VD_DENY,	/* it goes nowhere; `answer` goes back to the sender */
	VD_REWRITE,	/* `frame` goes instead of it (the spawn handler) */
	VD_DISCONNECT,	/* nothing of it goes: the connection closes, for
			 * `close_reason` (after `answer`, if any) */
	VD_HOLD		/* its first bytes are not enough yet: keep them and
			 * ask again with more */
};

/* At most this many alerts per frame (e.g. filter.held_budget's
 * threshold, then filter.handler's denial). */
#define VD_ALERTS_MAX	4
#define VD_DETAIL_MAX	768
#define VD_ARGS_MAX	16

/*
 * An alert's detail is kept as its format and arguments, and rendered
 * only when the alert is really written (verdict_alert_text,
 * verdict_alert_render): most frames that raise one are denied ones, whose alerts the
 * per-source rate limit may then suppress, and formatting every one
 * eagerly was a quarter of the whole verdict's instructions.  The
 * arguments are kept as pointers: static names, the configuration's
 * and the guards' text, spans of the frame decided, and what the verdict
 * made for the alert in struct verdict's `kept`.  So an alert must be
 * rendered while its frame's bytes and the configuration are still
 * there: before the caller decides the next frame.
 */
union vd_arg {
	long long		 i;		/* %d, %lld */
	unsigned long long	 u;		/* %llu */
	struct {
		const char	*p;
		size_t		 len;		/* %.*s; SIZE_MAX: %s */
	}			 s;
};

struct vd_alert {
	const char	*event;			/* "filter.denied", ... */
	const char	*fmt;			/* %s, %.*s, %d, %lld, %llu */
	int		 nargs;
	int		 rendered;		/* detail holds the text */
	union vd_arg	 args[VD_ARGS_MAX];
	char		 detail[VD_DETAIL_MAX];	/* verdict_alert_text's */
};

/* The counters of the guarded node's stats row (dg_stats.h). */
enum vd_counter {
	VD_C_INVALID,		/* invalid++ */
	VD_C_REPLIES,		/* replies++ */
	VD_C_VERDICT,		/* verdict[type][action]++ */
	VD_C_WOULD_DENY		/* would_deny[type]++ */
};

#define VD_BUMPS_MAX	4

struct vd_bump {
	enum vd_counter	 what;
	int		 type;			/* enum dg_type */
	int		 action;		/* enum dg_action */
};

struct verdict {
	enum vd_kind	 kind;
	const uint8_t	*answer;		/* to the sender; NULL: none */
	size_t		 answer_len;
	const uint8_t	*frame;			/* VD_REWRITE: in vd_env.out */
	size_t		 frame_len;
	const char	*close_reason;		/* VD_DISCONNECT */
	int		 nalerts;
	struct vd_alert	 alerts[VD_ALERTS_MAX];
	size_t		 nkept;
	char		 kept[2 * VD_DETAIL_MAX];	/* texts made for them */
	int		 nbumps;
	struct vd_bump	 bumps[VD_BUMPS_MAX];
};

/*
 * The atoms of the message being decided, before its verdict: only those
 * its book does not hold yet.  Bounded: every atom takes two bytes at
 * least, and the decoder sees at most DF_WINDOW of a frame.
 */
#define VD_MSG_ATOMS_MAX	(DF_WINDOW / 2 + 64)

/* The verdict's working memory: large, needed for one frame at a time;
 * the caller keeps one for all its connections (one loop, one frame
 * decided at a time). */
struct vd_scratch {
	struct atom_book	*book;
	uint64_t		 h[VD_MSG_ATOMS_MAX];
	const uint8_t		*a[VD_MSG_ATOMS_MAX];
	size_t			 n;
	int			 overflow;
	uint8_t			 reply[DENY_REPLY_MAX(DF_WINDOW)];
};

/* One direction's verdict state that spans frames: the walks of
 * payloads admitted on their first bytes (verdict.c).  Zeroed to start;
 * verdict_dir_free frees it. */
struct vd_dir {
	struct pwalk	*walks;		/* in progress */
	struct pwalk	*walk_free;	/* finished, ready for reuse */
	struct pwalk	*walk_cur;	/* the one whose frame is skipped */
	int		 walk_n;	/* made, in both lists */
};

/* What a verdict reads besides the frame. */
struct vd_env {
	struct guard		*judge;		/* the receiving node's guard;
						 * NULL: decoded, not judged */
	struct guard		*sender;	/* the sending node's guard;
						 * NULL: not a node of ours */
	struct dg_nodes		*nodes;
	struct seen		*seen;		/* NULL: not kept */
	const struct dg_conf	*conf;
	uint64_t		 flags;		/* negotiated */
	double			 now;		/* seconds */
	struct vd_scratch	*scratch;
	uint8_t			*out;		/* room for a rewritten frame */
	size_t			 out_cap;
};

/*
 * Decides frame f (df_peek's answer, whose bytes are at hand as df_peek
 * says) sent on the direction of df and d.  *v is filled.  The caller
 * then enters a fragment's verdict in df (df_commit: VD_FORWARD forwards,
 * VD_DROP and VD_DENY drop) unless v->kind is VD_HOLD, VD_REWRITE or
 * VD_DISCONNECT.
 */
void	verdict_frame(struct vd_dir *d, const struct df_dir *df,
	    const struct vd_env *, const struct df_frame *f,
	    struct verdict *v);
/*
 * n more bytes of the frame being skipped (the rest of a frame past the
 * buffer decided on), when d->walk_cur is set: walked before they go.
 * `ends`: they are the frame's last.  v->kind is VD_FORWARD (they may
 * go) or VD_DISCONNECT (none of them may).
 */
void	verdict_skip(struct vd_dir *d, const uint8_t *p, size_t n, int ends,
	    struct verdict *v);
/* Frees d's walkers. */
void	verdict_dir_free(struct vd_dir *d);
/* The alert's detail, rendered on first use (into a->detail): at most
 * VD_DETAIL_MAX - 1 bytes and a NUL. */
const char *verdict_alert_text(struct vd_alert *a);
/* The same into buf (len > 0), for a caller that does not keep the
 * alert: returns the length written, without the NUL. */
size_t	verdict_alert_render(const struct vd_alert *a, char *buf, size_t len);
/* "forward", "drop", ... for logs and tests. */
const char *verdict_kind_name(enum vd_kind);

#endif
