/* SPDX-License-Identifier: Apache-2.0 */
/*
 * disclose.h - the pids and aliases a node has disclosed to its peer on
 * one connection: the capabilities the profiles' sends to pids are
 * checked against (docs/FILTER.md 7, docs/SECURITY.md).
 *
 * A process can only learn a pid or an alias that it was shown, so what
 * the local node B showed the peer P bounds what P may legitimately send
 * to by pid.  Shown means what Erlang lets P's processes see:
 *  - pids in the control messages that reveal them to the receiving
 *    process: the linker (LINK, UNLINK, UNLINK_ID), the exiting process
 *    (EXIT, EXIT2 and their payload and _TT forms), the watcher of a
 *    MONITOR_P, the new leader of a GROUP_LEADER, the caller and the
 *    group leader of a SPAWN_REQUEST, the new process of a SPAWN_REPLY;
 *  - every pid and reference of B inside the payload of anything B sent:
 *    the From and the alias of B's gen_server calls, the pids of the
 *    global names in B's name tables, the pid in {self(), ...}.
 * Not the sender of SEND_SENDER, REG_SEND or ALIAS_SEND: no Erlang process
 * ever sees it (and rex, net_kernel and global_name_server would be
 * disclosed by their own answers otherwise).
 *
 * global makes one exception.  Its names are the cluster's: a node learns
 * the pid of a name on B from B's sync with it, but just as well from a
 * third node's new_nodes, and then sends to it, and global_name_server
 * monitors it, on the connection to B where B never showed it.  So what B
 * says to global_name_server (its name tables, registrations, lockers)
 * is also recorded in a set per local node, `published`, that every
 * connection of B consults.
 *
 * Group leaders are tagged apart (issue 18 item 6): io requests by pid go
 * only to a process the local node handed to this peer as a group leader
 * (docs/FILTER.md 7): the new leader of a GROUP_LEADER, the leader of a
 * SPAWN_REQUEST (erpc, spawn/4, rpc on OTP 23+, a remote shell), and the
 * GL element of a request to the peer's rex ({call | block_call | cast,
 * M, F, A, GL}) or net_kernel ({spawn | spawn_link, M, F, A, GL},
 * {spawn_opt, M, F, A, Opts, Link, GL}).  Per connection only.
 *
 * Keys are the identity's canonical bytes (node text, numbers widened to
 * 32 bits), so PID_EXT and NEW_PID_EXT, or any atom encoding of the node,
 * name the same process.  Only identities of B's own node are kept.
 */
#ifndef DISCLOSE_H
#define DISCLOSE_H

#include "dist_ctl.h"
#include "idset.h"

/*
 * Records what message m (decoded, from the local node whose name is
 * `local`) shows its peer: in conn, and what it tells global in
 * published.  conn NULL records only the latter: for a message from a
 * peer that is itself a local node (published is then that node's).  The payload, if any, starts at m->payload;
 * its bytes are present up to `end` and the frame's term data ends at
 * `frame_end` (>= end).  Returns 0, or DG_AGAIN when the payload runs
 * past `end` and `final` is 0: the caller holds the frame and tries again
 * with more bytes, so that what is recorded does not depend on how the
 * stream was cut into reads.
 */
int	disclose_note(struct idset *conn, struct idset *published,
	    const struct dist_msg *m, const uint8_t *end,
	    const uint8_t *frame_end, int final, const char *local);

/*
 * Whether a message is judged on what it targets being disclosed: sends,
 * monitors by pid, and (for {allow, Type, disclosed}) links, exits and
 * group leaders.  The relay looks the others up not at all, so that a
 * send to a name costs no lookup.
 */
static inline int
disclose_wanted(const struct dist_msg *m)
{
	return m->type == DG_T_SEND || m->type == DG_T_ALIAS_SEND ||
	    m->type == DG_T_LINK || m->type == DG_T_EXIT ||
	    m->type == DG_T_GROUP_LEADER ||
	    (m->type == DG_T_MONITOR && !m->has_name);
}

/* 1 when the pid or alias m targets (m->t_target) is one the local node
 * disclosed on this connection (conn) or published through global
 * (published, may be NULL); 0 otherwise, or when m targets none.
 * DISCLOSED_GLOBAL when it is moreover one of global's own processes
 * (global_name_server, its locker, its registrar, as the local node's
 * messages to a peer's global_name_server show them): those log every
 * message they do not expect, pretty-printed whole, and a peer's stream
 * of large terms to them kept global_name_server from answering for
 * seconds (livefuzz, docs/SECURITY.md 7); a peer sends them nothing by
 * pid but the answers to their calls. */
#define DISCLOSED_GLOBAL	2
/* Or'ed into the answer, only when m is an io request (m->behav has
 * DG_PROTO_IO): the target is a group leader the local node handed to
 * this peer on this connection. */
#define DISCLOSED_LEADER	4
int	disclose_has(struct idset *conn, struct idset *published,
	    const struct dist_msg *m);

/* 1 when the pid term at t is a group leader the local node handed to
 * this peer on this connection (conn): what a code request from the peer
 * may give back as its new process's group leader (a call back). */
int	disclose_is_leader(struct idset *conn, const uint8_t *t);

#endif
