/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dg_flags.h - distribution capability flags (spec section 3.1).
 */
#ifndef DG_FLAGS_H
#define DG_FLAGS_H

#include <stdint.h>

#define DFLAG_PUBLISHED			0x1ULL
#define DFLAG_ATOM_CACHE		0x2ULL
#define DFLAG_EXTENDED_REFERENCES	0x4ULL
#define DFLAG_DIST_MONITOR		0x8ULL
#define DFLAG_FUN_TAGS			0x10ULL
#define DFLAG_DIST_MONITOR_NAME		0x20ULL
#define DFLAG_HIDDEN_ATOM_CACHE		0x40ULL
#define DFLAG_NEW_FUN_TAGS		0x80ULL
#define DFLAG_EXTENDED_PIDS_PORTS	0x100ULL
#define DFLAG_EXPORT_PTR_TAG		0x200ULL
#define DFLAG_BIT_BINARIES		0x400ULL
#define DFLAG_NEW_FLOATS		0x800ULL
#define DFLAG_UNICODE_IO		0x1000ULL
#define DFLAG_DIST_HDR_ATOM_CACHE	0x2000ULL
#define DFLAG_SMALL_ATOM_TAGS		0x4000ULL
#define DFLAG_ETS_COMPRESSED		0x8000ULL
#define DFLAG_UTF8_ATOMS		0x10000ULL
#define DFLAG_MAP_TAG			0x20000ULL
#define DFLAG_BIG_CREATION		0x40000ULL
#define DFLAG_SEND_SENDER		0x80000ULL
#define DFLAG_BIG_SEQTRACE_LABELS	0x100000ULL
#define DFLAG_PENDING_CONNECT		0x200000ULL
#define DFLAG_EXIT_PAYLOAD		0x400000ULL
#define DFLAG_FRAGMENTS			0x800000ULL
#define DFLAG_HANDSHAKE_23		0x1000000ULL
#define DFLAG_UNLINK_ID			0x2000000ULL
#define DFLAG_MANDATORY_25_DIGEST	0x4000000ULL
#define DFLAG_SPAWN			(1ULL << 32)
#define DFLAG_NAME_ME			(1ULL << 33)
#define DFLAG_V4_NC			(1ULL << 34)
#define DFLAG_ALIAS			(1ULL << 35)
#define DFLAG_LOCAL_EXT			(1ULL << 36)
#define DFLAG_ALTACT_SIG		(1ULL << 37)
#define DFLAG_NATIVE_RECORDS		(1ULL << 38)

/* What OTP 25 requires of a peer (spec 3.2); MANDATORY_25_DIGEST stands
 * for all of it. */
#define DFLAG_MANDATORY_25 (DFLAG_EXTENDED_REFERENCES | DFLAG_FUN_TAGS | \
	DFLAG_NEW_FUN_TAGS | DFLAG_EXTENDED_PIDS_PORTS | DFLAG_EXPORT_PTR_TAG | \
	DFLAG_BIT_BINARIES | DFLAG_NEW_FLOATS | DFLAG_UTF8_ATOMS | \
	DFLAG_MAP_TAG | DFLAG_BIG_CREATION | DFLAG_HANDSHAKE_23)

/* What OTP 23 and 24 require (erts dist.h, DFLAG_DIST_MANDATORY there). */
#define DFLAG_MANDATORY_23 (DFLAG_EXTENDED_REFERENCES | \
	DFLAG_EXTENDED_PIDS_PORTS | DFLAG_UTF8_ATOMS | DFLAG_NEW_FUN_TAGS | \
	DFLAG_BIG_CREATION)
/* OTP 26 added V4_NC and UNLINK_ID to the OTP 25 set; 27, 28 and 29 kept
 * it (erts dist.h: DFLAG_DIST_MANDATORY is the 25 and 26 sets). */
#define DFLAG_MANDATORY_26 (DFLAG_MANDATORY_25 | DFLAG_V4_NC | DFLAG_UNLINK_ID)

/* The OTP releases distguard knows the mandatory sets of. */
#define DG_OTP_FIRST	23
#define DG_OTP_LAST	29

/*
 * Every flag distguard can carry between the legs.  Not in it: the obsolete
 * atom caches, internal-only bits, NAME_ME (dynamic names are not mediated),
 * and the OTP 28/29 features the filter does not decode (ALTACT_SIG,
 * NATIVE_RECORDS): without them an OTP 28 sender falls back to ops we know.
 */
#define DFLAG_SUPPORTED (DFLAG_PUBLISHED | DFLAG_EXTENDED_REFERENCES | \
	DFLAG_DIST_MONITOR | DFLAG_FUN_TAGS | DFLAG_DIST_MONITOR_NAME | \
	DFLAG_NEW_FUN_TAGS | DFLAG_EXTENDED_PIDS_PORTS | DFLAG_EXPORT_PTR_TAG | \
	DFLAG_BIT_BINARIES | DFLAG_NEW_FLOATS | DFLAG_UNICODE_IO | \
	DFLAG_DIST_HDR_ATOM_CACHE | DFLAG_SMALL_ATOM_TAGS | DFLAG_UTF8_ATOMS | \
	DFLAG_MAP_TAG | DFLAG_BIG_CREATION | DFLAG_SEND_SENDER | \
	DFLAG_BIG_SEQTRACE_LABELS | DFLAG_EXIT_PAYLOAD | DFLAG_FRAGMENTS | \
	DFLAG_HANDSHAKE_23 | DFLAG_UNLINK_ID | DFLAG_MANDATORY_25_DIGEST | \
	DFLAG_SPAWN | DFLAG_V4_NC | DFLAG_ALIAS)

/* Withheld by default on both legs: every frame then decodes on its own. */
#define DFLAG_DEFAULT_WITHHOLD	DFLAG_DIST_HDR_ATOM_CACHE

/* Name of one flag bit ("DIST_MONITOR"), or NULL for an unknown bit. */
const char	*dflag_name(uint64_t bit);
/* Parses a flag name as written in the config; 0 on success. */
int		 dflag_from_name(const char *name, uint64_t *bit);
/* The flags OTP release `otp` refuses a peer without; 0 outside
 * DG_OTP_FIRST..DG_OTP_LAST. */
uint64_t	 dflag_mandatory(int otp);
/* 'MANDATORY_23' .. 'MANDATORY_29' (any case) -> that release's set. */
int		 dflag_mandatory_from_name(const char *name, uint64_t *set);
/* The releases whose mandatory set holds every bit of `flags`, as "OTP 26,
 * 27, 28" (empty when none); returns buf. */
const char	*dflag_versions_requiring(uint64_t flags, char *buf, size_t len);
/* "V4_NC UNLINK_ID": the names of the bits in `flags`; returns buf. */
const char	*dflag_names(uint64_t flags, char *buf, size_t len);
/* Expands MANDATORY_25_DIGEST into the set it stands for (spec 2.6). */
uint64_t	 dflag_expand(uint64_t flags);

#endif
