// SPDX-License-Identifier: Apache-2.0
/*
 * infiniband collector over generated /sys/class/infiniband trees: info,
 * port state and rate, word counters times 4, hw counters, "N/A (no PMA)",
 * the device filter, bad and missing files.
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "collectors/collector.h"
#include "common/buf.h"
#include "harness.h"

extern const struct collector collector_infiniband;

HARNESS_SUITE(ib, "ib", HARNESS_SYSFS);

#define P1 "class/infiniband/mlx5_0/ports/1/"

static void put_dev(void)
{
	harness_put("class/infiniband/mlx5_0/fw_ver", "2.31.5050\n");
	harness_put("class/infiniband/mlx5_0/board_id", "SM_1141000001000\n");
	harness_put("class/infiniband/mlx5_0/hca_type", "MT4099\n");
	harness_put(P1 "link_layer", "InfiniBand\n");
	harness_put(P1 "state", "4: ACTIVE\n");
	harness_put(P1 "phys_state", "5: LinkUp\n");
	harness_put(P1 "rate", "40 Gb/sec (4X QDR)\n");
	harness_put(P1 "counters/port_rcv_data", "2221223609\n");
	harness_put(P1 "counters/symbol_error", "0x10\n");
	harness_put(P1 "counters/VL15_dropped", "N/A (no PMA)\n");
	harness_put(P1 "counters_ext/port_xmit_data_64", "10\n");
	harness_put(P1 "hw_counters/lifespan", "10500\n");
	harness_put(P1 "hw_counters/out_of_buffer", "3\n");
}

Test(ib, happy)
{
	struct buf out = BUF_INIT;
	put_dev();
	cr_assert_eq(harness_setup(&collector_infiniband), 0);
	cr_assert_eq(harness_scrape(&collector_infiniband, NULL, &out), 0);
	assert_has(&out, "node_infiniband_info{board_id=\"SM_1141000001000\",device=\"mlx5_0\","
			 "firmware_version=\"2.31.5050\",hca_type=\"MT4099\"} 1");
	assert_has(&out, "node_infiniband_state_id{device=\"mlx5_0\",port=\"1\"} 4");
	assert_has(&out, "node_infiniband_physical_state_id{device=\"mlx5_0\",port=\"1\"} 5");
	assert_has(&out, "node_infiniband_rate_bytes_per_second{device=\"mlx5_0\",port=\"1\"} 5e+09");
	assert_has(&out, "node_infiniband_port_data_received_bytes_total{device=\"mlx5_0\",port=\"1\"} "
			 "8.884894436e+09");
	assert_has(&out, "node_infiniband_symbol_error_total{device=\"mlx5_0\",port=\"1\"} 16");
	assert_has(&out, "node_infiniband_legacy_data_transmitted_bytes_total{device=\"mlx5_0\",port=\"1\"} 40");
	assert_has(&out, "node_infiniband_lifespan_seconds{device=\"mlx5_0\",port=\"1\"} 10");
	assert_has(&out, "# TYPE node_infiniband_lifespan_seconds gauge");
	assert_has(&out, "node_infiniband_out_of_buffer_drops_total{device=\"mlx5_0\",port=\"1\"} 3");
	assert_lacks(&out, "vl15");
	cr_assert_eq(harness_flag_setup(&collector_infiniband, "collector.infiniband.device-exclude",
					"^mlx"),
		     0);
	cr_assert_eq(harness_scrape(&collector_infiniband, NULL, &out), 0);
	cr_assert_str_empty(out.data);
	cr_assert_eq(harness_flag_setup(&collector_infiniband, "collector.infiniband.device-exclude", ""),
		     0);
	buf_free(&out);
}

Test(ib, garbage_and_missing)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_setup(&collector_infiniband), 0);
	cr_assert_eq(harness_scrape(&collector_infiniband, NULL, &out), -ENODATA);
	put_dev();
	harness_put(P1 "state", "ACTIVE\n");
	cr_assert_eq(harness_scrape(&collector_infiniband, NULL, &out), -EINVAL);
	cr_assert_str_empty(out.data);
	harness_put(P1 "state", "4: ACTIVE\n");
	harness_put(P1 "rate", "fast\n");
	cr_assert_eq(harness_scrape(&collector_infiniband, NULL, &out), -EINVAL);
	harness_put(P1 "rate", "40 Gb/sec\n");
	harness_put(P1 "counters/link_downed", "many\n");
	cr_assert_eq(harness_scrape(&collector_infiniband, NULL, &out), -EINVAL);
	harness_rm(P1 "counters/link_downed");
	harness_rm("class/infiniband/mlx5_0/fw_ver");
	cr_assert_eq(harness_scrape(&collector_infiniband, NULL, &out), -ENODATA);
	buf_free(&out);
}
