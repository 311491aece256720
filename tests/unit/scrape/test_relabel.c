// SPDX-License-Identifier: Apache-2.0
/* Relabeling actions; cases follow Prometheus 2.42's model/relabel tests (semantics, not code). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "server/scrape/relabel.h"

/* A rule from its fields; NULL keeps the default. src is comma-separated. */
static struct relabel_rule rule(enum relabel_action a, const char *src, const char *regex,
				const char *target, const char *replacement, uint64_t modulus)
{
	struct relabel_rule r;
	relabel_rule_init(&r);
	r.action = a;
	if (src) {
		char *tmp = strdup(src), *save = NULL;
		for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save))
			strlist_push(&r.source_labels, t);
		free(tmp);
		r.source_labels_set = true;
	}
	if (regex) {
		free(r.regex_src);
		r.regex_src = strdup(regex);
		r.regex_set = true;
	}
	if (target) {
		free(r.target_label);
		r.target_label = strdup(target);
	}
	if (replacement) {
		free(r.replacement);
		r.replacement = strdup(replacement);
	}
	r.modulus = modulus;
	char err[256];
	int rc = relabel_rule_prepare(&r, err, sizeof(err));
	cr_assert_eq(rc, 0, "prepare: %s", err);
	return r;
}

/* "a=foo,b=bar" into a label set */
static void lset(struct lset *ls, const char *spec)
{
	char *tmp = strdup(spec), *save = NULL;
	lset_clear(ls);
	for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');
		*eq = 0;
		lset_set(ls, t, eq + 1);
	}
	free(tmp);
}

static void expect(struct lset *ls, const char *want)
{
	struct lset w = LSET_INIT;
	struct buf got = BUF_INIT, exp = BUF_INIT;
	lset(&w, want);
	lset_format(ls, &got);
	lset_format(&w, &exp);
	cr_assert_str_eq(got.data, exp.data);
	lset_free(&w);
	buf_free(&got);
	buf_free(&exp);
}

/* Run rules on input; check output (NULL: expect a drop). */
static void run(const char *input, struct relabel_rule *rules, size_t n, const char *want)
{
	struct lset ls = LSET_INIT;
	lset(&ls, input);
	bool keep = relabel_process(&ls, rules, n);
	if (!want) {
		cr_assert_not(keep, "expected a drop of %s", input);
	} else {
		cr_assert(keep, "unexpected drop of %s", input);
		expect(&ls, want);
	}
	lset_free(&ls);
	for (size_t i = 0; i < n; i++)
		relabel_rule_free(&rules[i]);
}

Test(relabel, replace_with_braced_groups)
{
	struct relabel_rule r[] = {rule(RELABEL_REPLACE, "a", "f(.*)", "d", "ch${1}-ch${1}", 0)};
	run("a=foo,b=bar,c=baz", r, 1, "a=foo,b=bar,c=baz,d=choo-choo");
}

Test(relabel, replace_chain_and_separator)
{
	struct relabel_rule r[] = {
		rule(RELABEL_REPLACE, "a,b", "f(.*);(.*)r", "a", "b${1}${2}m", 0),
		rule(RELABEL_REPLACE, "c,a", "(b).*b(.*)ba(.*)", "d", "$1$2$2$3", 0),
	};
	run("a=foo,b=bar,c=baz", r, 2, "a=boobam,b=bar,c=baz,d=boooom");
}

Test(relabel, drop_and_keep)
{
	struct relabel_rule r1[] = {rule(RELABEL_DROP, "a", ".*o.*", NULL, NULL, 0),
				    rule(RELABEL_REPLACE, "a", "f(.*)", "d", "ch$1-ch$1", 0)};
	run("a=foo", r1, 2, NULL);
	struct relabel_rule r2[] = {rule(RELABEL_DROP, "a", "no-match", NULL, NULL, 0)};
	run("a=foo", r2, 1, "a=foo");
	/* anchored: f|o does not match all of foo */
	struct relabel_rule r3[] = {rule(RELABEL_DROP, "a", "f|o", NULL, NULL, 0)};
	run("a=foo", r3, 1, "a=foo");
	struct relabel_rule r4[] = {rule(RELABEL_KEEP, "a", "no-match", NULL, NULL, 0)};
	run("a=foo", r4, 1, NULL);
	struct relabel_rule r5[] = {rule(RELABEL_KEEP, "a", "f.*", NULL, NULL, 0)};
	run("a=foo", r5, 1, "a=foo");
	/* a missing source label is the empty string */
	struct relabel_rule r6[] = {rule(RELABEL_KEEP, "zz", "", NULL, NULL, 0)};
	run("a=foo", r6, 1, "a=foo");
}

