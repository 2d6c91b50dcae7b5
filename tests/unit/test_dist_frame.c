/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_dist_frame.c - filter/dist_frame.c against every captured session
 * (both directions, whole and byte at a time, with dist_ctl_decode on each
 * frame) and against hand-built hostile frames.  Parser input always ends
 * at a guard page.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dg_test.h"
#include "dg_flags.h"
#include "dg_wire.h"
#include "dist_ctl.h"
#include "dist_frame.h"

/* Sequence tables for df_attach (dist_frame.h): one per df_dir name. */
static struct df_seq seq_table_d[DF_MAX_SEQS];
static struct df_seq seq_table_strict[DF_MAX_SEQS];

/*
 * What the decoder in /work/shared/fixtures/tools says each capture holds,
 * one string per direction: "len:op" for a 131 68 / 112 frame, "lenEop"
 * for a first fragment, "lenFid" for a continuation, "T" for a tick; a
 * trailing "r" marks a header with atom cache references.  Mode: 'A' atom
 * cache + FRAGMENTS, 'F' FRAGMENTS only, 'C' atom cache only, 'P'
 * pass-through (neither).
 */
struct cap {
	const char	*dir;
	char		 mode;
	const char	*side;
	const char	*frames;
};

static const struct cap caps[] = {
	{ "flagstrip/a2b_only_DIST_HDR_ATOM_CACHE", 'A', "a2b",
	    "77:19 156:6 86:6r 193:6r 78:22r 78:6r" },
	{ "flagstrip/a2b_only_DIST_HDR_ATOM_CACHE", 'A', "b2a",
	    "86:6 205:6" },
	{ "flagstrip/a2b_only_FRAGMENTS", 'A', "a2b",
	    "77:19 156:6 86:6r 193:6r 78:22r 78:6r 60:20r 149:29r 116:29r 66:6r 108:29r 41:1r 62:19r 43:35r 59:22r 55:19r 105:6r 49:20r 74:6r 65560E6r 65554F3 65554F2 8255F1" },
	{ "flagstrip/a2b_only_FRAGMENTS", 'A', "b2a",
	    "86:6r 193:6r 86:22r 78:22r 78:6r 64:31r 97:28r 64:31r 90:28r 61:22r 64:31r 69:22r 43:36r 69:28r 94:33r 71:33r" },
	{ "captures/alias_send", 'A', "a2b",
	    "86:6r 193:6r 78:22r 78:6r 49:19r 153:6r 62:19r 76:22r 49:20r 82:6r 66:6r 78:6r 49:19r 136:6r 62:20r 71:22r 49:20r 85:6r" },
	{ "captures/alias_send", 'A', "b2a",
	    "86:6r 193:6r 78:22r 78:6r 49:19r 153:6r 62:19r 76:22r 49:20r 82:6r 66:6r 78:6r 49:19r 136:6r 62:20r 71:22r 49:20r 74:33r" },
	{ "flagstrip/b2a_only_DIST_HDR_ATOM_CACHE", 'A', "a2b",
	    "77:19 156:6" },
	{ "flagstrip/b2a_only_DIST_HDR_ATOM_CACHE", 'A', "b2a",
	    "86:6r 193:6r 86:22r" },
	{ "captures/erpc_call", 'A', "a2b",
	    "86:6r 193:6r 78:6r 78:22r 49:19r 153:6r 62:19r 76:22r 49:20r 82:6r 66:6r 78:6r 62:20r 71:22r 49:19r 136:6r 49:20r 149:29r" },
	{ "captures/erpc_call", 'A', "b2a",
	    "86:6r 193:6r 78:22r 78:6r 49:19r 153:6r 62:19r 76:22r 49:20r 82:6r 66:6r 78:6r 49:19r 136:6r 49:20r 62:20r 71:22r 64:31r 97:28r" },
	{ "captures/erpc_cast_fun", 'A', "a2b",
	    "86:6r 193:6r 78:6r 78:22r 49:19r 153:6r 62:19r 76:22r 49:20r 82:6r 66:6r 78:6r 49:19r 136:6r 62:20r 71:22r 49:20r 177:29r" },
	{ "captures/erpc_cast_fun", 'A', "b2a",
	    "86:6r 193:6r 78:22r 78:6r 49:19r 153:6r 62:19r 76:22r 49:20r 82:6r 66:6r 78:6r 49:19r 136:6r 62:20r 71:22r 49:20r 64:31r" },
	{ "captures/erpc_cast_mfa", 'A', "a2b",
	    "86:6r 193:6r 78:6r 78:22r 49:19r 153:6r 49:20r 87:6r 66:6r 78:6r 49:19r 136:6r 49:20r 135:29r" },
	{ "captures/erpc_cast_mfa", 'A', "b2a",
	    "86:6r 193:6r 78:22r 78:6r 62:19r 76:22r 82:6r 66:6r 78:6r 62:20r 71:22r 64:31r" },
	{ "captures/exit2", 'A', "a2b",
	    "86:6r 193:6r 78:6r 78:22r 49:19r 153:6r 62:19r 76:22r 49:20r 82:6r 66:6r 78:6r 62:20r 71:22r 49:19r 136:6r 49:20r 108:29r 62:19r 60:26r" },
	{ "captures/exit2", 'A', "b2a",
	    "86:6r 193:6r 78:22r 78:6r 49:19r 153:6r 62:19r 76:22r 49:20r 82:6r 66:6r 78:6r 49:19r 136:6r 49:20r 62:20r 71:22r 64:31r 69:22r 81:28r" },
	{ "captures/gen_server_call", 'A', "a2b",
	    "86:6r 193:6r 78:6r 78:22r 49:19r 153:6r 62:19r 76:22r 49:20r 82:6r 66:6r 78:6r 62:20r 71:22r 49:19r 136:6r 49:20r 55:19r 98:6r 49:20r" },
	{ "captures/gen_server_call", 'A', "b2a",
	    "86:6r 193:6r 78:22r 78:6r 49:19r 153:6r 62:19r 76:22r 49:20r 82:6r 66:6r 78:6r 49:19r 136:6r 49:20r 62:20r 71:22r 103:33r" },
	{ "captures/group_leader", 'A', "a2b",
	    "86:6r 193:6r 78:6r 78:22r 49:19r 153:6r 62:19r 76:22r 49:20r 82:6r 66:6r 78:6r 49:19r 136:6r 62:20r 71:22r 49:20r 173:29r 83:22r 108:29r 41:7r 84:22r 71:22r 49:22r" },
	{ "captures/group_leader", 'A', "b2a",
	    "86:6r 193:6r 78:22r 78:6r 49:19r 153:6r 62:19r 76:22r 49:20r 82:6r 66:6r 78:6r 49:19r 136:6r 62:20r 71:22r 49:20r 64:31r 62:19r 169:22r 62:20r 102:28r 64:31r 69:22r 62:19r 155:22r 62:20r" },
	{ "captures/large_binary", 'A', "a2b",
	    "86:6r 193:6r 78:6r 78:22r 49:19r 153:6r 49:20r 87:6r 66:6r 78:6r 49:19r 136:6r 49:20r 65568E6r 65554F3 65554F2 8255F1" },
	{ "captures/large_binary", 'A', "b2a",
	    "86:6r 193:6r 78:22r 78:6r 62:19r 76:22r 82:6r 66:6r 78:6r 62:20r 71:22r 69:22r" },
	{ "captures/large_deeplist", 'A', "a2b",
	    "86:6r 193:6r 78:22r 78:6r 49:19r 153:6r 62:19r 76:22r 49:20r 82:6r 66:6r 78:6r 49:19r 136:6r 62:20r 71:22r 49:20r 65568E6r 65554F3 65554F2 22686F1" },
	{ "captures/large_deeplist", 'A', "b2a",
	    "86:6r 193:6r 78:22r 78:6r 49:19r 153:6r 62:19r 76:22r 49:20r 82:6r 66:6r 78:6r 49:19r 136:6r 62:20r 71:22r 49:20r 73:22r" },
	{ "captures/link_monitor", 'A', "a2b",
	    "86:6r 193:6r 78:6r 78:22r 49:19r 153:6r 62:19r 76:22r 49:20r 82:6r 66:6r 78:6r 49:19r 136:6r 62:20r 71:22r 49:20r 108:29r 41:1r 62:19r 57:19r 49:20r 43:35r 41:1r 70:22r" },
	{ "captures/link_monitor", 'A', "b2a",
	    "86:6r 193:6r 78:22r 78:6r 49:19r 153:6r 62:19r 76:22r 49:20r 82:6r 66:6r 78:6r 49:19r 136:6r 62:20r 71:22r 49:20r 64:31r 69:22r 43:36r 59:24r 65:28r" },
	{ "captures/ping", 'A', "a2b",
	    "77:19 156:6 86:6r 193:6r 78:6r 78:22r 60:20r 49:19r 153:6r 62:19r 76:22r 49:20r 82:6r 66:6r 78:6r 49:19r 136:6r 49:20r 62:20r 71:22r" },
	{ "captures/ping", 'A', "b2a",
	    "86:6r 193:6r 86:22r 78:22r 78:6r 49:19r 153:6r 62:19r 76:22r 49:20r 82:6r 66:6r 78:6r 62:20r 71:22r 49:19r 136:6r 49:20r" },
	{ "captures/ping_hidden", 'A', "a2b",
	    "77:19 156:6 72:20r" },
	{ "captures/ping_hidden", 'A', "b2a",
	    "110:22r" },
	{ "captures/rpc_call", 'A', "a2b",
	    "86:6r 193:6r 78:6r 78:22r 49:19r 153:6r 49:20r 62:19r 76:22r 82:6r 66:6r 78:6r 62:20r 71:22r 49:19r 136:6r 49:20r 149:29r" },
	{ "captures/rpc_call", 'A', "b2a",
	    "86:6r 193:6r 78:22r 78:6r 62:19r 76:22r 49:19r 153:6r 49:20r 82:6r 66:6r 78:6r 49:19r 136:6r 49:20r 62:20r 71:22r 64:31r 97:28r" },
	{ "captures/send_pid", 'A', "a2b",
	    "86:6r 193:6r 78:6r 78:22r 62:19r 76:22r 82:6r 66:6r 78:6r 62:20r 71:22r 108:29r 67:22r 49:22r" },
	{ "captures/send_pid", 'A', "b2a",
	    "86:6r 193:6r 78:22r 78:6r 49:19r 153:6r 49:20r 87:6r 66:6r 78:6r 49:19r 136:6r 49:20r 64:31r 69:22r 73:22r" },
	{ "captures/send_regname", 'A', "a2b",
	    "86:6r 193:6r 78:22r 78:6r 49:19r 153:6r 62:19r 76:22r 49:20r 82:6r 66:6r 78:6r 49:19r 136:6r 62:20r 71:22r 49:20r 66:6r" },
	{ "captures/send_regname", 'A', "b2a",
	    "86:6r 193:6r 78:22r 78:6r 49:19r 153:6r 62:19r 76:22r 49:20r 82:6r 66:6r 78:6r 49:19r 136:6r 62:20r 71:22r 49:20r 61:22r" },
	{ "captures/spawn4", 'A', "a2b",
	    "86:6r 193:6r 78:6r 78:22r 49:19r 153:6r 62:19r 76:22r 49:20r 82:6r 66:6r 78:6r 49:19r 136:6r 62:20r 71:22r 49:20r 108:29r 49:22r" },
	{ "captures/spawn4", 'A', "b2a",
	    "86:6r 193:6r 78:22r 78:6r 49:19r 153:6r 62:19r 76:22r 49:20r 82:6r 66:6r 78:6r 49:19r 136:6r 62:20r 71:22r 49:20r 64:31r 69:22r" },
	{ "flagstrip/strip_BIG_CREATION+MANDATORY_25_DIGEST", 'A', "a2b",
	    "" },
	{ "flagstrip/strip_BIG_CREATION+MANDATORY_25_DIGEST", 'A', "b2a",
	    "" },
	{ "flagstrip/strip_DIST_HDR_ATOM_CACHE+FRAGMENTS", 'P', "a2b",
	    "76:19 156:6 86:6 205:6 110:6 102:22 76:20 183:29 183:29 79:6 145:29 58:1 90:19 60:35 72:22 71:19 130:6 71:20 93:6 204877:6 84:19 223:6 90:19 114:22 84:20 124:6 106:6 115:6 84:19 223:6 90:20 114:22 84:20" },
	{ "flagstrip/strip_DIST_HDR_ATOM_CACHE+FRAGMENTS", 'P', "b2a",
	    "86:6 205:6 110:22 102:22 110:6 92:31 146:28 92:31 146:28 74:22 92:31 96:22 60:36 96:28 133:33 84:33 82:22 84:19 223:6 90:19 114:22 84:20 124:6 106:6 115:6 84:19 223:6 90:20 114:22 84:20" },
	{ "flagstrip/strip_DIST_HDR_ATOM_CACHE", 'F', "a2b",
	    "77:19 156:6 86:6 205:6 110:6 102:22 77:20 183:29 183:29 79:6 145:29 59:1 91:19 61:35 72:22 72:19 130:6 72:20 93:6 65555E6 65554F3 65554F2 8284F1 85:19 223:6 91:19 114:22 85:20 124:6 106:6 115:6 85:19 223:6 91:20 114:22 85:20" },
	{ "flagstrip/strip_DIST_HDR_ATOM_CACHE", 'F', "b2a",
	    "86:6 205:6 110:22 102:22 110:6 93:31 146:28 93:31 146:28 74:22 93:31 96:22 61:36 96:28 133:33 84:33 82:22 85:19 223:6 91:19 114:22 85:20 124:6 106:6 115:6 85:19 223:6 91:20 114:22 85:20" },
	{ "flagstrip/strip_FRAGMENTS", 'C', "a2b",
	    "77:19 156:6 86:6r 193:6r 60:20r 154:29r 73:22r 78:6r 116:29r 66:6r 108:29r 41:1r 62:19r 43:35r 59:22r 55:19r 105:6r 49:20r 74:6r 204853:6r 49:19r 143:6r 62:19r 76:22r 49:20r 82:6r 66:6r 78:6r 49:19r 136:6r 62:20r 71:22r 49:20r" },
	{ "flagstrip/strip_FRAGMENTS", 'C', "b2a",
	    "110:22r 74:6r 181:6r 78:6r 78:22r 64:31r 97:28r 64:31r 90:28r 61:22r 64:31r 69:22r 43:36r 69:28r 94:33r 71:33r 64:22r 49:19r 153:6r 62:19r 76:22r 49:20r 82:6r 66:6r 78:6r 49:19r 136:6r 62:20r 71:22r 49:20r" },
	{ "flagstrip/strip_all_optional_and_digest", 'P', "a2b",
	    "T 156:6 86:6 205:6 78:2 79:6 110:6 223:6 90:2 124:6 106:6 115:6 223:6 90:2 130:6 93:6 204877:6" },
	{ "flagstrip/strip_all_optional_and_digest", 'P', "b2a",
	    "86:2 86:6 205:6 110:6 78:2 50:2 223:6 90:2 124:6 106:6 115:6 90:2 223:6 58:2" },
	{ "captures/tick", 'A', "a2b",
	    "77:19 156:6 86:6r 193:6r 78:6r 78:22r 60:20r 49:19r 153:6r 62:19r 76:22r 49:20r 82:6r 66:6r 78:6r 49:19r 136:6r 62:20r 71:22r 49:20r T T T T T" },
	{ "captures/tick", 'A', "b2a",
	    "86:6r 193:6r 86:22r 78:22r 78:6r 49:19r 153:6r 62:19r 76:22r 49:20r 82:6r 66:6r 78:6r 49:19r 136:6r 62:20r 71:22r 49:20r T T T T T T" },
	{ "captures/wrong_cookie", 'A', "a2b",
	    "" },
	{ "captures/wrong_cookie", 'A', "b2a",
	    "" },
};

