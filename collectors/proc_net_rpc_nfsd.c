// SPDX-License-Identifier: Apache-2.0
/*
 * nfsd: NFS server statistics from /proc/net/rpc/nfsd, lines of a key and
 * unsigned decimal numbers:
 *   rc <hits> <misses> <nocache>          fh <stale> <4 more>
 *   io <read bytes> <written bytes>        th <threads> <full count> <floats...>
 *   ra <cache size> <10 histogram> <not found>
 *   net <packets> <udp> <tcp> <tcp connections>
 *   rpc <calls> <bad> <bad fmt> <bad auth> <bad client>
 *   proc2|proc3|proc4|proc4ops <count> <calls per procedure or operation>...
 *   wdeleg_getattr <count>
 * As procfs checks it: exact value counts for the fixed lines (only the
 * first two numbers of th are read), a procN line holds exactly <count>
 * values (v2 at least 18, v3 at least 22, proc4 exactly 2, proc4ops at
 * least 39), an unknown key fails.  Absent lines report zeros.  No file is
 * "no data".
 * Format: fs/nfsd/stats.c (nfsd_show) and net/sunrpc/stats.c of the kernel.
 */
#include <errno.h>
#include <string.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/log.h"
#include "common/pfile.h"

/* Exported v2/v3 procedures: name and index in the line's values (after the count). */
static const char *const nfsd_v2[] = {
	"GetAttr", "SetAttr", "Root",	 "Lookup", "ReadLink", "Read",	"WrCache", "Write",	"Create",
	"Remove",  "Rename",  "Link",	 "SymLink", "MkDir",	"RmDir", "ReadDir", "FsStat",
};
static const char *const nfsd_v3[] = {
	"GetAttr", "SetAttr", "Lookup", "Access", "ReadLink", "Read", "Write", "Create", "MkDir",
	"SymLink", "MkNod",   "Remove", "RmDir",  "Rename",   "Link", "ReadDir", "ReadDirPlus",
	"FsStat",  "FsInfo",  "PathConf", "Commit",
};
/* Exported v4 operations and their op numbers (index in proc4ops after the count). */
static const struct nfsd_op {
	const char *name;
	unsigned idx;
} nfsd_v4[] = {
	{"Access", 3},	      {"Close", 4},	       {"Commit", 5},	      {"Create", 6},
	{"DelegPurge", 7},    {"DelegReturn", 8},      {"GetAttr", 9},	      {"GetFH", 10},
	{"Link", 11},	      {"Lock", 12},	       {"Lockt", 13},	      {"Locku", 14},
	{"Lookup", 15},	      {"LookupRoot", 16},      {"Nverify", 17},	      {"Open", 18},
	{"OpenAttr", 19},     {"OpenConfirm", 20},     {"OpenDgrd", 21},      {"PutFH", 22},
	{"Read", 25},	      {"ReadDir", 26},	       {"ReadLink", 27},      {"Remove", 28},
	{"Rename", 29},	      {"Renew", 30},	       {"RestoreFH", 31},     {"SaveFH", 32},
	{"SecInfo", 33},      {"SetAttr", 34},	       {"SetClientID", 35},   {"SetClientIDConfirm", 36},
	{"Verify", 37},	      {"Write", 38},	       {"RelLockOwner", 39},
};
#define NFSD_N2 (sizeof(nfsd_v2) / sizeof(nfsd_v2[0]))
#define NFSD_N3 (sizeof(nfsd_v3) / sizeof(nfsd_v3[0]))
#define NFSD_N4 (sizeof(nfsd_v4) / sizeof(nfsd_v4[0]))
#define NFSD_OPS 40

struct nfsd_state {
	struct pfile *pf;
};

struct nfsd_stats {
	uint64_t rc[3], fh[5], io[2], th[2], ra[12], net[4], rpc[5], v2[18], v3[22], v4[2],
		ops[NFSD_OPS], wdeleg;
};

/*
 * Numbers of line l (words first..first+n) into v: fixed lines need
 * exactly nv; counted lines (min > 0 or exact) give the count first.
 */
