// SPDX-License-Identifier: Apache-2.0
/*
 * netstat: node_netstat_<Protocol>_<Field> (untyped) from /proc/net/netstat,
 * /proc/net/snmp and /proc/net/snmp6, for the fields whose
 * "<Protocol>_<Field>" matches --collector.netstat.fields.
 *
 * netstat and snmp come in pairs of lines, names then values:
 *   TcpExt: SyncookiesSent SyncookiesRecv ...
 *   TcpExt: 0 0 ...
 * snmp6 has one "<Protocol6><Field> <value>" per line (Ip6InReceives 1),
 * the protocol ending at the first '6'.
 * As node_exporter: netstat and snmp must exist (snmp6 is skipped when IPv6
 * is disabled); a pair whose lines differ in length, or any value that is
 * not a number (selected or not), fails the collector before anything is
 * emitted.
 *
 * The fields are matched in file order against a cache of the previous
 * scrape (one compare per field); only a field not seen at that position
 * before goes through the regex and gets its family name built.
 * Kernel: net/ipv4/proc.c, net/ipv6/proc.c; the counters are described in
 * https://www.kernel.org/doc/html/latest/networking/snmp_counter.html
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/pfile.h"
#include "common/strutil.h"

#define NETSTAT_DEFAULT_FIELDS                                                                     \
	"^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|"      \
	"OutMsgs)|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts|TCPOFOQueue|"            \
	"TCPRcvQDrop)|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|"           \
	"CurrEstab)|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$"

static char *netstat_fields_flag;
static struct vregex *netstat_fields;

static const struct flag_def netstat_flags[] = {
	{"collector.netstat.fields", FLAG_STRING, &netstat_fields_flag, NETSTAT_DEFAULT_FIELDS,
	 "Regexp of fields to return for netstat collector.", NULL, NULL},
};

/* One field of the previous scrape, at its position in file order. */
struct netstat_item {
	char *key;   /* "<Protocol>_<Field>" */
	size_t plen; /* length of <Protocol> */
	char *name;  /* family name, NULL when the field is not selected */
	char *help;
};

enum { NETSTAT_FILE, SNMP_FILE, SNMP6_FILE, NETSTAT_NFILES };

struct netstat_state {
	struct pfile *pf[NETSTAT_NFILES];
	struct netstat_item *items;
	double *values;
	size_t nitems, cap;
	size_t n; /* fields seen in this scrape */
};

static int netstat_setup(char *errbuf, size_t errlen)
{
	vregex_free(netstat_fields);
	netstat_fields =
		vregex_compile(netstat_fields_flag ? netstat_fields_flag : NETSTAT_DEFAULT_FIELDS,
			       false, errbuf, errlen);
	return netstat_fields ? 0 : -EINVAL;
}

static bool netstat_valid_name(const char *s)
{
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == ':'))
			return false;
	}
	return true;
}

static void netstat_item_free(struct netstat_item *it)
{
	free(it->key);
	free(it->name);
	free(it->help);
	*it = (struct netstat_item){0};
}

/*
 * Record field n of this scrape: reuse the cached item when it has the same
 * protocol and field, otherwise (re)build it.
 */
static void netstat_item(struct netstat_state *st, const char *proto, size_t plen,
			 const char *field, double v)
{
	if (st->n == st->cap) {
		size_t old = st->cap;
		st->cap = st->cap ? st->cap * 2 : 256;
		st->items = xrealloc(st->items, st->cap * sizeof(*st->items));
		st->values = xrealloc(st->values, st->cap * sizeof(*st->values));
		memset(st->items + old, 0, (st->cap - old) * sizeof(*st->items));
	}
	struct netstat_item *it = &st->items[st->n];
	st->values[st->n++] = v;
	if (it->key && it->plen == plen && strncmp(it->key, proto, plen) == 0 &&
	    it->key[plen] == '_' && strcmp(it->key + plen + 1, field) == 0)
		return;

	netstat_item_free(it);
	struct buf b = BUF_INIT;
	buf_append(&b, proto, plen);
	buf_putc(&b, '_');
	buf_puts(&b, field);
	/* exact-size copies: a detached buf keeps 256 bytes or more per string */
	it->key = xstrdup(b.data);
	it->plen = plen;
	if (netstat_valid_name(it->key) && netstat_fields &&
	    vregex_match(netstat_fields, it->key)) {
		buf_reset(&b);
		buf_printf(&b, "node_netstat_%s", it->key);
		it->name = xstrdup(b.data);
		buf_reset(&b);
		buf_printf(&b, "Statistic %.*s%s.", (int)plen, proto, field);
		it->help = xstrdup(b.data);
	}
	buf_free(&b);
	if (st->n > st->nitems)
		st->nitems = st->n;
}

