// SPDX-License-Identifier: Apache-2.0
/*
 * Kept kernel-file descriptors: procfs files are kept and still read fresh
 * values, regular files are never kept, a descriptor whose process died is
 * dropped and the read gives what a fresh open gives, kept directories see
 * new entries, and nothing is kept with no cache bound; pfile_mounts_changed()
 * follows the mount table by poll(2) and says "changed" for plain files.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fdcache.h"
#include "common/pfile.h"

static struct fdcache *cache;

static void setup(void)
{
	cache = fdcache_new();
	fdcache_bind(cache);
}

static void teardown(void)
{
	fdcache_bind(NULL);
	fdcache_free(cache);
}

TestSuite(fdcache, .init = setup, .fini = teardown);

Test(fdcache, procfs_kept_and_fresh)
{
	char buf[64];
	prctl(PR_SET_NAME, "first", 0, 0, 0);
	cr_assert_eq(read_small_file("/proc/thread-self/comm", buf, sizeof(buf)), 5);
	cr_assert_str_eq(buf, "first");
	cr_assert_eq(fdcache_size(cache), 1);
	prctl(PR_SET_NAME, "second-name", 0, 0, 0);
	cr_assert_eq(read_small_file("/proc/thread-self/comm", buf, sizeof(buf)), 11);
	cr_assert_str_eq(buf, "second-name");
	char *v;
	cr_assert_eq(read_attr_trimmed(AT_FDCWD, "/proc/thread-self/comm", buf, sizeof(buf), &v), 0);
	cr_assert_str_eq(v, "second-name");
	cr_assert_eq(fdcache_size(cache), 1, "one descriptor for one path");
}

Test(fdcache, regular_files_not_kept)
{
	char path[] = "/tmp/vigil-fdcache-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "12\n", 3), 3);
	close(fd);
	uint64_t v;
	cr_assert_eq(read_u64_file(path, &v), 0);
	cr_assert_eq(v, 12);
	cr_assert_eq(fdcache_size(cache), 0);
	/* replaced by rename, as textfile writers do: the new content is read */
	char tmp[64];
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	FILE *f = fopen(tmp, "w");
	fputs("34\n", f);
	fclose(f);
	cr_assert_eq(rename(tmp, path), 0);
	cr_assert_eq(read_u64_file(path, &v), 0);
	cr_assert_eq(v, 34);
	unlink(path);
}

Test(fdcache, dead_process_dropped)
{
	pid_t child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	char path[64], buf[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)child);
	cr_assert_gt(read_small_file(path, buf, sizeof(buf)), 0);
	cr_assert_eq(fdcache_size(cache), 1);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	/* what a fresh open gives, and the dead descriptor is gone */
	cr_assert_eq(read_small_file(path, buf, sizeof(buf)), -ENOENT);
	cr_assert_eq(fdcache_size(cache), 0);
}

static void *idle(void *arg)
{
	pthread_barrier_wait(arg);
	pthread_barrier_wait(arg);
	return NULL;
}

Test(fdcache, kept_directory_sees_new_entries)
{
	struct dir_list l = {0};
	cr_assert_eq(dir_list_read(&l, "/proc/self/task", NULL), 0);
	size_t before = l.n;
	cr_assert_eq(fdcache_size(cache), 1);
	pthread_barrier_t b;
	pthread_barrier_init(&b, NULL, 2);
	pthread_t t;
	pthread_create(&t, NULL, idle, &b);
	pthread_barrier_wait(&b);
	cr_assert_eq(dir_list_read(&l, "/proc/self/task", NULL), 0);
	cr_assert_eq(l.n, before + 1);
	pthread_barrier_wait(&b);
	pthread_join(t, NULL);
	pthread_barrier_destroy(&b);
	dir_list_free(&l);
}

Test(fdcache, nothing_kept_unbound)
{
	fdcache_bind(NULL);
	char buf[64];
	cr_assert_gt(read_small_file("/proc/self/stat", buf, sizeof(buf)), 0);
	cr_assert_eq(fdcache_size(cache), 0);
	fdcache_bind(cache);
}