/*
 * One reusable region whose end is a PROT_NONE page: gput copies bytes so
 * that they end right at it.  guard_copy would map a page per call, and the
 * byte-at-a-time walks below make hundreds of thousands of calls.
 */
#define GB_CAP	(1024 * 1024)
static uint8_t *gb_end;

static const uint8_t *
gput(const void *src, size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t *m;

	if (gb_end == NULL) {
		m = mmap(NULL, GB_CAP + pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED || mprotect(m + GB_CAP, pg, PROT_NONE) == -1)
			abort();
		gb_end = m + GB_CAP;
	}
	if (len > GB_CAP)
		abort();
	if (len)
		memmove(gb_end - len, src, len);
	return gb_end - len;
}

static uint64_t
mode_flags(char mode)
{
	switch (mode) {
	case 'A':	return DFLAG_DIST_HDR_ATOM_CACHE | DFLAG_FRAGMENTS;
	case 'F':	return DFLAG_FRAGMENTS;
	case 'C':	return DFLAG_DIST_HDR_ATOM_CACHE;
	default:	return 0;
	}
}

/* One parsed token of struct cap.frames. */
struct tok {
	uint32_t	len;
	char		kind;		/* ':' 'E' 'F' 'T' */
	int		val;		/* op, or FragmentId */
	int		refs;
};

