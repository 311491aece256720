// SPDX-License-Identifier: Apache-2.0
/*
 * Cgroup layout detection and the walk over every cgroup.
 *
 * mountinfo (Documentation/filesystems/proc.rst, "/proc/<pid>/mountinfo"):
 *   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - cgroup cgroup rw,cpu,cpuacct
 *   (1)(2)(3)   (4)   (5)      (6)      (7)   (8) (9)   (10)      (11)
 * fields after "-": filesystem type, source, super options; a v1 hierarchy
 * lists its controllers among the super options.  Trees:
 * https://docs.kernel.org/admin-guide/cgroup-v2.html and
 * https://docs.kernel.org/admin-guide/cgroup-v1/cgroups.html
 *
 * libcgroup is not used: finding the mounts is one pass over mountinfo,
 * and tests need the same code to work on a plain directory tree.
 */
#include "collectors/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collectors/hostpath.h"
#include "common/pfile.h"

static const char *const ctl_names[CG_NCTL] = {"cpu", "cpuacct", "memory", "blkio", "pids"};

const char *cgroup_mode_name(enum cgroup_mode m)
{
	switch (m) {
	case CGROUP_V1:
		return "v1";
	case CGROUP_V2:
		return "v2";
	case CGROUP_HYBRID:
		return "hybrid";
	default:
		return "none";
	}
}

void cgroup_layout_free(struct cgroup_layout *l)
{
	for (int i = 0; i < CG_NCTL; i++) {
		free(l->v1[i]);
		l->v1[i] = NULL;
	}
	free(l->v2);
	l->v2 = NULL;
	l->mode = CGROUP_NONE;
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool has_file(const char *dir, const char *name)
{
	char p[PATH_MAX];
	int n = snprintf(p, sizeof(p), "%s/%s", dir, name);
	return n > 0 && (size_t)n < sizeof(p) && access(p, F_OK) == 0;
}

/* Record a v1 hierarchy at dir for each controller named in the comma list opts. */
static bool note_v1(struct cgroup_layout *l, const char *opts, const char *dir)
{
	bool any = false;
	char tmp[256];
	snprintf(tmp, sizeof(tmp), "%s", opts);
	for (char *save = NULL, *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		for (int i = 0; i < CG_NCTL; i++) {
			if (strcmp(t, ctl_names[i]) == 0 && !l->v1[i]) {
				l->v1[i] = xstrdup(dir);
				any = true;
			}
		}
	}
	return any;
}

static void set_mode(struct cgroup_layout *l)
{
	bool v1 = false;
	for (int i = 0; i < CG_NCTL; i++)
		v1 |= l->v1[i] != NULL;
	if (v1 && l->v2)
		l->mode = CGROUP_HYBRID;
	else if (v1)
		l->mode = CGROUP_V1;
	else if (l->v2)
		l->mode = CGROUP_V2;
	else
		l->mode = CGROUP_NONE;
}

static int detect_from_tree(const char *root, struct cgroup_layout *l)
{
	if (has_file(root, "cgroup.controllers")) {
		l->v2 = xstrdup(root);
		set_mode(l);
		return 0;
	}
	DIR *d = opendir(root);
	if (!d)
		return -errno;
	struct dirent *de;
	char p[PATH_MAX];
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", root, de->d_name);
		if (!is_dir(p))
			continue;
		if (!l->v2 && has_file(p, "cgroup.controllers"))
			l->v2 = xstrdup(p);
		else
			note_v1(l, de->d_name, p);
	}
	closedir(d);
	set_mode(l);
	return l->mode == CGROUP_NONE ? -ENOENT : 0;
}

/* A mount point below /sys/fs/cgroup moved under root. */
static void map_mount(const char *root, const char *mnt, char *out, size_t size)
{
	static const char base[] = "/sys/fs/cgroup";
	size_t n = sizeof(base) - 1;
	if (strncmp(mnt, base, n) == 0 && (mnt[n] == '/' || mnt[n] == '\0'))
		snprintf(out, size, "%s%s", root, mnt + n);
	else
		snprintf(out, size, "%s", mnt);
}