Test(relabel, replace_partial_group_and_no_match)
{
	struct relabel_rule r1[] = {rule(RELABEL_REPLACE, "a", ".*(b).*", "d", "$1", 0)};
	run("a=abc", r1, 1, "a=abc,d=b");
	struct relabel_rule r2[] = {rule(RELABEL_REPLACE, "a", "f", "b", "bar", 0)};
	run("a=boo", r2, 1, "a=boo");
}

Test(relabel, replace_default_copies_value)
{
	/* defaults: regex (.*), replacement $1 */
	struct relabel_rule r[] = {rule(RELABEL_REPLACE, "a", NULL, "x", NULL, 0)};
	run("a=foo", r, 1, "a=foo,x=foo");
}

Test(relabel, replace_empty_result_deletes_target)
{
	struct relabel_rule r[] = {rule(RELABEL_REPLACE, "missing", NULL, "a", NULL, 0)};
	run("a=foo,b=bar", r, 1, "b=bar");
}

Test(relabel, replace_templated_target)
{
	struct relabel_rule r1[] = {
		rule(RELABEL_REPLACE, "a", "some-([^-]+)-([^,]+)", "${1}", "${2}", 0),
	};
	run("a=some-name-value", r1, 1, "a=some-name-value,name=value");
	struct relabel_rule r2[] = {
		rule(RELABEL_REPLACE, "a", "some-([^-]+)-([^,]+)", "${1}", "${3}", 0),
	};
	run("a=some-name-value", r2, 1, "a=some-name-value");
	struct relabel_rule r3[] = {
		rule(RELABEL_REPLACE, "a", "some-([^-]+)-([^,]+)", "${3}", "${1}", 0),
	};
	run("a=some-name-value", r3, 1, "a=some-name-value");
}

Test(relabel, replace_real_life_tags)
{
	struct relabel_rule r[] = {
		rule(RELABEL_REPLACE, "__meta_sd_tags", "(?:.+,|^)path:(/[^,]+).*",
		     "__metrics_path__", "${1}", 0),
		rule(RELABEL_REPLACE, "__meta_sd_tags", "(?:.+,|^)job:([^,]+).*", "job", "${1}", 0),
		rule(RELABEL_REPLACE, "__meta_sd_tags", "(?:.+,|^)label:([^=]+)=([^,]+).*", "${1}",
		     "${2}", 0),
	};
	struct lset ls = LSET_INIT;
	lset_set(&ls, "__meta_sd_tags", "path:/secret,job:some-job,label:foo=bar");
	cr_assert(relabel_process(&ls, r, 3));
	cr_assert_str_eq(lset_get(&ls, "__metrics_path__"), "/secret");
	cr_assert_str_eq(lset_get(&ls, "job"), "some-job");
	cr_assert_str_eq(lset_get(&ls, "foo"), "bar");
	cr_assert_eq(ls.n, 4);
	lset_free(&ls);
	for (int i = 0; i < 3; i++)
		relabel_rule_free(&r[i]);
}

Test(relabel, hashmod_matches_prometheus)
{
	struct relabel_rule r1[] = {rule(RELABEL_HASHMOD, "c", NULL, "d", NULL, 1000)};
	run("a=foo,b=bar,c=baz", r1, 1, "a=foo,b=bar,c=baz,d=976");
	struct relabel_rule r2[] = {rule(RELABEL_HASHMOD, "a", NULL, "b", NULL, 1000)};
	struct lset ls = LSET_INIT;
	lset_set(&ls, "a", "foo\nbar");
	cr_assert(relabel_process(&ls, r2, 1));
	cr_assert_str_eq(lset_get(&ls, "b"), "734");
	lset_free(&ls);
	relabel_rule_free(&r2[0]);
}

