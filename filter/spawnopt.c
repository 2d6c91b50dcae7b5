/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spawnopt.c - judges a SPAWN_REQUEST's options (spawnopt.h).
 *
 * Why: ERTS applies the options of a remote spawn_request as given.
 * {min_heap_size, 1 bsl 36} made the node allocate a heap it could not
 * and halt (eheap_alloc); {priority, max} starves the schedulers'
 * own work; {max_heap_size, _} and {message_queue_data, _} change how a
 * process dies or queues; a group leader of the local node sends the new
 * process's io requests to a local process the peer picked.  Only link and monitor (the reply protocol of
 * spawn_request and erpc) are admitted by default.
 *
 * Trusts: the OptList and group leader spans were proven by term_scan
 * with the control term (dist_ctl.c), so the accessors of term.h are
 * used without bounds.
 */
#include <string.h>

#include "dg_etf.h"
#include "spawnopt.h"
#include "term.h"

#define WHY_OPTION	"a spawn option the rule does not name"
#define WHY_PRIORITY	"a spawn priority above the rule's"
#define WHY_HEAP	"a spawn heap size past the rule's bound"
#define WHY_GL		"a group leader of another node"
#define WHY_GL_LOCAL	"a group leader of this node"
#define WHY_LIST	"spawn options that are not a proper list"
#define WHY_UNSEEN	"spawn options past the part judged"

static const char *const prio_names[] = {
	[DG_PRIO_LOW] = "low", [DG_PRIO_NORMAL] = "normal",
	[DG_PRIO_HIGH] = "high", [DG_PRIO_MAX] = "max",
};

/* An integer option within [0, bound]; bound 0 admits none. */
static const char *
bounded(const uint8_t *v, int64_t bound)
{
	int64_t n;

	if (bound <= 0)
		return WHY_OPTION;
	if (term_int(&v, &n) == -1 || n < 0 || n > bound)
		return WHY_HEAP;
	return NULL;
}

/* {Key, Value} (t after the tuple head, arity 2). */
static const char *
judge_pair(const struct dg_spawn_opts *so, const uint8_t *t)
{
	struct dg_span key, val;
	const uint8_t *v;
	int i;

	if (term_atom(&t, &key) == -1)
		return WHY_OPTION;
	v = t;
	if (term_span_eq(key, "monitor"))
		/* {monitor, MonitorOpts}: alias and tag, the caller's own */
		return NULL;
	if (term_span_eq(key, "priority")) {
		if (term_atom(&v, &val) == -1)
			return WHY_OPTION;
		for (i = DG_PRIO_LOW; i <= DG_PRIO_MAX; i++)
			if (term_span_eq(val, prio_names[i]))
				return i <= (int)so->priority ? NULL :
				    WHY_PRIORITY;
		return WHY_OPTION;
	}
	if (term_span_eq(key, "min_heap_size"))
		return bounded(v, so->min_heap);
	if (term_span_eq(key, "min_bin_vheap_size"))
		return bounded(v, so->min_bin_vheap);
	if (term_span_eq(key, "max_heap_size"))
		/* the integer form only: the map form's kill and
		 * error_logger flags are not the peer's to set */
		return bounded(v, so->max_heap);
	if (term_span_eq(key, "message_queue_data"))
		return (so->flags & DG_SO_MQD) ? NULL : WHY_OPTION;
	if (term_span_eq(key, "fullsweep_after"))
		return (so->flags & DG_SO_FULLSWEEP) && *v != T_SMALL_BIG &&
		    *v != T_LARGE_BIG ? NULL : WHY_OPTION;
	if (term_span_eq(key, "async_dist"))
		return (so->flags & DG_SO_ASYNC_DIST) ? NULL : WHY_OPTION;
	return WHY_OPTION;
}

static const char *
judge_one(const struct dg_spawn_opts *so, const uint8_t *t)
{
	struct dg_span a;
	uint32_t arity;

	if (term_atom(&t, &a) == 0)
		return term_span_eq(a, "link") || term_span_eq(a, "monitor") ? NULL :
		    WHY_OPTION;
	if (term_tuple(&t, &arity) == 0 && arity == 2)
		return judge_pair(so, t);
	return WHY_OPTION;
}

