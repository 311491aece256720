// SPDX-License-Identifier: Apache-2.0
/*
 * netdev: node_network_<direction>_<statistic>_total{device} per network
 * device, from rtnetlink (RTM_GETLINK dump, IFLA_STATS64, as node_exporter
 * does by default) or, with --no-collector.netdev.netlink, from
 * /proc/net/dev:
 *   Inter-|   Receive                            ...|  Transmit
 *    face |bytes    packets errs drop fifo frame compressed multicast|bytes ...
 *       lo: 1234 12 0 0 0 0 0 0 1234 12 0 0 0 0 0 0
 * (two header lines, then "<name>: 8 receive and 8 transmit counters").
 *
 * Names are node_exporter's "legacy" ones, which fold the detailed netlink
 * error counters the way the kernel folds them into /proc/net/dev
 * (net/core/net-procfs.c): receive_drop = dropped + missed, receive_frame =
 * frame + length + over + crc, transmit_carrier = carrier + aborted +
 * heartbeat + window; netlink adds receive_nohandler.  With
 * --collector.netdev.enable-detailed-metrics the unfolded counters keep
 * their own names (receive_errors, receive_crc_errors, multicast, ...).
 *
 * Devices are filtered by --collector.netdev.device-include or -exclude
 * (unanchored regexes, mutually exclusive).  --collector.netdev.address-info
 * adds node_network_address_info{device,address,netmask,scope} from
 * getifaddrs(3); --collector.netdev.label-ifalias adds the ifalias label from
 * /sys/class/net/<device>/ifalias.
 * Kernel: https://www.kernel.org/doc/html/latest/networking/statistics.html
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "collectors/collector.h"
#include "collectors/devfilter.h"
#include "collectors/hostpath.h"
#include "collectors/rtnl.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/pfile.h"

static char *netdev_include_flag, *netdev_exclude_flag;
static bool netdev_address_info, netdev_detailed, netdev_netlink, netdev_label_ifalias;
static struct devfilter netdev_filter;

static const struct flag_def netdev_flags[] = {
	{"collector.netdev.device-include", FLAG_STRING, &netdev_include_flag, NULL,
	 "Regexp of net devices to include (mutually exclusive to device-exclude).",
	 "collector.netdev.device-whitelist", NULL},
	{"collector.netdev.device-exclude", FLAG_STRING, &netdev_exclude_flag, NULL,
	 "Regexp of net devices to exclude (mutually exclusive to device-include).",
	 "collector.netdev.device-blacklist", NULL},
	{"collector.netdev.address-info", FLAG_BOOL, &netdev_address_info, "false",
	 "Collect address-info for every device", NULL, NULL},
	{"collector.netdev.enable-detailed-metrics", FLAG_BOOL, &netdev_detailed, "false",
	 "Use (incompatible) metric names that provide more detailed stats on Linux", NULL, NULL},
	{"collector.netdev.netlink", FLAG_BOOL, &netdev_netlink, "true",
	 "Use netlink to gather stats instead of /proc/net/dev.", NULL, NULL},
	{"collector.netdev.label-ifalias", FLAG_BOOL, &netdev_label_ifalias, "false",
	 "Add ifAlias label", NULL, NULL},
};

/*
 * Raw counters: the fields of struct rtnl_link_stats64 in their order.
 * /proc/net/dev's 16 columns are indexed 0..15 directly.
 */
enum {
	NL_RX_PACKETS,
	NL_TX_PACKETS,
	NL_RX_BYTES,
	NL_TX_BYTES,
	NL_RX_ERRORS,
	NL_TX_ERRORS,
	NL_RX_DROPPED,
	NL_TX_DROPPED,
	NL_MULTICAST,
	NL_COLLISIONS,
	NL_RX_LENGTH,
	NL_RX_OVER,
	NL_RX_CRC,
	NL_RX_FRAME,
	NL_RX_FIFO,
	NL_RX_MISSED,
	NL_TX_ABORTED,
	NL_TX_CARRIER,
	NL_TX_FIFO,
	NL_TX_HEARTBEAT,
	NL_TX_WINDOW,
	NL_RX_COMPRESSED,
	NL_TX_COMPRESSED,
	NL_RX_NOHANDLER,
	NL_NSTATS
};
#define NETDEV_PROC_COLUMNS 16

