// SPDX-License-Identifier: Apache-2.0
/*
 * nvme collector over generated /sys/class/nvme trees: the info labels,
 * namespace sizes, ana_state default, a missing cntlid, missing files.
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "collectors/collector.h"
#include "common/buf.h"
#include "harness.h"

extern const struct collector collector_nvme;

HARNESS_SUITE(nvme, "nvme", HARNESS_SYSFS);

static void put_ctrl(void)
{
	harness_put("class/nvme/nvme0/firmware_rev", "1B2QEXP7\n");
	harness_put("class/nvme/nvme0/model", "Samsung SSD 970 PRO 512GB               \n");
	harness_put("class/nvme/nvme0/serial", "S680HF8N190894I     \n");
	harness_put("class/nvme/nvme0/state", "live\n");
	harness_put("class/nvme/nvme0/cntlid", "1997\n");
	harness_put("class/nvme/nvme0/nvme0n1/nuse", "1000\n");
	harness_put("class/nvme/nvme0/nvme0n1/size", "3906250000\n");
	harness_put("class/nvme/nvme0/nvme0n1/queue/logical_block_size", "4096\n");
	harness_put("class/nvme/nvme0/nvme0n1/ana_state", "optimized\n");
	harness_put("class/nvme/nvme0/nvme0n2/nuse", "junk\n");
	harness_put("class/nvme/nvme0/nvme0n2/size", "2\n");
	harness_put("class/nvme/nvme0/nvme0n2/queue/logical_block_size", "512\n");
	harness_mkdirs("class/nvme/nvme0/power");
}

Test(nvme, happy)
{
	struct buf out = BUF_INIT;
	put_ctrl();
	cr_assert_eq(harness_scrape(&collector_nvme, NULL, &out), 0);
	assert_has(&out, "node_nvme_info{cntlid=\"1997\",device=\"nvme0\",firmware_revision=\"1B2QEXP7\","
			 "model=\"Samsung SSD 970 PRO 512GB\",serial=\"S680HF8N190894I\",state=\"live\"} 1");
	assert_has(&out, "node_nvme_namespace_info{ana_state=\"optimized\",device=\"nvme0\",nsid=\"1\"} 1");
	assert_has(&out, "node_nvme_namespace_info{ana_state=\"unknown\",device=\"nvme0\",nsid=\"2\"} 1");
	assert_has(&out, "node_nvme_namespace_capacity_bytes{device=\"nvme0\",nsid=\"1\"} 1.6e+13");
	assert_has(&out, "node_nvme_namespace_size_bytes{device=\"nvme0\",nsid=\"1\"} 1.6e+13");
	assert_has(&out, "node_nvme_namespace_used_bytes{device=\"nvme0\",nsid=\"1\"} 4.096e+06");
	assert_has(&out, "node_nvme_namespace_used_bytes{device=\"nvme0\",nsid=\"2\"} 0");
	assert_has(&out, "node_nvme_namespace_size_bytes{device=\"nvme0\",nsid=\"2\"} 1024");
	assert_has(&out, "node_nvme_namespace_logical_block_size_bytes{device=\"nvme0\",nsid=\"2\"} 512");
	/* no cntlid (older kernels): an empty label */
	harness_rm("class/nvme/nvme0/cntlid");
	cr_assert_eq(harness_scrape(&collector_nvme, NULL, &out), 0);
	assert_has(&out, "node_nvme_info{cntlid=\"\",device=\"nvme0\",firmware_revision=\"1B2QEXP7\","
			 "model=\"Samsung SSD 970 PRO 512GB\",serial=\"S680HF8N190894I\",state=\"live\"} 1");
	buf_free(&out);
}

Test(nvme, missing)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&collector_nvme, NULL, &out), -ENODATA);
	put_ctrl();
	harness_rm("class/nvme/nvme0/state");
	cr_assert_eq(harness_scrape(&collector_nvme, NULL, &out), -ENOENT);
	cr_assert_str_empty(out.data);
	harness_put("class/nvme/nvme0/state", "live\n");
	harness_rm("class/nvme/nvme0/nvme0n2/size");
	cr_assert_eq(harness_scrape(&collector_nvme, NULL, &out), -ENOENT);
	cr_assert_str_empty(out.data);
	buf_free(&out);
}
