// SPDX-License-Identifier: Apache-2.0
/*
 * ipvs: IP Virtual Server (kernel load balancer) statistics.
 * /proc/net/ip_vs_stats: two header lines, then one line of five hex
 * totals (connections, incoming/outgoing packets, incoming/outgoing
 * bytes) -> node_ipvs_*_total.  /proc/net/ip_vs: virtual services
 * ("TCP  C0A80016:0CEA wlc", "FWM  10001000 wlc", IPv6 as
 * "[2620:0:...]:0050") each followed by its real servers
 * ("  -> C0A85216:0CEA Tunnel 100 248 2": weight, active and inactive
 * connections) -> node_ipvs_backend_{connections_active,
 * connections_inactive,weight}, summed over backends that share the label
 * values of --collector.ipvs.backend-labels (a subset of local_address,
 * local_port, remote_address, remote_port, proto, local_mark; an unknown
 * name stops the agent).  No ip_vs_stats is "no data"; a malformed line
 * fails the collector as in procfs.
 * Format: net/netfilter/ipvs/ip_vs_ctl.c (ip_vs_info_seq_show,
 * ip_vs_stats_show); https://www.kernel.org/doc/html/latest/networking/ipvs-sysctl.html
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/pfile.h"

static const char *const ipvs_all_labels[6] = {"local_address",  "local_port", "remote_address",
					       "remote_port", "proto",	    "local_mark"};

static char *ipvs_labels_flag;
/* Indexes into ipvs_all_labels of the labels in use, in that order. */
static size_t ipvs_label_idx[6], ipvs_nlabels;

static const struct flag_def ipvs_flags[] = {
	{"collector.ipvs.backend-labels", FLAG_STRING, &ipvs_labels_flag,
	 "local_address,local_port,remote_address,remote_port,proto,local_mark",
	 "Comma separated list for IPVS backend stats labels.", NULL, NULL},
};

/* One summed backend: its label values and counts. */
struct ipvs_backend {
	char values[6][64];
	uint64_t active, inactive, weight;
};

struct ipvs_state {
	struct buf text;
	struct ipvs_backend *b;
	size_t n, cap;
};

static int ipvs_setup(char *errbuf, size_t errlen)
{
	const char *s = ipvs_labels_flag ? ipvs_labels_flag
					 : "local_address,local_port,remote_address,remote_port,"
					   "proto,local_mark";
	bool want[6] = {false};
	char unknown[256] = "";
	size_t nu = 0;
	while (*s) {
		size_t len = strcspn(s, ",");
		bool known = len == 0;
		for (size_t i = 0; i < 6 && !known; i++)
			if (strlen(ipvs_all_labels[i]) == len && strncmp(s, ipvs_all_labels[i], len) == 0)
				want[i] = known = true;
		if (!known)
			nu += (size_t)snprintf(unknown + nu, nu < sizeof(unknown) ? sizeof(unknown) - nu : 0,
					      "%s%.*s", nu ? ", " : "", (int)len, s);
		s += len + (s[len] == ',');
		if (nu >= sizeof(unknown))
			nu = sizeof(unknown) - 1;
	}
	if (nu) {
		snprintf(errbuf, errlen, "unknown IPVS backend labels: \"%s\"", unknown);
		return -EINVAL;
	}
	ipvs_nlabels = 0;
	for (size_t i = 0; i < 6; i++)
		if (want[i])
			ipvs_label_idx[ipvs_nlabels++] = i;
	return 0;
}

