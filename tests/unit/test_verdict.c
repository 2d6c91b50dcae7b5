/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_verdict.c - the verdict on one frame (filter/verdict.c): every
 * kind (forward, drop, deny with its answer, rewrite, disconnect, hold),
 * frames towards a node of ours and frames from it (what it is owed
 * comes back), the profiles (ping, global, replies), explicit rules,
 * {disconnect, true}, audit mode, the handler, the atom and held
 * budgets, ticks, and a payload walked past the bytes decided on.  The
 * frames are built term by term (term_build.h) as OTP 25 sends them, in
 * both framings (pass-through 112, and 131 68 with fragments), split by
 * the real framing code (dist_frame.c) as the relay splits them; the
 * configuration is read from text as the daemon reads its file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dg_test.h"
#include "term_build.h"
#include "conf/conf.h"
#include "dg_flags.h"
#include "core/seen.h"
#include "dg_wire.h"
#include "dist_ctl.h"
#include "filter/guard.h"
#include "filter/nodes.h"
#include "filter/rewrite.h"
#include "filter/verdict.h"
#include "filter/term.h"

#define NODE	"b@h"

static const char conf_text[] =
    "{cookie, \"c\"}.\n"
    "{peer, \"ping@*\", [ping]}.\n"
    "{peer, \"glob@*\", [global]}.\n"
    "{peer, \"rep@*\", [replies]}.\n"
    "{peer, \"rule@*\", [{allow, reg_send, [sink]}, {deny, spawn_request, "
    "[{'_', '_', '_'}]}, {deny, link}]}.\n"
    "{peer, \"disc@*\", [{allow, reg_send, [sink]}], [{disconnect, true}]}.\n"
    "{peer, \"aud@*\", [{allow, reg_send, [sink]}], [{mode, audit}]}.\n"
    "{peer, \"hand@*\", [{allow, spawn_request, [{m, f, 0}]}], "
    "[{handler, spawn_request, dgt_handler}]}.\n"
    "{peer, \"atom@*\", [{allow, reg_send, [sink]}], [{atoms, 8}]}.\n"
    "{peer, \"mon@*\", [{allow, monitor}, {allow, reg_send, [sink]}]}.\n"
    "{peer, \"all@*\", [allow_all]}.\n"
    "{peer, \"hmsg@*\", [{allow, reg_send, [sink]}, {allow, send}], "
    "[{handler, reg_send, dgt_handler}, {handler, send, dgt_handler}]}.\n"
    "{default, [ping, global, replies]}.\n";

static struct dg_conf		*conf;
static struct dg_nodes		*nodes;
static struct seen		*seen;
static struct vd_scratch	 scratch;
static uint8_t			 out[REWRITE_MAX];

/* One direction of a connection towards NODE: what `peer` sends it. */
struct conn {
	const char	*peer;
	int		 hdr;		/* 131 68 framing (FRAGMENTS) */
	uint64_t	 flags;
	struct df_dir	 df;
	struct vd_dir	 vd;
	struct guard	 g;		/* NODE's, judging what peer sends */
	struct guard	 pg;		/* the other way: peer as ours */
	struct df_seq	 seqs[DF_MAX_SEQS];
	double		 now;
};

static struct verdict	 V;

static void
conf_error(void *arg, const char *file, int line, const char *msg)
{
	(void)arg;
	fprintf(stderr, "conf %s:%d: %s\n", file, line, msg);
}

static void
guard_setup(struct guard *g, const char *node, const char *peer)
{
	memset(g, 0, sizeof(*g));
	if (rules_resolve(conf, node, peer, &g->pol) != 1) {
		fprintf(stderr, "policy of %s for %s not admitted\n", node, peer);
		abort();
	}
	g->node = node;
	g->peer = peer;
	snprintf(g->share_src, sizeof(g->share_src), "addr 10.0.0.1");
	snprintf(g->share_cookie, sizeof(g->share_cookie), "cookie (default)");
	guard_sets_init(g, 0);
}

static void
guard_teardown(struct guard *g)
{
	guard_sets_free(g);
	idset_free(&g->disclosed);
}

static void
conn_open(struct conn *c, const char *peer, int hdr)
{
	memset(c, 0, sizeof(*c));
	c->peer = peer;
	c->hdr = hdr;
	c->flags = DFLAG_EXTENDED_REFERENCES | DFLAG_DIST_MONITOR |
	    DFLAG_EXTENDED_PIDS_PORTS | DFLAG_UTF8_ATOMS | DFLAG_BIG_CREATION |
	    DFLAG_SEND_SENDER | DFLAG_EXIT_PAYLOAD | DFLAG_SPAWN |
	    DFLAG_HANDSHAKE_23 | DFLAG_UNLINK_ID | DFLAG_V4_NC |
	    DFLAG_MAP_TAG | DFLAG_NEW_FUN_TAGS | DFLAG_EXPORT_PTR_TAG |
	    DFLAG_BIT_BINARIES | DFLAG_NEW_FLOATS | DFLAG_FUN_TAGS |
	    DFLAG_DIST_MONITOR_NAME | DFLAG_SMALL_ATOM_TAGS |
	    (hdr ? DFLAG_FRAGMENTS : 0);
	df_init(&c->df, c->flags, 0, 0, 0);
	c->df.early = 1;		/* as the relay: decided on first bytes */
	df_attach(&c->df, c->seqs);
	guard_setup(&c->g, NODE, peer);
	guard_setup(&c->pg, peer, NODE);
	c->now = 1000.0;
}

