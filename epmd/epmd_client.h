/* SPDX-License-Identifier: Apache-2.0 */
/*
 * epmd_client.h - the one answer distguard asks of another host's EPMD:
 * PORT2_RESP (spec 1.5), for the egress leg towards a remote node.  Pure
 * and bounded; the socket side is proxy/lookup.c.
 */
#ifndef EPMD_CLIENT_H
#define EPMD_CLIENT_H

#include <stddef.h>
#include <stdint.h>

/* Longest PORT2_RESP we read: 10 fixed bytes, a name, an extra. */
#define EPMD_PORT2_RESP_MAX	(12 + 255 + 2 + 1024)

struct epmd_port2 {
	uint16_t	port;
	uint8_t		node_type;
	uint16_t	highest, lowest;
};

/*
 * Parses buf[0..len), what the remote EPMD sent before closing (or so
 * far).  Returns 0 with *out filled; DG_AGAIN while the answer is
 * incomplete; DG_EINVAL (with *why) when it is malformed or says the node
 * is not registered there ("not registered" in *why).
 */
int	epmd_parse_port2_resp(const uint8_t *buf, size_t len,
	    struct epmd_port2 *out, const char **why);

#endif
