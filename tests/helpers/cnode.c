/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cnode.c - an erl_interface C node for the end-to-end tests: connects to
 * a node through distguard (ei finds the EPMD port in ERL_EPMD_PORT, asks
 * PORT_PLEASE2 and dials the listener it is steered to), sends
 * {self(), cnode_hello} to a registered name with ei_reg_send, and waits
 * for the answer (dgt's echo process replies {echo, cnode_hello}).
 *
 *   cnode ALIVE COOKIE NODE REGNAME [TIMEOUT_MS]
 *
 * Prints one line per stage, then exits 0 when the answer came back:
 *   cnode connected | cnode failed <erl_errno> (<strerror>)
 *   cnode sent | cnode send failed <erl_errno>
 *   cnode reply {echo,cnode_hello} | cnode no reply <erl_errno>
 * C nodes offer no PUBLISHED, SPAWN, ALIAS, DIST_HDR_ATOM_CACHE or
 * FRAGMENTS (spec 2.10): the connection is hidden, frames use 112.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ei.h"

int
main(int argc, char **argv)
{
	ei_cnode ec;
	ei_x_buff x, in;
	erlang_msg msg;
	unsigned ms;
	int fd, r, idx, ver, arity;
	char a1[MAXATOMLEN_UTF8], a2[MAXATOMLEN_UTF8];

	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: cnode ALIVE COOKIE NODE REGNAME "
		    "[TIMEOUT_MS]\n");
		return 2;
	}
	ms = argc == 6 ? (unsigned)strtoul(argv[5], NULL, 10) : 10000;
	if (ei_init() != 0) {
		printf("cnode failed init\n");
		return 1;
	}
	if (ei_connect_init(&ec, argv[1], argv[2],
	    (unsigned)time(NULL) % 1000 + 1) < 0) {
		printf("cnode failed init %d\n", erl_errno);
		return 1;
	}
	fd = ei_connect_tmo(&ec, argv[3], ms);
	if (fd < 0) {
		printf("cnode failed %d (%s)\n", erl_errno, strerror(erl_errno));
		return 1;
	}
	printf("cnode connected %s\n", ei_thisnodename(&ec));
	fflush(stdout);

	ei_x_new_with_version(&x);
	ei_x_encode_tuple_header(&x, 2);
	ei_x_encode_pid(&x, ei_self(&ec));
	ei_x_encode_atom(&x, "cnode_hello");
	if (ei_reg_send_tmo(&ec, fd, argv[4], x.buff, x.index, ms) < 0) {
		printf("cnode send failed %d\n", erl_errno);
		return 1;
	}
	printf("cnode sent\n");
	fflush(stdout);
	ei_x_free(&x);

	ei_x_new(&in);
	for (;;) {
		r = ei_xreceive_msg_tmo(fd, &msg, &in, ms);
		if (r == ERL_TICK)
			continue;
		if (r == ERL_ERROR) {
			printf("cnode no reply %d\n", erl_errno);
			return 1;
		}
		if (msg.msgtype == ERL_SEND || msg.msgtype == ERL_REG_SEND)
			break;
	}
	idx = 0;
	if (ei_decode_version(in.buff, &idx, &ver) < 0 ||
	    ei_decode_tuple_header(in.buff, &idx, &arity) < 0 || arity != 2 ||
	    ei_decode_atom(in.buff, &idx, a1) < 0 ||
	    ei_decode_atom(in.buff, &idx, a2) < 0) {
		printf("cnode reply undecodable\n");
		return 1;
	}
	printf("cnode reply {%s,%s}\n", a1, a2);
	ei_x_free(&in);
	return strcmp(a1, "echo") == 0 && strcmp(a2, "cnode_hello") == 0 ? 0 : 1;
}
