// SPDX-License-Identifier: Apache-2.0
/*
 * filesystem collector: a generated mounts file over real directories
 * (real statfs), the exclude regexes, read-only, duplicates, \040 escapes,
 * statfs errors, the 1/mounts -> self/mounts fallback, malformed lines; and
 * with an injected statfs that blocks like a dead NFS server: the scrape
 * returns within the mount timeout with device_error 1 and the other mounts
 * served, the mount is remembered as stuck (no new blocked thread), it
 * recovers when the call returns, and worker threads do not pile up even
 * with concurrent scrapes.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "collectors/proc_mounts_statfs.h"
#include "common/buf.h"
#include "common/expo.h"
#include "harness.h"

extern const struct collector collector_filesystem;

static char procdir[PATH_MAX];

static void setup_tree(void)
{
	harness_tree_new("fs", 0);
	harness_mkdirs("proc/1");
	harness_mkdirs("proc/self");
	harness_mkdirs("host/data");
	harness_mkdirs("host/ro");
	harness_mkdirs("host/with space");
	harness_mkdirs("host/hung");
	host_roots.procfs = harness_path(procdir, "proc");
	host_roots.rootfs = "/";
}

/* The mounts file: every mount point under <tree>/host. */
static void put_mounts(const char *file, const char *lines)
{
	struct buf b = BUF_INIT;
	for (const char *p = lines; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p + 1) : strlen(p);
		/* "@" stands for the tree root */
		for (size_t i = 0; i < n; i++) {
			if (p[i] == '@')
				buf_puts(&b, harness_root);
			else
				buf_putc(&b, p[i]);
		}
		p += n;
	}
	harness_put(file, b.data ? b.data : "");
	buf_free(&b);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool has(const struct buf *out, const char *fmt, ...)
{
	char want[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	return strstr(out->data, want) != NULL;
}

static void do_setup(void)
{
	char err[256];
	cr_assert_eq(collector_filesystem.setup(err, sizeof(err)), 0, "%s", err);
}

TestSuite(filesystem, .init = setup_tree, .fini = harness_tree_free, .timeout = 60);

Test(filesystem, real_statfs)
{
	do_setup();
	put_mounts("proc/1/mounts", "/dev/sda1 @/host/data ext4 rw,relatime 0 0\n"
				    "/dev/sda2 @/host/ro xfs ro,noatime 0 0\n"
				    "/dev/sda2 @/host/ro xfs ro,noatime 0 0\n"
				    "/dev/sda3 @/host/with\\040space ext4 rw 0 0\n"
				    "proc /proc proc rw 0 0\n"
				    "cgroup2 @/host/data cgroup2 rw 0 0\n"
				    "nfs:/x @/host/gone nfs4 rw 0 0\n");
	void *st = calloc(1, collector_filesystem.state_size);
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&collector_filesystem, st, &out), 0);

	struct statfs sfs;
	char path[PATH_MAX];
	harness_path(path, "host/data");
	cr_assert_eq(statfs(path, &sfs), 0);
	cr_assert(has(&out, "# HELP node_filesystem_size_bytes Filesystem size in bytes.\n"
			    "# TYPE node_filesystem_size_bytes gauge\n"));
	char size[64];
	expo_format_double(size, (double)sfs.f_blocks * (double)sfs.f_bsize, 'g');
	cr_assert(has(&out,
		      "node_filesystem_size_bytes{device=\"/dev/sda1\",fstype=\"ext4\","
		      "mountpoint=\"%s/host/data\"} %s\n",
		      harness_root, size),
		  "%s", out.data);
	cr_assert(has(&out,
		      "node_filesystem_device_error{device=\"/dev/sda1\",fstype=\"ext4\","
		      "mountpoint=\"%s/host/data\"} 0\n",
		      harness_root));
	cr_assert(has(&out,
		      "node_filesystem_readonly{device=\"/dev/sda1\",fstype=\"ext4\","
		      "mountpoint=\"%s/host/data\"} 0\n",
		      harness_root));
	cr_assert(has(&out,
		      "node_filesystem_readonly{device=\"/dev/sda2\",fstype=\"xfs\","
		      "mountpoint=\"%s/host/ro\"} 1\n",
		      harness_root));
	cr_assert(has(&out, "node_filesystem_files{device=\"/dev/sda2\""));
	cr_assert(has(&out, "node_filesystem_files_free{device=\"/dev/sda2\""));
	cr_assert(has(&out, "node_filesystem_avail_bytes{device=\"/dev/sda2\""));
	cr_assert(has(&out, "node_filesystem_free_bytes{device=\"/dev/sda2\""));
	/* the duplicate is reported once */
	const char *first = strstr(out.data, "node_filesystem_readonly{device=\"/dev/sda2\"");
	cr_assert_null(strstr(first + 1, "node_filesystem_readonly{device=\"/dev/sda2\""));
	/* \040 is a space */
	cr_assert(has(&out,
		      "node_filesystem_readonly{device=\"/dev/sda3\",fstype=\"ext4\","
		      "mountpoint=\"%s/host/with space\"} 0\n",
		      harness_root));
	/* excluded mount point and type */
	cr_assert_null(strstr(out.data, "mountpoint=\"/proc\""));
	cr_assert_null(strstr(out.data, "cgroup2"));
	/* statfs fails: device_error only */
	cr_assert(has(&out,
		      "node_filesystem_device_error{device=\"nfs:/x\",fstype=\"nfs4\","
		      "mountpoint=\"%s/host/gone\"} 1\n",
		      harness_root));
	cr_assert_null(strstr(out.data, "node_filesystem_size_bytes{device=\"nfs:/x\""));
	collector_filesystem.cleanup(st);
	free(st);
	buf_free(&out);
}

