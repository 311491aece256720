// SPDX-License-Identifier: Apache-2.0
/*
 * Cgroup layout detection, the walk and the v1/v2 stat readers, over
 *   - the real hybrid v1 capture in ../shared/fixtures/docker-hybrid-v1
 *     (cpu and cpuacct separate mounts, cgroup2 at unified/), read in place
 *     (those tests skip when the directory is absent: shared_fixtures.h);
 *   - pure v1 (cpu,cpuacct joined) and pure v2 trees built in temp dirs,
 *     with files of odd content and a cgroup that vanishes mid-walk.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collectors/cgroup.h"
#include "collectors/hostpath.h"
#include "../shared_fixtures.h"

#define HYBRID	VIGIL_SHARED_FIXTURES "/docker-hybrid-v1/sysfs"
#define CPU_ID	"c4eda9d8a04bf547abe57895647609f8f0ec82559081c9ae43a85f26014a4f96"
#define MEM_ID	"012af3729db64c10ea39cc0f29b037914e3cb75f14c55822e7fe7b4b8eef38ad"
#define IDLE_ID "59016fd0c019b542a2699b44fca5a70170e876749368a86e668a1535ed636e32"

static char tmp[64];

/* Write root/rel (creating folders) with content. */
static void put(const char *root, const char *rel, const char *content)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	for (char *s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f, "create %s", p);
	fputs(content, f);
	fclose(f);
}

static void rm_tree(const char *dir)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

static void mk_tmp(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/vigil-cgroup-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
}

static void rm_tmp(void)
{
	rm_tree(tmp);
}

struct names {
	char *v[64];
	int n;
};

static bool collect(void *ctx, const char *name)
{
	struct names *ns = ctx;
	if (ns->n < 64)
		ns->v[ns->n++] = strdup(name);
	return true;
}

static bool has(const struct names *ns, const char *name)
{
	for (int i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i], name) == 0)
			return true;
	return false;
}

static void free_names(struct names *ns)
{
	for (int i = 0; i < ns->n; i++)
		free(ns->v[i]);
	ns->n = 0;
}

Test(cgroup, hybrid_fixture_from_tree, .init = need_shared)
{
	struct cgroup_layout l;
	cr_assert_eq(cgroup_layout_detect(HYBRID "/fs/cgroup", NULL, &l), 0);
	cr_assert_eq(l.mode, CGROUP_HYBRID);
	cr_assert_str_eq(l.v1[CG_CPU], HYBRID "/fs/cgroup/cpu");
	cr_assert_str_eq(l.v1[CG_CPUACCT], HYBRID "/fs/cgroup/cpuacct");
	cr_assert_str_eq(l.v1[CG_MEMORY], HYBRID "/fs/cgroup/memory");
	cr_assert_str_eq(l.v2, HYBRID "/fs/cgroup/unified");
	struct names ns = {0};
	cr_assert_eq(cgroup_walk(&l, collect, &ns), 5);
	cr_assert_str_eq(ns.v[0], "/");
	cr_assert(has(&ns, "/docker"));
	cr_assert(has(&ns, "/docker/" CPU_ID));
	cr_assert(has(&ns, "/docker/" MEM_ID));
	cr_assert(has(&ns, "/docker/" IDLE_ID));
	free_names(&ns);
	cgroup_layout_free(&l);
}

Test(cgroup, hybrid_fixture_from_mountinfo, .init = need_shared)
{
	struct cgroup_layout l;
	/* the captured mountinfo lines, moved under the fixture root */
	cr_assert_eq(cgroup_layout_detect(HYBRID "/fs/cgroup",
					  HYBRID "/proc/self_mountinfo_cgroup_lines", &l),
		     0);
	cr_assert_eq(l.mode, CGROUP_HYBRID);
	cr_assert_str_eq(l.v1[CG_CPU], HYBRID "/fs/cgroup/cpu");
	cr_assert_str_eq(l.v1[CG_PIDS], HYBRID "/fs/cgroup/pids");
	cr_assert_str_eq(l.v2, HYBRID "/fs/cgroup/unified");
	cgroup_layout_free(&l);
	/* a mountinfo without cgroup mounts: the tree decides */
	cr_assert_eq(cgroup_layout_detect(HYBRID "/fs/cgroup", HYBRID "/proc/meminfo", &l), 0);
	cr_assert_eq(l.mode, CGROUP_HYBRID);
	cgroup_layout_free(&l);
	cr_assert_eq(cgroup_layout_detect("/nonexistent", NULL, &l), -ENOENT);
}

