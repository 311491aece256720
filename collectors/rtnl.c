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

#include "collectors/collector.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
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

/* What a dump hands each reply message of the wanted type to. */
typedef void (*rtnl_msg_fn)(void *ctx, const struct nlmsghdr *nh);

/*
 * Hand the messages of type want in one datagram to fn; 1 when the dump is
 * complete, 0 for more, or a negative errno.
 */
static int rtnl_datagram(struct rtnl *r, size_t n, uint16_t want, rtnl_msg_fn fn, void *ctx)
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
		if (nh->nlmsg_type == want)
			fn(ctx, nh);
	}
	return 0;
}

/*
 * Send req (reqlen bytes, a dump request whose sequence number is set here)
 * and hand every reply of type want to fn.  0 or a negative errno; after an
 * error the socket is closed and opened afresh by the next call.
 */
static int rtnl_dump(struct rtnl *r, struct nlmsghdr *req, uint16_t want, rtnl_msg_fn fn,
		     void *ctx)
{
	int rc = rtnl_open(r);
	if (rc)
		return rc;
	if (r->buf.cap < RTNL_BUF_MIN)
		buf_reserve(&r->buf, RTNL_BUF_MIN);
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	/* a datagram larger than the buffer: grow it and dump again, once */
	for (int attempt = 0; attempt < 2; attempt++) {
		req->nlmsg_seq = ++r->seq;
		if (sendto(r->fd - 1, req, req->nlmsg_len, 0, (struct sockaddr *)&kernel,
			   sizeof(kernel)) < 0) {
			rc = -errno;
			goto fail;
		}
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
			rc = rtnl_datagram(r, (size_t)n, want, fn, ctx);
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

struct link_call {
	rtnl_link_fn fn;
	void *ctx;
};

static void link_msg(void *ctx, const struct nlmsghdr *nh)
{
	const struct link_call *lc = ctx;
	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
		return;
	const struct ifinfomsg *ifi = NLMSG_DATA(nh);
	lc->fn(lc->ctx, ifi, IFLA_RTA(ifi), (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi))));
}

int rtnl_dump_links(struct rtnl *r, bool skip_stats, rtnl_link_fn fn, void *ctx)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		struct rtattr ext;
		uint32_t mask;
	} req = {
		.nh = {.nlmsg_len = sizeof(req),
		       .nlmsg_type = RTM_GETLINK,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP},
		.ifi = {.ifi_family = AF_UNSPEC},
		.ext = {.rta_len = RTA_LENGTH(sizeof(uint32_t)), .rta_type = IFLA_EXT_MASK},
		.mask = skip_stats ? RTEXT_FILTER_SKIP_STATS : 0,
	};
	struct link_call lc = {fn, ctx};
	return rtnl_dump(r, &req.nh, RTM_NEWLINK, link_msg, &lc);
}

struct stats_call {
	rtnl_stats_fn fn;
	void *ctx;
};

static void stats_msg(void *ctx, const struct nlmsghdr *nh)
{
	const struct stats_call *sc = ctx;
	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(struct if_stats_msg)))
		return;
	const struct if_stats_msg *ism = NLMSG_DATA(nh);
	int len = (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof(*ism)));
	const struct rtattr *a = (const void *)((const char *)ism + NLMSG_ALIGN(sizeof(*ism)));
	for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type != IFLA_STATS_LINK_64)
			continue;
		struct rtnl_link_stats64 st = {0};
		size_t n = RTA_PAYLOAD(a);
		memcpy(&st, RTA_DATA(a), n < sizeof(st) ? n : sizeof(st));
		sc->fn(sc->ctx, ism->ifindex, &st);
	}
}

int rtnl_dump_stats64(struct rtnl *r, rtnl_stats_fn fn, void *ctx)
{
	struct {
		struct nlmsghdr nh;
		struct if_stats_msg ism;
	} req = {
		.nh = {.nlmsg_len = sizeof(req),
		       .nlmsg_type = RTM_GETSTATS,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP},
		.ism = {.family = AF_UNSPEC,
			.filter_mask = IFLA_STATS_FILTER_BIT(IFLA_STATS_LINK_64)},
	};
	struct stats_call sc = {fn, ctx};
	return rtnl_dump(r, &req.nh, RTM_NEWSTATS, stats_msg, &sc);
}

/*
 * The scrape's link dump, for every collector that asks during one scrape
 * (netclass, netdev's names): the messages' payloads (ifinfomsg and
 * attributes), each behind its length, 4-aligned.  One per scrape thread
 * (collector_thread_cache()).
 */
struct link_memo {
	unsigned long id; /* collector_scrape_id() of the dump held */
	int rc;
	struct rtnl r;
	struct buf msgs;
};

static void memo_free(void *p)
{
	struct link_memo *m = p;
	rtnl_close(&m->r);
	buf_free(&m->msgs);
	free(m);
}

static struct collector_thread_cache memo_cache = COLLECTOR_THREAD_CACHE(memo_free);

static void memo_store(void *ctx, const struct ifinfomsg *ifi, const struct rtattr *attrs, int len)
{
	struct link_memo *m = ctx;
	(void)attrs; /* they follow ifi, as in the message */
	uint32_t n = (uint32_t)(NLMSG_ALIGN(sizeof(*ifi)) + (size_t)len);
	buf_append(&m->msgs, (const char *)&n, sizeof(n));
	buf_append(&m->msgs, (const char *)ifi, n);
	while (m->msgs.len % 4)
		buf_append(&m->msgs, "", 1);
}

int rtnl_scrape_links(struct rtnl *own, rtnl_link_fn fn, void *ctx)
{
	unsigned long id = collector_scrape_id();
	if (!id)
		return rtnl_dump_links(own, true, fn, ctx);
	struct link_memo *memo = collector_thread_cache(&memo_cache, sizeof(*memo));
	if (memo->id != id) {
		buf_reset(&memo->msgs);
		memo->rc = rtnl_dump_links(&memo->r, true, memo_store, memo);
		memo->id = id;
	}
	if (memo->rc)
		return memo->rc;
	for (size_t off = 0; off + sizeof(uint32_t) <= memo->msgs.len;) {
		uint32_t n;
		memcpy(&n, memo->msgs.data + off, sizeof(n));
		const struct ifinfomsg *ifi = (const void *)(memo->msgs.data + off + sizeof(n));
		fn(ctx, ifi, IFLA_RTA(ifi), (int)(n - NLMSG_ALIGN(sizeof(*ifi))));
		off += sizeof(n) + ((n + 3) & ~3u);
	}
	return 0;
}