Test(filesystem, rootfs_prefix_is_stripped)
{
	static char rootfs[PATH_MAX];
	host_roots.rootfs = harness_path(rootfs, "host");
	do_setup();
	put_mounts("proc/1/mounts", "/dev/sda1 @/host/data ext4 rw 0 0\n"
				    "/dev/root @/host ext4 rw 0 0\n");
	void *st = calloc(1, collector_filesystem.state_size);
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&collector_filesystem, st, &out), 0);
	cr_assert(has(&out, "node_filesystem_device_error{device=\"/dev/sda1\",fstype=\"ext4\","
			    "mountpoint=\"/data\"} 0\n"),
		  "%s", out.data);
	cr_assert(has(&out, "node_filesystem_device_error{device=\"/dev/root\",fstype=\"ext4\","
			    "mountpoint=\"/\"} 0\n"),
		  "%s", out.data);
	collector_filesystem.cleanup(st);
	free(st);
	buf_free(&out);
}

Test(filesystem, fallback_and_errors)
{
	do_setup();
	void *st = calloc(1, collector_filesystem.state_size);
	struct buf out = BUF_INIT;
	/* neither 1/mounts nor self/mounts */
	cr_assert_eq(harness_scrape(&collector_filesystem, st, &out), -ENOENT);
	collector_filesystem.cleanup(st);
	memset(st, 0, collector_filesystem.state_size);

	put_mounts("proc/self/mounts", "/dev/sda1 @/host/data ext4 rw 0 0\n");
	cr_assert_eq(harness_scrape(&collector_filesystem, st, &out), 0);
	cr_assert(has(&out, "device=\"/dev/sda1\""));
	collector_filesystem.cleanup(st);
	memset(st, 0, collector_filesystem.state_size);

	/* a truncated line fails the collector, as node_exporter */
	put_mounts("proc/1/mounts", "/dev/sda1 @/host/data ext4 rw 0 0\n/dev/sdb1 /x\n");
	cr_assert_eq(harness_scrape(&collector_filesystem, st, &out), -EINVAL);
	/* garbage with enough fields is just a mount that fails statfs */
	put_mounts("proc/1/mounts", "\x01\x02 \xff\xfe zz yy\n");
	cr_assert_eq(harness_scrape(&collector_filesystem, st, &out), 0);
	cr_assert(has(&out, "node_filesystem_device_error{"), "%s", out.data);
	collector_filesystem.cleanup(st);
	free(st);
	buf_free(&out);
}

Test(filesystem, bad_regex_is_setup_error)
{
	struct flag_table t = {"filesystem", collector_filesystem.flags,
			       collector_filesystem.nflags};
	char err[256];
	cr_assert_eq(
		flags_set(&t, 1, "collector.filesystem.ignored-fs-types", "(", err, sizeof(err)),
		0);
	cr_assert_lt(collector_filesystem.setup(err, sizeof(err)), 0);
	cr_assert_eq(flags_set(&t, 1, "collector.filesystem.fs-types-exclude", "^ext4$", err,
			       sizeof(err)),
		     0);
	cr_assert_eq(collector_filesystem.setup(err, sizeof(err)), 0);
	put_mounts("proc/1/mounts", "/dev/sda1 @/host/data ext4 rw 0 0\n"
				    "/dev/sda2 @/host/ro xfs ro 0 0\n");
	void *st = calloc(1, collector_filesystem.state_size);
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&collector_filesystem, st, &out), 0);
	cr_assert_null(strstr(out.data, "ext4"));
	cr_assert(has(&out, "fstype=\"xfs\""));
	collector_filesystem.cleanup(st);
	free(st);
	buf_free(&out);
}