/* One output family: its name, help, and the raw counters it sums. */
struct netdev_stat {
	const char *name;
	const char *help;
	int8_t src[4]; /* -1 terminates */
};

#define NETDEV_STAT(key, ...)                                                                      \
	{                                                                                          \
		"node_network_" key "_total", "Network device statistic " key ".",                 \
		{                                                                                  \
			__VA_ARGS__                                                                \
		}                                                                                  \
	}
#define E (-1)

static const struct netdev_stat netdev_netlink_legacy[] = {
	NETDEV_STAT("receive_packets", NL_RX_PACKETS, E),
	NETDEV_STAT("transmit_packets", NL_TX_PACKETS, E),
	NETDEV_STAT("receive_bytes", NL_RX_BYTES, E),
	NETDEV_STAT("transmit_bytes", NL_TX_BYTES, E),
	NETDEV_STAT("receive_errs", NL_RX_ERRORS, E),
	NETDEV_STAT("transmit_errs", NL_TX_ERRORS, E),
	NETDEV_STAT("receive_drop", NL_RX_DROPPED, NL_RX_MISSED, E),
	NETDEV_STAT("transmit_drop", NL_TX_DROPPED, E),
	NETDEV_STAT("receive_multicast", NL_MULTICAST, E),
	NETDEV_STAT("transmit_colls", NL_COLLISIONS, E),
	NETDEV_STAT("receive_frame", NL_RX_FRAME, NL_RX_LENGTH, NL_RX_OVER, NL_RX_CRC),
	NETDEV_STAT("receive_fifo", NL_RX_FIFO, E),
	NETDEV_STAT("transmit_carrier", NL_TX_CARRIER, NL_TX_ABORTED, NL_TX_HEARTBEAT,
		    NL_TX_WINDOW),
	NETDEV_STAT("transmit_fifo", NL_TX_FIFO, E),
	NETDEV_STAT("receive_compressed", NL_RX_COMPRESSED, E),
	NETDEV_STAT("transmit_compressed", NL_TX_COMPRESSED, E),
	NETDEV_STAT("receive_nohandler", NL_RX_NOHANDLER, E),
};

static const struct netdev_stat netdev_netlink_detailed[] = {
	NETDEV_STAT("receive_packets", NL_RX_PACKETS, E),
	NETDEV_STAT("transmit_packets", NL_TX_PACKETS, E),
	NETDEV_STAT("receive_bytes", NL_RX_BYTES, E),
	NETDEV_STAT("transmit_bytes", NL_TX_BYTES, E),
	NETDEV_STAT("receive_errors", NL_RX_ERRORS, E),
	NETDEV_STAT("transmit_errors", NL_TX_ERRORS, E),
	NETDEV_STAT("receive_dropped", NL_RX_DROPPED, E),
	NETDEV_STAT("transmit_dropped", NL_TX_DROPPED, E),
	NETDEV_STAT("multicast", NL_MULTICAST, E),
	NETDEV_STAT("collisions", NL_COLLISIONS, E),
	NETDEV_STAT("receive_length_errors", NL_RX_LENGTH, E),
	NETDEV_STAT("receive_over_errors", NL_RX_OVER, E),
	NETDEV_STAT("receive_crc_errors", NL_RX_CRC, E),
	NETDEV_STAT("receive_frame_errors", NL_RX_FRAME, E),
	NETDEV_STAT("receive_fifo_errors", NL_RX_FIFO, E),
	NETDEV_STAT("receive_missed_errors", NL_RX_MISSED, E),
	NETDEV_STAT("transmit_aborted_errors", NL_TX_ABORTED, E),
	NETDEV_STAT("transmit_carrier_errors", NL_TX_CARRIER, E),
	NETDEV_STAT("transmit_fifo_errors", NL_TX_FIFO, E),
	NETDEV_STAT("transmit_heartbeat_errors", NL_TX_HEARTBEAT, E),
	NETDEV_STAT("transmit_window_errors", NL_TX_WINDOW, E),
	NETDEV_STAT("receive_compressed", NL_RX_COMPRESSED, E),
	NETDEV_STAT("transmit_compressed", NL_TX_COMPRESSED, E),
	NETDEV_STAT("receive_nohandler", NL_RX_NOHANDLER, E),
};

