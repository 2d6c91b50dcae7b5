/* SPDX-License-Identifier: Apache-2.0 */
/*
 * micro.c - the filter core without sockets: frames go through df_peek,
 * dist_ctl_decode_x and rules_decide exactly as proxy/relay.c drives them,
 * over bytes already in memory.  A benchmark, not a test: it trusts its
 * inputs (a capture from tests/vectors and frames it builds itself).
 *
 *   micro VECTOR_DIR [SECONDS] [PASSES] [WORKLOAD] [on | off | audit]
 *
 * Three workloads, each replayed until SECONDS have passed (default 2), or
 * exactly PASSES times when PASSES > 0 (for callgrind, where time means
 * nothing), and only WORKLOAD when it is given; each twice, with the code
 * guard and the atom budget on (the benchmark's a@ peer) and off (g@: the
 * same rules, {allow, funs} and {atoms, infinity}), or only as the last
 * argument says (audit: instead, the cost of audit mode, run_audit):
 *   capture   the a2b direction of VECTOR_DIR/dist1.a2b.bin after its
 *             handshake: ping, global sync, erpc, links, monitors, a
 *             gen_server call, an alias send and a 200 KiB fragmented
 *             message;
 *   regsend   1 KiB binaries sent to the registered name bench_sink, the
 *             frame the end-to-end throughput benchmark sends most;
 *   regsend64k the same with 64 KiB binaries: the guards' cost must not
 *             grow with a binary's length.
 * With `verdict` as the last argument, each workload goes instead through
 * filter/verdict.c's verdict_frame under the a@ peer's guard, as
 * proxy/relay.c now drives it (the seen table, the atom books, what the
 * peer makes the node hold: all of the verdict's work).
 * Prints one line per workload: frames, decisions, ns/decision,
 * decisions/s.  A decision is one control message decoded and judged;
 * continuation fragments are framed and committed but not decided.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/conf.h"
#include "dg_flags.h"
#include "core/seen.h"
#include "atombook.h"
#include "disclose.h"
#include "dist_ctl.h"
#include "dist_frame.h"
#include "rules.h"
#include "session.h"
#include "filter/guard.h"
#include "filter/nodes.h"
#include "filter/rewrite.h"
#include "filter/verdict.h"

/* The rule set of the end-to-end benchmark's filtering configuration;
 * "g@" is the same with the code guard and the atom budget off. */
static const char conf_text[] =
    "{cookie, \"benchcookie\"}.\n"
    "{peer, \"a@*\", [ping, global, replies,\n"
    "    {allow, reg_send, [bench_sink, bench_echo, bench_ctl]},\n"
    "    {allow, spawn_request, [{erlang, node, 0}]},\n"
    "    {deny, spawn_request, [{os, cmd, '_'}]}]}.\n"
    "{peer, \"g@*\", [ping, global, replies,\n"
    "    {allow, reg_send, [bench_sink, bench_echo, bench_ctl]},\n"
    "    {allow, spawn_request, [{erlang, node, 0}]},\n"
    "    {deny, spawn_request, [{os, cmd, '_'}]}, {allow, funs}],\n"
    "    [{atoms, infinity}]}.\n"
    "{peer, \"u@*\", [ping, global, replies,\n"
    "    {allow, reg_send, [bench_sink, bench_echo, bench_ctl]},\n"
    "    {allow, spawn_request, [{erlang, node, 0}]},\n"
    "    {deny, spawn_request, [{os, cmd, '_'}]}], [{mode, audit}]}.\n"
    "{node, \"l@*\", [{mode, audit}]}.\n"
    "{default, deny}.\n";

/*
 * The atom budget's per-message work, as proxy/relay.c does it: each atom
 * looked up in the connection's book, new ones counted (relay.c counts
 * them once the frame is let through; here at once).
 */
static struct atombook	book;

/* The daemon's table of what was seen (core/seen.c), noted per decision
 * as proxy/relay.c does, when `seen` is on. */
static struct seen	*seen;
static int		 seen_on;
static unsigned long	 would_deny;

