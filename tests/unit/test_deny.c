/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_deny.c - filter/deny.c: every answer is decoded back with ei and
 * checked field by field, in both framings (header mode 131,68,0 and
 * pass-through 112), with and without EXIT_PAYLOAD; raw terms must come
 * back byte for byte; every short buffer gets -1 and no write past it.
 */
#include <string.h>

#include <ei.h>

#include "dg_test.h"
#include "dg_flags.h"
#include "dg_wire.h"
#include "dist_ctl.h"
#include "deny.h"

/* Terms written by hand (spec 4.7).  Node a@localhost is the requester,
 * b@localhost the node that denies. */
#define ATOM_A	119, 11, 'a', '@', 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't'
#define ATOM_B	119, 11, 'b', '@', 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't'

/* NEW_PID_EXT <a@localhost.9.0>, creation 0x0f67a4ba */
static const uint8_t pid_a[] = {
	88, ATOM_A, 0, 0, 0, 9, 0, 0, 0, 0, 0x0f, 0x67, 0xa4, 0xba
};
/* NEW_PID_EXT <b@localhost.91.0>, creation 0x0b2f8fc6 */
static const uint8_t pid_b[] = {
	88, ATOM_B, 0, 0, 0, 91, 0, 0, 0, 0, 0x0b, 0x2f, 0x8f, 0xc6
};
/* NEWER_REFERENCE_EXT, 3 words, node a@localhost */
static const uint8_t ref_a[] = {
	90, 0, 3, ATOM_A, 0x0f, 0x67, 0xa4, 0xba,
	0, 0x03, 0x03, 0x07, 0x67, 0x9c, 0x00, 0x01, 0xd2, 0x81, 0x6a, 0x7b
};
/* SMALL_ATOM_UTF8_EXT fx_gs: a monitor by name */
static const uint8_t atom_fx_gs[] = { 119, 5, 'f', 'x', '_', 'g', 's' };
/* A seq_trace token: {0, 7, 3, Pid, 4} */
static const uint8_t token[] = {
	104, 5, 97, 0, 97, 7, 97, 3,
	88, ATOM_A, 0, 0, 0, 9, 0, 0, 0, 0, 0x0f, 0x67, 0xa4, 0xba,
	97, 4
};

#define FLAGS_OTP25	0x0000000d07df7fbdULL	/* captures/ping, negotiated */
#define FLAGS_NO_EXIT_PAYLOAD	(FLAGS_OTP25 & ~DFLAG_EXIT_PAYLOAD)

static struct dg_span
sp(const uint8_t *p, size_t n)
{
	struct dg_span s = { p, (uint32_t)n };
	return s;
}

#define SPAN(a)	sp((a), sizeof(a))

static struct dist_msg
mk(int op, enum dg_type t)
{
	struct dist_msg m;

	memset(&m, 0, sizeof(m));
	m.op = op;
	m.type = t;
	m.has_from = 1;
	return m;
}

static struct dist_msg
spawn_req(int tt)
{
	struct dist_msg m = mk(tt ? DOP_SPAWN_REQUEST_TT : DOP_SPAWN_REQUEST,
	    DG_T_SPAWN_REQUEST);

	m.has_payload = 1;
	m.via = VIA_ERPC;
	m.request = REPLY_SPAWN;
	m.t_reqid = SPAN(ref_a);
	m.key = m.t_reqid;
	m.t_from = SPAN(pid_a);
	if (tt)
		m.t_token = SPAN(token);
	return m;
}

static struct dist_msg
link_req(void)
{
	struct dist_msg m = mk(DOP_LINK, DG_T_LINK);

	m.t_from = SPAN(pid_a);
	m.t_target = SPAN(pid_b);
	return m;
}

static struct dist_msg
monitor_req(int by_name)
{
	struct dist_msg m = mk(DOP_MONITOR_P, DG_T_MONITOR);

	m.t_from = SPAN(pid_a);
	m.t_ref = SPAN(ref_a);
	m.request = REPLY_MONITOR;
	if (by_name) {
		static const uint8_t txt[] = "fx_gs";

		m.has_name = 1;
		m.name = sp(txt, 5);
		m.t_target = SPAN(atom_fx_gs);
	} else {
		m.t_target = SPAN(pid_b);
	}
	return m;
}

/* ---- reading answers back ---- */

static uint8_t out[1024];
static int olen;

