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

struct netclass_state {
	DIR *dir; /* /sys/class/net, kept open and rewound each scrape */
	bool is_sysfs;
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
static int netclass_read_cached(struct netclass_iface *ifc, struct netclass_fds *c, int classfd)
{
	int dfd = -1, rc = 0;
	char tmp[NC_VALUE_MAX + 1];
	for (int k = 0; k < NC_NFILES; k++) {
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
		if (c) {
			c->seen = true;
			rc = netclass_read_cached(ifc, c, classfd);
			if (rc == -ENODEV) {
				/* removed, perhaps created again: read it by name */
				netclass_fds_close(c);
				ifc->have = 0;
				rc = netclass_read_iface(ifc, classfd);
			}
		} else {
			rc = netclass_read_iface(ifc, classfd);
		}
		if (rc < 0)
			break;
		st->nifs++;
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