/* A whole word as a number, as Go's strconv.ParseFloat; 0 or -EINVAL. */
static int netstat_value(const char *s, double *v)
{
	return parse_go_float(s, strlen(s), v) ? -EINVAL : 0;
}

/* netstat and snmp: pairs of lines, names then values. */
static int netstat_parse_pairs(struct netstat_state *st, const struct pfile *pf)
{
	size_t nl = pfile_lines(pf);
	for (size_t l = 0; l < nl; l += 2) {
		size_t nw = pfile_words(pf, l);
		size_t nv = l + 1 < nl ? pfile_words(pf, l + 1) : 1;
		if (nw == 0)
			return -EINVAL;
		if (nw != nv) {
			log_debug("netstat: field count mismatch\tfile=%s line=%zu", pfile_path(pf),
				  l + 1);
			return -EINVAL;
		}
		const char *proto = pfile_word(pf, l, 0);
		size_t plen = strlen(proto) - 1; /* without the trailing ':' */
		for (size_t w = 1; w < nw; w++) {
			double v;
			if (netstat_value(pfile_word(pf, l + 1, w), &v)) {
				log_debug("netstat: invalid value\tfile=%s value=%s",
					  pfile_path(pf), pfile_word(pf, l + 1, w));
				return -EINVAL;
			}
			netstat_item(st, proto, plen, pfile_word(pf, l, w), v);
		}
	}
	return 0;
}

/* snmp6: "<Protocol6><Field> <value>" per line. */
static int netstat_parse_snmp6(struct netstat_state *st, const struct pfile *pf)
{
	for (size_t l = 0; l < pfile_lines(pf); l++) {
		if (pfile_words(pf, l) < 2)
			continue;
		const char *key = pfile_word(pf, l, 0);
		const char *six = strchr(key, '6');
		if (!six)
			continue;
		double v;
		if (netstat_value(pfile_word(pf, l, 1), &v)) {
			log_debug("netstat: invalid value\tfile=%s value=%s", pfile_path(pf),
				  pfile_word(pf, l, 1));
			return -EINVAL;
		}
		netstat_item(st, key, (size_t)(six - key) + 1, six + 1, v);
	}
	return 0;
}

static int netstat_read(struct netstat_state *st, int i)
{
	static const char *const files[NETSTAT_NFILES] = {"net/netstat", "net/snmp", "net/snmp6"};
	if (!st->pf[i]) {
		char path[PATH_MAX];
		st->pf[i] =
			pfile_open(proc_path(path, "%s", files[i]), i == SNMP6_FILE ? NULL : " ");
		if (!st->pf[i])
			return -errno;
	}
	int rc = pfile_read(st->pf[i]);
	if (rc == -ENOENT) {
		pfile_close(st->pf[i]);
		st->pf[i] = NULL;
	}
	return rc;
}

static int netstat_collect(void *state, struct expo_set *out)
{
	struct netstat_state *st = state;
	st->n = 0;
	for (int i = 0; i < NETSTAT_NFILES; i++) {
		int rc = netstat_read(st, i);
		if (rc == -ENOENT && i == SNMP6_FILE)
			continue; /* IPv6 disabled */
		if (rc)
			return rc;
		rc = i == SNMP6_FILE ? netstat_parse_snmp6(st, st->pf[i])
				     : netstat_parse_pairs(st, st->pf[i]);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < st->n; i++) {
		if (!st->items[i].name)
			continue;
		struct expo_family *f =
			expo_family(out, st->items[i].name, st->items[i].help, EXPO_UNTYPED);
		/* a field seen twice would be a duplicate series: keep the first */
		if (expo_family_count(f) == 0)
			expo_add(f, NULL, 0, st->values[i]);
	}
	return 0;
}

static void netstat_cleanup(void *state)
{
	struct netstat_state *st = state;
	for (int i = 0; i < NETSTAT_NFILES; i++)
		pfile_close(st->pf[i]);
	for (size_t i = 0; i < st->nitems; i++)
		netstat_item_free(&st->items[i]);
	free(st->items);
	free(st->values);
}

const struct collector collector_netstat = {
	.name = "netstat",
	.default_on = true,
	.state_size = sizeof(struct netstat_state),
	.flags = netstat_flags,
	.nflags = ARRAY_SIZE(netstat_flags),
	.setup = netstat_setup,
	.collect = netstat_collect,
	.cleanup = netstat_cleanup,
};
