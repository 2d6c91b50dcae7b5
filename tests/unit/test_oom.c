/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_oom.c - a failed allocation while serving a connection gives up on
 * that one thing and never exits the daemon.  This binary is linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc (Makefile: test_oom), so
 * every allocation of the library goes through the wrappers below, which
 * fail on demand.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dg_test.h"
#include "dg.h"
#include "core/alert.h"
#include "core/ban.h"
#include "core/context.h"
#include "core/net.h"
#include "daemon/metrics.h"
#include "core/stats.h"
#include "epmd_reg.h"

void	*__real_malloc(size_t);
void	*__real_calloc(size_t, size_t);
void	*__real_realloc(void *, size_t);
void	*__wrap_malloc(size_t);
void	*__wrap_calloc(size_t, size_t);
void	*__wrap_realloc(void *, size_t);

/* Allocations left before they fail; -1: never fail. */
static long	allowed = -1;

static int
fails(void)
{
	if (allowed < 0)
		return 0;
	if (allowed == 0)
		return 1;
	allowed--;
	return 0;
}

void *
__wrap_malloc(size_t n)
{
	return fails() ? NULL : __real_malloc(n);
}

void *
__wrap_calloc(size_t n, size_t m)
{
	return fails() ? NULL : __real_calloc(n, m);
}

void *
__wrap_realloc(void *p, size_t n)
{
	return fails() ? NULL : __real_realloc(p, n);
}

static struct sockaddr *
src(struct sockaddr_in *sa, uint32_t a)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(a);
	return (struct sockaddr *)sa;
}

/* A new source that cannot be counted is refused; counts stay exact. */
static void
test_srccount(void)
{
	struct srccount *s = srccount_new();
	struct sockaddr_in sa;

	CHECK_EQ(srccount_add(s, src(&sa, 0x7f000001), 1), 0);
	allowed = 0;
	CHECK_EQ(srccount_add(s, src(&sa, 0x7f000002), 1), -1);
	/* a known source needs no memory */
	CHECK_EQ(srccount_add(s, src(&sa, 0x7f000001), 1), 0);
	allowed = -1;
	CHECK_EQ(srccount_get(s, src(&sa, 0x7f000001)), 2);
	CHECK_EQ(srccount_get(s, src(&sa, 0x7f000002)), 0);
	srccount_add(s, src(&sa, 0x7f000001), -2);
	srccount_free(s);
}

/* A registration that cannot be stored is refused, the registry intact. */
static void
test_registry(void)
{
	static struct epmd_reg r;
	struct epmd_alive2 a;
	const char *why;

	memset(&a, 0, sizeof(a));
	a.port = 5555;
	CHECK_EQ(dg_name_copy((const uint8_t *)"b", 1, &a.name, &why), 0);
	allowed = 0;
	CHECK(epmd_reg_add(&r, &a, AF_INET, 1000) == NULL);
	allowed = -1;
	CHECK_EQ(r.nnodes, 0);
	CHECK(epmd_reg_find(&r, "b", 1) == NULL);
}

/* Texts and the answers built from them: NULL, never an exit. */
static void
test_answers(void)
{
	struct dg_daemon d;
	struct dg_text t;
	size_t len;
	char *p;
	int i;

	dg_text_init(&t, 8);
	allowed = 0;
	for (i = 0; i < 10; i++)
		dg_text_printf(&t, "%s", "grows past eight bytes ");
	allowed = -1;
	CHECK(t.p == NULL);
	dg_text_printf(&t, "x");	/* stays given up */
	CHECK(t.p == NULL);

	memset(&d, 0, sizeof(d));
	d.stats = stats_new();
	d.alerts = alerts_new(NULL, 0, 30);
	d.bans = bans_new(2, 60, 600);
	(void)stats_row(d.stats, "b", "a@h", 0);
	for (i = 0; i < 8; i++) {
		allowed = i;		/* fail at every step in turn */
		p = stats_render(d.stats, i & 1, &len);
		allowed = -1;
		free(p);
		allowed = i;
		p = metrics_render(&d, 10, &len);
		allowed = -1;
		free(p);
	}
	/* and with memory, the same answers work */
	CHECK((p = stats_render(d.stats, 1, &len)) != NULL && len > 0);
	free(p);
	CHECK((p = metrics_render(&d, 10, &len)) != NULL && len > 0);
	free(p);
	stats_free(d.stats);
	alerts_free(d.alerts);
	bans_free(d.bans);
}

int
main(void)
{
	RUN(test_srccount);
	RUN(test_registry);
	RUN(test_answers);
	return TEST_DONE();
}