static int
build(const struct dist_msg *m, uint64_t flags, int pt)
{
	memset(out, 0xee, sizeof(out));
	olen = deny_reply(m, flags, pt, out, sizeof(out));
	if (olen > 0 && (size_t)olen < sizeof(out))
		CHECK_EQ(out[olen], 0xee);	/* nothing past the frame */
	return olen;
}

/*
 * Checks the frame prefix and header; returns the index of the first term
 * (ei-style) and whether terms carry a version byte.
 */
static int
frame_start(int pt)
{
	CHECK(olen > 8);
	CHECK_EQ(get_u32(out), (uint32_t)(olen - 4));
	if (pt) {
		CHECK_EQ(out[4], 112);
		return 5;
	}
	CHECK_EQ(out[4], 131);
	CHECK_EQ(out[5], 68);
	CHECK_EQ(out[6], 0);		/* no atom cache refs */
	return 7;
}

static void
term_version(int pt, int *idx)
{
	int v = 0;

	if (!pt) {
		CHECK(out[*idx] != 131);
		return;
	}
	CHECK_EQ(ei_decode_version((const char *)out, idx, &v), 0);
	CHECK_EQ(v, 131);
}

static void
expect_long(int *idx, long want)
{
	long v = -1;

	CHECK_EQ(ei_decode_long((const char *)out, idx, &v), 0);
	CHECK_EQ(v, want);
}

static void
expect_atom(int *idx, const char *want)
{
	char a[MAXATOMLEN_UTF8];

	a[0] = '\0';
	CHECK_EQ(ei_decode_atom((const char *)out, idx, a), 0);
	CHECK(strcmp(a, want) == 0);
}

static void
expect_tuple(int *idx, int arity)
{
	int n = -1;

	CHECK_EQ(ei_decode_tuple_header((const char *)out, idx, &n), 0);
	CHECK_EQ(n, arity);
}

/* The raw term at *idx is `want`, byte for byte, and ei reads it. */
static void
expect_raw(int *idx, const uint8_t *want, size_t n)
{
	CHECK((size_t)*idx + n <= (size_t)olen);
	CHECK(memcmp(out + *idx, want, n) == 0);
	CHECK_EQ(ei_skip_term((const char *)out, idx), 0);
}

static void
expect_pid(int *idx, const uint8_t *raw, size_t n, const char *node,
    unsigned num, unsigned creation)
{
	erlang_pid p;
	int i = *idx;

	memset(&p, 0, sizeof(p));
	CHECK_EQ(ei_decode_pid((const char *)out, &i, &p), 0);
	CHECK(strcmp(p.node, node) == 0);
	CHECK_EQ(p.num, num);
	CHECK_EQ(p.serial, 0);
	CHECK_EQ(p.creation, creation);
	expect_raw(idx, raw, n);
	CHECK_EQ(*idx, i);
}

static void
expect_ref_a(int *idx)
{
	erlang_ref r;
	int i = *idx;

	memset(&r, 0, sizeof(r));
	CHECK_EQ(ei_decode_ref((const char *)out, &i, &r), 0);
	CHECK(strcmp(r.node, "a@localhost") == 0);
	CHECK_EQ(r.len, 3);
	CHECK_EQ(r.creation, 0x0f67a4ba);
	CHECK_EQ(r.n[0], 0x00030307);
	CHECK_EQ(r.n[1], 0x679c0001);
	CHECK_EQ(r.n[2], 0xd2816a7b);
	expect_raw(idx, ref_a, sizeof(ref_a));
	CHECK_EQ(*idx, i);
}

#define PID_A(idx)	expect_pid((idx), pid_a, sizeof(pid_a), "a@localhost", \
			    9, 0x0f67a4ba)
#define PID_B(idx)	expect_pid((idx), pid_b, sizeof(pid_b), "b@localhost", \
			    91, 0x0b2f8fc6)

/* ---- cases ---- */

static void
test_spawn_reply(void)
{
	struct dist_msg m = spawn_req(0);
	int pt, idx;

	for (pt = 0; pt <= 1; pt++) {
		CHECK(build(&m, FLAGS_OTP25, pt) > 0);
		idx = frame_start(pt);
		term_version(pt, &idx);
		/* {31, ReqId, From, 0, notsup} (spec 5.3) */
		expect_tuple(&idx, 5);
		expect_long(&idx, DOP_SPAWN_REPLY);
		expect_ref_a(&idx);
		PID_A(&idx);
		expect_long(&idx, 0);
		expect_atom(&idx, "notsup");
		CHECK_EQ(idx, olen);	/* no payload */
	}
	/* The flags do not matter for a spawn reply. */
	CHECK(build(&m, 0, 0) > 0);
	/* Header mode: 4 + 3 + 2 + 2 + ref + pid + 2 + 8 bytes. */
	CHECK_EQ(olen, 4 + 3 + 2 + 2 + (int)sizeof(ref_a) +
	    (int)sizeof(pid_a) + 2 + 8);
}