static void
conn_close(struct conn *c)
{
	verdict_dir_free(&c->vd);
	guard_teardown(&c->g);
	guard_teardown(&c->pg);
}

/* ---- frames ------------------------------------------------------------ */

/* A frame's length prefix and header; then the control term. */
static void
f_begin(const struct conn *c)
{
	tb_reset();
	wr_u32(&w, 0);
	if (c->hdr) {
		wr_u8(&w, 131);
		wr_u8(&w, 68);
		wr_u8(&w, 0);		/* no atom cache refs */
	} else
		wr_u8(&w, 112);
}

/* A term starts: in pass-through mode each carries its version byte. */
static void
f_term(const struct conn *c)
{
	if (!c->hdr)
		wr_u8(&w, 131);
}

static size_t
f_end(void)
{
	put_u32(tbuf, (uint32_t)(tb_len() - 4));
	return tb_len();
}

/* {6, From, '', To} and the payload's start. */
static void
f_reg_send(const struct conn *c, const char *from, const char *to)
{
	f_begin(c);
	f_term(c);
	tb_tuple(4);
	tb_int(DOP_REG_SEND);
	tb_pid(from);
	tb_atom("");
	tb_atom(to);
	f_term(c);
}

/* {19, From, To, Ref}: a monitor of a process by name or pid. */
static size_t
f_monitor(const struct conn *c, const char *from, const char *name,
    uint32_t ref)
{
	f_begin(c);
	f_term(c);
	tb_tuple(4);
	tb_int(DOP_MONITOR_P);
	tb_pid(from);
	if (name != NULL)
		tb_atom(name);
	else
		tb_pid_n(NODE, 7);
	wr_u8(&w, 90);
	wr_u16(&w, 3);
	tb_atom(from);
	wr_u32(&w, 1);
	wr_u32(&w, ref);
	wr_u32(&w, 3);
	wr_u32(&w, 4);
	return f_end();
}

/* {29, ReqId, From, GL, {M, F, 0}, []} with [] as the argument list. */
static size_t
f_spawn(const struct conn *c, const char *from, const char *m, const char *f)
{
	f_begin(c);
	f_term(c);
	tb_tuple(6);
	tb_int(DOP_SPAWN_REQUEST);
	tb_ref(from);
	tb_pid(from);
	tb_pid(from);
	tb_tuple(3);
	tb_atom(m);
	tb_atom(f);
	tb_int(0);
	tb_nil();
	f_term(c);
	tb_nil();
	return f_end();
}

static size_t
f_link(const struct conn *c, const char *from)
{
	f_begin(c);
	f_term(c);
	tb_tuple(3);
	tb_int(DOP_LINK);
	tb_pid(from);
	tb_pid_n(NODE, 7);
	return f_end();
}

/* ---- deciding ---------------------------------------------------------- */

/* TV_DEBUG=1: every verdict and its alerts on stderr. */
static void
show(void)
{
	int i;

	if (getenv("TV_DEBUG") == NULL)
		return;
	fprintf(stderr, "# %s\n", verdict_kind_name(V.kind));
	for (i = 0; i < V.nalerts; i++)
		fprintf(stderr, "#   %s %s\n", V.alerts[i].event,
		    verdict_alert_text(&V.alerts[i]));
}

/*
 * Splits buf (one frame, maybe cut) as the relay does and decides it:
 * towards NODE (judged by c->g, noted in c->pg when the peer is a node
 * of ours too: `both`), or from NODE (`from_node`: noted in c->g, not
 * judged unless `both`).  Enters a fragment's verdict as the relay does.
 * Returns V.kind, or -1 when the framing refused the frame.
 */
static int
decide_dir(struct conn *c, const uint8_t *buf, size_t len, int from_node,
    int both)
{
	struct df_frame f;
	const char *why = NULL;
	struct vd_env e;
	int r;

	r = df_peek(&c->df, buf, len, &f, &why);
	if (r == DG_AGAIN) {
		V.kind = VD_HOLD;
		return VD_HOLD;
	}
	if (r < 0)
		return -1;
	memset(&e, 0, sizeof(e));
	e.judge = from_node ? (both ? &c->pg : NULL) : &c->g;
	e.sender = from_node ? &c->g : (both ? &c->pg : NULL);
	e.nodes = nodes;
	e.seen = seen;
	e.conf = conf;
	e.flags = c->flags;
	e.now = c->now;
	e.scratch = &scratch;
	e.out = out;
	e.out_cap = sizeof(out);
	verdict_frame(&c->vd, &c->df, &e, &f, &V);
	if ((V.kind == VD_FORWARD || V.kind == VD_DROP || V.kind == VD_DENY) &&
	    (f.kind == DF_FRAG_FIRST || f.kind == DF_FRAG_CONT) &&
	    df_commit(&c->df, &f, V.kind == VD_FORWARD ? DF_FORWARD : DF_DROP,
	    &why) < 0)
		return -1;
	show();
	return (int)V.kind;
}

