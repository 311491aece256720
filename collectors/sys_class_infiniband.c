// SPDX-License-Identifier: Apache-2.0
/*
 * infiniband: InfiniBand/RoCE adapters in /sys/class/infiniband/<device>:
 * node_infiniband_info{board_id,firmware_version,hca_type} (fw_ver must be
 * readable), and per ports/<N>: state_id and physical_state_id (the
 * number of "4: ACTIVE"), rate_bytes_per_second ("40 Gb/sec (4X QDR)":
 * Gb/s times 125000000) and the counters of ports/<N>/counters,
 * counters_ext and hw_counters (one unsigned integer each, strconv base 0;
 * the *_data counters count 4-byte words and are multiplied by 4;
 * lifespan is in ms and exported in whole seconds).  A counter file that
 * cannot be read (gone, no permission, not supported) or reads
 * "N/A (no PMA)" is left out; any other bad file fails the collector, and
 * a missing required file anywhere is "no data", as in node_exporter.
 * --collector.infiniband.device-include/-exclude select devices (before
 * they are read).
 * Format: https://www.kernel.org/doc/Documentation/ABI/stable/sysfs-class-infiniband
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "collectors/classdir.h"
#include "collectors/collector.h"
#include "collectors/devfilter.h"
#include "common/log.h"
#include "common/pfile.h"

static char *ib_include_flag, *ib_exclude_flag;
static struct devfilter ib_filter;

static const struct flag_def ib_flags[] = {
	{"collector.infiniband.device-include", FLAG_STRING, &ib_include_flag, NULL,
	 "Regexp of infiniband devices to include (mutually exclusive to device-exclude).", NULL,
	 NULL},
	{"collector.infiniband.device-exclude", FLAG_STRING, &ib_exclude_flag, NULL,
	 "Regexp of infiniband devices to exclude (mutually exclusive to device-include).", NULL,
	 NULL},
};

enum ib_dir { IB_COUNTERS, IB_EXT, IB_HW };

/* Port counters: directory, file, family (after node_infiniband_), multiplier, help. */
static const struct ib_counter {
	enum ib_dir dir;
	const char *file, *metric;
	unsigned mult;
	const char *help;
} ib_counters[] = {
	{IB_EXT, "port_multicast_rcv_packets", "legacy_multicast_packets_received_total", 1,
	 "Number of multicast packets received"},
	{IB_EXT, "port_multicast_xmit_packets", "legacy_multicast_packets_transmitted_total", 1,
	 "Number of multicast packets transmitted"},
	{IB_EXT, "port_rcv_data_64", "legacy_data_received_bytes_total", 4,
	 "Number of data octets received on all links"},
	{IB_EXT, "port_rcv_packets_64", "legacy_packets_received_total", 1,
	 "Number of data packets received on all links"},
	{IB_EXT, "port_unicast_rcv_packets", "legacy_unicast_packets_received_total", 1,
	 "Number of unicast packets received"},
	{IB_EXT, "port_unicast_xmit_packets", "legacy_unicast_packets_transmitted_total", 1,
	 "Number of unicast packets transmitted"},
	{IB_EXT, "port_xmit_data_64", "legacy_data_transmitted_bytes_total", 4,
	 "Number of data octets transmitted on all links"},
	{IB_EXT, "port_xmit_packets_64", "legacy_packets_transmitted_total", 1,
	 "Number of data packets received on all links"},
	{IB_COUNTERS, "excessive_buffer_overrun_errors", "excessive_buffer_overrun_errors_total", 1,
	 "Number of times that OverrunErrors consecutive flow control update periods occurred, "
	 "each having at least one overrun error."},
	{IB_COUNTERS, "link_downed", "link_downed_total", 1,
	 "Number of times the link failed to recover from an error state and went down"},
	{IB_COUNTERS, "link_error_recovery", "link_error_recovery_total", 1,
	 "Number of times the link successfully recovered from an error state"},
	{IB_COUNTERS, "local_link_integrity_errors", "local_link_integrity_errors_total", 1,
	 "Number of times that the count of local physical errors exceeded the threshold "
	 "specified by LocalPhyErrors."},
	{IB_COUNTERS, "multicast_rcv_packets", "multicast_packets_received_total", 1,
	 "Number of multicast packets received (including errors)"},
	{IB_COUNTERS, "multicast_xmit_packets", "multicast_packets_transmitted_total", 1,
	 "Number of multicast packets transmitted (including errors)"},
	{IB_COUNTERS, "port_rcv_constraint_errors", "port_constraint_errors_received_total", 1,
	 "Number of packets received on the switch physical port that are discarded"},
	{IB_COUNTERS, "port_xmit_constraint_errors", "port_constraint_errors_transmitted_total", 1,
	 "Number of packets not transmitted from the switch physical port"},
	{IB_COUNTERS, "port_rcv_data", "port_data_received_bytes_total", 4,
	 "Number of data octets received on all links"},
	{IB_COUNTERS, "port_xmit_data", "port_data_transmitted_bytes_total", 4,
	 "Number of data octets transmitted on all links"},
	{IB_COUNTERS, "port_rcv_discards", "port_discards_received_total", 1,
	 "Number of inbound packets discarded by the port because the port is down or congested"},
	{IB_COUNTERS, "port_xmit_discards", "port_discards_transmitted_total", 1,
	 "Number of outbound packets discarded by the port because the port is down or congested"},
	{IB_COUNTERS, "port_rcv_errors", "port_errors_received_total", 1,
	 "Number of packets containing an error that were received on this port"},
	{IB_COUNTERS, "port_rcv_packets", "port_packets_received_total", 1,
	 "Number of packets received on all VLs by this port (including errors)"},
	{IB_COUNTERS, "port_xmit_packets", "port_packets_transmitted_total", 1,
	 "Number of packets transmitted on all VLs from this port (including errors)"},
	{IB_COUNTERS, "port_xmit_wait", "port_transmit_wait_total", 1,
	 "Number of ticks during which the port had data to transmit but no data was sent during "
	 "the entire tick"},
	{IB_COUNTERS, "unicast_rcv_packets", "unicast_packets_received_total", 1,
	 "Number of unicast packets received (including errors)"},
	{IB_COUNTERS, "unicast_xmit_packets", "unicast_packets_transmitted_total", 1,
	 "Number of unicast packets transmitted (including errors)"},
	{IB_COUNTERS, "port_rcv_remote_physical_errors", "port_receive_remote_physical_errors_total",
	 1, "Number of packets marked with the EBP (End of Bad Packet) delimiter received on the port."},
	{IB_COUNTERS, "port_rcv_switch_relay_errors", "port_receive_switch_relay_errors_total", 1,
	 "Number of packets that could not be forwarded by the switch."},
	{IB_COUNTERS, "symbol_error", "symbol_error_total", 1,
	 "Number of minor link errors detected on one or more physical lanes."},
	{IB_COUNTERS, "VL15_dropped", "vl15_dropped_total", 1,
	 "Number of incoming VL15 packets dropped due to resource limitations."},
	{IB_HW, "lifespan", "lifespan_seconds", 1,
	 "The maximum period in ms which defines the aging of the counter reads. Two consecutive "
	 "reads within this period might return the same values."},
	{IB_HW, "duplicate_request", "duplicate_requests_packets_total", 1,
	 "The number of received packets. A duplicate request is a request that had been "
	 "previously executed."},
	{IB_HW, "implied_nak_seq_err", "implied_nak_seq_errors_total", 1,
	 "The number of time the requested decided an ACK. with a PSN larger than the expected PSN "
	 "for an RDMA read or response."},
	{IB_HW, "local_ack_timeout_err", "local_ack_timeout_errors_total", 1,
	 "The number of times QP's ack timer expired for RC, XRC, DCT QPs at the sender side. The "
	 "QP retry limit was not exceed, therefore it is still recoverable error."},
	{IB_HW, "np_cnp_sent", "np_cnp_packets_sent_total", 1,
	 "The number of CNP packets sent by the Notification Point when it noticed congestion "
	 "experienced in the RoCEv2 IP header (ECN bits). The counters was added in MLNX_OFED 4.1"},
	{IB_HW, "np_ecn_marked_roce_packets", "np_ecn_marked_roce_packets_received_total", 1,
	 "The number of RoCEv2 packets received by the notification point which were marked for "
	 "experiencing the congestion (ECN bits where '11' on the ingress RoCE traffic) . The "
	 "counters was added in MLNX_OFED 4.1"},
	{IB_HW, "out_of_buffer", "out_of_buffer_drops_total", 1,
	 "The number of drops occurred due to lack of WQE for the associated QPs."},
	{IB_HW, "out_of_sequence", "out_of_sequence_packets_received_total", 1,
	 "The number of out of sequence packets received."},
	{IB_HW, "packet_seq_err", "packet_sequence_errors_total", 1,
	 "The number of received NAK sequence error packets. The QP retry limit was not exceeded."},
	{IB_HW, "req_cqe_error", "req_cqes_errors_total", 1,
	 "The number of times requester detected CQEs completed with errors. The counters was "
	 "added in MLNX_OFED 4.1"},
	{IB_HW, "req_cqe_flush_error", "req_cqes_flush_errors_total", 1,
	 "The number of times requester detected CQEs completed with flushed errors. The counters "
	 "was added in MLNX_OFED 4.1"},
	{IB_HW, "req_remote_access_errors", "req_remote_access_errors_total", 1,
	 "The number of times requester detected remote access errors. The counters was added in "
	 "MLNX_OFED 4.1"},
	{IB_HW, "req_remote_invalid_request", "req_remote_invalid_request_errors_total", 1,
	 "The number of times requester detected remote invalid request errors. The counters was "
	 "added in MLNX_OFED 4.1"},
	{IB_HW, "resp_cqe_error", "resp_cqes_errors_total", 1,
	 "The number of times responder detected CQEs completed with errors. The counters was "
	 "added in MLNX_OFED 4.1"},
	{IB_HW, "resp_cqe_flush_error", "resp_cqes_flush_errors_total", 1,
	 "The number of times responder detected CQEs completed with flushed errors. The counters "
	 "was added in MLNX_OFED 4.1"},
	{IB_HW, "resp_local_length_error", "resp_local_length_errors_total", 1,
	 "The number of times responder detected local length errors. The counters was added in "
	 "MLNX_OFED 4.1"},
	{IB_HW, "resp_remote_access_errors", "resp_remote_access_errors_total", 1,
	 "The number of times responder detected remote access errors. The counters was added in "
	 "MLNX_OFED 4.1"},
	{IB_HW, "rnr_nak_retry_err", "rnr_nak_retry_packets_received_total", 1,
	 "The number of received RNR NAK packets. The QP retry limit was not exceeded."},
	{IB_HW, "roce_adp_retrans", "roce_adp_retransmits_total", 1,
	 "The number of adaptive retransmissions for RoCE traffic. The counter was added in "
	 "MLNX_OFED rev 5.0-1.0.0.0 and kernel v5.6.0"},
	{IB_HW, "roce_adp_retrans_to", "roce_adp_retransmits_timeout_total", 1,
	 "The number of times RoCE traffic reached timeout due to adaptive retransmission. The "
	 "counter was added in MLNX_OFED rev 5.0-1.0.0.0 and kernel v5.6.0"},
	{IB_HW, "roce_slow_restart", "roce_slow_restart_used_total", 1,
	 "The number of times RoCE slow restart was used. The counter was added in MLNX_OFED rev "
	 "5.0-1.0.0.0 and kernel v5.6.0"},
	{IB_HW, "roce_slow_restart_cnps", "roce_slow_restart_cnps_total", 1,
	 "The number of times RoCE slow restart generated CNP packets. The counter was added in "
	 "MLNX_OFED rev 5.0-1.0.0.0 and kernel v5.6.0"},
	{IB_HW, "roce_slow_restart_trans", "roce_slow_restart_total", 1,
	 "The number of times RoCE slow restart changed state to slow restart. The counter was "
	 "added in MLNX_OFED rev 5.0-1.0.0.0 and kernel v5.6.0"},
	{IB_HW, "rp_cnp_handled", "rp_cnp_packets_handled_total", 1,
	 "The number of CNP packets handled by the Reaction Point HCA to throttle the transmission "
	 "rate. The counters was added in MLNX_OFED 4.1"},
	{IB_HW, "rp_cnp_ignored", "rp_cnp_ignored_packets_received_total", 1,
	 "The number of CNP packets received and ignored by the Reaction Point HCA. This counter "
	 "should not raise if RoCE Congestion Control was enabled in the network. If this counter "
	 "raise, verify that ECN was enabled on the adapter."},
	{IB_HW, "rx_atomic_requests", "rx_atomic_requests_total", 1,
	 "The number of received ATOMIC request for the associated QPs."},
	{IB_HW, "rx_dct_connect", "rx_dct_connect_requests_total", 1,
	 "The number of received connection requests for the associated DCTs."},
	{IB_HW, "rx_read_requests", "rx_read_requests_total", 1,
	 "The number of received READ requests for the associated QPs."},
	{IB_HW, "rx_write_requests", "rx_write_requests_total", 1,
	 "The number of received WRITE requests for the associated QPs."},
	{IB_HW, "rx_icrc_encapsulated", "rx_icrc_encapsulated_errors_total", 1,
	 "The number of RoCE packets with ICRC errors. This counter was added in MLNX_OFED 4.4 and "
	 "kernel 4.19"},
};
#define IB_NCOUNTERS (sizeof(ib_counters) / sizeof(ib_counters[0]))