static void
test_spawn_reply_tt(void)
{
	struct dist_msg m = spawn_req(1);
	int pt, idx;

	for (pt = 0; pt <= 1; pt++) {
		CHECK(build(&m, FLAGS_OTP25, pt) > 0);
		idx = frame_start(pt);
		term_version(pt, &idx);
		/* {32, ReqId, From, 0, notsup, Token} */
		expect_tuple(&idx, 6);
		expect_long(&idx, DOP_SPAWN_REPLY_TT);
		expect_ref_a(&idx);
		PID_A(&idx);
		expect_long(&idx, 0);
		expect_atom(&idx, "notsup");
		expect_raw(&idx, token, sizeof(token));
		CHECK_EQ(idx, olen);
	}
	/* _TT without its token: no answer rather than a wrong one. */
	m.t_token.len = 0;
	CHECK_EQ(build(&m, FLAGS_OTP25, 0), 0);
}

static void
test_link_exit(void)
{
	struct dist_msg m = link_req();
	int pt, idx;

	for (pt = 0; pt <= 1; pt++) {
		/* EXIT_PAYLOAD: {24, Target, Linker} + noproc */
		CHECK(build(&m, FLAGS_OTP25, pt) > 0);
		idx = frame_start(pt);
		term_version(pt, &idx);
		expect_tuple(&idx, 3);
		expect_long(&idx, DOP_PAYLOAD_EXIT);
		PID_B(&idx);
		PID_A(&idx);
		term_version(pt, &idx);
		expect_atom(&idx, "noproc");
		CHECK_EQ(idx, olen);

		/* without: {3, Target, Linker, noproc} */
		CHECK(build(&m, FLAGS_NO_EXIT_PAYLOAD, pt) > 0);
		idx = frame_start(pt);
		term_version(pt, &idx);
		expect_tuple(&idx, 4);
		expect_long(&idx, DOP_EXIT);
		PID_B(&idx);
		PID_A(&idx);
		expect_atom(&idx, "noproc");
		CHECK_EQ(idx, olen);
	}
}

static void
test_monitor_down(void)
{
	struct dist_msg m;
	int pt, by_name, idx;

	for (by_name = 0; by_name <= 1; by_name++) {
		m = monitor_req(by_name);
		for (pt = 0; pt <= 1; pt++) {
			/* {28, Target, Watcher, Ref} + noproc */
			CHECK(build(&m, FLAGS_OTP25, pt) > 0);
			idx = frame_start(pt);
			term_version(pt, &idx);
			expect_tuple(&idx, 4);
			expect_long(&idx, DOP_PAYLOAD_MONITOR_P_EXIT);
			if (by_name) {
				expect_raw(&idx, atom_fx_gs,
				    sizeof(atom_fx_gs));
			} else {
				PID_B(&idx);
			}
			PID_A(&idx);
			expect_ref_a(&idx);
			term_version(pt, &idx);
			expect_atom(&idx, "noproc");
			CHECK_EQ(idx, olen);

			/* {21, Target, Watcher, Ref, noproc} */
			CHECK(build(&m, FLAGS_NO_EXIT_PAYLOAD, pt) > 0);
			idx = frame_start(pt);
			term_version(pt, &idx);
			expect_tuple(&idx, 5);
			expect_long(&idx, DOP_MONITOR_P_EXIT);
			if (by_name) {
				int j = idx;

				expect_atom(&j, "fx_gs");
				expect_raw(&idx, atom_fx_gs,
				    sizeof(atom_fx_gs));
			} else {
				PID_B(&idx);
			}
			PID_A(&idx);
			expect_ref_a(&idx);
			expect_atom(&idx, "noproc");
			CHECK_EQ(idx, olen);
		}
	}
}

