// SPDX-License-Identifier: Apache-2.0
#include "server/api/params.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/strutil.h"

/* Go's strconv.ParseFloat accepts these; strtod accepts more (hex floats, "nan(..)"). */
static int parse_float_strict(const char *s, double *out)
{
	if (!*s || isspace((unsigned char)*s))
		return -EINVAL;
	char *end;
	double v = strtod(s, &end);
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Parse exactly n digits. */
static int digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -EINVAL;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* RFC 3339 with optional fractional seconds, as Go's time.RFC3339Nano parses it. */
static int parse_rfc3339(const char *s, int64_t *ms)
{
	const char *p = s;
	int Y, M, D, h, m, sec;
	if (digits(&p, 4, &Y) || *p++ != '-' || digits(&p, 2, &M) || *p++ != '-' ||
	    digits(&p, 2, &D) || (*p != 'T' && *p != 't') || !*p++ || digits(&p, 2, &h) ||
	    *p++ != ':' || digits(&p, 2, &m) || *p++ != ':' || digits(&p, 2, &sec))
		return -EINVAL;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0;
	if (M < 1 || M > 12 || D < 1 || D > mdays[M - 1] || (M == 2 && D == 29 && !leap) ||
	    h > 23 || m > 59 || sec > 59)
		return -EINVAL;
	int64_t frac_ms = 0;
	if (*p == '.') {
		p++;
		int n = 0;
		double scale = 100;
		while (isdigit((unsigned char)*p)) {
			if (n < 3)
				frac_ms += (int64_t)((*p - '0') * scale);
			scale /= 10;
			n++;
			p++;
		}
		if (!n)
			return -EINVAL;
	}
	int64_t offset = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1, oh, om;
		if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) || oh > 23 || om > 59)
			return -EINVAL;
		offset = sign * (oh * 3600 + om * 60);
	} else {
		return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	int64_t secs = days_from_civil(Y, M, D) * 86400 + h * 3600 + m * 60 + sec - offset;
	*ms = secs * 1000 + frac_ms;
	return 0;
}

int api_parse_time(const char *s, int64_t *ms, char *err, size_t errlen)
{
	double f;
	if (parse_float_strict(s, &f) == 0 && isfinite(f)) {
		double ip, fp = modf(f, &ip);
		fp = round(fp * 1000) / 1000;
		double total = ip * 1000 + fp * 1000;
		if (total > (double)API_MAX_TIME_MS * 1.0)
			total = (double)API_MAX_TIME_MS;
		if (total < (double)API_MIN_TIME_MS)
			total = (double)API_MIN_TIME_MS;
		*ms = (int64_t)llround(total);
		return 0;
	}
	if (parse_rfc3339(s, ms) == 0)
		return 0;
	if (!strcmp(s, "-292273086-05-16T16:47:06Z")) {
		*ms = API_MIN_TIME_MS;
		return 0;
	}
	if (!strcmp(s, "292277025-08-18T07:12:54.999999999Z")) {
		*ms = API_MAX_TIME_MS;
		return 0;
	}
	snprintf(err, errlen, "cannot parse \"%s\" to a valid timestamp", s);
	return -EINVAL;
}

int api_parse_duration(const char *s, int64_t *ms, char *err, size_t errlen)
{
	double f;
	if (parse_float_strict(s, &f) == 0) {
		double ns = f * 1e9;
		if (!(ns <= 9223372036854775807.0 && ns >= -9223372036854775808.0)) {
			snprintf(err, errlen, "cannot parse \"%s\" to a valid duration. It overflows int64", s);
			return -EINVAL;
		}
		*ms = (int64_t)(ns / 1e6);
		return 0;
	}
	double secs;
	if (parse_duration(s, &secs) == 0) {
		*ms = (int64_t)llround(secs * 1000);
		return 0;
	}
	snprintf(err, errlen, "cannot parse \"%s\" to a valid duration", s);
	return -EINVAL;
}
