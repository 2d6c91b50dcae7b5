/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stats.c - the counters behind `distguard stats`.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "dg_log.h"
#include "core/stats.h"

struct stats {
	struct stats_row	*rows[STATS_MAX_ROWS];
	int			 nrows;
	struct stats_row	 other[2];	/* past STATS_MAX_ROWS, by
						 * direction: inbound, egress */
	struct stats_names	 handshakes;
	struct stats_names	 registrations;
};

void
stats_names_add(struct stats_names *t, const char *name)
{
	int i;

	for (i = 0; i < t->n; i++) {
		if (strcmp(t->e[i].name, name) == 0) {
			t->e[i].n++;
			return;
		}
	}
	if (t->n == STATS_MAX_NAMES || strlen(name) >= STATS_NAME_MAX) {
		t->other++;
		return;
	}
	snprintf(t->e[t->n].name, STATS_NAME_MAX, "%s", name);
	t->e[t->n++].n = 1;
}

void
stats_handshake(struct stats *s, const char *outcome)
{
	stats_names_add(&s->handshakes, outcome);
}

void
stats_registration(struct stats *s, const char *outcome)
{
	stats_names_add(&s->registrations, outcome);
}

void
stats_view(const struct stats *s, struct stats_view *v)
{
	v->rows = s->rows;
	v->nrows = s->nrows;
	v->other = s->other;
	v->handshakes = &s->handshakes;
	v->registrations = &s->registrations;
}

struct stats *
stats_new(void)
{
	struct stats *s = calloc(1, sizeof(*s));

	if (s == NULL)
		log_fatalx("out of memory");
	for (int i = 0; i < 2; i++) {
		s->other[i].local = "(other)";
		s->other[i].peer = "(other)";
		s->other[i].egress = i;
	}
	return s;
}

void
stats_free(struct stats *s)
{
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nrows; i++)
		free(s->rows[i]);
	free(s);
}

struct stats_row *
stats_row(struct stats *s, const char *local, const char *peer, int egress)
{
	struct stats_row *r;
	size_t llen = strlen(local), plen = strlen(peer);
	char *names;
	int i;

	/* Linear: rows are few and this runs once per connection. */
	for (i = 0; i < s->nrows; i++) {
		r = s->rows[i];
		if (strcmp(r->peer, peer) == 0 && strcmp(r->local, local) == 0 &&
		    r->egress == egress)
			return r;
	}
	if (s->nrows == STATS_MAX_ROWS ||
	    (r = calloc(1, sizeof(*r) + llen + 1 + plen + 1)) == NULL)
		return &s->other[egress != 0];
	names = (char *)(r + 1);
	memcpy(names, local, llen + 1);
	memcpy(names + llen + 1, peer, plen + 1);
	r->local = names;
	r->peer = names + llen + 1;
	r->egress = egress;
	s->rows[s->nrows++] = r;
	return r;
}

static void
render_row_text(struct dg_text *b, const struct stats_row *r)
{
	int t, a;

	dg_text_printf(b, "%s %s %s%s: connections %llu (live %d), frames in %llu "
	    "(%llu bytes), out %llu (%llu bytes), replies %llu, invalid %llu\n",
	    r->local, r->egress ? "->" : "<-", r->peer,
	    r->egress ? " (egress)" : "", (unsigned long long)r->connections, r->live,
	    (unsigned long long)r->frames_in, (unsigned long long)r->bytes_in,
	    (unsigned long long)r->frames_out, (unsigned long long)r->bytes_out,
	    (unsigned long long)r->replies, (unsigned long long)r->invalid);
	for (t = 0; t < DG_T_COUNT; t++) {
		uint64_t sum = 0;

		for (a = 0; a < 3; a++)
			sum += r->verdict[t][a];
		if (sum == 0 && r->would_deny[t] == 0)
			continue;
		dg_text_printf(b, "  %-14s allow %-10llu deny %-10llu drop %llu",
		    dg_type_name((enum dg_type)t),
		    (unsigned long long)r->verdict[t][DG_ALLOW],
		    (unsigned long long)r->verdict[t][DG_DENY],
		    (unsigned long long)r->verdict[t][DG_DROP]);
		if (r->would_deny[t] != 0)
			dg_text_printf(b, " would_deny %llu",
			    (unsigned long long)r->would_deny[t]);
		dg_text_printf(b, "\n");
	}
}

