// SPDX-License-Identifier: Apache-2.0
/*
 * edac collector over generated /sys/devices/system/edac trees: controller,
 * csrow and channel counters, DIMM labels, an optional channel ue_count,
 * bad and missing counters, no controllers.
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "collectors/collector.h"
#include "common/buf.h"
#include "harness.h"

extern const struct collector collector_edac;

HARNESS_SUITE(edac, "edac", HARNESS_SYSFS);

#define MC "devices/system/edac/mc/mc0/"

static void put_mc(void)
{
	harness_put(MC "ce_count", "1\n");
	harness_put(MC "ce_noinfo_count", "2\n");
	harness_put(MC "ue_count", "5\n");
	harness_put(MC "ue_noinfo_count", "6\n");
	harness_put(MC "csrow0/ce_count", "3\n");
	harness_put(MC "csrow0/ue_count", "4\n");
	harness_put(MC "csrow0/ch0_ce_count", "7\n");
	harness_put(MC "csrow0/ch0_ue_count", "8\n");
	harness_put(MC "csrow0/ch0_dimm_label", "mc#0csrow#0channel#0\n");
	harness_put(MC "csrow0/ch1_ce_count", "9\n");
	harness_mkdirs("devices/system/edac/mc/power");
}

Test(edac, happy)
{
	struct buf out = BUF_INIT;
	put_mc();
	cr_assert_eq(harness_scrape(&collector_edac, NULL, &out), 0);
	assert_has(&out, "node_edac_correctable_errors_total{controller=\"0\"} 1");
	assert_has(&out, "node_edac_uncorrectable_errors_total{controller=\"0\"} 5");
	assert_has(&out, "node_edac_csrow_correctable_errors_total{controller=\"0\",csrow=\"unknown\"} 2");
	assert_has(&out, "node_edac_csrow_uncorrectable_errors_total{controller=\"0\",csrow=\"unknown\"} 6");
	assert_has(&out, "node_edac_csrow_correctable_errors_total{controller=\"0\",csrow=\"0\"} 3");
	assert_has(&out, "node_edac_csrow_uncorrectable_errors_total{controller=\"0\",csrow=\"0\"} 4");
	assert_has(&out, "node_edac_channel_correctable_errors_total{channel=\"0\",controller=\"0\","
			 "csrow=\"0\",dimm_label=\"mc0_csrow0_channel0\"} 7");
	assert_has(&out, "node_edac_channel_uncorrectable_errors_total{channel=\"0\",controller=\"0\","
			 "csrow=\"0\",dimm_label=\"mc0_csrow0_channel0\"} 8");
	assert_has(&out, "node_edac_channel_correctable_errors_total{channel=\"1\",controller=\"0\","
			 "csrow=\"0\",dimm_label=\"unknown\"} 9");
	assert_lacks(&out, "node_edac_channel_uncorrectable_errors_total{channel=\"1\"");
	assert_has(&out, "# TYPE node_edac_correctable_errors_total counter");
	buf_free(&out);
}

Test(edac, garbage_and_missing)
{
	struct buf out = BUF_INIT;
	/* no EDAC at all: success, nothing */
	cr_assert_eq(harness_scrape(&collector_edac, NULL, &out), 0);
	cr_assert_str_empty(out.data);
	put_mc();
	harness_put(MC "csrow0/ue_count", "x\n");
	cr_assert_eq(harness_scrape(&collector_edac, NULL, &out), -EINVAL);
	harness_put(MC "csrow0/ue_count", "4\n");
	harness_rm(MC "ue_noinfo_count");
	cr_assert_eq(harness_scrape(&collector_edac, NULL, &out), -ENOENT);
	buf_free(&out);
}