/* relay.c's note_seen: the target's text, the profiles, the note. */
static void
note(const struct dist_msg *m, const struct rules_verdict *v)
{
	static struct seen_entry *last;	/* one (local, peer) here */
	char target[600];
	size_t n = 0;

	if (m->type == DG_T_SPAWN_REQUEST && m->via != VIA_NONE) {
		int k = snprintf(target, sizeof(target), "%.*s:%.*s/%d",
		    (int)m->exec_m.len, (const char *)m->exec_m.p,
		    (int)m->exec_f.len, (const char *)m->exec_f.p,
		    m->exec_arity);
		n = k < 0 ? 0 : (size_t)k < sizeof(target) ? (size_t)k :
		    sizeof(target) - 1;
	} else if (m->has_name) {
		n = m->name.len < sizeof(target) ? m->name.len :
		    sizeof(target) - 1;
		memcpy(target, m->name.p, n);
	}
	(void)seen_note(seen, &last, "b@localhost", "a@localhost", m->type,
	    target, n,
	    v->audit ? SEEN_WOULD_DENY : v->action == DG_ALLOW ? SEEN_ALLOWED :
	    SEEN_DENIED, rules_profiles_of(m), m->disclosed ? SEEN_F_DISCLOSED :
	    0, 1.0);
}

static void
on_atom(void *arg, const uint8_t *a)
{
	uint64_t h;

	(void)arg;
	if (!atombook_has(&book, a, &h))
		(void)atombook_add(&book, h, a, 0);
}

struct workload {
	const char	*name;
	const uint8_t	*p;
	size_t		 len;
	uint64_t	 flags;
};

static volatile unsigned long	sink;	/* keeps verdicts alive */
/* What the node disclosed: empty, as on a connection's first messages. */
static struct idset		disclosed;

static void
conf_err(void *arg, const char *file, int line, const char *msg)
{
	fprintf(stderr, "micro: %s:%d: %s\n", file, line, msg);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *f;
	uint8_t *b;
	long n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == -1 || (n = ftell(f)) <= 0 ||
	    fseek(f, 0, SEEK_SET) == -1 || (b = malloc((size_t)n)) == NULL) {
		fclose(f);
		return NULL;
	}
	if (fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return b;
}

/*
 * Offset of the first frame in the a2b capture: the initiator's u16-framed
 * 'N' send_name, then its 'r' challenge reply.  Returns 0 (and sets *flags
 * to the flags of send_name) or -1.
 */
static int
skip_handshake(const uint8_t *b, size_t len, size_t *off, uint64_t *flags)
{
	const char tags[] = "Nr";
	size_t o = 0, n;
	int i, k;

	for (k = 0; k < 2; k++) {
		if (len - o < 3)
			return -1;
		n = (size_t)b[o] << 8 | b[o + 1];
		if (b[o + 2] != (uint8_t)tags[k] || len - o - 2 < n)
			return -1;
		if (k == 0) {
			if (n < 9)
				return -1;
			*flags = 0;
			for (i = 0; i < 8; i++)
				*flags = *flags << 8 | b[o + 3 + i];
		}
		o += 2 + n;
	}
	*off = o;
	return 0;
}

/*
 * `count` frames of REG_SEND {6, From, '', bench_sink} + a `size`-byte
 * binary, in the 131 68 header mode that FRAGMENTS gives (no atom cache
 * references), as ERTS 25 writes them.
 */
static uint8_t *
build_regsend(int count, size_t size, size_t *len)
{
	static const char node[] = "a@localhost";
	static const char name[] = "bench_sink";
	uint8_t hdr[128], *buf, *p;
	size_t h = 0, frame;
	int i;

	h += 4;				/* length, filled below */
	hdr[h++] = 131; hdr[h++] = 68; hdr[h++] = 0;
	hdr[h++] = 104; hdr[h++] = 4;	/* SMALL_TUPLE_EXT, 4 */
	hdr[h++] = 97; hdr[h++] = 6;	/* DOP_REG_SEND */
	hdr[h++] = 88;			/* NEW_PID_EXT */
	hdr[h++] = 119; hdr[h++] = sizeof(node) - 1;
	memcpy(hdr + h, node, sizeof(node) - 1); h += sizeof(node) - 1;
	memcpy(hdr + h, "\0\0\0\x59\0\0\0\0\x65\x43\x21\x10", 12); h += 12;
	hdr[h++] = 119; hdr[h++] = 0;	/* '' */
	hdr[h++] = 119; hdr[h++] = sizeof(name) - 1;
	memcpy(hdr + h, name, sizeof(name) - 1); h += sizeof(name) - 1;
	hdr[h++] = 109;			/* BINARY_EXT */
	hdr[h++] = (uint8_t)(size >> 24); hdr[h++] = (uint8_t)(size >> 16);
	hdr[h++] = (uint8_t)(size >> 8); hdr[h++] = (uint8_t)size;
	frame = h + size;
	hdr[0] = (uint8_t)((frame - 4) >> 24); hdr[1] = (uint8_t)((frame - 4) >> 16);
	hdr[2] = (uint8_t)((frame - 4) >> 8); hdr[3] = (uint8_t)(frame - 4);
	if ((buf = malloc(frame * (size_t)count)) == NULL)
		return NULL;
	for (i = 0, p = buf; i < count; i++, p += frame) {
		memcpy(p, hdr, h);
		memset(p + h, 'x', size);
	}
	*len = frame * (size_t)count;
	return buf;
}

