/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics.c - the Prometheus endpoint: the text exposition of the
 * daemon's counters, and a small HTTP/1.x server for it on the daemon's
 * loop.
 *
 * The server is deliberately narrow: one request per connection, a head
 * of at most HTTP_MAX_HEAD bytes read within {metrics, [{timeout, T}]}
 * seconds (the answer must be written within the same deadline), at most
 * metrics_max_conns connections at once and metrics_max_per_source from
 * one source (more are closed on accept, through the shared gate,
 * net_admit: one slow client cannot take every slot), GET
 * /metrics answered, everything else 400/404/405 and closed.  It never
 * blocks the loop: reads and writes are non-blocking and the answer is
 * rendered once into memory.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/addr.h"
#include "conf/conf.h"
#include "core/net.h"
#include "core/alert.h"
#include "core/ban.h"
#include "daemon/grant.h"
#include "dg_log.h"
#include "core/outq.h"
#include "daemon/metrics.h"
#include "core/stats.h"
#include "http.h"

#define METRICS_LINGER		1.0	/* s to drain a client after the answer */
#define METRICS_LINGER_BYTES	65536	/* bytes drained at most */
#define METRICS_OTHER		"other"

/* ---- the exposition --------------------------------------------------- */

char *
metrics_label_escape(char *out, size_t outlen, const char *s)
{
	size_t o = 0;

	for (; *s != '\0'; s++) {
		const char *rep = NULL;
		char one[2] = { *s, '\0' };
		size_t k;

		if (*s == '\\')
			rep = "\\\\";
		else if (*s == '"')
			rep = "\\\"";
		else if (*s == '\n')
			rep = "\\n";
		else
			rep = one;
		k = strlen(rep);
		if (o + k >= outlen)
			break;
		memcpy(out + o, rep, k);
		o += k;
	}
	if (outlen > 0)
		out[o] = '\0';
	return out;
}

/* One (node, peer label) pair: a stats row, or the sum of the rows of a
 * node whose peers were folded into "other". */
struct pair {
	const char	*node;		/* the protected local node */
	const char	*peer;		/* the remote */
	int		 egress;	/* direction: the node dialled */
	uint64_t	 verdict[DG_T_COUNT][3];
	uint64_t	 would_deny[DG_T_COUNT];	/* audit mode */
	uint64_t	 invalid, replies;
	uint64_t	 frames_in, bytes_in, frames_out, bytes_out;
};

static void
pair_add(struct pair *p, const struct stats_row *r)
{
	int t, a;

	for (t = 0; t < DG_T_COUNT; t++) {
		for (a = 0; a < 3; a++)
			p->verdict[t][a] += r->verdict[t][a];
		p->would_deny[t] += r->would_deny[t];
	}
	p->invalid += r->invalid;
	p->replies += r->replies;
	p->frames_in += r->frames_in;
	p->bytes_in += r->bytes_in;
	p->frames_out += r->frames_out;
	p->bytes_out += r->bytes_out;
}

/*
 * Rows are kept in first-seen order and never removed, so "the first
 * max_peers distinct peers keep their name" gives every scrape the same
 * labels.  Returns the pairs to print and their number.
 */
static struct pair *
fold_rows(const struct stats_view *v, int max_peers, int *npairs)
{
	struct pair *pairs;
	const char **named;
	int i, j, n = 0, nnamed = 0;

	pairs = calloc((size_t)v->nrows + 2, sizeof(*pairs));
	named = calloc((size_t)max_peers + 1, sizeof(*named));
	if (pairs == NULL || named == NULL) {
		free(pairs);
		free(named);
		*npairs = 0;
		return NULL;
	}
	for (i = 0; i < v->nrows + 2; i++) {
		const struct stats_row *r = i < v->nrows ? v->rows[i] :
		    &v->other[i - v->nrows];
		const char *node = i < v->nrows ? r->local : "(other)";
		const char *peer = NULL;
		int egress = r->egress;

		if (i >= v->nrows && r->connections == 0)
			continue;
		if (i < v->nrows && strcmp(r->peer, METRICS_OTHER) != 0) {
			for (j = 0; j < nnamed; j++)
				if (strcmp(named[j], r->peer) == 0)
					break;
			if (j < nnamed)
				peer = named[j];
			else if (nnamed < max_peers)
				peer = named[nnamed++] = r->peer;
		}
		if (peer == NULL) {
			peer = METRICS_OTHER;
			for (j = 0; j < n; j++)
				if (pairs[j].peer == peer &&
				    pairs[j].egress == egress &&
				    strcmp(pairs[j].node, node) == 0)
					break;
		} else {
			j = n;	/* a named pair is one row */
		}
		if (j == n) {
			pairs[n].node = node;
			pairs[n].peer = peer;
			pairs[n].egress = egress;
			n++;
		}
		pair_add(&pairs[j], r);
	}
	free(named);
	*npairs = n;
	return pairs;
}