static int
decide(struct conn *c, size_t len)
{
	return decide_dir(c, tbuf, len, 0, 0);
}

/* The verdict raised `event`, whose text holds `needle`. */
static int
alerted(const char *event, const char *needle)
{
	int i;

	for (i = 0; i < V.nalerts; i++)
		if (strcmp(V.alerts[i].event, event) == 0 &&
		    (needle == NULL ||
		    strstr(verdict_alert_text(&V.alerts[i]), needle)))
			return 1;
	return 0;
}

/* The verdict moved counter `what` (for `type`, `action` where it has
 * them: -1 for any). */
static int
bumped(enum vd_counter what, int type, int action)
{
	int i;

	for (i = 0; i < V.nbumps; i++)
		if (V.bumps[i].what == what &&
		    (type < 0 || V.bumps[i].type == type) &&
		    (action < 0 || V.bumps[i].action == action))
			return 1;
	return 0;
}

/* ---- cases ------------------------------------------------------------- */

static void
test_ping_profile(void)
{
	struct conn c;
	size_t n;
	int hdr;

	for (hdr = 0; hdr < 2; hdr++) {
		conn_open(&c, "ping@x", hdr);
		/* net_adm:ping's monitor of net_kernel by name: forwarded */
		n = f_monitor(&c, "ping@x", "net_kernel", 1);
		CHECK_EQ(decide(&c, n), VD_FORWARD);
		CHECK(bumped(VD_C_VERDICT, DG_T_MONITOR, DG_ALLOW));
		CHECK_EQ(V.nalerts, 0);
		/* its is_auth call */
		f_reg_send(&c, "ping@x", "net_kernel");
		tb_tuple(3);
		tb_atom("$gen_call");
		tb_tuple(2);
		tb_pid("ping@x");
		tb_ref("ping@x");
		tb_tuple(2);
		tb_atom("is_auth");
		tb_atom("ping@x");
		n = f_end();
		CHECK_EQ(decide(&c, n), VD_FORWARD);
		CHECK(bumped(VD_C_VERDICT, DG_T_REG_SEND, DG_ALLOW));
		/* anything else to a registered name: refused, no answer */
		f_reg_send(&c, "ping@x", "code_server");
		tb_atom("hello");
		n = f_end();
		CHECK_EQ(decide(&c, n), VD_DROP);
		CHECK(alerted("filter.denied", "reg_send to code_server"));
		CHECK(bumped(VD_C_VERDICT, DG_T_REG_SEND, DG_DENY));
		CHECK(V.answer == NULL);
		/* a spawn: denied, and answered as a node without spawn */
		n = f_spawn(&c, "ping@x", "os", "cmd");
		CHECK_EQ(decide(&c, n), VD_DENY);
		CHECK(alerted("filter.denied", "mfa os:cmd/0"));
		CHECK(V.answer != NULL && V.answer_len > 8);
		if (V.answer != NULL) {
			/* a whole frame in this connection's framing, a
			 * SPAWN_REPLY to the requester */
			CHECK_EQ(get_u32(V.answer), V.answer_len - 4);
			CHECK_EQ(V.answer[4], hdr ? 131 : 112);
		}
		conn_close(&c);
	}
}

/* An alert's detail, rendered late (verdict.h), reads as printf would
 * have written it, cut short as snprintf cuts. */
static void
test_alert_text(void)
{
	struct vd_alert a;
	char want[VD_DETAIL_MAX], got[VD_DETAIL_MAX], small[6];
	struct conn c;
	size_t n;

	memset(&a, 0, sizeof(a));
	a.event = "filter.test";
	a.fmt = "%s to %.*s: %d, %lld, %llu (100%%)%s";
	a.nargs = 6;
	a.args[0].s.p = "deny";
	a.args[0].s.len = SIZE_MAX;
	a.args[1].s.p = "code_serverXYZ";
	a.args[1].s.len = 11;
	a.args[2].i = -7;
	a.args[3].i = -9223372036854775807LL - 1;
	a.args[4].u = 18446744073709551615ULL;
	a.args[5].s.p = "";
	a.args[5].s.len = SIZE_MAX;
	snprintf(want, sizeof(want), "%s to %.*s: %d, %lld, %llu (100%%)%s",
	    "deny", 11, "code_serverXYZ", -7, -9223372036854775807LL - 1,
	    18446744073709551615ULL, "");
	CHECK_EQ(verdict_alert_render(&a, got, sizeof(got)), strlen(want));
	CHECK(strcmp(got, want) == 0);
	CHECK_EQ(verdict_alert_render(&a, small, sizeof(small)), 5);
	CHECK(strcmp(small, "deny ") == 0);
	CHECK(strcmp(verdict_alert_text(&a), want) == 0);

	/* A denial, whole: the text the eager snprintf gave. */
	conn_open(&c, "ping@x", 0);
	f_reg_send(&c, "ping@x", "code_server");
	tb_atom("hello");
	n = f_end();
	CHECK_EQ(decide(&c, n), VD_DROP);
	CHECK_EQ(V.nalerts, 1);
	CHECK(strcmp(V.alerts[0].event, "filter.denied") == 0);
	(void)verdict_alert_render(&V.alerts[0], got, sizeof(got));
	CHECK(strcmp(got, "deny reg_send to code_server by default: no rule "
	    "matches (line 13): op REG_SEND") == 0);
	conn_close(&c);
}