Test(relabel, labelmap)
{
	struct relabel_rule r1[] = {rule(RELABEL_LABELMAP, NULL, "(b.*)", NULL, "bar_${1}", 0)};
	run("a=foo,b1=bar,b2=baz", r1, 1, "a=foo,b1=bar,b2=baz,bar_b1=bar,bar_b2=baz");
	struct relabel_rule r2[] = {rule(RELABEL_LABELMAP, NULL, "__meta_(my.*)", NULL, "${1}", 0)};
	run("a=foo,__meta_my_bar=aaa,__meta_my_baz=bbb,__meta_other=ccc", r2, 1,
	    "a=foo,__meta_my_bar=aaa,__meta_my_baz=bbb,__meta_other=ccc,my_bar=aaa,my_baz=bbb");
}

Test(relabel, labelkeep_labeldrop)
{
	struct relabel_rule r1[] = {rule(RELABEL_LABELKEEP, NULL, "(b.*)", NULL, NULL, 0)};
	run("a=foo,b1=bar,b2=baz", r1, 1, "b1=bar,b2=baz");
	struct relabel_rule r2[] = {rule(RELABEL_LABELDROP, NULL, "(b.*)", NULL, NULL, 0)};
	run("a=foo,b1=bar,b2=baz", r2, 1, "a=foo");
}

Test(relabel, lowercase_uppercase)
{
	struct relabel_rule r[] = {rule(RELABEL_UPPERCASE, "foo", NULL, "foo_uppercase", NULL, 0),
				   rule(RELABEL_LOWERCASE, "foo", NULL, "foo_lowercase", NULL, 0)};
	run("foo=bAr123Foo", r, 2, "foo=bAr123Foo,foo_lowercase=bar123foo,foo_uppercase=BAR123FOO");
}

Test(relabel, case_mapping_is_unicode)
{
	struct relabel_rule r[] = {rule(RELABEL_LOWERCASE, "a", NULL, "lc", NULL, 0),
				   rule(RELABEL_UPPERCASE, "a", NULL, "uc", NULL, 0)};
	struct lset ls = LSET_INIT;
	lset_set(&ls, "a", "Straße ÄÖÜ Ωμέγα");
	cr_assert(relabel_process(&ls, r, 2));
	cr_assert_str_eq(lset_get(&ls, "lc"), "straße äöü ωμέγα");
	cr_assert_str_eq(lset_get(&ls, "uc"), "STRAßE ÄÖÜ ΩΜΈΓΑ");
	lset_free(&ls);
	relabel_rule_free(&r[0]);
	relabel_rule_free(&r[1]);
}

Test(relabel, keepequal_dropequal)
{
	const char *in = "__tmp_port=1234,__port1=1234,__port2=5678";
	struct relabel_rule r1[] = {
		rule(RELABEL_KEEPEQUAL, "__tmp_port", NULL, "__port1", NULL, 0)};
	run(in, r1, 1, in);
	struct relabel_rule r2[] = {
		rule(RELABEL_DROPEQUAL, "__tmp_port", NULL, "__port1", NULL, 0)};
	run(in, r2, 1, NULL);
	struct relabel_rule r3[] = {
		rule(RELABEL_DROPEQUAL, "__tmp_port", NULL, "__port2", NULL, 0)};
	run(in, r3, 1, in);
	struct relabel_rule r4[] = {
		rule(RELABEL_KEEPEQUAL, "__tmp_port", NULL, "__port2", NULL, 0)};
	run(in, r4, 1, NULL);
}

/* Go regexp.Expand corner cases */
static void expand_case(const char *regex, const char *subject, const char *tmpl, const char *want)
{
	char err[256];
	struct vregex *re = vregex_compile(regex, true, err, sizeof(err));
	cr_assert(re, "%s", err);
	size_t ov[2 * 16];
	int ng = vregex_exec(re, subject, strlen(subject), ov, 16);
	cr_assert(ng > 0);
	struct buf out = BUF_INIT;
	buf_puts(&out, "");
	relabel_expand(&out, re, tmpl, subject, ov, (size_t)ng);
	cr_assert_str_eq(out.data, want, "expand %s over %s", tmpl, subject);
	buf_free(&out);
	vregex_free(re);
}

