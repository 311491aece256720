// SPDX-License-Identifier: Apache-2.0
/*
 * Docker Engine API client (see docker_api.h).  Wire format, RFC 9112:
 *   request   "GET <path> HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n"
 *   response  "HTTP/1.x <status> <reason>\r\n" headers "\r\n" body, where the
 *             body is Content-Length bytes, or chunks
 *             "<hex size>[;ext]\r\n<data>\r\n" ending with a "0\r\n" chunk
 *             and optional trailers, or (HTTP/1.0, no length) everything to
 *             the end of the stream.
 * JSON shapes: https://docs.docker.com/engine/api/v1.41/ (ContainerList,
 * ContainerInspect, SystemEvents).
 */
#include "collectors/docker_api.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/jsonread.h"
#include "common/log.h"

int docker_socket_path(const char *url, char *out, size_t size)
{
	const char *p = url;
	if (strncmp(p, "unix://", 7) == 0)
		p += 7;
	else if (strstr(p, "://"))
		return -EINVAL;
	if (*p != '/' || strlen(p) >= size ||
	    strlen(p) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return -EINVAL;
	strcpy(out, p);
	return 0;
}

/* Position just after the header block, or NULL when it is not complete. */
static const char *headers_end(const char *raw, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (raw[i] == '\n' && raw[i + 1] == '\n')
			return raw + i + 2;
		if (i + 3 < len && raw[i] == '\r' && raw[i + 1] == '\n' && raw[i + 2] == '\r' &&
		    raw[i + 3] == '\n')
			return raw + i + 4;
	}
	return NULL;
}

/* The value of header name within [h, end), trimmed into out; false if absent. */
static bool header_value(const char *h, const char *end, const char *name, char *out, size_t size)
{
	size_t nl = strlen(name);
	while (h < end) {
		const char *eol = memchr(h, '\n', (size_t)(end - h));
		if (!eol)
			eol = end;
		if ((size_t)(eol - h) > nl && strncasecmp(h, name, nl) == 0 && h[nl] == ':') {
			const char *v = h + nl + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			const char *ve = eol;
			while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
				ve--;
			size_t n = (size_t)(ve - v) < size - 1 ? (size_t)(ve - v) : size - 1;
			memcpy(out, v, n);
			out[n] = '\0';
			return true;
		}
		h = eol + 1;
	}
	return false;
}

/* Decode chunks from p; 1 complete, 0 incomplete, -EPROTO malformed. */
static int decode_chunked(const char *p, const char *end, struct buf *body)
{
	for (;;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			return 0;
		char *hex_end;
		unsigned long long n = strtoull(p, &hex_end, 16);
		if (hex_end == p)
			return -EPROTO;
		p = eol + 1;
		if (n == 0)
			return 1; /* trailers, if any, are not needed */
		if ((size_t)(end - p) < n)
			return 0;
		buf_append(body, p, (size_t)n);
		p += n;
		if (p < end && *p == '\r')
			p++;
		if (p >= end)
			return 0;
		if (*p != '\n')
			return -EPROTO;
		p++;
	}
}

