/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules.c - message + policy -> verdict (docs/FILTER.md).
 *
 * Owns the meaning of the policy section of the configuration: scope and
 * peer resolution at the handshake, rule matching per message, the three
 * built-in profiles, and the `distguard test` dry run.  Trusts the loaded
 * configuration and the spans of a decoded struct dist_msg; compares
 * atom texts by length, never through a NUL terminator, so an atom that
 * holds a NUL cannot pass for a shorter name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dg.h"
#include "conf/conf.h"
#include "dist_ctl.h"
#include "disclose.h"
#include "idset.h"
#include "rules.h"
#include "spawnopt.h"
#include "term_lit.h"

/* "{Action, Type}" for every type rule, so that a verdict never builds a
 * string. */
static const char *const what_type[3][DG_T_COUNT] = {
	[DG_ALLOW] = DG_TYPE_NAMES("{allow, ", "}"),
	[DG_DENY] = DG_TYPE_NAMES("{deny, ", "}"),
	[DG_DROP] = DG_TYPE_NAMES("{drop, ", "}"),
};

static const char *const what_names[3] = {
	[DG_ALLOW] = "{allow, reg_send, [Name]}",
	[DG_DENY] = "{deny, reg_send, [Name]}",
	[DG_DROP] = "{drop, reg_send, [Name]}",
};

static const char *const what_mfas[3] = {
	[DG_ALLOW] = "{allow, spawn_request, [MFA]}",
	[DG_DENY] = "{deny, spawn_request, [MFA]}",
	[DG_DROP] = "{drop, spawn_request, [MFA]}",
};

static const char *const what_profile[DG_PROFILE_COUNT] = {
	[DG_PROFILE_PING] = "profile ping",
	[DG_PROFILE_GLOBAL] = "profile global",
	[DG_PROFILE_REPLIES] = "profile replies",
};

#define WHAT_NOT_ADMITTED \
	"not admitted: no {peer} entry matches and the default is deny"


/*
 * 1 when the atom text s[0..len) equals the NUL-terminated `name`.  Stops
 * at name's NUL, so it never reads past either side.
 */
static int
span_is(struct dg_span s, const char *name)
{
	uint32_t i;

	if (s.p == NULL && s.len != 0)
		return 0;
	for (i = 0; i < s.len; i++)
		if (name[i] == '\0' || (uint8_t)name[i] != s.p[i])
			return 0;
	return name[i] == '\0';
}

/* MONITOR_P and DEMONITOR_P: what a peer sends to watch something here. */
static int
is_monitor_req(const struct dist_msg *m)
{
	return m->type == DG_T_MONITOR &&
	    (m->op == DOP_MONITOR_P || m->op == DOP_DEMONITOR_P);
}

/* A monitor (or demonitor) of the registered name `name` (n bytes). */
static int
monitors_name_n(const struct dist_msg *m, const char *name, size_t n)
{
	return is_monitor_req(m) && m->has_name && term_span_is_n(m->name, name, n);
}

static int
is_reg_send_to_n(const struct dist_msg *m, const char *name, size_t n)
{
	return m->type == DG_T_REG_SEND && m->has_name &&
	    term_span_is_n(m->name, name, n);
}
/* For a literal name, whose length is known: lengths compared first. */
#define monitors_name(m, lit)	monitors_name_n((m), "" lit, sizeof(lit) - 1)
#define is_reg_send_to(m, lit)	is_reg_send_to_n((m), "" lit, sizeof(lit) - 1)

/*
 * Why a profile did not admit a message that is of a kind it covers:
 * kept so that the denial says so (docs/FILTER.md 7).
 */
#define WHY_UNDISCLOSED	"undisclosed"
#define WHY_FUN		"carries a fun"
#define WHY_REQUEST	"a request to a process by pid"
#define WHY_NOT_GLOBAL	"not global's protocol"
#define WHY_NOT_NK	"not net_kernel's protocol"
#define WHY_NOT_REX	"not rex's protocol"
#define WHY_PARTIAL	"too large to check whole"
#define WHY_BAD_PAYLOAD	"a payload that cannot be checked"
#define WHY_IO		"io protocol"

/*
 * An allowed name still does not take OTP's behaviour protocols unless
 * the rule names them (issue 18 item 6): sys obeys get_state, replace_state,
 * suspend, terminate and log_to_file from anyone; a supervisor starts
 * any child spec; an event manager calls any handler module.  Returns
 * the reason for the first protocol of m the rule does not admit, or
 * NULL.
 */
