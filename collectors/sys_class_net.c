// SPDX-License-Identifier: Apache-2.0
/*
 * netclass: node_network_{up,info,mtu_bytes,speed_bytes,carrier,...}{device}
 * from the attributes of /sys/class/net/<device>/, one small file each
 * (documented in https://www.kernel.org/doc/Documentation/ABI/testing/sysfs-class-net).
 *
 * As node_exporter (procfs's sysfs.NetClass): every entry of /sys/class/net
 * that is not a regular file is a device (bonding_masters is skipped);
 * devices matching --collector.netclass.ignored-devices (an unanchored
 * regex) are left out.  An attribute is read with one read(2) of at most
 * 128 bytes and trimmed; an attribute that is missing or refuses to be read
 * (EACCES, EPERM, EINVAL as "speed" of a link that is down, EOPNOTSUPP) is
 * simply absent, any other error fails the collector.  Integers are parsed
 * as Go's ParseInt(s, 0, 64) ("0x1003" is hex); an unparsable one counts as
 * 0.  Everything is gathered first and emitted only when every device was
 * read, so a failure emits nothing.  A missing /sys/class/net is "no data"
 * (success 0).
 *
 * node_network_info carries HEAD node_exporter's adminstate label (up when
 * IFF_UP is set in flags, "unknown" without flags).  speed_bytes is
 * speed (Mb/s) * 125000; with --collector.netclass.ignore-invalid-speed a
 * negative speed (-1: unknown) is left out.  --collector.netclass.netlink is
 * accepted for compatibility (see below for where values come from).
 *
 * Where values come from: on a real sysfs whose devices are those of the
 * process's network namespace, the attributes that rtnetlink reports
 * exactly as sysfs shows them come from one RTM_GETLINK dump per scrape
 * (collectors/rtnl.h), and only duplex, addr_assign_type, dev_id, flags,
 * name_assign_type and speed are read from sysfs: 6 reads per device
 * instead of 22.  The kernel fills both from the same fields
 * (net/core/net-sysfs.c, net/core/rtnetlink.c): address and broadcast are
 * IFLA_ADDRESS/IFLA_BROADCAST in sysfs's "%*phC" form (empty without a
 * hardware address); operstate is IFLA_OPERSTATE named as sysfs names it
 * (already "down" when the device is not running); ifalias is
 * IFLA_IFALIAS cut to the 128 bytes node_exporter reads; carrier and
 * dormant, which sysfs refuses (EINVAL) on a device that is not running,
 * are IFLA_CARRIER and IFF_DORMANT only while IFF_UP is set; iflink is
 * IFLA_LINK or, without it, the ifindex; carrier_changes, carrier_up_count,
 * carrier_down_count, link_mode, mtu, netdev_group, tx_queue_len, ifindex
 * and type are the attributes of the same names, as sysfs's "%d" prints
 * them.  flags stays a sysfs read: IFLA's ifi_flags mixes in the
 * operational state.  Whether sysfs shows the process's own namespace
 * (a sysfs mounted elsewhere, say a host's bind-mounted into a container,
 * may not) is checked once, at the first scrape: every device is read from
 * sysfs alone, and ifindex and address must match the dump's for all of
 * them; otherwise every scrape reads sysfs alone.  A listed device missing
 * from the dump (added in between) is read from sysfs alone too.
 *
 * Cost: on a real sysfs (statfs magic SYSFS_MAGIC) the agent keeps the
 * attribute files of up to NC_CACHE_DEVS devices open (fewer when
 * RLIMIT_NOFILE is low; further devices are read the plain way), one set
 * shared by the scrape threads, and re-reads them with one pread(2) at
 * offset 0, which makes kernfs generate the value again, so nothing is
 * cached but the descriptor: every value is as fresh as an open/read/close
 * would give.  Invalidation: a removed device's descriptors fail with
 * ENODEV (also when a device of the same name was created again), and then
 * the device's descriptors are closed and its attributes opened afresh by
 * name; a device no longer listed loses its descriptors at the end of the
 * scrape; a renamed device is a new name.  An attribute that could not be
 * opened is tried again every scrape.  Any other tree (a fixture directory
 * of regular files, which could be replaced by rename) is read with
 * open/read/close every time.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "collectors/rtnl.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/pfile.h"
#include "common/strutil.h"

static char *netclass_ignored_flag;
static bool netclass_invalid_speed, netclass_netlink;
static struct vregex *netclass_ignored;

static const struct flag_def netclass_flags[] = {
	{"collector.netclass.ignored-devices", FLAG_STRING, &netclass_ignored_flag, "^$",
	 "Regexp of net devices to ignore for netclass collector.", NULL, NULL},
	{"collector.netclass.ignore-invalid-speed", FLAG_BOOL, &netclass_invalid_speed, "false",
	 "Ignore devices where the speed is invalid. This will be the default behavior in 2.x.",
	 NULL, NULL},
	{"collector.netclass.netlink", FLAG_BOOL, &netclass_netlink, "false",
	 "Use netlink to gather stats instead of /proc/net/dev (accepted; vigil reads sysfs).",
	 NULL, NULL},
};

/* Integer attributes, in node_exporter's emission order. */
enum {
	NC_ADDR_ASSIGN_TYPE,
	NC_CARRIER,
	NC_CARRIER_CHANGES,
	NC_CARRIER_UP,
	NC_CARRIER_DOWN,
	NC_DEV_ID,
	NC_DORMANT,
	NC_FLAGS,
	NC_IFINDEX,
	NC_IFLINK,
	NC_LINK_MODE,
	NC_MTU,
	NC_NAME_ASSIGN_TYPE,
	NC_NETDEV_GROUP,
	NC_SPEED,
	NC_TX_QUEUE_LEN,
	NC_TYPE,
	NC_NINTS
};

