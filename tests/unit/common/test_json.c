// SPDX-License-Identifier: Apache-2.0
#include <criterion/criterion.h>
#include <math.h>

#include "common/json.h"

Test(json, nesting_and_commas)
{
	struct buf b = BUF_INIT;
	struct json j;
	json_init(&j, &b);
	json_obj(&j);
	json_key(&j, "status");
	json_str(&j, "success");
	json_key(&j, "data");
	json_arr(&j);
	json_int(&j, 1);
	json_obj(&j);
	json_end(&j);
	json_arr(&j);
	json_end(&j);
	json_null(&j);
	json_bool(&j, true);
	json_end(&j);
	json_key(&j, "v");
	json_arr(&j);
	json_time(&j, 1435781451781);
	json_time(&j, 1435781451000);
	json_time(&j, 1435781451500);
	json_time(&j, -1500);
	json_float_str(&j, 1.5);
	json_float_str(&j, NAN);
	json_float_str(&j, -INFINITY);
	json_float_str(&j, 1e6);
	json_float_str(&j, 5e-7);
	json_float_str(&j, 1e-6);
	json_float_str(&j, 1e21);
	json_num(&j, INFINITY);
	json_end(&j);
	json_end(&j);
	cr_assert_str_eq(b.data, "{\"status\":\"success\",\"data\":[1,{},[],null,true],"
				 "\"v\":[1435781451.781,1435781451,1435781451.5,-2.5,"
				 "\"1.5\",\"NaN\",\"-Inf\",\"1000000\",\"5e-07\",\"0.000001\",\"1e+21\",null]}");
	buf_free(&b);
}

Test(json, string_escapes_like_go)
{
	struct buf b = BUF_INIT;
	const char s[] = "a\"b\\c\nd\x01<>&\xc3\xa9\xff\xe2\x80\xa8";
	json_put_string(&b, s, sizeof(s) - 1);
	cr_assert_str_eq(b.data, "\"a\\\"b\\\\c\\nd\\u0001\\u003c\\u003e\\u0026\xc3\xa9\xef\xbf\xbd\\u2028\"");
	buf_free(&b);
}