/*
 * /proc/net/dev columns; legacy names fold nothing there, they only rename.
 * The legacy and detailed names differ only in the errors and drops columns
 * ("errs"/"errors", "drop"/"dropped").
 */
#define NETDEV_PROC_STATS(errs, drop)                                                              \
	{                                                                                          \
		NETDEV_STAT("receive_bytes", 0, E), NETDEV_STAT("receive_packets", 1, E),          \
			NETDEV_STAT("receive_" errs, 2, E), NETDEV_STAT("receive_" drop, 3, E),    \
			NETDEV_STAT("receive_fifo", 4, E), NETDEV_STAT("receive_frame", 5, E),     \
			NETDEV_STAT("receive_compressed", 6, E),                                   \
			NETDEV_STAT("receive_multicast", 7, E),                                    \
			NETDEV_STAT("transmit_bytes", 8, E),                                       \
			NETDEV_STAT("transmit_packets", 9, E),                                     \
			NETDEV_STAT("transmit_" errs, 10, E),                                      \
			NETDEV_STAT("transmit_" drop, 11, E), NETDEV_STAT("transmit_fifo", 12, E), \
			NETDEV_STAT("transmit_colls", 13, E),                                      \
			NETDEV_STAT("transmit_carrier", 14, E),                                    \
			NETDEV_STAT("transmit_compressed", 15, E),                                 \
	}

static const struct netdev_stat netdev_proc_legacy[] = NETDEV_PROC_STATS("errs", "drop");
static const struct netdev_stat netdev_proc_detailed[] = NETDEV_PROC_STATS("errors", "dropped");
#undef NETDEV_PROC_STATS
#undef E

struct netdev_dev {
	char name[64];
	char ifalias[SYSFS_ATTR_SIZE]; /* with --collector.netdev.label-ifalias */
	uint64_t v[NL_NSTATS];
};

/* A device's name by its ifindex, from the scrape's link dump. */
struct netdev_name {
	int ifindex;
	char name[32];
};

struct netdev_state {
	struct pfile *pf; /* /proc/net/dev */
	struct rtnl rtnl;	/* counters (RTM_GETSTATS, or the full link dump) */
	struct rtnl rtnl_links; /* names, outside a scrape (rtnl_scrape_links) */
	struct netdev_name *names; /* sorted by ifindex */
	size_t nnames, capnames;
	struct netdev_dev *devs;
	size_t ndevs, cap;
};

static int netdev_setup(char *errbuf, size_t errlen)
{
	static const struct devfilter_opts o = {
		.include_flag = "collector.netdev.device-include",
		.exclude_flag = "collector.netdev.device-exclude",
		.conflict = "device-exclude & device-include are mutually exclusive",
		.log_parsed = true,
	};
	return devfilter_setup(&netdev_filter, netdev_include_flag, netdev_exclude_flag, &o, errbuf,
			       errlen);
}

static struct netdev_dev *netdev_add(struct netdev_state *st, const char *name, size_t len)
{
	if (st->ndevs == st->cap) {
		st->cap = st->cap ? st->cap * 2 : 16;
		st->devs = xrealloc(st->devs, st->cap * sizeof(*st->devs));
	}
	struct netdev_dev *d = &st->devs[st->ndevs++];
	memset(d, 0, sizeof(*d));
	if (len >= sizeof(d->name))
		len = sizeof(d->name) - 1;
	memcpy(d->name, name, len);
	return d;
}

/* ---- /proc/net/dev ------------------------------------------------------ */

