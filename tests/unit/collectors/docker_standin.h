/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A Docker Engine API stand-in for unit tests: a thread serving the real
 * wire protocol on a unix socket in a temp dir, replaying the captures of
 * ../shared/fixtures/docker-hybrid-v1/api/:
 *   GET /_ping                 raw_http11_ping.txt, byte for byte
 *   GET /containers/json       raw_http11_chunked_containers_json.txt, or
 *                              raw_http10_containers_json.txt (HTTP/1.0, EOF)
 *                              when standin.http10 is set
 *   GET /containers/<id>/json  inspect_<name>.json (Content-Length)
 *   GET /events?...            the events lines, chunked
 *   GET /version               version.json
 *   anything else              404
 * Replies are written in small pieces so the client's incremental decoding
 * is exercised.  With standin.silent the server accepts and never answers.
 * Without the captures (no ../shared/fixtures beside the clone) its users
 * skip first: shared_fixtures_or_skip() from ../shared_fixtures.h.
 * Header-only (static functions) so several test files can include it.
 */
#ifndef VIGIL_TESTS_DOCKER_STANDIN_H
#define VIGIL_TESTS_DOCKER_STANDIN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/pfile.h"

#define STANDIN_API VIGIL_SHARED_FIXTURES "/docker-hybrid-v1/api/"

struct standin {
	char dir[64];
	char path[108];
	int fd;
	pthread_t thread;
	atomic_bool stop;
	atomic_bool http10, silent;
	atomic_int requests;
};

static void standin_send(int fd, const char *data, size_t len)
{
	/* pieces of 7 bytes first, then the rest in blocks of 1000 */
	size_t off = 0;
	while (off < len) {
		size_t n = off < 200 ? 7 : 1000;
		if (n > len - off)
			n = len - off;
		ssize_t w = send(fd, data + off, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

static void standin_file(int fd, const char *name)
{
	struct buf b = BUF_INIT;
	char path[512];
	snprintf(path, sizeof(path), STANDIN_API "%s", name);
	if (read_file_buf(path, &b) == 0)
		standin_send(fd, b.data, b.len);
	buf_free(&b);
}

static void standin_json(int fd, const char *name)
{
	struct buf b = BUF_INIT, out = BUF_INIT;
	char path[512];
	snprintf(path, sizeof(path), STANDIN_API "%s", name);
	if (read_file_buf(path, &b) == 0) {
		buf_printf(
			&out,
			"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\n"
			"Content-Length: %zu\r\nConnection: close\r\n\r\n",
			b.len);
		buf_append(&out, b.data, b.len);
		standin_send(fd, out.data, out.len);
	}
	buf_free(&b);
	buf_free(&out);
}

static void standin_events(int fd)
{
	struct buf b = BUF_INIT, out = BUF_INIT;
	if (read_file_buf(STANDIN_API "events_container_lifecycle.jsonl", &b) == 0) {
		buf_puts(&out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			       "Transfer-Encoding: chunked\r\n\r\n");
		/* one chunk per line, as the engine flushes each event */
		for (char *p = b.data; p && *p;) {
			char *eol = strchr(p, '\n');
			size_t n = eol ? (size_t)(eol - p) + 1 : strlen(p);
			buf_printf(&out, "%zx\r\n", n);
			buf_append(&out, p, n);
			buf_puts(&out, "\r\n");
			p = eol ? eol + 1 : NULL;
		}
		buf_puts(&out, "0\r\n\r\n");
		standin_send(fd, out.data, out.len);
	}
	buf_free(&b);
	buf_free(&out);
}

static void standin_serve(struct standin *s, int c)
{
	char req[4096];
	size_t len = 0;
	while (len < sizeof(req) - 1) {
		ssize_t n = recv(c, req + len, sizeof(req) - 1 - len, 0);
		if (n <= 0)
			return;
		len += (size_t)n;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	atomic_fetch_add(&s->requests, 1);
	if (atomic_load(&s->silent)) {
		while (!atomic_load(&s->stop))
			usleep(10000);
		return;
	}
	char path[1024] = "";
	sscanf(req, "GET %1023s", path);
	if (strcmp(path, "/_ping") == 0)
		standin_file(c, "raw_http11_ping.txt");
	else if (strcmp(path, "/containers/json") == 0)
		standin_file(c, atomic_load(&s->http10) ? "raw_http10_containers_json.txt"
							: "raw_http11_chunked_containers_json.txt");
	else if (strncmp(path, "/events?", 8) == 0)
		standin_events(c);
	else if (strcmp(path, "/version") == 0)
		standin_json(c, "version.json");
	else if (strcmp(path,
			"/containers/"
			"c4eda9d8a04bf547abe57895647609f8f0ec82559081c9ae43a85f26014a4f96/json") ==
		 0)
		standin_json(c, "inspect_ctr-cpu.json");
	else if (strcmp(path,
			"/containers/"
			"012af3729db64c10ea39cc0f29b037914e3cb75f14c55822e7fe7b4b8eef38ad/json") ==
		 0)
		standin_json(c, "inspect_ctr-mem.json");
	else {
		const char *nf = "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
				 "Content-Length: 29\r\n\r\n{\"message\":\"No such object\"}\n";
		standin_send(c, nf, strlen(nf));
	}
}

static void *standin_main(void *arg)
{
	struct standin *s = arg;
	while (!atomic_load(&s->stop)) {
		int c = accept(s->fd, NULL, NULL);
		if (c < 0)
			continue;
		if (!atomic_load(&s->stop))
			standin_serve(s, c);
		close(c);
	}
	return NULL;
}

/* Start the stand-in; its socket path is s->path. */
static int standin_start(struct standin *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "/tmp/vigil-standin-XXXXXX");
	if (!mkdtemp(s->dir))
		return -1;
	snprintf(s->path, sizeof(s->path), "%s/docker.sock", s->dir);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	strcpy(sa.sun_path, s->path);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(s->fd, 8) < 0)
		return -1;
	return pthread_create(&s->thread, NULL, standin_main, s) == 0 ? 0 : -1;
}

static void standin_stop(struct standin *s)
{
	atomic_store(&s->stop, true);
	/* wake accept() with one last connection */
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	strcpy(sa.sun_path, s->path);
	if (c >= 0) {
		connect(c, (struct sockaddr *)&sa, sizeof(sa));
		close(c);
	}
	pthread_join(s->thread, NULL);
	close(s->fd);
	unlink(s->path);
	rmdir(s->dir);
}

#endif
