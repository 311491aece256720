// SPDX-License-Identifier: Apache-2.0
/*
 * The Go-compatible number parsers, attribute reads, directory listings,
 * path joins and per-line verdict cache of common/pfile.h, and the UTF-8
 * helpers of common/utf8.h.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/pfile.h"
#include "common/utf8.h"

Test(go_parse, uint_bases_and_errors)
{
	uint64_t v = 7;
	cr_assert_eq(parse_go_uint("18446744073709551615", 10, 64, &v), 0);
	cr_assert_eq(v, UINT64_MAX);
	cr_assert_eq(parse_go_uint("18446744073709551616", 10, 64, &v), -ERANGE);
	cr_assert_eq(v, UINT64_MAX, "untouched on error");
	cr_assert_eq(parse_go_uint("", 10, 64, &v), -EINVAL);
	cr_assert_eq(parse_go_uint("+1", 10, 64, &v), -EINVAL);
	cr_assert_eq(parse_go_uint("1 ", 10, 64, &v), -EINVAL);
	cr_assert_eq(parse_go_uint("1_0", 10, 64, &v), -EINVAL);
	cr_assert_eq(parse_go_uint("ffffffff", 16, 32, &v), 0);
	cr_assert_eq(v, 0xffffffffu);
	cr_assert_eq(parse_go_uint("100000000", 16, 32, &v), -ERANGE);
	cr_assert_eq(parse_go_uint("0x10", 16, 64, &v), -EINVAL);
	cr_assert_eq(parse_go_uint("g", 16, 64, &v), -EINVAL);
	/* base 0: prefixes, octal, separators */
	cr_assert_eq(parse_go_uint("0x1_f", 0, 64, &v), 0);
	cr_assert_eq(v, 31);
	cr_assert_eq(parse_go_uint("017", 0, 64, &v), 0);
	cr_assert_eq(v, 15);
	cr_assert_eq(parse_go_uint("0b101", 0, 64, &v), 0);
	cr_assert_eq(v, 5);
	cr_assert_eq(parse_go_uint("0o17", 0, 64, &v), 0);
	cr_assert_eq(v, 15);
	cr_assert_eq(parse_go_uint("0", 0, 64, &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(parse_go_uint("1_000", 0, 64, &v), 0);
	cr_assert_eq(v, 1000);
	cr_assert_eq(parse_go_uint("1__0", 0, 64, &v), -EINVAL);
	cr_assert_eq(parse_go_uint("10_", 0, 64, &v), -EINVAL);
	cr_assert_eq(parse_go_uint("0x", 0, 64, &v), -EINVAL);
	cr_assert_eq(parse_go_uint("08", 0, 64, &v), -EINVAL);
}

/* The digits-only fast path keeps the general path's limits and refusals. */
Test(go_parse, uint_decimal_fast_path)
{
	uint64_t v = 0;
	cr_assert_eq(parse_go_uint("4294967295", 10, 32, &v), 0);
	cr_assert_eq(v, 4294967295u);
	cr_assert_eq(parse_go_uint("4294967296", 10, 32, &v), -ERANGE);
	cr_assert_eq(parse_go_uint("4294967296", 0, 32, &v), -ERANGE);
	cr_assert_eq(parse_go_uint("9999999999999999999", 10, 64, &v), 0, "19 digits");
	cr_assert_eq(v, UINT64_C(9999999999999999999));
	cr_assert_eq(parse_go_uint("10000000000000000000", 10, 64, &v), 0, "20 digits");
	cr_assert_eq(v, UINT64_C(10000000000000000000));
	cr_assert_eq(parse_go_uint("99999999999999999999", 10, 64, &v), -ERANGE);
	cr_assert_eq(parse_go_uint("12a", 10, 64, &v), -EINVAL);
	cr_assert_eq(parse_go_uint("-1", 10, 64, &v), -EINVAL);
	cr_assert_eq(parse_go_uint("00012", 10, 64, &v), 0);
	cr_assert_eq(v, 12);
	cr_assert_eq(parse_go_uint("12", 0, 8, &v), 0);
	cr_assert_eq(parse_go_uint("256", 0, 8, &v), -ERANGE);
	cr_assert_eq(parse_go_uint("z", 36, 64, &v), 0);
	cr_assert_eq(v, 35);
	/* hexadecimal, as softnet_stat and the conntrack statistics are */
	cr_assert_eq(parse_go_uint("0001aF", 16, 32, &v), 0);
	cr_assert_eq(v, 0x1af);
	cr_assert_eq(parse_go_uint("ffffffffffffffff", 16, 64, &v), 0, "16 digits");
	cr_assert_eq(v, UINT64_MAX);
	cr_assert_eq(parse_go_uint("10000000000000000", 16, 64, &v), -ERANGE, "17 digits");
	cr_assert_eq(parse_go_uint("0000000000000000f", 16, 64, &v), 0, "17 digits, leading zeros");
	cr_assert_eq(v, 15);
	cr_assert_eq(parse_go_uint("100000000", 16, 32, &v), -ERANGE);
	cr_assert_eq(parse_go_uint("fg", 16, 64, &v), -EINVAL);
	cr_assert_eq(parse_go_uint("1f", 10, 64, &v), -EINVAL);
}

/*
 * Decimals of up to 15 digits (the exact fast path) read as strtod reads
 * them, bit for bit, whatever the position of the point and the sign.
 */
Test(go_parse, float_fast_path_matches_strtod)
{
	unsigned seed = 12345;
	char text[40];
	for (int i = 0; i < 200000; i++) {
		int nd = 1 + (int)(rand_r(&seed) % 15), point = (int)(rand_r(&seed) % (nd + 2)) - 1;
		size_t n = 0;
		if (rand_r(&seed) % 4 == 0)
			text[n++] = rand_r(&seed) % 2 ? '-' : '+';
		for (int d = 0; d < nd; d++) {
			if (d == point)
				text[n++] = '.';
			text[n++] = (char)('0' + rand_r(&seed) % 10);
		}
		if (point == nd)
			text[n++] = '.';
		text[n] = '\0';
		double got = 0, want = strtod(text, NULL);
		cr_assert_eq(parse_go_float(text, n, &got), 0, "%s", text);
		cr_assert(memcmp(&got, &want, sizeof(got)) == 0, "%s: %.17g, not %.17g", text, got,
			  want);
	}
}

Test(go_parse, int_signs_and_limits)
{
	int64_t v = 0;
	cr_assert_eq(parse_go_int("-9223372036854775808", 10, 64, &v), 0);
	cr_assert_eq(v, INT64_MIN);
	cr_assert_eq(parse_go_int("+9223372036854775807", 10, 64, &v), 0);
	cr_assert_eq(v, INT64_MAX);
	cr_assert_eq(parse_go_int("9223372036854775808", 10, 64, &v), -ERANGE);
	cr_assert_eq(parse_go_int("-9223372036854775809", 10, 64, &v), -ERANGE);
	cr_assert_eq(parse_go_int("-", 10, 64, &v), -EINVAL);
	cr_assert_eq(parse_go_int("--1", 10, 64, &v), -EINVAL);
	cr_assert_eq(parse_go_int("-0x10", 0, 64, &v), 0);
	cr_assert_eq(v, -16);
	cr_assert_eq(parse_go_int("2147483648", 10, 32, &v), -ERANGE);
	cr_assert_eq(parse_go_int("-2147483648", 10, 32, &v), 0);
	cr_assert_eq(v, INT32_MIN);
}

Test(go_parse, float_forms)
{
	double v = 0;
	cr_assert_eq(parse_go_float("1.5", 3, &v), 0);
	cr_assert_float_eq(v, 1.5, 0);
	cr_assert_eq(parse_go_float("-2e3", 4, &v), 0);
	cr_assert_float_eq(v, -2000, 0);
	cr_assert_eq(parse_go_float("+Inf", 4, &v), 0);
	cr_assert(isinf(v) && v > 0);
	cr_assert_eq(parse_go_float("NaN", 3, &v), 0);
	cr_assert(isnan(v));
	cr_assert_eq(parse_go_float("+nan", 4, &v), -EINVAL);
	cr_assert_eq(parse_go_float("1e999", 5, &v), -ERANGE);
	cr_assert_eq(parse_go_float("1e-999", 6, &v), 0);
	cr_assert_eq(parse_go_float(" 1", 2, &v), -EINVAL);
	cr_assert_eq(parse_go_float("0x10", 4, &v), -EINVAL);
	cr_assert_eq(parse_go_float(".", 1, &v), -EINVAL);
	cr_assert_eq(parse_go_float("12 trailing", 2, &v), 0, "only len bytes count");
	cr_assert_float_eq(v, 12, 0);
	cr_assert(ascii_eq_nocase("GaUgE", 5, "gauge"));
	cr_assert_not(ascii_eq_nocase("gaug", 4, "gauge"));
}

static char dir[64];

static void mkdir_tmp(void)
{
	strcpy(dir, "/tmp/vigil-pfileh-XXXXXX");
	cr_assert(mkdtemp(dir));
}

static void rm_tmp(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

static void put(const char *name, const char *content)
{
	char path[PATH_MAX];
	cr_assert_eq(path_join(path, dir, name), 0);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs(content, f);
	fclose(f);
}

Test(files, strict_integer_files, .init = mkdir_tmp, .fini = rm_tmp)
{
	char path[PATH_MAX];
	uint64_t u;
	int64_t i;
	path_join(path, dir, "v");
	put("v", "  42 \n");
	cr_assert_eq(read_u64_file(path, &u), 0);
	cr_assert_eq(u, 42);
	put("v", "42x\n");
	cr_assert_eq(read_u64_file(path, &u), -EINVAL);
	put("v", "18446744073709551616\n");
	cr_assert_eq(read_u64_file(path, &u), -EINVAL);
	put("v", "-5\n");
	cr_assert_eq(read_u64_file(path, &u), -EINVAL);
	cr_assert_eq(read_i64_file(path, &i), 0);
	cr_assert_eq(i, -5);
	put("v", "\n");
	cr_assert_eq(read_i64_file(path, &i), -EINVAL);
	path_join(path, dir, "missing");
	cr_assert_eq(read_u64_file(path, &u), -ENOENT);
}

Test(files, attributes_one_read_trimmed, .init = mkdir_tmp, .fini = rm_tmp)
{
	char buf[SYSFS_ATTR_SIZE], *v = NULL, big[300];
	put("a", "\t up \r\n");
	cr_assert_eq(read_dir_attr(dir, "a", buf, sizeof(buf), &v), 0);
	cr_assert_str_eq(v, "up");
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	cr_assert_geq(dfd, 0);
	cr_assert_eq(read_attr_trimmed(dfd, "a", buf, sizeof(buf), &v), 0);
	cr_assert_str_eq(v, "up");
	cr_assert_eq(read_attr_trimmed(dfd, "nope", buf, sizeof(buf), &v), -ENOENT);
	/* at most size - 1 bytes, as procfs's 128-byte read */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	put("big", big);
	cr_assert_eq(read_attr_once(dfd, "big", buf, sizeof(buf)), 128);
	cr_assert_eq(strlen(buf), 128);
	close(dfd);
	char s[] = " \v\f a b \n";
	cr_assert_str_eq(trim_space(s), "a b");
}

Test(files, attribute_reread_through_kept_fd, .init = mkdir_tmp, .fini = rm_tmp)
{
	char path[PATH_MAX], buf[SYSFS_ATTR_SIZE], big[300];
	put("m", "1500\n");
	path_join(path, dir, "m");
	int fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(read_attr_fd(fd, buf, sizeof(buf)), 5);
	cr_assert_str_eq(buf, "1500\n");
	/* every read starts at offset 0 and sees the current content */
	put("m", "9000\n"); /* rewritten in place: the same inode */
	cr_assert_eq(read_attr_fd(fd, buf, sizeof(buf)), 5);
	cr_assert_str_eq(buf, "9000\n");
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	put("m", big);
	cr_assert_eq(read_attr_fd(fd, buf, sizeof(buf)), 128);
	cr_assert_eq(strlen(buf), 128);
	close(fd);
	cr_assert_eq(read_attr_fd(fd, buf, sizeof(buf)), -EBADF);
	cr_assert_str_empty(buf);
}

Test(files, joins, .init = mkdir_tmp, .fini = rm_tmp)
{
	char out[PATH_MAX], name[PATH_MAX];
	cr_assert_eq(path_join(out, "/a", "b"), 0);
	cr_assert_str_eq(out, "/a/b");
	memset(name, 'n', sizeof(name) - 10);
	name[sizeof(name) - 10] = '\0';
	cr_assert_eq(path_join(out, "/abcdefghijkl", name), -ENAMETOOLONG);
	cr_assert_str_empty(out);
	char buf[16], *v;
	cr_assert_eq(read_dir_attr("/abcdefghijkl", name, buf, sizeof(buf), &v), -ENAMETOOLONG);
}

static bool no_b(const char *name)
{
	return name[0] != 'b';
}

Test(files, sorted_listing_reused, .init = mkdir_tmp, .fini = rm_tmp)
{
	struct dir_list l = {0};
	put("c", "");
	put("a", "");
	put("b1", "");
	put(".hidden", "");
	cr_assert_eq(dir_list_read(&l, dir, NULL), 0);
	cr_assert_eq(l.n, 4);
	cr_assert_str_eq(l.v[0], ".hidden");
	cr_assert_str_eq(l.v[1], "a");
	cr_assert_str_eq(l.v[2], "b1");
	cr_assert_str_eq(l.v[3], "c");
	cr_assert_eq(dir_list_read(&l, dir, no_b), 0);
	cr_assert_eq(l.n, 3);
	cr_assert_str_eq(l.v[2], "c");
	char missing[PATH_MAX];
	path_join(missing, dir, "missing");
	cr_assert_eq(dir_list_read(&l, missing, NULL), -ENOENT);
	cr_assert_eq(l.n, 0);
	dir_list_free(&l);
}

Test(line_verdicts, cached_while_the_name_holds)
{
	struct line_verdicts c = {0};
	cr_assert_eq(line_verdict_get(&c, 3, "pgfault"), -1);
	line_verdict_put(&c, 3, "pgfault", true);
	line_verdict_put(&c, 0, "nr_free", false);
	cr_assert_eq(line_verdict_get(&c, 3, "pgfault"), 1);
	cr_assert_eq(line_verdict_get(&c, 0, "nr_free"), 0);
	cr_assert_eq(line_verdict_get(&c, 3, "pgmajfault"), -1, "another name on the line");
	cr_assert_eq(line_verdict_get(&c, 200, "x"), -1);
	char longname[LINE_VERDICT_NAME + 1];
	memset(longname, 'k', LINE_VERDICT_NAME);
	longname[LINE_VERDICT_NAME] = '\0';
	line_verdict_put(&c, 1, longname, true);
	cr_assert_eq(line_verdict_get(&c, 1, longname), -1, "long names are not cached");
	line_verdicts_free(&c);
}

Test(utf8, validity_and_repair)
{
	const char *ok = "plain \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
	cr_assert(utf8_valid(ok, strlen(ok)));
	cr_assert_not(utf8_valid("\xc0\xaf", 2), "overlong");
	cr_assert_not(utf8_valid("\xed\xa0\x80", 3), "surrogate");
	cr_assert_not(utf8_valid("\xf4\x90\x80\x80", 4), "beyond U+10FFFF");
	cr_assert_not(utf8_valid("\xe2\x82", 2), "cut short");
	cr_assert(utf8_valid("\xe2\x82", 0));
	cr_assert_eq(utf8_seq_len((const unsigned char *)"\xe2\x82\xac", 3), 3);
	cr_assert_eq(utf8_seq_len((const unsigned char *)"\x80", 1), 0);
	char out[32];
	utf8_sanitize("a\xff\xfe" "b\xe2\x82" "c", out, sizeof(out));
	cr_assert_str_eq(out, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c");
	utf8_sanitize("abcdefgh", out, 6);
	cr_assert_str_eq(out, "ab", "room is kept for a whole character");
}
