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
 * accepted for compatibility; the attributes are always read from sysfs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
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

struct netclass_state {
	DIR *dir; /* /sys/class/net, kept open and rewound each scrape */
	struct netclass_iface *ifs;
	size_t nifs, cap;
};

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

static int netclass_read_iface(struct netclass_iface *ifc, int classfd)
{
	int dfd = openat(classfd, ifc->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	int rc = 0;
	char tmp[NC_VALUE_MAX + 1];
	for (int i = 0; i < NC_NSTRS; i++) {
		rc = netclass_attr(dfd, netclass_strs[i], ifc->str[i]);
		if (rc < 0)
			goto out;
		if (rc == 0)
			ifc->str[i][0] = '\0';
	}
	for (int i = 0; i < NC_NINTS; i++) {
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
	} else {
		rewinddir(st->dir);
	}
	DIR *dir = st->dir;
	int classfd = dirfd(dir);
	int rc = 0;
	st->nifs = 0;
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
		rc = netclass_read_iface(ifc, classfd);
		if (rc < 0)
			break;
		st->nifs++;
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