static void
test_spoofed_and_invalid(void)
{
	struct conn c;
	size_t n;

	conn_open(&c, "rule@x", 1);
	/* a sender pid of a third node */
	f_reg_send(&c, "third@x", "sink");
	tb_atom("hello");
	n = f_end();
	CHECK_EQ(decide(&c, n), VD_DROP);
	CHECK(alerted("filter.spoofed_sender", "claims a sender node third@x"));
	CHECK(bumped(VD_C_INVALID, -1, -1));
	/* the same from the peer itself: allowed by its rule */
	f_reg_send(&c, "rule@x", "sink");
	tb_atom("hello");
	n = f_end();
	CHECK_EQ(decide(&c, n), VD_FORWARD);
	CHECK(bumped(VD_C_VERDICT, DG_T_REG_SEND, DG_ALLOW));
	/* a control message that is not one */
	f_begin(&c);
	tb_tuple(2);
	tb_atom("junk");
	tb_int(1);
	n = f_end();
	CHECK_EQ(decide(&c, n), VD_DROP);
	CHECK(alerted("filter.invalid", NULL));
	CHECK(bumped(VD_C_INVALID, -1, -1));
	/* explicit deny rules: a link is answered with an exit */
	n = f_link(&c, "rule@x");
	CHECK_EQ(decide(&c, n), VD_DENY);
	CHECK(alerted("filter.denied", "deny link"));
	CHECK(V.answer != NULL);
	conn_close(&c);
}

static void
test_disconnect(void)
{
	struct conn c;
	size_t n;

	conn_open(&c, "disc@x", 0);
	f_reg_send(&c, "disc@x", "sink");
	tb_atom("hello");
	n = f_end();
	CHECK_EQ(decide(&c, n), VD_FORWARD);
	f_reg_send(&c, "disc@x", "rex");
	tb_atom("hello");
	n = f_end();
	CHECK_EQ(decide(&c, n), VD_DISCONNECT);
	CHECK(alerted("filter.denied", "reg_send to rex"));
	CHECK(V.close_reason != NULL && strstr(V.close_reason,
	    "{disconnect, true}") != NULL);
	CHECK(bumped(VD_C_VERDICT, DG_T_REG_SEND, -1));
	/* an invalid message too */
	f_begin(&c);
	f_term(&c);
	tb_atom("junk");
	n = f_end();
	CHECK_EQ(decide(&c, n), VD_DISCONNECT);
	CHECK(alerted("filter.invalid", NULL));
	conn_close(&c);
}

static void
test_audit(void)
{
	struct conn c;
	size_t n;
	int i, quiet = 0;

	conn_open(&c, "aud@x", 1);
	f_reg_send(&c, "aud@x", "other");
	tb_atom("hello");
	n = f_end();
	CHECK_EQ(decide(&c, n), VD_FORWARD);
	CHECK(alerted("filter.would_deny", "reg_send to other"));
	CHECK(alerted("filter.would_deny", "forwarded (audit mode), first of "
	    "its kind"));
	CHECK(bumped(VD_C_WOULD_DENY, DG_T_REG_SEND, -1));
	CHECK(!bumped(VD_C_VERDICT, -1, -1));
	/* rate-limited within the second, past each key's first */
	for (i = 0; i < 20; i++) {
		f_reg_send(&c, "aud@x", "other");
		tb_atom("hello");
		n = f_end();
		CHECK_EQ(decide(&c, n), VD_FORWARD);
		quiet += V.nalerts == 0;
	}
	CHECK(quiet > 10);
	CHECK(c.g.audit_quiet > 10);
	/* a fun in a message no rule admits, judged whole: named, past the
	 * second's limit too (as the walk of a streamed one names it) */
	f_reg_send(&c, "aud@x", "other");
	tb_tuple(2);
	tb_atom("hello");
	tb_fun("aud@x");
	n = f_end();
	CHECK_EQ(decide(&c, n), VD_FORWARD);
	CHECK(alerted("filter.would_deny", "a fun in the payload of a send "
	    "to other"));
	/* what the node's own protections refuse is refused in audit mode
	 * too: a spoofed sender */
	f_reg_send(&c, "third@x", "sink");
	tb_atom("hello");
	n = f_end();
	CHECK_EQ(decide(&c, n), VD_DROP);
	CHECK(alerted("filter.spoofed_sender", NULL));
	conn_close(&c);
}