Test(pfile_mounts_changed, mount_table)
{
	/* a mount namespace of our own, so the test's mount touches nothing else */
	if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		cr_skip_test("needs CAP_SYS_ADMIN for a private mount namespace");
	struct pfile *pf = pfile_open("/proc/self/mounts", NULL);
	cr_assert_not_null(pf);
	cr_assert(pfile_mounts_changed(pf), "the first call always reads");
	cr_assert_eq(pfile_read(pf), 0);
	cr_assert_not(pfile_mounts_changed(pf), "nothing mounted since");
	char dir[] = "/tmp/vigil-mnt-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(mount("vigil-test", dir, "tmpfs", 0, "size=64k"), 0);
	cr_assert(pfile_mounts_changed(pf), "a mount changes the table");
	cr_assert_not(pfile_mounts_changed(pf));
	cr_assert_eq(mount(NULL, dir, NULL, MS_REMOUNT | MS_RDONLY, "size=64k"), 0);
	cr_assert(pfile_mounts_changed(pf), "a remount read-only changes the table");
	cr_assert_eq(umount(dir), 0);
	cr_assert(pfile_mounts_changed(pf), "an unmount changes the table");
	rmdir(dir);
	pfile_close(pf);

	/* a regular file cannot tell: always changed */
	char path[] = "/tmp/vigil-mounts-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	pf = pfile_open(path, NULL);
	cr_assert(pfile_mounts_changed(pf));
	cr_assert_eq(pfile_read(pf), 0);
	cr_assert(pfile_mounts_changed(pf));
	pfile_close(pf);
	unlink(path);
}

/* An absent path outside procfs and sysfs is looked up again every time. */
Test(fdcache, absent_regular_path_not_remembered)
{
	char dir[] = "/tmp/vigil-absent-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char path[sizeof(dir) + 8];
	snprintf(path, sizeof(path), "%s/f", dir);
	struct stat sb;
	cr_assert_eq(fdcache_open_owned(path), -ENOENT);
	cr_assert_eq(fdcache_stat(path, &sb), -ENOENT);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fclose(f);
	cr_assert_eq(fdcache_stat(path, &sb), 0, "a new regular file is seen at once by stat");
	int fd = fdcache_open_owned(path);
	cr_assert_geq(fd, 0, "a new regular file is seen at once");
	close(fd);
	unlink(path);
	rmdir(dir);
}

/* Run cmd through the shell quietly; its exit status, or -1. */
static int quiet(const char *cmd)
{
	char full[256];
	snprintf(full, sizeof(full), "%s >/dev/null 2>&1", cmd);
	int st = system(full);
	return st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * A device's sysfs attribute is remembered as absent until a uevent says
 * the device came: in a network and mount namespace of the test's own, with
 * a sysfs mounted there, create a device after the first failed open.
 */
Test(fdcache_absent, sysfs_absence_ends_with_uevent)
{
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) != 0 ||
	    mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("sysfs", "/sys", "sysfs", 0, NULL) != 0)
		cr_skip_test("needs CAP_SYS_ADMIN for private network and mount namespaces");
	struct fdcache *c = fdcache_new(); /* its uevent socket is in this namespace */
	fdcache_bind(c);
	const char *path = "/sys/class/net/vgabs0/mtu", *dir = "/sys/class/net/vgabs0/queues";
	struct stat sb;
	cr_assert_eq(fdcache_open_owned(path), -ENOENT);
	cr_assert_eq(fdcache_stat(dir, &sb), -ENOENT);
	if (quiet("ip link add vgabs0 type dummy") != 0 && quiet("ip link add vgabs0 type ifb") != 0)
		cr_skip_test("cannot create a dummy or ifb device (ip(8) missing or no driver)");
	cr_assert_eq(fdcache_open_owned(path), -ENOENT,
		     "no new lookup within a scrape: the absence is remembered");
	cr_assert_eq(fdcache_stat(dir, &sb), -ENOENT, "stat too: the absence is remembered");
	fdcache_bind(c); /* the next scrape reads the device's uevent */
	int fd = fdcache_open_owned(path);
	cr_assert_geq(fd, 0, "the uevent ended the remembered absence: %s", strerror(-fd));
	cr_assert_eq(fdcache_stat(dir, &sb), 0, "and for stat");
	cr_assert(S_ISDIR(sb.st_mode));
	close(fd);
	quiet("ip link del vgabs0");
	fdcache_bind(c);
	cr_assert_eq(fdcache_open_owned(path), -ENOENT, "removed again");
	fdcache_bind(NULL);
	fdcache_free(c);
}
