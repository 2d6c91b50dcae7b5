/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_verdict.c - the verdict on a frame (filter/verdict.c) over any
 * byte stream, with a fixed policy.  The input is one connection between
 * NODE (ours) and a peer: its first byte picks the peer (and so its
 * policy: profiles, rules, {disconnect, true}, audit mode, the handlers
 * (spawn_request's, and the four message handlers'),
 * a small atom budget), the framing (pass-through or 131 68 with
 * fragments) and whether the peer is a node of ours too (both sides
 * judged); then chunks, each [ctl][len][bytes]: which side sends them,
 * how far the clock moves, and bytes of that side's stream, split into
 * frames by dist_frame.c and decided as proxy/relay.c does (held first
 * bytes, the skip path of a frame decided on its first bytes, its walk,
 * the fragments' verdicts), until a verdict closes the connection.
 *
 * Checks what the relay relies on: a verdict is one of its kinds; a
 * disconnect says why and nothing else needs doing after it; an answer
 * is one whole frame of this connection's framing, within the scratch
 * buffer; a rewritten frame is one whole frame within the room given; a
 * hold comes with no alert nor counter; alerts have names and bounded
 * texts; the held count never passes held_max.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "dg_flags.h"
#include "core/seen.h"
#include "dg_wire.h"
#include "filter/dist_frame.h"
#include "filter/guard.h"
#include "filter/nodes.h"
#include "filter/rewrite.h"
#include "filter/verdict.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NODE		"b@h"
#define HELD_CAP	(DF_WINDOW + 64)	/* as the relay's */
#define CHUNK_MAX	4096

static const char conf_text[] =
    "{cookie, \"c\"}.\n"
    "{peer, \"ping@*\", [ping]}.\n"
    "{peer, \"glob@*\", [global]}.\n"
    "{peer, \"rep@*\", [replies]}.\n"
    "{peer, \"rule@*\", [{allow, reg_send, [sink]}, {allow, send, "
    "disclosed}, {allow, monitor}, {allow, link}, {deny, spawn_request, "
    "[{os, '_', '_'}]}]}.\n"
    "{peer, \"disc@*\", [{allow, reg_send, [sink]}], [{disconnect, true}]}.\n"
    "{peer, \"aud@*\", [{allow, reg_send, [sink]}], [{mode, audit}]}.\n"
    "{peer, \"hand@*\", [{allow, spawn_request, [{'_', '_', '_'}]}], "
    "[{handler, spawn_request, h}]}.\n"
    "{peer, \"atom@*\", [{allow, reg_send, [sink]}, {allow, funs}], "
    "[{atoms, 16}]}.\n"
    "{peer, \"all@*\", [allow_all]}.\n"
    "{peer, \"hmsg@*\", [{allow, reg_send, [sink]}, {allow, send}, "
    "{allow, alias_send}, {allow, group_leader}], [{handler, reg_send, h}, "
    "{handler, send, h}, {handler, alias_send, h}, "
    "{handler, group_leader, h}]}.\n"
    "{default, [ping, global, replies]}.\n";

static const char *const peers[] = {
	"ping@x", "glob@x", "rep@x", "rule@x", "disc@x", "aud@x", "hand@x",
	"atom@x", "all@x", "hmsg@x", "other@x"
};

static struct dg_conf		*conf;
static struct dg_nodes		*nodes;
static struct seen		*seen;
static struct vd_scratch	 scratch;
static uint8_t			 out[4 * REWRITE_MAX];

/* What one side sends, as the relay keeps it. */
struct side {
	struct df_dir	 df;
	struct vd_dir	 vd;
	struct df_seq	 seqs[DF_MAX_SEQS];
	uint8_t		 buf[HELD_CAP + CHUNK_MAX];
	size_t		 held;
	uint64_t	 skip_left;
};

static struct side	 sides[2];	/* [0]: the peer's, [1]: NODE's */
static struct guard	 guards[2];	/* [0]: NODE's, [1]: the peer's */

static void
conf_error(void *arg, const char *file, int line, const char *msg)
{
	(void)arg;
	fprintf(stderr, "%s:%d: %s\n", file, line, msg);
	abort();
}

static int
guard_setup(struct guard *g, const char *node, const char *peer)
{
	memset(g, 0, sizeof(*g));
	if (rules_resolve(conf, node, peer, &g->pol) != 1)
		return -1;
	g->node = node;
	g->peer = peer;
	snprintf(g->share_src, sizeof(g->share_src), "addr 10.0.0.1");
	snprintf(g->share_cookie, sizeof(g->share_cookie), "cookie (default)");
	guard_sets_init(g, 0);
	return 0;
}

static void
guard_teardown(struct guard *g)
{
	guard_sets_free(g);
	idset_free(&g->disclosed);
}

/* One whole frame of this connection's framing at p, n bytes. */
static void
check_frame(const uint8_t *p, size_t n, int hdr)
{
	if (n < 5 || get_u32(p) != n - 4)
		abort();
	if (hdr ? p[4] != 131 : p[4] != 112)
		abort();
}

static void
check_verdict(const struct verdict *v, const struct vd_env *e, int hdr,
    const struct guard *judge)
{
	int i;

	if ((unsigned)v->kind > VD_HOLD)
		abort();
	if (v->kind == VD_HOLD && (v->nalerts != 0 || v->nbumps != 0 ||
	    v->answer != NULL))
		abort();
	if (v->kind == VD_DISCONNECT && v->close_reason == NULL)
		abort();
	if (v->kind != VD_DISCONNECT && v->close_reason != NULL)
		abort();
	if (v->kind == VD_DENY && v->answer == NULL)
		abort();
	if (v->answer != NULL) {
		if (v->answer != scratch.reply ||
		    v->answer_len > sizeof(scratch.reply))
			abort();
		check_frame(v->answer, v->answer_len, hdr);
	}
	if (v->kind == VD_REWRITE) {
		if (v->frame != e->out || v->frame_len > e->out_cap)
			abort();
		check_frame(v->frame, v->frame_len, hdr);
	}
	if (v->nalerts < 0 || v->nalerts > VD_ALERTS_MAX ||
	    v->nbumps < 0 || v->nbumps > VD_BUMPS_MAX)
		abort();
	for (i = 0; i < v->nalerts; i++) {
		char text[VD_DETAIL_MAX];
		size_t n = verdict_alert_render(&v->alerts[i], text,
		    sizeof(text));

		if (v->alerts[i].event == NULL ||
		    strncmp(v->alerts[i].event, "filter.", 7) != 0 ||
		    n >= VD_DETAIL_MAX || strlen(text) != n)
			abort();
	}
	for (i = 0; i < v->nbumps; i++)
		if (v->bumps[i].type < 0 || v->bumps[i].type >= DG_T_COUNT ||
		    v->bumps[i].action < 0 || v->bumps[i].action > DG_DENY)
			abort();
	if (judge != NULL && judge->nheld > (uint64_t)conf->held_max)
		abort();
}

/*
 * Decides the frames of side s's stream in s->buf[0..len), as
 * relay_process does.  Returns -1 when the connection is over.
 */
static int
process(struct side *s, const struct vd_env *e, int hdr, size_t len)
{
	struct verdict v;
	size_t pos = 0;

	while (pos < len) {
		struct df_frame f;
		const char *why = NULL;
		uint64_t total;
		size_t take;
		int r;

		if (s->skip_left) {
			take = s->skip_left < len - pos ? (size_t)s->skip_left :
			    len - pos;
			if (s->vd.walk_cur != NULL) {
				verdict_skip(&s->vd, s->buf + pos, take,
				    take == s->skip_left, &v);
				check_verdict(&v, e, hdr, e->judge);
				if (v.kind == VD_DISCONNECT)
					return -1;
				if (v.kind != VD_FORWARD)
					abort();
			}
			pos += take;
			s->skip_left -= take;
			continue;
		}
		r = df_peek(&s->df, s->buf + pos, len - pos, &f, &why);
		if (r == DG_AGAIN)
			break;
		if (r < 0)
			return -1;
		verdict_frame(&s->vd, &s->df, e, &f, &v);
		check_verdict(&v, e, hdr, e->judge);
		if (v.kind == VD_HOLD)
			break;
		if (v.kind == VD_DISCONNECT)
			return -1;
		if (v.kind != VD_REWRITE &&
		    (f.kind == DF_FRAG_FIRST || f.kind == DF_FRAG_CONT) &&
		    df_commit(&s->df, &f, v.kind == VD_FORWARD ? DF_FORWARD :
		    DF_DROP, &why) < 0)
			return -1;
		total = 4 + (uint64_t)f.len;
		take = total < len - pos ? (size_t)total : len - pos;
		pos += take;
		s->skip_left = total - take;
	}
	/* What is left is an undecided frame's first bytes: the relay's
	 * bound on them holds (df_peek decides with DF_WINDOW in). */
	if (len - pos >= HELD_CAP)
		abort();
	memmove(s->buf, s->buf + pos, len - pos);
	s->held = len - pos;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *peer;
	uint64_t flags;
	double now = 1000.0;
	size_t pos = 1;
	int hdr, both, i;

	if (conf == NULL) {
		conf = conf_load_text("fuzz.conf", conf_text,
		    strlen(conf_text), conf_error, NULL);
		nodes = nodes_new();
		seen = seen_new();
		if (conf == NULL || nodes == NULL || seen == NULL)
			abort();
		/* Small held bounds, so that inputs reach them. */
		conf->held_alert = 4;
		conf->held_max = 8;
	}
	if (size < 1)
		return 0;
	peer = peers[(data[0] & 0x0f) % DG_ARRAY_LEN(peers)];
	hdr = (data[0] & 0x10) != 0;
	both = (data[0] & 0x20) != 0;
	flags = DFLAG_EXTENDED_REFERENCES | DFLAG_DIST_MONITOR |
	    DFLAG_EXTENDED_PIDS_PORTS | DFLAG_UTF8_ATOMS | DFLAG_BIG_CREATION |
	    DFLAG_SEND_SENDER | DFLAG_SPAWN | DFLAG_HANDSHAKE_23 |
	    DFLAG_UNLINK_ID | DFLAG_V4_NC | DFLAG_MAP_TAG |
	    DFLAG_NEW_FUN_TAGS | DFLAG_EXPORT_PTR_TAG | DFLAG_BIT_BINARIES |
	    DFLAG_NEW_FLOATS | DFLAG_FUN_TAGS | DFLAG_DIST_MONITOR_NAME |
	    DFLAG_SMALL_ATOM_TAGS | (hdr ? DFLAG_FRAGMENTS : 0) |
	    ((data[0] & 0x40) ? DFLAG_EXIT_PAYLOAD : 0);
	if (guard_setup(&guards[0], NODE, peer) == -1)
		return 0;
	if (both && guard_setup(&guards[1], peer, NODE) == -1) {
		guard_teardown(&guards[0]);
		return 0;
	}
	for (i = 0; i < 2; i++) {
		struct df_bounds b = { 1 << 20, NULL, 4 << 20, 5000 };

		memset(&sides[i].vd, 0, sizeof(sides[i].vd));
		memset(sides[i].seqs, 0, sizeof(sides[i].seqs));
		sides[i].held = 0;
		sides[i].skip_left = 0;
		df_init(&sides[i].df, flags, 1 << 20, 4, 1 << 18);
		sides[i].df.early = 1;
		b.node_open = nodes_frag_open(nodes, i == 0 ? NODE : peer);
		if (i == 0 || both)
			df_bound(&sides[i].df, &b);
		df_attach(&sides[i].df, sides[i].seqs);
	}
	while (pos + 3 <= size) {
		int from_node = data[pos] & 1;
		struct side *s = &sides[from_node];
		size_t n = ((size_t)data[pos + 1] << 8 | data[pos + 2]) %
		    (CHUNK_MAX + 1);
		struct vd_env e;

		now += (data[pos] >> 1) * 0.01;
		pos += 3;
		if (n > size - pos)
			n = size - pos;
		memcpy(s->buf + s->held, data + pos, n);
		pos += n;
		s->df.now_ms = (uint64_t)(now * 1000);
		memset(&e, 0, sizeof(e));
		e.judge = from_node ? (both ? &guards[1] : NULL) : &guards[0];
		e.sender = from_node ? &guards[0] : (both ? &guards[1] : NULL);
		e.nodes = nodes;
		e.seen = seen;
		e.conf = conf;
		e.flags = flags;
		e.now = now;
		e.scratch = &scratch;
		/* Some room used already, as the relay's arena may be. */
		e.out = out + (data[0] & 0x80 ? 3 * REWRITE_MAX : 0);
		e.out_cap = sizeof(out) - (size_t)(e.out - out);
		if (process(s, &e, hdr, s->held + n) == -1)
			break;
	}
	for (i = 0; i < 2; i++) {
		df_release(&sides[i].df);
		verdict_dir_free(&sides[i].vd);
	}
	guard_teardown(&guards[0]);
	if (both)
		guard_teardown(&guards[1]);
	/* The next input starts from a daemon that knows no node. */
	nodes_reset(nodes);
	return 0;
}
