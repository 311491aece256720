// SPDX-License-Identifier: Apache-2.0
/*
 * The one table of collectors, sorted by name.  A collector is added by
 * defining its const struct collector in its own file and listing it here.
 */
#include "collectors/collector.h"

/* TODO(collector) */ // extern const struct collector collector_arp;
/* TODO(collector) */ // extern const struct collector collector_conntrack;
/* TODO(collector) */ // extern const struct collector collector_cpu;
/* TODO(collector) */ // extern const struct collector collector_cpufreq;
/* TODO(collector) */ // extern const struct collector collector_diskstats;
/* TODO(collector) */ // extern const struct collector collector_entropy;
/* TODO(collector) */ // extern const struct collector collector_filefd;
/* TODO(collector) */ // extern const struct collector collector_filesystem;
/* TODO(collector) */ // extern const struct collector collector_hwmon;
extern const struct collector collector_loadavg;
extern const struct collector collector_meminfo;
/* TODO(collector) */ // extern const struct collector collector_netclass;
/* TODO(collector) */ // extern const struct collector collector_netdev;
/* TODO(collector) */ // extern const struct collector collector_netstat;
/* TODO(collector) */ // extern const struct collector collector_os;
/* TODO(collector) */ // extern const struct collector collector_pressure;
/* TODO(collector) */ // extern const struct collector collector_schedstat;
/* TODO(collector) */ // extern const struct collector collector_sockstat;
/* TODO(collector) */ // extern const struct collector collector_softnet;
/* TODO(collector) */ // extern const struct collector collector_stat;
/* TODO(collector) */ // extern const struct collector collector_textfile;
/* TODO(collector) */ // extern const struct collector collector_thermal_zone;
/* TODO(collector) */ // extern const struct collector collector_time;
/* TODO(collector) */ // extern const struct collector collector_timex;
/* TODO(collector) */ // extern const struct collector collector_uname;
/* TODO(collector) */ // extern const struct collector collector_vmstat;

const struct collector *const collector_registry[] = {
	/* TODO(collector) */ // &collector_arp,
	/* TODO(collector) */ // &collector_conntrack,
	/* TODO(collector) */ // &collector_cpu,
	/* TODO(collector) */ // &collector_cpufreq,
	/* TODO(collector) */ // &collector_diskstats,
	/* TODO(collector) */ // &collector_entropy,
	/* TODO(collector) */ // &collector_filefd,
	/* TODO(collector) */ // &collector_filesystem,
	/* TODO(collector) */ // &collector_hwmon,
	&collector_loadavg,
	&collector_meminfo,
	/* TODO(collector) */ // &collector_netclass,
	/* TODO(collector) */ // &collector_netdev,
	/* TODO(collector) */ // &collector_netstat,
	/* TODO(collector) */ // &collector_os,
	/* TODO(collector) */ // &collector_pressure,
	/* TODO(collector) */ // &collector_schedstat,
	/* TODO(collector) */ // &collector_sockstat,
	/* TODO(collector) */ // &collector_softnet,
	/* TODO(collector) */ // &collector_stat,
	/* TODO(collector) */ // &collector_textfile,
	/* TODO(collector) */ // &collector_thermal_zone,
	/* TODO(collector) */ // &collector_time,
	/* TODO(collector) */ // &collector_timex,
	/* TODO(collector) */ // &collector_uname,
	/* TODO(collector) */ // &collector_vmstat,
	NULL,
};