int docker_http_decode(const char *raw, size_t len, bool eof, int *status, struct buf *body)
{
	const char *hend = headers_end(raw, len);
	if (!hend)
		return eof ? -EPROTO : 0;
	int minor = 0, code = 0;
	if (sscanf(raw, "HTTP/1.%d %d", &minor, &code) != 2 || code < 100 || code > 599)
		return -EPROTO;
	const char *end = raw + len;
	char v[64];
	buf_reset(body);
	if (header_value(raw, hend, "Transfer-Encoding", v, sizeof(v)) &&
	    strcasecmp(v, "chunked") == 0) {
		int rc = decode_chunked(hend, end, body);
		if (rc == 0 && eof)
			rc = -EPROTO;
		if (rc <= 0)
			return rc;
	} else if (header_value(raw, hend, "Content-Length", v, sizeof(v))) {
		char *e;
		unsigned long long n = strtoull(v, &e, 10);
		if (e == v || *e)
			return -EPROTO;
		if ((size_t)(end - hend) < n)
			return eof ? -EPROTO : 0;
		buf_append(body, hend, (size_t)n);
	} else if (code == 204 || code == 304 || code < 200) {
		/* no body */
	} else {
		if (!eof)
			return 0;
		buf_append(body, hend, (size_t)(end - hend));
	}
	buf_reserve(body, 1); /* NUL-terminated, also when empty */
	body->data[body->len] = '\0';
	*status = code;
	return 1;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on fd until deadline; 0, or -ETIMEDOUT / -errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = {.fd = fd, .events = events};
		int n = poll(&p, 1, (int)left);
		if (n > 0)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

/*
 * After send(2) or recv(2) on the non-blocking fd failed (errno): 0 to try
 * again (interrupted, or fd became ready for events before the deadline),
 * or a negative errno.
 */
static int retry_io(int fd, short events, int64_t deadline)
{
	if (errno == EINTR)
		return 0;
	if (errno != EAGAIN)
		return -errno;
	return wait_fd(fd, events, deadline);
}

int docker_get(const char *socket_path, const char *path, int timeout_ms, struct buf *body)
{
	int64_t deadline = now_ms() + timeout_ms;
	struct buf raw = BUF_INIT;
	int rc;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(socket_path) >= sizeof(sa.sun_path)) {
		rc = -ENAMETOOLONG;
		goto out;
	}
	strcpy(sa.sun_path, socket_path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno != EINPROGRESS && errno != EAGAIN) {
			rc = -errno;
			goto out;
		}
		rc = wait_fd(fd, POLLOUT, deadline);
		if (rc < 0)
			goto out;
	}
	buf_printf(&raw,
		   "GET %s HTTP/1.1\r\nHost: docker\r\nUser-Agent: vigil-agent\r\n"
		   "Accept: application/json\r\nConnection: close\r\n\r\n",
		   path);
	for (size_t off = 0; off < raw.len;) {
		ssize_t n = send(fd, raw.data + off, raw.len - off, MSG_NOSIGNAL);
		if (n < 0) {
			rc = retry_io(fd, POLLOUT, deadline);
			if (rc < 0)
				goto out;
			continue;
		}
		off += (size_t)n;
	}
	buf_reset(&raw);
	int status = 0;
	for (;;) {
		buf_reserve(&raw, 16384);
		ssize_t n = recv(fd, raw.data + raw.len, raw.cap - raw.len - 1, 0);
		if (n < 0) {
			rc = retry_io(fd, POLLIN, deadline);
			if (rc < 0)
				goto out;
			continue;
		}
		raw.len += (size_t)n;
		rc = docker_http_decode(raw.data, raw.len, n == 0, &status, body);
		if (rc < 0)
			goto out;
		if (rc == 1)
			break;
	}
	rc = status;
out:
	close(fd);
	buf_free(&raw);
	return rc;
}

/* The string v, or "" when v is missing or not a string. */
static const char *str_or_empty(const struct jsonr_value *v)
{
	const char *s = jsonr_string(v);
	return s ? s : "";
}

static char *dup_string(const struct jsonr_value *item)
{
	return xstrdup(str_or_empty(item));
}

/* The string members of the Labels object; other members are skipped. */
static void take_labels(const struct jsonr_value *labels, struct docker_container *c)
{
	size_t n = 0;
	const struct jsonr_value *it;
	for (it = jsonr_first(labels); it; it = jsonr_next(it))
		if (jsonr_is_string(it) && it->key)
			n++;
	c->labels = n ? xcalloc(2 * n, sizeof(char *)) : NULL;
	c->nlabels = 0;
	for (it = jsonr_first(labels); it; it = jsonr_next(it)) {
		if (!jsonr_is_string(it) || !it->key)
			continue;
		c->labels[2 * c->nlabels] = xstrdup(it->key);
		c->labels[2 * c->nlabels + 1] = xstrdup(jsonr_string(it));
		c->nlabels++;
	}
}

