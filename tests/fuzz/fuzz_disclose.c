/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_disclose.c - the profiles' payload facts and the disclosure table
 * on arbitrary bytes.  Input: one flags byte (bit 0 pass-through, bit 1
 * final, bits 2-7 how much of the frame has "arrived", in 64ths), then a
 * frame's term data.  It is decoded with every DC_NEED_* as the relay
 * does it for a peer, and recorded and looked up as a message from the
 * node "b@h".  Only the arrived prefix is copied: a read past it, or past
 * what term_walk may skip, is a heap overflow ASan reports.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "disclose.h"
#include "dist_ctl.h"
#include "idset.h"
#include "fuzz_span.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct idset conn, published;
	static int ready;
	struct dist_msg m;
	struct dc_opts o;
	const char *why = NULL;
	uint8_t *copy;
	size_t avail;
	int rc, pt;

	if (size < 1)
		return 0;
	if (!ready) {
		idset_init(&conn, 64);
		idset_init(&published, 64);
		ready = 1;
	}
	pt = data[0] & 1;
	o.final = (data[0] >> 1) & 1;
	avail = (size - 1) * ((data[0] >> 2) + 1) / 64;
	data++;
	size--;
	copy = malloc(avail ? avail : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, avail);
	/* the frame "ends" at size bytes; only avail of them exist */
	o.need = DC_NEED_PIDSEND | DC_NEED_GLOBAL | DC_NEED_IDS | DC_NEED_BEHAV;
	o.frame_end = copy + size;
	rc = dist_ctl_decode_x(copy, copy + avail, pt, &o, &m, &why);
	if (rc == DG_EINVAL && why == NULL)
		abort();
	if (rc == 0) {
		in(m.claim_node, copy, copy + avail);
		in(m.t_gl, copy, copy + avail);
		in(m.t_result, copy, copy + avail);
		in(m.t_target, copy, copy + avail);
		if (m.global_ok && (m.pl_fun || m.pl_partial))
			abort();
		rc = disclose_note(&conn, &published, &m, copy + avail,
		    copy + size, o.final, "b@h");
		if (rc != 0 && rc != DG_AGAIN)
			abort();
		if (rc == DG_AGAIN && o.final)
			abort();
		(void)disclose_has(&conn, &published, &m);
		if (idset_count(&conn) > 2 * 64 ||
		    idset_count(&published) > 2 * 64)
			abort();
	} else if (rc != DG_AGAIN && rc != DG_EINVAL)
		abort();
	free(copy);
	return 0;
}