static const char *
behav_refused(const struct dg_rule *r, unsigned behav)
{
	static const char *const why[DG_PROTO_COUNT] = {
		"sys protocol", "supervisor protocol", "gen_event protocol",
		"a signal forged as a message", WHY_IO,
	};
	unsigned left = behav & ~r->protos;
	int i;

	for (i = 0; i < DG_PROTO_COUNT; i++)
		if (left & (1u << i))
			return why[i];
	return NULL;
}

/*
 * The behaviour protocols of a send by pid that a rule must name: all of
 * m's but io to a group leader the local node handed to this peer (the
 * output of its own rpc, erpc and spawn/4 calls, a remote shell's;
 * disclose.h).
 */
static unsigned
pid_behav(const struct dist_msg *m)
{
	return (m->disclosed & DISCLOSED_LEADER) ? m->behav & ~DG_PROTO_IO :
	    m->behav;
}

/* rules_verdict.code while deciding: what allowed the message. */
#define CODE_ALL	(-1)	/* allow_all: no guard */


/* What a profile made of a message: it admits it (1), it does not cover
 * it (0), or it covers its kind but not this one (-1, with *why). */
static int
refuse(const char **why, const char *reason)
{
	*why = reason;
	return -1;
}

/*
 * A send to a pid or an alias under a profile: only to what this node
 * disclosed to the peer, never code, never a request to a server (a
 * disclosed pid may be a server's), and never unchecked global traffic.
 */
static int
pid_send_ok(const struct dist_msg *m, int io_funs, const char **why)
{
	if (!m->disclosed)
		return refuse(why, WHY_UNDISCLOSED);
	/* io_funs: an io reply whose funs a {io_reply, Module} target
	 * admits (rules_decide, docs/FILTER.md 21) */
	if (m->pl_fun && !io_funs)
		return refuse(why, WHY_FUN);
	if (m->pl_request)
		return refuse(why, WHY_REQUEST);
	/* io requests go to the leaders this node handed out, nowhere else
	 * (issue 18 item 6): an io server obeys whoever sends them */
	if (pid_behav(m) & DG_PROTO_IO)
		return refuse(why, WHY_IO);
	if ((m->disclosed & DISCLOSED_GLOBAL) && !m->pl_reply)
		return refuse(why, WHY_NOT_GLOBAL);
	return 1;
}

/* A monitor by pid: of a process this node disclosed. */
static int
pid_monitor_ok(const struct dist_msg *m, const char **why)
{
	return m->disclosed ? 1 : refuse(why, WHY_UNDISCLOSED);
}

/*
 * Profiles (docs/FILTER.md has them message by message, with the captures
 * they come from).  Each only ever allows.
 */
static int
profile_ping(const struct dist_msg *m, const char **why)
{
	/* net_adm:ping = gen:call({net_kernel, N}, ...): MONITOR_P on the
	 * name, the is_auth call, DEMONITOR_P.  Nothing else reaches
	 * net_kernel: its legacy spawn and its admin calls are not pings.
	 * A ping goes both ways: the peer's net_kernel answers this node's
	 * own ping with {Tag, yes}, a send to the pid or alias this node
	 * disclosed in its is_auth call; without it net_adm:ping waits for
	 * ever (its call has no timeout).  Only that shape, a reply carrying
	 * an atom, not all that `replies` admits. */
	if (monitors_name(m, "net_kernel"))
		return 1;
	if ((m->type == DG_T_SEND || m->type == DG_T_ALIAS_SEND) &&
	    m->pl_reply && !m->pl_partial)
		return pid_send_ok(m, 0, why);
	if (!is_reg_send_to(m, "net_kernel"))
		return 0;
	if (m->is_auth)
		return 1;
	/* Code (spawn) is the MFA list's to judge, not this profile's. */
	return m->via == VIA_NONE ? refuse(why, m->proto_why ? m->proto_why :
	    WHY_NOT_NK) : 0;
}

