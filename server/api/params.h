/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Parameters of Prometheus's HTTP API as its web/api/v1 parses them:
 * times are unix seconds (a float, rounded to milliseconds) or RFC 3339
 * ("2015-07-01T20:10:51.781Z", any offset, fractional seconds), plus the
 * formatted min and max times clients use for "unbounded"; durations (step,
 * timeout) are float seconds or a Prometheus duration ("1m30s").
 * Everything inside vigil-server is milliseconds since the epoch.
 */
#ifndef VIGIL_SERVER_API_PARAMS_H
#define VIGIL_SERVER_API_PARAMS_H

#include <stddef.h>
#include <stdint.h>

/* The smallest and largest timestamps, as Prometheus's v1.MinTime/MaxTime. */
#define API_MIN_TIME_MS ((int64_t)-9223309901257974LL)
#define API_MAX_TIME_MS ((int64_t)9223309901257974LL)

/*
 * Parse a time into milliseconds.  Returns 0, or -EINVAL with the message
 * Prometheus gives ("cannot parse \"x\" to a valid timestamp") in err.
 */
int api_parse_time(const char *s, int64_t *ms, char *err, size_t errlen);
/*
 * Parse a duration into milliseconds (fractions of a millisecond are
 * truncated).  Returns 0 or -EINVAL with Prometheus's message in err.
 */
int api_parse_duration(const char *s, int64_t *ms, char *err, size_t errlen);

#endif