static void
family(struct dg_text *b, const char *name, const char *type, const char *help)
{
	dg_text_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{node="..",peer="..",direction=".."[,extra]} value: node is always
 * the protected local node, peer the remote, direction who dialled. */
static void
pair_sample(struct dg_text *b, const char *name, const struct pair *p,
    const char *extra, uint64_t value)
{
	char node[DG_MAX_NODE_BYTES * 2 + 1], peer[DG_MAX_NODE_BYTES * 2 + 1];

	dg_text_printf(b, "%s{node=\"%s\",peer=\"%s\",direction=\"%s\"%s%s} "
	    "%llu\n", name,
	    metrics_label_escape(node, sizeof(node), p->node),
	    metrics_label_escape(peer, sizeof(peer), p->peer),
	    p->egress ? "egress" : "inbound",
	    extra[0] ? "," : "", extra, (unsigned long long)value);
}

static void
render_messages(struct dg_text *b, const struct pair *pairs, int n)
{
	char extra[64];
	int i, t, a;

	family(b, "distguard_messages_total", "counter",
	    "Messages from peers judged by the rules, by protected node, "
	    "peer, direction, type and verdict.");
	for (i = 0; i < n; i++)
		for (t = 0; t < DG_T_COUNT; t++)
			for (a = 0; a < 3; a++) {
				if (pairs[i].verdict[t][a] == 0)
					continue;
				snprintf(extra, sizeof(extra),
				    "type=\"%s\",verdict=\"%s\"",
				    dg_type_name((enum dg_type)t),
				    dg_action_name((enum dg_action)a));
				pair_sample(b, "distguard_messages_total",
				    &pairs[i], extra, pairs[i].verdict[t][a]);
			}
	/* Audit mode's forwarded refusals, in the same family. */
	for (i = 0; i < n; i++)
		for (t = 0; t < DG_T_COUNT; t++) {
			if (pairs[i].would_deny[t] == 0)
				continue;
			snprintf(extra, sizeof(extra),
			    "type=\"%s\",verdict=\"would_deny\"",
			    dg_type_name((enum dg_type)t));
			pair_sample(b, "distguard_messages_total", &pairs[i],
			    extra, pairs[i].would_deny[t]);
		}
	family(b, "distguard_invalid_messages_total", "counter",
	    "Messages dropped as undecodable, undecidable or with a spoofed "
	    "sender.");
	for (i = 0; i < n; i++)
		pair_sample(b, "distguard_invalid_messages_total", &pairs[i], "",
		    pairs[i].invalid);
	family(b, "distguard_replies_total", "counter",
	    "Replies the peer owed (to calls the node made) let through "
	    "without a rule.");
	for (i = 0; i < n; i++)
		pair_sample(b, "distguard_replies_total", &pairs[i], "",
		    pairs[i].replies);
}

static void
render_traffic(struct dg_text *b, const struct pair *pairs, int n)
{
	int i;

	family(b, "distguard_frames_total", "counter",
	    "Distribution frames relayed; flow in is from the peer to the "
	    "node, out from the node to the peer.");
	for (i = 0; i < n; i++) {
		pair_sample(b, "distguard_frames_total", &pairs[i],
		    "flow=\"in\"", pairs[i].frames_in);
		pair_sample(b, "distguard_frames_total", &pairs[i],
		    "flow=\"out\"", pairs[i].frames_out);
	}
	family(b, "distguard_relayed_bytes_total", "counter",
	    "Bytes of distribution traffic relayed; flow in is from the peer "
	    "to the node, out from the node to the peer.");
	for (i = 0; i < n; i++) {
		pair_sample(b, "distguard_relayed_bytes_total", &pairs[i],
		    "flow=\"in\"", pairs[i].bytes_in);
		pair_sample(b, "distguard_relayed_bytes_total", &pairs[i],
		    "flow=\"out\"", pairs[i].bytes_out);
	}
}

static void
render_names(struct dg_text *b, const char *name, const char *label,
    const struct stats_names *t)
{
	char v[STATS_NAME_MAX * 2];
	int i;

	for (i = 0; i < t->n; i++)
		dg_text_printf(b, "%s{%s=\"%s\"} %llu\n", name, label,
		    metrics_label_escape(v, sizeof(v), t->e[i].name),
		    (unsigned long long)t->e[i].n);
	if (t->other)
		dg_text_printf(b, "%s{%s=\"other\"} %llu\n", name, label,
		    (unsigned long long)t->other);
}

static void
render_daemon(struct dg_text *b, struct dg_daemon *d, const struct stats_view *v)
{
	unsigned long long written, suppressed, sessions[2] = { 0, 0 };
	long live[2] = { 0, 0 };
	int i;

	/* By the rows, which know their direction: a session between two
	 * nodes of this host is one row of each (docs/METRICS.md). */
	for (i = 0; i < v->nrows; i++) {
		sessions[v->rows[i]->egress != 0] += v->rows[i]->connections;
		live[v->rows[i]->egress != 0] += v->rows[i]->live;
	}
	for (i = 0; i < 2; i++) {
		sessions[i] += v->other[i].connections;
		live[i] += v->other[i].live;
	}
	family(b, "distguard_sessions_total", "counter",
	    "Proxied connections established (handshake completed), by "
	    "direction: inbound (a peer dialled a protected node), egress (a "
	    "protected node dialled out).");
	for (i = 0; i < 2; i++)
		dg_text_printf(b, "distguard_sessions_total{direction=\"%s\"} "
		    "%llu\n", i ? "egress" : "inbound", sessions[i]);
	family(b, "distguard_sessions", "gauge",
	    "Proxied connections open now, by direction.");
	for (i = 0; i < 2; i++)
		dg_text_printf(b, "distguard_sessions{direction=\"%s\"} %ld\n",
		    i ? "egress" : "inbound", live[i]);
	family(b, "distguard_handshakes_pending", "gauge",
	    "Handshakes in progress.");
	dg_text_printf(b, "distguard_handshakes_pending %d\n", d->hs_pending);
	family(b, "distguard_links_pending", "gauge",
	    "Links accepted whose key exchange and hello are in progress.");
	dg_text_printf(b, "distguard_links_pending %d\n", d->link_pending);
	family(b, "distguard_links_admitted_total", "counter",
	    "Links let in by the link listener's gate; each costs at most "
	    "one set of public-key operations.");
	dg_text_printf(b, "distguard_links_admitted_total %llu\n",
	    d->link_admitted);
	family(b, "distguard_handshakes_total", "counter",
	    "Handshakes ended, by outcome: ok, or why they failed.");
	render_names(b, "distguard_handshakes_total", "outcome", v->handshakes);
	family(b, "distguard_registrations_total", "counter",
	    "EPMD registrations decided, by outcome: mediated, unmediated, "
	    "refused_unmediated, refused_exposed.");
	render_names(b, "distguard_registrations_total", "outcome",
	    v->registrations);
	family(b, "distguard_alerts_total", "counter",
	    "Alerts raised, by event, including those the rate limit kept "
	    "out of the alert file.");
	render_names(b, "distguard_alerts_total", "event",
	    alerts_events(d->alerts));
	alerts_counts(d->alerts, &written, &suppressed);
	family(b, "distguard_alerts_suppressed_total", "counter",
	    "Alerts not written because of the per-source rate limit.");
	dg_text_printf(b, "distguard_alerts_suppressed_total %llu\n", suppressed);
	family(b, "distguard_alerts_failed_total", "counter",
	    "Alert lines the alerts file did not take (a full disk...): "
	    "each is written whole or not at all.");
	dg_text_printf(b, "distguard_alerts_failed_total %llu\n",
	    alerts_failed(d->alerts));
	family(b, "distguard_bans_total", "counter",
	    "Bans started on source addresses.");
	dg_text_printf(b, "distguard_bans_total %llu\n", bans_started(d->bans));
	family(b, "distguard_banned_sources", "gauge",
	    "Source addresses banned now.");
	dg_text_printf(b, "distguard_banned_sources %d\n",
	    bans_active(d->bans, dg_now()));
	family(b, "distguard_grants", "gauge",
	    "Break-glass grants in force.");
	dg_text_printf(b, "distguard_grants %d\n", grants_count(d->grants));
}

char *
metrics_render(struct dg_daemon *d, int max_peers, size_t *len)
{
	struct dg_text b = { NULL, 0, 8192 };
	struct stats_view v;
	struct pair *pairs;
	int n;

	dg_text_init(&b, 8192);
	stats_view(d->stats, &v);
	if ((pairs = fold_rows(&v, max_peers > 0 ? max_peers : 1, &n)) ==
	    NULL) {
		free(b.p);
		return NULL;
	}
	render_messages(&b, pairs, n);
	render_traffic(&b, pairs, n);
	render_daemon(&b, d, &v);
	free(pairs);
	*len = b.len;
	return b.p;
}

/* ---- the server ------------------------------------------------------- */

struct metrics {
	ev_io			 io;
	struct dg_daemon	*d;
	int			 nconns;
	struct srccount		*sources;	/* open connections per source */
	char			 addr[80];
};

struct mconn {
	ev_io			 rd, wr;
	ev_timer		 timer;
	struct metrics		*m;
	struct sockaddr_storage	 ss;
	char			 peer[80];
	char			 head[HTTP_MAX_HEAD];
	size_t			 len;
	struct outq		 out;
	int			 answered;	/* all of the answer written */
	size_t			 drained;	/* after the answer */
};

static void
mc_free(struct mconn *c)
{
	struct ev_loop *loop = c->m->d->loop;

	ev_io_stop(loop, &c->rd);
	ev_io_stop(loop, &c->wr);
	ev_timer_stop(loop, &c->timer);
	close(c->rd.fd);
	c->m->nconns--;
	srccount_add(c->m->sources, (struct sockaddr *)&c->ss, -1);
	outq_free(&c->out);
	free(c);
}

/* Queues the whole answer: status line, headers, body (may be NULL). */
static void
mc_answer(struct mconn *c, int status, const char *reason,
    const char *extra_headers, char *body, size_t bodylen, int send_body)
{
	char head[256], *out;
	int n;

	n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n"
	    "Content-Type: %s\r\nContent-Length: %zu\r\n%s"
	    "Connection: close\r\n\r\n", status, reason,
	    status == 200 ? "text/plain; version=0.0.4; charset=utf-8" :
	    "text/plain; charset=utf-8", bodylen, extra_headers);
	if (n < 0 || (size_t)n >= sizeof(head) ||
	    (out = malloc((size_t)n + bodylen)) == NULL) {
		free(body);
		mc_free(c);
		return;
	}
	memcpy(out, head, (size_t)n);
	if (send_body && bodylen)
		memcpy(out + n, body, bodylen);
	outq_adopt(&c->out, out, (size_t)n + (send_body ? bodylen : 0));
	free(body);
	ev_io_stop(c->m->d->loop, &c->rd);
	ev_io_start(c->m->d->loop, &c->wr);
}