/* {31, ReqId, To, 0, Result} from NODE, ReqId the ref at `ref`. */
static size_t
f_spawn_reply(const struct conn *c, const uint8_t *ref, size_t ref_len,
    int ok)
{
	f_begin(c);
	f_term(c);
	tb_tuple(5);
	tb_int(DOP_SPAWN_REPLY);
	wr_bytes(&w, ref, ref_len);
	tb_pid(c->peer);
	tb_int(0);
	if (ok)
		tb_pid_n(NODE, 9);
	else
		tb_atom("system_limit");
	return f_end();
}

/* {3, HandlerPid, To, normal} from NODE, HandlerPid <NODE.9>: the exit
 * signal of the link a handler's spawn asked for. */
static size_t
f_exit(const struct conn *c)
{
	f_begin(c);
	f_term(c);
	tb_tuple(4);
	tb_int(DOP_EXIT);
	tb_pid_n(NODE, 9);
	tb_pid(c->peer);
	tb_atom("normal");
	return f_end();
}

/* The handler spawns in flight on a connection (no table: none yet). */
#define MINTED(c)	((c).g.minted != NULL ? (c).g.minted->n : 0)

/* The message handlers (docs/FILTER.md 26): an allowed send rewritten
 * into a spawn with a minted ref, whose reply from the node is
 * swallowed; what the rules deny, or a send without a sender, is not. */
static void
test_handler_message(void)
{
	static uint8_t req[REWRITE_MAX];
	struct dist_msg m;
	struct conn c;
	const char *why;
	size_t n, req_len = 0;
	int i;

	conn_open(&c, "hmsg@x", 0);
	f_reg_send(&c, "hmsg@x", "sink");
	tb_atom("hello");
	n = f_end();
	CHECK_EQ(decide(&c, n), VD_REWRITE);
	CHECK_EQ(MINTED(c), 1);
	if (V.frame != NULL) {
		req_len = V.frame_len;
		memcpy(req, V.frame, req_len);
		CHECK(memmem(req, req_len, "reg_send", 8) != NULL);
	}
	/* the node's SPAWN_REPLY to it: swallowed, quietly */
	CHECK_EQ(dist_ctl_decode(req + 5, req + req_len, 1, &m, &why), 0);
	CHECK_EQ(m.op, DOP_SPAWN_REQUEST);
	n = f_spawn_reply(&c, m.t_reqid.p, m.t_reqid.len, 1);
	CHECK_EQ(decide_dir(&c, tbuf, n, 1, 0), VD_DROP);
	CHECK_EQ(V.nalerts, 0);
	/* the handler's process lives: its slot is kept until its EXIT */
	CHECK_EQ(MINTED(c), 1);
	n = f_exit(&c);
	CHECK_EQ(decide_dir(&c, tbuf, n, 1, 0), VD_DROP);
	CHECK_EQ(V.nalerts, 0);
	CHECK_EQ(MINTED(c), 0);
	/* a second reply or EXIT for it is no longer ours: judged as today */
	n = f_spawn_reply(&c, m.t_reqid.p, m.t_reqid.len, 1);
	CHECK_EQ(decide_dir(&c, tbuf, n, 1, 0), VD_FORWARD);
	n = f_exit(&c);
	CHECK_EQ(decide_dir(&c, tbuf, n, 1, 0), VD_FORWARD);
	/* a failed spawn: swallowed too, alerted */
	f_reg_send(&c, "hmsg@x", "sink");
	tb_atom("again");
	n = f_end();
	CHECK_EQ(decide(&c, n), VD_REWRITE);
	memcpy(req, V.frame, V.frame_len);
	req_len = V.frame_len;
	CHECK_EQ(dist_ctl_decode(req + 5, req + req_len, 1, &m, &why), 0);
	n = f_spawn_reply(&c, m.t_reqid.p, m.t_reqid.len, 0);
	CHECK_EQ(decide_dir(&c, tbuf, n, 1, 0), VD_DROP);
	CHECK(alerted("filter.handler", "spawn failed on the node: "
	    "system_limit"));
	/* the peer's own spawn reply (a ref it made): forwarded */
	f_begin(&c);
	f_term(&c);
	tb_tuple(5);
	tb_int(DOP_SPAWN_REPLY);
	tb_ref("hmsg@x");
	tb_pid("hmsg@x");
	tb_int(0);
	tb_pid_n(NODE, 9);
	n = f_end();
	CHECK_EQ(decide_dir(&c, tbuf, n, 1, 0), VD_FORWARD);
	/* denied by the rules: not rewritten, no spawn minted */
	f_reg_send(&c, "hmsg@x", "vault");
	tb_atom("hello");
	n = f_end();
	CHECK_EQ(decide(&c, n), VD_DROP);	/* a send has no answer */
	CHECK(alerted("filter.denied", "reg_send to vault"));
	CHECK_EQ(MINTED(c), 0);
	/* a plain SEND, without a sender: denied, filter.handler */
	f_begin(&c);
	f_term(&c);
	tb_tuple(3);
	tb_int(DOP_SEND);
	tb_atom("");
	tb_pid_n(NODE, 7);
	f_term(&c);
	tb_atom("hello");
	n = f_end();
	CHECK(decide(&c, n) == VD_DROP || V.kind == VD_DENY);
	CHECK(alerted("filter.handler", "a send without its sender"));
	/* the bound of spawns in flight */
	for (i = 0; i < REWRITE_REFS_MAX; i++) {
		f_reg_send(&c, "hmsg@x", "sink");
		tb_atom("hello");
		n = f_end();
		if (decide(&c, n) != VD_REWRITE)
			break;
	}
	CHECK_EQ(i, REWRITE_REFS_MAX);
	f_reg_send(&c, "hmsg@x", "sink");
	tb_atom("hello");
	n = f_end();
	CHECK(decide(&c, n) == VD_DROP || V.kind == VD_DENY);
	CHECK(alerted("filter.handler", "too many handler spawns in flight"));
	conn_close(&c);

	/* header mode (131 68): the header kept, the terms without 131 */
	conn_open(&c, "hmsg@x", 1);
	f_reg_send(&c, "hmsg@x", "sink");
	tb_atom("hello");
	n = f_end();
	CHECK_EQ(decide(&c, n), VD_REWRITE);
	if (V.frame != NULL) {
		req_len = V.frame_len;
		memcpy(req, V.frame, req_len);
		CHECK(req[4] == 131 && req[5] == 68 && req[6] == 0);
		CHECK_EQ(dist_ctl_decode(req + 7, req + req_len, 0, &m, &why), 0);
		CHECK_EQ(m.op, DOP_SPAWN_REQUEST);
		CHECK(term_span_eq(m.exec_f, "reg_send"));
		CHECK_EQ(m.exec_arity, 4);
	}
	conn_close(&c);

	/* in fragments: denied, filter.handler */
	conn_open(&c, "hmsg@x", 1);
	tb_reset();
	wr_u32(&w, 0);
	wr_u8(&w, 131);
	wr_u8(&w, 69);		/* DIST_FRAG_HEADER */
	wr_u64(&w, 1);		/* sequence */
	wr_u64(&w, 2);		/* fragments */
	wr_u8(&w, 0);		/* no atom cache refs */
	tb_tuple(4);
	tb_int(DOP_REG_SEND);
	tb_pid("hmsg@x");
	tb_atom("");
	tb_atom("sink");
	tb_tuple(2);
	tb_atom("part");
	n = f_end();
	CHECK(decide(&c, n) == VD_DROP || V.kind == VD_DENY);
	CHECK(alerted("filter.handler", "in fragments"));
	CHECK_EQ(MINTED(c), 0);
	conn_close(&c);
}