static int
profile_global(const struct dist_msg *m, int io_funs, const char **why)
{
	/* global's inter-node protocol, by exact shape (dist_ctl.c
	 * inspect_global: casts, calls and plain messages to
	 * global_name_server, no fun but global's own resolvers, the
	 * sending node named truthfully), the locker's monitor on
	 * global_name_server by name, global_name_server monitoring the
	 * peer's locker by pid, and the replies, which come back as plain
	 * sends to the pids this node used. */
	if (monitors_name(m, "global_name_server"))
		return 1;
	if (is_reg_send_to(m, "global_name_server")) {
		if (m->global_ok && !m->opaque)
			return 1;
		return refuse(why, m->pl_fun ? WHY_FUN : m->pl_partial ?
		    WHY_PARTIAL : WHY_NOT_GLOBAL);
	}
	if (is_monitor_req(m) && !m->has_name)
		return pid_monitor_ok(m, why);
	if (m->type == DG_T_SEND)
		return pid_send_ok(m, io_funs, why);
	/* rpc's features_request to rex, which every published connection
	 * starts with; its features_reply is a send to a pid. */
	if (m->type == DG_T_REG_SEND && m->rex_features)
		return 1;
	if (is_reg_send_to(m, "rex") && m->via == VIA_NONE && !m->opaque)
		return refuse(why, m->proto_why ? m->proto_why : WHY_NOT_REX);
	return 0;
}

static int
profile_replies(const struct dist_msg *m, int io_funs, const char **why)
{
	/* Answers to what this node asked for: gen_server replies to a pid
	 * (OTP <= 25 or with a custom tag) or to an alias (OTP 24+), io
	 * requests from processes spawned for this node (sent to its group
	 * leader, which they monitor first, by pid). */
	if (m->type == DG_T_SEND || m->type == DG_T_ALIAS_SEND)
		return pid_send_ok(m, io_funs, why);
	if (is_monitor_req(m) && !m->has_name)
		return pid_monitor_ok(m, why);
	return 0;
}

static int
profile_match(enum dg_profile p, const struct dist_msg *m, int io_funs,
    const char **why)
{
	switch (p) {
	case DG_PROFILE_PING:
		return profile_ping(m, why);
	case DG_PROFILE_GLOBAL:
		return profile_global(m, io_funs, why);
	case DG_PROFILE_REPLIES:
		return profile_replies(m, io_funs, why);
	default:
		return 0;
	}
}

/*
 * A name list governs a registered name: sends to it (directly or relayed
 * by rex, where dist_ctl puts the relayed-to name in m->name) and monitors
 * of it by name, which gen_server:call makes before every call and which
 * tell the peer nothing a send does not.
 */
static int
names_match(const struct dg_rule *r, const struct dist_msg *m)
{
	int i;

	if (!m->has_name)
		return 0;
	if (m->type != DG_T_REG_SEND && !is_monitor_req(m))
		return 0;
	for (i = 0; i < r->nnames; i++)
		if (span_is(m->name, r->names[i]))
			return 1;
	return 0;
}

/*
 * An MFA list governs code execution, whichever API carries it: plain
 * SPAWN_REQUEST, erpc's wrapper, rex call/cast/block_call and net_kernel's
 * legacy spawn all reach here as DG_T_SPAWN_REQUEST with an exec MFA.
 */
static int
mfas_match(const struct dg_rule *r, const struct dist_msg *m)
{
	const struct dg_mfa *x;
	int i;

	if (m->type != DG_T_SPAWN_REQUEST || m->via == VIA_NONE)
		return 0;
	for (i = 0; i < r->nmfas; i++) {
		x = &r->mfas[i];
		if (x->m != NULL && !span_is(m->exec_m, x->m))
			continue;
		if (x->f != NULL && !span_is(m->exec_f, x->f))
			continue;
		if (x->arity >= 0 && x->arity != m->exec_arity)
			continue;
		return 1;
	}
	return 0;
}

/* {allow, Type, disclosed}, for verdicts. */
static const char *const what_disclosed[DG_T_COUNT] =
    DG_TYPE_NAMES("{allow, ", ", disclosed}");

/*
 * A message whose target is a pid or an alias of the local node, which
 * {allow, Type, disclosed} checks against what it disclosed: not a
 * monitor by name, not what a peer reports about its own processes
 * (MONITOR_P_EXIT: the watcher is the local one, the disclosed check
 * would look at the wrong pid, and those are replies anyway).
 */
static int
by_pid(const struct dist_msg *m)
{
	if (m->has_name || m->t_target.len == 0)
		return 0;
	return m->op != DOP_MONITOR_P_EXIT &&
	    m->op != DOP_PAYLOAD_MONITOR_P_EXIT;
}

/* Does rule r decide m?  Sets *what to the rule's static description,
 * and *why when a profile covers m's kind but refuses m itself. */
