// SPDX-License-Identifier: Apache-2.0
#include "common/httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "common/log.h"

/* Bodies smaller than this are sent plain even when gzip is accepted. */
#define GZIP_MIN_BYTES 256
/* Most bytes of request line and headers. */
#define MAX_HEADER_BYTES (64 * 1024)
#define MAX_HEADERS 100
#define MAX_CONNECTIONS 1024
#define IDLE_TIMEOUT_S 120
#define HEADER_TIMEOUT_S 30
#define WRITE_TIMEOUT_MS 60000

struct http_header_field {
	char *name;
	char *value;
};

struct http_conn {
	int fd;
	struct httpd *srv;
	struct http_conn *prev, *next; /* the server's list, under srv->lock */
	atomic_bool busy;	       /* a thread owns it (not armed in epoll) */
	bool in_epoll;		       /* added to the epoll set */
	_Atomic time_t last_active;
	_Atomic time_t started;	       /* first byte of the current request, 0 if none */

	char *in; /* received bytes; the request is split in place */
	size_t in_len, in_cap;
	size_t hdr_len;	 /* bytes of request line + headers incl. the blank line, 0 until complete */
	size_t body_len; /* Content-Length */
	bool continue_sent;

	/* the parsed request, valid while it is handled */
	char *method, *path, *query, *version;
	struct http_header_field hdrs[MAX_HEADERS];
	size_t nhdrs;
	char *args_copy; /* decoded query string arguments */
	struct http_header_field *args;
	size_t nargs;
};

struct httpd {
	int listen_fd;
	int ep;
	int wake_fd;
	pthread_t *threads;
	unsigned nthreads;
	atomic_bool stopping;
	http_handler_fn handler;
	void *ctx;
	size_t max_body;
	pthread_mutex_t lock; /* guards the connection list */
	struct http_conn *conns;
	size_t nconns;
	pthread_mutex_t sweep_lock;
	time_t last_sweep;
};

/* epoll data for the two non-connection fds */
static char listen_tag, wake_tag;

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

/* A numeric IPv4 or IPv6 host into out[0]: 1, or 0 when host is a name. */
static int numeric_addr(const char *host, struct httpd_addr *out)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&out->sa;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->sa;
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		out->len = sizeof(*sin);
		return 1;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		out->len = sizeof(*sin6);
		return 1;
	}
	return 0;
}

static void set_port(struct httpd_addr *a, uint16_t port)
{
	if (a->sa.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&a->sa)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)&a->sa)->sin_port = htons(port);
}

static httpd_resolve_fn resolver = httpd_resolve_hosts_file;

void httpd_set_resolver(httpd_resolve_fn fn)
{
	resolver = fn ? fn : httpd_resolve_hosts_file;
}

/* Whether the hosts(5) line (NUL-terminated, comment cut) names host; its address into *a. */
static bool hosts_line_names(char *line, const char *host, struct httpd_addr *a)
{
	char *save, *tok = strtok_r(line, " \t\r\n", &save);
	if (!tok || numeric_addr(tok, a) != 1)
		return false;
	while ((tok = strtok_r(NULL, " \t\r\n", &save)))
		if (!strcasecmp(tok, host))
			return true;
	return false;
}