static void
test_handler_rewrite(void)
{
	struct conn c;
	size_t n;

	conn_open(&c, "hand@x", 1);
	n = f_spawn(&c, "hand@x", "m", "f");
	CHECK_EQ(decide(&c, n), VD_REWRITE);
	CHECK(V.frame == out && V.frame_len > n);
	if (V.frame != NULL) {
		CHECK_EQ(get_u32(V.frame), V.frame_len - 4);
		/* the handler module is what runs now */
		CHECK(memmem(V.frame, V.frame_len, "dgt_handler", 11) != NULL);
	}
	/* no room to build it: denied, answered */
	{
		struct df_frame f;
		const char *why;
		struct vd_env e;

		n = f_spawn(&c, "hand@x", "m", "f");
		CHECK_EQ(df_peek(&c.df, tbuf, n, &f, &why), 1);
		memset(&e, 0, sizeof(e));
		e.judge = &c.g;
		e.nodes = nodes;
		e.conf = conf;
		e.flags = c.flags;
		e.now = c.now;
		e.scratch = &scratch;
		e.out = out;
		e.out_cap = 8;
		verdict_frame(&c.vd, &c.df, &e, &f, &V);
		CHECK_EQ(V.kind, VD_DENY);
		CHECK(alerted("filter.handler", "handler dgt_handler not applied"));
		CHECK(bumped(VD_C_VERDICT, DG_T_SPAWN_REQUEST, DG_DENY));
	}
	/* not in its list: the rules' denial */
	n = f_spawn(&c, "hand@x", "os", "cmd");
	CHECK_EQ(decide(&c, n), VD_DENY);
	CHECK(alerted("filter.denied", "mfa os:cmd/0"));
	conn_close(&c);
}

/* What NODE asks comes back whatever the profile says; what it did not
 * ask is the profile's to judge. */
