/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_metrics.c - the exposition (daemon/metrics.c): label escaping, the
 * folding of peers past max_peers into peer="other" with their counts
 * summed, the daemon-wide families, and promtool's verdict on the output
 * (with label values that need escaping).
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "dg_test.h"

#include "core/alert.h"
#include "core/ban.h"
#include "core/context.h"
#include "daemon/metrics.h"
#include "core/stats.h"

static struct dg_daemon d;

static void
setup(void)
{
	memset(&d, 0, sizeof(d));
	d.stats = stats_new();
	d.alerts = alerts_new(NULL, 0, 30);
	d.bans = bans_new(2, 60, 600);
}

static void
teardown(void)
{
	stats_free(d.stats);
	alerts_free(d.alerts);
	bans_free(d.bans);
}

static void
test_label_escape(void)
{
	char out[64];

	CHECK(strcmp(metrics_label_escape(out, sizeof(out), "a@b"), "a@b") == 0);
	CHECK(strcmp(metrics_label_escape(out, sizeof(out), "q\"b\\s\nn"),
	    "q\\\"b\\\\s\\nn") == 0);
	/* Truncation never splits an escape. */
	CHECK(strcmp(metrics_label_escape(out, 4, "ab\"c"), "ab") == 0);
	CHECK(strcmp(metrics_label_escape(out, sizeof(out), "\xc3\xa9"), "\xc3\xa9") == 0);
}

static int
has_line(const char *text, const char *line)
{
	const char *p = text;
	size_t n = strlen(line);

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
		p++;
	}
	return 0;
}

static void
test_fold_peers(void)
{
	struct stats_row *r;
	char peer[32], *text;
	size_t len;
	int i;

	setup();
	for (i = 1; i <= 5; i++) {
		snprintf(peer, sizeof(peer), "p%d@h", i);
		r = stats_row(d.stats, "b", peer, 0);
		r->verdict[DG_T_SPAWN_REQUEST][DG_DENY] = (uint64_t)i;
		r->bytes_in = 100;
		r->connections = 1;
	}
	r = stats_row(d.stats, "c", "p1@h", 0);	/* named peer, other node */
	r->verdict[DG_T_SEND][DG_ALLOW] = 7;
	/* b dialled p1 too: the same pair, the other direction, apart */
	r = stats_row(d.stats, "b", "p1@h", 1);
	r->verdict[DG_T_SEND][DG_DENY] = 4;
	r->connections = 2;
	text = metrics_render(&d, 2, &len);
	CHECK_EQ(strlen(text), len);
	CHECK(has_line(text, "distguard_messages_total{node=\"b\",peer=\"p1@h\","
	    "direction=\"inbound\",type=\"spawn_request\",verdict=\"deny\"} 1"));
	CHECK(has_line(text, "distguard_messages_total{node=\"b\",peer=\"p1@h\","
	    "direction=\"egress\",type=\"send\",verdict=\"deny\"} 4"));
	CHECK(has_line(text, "distguard_messages_total{node=\"b\",peer=\"p2@h\","
	    "direction=\"inbound\",type=\"spawn_request\",verdict=\"deny\"} 2"));
	/* 3 + 4 + 5 under "other" */
	CHECK(has_line(text, "distguard_messages_total{node=\"b\",peer=\"other\","
	    "direction=\"inbound\",type=\"spawn_request\",verdict=\"deny\"} 12"));
	CHECK(strstr(text, "p3@h") == NULL);
	CHECK(has_line(text, "distguard_messages_total{node=\"c\",peer=\"p1@h\","
	    "direction=\"inbound\",type=\"send\",verdict=\"allow\"} 7"));
	CHECK(has_line(text, "distguard_relayed_bytes_total{node=\"b\",peer=\"other\","
	    "direction=\"inbound\",flow=\"in\"} 300"));
	CHECK(has_line(text, "distguard_sessions_total{direction=\"inbound\"} 5"));
	CHECK(has_line(text, "distguard_sessions_total{direction=\"egress\"} 2"));
	CHECK(has_line(text, "# TYPE distguard_messages_total counter"));
	free(text);
	teardown();
}

static void
test_daemon_families(void)
{
	struct sockaddr_in sa;
	char *text;
	size_t len;

	setup();
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(0x7f000009);
	stats_handshake(d.stats, "ok");
	stats_handshake(d.stats, "ok");
	stats_handshake(d.stats, "bad_digest");
	alert_emit(d.alerts, "handshake.bad_digest", (struct sockaddr *)&sa,
	    NULL, NULL, "test");
	CHECK_EQ(bans_fail(d.bans, (struct sockaddr *)&sa, NULL, dg_now()), 0);
	CHECK_EQ(bans_fail(d.bans, (struct sockaddr *)&sa, NULL, dg_now()), 1);
	stats_row(d.stats, "b", "x@h", 0)->live = 2;
	stats_row(d.stats, "b", "y@h", 0)->live = 1;
	stats_row(d.stats, "b", "x@h", 1)->live = 1;
	text = metrics_render(&d, 100, &len);
	CHECK(has_line(text, "distguard_handshakes_total{outcome=\"ok\"} 2"));
	CHECK(has_line(text, "distguard_handshakes_total{outcome=\"bad_digest\"} 1"));
	CHECK(has_line(text, "distguard_alerts_total{event=\"handshake.bad_digest\"} 1"));
	CHECK(has_line(text, "distguard_bans_total 1"));
	CHECK(has_line(text, "distguard_banned_sources 1"));
	CHECK(has_line(text, "distguard_sessions{direction=\"inbound\"} 3"));
	CHECK(has_line(text, "distguard_sessions{direction=\"egress\"} 1"));
	CHECK(has_line(text, "distguard_grants 0"));
	free(text);
	teardown();
}

/* promtool, from Debian's prometheus package (scripts/deps.sh). */
static void
test_promtool_accepts(void)
{
	struct stats_row *r;
	char *text;
	size_t len;
	FILE *p;
	int rc;

	setup();
	r = stats_row(d.stats, "b", "we\"ird\\name\n@h", 0);
	r->verdict[DG_T_REG_SEND][DG_ALLOW] = 1;
	r = stats_row(d.stats, "b", "other", 0);	/* a peer really named so */
	r->verdict[DG_T_REG_SEND][DG_DROP] = 1;
	stats_handshake(d.stats, "ok");
	text = metrics_render(&d, 100, &len);
	p = popen("promtool check metrics >/dev/null 2>&1", "w");
	CHECK(p != NULL);
	if (p != NULL) {
		CHECK_EQ(fwrite(text, 1, len, p), len);
		rc = pclose(p);
		CHECK_EQ(rc, 0);
	}
	CHECK(strstr(text, "peer=\"we\\\"ird\\\\name\\n@h\"") != NULL);
	free(text);
	teardown();
}

int
main(void)
{
	RUN(test_label_escape);
	RUN(test_fold_peers);
	RUN(test_daemon_families);
	RUN(test_promtool_accepts);
	return TEST_DONE();
}