/* One port, read whole before anything of its device is reported. */
struct ib_port {
	char num[16];
	uint64_t state, phys, rate;
	bool has[IB_NCOUNTERS];
	uint64_t v[IB_NCOUNTERS];
};

struct ib_state {
	struct classdir cd;
	struct dir_list ports, files;
	struct ib_port *p;
	size_t cap;
};

/* What the per-device callback of a scrape works on. */
struct ib_scrape {
	struct ib_state *st;
	struct expo_set *out;
};

/* What the per-file callback works on: the port, and which directory of it. */
struct ib_counters_ctx {
	enum ib_dir kind;
	struct ib_port *p;
};

static int ib_setup(char *errbuf, size_t errlen)
{
	struct devfilter_opts o = {
		.include_flag = "collector.infiniband.device-include",
		.exclude_flag = "collector.infiniband.device-exclude",
		.log_parsed = true,
	};
	return devfilter_setup(&ib_filter, ib_include_flag, ib_exclude_flag, &o, errbuf, errlen);
}

/* "ID: NAME" of a state file: the ID. */
static int ib_parse_state(char *s, uint64_t *id)
{
	char *colon = strchr(s, ':');
	if (!colon || strchr(colon + 1, ':'))
		return -EINVAL;
	*colon = '\0';
	return parse_go_uint(trim_space(s), 10, 32, id) ? -EINVAL : 0;
}