Test(cgroup, hybrid_fixture_stats, .init = need_shared)
{
	struct cgroup_layout l;
	struct cgroup_reader r = {.data = BUF_INIT};
	struct cgroup_stats *st = calloc(1, sizeof(*st));
	cr_assert_eq(cgroup_layout_detect(HYBRID "/fs/cgroup", NULL, &l), 0);

	cr_assert_eq(cgroup_read_stats(&l, "/docker/" CPU_ID, &r, st), 0);
	cr_assert(st->have & CGS_CPU);
	cr_assert_eq(st->cpu_usage_ns, 70438569178ull);
	long hz = sysconf(_SC_CLK_TCK);
	cr_assert_eq(st->cpu_user_ns, 6951ull * (1000000000ull / (uint64_t)hz));
	cr_assert(st->have & CGS_CFS);
	cr_assert_eq(st->nr_periods, 1410);
	cr_assert_eq(st->nr_throttled, 1402);
	cr_assert_eq(st->throttled_ns, 67974072380ull);
	cr_assert(st->have & CGS_SPEC_CPU);
	cr_assert_eq(st->cpu_quota, 50000);
	cr_assert_eq(st->cpu_period, 100000);
	cr_assert_eq(st->cpu_shares, 1024);
	cr_assert(st->have & CGS_PROCS);
	cr_assert_geq(st->processes, 1);
	cr_assert_gt(st->first_pid, 0);

	cr_assert_eq(cgroup_read_stats(&l, "/docker/" MEM_ID, &r, st), 0);
	cr_assert(st->have & CGS_MEM);
	cr_assert_eq(st->mem_cache, 47185920);
	cr_assert_eq(st->mem_rss, 50212864);
	cr_assert_eq(st->mem_working_set, st->mem_usage - 47185920);
	cr_assert_eq(st->pgfault, 26643);
	cr_assert_eq(st->h_pgfault, 26643);
	cr_assert(st->have & CGS_SPEC_MEM);
	cr_assert_eq(st->mem_limit, 268435456.0);
	cr_assert(st->have & CGS_IO);
	cr_assert_eq(st->nio, 1);
	cr_assert_eq(st->io[0].major, 254);
	cr_assert_eq(st->io[0].rbytes, 67108864);
	cr_assert_eq(st->io[0].wbytes, 83886080);
	cr_assert(st->have & CGS_PIDS);
	cr_assert_eq(st->threads, 2);

	cr_assert_eq(cgroup_read_stats(&l, "/", &r, st), 0);
	cr_assert(st->have & CGS_CPU);
	cr_assert_eq(cgroup_read_stats(&l, "/docker/gone", &r, st), -ENOENT);
	free(st);
	buf_free(&r.data);
	cgroup_layout_free(&l);
}

Test(cgroup, netdev_fixture, .init = need_shared)
{
	struct cgroup_reader r = {.data = BUF_INIT};
	struct cgroup_stats *st = calloc(1, sizeof(*st));
	const char *saved = host_roots.procfs;
	host_roots.procfs = HYBRID "/proc";
	cr_assert_eq(cgroup_read_netdev(14280, &r, st), 0);
	cr_assert_eq(st->nnet, 1, "lo is left out");
	cr_assert_str_eq(st->net[0].name, "eth0");
	cr_assert_eq(st->net[0].rx_bytes, 1196);
	cr_assert_eq(st->net[0].rx_packets, 14);
	cr_assert_eq(cgroup_read_netdev(999999, &r, st), -ENOENT);
	host_roots.procfs = saved;
	free(st);
	buf_free(&r.data);
}

