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

/* Close the socket and free the buffer. */
void rtnl_close(struct rtnl *r);

#endif
