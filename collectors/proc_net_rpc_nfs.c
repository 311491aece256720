// SPDX-License-Identifier: Apache-2.0
/*
 * nfs: NFS client statistics from /proc/net/rpc/nfs, lines of a key and
 * unsigned decimal numbers:
 *   net <packets> <udp> <tcp> <tcp connections>
 *   rpc <calls> <retransmissions> <auth refreshes>
 *   proc2|proc3|proc4 <count> <calls per procedure>...
 * As procfs checks it: every number must parse, net has 4 and rpc 3
 * values, a procN line holds exactly <count> calls (at least 18 for v2 and
 * 22 for v3; v4 lines shorter than 59 are padded with zeros), an unknown
 * key fails.  Lines that are absent report zeros.  No file is "no data".
 * Format: net/sunrpc/stats.c (rpc_proc_show) and fs/nfs/ of the kernel;
 * https://www.kernel.org/doc/html/latest/filesystems/nfs/index.html
 */
#include <errno.h>
#include <string.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/log.h"
#include "common/pfile.h"

static const char *const nfs_v2[] = {
	"Null",	  "GetAttr", "SetAttr", "Root",	  "Lookup", "ReadLink", "Read",
	"WrCache", "Write",   "Create",	 "Remove", "Rename", "Link",	  "SymLink",
	"MkDir",   "RmDir",   "ReadDir", "FsStat",
};
static const char *const nfs_v3[] = {
	"Null",	  "GetAttr", "SetAttr", "Lookup",  "Access",	  "ReadLink", "Read",	 "Write",
	"Create",  "MkDir",   "SymLink", "MkNod",   "Remove",	  "RmDir",    "Rename", "Link",
	"ReadDir", "ReadDirPlus", "FsStat", "FsInfo", "PathConf", "Commit",
};
/* The v4 client procedures in the order of the line (procfs's parse order). */
static const char *const nfs_v4[] = {
	"Null",		   "Read",		"Write",	    "Commit",
	"Open",		   "OpenConfirm",	"OpenNoattr",	    "OpenDowngrade",
	"Close",	   "Setattr",		"FsInfo",	    "Renew",
	"SetClientID",	   "SetClientIDConfirm", "Lock",	    "Lockt",
	"Locku",	   "Access",		"Getattr",	    "Lookup",
	"LookupRoot",	   "Remove",		"Rename",	    "Link",
	"Symlink",	   "Create",		"Pathconf",	    "StatFs",
	"ReadLink",	   "ReadDir",		"ServerCaps",	    "DelegReturn",
	"GetACL",	   "SetACL",		"FsLocations",	    "ReleaseLockowner",
	"Secinfo",	   "FsidPresent",	"ExchangeID",	    "CreateSession",
	"DestroySession",  "Sequence",		"GetLeaseTime",	    "ReclaimComplete",
	"GetDeviceInfo",   "LayoutGet",		"LayoutCommit",	    "LayoutReturn",
	"SecinfoNoName",   "TestStateID",	"FreeStateID",	    "GetDeviceList",
	"BindConnToSession", "DestroyClientID",	"Seek",		    "Allocate",
	"DeAllocate",	   "LayoutStats",	"Clone",
};
#define NFS_N2 (sizeof(nfs_v2) / sizeof(nfs_v2[0]))
#define NFS_N3 (sizeof(nfs_v3) / sizeof(nfs_v3[0]))
#define NFS_N4 (sizeof(nfs_v4) / sizeof(nfs_v4[0]))

struct nfs_state {
	struct pfile *pf;
};

struct nfs_stats {
	uint64_t net[4], rpc[3], v2[NFS_N2], v3[NFS_N3], v4[NFS_N4];
};

/*
 * Parse the numbers of line l into v[0..nv) after checking the line's
 * shape: fixed (exactly nv values) or counted (first value the count of
 * the rest, at least min of them; fewer than nv are zero-padded when pad).
 */
static int nfs_line(const struct pfile *pf, size_t l, uint64_t *v, size_t nv, bool counted,
		    size_t min, bool pad)
{
	size_t nw = pfile_words(pf, l), n = nw - 1;
	uint64_t x;
	for (size_t w = 1; w < nw; w++)
		if (parse_go_uint(pfile_word(pf, l, w), 10, 64, &x))
			return -EINVAL;
	if (!counted) {
		if (n != nv)
			return -EINVAL;
		for (size_t i = 0; i < nv; i++)
			parse_go_uint(pfile_word(pf, l, i + 1), 10, 64, &v[i]);
		return 0;
	}
	uint64_t count;
	parse_go_uint(pfile_word(pf, l, 1), 10, 64, &count);
	if (count != n - 1 || count < min)
		return -EINVAL;
	if (count < nv && !pad)
		return -EINVAL;
	memset(v, 0, nv * sizeof(*v));
	for (size_t i = 0; i < nv && i < count; i++)
		parse_go_uint(pfile_word(pf, l, i + 2), 10, 64, &v[i]);
	return 0;
}

