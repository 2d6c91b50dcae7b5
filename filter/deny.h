/* SPDX-License-Identifier: Apache-2.0 */
/*
 * deny.h - the answer to a denied message: the frame the target node
 * would have sent had the target not existed (docs/FILTER.md, "What a
 * denied caller sees"; spec 4.9, 5.3, 6.6).  Pure; no allocation.
 */
#ifndef DENY_H
#define DENY_H

#include <stddef.h>
#include <stdint.h>

#include "dist_ctl.h"

/* The largest answer: SPAWN_REPLY_TT carries ReqId, From and a token, each
 * a span of the request's control term, which fits in DF_WINDOW; a buffer
 * of DENY_REPLY_MAX(len of the control term) bytes always suffices. */
#define DENY_REPLY_MAX(ctl_len)	((size_t)(ctl_len) + 64)

/*
 * Builds, in out[0..cap), the complete frame - u32 length prefix included -
 * that answers the denied message m, for a connection with the negotiated
 * `flags` (DFLAG_EXIT_PAYLOAD picks the payload forms) in pass-through
 * (`passthrough` != 0: 112, then terms each with 131) or header mode
 * (131, 68, 0 cache refs, then terms without 131).  The frame carries no
 * atom cache entries, so injecting it leaves both caches alone (spec 4.9).
 *
 *   SPAWN_REQUEST     -> SPAWN_REPLY {31, ReqId, From, 0, notsup}
 *   SPAWN_REQUEST_TT  -> SPAWN_REPLY_TT {32, ReqId, From, 0, notsup, Token}
 *   LINK              -> exit signal noproc from the target to the linker
 *   MONITOR_P         -> 'DOWN' noproc for the watcher
 *   anything else     -> no answer (sends vanish; rex and net_kernel
 *                        exec forms are answered through their monitor)
 *
 * Returns the number of bytes written, 0 when the message gets no answer
 * (including when m lacks a term the answer needs), -1 when cap is too
 * small (out is then left in an unspecified state).
 */
int	deny_reply(const struct dist_msg *m, uint64_t flags, int passthrough,
	    uint8_t *out, size_t cap);

#endif
