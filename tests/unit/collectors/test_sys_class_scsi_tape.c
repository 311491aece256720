// SPDX-License-Identifier: Apache-2.0
/*
 * tapestats collector over generated /sys/class/scsi_tape trees: the ten
 * families, aliases skipped, the ignore regex, bad and missing stats.
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "collectors/collector.h"
#include "common/buf.h"
#include "harness.h"

extern const struct collector collector_tapestats;

HARNESS_SUITE(tape, "tape", HARNESS_SYSFS);

static void put_drive(const char *d)
{
	static const char *const files[][2] = {
		{"in_flight", "1"},	   {"io_ns", "9247011087720"}, {"other_cnt", "1409"},
		{"read_byte_cnt", "979383912"}, {"read_cnt", "3741"},   {"read_ns", "33788355744"},
		{"resid_cnt", "19"},	   {"write_byte_cnt", "0x10"}, {"write_cnt", "53772916"},
		{"write_ns", "5233597394395"},
	};
	char rel[256];
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(rel, sizeof(rel), "class/scsi_tape/%s/stats/%s", d, files[i][0]);
		harness_put(rel, files[i][1]);
	}
}

Test(tape, happy)
{
	struct buf out = BUF_INIT;
	put_drive("st0");
	put_drive("nst0");
	harness_put("class/scsi_tape/st1a/stats/in_flight", "x");
	cr_assert_eq(harness_flag_setup(&collector_tapestats, "collector.tapestats.ignored-devices", "^$"), 0);
	cr_assert_eq(harness_scrape(&collector_tapestats, NULL, &out), 0);
	assert_has(&out, "node_tape_io_now{device=\"st0\"} 1");
	assert_has(&out, "# TYPE node_tape_io_now gauge");
	assert_has(&out, "node_tape_io_time_seconds_total{device=\"st0\"} 9247.01108772");
	assert_has(&out, "# TYPE node_tape_io_time_seconds_total counter");
	assert_has(&out, "node_tape_io_others_total{device=\"st0\"} 1409");
	assert_has(&out, "node_tape_read_time_seconds_total{device=\"st0\"} 33.788355744");
	assert_has(&out, "node_tape_written_bytes_total{device=\"st0\"} 16");
	assert_has(&out, "node_tape_residual_total{device=\"st0\"} 19");
	assert_lacks(&out, "nst0");
	cr_assert_eq(harness_flag_setup(&collector_tapestats, "collector.tapestats.ignored-devices", "st0"), 0);
	cr_assert_eq(harness_scrape(&collector_tapestats, NULL, &out), 0);
	cr_assert_str_empty(out.data);
	cr_assert_eq(harness_flag_setup(&collector_tapestats, "collector.tapestats.ignored-devices", "^$"), 0);
	buf_free(&out);
}

Test(tape, garbage_and_missing)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_setup(&collector_tapestats), 0);
	cr_assert_eq(harness_scrape(&collector_tapestats, NULL, &out), -ENODATA);
	put_drive("st0");
	harness_put("class/scsi_tape/st0/stats/read_cnt", "-1\n");
	cr_assert_eq(harness_scrape(&collector_tapestats, NULL, &out), -EINVAL);
	cr_assert_str_empty(out.data);
	harness_put("class/scsi_tape/st0/stats/read_cnt", "1\n");
	harness_mkdirs("class/scsi_tape/st0/stats/sub");
	cr_assert_eq(harness_scrape(&collector_tapestats, NULL, &out), -EISDIR);
	harness_mkdirs("class/scsi_tape/st2");
	cr_assert_eq(harness_scrape(&collector_tapestats, NULL, &out), -EISDIR);
	buf_free(&out);
}
