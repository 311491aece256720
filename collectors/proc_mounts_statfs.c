// SPDX-License-Identifier: Apache-2.0
/*
 * filesystem: node_filesystem_{size,free,avail}_bytes, node_filesystem_files,
 * node_filesystem_files_free, node_filesystem_readonly and
 * node_filesystem_device_error, labelled device, mountpoint and fstype, as
 * node_exporter 1.5.  The mounts come from <procfs>/1/mounts (the host's
 * mount namespace when the agent runs in a container with the host's
 * /proc), or <procfs>/self/mounts when that is hidden (hidepid), in the
 * fstab-like format of proc(5):
 *
 *   /dev/sda1 /boot ext4 rw,relatime 0 0
 *
 * with blanks in paths escaped as \040 (space) and \011 (tab).  Mount
 * points lose the --path.rootfs prefix; statfs(2) is called on
 * <rootfs>/<mountpoint>.  Mount points and types matching the exclude
 * regexes are skipped; a mount listed twice (same device, mount point and
 * type) is reported once; readonly is 1 when the mount options contain
 * "ro"; a failing statfs gives device_error 1 and no other sample.
 *
 * statfs on a dead NFS server blocks in the kernel, possibly for ever, so
 * it never runs on the scrape thread.  Only local filesystems whose statfs
 * answers from memory (tmpfs, ext4, XFS...; fs_local_ok: reached without
 * crossing any other kind of mount, --path.rootfs "/") are statfs'd on the
 * scrape thread, sparing two thread switches a scrape.  For the others,
 * each scrape thread has a worker
 * thread of its own and hands it the scrape's whole list of mount points at
 * once (one wake-up per scrape, not per mount); the worker statfs's them in
 * order and the scrape waits at most mount-timeout for each one.  When a
 * mount point times out, the scrape reports device_error 1 for it, gives
 * up the worker (left blocked), marks the mount point stuck and hands the
 * rest of the list to a fresh worker.  A stuck mount point is not
 * statfs'd again (device_error 1 at once) until the blocked call returns;
 * then that worker clears the mark and exits.  A process-wide table of the
 * mount points with a call in flight ensures at most one outstanding call
 * per mount point, however many scrapes run (a second one waits for the
 * first, up to its own deadline), so blocked threads are bounded by the
 * number of hung mount points, plus one idle worker per scrape thread.
 *
 * Format: https://man7.org/linux/man-pages/man5/proc_pid_mounts.5.html
 *         https://www.kernel.org/doc/html/latest/filesystems/proc.html
 */
#include "collectors/proc_mounts_statfs.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <time.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/log.h"
#include "common/pfile.h"
#include "common/strutil.h"

#define FS_DEFAULT_MP_EXCLUDE                                                                      \
	"^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)"
#define FS_DEFAULT_TYPE_EXCLUDE                                                                    \
	"^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|"    \
	"iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|"          \
	"squashfs|sysfs|tracefs)$"
#define FS_WORKER_STACK (256 * 1024)

int (*mounts_statfs_fn)(const char *path, struct statfs *buf) = statfs;

static char *fs_mp_exclude_flag, *fs_type_exclude_flag;
static double fs_mount_timeout = 5;
static bool fs_ready;
static struct vregex *fs_mp_exclude_re, *fs_type_exclude_re;

static const struct flag_def fs_flags[] = {
	{"collector.filesystem.mount-points-exclude", FLAG_STRING, &fs_mp_exclude_flag,
	 FS_DEFAULT_MP_EXCLUDE, "Regexp of mount points to exclude for filesystem collector.",
	 "collector.filesystem.ignored-mount-points", NULL},
	{"collector.filesystem.fs-types-exclude", FLAG_STRING, &fs_type_exclude_flag,
	 FS_DEFAULT_TYPE_EXCLUDE, "Regexp of filesystem types to exclude for filesystem collector.",
	 "collector.filesystem.ignored-fs-types", NULL},
	{"collector.filesystem.mount-timeout", FLAG_DURATION, &fs_mount_timeout, "5s",
	 "how long to wait for a mount to respond before marking it as stale", NULL, NULL},
};

