// SPDX-License-Identifier: Apache-2.0
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/pfile.h"

static char path[64];

static void write_file(const char *content)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(content, f);
	fclose(f);
}

static void setup(void)
{
	strcpy(path, "/tmp/vigil-pfile-XXXXXX");
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	close(fd);
}

static void teardown(void)
{
	unlink(path);
}

TestSuite(pfile, .init = setup, .fini = teardown);

Test(pfile, splits_lines_and_words_and_rereads)
{
	write_file("cpu  10 20\tthirty\n\nintr 5\nlast-no-newline");
	struct pfile *pf = pfile_open(path, NULL);
	cr_assert_not_null(pf);
	cr_assert_eq(pfile_read(pf), 0);
	cr_assert_eq(pfile_lines(pf), 4);
	cr_assert_eq(pfile_words(pf, 0), 4);
	cr_assert_str_eq(pfile_word(pf, 0, 3), "thirty");
	cr_assert_eq(pfile_words(pf, 1), 0);
	cr_assert_str_eq(pfile_word(pf, 3, 0), "last-no-newline");
	cr_assert_str_eq(pfile_word(pf, 9, 9), "");

	/* the same handle sees new content after a rewrite */
	write_file("a:b c\n");
	cr_assert_eq(pfile_read(pf), 0);
	cr_assert_eq(pfile_lines(pf), 1);
	cr_assert_str_eq(pfile_word(pf, 0, 0), "a:b");
	pfile_close(pf);

	pf = pfile_open(path, " :");
	cr_assert_eq(pfile_read(pf), 0);
	cr_assert_eq(pfile_words(pf, 0), 3);
	pfile_close(pf);
}

Test(pfile, large_file)
{
	FILE *f = fopen(path, "w");
	for (int i = 0; i < 50000; i++)
		fprintf(f, "line %d\n", i);
	fclose(f);
	struct pfile *pf = pfile_open(path, NULL);
	cr_assert_eq(pfile_read(pf), 0);
	cr_assert_eq(pfile_lines(pf), 50000);
	cr_assert_str_eq(pfile_word(pf, 49999, 1), "49999");
	pfile_close(pf);
}

Test(pfile, missing_file)
{
	cr_assert_null(pfile_open("/nonexistent/vigil", NULL));
	cr_assert_eq(errno, ENOENT);
	char buf[16];
	cr_assert_eq(read_small_file("/nonexistent/vigil", buf, sizeof(buf)), -ENOENT);
}

Test(pfile, numbers)
{
	const char *end;
	cr_assert_eq(str2u64("18446744073709551615x", &end), UINT64_MAX);
	cr_assert_eq(*end, 'x');
	cr_assert_eq(str2i64("-42", NULL), -42);
	cr_assert_eq(str2u64("abc", &end), 0);
	write_file("  123\n");
	uint64_t v;
	cr_assert_eq(read_u64_file(path, &v), 0);
	cr_assert_eq(v, 123);
	write_file("garbage\n");
	cr_assert_eq(read_u64_file(path, &v), -EINVAL);
	int64_t s;
	write_file("-7\n");
	cr_assert_eq(read_i64_file(path, &s), 0);
	cr_assert_eq(s, -7);
}