int httpd_resolve_hosts_file(const char *host, struct httpd_addr *out, char *errbuf,
			     size_t errlen)
{
	int n = 0;
	FILE *f = fopen("/etc/hosts", "re");
	char line[1024];
	while (f && n < HTTPD_MAX_ADDRS && fgets(line, sizeof(line), f)) {
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		if (hosts_line_names(line, host, &out[n]))
			n++;
	}
	if (f)
		fclose(f);
	if (!n && !strcasecmp(host, "localhost"))
		n = numeric_addr("127.0.0.1", out);
	if (!n)
		snprintf(errbuf, errlen, "no such host (names are looked up in /etc/hosts)");
	return n ? n : -ENOENT;
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

	struct httpd_addr addrs[HTTPD_MAX_ADDRS];
	int n = numeric_addr(host, addrs);
	if (!n) {
		char why[128] = "no such host";
		n = resolver(host, addrs, why, sizeof(why));
		if (n <= 0) {
			snprintf(errbuf, errlen, "listen tcp %s: lookup %s: %s", addr, host, why);
			return -EINVAL;
		}
	}
	int fd = -EADDRNOTAVAIL;
	for (int i = 0; i < n; i++) {
		set_port(&addrs[i], (uint16_t)atoi(port));
		fd = bind_one((struct sockaddr *)&addrs[i].sa, addrs[i].len, false, &op);
		if (fd >= 0)
			break;
	}
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

/* ---- requests ------------------------------------------------------- */

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

/*
 * A 4 KiB window and memLevel 5: 32 KiB of compressor state instead of
 * zlib's default 256 KiB, for output of the same size on exposition text
 * (its repeats are a line or two apart: 10608 bytes against 10640 for a
 * 56 KB node scrape).
 */
#define GZIP_WINDOW_BITS 12
#define GZIP_MEM_LEVEL 5

static int gzip_body(const struct buf *in, struct buf *out)
{
	z_stream zs = { 0 };
	if (deflateInit2(&zs, 1, Z_DEFLATED, GZIP_WINDOW_BITS + 16, GZIP_MEM_LEVEL,
			 Z_DEFAULT_STRATEGY) != Z_OK)
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


const char *http_header(const struct http_request *req, const char *name)
{
	const struct http_conn *c = req->conn;
	for (size_t i = 0; i < c->nhdrs; i++)
		if (strcasecmp(c->hdrs[i].name, name) == 0)
			return c->hdrs[i].value;
	return NULL;
}

const char *http_query_arg(const struct http_request *req, const char *name)
{
	const struct http_conn *c = req->conn;
	for (size_t i = 0; i < c->nargs; i++)
		if (strcmp(c->args[i].name, name) == 0)
			return c->args[i].value;
	return NULL;
}

/* Split a urlencoded string (modified in place) into name/value pairs. */
static void split_form(char *s, bool (*fn)(void *, char *, char *), void *ctx)
{
	char *save = NULL;
	for (char *pair = strtok_r(s, "&", &save); pair; pair = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(pair, '=');
		char *value = pair + strlen(pair);
		if (eq) {
			*eq = '\0';
			value = eq + 1;
		}
		http_url_decode(pair);
		http_url_decode(value);
		if (!fn(ctx, pair, value))
			break;
	}
}

static bool push_arg(void *ctx, char *name, char *value)
{
	struct http_conn *c = ctx;
	if ((c->nargs & (c->nargs - 1)) == 0) /* grow at powers of two */
		c->args = xrealloc(c->args, (c->nargs ? c->nargs * 2 : 8) * sizeof(*c->args));
	c->args[c->nargs].name = name;
	c->args[c->nargs].value = value;
	c->nargs++;
	return true;
}

struct form_walk {
	http_arg_fn fn;
	void *ctx;
};

static bool form_arg(void *ctx, char *name, char *value)
{
	struct form_walk *w = ctx;
	return w->fn(w->ctx, name, value);
}

void http_args_foreach(const struct http_request *req, http_arg_fn fn, void *ctx)
{
	const struct http_conn *c = req->conn;
	for (size_t i = 0; i < c->nargs; i++)
		if (!fn(ctx, c->args[i].name, c->args[i].value))
			return;
	if (!req->body || !req->body_len)
		return;
	const char *ct = http_header(req, "Content-Type");
	if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0)
		return;
	char *copy = xstrndup(req->body, req->body_len);
	struct form_walk w = { fn, ctx };
	split_form(copy, form_arg, &w);
	free(copy);
}

/* ---- connections ------------------------------------------------------ */

static time_t now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static const char *status_text(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 307: return "Temporary Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

/* Write all of iov, waiting for the socket while it is full. */
static int write_all(int fd, struct iovec *iov, int iovcnt)
{
	while (iovcnt > 0) {
		struct msghdr msg = { .msg_iov = iov, .msg_iovlen = (size_t)iovcnt };
		ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			int r = poll(&p, 1, WRITE_TIMEOUT_MS);
			if (r <= 0)
				return r == 0 ? -ETIMEDOUT : -errno;
			continue;
		}
		while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

static int send_response(struct http_conn *c, int status, const char *ctype, const char *extra,
			 const char *body, size_t len, bool head, bool keep)
{
	char hdr[1024];
	char date[64];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	int n = snprintf(hdr, sizeof(hdr),
			 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nDate: %s\r\n%s%s\r\n",
			 status, status_text(status), ctype, len, date, extra ? extra : "",
			 keep ? "" : "Connection: close\r\n");
	if (n < 0 || (size_t)n >= sizeof(hdr))
		return -EOVERFLOW;
	struct iovec iov[2] = { { hdr, (size_t)n }, { (void *)body, head ? 0 : len } };
	return write_all(c->fd, iov, head || !len ? 1 : 2);
}

static int send_error(struct http_conn *c, int status, const char *text)
{
	return send_response(c, status, "text/plain; charset=utf-8", NULL, text, strlen(text), false,
			     false);
}

/*
 * Parse the request line and headers of c->in[0..hdr_len) in place.
 * Returns 0, or an HTTP status to answer with before closing.
 */
static int parse_head(struct http_conn *c)
{
	char *p = c->in, *end = c->in + c->hdr_len;
	char *eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol)
		return 400;
	*eol = '\0';
	if (eol > p && eol[-1] == '\r')
		eol[-1] = '\0';
	/* METHOD SP TARGET SP VERSION */
	c->method = p;
	char *sp = strchr(p, ' ');
	if (!sp)
		return 400;
	*sp = '\0';
	char *target = sp + 1;
	sp = strchr(target, ' ');
	if (!sp)
		return 400;
	*sp = '\0';
	c->version = sp + 1;
	if (strcmp(c->version, "HTTP/1.1") != 0 && strcmp(c->version, "HTTP/1.0") != 0)
		return 505;
	if (!strncasecmp(target, "http://", 7) || !strncasecmp(target, "https://", 8)) {
		target = strchr(strstr(target, "//") + 2, '/');
		if (!target)
			target = "/";
	}
	if (target[0] != '/' && strcmp(target, "*") != 0)
		return 400;
	c->query = strchr(target, '?');
	if (c->query)
		*c->query++ = '\0';
	c->path = target;

	c->nhdrs = 0;
	for (p = eol + 1; p < end;) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			break;
		*eol = '\0';
		if (eol > p && eol[-1] == '\r')
			eol[-1] = '\0';
		if (!*p)
			break;
		char *colon = strchr(p, ':');
		if (!colon || colon == p || c->nhdrs == MAX_HEADERS)
			return c->nhdrs == MAX_HEADERS ? 431 : 400;
		*colon = '\0';
		char *v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		char *ve = v + strlen(v);
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			*--ve = '\0';
		c->hdrs[c->nhdrs].name = p;
		c->hdrs[c->nhdrs].value = v;
		c->nhdrs++;
		p = eol + 1;
	}
	return 0;
}

static const char *find_header(const struct http_conn *c, const char *name)
{
	for (size_t i = 0; i < c->nhdrs; i++)
		if (strcasecmp(c->hdrs[i].name, name) == 0)
			return c->hdrs[i].value;
	return NULL;
}

/* Whether the connection stays open after this request. */
static bool wants_keep_alive(const struct http_conn *c)
{
	const char *conn = find_header(c, "Connection");
	if (!strcmp(c->version, "HTTP/1.0"))
		return conn && strcasestr(conn, "keep-alive");
	return !(conn && strcasestr(conn, "close"));
}

/* Run the handler on the complete request and answer; 0 to keep the connection. */
static int serve(struct http_conn *c)
{
	struct httpd *h = c->srv;
	bool keep = wants_keep_alive(c);

	http_url_decode(c->path);
	c->nargs = 0;
	free(c->args_copy);
	c->args_copy = NULL;
	if (c->query && *c->query) {
		c->args_copy = xstrdup(c->query);
		split_form(c->args_copy, push_arg, c);
	}

	char *body = c->in + c->hdr_len;
	char saved = body[c->body_len];
	body[c->body_len] = '\0';
	struct http_request req = {
		.method = c->method,
		.url = c->path,
		.body = c->body_len ? body : NULL,
		.body_len = c->body_len,
		.conn = c,
	};
	struct http_response resp = { .status = 200, .content_type = "text/plain; charset=utf-8" };
	h->handler(h->ctx, &req, &resp);
	body[c->body_len] = saved;

	struct buf *out = &resp.body;
	struct buf zipped = BUF_INIT;
	char extra[512] = "";
	size_t elen = 0;
	if (!resp.no_gzip && out->len >= GZIP_MIN_BYTES &&
	    http_accepts_gzip(find_header(c, "Accept-Encoding")) && gzip_body(out, &zipped) == 0) {
		out = &zipped;
		elen += (size_t)snprintf(extra + elen, sizeof(extra) - elen,
					 "Content-Encoding: gzip\r\n");
	}
	if (resp.location)
		snprintf(extra + elen, sizeof(extra) - elen, "Location: %s\r\n", resp.location);
	int rc = send_response(c, resp.status, resp.content_type, extra, out->data ? out->data : "",
			       out->len, strcmp(c->method, "HEAD") == 0, keep);
	buf_free(&resp.body);
	buf_free(&zipped);
	return rc < 0 ? rc : keep ? 0 : -ECONNRESET;
}

static void conn_free(struct http_conn *c)
{
	struct httpd *h = c->srv;
	pthread_mutex_lock(&h->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		h->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	h->nconns--;
	pthread_mutex_unlock(&h->lock);
	close(c->fd);
	free(c->in);
	free(c->args_copy);
	free(c->args);
	free(c);
}

static void arm(struct httpd *h, int fd, void *ptr, bool added)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT, .data.ptr = ptr };
	epoll_ctl(h->ep, added ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev);
}