static int netdev_read_proc(struct netdev_state *st)
{
	if (!st->pf) {
		char path[PATH_MAX];
		st->pf = pfile_open(proc_path(path, "net/dev"), " \t:");
		if (!st->pf)
			return -errno;
	}
	int rc = pfile_read(st->pf);
	if (rc)
		return rc;
	/* the first two lines are headers */
	for (size_t l = 2; l < pfile_lines(st->pf); l++) {
		size_t nw = pfile_words(st->pf, l);
		if (nw < 1 + NETDEV_PROC_COLUMNS)
			return -EINVAL;
		const char *name = pfile_word(st->pf, l, 0);
		struct netdev_dev *d = netdev_add(st, name, strlen(name));
		for (size_t i = 0; i < NETDEV_PROC_COLUMNS; i++) {
			if (parse_go_uint(pfile_word(st->pf, l, i + 1), 10, 64, &d->v[i]))
				return -EINVAL;
		}
		if (devfilter_ignored(&netdev_filter, d->name))
			st->ndevs--;
	}
	return 0;
}

/* ---- rtnetlink ------------------------------------------------------------ */

/* rtnl_link_fn: one device of the dump, its name and counters. */
static void netdev_nl_link(void *ctx, const struct ifinfomsg *ifi, const struct rtattr *a, int len)
{
	struct netdev_state *st = ctx;
	(void)ifi;
	const char *name = NULL;
	size_t namelen = 0;
	const struct rtattr *st64 = NULL, *st32 = NULL;
	for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		switch (a->rta_type) {
		case IFLA_IFNAME:
			name = RTA_DATA(a);
			namelen = strnlen(name, RTA_PAYLOAD(a));
			break;
		case IFLA_STATS64:
			st64 = a;
			break;
		case IFLA_STATS:
			st32 = a;
			break;
		}
	}
	if (!name || (!st64 && !st32))
		return;
	char tmp[64];
	snprintf(tmp, sizeof(tmp), "%.*s", (int)namelen, name);
	if (devfilter_ignored(&netdev_filter, tmp))
		return;
	struct netdev_dev *d = netdev_add(st, name, namelen);
	if (st64) {
		size_t n = RTA_PAYLOAD(st64) / sizeof(uint64_t);
		for (size_t i = 0; i < n && i < NL_NSTATS; i++)
			memcpy(&d->v[i], (const char *)RTA_DATA(st64) + i * sizeof(uint64_t),
			       sizeof(uint64_t));
	} else {
		size_t n = RTA_PAYLOAD(st32) / sizeof(uint32_t);
		for (size_t i = 0; i < n && i < NL_NSTATS; i++) {
			uint32_t v;
			memcpy(&v, (const char *)RTA_DATA(st32) + i * sizeof(uint32_t), sizeof(v));
			d->v[i] = v;
		}
	}
}

/* rtnl_link_fn: remember a device's name by its ifindex. */
static void netdev_nl_name(void *ctx, const struct ifinfomsg *ifi, const struct rtattr *a, int len)
{
	struct netdev_state *st = ctx;
	for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type != IFLA_IFNAME)
			continue;
		if (st->nnames == st->capnames) {
			st->capnames = st->capnames ? st->capnames * 2 : 16;
			st->names = xrealloc(st->names, st->capnames * sizeof(*st->names));
		}
		struct netdev_name *n = &st->names[st->nnames++];
		n->ifindex = ifi->ifi_index;
		size_t k = strnlen(RTA_DATA(a), RTA_PAYLOAD(a));
		if (k >= sizeof(n->name))
			k = sizeof(n->name) - 1;
		memcpy(n->name, RTA_DATA(a), k);
		n->name[k] = '\0';
		return;
	}
}

static int netdev_cmp_ifindex(const void *a, const void *b)
{
	int x = ((const struct netdev_name *)a)->ifindex, y = ((const struct netdev_name *)b)->ifindex;
	return (x > y) - (x < y);
}