struct fs_worker;

/*
 * The process-wide table of mount points with a statfs in flight, and
 * whether it is past its deadline (stuck).  An entry lives while its
 * worker's call runs; the key is the worker's mountpoint copy, so the table
 * allocates nothing per call.
 */
struct fs_inflight {
	struct fs_worker *w;
	bool stuck;
};

/* Lock order: a worker's mu before fs_mu; a worker never holds both. */
static pthread_mutex_t fs_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fs_cv; /* broadcast when an entry goes away */
static pthread_once_t fs_cv_once = PTHREAD_ONCE_INIT;
static struct fs_inflight *fs_table;
static size_t fs_ntable, fs_captable;
static int fs_nworkers;

/* One mount point to statfs, and the outcome. */
struct fs_item {
	const char *mountpoint; /* the scrape's; read by the worker under its mu */
	bool local;		/* statfs'd on the scrape thread (fs_local_ok), not the worker */
	int err;		/* 0, an errno of statfs, or ETIMEDOUT */
	struct statfs result;
};

enum fs_worker_state { W_IDLE, W_BUSY, W_DONE };

/* A worker thread and the list it works on; see the top comment. */
struct fs_worker {
	pthread_mutex_t mu;
	pthread_cond_t work_cv; /* to the worker: list posted, or quit */
	pthread_cond_t done_cv; /* to the scrape: list done */
	enum fs_worker_state state;
	bool quit;
	/* the scrape gave up on it: it frees itself; also read under fs_mu */
	atomic_bool abandoned;
	struct fs_item *items;
	size_t nitems, next;	    /* items[next] is in progress */
	struct timespec item_start; /* when items[next] was started */
	char mountpoint[PATH_MAX];  /* the fs_table key; written under fs_mu */
};

struct fs_mount {
	const char *device, *mountpoint, *fstype, *options;
};

struct filesystem_state {
	struct pfile *pf;
	struct fs_worker *worker;
	struct fs_mount *mounts; /* this scrape's mounts */
	size_t capmounts;
	uint32_t *seen; /* hash set of indices into mounts, 0 = empty, else index + 1 */
	size_t capseen;
	struct fs_item *items; /* the mounts to statfs, in order */
	size_t *item_mount;    /* index into mounts of each item */
	size_t capitems, nitems, nremote; /* nremote: items not local */
	bool parsed; /* mounts and items hold the table pfile_mounts_changed() vouches for */
};

static void fs_cv_init(void)
{
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&fs_cv, &a);
	pthread_condattr_destroy(&a);
}

void mounts_statfs_set_timeout(double seconds)
{
	fs_mount_timeout = seconds;
}

int mounts_statfs_workers(void)
{
	pthread_mutex_lock(&fs_mu);
	int n = fs_nworkers;
	pthread_mutex_unlock(&fs_mu);
	return n;
}

int mounts_statfs_stuck(void)
{
	int n = 0;
	pthread_mutex_lock(&fs_mu);
	for (size_t i = 0; i < fs_ntable; i++)
		n += fs_table[i].stuck;
	pthread_mutex_unlock(&fs_mu);
	return n;
}

static int filesystem_setup(char *errbuf, size_t errlen)
{
	pthread_once(&fs_cv_once, fs_cv_init);
	const char *mp = fs_mp_exclude_flag ? fs_mp_exclude_flag : FS_DEFAULT_MP_EXCLUDE;
	const char *ty = fs_type_exclude_flag ? fs_type_exclude_flag : FS_DEFAULT_TYPE_EXCLUDE;
	vregex_free(fs_mp_exclude_re);
	vregex_free(fs_type_exclude_re);
	fs_mp_exclude_re = fs_type_exclude_re = NULL;
	if (*mp && !(fs_mp_exclude_re = vregex_compile(mp, false, errbuf, errlen)))
		return -EINVAL;
	if (*ty && !(fs_type_exclude_re = vregex_compile(ty, false, errbuf, errlen)))
		return -EINVAL;
	if (fs_mount_timeout <= 0) {
		snprintf(errbuf, errlen, "filesystem: mount-timeout must be positive");
		return -EINVAL;
	}
	log_info("Parsed flag --collector.filesystem.mount-points-exclude\tflag=%s", mp);
	log_info("Parsed flag --collector.filesystem.fs-types-exclude\tflag=%s", ty);
	fs_ready = true;
	return 0;
}