/*
 * The parsed request line and headers point into c->in: after the buffer
 * moved (a body arriving in a later read grew it), point them at the new
 * copy, at the same offsets.
 */
static void rebase_head(struct http_conn *c, uintptr_t old)
{
#define REBASE(p) ((p) = (p) ? c->in + ((uintptr_t)(p) - old) : NULL)
	REBASE(c->method);
	REBASE(c->path);
	REBASE(c->query);
	REBASE(c->version);
	for (size_t i = 0; i < c->nhdrs; i++) {
		REBASE(c->hdrs[i].name);
		REBASE(c->hdrs[i].value);
	}
#undef REBASE
}

/*
 * Handle readiness of c, owned by the calling thread: read what is there,
 * serve every complete request, then re-arm or close.
 */
static void conn_event(struct http_conn *c)
{
	struct httpd *h = c->srv;
	for (;;) {
		/* read what is available */
		for (;;) {
			if (c->in_cap - c->in_len < 4096) {
				size_t cap = c->in_cap ? c->in_cap * 2 : 8192;
				uintptr_t old = (uintptr_t)c->in;
				c->in = xrealloc(c->in, cap + 1);
				c->in_cap = cap;
				if (c->hdr_len)
					rebase_head(c, old);
			}
			size_t room = c->in_cap - c->in_len;
			ssize_t n = recv(c->fd, c->in + c->in_len, room, 0);
			if (n > 0) {
				if (!c->started)
					c->started = now_s();
				c->in_len += (size_t)n;
				c->last_active = now_s();
				/*
				 * A short read drained the socket: no recv for the
				 * EAGAIN; bytes arriving later fire the re-armed event.
				 */
				if ((size_t)n < room || c->in_len > MAX_HEADER_BYTES + h->max_body)
					break;
				continue;
			}
			if (n == 0 || (errno != EAGAIN && errno != EINTR))
				goto close;
			if (errno == EAGAIN)
				break;
		}
		c->in[c->in_len] = '\0';

		if (!c->hdr_len) {
			char *blank = c->in_len >= 4 ? memmem(c->in, c->in_len, "\r\n\r\n", 4) : NULL;
			char *lf = c->in_len >= 2 ? memmem(c->in, c->in_len, "\n\n", 2) : NULL;
			if (lf && (!blank || lf < blank))
				blank = lf - 2;
			if (!blank) {
				if (c->in_len > MAX_HEADER_BYTES) {
					send_error(c, 431, "request header too large\n");
					goto close;
				}
				break; /* wait for more */
			}
			c->hdr_len = (size_t)(blank - c->in) + 4;
			int status = parse_head(c);
			if (status) {
				send_error(c, status, "malformed HTTP request\n");
				goto close;
			}
			const char *te = find_header(c, "Transfer-Encoding");
			if (te && strcasecmp(te, "identity") != 0) {
				send_error(c, 501, "chunked request bodies are not supported\n");
				goto close;
			}
			const char *cl = find_header(c, "Content-Length");
			c->body_len = 0;
			if (cl) {
				char *e;
				unsigned long long v = strtoull(cl, &e, 10);
				if (e == cl || *e) {
					send_error(c, 400, "bad Content-Length\n");
					goto close;
				}
				if (v > h->max_body) {
					send_error(c, 413, "request body too large\n");
					goto close;
				}
				c->body_len = (size_t)v;
			}
		}
		if (c->in_len < c->hdr_len + c->body_len) {
			const char *expect = find_header(c, "Expect");
			if (expect && !strcasecmp(expect, "100-continue") && !c->continue_sent) {
				static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
				struct iovec iov = { (void *)cont, sizeof(cont) - 1 };
				if (write_all(c->fd, &iov, 1) < 0)
					goto close;
				c->continue_sent = true;
			}
			break; /* wait for the rest of the body */
		}

		if (serve(c) < 0)
			goto close;
		/* keep pipelined bytes that follow this request */
		size_t used = c->hdr_len + c->body_len;
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
		c->hdr_len = 0;
		c->body_len = 0;
		c->continue_sent = false;
		c->started = c->in_len ? now_s() : 0;
		if (!c->in_len)
			break;
	}
	bool added = c->in_epoll;
	int fd = c->fd;
	c->in_epoll = true;
	/* the last touch of *c: once armed, another thread may own and free it */
	atomic_store_explicit(&c->busy, false, memory_order_release);
	arm(h, fd, c, added);
	return;
close:
	conn_free(c);
}