static int nfsd_values(const struct pfile *pf, size_t l, size_t first, size_t n, uint64_t *v,
		       size_t nv)
{
	for (size_t w = 0; w < n; w++) {
		uint64_t x;
		if (parse_go_uint(pfile_word(pf, l, first + w), 10, 64, &x))
			return -EINVAL;
		if (w < nv)
			v[w] = x;
	}
	return 0;
}

static int nfsd_fixed(const struct pfile *pf, size_t l, uint64_t *v, size_t nv)
{
	size_t n = pfile_words(pf, l) - 1;
	int rc = nfsd_values(pf, l, 1, n, v, nv);
	return rc ? rc : n == nv ? 0 : -EINVAL;
}

/* "<count> values": exactly count of them, count >= min (and == exact when exact). */
static int nfsd_counted(const struct pfile *pf, size_t l, uint64_t *v, size_t nv, size_t min,
			bool exact)
{
	size_t n = pfile_words(pf, l) - 1;
	uint64_t tmp[1];
	int rc = nfsd_values(pf, l, 1, n, tmp, 1);
	if (rc)
		return rc;
	if (tmp[0] != n - 1 || tmp[0] < min || (exact && tmp[0] != nv))
		return -EINVAL;
	memset(v, 0, nv * sizeof(*v));
	return nfsd_values(pf, l, 2, n - 1, v, nv);
}

static int nfsd_parse(const struct pfile *pf, struct nfsd_stats *s)
{
	memset(s, 0, sizeof(*s));
	for (size_t l = 0; l < pfile_lines(pf); l++) {
		size_t nw = pfile_words(pf, l);
		if (nw < 2)
			return log_err(-EINVAL, "nfsd: invalid NFSd metric line %zu", l + 1);
		const char *k = pfile_word(pf, l, 0);
		int rc;
		if (strcmp(k, "th") == 0)
			rc = nw < 3 ? -EINVAL : nfsd_values(pf, l, 1, 2, s->th, 2);
		else if (strcmp(k, "rc") == 0)
			rc = nfsd_fixed(pf, l, s->rc, 3);
		else if (strcmp(k, "fh") == 0)
			rc = nfsd_fixed(pf, l, s->fh, 5);
		else if (strcmp(k, "io") == 0)
			rc = nfsd_fixed(pf, l, s->io, 2);
		else if (strcmp(k, "ra") == 0)
			rc = nfsd_fixed(pf, l, s->ra, 12);
		else if (strcmp(k, "net") == 0)
			rc = nfsd_fixed(pf, l, s->net, 4);
		else if (strcmp(k, "rpc") == 0)
			rc = nfsd_fixed(pf, l, s->rpc, 5);
		else if (strcmp(k, "proc2") == 0)
			rc = nfsd_counted(pf, l, s->v2, 18, 18, false);
		else if (strcmp(k, "proc3") == 0)
			rc = nfsd_counted(pf, l, s->v3, 22, 22, false);
		else if (strcmp(k, "proc4") == 0)
			rc = nfsd_counted(pf, l, s->v4, 2, 2, true);
		else if (strcmp(k, "proc4ops") == 0)
			rc = nfsd_counted(pf, l, s->ops, NFSD_OPS, 39, false);
		else if (strcmp(k, "wdeleg_getattr") == 0)
			rc = nfsd_values(pf, l, 1, nw - 1, &s->wdeleg, 1);
		else
			return log_err(-EINVAL, "nfsd: unknown NFSd metric line %s", k);
		if (rc)
			return log_err(rc, "nfsd: errors parsing NFSd metric line %s", k);
	}
	return 0;
}

static void nfsd_counter(struct expo_set *out, const char *name, const char *help, double v)
{
	expo_add(expo_family(out, name, help, EXPO_COUNTER), NULL, 0, v);
}