static int
rule_match(const struct dg_rule *r, const struct dist_msg *m,
    const char *local, int io_funs, const char **what, const char **why)
{
	const char *b;
	int hit = 0;

	switch (r->kind) {
	case DG_R_ALLOW_ALL:
		*what = "allow_all";
		return 1;
	case DG_R_PROFILE:
		if ((unsigned)r->profile >= DG_PROFILE_COUNT)
			return 0;
		hit = profile_match(r->profile, m, io_funs, why) > 0;
		*what = what_profile[r->profile];
		break;
	case DG_R_TYPE:
		if ((unsigned)r->type >= DG_T_COUNT)
			return 0;
		hit = m->type == r->type;
		if (r->disclosed) {
			*what = what_disclosed[r->type];
			if (!hit || !by_pid(m))
				return 0;
			if (!m->disclosed) {
				*why = WHY_UNDISCLOSED;
				return 0;
			}
			/* A send by pid takes no behaviour protocol the rule
			 * does not name: {allow, send, disclosed, [io]}. */
			if ((b = behav_refused(r, pid_behav(m))) != NULL &&
			    (m->type == DG_T_SEND || m->type == DG_T_ALIAS_SEND)) {
				*why = b;
				return 0;
			}
			break;
		}
		*what = what_type[r->action][r->type];
		break;
	case DG_R_NAMES:
		hit = names_match(r, m);
		*what = what_names[r->action];
		break;
	case DG_R_MFAS:
		hit = mfas_match(r, m);
		*what = what_mfas[r->action];
		break;
	case DG_R_FUNS:
		/* Not a decider: an exemption the code guard consults. */
		return 0;
	}
	/* Code allowed: its spawn options and group leader are judged too
	 * (a type rule admits only the defaults). */
	if (hit && r->action == DG_ALLOW && m->type == DG_T_SPAWN_REQUEST &&
	    (r->kind == DG_R_MFAS || r->kind == DG_R_TYPE)) {
		const char *so = spawnopt_refused(&r->sopts, m, local);

		if (so != NULL) {
			*why = so;
			return 0;
		}
	}
	if (hit && r->action == DG_ALLOW && m->behav != 0 &&
	    (r->kind == DG_R_NAMES || (r->kind == DG_R_TYPE &&
	    r->type == DG_T_REG_SEND && !r->disclosed)) &&
	    m->type == DG_T_REG_SEND) {
		if ((b = behav_refused(r, m->behav)) != NULL) {
			*why = b;
			return 0;
		}
	}
	/* A message to rex or net_kernel in a shape dist_ctl does not know
	 * may run code we cannot see: only allow_all lets it through.  A
	 * deny or drop rule still catches it. */
	if (hit && m->opaque && r->action == DG_ALLOW) {
		if (m->opaque_why != NULL)
			*why = m->opaque_why;
		return 0;
	}
	return hit;
}

/* First matching rule of rs, or 0.  The first refusal reason a profile
 * gave on the way is kept in out->reason. */
static int
ruleset_decide(const struct dg_ruleset *rs, const struct dist_msg *m,
    const char *local, int io_funs, struct rules_verdict *out)
{
	const struct dg_rule *r;
	const char *what = NULL, *why = NULL;
	int i;

	if (rs == NULL)
		return 0;
	for (i = 0; i < rs->nrules; i++) {
		r = &rs->rules[i];
		if ((unsigned)r->action > DG_DROP)
			continue;
		why = NULL;
		if (rule_match(r, m, local, io_funs, &what, &why)) {
			out->action = r->kind == DG_R_ALLOW_ALL ||
			    r->kind == DG_R_PROFILE ? DG_ALLOW : r->action;
			out->line = r->line;
			out->what = what;
			/* allow_all lets code through: it is what it says */
			out->code = r->kind == DG_R_ALLOW_ALL ? CODE_ALL : 0;
			return 1;
		}
		if (why != NULL && out->reason == NULL)
			out->reason = why;
	}
	return 0;
}

/*
 * {allow, funs, [{io_reply, Module}]} (docs/FILTER.md 21): an io reply,
 * {io_reply, ReplyAs, Reply}, sent to a pid or alias the local node
 * disclosed to the peer (the group leader answering a request of the
 * local node's own process), proven whole, every fun in it of Module.
 * A remote shell's answers carry such funs (the line editor's parsed
 * input, the shell's expand fun): they run on the local node only when
 * the local code that asked calls them.
 */