static const char *
next_tok(const char *s, struct tok *t)
{
	char *e;

	while (*s == ' ')
		s++;
	if (*s == '\0')
		return NULL;
	memset(t, 0, sizeof(*t));
	if (*s == 'T') {
		t->kind = 'T';
		return s + 1;
	}
	t->len = (uint32_t)strtoul(s, &e, 10);
	t->kind = *e++;
	t->val = (int)strtol(e, &e, 10);
	if (*e == 'r') {
		t->refs = 1;
		e++;
	}
	return e;
}

/* Bytes df_peek needs before it decides on the frame at b. */
static size_t
peek_need(const uint8_t *b, int header_mode)
{
	uint32_t flen = get_u32(b);

	if (flen == 0)
		return 4;
	if (header_mode && b[5] == 70)
		return 4 + 18;
	return 4 + (flen < DF_WINDOW ? flen : DF_WINDOW);
}

static int
frame_eq(const struct df_frame *a, const struct df_frame *b)
{
	return a->kind == b->kind && a->len == b->len && a->seq == b->seq &&
	    a->frag == b->frag && a->hdr_len == b->hdr_len;
}

static int
msg_eq(const struct dist_msg *a, const struct dist_msg *b)
{
	return a->op == b->op && a->type == b->type &&
	    a->has_name == b->has_name && a->name.len == b->name.len &&
	    a->via == b->via && a->exec_arity == b->exec_arity &&
	    a->exec_m.len == b->exec_m.len && a->opaque == b->opaque &&
	    a->is_auth == b->is_auth && a->rex_features == b->rex_features &&
	    a->key.len == b->key.len && a->has_from == b->has_from;
}

static int n_frames, n_decoded, n_cache_refused, n_bytewise;

/*
 * Feeds the control term of one frame to dist_ctl_decode one byte more at
 * a time: every prefix is DG_AGAIN until the decoder has what it needs,
 * after which the answer is the same as on the whole frame.
 */
static void
ctl_bytewise(const uint8_t *terms, size_t len, int pt, int want_rc,
    const struct dist_msg *want)
{
	struct dist_msg m;
	const char *why;
	const uint8_t *g;
	size_t k, lim = len < 1024 ? len : 1024;
	int rc, done = 0;
	uint8_t *own;

	/* terms may sit in the guard region that gput reuses */
	own = malloc(len + 1);
	memcpy(own, terms, len);
	terms = own;
	for (k = 0; k <= len; k++) {
		if (k > lim && k < len)
			k = len;
		g = gput(terms, k);
		rc = dist_ctl_decode(g, g + k, pt, &m, &why);
		if (k == len) {
			CHECK_EQ(rc, want_rc);
			if (rc == 0)
				CHECK(msg_eq(&m, want));
			break;
		}
		if (want_rc == DG_EINVAL) {
			/* may fail as soon as the bad byte is in */
			CHECK(rc == DG_AGAIN || rc == DG_EINVAL || rc == 0);
			continue;
		}
		if (rc == 0) {
			CHECK(msg_eq(&m, want));
			done = 1;
		} else {
			if (rc != DG_AGAIN)
				fprintf(stderr, "  prefix %zu/%zu: %s\n", k,
				    len, why);
			CHECK_EQ(rc, DG_AGAIN);
			CHECK(!done);
		}
	}
	free(own);
	n_bytewise++;
}