static const struct {
	const char *attr;
	const char *name; /* family name, NULL: emitted specially */
	const char *help;
	enum expo_type type;
} netclass_ints[NC_NINTS] = {
#define NC(attr, key, type)                                                                        \
	{                                                                                          \
		attr, "node_network_" key, "Network device property: " key, type                   \
	}
	[NC_ADDR_ASSIGN_TYPE] = NC("addr_assign_type", "address_assign_type", EXPO_GAUGE),
	[NC_CARRIER] = NC("carrier", "carrier", EXPO_GAUGE),
	[NC_CARRIER_CHANGES] = NC("carrier_changes", "carrier_changes_total", EXPO_COUNTER),
	[NC_CARRIER_UP] = NC("carrier_up_count", "carrier_up_changes_total", EXPO_COUNTER),
	[NC_CARRIER_DOWN] = NC("carrier_down_count", "carrier_down_changes_total", EXPO_COUNTER),
	[NC_DEV_ID] = NC("dev_id", "device_id", EXPO_GAUGE),
	[NC_DORMANT] = NC("dormant", "dormant", EXPO_GAUGE),
	[NC_FLAGS] = NC("flags", "flags", EXPO_GAUGE),
	[NC_IFINDEX] = NC("ifindex", "iface_id", EXPO_GAUGE),
	[NC_IFLINK] = NC("iflink", "iface_link", EXPO_GAUGE),
	[NC_LINK_MODE] = NC("link_mode", "iface_link_mode", EXPO_GAUGE),
	[NC_MTU] = NC("mtu", "mtu_bytes", EXPO_GAUGE),
	[NC_NAME_ASSIGN_TYPE] = NC("name_assign_type", "name_assign_type", EXPO_GAUGE),
	[NC_NETDEV_GROUP] = NC("netdev_group", "net_dev_group", EXPO_GAUGE),
	[NC_SPEED] = NC("speed", "speed_bytes", EXPO_GAUGE),
	[NC_TX_QUEUE_LEN] = NC("tx_queue_len", "transmit_queue_length", EXPO_GAUGE),
	[NC_TYPE] = NC("type", "protocol_type", EXPO_GAUGE),
#undef NC
};

/* String attributes, the labels of node_network_info. */
enum { NC_ADDRESS, NC_BROADCAST, NC_DUPLEX, NC_OPERSTATE, NC_IFALIAS, NC_NSTRS };
static const char *const netclass_strs[NC_NSTRS] = {"address", "broadcast", "duplex", "operstate",
						    "ifalias"};