/*
 * The group leader.  Never a process of the local node other than a group
 * leader it handed this peer: the new process would send its io requests
 * to a local process the peer chose (any server reached by a guessed
 * pid).  A third node's is what chained rpc
 * and erpc send (a shell's erpc:call(B2, erpc, call, [B1, ...]) runs on
 * B2 with the shell's group leader), so only {group_leader, peer}
 * refuses it.
 */
static const char *
judge_gl(const struct dg_spawn_opts *so, const struct dist_msg *m,
    const char *local)
{
	const uint8_t *q = m->t_gl.p;
	struct dg_span node;

	if (q == NULL || m->t_gl.len == 0 || term_pid(&q, &node) == -1)
		return WHY_GL;
	if (local != NULL && local[0] != '\0' && term_span_eq(node, local))
		/* ... unless the node handed it to this peer: a call back
		 * from a process it spawned there (its io goes where the
		 * node itself sent it). */
		return m->gl_handed ? NULL : WHY_GL_LOCAL;
	if (so->gl_peer && !(m->has_from && node.len == m->from_node.len &&
	    memcmp(node.p, m->from_node.p, node.len) == 0))
		return WHY_GL;
	return NULL;
}

static const char *judge_list(const struct dg_spawn_opts *so,
		    const struct dist_msg *m);

static int
is_user_atom(struct dg_span t)
{
	const uint8_t *q = t.p;
	struct dg_span a;

	return q != NULL && term_atom(&q, &a) == 0 && term_span_eq(a, "user") &&
	    q == t.p + t.len;
}

/*
 * rex's call, block_call and cast, and net_kernel's spawn, spawn_link and
 * spawn_opt: the same group leader, and spawn_opt's options, read after
 * the arguments (dist_ctl.c pl_spawn_tail).  When an argument list past
 * the window hides them, spawn_opt is refused (its options could be any)
 * and the others pass on their MFA: their group leader is the one thing
 * unseen, and the SPAWN_REQUEST that every OTP since 23 sends instead
 * has it in its control term.
 */
static const char *
legacy_refused(const struct dg_spawn_opts *so, const struct dist_msg *m,
    const char *local, int with_opts)
{
	const char *why;

	if (m->tail_unseen == 2)
		return WHY_UNSEEN;
	if (m->tail_unseen)
		return with_opts ? judge_list(so, m) : NULL;
	if (m->t_gl.len == 0)
		return NULL;		/* `distguard test`'s synthetic ones */
	/* rex takes the atom user for the node's own user process (rpc.erl
	 * set_group_leader): what erl_call, a C node with no group leader,
	 * sends; the output goes to the node's console, which the peer does
	 * not choose. */
	if (!(m->via == VIA_REX && is_user_atom(m->t_gl)) &&
	    (why = judge_gl(so, m, local)) != NULL)
		return why;
	return with_opts ? judge_list(so, m) : NULL;
}

const char *
spawnopt_refused(const struct dg_spawn_opts *so, const struct dist_msg *m,
    const char *local)
{
	const char *why;

	if (m->via == VIA_REX)
		return legacy_refused(so, m, local, 0);
	if (m->via == VIA_NET_KERNEL)
		return legacy_refused(so, m, local, m->t_opts.len > 0);
	if (m->op != DOP_SPAWN_REQUEST && m->op != DOP_SPAWN_REQUEST_TT)
		return NULL;
	/* `distguard test`'s synthetic requests carry neither (a decoded
	 * frame always has both: they are control tuple elements). */
	if (m->t_gl.len == 0 && m->t_opts.len == 0)
		return NULL;
	if ((why = judge_gl(so, m, local)) != NULL)
		return why;
	return judge_list(so, m);
}

/* The option list t_opts, each option judged. */
static const char *
judge_list(const struct dg_spawn_opts *so, const struct dist_msg *m)
{
	const uint8_t *q;
	const char *why;
	uint32_t n, i;
	int is_string;

	q = m->t_opts.p;
	if (q == NULL || m->t_opts.len == 0)
		return WHY_LIST;
	if (term_list(&q, &n, &is_string) == -1 || is_string)
		return WHY_LIST;	/* a string: integers, no option */
	if (*m->t_opts.p == T_NIL)
		return NULL;
	for (i = 0; i < n; i++) {
		if ((why = judge_one(so, q)) != NULL)
			return why;
		q = term_next(q);
	}
	return *q == T_NIL ? NULL : WHY_LIST;
}