/* Index of the entry for mountpoint in fs_table or -1; fs_mu held. */
static ssize_t fs_table_find(const char *mountpoint)
{
	for (size_t i = 0; i < fs_ntable; i++)
		if (strcmp(fs_table[i].w->mountpoint, mountpoint) == 0)
			return (ssize_t)i;
	return -1;
}

/* Index of the entry of worker w in fs_table or -1; fs_mu held. */
static ssize_t fs_table_find_worker(const struct fs_worker *w)
{
	for (size_t i = 0; i < fs_ntable; i++)
		if (fs_table[i].w == w)
			return (ssize_t)i;
	return -1;
}

static struct timespec fs_add_seconds(struct timespec ts, double seconds)
{
	double whole = (double)(time_t)seconds;
	ts.tv_sec += (time_t)seconds;
	ts.tv_nsec += (long)((seconds - whole) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static bool fs_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* statfs <rootfs>/<mountpoint>: 0 or an errno (logged at debug). */
static int fs_statfs_path(const char *mountpoint, struct statfs *sfs)
{
	char path[PATH_MAX];
	int err = mounts_statfs_fn(root_path(path, "%s", mountpoint), sfs) < 0 ? errno : 0;
	if (err)
		log_debug("Error on statfs() system call\trootfs=%s err=\"%s\"", path,
			  strerror(err));
	return err;
}

/*
 * On worker w: claim mountpoint in fs_table (waiting until deadline when
 * another call has it; at once ETIMEDOUT when it is stuck or w was
 * abandoned), statfs <rootfs>/<mountpoint>, drop the claim.  Returns 0 or
 * an errno.  Called without w->mu.
 */
static int fs_worker_stat(struct fs_worker *w, const char *mountpoint,
			  const struct timespec *deadline, struct statfs *sfs)
{
	pthread_mutex_lock(&fs_mu);
	for (;;) {
		if (atomic_load(&w->abandoned)) {
			pthread_mutex_unlock(&fs_mu);
			return ETIMEDOUT;
		}
		ssize_t i = fs_table_find(mountpoint);
		if (i < 0)
			break;
		if (fs_table[i].stuck ||
		    pthread_cond_timedwait(&fs_cv, &fs_mu, deadline) == ETIMEDOUT) {
			pthread_mutex_unlock(&fs_mu);
			log_debug("Mount point is in an unresponsive state\tmountpoint=%s",
				  mountpoint);
			return ETIMEDOUT;
		}
	}
	if (fs_ntable == fs_captable) {
		fs_captable = fs_captable ? 2 * fs_captable : 8;
		fs_table = xrealloc(fs_table, fs_captable * sizeof(*fs_table));
	}
	snprintf(w->mountpoint, sizeof(w->mountpoint), "%s", mountpoint);
	fs_table[fs_ntable++] = (struct fs_inflight){w, false};
	pthread_mutex_unlock(&fs_mu);

	int err = fs_statfs_path(mountpoint, sfs);

	pthread_mutex_lock(&fs_mu);
	ssize_t i = fs_table_find_worker(w);
	if (i >= 0) {
		if (fs_table[i].stuck)
			log_debug("Mount point has recovered, monitoring will resume"
				  "\tmountpoint=%s",
				  mountpoint);
		fs_table[i] = fs_table[--fs_ntable];
		pthread_cond_broadcast(&fs_cv);
	}
	pthread_mutex_unlock(&fs_mu);
	return err;
}

static void *fs_worker_main(void *arg)
{
	struct fs_worker *w = arg;
	char mountpoint[PATH_MAX]; /* own copy: the scrape's may go once abandoned */
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->state != W_BUSY && !w->quit)
			pthread_cond_wait(&w->work_cv, &w->mu);
		if (w->quit)
			break;
		while (w->next < w->nitems) {
			if (w->items[w->next].local) { /* the scrape's own */
				w->next++;
				continue;
			}
			snprintf(mountpoint, sizeof(mountpoint), "%s",
				 w->items[w->next].mountpoint);
			clock_gettime(CLOCK_MONOTONIC, &w->item_start);
			struct timespec deadline = fs_add_seconds(w->item_start, fs_mount_timeout);
			pthread_mutex_unlock(&w->mu);

			struct statfs sfs;
			int err = fs_worker_stat(w, mountpoint, &deadline, &sfs);

			pthread_mutex_lock(&w->mu);
			if (atomic_load(&w->abandoned))
				goto out;
			w->items[w->next].err = err;
			if (!err)
				w->items[w->next].result = sfs;
			/* no wake-up per item: the scrape's deadline follows item_start */
			w->next++;
		}
		w->state = W_DONE;
		/* signalled unlocked, so the scrape does not wake into a held mutex */
		pthread_mutex_unlock(&w->mu);
		pthread_cond_signal(&w->done_cv);
		pthread_mutex_lock(&w->mu);
	}
out:
	pthread_mutex_unlock(&w->mu);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->work_cv);
	pthread_cond_destroy(&w->done_cv);
	free(w);
	pthread_mutex_lock(&fs_mu);
	fs_nworkers--;
	pthread_mutex_unlock(&fs_mu);
	return NULL;
}