static int nfs_parse(const struct pfile *pf, struct nfs_stats *s)
{
	memset(s, 0, sizeof(*s));
	for (size_t l = 0; l < pfile_lines(pf); l++) {
		if (pfile_words(pf, l) < 2)
			return log_err(-EINVAL, "nfs: invalid NFS metric line %zu", l + 1);
		const char *key = pfile_word(pf, l, 0);
		int rc;
		if (strcmp(key, "net") == 0)
			rc = nfs_line(pf, l, s->net, 4, false, 0, false);
		else if (strcmp(key, "rpc") == 0)
			rc = nfs_line(pf, l, s->rpc, 3, false, 0, false);
		else if (strcmp(key, "proc2") == 0)
			rc = nfs_line(pf, l, s->v2, NFS_N2, true, 18, false);
		else if (strcmp(key, "proc3") == 0)
			rc = nfs_line(pf, l, s->v3, NFS_N3, true, 22, false);
		else if (strcmp(key, "proc4") == 0)
			rc = nfs_line(pf, l, s->v4, NFS_N4, true, 0, true);
		else
			return log_err(-EINVAL, "nfs: unknown NFS metric line %s", key);
		if (rc)
			return log_err(rc, "nfs: errors parsing NFS metric line %s", key);
	}
	return 0;
}

static void nfs_requests(struct expo_family *f, const char *proto, const char *const *names,
			 const uint64_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		expo_addl(f, (double)v[i], "proto", proto, "method", names[i], NULL);
}

static int nfs_collect(void *state, struct expo_set *out)
{
	struct nfs_state *st = state;
	if (!st->pf) {
		char path[PATH_MAX];
		st->pf = pfile_open(proc_path(path, "net/rpc/nfs"), PFILE_SEP_DEFAULT "\r\v\f");
		if (!st->pf) {
			if (errno == ENOENT) {
				log_debug("nfs: not collecting NFS metrics\tpath=%s", path);
				return -ENODATA;
			}
			return -errno;
		}
	}
	int rc = pfile_read(st->pf);
	if (rc)
		return rc;
	struct nfs_stats s;
	rc = nfs_parse(st->pf, &s);
	if (rc)
		return rc;
	struct expo_family *pk =
		expo_family(out, "node_nfs_packets_total",
			    "Total NFSd network packets (sent+received) by protocol type.", EXPO_COUNTER);
	expo_addl(pk, (double)s.net[1], "protocol", "udp", NULL);
	expo_addl(pk, (double)s.net[2], "protocol", "tcp", NULL);
	expo_add(expo_family(out, "node_nfs_connections_total",
			     "Total number of NFSd TCP connections.", EXPO_COUNTER),
		 NULL, 0, (double)s.net[3]);
	expo_add(expo_family(out, "node_nfs_rpcs_total", "Total number of RPCs performed.",
			     EXPO_COUNTER),
		 NULL, 0, (double)s.rpc[0]);
	expo_add(expo_family(out, "node_nfs_rpc_retransmissions_total",
			     "Number of RPC transmissions performed.", EXPO_COUNTER),
		 NULL, 0, (double)s.rpc[1]);
	expo_add(expo_family(out, "node_nfs_rpc_authentication_refreshes_total",
			     "Number of RPC authentication refreshes performed.", EXPO_COUNTER),
		 NULL, 0, (double)s.rpc[2]);
	struct expo_family *rq = expo_family(out, "node_nfs_requests_total",
					     "Number of NFS procedures invoked.", EXPO_COUNTER);
	nfs_requests(rq, "2", nfs_v2, s.v2, NFS_N2);
	nfs_requests(rq, "3", nfs_v3, s.v3, NFS_N3);
	nfs_requests(rq, "4", nfs_v4, s.v4, NFS_N4);
	return 0;
}

static void nfs_cleanup(void *state)
{
	struct nfs_state *st = state;
	pfile_close(st->pf);
}

const struct collector collector_nfs = {
	.name = "nfs",
	.default_on = true,
	.state_size = sizeof(struct nfs_state),
	.collect = nfs_collect,
	.cleanup = nfs_cleanup,
};
