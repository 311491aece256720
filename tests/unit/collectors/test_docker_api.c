// SPDX-License-Identifier: Apache-2.0
/*
 * The Docker Engine API client against a stand-in speaking the real wire
 * protocol (docker_standin.h), replaying captures from a real docker.io
 * 20.10 engine: chunked HTTP/1.1, HTTP/1.0 to EOF, Content-Length.
 * The stand-in's tests skip when ../shared/fixtures is absent.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include "collectors/docker_api.h"
#include "../shared_fixtures.h"
#include "docker_standin.h"

#define CPU_ID "c4eda9d8a04bf547abe57895647609f8f0ec82559081c9ae43a85f26014a4f96"
#define MEM_ID "012af3729db64c10ea39cc0f29b037914e3cb75f14c55822e7fe7b4b8eef38ad"

static struct standin sd;

/* A stand-in that replays nothing (only its silent mode is used). */
static void setup_silent(void)
{
	cr_assert_eq(standin_start(&sd), 0, "stand-in did not start");
}

/* A stand-in replaying the shared captures. */
static void setup(void)
{
	shared_fixtures_or_skip();
	setup_silent();
}

static void teardown(void)
{
	standin_stop(&sd);
}

static const char *label(const struct docker_container *c, const char *k)
{
	for (size_t i = 0; i < c->nlabels; i++)
		if (strcmp(c->labels[2 * i], k) == 0)
			return c->labels[2 * i + 1];
	return NULL;
}

static void check_list(const struct docker_list *l)
{
	cr_assert_eq(l->n, 3);
	const struct docker_container *c = docker_list_find(l, CPU_ID);
	cr_assert_not_null(c);
	cr_assert_str_eq(c->name, "ctr-cpu");
	cr_assert_str_eq(c->image, "ctr-anchor/busybox:local");
	cr_assert_str_eq(label(c, "app"), "cpu");
	cr_assert_str_eq(label(c, "tier"), "test");
	cr_assert_str_eq(label(c, "ctr-anchor"), "1");
	cr_assert_gt(c->created, 1.7e9);
	cr_assert_not_null(docker_list_find(l, MEM_ID));
	cr_assert_null(docker_list_find(l, "0000"));
}

Test(docker_api, socket_path)
{
	char p[108];
	cr_assert_eq(docker_socket_path("unix:///var/run/docker.sock", p, sizeof(p)), 0);
	cr_assert_str_eq(p, "/var/run/docker.sock");
	cr_assert_eq(docker_socket_path("/run/d.sock", p, sizeof(p)), 0);
	cr_assert_str_eq(p, "/run/d.sock");
	cr_assert_eq(docker_socket_path("tcp://127.0.0.1:2375", p, sizeof(p)), -EINVAL);
	cr_assert_eq(docker_socket_path("relative.sock", p, sizeof(p)), -EINVAL);
}

Test(docker_api, list_chunked_http11, .init = setup, .fini = teardown)
{
	struct docker_list l;
	cr_assert_eq(docker_list_containers(sd.path, 2000, &l), 0);
	check_list(&l);
	docker_list_free(&l);
}

Test(docker_api, list_http10_until_eof, .init = setup, .fini = teardown)
{
	struct docker_list l;
	atomic_store(&sd.http10, true);
	cr_assert_eq(docker_list_containers(sd.path, 2000, &l), 0);
	check_list(&l);
	docker_list_free(&l);
}

Test(docker_api, ping_content_length, .init = setup, .fini = teardown)
{
	struct buf body = BUF_INIT;
	cr_assert_eq(docker_get(sd.path, "/_ping", 2000, &body), 200);
	cr_assert_eq(body.len, 2);
	cr_assert_str_eq(body.data, "OK");
	buf_free(&body);
}

Test(docker_api, inspect, .init = setup, .fini = teardown)
{
	struct docker_container c;
	cr_assert_eq(docker_inspect(sd.path, CPU_ID, 2000, &c), 0);
	cr_assert_str_eq(c.id, CPU_ID);
	cr_assert_str_eq(c.name, "ctr-cpu");
	cr_assert_str_eq(c.image, "ctr-anchor/busybox:local");
	cr_assert_eq(c.pid, 14212);
	cr_assert_str_eq(label(&c, "app"), "cpu");
	cr_assert_gt(c.created, 1.7e9);
	docker_container_free(&c);
	cr_assert_eq(docker_inspect(sd.path, "abcdef", 2000, &c), -ENOENT);
	cr_assert_eq(docker_inspect(sd.path, "../etc", 2000, &c), -EINVAL);
}

