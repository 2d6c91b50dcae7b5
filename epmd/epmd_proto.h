/* SPDX-License-Identifier: Apache-2.0 */
/*
 * epmd_proto.h - the EPMD wire codec (spec section 1): one request from
 * bytes to a struct, and every reply from values to bytes.
 *
 * Pure: no I/O, no allocation, no state.  Requests come from anyone who can
 * reach the port and are trusted for nothing; the encoders trust their
 * arguments (they come from our own registry) but never write past `cap`.
 */
#ifndef EPMD_PROTO_H
#define EPMD_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "dg.h"

/* Request and reply codes (spec 1.2). */
enum epmd_code {
	EPMD_ALIVE2_REQ		= 120,	/* 'x' */
	EPMD_PORT_PLEASE2_REQ	= 122,	/* 'z' */
	EPMD_NAMES_REQ		= 110,	/* 'n' */
	EPMD_DUMP_REQ		= 100,	/* 'd' */
	EPMD_KILL_REQ		= 107,	/* 'k' */
	EPMD_STOP_REQ		= 115,	/* 's' */
	EPMD_EGRESS_REQ		= 69,	/* 'E': distguard's own, see below */
	EPMD_EGRESS_RESP	= 101,	/* 'e' */
	EPMD_API_REQ		= 65,	/* 'A': distguard's own, see below */
	EPMD_API_RESP		= 97,	/* 'a' */
	EPMD_ALIVE2_X_RESP	= 118,	/* 'v': u32 creation */
	EPMD_ALIVE2_RESP	= 121,	/* 'y': u16 creation */
	EPMD_PORT2_RESP		= 119	/* 'w' */
};

/* NodeType values seen or documented (spec 1.3). */
#define EPMD_NODE_NORMAL	77	/* 'M': every Erlang node, hidden too */
#define EPMD_NODE_HIDDEN	72	/* 'H': documented, sent by nobody */
#define EPMD_NODE_EI		104	/* 'h': erl_interface C nodes */

/* Smallest ALIVE2_REQ body: 11 fixed bytes, a 1-byte name, Elen (spec 1.3). */
#define EPMD_ALIVE2_MIN		14

/*
 * distguard's egress request (not in stock epmd).  A protected node's
 * EPMD module (erl/distguard_epmd.erl) asks where to dial a node:
 *
 *   request:  u16 Length, 'E' (69), Node           Node = "alive@host"
 *   reply:    'e' (101), u8 Result, u16 Port, u16 Version   (6 bytes)
 *
 * Node is the full name, without a trailing NUL: alive 1..255 bytes, host
 * 1..255 bytes, one '@', valid UTF-8, no NUL or other control character.
 * Result 0: dial 127.0.0.1:Port, speaking handshake Version; any other
 * Result: no route (Port and Version are 0).
 */
#define EPMD_EGRESS_OK		0
#define EPMD_EGRESS_UNAVAILABLE	1	/* no egress sessions in this daemon */
#define EPMD_EGRESS_REFUSED	2	/* the daemon will not route to it */
#define EPMD_EGRESS_RESP_LEN	6
#define EPMD_EGRESS_MAX_PART	255	/* bytes of the alive and host parts */

/*
 * distguard's API request (not in stock epmd): the Erlang module
 * `distguard` (erl/distguard.erl) changes or reads the policy of the node
 * it runs on, through distguard_epmd, on the node's registration
 * connection: the daemon answers it nowhere else, so the connection, not
 * anything the request says, proves which node asks (docs/FILTER.md 25).
 *
 *   request:  u16 Length, 'A' (65), u32 Id, u8 Op, u8 NArgs,
 *             NArgs x (u16 ArgLen, Arg)
 *   reply:    'a' (97), u32 Id, u8 Status, u32 BodyLen, Body
 *
 * Each Arg is 0..1020 bytes of UTF-8 without control characters; NArgs
 * is the count its Op takes (below) and the args fill the request
 * exactly.  Arg 0 is always the asking node's full name, whose alive part
 * must be the registration's.  Status 0: Body is one term in the external
 * format (binary_to_term(Body, [safe]): every atom in it exists in the
 * caller); any other Status: Body is a reason, as text.
 */
enum epmd_api_op {
	EPMD_API_SET_FILTER	= 1,	/* Node, Peer, Type, Action */
	EPMD_API_ADD_FILTER	= 2,	/* Node, Peer, Type, Target, Action */
	EPMD_API_DEL_FILTER	= 3,	/* Node, Peer, Type, Target ("": the type's) */
	EPMD_API_TEST_FILTER	= 4,	/* Node, Peer, Type, Target ("": none) */
	EPMD_API_SET_HANDLER	= 5,	/* Node, Peer, Type, Module */
	EPMD_API_SET_DEFAULT	= 6,	/* Node, Type, Target, Action */
	EPMD_API_STATS		= 7,	/* Node */
	EPMD_API_POLICY		= 8,	/* Node */
	EPMD_API_OP_MAX		= 8
};
#define EPMD_API_MAX_ARGS	5
#define EPMD_API_ARG_MAX	DG_MAX_NODE_BYTES
#define EPMD_API_OK		0
#define EPMD_API_ERROR		1	/* the request was understood and refused */
#define EPMD_API_OFF		2	/* {api, off} */
#define EPMD_API_RESP_HEAD	10	/* 'a', Id, Status, BodyLen */
#define EPMD_API_REPLY_MAX	(192 * 1024)	/* a whole reply, at most */

