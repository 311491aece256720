// SPDX-License-Identifier: Apache-2.0
/*
 * sd_notify protocol, written from systemd's documentation (see sdnotify.h
 * for the wire format and the reason we do not link libsystemd):
 *   https://www.freedesktop.org/software/systemd/man/sd_notify.html
 * One datagram per call on a fresh SOCK_DGRAM unix socket, so there is no
 * state to share between threads except the watchdog thread's own.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/sdnotify.h"

/* Fill addr from $NOTIFY_SOCKET; 0 with *len set, 1 when unset, or -errno. */
static int notify_address(struct sockaddr_un *addr, socklen_t *len)
{
	const char *e = getenv("NOTIFY_SOCKET");
	if (!e || !*e)
		return 1;
	size_t n = strlen(e);
	if ((e[0] != '/' && e[0] != '@') || n < 2)
		return -EAFNOSUPPORT; /* e.g. "vsock:..." of newer managers */
	if (n > sizeof(addr->sun_path) - (e[0] == '/'))
		return -ENAMETOOLONG;
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	memcpy(addr->sun_path, e, n);
	if (e[0] == '@') {
		/* abstract namespace: leading NUL, length without a terminator */
		addr->sun_path[0] = '\0';
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	}
	return 0;
}

int sdnotify_send(const char *state)
{
	struct sockaddr_un addr;
	socklen_t alen = 0;
	int rc = notify_address(&addr, &alen);
	if (rc != 0)
		return rc > 0 ? 0 : rc;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	size_t n = strlen(state);
	ssize_t w;
	do
		w = sendto(fd, state, n, MSG_NOSIGNAL, (struct sockaddr *)&addr, alen);
	while (w < 0 && errno == EINTR);
	rc = w < 0 ? -errno : (size_t)w != n ? -EMSGSIZE : 0;
	close(fd);
	return rc;
}

int sdnotify_status(const char *fmt, ...)
{
	char msg[512];
	int off = snprintf(msg, sizeof(msg), "STATUS=");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg + off, sizeof(msg) - (size_t)off, fmt, ap);
	va_end(ap);
	/* the value ends at the first newline: the protocol has no escaping */
	char *nl = strchr(msg + off, '\n');
	if (nl)
		*nl = '\0';
	return sdnotify_send(msg);
}

/* Send, logging a failure at warn level: notifications are best effort. */
static void send_logged(const char *state)
{
	int rc = sdnotify_send(state);
	if (rc < 0)
		log_warn_code(rc, "sd_notify failed\tstate=%.*s", (int)strcspn(state, "\n"), state);
}

void sdnotify_ready(void)
{
	char msg[64];
	snprintf(msg, sizeof(msg), "READY=1\nMAINPID=%ld", (long)getpid());
	send_logged(msg);
}

void sdnotify_stopping(void)
{
	send_logged("STOPPING=1");
}

void sdnotify_reloading(void)
{
	/* MONOTONIC_USEC lets Type=notify-reload (systemd 253+) match the reload */
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	char msg[96];
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
	send_logged(msg);
}

uint64_t sdnotify_watchdog_usec(void)
{
	const char *pid = getenv("WATCHDOG_PID");
	if (pid && *pid) {
		char *end;
		errno = 0;
		long p = strtol(pid, &end, 10);
		if (errno || *end || p != (long)getpid())
			return 0;
	}
	const char *us = getenv("WATCHDOG_USEC");
	if (!us || *us < '0' || *us > '9')
		return 0;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(us, &end, 10);
	if (errno || *end)
		return 0;
	return v;
}

void sdnotify_watchdog(void)
{
	send_logged("WATCHDOG=1");
}

static struct {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool running, stop;
	uint64_t period_usec;
	bool (*healthy)(void *);
	void *arg;
} wd = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void *watchdog_main(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&wd.lock);
	while (!wd.stop) {
		if (!wd.healthy || wd.healthy(wd.arg))
			sdnotify_watchdog();
		struct timespec t;
		clock_gettime(CLOCK_MONOTONIC, &t);
		uint64_t ns = (uint64_t)t.tv_nsec + wd.period_usec * 1000;
		t.tv_sec += (time_t)(ns / 1000000000ULL);
		t.tv_nsec = (long)(ns % 1000000000ULL);
		while (!wd.stop && pthread_cond_timedwait(&wd.wake, &wd.lock, &t) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&wd.lock);
	return NULL;
}

int sdnotify_watchdog_start(bool (*healthy)(void *arg), void *arg)
{
	uint64_t usec = sdnotify_watchdog_usec();
	if (usec == 0 || wd.running)
		return 0;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	int rc = pthread_cond_init(&wd.wake, &ca);
	pthread_condattr_destroy(&ca);
	if (rc)
		return log_err(-rc, "sd_notify: watchdog condition");
	wd.period_usec = usec / 2 ? usec / 2 : 1;
	wd.healthy = healthy;
	wd.arg = arg;
	wd.stop = false;
	rc = pthread_create(&wd.thread, NULL, watchdog_main, NULL);
	if (rc) {
		pthread_cond_destroy(&wd.wake);
		return log_err(-rc, "sd_notify: watchdog thread");
	}
	wd.running = true;
	log_info("systemd watchdog enabled\tinterval_usec=%llu", (unsigned long long)usec);
	return 0;
}

void sdnotify_watchdog_stop(void)
{
	if (!wd.running)
		return;
	pthread_mutex_lock(&wd.lock);
	wd.stop = true;
	pthread_cond_signal(&wd.wake);
	pthread_mutex_unlock(&wd.lock);
	pthread_join(wd.thread, NULL);
	pthread_cond_destroy(&wd.wake);
	wd.running = false;
}