/*
 * Walks one direction of one capture through df_peek/df_commit and
 * dist_ctl_decode and compares with the expected listing; every frame is
 * also peeked one byte at a time, and without a negotiated atom cache.
 */
static void
walk_capture(const struct cap *c)
{
	char rel[256];
	uint8_t *raw;
	const uint8_t *s, *p;
	size_t rawlen, off, len, need, k;
	struct df_dir d, before, strict, probe;
	struct df_frame f, f2;
	struct dist_msg m;
	const char *why, *exp;
	struct tok t;
	int a2b = strcmp(c->side, "a2b") == 0, pt = c->mode == 'P';
	int rc, rc2, nf = 0;
	uint8_t *copy;

	snprintf(rel, sizeof(rel), "%s/dist1.%s.bin", c->dir, c->side);
	raw = load_vector(rel, &rawlen);
	CHECK(raw != NULL);
	if (raw == NULL)
		return;
	off = skip_handshake(raw, rawlen, a2b);
	len = rawlen - off;
	/* a private copy: gput reuses its region for the prefixes */
	copy = malloc(len + 1);
	memcpy(copy, raw + off, len);
	free(raw);

	df_init(&d, mode_flags(c->mode), 0, 0, 0);
	memset(seq_table_d, 0, sizeof(seq_table_d));
	df_attach(&d, seq_table_d);
	df_init(&strict, pt ? 0 : DFLAG_FRAGMENTS, 0, 0, 0);
	memset(seq_table_strict, 0, sizeof(seq_table_strict));
	df_attach(&strict, seq_table_strict);
	exp = c->frames;
	for (p = copy; p < copy + len; p += 4 + f.len) {
		exp = next_tok(exp, &t);
		CHECK(exp != NULL);
		if (exp == NULL)
			break;
		nf++;

		/* byte at a time: AGAIN up to `need`, then the frame */
		need = peek_need(p, d.header_mode);
		before = d;
		for (k = 0; k < need; k++) {
			if (k > 600 && k < need - 1)
				k = need - 1;
			probe = before;
			s = gput(p, k);
			rc = df_peek(&probe, s, k, &f, &why);
			CHECK_EQ(rc, DG_AGAIN);
			CHECK(memcmp(&probe, &before, sizeof(probe)) == 0);
		}
		probe = before;
		s = gput(p, need);
		rc = df_peek(&probe, s, need, &f2, &why);
		CHECK_EQ(rc, 1);

		/* the whole stream, from here to its end */
		s = gput(p, (size_t)(copy + len - p));
		rc = df_peek(&d, s, (size_t)(copy + len - p), &f, &why);
		CHECK_EQ(rc, 1);
		if (rc != 1) {
			fprintf(stderr, "  %s %s frame %d: %s\n", c->dir,
			    c->side, nf, why);
			break;
		}
		CHECK(f.complete);
		CHECK(frame_eq(&f, &f2));
		CHECK_EQ(f.len, t.len);
		n_frames++;
		switch (t.kind) {
		case 'T':
			CHECK_EQ(f.kind, DF_TICK);
			break;
		case 'F':
			CHECK_EQ(f.kind, DF_FRAG_CONT);
			CHECK_EQ(f.frag, (uint64_t)t.val);
			break;
		default:
			CHECK_EQ(f.kind, t.kind == 'E' ? DF_FRAG_FIRST : DF_MSG);
			rc = dist_ctl_decode(f.terms, f.terms_end, pt, &m, &why);
			if (rc == 0) {
				CHECK_EQ(m.op, t.val);
				n_decoded++;
			} else {
				/* only an atom cache ref may stop it */
				CHECK(t.refs);
				CHECK_EQ(rc, DG_EINVAL);
			}
			ctl_bytewise(f.terms, (size_t)(f.terms_end - f.terms),
			    pt, rc, &m);

			/* Without the atom cache negotiated, a header
			 * with refs is a violation; one without is fine. */
			if (pt || f.len > DF_WINDOW)
				break;
			s = gput(p, 4 + f.len);
			probe = strict;
			rc2 = df_peek(&probe, s, 4 + f.len, &f2, &why);
			if (t.refs) {
				CHECK_EQ(rc2, DG_EINVAL);
				CHECK(probe.event != NULL && strcmp(probe.event,
				    "filter.atom_cache_violation") == 0);
				n_cache_refused++;
			} else
				CHECK_EQ(rc2, 1);
			break;
		}
		rc = df_commit(&d, &f, DF_FORWARD, &why);
		CHECK_EQ(rc, DF_FORWARD);
	}
	CHECK(p == copy + len);
	CHECK(next_tok(exp ? exp : "", &t) == NULL);
	CHECK_EQ(d.nseqs, 0);
	free(copy);
}

static void
test_captures(void)
{
	size_t i;

	for (i = 0; i < DG_ARRAY_LEN(caps); i++)
		walk_capture(&caps[i]);
	fprintf(stderr, "  %d frames, %d control messages decoded, %d "
	    "refused for atom cache refs, %d fed byte-wise\n", n_frames,
	    n_decoded, n_cache_refused, n_bytewise);
	/* every frame the fixture decoder listed, in all the captures */
	CHECK_EQ(n_frames, 886);
	CHECK(n_cache_refused > 0);
}

/* The ping capture's first two a2b frames carry N = 0 and decode even
 * when the atom cache is not negotiated; the third is refused. */