static int
io_funs_in(const struct dg_ruleset *rs, const struct dist_msg *m)
{
	const struct dg_rule *r;
	int i, j;

	if (!m->pl_io_reply || !m->pl_fun || m->pl_fun_mixed ||
	    !m->disclosed || m->pl_state != PL_PROVEN || m->pl_partial ||
	    (m->type != DG_T_SEND && m->type != DG_T_ALIAS_SEND))
		return 0;
	for (i = 0; rs != NULL && i < rs->nrules; i++) {
		r = &rs->rules[i];
		for (j = 0; r->kind == DG_R_FUNS && j < r->nio_mods; j++)
			if (span_is(m->pl_fun_mod, r->io_mods[j]))
				return 1;
	}
	return 0;
}

static int
io_funs_allowed(const struct rules_policy *pol, const struct dist_msg *m)
{
	return (pol->peer != NULL && io_funs_in(&pol->peer->rules, m)) ||
	    io_funs_in(pol->def_rules, m);
}

/* A funs rule without targets: funs pass everywhere. */
static int
funs_everywhere(const struct dg_rule *r)
{
	return r->kind == DG_R_FUNS && r->nnames == 0 && r->nmfas == 0 &&
	    r->nio_mods == 0;
}

/* Does a funs rule of rs let m's funs through? */
static int
funs_in(const struct dg_ruleset *rs, const struct dist_msg *m)
{
	const struct dg_rule *r;
	int i, j;

	if (io_funs_in(rs, m))
		return 1;
	for (i = 0; rs != NULL && i < rs->nrules; i++) {
		r = &rs->rules[i];
		if (r->kind != DG_R_FUNS)
			continue;
		if (funs_everywhere(r))
			return 1;
		if (r->nmfas > 0 && mfas_match(r, m))
			return 1;
		for (j = 0; j < r->nnames && m->has_name; j++)
			if (span_is(m->name, r->names[j]))
				return 1;
	}
	return 0;
}

int
rules_funs_allowed(const struct rules_policy *pol, const struct dist_msg *m)
{
	return (pol->peer != NULL && funs_in(&pol->peer->rules, m)) ||
	    funs_in(pol->def_rules, m);
}

/*
 * The code guard (docs/FILTER.md 11), on a message a rule other than
 * allow_all allowed: a fun anywhere in its payload is code, denied unless
 * a funs rule lets it through; a payload that is not a valid term may
 * hide one (and atoms), and is denied the same way.
 */
static void
code_guard(const struct rules_policy *pol, const struct dist_msg *m,
    struct rules_verdict *out)
{
	const char *why = NULL;

	if (!(pol->needs & DC_NEED_FUNS) || m->pl_state == PL_NONE)
		return;
	/* A payload judged on its first bytes (PL_PREFIX: past the window,
	 * a first fragment, or a send streaming through, dist_ctl.h
	 * DC_STREAM) is admitted on them: the relay walks the rest to its
	 * end before the message's last bytes go, and refuses there what
	 * this guard would, funs and atoms alike (FILTER.md 10). */
	if (m->pl_fun)
		why = WHY_FUN;
	else if (m->pl_state == PL_BAD)
		why = WHY_BAD_PAYLOAD;
	if (why == NULL)
		return;
	/* Funs let through are still counted for atoms: a payload that
	 * could not be read is refused while a budget runs. */
	if (rules_funs_allowed(pol, m) && (m->pl_fun || pol->atoms == 0))
		return;
	out->action = DG_DENY;
	out->reason = why;
	out->code = m->pl_fun;
}

unsigned
rules_profiles_of(const struct dist_msg *m)
{
	const char *why = NULL;
	unsigned mask = 0;
	int p;

	for (p = 0; p < DG_PROFILE_COUNT; p++)
		if (profile_match((enum dg_profile)p, m, 0, &why) > 0)
			mask |= 1u << p;
	return mask;
}

/* Spawn options as a rule that admits only the defaults takes them. */
static const struct dg_spawn_opts sopts_default;

/*
 * Whether refusing m protects the node itself, whatever the rules say
 * (docs/FILTER.md 22): the checks a server's or ERTS's own robustness
 * rests on (issue 18), which audit mode keeps.  Returns the reason, or
 * NULL when the refusal is only the policy's.  Works on the facts of
 * AUDIT_NEEDS, which rules_resolve asks for in audit mode.
 */