/* "40 Gb/sec (4X QDR)": the number (a float32) times 125000000. */
static int ib_parse_rate(char *s, uint64_t *rate)
{
	char *sp = strchr(s, ' ');
	double v;
	if (!sp)
		return -EINVAL;
	*sp = '\0';
	char *t = trim_space(s);
	if (parse_go_float(t, strlen(t), &v) || v > 3.4028234663852886e38 || v < -3.4028234663852886e38)
		return -EINVAL;
	double x = (double)(float)v * 125000000;
	*rate = x <= 0 ? 0 : (uint64_t)x;
	return 0;
}

/* Read a whole small file of dir into buf (os.ReadFile). */
static int ib_read(const char *dir, const char *name, char *buf, size_t size)
{
	char path[PATH_MAX];
	if (path_join(path, dir, name))
		return -ENAMETOOLONG;
	int rc = read_small_file(path, buf, size);
	return rc < 0 ? rc : 0;
}

/* One file of a counters directory: the table's counter of that kind and name, if any. */
static int ib_counter_file(void *ctx, const char *name, char *val, const char *path)
{
	const struct ib_counters_ctx *c = ctx;
	for (size_t k = 0; k < IB_NCOUNTERS; k++) {
		if (ib_counters[k].dir != c->kind || strcmp(ib_counters[k].file, name) != 0)
			continue;
		uint64_t v;
		if (parse_go_uint(val, 0, 64, &v)) {
			if (strstr(val, "N/A (no PMA)"))
				return 0;
			return log_err(-EINVAL, "infiniband: %s: not a number: %s", path, val);
		}
		c->p->v[k] = v * ib_counters[k].mult;
		c->p->has[k] = true;
		return 0;
	}
	return 0;
}

