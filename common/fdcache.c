// SPDX-License-Identifier: Apache-2.0
/*
 * A chained hash table from absolute path to a kept descriptor or directory
 * stream.  Paths that may not be kept (not on procfs or sysfs, or through
 * /class/net/) are remembered too, with no descriptor, so the fstatfs(2)
 * that decides it runs once per path, not once per read.
 */
#include "common/fdcache.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/buf.h"

#define PROC_MAGIC 0x9fa0
#define SYSFS_MAGIC 0x62656572
#define NBUCKETS 1024

struct fdcache_entry {
	struct fdcache_entry *next;
	int fd; /* kept descriptor (of a file or a directory), or -1 */
	bool keep; /* false: a path that is never kept */
	char path[];
};

struct fdcache {
	struct fdcache_entry *bucket[NBUCKETS];
	unsigned open; /* descriptors and streams kept */
};

static _Thread_local struct fdcache *current;

struct fdcache *fdcache_new(void)
{
	return xcalloc(1, sizeof(struct fdcache));
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

static int cache_open(const char *path, int flags, bool *kept)
{
	struct fdcache_entry *e = entry_of(path);
	*kept = e && e->fd >= 0;
	if (*kept)
		return e->fd;
	int fd = open(path, flags | O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if ((*kept = entry_takes(e, fd)))
		e->fd = fd;
	return fd;
}

int fdcache_open(const char *path, bool *kept)
{
	return cache_open(path, 0, kept);
}

int fdcache_opendir(const char *path, bool *kept)
{
	int fd = cache_open(path, O_DIRECTORY, kept);
	if (fd >= 0 && *kept && lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	return fd;
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
