// SPDX-License-Identifier: Apache-2.0
/*
 * udp_queues: node_udp_queues{queue="tx"|"rx", ip="v4"|"v6"}, the bytes
 * queued in the kernel for UDP sockets, summed over the socket table in
 * /proc/net/udp and /proc/net/udp6.  After a header line, each line is one
 * socket: "sl: local:port remote:port st tx_queue:rx_queue tr:tm retrnsmt
 * uid timeout inode ref pointer drops", numbers in hex except uid, inode
 * and drops.  As procfs does, every line is checked whole (at least 13
 * fields, hex addresses of 4 or 16 bytes, ports, state, uid, inode, drops):
 * one bad line fails the collector.  A missing file only drops that
 * address family; both missing is "no data".
 * Format: https://www.kernel.org/doc/html/latest/networking/proc_net_tcp.html
 */
#include <errno.h>
#include <string.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/log.h"
#include "common/pfile.h"

struct udp_queues_state {
	struct pfile *pf[2]; /* udp, udp6 */
};

/* Whether s is only hex digits, an even number of them giving 4 or 16 bytes. */
static bool udp_hex_addr_ok(const char *s, size_t len)
{
	if (len != 8 && len != 32)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!strchr("0123456789abcdefABCDEF", s[i]) || !s[i])
			return false;
	return true;
}

/*
 * Split word w at its one colon (strings.Split giving exactly two parts)
 * into a and b, copied into buffers of size bytes.  -EINVAL otherwise.
 */
static int udp_split_colon(const char *w, char *a, char *b, size_t size)
{
	const char *c = strchr(w, ':');
	if (!c || strchr(c + 1, ':'))
		return -EINVAL;
	size_t la = (size_t)(c - w), lb = strlen(c + 1);
	if (la >= size || lb >= size)
		return -EINVAL;
	memcpy(a, w, la);
	a[la] = '\0';
	memcpy(b, c + 1, lb + 1);
	return 0;
}

/* An "addr:port" field: hex address of 4 or 16 bytes, hex port. */
static int udp_check_endpoint(const char *w)
{
	char addr[64], port[64];
	uint64_t v;
	if (udp_split_colon(w, addr, port, sizeof(addr)) ||
	    !udp_hex_addr_ok(addr, strlen(addr)) || parse_go_uint(port, 16, 64, &v))
		return -EINVAL;
	return 0;
}

/* Check one socket line and add its queues to *tx and *rx. */
static int udp_parse_line(const struct pfile *pf, size_t l, uint64_t *tx, uint64_t *rx)
{
	char a[64], b[64];
	uint64_t v, t, r;
	if (pfile_words(pf, l) < 13)
		return -EINVAL;
	if (udp_split_colon(pfile_word(pf, l, 0), a, b, sizeof(a)) || parse_go_uint(a, 0, 64, &v))
		return -EINVAL;
	if (udp_check_endpoint(pfile_word(pf, l, 1)) || udp_check_endpoint(pfile_word(pf, l, 2)))
		return -EINVAL;
	if (parse_go_uint(pfile_word(pf, l, 3), 16, 64, &v))
		return -EINVAL;
	if (udp_split_colon(pfile_word(pf, l, 4), a, b, sizeof(a)) ||
	    parse_go_uint(a, 16, 64, &t) || parse_go_uint(b, 16, 64, &r))
		return -EINVAL;
	if (parse_go_uint(pfile_word(pf, l, 7), 0, 64, &v) ||
	    parse_go_uint(pfile_word(pf, l, 9), 0, 64, &v) ||
	    parse_go_uint(pfile_word(pf, l, 12), 0, 64, &v))
		return -EINVAL;
	*tx += t;
	*rx += r;
	return 0;
}

/*
 * Sum the queues of proc/<name> into *tx and *rx.  Returns 0, -ENOENT when
 * the file does not exist, or another negative errno.
 */
static int udp_summary(struct pfile **pf, const char *name, uint64_t *tx, uint64_t *rx)
{
	*tx = *rx = 0;
	if (!*pf) {
		char path[PATH_MAX];
		*pf = pfile_open(proc_path(path, "net/%s", name), PFILE_SEP_DEFAULT "\r\v\f");
		if (!*pf)
			return -errno;
	}
	int rc = pfile_read(*pf);
	if (rc)
		return rc;
	/* the first line holds the column names */
	for (size_t l = 1; l < pfile_lines(*pf); l++) {
		rc = udp_parse_line(*pf, l, tx, rx);
		if (rc)
			return log_err(rc, "udp_queues: %s line %zu: bad socket line", name, l + 1);
	}
	return 0;
}

static int udp_queues_collect(void *state, struct expo_set *out)
{
	static const char *const files[2] = {"udp", "udp6"};
	static const char *const ips[2] = {"v4", "v6"};
	struct udp_queues_state *st = state;
	struct expo_family *f = NULL;
	int missing = 0;
	for (int i = 0; i < 2; i++) {
		uint64_t tx, rx;
		int rc = udp_summary(&st->pf[i], files[i], &tx, &rx);
		if (rc == -ENOENT) {
			log_debug("udp_queues: not collecting ip%s based metrics", ips[i]);
			missing++;
			continue;
		}
		if (rc)
			return rc;
		if (!f)
			f = expo_family(out, "node_udp_queues",
					"Number of allocated memory in the kernel for UDP datagrams in bytes.",
					EXPO_GAUGE);
		expo_addl(f, (double)tx, "queue", "tx", "ip", ips[i], NULL);
		expo_addl(f, (double)rx, "queue", "rx", "ip", ips[i], NULL);
	}
	return missing == 2 ? -ENODATA : 0;
}

static void udp_queues_cleanup(void *state)
{
	struct udp_queues_state *st = state;
	pfile_close(st->pf[0]);
	pfile_close(st->pf[1]);
}

const struct collector collector_udp_queues = {
	.name = "udp_queues",
	.default_on = true,
	.state_size = sizeof(struct udp_queues_state),
	.collect = udp_queues_collect,
	.cleanup = udp_queues_cleanup,
};
