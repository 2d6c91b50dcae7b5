/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rewrite.h - the seed's spawn handler: an allowed request to run code
 * rebuilt so that the node runs Module:dist_spawn_init(PeerNode, M, F, A)
 * in place of M:F(A) (docs/FILTER.md 14).
 *
 *  - spawn of M:F(A)        -> spawn of Module:dist_spawn_init(Peer, M, F, A)
 *  - erpc:execute_call(Ref, M, F, A)
 *                           -> erpc:execute_call(Ref, Module, dist_spawn_init,
 *                                                [Peer, M, F, A])
 *  - erpc:execute_cast(M, F, A)
 *                           -> erpc:execute_cast(Module, dist_spawn_init,
 *                                                [Peer, M, F, A])
 *  - to rex, {call | block_call | cast, M, F, A, GL} (and {From, {call,
 *    ...}}), to net_kernel {spawn | spawn_link | spawn_opt, M, F, A, ...}
 *                           -> the same with Module, dist_spawn_init,
 *                              [Peer, M, F, A]
 *
 * The wrapper (erpc's, rex's, net_kernel's) stays, so the caller's reply
 * is built the way it always is, from what the handler returns; a handler that applies M:F(A) and
 * returns its value makes the call look exactly as it did.  ReqId, From,
 * group leader, options and token are copied byte for byte.
 *
 * Pure: reads only the decoded frame (every span proven by dist_ctl),
 * writes only into the caller's bounded buffer, allocates nothing.
 */
#ifndef REWRITE_H
#define REWRITE_H

#include <stddef.h>
#include <stdint.h>

#include "dist_ctl.h"
#include "dist_frame.h"

/* Room for one rewritten frame: a request larger than fits is denied. */
#define REWRITE_MAX	(DF_WINDOW + 4096)

/* The function the handler module exports, arity 4. */
#define REWRITE_FUNCTION	"dist_spawn_init"

/*
 * Rewrites the frame at frame[0..frame_len) (its 4-byte length included;
 * the control term data starts at frame + terms_off, with its 131 in
 * pass-through mode), whose decoded message is m: a request to run code
 * (m->via set: a SPAWN_REQUEST(_TT), or a REG_SEND to rex or net_kernel)
 * decoded with DC_NEED_FUNS, its payload proven whole.  `module` and
 * `peer` are atom texts (UTF-8, 1..255 characters).  Writes the new frame
 * into out[0..cap) and returns its length, or -1 with *why (the request
 * is not one the handler can take, or it does not fit).
 */
int	rewrite_spawn(const struct dist_msg *m, const uint8_t *frame,
	    size_t frame_len, size_t terms_off, int passthrough,
	    const char *module, const char *peer, uint8_t *out, size_t cap,
	    const char **why) DG_WUR;

#endif