static void
test_atom_cache_first_frames(void)
{
	uint8_t *raw;
	size_t rawlen, off;
	const uint8_t *s;
	struct df_dir d;
	struct df_frame f;
	struct dist_msg m;
	const char *why;
	int rc;

	raw = load_vector("captures/ping/dist1.a2b.bin", &rawlen);
	CHECK(raw != NULL);
	if (raw == NULL)
		return;
	off = skip_handshake(raw, rawlen, 1);
	df_init(&d, DFLAG_FRAGMENTS, 0, 0, 0);
	memset(seq_table_d, 0, sizeof(seq_table_d));
	df_attach(&d, seq_table_d);
	s = gput(raw + off, rawlen - off);
	CHECK_EQ(df_peek(&d, s, rawlen - off, &f, &why), 1);
	CHECK_EQ(dist_ctl_decode(f.terms, f.terms_end, 0, &m, &why), 0);
	CHECK_EQ(m.op, DOP_MONITOR_P);
	CHECK(m.has_name && term_span_eq(m.name, "net_kernel"));
	CHECK_EQ(df_commit(&d, &f, DF_FORWARD, &why), DF_FORWARD);
	s += 4 + f.len;
	CHECK_EQ(df_peek(&d, s, (size_t)(gb_end - s), &f, &why), 1);
	CHECK_EQ(dist_ctl_decode(f.terms, f.terms_end, 0, &m, &why), 0);
	CHECK_EQ(m.op, DOP_REG_SEND);
	CHECK(m.is_auth);
	CHECK_EQ(df_commit(&d, &f, DF_FORWARD, &why), DF_FORWARD);
	s += 4 + f.len;
	d.event = NULL;
	rc = df_peek(&d, s, (size_t)(gb_end - s), &f, &why);
	CHECK_EQ(rc, DG_EINVAL);
	CHECK(d.event && strcmp(d.event, "filter.atom_cache_violation") == 0);
	free(raw);
}

/* Hand-built frames. */
static uint8_t fbuf[300000];

/* A 131 68 frame (N = 0) carrying {2, '', Pid} and payload `x`. */
static size_t
mk_msg(uint8_t *b)
{
	static const uint8_t body[] = {
		131, 68, 0,
		104, 3, 97, 2, 119, 0,
		88, 119, 1, 'b', 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1,
		119, 1, 'x'
	};

	put_u32(b, sizeof(body));
	memcpy(b + 4, body, sizeof(body));
	return 4 + sizeof(body);
}

/* 131 69 / 131 70 with `data` bytes of filler after the header. */
static size_t
mk_frag(uint8_t *b, int first, uint64_t seq, uint64_t frag, size_t data)
{
	size_t h = first ? 19 : 18;

	put_u32(b, (uint32_t)(h + data));
	b[4] = 131;
	b[5] = first ? 69 : 70;
	put_u64(b + 6, seq);
	put_u64(b + 14, frag);
	if (first)
		b[22] = 0;
	memset(b + 4 + h, 106, data);
	return 4 + h + data;
}

static int
peek_g(struct df_dir *d, const uint8_t *b, size_t len, struct df_frame *f,
    const char **why)
{
	return df_peek(d, gput(b, len), len, f, why);
}

static int
event_is(const struct df_dir *d, const char *ev)
{
	return d->event != NULL && strcmp(d->event, ev) == 0;
}

/* peek + commit of one hand-built fragment with `verdict`. */
static int
frag_step(struct df_dir *d, int first, uint64_t seq, uint64_t frag,
    size_t data, enum df_verdict verdict)
{
	struct df_frame f;
	const char *why = NULL;
	size_t n = mk_frag(fbuf, first, seq, frag, data);
	int rc;

	if ((rc = peek_g(d, fbuf, n, &f, &why)) != 1)
		return rc;
	if (df_needs_table(d, &f))
		df_attach(d, seq_table_d);
	return df_commit(d, &f, verdict, &why);
}

/* Reassembly bounds (issue 26 item 3): what the receiver holds for open
 * sequences, per connection, per node across connections, and idle. */
static void
test_reassembly_bounds(void)
{
	struct df_dir d, d2;
	struct df_bounds b;
	uint64_t node = 0;
	int i;

	/* per connection: 64 sequences opened, then their continuations
	 * run into the bound; a dropped sequence counts nothing */
	memset(seq_table_d, 0, sizeof(seq_table_d));
	df_init(&d, DFLAG_FRAGMENTS, 0, 0, 0);
	memset(&b, 0, sizeof(b));
	b.max_open = 1 << 20;
	df_bound(&d, &b);
	for (i = 0; i < 64; i++)
		CHECK_EQ(frag_step(&d, 1, 100 + (uint64_t)i, 20, 1000,
		    DF_FORWARD), DF_FORWARD);
	CHECK_EQ(d.open_bytes, 64 * (1000 + 20 * DF_FRAG_COST));
	/* 1 MiB - 145920 bytes leave room for 13 fragments of 65000 */
	for (i = 0; i < 13; i++)
		CHECK_EQ(frag_step(&d, 0, 100 + (uint64_t)i, 19, 65000,
		    DF_FORWARD), DF_FORWARD);
	CHECK_EQ(frag_step(&d, 0, 113, 19, 65000, DF_FORWARD), DG_EINVAL);
	CHECK(event_is(&d, "filter.reassembly"));

	/* the last fragment gives its sequence's bytes back */
	memset(seq_table_d, 0, sizeof(seq_table_d));
	df_init(&d, DFLAG_FRAGMENTS, 0, 0, 0);
	df_bound(&d, &b);
	CHECK_EQ(frag_step(&d, 1, 7, 3, 60000, DF_FORWARD), DF_FORWARD);
	CHECK_EQ(frag_step(&d, 0, 7, 2, 60000, DF_FORWARD), DF_FORWARD);
	CHECK_EQ(d.open_bytes, 120000 + 3 * DF_FRAG_COST);
	CHECK_EQ(frag_step(&d, 0, 7, 1, 60000, DF_FORWARD), DF_FORWARD);
	CHECK_EQ(d.open_bytes, 0);
	/* dropped sequences: the receiver holds nothing of them */
	CHECK_EQ(frag_step(&d, 1, 8, 3, 60000, DF_DROP), DF_DROP);
	CHECK_EQ(frag_step(&d, 0, 8, 2, 60000, DF_FORWARD), DF_DROP);
	CHECK_EQ(d.open_bytes, 0);

	/* per node: two connections share one figure */
	memset(seq_table_d, 0, sizeof(seq_table_d));
	df_init(&d, DFLAG_FRAGMENTS, 0, 0, 0);
	df_init(&d2, DFLAG_FRAGMENTS, 0, 0, 0);
	memset(&b, 0, sizeof(b));
	b.node_open = &node;
	b.max_node_open = 150000;
	df_bound(&d, &b);
	df_bound(&d2, &b);
	CHECK_EQ(frag_step(&d, 1, 1, 5, 60000, DF_FORWARD), DF_FORWARD);
	{
		static struct df_seq t2[DF_MAX_SEQS];
		struct df_frame f;
		const char *why = NULL;
		size_t n = mk_frag(fbuf, 1, 2, 5, 60000);

		CHECK_EQ(peek_g(&d2, fbuf, n, &f, &why), 1);
		df_attach(&d2, t2);
		CHECK_EQ(df_commit(&d2, &f, DF_FORWARD, &why), DF_FORWARD);
		CHECK_EQ(node, 120000 + 10 * DF_FRAG_COST);
		n = mk_frag(fbuf, 0, 2, 4, 60000);
		CHECK_EQ(peek_g(&d2, fbuf, n, &f, &why), 1);
		CHECK_EQ(df_commit(&d2, &f, DF_FORWARD, &why), DG_EINVAL);
		CHECK(event_is(&d2, "filter.reassembly"));
		/* the connection closes: its share goes back */
		df_release(&d2);
		CHECK_EQ(node, 60000 + 5 * DF_FRAG_COST);
	}
	df_release(&d);
	CHECK_EQ(node, 0);

	/* a first fragment announcing 2^40 fragments: the receiver would
	 * set them all up at once; counted, and refused */
	memset(seq_table_d, 0, sizeof(seq_table_d));
	df_init(&d, DFLAG_FRAGMENTS, 0, 0, 0);
	memset(&b, 0, sizeof(b));
	b.max_open = 256 << 20;
	df_bound(&d, &b);
	CHECK_EQ(frag_step(&d, 1, 3, (uint64_t)1 << 40, 100, DF_FORWARD),
	    DG_EINVAL);
	CHECK(event_is(&d, "filter.reassembly"));
	CHECK_EQ(d.open_bytes, 0);

	/* idle: an open sequence without a fragment past the deadline */
	memset(seq_table_d, 0, sizeof(seq_table_d));
	df_init(&d, DFLAG_FRAGMENTS, 0, 0, 0);
	memset(&b, 0, sizeof(b));
	b.idle_ms = 1000;
	df_bound(&d, &b);
	d.now_ms = 5000;
	CHECK_EQ(frag_step(&d, 1, 9, 3, 100, DF_FORWARD), DF_FORWARD);
	d.now_ms = 5900;
	CHECK_EQ(frag_step(&d, 0, 9, 2, 100, DF_FORWARD), DF_FORWARD);
	d.now_ms = 6800;
	{
		uint8_t tick[4] = { 0, 0, 0, 0 };
		struct df_frame f;
		const char *why = NULL;

		CHECK_EQ(peek_g(&d, tick, 4, &f, &why), 1);
		d.now_ms = 7000;
		CHECK_EQ(peek_g(&d, tick, 4, &f, &why), DG_EINVAL);
		CHECK(event_is(&d, "filter.reassembly"));
	}
}

