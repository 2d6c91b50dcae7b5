/* SPDX-License-Identifier: Apache-2.0 */
/*
 * names.c - the names of the wire's and the policy's vocabulary: the
 * distribution capability flags (dg_flags.h, for "withhold_flags" and
 * logs), and the policy's message types and actions (dg_policy.h), for the
 * configuration, alerts, statistics and metrics.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dg.h"
#include "dg_flags.h"
#include "dg_policy.h"

static const struct {
	uint64_t	 bit;
	const char	*name;
} dflags[] = {
	{ DFLAG_PUBLISHED,		"PUBLISHED" },
	{ DFLAG_ATOM_CACHE,		"ATOM_CACHE" },
	{ DFLAG_EXTENDED_REFERENCES,	"EXTENDED_REFERENCES" },
	{ DFLAG_DIST_MONITOR,		"DIST_MONITOR" },
	{ DFLAG_FUN_TAGS,		"FUN_TAGS" },
	{ DFLAG_DIST_MONITOR_NAME,	"DIST_MONITOR_NAME" },
	{ DFLAG_HIDDEN_ATOM_CACHE,	"HIDDEN_ATOM_CACHE" },
	{ DFLAG_NEW_FUN_TAGS,		"NEW_FUN_TAGS" },
	{ DFLAG_EXTENDED_PIDS_PORTS,	"EXTENDED_PIDS_PORTS" },
	{ DFLAG_EXPORT_PTR_TAG,		"EXPORT_PTR_TAG" },
	{ DFLAG_BIT_BINARIES,		"BIT_BINARIES" },
	{ DFLAG_NEW_FLOATS,		"NEW_FLOATS" },
	{ DFLAG_UNICODE_IO,		"UNICODE_IO" },
	{ DFLAG_DIST_HDR_ATOM_CACHE,	"DIST_HDR_ATOM_CACHE" },
	{ DFLAG_SMALL_ATOM_TAGS,	"SMALL_ATOM_TAGS" },
	{ DFLAG_ETS_COMPRESSED,		"ETS_COMPRESSED" },
	{ DFLAG_UTF8_ATOMS,		"UTF8_ATOMS" },
	{ DFLAG_MAP_TAG,		"MAP_TAG" },
	{ DFLAG_BIG_CREATION,		"BIG_CREATION" },
	{ DFLAG_SEND_SENDER,		"SEND_SENDER" },
	{ DFLAG_BIG_SEQTRACE_LABELS,	"BIG_SEQTRACE_LABELS" },
	{ DFLAG_PENDING_CONNECT,	"PENDING_CONNECT" },
	{ DFLAG_EXIT_PAYLOAD,		"EXIT_PAYLOAD" },
	{ DFLAG_FRAGMENTS,		"FRAGMENTS" },
	{ DFLAG_HANDSHAKE_23,		"HANDSHAKE_23" },
	{ DFLAG_UNLINK_ID,		"UNLINK_ID" },
	{ DFLAG_MANDATORY_25_DIGEST,	"MANDATORY_25_DIGEST" },
	{ DFLAG_SPAWN,			"SPAWN" },
	{ DFLAG_NAME_ME,		"NAME_ME" },
	{ DFLAG_V4_NC,			"V4_NC" },
	{ DFLAG_ALIAS,			"ALIAS" },
	{ DFLAG_LOCAL_EXT,		"LOCAL_EXT" },
	{ DFLAG_ALTACT_SIG,		"ALTACT_SIG" },
	{ DFLAG_NATIVE_RECORDS,		"NATIVE_RECORDS" },
};

const char *
dflag_name(uint64_t bit)
{
	size_t i;

	for (i = 0; i < DG_ARRAY_LEN(dflags); i++)
		if (dflags[i].bit == bit)
			return dflags[i].name;
	return NULL;
}

/* Case does not matter: 'DIST_MONITOR' and dist_monitor are one flag, so a
 * config can use plain atoms. */
int
dflag_from_name(const char *name, uint64_t *bit)
{
	size_t i;

	for (i = 0; i < DG_ARRAY_LEN(dflags); i++) {
		if (strcasecmp(dflags[i].name, name) == 0) {
			*bit = dflags[i].bit;
			return 0;
		}
	}
	return -1;
}

/* OTP 25+ expands the digest bit before any check (spec 2.6, and
 * expand_mandatory_25_flag/1); so do we. */
uint64_t
dflag_expand(uint64_t flags)
{
	if (flags & DFLAG_MANDATORY_25_DIGEST)
		flags |= DFLAG_MANDATORY_25;
	return flags;
}

uint64_t
dflag_mandatory(int otp)
{
	if (otp < DG_OTP_FIRST || otp > DG_OTP_LAST)
		return 0;
	if (otp <= 24)
		return DFLAG_MANDATORY_23;
	if (otp == 25)
		return DFLAG_MANDATORY_25;
	return DFLAG_MANDATORY_26;
}

int
dflag_mandatory_from_name(const char *name, uint64_t *set)
{
	char *end;
	long v;

	if (strncasecmp(name, "MANDATORY_", 10) != 0)
		return -1;
	v = strtol(name + 10, &end, 10);
	if (end == name + 10 || *end != '\0' || dflag_mandatory((int)v) == 0)
		return -1;
	*set = dflag_mandatory((int)v);
	return 0;
}

const char *
dflag_versions_requiring(uint64_t flags, char *buf, size_t len)
{
	size_t o = 0;
	int v;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (v = DG_OTP_FIRST; v <= DG_OTP_LAST && o < len; v++) {
		if (flags == 0 || (dflag_mandatory(v) & flags) != flags)
			continue;
		o += (size_t)snprintf(buf + o, len - o, "%s%d",
		    o ? ", " : "OTP ", v);
	}
	return buf;
}

const char *
dflag_names(uint64_t flags, char *buf, size_t len)
{
	size_t o = 0;
	int bit;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (bit = 0; bit < 64 && o < len; bit++) {
		const char *n;

		if (!(flags & (1ULL << bit)))
			continue;
		n = dflag_name(1ULL << bit);
		o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? " " : "",
		    n ? n : "?");
	}
	return buf;
}

static const char *const type_names[DG_T_COUNT] = DG_TYPE_NAMES("", "");
static const char *const action_names[] = DG_ACTION_NAMES;

const char *
dg_type_name(enum dg_type t)
{
	return (unsigned)t < DG_T_COUNT ? type_names[t] : "?";
}

const char *
dg_action_name(enum dg_action a)
{
	return (unsigned)a < DG_ARRAY_LEN(action_names) ? action_names[a] : "?";
}

int
dg_type_from_name(const char *name, enum dg_type *t)
{
	int i;

	for (i = 0; i < DG_T_COUNT; i++) {
		if (strcmp(name, type_names[i]) == 0) {
			*t = (enum dg_type)i;
			return 0;
		}
	}
	return -1;
}
