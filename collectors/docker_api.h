/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small Docker Engine API client over the engine's unix socket
 * (https://docs.docker.com/engine/api/v1.41/): one HTTP/1.1 GET per
 * connection ("Connection: close"), the reply body framed by
 * Content-Length, by chunked transfer coding, or (HTTP/1.0) by the end of
 * the stream; JSON parsed with common/jsonread.  Used by the agent's housekeeping to
 * name cgroups: container list (/containers/json), inspect
 * (/containers/<id>/json) and the event stream (/events, read over a
 * closed time window so the reply ends).
 *
 * Everything handed out is owned by the caller and freed with the matching
 * *_free().  Calls block for at most the timeout given.
 */
#ifndef VIGIL_COLLECTORS_DOCKER_API_H
#define VIGIL_COLLECTORS_DOCKER_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define DOCKER_DEFAULT_SOCKET "unix:///var/run/docker.sock"

struct docker_container {
	char id[65];	/* full 64-hex id */
	char *name;	/* without the leading '/' */
	char *image;	/* as the user named it ("busybox:latest") */
	char **labels;	/* key, value, key, value ... */
	size_t nlabels; /* pairs */
	double created; /* seconds since the epoch */
	int pid;	/* inspect only: init process, 0 if not running */
};

struct docker_list {
	struct docker_container *items;
	size_t n;
};

struct docker_event {
	char action[32]; /* "create", "start", "die", "destroy", ... */
	char id[65];
	char name[128]; /* Actor.Attributes.name */
};

/*
 * The socket path of a --container.docker-socket value:
 * "unix:///var/run/docker.sock" or a plain path.  0 or -EINVAL (a tcp://
 * endpoint is not supported).
 */
int docker_socket_path(const char *url, char *out, size_t size);

/*
 * Decode the raw HTTP response in raw[0..len): status line, headers, then
 * the body per Content-Length, chunked coding, or to the end when eof is
 * true and neither is given.  Returns 1 when the response is complete (status
 * and body set), 0 when more bytes are needed, -EPROTO when malformed.
 */
int docker_http_decode(const char *raw, size_t len, bool eof, int *status, struct buf *body);

/*
 * GET path on the engine at socket_path; the body goes to body.  Returns
 * the HTTP status, or a negative errno (-ETIMEDOUT after timeout_ms).
 */
int docker_get(const char *socket_path, const char *path, int timeout_ms, struct buf *body);

/* Parse a /containers/json reply; 0 or -EINVAL. */
int docker_parse_list(const char *json, size_t len, struct docker_list *out);
/* Parse a /containers/<id>/json reply; 0 or -EINVAL. */
int docker_parse_inspect(const char *json, size_t len, struct docker_container *out);
/* Parse one line of the /events stream; 0, or -EINVAL (also for non-container events). */
int docker_parse_event(const char *line, size_t len, struct docker_event *out);

/* List the running containers; 0 or a negative errno (-EIO on a non-200 reply). */
int docker_list_containers(const char *socket_path, int timeout_ms, struct docker_list *out);
/* Inspect one container; 0 or a negative errno (-ENOENT when the engine does not know it). */
int docker_inspect(const char *socket_path, const char *id, int timeout_ms,
		   struct docker_container *out);
/*
 * The container events between since and until (seconds since the epoch),
 * each handed to fn; returns the number of events or a negative errno.
 */
int docker_events(const char *socket_path, int64_t since, int64_t until, int timeout_ms,
		  void (*fn)(void *ctx, const struct docker_event *ev), void *ctx);

/* The engine's version ("20.10.24+dfsg1") from /version into out; 0 or a negative errno. */
int docker_version(const char *socket_path, int timeout_ms, char *out, size_t size);

void docker_container_free(struct docker_container *c);
void docker_list_free(struct docker_list *l);
/* The container of id in l, or NULL. */
const struct docker_container *docker_list_find(const struct docker_list *l, const char *id);

#endif
