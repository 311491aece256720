// SPDX-License-Identifier: Apache-2.0
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/md5.h"

static void hex(const unsigned char *d, char *out)
{
	for (int i = 0; i < MD5_DIGEST_LEN; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void check(const char *in, const char *want)
{
	unsigned char d[MD5_DIGEST_LEN];
	char got[33];
	md5_sum(in, strlen(in), d);
	hex(d, got);
	cr_assert_str_eq(got, want, "md5(\"%s\")", in);
}

/* the test suite of RFC 1321, appendix A.5 */
Test(md5, rfc1321_suite)
{
	check("", "d41d8cd98f00b204e9800998ecf8427e");
	check("a", "0cc175b9c0f1b6a831c399e269772661");
	check("abc", "900150983cd24fb0d6963f7d28e17f72");
	check("message digest", "f96b697d7cb7938d525a2f31aaf161d0");
	check("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b");
	check("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
	      "d174ab98d277d9f5a5611c2c9f419d9f");
	check("12345678901234567890123456789012345678901234567890123456789012345678901234567890",
	      "57edf4a22be3c955ac49da2e2107b67a");
}

/* lengths around the padding boundary (55, 56, 63, 64 bytes) */
Test(md5, padding_boundaries)
{
	check("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	      "ef1772b6dff9a122358552954ad0df65");
	check("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	      "3b0c8ac703f828b04c6c197006d17218");
	check("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	      "b06521f39153d618550606be297466d5");
	check("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	      "014842d480b571495a4a0363793f7367");
}

Test(md5, incremental_equals_one_shot)
{
	char data[1000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7 + 3);
	unsigned char a[MD5_DIGEST_LEN], b[MD5_DIGEST_LEN];
	md5_sum(data, sizeof(data), a);
	struct md5_ctx c;
	md5_init(&c);
	for (size_t off = 0, step = 1; off < sizeof(data); off += step, step = step * 3 % 97 + 1)
		md5_update(&c, data + off, off + step > sizeof(data) ? sizeof(data) - off : step);
	md5_final(&c, b);
	cr_assert(memcmp(a, b, MD5_DIGEST_LEN) == 0);
}