/* rtnl_stats_fn: one device's counters, named through the link dump. */
static void netdev_nl_stats(void *ctx, int ifindex, const struct rtnl_link_stats64 *s64)
{
	struct netdev_state *st = ctx;
	struct netdev_name key = {.ifindex = ifindex};
	const struct netdev_name *n =
		bsearch(&key, st->names, st->nnames, sizeof(*st->names), netdev_cmp_ifindex);
	if (!n || devfilter_ignored(&netdev_filter, n->name))
		return; /* added between the two dumps: next scrape */
	struct netdev_dev *d = netdev_add(st, n->name, strlen(n->name));
	/* the same u64 fields, in the same order, as IFLA_STATS64 */
	size_t nv = sizeof(*s64) / sizeof(uint64_t);
	for (size_t i = 0; i < nv && i < NL_NSTATS; i++)
		memcpy(&d->v[i], (const char *)s64 + i * sizeof(uint64_t), sizeof(uint64_t));
}

/*
 * Counters by RTM_GETSTATS, named by the scrape's link dump (which netclass
 * asks for too): a full link dump with counters costs the kernel several
 * times more.  Kernels without RTM_GETSTATS (before 4.7) get the full dump.
 */
static int netdev_read_netlink(struct netdev_state *st)
{
	st->nnames = 0;
	int rc = rtnl_scrape_links(&st->rtnl_links, netdev_nl_name, st);
	if (rc == 0) {
		qsort(st->names, st->nnames, sizeof(*st->names), netdev_cmp_ifindex);
		rc = rtnl_dump_stats64(&st->rtnl, netdev_nl_stats, st);
		if (rc != -EOPNOTSUPP && rc != -EINVAL)
			return rc;
		st->ndevs = 0;
	}
	return rtnl_dump_links(&st->rtnl, false, netdev_nl_link, st);
}

/* ---- addresses ------------------------------------------------------------ */

/* node_exporter's scope(): Go's net.IP classification. */
static const char *netdev_scope(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const uint8_t *ip = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
		if (ip[0] == 127 || (ip[0] == 169 && ip[1] == 254) ||
		    (ip[0] == 224 && ip[1] == 0 && ip[2] == 0))
			return "link-local";
		bool bcast = ip[0] == 255 && ip[1] == 255 && ip[2] == 255 && ip[3] == 255;
		bool unspec = !ip[0] && !ip[1] && !ip[2] && !ip[3];
		if (!bcast && !unspec && (ip[0] & 0xf0) != 0xe0)
			return "global";
		return "";
	}
	const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	const uint8_t *ip = a->s6_addr;
	if (IN6_IS_ADDR_V4MAPPED(a)) {
		struct sockaddr_in v4 = {.sin_family = AF_INET};
		memcpy(&v4.sin_addr, ip + 12, 4);
		return netdev_scope((const struct sockaddr *)&v4);
	}
	if (IN6_IS_ADDR_LOOPBACK(a) || (ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80) ||
	    (ip[0] == 0xff && (ip[1] & 0x0f) == 0x02))
		return "link-local";
	if (ip[0] == 0xff && (ip[1] & 0x0f) == 0x01)
		return "interface-local";
	if (ip[0] != 0xff && !IN6_IS_ADDR_UNSPECIFIED(a))
		return "global";
	return "";
}

/* Prefix length of a netmask, 0 when its ones are not contiguous (Go's Mask.Size). */
static int netdev_prefix(const struct sockaddr *mask)
{
	const uint8_t *b;
	size_t n;
	if (!mask)
		return 0;
	if (mask->sa_family == AF_INET) {
		b = (const uint8_t *)&((const struct sockaddr_in *)mask)->sin_addr;
		n = 4;
	} else {
		b = ((const struct sockaddr_in6 *)mask)->sin6_addr.s6_addr;
		n = 16;
	}
	int ones = 0;
	size_t i = 0;
	for (; i < n && b[i] == 0xff; i++)
		ones += 8;
	if (i < n) {
		uint8_t v = b[i];
		while (v & 0x80) {
			ones++;
			v = (uint8_t)(v << 1);
		}
		if (v)
			return 0;
		for (i++; i < n; i++)
			if (b[i])
				return 0;
	}
	return ones;
}