static void
mc_error(struct mconn *c, int status, const char *reason, const char *why,
    const char *extra_headers)
{
	char *body;

	log_info("metrics %s: %d %s: %s", c->peer, status, reason, why);
	if ((body = malloc(strlen(reason) + 2)) == NULL) {
		mc_free(c);
		return;
	}
	snprintf(body, strlen(reason) + 2, "%s\n", reason);
	mc_answer(c, status, reason, extra_headers, body, strlen(body), 1);
}

static void
mc_request(struct mconn *c, const struct http_req *r)
{
	struct dg_daemon *d = c->m->d;
	char *body;
	size_t len;

	if (r->pathlen != 8 || memcmp(r->path, "/metrics", 8) != 0) {
		mc_error(c, 404, "Not Found", "not /metrics", "");
		return;
	}
	if (r->method != HTTP_GET && r->method != HTTP_HEAD) {
		mc_error(c, 405, "Method Not Allowed", "not GET",
		    "Allow: GET, HEAD\r\n");
		return;
	}
	if ((body = metrics_render(d, d->conf->metrics_max_peers, &len)) ==
	    NULL) {
		log_warnx("metrics %s: out of memory: connection closed",
		    c->peer);
		mc_free(c);
		return;
	}
	log_debug("metrics %s: 200, %zu bytes", c->peer, len);
	mc_answer(c, 200, "OK", "", body, len, r->method == HTTP_GET);
}