Test(cgroup, pure_v1_joined_controllers, .init = mk_tmp, .fini = rm_tmp)
{
	put(tmp, "cpu,cpuacct/cgroup.procs", "1\n2\n");
	put(tmp, "cpu,cpuacct/cpuacct.usage", "5000000000\n");
	put(tmp, "cpu,cpuacct/cpuacct.stat", "user 300\nsystem 200\n");
	put(tmp, "cpu,cpuacct/cpu.shares", "1024\n");
	put(tmp, "cpu,cpuacct/app/cgroup.procs", "42\n");
	put(tmp, "cpu,cpuacct/app/cpuacct.usage", "1000\n");
	put(tmp, "cpu,cpuacct/app/cpu.shares", "512\n");
	put(tmp, "cpu,cpuacct/app/cpu.cfs_quota_us", "-1\n");
	put(tmp, "cpu,cpuacct/app/cpu.cfs_period_us", "100000\n");
	put(tmp, "memory/cgroup.procs", "1\n");
	put(tmp, "memory/memory.usage_in_bytes", "1000\n");
	put(tmp, "memory/memory.limit_in_bytes", "9223372036854771712\n");
	put(tmp, "memory/memory.stat", "total_inactive_file 400\ntotal_rss 100\n");
	put(tmp, "memory/app/memory.usage_in_bytes", "100\n");
	/* inactive_file beyond usage: working set floors at 0 */
	put(tmp, "memory/app/memory.stat", "total_inactive_file 400\n");
	put(tmp, "cpuset/cgroup.procs", "");
	struct cgroup_layout l;
	cr_assert_eq(cgroup_layout_detect(tmp, NULL, &l), 0);
	cr_assert_eq(l.mode, CGROUP_V1);
	cr_assert_str_eq(l.v1[CG_CPU], l.v1[CG_CPUACCT]);
	cr_assert_null(l.v2);
	struct names ns = {0};
	cr_assert_eq(cgroup_walk(&l, collect, &ns), 2);
	cr_assert(has(&ns, "/app"));
	free_names(&ns);
	struct cgroup_reader r = {.data = BUF_INIT};
	struct cgroup_stats *st = calloc(1, sizeof(*st));
	cr_assert_eq(cgroup_read_stats(&l, "/", &r, st), 0);
	cr_assert_eq(st->processes, 2);
	cr_assert_eq(st->cpu_usage_ns, 5000000000ull);
	cr_assert_eq(st->mem_working_set, 600);
	cr_assert_eq(st->mem_limit, 9223372036854771712.0);
	cr_assert_eq(cgroup_read_stats(&l, "/app", &r, st), 0);
	cr_assert_eq(st->first_pid, 42);
	cr_assert_eq(st->cpu_quota, -1);
	cr_assert_eq(st->cpu_shares, 512);
	cr_assert_eq(st->mem_working_set, 0);
	cr_assert_eq(st->mem_usage, 100);
	free(st);
	buf_free(&r.data);
	cgroup_layout_free(&l);
}