static const char *
guard_reason(const struct rules_policy *pol, const struct dist_msg *m)
{
	const char *so;

	/* A payload ERTS would not take, or one the decoder could not prove
	 * (the code guard's PL_BAD), and code in a shape we cannot see. */
	if (m->pl_state == PL_BAD)
		return WHY_BAD_PAYLOAD;
	if (m->opaque)
		return m->opaque_why != NULL ? m->opaque_why :
		    "a system server's message in a shape not known";
	/* A system server's tag with types its clause does not take. */
	if (m->proto_why != NULL)
		return m->proto_why;
	if (is_reg_send_to(m, "global_name_server") && !m->global_ok)
		return m->pl_partial ? WHY_PARTIAL : WHY_NOT_GLOBAL;
	if (m->type == DG_T_SEND && m->disclosed == DISCLOSED_GLOBAL &&
	    !m->pl_reply)
		return WHY_NOT_GLOBAL;
	/* Spawn options and group leader, as a rule that admits only the
	 * defaults judges them. */
	if (m->type == DG_T_SPAWN_REQUEST &&
	    (so = spawnopt_refused(&sopts_default, m, pol->local)) != NULL)
		return so;
	return NULL;
}

/* Audit mode: the verdict stands, but a refusal that is only the
 * policy's is forwarded (would_deny). */
static void
audit_apply(const struct rules_policy *pol, const struct dist_msg *m,
    struct rules_verdict *out)
{
	const char *g;

	if (out->action == DG_ALLOW)
		return;
	if ((g = guard_reason(pol, m)) != NULL) {
		out->guard = 1;
		/* In audit mode the alert says why it was refused still. */
		if (out->reason == NULL || pol->audit)
			out->reason = g;
		if (pol->audit)
			out->code = 0;
		return;
	}
	if (pol->audit) {
		out->audit = 1;
		out->disconnect = 0;
	}
}

void
rules_decide(const struct rules_policy *pol, const struct dist_msg *m,
    struct rules_verdict *out)
{
	int io_funs = io_funs_allowed(pol, m);

	out->disconnect = 0;
	out->reason = NULL;
	out->code = 0;
	out->guard = 0;
	out->audit = 0;
	if (!pol->admitted) {
		out->action = DG_DENY;
		out->line = pol->def_line;
		out->what = WHAT_NOT_ADMITTED;
		audit_apply(pol, m, out);
		return;
	}
	if (pol->peer != NULL && ruleset_decide(&pol->peer->rules, m,
	    pol->local, io_funs, out))
		goto done;
	switch (pol->def) {
	case DG_DEF_ALLOW:
		/* {default, allow} is allow_all: opaque messages pass too. */
		out->action = DG_ALLOW;
		out->line = pol->def_line;
		out->what = "default allow";
		return;
	case DG_DEF_RULES:
		if (ruleset_decide(pol->def_rules, m, pol->local, io_funs,
		    out))
			goto done;
		out->action = DG_DENY;
		out->line = pol->def_line;
		out->what = "default: no rule matches";
		break;
	case DG_DEF_DENY:
	default:
		out->action = DG_DENY;
		out->line = pol->def_line;
		out->what = "default deny";
		break;
	}
done:
	if (out->action == DG_ALLOW && out->code != CODE_ALL) {
		out->reason = NULL;
		code_guard(pol, m, out);
	} else if (out->action != DG_ALLOW && out->reason != NULL &&
	    strcmp(out->reason, WHY_FUN) == 0)
		out->code = 1;	/* a profile refused it for its fun */
	if (out->code < 0)
		out->code = 0;
	if (out->action != DG_ALLOW && pol->disconnect)
		out->disconnect = 1;
	audit_apply(pol, m, out);
}

/* The payload facts the rules in rs look at (dist_ctl's DC_NEED_*). */
static unsigned
ruleset_needs(const struct dg_ruleset *rs)
{
	unsigned need = 0;
	int i;

	for (i = 0; rs != NULL && i < rs->nrules; i++) {
		if (rs->rules[i].disclosed)
			need |= DC_NEED_IDS;
		/* Names allowed, sends to disclosed pids allowed: their
		 * behaviour protocols are judged. */
		if (rs->rules[i].action == DG_ALLOW &&
		    (rs->rules[i].kind == DG_R_NAMES ||
		    (rs->rules[i].kind == DG_R_TYPE &&
		    (rs->rules[i].type == DG_T_REG_SEND ||
		    (rs->rules[i].disclosed &&
		    (rs->rules[i].type == DG_T_SEND ||
		    rs->rules[i].type == DG_T_ALIAS_SEND))))))
			need |= DC_NEED_BEHAV;
		/* Anything that allows but allow_all puts the code guard on. */
		if (rs->rules[i].kind != DG_R_ALLOW_ALL &&
		    rs->rules[i].kind != DG_R_FUNS &&
		    rs->rules[i].action == DG_ALLOW)
			need |= DC_NEED_FUNS;
		/* {io_reply, Module}: the io reply and its target seen */
		if (rs->rules[i].kind == DG_R_FUNS && rs->rules[i].nio_mods > 0)
			need |= DC_NEED_PIDSEND | DC_NEED_IDS | DC_NEED_FUNS;
		if (rs->rules[i].kind != DG_R_PROFILE)
			continue;
		/* ping and global admit requests to system servers, which
		 * are checked by type (dist_facts.c) */
		if (rs->rules[i].profile == DG_PROFILE_PING)
			need |= DC_NEED_GLOBAL | DC_NEED_PIDSEND | DC_NEED_IDS;
		if (rs->rules[i].profile == DG_PROFILE_GLOBAL)
			need |= DC_NEED_GLOBAL | DC_NEED_PIDSEND | DC_NEED_IDS;
		if (rs->rules[i].profile == DG_PROFILE_REPLIES)
			need |= DC_NEED_PIDSEND | DC_NEED_IDS;
	}
	return need;
}

