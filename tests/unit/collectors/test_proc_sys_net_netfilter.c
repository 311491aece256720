// SPDX-License-Identifier: Apache-2.0
/*
 * conntrack collector: per-CPU sums, 16-field lines of old kernels, the
 * module not loaded (no data), garbage and huge values.  Trees are generated
 * in a temp dir; the procfs root points at it.
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

extern const struct collector collector_conntrack;
#define COLLECTOR collector_conntrack

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
	snprintf(root, sizeof(root), "/tmp/vigil-conntrack-XXXXXX");
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

TestSuite(conntrack, .init = setup_tree, .fini = teardown_tree);

#define HDR                                                                                        \
	"entries  searched found new invalid ignore delete delete_list insert insert_failed "      \
	"drop early_drop icmp_error  expect_new expect_create expect_delete search_restart\n"

Test(conntrack, sums_cpus)
{
	put("sys/net/netfilter/nf_conntrack_count", "123\n");
	put("sys/net/netfilter/nf_conntrack_max", "65536\n");
	put("net/stat/nf_conntrack", HDR
	    "00000021  00000000 00000001 00000000 00000003 0000588a 00000000 00000000 "
	    "00000002 00000000 00000000 00000000 00000000  00000000 00000000 00000000 00000001\n"
	    "00000021  00000000 0000000A 00000000 0000002f 00005688 00000000 00000000 "
	    "00000000 00000005 00000007 00000009 00000000  00000000 00000000 00000000 ffffffff\n");
	struct buf out = BUF_INIT;
	cr_assert_eq(scrape(NULL, &out), 0);
	HAS(out, "# HELP node_nf_conntrack_entries Number of currently allocated flow entries for "
		 "connection tracking.\n# TYPE node_nf_conntrack_entries gauge\n"
		 "node_nf_conntrack_entries 123\n");
	HAS(out, "node_nf_conntrack_entries_limit 65536\n");
	HAS(out, "node_nf_conntrack_stat_found 11\n");
	HAS(out, "node_nf_conntrack_stat_invalid 50\n");
	HAS(out, "node_nf_conntrack_stat_ignore 44818\n");
	HAS(out, "node_nf_conntrack_stat_insert 2\n");
	HAS(out, "node_nf_conntrack_stat_insert_failed 5\n");
	HAS(out, "node_nf_conntrack_stat_drop 7\n");
	HAS(out, "node_nf_conntrack_stat_early_drop 9\n");
	HAS(out, "node_nf_conntrack_stat_search_restart 4.294967296e+09\n");
	buf_free(&out);
}

Test(conntrack, old_kernel_without_search_restart)
{
	put("sys/net/netfilter/nf_conntrack_count", "1");
	put("sys/net/netfilter/nf_conntrack_max", " 2 \n");
	put("net/stat/nf_conntrack", "header\n0 0 0 0 0 1 0 0 0 0 0 0 0 0 0 0\n");
	struct buf out = BUF_INIT;
	cr_assert_eq(scrape(NULL, &out), 0);
	HAS(out, "node_nf_conntrack_entries_limit 2\n");
	HAS(out, "node_nf_conntrack_stat_ignore 1\n");
	HAS(out, "node_nf_conntrack_stat_search_restart 0\n");
	buf_free(&out);
}

Test(conntrack, module_not_loaded)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(scrape(NULL, &out), -ENODATA);
	HASNT(out, "node_nf_conntrack");
	/* no per-CPU statistics: the two gauges are still served */
	put("sys/net/netfilter/nf_conntrack_count", "7\n");
	put("sys/net/netfilter/nf_conntrack_max", "8\n");
	cr_assert_eq(scrape(NULL, &out), -ENODATA);
	HAS(out, "node_nf_conntrack_entries 7\n");
	HAS(out, "node_nf_conntrack_entries_limit 8\n");
	HASNT(out, "node_nf_conntrack_stat");
	buf_free(&out);
}

Test(conntrack, garbage)
{
	struct buf out = BUF_INIT;
	put("sys/net/netfilter/nf_conntrack_count", "12x\n");
	put("sys/net/netfilter/nf_conntrack_max", "8\n");
	cr_assert_eq(scrape(NULL, &out), -EINVAL);
	HASNT(out, "node_nf_conntrack");
	put("sys/net/netfilter/nf_conntrack_count", "18446744073709551616\n");
	cr_assert_eq(scrape(NULL, &out), -EINVAL);
	put("sys/net/netfilter/nf_conntrack_count", "18446744073709551615\n");
	put("net/stat/nf_conntrack", HDR "0 0 0 0 0 zz 0 0 0 0 0 0 0 0 0 0 0\n");
	cr_assert_eq(scrape(NULL, &out), -EINVAL);
	HAS(out, "node_nf_conntrack_entries 1.8446744073709552e+19\n");
	HASNT(out, "node_nf_conntrack_stat");
	/* truncated line */
	put("net/stat/nf_conntrack", HDR "0 0 0 0 0 1 0 0\n");
	cr_assert_eq(scrape(NULL, &out), -EINVAL);
	/* a value beyond 64 bits */
	put("net/stat/nf_conntrack", HDR "0 0 0 0 0 10000000000000000 0 0 0 0 0 0 0 0 0 0 0\n");
	cr_assert_eq(scrape(NULL, &out), -ERANGE);
	buf_free(&out);
}