Test(relabel, expand_like_go)
{
	expand_case("(a)(b)", "ab", "$1-$2", "a-b");
	expand_case("(a)(b)", "ab", "$$1", "$1");
	expand_case("(a)(b)", "ab", "$1x", ""); /* $1x names group "1x" */
	expand_case("(a)(b)", "ab", "${1}x", "ax");
	expand_case("(a)(b)", "ab", "$3", "");
	expand_case("(a)(b)", "ab", "$01", ""); /* leading zero: a name, not a number */
	expand_case("(a)(b)", "ab", "x$", "x$");
	expand_case("(a)(b)", "ab", "${1", "${1");
	expand_case("(a)(b)", "ab", "$-", "$-");
	expand_case("(?P<first>a)(?P<second>b)", "ab", "$second.${first}", "b.a");
	expand_case("(?P<first>a)(b)?", "a", "[$2]", "[]");
	expand_case("(.*)", "héllo", "<$1>", "<héllo>");
}

Test(relabel, prepare_rejects_like_prometheus)
{
	static const struct {
		enum relabel_action a;
		const char *target, *replacement, *sep;
		uint64_t mod;
		bool regex_set, src_set;
		const char *want;
	} cases[] = {
		{RELABEL_HASHMOD, "x", NULL, NULL, 0, false, false,
		 "relabel configuration for hashmod requires non-zero modulus"},
		{RELABEL_REPLACE, "", NULL, NULL, 0, false, false,
		 "relabel configuration for replace action requires 'target_label' value"},
		{RELABEL_REPLACE, "0bad", NULL, NULL, 0, false, false,
		 "\"0bad\" is invalid 'target_label' for replace action"},
		{RELABEL_HASHMOD, "${1}", NULL, NULL, 5, false, false,
		 "\"${1}\" is invalid 'target_label' for hashmod action"},
		{RELABEL_LOWERCASE, "x", "y", NULL, 0, false, false,
		 "'replacement' can not be set for lowercase action"},
		{RELABEL_LABELMAP, NULL, "a-b", NULL, 0, false, false,
		 "\"a-b\" is invalid 'replacement' for labelmap action"},
		{RELABEL_KEEPEQUAL, "x", NULL, NULL, 0, true, false,
		 "keepequal action requires only 'source_labels' and `target_label`, and no other "
		 "fields"},
		{RELABEL_LABELDROP, NULL, NULL, ",", 0, false, false,
		 "labeldrop action requires only 'regex', and no other fields"},
		{RELABEL_LABELKEEP, NULL, NULL, NULL, 0, false, true,
		 "labelkeep action requires only 'regex', and no other fields"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct relabel_rule r;
		char err[256] = "";
		relabel_rule_init(&r);
		r.action = cases[i].a;
		if (cases[i].target) {
			free(r.target_label);
			r.target_label = strdup(cases[i].target);
		}
		if (cases[i].replacement) {
			free(r.replacement);
			r.replacement = strdup(cases[i].replacement);
		}
		if (cases[i].sep) {
			free(r.separator);
			r.separator = strdup(cases[i].sep);
		}
		r.modulus = cases[i].mod;
		r.regex_set = cases[i].regex_set;
		r.source_labels_set = cases[i].src_set;
		cr_expect_eq(relabel_rule_prepare(&r, err, sizeof(err)), -EINVAL, "case %zu", i);
		cr_expect_str_eq(err, cases[i].want, "case %zu", i);
		relabel_rule_free(&r);
	}
}

Test(relabel, bad_regex)
{
	struct relabel_rule r;
	char err[256];
	relabel_rule_init(&r);
	free(r.regex_src);
	r.regex_src = strdup("(");
	cr_assert_eq(relabel_rule_prepare(&r, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "error parsing regexp"), "%s", err);
	relabel_rule_free(&r);
}

Test(relabel, action_names)
{
	enum relabel_action a;
	cr_assert_eq(relabel_action_parse("HashMod", &a), 0);
	cr_assert_eq(a, RELABEL_HASHMOD);
	cr_assert_eq(relabel_action_parse("replaces", &a), -EINVAL);
	cr_assert_str_eq(relabel_action_name(RELABEL_DROPEQUAL), "dropequal");
}
