// SPDX-License-Identifier: Apache-2.0
/*
 * rtnetlink device dump (see rtnl.h).  Each datagram is received straight
 * into a buffer of RTNL_BUF_MIN bytes or more: the kernel sizes a dump's
 * datagrams by the receive buffers it has seen (up to 32 KiB) unless one
 * device's message is larger, which MSG_TRUNC reports; the buffer then
 * grows to fit and the dump is asked for again.  So a scrape makes one
 * recv(2) per datagram, not a peek and a read.
 */
#include "collectors/rtnl.h"

#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#define RTNL_BUF_MIN (32 * 1024)

static int rtnl_open(struct rtnl *r)
{
	if (r->fd)
		return 0;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	r->fd = fd + 1;
	return 0;
}

void rtnl_close(struct rtnl *r)
{
	if (r->fd)
		close(r->fd - 1);
	r->fd = 0;
	buf_free(&r->buf);
}

/* Send the dump request; 0 or a negative errno. */
static int rtnl_request(struct rtnl *r, bool skip_stats)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		struct rtattr ext;
		uint32_t mask;
	} req = {
		.nh = {.nlmsg_len = sizeof(req),
		       .nlmsg_type = RTM_GETLINK,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		       .nlmsg_seq = ++r->seq},
		.ifi = {.ifi_family = AF_UNSPEC},
		.ext = {.rta_len = RTA_LENGTH(sizeof(uint32_t)), .rta_type = IFLA_EXT_MASK},
		.mask = skip_stats ? RTEXT_FILTER_SKIP_STATS : 0,
	};
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	if (sendto(r->fd - 1, &req, sizeof(req), 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return -errno;
	return 0;
}

/*
 * Hand the devices of one datagram to fn; 1 when the dump is complete, 0
 * for more, or a negative errno.
 */
static int rtnl_datagram(struct rtnl *r, size_t n, rtnl_link_fn fn, void *ctx)
{
	int len = (int)n;
	for (const struct nlmsghdr *nh = (const void *)r->buf.data; NLMSG_OK(nh, len);
	     nh = NLMSG_NEXT(nh, len)) {
		if (nh->nlmsg_seq != r->seq)
			continue; /* a reply to an earlier, abandoned request */
		if (nh->nlmsg_type == NLMSG_DONE)
			return 1;
		if (nh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(nh);
			if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return -EPROTO;
			return e->error ? e->error : 1;
		}
		if (nh->nlmsg_type != RTM_NEWLINK ||
		    nh->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
			continue;
		const struct ifinfomsg *ifi = NLMSG_DATA(nh);
		fn(ctx, ifi, IFLA_RTA(ifi), (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi))));
	}
	return 0;
}

int rtnl_dump_links(struct rtnl *r, bool skip_stats, rtnl_link_fn fn, void *ctx)
{
	int rc = rtnl_open(r);
	if (rc)
		return rc;
	if (r->buf.cap < RTNL_BUF_MIN)
		buf_reserve(&r->buf, RTNL_BUF_MIN);
	/* a datagram larger than the buffer: grow it and dump again, once */
	for (int attempt = 0; attempt < 2; attempt++) {
		if ((rc = rtnl_request(r, skip_stats)))
			goto fail;
		for (;;) {
			ssize_t n = recv(r->fd - 1, r->buf.data, r->buf.cap, MSG_TRUNC);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				rc = -errno;
				goto fail;
			}
			if ((size_t)n > r->buf.cap) {
				/* cut short, and so this whole dump is unusable */
				buf_reserve(&r->buf, (size_t)n);
				break;
			}
			rc = rtnl_datagram(r, (size_t)n, fn, ctx);
			if (rc < 0)
				goto fail;
			if (rc == 1)
				return 0;
		}
		/* drop the rest of the abandoned dump with the socket */
		close(r->fd - 1);
		r->fd = 0;
		if ((rc = rtnl_open(r)))
			return rc;
	}
	rc = -EMSGSIZE;
fail:
	/* the socket may still hold part of the dump: start afresh next time */
	if (r->fd)
		close(r->fd - 1);
	r->fd = 0;
	return rc;
}