static int detect_from_mountinfo(const char *root, const char *mountinfo, struct cgroup_layout *l)
{
	struct pfile *pf = pfile_open(mountinfo, " ");
	if (!pf)
		return -errno;
	int rc = pfile_read(pf);
	if (rc < 0)
		goto out;
	char dir[PATH_MAX];
	for (size_t i = 0; i < pfile_lines(pf); i++) {
		size_t nw = pfile_words(pf, i), dash = 0;
		for (size_t w = 6; w < nw; w++) {
			if (strcmp(pfile_word(pf, i, w), "-") == 0) {
				dash = w;
				break;
			}
		}
		if (!dash || dash + 3 >= nw)
			continue;
		const char *fstype = pfile_word(pf, i, dash + 1);
		map_mount(root, pfile_word(pf, i, 4), dir, sizeof(dir));
		if (strcmp(fstype, "cgroup2") == 0 && !l->v2)
			l->v2 = xstrdup(dir);
		else if (strcmp(fstype, "cgroup") == 0)
			note_v1(l, pfile_word(pf, i, dash + 3), dir);
	}
	set_mode(l);
	rc = l->mode == CGROUP_NONE ? -ENOENT : 0;
out:
	pfile_close(pf);
	return rc;
}

int cgroup_layout_detect(const char *root, const char *mountinfo, struct cgroup_layout *out)
{
	memset(out, 0, sizeof(*out));
	if (mountinfo && detect_from_mountinfo(root, mountinfo, out) == 0)
		return 0;
	cgroup_layout_free(out);
	int rc = detect_from_tree(root, out);
	if (rc < 0)
		cgroup_layout_free(out);
	return rc;
}

const char *cgroup_walk_root(const struct cgroup_layout *l)
{
	if (l->mode == CGROUP_V2)
		return l->v2;
	if (l->v1[CG_CPUACCT])
		return l->v1[CG_CPUACCT];
	if (l->v1[CG_CPU])
		return l->v1[CG_CPU];
	if (l->v1[CG_MEMORY])
		return l->v1[CG_MEMORY];
	for (int i = 0; i < CG_NCTL; i++)
		if (l->v1[i])
			return l->v1[i];
	return l->v2;
}

struct walk {
	cgroup_visit_fn fn;
	void *ctx;
	char path[PATH_MAX]; /* absolute directory */
	size_t root_len;
	int count;
	bool stop;
};

static void walk_dir(struct walk *w, size_t len, int depth)
{
	const char *name = w->path[w->root_len] ? w->path + w->root_len : "/";
	w->count++;
	if (!w->fn(w->ctx, name)) {
		w->stop = true;
		return;
	}
	if (depth > 32)
		return;
	DIR *d = opendir(w->path);
	if (!d)
		return; /* vanished since the parent listed it */
	struct dirent *de;
	while (!w->stop && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		size_t n = strlen(de->d_name);
		if (len + 1 + n >= sizeof(w->path))
			continue;
		w->path[len] = '/';
		memcpy(w->path + len + 1, de->d_name, n + 1);
		if (de->d_type == DT_UNKNOWN && !is_dir(w->path)) {
			w->path[len] = '\0';
			continue;
		}
		walk_dir(w, len + 1 + n, depth + 1);
		w->path[len] = '\0';
	}
	closedir(d);
}

int cgroup_walk(const struct cgroup_layout *l, cgroup_visit_fn fn, void *ctx)
{
	const char *root = cgroup_walk_root(l);
	if (!root)
		return -ENOENT;
	struct walk *w = xcalloc(1, sizeof(*w));
	w->fn = fn;
	w->ctx = ctx;
	size_t n = strlen(root);
	while (n > 1 && root[n - 1] == '/')
		n--;
	int rc;
	if (n >= sizeof(w->path) || !is_dir(root)) {
		rc = -ENOENT;
		goto out;
	}
	memcpy(w->path, root, n);
	w->path[n] = '\0';
	w->root_len = n;
	walk_dir(w, n, 0);
	rc = w->count;
out:
	free(w);
	return rc;
}

static int read_stats(const struct cgroup_layout *l, const char *name, struct cgroup_reader *r,
		      struct cgroup_stats *st);

