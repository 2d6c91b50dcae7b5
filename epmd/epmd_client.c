/* SPDX-License-Identifier: Apache-2.0 */
/*
 * epmd_client.c - PORT2_RESP from another host's EPMD (epmd_client.h).
 * The remote EPMD is not trusted more than any peer: every length is
 * checked against what arrived before it is used.
 */
#include "dg.h"
#include "epmd_client.h"

#define PORT2_RESP	119	/* 'w' */

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int
epmd_parse_port2_resp(const uint8_t *buf, size_t len, struct epmd_port2 *out,
    const char **why)
{
	size_t nlen, elen;

	if (len < 2)
		return DG_AGAIN;
	if (buf[0] != PORT2_RESP) {
		*why = "not a PORT2_RESP";
		return DG_EINVAL;
	}
	if (buf[1] != 0) {
		*why = "not registered";
		return DG_EINVAL;
	}
	/* port, type, protocol, highest, lowest, name length */
	if (len < 12)
		return DG_AGAIN;
	nlen = be16(buf + 10);
	if (nlen == 0 || nlen > 255) {
		*why = "bad name length";
		return DG_EINVAL;
	}
	if (len < 12 + nlen + 2)
		return DG_AGAIN;
	elen = be16(buf + 12 + nlen);
	if (elen > 1024) {
		*why = "extra too long";
		return DG_EINVAL;
	}
	if (len < 12 + nlen + 2 + elen)
		return DG_AGAIN;
	out->port = be16(buf + 2);
	out->node_type = buf[4];
	out->highest = be16(buf + 6);
	out->lowest = be16(buf + 8);
	if (out->port == 0 || buf[5] != 0 || out->highest < out->lowest) {
		*why = "bad port, protocol or versions";
		return DG_EINVAL;
	}
	return 0;
}