/*
 * One pass over the workload, as relay_process does it for a direction
 * from the peer.  Adds to *frames and *decisions; returns -1 if a frame
 * does not frame or decode (the benchmark is then meaningless).  Not
 * inlined: callgrind counts only inside it (--toggle-collect=pass).
 */
static int __attribute__((noinline))
pass(const struct workload *w, const struct rules_policy *pol,
    unsigned long *frames, unsigned long *decisions)
{
	static struct df_seq table[DF_MAX_SEQS];
	const uint8_t *p = w->p, *end = w->p + w->len;
	struct df_dir d;
	struct df_frame f;
	struct dist_msg m;
	struct rules_verdict v;
	struct dc_opts o;
	const char *why;
	int rc, verdict;

	df_init(&d, w->flags, 0, 0, 0);
	while (p < end) {
		if (df_peek(&d, p, (size_t)(end - p), &f, &why) != 1) {
			fprintf(stderr, "micro: %s: df_peek: %s\n", w->name, why);
			return -1;
		}
		verdict = DF_FORWARD;
		if (f.kind == DF_MSG || f.kind == DF_FRAG_FIRST) {
			/* as relay.c: the payload facts the policy needs */
			o.need = pol->needs & (DC_NEED_PIDSEND | DC_NEED_GLOBAL |
			    DC_NEED_FUNS | DC_NEED_ATOMS);
			o.frame_end = f.terms + (f.len - f.hdr_len);
			o.final = f.decidable;
			o.atom = on_atom;
			o.atom_arg = NULL;
			rc = dist_ctl_decode_x(f.terms, f.terms_end, !d.header_mode,
			    &o, &m, &why);
			if (rc != 0) {
				fprintf(stderr, "micro: %s: decode: %s\n", w->name,
				    why ? why : "undecidable");
				return -1;
			}
			if ((pol->needs & DC_NEED_IDS) && disclose_wanted(&m))
				m.disclosed = disclose_has(&disclosed, NULL, &m);
			rules_decide(pol, &m, &v);
			sink += (unsigned long)v.action;
			if (seen_on)
				note(&m, &v);
			would_deny += (unsigned long)v.audit;
			verdict = v.action == DG_ALLOW || v.audit ? DF_FORWARD :
			    DF_DROP;
			(*decisions)++;
		}
		if (f.kind == DF_FRAG_FIRST || f.kind == DF_FRAG_CONT) {
			/* as relay.c: the table only once a sequence opens */
			if (d.seqs == NULL && df_needs_table(&d, &f)) {
				memset(table, 0, sizeof(table));
				df_attach(&d, table);
			}
			if (df_commit(&d, &f, (enum df_verdict)verdict, &why) < 0) {
				fprintf(stderr, "micro: %s: df_commit: %s\n",
				    w->name, why);
				return -1;
			}
		}
		(*frames)++;
		p += 4 + (size_t)f.len;
	}
	return 0;
}

/* verdict_frame's working memory and a connection's guard (verdict). */
static struct vd_scratch	vscratch;
static uint8_t			vout[REWRITE_MAX];
static struct dg_nodes		*vnodes;
static const struct dg_conf	*vconf;

/* The guard of one long connection from a@ (verdict): its books and sets
 * fill on the first pass and stay, as they do on a live connection. */
static struct guard		vguard;
static struct vd_dir		vdir;

static void
vguard_start(const struct rules_policy *pol)
{
	memset(&vguard, 0, sizeof(vguard));
	vguard.pol = *pol;
	vguard.node = "b@localhost";
	vguard.peer = "a@localhost";
	snprintf(vguard.share_src, sizeof(vguard.share_src), "addr 127.0.0.1");
	snprintf(vguard.share_cookie, sizeof(vguard.share_cookie),
	    "cookie (default)");
	guard_sets_init(&vguard, 0);
}

static void
vguard_stop(void)
{
	verdict_dir_free(&vdir);
	guard_sets_free(&vguard);
	idset_free(&vguard.disclosed);
	nodes_reset(vnodes);
}

