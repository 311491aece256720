// SPDX-License-Identifier: Apache-2.0
/*
 * The one table of collectors, sorted by name.  A collector is added by
 * defining its const struct collector in its own file and listing it here.
 */
#include "collectors/collector.h"

#include <stdatomic.h>

#include "common/buf.h"

static atomic_ulong scrapes;
static _Thread_local unsigned long scrape_id;

unsigned long collector_scrape_id(void)
{
	return scrape_id;
}

void collector_scrape_begin(void)
{
	scrape_id = atomic_fetch_add(&scrapes, 1) + 1;
}

void collector_scrape_end(void)
{
	scrape_id = 0;
}

static pthread_mutex_t cache_key_mu = PTHREAD_MUTEX_INITIALIZER;

void *collector_thread_cache(struct collector_thread_cache *c, size_t size)
{
	if (!atomic_load_explicit(&c->made, memory_order_acquire)) {
		pthread_mutex_lock(&cache_key_mu);
		if (!atomic_load_explicit(&c->made, memory_order_relaxed)) {
			pthread_key_create(&c->key, c->free_fn);
			atomic_store_explicit(&c->made, true, memory_order_release);
		}
		pthread_mutex_unlock(&cache_key_mu);
	}
	void *p = pthread_getspecific(c->key);
	if (!p) {
		p = xcalloc(1, size);
		pthread_setspecific(c->key, p);
	}
	return p;
}

extern const struct collector collector_arp;
extern const struct collector collector_bcache;
extern const struct collector collector_bonding;
extern const struct collector collector_btrfs;
extern const struct collector collector_conntrack;
extern const struct collector collector_cpu;
extern const struct collector collector_cpufreq;
extern const struct collector collector_diskstats;
extern const struct collector collector_dmi;
extern const struct collector collector_edac;
extern const struct collector collector_entropy;
extern const struct collector collector_fibrechannel;
extern const struct collector collector_filefd;
extern const struct collector collector_filesystem;
extern const struct collector collector_hwmon;
extern const struct collector collector_infiniband;
extern const struct collector collector_ipvs;
extern const struct collector collector_loadavg;
extern const struct collector collector_mdadm;
extern const struct collector collector_meminfo;
extern const struct collector collector_netclass;
extern const struct collector collector_netdev;
extern const struct collector collector_netstat;
extern const struct collector collector_nfs;
extern const struct collector collector_nfsd;
extern const struct collector collector_nvme;
extern const struct collector collector_os;
extern const struct collector collector_powersupplyclass;
extern const struct collector collector_pressure;
extern const struct collector collector_rapl;
extern const struct collector collector_schedstat;
extern const struct collector collector_selinux;
extern const struct collector collector_sockstat;
extern const struct collector collector_softnet;
extern const struct collector collector_stat;
extern const struct collector collector_tapestats;
extern const struct collector collector_textfile;
extern const struct collector collector_thermal_zone;
extern const struct collector collector_time;
extern const struct collector collector_timex;
extern const struct collector collector_udp_queues;
extern const struct collector collector_uname;
extern const struct collector collector_vmstat;
extern const struct collector collector_xfs;
extern const struct collector collector_zfs;

const struct collector *const collector_registry[] = {
	&collector_arp,
	&collector_bcache,
	&collector_bonding,
	&collector_btrfs,
	&collector_conntrack,
	&collector_cpu,
	&collector_cpufreq,
	&collector_diskstats,
	&collector_dmi,
	&collector_edac,
	&collector_entropy,
	&collector_fibrechannel,
	&collector_filefd,
	&collector_filesystem,
	&collector_hwmon,
	&collector_infiniband,
	&collector_ipvs,
	&collector_loadavg,
	&collector_mdadm,
	&collector_meminfo,
	&collector_netclass,
	&collector_netdev,
	&collector_netstat,
	&collector_nfs,
	&collector_nfsd,
	&collector_nvme,
	&collector_os,
	&collector_powersupplyclass,
	&collector_pressure,
	&collector_rapl,
	&collector_schedstat,
	&collector_selinux,
	&collector_sockstat,
	&collector_softnet,
	&collector_stat,
	&collector_tapestats,
	&collector_textfile,
	&collector_thermal_zone,
	&collector_time,
	&collector_timex,
	&collector_udp_queues,
	&collector_uname,
	&collector_vmstat,
	&collector_xfs,
	&collector_zfs,
	NULL,
};