/* The injected statfs: paths containing /hung block until released. */
static pthread_mutex_t hung_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hung_cv = PTHREAD_COND_INITIALIZER;
static bool hung_released;
static int hung_calls;

static int fake_statfs(const char *path, struct statfs *buf)
{
	if (strstr(path, "/hung")) {
		pthread_mutex_lock(&hung_mu);
		hung_calls++;
		while (!hung_released)
			pthread_cond_wait(&hung_cv, &hung_mu);
		pthread_mutex_unlock(&hung_mu);
	}
	return statfs(path, buf);
}

static void release_hung(void)
{
	pthread_mutex_lock(&hung_mu);
	hung_released = true;
	pthread_cond_broadcast(&hung_cv);
	pthread_mutex_unlock(&hung_mu);
}

static void wait_for(int (*count)(void), int want)
{
	double t0 = now();
	while (count() != want && now() - t0 < 10)
		usleep(1000);
	cr_assert_eq(count(), want);
}

static const char *hung_mounts = "/dev/sda1 @/host/data ext4 rw 0 0\n"
				 "srv:/export @/host/hung nfs4 rw 0 0\n"
				 "/dev/sda2 @/host/ro xfs ro 0 0\n";

Test(filesystem, hung_mount_does_not_hang_the_scrape)
{
	mounts_statfs_fn = fake_statfs;
	mounts_statfs_set_timeout(0.3);
	do_setup();
	put_mounts("proc/1/mounts", hung_mounts);
	void *st = calloc(1, collector_filesystem.state_size);
	struct buf out = BUF_INIT;

	double t0 = now();
	cr_assert_eq(harness_scrape(&collector_filesystem, st, &out), 0);
	double took = now() - t0;
	cr_assert(took >= 0.25 && took < 1.5, "first scrape took %.3fs", took);
	cr_assert(has(&out,
		      "node_filesystem_device_error{device=\"srv:/export\",fstype=\"nfs4\","
		      "mountpoint=\"%s/host/hung\"} 1\n",
		      harness_root),
		  "%s", out.data);
	cr_assert_null(strstr(out.data, "node_filesystem_size_bytes{device=\"srv:/export\""));
	/* the mounts before and after the hung one are served */
	cr_assert(has(&out, "node_filesystem_size_bytes{device=\"/dev/sda1\""));
	cr_assert(has(&out, "node_filesystem_size_bytes{device=\"/dev/sda2\""));
	cr_assert_eq(mounts_statfs_stuck(), 1);
	/* one blocked worker plus this scrape thread's fresh one */
	cr_assert_eq(mounts_statfs_workers(), 2);

	/* the stuck mount is skipped at once: no waiting, no new blocked call */
	for (int i = 0; i < 5; i++) {
		t0 = now();
		cr_assert_eq(harness_scrape(&collector_filesystem, st, &out), 0);
		took = now() - t0;
		cr_assert(took < 0.2, "scrape of a stuck mount took %.3fs", took);
		cr_assert(has(&out,
			      "node_filesystem_device_error{device=\"srv:/export\","
			      "fstype=\"nfs4\",mountpoint=\"%s/host/hung\"} 1\n",
			      harness_root));
		cr_assert(has(&out, "node_filesystem_size_bytes{device=\"/dev/sda1\""));
	}
	pthread_mutex_lock(&hung_mu);
	cr_assert_eq(hung_calls, 1);
	pthread_mutex_unlock(&hung_mu);
	cr_assert_eq(mounts_statfs_workers(), 2);

	/* the server comes back: the blocked call returns, the mount recovers */
	release_hung();
	wait_for(mounts_statfs_stuck, 0);
	wait_for(mounts_statfs_workers, 1);
	cr_assert_eq(harness_scrape(&collector_filesystem, st, &out), 0);
	cr_assert(has(&out,
		      "node_filesystem_device_error{device=\"srv:/export\",fstype=\"nfs4\","
		      "mountpoint=\"%s/host/hung\"} 0\n",
		      harness_root));
	cr_assert(has(&out, "node_filesystem_size_bytes{device=\"srv:/export\""));

	collector_filesystem.cleanup(st);
	free(st);
	buf_free(&out);
	wait_for(mounts_statfs_workers, 0);
}

