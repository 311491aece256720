// SPDX-License-Identifier: Apache-2.0
/*
 * timex: the kernel clock discipline state from adjtimex(2), as
 * node_exporter's timex collector reports it (node_timex_*).  adjtimex with
 * modes = 0 only reads.  Offsets and jitter are in ns when STA_NANO is set,
 * else in us; frequencies are ppm scaled by 2^16 ("NOTES" in adjtimex(2)).
 * Documentation: https://man7.org/linux/man-pages/man2/adjtimex.2.html
 */
#include <errno.h>
#include <string.h>
#include <sys/timex.h>

#include "collectors/collector.h"
#include "common/log.h"

/* A gauge or counter without labels. */
static void put(struct expo_set *out, const char *name, const char *help, enum expo_type t,
		double v)
{
	expo_add(expo_family(out, name, help, t), NULL, 0, v);
}

static int timex_collect(void *state, struct expo_set *out)
{
	(void)state;
	struct timex tx;
	memset(&tx, 0, sizeof(tx));
	int status = adjtimex(&tx);
	if (status < 0) {
		if (errno == EPERM)
			return -EPERM; /* node_exporter: ErrNoData */
		return log_err(-errno, "timex: adjtimex");
	}
	const double ppm16frac = 1000000.0 * 65536.0;
	double divisor = (tx.status & STA_NANO) ? 1e9 : 1e6;

	put(out, "node_timex_sync_status",
	    "Is clock synchronized to a reliable server (1 = yes, 0 = no).", EXPO_GAUGE,
	    status == TIME_ERROR ? 0 : 1);
	put(out, "node_timex_offset_seconds",
	    "Time offset in between local system and reference clock.", EXPO_GAUGE,
	    (double)tx.offset / divisor);
	put(out, "node_timex_frequency_adjustment_ratio", "Local clock frequency adjustment.",
	    EXPO_GAUGE, 1 + (double)tx.freq / ppm16frac);
	put(out, "node_timex_maxerror_seconds", "Maximum error in seconds.", EXPO_GAUGE,
	    (double)tx.maxerror / 1e6);
	put(out, "node_timex_estimated_error_seconds", "Estimated error in seconds.", EXPO_GAUGE,
	    (double)tx.esterror / 1e6);
	put(out, "node_timex_status", "Value of the status array bits.", EXPO_GAUGE,
	    (double)tx.status);
	put(out, "node_timex_loop_time_constant", "Phase-locked loop time constant.", EXPO_GAUGE,
	    (double)tx.constant);
	put(out, "node_timex_tick_seconds", "Seconds between clock ticks.", EXPO_GAUGE,
	    (double)tx.tick / 1e6);
	put(out, "node_timex_pps_frequency_hertz", "Pulse per second frequency.", EXPO_GAUGE,
	    (double)tx.ppsfreq / ppm16frac);
	put(out, "node_timex_pps_jitter_seconds", "Pulse per second jitter.", EXPO_GAUGE,
	    (double)tx.jitter / divisor);
	put(out, "node_timex_pps_shift_seconds", "Pulse per second interval duration.", EXPO_GAUGE,
	    (double)tx.shift);
	put(out, "node_timex_pps_stability_hertz",
	    "Pulse per second stability, average of recent frequency changes.", EXPO_GAUGE,
	    (double)tx.stabil / ppm16frac);
	put(out, "node_timex_pps_jitter_total",
	    "Pulse per second count of jitter limit exceeded events.", EXPO_COUNTER,
	    (double)tx.jitcnt);
	put(out, "node_timex_pps_calibration_total",
	    "Pulse per second count of calibration intervals.", EXPO_COUNTER, (double)tx.calcnt);
	put(out, "node_timex_pps_error_total", "Pulse per second count of calibration errors.",
	    EXPO_COUNTER, (double)tx.errcnt);
	put(out, "node_timex_pps_stability_exceeded_total",
	    "Pulse per second count of stability limit exceeded events.", EXPO_COUNTER,
	    (double)tx.stbcnt);
	put(out, "node_timex_tai_offset_seconds", "International Atomic Time (TAI) offset.",
	    EXPO_GAUGE, (double)tx.tai);
	return 0;
}

const struct collector collector_timex = {
	.name = "timex",
	.default_on = true,
	.collect = timex_collect,
};