static void
mc_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mconn *c = (struct mconn *)w;
	struct http_req req;
	const char *why = NULL;
	ssize_t n;
	int rc;

	n = read(w->fd, c->head + c->len, sizeof(c->head) - c->len);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		mc_free(c);	/* gone before asking */
		return;
	}
	c->len += (size_t)n;
	rc = http_parse_request(c->head, c->len, &req, &why);
	if (rc == DG_AGAIN)
		return;
	if (rc == DG_EINVAL) {
		if (c->len == sizeof(c->head))
			mc_error(c, 431, "Request Header Fields Too Large", why,
			    "");
		else
			mc_error(c, 400, "Bad Request", why, "");
		return;
	}
	mc_request(c, &req);
}

static void
mc_drain(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mconn *c = (struct mconn *)w;
	ssize_t n = read(w->fd, c->head, sizeof(c->head));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0 || (c->drained += (size_t)n) >= METRICS_LINGER_BYTES)
		mc_free(c);
}

static void
mc_write(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mconn *c = (struct mconn *)((char *)w -
	    offsetof(struct mconn, wr));
	int rc;

	if ((rc = outq_flush(&c->out, w->fd)) == 0)
		return;
	if (rc == -1) {
		mc_free(c);
		return;
	}
	c->answered = 1;
	/* One request per connection: say so, then read what the client
	 * still sends for a moment before closing, since closing with
	 * unread bytes resets the connection and can destroy the answer
	 * before the client has read it. */
	shutdown(w->fd, SHUT_WR);
	ev_io_stop(loop, &c->wr);
	ev_set_cb(&c->rd, mc_drain);
	ev_io_start(loop, &c->rd);
	ev_timer_stop(loop, &c->timer);
	ev_timer_set(&c->timer, METRICS_LINGER, 0.0);
	ev_timer_start(loop, &c->timer);
}

