// SPDX-License-Identifier: Apache-2.0
#include <criterion/criterion.h>
#include <errno.h>

#include "common/flags.h"
#include "common/strutil.h"

static bool b1, b2;
static char *s1;
static struct strlist list;
static double dur, bytes;
static long n;
static bool b2_seen;

static const struct flag_def defs[] = {
	{ "web.enable", FLAG_BOOL, &b1, "true", "a bool", NULL, NULL },
	{ "collector.x", FLAG_BOOL, &b2, "false", "another", NULL, &b2_seen },
	{ "web.listen-address", FLAG_STRING, &s1, ":9100", "addr", NULL, NULL },
	{ "include", FLAG_STRLIST, &list, NULL, "list", NULL, NULL },
	{ "interval", FLAG_DURATION, &dur, "10s", "dur", "housekeeping_interval", NULL },
	{ "size", FLAG_BYTES, &bytes, "0", "size", NULL, NULL },
	{ "count", FLAG_INT, &n, "40", "int", NULL, NULL },
};
static const struct flag_table tables[] = { { "Flags", defs, 7 } };

static int parse(int argc, char **argv, char *err)
{
	char asked = 0;
	return flags_parse(argc, argv, tables, 1, NULL, &asked, err, 256);
}

Test(flags, defaults)
{
	char err[256];
	char *argv[] = { "prog" };
	cr_assert_eq(parse(1, argv, err), 0);
	cr_assert(b1);
	cr_assert(!b2);
	cr_assert_str_eq(s1, ":9100");
	cr_assert_eq(dur, 10);
	cr_assert_eq(n, 40);
	cr_assert_eq(list.n, 0);
	flags_free(tables, 1);
}

Test(flags, kingpin_forms)
{
	char err[256];
	char *argv[] = { "prog", "--no-web.enable", "--collector.x", "--web.listen-address",
			 "127.0.0.1:1", "--include=a", "--include", "b", "-housekeeping_interval=1m30s",
			 "--size=1GiB", "--count=-3" };
	cr_assert_eq(parse(11, argv, err), 0, "%s", err);
	cr_assert(!b1);
	cr_assert(b2);
	cr_assert(b2_seen);
	cr_assert_str_eq(s1, "127.0.0.1:1");
	cr_assert_eq(list.n, 2);
	cr_assert_str_eq(list.items[1], "b");
	cr_assert_eq(dur, 90);
	cr_assert_eq(bytes, 1073741824.0);
	cr_assert_eq(n, -3);
	flags_free(tables, 1);
}

Test(flags, errors)
{
	char err[256];
	char *a1[] = { "prog", "--nope" };
	cr_assert_eq(parse(2, a1, err), -EINVAL);
	cr_assert_str_eq(err, "unknown long flag '--nope'");
	char *a2[] = { "prog", "--interval=ten" };
	cr_assert_eq(parse(2, a2, err), -EINVAL);
	cr_assert_str_eq(err, "invalid value 'ten' for flag --interval");
	char *a3[] = { "prog", "--web.listen-address" };
	cr_assert_eq(parse(2, a3, err), -EINVAL);
	char *a4[] = { "prog", "stray" };
	cr_assert_eq(parse(2, a4, err), -EINVAL);
	char *a5[] = { "prog", "--web.enable=maybe" };
	cr_assert_eq(parse(2, a5, err), -EINVAL);
	flags_free(tables, 1);
}

Test(flags, help_and_version)
{
	char err[256], asked = 0;
	char *a1[] = { "prog", "--help" };
	cr_assert_eq(flags_parse(2, a1, tables, 1, NULL, &asked, err, sizeof(err)), 1);
	cr_assert_eq(asked, 'h');
	char *a2[] = { "prog", "--version" };
	cr_assert_eq(flags_parse(2, a2, tables, 1, NULL, &asked, err, sizeof(err)), 1);
	cr_assert_eq(asked, 'v');
	flags_free(tables, 1);
}

Test(strutil, durations)
{
	double d;
	cr_assert_eq(parse_duration("15s", &d), 0);
	cr_assert_eq(d, 15);
	cr_assert_eq(parse_duration("1h30m", &d), 0);
	cr_assert_eq(d, 5400);
	cr_assert_eq(parse_duration("500ms", &d), 0);
	cr_assert_float_eq(d, 0.5, 1e-12);
	cr_assert_eq(parse_duration("2d", &d), 0);
	cr_assert_eq(d, 172800);
	cr_assert_eq(parse_duration("1.5s", &d), 0);
	cr_assert_eq(d, 1.5);
	cr_assert_eq(parse_duration("0", &d), 0);
	cr_assert_eq(d, 0);
	cr_assert_eq(parse_duration("", &d), -EINVAL);
	cr_assert_eq(parse_duration("10", &d), -EINVAL);
	cr_assert_eq(parse_duration("1x", &d), -EINVAL);
	cr_assert_eq(parse_duration("-1s", &d), -EINVAL);
}

Test(strutil, regex_anchoring)
{
	char err[256];
	struct vregex *re = vregex_compile("a|b", true, err, sizeof(err));
	cr_assert_not_null(re);
	cr_assert(vregex_match(re, "a"));
	cr_assert(!vregex_match(re, "ab"));
	vregex_free(re);
	re = vregex_compile("^/(dev|proc|sys)($|/)", false, err, sizeof(err));
	cr_assert(vregex_match(re, "/proc/x"));
	cr_assert(vregex_match(re, "/dev"));
	cr_assert(!vregex_match(re, "/devices"));
	vregex_free(re);
	re = vregex_compile("foo$", false, err, sizeof(err));
	cr_assert(!vregex_match(re, "foo\n"), "$ must not match before a final newline");
	vregex_free(re);
	cr_assert_null(vregex_compile("(unclosed", true, err, sizeof(err)));
	cr_assert(strstr(err, "error parsing regexp") != NULL, "%s", err);
}
