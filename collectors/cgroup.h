/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Control groups as container sources: which layout the host uses, the walk
 * over every cgroup, and the per-cgroup stat readers (cgroup_v1.c,
 * cgroup_v2.c).
 *
 * Layouts (kernel docs: Documentation/admin-guide/cgroup-v2.rst and
 * Documentation/admin-guide/cgroup-v1/):
 *   v2      one unified tree, "cgroup.controllers" at its root;
 *   v1      one tree per controller (or per comma-joined group of
 *           controllers, "cpu,cpuacct"), each its own mount;
 *   hybrid  v1 controllers plus a v2 tree beside them (systemd's
 *           "unified" mount), which carries no resource controllers but
 *           does carry the pressure files.
 * The layout is found from the cgroup mounts (mountinfo) or, where
 * --path.cgroupfs points at a tree, from the tree itself.
 *
 * A cgroup is named by its path below the hierarchy root, "/" for the root
 * itself ("/docker/<id>", "/system.slice/ssh.service"): cAdvisor's "id"
 * label.  Readers read whole files into a buffer the caller's reader owns
 * and parse in place; nothing is allocated per line.  A reader may keep a
 * cgroup's files open between rounds (struct cgroup_fds, re-read with
 * pread at offset 0, as Netdata does), within a descriptor budget so a
 * thousand cgroups with a dozen files each stay under RLIMIT_NOFILE;
 * beyond the budget a file is opened, read and closed each time.
 */
#ifndef VIGIL_COLLECTORS_CGROUP_H
#define VIGIL_COLLECTORS_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

enum cgroup_mode { CGROUP_NONE = 0, CGROUP_V1, CGROUP_V2, CGROUP_HYBRID };

/* The v1 controllers the readers use. */
enum cgroup_ctl { CG_CPU, CG_CPUACCT, CG_MEMORY, CG_BLKIO, CG_PIDS, CG_NCTL };

struct cgroup_layout {
	enum cgroup_mode mode;
	char *v1[CG_NCTL]; /* mount directory of each v1 controller, or NULL */
	char *v2;	   /* the unified tree (v2 and hybrid), or NULL */
};

/* Most block devices and interfaces kept per cgroup. */
#define CGROUP_MAX_IO  16
#define CGROUP_MAX_NET 16

struct cgroup_io {
	uint32_t major, minor;
	uint64_t rbytes, wbytes, rios, wios;
};

struct cgroup_net {
	char name[32];
	uint64_t rx_bytes, rx_packets, rx_errs, rx_drop;
	uint64_t tx_bytes, tx_packets, tx_errs, tx_drop;
};

/* Which groups of struct cgroup_stats were read. */
enum {
	CGS_CPU = 1u << 0,	   /* usage, user, system */
	CGS_CFS = 1u << 1,	   /* nr_periods, nr_throttled, throttled_ns */
	CGS_MEM = 1u << 2,	   /* usage, working set, rss, cache, mapped, swap, faults */
	CGS_MEM_FAILCNT = 1u << 3, /* v1 failcnt */
	CGS_OOM = 1u << 4,
	CGS_PIDS = 1u << 5,  /* threads (pids.current) */
	CGS_PROCS = 1u << 6, /* processes (cgroup.procs) */
	CGS_PSI = 1u << 7,
	CGS_SPEC_CPU = 1u << 8, /* shares, quota, period */
	CGS_SPEC_MEM = 1u << 9, /* limit, reservation, swap limit */
	CGS_IO = 1u << 10,
	CGS_NET = 1u << 11,
	CGS_THREADS_MAX = 1u << 12,
};

enum { PSI_CPU, PSI_MEMORY, PSI_IO, PSI_N };

struct cgroup_stats {
	uint32_t have; /* CGS_* */
	uint64_t cpu_usage_ns, cpu_user_ns, cpu_system_ns;
	uint64_t nr_periods, nr_throttled, throttled_ns;
	uint64_t mem_usage, mem_max_usage, mem_working_set, mem_rss, mem_cache, mem_swap,
		mem_mapped, mem_failcnt;
	uint64_t pgfault, pgmajfault, h_pgfault, h_pgmajfault; /* container / hierarchy scope */
	uint64_t oom_kill;
	uint64_t threads, threads_max, processes;
	int first_pid; /* a process of the cgroup, 0 if none */
	uint64_t psi_some_us[PSI_N], psi_full_us[PSI_N];
	/* spec: limits as cAdvisor reports them (0 = unlimited for memory) */
	uint64_t cpu_shares, cpu_period;
	int64_t cpu_quota; /* -1 or 0: none */
	double mem_limit, mem_reservation, mem_swap_limit;
	size_t nio;
	struct cgroup_io io[CGROUP_MAX_IO];
	size_t nnet;
	struct cgroup_net net[CGROUP_MAX_NET];
};

/* Most files kept open per cgroup, and files remembered as absent. */
#define CGROUP_MAX_FDS	   32
#define CGROUP_MAX_MISSING 8
/* Rounds after which absent files are tried again. */
#define CGROUP_MISSING_RETRY 30

