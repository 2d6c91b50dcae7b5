/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules_dryrun.c - the synthetic messages of `distguard test`: a type name
 * and a target become the struct dist_msg the relay would have decoded,
 * so that the dry run is judged by the very code that judges traffic.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dg.h"
#include "conf/conf.h"
#include "dist_ctl.h"
#include "idset.h"
#include "rules.h"
#include "term_lit.h"

static struct dg_span
mkspan(const char *p, size_t len)
{
	struct dg_span s;

	s.p = (const uint8_t *)p;
	s.len = (uint32_t)len;
	return s;
}

/* An atom text from the command line: 1..255 characters of UTF-8. */
static int
atom_ok(const char *s, size_t len)
{
	size_t nchars;

	if (len == 0 || len > DG_MAX_ATOM_BYTES)
		return 0;
	return dg_utf8_valid((const uint8_t *)s, len, &nchars) &&
	    nchars <= 255;
}

/* "M:F/A" -> exec MFA, spans into buf (a copy of target). */
static int
parse_mfa(struct dist_msg *m, char *buf, size_t len, const char **why)
{
	char *colon, *slash, *end;
	long a;

	colon = memchr(buf, ':', len);
	slash = strrchr(buf, '/');
	if (colon == NULL || slash == NULL || slash < colon) {
		*why = "spawn_request needs a target M:F/A";
		return -1;
	}
	if (!atom_ok(buf, colon - buf) ||
	    !atom_ok(colon + 1, slash - colon - 1)) {
		*why = "module and function must be atoms of 1..255 characters";
		return -1;
	}
	errno = 0;
	a = strtol(slash + 1, &end, 10);
	if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || errno != 0 ||
	    a < 0 || a > 255) {
		*why = "arity must be 0..255";
		return -1;
	}
	m->exec_m = mkspan(buf, colon - buf);
	m->exec_f = mkspan(colon + 1, slash - colon - 1);
	m->exec_arity = (int)a;
	return 0;
}

int
rules_dryrun_msg(struct dist_msg *m, const char *type, const char *target,
    char *buf, size_t buflen, const char **why)
{
	enum dg_type t;
	size_t tlen = 0;
	int needs_target = 0, takes_target = 0;

	memset(m, 0, sizeof(*m));
	/* What a by-pid message targets: a placeholder, since --disclosed
	 * stands for the lookup. */
	m->t_target = mkspan("<pid>", 5);
	if (target != NULL) {
		tlen = strlen(target);
		if (tlen + 1 > buflen) {
			*why = "target too long";
			return -1;
		}
		memcpy(buf, target, tlen + 1);
	}
	m->has_from = 1;

	if (strcmp(type, "is_auth") == 0 ||
	    strcmp(type, "features_request") == 0) {
		if (target != NULL) {
			*why = "this type takes no target";
			return -1;
		}
		m->op = DOP_REG_SEND;
		m->type = DG_T_REG_SEND;
		m->has_payload = 1;
		m->has_name = 1;
		if (type[0] == 'i') {
			m->name = mkspan("net_kernel", 10);
			m->is_auth = 1;
		} else {
			m->name = mkspan("rex", 3);
			m->rex_features = 1;
		}
		return 0;
	}
	if (dg_type_from_name(type, &t) != 0) {
		*why = "unknown type";
		return -1;
	}
	m->type = t;
	switch (t) {
	case DG_T_LINK:
		m->op = DOP_LINK;
		break;
	case DG_T_EXIT:
		m->op = DOP_PAYLOAD_EXIT2;
		m->has_payload = 1;
		break;
	case DG_T_MONITOR:
		m->op = DOP_MONITOR_P;
		takes_target = 1;
		break;
	case DG_T_SEND:
		m->op = DOP_SEND_SENDER;
		m->has_payload = 1;
		break;
	case DG_T_REG_SEND:
		m->op = DOP_REG_SEND;
		m->has_payload = 1;
		needs_target = takes_target = 1;
		break;
	case DG_T_GROUP_LEADER:
		m->op = DOP_GROUP_LEADER;
		break;
	case DG_T_SPAWN_REQUEST:
		m->op = DOP_SPAWN_REQUEST;
		m->has_payload = 1;
		m->via = VIA_SPAWN;
		m->request = REPLY_SPAWN;
		needs_target = takes_target = 1;
		break;
	case DG_T_ALIAS_SEND:
		m->op = DOP_ALIAS_SEND;
		m->has_payload = 1;
		break;
	case DG_T_ALTACT:
		m->op = DOP_ALTACT_SIG_SEND;
		m->has_payload = 1;
		break;
	default:
		*why = "unknown type";
		return -1;
	}
	if (target == NULL && needs_target) {
		*why = t == DG_T_SPAWN_REQUEST ?
		    "spawn_request needs a target M:F/A" :
		    "reg_send needs a target name";
		return -1;
	}
	if (target != NULL && !takes_target) {
		*why = "this type takes no target";
		return -1;
	}
	if (target == NULL)
		return 0;
	if (t == DG_T_SPAWN_REQUEST)
		return parse_mfa(m, buf, tlen, why);
	if (!atom_ok(buf, tlen)) {
		*why = "a name must be an atom of 1..255 characters";
		return -1;
	}
	m->has_name = 1;
	m->name = mkspan(buf, tlen);
	return 0;
}