int cgroup_read_stats(const struct cgroup_layout *l, const char *name, struct cgroup_reader *r,
		      struct cgroup_stats *st)
{
	struct cgroup_stats spec;
	if (r->skip_spec)
		memcpy(&spec, st, offsetof(struct cgroup_stats, nio));
	memset(st, 0, offsetof(struct cgroup_stats, io));
	st->nio = 0;
	st->nnet = 0;
	if (r->fds && ++r->fds->age >= CGROUP_MISSING_RETRY) {
		r->fds->nmissing = 0;
		r->fds->age = 0;
	}
	int rc = read_stats(l, name, r, st);
	if (r->skip_spec && rc == 0) {
		st->have |= spec.have & (CGS_SPEC_CPU | CGS_SPEC_MEM | CGS_THREADS_MAX);
		st->cpu_shares = spec.cpu_shares;
		st->cpu_period = spec.cpu_period;
		st->cpu_quota = spec.cpu_quota;
		st->mem_limit = spec.mem_limit;
		st->mem_reservation = spec.mem_reservation;
		st->mem_swap_limit = spec.mem_swap_limit;
		st->threads_max = spec.threads_max;
	}
	return rc;
}

static int read_stats(const struct cgroup_layout *l, const char *name, struct cgroup_reader *r,
		      struct cgroup_stats *st)
{
	if (l->mode == CGROUP_V2)
		return cgroup_v2_read(l->v2, name, r, st);
	if (l->mode == CGROUP_NONE)
		return -ENOENT;
	int rc = cgroup_v1_read(l, name, r, st);
	if (rc == 0 && l->mode == CGROUP_HYBRID)
		cgroup_v2_read_pressure(l->v2, name, r, st);
	return rc;
}

double cgroup_start_time(const struct cgroup_layout *l, const char *name)
{
	const char *root = cgroup_walk_root(l);
	char p[PATH_MAX];
	struct stat st;
	if (!root)
		return 0;
	snprintf(p, sizeof(p), "%s%s", root, strcmp(name, "/") == 0 ? "" : name);
	if (stat(p, &st) < 0)
		return 0;
	return (double)st.st_ctim.tv_sec + (double)st.st_ctim.tv_nsec / 1e9;
}

/* Read all of fd from offset 0 into r->data; the length or a negative errno. */
static int read_whole(struct cgroup_reader *r, int fd)
{
	buf_reset(&r->data);
	for (;;) {
		buf_reserve(&r->data, 4096);
		ssize_t got = pread(fd, r->data.data + r->data.len, r->data.cap - r->data.len - 1,
				    (off_t)r->data.len);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (got == 0)
			break;
		r->data.len += (size_t)got;
	}
	r->data.data[r->data.len] = '\0';
	return (int)r->data.len;
}

void cgroup_fds_close(struct cgroup_fds *fds, struct cgroup_reader *r)
{
	for (unsigned i = 0; i < fds->n; i++) {
		close(fds->e[i].fd);
		if (r)
			r->fd_budget++;
	}
	fds->n = 0;
}

static void fds_drop(struct cgroup_fds *fds, unsigned i, struct cgroup_reader *r)
{
	close(fds->e[i].fd);
	r->fd_budget++;
	fds->e[i] = fds->e[--fds->n];
}

int cgroup_read_file(struct cgroup_reader *r, const char *dir, const char *name)
{
	struct cgroup_fds *fds = r->fds;
	if (fds) {
		for (unsigned i = 0; i < fds->nmissing; i++)
			if (fds->missing[i] == name)
				return -ENOENT;
		for (unsigned i = 0; i < fds->n; i++) {
			if (fds->e[i].name != name)
				continue;
			int rc = read_whole(r, fds->e[i].fd);
			if (rc >= 0)
				return rc;
			/* removed cgroup (ENODEV) or the like: reopen below */
			fds_drop(fds, i, r);
			break;
		}
	}
	char p[PATH_MAX];
	int n = snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(p))
		return -ENAMETOOLONG;
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		if (err == ENOENT && fds && fds->nmissing < CGROUP_MAX_MISSING)
			fds->missing[fds->nmissing++] = name;
		return -err;
	}
	int rc = read_whole(r, fd);
	if (rc >= 0 && fds && r->fd_budget > 0 && fds->n < CGROUP_MAX_FDS) {
		fds->e[fds->n].name = name;
		fds->e[fds->n].fd = fd;
		fds->n++;
		r->fd_budget--;
		return rc;
	}
	close(fd);
	return rc;
}