static void
mc_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mconn *c = (struct mconn *)((char *)w -
	    offsetof(struct mconn, timer));

	if (!c->answered)
		log_info("metrics %s: no complete exchange within %gs: closed",
		    c->peer, c->m->d->conf->metrics_timeout);
	mc_free(c);
}

static void
metrics_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct metrics *m = (struct metrics *)w;
	struct sockaddr_storage ss;
	socklen_t slen;
	struct mconn *c;
	struct net_gate g;
	const char *why, *event;
	char text[80];
	int fd;

	for (;;) {
		slen = sizeof(ss);
		fd = net_accept(m->d, w->fd, &ss, &slen);
		if (fd == -1)
			return;
		memset(&g, 0, sizeof(g));
		g.what = "metrics connections";
		g.by_source = m->sources;
		g.count = &m->nconns;
		g.max = m->d->conf->metrics_max_conns;
		g.max_per_source = m->d->conf->metrics_max_per_source;
		if ((why = net_admit(m->d, &g, (struct sockaddr *)&ss, 0,
		    &event)) != NULL) {
			log_info("metrics %s: %s: closed", dg_addr_text(
			    (struct sockaddr *)&ss, text, sizeof(text)), why);
			close(fd);
			continue;
		}
		if ((c = calloc(1, sizeof(*c))) == NULL ||
		    srccount_add(m->sources, (struct sockaddr *)&ss, 1) == -1) {
			free(c);
			close(fd);
			continue;
		}
		c->m = m;
		c->ss = ss;
		m->nconns++;
		dg_addr_text((struct sockaddr *)&ss, c->peer, sizeof(c->peer));
		ev_io_init(&c->rd, mc_read, fd, EV_READ);
		ev_io_init(&c->wr, mc_write, fd, EV_WRITE);
		ev_timer_init(&c->timer, mc_timeout,
		    m->d->conf->metrics_timeout, 0.0);
		ev_io_start(loop, &c->rd);
		ev_timer_start(loop, &c->timer);
	}
}

struct metrics *
metrics_start(struct dg_daemon *d)
{
	const struct dg_conf *conf = d->conf;
	struct metrics *m;
	int fd;

	if (!conf->metrics_on)
		return NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		log_fatalx("out of memory");
	m->d = d;
	m->sources = srccount_new();
	dg_addr_text((const struct sockaddr *)&conf->metrics_addr.ss, m->addr,
	    sizeof(m->addr));
	fd = net_listen((const struct sockaddr *)&conf->metrics_addr.ss,
	    conf->metrics_addr.len, 64, 1);
	if (fd == -1) {
		log_warn("metrics: cannot listen on %s", m->addr);
		srccount_free(m->sources);
		free(m);
		return NULL;
	}
	ev_io_init(&m->io, metrics_accept, fd, EV_READ);
	ev_io_start(d->loop, &m->io);
	log_info("metrics on http://%s/metrics", m->addr);
	return m;
}

void
metrics_stop(struct metrics *m)
{
	if (m == NULL)
		return;
	ev_io_stop(m->d->loop, &m->io);
	close(m->io.fd);
	srccount_free(m->sources);
	free(m);
}