struct scraper {
	void *st;
	struct buf out;
	int rc;
	double took;
};

static void *scrape_thread(void *arg)
{
	struct scraper *s = arg;
	double t0 = now();
	s->rc = harness_scrape(&collector_filesystem, s->st, &s->out);
	s->took = now() - t0;
	return NULL;
}

Test(filesystem, concurrent_scrapes_share_one_blocked_call)
{
	mounts_statfs_fn = fake_statfs;
	mounts_statfs_set_timeout(0.3);
	do_setup();
	put_mounts("proc/1/mounts", hung_mounts);
	enum { N = 4 };
	struct scraper s[N];
	pthread_t tid[N];
	for (int i = 0; i < N; i++) {
		s[i] = (struct scraper){calloc(1, collector_filesystem.state_size), BUF_INIT, 0, 0};
		pthread_create(&tid[i], NULL, scrape_thread, &s[i]);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(tid[i], NULL);
		cr_assert_eq(s[i].rc, 0);
		cr_assert(s[i].took < 1.5, "scrape %d took %.3fs", i, s[i].took);
		cr_assert(has(&s[i].out,
			      "node_filesystem_device_error{device=\"srv:/export\","
			      "fstype=\"nfs4\",mountpoint=\"%s/host/hung\"} 1\n",
			      harness_root));
		cr_assert(has(&s[i].out, "node_filesystem_size_bytes{device=\"/dev/sda2\""));
	}
	/* one call in flight for the hung mount, whatever the number of scrapes */
	pthread_mutex_lock(&hung_mu);
	cr_assert_eq(hung_calls, 1);
	pthread_mutex_unlock(&hung_mu);
	cr_assert_eq(mounts_statfs_stuck(), 1);
	cr_assert_leq(mounts_statfs_workers(), N + 1);

	release_hung();
	wait_for(mounts_statfs_stuck, 0);
	for (int i = 0; i < N; i++) {
		collector_filesystem.cleanup(s[i].st);
		free(s[i].st);
		buf_free(&s[i].out);
	}
	wait_for(mounts_statfs_workers, 0);
}

Test(filesystem, two_hung_mounts_time_out_one_after_the_other)
{
	mounts_statfs_fn = fake_statfs;
	mounts_statfs_set_timeout(0.2);
	do_setup();
	harness_mkdirs("host/hung2");
	put_mounts("proc/1/mounts", "srv:/a @/host/hung nfs4 rw 0 0\n"
				    "/dev/sda1 @/host/data ext4 rw 0 0\n"
				    "srv:/b @/host/hung2 nfs4 rw 0 0\n"
				    "/dev/sda2 @/host/ro xfs ro 0 0\n");
	void *st = calloc(1, collector_filesystem.state_size);
	struct buf out = BUF_INIT;
	double t0 = now();
	cr_assert_eq(harness_scrape(&collector_filesystem, st, &out), 0);
	double took = now() - t0;
	cr_assert(took >= 0.35 && took < 1.5, "scrape took %.3fs", took);
	cr_assert(has(&out, "node_filesystem_device_error{device=\"srv:/a\""));
	cr_assert(has(&out, "node_filesystem_device_error{device=\"srv:/b\""));
	cr_assert(has(&out, "node_filesystem_size_bytes{device=\"/dev/sda1\""));
	cr_assert(has(&out, "node_filesystem_size_bytes{device=\"/dev/sda2\""));
	cr_assert_null(strstr(out.data, "node_filesystem_size_bytes{device=\"srv:"));
	cr_assert_eq(mounts_statfs_stuck(), 2);
	cr_assert_eq(mounts_statfs_workers(), 3);
	/* both are skipped from now on */
	t0 = now();
	cr_assert_eq(harness_scrape(&collector_filesystem, st, &out), 0);
	cr_assert(now() - t0 < 0.15);
	cr_assert_eq(mounts_statfs_workers(), 3);

	release_hung();
	wait_for(mounts_statfs_stuck, 0);
	wait_for(mounts_statfs_workers, 1);
	cr_assert_eq(harness_scrape(&collector_filesystem, st, &out), 0);
	cr_assert(has(&out, "node_filesystem_size_bytes{device=\"srv:/a\""));
	cr_assert(has(&out, "node_filesystem_size_bytes{device=\"srv:/b\""));
	collector_filesystem.cleanup(st);
	free(st);
	buf_free(&out);
	wait_for(mounts_statfs_workers, 0);
}