/* Go's net.IP.String() of a 16-byte address: IPv4-mapped as dotted quad, else RFC 5952. */
static void ipvs_ip6_string(const unsigned char *a, char *out, size_t size)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (memcmp(a, mapped, 12) == 0) {
		snprintf(out, size, "%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
		return;
	}
	unsigned g[8];
	for (int i = 0; i < 8; i++)
		g[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	int best = -1, blen = 0;
	for (int i = 0; i < 8;) {
		int j = i;
		while (j < 8 && g[j] == 0)
			j++;
		if (j - i > blen && j - i >= 2) {
			best = i;
			blen = j - i;
		}
		i = j > i ? j : i + 1;
	}
	size_t n = 0;
	out[0] = '\0';
	for (int i = 0; i < 8 && n < size; i++) {
		if (i == best) {
			n += (size_t)snprintf(out + n, size - n, "::");
			i += blen - 1;
			continue;
		}
		n += (size_t)snprintf(out + n, size - n, "%s%x", n && out[n - 1] != ':' ? ":" : "",
				      g[i]);
	}
}

/* "C0A80016:0CEA" or "[v6]:0050" into address text and port. */
static int ipvs_ip_port(const char *s, char *addr, size_t size, unsigned *port)
{
	size_t len = strlen(s);
	if (len == 13) {
		unsigned char b[4];
		for (int i = 0; i < 4; i++) {
			char hx[3] = {s[2 * i], s[2 * i + 1], 0};
			uint64_t v;
			if (parse_go_uint(hx, 16, 8, &v))
				return -EINVAL;
			b[i] = (unsigned char)v;
		}
		snprintf(addr, size, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
	} else if (len == 46) {
		char text[40];
		unsigned char b[16];
		memcpy(text, s + 1, 39);
		text[39] = '\0';
		if (inet_pton(AF_INET6, text, b) != 1)
			return -EINVAL;
		ipvs_ip6_string(b, addr, size);
	} else {
		return -EINVAL;
	}
	uint64_t p;
	if (parse_go_uint(s + len - 4, 16, 16, &p))
		return -EINVAL;
	*port = (unsigned)p;
	return 0;
}

/* Add one backend line's counts under its label values. */
static void ipvs_add(struct ipvs_state *st, char values[6][64], uint64_t w, uint64_t a, uint64_t in)
{
	size_t i;
	for (i = 0; i < st->n; i++) {
		size_t k;
		for (k = 0; k < ipvs_nlabels; k++)
			if (strcmp(st->b[i].values[k], values[ipvs_label_idx[k]]) != 0)
				break;
		if (k == ipvs_nlabels)
			break;
	}
	if (i == st->n) {
		if (st->n == st->cap) {
			st->cap = st->cap ? st->cap * 2 : 16;
			st->b = xrealloc(st->b, st->cap * sizeof(*st->b));
		}
		memset(&st->b[i], 0, sizeof(st->b[i]));
		for (size_t k = 0; k < ipvs_nlabels; k++)
			memcpy(st->b[i].values[k], values[ipvs_label_idx[k]], 64);
		st->n++;
	}
	st->b[i].weight += w;
	st->b[i].active += a;
	st->b[i].inactive += in;
}

/* Parse /proc/net/ip_vs (in st->text) into st->b. */
static int ipvs_backends(struct ipvs_state *st)
{
	char values[6][64] = {{0}};
	st->n = 0;
	char *save = NULL;
	for (char *line = strtok_r(st->text.data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[8], *s2 = NULL;
		size_t nf = 0;
		for (char *w = strtok_r(line, " \t\r\v\f", &s2); w && nf < 8;
		     w = strtok_r(NULL, " \t\r\v\f", &s2))
			f[nf++] = w;
		if (nf == 0 || strcmp(f[0], "IP") == 0 || strcmp(f[0], "Prot") == 0 ||
		    (nf > 1 && strcmp(f[1], "RemoteAddress:Port") == 0))
			continue;
		if ((strcmp(f[0], "TCP") == 0 || strcmp(f[0], "UDP") == 0) && nf >= 2) {
			unsigned port;
			snprintf(values[4], 64, "%s", f[0]);
			values[5][0] = '\0';
			if (ipvs_ip_port(f[1], values[0], 64, &port))
				return log_err(-EINVAL, "ipvs: unexpected IP:Port %s", f[1]);
			snprintf(values[1], 64, "%u", port);
		} else if (strcmp(f[0], "FWM") == 0 && nf >= 2) {
			snprintf(values[4], 64, "FWM");
			snprintf(values[5], 64, "%s", f[1]);
			values[0][0] = '\0';
			snprintf(values[1], 64, "0");
		} else if (strcmp(f[0], "->") == 0 && nf >= 6) {
			unsigned port;
			uint64_t w, a, in;
			if (ipvs_ip_port(f[1], values[2], 64, &port))
				return log_err(-EINVAL, "ipvs: unexpected IP:Port %s", f[1]);
			snprintf(values[3], 64, "%u", port);
			if (parse_go_uint(f[3], 10, 64, &w) || parse_go_uint(f[4], 10, 64, &a) ||
			    parse_go_uint(f[5], 10, 64, &in))
				return log_err(-EINVAL, "ipvs: bad backend line for %s", f[1]);
			ipvs_add(st, values, w, a, in);
		}
	}
	return 0;
}

static int ipvs_collect(void *state, struct expo_set *out)
{
	struct ipvs_state *st = state;
	char path[PATH_MAX];
	int rc = read_file_buf(proc_path(path, "net/ip_vs_stats"), &st->text);
	if (rc == -ENOENT) {
		log_debug("ipvs: collector metrics are not available for this system");
		return -ENODATA;
	}
	if (rc)
		return log_err(rc, "ipvs: could not get IPVS stats");
	/* the third line (SplitN into 4: three newlines needed) */
	char *l = st->text.data;
	for (int i = 0; i < 2 && l; i++) {
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	if (!l || !strchr(l, '\n'))
		return log_err(-EINVAL, "ipvs: ip_vs_stats corrupt: too short");
	*strchr(l, '\n') = '\0';
	char *f[6], *save = NULL;
	size_t nf = 0;
	for (char *w = strtok_r(l, " \t\r\v\f", &save); w && nf < 6;
	     w = strtok_r(NULL, " \t\r\v\f", &save))
		f[nf++] = w;
	uint64_t v[5];
	if (nf != 5)
		return log_err(-EINVAL, "ipvs: ip_vs_stats corrupt: unexpected number of fields");
	for (int i = 0; i < 5; i++)
		if (parse_go_uint(f[i], 16, 64, &v[i]))
			return log_err(-EINVAL, "ipvs: ip_vs_stats: bad number %s", f[i]);
	static const char *const names[5][2] = {
		{"node_ipvs_connections_total", "The total number of connections made."},
		{"node_ipvs_incoming_packets_total", "The total number of incoming packets."},
		{"node_ipvs_outgoing_packets_total", "The total number of outgoing packets."},
		{"node_ipvs_incoming_bytes_total", "The total amount of incoming data."},
		{"node_ipvs_outgoing_bytes_total", "The total amount of outgoing data."},
	};
	for (int i = 0; i < 5; i++)
		expo_add(expo_family(out, names[i][0], names[i][1], EXPO_COUNTER), NULL, 0,
			 (double)v[i]);

	rc = read_file_buf(proc_path(path, "net/ip_vs"), &st->text);
	if (!rc)
		rc = ipvs_backends(st);
	if (rc)
		return log_err(rc, "ipvs: could not get backend status");
	struct expo_family *fa = expo_family(
		out, "node_ipvs_backend_connections_active",
		"The current active connections by local and remote address.", EXPO_GAUGE);
	struct expo_family *fi = expo_family(
		out, "node_ipvs_backend_connections_inactive",
		"The current inactive connections by local and remote address.", EXPO_GAUGE);
	struct expo_family *fw = expo_family(out, "node_ipvs_backend_weight",
					     "The current backend weight by local and remote address.",
					     EXPO_GAUGE);
	for (size_t i = 0; i < st->n; i++) {
		struct expo_label lab[6];
		for (size_t k = 0; k < ipvs_nlabels; k++)
			lab[k] = (struct expo_label){ipvs_all_labels[ipvs_label_idx[k]],
						     st->b[i].values[k]};
		expo_add(fa, lab, ipvs_nlabels, (double)st->b[i].active);
		expo_add(fi, lab, ipvs_nlabels, (double)st->b[i].inactive);
		expo_add(fw, lab, ipvs_nlabels, (double)st->b[i].weight);
	}
	return 0;
}

static void ipvs_cleanup(void *state)
{
	struct ipvs_state *st = state;
	buf_free(&st->text);
	free(st->b);
}

const struct collector collector_ipvs = {
	.name = "ipvs",
	.default_on = true,
	.state_size = sizeof(struct ipvs_state),
	.flags = ipvs_flags,
	.nflags = ARRAY_SIZE(ipvs_flags),
	.setup = ipvs_setup,
	.collect = ipvs_collect,
	.cleanup = ipvs_cleanup,
};