static void
test_no_answer(void)
{
	struct dist_msg m;
	static const int ops[] = {
		DOP_SEND, DOP_SEND_TT, DOP_SEND_SENDER, DOP_SEND_SENDER_TT,
		DOP_REG_SEND, DOP_REG_SEND_TT, DOP_ALIAS_SEND,
		DOP_ALIAS_SEND_TT, DOP_EXIT, DOP_PAYLOAD_EXIT, DOP_EXIT2,
		DOP_PAYLOAD_EXIT2, DOP_EXIT2_TT, DOP_PAYLOAD_EXIT2_TT,
		DOP_DEMONITOR_P, DOP_MONITOR_P_EXIT,
		DOP_PAYLOAD_MONITOR_P_EXIT, DOP_GROUP_LEADER, DOP_UNLINK_ID,
		DOP_UNLINK_ID_ACK, DOP_SPAWN_REPLY, DOP_SPAWN_REPLY_TT,
		DOP_ALTACT_SIG_SEND, DOP_UNLINK
	};
	size_t i;
	int pt;

	/* Every span filled in: the op alone decides there is no answer. */
	for (i = 0; i < DG_ARRAY_LEN(ops); i++)
		for (pt = 0; pt <= 1; pt++) {
			m = spawn_req(1);
			m.op = ops[i];
			m.t_target = SPAN(pid_b);
			m.t_ref = SPAN(ref_a);
			CHECK_EQ(build(&m, FLAGS_OTP25, pt), 0);
		}
	/* rex and net_kernel exec forms are REG_SENDs: no answer here. */
	m = mk(DOP_REG_SEND, DG_T_SPAWN_REQUEST);
	m.via = VIA_REX;
	m.t_from = SPAN(pid_a);
	CHECK_EQ(build(&m, FLAGS_OTP25, 0), 0);
	m.via = VIA_NET_KERNEL;
	CHECK_EQ(build(&m, FLAGS_OTP25, 1), 0);
}

static void
test_missing_terms(void)
{
	struct dist_msg m;

	m = spawn_req(0);
	m.t_reqid.len = 0;
	CHECK_EQ(build(&m, FLAGS_OTP25, 0), 0);
	m = spawn_req(0);
	m.t_from.p = NULL;
	m.t_from.len = 0;
	CHECK_EQ(build(&m, FLAGS_OTP25, 0), 0);
	m = link_req();
	m.t_target.len = 0;
	CHECK_EQ(build(&m, FLAGS_OTP25, 0), 0);
	m = monitor_req(0);
	m.t_ref.len = 0;
	CHECK_EQ(build(&m, FLAGS_OTP25, 0), 0);
	m = monitor_req(1);
	m.t_from.len = 0;
	CHECK_EQ(build(&m, FLAGS_OTP25, 1), 0);
}

/* Every capacity short of the frame fails, without writing past it (the
 * buffer ends at a PROT_NONE page); the exact size succeeds. */
static void
test_short_buffer(void)
{
	static const uint8_t zeros[512];
	struct dist_msg ms[5];
	uint8_t *buf;
	size_t i, cap;
	int pt, need, got;

	ms[0] = spawn_req(0);
	ms[1] = spawn_req(1);
	ms[2] = link_req();
	ms[3] = monitor_req(0);
	ms[4] = monitor_req(1);
	for (i = 0; i < DG_ARRAY_LEN(ms); i++)
		for (pt = 0; pt <= 1; pt++) {
			need = build(&ms[i], FLAGS_OTP25, pt);
			CHECK(need > 0 && (size_t)need <= sizeof(zeros));
			CHECK((size_t)need <= DENY_REPLY_MAX(2 * sizeof(ref_a) +
			    sizeof(pid_a) + sizeof(token)));
			for (cap = 0; cap < (size_t)need; cap++) {
				buf = (uint8_t *)guard_copy(zeros, cap);
				CHECK_EQ(deny_reply(&ms[i], FLAGS_OTP25, pt,
				    buf, cap), -1);
			}
			buf = (uint8_t *)guard_copy(zeros, (size_t)need);
			got = deny_reply(&ms[i], FLAGS_OTP25, pt, buf,
			    (size_t)need);
			CHECK_EQ(got, need);
			CHECK(memcmp(buf, out, (size_t)need) == 0);
		}
}

int
main(void)
{
	RUN(test_spawn_reply);
	RUN(test_spawn_reply_tt);
	RUN(test_link_exit);
	RUN(test_monitor_down);
	RUN(test_no_answer);
	RUN(test_missing_terms);
	RUN(test_short_buffer);
	return TEST_DONE();
}