/*
 * The listening socket is readable: accept one connection, re-arm the
 * listener so another thread can take the next one, and serve this one on
 * the calling thread.  With TCP_DEFER_ACCEPT the request is usually already
 * there, so a fresh connection costs one wake-up, not two (accept here,
 * request on whichever thread epoll picks next).
 */
static void accept_one(struct httpd *h)
{
	int fd;
	for (;;) {
		fd = accept4(h->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0 || (errno != EINTR && errno != ECONNABORTED))
			break;
	}
	if (fd < 0 && (errno == EMFILE || errno == ENFILE))
		log_warn("HTTP: too many open files, not accepting");
	arm(h, h->listen_fd, &listen_tag, true);
	if (fd < 0)
		return;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct http_conn *c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->srv = h;
	c->last_active = now_s();
	atomic_init(&c->busy, true);
	pthread_mutex_lock(&h->lock);
	bool full = h->nconns >= MAX_CONNECTIONS;
	if (!full) {
		c->next = h->conns;
		if (h->conns)
			h->conns->prev = c;
		h->conns = c;
		h->nconns++;
	}
	pthread_mutex_unlock(&h->lock);
	if (full) {
		close(fd);
		free(c);
		return;
	}
	conn_event(c);
}

/*
 * Close connections idle too long: shut them down so their pending event
 * fires and the thread that gets it frees them (only event owners free).
 */
