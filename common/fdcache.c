// SPDX-License-Identifier: Apache-2.0
/*
 * A chained hash table from absolute path to a kept descriptor or directory
 * stream.  Paths that may not be kept (not on procfs or sysfs, or through
 * /class/net/) are remembered too, with no descriptor, so the fstatfs(2)
 * that decides it runs once per path, not once per read.
 *
 * Absent files are remembered as well (see fdcache.h): an entry records the
 * cache's epoch in which its open failed with ENOENT or ENOTDIR, and the
 * epoch moves on when a kernel uevent arrives or NEG_TTL_S has passed.  The
 * uevent socket is the process's, drained by whichever scrape binds first.
 */
#include "common/fdcache.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"

#define PROC_MAGIC 0x9fa0
#define SYSFS_MAGIC 0x62656572
#define NBUCKETS 1024
/* Longest an absence is believed without a uevent to end it. */
#define NEG_TTL_S 60

/* Whether an absence of the path may be remembered: decided at the first. */
enum neg_rule { NEG_UNDECIDED, NEG_NEVER, NEG_MAY };

struct fdcache_entry {
	struct fdcache_entry *next;
	int fd; /* kept descriptor (of a file or a directory), or -1 */
	bool keep; /* false: a path that is never kept */
	unsigned char neg_rule;	    /* enum neg_rule */
	int neg_errno;		    /* ENOENT or ENOTDIR while absent, else 0 */
	unsigned long neg_epoch;    /* the cache's epoch when found absent */
	char path[];
};

struct fdcache {
	struct fdcache_entry *bucket[NBUCKETS];
	unsigned open; /* descriptors and streams kept */
	unsigned long epoch;	/* absences of older epochs are forgotten */
	unsigned long uev_seen; /* uevent_gen when the epoch began */
	time_t epoch_start;	/* CLOCK_MONOTONIC seconds */
};

static _Thread_local struct fdcache *current;

/* The process's kernel uevent listener; -1 when there is none. */
static int uevent_fd = -1;
static pthread_once_t uevent_once = PTHREAD_ONCE_INIT;
/* Bumped each time a drain finds uevents (or lost some). */
static atomic_ulong uevent_gen;

static void uevent_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			NETLINK_KOBJECT_UEVENT);
	if (fd < 0)
		return;
	/*
	 * The smallest receive buffer: a burst of uevents between two scrapes
	 * overflows it (ENOBUFS, one change) instead of queueing hundreds of
	 * messages for the next drain to read one by one.
	 */
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one));
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = 1};
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return;
	}
	uevent_fd = fd;
}

/* Read and discard every queued uevent; count them as one change if any. */
static void uevent_drain(void)
{
	bool any = false;
	for (;;) {
		char b[1];
		ssize_t n = recv(uevent_fd, b, sizeof(b), MSG_DONTWAIT | MSG_TRUNC);
		if (n >= 0 || errno == ENOBUFS) /* ENOBUFS: some were lost */
			any = true;
		else if (errno != EINTR)
			break;
	}
	if (any)
		atomic_fetch_add(&uevent_gen, 1);
}

static time_t mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec;
}

struct fdcache *fdcache_new(void)
{
	pthread_once(&uevent_once, uevent_open);
	struct fdcache *c = xcalloc(1, sizeof(struct fdcache));
	c->epoch = 1;
	c->epoch_start = mono_s();
	return c;
}

static void entry_close(struct fdcache *c, struct fdcache_entry *e)
{
	if (e->fd >= 0) {
		close(e->fd);
		c->open--;
	}
	e->fd = -1;
}

void fdcache_free(struct fdcache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < NBUCKETS; i++) {
		struct fdcache_entry *e = c->bucket[i];
		while (e) {
			struct fdcache_entry *next = e->next;
			entry_close(c, e);
			free(e);
			e = next;
		}
	}
	if (current == c)
		current = NULL;
	free(c);
}

void fdcache_bind(struct fdcache *c)
{
	current = c;
	if (!c || uevent_fd < 0)
		return;
	uevent_drain();
	unsigned long gen = atomic_load(&uevent_gen);
	time_t now = mono_s();
	if (gen != c->uev_seen || now - c->epoch_start >= NEG_TTL_S) {
		c->epoch++;
		c->uev_seen = gen;
		c->epoch_start = now;
	}
}

struct fdcache *fdcache_current(void)
{
	return current;
}

unsigned fdcache_size(const struct fdcache *c)
{
	return c ? c->open : 0;
}

static uint32_t path_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static struct fdcache_entry *entry_find(struct fdcache *c, const char *path, bool create)
{
	struct fdcache_entry **head = &c->bucket[path_hash(path) % NBUCKETS];
	for (struct fdcache_entry *e = *head; e; e = e->next)
		if (!strcmp(e->path, path))
			return e;
	if (!create)
		return NULL;
	size_t len = strlen(path);
	struct fdcache_entry *e = xmalloc(sizeof(*e) + len + 1);
	memcpy(e->path, path, len + 1);
	e->fd = -1;
	e->keep = true;
	e->neg_rule = NEG_UNDECIDED;
	e->neg_errno = 0;
	e->next = *head;
	*head = e;
	return e;
}