/* Start a worker; NULL (logged) when no thread can be created. */
static struct fs_worker *fs_worker_new(void)
{
	struct fs_worker *w = xcalloc(1, sizeof(*w));
	atomic_init(&w->abandoned, false);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->work_cv, NULL);
	pthread_cond_init(&w->done_cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&w->mu, NULL);

	pthread_attr_t ta;
	pthread_attr_init(&ta);
	pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&ta, FS_WORKER_STACK);
	pthread_mutex_lock(&fs_mu);
	fs_nworkers++;
	pthread_mutex_unlock(&fs_mu);
	pthread_t tid;
	int rc = pthread_create(&tid, &ta, fs_worker_main, w);
	pthread_attr_destroy(&ta);
	if (rc != 0) {
		pthread_mutex_lock(&fs_mu);
		fs_nworkers--;
		pthread_mutex_unlock(&fs_mu);
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->work_cv);
		pthread_cond_destroy(&w->done_cv);
		free(w);
		log_err(-rc, "filesystem: cannot start statfs worker");
		return NULL;
	}
	return w;
}

/* Tell an idle worker to exit; it frees itself. */
static void fs_worker_stop(struct fs_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->quit = true;
	pthread_cond_signal(&w->work_cv);
	pthread_mutex_unlock(&w->mu);
}

/*
 * statfs every item on this scrape thread's worker, waiting at most the
 * mount timeout for each; an item that times out gets ETIMEDOUT and its
 * mount point is marked stuck.
 */