/* One API request, validated: args[i] is NUL-terminated text. */
struct epmd_api {
	uint32_t	id;
	uint8_t		op;		/* enum epmd_api_op */
	uint8_t		nargs;
	uint16_t	len[EPMD_API_MAX_ARGS];
	char		arg[EPMD_API_MAX_ARGS][EPMD_API_ARG_MAX + 1];
};

/* The number of args op takes, or -1 for an unknown op. */
int	epmd_api_nargs(unsigned op);

/*
 * The mark of a mediated registration: distguard_epmd puts these bytes in
 * front of ALIVE2's Extra.  The daemon takes them off before it stores the
 * registration, so PORT2_RESP echoes the node's own Extra and no peer ever
 * sees the mark.
 */
#define EPMD_MEDIATED_MARK	"distguard1"
#define EPMD_MEDIATED_MARK_LEN	10

/* Largest encoded requests and replies, for sizing caller buffers. */
#define EPMD_MAX_NAMES_LINE	(5 + DG_MAX_ALIVE_BYTES + 9 + 5 + 1)
#define EPMD_MAX_PORT2_RESP	(12 + DG_MAX_ALIVE_BYTES + 2 + DG_MAX_EPMD_EXTRA)

/*
 * One ALIVE2_REQ, validated: name is the alive part (no '@'), 1..255
 * characters of UTF-8 without NUL; extra is opaque, echoed in PORT2_RESP.
 */
struct epmd_alive2 {
	uint16_t	port;
	uint8_t		node_type, protocol;
	uint16_t	highest, lowest;
	struct dg_name	name;
	uint16_t	extra_len;
	uint8_t		extra[DG_MAX_EPMD_EXTRA];
};

/*
 * A parsed request.  code is an enum epmd_code; alive is filled for
 * ALIVE2_REQ, name for PORT_PLEASE2_REQ and STOP_REQ, and for EGRESS_REQ
 * the full node name (alive@host); api for API_REQ; every other field is
 * zero.
 */
struct epmd_req {
	int			code;
	struct epmd_alive2	alive;
	struct dg_name		name;
	struct epmd_api		api;
};

/*
 * Parses one request, u16 Length + body, from buf[0..len).  Returns 2 +
 * Length when the whole request is there (bytes after it are the caller's
 * business: stock epmd closes on them), DG_AGAIN while it is a strict
 * prefix, DG_EINVAL with a static reason in *why otherwise.  Length 0 or
 * over DG_MAX_EPMD_REQ fails as soon as the two length bytes are in.  *req
 * is written only on success.
 */
int	epmd_parse(const uint8_t *buf, size_t len, struct epmd_req *req,
	    const char **why) DG_WUR;

/*
 * Encoders.  Each writes one complete message into out[0..cap) and
 * returns the bytes written, or -1 (nothing useful written) when cap is too
 * small or an argument is out of range.
 */

/* ALIVE2_X_RESP ('v', result, u32) when the request's highest version is
 * >= 6, else ALIVE2_RESP ('y', result, u16 creation) (spec 1.4). */
int	epmd_put_alive2_resp(uint8_t *out, size_t cap, uint16_t highest,
	    uint8_t result, uint32_t creation);
/* PORT2_RESP for a registered node: its type, protocol, versions, name
 * and extra, but advertised_port in place of its own port (spec 1.16). */
int	epmd_put_port2_ok(uint8_t *out, size_t cap,
	    const struct epmd_alive2 *node, uint16_t advertised_port);
/* PORT2_RESP for an unknown name: 'w', 1. */
int	epmd_put_port2_error(uint8_t *out, size_t cap);
/* NAMES_RESP head: the u32 port the client believes epmd is on. */
int	epmd_put_names_header(uint8_t *out, size_t cap, uint32_t epmd_port);
/* One NAMES_RESP line: "name <name> at port <port>\n", literally. */
int	epmd_put_names_line(uint8_t *out, size_t cap,
	    const struct dg_name *name, uint16_t port);

/* EGRESS_RESP: 'e', result, u16 port, u16 version (always 6 bytes). */
int	epmd_put_egress_resp(uint8_t *out, size_t cap, uint8_t result,
	    uint16_t port, uint16_t version);

/*
 * Takes the mediated mark off the front of a->extra.  Returns 1 when it
 * was there (extra_len is then 10 bytes shorter), 0 when not (a is left
 * as it was).
 */
int	epmd_alive2_unmark(struct epmd_alive2 *a);

/* API reply head: 'a', id, status, body length; the body follows it. */
int	epmd_put_api_resp_head(uint8_t *out, size_t cap, uint32_t id,
	    uint8_t status, uint32_t body_len);

/* Requests, framed with their u16 Length (for tests and crafted clients).
 * Names are written as given; only sizes are checked. */
int	epmd_put_alive2_req(uint8_t *out, size_t cap,
	    const struct epmd_alive2 *a);
int	epmd_put_port_please2_req(uint8_t *out, size_t cap, const char *name,
	    size_t nlen);
int	epmd_put_egress_req(uint8_t *out, size_t cap, const char *node,
	    size_t nlen);
/* An API request from its parts (tests, fuzzing). */
int	epmd_put_api_req(uint8_t *out, size_t cap, const struct epmd_api *);
/* Any request as epmd_parse returns it; the canonical form (no trailing
 * NUL after a PORT_PLEASE2 name, nothing after an ALIVE2 Extra). */
int	epmd_put_req(uint8_t *out, size_t cap, const struct epmd_req *req);

/* The creation to send for a registration counter (spec 1.6): the counter
 * itself for highest >= 6, else counter % 3 + 1 (1..3). */
uint32_t epmd_creation_for(uint16_t highest, uint32_t counter);

#endif