/* Whether fd, opened as path, may be kept: see fdcache.h. */
static bool keepable(int fd, const char *path)
{
	/* devices that can be renamed: see fdcache.h */
	if (strstr(path, "/class/net/") || strstr(path, "/class/infiniband/"))
		return false;
	struct statfs sfs;
	if (fstatfs(fd, &sfs))
		return false;
	return sfs.f_type == PROC_MAGIC || sfs.f_type == SYSFS_MAGIC;
}

/* The entry of path in the thread's cache (made if new), or NULL when none applies. */
static struct fdcache_entry *entry_of(const char *path)
{
	return current && path[0] == '/' ? entry_find(current, path, true) : NULL;
}

/* Whether e may take fd, freshly opened as its path: decided once per path. */
static bool entry_takes(struct fdcache_entry *e, int fd)
{
	if (!e || !e->keep || current->open >= FDCACHE_MAX)
		return false;
	e->keep = keepable(fd, e->path);
	current->open += e->keep;
	return e->keep;
}

/*
 * Whether an absence of path may be remembered: it would be on procfs or
 * sysfs (its nearest existing ancestor is), and no component is a number
 * (a process's directory comes and goes without a uevent).
 */
static bool absence_rememberable(const char *path)
{
	if (uevent_fd < 0)
		return false;
	for (const char *p = path; *p;) {
		while (*p == '/')
			p++;
		const char *q = p;
		while (*q >= '0' && *q <= '9')
			q++;
		if (q > p && (*q == '/' || !*q))
			return false;
		while (*q && *q != '/')
			q++;
		p = q;
	}
	char dir[PATH_MAX];
	size_t len = strlen(path);
	if (len >= sizeof(dir))
		return false;
	memcpy(dir, path, len + 1);
	for (;;) {
		char *slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			return false;
		*slash = '\0';
		struct statfs sfs;
		if (statfs(dir, &sfs) == 0)
			return sfs.f_type == PROC_MAGIC || sfs.f_type == SYSFS_MAGIC;
		if (errno != ENOENT && errno != ENOTDIR)
			return false;
	}
}

/* Remember that path (entry e, may be NULL) failed with err, when it may be. */
static void note_absent(struct fdcache_entry *e, const char *path, int err)
{
	if (!e || (err != ENOENT && err != ENOTDIR))
		return;
	if (e->neg_rule == NEG_UNDECIDED)
		e->neg_rule = absence_rememberable(path) ? NEG_MAY : NEG_NEVER;
	if (e->neg_rule == NEG_MAY) {
		e->neg_errno = err;
		e->neg_epoch = current->epoch;
	}
}

/* The errno path (entry e, may be NULL) is remembered absent with, or 0. */
static int known_absent(const struct fdcache_entry *e)
{
	return e && e->neg_errno && e->neg_epoch == current->epoch ? e->neg_errno : 0;
}

/* See fdcache_open(); with may_keep false the caller always owns the descriptor. */
static int cache_open(const char *path, int flags, bool may_keep, bool *kept)
{
	struct fdcache_entry *e = entry_of(path);
	*kept = may_keep && e && e->fd >= 0;
	if (*kept)
		return e->fd;
	int absent = known_absent(e);
	if (absent)
		return -absent;
	int fd = open(path, flags | O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		note_absent(e, path, err);
		return -err;
	}
	if (e)
		e->neg_errno = 0;
	if (may_keep && (*kept = entry_takes(e, fd)))
		e->fd = fd;
	return fd;
}

int fdcache_open(const char *path, bool *kept)
{
	return cache_open(path, 0, true, kept);
}

int fdcache_open_owned(const char *path)
{
	bool kept;
	return cache_open(path, 0, false, &kept);
}

int fdcache_opendir(const char *path, bool *kept)
{
	int fd = cache_open(path, O_DIRECTORY, true, kept);
	if (fd >= 0 && *kept && lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	return fd;
}

int fdcache_stat(const char *path, struct stat *sb)
{
	struct fdcache_entry *e = entry_of(path);
	int absent = known_absent(e);
	if (absent)
		return -absent;
	if (stat(path, sb) < 0) {
		int err = errno;
		note_absent(e, path, err);
		return -err;
	}
	if (e)
		e->neg_errno = 0;
	return 0;
}

void fdcache_drop(const char *path)
{
	struct fdcache_entry *e = current ? entry_find(current, path, false) : NULL;
	if (e && e->fd >= 0) {
		close(e->fd);
		e->fd = -1;
		current->open--;
	}
}

long fdcache_raise_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 0;
	if (rl.rlim_cur < rl.rlim_max) {
		struct rlimit want = {rl.rlim_max, rl.rlim_max};
		if (setrlimit(RLIMIT_NOFILE, &want) == 0)
			rl = want;
	}
	return rl.rlim_cur > LONG_MAX ? LONG_MAX : (long)rl.rlim_cur;
}