/*
 * One pass over the workload through verdict_frame, as relay.c's decide
 * drives it for a direction from the peer, on the connection's guard.
 * Not inlined, like pass().
 */
static int __attribute__((noinline))
pass_verdict(const struct workload *w, const struct rules_policy *pol,
    unsigned long *frames, unsigned long *decisions)
{
	static struct df_seq table[DF_MAX_SEQS];
	const uint8_t *p = w->p, *end = w->p + w->len;
	struct df_dir d;
	struct df_frame f;
	struct verdict v;
	struct vd_env e;
	const char *why;

	(void)pol;
	/* Each pass replays one sync of global's: a new one per pass, as a
	 * reconnection would be (a second exchange of a sync is refused). */
	idset_free(&vguard.synced);
	idset_init(&vguard.synced, SESSION_OWED);
	memset(&e, 0, sizeof(e));
	e.judge = &vguard;
	e.nodes = vnodes;
	e.seen = seen;
	e.conf = vconf;
	e.flags = w->flags;
	e.now = 1.0;
	e.scratch = &vscratch;
	e.out = vout;
	e.out_cap = sizeof(vout);
	df_init(&d, w->flags, 0, 0, 0);
	while (p < end) {
		if (df_peek(&d, p, (size_t)(end - p), &f, &why) != 1) {
			fprintf(stderr, "micro: %s: df_peek: %s\n", w->name, why);
			return -1;
		}
		verdict_frame(&vdir, &d, &e, &f, &v);
		if (v.kind == VD_HOLD || v.kind == VD_DISCONNECT) {
			fprintf(stderr, "micro: %s: verdict %s: %s %s\n", w->name,
			    verdict_kind_name(v.kind), v.nalerts > 0 ?
			    v.alerts[v.nalerts - 1].event : "",
			    v.nalerts > 0 ?
			    verdict_alert_text(&v.alerts[v.nalerts - 1]) : "");
			return -1;
		}
		sink += (unsigned long)v.kind;
		if (f.kind == DF_MSG || f.kind == DF_FRAG_FIRST)
			(*decisions)++;
		if (f.kind == DF_FRAG_FIRST || f.kind == DF_FRAG_CONT) {
			if (d.seqs == NULL && df_needs_table(&d, &f)) {
				memset(table, 0, sizeof(table));
				df_attach(&d, table);
			}
			if (df_commit(&d, &f, v.kind == VD_FORWARD ? DF_FORWARD :
			    DF_DROP, &why) < 0) {
				fprintf(stderr, "micro: %s: df_commit: %s\n",
				    w->name, why);
				return -1;
			}
		}
		(*frames)++;
		p += 4 + (size_t)f.len;
	}
	return 0;
}

static int	 via_verdict;	/* run_as: through pass_verdict */

static int
run_as(const struct workload *w, const struct rules_policy *pol, double secs,
    long passes, const char *label)
{
	unsigned long frames = 0, decisions = 0;
	double t0, t;
	long n = 0;

	would_deny = 0;
	t0 = now();
	do {
		if ((via_verdict ? pass_verdict(w, pol, &frames, &decisions) :
		    pass(w, pol, &frames, &decisions)) == -1)
			return -1;
		n++;
		t = now() - t0;
	} while (passes > 0 ? n < passes : t < secs);
	printf("micro %-8s guards %-3s passes %ld frames %lu decisions %lu "
	    "seconds %.3f ns_per_decision %.1f decisions_per_s %.0f", w->name,
	    label != NULL ? label : pol->needs & DC_NEED_FUNS ? "on" : "off",
	    n, frames, decisions, t, t * 1e9 / (double)decisions,
	    (double)decisions / t);
	if (label != NULL)
		printf(" would_deny %lu", would_deny);
	printf("\n");
	return 0;
}

static int
run(const struct workload *w, const struct rules_policy *pol, double secs,
    long passes)
{
	return run_as(w, pol, secs, passes, NULL);
}

/*
 * What audit mode costs (issue 22): each workload judged by the a@ rules
 * without the seen table (the code before), with it (enforce now), the
 * same rules in audit mode (u@), and {default, deny} in audit mode (l@
 * with a peer no entry names,
 * every message a would_deny: a node learning its policy).
 */
static int
run_audit(const struct workload *w, const struct rules_policy *pol,
    const struct rules_policy *pol_audit, const struct rules_policy *learn,
    double secs, long passes)
{
	seen_on = 0;
	if (run_as(w, pol, secs, passes, "enforce") == -1)
		return -1;
	seen_on = 1;
	if (run_as(w, pol, secs, passes, "enforce+seen") == -1 ||
	    run_as(w, pol_audit, secs, passes, "audit") == -1 ||
	    run_as(w, learn, secs, passes, "audit-deny") == -1)
		return -1;
	seen_on = 0;
	return 0;
}