/* The counters of one directory kind of a port. */
static int ib_read_counters(struct ib_state *st, const char *portdir, const char *sub,
			    enum ib_dir kind, struct ib_port *p)
{
	/* unreadable counters (gone, no permission, not supported) are left out */
	static const int skip[] = {ENOENT, EACCES, EPERM, EOPNOTSUPP, EINVAL, 0};
	struct ib_counters_ctx ctx = {kind, p};
	char dir[PATH_MAX];
	if (path_join(dir, portdir, sub))
		return -ENAMETOOLONG;
	int rc = dir_list_read(&st->files, dir, NULL);
	if (rc)
		return rc;
	return classdir_read_files(&st->files, dir, skip, "infiniband", ib_counter_file, &ctx);
}

static int ib_read_port(struct ib_state *st, const char *devdir, const char *port,
			struct ib_port *p)
{
	char portdir[PATH_MAX], ports[PATH_MAX], buf[256];
	uint64_t n;
	struct stat sb;
	if (parse_go_uint(port, 10, 32, &n))
		return log_err(-EINVAL, "infiniband: failed to convert %s into uint", port);
	snprintf(p->num, sizeof(p->num), "%" PRIu64, n);
	memset(p->has, 0, sizeof(p->has));
	if (path_join(ports, devdir, "ports") || path_join(portdir, ports, port))
		return -ENAMETOOLONG;
	/* link_layer is not exported: procfs requires it, 1.5 did not read it */
	int rc = ib_read(portdir, "link_layer", buf, sizeof(buf));
	if (rc == -ENOENT)
		rc = 0;
	if (!rc && !(rc = ib_read(portdir, "state", buf, sizeof(buf))) &&
	    (rc = ib_parse_state(buf, &p->state)))
		return log_err(rc, "infiniband: could not parse state file in %s", portdir);
	if (!rc && !(rc = ib_read(portdir, "phys_state", buf, sizeof(buf))) &&
	    (rc = ib_parse_state(buf, &p->phys)))
		return log_err(rc, "infiniband: could not parse phys_state file in %s", portdir);
	if (!rc && !(rc = ib_read(portdir, "rate", buf, sizeof(buf))) &&
	    (rc = ib_parse_rate(buf, &p->rate)))
		return log_err(rc, "infiniband: could not parse rate file in %s", portdir);
	if (rc)
		return rc;
	char sub[PATH_MAX];
	if (!path_join(sub, portdir, "counters") && stat(sub, &sb) == 0) {
		rc = ib_read_counters(st, portdir, "counters", IB_COUNTERS, p);
		if (!rc) {
			rc = ib_read_counters(st, portdir, "counters_ext", IB_EXT, p);
			if (rc == -ENOENT)
				rc = 0;
		}
		if (rc)
			return rc;
	}
	if (!path_join(sub, portdir, "hw_counters") && stat(sub, &sb) == 0)
		rc = ib_read_counters(st, portdir, "hw_counters", IB_HW, p);
	return rc;
}