#define NC_VALUE_MAX 128 /* procfs reads sysfs attributes with one 128-byte read */

struct netclass_iface {
	char name[NAME_MAX + 1];
	char str[NC_NSTRS][NC_VALUE_MAX + 1];
	int64_t val[NC_NINTS];
	uint32_t have; /* bit i: val[i] was read */
};

#define SYSFS_MAGIC_NUMBER 0x62656572 /* linux/magic.h SYSFS_MAGIC */
#define NC_NFILES	   (NC_NSTRS + NC_NINTS)
/*
 * Devices whose attribute descriptors a thread keeps (NC_NFILES each): at
 * most NC_CACHE_DEVS, and together at most an eighth of RLIMIT_NOFILE.
 */
#define NC_CACHE_DEVS 16

/* The open attribute files of one device; fd[k] < 0: not open. */
struct netclass_fds {
	char name[NAME_MAX + 1];
	ino_t ino; /* of the /sys/class/net entry the descriptors were opened through */
	int fd[NC_NFILES];
	bool seen; /* listed in this scrape */
};

/*
 * The descriptors are shared by the scrape threads (a thread holds the lock
 * while it reads the devices): every open descriptor makes the
 * /proc/self/fd listing of process_open_fds dearer, so one set, not one
 * per thread.
 */
static struct {
	pthread_mutex_t mu;
	struct netclass_fds fds[NC_CACHE_DEVS];
	size_t nfds, maxfds;
	bool sized; /* maxfds set from RLIMIT_NOFILE */
} netclass_cache = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* Whether sysfs and rtnetlink show the same devices (see the top comment). */
enum netclass_nl_state { NL_UNCHECKED, NL_SAME, NL_OTHER };

struct netclass_state {
	DIR *dir; /* /sys/class/net, kept open and rewound each scrape */
	bool is_sysfs;
	struct netclass_iface *ifs;
	size_t nifs, cap;
	enum netclass_nl_state nl_state;
	struct rtnl rtnl;
	struct netclass_iface *nl; /* this scrape's dump, sorted by name */
	size_t nnl, capnl;
};

/* Attribute file k (string attributes first) as a bit of a file mask. */
#define NC_BIT(k) (1u << (k))
#define NC_ALL_FILES ((1u << NC_NFILES) - 1)
/* The files whose values the rtnetlink dump gives exactly. */
#define NC_NL_FILES                                                                                \
	(NC_BIT(NC_ADDRESS) | NC_BIT(NC_BROADCAST) | NC_BIT(NC_OPERSTATE) | NC_BIT(NC_IFALIAS) |   \
	 NC_BIT(NC_NSTRS + NC_CARRIER) | NC_BIT(NC_NSTRS + NC_CARRIER_CHANGES) |                   \
	 NC_BIT(NC_NSTRS + NC_CARRIER_UP) | NC_BIT(NC_NSTRS + NC_CARRIER_DOWN) |                   \
	 NC_BIT(NC_NSTRS + NC_DORMANT) | NC_BIT(NC_NSTRS + NC_IFINDEX) |                           \
	 NC_BIT(NC_NSTRS + NC_IFLINK) | NC_BIT(NC_NSTRS + NC_LINK_MODE) |                          \
	 NC_BIT(NC_NSTRS + NC_MTU) | NC_BIT(NC_NSTRS + NC_NETDEV_GROUP) |                          \
	 NC_BIT(NC_NSTRS + NC_TX_QUEUE_LEN) | NC_BIT(NC_NSTRS + NC_TYPE))

static int netclass_setup(char *errbuf, size_t errlen)
{
	vregex_free(netclass_ignored);
	netclass_ignored = vregex_compile(netclass_ignored_flag ? netclass_ignored_flag : "^$",
					  false, errbuf, errlen);
	return netclass_ignored ? 0 : -EINVAL;
}