static void
test_tick_and_prefixes(void)
{
	struct df_dir d;
	struct df_frame f;
	const char *why;
	size_t n, k;
	uint8_t b[64];

	df_init(&d, DFLAG_FRAGMENTS, 0, 0, 0);
	memset(seq_table_d, 0, sizeof(seq_table_d));
	df_attach(&d, seq_table_d);
	memset(b, 0, 4);
	for (k = 0; k < 4; k++)
		CHECK_EQ(peek_g(&d, b, k, &f, &why), DG_AGAIN);
	CHECK_EQ(peek_g(&d, b, 4, &f, &why), 1);
	CHECK_EQ(f.kind, DF_TICK);
	CHECK_EQ(df_commit(&d, &f, DF_DROP, &why), DF_DROP);

	n = mk_msg(b);
	for (k = 0; k < n; k++)
		CHECK_EQ(peek_g(&d, b, k, &f, &why), DG_AGAIN);
	CHECK_EQ(peek_g(&d, b, n, &f, &why), 1);
	CHECK_EQ(f.kind, DF_MSG);
	CHECK(f.complete);
	CHECK_EQ(f.hdr_len, 3);
	/* bytes of the next frame do not belong to this one */
	CHECK_EQ(peek_g(&d, b, n, &f, &why), 1);
	CHECK(f.terms_end == gb_end);

	n = mk_frag(b, 1, 7, 3, 10);
	for (k = 0; k < n; k++)
		CHECK_EQ(peek_g(&d, b, k, &f, &why), DG_AGAIN);
	CHECK_EQ(peek_g(&d, b, n, &f, &why), 1);
	CHECK_EQ(f.kind, DF_FRAG_FIRST);
	CHECK_EQ(f.seq, 7);
	CHECK_EQ(f.frag, 3);
	CHECK_EQ(df_commit(&d, &f, DF_DROP, &why), DF_DROP);
	n = mk_frag(b, 0, 7, 2, 10);
	for (k = 0; k < 22; k++)
		CHECK_EQ(peek_g(&d, b, k, &f, &why), DG_AGAIN);
	/* a continuation is decided on its header alone */
	CHECK_EQ(peek_g(&d, b, 22, &f, &why), 1);
	CHECK_EQ(f.kind, DF_FRAG_CONT);
	CHECK(!f.complete);
	CHECK_EQ(df_commit(&d, &f, DF_FORWARD, &why), DF_DROP);
}

static void
test_lengths(void)
{
	struct df_dir d;
	struct df_frame f;
	const char *why;
	uint8_t b[8];
	size_t k;

	/* 4 GiB length: refused from the 4-byte prefix, nothing waits */
	df_init(&d, 0, 0, 0, 0);
	memset(seq_table_d, 0, sizeof(seq_table_d));
	df_attach(&d, seq_table_d);
	put_u32(b, 0xffffffffU);
	b[4] = 112;
	CHECK_EQ(peek_g(&d, b, 4, &f, &why), DG_EINVAL);
	CHECK(event_is(&d, "filter.oversized"));
	df_init(&d, DFLAG_FRAGMENTS, 0, 0, 0);
	memset(seq_table_d, 0, sizeof(seq_table_d));
	df_attach(&d, seq_table_d);
	CHECK_EQ(peek_g(&d, b, 5, &f, &why), DG_EINVAL);
	CHECK(event_is(&d, "filter.oversized"));

	/* the configured bound, without FRAGMENTS */
	df_init(&d, 0, 1000, 0, 0);
	memset(seq_table_d, 0, sizeof(seq_table_d));
	df_attach(&d, seq_table_d);
	put_u32(b, 1000);
	CHECK_EQ(peek_g(&d, b, 5, &f, &why), DG_AGAIN);
	put_u32(b, 1001);
	CHECK_EQ(peek_g(&d, b, 4, &f, &why), DG_EINVAL);
	CHECK(event_is(&d, "filter.oversized"));

	/* with FRAGMENTS the configured bound still applies, and nothing
	 * tighter: OTP 25 sends whole frames over 64 KiB too */
	df_init(&d, DFLAG_FRAGMENTS, 0, 0, 0);
	memset(seq_table_d, 0, sizeof(seq_table_d));
	df_attach(&d, seq_table_d);
	CHECK_EQ(d.max_frame, DF_DEFAULT_MAX_FRAME);
	put_u32(b, DF_WINDOW + 1);
	b[4] = 131;
	CHECK_EQ(peek_g(&d, b, 5, &f, &why), DG_AGAIN);

	/* a big frame is decided on its first DF_WINDOW bytes */
	df_init(&d, 0, 0, 0, 0);
	memset(seq_table_d, 0, sizeof(seq_table_d));
	df_attach(&d, seq_table_d);
	put_u32(fbuf, 200000);
	fbuf[4] = 112;
	fbuf[5] = 131;
	for (k = DF_WINDOW + 2; k <= DF_WINDOW + 4; k++) {
		int rc = peek_g(&d, fbuf, k, &f, &why);

		CHECK_EQ(rc, k < DF_WINDOW + 4 ? DG_AGAIN : 1);
	}
	CHECK(!f.complete);
	CHECK_EQ(f.terms_end - f.terms, DF_WINDOW - 1);
}

