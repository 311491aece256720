// SPDX-License-Identifier: Apache-2.0
/*
 * sd_notify: a datagram socket stands in for systemd, at a file system path
 * and in the abstract namespace; the watchdog variables are parsed as
 * systemd sets them.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/sdnotify.h"

static char sock_path[108];

/* Bind a datagram socket at name ('@' = abstract) and point NOTIFY_SOCKET at it. */
static int fake_manager(const char *name)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	size_t n = strlen(name);
	memcpy(a.sun_path, name, n);
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	if (name[0] == '@')
		a.sun_path[0] = '\0';
	else
		len++;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert(fd >= 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, len), 0, "bind %s: %s", name, strerror(errno));
	setenv("NOTIFY_SOCKET", name, 1);
	return fd;
}

/* Receive one datagram within 2 s into out. */
static void recv_msg(int fd, char *out, size_t cap)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	cr_assert_eq(poll(&p, 1, 2000), 1, "no datagram");
	ssize_t n = recv(fd, out, cap - 1, 0);
	cr_assert(n >= 0);
	out[n] = '\0';
}

static void cleanup(void)
{
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	if (sock_path[0])
		unlink(sock_path);
	sock_path[0] = '\0';
}

TestSuite(sdnotify, .fini = cleanup);

Test(sdnotify, path_socket_ready_stopping)
{
	snprintf(sock_path, sizeof(sock_path), "/tmp/vigil-sdnotify-%ld.sock", (long)getpid());
	unlink(sock_path);
	int fd = fake_manager(sock_path);
	char msg[256], want[64];
	sdnotify_ready();
	recv_msg(fd, msg, sizeof(msg));
	snprintf(want, sizeof(want), "READY=1\nMAINPID=%ld", (long)getpid());
	cr_assert_str_eq(msg, want);
	sdnotify_stopping();
	recv_msg(fd, msg, sizeof(msg));
	cr_assert_str_eq(msg, "STOPPING=1");
	cr_assert_eq(sdnotify_status("Scraping %d targets\nINJECTED=1", 3), 0);
	recv_msg(fd, msg, sizeof(msg));
	cr_assert_str_eq(msg, "STATUS=Scraping 3 targets", "newline must end the value: %s", msg);
	sdnotify_reloading();
	recv_msg(fd, msg, sizeof(msg));
	cr_assert(strncmp(msg, "RELOADING=1\nMONOTONIC_USEC=", 27) == 0, "%s", msg);
	close(fd);
}

Test(sdnotify, abstract_socket)
{
	char name[64];
	snprintf(name, sizeof(name), "@vigil-sdnotify-test-%ld", (long)getpid());
	int fd = fake_manager(name);
	char msg[64];
	cr_assert_eq(sdnotify_send("WATCHDOG=1"), 0);
	recv_msg(fd, msg, sizeof(msg));
	cr_assert_str_eq(msg, "WATCHDOG=1");
	close(fd);
}

Test(sdnotify, no_socket_is_a_no_op)
{
	unsetenv("NOTIFY_SOCKET");
	cr_assert_eq(sdnotify_send("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "", 1);
	cr_assert_eq(sdnotify_send("READY=1"), 0);
}

Test(sdnotify, bad_addresses)
{
	setenv("NOTIFY_SOCKET", "vsock:2:1234", 1);
	cr_assert_eq(sdnotify_send("READY=1"), -EAFNOSUPPORT);
	char longname[200];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[0] = '/';
	longname[sizeof(longname) - 1] = '\0';
	setenv("NOTIFY_SOCKET", longname, 1);
	cr_assert_eq(sdnotify_send("READY=1"), -ENAMETOOLONG);
	/* nobody listens there */
	setenv("NOTIFY_SOCKET", "/nonexistent/vigil/notify", 1);
	cr_assert_eq(sdnotify_send("READY=1"), -ENOENT);
}

Test(sdnotify, watchdog_usec)
{
	cr_assert_eq(sdnotify_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "30000000", 1);
	cr_assert_eq(sdnotify_watchdog_usec(), 30000000);
	char pid[32];
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	cr_assert_eq(sdnotify_watchdog_usec(), 30000000);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	cr_assert_eq(sdnotify_watchdog_usec(), 0, "another process's watchdog");
	unsetenv("WATCHDOG_PID");
	setenv("WATCHDOG_USEC", "-5", 1);
	cr_assert_eq(sdnotify_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "12abc", 1);
	cr_assert_eq(sdnotify_watchdog_usec(), 0);
}

static bool healthy_flag = true;

static bool is_healthy(void *arg)
{
	return *(bool *)arg;
}

Test(sdnotify, watchdog_thread_pings_while_healthy)
{
	char name[64];
	snprintf(name, sizeof(name), "@vigil-sdnotify-wd-%ld", (long)getpid());
	int fd = fake_manager(name);
	setenv("WATCHDOG_USEC", "100000", 1); /* pings every 50 ms */
	cr_assert_eq(sdnotify_watchdog_start(is_healthy, &healthy_flag), 0);
	char msg[64];
	for (int i = 0; i < 3; i++) {
		recv_msg(fd, msg, sizeof(msg));
		cr_assert_str_eq(msg, "WATCHDOG=1");
	}
	sdnotify_watchdog_stop();
	/* drain what was in flight, then nothing more may arrive */
	while (recv(fd, msg, sizeof(msg), MSG_DONTWAIT) > 0)
		;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	cr_assert_eq(poll(&p, 1, 200), 0, "ping after stop");
	close(fd);
}

Test(sdnotify, watchdog_thread_silent_when_unhealthy)
{
	char name[64];
	snprintf(name, sizeof(name), "@vigil-sdnotify-wd2-%ld", (long)getpid());
	int fd = fake_manager(name);
	setenv("WATCHDOG_USEC", "100000", 1);
	bool sick = false;
	cr_assert_eq(sdnotify_watchdog_start(is_healthy, &sick), 0);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	cr_assert_eq(poll(&p, 1, 300), 0, "unhealthy service must not ping");
	sdnotify_watchdog_stop();
	close(fd);
}

Test(sdnotify, watchdog_off_without_variable)
{
	unsetenv("WATCHDOG_USEC");
	cr_assert_eq(sdnotify_watchdog_start(NULL, NULL), 0);
	sdnotify_watchdog_stop(); /* nothing started: must not hang */
}