static void fs_statfs_all(struct filesystem_state *st, struct fs_item *items, size_t n)
{
	size_t from = 0;
	while (from < n) {
		if (!st->worker && !(st->worker = fs_worker_new())) {
			for (; from < n; from++)
				if (!items[from].local)
					items[from].err = EAGAIN;
			return;
		}
		struct fs_worker *w = st->worker;
		pthread_mutex_lock(&w->mu);
		w->items = items + from;
		w->nitems = n - from;
		w->next = 0;
		clock_gettime(CLOCK_MONOTONIC, &w->item_start);
		w->state = W_BUSY;
		/* signalled unlocked, so the worker does not wake into a held mutex */
		pthread_mutex_unlock(&w->mu);
		pthread_cond_signal(&w->work_cv);
		pthread_mutex_lock(&w->mu);
		while (w->state != W_DONE) {
			struct timespec deadline = fs_add_seconds(w->item_start, fs_mount_timeout);
			if (pthread_cond_timedwait(&w->done_cv, &w->mu, &deadline) != ETIMEDOUT)
				continue;
			/* the worker may have gone on to the next item meanwhile */
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			deadline = fs_add_seconds(w->item_start, fs_mount_timeout);
			if (w->state != W_DONE && !fs_before(&now, &deadline))
				break;
		}
		if (w->state == W_DONE) {
			w->state = W_IDLE;
			pthread_mutex_unlock(&w->mu);
			return;
		}

		/*
		 * Give the worker up.  Holding w->mu keeps it alive (it frees
		 * itself only after seeing abandoned under w->mu); it claims
		 * entries only while not abandoned (checked under fs_mu), so
		 * either its entry is there to mark, or it will not make one.
		 */
		size_t k = w->next;
		atomic_store(&w->abandoned, true);
		pthread_mutex_lock(&fs_mu);
		ssize_t i = fs_table_find_worker(w);
		if (i >= 0) {
			fs_table[i].stuck = true;
			log_debug("Mount point timed out, it is being labeled as stuck and will "
				  "not be monitored\tmountpoint=%s",
				  w->mountpoint);
		}
		pthread_mutex_unlock(&fs_mu);
		pthread_mutex_unlock(&w->mu);
		st->worker = NULL;
		items[from + k].err = ETIMEDOUT;
		from += k + 1;
	}
}

/*
 * Filesystems whose statfs(2) answers from counters in memory: no server to
 * wait for, no read from the device (a dead disk under ext4 or XFS still
 * answers).  Network and FUSE filesystems, autofs, overlay (whose lower
 * layer may be anything), btrfs, vfat and the rest stay on the worker.
 */
static bool fs_type_local(const char *type)
{
	static const char *const local[] = {"tmpfs", "ramfs", "ext2", "ext3", "ext4", "xfs"};
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
		if (strcmp(type, local[i]) == 0)
			return true;
	return false;
}

/* Whether mount point a is path b or one of its ancestors. */
static bool fs_path_covers(const char *a, const char *b)
{
	size_t n = strlen(a);
	if (n == 1 && a[0] == '/')
		return true;
	return strncmp(a, b, n) == 0 && (b[n] == '\0' || b[n] == '/');
}

/* Above this many mounts the quadratic check below is not worth it: all go to the worker. */
#define FS_LOCAL_MAX_MOUNTS 1024

/*
 * Whether mounts[i] (of n) may be statfs'd on the scrape thread, sparing
 * the worker's round trip: its type is local, and so is every mount the
 * walk to its path crosses (those at its mount point, which hide it when
 * mounted later, and above it: an ext4 under an NFS or autofs mount point
 * stays on the worker).  Only when the mount points are the agent's own
 * paths (--path.rootfs "/"): under another root the walk crosses mounts of
 * the agent's namespace, which this table does not show.
 */
static bool fs_local_ok(const struct filesystem_state *st, size_t n, size_t i)
{
	const struct fs_mount *m = &st->mounts[i];
	if (n > FS_LOCAL_MAX_MOUNTS || strcmp(host_roots.rootfs, "/") != 0 ||
	    !fs_type_local(m->fstype))
		return false;
	for (size_t j = 0; j < n; j++)
		if (j != i && !fs_type_local(st->mounts[j].fstype) &&
		    fs_path_covers(st->mounts[j].mountpoint, m->mountpoint))
			return false;
	return true;
}

