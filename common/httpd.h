/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small HTTP/1.1 server shared by the agent and the server.
 *
 * A pool of threads (one per core by default) waits on one epoll set in
 * which every connection is registered one-shot: the thread that gets a
 * connection's event owns it until it re-arms it, reads the request
 * without blocking, runs the handler and writes the answer.  So concurrent
 * requests run in parallel on all cores, idle keep-alive connections cost
 * no thread, and a handler may keep per-thread state (_Thread_local or
 * pthread keys) without locks.  Idle connections are closed after two
 * minutes, connections that never finish their headers after 30 seconds.
 *
 * Why not libmicrohttpd: Debian's build links GnuTLS, whose load-time
 * initialisation alone costs about 3 MB of resident memory, more than the
 * agent's whole budget (measured: a C program that only links
 * libmicrohttpd has 4.5 MB RSS, without it 1.1 MB).
 *
 * The listening socket is opened by httpd_listen() before anything else
 * starts, so "address in use" is reported cleanly.  Bodies are gzip-encoded
 * when the request accepts gzip and the handler allows it.  HEAD is answered
 * like GET without a body.  Request bodies (Content-Length, up to max_body
 * bytes; "Expect: 100-continue" honoured) are handed to the handler whole;
 * form-encoded bodies are parsed by http_args_foreach().
 */
#ifndef VIGIL_COMMON_HTTPD_H
#define VIGIL_COMMON_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "common/buf.h"

struct http_conn;

struct http_request {
	const char *method; /* "GET", "HEAD", "POST", ... */
	const char *url;    /* path without the query string */
	const char *body;   /* POST/PUT body (NUL-terminated), or NULL */
	size_t body_len;
	struct http_conn *conn; /* private to httpd.c */
};

struct http_response {
	int status;		  /* 200 unless the handler says otherwise */
	const char *content_type; /* static string */
	struct buf body;	  /* handler appends; the server frees */
	bool no_gzip;		  /* never compress this response */
	const char *location;	  /* Location header, for redirects */
};

typedef void (*http_handler_fn)(void *ctx, const struct http_request *req,
				struct http_response *resp);

struct httpd;

/*
 * Open a listening TCP socket for addr ("host:port", ":port", "[v6]:port";
 * an empty host listens on every address, IPv6 and IPv4).  A numeric host
 * is used as it is; a name goes to the resolver (httpd_set_resolver()).
 * Returns the fd or a negative errno; on failure errbuf gets one line like
 * Go's "listen tcp :9100: bind: address already in use".
 */
int httpd_listen(const char *addr, char *errbuf, size_t errlen);

/* Up to this many addresses are tried for one host name. */
#define HTTPD_MAX_ADDRS 8

struct httpd_addr {
	struct sockaddr_storage sa;
	unsigned len;
};

/*
 * Resolve a host name for httpd_listen(): fill out[0..HTTPD_MAX_ADDRS) and
 * return how many, or a negative errno with a reason ("no such host") in
 * errbuf.
 */
typedef int (*httpd_resolve_fn)(const char *host, struct httpd_addr *out, char *errbuf,
				size_t errlen);
/*
 * The resolver httpd_listen() uses for names.  The default reads
 * /etc/hosts (and knows "localhost"), which is all a listen address needs
 * in practice and keeps the statically linked agent free of glibc's NSS;
 * vigil-server sets httpd_resolve_system(), glibc's getaddrinfo(3).
 */
void httpd_set_resolver(httpd_resolve_fn fn);
int httpd_resolve_hosts_file(const char *host, struct httpd_addr *out, char *errbuf,
			     size_t errlen);
int httpd_resolve_system(const char *host, struct httpd_addr *out, char *errbuf, size_t errlen);
/* The port a listening fd is bound to (for tests that listen on port 0). */
int httpd_bound_port(int fd);

/*
 * Serve on listen_fd (which the server then owns) with nthreads threads
 * (0: one per core).  max_body bounds request bodies (413 beyond).
 * Returns NULL (and logs) on failure.
 */
struct httpd *httpd_start(int listen_fd, unsigned nthreads, size_t max_body,
			  http_handler_fn handler, void *ctx);
void httpd_stop(struct httpd *h);

/* A request header (case-insensitive name), or NULL. */
const char *http_header(const struct http_request *req, const char *name);
/* A URL query argument (first occurrence, decoded), or NULL. */
const char *http_query_arg(const struct http_request *req, const char *name);

/* Called for each argument; return false to stop. */
typedef bool (*http_arg_fn)(void *ctx, const char *name, const char *value);
/*
 * Every argument of the request, in order: those of the URL query string,
 * then those of an application/x-www-form-urlencoded body.  Repeated names
 * (match[]) come once per occurrence.
 */
void http_args_foreach(const struct http_request *req, http_arg_fn fn, void *ctx);

/* Decode %XX and '+' in place; returns the new length. */
size_t http_url_decode(char *s);
/* True when the Accept-Encoding header value lists gzip. */
bool http_accepts_gzip(const char *accept_encoding);

#endif
