// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include "common/httpd.h"

static bool collect_arg(void *ctx, const char *name, const char *value)
{
	buf_printf(ctx, "%s=%s;", name, value);
	return true;
}

static void handler(void *ctx, const struct http_request *req, struct http_response *resp)
{
	(void)ctx;
	if (!strcmp(req->url, "/big")) {
		for (int i = 0; i < 2000; i++)
			buf_printf(&resp->body, "metric_%d 1\n", i);
		return;
	}
	if (!strcmp(req->url, "/args")) {
		http_args_foreach(req, collect_arg, &resp->body);
		return;
	}
	resp->status = 404;
	buf_puts(&resp->body, "404 page not found\n");
}

static int port;
static struct httpd *srv;

static void start(void)
{
	char err[256];
	int fd = httpd_listen("127.0.0.1:0", err, sizeof(err));
	cr_assert_geq(fd, 0, "%s", err);
	port = httpd_bound_port(fd);
	srv = httpd_start(fd, 2, 1024, handler, NULL);
	cr_assert_not_null(srv);
}

static void stop(void)
{
	httpd_stop(srv);
}

/* Send a raw request and read the whole response (Connection: close). */
static size_t roundtrip(const char *request, char *out, size_t outlen)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(write(fd, request, strlen(request)), (ssize_t)strlen(request));
	size_t len = 0;
	ssize_t n;
	while (len < outlen - 1 && (n = read(fd, out + len, outlen - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(fd);
	return len;
}

TestSuite(httpd, .init = start, .fini = stop);

Test(httpd, get_head_and_404)
{
	static char resp[65536];
	roundtrip("GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", resp, sizeof(resp));
	cr_assert(strstr(resp, "HTTP/1.1 200") == resp, "%.40s", resp);
	cr_assert(strstr(resp, "metric_1999 1\n") != NULL);
	cr_assert(strstr(resp, "Content-Encoding") == NULL);

	roundtrip("HEAD /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", resp, sizeof(resp));
	cr_assert(strstr(resp, "HTTP/1.1 200") == resp);
	cr_assert(strstr(resp, "metric_1") == NULL, "HEAD must not carry a body");

	roundtrip("GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", resp, sizeof(resp));
	cr_assert(strstr(resp, "HTTP/1.1 404") == resp);
}

Test(httpd, gzip_when_accepted)
{
	static char resp[65536];
	static unsigned char plain[65536];
	size_t len = roundtrip("GET /big HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip, deflate\r\n"
			       "Connection: close\r\n\r\n",
			       resp, sizeof(resp));
	cr_assert(strcasestr(resp, "Content-Encoding: gzip") != NULL);
	char *body = strstr(resp, "\r\n\r\n") + 4;
	z_stream zs = { 0 };
	inflateInit2(&zs, 15 + 16);
	zs.next_in = (Bytef *)body;
	zs.avail_in = (uInt)(len - (size_t)(body - resp));
	zs.next_out = plain;
	zs.avail_out = sizeof(plain) - 1;
	cr_assert_eq(inflate(&zs, Z_FINISH), Z_STREAM_END);
	plain[zs.total_out] = 0;
	inflateEnd(&zs);
	cr_assert(strstr((char *)plain, "metric_1999 1\n") != NULL);
}

Test(httpd, args_from_query_and_form)
{
	static char resp[4096];
	const char *body = "match%5B%5D=up&match%5B%5D=a+b&x=%3D";
	char req[1024];
	snprintf(req, sizeof(req),
		 "POST /args?q=1&q=2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
		 "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n%s",
		 strlen(body), body);
	roundtrip(req, resp, sizeof(resp));
	cr_assert(strstr(resp, "q=1;q=2;match[]=up;match[]=a b;x==;") != NULL, "%s", resp);
}

Test(httpd, body_too_large)
{
	static char resp[4096];
	char req[4096];
	char body[2048];
	memset(body, 'a', sizeof(body) - 1);
	body[sizeof(body) - 1] = 0;
	snprintf(req, sizeof(req),
		 "POST /args HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n%s",
		 strlen(body), body);
	roundtrip(req, resp, sizeof(resp));
	cr_assert(strstr(resp, "HTTP/1.1 413") == resp, "%.40s", resp);
}

static void *client(void *arg)
{
	(void)arg;
	static _Thread_local char resp[65536];
	for (int i = 0; i < 50; i++) {
		roundtrip("GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", resp, sizeof(resp));
		if (!strstr(resp, "metric_1999 1\n"))
			return (void *)1;
	}
	return NULL;
}

Test(httpd, concurrent_clients)
{
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, client, NULL);
	for (int i = 0; i < 4; i++) {
		void *rc;
		pthread_join(t[i], &rc);
		cr_assert_null(rc);
	}
}

Test(httpd_listen, errors)
{
	char err[256];
	cr_assert_lt(httpd_listen("nonsense", err, sizeof(err)), 0);
	cr_assert(strstr(err, "missing or bad port") != NULL, "%s", err);
	int fd = httpd_listen("127.0.0.1:0", err, sizeof(err));
	char addr[64];
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", httpd_bound_port(fd));
	cr_assert_lt(httpd_listen(addr, err, sizeof(err)), 0);
	cr_assert(strstr(err, "bind: Address already in use") != NULL, "%s", err);
	close(fd);
}

Test(httpd_misc, accept_encoding)
{
	cr_assert(http_accepts_gzip("gzip"));
	cr_assert(http_accepts_gzip("deflate, gzip;q=1.0"));
	cr_assert(!http_accepts_gzip("gzip;q=0"));
	cr_assert(!http_accepts_gzip("identity"));
	cr_assert(!http_accepts_gzip(NULL));
	char s[] = "a%20b+c%zz";
	http_url_decode(s);
	cr_assert_str_eq(s, "a b c%zz");
}

/* A body that arrives after the headers, in pieces larger than the first
 * buffer, moves the receive buffer: the parsed headers must follow it. */
static struct httpd *big_srv;
static int big_port;

static void big_start(void)
{
	char err[256];
	int fd = httpd_listen("127.0.0.1:0", err, sizeof(err));
	cr_assert_geq(fd, 0, "%s", err);
	big_port = httpd_bound_port(fd);
	big_srv = httpd_start(fd, 2, 1 << 20, handler, NULL);
	cr_assert_not_null(big_srv);
}

static void big_stop(void)
{
	httpd_stop(big_srv);
}

Test(httpd_big, body_after_headers_moves_buffer, .init = big_start, .fini = big_stop)
{
	static char body[40000], head[512], resp[65536];
	size_t n = 0;
	for (int i = 0; n + 16 < sizeof(body); i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, "k%d=v%d&", i, i);
	body[--n] = '\0';
	snprintf(head, sizeof(head),
		 "POST /args?first=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
		 "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n",
		 n);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)big_port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(write(fd, head, strlen(head)), (ssize_t)strlen(head));
	usleep(100000); /* the server parses the headers alone first */
	for (size_t off = 0; off < n; off += 5000) {
		size_t len = n - off < 5000 ? n - off : 5000;
		cr_assert_eq(write(fd, body + off, len), (ssize_t)len);
		usleep(10000);
	}
	size_t got = 0;
	ssize_t r;
	while (got < sizeof(resp) - 1 && (r = read(fd, resp + got, sizeof(resp) - 1 - got)) > 0)
		got += (size_t)r;
	resp[got] = '\0';
	close(fd);
	cr_assert(strstr(resp, "HTTP/1.1 200") == resp, "%.60s", resp);
	cr_assert(strstr(resp, "first=1;k0=v0;k1=v1;") != NULL);
}

Test(httpd_listen, names)
{
	char err[256];
	int fd = httpd_listen("localhost:0", err, sizeof(err));
	cr_assert_geq(fd, 0, "%s", err);
	close(fd);
	cr_assert_lt(httpd_listen("no-such-host.invalid:0", err, sizeof(err)), 0);
	cr_assert(strstr(err, "lookup no-such-host.invalid: no such host") != NULL, "%s", err);
	httpd_set_resolver(httpd_resolve_system);
	fd = httpd_listen("localhost:0", err, sizeof(err));
	cr_assert_geq(fd, 0, "%s", err);
	close(fd);
	httpd_set_resolver(NULL);
	fd = httpd_listen("[::1]:0", err, sizeof(err));
	if (fd >= 0) /* hosts without IPv6 cannot bind ::1 */
		close(fd);
}
