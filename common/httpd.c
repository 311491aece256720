// SPDX-License-Identifier: Apache-2.0
#include "common/httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>
#include <zlib.h>

#include "common/log.h"

/* Bodies smaller than this are sent plain even when gzip is accepted. */
#define GZIP_MIN_BYTES 256

struct httpd {
	struct MHD_Daemon *daemon;
	http_handler_fn handler;
	void *ctx;
	size_t max_body;
};

/* Per-connection upload state between the access handler's calls. */
struct upload {
	struct buf body;
	bool too_large;
};

/* ---- listening -------------------------------------------------------- */

static int split_addr(const char *addr, char *host, size_t hostlen, char *port, size_t portlen)
{
	const char *colon;
	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');
		if (!close || close[1] != ':')
			return -EINVAL;
		size_t n = (size_t)(close - addr - 1);
		if (n >= hostlen)
			return -EINVAL;
		memcpy(host, addr + 1, n);
		host[n] = '\0';
		colon = close + 1;
	} else {
		colon = strrchr(addr, ':');
		if (!colon)
			return -EINVAL;
		size_t n = (size_t)(colon - addr);
		if (n >= hostlen)
			return -EINVAL;
		memcpy(host, addr, n);
		host[n] = '\0';
	}
	if (!colon[1] || strlen(colon + 1) >= portlen)
		return -EINVAL;
	strcpy(port, colon + 1);
	for (const char *p = port; *p; p++)
		if (*p < '0' || *p > '9')
			return -EINVAL;
	return atoi(port) > 65535 ? -EINVAL : 0;
}

static int bind_one(const struct sockaddr *sa, socklen_t salen, bool dual, int *err_op)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*err_op = 0;
		return -errno;
	}
	int one = 1, zero = 0;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (dual)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, sa, salen) < 0) {
		int rc = -errno;
		close(fd);
		*err_op = 1;
		return rc;
	}
	if (listen(fd, 128) < 0) {
		int rc = -errno;
		close(fd);
		*err_op = 2;
		return rc;
	}
	return fd;
}

int httpd_listen(const char *addr, char *errbuf, size_t errlen)
{
	static const char *const ops[] = { "socket", "bind", "listen" };
	char host[256], port[16];
	int op = 0;

	if (split_addr(addr, host, sizeof(host), port, sizeof(port)) < 0) {
		snprintf(errbuf, errlen, "listen tcp %s: address %s: missing or bad port", addr, addr);
		return -EINVAL;
	}
	if (!host[0]) {
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_addr = in6addr_any,
					     .sin6_port = htons((uint16_t)atoi(port)) };
		int fd = bind_one((struct sockaddr *)&sin6, sizeof(sin6), true, &op);
		if (fd >= 0 || (fd != -EAFNOSUPPORT && op != 0)) {
			if (fd < 0)
				snprintf(errbuf, errlen, "listen tcp %s: %s: %s", addr, ops[op],
					 strerror(-fd));
			return fd;
		}
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY),
					   .sin_port = htons((uint16_t)atoi(port)) };
		fd = bind_one((struct sockaddr *)&sin, sizeof(sin), false, &op);
		if (fd < 0)
			snprintf(errbuf, errlen, "listen tcp %s: %s: %s", addr, ops[op], strerror(-fd));
		return fd;
	}

	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *res;
	int gai = getaddrinfo(host, port, &hints, &res);
	if (gai) {
		snprintf(errbuf, errlen, "listen tcp %s: lookup %s: %s", addr, host, gai_strerror(gai));
		return -EINVAL;
	}
	int fd = -EADDRNOTAVAIL;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = bind_one(ai->ai_addr, ai->ai_addrlen, false, &op);
		if (fd >= 0)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(errbuf, errlen, "listen tcp %s: %s: %s", addr, ops[op], strerror(-fd));
	return fd;
}

int httpd_bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -errno;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* ---- requests --------------------------------------------------------- */

bool http_accepts_gzip(const char *ae)
{
	if (!ae)
		return false;
	for (const char *p = ae; (p = strcasestr(p, "gzip")) != NULL; p += 4) {
		/* a whole token, not refused with q=0 */
		if (p != ae && p[-1] != ',' && p[-1] != ' ')
			continue;
		const char *q = p + 4;
		while (*q == ' ')
			q++;
		if (*q == ';') {
			const char *v = strstr(q, "q=");
			if (v && strtod(v + 2, NULL) == 0)
				return false;
		}
		return true;
	}
	return false;
}