static void sweep(struct httpd *h)
{
	time_t now = now_s();
	if (pthread_mutex_trylock(&h->sweep_lock) != 0)
		return;
	if (now - h->last_sweep >= 1) {
		h->last_sweep = now;
		pthread_mutex_lock(&h->lock);
		for (struct http_conn *c = h->conns; c; c = c->next) {
			if (c->busy)
				continue;
			bool idle = now - c->last_active > IDLE_TIMEOUT_S;
			bool slow = c->started && now - c->started > HEADER_TIMEOUT_S;
			if (idle || slow)
				shutdown(c->fd, SHUT_RDWR);
		}
		pthread_mutex_unlock(&h->lock);
	}
	pthread_mutex_unlock(&h->sweep_lock);
}

static void *worker(void *arg)
{
	struct httpd *h = arg;
	while (!h->stopping) {
		struct epoll_event ev;
		int n = epoll_wait(h->ep, &ev, 1, 1000);
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0) {
			if (ev.data.ptr == &wake_tag)
				break;
			if (ev.data.ptr == &listen_tag) {
				accept_one(h);
			} else {
				struct http_conn *c = ev.data.ptr;
				/* pairs with the release in conn_event: epoll hands c over */
				atomic_exchange_explicit(&c->busy, true, memory_order_acquire);
				conn_event(c);
			}
		}
		sweep(h);
	}
	return NULL;
}