static void
test_malformed_headers(void)
{
	struct df_dir d;
	struct df_frame f;
	const char *why;
	uint8_t b[64];

	df_init(&d, 0, 0, 0, 0);		/* pass-through */
	memset(seq_table_d, 0, sizeof(seq_table_d));
	df_attach(&d, seq_table_d);
	put_u32(b, 3);
	b[4] = 131; b[5] = 68; b[6] = 0;
	CHECK_EQ(peek_g(&d, b, 5, &f, &why), DG_EINVAL);
	CHECK(event_is(&d, "filter.malformed"));
	put_u32(b, 1);
	b[4] = 112;
	CHECK_EQ(peek_g(&d, b, 5, &f, &why), DG_EINVAL);

	df_init(&d, DFLAG_FRAGMENTS, 0, 0, 0);	/* header mode */
	memset(seq_table_d, 0, sizeof(seq_table_d));
	df_attach(&d, seq_table_d);
	put_u32(b, 3);
	b[4] = 112; b[5] = 131; b[6] = 0;
	CHECK_EQ(peek_g(&d, b, 5, &f, &why), DG_EINVAL);
	CHECK(event_is(&d, "filter.malformed"));
	b[4] = 131; b[5] = 71;
	CHECK_EQ(peek_g(&d, b, 7, &f, &why), DG_EINVAL);
	b[5] = 68;
	put_u32(b, 2);
	CHECK_EQ(peek_g(&d, b, 6, &f, &why), DG_EINVAL);
	put_u32(b, 1);
	CHECK_EQ(peek_g(&d, b, 5, &f, &why), DG_EINVAL);
	/* N > 0 without the atom cache: refused on the N byte */
	put_u32(b, 40);
	b[6] = 1;
	CHECK_EQ(peek_g(&d, b, 7, &f, &why), DG_EINVAL);
	CHECK(event_is(&d, "filter.atom_cache_violation"));
	/* the same for a first fragment */
	mk_frag(b, 1, 5, 2, 4);
	b[22] = 3;
	d.event = NULL;
	CHECK_EQ(peek_g(&d, b, 23, &f, &why), DG_EINVAL);
	CHECK(event_is(&d, "filter.atom_cache_violation"));
	/* short fragment headers */
	mk_frag(b, 0, 5, 2, 0);
	put_u32(b, 17);
	CHECK_EQ(peek_g(&d, b, 21, &f, &why), DG_EINVAL);
	CHECK(event_is(&d, "filter.malformed"));

	/* fragments without FRAGMENTS negotiated */
	df_init(&d, DFLAG_DIST_HDR_ATOM_CACHE, 0, 0, 0);
	memset(seq_table_d, 0, sizeof(seq_table_d));
	df_attach(&d, seq_table_d);
	mk_frag(b, 1, 5, 2, 4);
	CHECK_EQ(peek_g(&d, b, 27, &f, &why), DG_EINVAL);
	CHECK(event_is(&d, "filter.fragment_violation"));
}

static void
test_fragments(void)
{
	struct df_dir d;
	struct df_frame f;
	const char *why;
	uint8_t b[128];
	size_t n;

	df_init(&d, DFLAG_FRAGMENTS, 0, 0, 0);
	memset(seq_table_d, 0, sizeof(seq_table_d));
	df_attach(&d, seq_table_d);
	/* SequenceId 0 and FragmentId 0 */
	n = mk_frag(b, 1, 0, 2, 4);
	CHECK_EQ(peek_g(&d, b, n, &f, &why), DG_EINVAL);
	CHECK(event_is(&d, "filter.fragment_violation"));
	n = mk_frag(b, 1, 9, 0, 4);
	CHECK_EQ(peek_g(&d, b, n, &f, &why), DG_EINVAL);
	/* continuation of nothing */
	n = mk_frag(b, 0, 9, 1, 4);
	CHECK_EQ(peek_g(&d, b, n, &f, &why), DG_EINVAL);
	CHECK(event_is(&d, "filter.fragment_violation"));

	/* interleaved sequences A (3 fragments, dropped) and B (2) */
	n = mk_frag(b, 1, 0xA, 3, 4);
	CHECK_EQ(peek_g(&d, b, n, &f, &why), 1);
	CHECK_EQ(df_commit(&d, &f, DF_DROP, &why), DF_DROP);
	/* the same id again while open */
	CHECK_EQ(peek_g(&d, b, n, &f, &why), DG_EINVAL);
	CHECK_EQ(df_commit(&d, &f, DF_DROP, &why), DG_EINVAL);
	n = mk_frag(b, 1, 0xB, 2, 4);
	CHECK_EQ(peek_g(&d, b, n, &f, &why), 1);
	CHECK_EQ(df_commit(&d, &f, DF_FORWARD, &why), DF_FORWARD);
	CHECK_EQ(d.nseqs, 2);
	n = mk_msg(b);
	CHECK_EQ(peek_g(&d, b, n, &f, &why), 1);
	CHECK_EQ(df_commit(&d, &f, DF_FORWARD, &why), DF_FORWARD);
	/* FragmentId must count down by one */
	n = mk_frag(b, 0, 0xA, 1, 4);
	d.event = NULL;
	CHECK_EQ(peek_g(&d, b, n, &f, &why), DG_EINVAL);
	CHECK(event_is(&d, "filter.fragment_violation"));
	/* df_commit checks it too, for a caller that skipped df_peek */
	f.kind = DF_FRAG_CONT;
	f.seq = 0xA;
	f.frag = 1;
	f.len = 22;
	f.hdr_len = 18;
	CHECK_EQ(df_commit(&d, &f, DF_FORWARD, &why), DG_EINVAL);
	f.seq = 0xD;
	CHECK_EQ(df_commit(&d, &f, DF_FORWARD, &why), DG_EINVAL);
	n = mk_frag(b, 0, 0xA, 3, 4);
	CHECK_EQ(peek_g(&d, b, n, &f, &why), DG_EINVAL);
	n = mk_frag(b, 0, 0xA, 2, 4);
	CHECK_EQ(peek_g(&d, b, n, &f, &why), 1);
	CHECK_EQ(df_commit(&d, &f, DF_FORWARD, &why), DF_DROP);
	n = mk_frag(b, 0, 0xB, 1, 4);
	CHECK_EQ(peek_g(&d, b, n, &f, &why), 1);
	CHECK_EQ(df_commit(&d, &f, DF_DROP, &why), DF_FORWARD);
	CHECK_EQ(d.nseqs, 1);
	/* B is closed now */
	CHECK_EQ(peek_g(&d, b, n, &f, &why), DG_EINVAL);
	n = mk_frag(b, 0, 0xA, 1, 4);
	CHECK_EQ(peek_g(&d, b, n, &f, &why), 1);
	CHECK_EQ(df_commit(&d, &f, DF_FORWARD, &why), DF_DROP);
	CHECK_EQ(d.nseqs, 0);

	/* FragmentId 1 on a first fragment: a whole message, nothing opens */
	n = mk_frag(b, 1, 0xC, 1, 4);
	CHECK_EQ(peek_g(&d, b, n, &f, &why), 1);
	CHECK_EQ(df_commit(&d, &f, DF_FORWARD, &why), DF_FORWARD);
	CHECK_EQ(d.nseqs, 0);
}