static void build_v2(const char *root)
{
	put(root, "cgroup.controllers", "cpu io memory pids\n");
	put(root, "cgroup.procs", "1\n");
	put(root, "cpu.stat", "usage_usec 9000000\nuser_usec 6000000\nsystem_usec 3000000\n");
	put(root, "cpu.pressure",
	    "some avg10=0.00 avg60=0.00 avg300=0.00 total=1500000\n"
	    "full avg10=0.00 avg60=0.00 avg300=0.00 total=500000\n");
	const char *app = "system.slice/app.service/";
	char p[256];
#define APP(f, c)                                                                                  \
	snprintf(p, sizeof(p), "%s%s", app, f);                                                    \
	put(root, p, c)
	APP("cgroup.procs", "77\n78\n");
	APP("cpu.stat", "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n"
			"nr_periods 40\nnr_throttled 10\nthrottled_usec 250000\n");
	APP("cpu.weight", "100\n");
	APP("cpu.max", "50000 100000\n");
	APP("memory.current", "10485760\n");
	APP("memory.peak", "20971520\n");
	APP("memory.max", "max\n");
	APP("memory.min", "0\n");
	APP("memory.swap.current", "4096\n");
	APP("memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
	APP("memory.stat", "anon 6291456\nfile 4194304\nfile_mapped 1024\ninactive_file 2097152\n"
			   "pgfault 100\npgmajfault 2\n");
	APP("io.stat", "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n"
		       "253:1 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0\n");
	APP("pids.current", "5\n");
	APP("pids.max", "max\n");
	APP("io.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=7\n");
	/* odd content everywhere in a sibling */
	const char *odd = "system.slice/odd.service/";
#define ODD(f, c)                                                                                  \
	snprintf(p, sizeof(p), "%s%s", odd, f);                                                    \
	put(root, p, c)
	ODD("cgroup.procs", "");
	ODD("cpu.stat", "usage_usec\nuser_usec abc\n\n   \nnr_periods -5\n");
	ODD("cpu.weight", "0\n");
	ODD("memory.current", "garbage");
	ODD("memory.stat", "anon");
	ODD("io.stat", "nonsense line\n8:0\n");
	ODD("pids.current", "");
	ODD("memory.events", "oom_kill \n");
	ODD("cpu.pressure", "some total=\n");
	put(root, "system.slice/empty.scope/cgroup.procs", "");
}

Test(cgroup, pure_v2_tree, .init = mk_tmp, .fini = rm_tmp)
{
	build_v2(tmp);
	struct cgroup_layout l;
	cr_assert_eq(cgroup_layout_detect(tmp, NULL, &l), 0);
	cr_assert_eq(l.mode, CGROUP_V2);
	struct names ns = {0};
	cr_assert_eq(cgroup_walk(&l, collect, &ns), 5);
	cr_assert_str_eq(ns.v[0], "/");
	cr_assert(has(&ns, "/system.slice/app.service"));
	cr_assert(has(&ns, "/system.slice/odd.service"));
	free_names(&ns);

	struct cgroup_reader r = {.data = BUF_INIT};
	struct cgroup_stats *st = calloc(1, sizeof(*st));
	cr_assert_eq(cgroup_read_stats(&l, "/system.slice/app.service", &r, st), 0);
	cr_assert_eq(st->cpu_usage_ns, 2500000000ull);
	cr_assert_eq(st->cpu_user_ns, 2000000000ull);
	cr_assert(st->have & CGS_CFS);
	cr_assert_eq(st->nr_throttled, 10);
	cr_assert_eq(st->throttled_ns, 250000000ull);
	cr_assert_eq(st->cpu_shares, 2597, "weight 100: 2 + 99 * 262142 / 9999 shares");
	cr_assert_eq(st->cpu_quota, 50000);
	cr_assert_eq(st->cpu_period, 100000);
	cr_assert_eq(st->mem_usage, 10485760);
	cr_assert_eq(st->mem_max_usage, 20971520);
	cr_assert_eq(st->mem_working_set, 10485760 - 2097152);
	cr_assert_eq(st->mem_rss, 6291456);
	cr_assert_eq(st->mem_cache, 4194304);
	cr_assert_eq(st->mem_mapped, 1024);
	cr_assert_eq(st->mem_swap, 4096);
	cr_assert_eq(st->mem_limit, 0, "max is reported as 0");
	cr_assert_eq(st->oom_kill, 1);
	cr_assert_eq(st->pgmajfault, 2);
	cr_assert_eq(st->nio, 2);
	cr_assert_eq(st->io[1].major, 253);
	cr_assert_eq(st->io[1].wios, 4);
	cr_assert_eq(st->io[0].wbytes, 8192);
	cr_assert_eq(st->threads, 5);
	cr_assert_eq(st->threads_max, 0);
	cr_assert_eq(st->processes, 2);
	cr_assert(st->have & CGS_PSI);
	cr_assert_eq(st->psi_some_us[PSI_IO], 7);

	cr_assert_eq(cgroup_read_stats(&l, "/", &r, st), 0);
	cr_assert_eq(st->cpu_usage_ns, 9000000000ull);
	cr_assert_eq(st->psi_full_us[PSI_CPU], 500000);
	cr_assert(!(st->have & CGS_MEM), "no memory.current at the root");

	/* odd content: nothing crashes, malformed groups are left out */
	cr_assert_eq(cgroup_read_stats(&l, "/system.slice/odd.service", &r, st), 0);
	cr_assert(!(st->have & CGS_CPU));
	cr_assert(!(st->have & CGS_CFS));
	cr_assert(!(st->have & CGS_SPEC_CPU));
	cr_assert(!(st->have & CGS_MEM));
	cr_assert(!(st->have & CGS_PIDS));
	cr_assert(!(st->have & CGS_OOM));
	cr_assert_eq(st->processes, 0);
	cr_assert_eq(st->first_pid, 0);
	free(st);
	buf_free(&r.data);
	cgroup_layout_free(&l);
}

struct vanish {
	struct names ns;
	const char *victim;
	bool done;
};

/* Remove the victim folder as soon as its parent is visited. */
static bool vanish_visit(void *ctx, const char *name)
{
	struct vanish *v = ctx;
	collect(&v->ns, name);
	if (!v->done && strcmp(name, "/system.slice") == 0) {
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/system.slice/%s", tmp, v->victim);
		rm_tree(p);
		v->done = true;
	}
	return true;
}

Test(cgroup, vanishes_mid_walk, .init = mk_tmp, .fini = rm_tmp)
{
	build_v2(tmp);
	struct cgroup_layout l;
	cr_assert_eq(cgroup_layout_detect(tmp, NULL, &l), 0);
	struct vanish v = {.victim = "app.service"};
	int n = cgroup_walk(&l, vanish_visit, &v);
	cr_assert_eq(n, 4);
	cr_assert(!has(&v.ns, "/system.slice/app.service"));
	cr_assert(has(&v.ns, "/system.slice/odd.service"));
	free_names(&v.ns);
	struct cgroup_reader r = {.data = BUF_INIT};
	struct cgroup_stats *st = calloc(1, sizeof(*st));
	cr_assert_eq(cgroup_read_stats(&l, "/system.slice/app.service", &r, st), -ENOENT);
	/* the whole tree gone: the walk reports it */
	rm_tree(tmp);
	cr_assert_lt(cgroup_walk(&l, collect, &v.ns), 0);
	cr_assert_eq(cgroup_read_stats(&l, "/", &r, st), -ENOENT);
	mkdir(tmp, 0700);
	free(st);
	buf_free(&r.data);
	cgroup_layout_free(&l);
}

Test(cgroup, hybrid_built_tree_reads_pressure, .init = mk_tmp, .fini = rm_tmp)
{
	put(tmp, "memory/cgroup.procs", "1\n");
	put(tmp, "memory/memory.usage_in_bytes", "100\n");
	put(tmp, "memory/box/cgroup.procs", "9\n");
	put(tmp, "memory/box/memory.usage_in_bytes", "50\n");
	put(tmp, "unified/cgroup.controllers", "");
	put(tmp, "unified/box/memory.pressure",
	    "some avg10=1.00 avg60=0.00 avg300=0.00 total=33\n");
	struct cgroup_layout l;
	cr_assert_eq(cgroup_layout_detect(tmp, NULL, &l), 0);
	cr_assert_eq(l.mode, CGROUP_HYBRID);
	struct cgroup_reader r = {.data = BUF_INIT};
	struct cgroup_stats *st = calloc(1, sizeof(*st));
	cr_assert_eq(cgroup_read_stats(&l, "/box", &r, st), 0);
	cr_assert_eq(st->mem_usage, 50);
	cr_assert(st->have & CGS_PSI);
	cr_assert_eq(st->psi_some_us[PSI_MEMORY], 33);
	free(st);
	buf_free(&r.data);
	cgroup_layout_free(&l);
}

Test(cgroup, kept_open_files_reread_and_budget, .init = mk_tmp, .fini = rm_tmp)
{
	build_v2(tmp);
	struct cgroup_layout l;
	cr_assert_eq(cgroup_layout_detect(tmp, NULL, &l), 0);
	struct cgroup_fds fds = {0};
	struct cgroup_reader r = {.data = BUF_INIT, .fds = &fds, .fd_budget = 5};
	struct cgroup_stats *st = calloc(1, sizeof(*st));
	const char *app = "/system.slice/app.service";
	cr_assert_eq(cgroup_read_stats(&l, app, &r, st), 0);
	cr_assert_eq(fds.n, 5, "kept as many as the budget allows");
	cr_assert_eq(r.fd_budget, 0);
	/* new content is seen through the kept descriptors (same file, rewritten) */
	put(tmp, "system.slice/app.service/cgroup.procs", "1\n2\n3\n");
	put(tmp, "system.slice/app.service/cpu.stat", "usage_usec 7\n");
	cr_assert_eq(cgroup_read_stats(&l, app, &r, st), 0);
	cr_assert_eq(st->processes, 3);
	cr_assert_eq(st->cpu_usage_ns, 7000);
	cr_assert_eq(st->mem_usage, 10485760);
	cgroup_fds_close(&fds, &r);
	cr_assert_eq(fds.n, 0);
	cr_assert_eq(r.fd_budget, 5);
	free(st);
	buf_free(&r.data);
	cgroup_layout_free(&l);
}

Test(cgroup, limits_kept_when_skipped_and_absent_files_remembered, .init = mk_tmp, .fini = rm_tmp)
{
	put(tmp, "memory/cgroup.procs", "1\n");
	put(tmp, "memory/box/cgroup.procs", "9\n");
	put(tmp, "memory/box/memory.usage_in_bytes", "50\n");
	put(tmp, "memory/box/memory.limit_in_bytes", "1000\n");
	put(tmp, "unified/cgroup.controllers", "");
	struct cgroup_layout l;
	cr_assert_eq(cgroup_layout_detect(tmp, NULL, &l), 0);
	struct cgroup_fds fds = {0};
	struct cgroup_reader r = {.data = BUF_INIT, .fds = &fds, .fd_budget = 100};
	struct cgroup_stats *st = calloc(1, sizeof(*st));
	cr_assert_eq(cgroup_read_stats(&l, "/box", &r, st), 0);
	cr_assert_eq(st->mem_limit, 1000);
	/* no unified/box: its three pressure files are remembered as absent */
	cr_assert_geq(fds.nmissing, 3);
	put(tmp, "memory/box/memory.limit_in_bytes", "2000\n");
	put(tmp, "unified/box/memory.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=5\n");
	r.skip_spec = true;
	cr_assert_eq(cgroup_read_stats(&l, "/box", &r, st), 0);
	cr_assert(st->have & CGS_SPEC_MEM);
	cr_assert_eq(st->mem_limit, 1000, "limits kept from the last read");
	cr_assert(!(st->have & CGS_PSI), "absent files are not looked for every round");
	r.skip_spec = false;
	for (int i = 0; i < CGROUP_MISSING_RETRY; i++)
		cr_assert_eq(cgroup_read_stats(&l, "/box", &r, st), 0);
	cr_assert_eq(st->mem_limit, 2000);
	cr_assert(st->have & CGS_PSI, "absent files are tried again after a while");
	cr_assert_eq(st->psi_some_us[PSI_MEMORY], 5);
	cgroup_fds_close(&fds, &r);
	free(st);
	buf_free(&r.data);
	cgroup_layout_free(&l);
}