/*
 * Read attribute name of the device directory dfd into out (NC_VALUE_MAX +
 * 1 bytes, trimmed).  Returns 1 when read, 0 when absent or unreadable in
 * an ignorable way, or a negative errno.
 */
static int netclass_attr(int dfd, const char *name, char *out)
{
	char *v;
	int rc = read_attr_trimmed(dfd, name, out, NC_VALUE_MAX + 1, &v);
	if (rc == -ENOENT || rc == -EACCES || rc == -EPERM || rc == -EINVAL || rc == -EOPNOTSUPP)
		return 0;
	if (rc < 0)
		return rc;
	memmove(out, v, strlen(v) + 1);
	return 1;
}

/* File k of a device: the string attributes, then the integer ones. */
static const char *netclass_file(int k)
{
	return k < NC_NSTRS ? netclass_strs[k] : netclass_ints[k - NC_NSTRS].attr;
}

/* Store attribute file k's trimmed value v (NULL: absent) into ifc. */
static void netclass_store(struct netclass_iface *ifc, int k, const char *v)
{
	if (k < NC_NSTRS) {
		snprintf(ifc->str[k], sizeof(ifc->str[k]), "%s", v ? v : "");
		return;
	}
	int i = k - NC_NSTRS;
	if (!v)
		return;
	ifc->have |= 1u << i;
	if (parse_go_int(v, 0, 64, &ifc->val[i]))
		ifc->val[i] = 0; /* procfs's ValueParser yields 0 on a parse error */
}

/* Whether err (positive errno) of opening or reading an attribute means "absent". */
static bool netclass_absent(int err)
{
	return err == ENOENT || err == EACCES || err == EPERM || err == EINVAL || err == EOPNOTSUPP;
}

static void netclass_fds_close(struct netclass_fds *c)
{
	for (int k = 0; k < NC_NFILES; k++) {
		if (c->fd[k] >= 0)
			close(c->fd[k]);
		c->fd[k] = -1;
	}
}

/*
 * Read the device through its kept descriptors, opening the missing ones.
 * Returns 0, -ENODEV when a descriptor belongs to a removed device (the
 * caller closes them and reads by name), or a negative errno.
 */
static int netclass_read_cached(struct netclass_iface *ifc, struct netclass_fds *c, int classfd,
				uint32_t files)
{
	int dfd = -1, rc = 0;
	char tmp[NC_VALUE_MAX + 1];
	for (int k = 0; k < NC_NFILES; k++) {
		if (!(files & NC_BIT(k))) {
			if (c->fd[k] >= 0) /* read from sysfs no longer */
				close(c->fd[k]);
			c->fd[k] = -1;
			continue;
		}
		if (c->fd[k] < 0) {
			if (dfd < 0) {
				dfd = openat(classfd, ifc->name,
					     O_RDONLY | O_DIRECTORY | O_CLOEXEC);
				if (dfd < 0) {
					rc = -errno;
					goto out;
				}
			}
			c->fd[k] = openat(dfd, netclass_file(k), O_RDONLY | O_CLOEXEC);
			if (c->fd[k] < 0) {
				int err = errno;
				if (!netclass_absent(err)) {
					rc = -err;
					goto out;
				}
				netclass_store(ifc, k, NULL);
				continue;
			}
		}
		int n = read_attr_fd(c->fd[k], tmp, sizeof(tmp));
		if (n == -ENODEV) {
			rc = n;
			goto out;
		}
		if (n < 0 && !netclass_absent(-n)) {
			rc = n;
			goto out;
		}
		netclass_store(ifc, k, n < 0 ? NULL : trim_space(tmp));
	}
out:
	if (dfd >= 0)
		close(dfd);
	return rc;
}

/* The descriptor slot of device name: found, a free one, or NULL when full. */
static struct netclass_fds *netclass_slot(const char *name)
{
	for (size_t i = 0; i < netclass_cache.nfds; i++)
		if (strcmp(netclass_cache.fds[i].name, name) == 0)
			return &netclass_cache.fds[i];
	if (netclass_cache.nfds == netclass_cache.maxfds)
		return NULL;
	struct netclass_fds *c = &netclass_cache.fds[netclass_cache.nfds++];
	snprintf(c->name, sizeof(c->name), "%s", name);
	for (int k = 0; k < NC_NFILES; k++)
		c->fd[k] = -1;
	return c;
}