static bool take_id(const struct jsonr_value *id, struct docker_container *c)
{
	const char *s = jsonr_string(id);
	if (!s || strlen(s) >= sizeof(c->id) || !s[0])
		return false;
	strcpy(c->id, s);
	return true;
}

/* A number as an int, saturated at the ends of the range; 0 when v is not a number. */
static int int_or_zero(const struct jsonr_value *v)
{
	double d = jsonr_number(v);
	if (d >= INT_MAX)
		return INT_MAX;
	if (d <= INT_MIN)
		return INT_MIN;
	return (int)d;
}

static const char *strip_slash(const char *s)
{
	return s[0] == '/' ? s + 1 : s;
}

int docker_parse_list(const char *json, size_t len, struct docker_list *out)
{
	memset(out, 0, sizeof(*out));
	struct jsonr_value *root = jsonr_parse(json, len, NULL);
	int rc = 0;
	if (!jsonr_is_array(root)) {
		rc = -EINVAL;
		goto out;
	}
	size_t n = jsonr_array_size(root);
	out->items = xcalloc(n ? n : 1, sizeof(*out->items));
	for (const struct jsonr_value *it = jsonr_first(root); it; it = jsonr_next(it)) {
		struct docker_container *c = &out->items[out->n];
		if (!take_id(jsonr_get(it, "Id"), c))
			continue;
		const struct jsonr_value *names = jsonr_get(it, "Names");
		c->name = xstrdup(strip_slash(str_or_empty(jsonr_array_at(names, 0))));
		c->image = dup_string(jsonr_get(it, "Image"));
		c->created = jsonr_number(jsonr_get(it, "Created"));
		take_labels(jsonr_get(it, "Labels"), c);
		out->n++;
	}
out:
	jsonr_free(root);
	return rc;
}

/* RFC 3339 with optional fraction ("2026-11-21T09:35:56.481217227Z") to epoch seconds. */
static double parse_rfc3339(const char *s)
{
	struct tm tm = {0};
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return 0;
	double frac = 0;
	if (*p == '.') {
		double scale = 0.1;
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			frac += (*p - '0') * scale;
	}
	time_t t = timegm(&tm);
	if (t <= 0)
		return 0;
	if (*p == '+' || *p == '-') {
		int hh = 0, mm = 0;
		if (sscanf(p + 1, "%d:%d", &hh, &mm) == 2)
			t -= (*p == '+' ? 1 : -1) * (hh * 3600 + mm * 60);
	}
	return (double)t + frac;
}

int docker_parse_inspect(const char *json, size_t len, struct docker_container *out)
{
	memset(out, 0, sizeof(*out));
	struct jsonr_value *root = jsonr_parse(json, len, NULL);
	int rc = 0;
	if (!jsonr_is_object(root) || !take_id(jsonr_get(root, "Id"), out)) {
		rc = -EINVAL;
		goto out;
	}
	out->name = xstrdup(strip_slash(str_or_empty(jsonr_get(root, "Name"))));
	const struct jsonr_value *config = jsonr_get(root, "Config");
	out->image = dup_string(jsonr_get(config, "Image"));
	take_labels(jsonr_get(config, "Labels"), out);
	const char *created = jsonr_string(jsonr_get(root, "Created"));
	if (created)
		out->created = parse_rfc3339(created);
	out->pid = int_or_zero(jsonr_get(jsonr_get(root, "State"), "Pid"));
out:
	jsonr_free(root);
	return rc;
}

static void copy_str(char *dst, size_t size, const struct jsonr_value *s)
{
	snprintf(dst, size, "%s", str_or_empty(s));
}