int
main(int argc, char **argv)
{
	char path[1024];
	struct dg_conf *conf;
	struct rules_policy pol, pol_off, pol_audit, pol_learn;
	struct workload w[3];
	uint8_t *raw, *rs, *big;
	size_t len, off, rslen, biglen;
	uint64_t flags;
	double secs = argc > 2 ? atof(argv[2]) : 2.0;
	long passes = argc > 3 ? atol(argv[3]) : 0;
	const char *only = argc > 4 && argv[4][0] != '\0' ? argv[4] : NULL;
	const char *guards = argc > 5 ? argv[5] : NULL;	/* on | off */
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: micro VECTOR_DIR [SECONDS] [PASSES]\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/dist1.a2b.bin", argv[1]);
	if ((raw = slurp(path, &len)) == NULL ||
	    skip_handshake(raw, len, &off, &flags) == -1) {
		fprintf(stderr, "micro: %s: cannot read the capture\n", path);
		return 1;
	}
	if ((conf = conf_load_text("bench.conf", conf_text, strlen(conf_text),
	    conf_err, NULL)) == NULL)
		return 1;
	if (rules_resolve(conf, "b@localhost", "a@localhost", &pol) != 1 ||
	    rules_resolve(conf, "b@localhost", "g@localhost", &pol_off) != 1) {
		fprintf(stderr, "micro: a@localhost not admitted\n");
		return 1;
	}
	if (rules_resolve(conf, "b@localhost", "u@localhost", &pol_audit) != 1 ||
	    rules_resolve(conf, "l@localhost", "z@localhost", &pol_learn) != 1 ||
	    !pol_audit.audit || !pol_learn.audit ||
	    (seen = seen_new()) == NULL) {
		fprintf(stderr, "micro: the audit policies do not resolve\n");
		return 1;
	}
	atombook_init(&book);
	vconf = conf;
	if ((vnodes = nodes_new()) == NULL)
		return 1;
	/* distguard withholds the atom cache on both legs. */
	flags &= ~DFLAG_DIST_HDR_ATOM_CACHE;
	if ((rs = build_regsend(1024, 1024, &rslen)) == NULL ||
	    (big = build_regsend(64, 65536, &biglen)) == NULL)
		return 1;
	w[0] = (struct workload){ "capture", raw + off, len - off, flags };
	w[1] = (struct workload){ "regsend", rs, rslen, flags };
	w[2] = (struct workload){ "regsend64k", big, biglen, flags };
	printf("micro sizeof(struct session) %zu sizeof(struct df_dir) %zu "
	    "sizeof(struct hs_io) %zu\n", sizeof(struct session),
	    sizeof(struct df_dir), sizeof(struct hs_io));
	/* Each workload with the guards on (the a@ peer), then off (g@):
	 * the same rules otherwise. */
	for (i = 0; guards != NULL && strcmp(guards, "audit") == 0 && i < 3;
	    i++)
		if ((only == NULL || strcmp(only, w[i].name) == 0) &&
		    run_audit(&w[i], &pol, &pol_audit, &pol_learn, secs,
		    passes) == -1)
			return 1;
	/* Through the verdict (seen table on, as the daemon has it). */
	for (i = 0; guards != NULL && strcmp(guards, "verdict") == 0 && i < 3;
	    i++) {
		via_verdict = 1;
		vguard_start(&pol);
		if ((only == NULL || strcmp(only, w[i].name) == 0) &&
		    run_as(&w[i], &pol, secs, passes, "verdict") == -1)
			return 1;
		vguard_stop();
		via_verdict = 0;
	}
	for (i = 0; i < 3 && (guards == NULL || (strcmp(guards, "audit") != 0 &&
	    strcmp(guards, "verdict") != 0)); i++)
		if ((only == NULL || strcmp(only, w[i].name) == 0) &&
		    ((guards == NULL || strcmp(guards, "on") == 0 ?
		    run(&w[i], &pol, secs, passes) : 0) == -1 ||
		    (guards == NULL || strcmp(guards, "off") == 0 ?
		    run(&w[i], &pol_off, secs, passes) : 0) == -1))
			return 1;
	conf_unref(conf);
	atombook_free(&book);
	free(raw);
	free(rs);
	free(big);
	seen_free(seen);
	nodes_free(vnodes);
	return 0;
}