/* Close the descriptors of the devices not listed in this scrape. */
static void netclass_prune(void)
{
	size_t j = 0;
	for (size_t i = 0; i < netclass_cache.nfds; i++) {
		if (!netclass_cache.fds[i].seen) {
			netclass_fds_close(&netclass_cache.fds[i]);
			continue;
		}
		netclass_cache.fds[i].seen = false;
		if (i != j)
			netclass_cache.fds[j] = netclass_cache.fds[i];
		j++;
	}
	netclass_cache.nfds = j;
}

static int netclass_read_iface(struct netclass_iface *ifc, int classfd, uint32_t files)
{
	int dfd = openat(classfd, ifc->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	int rc = 0;
	char tmp[NC_VALUE_MAX + 1];
	for (int i = 0; i < NC_NSTRS; i++) {
		if (!(files & NC_BIT(i)))
			continue;
		rc = netclass_attr(dfd, netclass_strs[i], ifc->str[i]);
		if (rc < 0)
			goto out;
		if (rc == 0)
			ifc->str[i][0] = '\0';
	}
	for (int i = 0; i < NC_NINTS; i++) {
		if (!(files & NC_BIT(NC_NSTRS + i)))
			continue;
		rc = netclass_attr(dfd, netclass_ints[i].attr, tmp);
		if (rc < 0)
			goto out;
		if (rc == 0)
			continue;
		ifc->have |= 1u << i;
		if (parse_go_int(tmp, 0, 64, &ifc->val[i]))
			ifc->val[i] = 0; /* procfs's ValueParser yields 0 on a parse error */
	}
	rc = 0;
out:
	close(dfd);
	return rc;
}

/* sysfs's names of IF_OPER_* (include/uapi/linux/if.h), as operstate shows them. */
static const char *const netclass_operstates[] = {"unknown", "notpresent",    "down", "lowerlayerdown",
						  "testing", "dormant", "up"};

/* A hardware address as sysfs prints it ("%*phC": lower-case hex bytes joined by ':'). */
static void netclass_hwaddr(char *out, const struct rtattr *a)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *b = RTA_DATA(a);
	size_t n = RTA_PAYLOAD(a);
	if (n > 32) /* MAX_ADDR_LEN; 32 bytes take 95 characters */
		n = 32;
	char *o = out;
	for (size_t i = 0; i < n; i++) {
		if (i)
			*o++ = ':';
		*o++ = hex[b[i] >> 4];
		*o++ = hex[b[i] & 15];
	}
	*o = '\0';
}

/* The 32-bit IFLA attributes that are integer attributes of sysfs. */
static const struct {
	unsigned short type;
	int val; /* NC_* */
} netclass_nl_u32[] = {
	{IFLA_CARRIER_CHANGES, NC_CARRIER_CHANGES},
	{IFLA_CARRIER_UP_COUNT, NC_CARRIER_UP},
	{IFLA_CARRIER_DOWN_COUNT, NC_CARRIER_DOWN},
	{IFLA_LINK, NC_IFLINK},
	{IFLA_MTU, NC_MTU},
	{IFLA_GROUP, NC_NETDEV_GROUP},
	{IFLA_TXQLEN, NC_TX_QUEUE_LEN},
};

/* A 32-bit attribute as sysfs's "%d" prints it. */
static int64_t netclass_nl_int(const struct rtattr *a)
{
	uint32_t v = 0;
	if (RTA_PAYLOAD(a) >= sizeof(v))
		memcpy(&v, RTA_DATA(a), sizeof(v));
	return (int32_t)v;
}

static void netclass_nl_set(struct netclass_iface *d, int i, int64_t v)
{
	d->val[i] = v;
	d->have |= 1u << i;
}