static int netdev_addresses(struct expo_set *out)
{
	struct ifaddrs *ifa;
	if (getifaddrs(&ifa) < 0)
		return -errno;
	struct expo_family *f = expo_family(out, "node_network_address_info",
					    "node network address by device", EXPO_GAUGE);
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr ||
		    (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
			continue;
		if (devfilter_ignored(&netdev_filter, i->ifa_name))
			continue;
		char addr[INET6_ADDRSTRLEN], mask[16];
		const void *raw =
			i->ifa_addr->sa_family == AF_INET
				? (const void *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr
				: (const void *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
		if (!inet_ntop(i->ifa_addr->sa_family, raw, addr, sizeof(addr)))
			continue;
		snprintf(mask, sizeof(mask), "%d", netdev_prefix(i->ifa_netmask));
		expo_addl(f, 1, "device", i->ifa_name, "address", addr, "netmask", mask, "scope",
			  netdev_scope(i->ifa_addr), NULL);
	}
	freeifaddrs(ifa);
	return 0;
}

/* ---- the collector ----------------------------------------------------------- */

static int netdev_collect(void *state, struct expo_set *out)
{
	struct netdev_state *st = state;
	st->ndevs = 0;
	int rc = netdev_netlink ? netdev_read_netlink(st) : netdev_read_proc(st);
	if (rc)
		return rc;

	const struct netdev_stat *stats;
	size_t nstats;
	if (netdev_netlink) {
		stats = netdev_detailed ? netdev_netlink_detailed : netdev_netlink_legacy;
		nstats = netdev_detailed ? ARRAY_SIZE(netdev_netlink_detailed)
					 : ARRAY_SIZE(netdev_netlink_legacy);
	} else {
		stats = netdev_detailed ? netdev_proc_detailed : netdev_proc_legacy;
		nstats = netdev_detailed ? ARRAY_SIZE(netdev_proc_detailed)
					 : ARRAY_SIZE(netdev_proc_legacy);
	}
	if (netdev_label_ifalias) {
		for (size_t d = 0; d < st->ndevs; d++) {
			char path[PATH_MAX], *a = st->devs[d].ifalias, *v;
			/* one read, trimmed of blanks, as procfs's SysReadFile does */
			if (read_attr_trimmed(
				    AT_FDCWD,
				    sys_path(path, "class/net/%s/ifalias", st->devs[d].name), a,
				    sizeof(st->devs[d].ifalias), &v) == 0)
				memmove(a, v, strlen(v) + 1);
			else
				a[0] = '\0';
		}
	}
	for (size_t i = 0; i < nstats; i++) {
		struct expo_family *f =
			expo_family(out, stats[i].name, stats[i].help, EXPO_COUNTER);
		for (size_t d = 0; d < st->ndevs; d++) {
			const struct netdev_dev *dev = &st->devs[d];
			uint64_t v = 0;
			for (size_t s = 0; s < ARRAY_SIZE(stats[i].src) && stats[i].src[s] >= 0;
			     s++)
				v += dev->v[stats[i].src[s]];
			const struct expo_label l[2] = {{"device", dev->name},
							{"ifalias", dev->ifalias}};
			expo_add(f, l, netdev_label_ifalias ? 2 : 1, (double)v);
		}
	}
	if (netdev_address_info)
		return netdev_addresses(out);
	return 0;
}

static void netdev_cleanup(void *state)
{
	struct netdev_state *st = state;
	pfile_close(st->pf);
	rtnl_close(&st->rtnl);
	rtnl_close(&st->rtnl_links);
	free(st->names);
	free(st->devs);
}

const struct collector collector_netdev = {
	.name = "netdev",
	.default_on = true,
	.state_size = sizeof(struct netdev_state),
	.flags = netdev_flags,
	.nflags = ARRAY_SIZE(netdev_flags),
	.setup = netdev_setup,
	.collect = netdev_collect,
	.cleanup = netdev_cleanup,
};