int docker_parse_event(const char *line, size_t len, struct docker_event *out)
{
	memset(out, 0, sizeof(*out));
	struct jsonr_value *root = jsonr_parse(line, len, NULL);
	int rc = 0;
	const char *type = jsonr_string(jsonr_get(root, "Type"));
	if (!type || strcmp(type, "container")) {
		rc = -EINVAL;
		goto out;
	}
	const struct jsonr_value *actor = jsonr_get(root, "Actor");
	copy_str(out->action, sizeof(out->action), jsonr_get(root, "Action"));
	copy_str(out->id, sizeof(out->id), jsonr_get(actor, "ID"));
	copy_str(out->name, sizeof(out->name), jsonr_get(jsonr_get(actor, "Attributes"), "name"));
	if (!out->id[0] || !out->action[0])
		rc = -EINVAL;
out:
	jsonr_free(root);
	return rc;
}

int docker_list_containers(const char *socket_path, int timeout_ms, struct docker_list *out)
{
	struct buf body = BUF_INIT;
	memset(out, 0, sizeof(*out));
	int rc = docker_get(socket_path, "/containers/json", timeout_ms, &body);
	if (rc >= 0)
		rc = rc == 200 ? docker_parse_list(body.data, body.len, out) : -EIO;
	buf_free(&body);
	return rc;
}

int docker_inspect(const char *socket_path, const char *id, int timeout_ms,
		   struct docker_container *out)
{
	struct buf body = BUF_INIT;
	char path[128];
	memset(out, 0, sizeof(*out));
	if (strspn(id, "0123456789abcdef") != strlen(id) || strlen(id) > 64)
		return -EINVAL;
	snprintf(path, sizeof(path), "/containers/%s/json", id);
	int rc = docker_get(socket_path, path, timeout_ms, &body);
	if (rc >= 0)
		rc = rc == 200	 ? docker_parse_inspect(body.data, body.len, out)
		     : rc == 404 ? -ENOENT
				 : -EIO;
	buf_free(&body);
	return rc;
}

int docker_events(const char *socket_path, int64_t since, int64_t until, int timeout_ms,
		  void (*fn)(void *ctx, const struct docker_event *ev), void *ctx)
{
	struct buf body = BUF_INIT;
	char path[256];
	/* filters={"type":["container"]}, URL-encoded */
	snprintf(path, sizeof(path),
		 "/events?since=%lld&until=%lld&filters=%%7B%%22type%%22%%3A%%5B%%22container%%22%%"
		 "5D%%7D",
		 (long long)since, (long long)until);
	int rc = docker_get(socket_path, path, timeout_ms, &body);
	if (rc >= 0 && rc != 200)
		rc = -EIO;
	if (rc < 0)
		goto out;
	rc = 0;
	for (char *p = body.data, *end = body.data + body.len; p && p < end;) {
		char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);
		struct docker_event ev;
		if (n && docker_parse_event(p, n, &ev) == 0) {
			fn(ctx, &ev);
			rc++;
		}
		p = eol ? eol + 1 : NULL;
	}
out:
	buf_free(&body);
	return rc;
}

int docker_version(const char *socket_path, int timeout_ms, char *out, size_t size)
{
	struct buf body = BUF_INIT;
	int rc = docker_get(socket_path, "/version", timeout_ms, &body);
	if (rc >= 0 && rc != 200)
		rc = -EIO;
	if (rc < 0)
		goto out;
	struct jsonr_value *root = jsonr_parse(body.data, body.len, NULL);
	const char *v = jsonr_string(jsonr_get(root, "Version"));
	rc = v ? 0 : -EINVAL;
	if (rc == 0)
		snprintf(out, size, "%s", v);
	jsonr_free(root);
out:
	buf_free(&body);
	return rc;
}

void docker_container_free(struct docker_container *c)
{
	free(c->name);
	free(c->image);
	for (size_t i = 0; i < 2 * c->nlabels; i++)
		free(c->labels[i]);
	free(c->labels);
	memset(c, 0, sizeof(*c));
}

void docker_list_free(struct docker_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		docker_container_free(&l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

const struct docker_container *docker_list_find(const struct docker_list *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i].id, id) == 0)
			return &l->items[i];
	return NULL;
}
