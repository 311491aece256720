// SPDX-License-Identifier: Apache-2.0
/*
 * sockstat collector: both files, missing files (IPv4/IPv6 disabled),
 * malformed lines, Go-style integers, huge values.  Trees are generated in a
 * temp dir; the procfs root points at it.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/buf.h"
#include "common/expo.h"
#include "common/flags.h"

extern const struct collector collector_sockstat;
#define COLLECTOR collector_sockstat

static char root[64];

/* Write content to root/rel, creating the parent directories. */
static void put(const char *rel, const char *content)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	FILE *f = fopen(path, "w");
	cr_assert(f, "create %s", path);
	fputs(content, f);
	fclose(f);
}

static void setup_tree(void)
{
	snprintf(root, sizeof(root), "/tmp/vigil-sockstat-XXXXXX");
	cr_assert(mkdtemp(root));
	host_roots.procfs = root;
	host_roots.sysfs = root;
}

static void teardown_tree(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
}

__attribute__((unused)) static int set_flag(const char *name, const char *value)
{
	struct flag_table t = {"x", COLLECTOR.flags, COLLECTOR.nflags};
	char err[256];
	int rc = flags_set(&t, 1, name, value, err, sizeof(err));
	cr_assert_eq(rc, 0, "set %s: %s", name, err);
	rc = COLLECTOR.setup(err, sizeof(err));
	return rc;
}

/* Run collect on a fresh state (or st when given) and render into out. */
static int scrape(void *st, struct buf *out)
{
	struct expo_set *set = expo_set_new();
	bool own = !st;
	if (own)
		st = calloc(1, COLLECTOR.state_size);
	int rc = COLLECTOR.init ? COLLECTOR.init(st) : 0;
	if (rc >= 0)
		rc = COLLECTOR.collect(st, set);
	buf_reset(out);
	expo_set_render(set, out);
	expo_set_free(set);
	if (own) {
		if (COLLECTOR.cleanup)
			COLLECTOR.cleanup(st);
		free(st);
	}
	return rc;
}

#define HAS(out, s)                                                                                \
	cr_assert(strstr((out).data ? (out).data : "", s), "missing %s in:\n%s", s,                \
		  (out).data ? (out).data : "")
#define HASNT(out, s)                                                                              \
	cr_assert(!strstr((out).data ? (out).data : "", s), "unexpected %s in:\n%s", s,            \
		  (out).data ? (out).data : "")

TestSuite(sockstat, .init = setup_tree, .fini = teardown_tree);

Test(sockstat, both_files)
{
	put("net/sockstat", "sockets: used 229\n"
			    "TCP: inuse 4 orphan 0 tw 4 alloc 17 mem 1\n"
			    "UDP: inuse 0 mem 0\nUDPLITE: inuse 0\nRAW: inuse 0\n"
			    "FRAG: inuse 0 memory 0\n");
	put("net/sockstat6", "TCP6: inuse 17\nUDP6: inuse 9\nFRAG6: inuse 0 memory 0\n");
	struct buf out = BUF_INIT;
	cr_assert_eq(scrape(NULL, &out), 0);
	HAS(out, "# HELP node_sockstat_sockets_used Number of IPv4 sockets in use.\n"
		 "# TYPE node_sockstat_sockets_used gauge\nnode_sockstat_sockets_used 229\n");
	HAS(out, "# HELP node_sockstat_TCP_alloc Number of TCP sockets in state alloc.\n");
	HAS(out, "node_sockstat_TCP_tw 4\n");
	char want[64];
	snprintf(want, sizeof(want), "node_sockstat_TCP_mem_bytes %ld\n", sysconf(_SC_PAGESIZE));
	HAS(out, want);
	HAS(out, "node_sockstat_FRAG_memory 0\n");
	HAS(out, "node_sockstat_TCP6_inuse 17\n");
	HAS(out, "node_sockstat_FRAG6_memory 0\n");
	HASNT(out, "FRAG_mem_bytes");
	HASNT(out, "UDP6_mem");
	buf_free(&out);
}

Test(sockstat, missing_files_are_skipped)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(scrape(NULL, &out), 0);
	HASNT(out, "node_sockstat");
	/* IPv6 disabled: only the IPv4 file */
	put("net/sockstat", "sockets: used 3\nTCP: inuse 1\n");
	cr_assert_eq(scrape(NULL, &out), 0);
	HAS(out, "node_sockstat_sockets_used 3\n");
	HAS(out, "node_sockstat_TCP_inuse 1\n");
	buf_free(&out);
}

Test(sockstat, garbage_fails_before_emitting)
{
	struct buf out = BUF_INIT;
	put("net/sockstat", "sockets: used 3\nTCP: inuse 1 orphan\n");
	cr_assert_eq(scrape(NULL, &out), -EINVAL);
	HASNT(out, "node_sockstat");
	put("net/sockstat", "sockets: used 3\nTCP: inuse x\n");
	cr_assert_eq(scrape(NULL, &out), -EINVAL);
	put("net/sockstat", "sockets: used 3\nTCP:\n");
	cr_assert_eq(scrape(NULL, &out), -EINVAL);
	put("net/sockstat", "sockets: used 3\n\nTCP: inuse 1\n");
	cr_assert_eq(scrape(NULL, &out), -EINVAL);
	/* an error in the IPv6 file fails the whole collector too */
	put("net/sockstat", "sockets: used 3\nTCP: inuse 1\n");
	put("net/sockstat6", "TCP6: inuse 1 tw\n");
	cr_assert_eq(scrape(NULL, &out), -EINVAL);
	HASNT(out, "node_sockstat");
	buf_free(&out);
}

Test(sockstat, numbers_as_go_parses_them)
{
	struct buf out = BUF_INIT;
	put("net/sockstat",
	    "sockets: used 9223372036854775807\nTCP: inuse 0x10 tw 010 alloc 1_000\n");
	cr_assert_eq(scrape(NULL, &out), 0);
	HAS(out, "node_sockstat_sockets_used 9.223372036854776e+18\n");
	HAS(out, "node_sockstat_TCP_inuse 16\n");
	HAS(out, "node_sockstat_TCP_tw 8\n");
	HAS(out, "node_sockstat_TCP_alloc 1000\n");
	put("net/sockstat", "sockets: used 9223372036854775808\n");
	cr_assert_eq(scrape(NULL, &out), -EINVAL);
	put("net/sockstat", "sockets: used 1__0\n");
	cr_assert_eq(scrape(NULL, &out), -EINVAL);
	buf_free(&out);
}

Test(sockstat, reuses_state_and_sees_new_files)
{
	void *st = calloc(1, collector_sockstat.state_size);
	struct buf out = BUF_INIT;
	put("net/sockstat", "sockets: used 1\n");
	cr_assert_eq(scrape(st, &out), 0);
	HASNT(out, "TCP6");
	put("net/sockstat6", "TCP6: inuse 2\n");
	put("net/sockstat", "sockets: used 5\n");
	cr_assert_eq(scrape(st, &out), 0);
	HAS(out, "node_sockstat_sockets_used 5\n");
	HAS(out, "node_sockstat_TCP6_inuse 2\n");
	collector_sockstat.cleanup(st);
	free(st);
	buf_free(&out);
}
