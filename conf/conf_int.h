/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf_int.h - what the parts of the configuration loader share: the
 * loader's state, the value checks every entry uses (conf_value.c), the
 * option tables' machinery (conf_opts.c), the secrets (conf_secret.c), the
 * policy grammar (conf_policy.c) and the entries of the file (conf.c).
 * Private to conf/conf*.c.
 */
#ifndef CONF_INT_H
#define CONF_INT_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "eterm.h"

#define CONF_MAX_PATH		4095	/* PATH_MAX less the NUL */
#define CONF_MAX_CIDRS		256	/* registration_from entries */
#define CONF_EMBEDDED		"<embedded>"

struct loader {
	const char	*file;
	conf_err_fn	 err;
	void		*arg;
	int		 nerr;
	int		 lines;		/* of the file: where "missing" errors go */
	int		 mode;		/* of the file, -1 when not a file */
	struct dg_conf	*c;
	int		 seen[40];	/* line of each singleton entry */
	int		 hs_line;	/* {handshake, ...}, for flag checks */
	int		 egress_ports_line;	/* {listen, [{egress_ports, ..}]} */
	int		 withhold_set;	/* withhold_flags was given */
	int		 require_set;
	int		 ncookie_cap;
	int		 nnode_cookie_cap;
	int		 nnodes_cap;
};

/* conf_value.c: the value checks; every error through conf_err. */
void	conf_err(struct loader *L, int line, const char *fmt, ...) DG_PRINTF(3, 4);
void	conf_syntax_err(void *arg, int line, const char *msg);
void	*conf_calloc(struct loader *L, size_t n, size_t size, int line);
char	*conf_strdup(struct loader *L, const char *s, int line);
int	conf_get_int(struct loader *L, const struct et_node *v, const char *what,
    int64_t min, int64_t max, const char *unit, int64_t *out);
int	conf_get_bool(struct loader *L, const struct et_node *v, const char *what,
    int *out);
const char	*conf_get_text(struct loader *L, const struct et_node *v,
    const char *what, size_t max);
const char	*conf_get_pattern(struct loader *L, const struct et_node *v,
    const char *what);
int	conf_get_sockaddr(struct loader *L, const struct et_node *v, const char *what,
    uint16_t port, struct dg_sockaddr *sa);
int	conf_get_cidr(struct loader *L, const struct et_node *v, const char *what,
    struct dg_cidr *c);

/* conf_opts.c: the sections of options, each an entry of the file. */
int	conf_get_atoms(struct loader *L, const struct et_node *v, const char *what,
    int64_t *out);
void	conf_entry_metrics(struct loader *L, const struct et_node *t,
    struct dg_scope *s);
void	conf_entry_grants(struct loader *L, const struct et_node *t, struct dg_scope *s);
void	conf_entry_epmd(struct loader *L, const struct et_node *t, struct dg_scope *s);
void	conf_entry_listen(struct loader *L, const struct et_node *t, struct dg_scope *s);
void	conf_entry_handshake(struct loader *L, const struct et_node *t,
    struct dg_scope *s);
void	conf_entry_bans(struct loader *L, const struct et_node *t, struct dg_scope *s);
void	conf_entry_limits(struct loader *L, const struct et_node *t, struct dg_scope *s);
void	conf_entry_alerts(struct loader *L, const struct et_node *t, struct dg_scope *s);
void	conf_entry_control(struct loader *L, const struct et_node *t,
    struct dg_scope *s);
void	conf_entry_control_users(struct loader *L, const struct et_node *t,
	    struct dg_scope *s);
void	conf_entry_control_group(struct loader *L, const struct et_node *t,
	    struct dg_scope *s);
void	conf_entry_control_read_group(struct loader *L, const struct et_node *t,
	    struct dg_scope *s);
void	conf_entry_user(struct loader *L, const struct et_node *t, struct dg_scope *s);
void	conf_entry_group(struct loader *L, const struct et_node *t, struct dg_scope *s);
void	conf_entry_egress(struct loader *L, const struct et_node *t, struct dg_scope *s);
void	conf_entry_exposed(struct loader *L, const struct et_node *t, struct dg_scope *s);
void	conf_entry_api(struct loader *L, const struct et_node *t, struct dg_scope *s);
void	conf_entry_local_guard(struct loader *L, const struct et_node *t,
	    struct dg_scope *s);
void	conf_entry_local_users(struct loader *L, const struct et_node *t,
	    struct dg_scope *s);
void	conf_entry_uid(struct loader *L, const struct et_node *t, struct dg_scope *s);
void	conf_entry_reg_from(struct loader *L, const struct et_node *t,
    struct dg_scope *s);

/* conf_secret.c: cookies. */
void	conf_access_hint(int err, char *buf, size_t len);
void	conf_entry_cookie(struct loader *L, const struct et_node *t, struct dg_scope *s);
void	conf_entry_node_cookie(struct loader *L, const struct et_node *t,
    struct dg_scope *s);
void	conf_default_cookie(struct loader *L);
void	conf_free_cookies(struct dg_cookie *ck, int n);

/* conf_link.c: the entries of links between distguard hosts. */
void	conf_entry_host_key(struct loader *L, const struct et_node *t,
    struct dg_scope *s);
void	conf_entry_link(struct loader *L, const struct et_node *t, struct dg_scope *s);
void	conf_entry_trust(struct loader *L, const struct et_node *t, struct dg_scope *s);
void	conf_entry_revoked(struct loader *L, const struct et_node *t,
    struct dg_scope *s);
void	conf_entry_plaintext(struct loader *L, const struct et_node *t,
    struct dg_scope *s);
void	conf_link_finish(struct loader *L);
void	conf_link_free(struct lk_conf *);

/* conf_policy.c: the policy entries and what frees them. */
void	conf_entry_default(struct loader *L, const struct et_node *t,
    struct dg_scope *s);
void	conf_entry_handler(struct loader *L, const struct et_node *t,
    struct dg_scope *s);
void	conf_entry_mode(struct loader *L, const struct et_node *t,
	    struct dg_scope *s);
void	conf_entry_peer(struct loader *L, const struct et_node *t, struct dg_scope *s);
void	conf_free_scope(struct dg_scope *s);
void	conf_overlay_free(struct dg_conf *c);

#endif