static void
test_replies_both_directions(void)
{
	struct conn c;
	size_t n;

	conn_open(&c, "rep@x", 1);
	/* NODE monitors a process of the peer: noted, not judged */
	n = f_monitor(&c, NODE, "srv", 99);
	CHECK_EQ(decide_dir(&c, tbuf, n, 1, 0), VD_FORWARD);
	CHECK_EQ(V.nalerts, 0);
	CHECK_EQ(V.nbumps, 0);
	/* the peer's MONITOR_P_EXIT for that reference: an owed reply */
	f_begin(&c);
	tb_tuple(5);
	tb_int(DOP_MONITOR_P_EXIT);
	tb_atom("srv");
	tb_pid(NODE);
	wr_u8(&w, 90);
	wr_u16(&w, 3);
	tb_atom(NODE);
	wr_u32(&w, 1);
	wr_u32(&w, 99);
	wr_u32(&w, 3);
	wr_u32(&w, 4);
	tb_atom("noproc");
	n = f_end();
	CHECK_EQ(decide(&c, n), VD_FORWARD);
	CHECK(bumped(VD_C_REPLIES, -1, -1));
	/* once: the same again is the rules' (replies does not cover it) */
	CHECK_EQ(decide(&c, n), VD_DROP);
	CHECK(!bumped(VD_C_REPLIES, -1, -1));
	/* a send to a pid NODE never showed: refused by the profile */
	f_begin(&c);
	tb_tuple(3);
	tb_int(DOP_SEND_SENDER);
	tb_pid("rep@x");
	tb_pid_n(NODE, 1234);
	tb_atom("hello");
	n = f_end();
	CHECK_EQ(decide(&c, n), VD_DROP);
	CHECK(alerted("filter.denied", "reason undisclosed"));
	/* NODE shows that pid (in a message it sends: {self(), hi}) ... */
	f_begin(&c);
	tb_tuple(3);
	tb_int(DOP_SEND_SENDER);
	tb_pid_n(NODE, 5);
	tb_pid("rep@x");
	tb_tuple(2);
	tb_pid_n(NODE, 1234);
	tb_atom("hi");
	n = f_end();
	CHECK_EQ(decide_dir(&c, tbuf, n, 1, 0), VD_FORWARD);
	/* ... and a plain answer to it passes */
	f_begin(&c);
	tb_tuple(3);
	tb_int(DOP_SEND_SENDER);
	tb_pid("rep@x");
	tb_pid_n(NODE, 1234);
	tb_atom("hello");
	n = f_end();
	CHECK_EQ(decide(&c, n), VD_FORWARD);
	CHECK(bumped(VD_C_VERDICT, DG_T_SEND, DG_ALLOW));
	conn_close(&c);
}

/* Two nodes of ours: both sides are judged, each by the other's guard
 * (an egress to a node of this host). */
static void
test_both_ours(void)
{
	struct conn c;
	size_t n;

	conn_open(&c, "ping@x", 0);
	/* from NODE to ping@x, judged by ping@x's guard (its policy for
	 * NODE: the file's default, which refuses this) */
	f_reg_send(&c, NODE, "code_server");
	tb_atom("hello");
	n = f_end();
	CHECK_EQ(decide_dir(&c, tbuf, n, 1, 1), VD_DROP);
	CHECK(V.nalerts == 1);
	/* a frame from a node nobody guards is decoded, never judged:
	 * even junk goes (what a node of ours sends is its business) */
	f_begin(&c);
	f_term(&c);
	tb_atom("junk");
	n = f_end();
	CHECK_EQ(decide_dir(&c, tbuf, n, 1, 0), VD_FORWARD);
	CHECK_EQ(V.nalerts, 0);
	conn_close(&c);
}

static void
test_global_profile(void)
{
	struct conn c;
	size_t n;

	conn_open(&c, "glob@x", 1);
	/* the locker's monitor of global_name_server by name */
	n = f_monitor(&c, "glob@x", "global_name_server", 5);
	CHECK_EQ(decide(&c, n), VD_FORWARD);
	/* a message to global_name_server that is not global's protocol */
	f_reg_send(&c, "glob@x", "global_name_server");
	tb_atom("hello");
	n = f_end();
	CHECK_EQ(decide(&c, n), VD_DROP);
	CHECK(alerted("filter.denied", "global_name_server"));
	/* rex is not the global profile's */
	n = f_spawn(&c, "glob@x", "erlang", "halt");
	CHECK_EQ(decide(&c, n), VD_DENY);
	conn_close(&c);
}

static void
test_atom_budget(void)
{
	struct conn c;
	char a[16];
	size_t n;
	int i;

	conn_open(&c, "atom@x", 1);
	/* within the budget of 8 (the names count too) */
	f_reg_send(&c, "atom@x", "sink");
	tb_atom("a1");
	n = f_end();
	CHECK_EQ(decide(&c, n), VD_FORWARD);
	/* a message with more new atoms than the budget: cut off */
	f_reg_send(&c, "atom@x", "sink");
	tb_list(12);
	for (i = 0; i < 12; i++) {
		snprintf(a, sizeof(a), "new%d", i);
		tb_atom(a);
	}
	tb_nil();
	n = f_end();
	CHECK_EQ(decide(&c, n), VD_DISCONNECT);
	CHECK(alerted("filter.atom_flood", "atom budget of the peer name"));
	CHECK(V.close_reason != NULL &&
	    strcmp(V.close_reason, "atom budget exhausted") == 0);
	conn_close(&c);
}

