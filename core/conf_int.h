/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf_int.h - what the parts of the configuration loader share: the
 * loader's state, the value checks every entry uses (conf_value.c), the
 * option tables' machinery (conf_opts.c), the secrets (conf_secret.c), the
 * policy grammar (conf_policy.c) and the entries of the file (conf.c).
 * Private to core/conf*.c.
 */
#ifndef CONF_INT_H
#define CONF_INT_H

#include <stddef.h>
#include <stdint.h>

#include "dg_conf.h"
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

/* conf_value.c: the value checks; every error through lerr. */
void	lerr(struct loader *L, int line, const char *fmt, ...) DG_PRINTF(3, 4);
void	syntax_err(void *arg, int line, const char *msg);
void	*lcalloc(struct loader *L, size_t n, size_t size, int line);
char	*lstrdup(struct loader *L, const char *s, int line);
int	get_int(struct loader *L, const struct et_node *v, const char *what,
    int64_t min, int64_t max, const char *unit, int64_t *out);
int	get_bool(struct loader *L, const struct et_node *v, const char *what,
    int *out);
const char	*get_text(struct loader *L, const struct et_node *v,
    const char *what, size_t max);
const char	*get_pattern(struct loader *L, const struct et_node *v,
    const char *what);
int	get_sockaddr(struct loader *L, const struct et_node *v, const char *what,
    uint16_t port, struct dg_sockaddr *sa);
int	get_cidr(struct loader *L, const struct et_node *v, const char *what,
    struct dg_cidr *c);

/* conf_opts.c: the sections of options, each an entry of the file. */
int	get_atoms(struct loader *L, const struct et_node *v, const char *what,
    int64_t *out);
void	e_metrics(struct loader *L, const struct et_node *t,
    struct dg_scope *s);
void	e_grants(struct loader *L, const struct et_node *t, struct dg_scope *s);
void	e_epmd(struct loader *L, const struct et_node *t, struct dg_scope *s);
void	e_listen(struct loader *L, const struct et_node *t, struct dg_scope *s);
void	e_handshake(struct loader *L, const struct et_node *t,
    struct dg_scope *s);
void	e_bans(struct loader *L, const struct et_node *t, struct dg_scope *s);
void	e_limits(struct loader *L, const struct et_node *t, struct dg_scope *s);
void	e_alerts(struct loader *L, const struct et_node *t, struct dg_scope *s);
void	e_control(struct loader *L, const struct et_node *t,
    struct dg_scope *s);
void	e_control_users(struct loader *L, const struct et_node *t,
	    struct dg_scope *s);
void	e_control_group(struct loader *L, const struct et_node *t,
	    struct dg_scope *s);
void	e_control_read_group(struct loader *L, const struct et_node *t,
	    struct dg_scope *s);
void	e_user(struct loader *L, const struct et_node *t, struct dg_scope *s);
void	e_group(struct loader *L, const struct et_node *t, struct dg_scope *s);
void	e_egress(struct loader *L, const struct et_node *t, struct dg_scope *s);
void	e_exposed(struct loader *L, const struct et_node *t, struct dg_scope *s);
void	e_api(struct loader *L, const struct et_node *t, struct dg_scope *s);
void	e_local_guard(struct loader *L, const struct et_node *t,
	    struct dg_scope *s);
void	e_local_users(struct loader *L, const struct et_node *t,
	    struct dg_scope *s);
void	e_uid(struct loader *L, const struct et_node *t, struct dg_scope *s);
void	e_reg_from(struct loader *L, const struct et_node *t,
    struct dg_scope *s);

/* conf_secret.c: cookies. */
void	access_hint(int err, char *buf, size_t len);
void	e_cookie(struct loader *L, const struct et_node *t, struct dg_scope *s);
void	e_node_cookie(struct loader *L, const struct et_node *t,
    struct dg_scope *s);
void	default_cookie(struct loader *L);
void	free_cookies(struct dg_cookie *ck, int n);

/* conf_link.c: the entries of links between distguard hosts. */
void	e_host_key(struct loader *L, const struct et_node *t,
    struct dg_scope *s);
void	e_link(struct loader *L, const struct et_node *t, struct dg_scope *s);
void	e_trust(struct loader *L, const struct et_node *t, struct dg_scope *s);
void	e_revoked(struct loader *L, const struct et_node *t,
    struct dg_scope *s);
void	e_plaintext(struct loader *L, const struct et_node *t,
    struct dg_scope *s);
void	link_conf_finish(struct loader *L);
void	link_conf_free(struct lk_conf *);

/* conf_policy.c: the policy entries and what frees them. */
void	e_default(struct loader *L, const struct et_node *t,
    struct dg_scope *s);
void	e_handler(struct loader *L, const struct et_node *t,
    struct dg_scope *s);
void	e_mode(struct loader *L, const struct et_node *t,
	    struct dg_scope *s);
void	e_peer(struct loader *L, const struct et_node *t, struct dg_scope *s);
void	free_scope(struct dg_scope *s);
void	overlay_free(struct dg_conf *c);

#endif