/* rtnl_link_fn: one device of the dump into st->nl (see the top comment). */
static void netclass_nl_link(void *ctx, const struct ifinfomsg *ifi, const struct rtattr *a,
			     int len)
{
	struct netclass_state *st = ctx;
	if (st->nnl == st->capnl) {
		st->capnl = st->capnl ? st->capnl * 2 : 8;
		st->nl = xrealloc(st->nl, st->capnl * sizeof(*st->nl));
	}
	struct netclass_iface *d = &st->nl[st->nnl];
	memset(d->name, 0, sizeof(d->name));
	for (int i = 0; i < NC_NSTRS; i++)
		d->str[i][0] = '\0';
	d->have = 0;
	bool up = ifi->ifi_flags & IFF_UP; /* sysfs: netif_running() */
	netclass_nl_set(d, NC_IFINDEX, ifi->ifi_index);
	netclass_nl_set(d, NC_IFLINK, ifi->ifi_index); /* IFLA_LINK only when it differs */
	netclass_nl_set(d, NC_TYPE, ifi->ifi_type);
	if (up)
		netclass_nl_set(d, NC_DORMANT, (ifi->ifi_flags & IFF_DORMANT) != 0);
	for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		const unsigned char *p = RTA_DATA(a);
		size_t n = RTA_PAYLOAD(a);
		switch (a->rta_type) {
		case IFLA_IFNAME:
			memcpy(d->name, p, n < sizeof(d->name) - 1 ? n : sizeof(d->name) - 1);
			break;
		case IFLA_ADDRESS:
			netclass_hwaddr(d->str[NC_ADDRESS], a);
			break;
		case IFLA_BROADCAST:
			netclass_hwaddr(d->str[NC_BROADCAST], a);
			break;
		case IFLA_OPERSTATE:
			if (n >= 1 && p[0] < ARRAY_SIZE(netclass_operstates))
				strcpy(d->str[NC_OPERSTATE], netclass_operstates[p[0]]);
			break;
		case IFLA_IFALIAS: {
			/* node_exporter reads at most 128 bytes of "alias\n" */
			size_t k = strnlen((const char *)p, n);
			if (k > NC_VALUE_MAX)
				k = NC_VALUE_MAX;
			memcpy(d->str[NC_IFALIAS], p, k);
			d->str[NC_IFALIAS][k] = '\0';
			const char *t = trim_space(d->str[NC_IFALIAS]);
			memmove(d->str[NC_IFALIAS], t, strlen(t) + 1);
			break;
		}
		case IFLA_CARRIER:
			if (up && n >= 1)
				netclass_nl_set(d, NC_CARRIER, p[0] != 0);
			break;
		case IFLA_LINKMODE:
			if (n >= 1)
				netclass_nl_set(d, NC_LINK_MODE, p[0]);
			break;
		default:
			for (size_t i = 0; i < ARRAY_SIZE(netclass_nl_u32); i++)
				if (a->rta_type == netclass_nl_u32[i].type)
					netclass_nl_set(d, netclass_nl_u32[i].val, netclass_nl_int(a));
		}
	}
	if (d->name[0])
		st->nnl++;
}

static int netclass_cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct netclass_iface *)a)->name,
		      ((const struct netclass_iface *)b)->name);
}

