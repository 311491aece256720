// SPDX-License-Identifier: Apache-2.0
/*
 * Host names for httpd_listen() through glibc's getaddrinfo(3): files, DNS
 * and whatever else nsswitch.conf names.  In its own file so that only the
 * programs that install it (vigil-server) link glibc's resolver; the
 * statically linked agent keeps the /etc/hosts reader in httpd.c.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "common/httpd.h"

int httpd_resolve_system(const char *host, struct httpd_addr *out, char *errbuf, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *res;
	int gai = getaddrinfo(host, NULL, &hints, &res);
	if (gai) {
		snprintf(errbuf, errlen, "%s", gai_strerror(gai));
		return -ENOENT;
	}
	int n = 0;
	for (struct addrinfo *ai = res; ai && n < HTTPD_MAX_ADDRS; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof(out[n].sa))
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		memcpy(&out[n].sa, ai->ai_addr, ai->ai_addrlen);
		out[n].len = (unsigned)ai->ai_addrlen;
		n++;
	}
	freeaddrinfo(res);
	if (!n)
		snprintf(errbuf, errlen, "no such host");
	return n ? n : -ENOENT;
}