/* {allow, funs} without targets: funs pass everywhere. */
static int
all_funs(const struct dg_ruleset *rs)
{
	int i;

	for (i = 0; rs != NULL && i < rs->nrules; i++)
		if (funs_everywhere(&rs->rules[i]))
			return 1;
	return 0;
}

static int
has_allow_all(const struct dg_ruleset *rs)
{
	int i;

	for (i = 0; rs != NULL && i < rs->nrules; i++)
		if (rs->rules[i].kind == DG_R_ALLOW_ALL)
			return 1;
	return 0;
}

/*
 * The atom budget: the peer entry's {atoms, N}; else none for a peer that
 * may do everything anyway (allow_all, {default, allow}); else the
 * {limits, [{atoms, N}]} of the configuration (10,000).
 */
static int64_t
atom_budget(const struct dg_conf *conf, const struct rules_policy *pol)
{
	if (pol->peer != NULL && pol->peer->atoms != 0)
		return pol->peer->atoms < 0 ? 0 : pol->peer->atoms;
	if (pol->peer != NULL && has_allow_all(&pol->peer->rules))
		return 0;
	if (pol->peer == NULL && (pol->def == DG_DEF_ALLOW ||
	    has_allow_all(pol->def_rules)))
		return 0;
	return conf->max_atoms;
}

static const char *
def_name(enum dg_default_kind d)
{
	switch (d) {
	case DG_DEF_ALLOW:
		return "allow";
	case DG_DEF_RULES:
		return "[Rule]";
	case DG_DEF_DENY:
	default:
		return "deny";
	}
}

static const struct dg_peer *
scope_peer(const struct dg_scope *s, const char *peer_node)
{
	int i;

	if (s == NULL)
		return NULL;
	for (i = 0; i < s->npeers; i++)
		if (s->peers[i].pattern != NULL &&
		    dg_glob_match(s->peers[i].pattern, peer_node))
			return &s->peers[i];
	return NULL;
}

/* The facts guard_reason and rules_profiles_of look at. */
#define AUDIT_NEEDS	(DC_NEED_PIDSEND | DC_NEED_GLOBAL | DC_NEED_IDS | \
	DC_NEED_FUNS)

/* {mode, M}: the peer entry's, else its {node} scope's, else the top
 * level's (the most specific that says). */
static enum dg_mode
policy_mode(const struct dg_conf *conf, const struct rules_policy *pol)
{
	if (pol->peer != NULL && pol->peer->mode != DG_MODE_UNSET)
		return pol->peer->mode;
	if (pol->node_scope != NULL && pol->node_scope->mode != DG_MODE_UNSET)
		return pol->node_scope->mode;
	return conf->top.mode;
}

/* Each message type's handler, like the spawn handler: the peer entry's,
 * else its {node} scope's, else the top level's (docs/FILTER.md 26). */
static void
resolve_msg_handlers(const struct dg_conf *conf, struct rules_policy *out)
{
	int t;

	out->rewrites = out->handler != NULL;
	for (t = 0; t < DG_T_COUNT; t++) {
		if (out->peer != NULL && out->peer->msg_handler[t] != NULL)
			out->msg_handler[t] = out->peer->msg_handler[t];
		else if (out->node_scope != NULL &&
		    out->node_scope->msg_handler[t] != NULL)
			out->msg_handler[t] = out->node_scope->msg_handler[t];
		else
			out->msg_handler[t] = conf->top.msg_handler[t];
		if (out->msg_handler[t] != NULL)
			out->rewrites = out->msg_rewrites = 1;
	}
}