/* The dump's entry for device name, or NULL. */
static const struct netclass_iface *netclass_nl_find(const struct netclass_state *st,
						     const char *name)
{
	size_t lo = 0, hi = st->nnl;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, st->nl[mid].name);
		if (!c)
			return &st->nl[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* Fill ifc's attributes that come from the dump (NC_NL_FILES) from nl. */
static void netclass_nl_merge(struct netclass_iface *ifc, const struct netclass_iface *nl)
{
	for (int k = 0; k < NC_NFILES; k++) {
		if (!(NC_NL_FILES & NC_BIT(k)))
			continue;
		if (k < NC_NSTRS) {
			memcpy(ifc->str[k], nl->str[k], sizeof(ifc->str[k]));
			continue;
		}
		int i = k - NC_NSTRS;
		ifc->have = (ifc->have & ~(1u << i)) | (nl->have & (1u << i));
		ifc->val[i] = nl->val[i];
	}
}

/* Whether device ifc, read from sysfs alone, is the dump's nl (the first-scrape check). */
static bool netclass_nl_agrees(const struct netclass_iface *ifc, const struct netclass_iface *nl)
{
	uint32_t idx = 1u << NC_IFINDEX;
	return nl && (ifc->have & idx) && (nl->have & idx) &&
	       ifc->val[NC_IFINDEX] == nl->val[NC_IFINDEX] &&
	       strcmp(ifc->str[NC_ADDRESS], nl->str[NC_ADDRESS]) == 0;
}

/*
 * This scrape's dump into st->nl, sorted; false (nothing from netlink this
 * scrape) when sysfs is not the kernel's or not the process's namespace, or
 * the dump fails.
 */
static bool netclass_nl_dump(struct netclass_state *st)
{
	st->nnl = 0;
	if (!st->is_sysfs || st->nl_state == NL_OTHER)
		return false;
	int rc = rtnl_scrape_links(&st->rtnl, netclass_nl_link, st);
	if (rc < 0) {
		log_debug("netclass: rtnetlink dump failed, reading sysfs alone\terr=%s",
			  strerror(-rc));
		st->nnl = 0;
		return false;
	}
	qsort(st->nl, st->nnl, sizeof(*st->nl), netclass_cmp_name);
	return true;
}

static bool netclass_is_device(int classfd, const struct dirent *de)
{
	if (de->d_type != DT_UNKNOWN)
		return de->d_type != DT_REG;
	struct stat sb;
	if (fstatat(classfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	return !S_ISREG(sb.st_mode);
}

static int netclass_gather(struct netclass_state *st)
{
	if (!st->dir) {
		char path[PATH_MAX];
		st->dir = opendir(sys_path(path, "class/net"));
		if (!st->dir)
			return -errno;
		struct statfs sfs;
		st->is_sysfs = fstatfs(dirfd(st->dir), &sfs) == 0 &&
			       (unsigned long)sfs.f_type == SYSFS_MAGIC_NUMBER;
		struct rlimit rl;
		pthread_mutex_lock(&netclass_cache.mu);
		if (st->is_sysfs && !netclass_cache.sized && getrlimit(RLIMIT_NOFILE, &rl) == 0) {
			rlim_t devs = rl.rlim_cur / 8 / NC_NFILES;
			netclass_cache.maxfds = devs < NC_CACHE_DEVS ? (size_t)devs : NC_CACHE_DEVS;
			netclass_cache.sized = true;
		}
		pthread_mutex_unlock(&netclass_cache.mu);
	} else {
		rewinddir(st->dir);
	}
	DIR *dir = st->dir;
	int classfd = dirfd(dir);
	int rc = 0;
	st->nifs = 0;
	bool dumped = netclass_nl_dump(st);
	bool agree = dumped; /* the first-scrape check, over every device */
	if (st->is_sysfs)
		pthread_mutex_lock(&netclass_cache.mu);
	struct dirent *de;
	while ((de = readdir(dir))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (!netclass_is_device(classfd, de))
			continue;
		if (netclass_ignored && vregex_match(netclass_ignored, de->d_name))
			continue;
		if (st->nifs == st->cap) {
			st->cap = st->cap ? st->cap * 2 : 8;
			st->ifs = xrealloc(st->ifs, st->cap * sizeof(*st->ifs));
		}
		struct netclass_iface *ifc = &st->ifs[st->nifs];
		snprintf(ifc->name, sizeof(ifc->name), "%s", de->d_name);
		ifc->have = 0;
		struct netclass_fds *c = st->is_sysfs ? netclass_slot(ifc->name) : NULL;
		if (c && c->ino != de->d_ino) {
			/*
			 * Another entry under this name: the device was renamed
			 * (its kernfs nodes, and so our descriptors, live on under
			 * the new name) and another one took the name.  Reopen.
			 */
			netclass_fds_close(c);
			c->ino = de->d_ino;
		}
		const struct netclass_iface *nl = dumped ? netclass_nl_find(st, ifc->name) : NULL;
		uint32_t files = nl && st->nl_state == NL_SAME ? NC_ALL_FILES & ~NC_NL_FILES
							       : NC_ALL_FILES;
		if (c) {
			c->seen = true;
			rc = netclass_read_cached(ifc, c, classfd, files);
			if (rc == -ENODEV) {
				/* removed, perhaps created again: read it by name */
				netclass_fds_close(c);
				ifc->have = 0;
				rc = netclass_read_iface(ifc, classfd, files);
			}
		} else {
			rc = netclass_read_iface(ifc, classfd, files);
		}
		if (rc < 0)
			break;
		if (files != NC_ALL_FILES)
			netclass_nl_merge(ifc, nl);
		else if (st->nl_state == NL_UNCHECKED)
			agree = agree && netclass_nl_agrees(ifc, nl);
		st->nifs++;
	}
	if (rc == 0 && dumped && st->nl_state == NL_UNCHECKED) {
		st->nl_state = agree ? NL_SAME : NL_OTHER;
		if (!agree)
			log_info("netclass: sysfs does not show this process's network namespace, "
				 "reading every attribute from sysfs");
	}
	if (st->is_sysfs) {
		netclass_prune();
		pthread_mutex_unlock(&netclass_cache.mu);
	}
	return rc;
}

static void netclass_put(struct expo_set *out, int i, const char *dev, double v)
{
	expo_addl(expo_family(out, netclass_ints[i].name, netclass_ints[i].help,
			      netclass_ints[i].type),
		  v, "device", dev, NULL);
}

static int netclass_collect(void *state, struct expo_set *out)
{
	struct netclass_state *st = state;
	int rc = netclass_gather(st);
	if (rc < 0) {
		log_debug("netclass: could not read net class info\terr=%s", strerror(-rc));
		/* node_exporter: a missing or unreadable tree is "no data" */
		return rc == -ENOENT || rc == -EACCES || rc == -EPERM ? -ENODATA : rc;
	}
	struct expo_family *up =
		expo_family(out, "node_network_up", "Value is 1 if operstate is 'up', 0 otherwise.",
			    EXPO_GAUGE);
	struct expo_family *info = expo_family(
		out, "node_network_info",
		"Non-numeric data from /sys/class/net/<iface>, value is always 1.", EXPO_GAUGE);
	for (size_t k = 0; k < st->nifs; k++) {
		const struct netclass_iface *ifc = &st->ifs[k];
		expo_addl(up, strcmp(ifc->str[NC_OPERSTATE], "up") == 0 ? 1 : 0, "device",
			  ifc->name, NULL);
		const char *admin = !(ifc->have & (1u << NC_FLAGS)) ? "unknown"
				    : ifc->val[NC_FLAGS] & 1	    ? "up"
								    : "down";
		expo_addl(info, 1, "device", ifc->name, "address", ifc->str[NC_ADDRESS],
			  "broadcast", ifc->str[NC_BROADCAST], "duplex", ifc->str[NC_DUPLEX],
			  "operstate", ifc->str[NC_OPERSTATE], "adminstate", admin, "ifalias",
			  ifc->str[NC_IFALIAS], NULL);
		for (int i = 0; i < NC_NINTS; i++) {
			if (!(ifc->have & (1u << i)))
				continue;
			int64_t v = ifc->val[i];
			if (i == NC_SPEED) {
				if (v < 0 && netclass_invalid_speed)
					continue;
				/* Go's int64 arithmetic: speed * 1000 * 1000 / 8, wrapping */
				v = (int64_t)((uint64_t)v * 1000000u) / 8;
			}
			netclass_put(out, i, ifc->name, (double)v);
		}
	}
	return 0;
}

static void netclass_cleanup(void *state)
{
	struct netclass_state *st = state;
	if (st->dir)
		closedir(st->dir);
	free(st->ifs);
	free(st->nl);
	rtnl_close(&st->rtnl);
}

const struct collector collector_netclass = {
	.name = "netclass",
	.default_on = true,
	.state_size = sizeof(struct netclass_state),
	.flags = netclass_flags,
	.nflags = ARRAY_SIZE(netclass_flags),
	.setup = netclass_setup,
	.collect = netclass_collect,
	.cleanup = netclass_cleanup,
};