static void count_event(void *ctx, const struct docker_event *ev)
{
	int *n = ctx;
	cr_assert_str_eq(ev->name, "ctr-ev");
	cr_assert_eq(strlen(ev->id), 64);
	(*n)++;
}

Test(docker_api, events_stream, .init = setup, .fini = teardown)
{
	int n = 0;
	int rc = docker_events(sd.path, 0, (int64_t)time(NULL), 2000, count_event, &n);
	cr_assert_gt(rc, 0);
	cr_assert_eq(rc, n);
}

Test(docker_api, unreachable_and_timeout, .init = setup_silent, .fini = teardown)
{
	struct docker_list l;
	cr_assert_lt(docker_list_containers("/nonexistent/docker.sock", 500, &l), 0);
	atomic_store(&sd.silent, true);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(docker_list_containers(sd.path, 300, &l), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cr_assert_lt(took, 2.0, "timeout took %.2fs", took);
}

Test(docker_api, decode_framing)
{
	struct buf body = BUF_INIT;
	int status = 0;
	const char *chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			      "4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n";
	cr_assert_eq(docker_http_decode(chunked, strlen(chunked), false, &status, &body), 1);
	cr_assert_eq(status, 200);
	cr_assert_str_eq(body.data, "Wikipedia");
	/* every proper prefix needs more bytes; at EOF it is malformed */
	for (size_t n = 0; n < strlen(chunked) - 5; n++) {
		cr_assert_eq(docker_http_decode(chunked, n, false, &status, &body), 0, "prefix %zu",
			     n);
		cr_assert_eq(docker_http_decode(chunked, n, true, &status, &body), -EPROTO);
	}
	/* an empty chunked body (no events) is an empty string, never unterminated */
	struct buf empty = BUF_INIT;
	const char *none = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
	cr_assert_eq(docker_http_decode(none, strlen(none), false, &status, &empty), 1);
	cr_assert_eq(empty.len, 0);
	cr_assert_str_eq(empty.data, "");
	buf_free(&empty);
	const char *cl = "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nabcdef";
	cr_assert_eq(docker_http_decode(cl, strlen(cl), false, &status, &body), 1);
	cr_assert_eq(status, 404);
	cr_assert_str_eq(body.data, "abc");
	const char *eof = "HTTP/1.0 200 OK\nContent-Type: x\n\n[1,2]";
	cr_assert_eq(docker_http_decode(eof, strlen(eof), false, &status, &body), 0);
	cr_assert_eq(docker_http_decode(eof, strlen(eof), true, &status, &body), 1);
	cr_assert_str_eq(body.data, "[1,2]");
	const char *bad[] = {"SMTP 220 hi\r\n\r\n", "HTTP/1.1 abc\r\n\r\n",
			     "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
			     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(docker_http_decode(bad[i], strlen(bad[i]), true, &status, &body),
			     -EPROTO, "case %zu", i);
	buf_free(&body);
}

Test(docker_api, parse_garbage)
{
	struct docker_list l;
	struct docker_container c;
	struct docker_event ev;
	cr_assert_eq(docker_parse_list("{", 1, &l), -EINVAL);
	docker_list_free(&l);
	cr_assert_eq(docker_parse_list("{}", 2, &l), -EINVAL);
	docker_list_free(&l);
	/* entries without an Id are skipped, odd types tolerated */
	const char *odd =
		"[{\"Id\":5},{\"Id\":\"abc\",\"Names\":\"x\",\"Labels\":{\"a\":1,\"b\":\"2\"}}]";
	cr_assert_eq(docker_parse_list(odd, strlen(odd), &l), 0);
	cr_assert_eq(l.n, 1);
	cr_assert_str_eq(l.items[0].name, "");
	cr_assert_eq(l.items[0].nlabels, 1);
	docker_list_free(&l);
	cr_assert_eq(docker_parse_inspect("[]", 2, &c), -EINVAL);
	docker_container_free(&c);
	const char *img = "{\"Type\":\"image\",\"Action\":\"pull\",\"Actor\":{\"ID\":\"x\"}}";
	cr_assert_eq(docker_parse_event(img, strlen(img), &ev), -EINVAL);
}
