// SPDX-License-Identifier: Apache-2.0
/*
 * sockstat: node_sockstat_* from /proc/net/sockstat and /proc/net/sockstat6.
 *
 * Each line is a protocol followed by key/value pairs:
 *   sockets: used 229
 *   TCP: inuse 4 orphan 0 tw 4 alloc 17 mem 1
 *   FRAG: inuse 0 memory 0
 * giving node_sockstat_<PROTO>_<key> for the keys inuse (always, 0 when
 * absent), orphan, tw, alloc, mem and memory, plus <PROTO>_mem_bytes (mem is
 * in pages) and, from the IPv4 file only, node_sockstat_sockets_used.  As in
 * node_exporter, a missing file is skipped silently (IPv4 or IPv6 disabled),
 * while a malformed line (fewer than one pair, an odd number of fields, a
 * value that is not an integer) fails the collector before anything is
 * emitted.
 * Kernel: net/ipv4/proc.c (sockstat_seq_show) and net/ipv6/proc.c;
 * https://www.kernel.org/doc/html/latest/networking/proc_net_tcp.html
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/pfile.h"
#include "common/strutil.h"

struct sockstat_state {
	struct pfile *pf[2]; /* sockstat, sockstat6 */
	bool have[2];	     /* read this scrape */
};

static const char *const sockstat_files[2] = {"net/sockstat", "net/sockstat6"};

/* Check every line of a file as node_exporter's parser does; 0 or -EINVAL. */
static int sockstat_validate(const struct pfile *pf)
{
	for (size_t l = 0; l < pfile_lines(pf); l++) {
		size_t nw = pfile_words(pf, l);
		if (nw < 3 || (nw - 1) % 2)
			return -EINVAL;
		for (size_t w = 2; w < nw; w += 2) {
			int64_t v;
			if (parse_go_int(pfile_word(pf, l, w), 0, 64, &v))
				return -EINVAL;
		}
	}
	return 0;
}

static void sockstat_put(struct expo_set *out, const char *proto, const char *key, double v)
{
	char name[160], help[200];
	str_concat(name, sizeof(name), "node_sockstat_", proto, "_", key, NULL);
	str_concat(help, sizeof(help), "Number of ", proto, " sockets in state ", key, ".", NULL);
	struct expo_family *f = expo_family(out, name, help, EXPO_GAUGE);
	/* the same protocol twice would be a duplicate series: keep the first */
	if (expo_family_count(f) == 0)
		expo_add(f, NULL, 0, v);
}

static bool sockstat_valid_proto(const char *p, size_t len)
{
	if (len == 0 || len > 64)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return false;
	}
	return true;
}

static void sockstat_emit(const struct pfile *pf, bool ipv6, struct expo_set *out)
{
	static const char *const keys[] = {"orphan", "tw", "alloc", "mem", "memory"};
	long page_size = sysconf(_SC_PAGESIZE); /* from the auxiliary vector: no syscall */

	for (size_t l = 0; l < pfile_lines(pf); l++) {
		size_t nw = pfile_words(pf, l);
		const char *first = pfile_word(pf, l, 0);
		size_t plen = strlen(first);
		if (plen && first[plen - 1] == ':')
			plen--;
		char proto[72];
		if (!sockstat_valid_proto(first, plen))
			continue;
		memcpy(proto, first, plen);
		proto[plen] = '\0';

		/* the last occurrence of a key wins, as in a map */
		int64_t val[ARRAY_SIZE(keys)], inuse = 0, used = 0;
		bool have[ARRAY_SIZE(keys)] = {false};
		for (size_t w = 1; w + 1 < nw; w += 2) {
			const char *k = pfile_word(pf, l, w);
			int64_t v = 0;
			(void)parse_go_int(pfile_word(pf, l, w + 1), 0, 64, &v);
			if (strcmp(k, "inuse") == 0)
				inuse = v;
			else if (strcmp(k, "used") == 0)
				used = v;
			for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
				if (strcmp(k, keys[i]) == 0) {
					val[i] = v;
					have[i] = true;
				}
			}
		}
		if (strcmp(proto, "sockets") == 0) {
			if (!ipv6) {
				struct expo_family *f =
					expo_family(out, "node_sockstat_sockets_used",
						    "Number of IPv4 sockets in use.", EXPO_GAUGE);
				if (expo_family_count(f) == 0)
					expo_add(f, NULL, 0, (double)used);
			}
			continue;
		}
		sockstat_put(out, proto, "inuse", (double)inuse);
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
			if (have[i])
				sockstat_put(out, proto, keys[i], (double)val[i]);
		if (have[3])
			sockstat_put(out, proto, "mem_bytes", (double)val[3] * (double)page_size);
	}
}

static int sockstat_collect(void *state, struct expo_set *out)
{
	struct sockstat_state *st = state;
	for (int i = 0; i < 2; i++) {
		st->have[i] = false;
		if (!st->pf[i]) {
			char path[PATH_MAX];
			st->pf[i] = pfile_open(proc_path(path, "%s", sockstat_files[i]), " ");
			if (!st->pf[i]) {
				if (errno == ENOENT)
					continue; /* that IP version is disabled */
				return -errno;
			}
		}
		int rc = pfile_read(st->pf[i]);
		if (rc == -ENOENT) {
			pfile_close(st->pf[i]);
			st->pf[i] = NULL;
			continue;
		}
		if (rc)
			return rc;
		rc = sockstat_validate(st->pf[i]);
		if (rc)
			return rc;
		st->have[i] = true;
	}
	for (int i = 0; i < 2; i++)
		if (st->have[i])
			sockstat_emit(st->pf[i], i == 1, out);
	return 0;
}

static void sockstat_cleanup(void *state)
{
	struct sockstat_state *st = state;
	for (int i = 0; i < 2; i++)
		pfile_close(st->pf[i]);
}

const struct collector collector_sockstat = {
	.name = "sockstat",
	.default_on = true,
	.state_size = sizeof(struct sockstat_state),
	.collect = sockstat_collect,
	.cleanup = sockstat_cleanup,
};