static void ib_emit_port(struct expo_set *out, const char *dev, const struct ib_port *p)
{
	expo_addl(expo_family(out, "node_infiniband_state_id",
			      "State of the InfiniBand port (0: no change, 1: down, 2: init, 3: "
			      "armed, 4: active, 5: act defer)",
			      EXPO_GAUGE),
		  (double)p->state, "device", dev, "port", p->num, NULL);
	expo_addl(expo_family(out, "node_infiniband_physical_state_id",
			      "Physical state of the InfiniBand port (0: no change, 1: sleep, 2: "
			      "polling, 3: disable, 4: shift, 5: link up, 6: link error recover, 7: "
			      "phytest)",
			      EXPO_GAUGE),
		  (double)p->phys, "device", dev, "port", p->num, NULL);
	expo_addl(expo_family(out, "node_infiniband_rate_bytes_per_second",
			      "Maximum signal transfer rate", EXPO_GAUGE),
		  (double)p->rate, "device", dev, "port", p->num, NULL);
	for (size_t k = 0; k < IB_NCOUNTERS; k++) {
		if (!p->has[k])
			continue;
		char name[96];
		bool lifespan = strcmp(ib_counters[k].file, "lifespan") == 0;
		snprintf(name, sizeof(name), "node_infiniband_%s", ib_counters[k].metric);
		expo_addl(expo_family(out, name, ib_counters[k].help,
				      lifespan ? EXPO_GAUGE : EXPO_COUNTER),
			  (double)(lifespan ? p->v[k] / 1000 : p->v[k]), "device", dev, "port",
			  p->num, NULL);
	}
}