/* Replace \040 and \011 by space and tab in place, as node_exporter (fstab(5)). */
static void fs_unescape(char *s)
{
	char *d = s;
	while (*s) {
		if (s[0] == '\\' && s[1] == '0' && s[2] == '4' && s[3] == '0') {
			*d++ = ' ';
			s += 4;
		} else if (s[0] == '\\' && s[1] == '0' && s[2] == '1' && s[3] == '1') {
			*d++ = '\t';
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

static uint64_t fs_hash(const struct fs_mount *m)
{
	uint64_t h = 1469598103934665603ULL;
	const char *parts[3] = {m->device, m->mountpoint, m->fstype};
	for (int p = 0; p < 3; p++) {
		for (const char *s = parts[p]; *s; s++)
			h = (h ^ (unsigned char)*s) * 1099511628211ULL;
		h = (h ^ 0xff) * 1099511628211ULL;
	}
	return h;
}

/* True when mounts[idx] has the labels of an earlier mount of this scrape; else remember it. */
static bool fs_seen(struct filesystem_state *st, size_t idx)
{
	const struct fs_mount *m = &st->mounts[idx];
	size_t mask = st->capseen - 1;
	for (size_t j = fs_hash(m) & mask;; j = (j + 1) & mask) {
		if (!st->seen[j]) {
			st->seen[j] = (uint32_t)idx + 1;
			return false;
		}
		const struct fs_mount *o = &st->mounts[st->seen[j] - 1];
		if (strcmp(o->mountpoint, m->mountpoint) == 0 &&
		    strcmp(o->device, m->device) == 0 && strcmp(o->fstype, m->fstype) == 0)
			return true;
	}
}

static bool fs_has_ro(const char *options)
{
	for (const char *p = options; p;) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		if (n == 2 && p[0] == 'r' && p[1] == 'o')
			return true;
		p = c ? c + 1 : NULL;
	}
	return false;
}

static void fs_emit(struct expo_set *out, const struct fs_mount *m, const char *name,
		    const char *help, double v)
{
	expo_addl(expo_family(out, name, help, EXPO_GAUGE), v, "device", m->device, "mountpoint",
		  m->mountpoint, "fstype", m->fstype, NULL);
}

static int fs_open_mounts(struct filesystem_state *st)
{
	char path[PATH_MAX];
	st->pf = pfile_open(proc_path(path, "1/mounts"), NULL);
	if (!st->pf && errno == ENOENT) {
		log_debug("Reading root mounts failed, falling back to system mounts\terr=\"%s\"",
			  strerror(errno));
		st->pf = pfile_open(proc_path(path, "self/mounts"), NULL);
	}
	if (!st->pf)
		return -errno;
	return 0;
}

static int filesystem_collect(void *state, struct expo_set *out)
{
	struct filesystem_state *st = state;
	if (!fs_ready) /* setup() did not run */
		return -EINVAL;
	int rc = 0;
	if (!st->pf && (rc = fs_open_mounts(st)) < 0)
		return rc;
	/* the mount table as last parsed, while the kernel says it has not changed */
	if (st->parsed && !pfile_mounts_changed(st->pf))
		goto statfs;
	st->parsed = false;
	if ((rc = pfile_read(st->pf)) < 0)
		return rc;

	/* collect and check the mount list first: a malformed line fails the scrape */
	size_t n = 0, nlines = pfile_lines(st->pf);
	if (nlines > st->capmounts) {
		st->capmounts = nlines + 16;
		st->mounts = xrealloc(st->mounts, st->capmounts * sizeof(*st->mounts));
	}
	for (size_t l = 0; l < nlines; l++) {
		size_t nw = pfile_words(st->pf, l);
		if (nw == 0)
			continue;
		if (nw < 4)
			return log_err(-EINVAL,
				       "filesystem: malformed mount point information "
				       "at line %zu of %s",
				       l + 1, pfile_path(st->pf));
		/* the words live in the handle's own buffer until the next read */
		char *mp = (char *)pfile_word(st->pf, l, 1);
		fs_unescape(mp);
		st->mounts[n++] = (struct fs_mount){
			.device = pfile_word(st->pf, l, 0),
			.mountpoint = rootfs_strip(mp),
			.fstype = pfile_word(st->pf, l, 2),
			.options = pfile_word(st->pf, l, 3),
		};
	}
	size_t want = 16;
	while (want < 2 * n)
		want *= 2;
	if (want > st->capseen) {
		free(st->seen);
		st->seen = xmalloc(want * sizeof(*st->seen));
		st->capseen = want;
	}
	memset(st->seen, 0, st->capseen * sizeof(*st->seen));

	if (n > st->capitems) {
		st->capitems = n + 16;
		st->items = xrealloc(st->items, st->capitems * sizeof(*st->items));
		st->item_mount = xrealloc(st->item_mount, st->capitems * sizeof(*st->item_mount));
	}
	size_t nitems = 0, nremote = 0;
	for (size_t i = 0; i < n; i++) {
		const struct fs_mount *m = &st->mounts[i];
		if (fs_mp_exclude_re && vregex_match(fs_mp_exclude_re, m->mountpoint)) {
			log_debug("Ignoring mount point\tmountpoint=%s", m->mountpoint);
			continue;
		}
		if (fs_type_exclude_re && vregex_match(fs_type_exclude_re, m->fstype)) {
			log_debug("Ignoring fs\ttype=%s", m->fstype);
			continue;
		}
		if (fs_seen(st, i))
			continue;
		bool local = fs_local_ok(st, n, i);
		st->items[nitems] = (struct fs_item){.mountpoint = m->mountpoint, .local = local};
		st->item_mount[nitems++] = i;
		nremote += !local;
	}
	st->nitems = nitems;
	st->nremote = nremote;
	st->parsed = true;

statfs:
	nitems = st->nitems;
	for (size_t i = 0; i < nitems; i++)
		if (st->items[i].local)
			st->items[i].err = fs_statfs_path(st->items[i].mountpoint, &st->items[i].result);
	if (st->nremote)
		fs_statfs_all(st, st->items, nitems);

	for (size_t i = 0; i < nitems; i++) {
		const struct fs_mount *m = &st->mounts[st->item_mount[i]];
		const struct fs_item *it = &st->items[i];
		fs_emit(out, m, "node_filesystem_device_error",
			"Whether an error occurred while getting statistics for the given device.",
			it->err ? 1 : 0);
		if (it->err)
			continue;
		double bsize = (double)it->result.f_bsize;
		fs_emit(out, m, "node_filesystem_size_bytes", "Filesystem size in bytes.",
			(double)it->result.f_blocks * bsize);
		fs_emit(out, m, "node_filesystem_free_bytes", "Filesystem free space in bytes.",
			(double)it->result.f_bfree * bsize);
		fs_emit(out, m, "node_filesystem_avail_bytes",
			"Filesystem space available to non-root users in bytes.",
			(double)it->result.f_bavail * bsize);
		fs_emit(out, m, "node_filesystem_files", "Filesystem total file nodes.",
			(double)it->result.f_files);
		fs_emit(out, m, "node_filesystem_files_free", "Filesystem total free file nodes.",
			(double)it->result.f_ffree);
		fs_emit(out, m, "node_filesystem_readonly", "Filesystem read-only status.",
			fs_has_ro(m->options) ? 1 : 0);
	}
	return 0;
}

static void filesystem_cleanup(void *state)
{
	struct filesystem_state *st = state;
	fs_worker_stop(st->worker);
	pfile_close(st->pf);
	free(st->mounts);
	free(st->seen);
	free(st->items);
	free(st->item_mount);
}

const struct collector collector_filesystem = {
	.name = "filesystem",
	.default_on = true,
	.state_size = sizeof(struct filesystem_state),
	.flags = fs_flags,
	.nflags = ARRAY_SIZE(fs_flags),
	.setup = filesystem_setup,
	.collect = filesystem_collect,
	.cleanup = filesystem_cleanup,
};
