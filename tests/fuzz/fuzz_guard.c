/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_guard.c - the deeper filtering on arbitrary bytes: dist_ctl's one
 * payload walk with the code guard's and the atom budget's needs (every
 * atom it reports lies inside the input and is a proven atom; the first
 * fun too), dist_fun_where, and the spawn handler's rewrite into buffers
 * of every size, whose output must decode again to a request of the
 * handler; and the message handlers' rewrite (rewrite_message) of every
 * send, alias send and group_leader likewise, whose output must decode to
 * a SPAWN_REQUEST of the handler's function with the ref it minted.  The
 * input is the term data of a pass-through frame (131 Ctl
 * 131 Payload); the frame around it is built here, in an exact-size copy
 * so that ASan catches any read past it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dg_wire.h"
#include "dist_ctl.h"
#include "rewrite.h"
#include "term.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t	*lo, *hi;
static size_t		 natoms;

static void
on_atom(void *arg, const uint8_t *a)
{
	struct dg_span t;
	const uint8_t *q = a;

	(void)arg;
	if (a < lo || a >= hi || term_atom(&q, &t) == -1 || q > hi)
		abort();
	natoms++;
}

static void
check_rewrite(const struct dist_msg *m, const uint8_t *frame, size_t len)
{
	static uint8_t out[REWRITE_MAX];
	struct dc_opts o = { DC_NEED_FUNS, NULL, 1, NULL, NULL };
	struct dist_msg r;
	const char *why = NULL;
	uint8_t *copy;
	size_t caps[] = { 0, 4, 16, len / 2, len, len + 64, sizeof(out) };
	size_t i;
	int n, rc;

	for (i = 0; i < DG_ARRAY_LEN(caps); i++) {
		if (caps[i] > sizeof(out))
			continue;
		n = rewrite_spawn(m, frame, len, 5, 1, "handler_mod", "peer@host",
		    out, caps[i], &why);
		if (n < 0) {
			if (why == NULL)
				abort();
			continue;
		}
		if ((size_t)n > caps[i] || get_u32(out) != (uint32_t)n - 4)
			abort();
		if ((copy = malloc((size_t)n)) == NULL)
			return;
		memcpy(copy, out, (size_t)n);
		o.frame_end = copy + n;
		rc = dist_ctl_decode_x(copy + 5, copy + n, 1, &o, &r, &why);
		/* what the handler gets decodes, to the handler's call */
		if (rc != 0 || r.pl_state != PL_PROVEN ||
		    !term_span_eq(r.exec_f, "dist_spawn_init") || r.exec_arity != 4)
			abort();
		free(copy);
	}
}

/* The message handlers' rewrite (docs/FILTER.md 26). */
static void
check_msg_rewrite(const struct dist_msg *m, const uint8_t *frame, size_t len)
{
	static uint8_t out[REWRITE_MAX];
	static struct rewrite_refs refs;
	struct dc_opts o = { DC_NEED_FUNS, NULL, 1, NULL, NULL };
	const char *fun = rewrite_message_fun(m->op), *why = NULL;
	struct dist_msg r;
	uint8_t *copy;
	size_t caps[] = { 0, 4, 16, len / 2, len, len + 64, sizeof(out) };
	uint32_t id[3];
	size_t i;
	int n, rc;

	for (i = 0; i < DG_ARRAY_LEN(caps); i++) {
		if (caps[i] > sizeof(out))
			continue;
		if (rewrite_ref_mint(&refs, id) == -1)
			abort();	/* each is taken back below */
		n = rewrite_message(m, frame, len, 5, 1, "handler_mod",
		    "peer@host", id, out, caps[i], &why);
		if (n < 0) {
			if (why == NULL)
				abort();
			refs.slot[id[0] % REWRITE_REFS_MAX] = 0;
			refs.n--;
			continue;
		}
		if (fun == NULL || (size_t)n > caps[i] ||
		    get_u32(out) != (uint32_t)n - 4)
			abort();
		if ((copy = malloc((size_t)n)) == NULL)
			abort();
		memcpy(copy, out, (size_t)n);
		o.frame_end = copy + n;
		rc = dist_ctl_decode_x(copy + 5, copy + n, 1, &o, &r, &why);
		/* a spawn of the handler's function, with the ref minted */
		if (rc != 0 || r.pl_state != PL_PROVEN ||
		    (r.op != DOP_SPAWN_REQUEST && r.op != DOP_SPAWN_REQUEST_TT) ||
		    !term_span_eq(r.exec_m, "handler_mod") ||
		    !term_span_eq(r.exec_f, fun) ||
		    r.exec_arity != (m->op == DOP_GROUP_LEADER ? 3 : 4) ||
		    rewrite_ref_match(&refs, r.t_reqid.p, 1) != 1)
			abort();
		free(copy);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dc_opts o;
	struct dist_msg m;
	const char *why = NULL;
	char where[512];
	uint8_t *frame;
	size_t len = 5 + size;
	int rc;

	if (size > (1 << 20) || (frame = malloc(len)) == NULL)
		return 0;
	put_u32(frame, (uint32_t)(len - 4));
	frame[4] = 112;
	memcpy(frame + 5, data, size);
	lo = frame + 5;
	hi = frame + len;
	natoms = 0;

	memset(&o, 0, sizeof(o));
	o.need = DC_NEED_FUNS | DC_NEED_ATOMS | DC_NEED_PIDSEND |
	    DC_NEED_GLOBAL;
	o.frame_end = hi;
	o.final = 1;
	o.atom = on_atom;
	rc = dist_ctl_decode_x(lo, hi, 1, &o, &m, &why);
	if (rc == 0) {
		if (m.pl_fun_at != NULL && (m.pl_fun_at < lo ||
		    m.pl_fun_at >= hi || !m.pl_fun))
			abort();
		if (m.pl_fun_at != NULL)
			dist_fun_where(&m, where, sizeof(where));
		if (m.op == DOP_SPAWN_REQUEST || m.op == DOP_SPAWN_REQUEST_TT)
			check_rewrite(&m, frame, len);
		else
			check_msg_rewrite(&m, frame, len);
	} else if (rc != DG_AGAIN && rc != DG_EINVAL)
		abort();
	/* The frame still arriving (DC_STREAM): cut where the input's last
	 * byte says; what is judged lies inside the bytes present. */
	if (size > 1) {
		const uint8_t *cut = lo + (size_t)data[size - 1] * size / 256;

		o.need |= DC_STREAM;
		o.final = 0;
		rc = dist_ctl_decode_x(lo, cut, 1, &o, &m, &why);
		if (rc == 0 && m.pl_fun_at != NULL && (m.pl_fun_at < lo ||
		    m.pl_fun_at >= cut))
			abort();
		if (rc != 0 && rc != DG_AGAIN && rc != DG_EINVAL)
			abort();
	}
	free(frame);
	return 0;
}
