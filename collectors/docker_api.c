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

#include <cjson/cJSON.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

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
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN) {
				rc = -errno;
				goto out;
			}
			rc = wait_fd(fd, POLLOUT, deadline);
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
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN) {
				rc = -errno;
				goto out;
			}
			rc = wait_fd(fd, POLLIN, deadline);
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

static char *dup_string(const cJSON *item)
{
	return xstrdup(cJSON_IsString(item) && item->valuestring ? item->valuestring : "");
}

static void take_labels(const cJSON *labels, struct docker_container *c)
{
	size_t n = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, labels) if (cJSON_IsString(it) && it->string) n++;
	c->labels = n ? xcalloc(2 * n, sizeof(char *)) : NULL;
	c->nlabels = 0;
	cJSON_ArrayForEach(it, labels)
	{
		if (!cJSON_IsString(it) || !it->string)
			continue;
		c->labels[2 * c->nlabels] = xstrdup(it->string);
		c->labels[2 * c->nlabels + 1] = xstrdup(it->valuestring);
		c->nlabels++;
	}
}

static bool take_id(const cJSON *id, struct docker_container *c)
{
	if (!cJSON_IsString(id) || strlen(id->valuestring) >= sizeof(c->id) || !id->valuestring[0])
		return false;
	strcpy(c->id, id->valuestring);
	return true;
}

static const char *strip_slash(const char *s)
{
	return s[0] == '/' ? s + 1 : s;
}

int docker_parse_list(const char *json, size_t len, struct docker_list *out)
{
	memset(out, 0, sizeof(*out));
	cJSON *root = cJSON_ParseWithLength(json, len);
	int rc = 0;
	if (!cJSON_IsArray(root)) {
		rc = -EINVAL;
		goto out;
	}
	size_t n = (size_t)cJSON_GetArraySize(root);
	out->items = xcalloc(n ? n : 1, sizeof(*out->items));
	const cJSON *it;
	cJSON_ArrayForEach(it, root)
	{
		struct docker_container *c = &out->items[out->n];
		if (!take_id(cJSON_GetObjectItemCaseSensitive(it, "Id"), c))
			continue;
		const cJSON *names = cJSON_GetObjectItemCaseSensitive(it, "Names");
		const cJSON *first = cJSON_IsArray(names) ? cJSON_GetArrayItem(names, 0) : NULL;
		c->name = xstrdup(cJSON_IsString(first) ? strip_slash(first->valuestring) : "");
		c->image = dup_string(cJSON_GetObjectItemCaseSensitive(it, "Image"));
		const cJSON *created = cJSON_GetObjectItemCaseSensitive(it, "Created");
		c->created = cJSON_IsNumber(created) ? created->valuedouble : 0;
		take_labels(cJSON_GetObjectItemCaseSensitive(it, "Labels"), c);
		out->n++;
	}
out:
	cJSON_Delete(root);
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
	cJSON *root = cJSON_ParseWithLength(json, len);
	int rc = 0;
	if (!cJSON_IsObject(root) || !take_id(cJSON_GetObjectItemCaseSensitive(root, "Id"), out)) {
		rc = -EINVAL;
		goto out;
	}
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "Name");
	out->name = xstrdup(cJSON_IsString(name) ? strip_slash(name->valuestring) : "");
	const cJSON *config = cJSON_GetObjectItemCaseSensitive(root, "Config");
	out->image = dup_string(cJSON_GetObjectItemCaseSensitive(config, "Image"));
	take_labels(cJSON_GetObjectItemCaseSensitive(config, "Labels"), out);
	const cJSON *created = cJSON_GetObjectItemCaseSensitive(root, "Created");
	if (cJSON_IsString(created))
		out->created = parse_rfc3339(created->valuestring);
	const cJSON *state = cJSON_GetObjectItemCaseSensitive(root, "State");
	const cJSON *pid = cJSON_GetObjectItemCaseSensitive(state, "Pid");
	out->pid = cJSON_IsNumber(pid) ? pid->valueint : 0;
out:
	cJSON_Delete(root);
	return rc;
}

static void copy_str(char *dst, size_t size, const cJSON *s)
{
	snprintf(dst, size, "%s", cJSON_IsString(s) && s->valuestring ? s->valuestring : "");
}

int docker_parse_event(const char *line, size_t len, struct docker_event *out)
{
	memset(out, 0, sizeof(*out));
	cJSON *root = cJSON_ParseWithLength(line, len);
	int rc = 0;
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "Type");
	if (!cJSON_IsObject(root) || !cJSON_IsString(type) ||
	    strcmp(type->valuestring, "container")) {
		rc = -EINVAL;
		goto out;
	}
	const cJSON *actor = cJSON_GetObjectItemCaseSensitive(root, "Actor");
	copy_str(out->action, sizeof(out->action),
		 cJSON_GetObjectItemCaseSensitive(root, "Action"));
	copy_str(out->id, sizeof(out->id), cJSON_GetObjectItemCaseSensitive(actor, "ID"));
	copy_str(out->name, sizeof(out->name),
		 cJSON_GetObjectItemCaseSensitive(
			 cJSON_GetObjectItemCaseSensitive(actor, "Attributes"), "name"));
	if (!out->id[0] || !out->action[0])
		rc = -EINVAL;
out:
	cJSON_Delete(root);
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
	cJSON *root = cJSON_ParseWithLength(body.data, body.len);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "Version");
	rc = cJSON_IsString(v) ? 0 : -EINVAL;
	if (rc == 0)
		snprintf(out, size, "%s", v->valuestring);
	cJSON_Delete(root);
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