int
rules_resolve(const struct dg_conf *conf, const char *local_node,
    const char *peer_node, struct rules_policy *out)
{
	const struct dg_scope *ds = NULL;
	int i, n;

	memset(out, 0, sizeof(*out));
	out->conf = conf;
	out->def = DG_DEF_DENY;
	if (local_node != NULL)
		snprintf(out->local, sizeof(out->local), "%s", local_node);

	/* The first {node} scope whose pattern matches the local node. */
	if (local_node != NULL)
		for (i = 0; i < conf->nnodes; i++)
			if (conf->nodes[i].node_pattern != NULL &&
			    dg_glob_match(conf->nodes[i].node_pattern,
			    local_node)) {
				out->node_scope = &conf->nodes[i];
				break;
			}

	/* Peer: the scope's entries first, then the top level's. */
	if ((out->peer = scope_peer(out->node_scope, peer_node)) == NULL)
		out->peer = scope_peer(&conf->top, peer_node);

	/* Default: the scope's own, else the top level's, else deny. */
	if (out->node_scope != NULL && out->node_scope->has_default)
		ds = out->node_scope;
	else if (conf->top.has_default)
		ds = &conf->top;
	if (ds != NULL) {
		out->def = ds->def;
		out->def_rules = ds->def == DG_DEF_RULES ? &ds->def_rules :
		    NULL;
		out->def_line = ds->def_line;
	}

	out->admitted = out->peer != NULL || out->def != DG_DEF_DENY;
	out->disconnect = out->peer != NULL && out->peer->disconnect;
	out->audit = policy_mode(conf, out) == DG_MODE_AUDIT;
	out->needs = ruleset_needs(out->peer != NULL ? &out->peer->rules :
	    NULL) | ruleset_needs(out->def_rules);
	out->atoms = atom_budget(conf, out);
	if (out->atoms > 0)
		out->needs |= DC_NEED_ATOMS;
	if (out->peer != NULL && out->peer->handler != NULL)
		out->handler = out->peer->handler;
	else if (out->node_scope != NULL && out->node_scope->handler != NULL)
		out->handler = out->node_scope->handler;
	else
		out->handler = conf->top.handler;
	resolve_msg_handlers(conf, out);
	/* A bare {allow, funs} without a budget leaves the guard nothing
	 * to refuse: the walk is skipped. */
	if (out->atoms == 0 && (all_funs(out->peer != NULL ?
	    &out->peer->rules : NULL) || all_funs(out->def_rules)))
		out->needs &= ~DC_NEED_FUNS;
	/* The rewrite needs the payload proven whole: the one walk. */
	if (out->rewrites)
		out->needs |= DC_NEED_FUNS;
	/* Audit mode: the facts the node's protections and the profiles
	 * (for suggest) look at, whatever the rules ask for. */
	if (out->audit)
		out->needs |= AUDIT_NEEDS;

	n = 0;
	if (out->node_scope != NULL)
		n = snprintf(out->desc, sizeof(out->desc),
		    "node \"%s\" (line %d): ", out->node_scope->node_pattern,
		    out->node_scope->line);
	if (n < 0 || (size_t)n >= sizeof(out->desc))
		n = 0;
	if (out->peer != NULL)
		snprintf(out->desc + n, sizeof(out->desc) - n,
		    "peer \"%s\" (line %d)%s", out->peer->pattern,
		    out->peer->line,
		    out->peer->disconnect ? ", disconnect on violation" : "");
	else if (!out->admitted && out->def_line > 0)
		snprintf(out->desc + n, sizeof(out->desc) - n,
		    "%s (line %d)", WHAT_NOT_ADMITTED, out->def_line);
	else if (!out->admitted)
		snprintf(out->desc + n, sizeof(out->desc) - n, "%s",
		    WHAT_NOT_ADMITTED);
	else
		snprintf(out->desc + n, sizeof(out->desc) - n,
		    "no {peer} entry matches; default %s (line %d)",
		    ds != NULL && ds->def_text != NULL ? ds->def_text :
		    def_name(out->def), out->def_line);
	n = (int)strlen(out->desc);
	if (out->audit && (size_t)n + 14 < sizeof(out->desc))
		snprintf(out->desc + n, sizeof(out->desc) - n, "; audit mode");
	/* Audit mode admits a peer the rules would refuse: its messages
	 * are would_deny ("not admitted"); the handshake's own checks
	 * (cookie, flags, names, budgets) are not the rules'. */
	return out->admitted || out->audit;
}