static void
json_str(struct dg_text *b, const char *s)
{
	char esc[DG_MAX_NODE_BYTES * 6 + 1];

	json_escape(esc, sizeof(esc), s, strlen(s), NULL);
	dg_text_printf(b, "\"%s\"", esc);
}

static void
render_row_json(struct dg_text *b, const struct stats_row *r)
{
	int t;

	/* node: the protected local node (its alive name); peer: the remote;
	 * direction: who dialled (docs/METRICS.md). */
	dg_text_printf(b, "{\"node\":");
	json_str(b, r->local);
	dg_text_printf(b, ",\"peer\":");
	json_str(b, r->peer);
	dg_text_printf(b, ",\"direction\":\"%s\"", r->egress ? "egress" : "inbound");
	dg_text_printf(b, ",\"connections\":%llu,\"live\":%d,\"frames_in\":%llu,"
	    "\"bytes_in\":%llu,\"frames_out\":%llu,\"bytes_out\":%llu,"
	    "\"replies\":%llu,\"invalid\":%llu,\"types\":{",
	    (unsigned long long)r->connections, r->live,
	    (unsigned long long)r->frames_in, (unsigned long long)r->bytes_in,
	    (unsigned long long)r->frames_out, (unsigned long long)r->bytes_out,
	    (unsigned long long)r->replies, (unsigned long long)r->invalid);
	for (t = 0; t < DG_T_COUNT; t++)
		dg_text_printf(b, "%s\"%s\":{\"allow\":%llu,\"deny\":%llu,\"drop\":%llu,"
		    "\"would_deny\":%llu}",
		    t ? "," : "", dg_type_name((enum dg_type)t),
		    (unsigned long long)r->verdict[t][DG_ALLOW],
		    (unsigned long long)r->verdict[t][DG_DENY],
		    (unsigned long long)r->verdict[t][DG_DROP],
		    (unsigned long long)r->would_deny[t]);
	dg_text_printf(b, "}}");
}

/* Registrations by outcome (mediated, unmediated, refused_unmediated,
 * refused_exposed): a JSON object's members, or one line of text. */
static void
render_registrations(struct dg_text *b, const struct stats_names *t, int json)
{
	int i;

	if (!json && t->n == 0)
		return;
	if (!json)
		dg_text_printf(b, "registrations:");
	for (i = 0; i < t->n; i++) {
		if (json)
			dg_text_printf(b, "%s\"%s\":%llu", i ? "," : "",
			    t->e[i].name, (unsigned long long)t->e[i].n);
		else
			dg_text_printf(b, "%s %s %llu", i ? "," : "",
			    t->e[i].name, (unsigned long long)t->e[i].n);
	}
	if (!json)
		dg_text_printf(b, "\n");
}

char *
stats_render(struct stats *s, int json, size_t *len)
{
	struct dg_text b = { NULL, 0, 1024 };
	int i, first = 1;

	dg_text_init(&b, 1024);
	if (json)
		dg_text_printf(&b, "{\"peers\":[");
	for (i = 0; i < s->nrows + 2; i++) {
		const struct stats_row *r = i < s->nrows ? s->rows[i] :
		    &s->other[i - s->nrows];

		if (i >= s->nrows && r->connections == 0)
			continue;
		if (json) {
			if (!first)
				dg_text_printf(&b, ",");
			render_row_json(&b, r);
		} else {
			render_row_text(&b, r);
		}
		first = 0;
	}
	if (json) {
		dg_text_printf(&b, "],\"registrations\":{");
		render_registrations(&b, &s->registrations, 1);
		dg_text_printf(&b, "}}\n");
	} else {
		if (first)
			dg_text_printf(&b, "no connections yet\n");
		render_registrations(&b, &s->registrations, 0);
	}
	*len = b.len;
	return b.p;
}