const char *http_header(const struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_query_arg(const struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct arg_walk {
	http_arg_fn fn;
	void *ctx;
	bool stopped;
};

static enum MHD_Result arg_iter(void *cls, enum MHD_ValueKind kind, const char *key,
				const char *value)
{
	(void)kind;
	struct arg_walk *w = cls;
	if (!w->fn(w->ctx, key, value ? value : "")) {
		w->stopped = true;
		return MHD_NO;
	}
	return MHD_YES;
}

size_t http_url_decode(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (*r == '+') {
			*w++ = ' ';
		} else if (*r == '%' && r[1] && r[2]) {
			char hex[3] = { r[1], r[2], 0 };
			char *end;
			long v = strtol(hex, &end, 16);
			if (*end) {
				*w++ = *r;
				continue;
			}
			*w++ = (char)v;
			r += 2;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

void http_args_foreach(const struct http_request *req, http_arg_fn fn, void *ctx)
{
	struct arg_walk w = { fn, ctx, false };
	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, arg_iter, &w);
	if (w.stopped || !req->body || !req->body_len)
		return;
	const char *ct = http_header(req, "Content-Type");
	if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0)
		return;
	char *copy = xstrndup(req->body, req->body_len);
	char *save = NULL;
	for (char *pair = strtok_r(copy, "&", &save); pair; pair = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(pair, '=');
		char *value = "";
		if (eq) {
			*eq = '\0';
			value = eq + 1;
		}
		http_url_decode(pair);
		http_url_decode(value);
		if (!fn(ctx, pair, value))
			break;
	}
	free(copy);
}

static int gzip_body(const struct buf *in, struct buf *out)
{
	z_stream zs = { 0 };
	if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	buf_reserve(out, deflateBound(&zs, in->len));
	zs.next_in = (Bytef *)in->data;
	zs.avail_in = (uInt)in->len;
	zs.next_out = (Bytef *)out->data;
	zs.avail_out = (uInt)(out->cap - 1);
	int rc = deflate(&zs, Z_FINISH);
	out->len = zs.total_out;
	deflateEnd(&zs);
	return rc == Z_STREAM_END ? 0 : -EIO;
}

static enum MHD_Result send_plain(struct MHD_Connection *conn, unsigned status, const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
								 MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_size, void **con_cls)
{
	(void)version;
	struct httpd *h = cls;
	struct upload *up = *con_cls;

	if (!up) {
		up = xcalloc(1, sizeof(*up));
		*con_cls = up;
		return MHD_YES;
	}
	if (*upload_size) {
		if (up->body.len + *upload_size > h->max_body)
			up->too_large = true;
		else
			buf_append(&up->body, upload_data, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (up->too_large)
		return send_plain(conn, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large\n");

	struct http_request req = {
		.method = method,
		.url = url,
		.body = up->body.data,
		.body_len = up->body.len,
		.conn = conn,
	};
	struct http_response resp = { .status = 200, .content_type = "text/plain; charset=utf-8" };
	h->handler(h->ctx, &req, &resp);

	struct buf *body = &resp.body;
	struct buf zipped = BUF_INIT;
	bool gz = false;
	if (!resp.no_gzip && body->len >= GZIP_MIN_BYTES &&
	    http_accepts_gzip(http_header(&req, MHD_HTTP_HEADER_ACCEPT_ENCODING)) &&
	    gzip_body(body, &zipped) == 0) {
		buf_free(body);
		body = &zipped;
		gz = true;
	}
	size_t len;
	char *data = buf_detach(body, &len);
	buf_free(&zipped);
	struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback(len, data, free);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp.content_type);
	if (gz)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	if (resp.location)
		MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, resp.location);
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)resp.status, r);
	MHD_destroy_response(r);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	struct upload *up = *con_cls;
	if (up) {
		buf_free(&up->body);
		free(up);
		*con_cls = NULL;
	}
}

struct httpd *httpd_start(int listen_fd, unsigned nthreads, size_t max_body,
			  http_handler_fn handler, void *ctx)
{
	if (!nthreads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		nthreads = n > 0 ? (unsigned)n : 1;
	}
	struct httpd *h = xcalloc(1, sizeof(*h));
	h->handler = handler;
	h->ctx = ctx;
	h->max_body = max_body;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO;
	h->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
				     MHD_OPTION_LISTEN_SOCKET, listen_fd,
				     MHD_OPTION_THREAD_POOL_SIZE, nthreads,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned)1024,
				     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
				     MHD_OPTION_END);
	if (!h->daemon) {
		log_error("cannot start HTTP server");
		free(h);
		return NULL;
	}
	return h;
}

void httpd_stop(struct httpd *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->daemon);
	free(h);
}
