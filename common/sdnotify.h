/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sd_notify: tell systemd (Type=notify units) that we are ready, stopping,
 * reloading or still alive, without linking libsystemd.
 *
 * Why our own code: every shared library costs its load-time relocations and
 * dirty pages in every process, and we measured that cost against the agent's
 * 2.7 MB RSS budget; libsystemd also pulls in liblzma, libzstd, liblz4,
 * libcap and libgcrypt.  systemd documents the notification protocol as a
 * stable interface meant to be reimplemented:
 *   https://www.freedesktop.org/software/systemd/man/sd_notify.html#Notes
 *   https://systemd.io/PORTABILITY_AND_STABILITY/
 *
 * The protocol: the service manager puts the address of a unix datagram
 * socket in $NOTIFY_SOCKET, either a file system path ("/run/systemd/notify")
 * or, with a leading '@', a name in the abstract namespace (the '@' stands
 * for the leading NUL byte of sun_path).  A notification is one datagram of
 * newline-separated VAR=VALUE assignments: READY=1, STOPPING=1, RELOADING=1,
 * WATCHDOG=1, STATUS=<free text>, MAINPID=<pid>.  When WatchdogSec= is set,
 * $WATCHDOG_USEC holds the interval in microseconds and $WATCHDOG_PID, when
 * present, the PID it is meant for; the service must send WATCHDOG=1 more
 * often than that (systemd recommends every half interval).
 *
 * Without $NOTIFY_SOCKET (not started by systemd, or Type=simple) every call
 * here does nothing and succeeds, so callers need no "are we under systemd"
 * checks.  The environment is left untouched (the variables stay set): call
 * these only from the main process.
 */
#ifndef VIGIL_COMMON_SDNOTIFY_H
#define VIGIL_COMMON_SDNOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Send one notification datagram, state being newline-separated VAR=VALUE
 * lines ("READY=1\nSTATUS=Listening").  Returns 0 when sent or when there is
 * no $NOTIFY_SOCKET, a negative errno when the address is unusable or the
 * send fails.
 */
int sdnotify_send(const char *state);

/* Send STATUS=<text> (printf-style); same return as sdnotify_send(). */
int sdnotify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* READY=1 (with MAINPID): call once every listener is open and serving. */
void sdnotify_ready(void);

/* STOPPING=1: call when shutdown begins, before closing the listeners. */
void sdnotify_stopping(void);

/*
 * RELOADING=1: call when a reload (SIGHUP) begins; call sdnotify_ready() when
 * it is done.  Needed only with Type=notify-reload, harmless otherwise.
 */
void sdnotify_reloading(void);

/*
 * The watchdog interval in microseconds from $WATCHDOG_USEC, or 0 when no
 * watchdog is set, the value is malformed, or $WATCHDOG_PID names another
 * process.
 */
uint64_t sdnotify_watchdog_usec(void);

/* WATCHDOG=1: "still alive"; send more often than sdnotify_watchdog_usec(). */
void sdnotify_watchdog(void);

/*
 * Start a thread that sends WATCHDOG=1 every half watchdog interval for as
 * long as healthy(arg) returns true (healthy NULL: always).  When healthy()
 * says false the pings stop and systemd restarts the service once the
 * interval has passed.  Does nothing and returns 0 when no watchdog is set.
 * Returns 0 or a negative errno (thread creation failed).
 */
int sdnotify_watchdog_start(bool (*healthy)(void *arg), void *arg);

/* Stop and join the watchdog thread, if one runs. */
void sdnotify_watchdog_stop(void);

#endif
