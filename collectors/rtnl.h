/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A dump of the network devices over rtnetlink (RTM_GETLINK with
 * NLM_F_DUMP, rtnetlink(7)), for the collectors that read device
 * attributes: one request and a datagram or two per scrape instead of a
 * file per attribute.  The messages' attributes are described in
 * https://docs.kernel.org/networking/netlink_spec/rt-link.html .
 */
#ifndef VIGIL_COLLECTORS_RTNL_H
#define VIGIL_COLLECTORS_RTNL_H

#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"

/* A rtnetlink socket and its receive buffer; zero-initialise. */
struct rtnl {
	int fd; /* socket + 1 (0: not open) */
	uint32_t seq;
	struct buf buf;
};

/* Called for each device: its ifinfomsg and its attributes (len bytes). */
typedef void (*rtnl_link_fn)(void *ctx, const struct ifinfomsg *ifi,
			     const struct rtattr *attrs, int len);

/*
 * Dump every device of the process's network namespace, calling fn for
 * each.  skip_stats asks the kernel to leave out the counters
 * (RTEXT_FILTER_SKIP_STATS).  Returns 0 or a negative errno; after an
 * error the socket is closed and opened afresh by the next call.
 */
int rtnl_dump_links(struct rtnl *r, bool skip_stats, rtnl_link_fn fn, void *ctx);

/* Called for each device of a statistics dump: its ifindex and counters. */
typedef void (*rtnl_stats_fn)(void *ctx, int ifindex, const struct rtnl_link_stats64 *st);

/*
 * Dump every device's 64-bit counters (RTM_GETSTATS with
 * IFLA_STATS_LINK_64 only): the counters of IFLA_STATS64, without the
 * rest of a device's description, which the kernel spends most of a link
 * dump on.  Returns 0 or a negative errno (as rtnl_dump_links()).
 */
int rtnl_dump_stats64(struct rtnl *r, rtnl_stats_fn fn, void *ctx);

/*
 * rtnl_dump_links() without counters, done once per scrape
 * (collector_scrape_id()) and handed to every collector that asks during
 * it; outside a scrape (a unit test), a dump of its own on *own.
 */
int rtnl_scrape_links(struct rtnl *own, rtnl_link_fn fn, void *ctx);

/* Close the socket and free the buffer. */
void rtnl_close(struct rtnl *r);

#endif