static void
test_fragment_caps(void)
{
	struct df_dir d;
	struct df_frame f;
	const char *why;
	uint8_t b[256];
	size_t n;
	uint64_t i;

	/* open sequences */
	df_init(&d, DFLAG_FRAGMENTS, 0, 4, 0);
	memset(seq_table_d, 0, sizeof(seq_table_d));
	df_attach(&d, seq_table_d);
	for (i = 1; i <= 4; i++) {
		n = mk_frag(b, 1, i, 2, 1);
		CHECK_EQ(peek_g(&d, b, n, &f, &why), 1);
		CHECK_EQ(df_commit(&d, &f, DF_FORWARD, &why), DF_FORWARD);
	}
	n = mk_frag(b, 1, 5, 2, 1);
	CHECK_EQ(peek_g(&d, b, n, &f, &why), DG_EINVAL);
	CHECK(event_is(&d, "filter.fragment_violation"));
	/* and in df_commit, for a caller that skipped df_peek */
	f.kind = DF_FRAG_FIRST;
	f.seq = 5;
	f.frag = 2;
	CHECK_EQ(df_commit(&d, &f, DF_FORWARD, &why), DG_EINVAL);
	CHECK_EQ(d.nseqs, 4);
	/* max_seqs beyond the table is clamped */
	df_init(&d, DFLAG_FRAGMENTS, 0, 1000, 0);
	memset(seq_table_d, 0, sizeof(seq_table_d));
	df_attach(&d, seq_table_d);
	CHECK_EQ(d.max_seqs, DF_MAX_SEQS);
	for (i = 1; i <= DF_MAX_SEQS; i++) {
		n = mk_frag(b, 1, i, 2, 1);
		CHECK_EQ(peek_g(&d, b, n, &f, &why), 1);
		CHECK_EQ(df_commit(&d, &f, DF_FORWARD, &why), DF_FORWARD);
	}
	n = mk_frag(b, 1, 1000, 2, 1);
	CHECK_EQ(peek_g(&d, b, n, &f, &why), DG_EINVAL);

	/* bytes per sequence */
	df_init(&d, DFLAG_FRAGMENTS, 0, 0, 100);
	memset(seq_table_d, 0, sizeof(seq_table_d));
	df_attach(&d, seq_table_d);
	n = mk_frag(b, 1, 1, 3, 101);
	CHECK_EQ(peek_g(&d, b, n, &f, &why), DG_EINVAL);
	CHECK(event_is(&d, "filter.oversized"));
	n = mk_frag(b, 1, 1, 3, 60);
	CHECK_EQ(peek_g(&d, b, n, &f, &why), 1);
	CHECK_EQ(df_commit(&d, &f, DF_FORWARD, &why), DF_FORWARD);
	n = mk_frag(b, 0, 1, 2, 40);
	CHECK_EQ(peek_g(&d, b, n, &f, &why), 1);
	CHECK_EQ(df_commit(&d, &f, DF_FORWARD, &why), DF_FORWARD);
	n = mk_frag(b, 0, 1, 1, 1);
	d.event = NULL;
	CHECK_EQ(peek_g(&d, b, n, &f, &why), DG_EINVAL);
	CHECK(event_is(&d, "filter.oversized"));
	n = mk_frag(b, 0, 1, 1, 0);
	CHECK_EQ(peek_g(&d, b, n, &f, &why), 1);
	CHECK_EQ(df_commit(&d, &f, DF_FORWARD, &why), DF_FORWARD);
	CHECK_EQ(d.nseqs, 0);
}

/* With the atom cache negotiated (never by distguard; the fixtures did),
 * the cache header is walked with bounds. */
static void
test_cache_header(void)
{
	static const uint8_t hdr[] = {
		131, 68, 2,
		0x08,			/* entry0 new, seg 0 | entry1 cached */
		0x00,			/* field 2: LongAtoms clear */
		5, 3, 'a', 'b', 'c',	/* entry0: index 5, "abc" */
		7,			/* entry1: index 7 */
		104, 1, 97, 1		/* {1} */
	};
	struct df_dir d;
	struct df_frame f;
	const char *why;
	uint8_t b[64];
	size_t k;

	df_init(&d, DFLAG_DIST_HDR_ATOM_CACHE | DFLAG_FRAGMENTS, 0, 0, 0);
	memset(seq_table_d, 0, sizeof(seq_table_d));
	df_attach(&d, seq_table_d);
	put_u32(b, sizeof(hdr));
	memcpy(b + 4, hdr, sizeof(hdr));
	for (k = 0; k < 4 + sizeof(hdr); k++)
		CHECK_EQ(peek_g(&d, b, k, &f, &why), DG_AGAIN);
	CHECK_EQ(peek_g(&d, b, 4 + sizeof(hdr), &f, &why), 1);
	CHECK_EQ(f.hdr_len, 11);
	CHECK_EQ(f.terms[0], 104);
	/* an entry longer than the frame */
	b[4 + 6] = 200;
	CHECK_EQ(peek_g(&d, b, 4 + sizeof(hdr), &f, &why), DG_EINVAL);
	CHECK(event_is(&d, "filter.malformed"));
}

int
main(void)
{
	RUN(test_captures);
	RUN(test_atom_cache_first_frames);
	RUN(test_tick_and_prefixes);
	RUN(test_lengths);
	RUN(test_malformed_headers);
	RUN(test_fragments);
	RUN(test_fragment_caps);
	RUN(test_reassembly_bounds);
	RUN(test_cache_header);
	return TEST_DONE();
}