struct httpd *httpd_start(int listen_fd, unsigned nthreads, size_t max_body,
			  http_handler_fn handler, void *ctx)
{
	if (!nthreads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		nthreads = n > 0 ? (unsigned)n : 1;
	}
	struct httpd *h = xcalloc(1, sizeof(*h));
	h->listen_fd = listen_fd;
	h->handler = handler;
	h->ctx = ctx;
	h->max_body = max_body;
	pthread_mutex_init(&h->lock, NULL);
	pthread_mutex_init(&h->sweep_lock, NULL);
	int fl = fcntl(listen_fd, F_GETFL);
	fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK);
	/* wake for a connection once its request arrives (see accept_one) */
	int defer = 10;
	setsockopt(listen_fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof(defer));
	h->ep = epoll_create1(EPOLL_CLOEXEC);
	h->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (h->ep < 0 || h->wake_fd < 0) {
		log_err(-errno, "HTTP: cannot create epoll set");
		goto fail;
	}
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.ptr = &listen_tag };
	epoll_ctl(h->ep, EPOLL_CTL_ADD, listen_fd, &ev);
	/* level-triggered, not one-shot: wakes every thread at stop */
	struct epoll_event wev = { .events = EPOLLIN, .data.ptr = &wake_tag };
	epoll_ctl(h->ep, EPOLL_CTL_ADD, h->wake_fd, &wev);

	h->threads = xcalloc(nthreads, sizeof(*h->threads));
	for (unsigned i = 0; i < nthreads; i++) {
		int rc = pthread_create(&h->threads[i], NULL, worker, h);
		if (rc) {
			log_err(-rc, "HTTP: cannot start thread");
			h->nthreads = i;
			httpd_stop(h);
			return NULL;
		}
		h->nthreads = i + 1;
	}
	return h;
fail:
	if (h->ep >= 0)
		close(h->ep);
	if (h->wake_fd >= 0)
		close(h->wake_fd);
	close(listen_fd);
	free(h);
	return NULL;
}

void httpd_stop(struct httpd *h)
{
	if (!h)
		return;
	h->stopping = true;
	uint64_t one = 1;
	ssize_t rc = write(h->wake_fd, &one, sizeof(one));
	(void)rc;
	for (unsigned i = 0; i < h->nthreads; i++)
		pthread_join(h->threads[i], NULL);
	while (h->conns)
		conn_free(h->conns);
	close(h->listen_fd);
	close(h->ep);
	close(h->wake_fd);
	pthread_mutex_destroy(&h->lock);
	pthread_mutex_destroy(&h->sweep_lock);
	free(h->threads);
	free(h);
}