bool cgroup_parse_u64(const char *s, uint64_t *out)
{
	const char *end;
	if (strncmp(s, "max", 3) == 0 && (s[3] == '\0' || s[3] == '\n' || s[3] == ' ')) {
		*out = UINT64_MAX;
		return true;
	}
	if (*s < '0' || *s > '9')
		return false;
	*out = str2u64(s, &end);
	return *end == '\0' || *end == '\n' || *end == ' ' || *end == '\t';
}

int cgroup_read_u64(struct cgroup_reader *r, const char *dir, const char *name, uint64_t *out)
{
	int rc = cgroup_read_file(r, dir, name);
	if (rc < 0)
		return rc;
	return cgroup_parse_u64(r->data.data, out) ? 0 : -EINVAL;
}

bool cgroup_kv_next(char **pos, char **key, char **val)
{
	char *p = *pos;
	while (*p) {
		char *eol = strchr(p, '\n');
		char *next = eol ? eol + 1 : p + strlen(p);
		if (eol)
			*eol = '\0';
		char *sp = strpbrk(p, " \t");
		if (sp && sp != p) {
			*sp = '\0';
			*key = p;
			*val = sp + 1;
			*pos = next;
			return true;
		}
		p = next;
	}
	*pos = p;
	return false;
}

/* Interfaces cAdvisor leaves out of container network stats. */
static bool ignored_iface(const char *name)
{
	return strcmp(name, "lo") == 0 || strncmp(name, "veth", 4) == 0 ||
	       strncmp(name, "docker", 6) == 0;
}

int cgroup_read_netdev(int pid, struct cgroup_reader *r, struct cgroup_stats *st)
{
	char dir[PATH_MAX];
	proc_path(dir, "%d/net", pid);
	/* never kept open: the pid changes */
	struct cgroup_fds *keep = r->fds;
	r->fds = NULL;
	int rc = cgroup_read_file(r, dir, "dev");
	r->fds = keep;
	if (rc < 0)
		return rc;
	st->nnet = 0;
	char *p = r->data.data;
	int line = 0;
	while (*p && st->nnet < CGROUP_MAX_NET) {
		char *eol = strchr(p, '\n');
		if (eol)
			*eol = '\0';
		char *colon = strchr(p, ':');
		if (line++ >= 2 && colon) {
			*colon = '\0';
			while (*p == ' ')
				p++;
			uint64_t v[16];
			const char *q = colon + 1;
			int nv = 0;
			for (; nv < 16; nv++) {
				while (*q == ' ')
					q++;
				const char *end;
				v[nv] = str2u64(q, &end);
				if (end == q)
					break;
				q = end;
			}
			if (nv == 16 && !ignored_iface(p) && strlen(p) < sizeof(st->net[0].name)) {
				struct cgroup_net *n = &st->net[st->nnet++];
				snprintf(n->name, sizeof(n->name), "%s", p);
				n->rx_bytes = v[0];
				n->rx_packets = v[1];
				n->rx_errs = v[2];
				n->rx_drop = v[3];
				n->tx_bytes = v[8];
				n->tx_packets = v[9];
				n->tx_errs = v[10];
				n->tx_drop = v[11];
			}
		}
		if (!eol)
			break;
		p = eol + 1;
	}
	st->have |= CGS_NET;
	return 0;
}

void cgroup_read_pids(struct cgroup_reader *r, const char *dir, struct cgroup_stats *st)
{
	uint64_t n;
	if (cgroup_read_u64(r, dir, "pids.current", &n) == 0) {
		st->threads = n;
		st->have |= CGS_PIDS;
	}
	if (!r->skip_spec && cgroup_read_u64(r, dir, "pids.max", &n) == 0) {
		st->threads_max = n == UINT64_MAX ? 0 : n;
		st->have |= CGS_THREADS_MAX;
	}
}
