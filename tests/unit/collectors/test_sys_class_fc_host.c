// SPDX-License-Identifier: Apache-2.0
/*
 * fibrechannel collector over generated /sys/class/fc_host trees: info
 * labels with "0x" cut, hex counters, all-ones counters left out, the
 * "Unknown" port state, bad counters, a missing class.
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "collectors/collector.h"
#include "common/buf.h"
#include "harness.h"

extern const struct collector collector_fibrechannel;

HARNESS_SUITE(fc, "fc", HARNESS_SYSFS);

Test(fc, happy)
{
	struct buf out = BUF_INIT;
	harness_put("class/fc_host/host0/port_state", "Online\n");
	harness_put("class/fc_host/host0/port_id", "0x000002\n");
	harness_put("class/fc_host/host0/speed", "16 Gbit\n");
	harness_put("class/fc_host/host0/statistics/rx_frames", "0x3\n");
	harness_put("class/fc_host/host0/statistics/tx_frames", "5\n");
	harness_put("class/fc_host/host0/statistics/dumped_frames", "0xffffffffffffffff\n");
	harness_put("class/fc_host/host0/statistics/reset_statistics", "x\n");
	harness_put("class/fc_host/host0/statistics/lip_count", "junk\n");
	harness_put("class/fc_host/host1/port_state", "Unknown\n");
	harness_put("class/fc_host/host1/statistics/rx_frames", "0x30\n");
	cr_assert_eq(harness_scrape(&collector_fibrechannel, NULL, &out), 0);
	assert_has(&out, "node_fibrechannel_info{dev_loss_tmo=\"\",fabric_name=\"\",fc_host=\"host0\","
			 "port_id=\"000002\",port_name=\"\",port_state=\"Online\",port_type=\"\","
			 "speed=\"16 Gbit\",supported_classes=\"\",supported_speeds=\"\","
			 "symbolic_name=\"\"} 1");
	assert_has(&out, "node_fibrechannel_rx_frames_total{fc_host=\"host0\"} 3");
	assert_has(&out, "node_fibrechannel_tx_frames_total{fc_host=\"host0\"} 5");
	assert_has(&out, "# TYPE node_fibrechannel_rx_frames_total counter");
	assert_lacks(&out, "node_fibrechannel_dumped_frames_total{fc_host=\"host0\"}");
	assert_lacks(&out, "node_fibrechannel_nos_total{fc_host=\"host0\"}");
	/* Unknown: every counter 0 */
	assert_has(&out, "node_fibrechannel_rx_frames_total{fc_host=\"host1\"} 0");
	assert_has(&out, "node_fibrechannel_nos_total{fc_host=\"host1\"} 0");
	buf_free(&out);
}

Test(fc, garbage_and_missing)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&collector_fibrechannel, NULL, &out), -ENODATA);
	harness_put("class/fc_host/host0/port_state", "Online\n");
	harness_put("class/fc_host/host0/statistics/rx_frames", "12abc\n");
	cr_assert_eq(harness_scrape(&collector_fibrechannel, NULL, &out), -EINVAL);
	cr_assert_str_empty(out.data);
	harness_put("class/fc_host/host0/statistics/rx_frames", "1\n");
	harness_mkdirs("class/fc_host/host0/speed");
	cr_assert_eq(harness_scrape(&collector_fibrechannel, NULL, &out), -EISDIR);
	buf_free(&out);
}