/* Release the hung mounts after a while, so a scrape that blocked on one still ends. */
static void *release_later(void *arg)
{
	usleep(*(const int *)arg * 1000);
	release_hung();
	return NULL;
}

/*
 * Local filesystems (tmpfs, ramfs, ext2/3/4, XFS: statfs answers from
 * memory) are statfs'd on the scrape thread: no worker is started for them.
 */
Test(filesystem, local_mounts_need_no_worker)
{
	do_setup();
	put_mounts("proc/1/mounts", "/dev/sda1 @/host/data ext4 rw 0 0\n"
				    "tmpfs @/host/ro tmpfs rw 0 0\n"
				    "proc /proc proc rw 0 0\n");
	void *st = calloc(1, collector_filesystem.state_size);
	struct buf out = BUF_INIT;
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(harness_scrape(&collector_filesystem, st, &out), 0);
		cr_assert(has(&out, "node_filesystem_size_bytes{device=\"/dev/sda1\""));
		cr_assert(has(&out, "node_filesystem_size_bytes{device=\"tmpfs\""));
		cr_assert_eq(mounts_statfs_workers(), 0);
	}
	collector_filesystem.cleanup(st);
	free(st);
	buf_free(&out);
}

/*
 * A local filesystem whose path crosses a network mount (mounted below it,
 * or hidden by one mounted later at the same place) stays on the worker:
 * its statfs would hang with the server.  The scrape ends within the mount
 * timeout and reports both as failed.
 */
Test(filesystem, local_mount_behind_a_network_mount_stays_on_the_worker)
{
	mounts_statfs_fn = fake_statfs;
	mounts_statfs_set_timeout(0.2);
	do_setup();
	harness_mkdirs("host/hung/inner");
	put_mounts("proc/1/mounts", "srv:/export @/host/hung nfs4 rw 0 0\n"
				    "/dev/sda1 @/host/hung/inner ext4 rw 0 0\n"
				    "tmpfs @/host/data tmpfs rw 0 0\n"
				    "srv:/over @/host/data nfs4 rw 0 0\n"
				    "/dev/sda2 @/host/ro xfs ro 0 0\n");
	void *st = calloc(1, collector_filesystem.state_size);
	struct buf out = BUF_INIT;
	pthread_t releaser;
	int ms = 3000;
	pthread_create(&releaser, NULL, release_later, &ms);
	double t0 = now();
	cr_assert_eq(harness_scrape(&collector_filesystem, st, &out), 0);
	double took = now() - t0;
	cr_assert(took < 1.5, "the scrape waited %.3fs: a statfs behind the NFS mount ran on it", took);
	cr_assert(has(&out,
		      "node_filesystem_device_error{device=\"/dev/sda1\",fstype=\"ext4\","
		      "mountpoint=\"%s/host/hung/inner\"} 1\n",
		      harness_root),
		  "%s", out.data);
	cr_assert(has(&out, "node_filesystem_size_bytes{device=\"/dev/sda2\""));
	pthread_join(releaser, NULL);
	wait_for(mounts_statfs_stuck, 0);
	collector_filesystem.cleanup(st);
	free(st);
	buf_free(&out);
	wait_for(mounts_statfs_workers, 0);
}

/* Under another --path.rootfs the walk crosses the agent's own mounts: every statfs on the worker. */
Test(filesystem, other_rootfs_keeps_every_statfs_on_the_worker)
{
	host_roots.rootfs = harness_root;
	do_setup();
	put_mounts("proc/1/mounts", "/dev/sda1 @/host/data ext4 rw 0 0\n");
	void *st = calloc(1, collector_filesystem.state_size);
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&collector_filesystem, st, &out), 0);
	cr_assert(has(&out, "node_filesystem_size_bytes{device=\"/dev/sda1\",fstype=\"ext4\","
			    "mountpoint=\"/host/data\"}"),
		  "%s", out.data);
	cr_assert_eq(mounts_statfs_workers(), 1);
	collector_filesystem.cleanup(st);
	free(st);
	buf_free(&out);
	wait_for(mounts_statfs_workers, 0);
}
