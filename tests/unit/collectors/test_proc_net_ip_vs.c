// SPDX-License-Identifier: Apache-2.0
/*
 * ipvs collector over generated /proc/net/ip_vs{,_stats}: totals, backends
 * summed over the chosen labels, FWM and IPv6 services, the label flag,
 * malformed lines, missing files.
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "collectors/collector.h"
#include "common/buf.h"
#include "harness.h"

extern const struct collector collector_ipvs;

HARNESS_SUITE(ipvs, "ipvs", HARNESS_PROCFS);

#define STATS                                                                                      \
	"   Total Incoming Outgoing         Incoming         Outgoing\n"                            \
	"   Conns  Packets  Packets            Bytes            Bytes\n"                            \
	" 16AA370 E33656E5        0     51D8C8883AB3                0\n\n"                          \
	" Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s\n"
#define IPVS                                                                                       \
	"IP Virtual Server version 1.2.1 (size=4096)\n"                                            \
	"Prot LocalAddress:Port Scheduler Flags\n"                                                 \
	"  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n"                            \
	"TCP  C0A80016:0CEA wlc  \n"                                                               \
	"  -> C0A85216:0CEA      Tunnel  100    248        2         \n"                           \
	"  -> C0A85318:0CEA      Tunnel  100    248        1         \n"                           \
	"FWM  10001000 wlc   \n"                                                                   \
	"  -> C0A8321A:0CEA      Tunnel  20     64         1         \n"                           \
	"UDP  [2620:0000:0000:0000:0000:0000:0000:0001]:0035 rr\n"                                  \
	"  -> [0000:0000:0000:0000:0000:ffff:c0a8:0001]:0035 Masq 1 2 3\n"

Test(ipvs, happy)
{
	struct buf out = BUF_INIT;
	harness_put("net/ip_vs_stats", STATS);
	harness_put("net/ip_vs", IPVS);
	cr_assert_eq(harness_flag_setup(&collector_ipvs, "collector.ipvs.backend-labels",
					"local_address,local_port,remote_address,remote_port,proto,"
					"local_mark"),
		     0);
	cr_assert_eq(harness_scrape(&collector_ipvs, NULL, &out), 0);
	assert_has(&out, "node_ipvs_connections_total 2.3765872e+07");
	assert_has(&out, "node_ipvs_incoming_packets_total 3.811989221e+09");
	assert_has(&out, "node_ipvs_incoming_bytes_total 8.9991519156915e+13");
	assert_has(&out, "node_ipvs_outgoing_bytes_total 0");
	assert_has(&out, "node_ipvs_backend_weight{local_address=\"192.168.0.22\",local_mark=\"\","
			 "local_port=\"3306\",proto=\"TCP\",remote_address=\"192.168.82.22\","
			 "remote_port=\"3306\"} 100");
	assert_has(&out, "node_ipvs_backend_connections_inactive{local_address=\"\","
			 "local_mark=\"10001000\",local_port=\"0\",proto=\"FWM\","
			 "remote_address=\"192.168.50.26\",remote_port=\"3306\"} 1");
	assert_has(&out, "node_ipvs_backend_connections_active{local_address=\"2620::1\",local_mark=\"\","
			 "local_port=\"53\",proto=\"UDP\",remote_address=\"192.168.0.1\","
			 "remote_port=\"53\"} 2");
	/* fewer labels: the two TCP backends are summed */
	cr_assert_eq(harness_flag_setup(&collector_ipvs, "collector.ipvs.backend-labels",
					"proto,local_port"),
		     0);
	cr_assert_eq(harness_scrape(&collector_ipvs, NULL, &out), 0);
	assert_has(&out, "node_ipvs_backend_connections_active{local_port=\"3306\",proto=\"TCP\"} 496");
	assert_has(&out, "node_ipvs_backend_weight{local_port=\"3306\",proto=\"TCP\"} 200");
	cr_assert_neq(harness_flag_setup(&collector_ipvs, "collector.ipvs.backend-labels",
					 "proto,bogus"),
		      0);
	cr_assert_eq(harness_flag_setup(&collector_ipvs, "collector.ipvs.backend-labels",
					"local_address,local_port,remote_address,remote_port,proto,"
					"local_mark"),
		     0);
	buf_free(&out);
}

Test(ipvs, garbage_and_missing)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_setup(&collector_ipvs), 0);
	cr_assert_eq(harness_scrape(&collector_ipvs, NULL, &out), -ENODATA);
	harness_put("net/ip_vs_stats", "a\nb\n");
	cr_assert_eq(harness_scrape(&collector_ipvs, NULL, &out), -EINVAL);
	harness_put("net/ip_vs_stats", "a\nb\n 1 2 3 4 G\n");
	cr_assert_eq(harness_scrape(&collector_ipvs, NULL, &out), -EINVAL);
	harness_put("net/ip_vs_stats", STATS);
	/* stats reported, then no ip_vs: failure */
	cr_assert_eq(harness_scrape(&collector_ipvs, NULL, &out), -ENOENT);
	harness_put("net/ip_vs", "TCP  C0A8016:0CEA wlc\n");
	cr_assert_eq(harness_scrape(&collector_ipvs, NULL, &out), -EINVAL);
	harness_put("net/ip_vs", "TCP  C0A80016:0CEA wlc\n  -> C0A85216:0CEA Tunnel x 1 2\n");
	cr_assert_eq(harness_scrape(&collector_ipvs, NULL, &out), -EINVAL);
	buf_free(&out);
}