/* Device i of the class directory, at dir: read all its ports, then report. */
static int ib_device(void *ctx, size_t i, const char *dir)
{
	const struct ib_scrape *sc = ctx;
	struct ib_state *st = sc->st;
	struct expo_set *out = sc->out;
	const char *dev = st->cd.devices.v[i];
	char ports[PATH_MAX], fw[SYSFS_ATTR_SIZE], other[2][SYSFS_ATTR_SIZE];
	char *fwv, *vals[2];
	static const char *const names[3] = {"board_id", "hca_type", "node_guid"};
	int rc = read_dir_attr(dir, "fw_ver", fw, sizeof(fw), &fwv);
	if (rc)
		return log_err(rc, "infiniband: failed to read HCA firmware version of %s", dev);
	for (int k = 0; k < 3; k++) {
		char buf[SYSFS_ATTR_SIZE], *v;
		rc = read_dir_attr(dir, names[k], k < 2 ? other[k] : buf, SYSFS_ATTR_SIZE, &v);
		if (rc && rc != -ENOENT)
			return log_err(rc, "infiniband: failed to read file %s/%s", dir, names[k]);
		if (k < 2)
			vals[k] = rc ? "" : v;
	}
	if (path_join(ports, dir, "ports"))
		return -ENAMETOOLONG;
	rc = dir_list_read(&st->ports, ports, NULL);
	if (rc)
		return log_err(rc, "infiniband: failed to list InfiniBand ports at %s", ports);
	if (st->ports.n > st->cap) {
		st->p = xrealloc(st->p, st->ports.n * sizeof(*st->p));
		st->cap = st->ports.n;
	}
	for (size_t k = 0; k < st->ports.n; k++) {
		rc = ib_read_port(st, dir, st->ports.v[k], &st->p[k]);
		if (rc)
			return rc;
	}
	expo_addl(expo_family(out, "node_infiniband_info",
			      "Non-numeric data from /sys/class/infiniband/<device>, value is always 1.",
			      EXPO_GAUGE),
		  1, "device", dev, "board_id", vals[0], "firmware_version", fwv, "hca_type", vals[1],
		  NULL);
	for (size_t k = 0; k < st->ports.n; k++)
		ib_emit_port(out, dev, &st->p[k]);
	return 0;
}

/* Devices the include/exclude flags leave out. */
static bool ib_skip(const char *dev)
{
	return devfilter_ignored(&ib_filter, dev);
}

static int ib_collect(void *state, struct expo_set *out)
{
	struct ib_state *st = state;
	struct ib_scrape ctx = {st, out};
	int rc = classdir_list(&st->cd, "infiniband");
	if (!rc)
		rc = classdir_each(&st->cd, ib_skip, ib_device, &ctx);
	if (rc == -ENOENT) {
		log_debug("infiniband: statistics not found, skipping");
		return -ENODATA;
	}
	if (rc)
		return log_err(rc, "infiniband: error obtaining InfiniBand class info");
	return 0;
}

static void ib_cleanup(void *state)
{
	struct ib_state *st = state;
	classdir_free(&st->cd);
	dir_list_free(&st->ports);
	dir_list_free(&st->files);
	free(st->p);
}

const struct collector collector_infiniband = {
	.name = "infiniband",
	.default_on = true,
	.state_size = sizeof(struct ib_state),
	.flags = ib_flags,
	.nflags = ARRAY_SIZE(ib_flags),
	.setup = ib_setup,
	.collect = ib_collect,
	.cleanup = ib_cleanup,
};
