/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api.h - the runtime API of the protected nodes (issue 21; the Erlang
 * module `distguard`, docs/FILTER.md 25): a node changes and reads its
 * own policy, the rules for what peers may do to it.
 *
 * Who asks is never what a request says: the EPMD service hands a request
 * over only from a mediated node's registration connection, with that
 * registration's alive name (epmd/epmd_srv.c, through the context's
 * api_request hook).  Changes are an overlay on
 * the file's policy, one {node} scope per node that made any, in front of
 * the file's scopes (conf_overlay_scopes); grants go in front of those
 * too.  They end with the node's registration, with a reload and with the
 * daemon.  Each change raises a policy.api alert and is counted.
 */
#ifndef DAEMON_API_H
#define DAEMON_API_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conf/conf.h"
#include "epmd/epmd_proto.h"

struct api;
struct dg_daemon;

#define API_MAX_ENTRIES	256		/* a node's filters, handlers, defaults */
#define API_MAX_NODES	256		/* nodes with entries (the registry's) */
#define API_REPLY_MAX	EPMD_API_REPLY_MAX	/* a reply, head included */

struct api	*api_new(struct dg_daemon *);
void		 api_free(struct api *);

/*
 * The context's hooks (core/context.h), set by the daemon.  api_request:
 * one request of the registered node `alive` (its registration connection
 * carried it; sa is that connection's peer, for alerts).  Writes the
 * whole reply (epmd_put_api_resp_head and its body) into
 * out[0..API_REPLY_MAX) and returns its length.  Never fails: a refusal
 * is a reply.  api_node_gone: the node's registration ended, its changes
 * end with it (d->api NULL: nothing to do).
 */
size_t	api_request(struct dg_daemon *, const char *alive,
	    const struct sockaddr *sa, const struct epmd_api *req, uint8_t *out);
void	api_node_gone(struct dg_daemon *, const char *alive);
/* A reload put the file's new policy in force: every change ends (call
 * before grants_reloaded, which rebuilds the overlays). */
void	api_reloaded(struct api *);

/*
 * The configuration in force: `base` (the file's) with the grants' overlays
 * `ov` and the API's node scopes.  Returns a new reference (base itself,
 * referenced, when there is nothing to lay over it), or NULL when memory
 * ran out or an overlay does not parse (errors through err).  Called by
 * daemon/grant.c for every rebuild, so that grants and the API compose.
 */
struct dg_conf	*api_overlay(struct api *, struct dg_conf *base,
		    const struct dg_overlay *ov, int n, conf_err_fn err,
		    void *arg);

/* Changes applied and requests refused since start, for metrics. */
unsigned long long	api_changes(const struct api *);
unsigned long long	api_refused(const struct api *);

#endif