static void
test_held_budget(void)
{
	struct conn c;
	int saved_alert = conf->held_alert, saved_max = conf->held_max;
	size_t n;
	uint32_t i;

	conf->held_alert = 3;
	conf->held_max = 5;
	conn_open(&c, "mon@x", 1);
	for (i = 1; i <= 5; i++) {
		n = f_monitor(&c, "mon@x", NULL, i);
		CHECK_EQ(decide(&c, n), VD_FORWARD);
		CHECK_EQ(alerted("filter.held_budget", "alert at 3"), i == 3);
	}
	n = f_monitor(&c, "mon@x", NULL, 6);
	CHECK_EQ(decide(&c, n), VD_DISCONNECT);
	CHECK(alerted("filter.held_budget", "the bound is 5"));
	CHECK(V.close_reason != NULL &&
	    strcmp(V.close_reason, "held budget exhausted") == 0);
	conn_close(&c);
	conf->held_alert = saved_alert;
	conf->held_max = saved_max;
}

static void
test_ticks(void)
{
	struct conn c;
	uint8_t tick[4] = { 0, 0, 0, 0 };
	int i, kind = VD_FORWARD;

	conn_open(&c, "all@x", 1);
	CHECK_EQ(decide_dir(&c, tick, 4, 0, 0), VD_FORWARD);
	CHECK_EQ(decide_dir(&c, tick, 4, 0, 0), VD_DROP);	/* too soon */
	c.now += 1.0;
	CHECK_EQ(decide_dir(&c, tick, 4, 0, 0), VD_FORWARD);
	/* a flood: past tick_flood in one second, closed */
	for (i = 0; i < conf->tick_flood + 2 && kind != VD_DISCONNECT; i++)
		kind = decide_dir(&c, tick, 4, 0, 0);
	CHECK_EQ(kind, VD_DISCONNECT);
	CHECK(alerted("filter.tick_flood", "ticks in a second"));
	/* from a node of ours, ticks are not judged */
	CHECK_EQ(decide_dir(&c, tick, 4, 1, 0), VD_FORWARD);
	conn_close(&c);
}

/* A frame whose control message is not all here yet: held; with the
 * rest, decided. */
static void
test_hold(void)
{
	struct conn c;
	size_t n;

	conn_open(&c, "rule@x", 1);
	f_reg_send(&c, "rule@x", "sink");
	tb_atom("hello");
	n = f_end();
	CHECK_EQ(decide(&c, 12), VD_HOLD);
	CHECK_EQ(V.nalerts, 0);
	CHECK_EQ(decide(&c, n), VD_FORWARD);
	conn_close(&c);
}

/* A send admitted on its first bytes, a fun further on: the walk finds
 * it before the frame's last bytes go (verdict_skip). */
static void
test_walk(void)
{
	struct conn c;
	size_t n, cut;
	int k;

	conn_open(&c, "rule@x", 1);
	f_reg_send(&c, "rule@x", "sink");
	tb_tuple(2);
	tb_bin(20000, 0);
	tb_fun("rule@x");
	n = f_end();
	cut = 8000;		/* past DC_STREAM_MIN of payload */
	k = decide(&c, cut);
	CHECK_EQ(k, VD_FORWARD);
	CHECK(c.vd.walk_cur != NULL);
	verdict_skip(&c.vd, tbuf + cut, n - cut, 1, &V);
	CHECK_EQ(V.kind, VD_DISCONNECT);
	CHECK(alerted("filter.code", "a fun past the part of the message"));
	CHECK(c.vd.walk_cur == NULL);
	conn_close(&c);
	/* the same without the fun: walked to its end, forwarded */
	conn_open(&c, "rule@x", 1);
	f_reg_send(&c, "rule@x", "sink");
	tb_tuple(2);
	tb_bin(20000, 0);
	tb_atom("end");
	n = f_end();
	CHECK_EQ(decide(&c, cut), VD_FORWARD);
	verdict_skip(&c.vd, tbuf + cut, 1000, 0, &V);
	CHECK_EQ(V.kind, VD_FORWARD);
	verdict_skip(&c.vd, tbuf + cut + 1000, n - cut - 1000, 1, &V);
	CHECK_EQ(V.kind, VD_FORWARD);
	CHECK_EQ(V.nalerts, 0);
	CHECK(c.vd.walks == NULL);
	conn_close(&c);
}

static void
test_kind_names(void)
{
	CHECK(strcmp(verdict_kind_name(VD_FORWARD), "forward") == 0);
	CHECK(strcmp(verdict_kind_name(VD_DISCONNECT), "disconnect") == 0);
	CHECK(strcmp(verdict_kind_name((enum vd_kind)42), "?") == 0);
}

int
main(void)
{
	conf = conf_load_text("t.conf", conf_text, strlen(conf_text),
	    conf_error, NULL);
	nodes = nodes_new();
	seen = seen_new();
	if (conf == NULL || nodes == NULL || seen == NULL) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	RUN(test_ping_profile);
	RUN(test_alert_text);
	RUN(test_spoofed_and_invalid);
	RUN(test_disconnect);
	RUN(test_audit);
	RUN(test_handler_rewrite);
	RUN(test_handler_message);
	RUN(test_replies_both_directions);
	RUN(test_both_ours);
	RUN(test_global_profile);
	RUN(test_atom_budget);
	RUN(test_held_budget);
	RUN(test_ticks);
	RUN(test_hold);
	RUN(test_walk);
	RUN(test_kind_names);
	seen_free(seen);
	nodes_free(nodes);
	conf_unref(conf);
	return TEST_DONE();
}
