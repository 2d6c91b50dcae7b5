/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dist_ctl_int.h - what the control decoder (dist_ctl.c) and the payload
 * facts it asks for (dist_facts.c) share: bounded readers over payload
 * bytes that term_scan has not proven as a whole.  Each returns 0 and
 * advances, 1 when the term is of another kind (cursor left alone),
 * DG_AGAIN when it runs past end, DG_EINVAL when invalid.  And the kind
 * tests of proven terms.  Private to filter/.
 */
#ifndef DIST_CTL_INT_H
#define DIST_CTL_INT_H

#include <stddef.h>
#include <stdint.h>

#include "dist_ctl.h"

int	dc_is_pid(const uint8_t *q);
int	dc_is_ref(const uint8_t *q);
int	dc_pl_tuple(const uint8_t **q, const uint8_t *end, uint32_t *arity);
int	dc_pl_skip(const uint8_t **q, const uint8_t *end);
int	dc_pl_atom(const uint8_t **q, const uint8_t *end, struct dg_span *text);

/* The payload facts opts->need asks for (dist_facts.c), on the payload at
 * pl of a message of operation op. */
int	dist_facts_inspect(int op, const uint8_t *pl, const uint8_t *end,
    const struct dc_opts *o, struct dist_msg *m);

#endif
