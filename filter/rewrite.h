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
 * The message handlers (docs/FILTER.md 26): an allowed REG_SEND,
 * SEND_SENDER, ALIAS_SEND or GROUP_LEADER (and their _TT forms) becomes a
 * SPAWN_REQUEST(_TT) of Module:reg_send/send/alias_send(PeerNode, From,
 * To, Msg) or Module:group_leader(PeerNode, From, ToPid), whose ReqId is a
 * reference of the peer the guard mints (struct rewrite_refs) so that it
 * can swallow the node's SPAWN_REPLY: the peer never asked for a spawn.
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

/*
 * The references minted for the message handlers' spawns on one
 * connection whose processes have not ended: a fixed table (no
 * allocation per message), part of the guard of the node they were sent
 * to, which sees the requests go one way and their SPAWN_REPLYs and
 * exit signals (the spawns link the handler to the sender) come back the
 * other.  A slot is freed by the handler process's EXIT, or by a
 * SPAWN_REPLY that says the spawn failed, so REWRITE_REFS_MAX bounds the
 * handler processes a peer keeps alive on the node at once; and the link
 * ends them when the peer's connection goes (noconnection), so that a
 * peer that reconnects finds none of its old ones.  A
 * minted ref is {peer node, peer creation, [Counter, REWRITE_REF_MAGIC,
 * salt]}; its counter's slot is counter % REWRITE_REFS_MAX.  Zeroed to
 * start (no ref in flight), with a random salt (guard_minted).
 */
#define REWRITE_REFS_MAX	1024
#define REWRITE_REF_MAGIC	0x64677264u	/* "dgrd" */

struct rewrite_refs {
	uint32_t	next;		/* the last counter minted */
	uint32_t	salt;		/* the ref's third word, per connection */
	int		n;		/* alive (or not answered yet) */
	uint32_t	slot[REWRITE_REFS_MAX];	/* counter, 0: free */
	/* The handler's pid on the node once spawned, 0 before:
	 * (ID << 32 | Serial) + 1. */
	uint64_t	pid[REWRITE_REFS_MAX];
	uint64_t	to[REWRITE_REFS_MAX];	/* the sender it is linked to */
};

/*
 * Mints a ref for a new handler spawn: its three ID words in id[].
 * Returns 0, or -1 when REWRITE_REFS_MAX are alive already.
 */
int	rewrite_ref_mint(struct rewrite_refs *r, uint32_t id[3]) DG_WUR;
/* Returns 1 when the reference term `ref` (proven: a SPAWN_REPLY's ReqId,
 * a DOWN's Ref) is one r minted and still holds, else 0; forgets it when
 * `consume`. */
int	rewrite_ref_match(struct rewrite_refs *r, const uint8_t *ref,
	    int consume);
/* A SPAWN_REPLY's success: the ref's slot (if minted and held) notes the
 * handler's pid and the sender it went to (its To, the link's other
 * end), terms proven.  Returns 1 when it was one of r's, else 0. */
int	rewrite_ref_spawned(struct rewrite_refs *r, const uint8_t *ref,
	    struct dg_span pid, struct dg_span to);
/* An exit signal from the node's pid `from` to `to` (terms proven): when
 * `from` is a handler of r, its slot is freed (it ended), and 1 is
 * returned if `to` is the sender the handler's link goes to (the signal
 * is the guard's), else 0. */
int	rewrite_ref_exited(struct rewrite_refs *r, struct dg_span from,
	    struct dg_span to);

/*
 * The message handler's rewrite of the frame at frame[0..frame_len) (as
 * rewrite_spawn's), whose decoded message m is a REG_SEND(_TT),
 * SEND_SENDER(_TT), ALIAS_SEND(_TT) or GROUP_LEADER, with a sender pid
 * and its payload proven whole (DC_NEED_FUNS).  The new frame is a
 * SPAWN_REQUEST(_TT) {Ref, From, From, {module, Fun, N}, [link]} with the
 * arguments [peer, From, To, Msg] (Msg copied byte for byte) or, for
 * GROUP_LEADER, [peer, From, ToPid].  Ref: a NEWER_REFERENCE_EXT of the
 * From pid's node and creation with the ID words id[].  Writes it into
 * out[0..cap) and returns its length, or -1 with *why.
 */
int	rewrite_message(const struct dist_msg *m, const uint8_t *frame,
	    size_t frame_len, size_t terms_off, int passthrough,
	    const char *module, const char *peer, const uint32_t id[3],
	    uint8_t *out, size_t cap, const char **why) DG_WUR;
/* The handler function a message of op `op` runs: "reg_send", "send",
 * "alias_send", "group_leader", or NULL for an op no handler takes. */
const char *rewrite_message_fun(int op);

#endif