static int nfsd_collect(void *state, struct expo_set *out)
{
	struct nfsd_state *st = state;
	if (!st->pf) {
		char path[PATH_MAX];
		st->pf = pfile_open(proc_path(path, "net/rpc/nfsd"), PFILE_SEP_DEFAULT "\r\v\f");
		if (!st->pf) {
			if (errno == ENOENT) {
				log_debug("nfsd: not collecting NFSd metrics\tpath=%s", path);
				return -ENODATA;
			}
			return -errno;
		}
	}
	int rc = pfile_read(st->pf);
	if (rc)
		return rc;
	struct nfsd_stats s;
	rc = nfsd_parse(st->pf, &s);
	if (rc)
		return rc;
	nfsd_counter(out, "node_nfsd_reply_cache_hits_total",
		     "Total number of NFSd Reply Cache hits (client lost server response).",
		     (double)s.rc[0]);
	nfsd_counter(out, "node_nfsd_reply_cache_misses_total",
		     "Total number of NFSd Reply Cache an operation that requires caching "
		     "(idempotent).",
		     (double)s.rc[1]);
	nfsd_counter(out, "node_nfsd_reply_cache_nocache_total",
		     "Total number of NFSd Reply Cache non-idempotent operations "
		     "(rename/delete/\xe2\x80\xa6).",
		     (double)s.rc[2]);
	nfsd_counter(out, "node_nfsd_file_handles_stale_total",
		     "Total number of NFSd stale file handles", (double)s.fh[0]);
	nfsd_counter(out, "node_nfsd_disk_bytes_read_total", "Total NFSd bytes read.",
		     (double)s.io[0]);
	nfsd_counter(out, "node_nfsd_disk_bytes_written_total", "Total NFSd bytes written.",
		     (double)s.io[1]);
	expo_add(expo_family(out, "node_nfsd_server_threads",
			     "Total number of NFSd kernel threads that are running.", EXPO_GAUGE),
		 NULL, 0, (double)s.th[0]);
	expo_add(expo_family(out, "node_nfsd_read_ahead_cache_size_blocks",
			     "How large the read ahead cache is in blocks.", EXPO_GAUGE),
		 NULL, 0, (double)s.ra[0]);
	nfsd_counter(out, "node_nfsd_read_ahead_cache_not_found_total",
		     "Total number of NFSd read ahead cache not found.", (double)s.ra[11]);
	struct expo_family *pk = expo_family(
		out, "node_nfsd_packets_total",
		"Total NFSd network packets (sent+received) by protocol type.", EXPO_COUNTER);
	expo_addl(pk, (double)s.net[1], "proto", "udp", NULL);
	expo_addl(pk, (double)s.net[2], "proto", "tcp", NULL);
	nfsd_counter(out, "node_nfsd_connections_total", "Total number of NFSd TCP connections.",
		     (double)s.net[3]);
	struct expo_family *re = expo_family(out, "node_nfsd_rpc_errors_total",
					     "Total number of NFSd RPC errors by error type.",
					     EXPO_COUNTER);
	expo_addl(re, (double)s.rpc[2], "error", "fmt", NULL);
	expo_addl(re, (double)s.rpc[3], "error", "auth", NULL);
	expo_addl(re, (double)s.rpc[4], "error", "cInt", NULL);
	nfsd_counter(out, "node_nfsd_server_rpcs_total", "Total number of NFSd RPCs.",
		     (double)s.rpc[0]);

	struct expo_family *rq =
		expo_family(out, "node_nfsd_requests_total",
			    "Total number NFSd Requests by method and protocol.", EXPO_COUNTER);
	for (size_t i = 0; i < NFSD_N2; i++)
		expo_addl(rq, (double)s.v2[i + 1], "proto", "2", "method", nfsd_v2[i], NULL);
	for (size_t i = 0; i < NFSD_N3; i++)
		expo_addl(rq, (double)s.v3[i + 1], "proto", "3", "method", nfsd_v3[i], NULL);
	for (size_t i = 0; i < NFSD_N4; i++)
		expo_addl(rq, (double)s.ops[nfsd_v4[i].idx], "proto", "4", "method", nfsd_v4[i].name,
			  NULL);
	expo_addl(rq, (double)s.wdeleg, "proto", "4", "method", "WdelegGetattr", NULL);
	return 0;
}

static void nfsd_cleanup(void *state)
{
	struct nfsd_state *st = state;
	pfile_close(st->pf);
}

const struct collector collector_nfsd = {
	.name = "nfsd",
	.default_on = true,
	.state_size = sizeof(struct nfsd_state),
	.collect = nfsd_collect,
	.cleanup = nfsd_cleanup,
};