/*
 * The files of one cgroup kept open between rounds, and those found absent
 * (a v1-only cgroup has no pressure files in the unified tree): not looked
 * for again until CGROUP_MISSING_RETRY reads of the cgroup later.
 */
struct cgroup_fds {
	unsigned n;
	struct {
		const char *name; /* a string literal of the readers */
		int fd;
	} e[CGROUP_MAX_FDS];
	unsigned nmissing, age;
	const char *missing[CGROUP_MAX_MISSING];
};

/*
 * A reusable read buffer; one per thread that reads cgroups.  With fds set
 * (the cgroup being read), files are kept open there while fd_budget > 0.
 * With skip_spec, the limits (shares, quota, period, memory limits,
 * pids.max) are not read again: cgroup_read_stats() keeps the previous
 * values of st.
 */
struct cgroup_reader {
	struct buf data;
	struct cgroup_fds *fds;
	long fd_budget;
	bool skip_spec;
};

/* Close the files kept in fds, giving their descriptors back to r's budget. */
void cgroup_fds_close(struct cgroup_fds *fds, struct cgroup_reader *r);

/*
 * Find the layout.  With mountinfo (a /proc/<pid>/mountinfo path) the
 * cgroup and cgroup2 mounts listed there decide, their mount points moved
 * under root when they lie below /sys/fs/cgroup; without it, or when it
 * lists no cgroup mount, the tree at root decides.  Returns 0, or -ENOENT
 * when no cgroup hierarchy is found.
 */
int cgroup_layout_detect(const char *root, const char *mountinfo, struct cgroup_layout *out);
void cgroup_layout_free(struct cgroup_layout *l);
/* "v1", "v2", "hybrid" or "none". */
const char *cgroup_mode_name(enum cgroup_mode m);
/* The directory whose subtree names the cgroups: the v2 tree on v2, else cpuacct/cpu/memory. */
const char *cgroup_walk_root(const struct cgroup_layout *l);

/* Called for each cgroup with its name ("/", "/docker/<id>"); return false to stop. */
typedef bool (*cgroup_visit_fn)(void *ctx, const char *name);
/*
 * Visit every cgroup below the walk root, parents before children, entries
 * of one directory in readdir order.  A directory that vanishes during the
 * walk is skipped.  Returns the number of cgroups visited or a negative errno
 * when the root cannot be read.
 */
int cgroup_walk(const struct cgroup_layout *l, cgroup_visit_fn fn, void *ctx);

/*
 * Read every stat of cgroup name into st (zeroed first).  Returns 0, or
 * -ENOENT when the cgroup has vanished.  Unreadable or malformed files
 * leave their group out of st->have.
 */
int cgroup_read_stats(const struct cgroup_layout *l, const char *name, struct cgroup_reader *r,
		      struct cgroup_stats *st);
/* The v1 and v2 halves of cgroup_read_stats(). */
int cgroup_v1_read(const struct cgroup_layout *l, const char *name, struct cgroup_reader *r,
		   struct cgroup_stats *st);
int cgroup_v2_read(const char *root, const char *name, struct cgroup_reader *r,
		   struct cgroup_stats *st);
/* The pressure files (cpu/memory/io.pressure) of name below a v2 tree. */
void cgroup_v2_read_pressure(const char *root, const char *name, struct cgroup_reader *r,
			     struct cgroup_stats *st);

/*
 * Network counters of the namespace of pid from <procfs>/<pid>/net/dev into
 * st->net, leaving out lo, veth*, docker* (as cAdvisor does).  0 or a
 * negative errno.
 */
int cgroup_read_netdev(int pid, struct cgroup_reader *r, struct cgroup_stats *st);
/* Start of the cgroup (creation time of its directory), seconds since the epoch, or 0. */
double cgroup_start_time(const struct cgroup_layout *l, const char *name);

/* Helpers shared by the readers. */
/* cgroup.procs of dir: process count and first pid; -ENOENT when the cgroup is gone. */
int cgroup_read_procs(struct cgroup_reader *r, const char *dir, struct cgroup_stats *st);
/*
 * Read dir/name whole into r->data; returns the length or a negative errno.
 * name must be a string literal (it keys the kept-open files).
 */
int cgroup_read_file(struct cgroup_reader *r, const char *dir, const char *name);
/* Read dir/name holding one unsigned number ("max" gives UINT64_MAX); 0 or negative errno. */
int cgroup_read_u64(struct cgroup_reader *r, const char *dir, const char *name, uint64_t *out);
/* pids.current and (unless skipping spec files) pids.max, named alike in v1 and v2. */
void cgroup_read_pids(struct cgroup_reader *r, const char *dir, struct cgroup_stats *st);
/*
 * Iterate "key value" lines of buffer text: returns false at the end; *key is
 * NUL-terminated, *val points at the value word.  *pos carries the position.
 */
bool cgroup_kv_next(char **pos, char **key, char **val);
/* Parse an unsigned number word; false when it is not one. */
bool cgroup_parse_u64(const char *s, uint64_t *out);

#endif
