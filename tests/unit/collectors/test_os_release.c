// SPDX-License-Identifier: Apache-2.0
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/buf.h"
#include "common/expo.h"
#include "harness.h"

extern const struct collector collector_os;

static void *state;

/* Write <tree>/rel with text and the given mtime. */
static void put(const char *rel, const char *text, long mtime)
{
	char path[PATH_MAX];
	harness_put(rel, text);
	struct timeval tv[2] = {{mtime, 0}, {mtime, 0}};
	cr_assert_eq(utimes(harness_path(path, rel), tv), 0);
}

static void setup(void)
{
	harness_tree_new("os", HARNESS_ROOTFS);
	state = calloc(1, collector_os.state_size);
}

static void teardown(void)
{
	collector_os.cleanup(state);
	free(state);
	harness_tree_free();
}

TestSuite(os, .init = setup, .fini = teardown);

Test(os, quoting_comments_and_fallback)
{
	put("usr/lib/os-release",
	    "# a comment\n\nNAME=\"Ubuntu\"\nID=ubuntu\nID_LIKE=debian\n"
	    "PRETTY_NAME='Ubuntu 20.04.2 LTS'\nVERSION=\"20.04.2 LTS (Focal \\\"Fossa\\\")\"\n"
	    "VERSION_ID=\"20.04\"\nexport VERSION_CODENAME=focal   # trailing comment\n"
	    "SUPPORT_END=2025-05-31\nUNKNOWN_KEY=x\n",
	    1000);
	int rc;
	char *t = harness_scrape_text(&collector_os, state, &rc);
	cr_assert_eq(rc, 0);
	cr_assert_str_eq(
		t,
		"# HELP node_os_info A metric with a constant '1' value labeled by build_id, id, "
		"id_like, image_id, image_version, name, pretty_name, variant, variant_id, "
		"version, "
		"version_codename, version_id.\n# TYPE node_os_info gauge\n"
		"node_os_info{build_id=\"\",id=\"ubuntu\",id_like=\"debian\",image_id=\"\","
		"image_version=\"\",name=\"Ubuntu\",pretty_name=\"Ubuntu 20.04.2 "
		"LTS\",variant=\"\","
		"variant_id=\"\",version=\"20.04.2 LTS (Focal "
		"\\\"Fossa\\\")\",version_codename=\"focal\","
		"version_id=\"20.04\"} 1\n"
		"# HELP node_os_support_end_timestamp_seconds Metric containing the end-of-life "
		"date "
		"timestamp of the OS.\n# TYPE node_os_support_end_timestamp_seconds gauge\n"
		"node_os_support_end_timestamp_seconds 1.7486496e+09\n"
		"# HELP node_os_version Metric containing the major.minor part of the OS version.\n"
		"# TYPE node_os_version gauge\n"
		"node_os_version{id=\"ubuntu\",id_like=\"debian\",name=\"Ubuntu\"} 20.04\n");
	free(t);

	/* /etc/os-release wins; no VERSION_ID: no node_os_version */
	put("etc/os-release", "NAME=Arch\nID=arch\nBUILD_ID=rolling\n", 1000);
	t = harness_scrape_text(&collector_os, state, &rc);
	cr_assert_eq(rc, 0);
	cr_assert(strstr(t, "build_id=\"rolling\""));
	cr_assert(strstr(t, "name=\"Arch\""));
	cr_assert_null(strstr(t, "node_os_version"));
	free(t);
}

Test(os, reread_only_when_mtime_changes)
{
	put("etc/os-release", "NAME=one\nVERSION_ID=1.2.3\n", 1000);
	int rc;
	char *t = harness_scrape_text(&collector_os, state, &rc);
	cr_assert(strstr(t, "node_os_version{id=\"\",id_like=\"\",name=\"one\"} 1.2\n"), "%s", t);
	free(t);
	/* new content, same mtime: the cached parse is served */
	put("etc/os-release", "NAME=two\nVERSION_ID=7\n", 1000);
	t = harness_scrape_text(&collector_os, state, &rc);
	cr_assert(strstr(t, "name=\"one\""));
	free(t);
	put("etc/os-release", "NAME=two\nVERSION_ID=7\n", 2000);
	t = harness_scrape_text(&collector_os, state, &rc);
	cr_assert(strstr(t, "node_os_version{id=\"\",id_like=\"\",name=\"two\"} 7\n"), "%s", t);
	free(t);
}

Test(os, garbage_and_missing)
{
	int rc;
	char *t = harness_scrape_text(&collector_os, state, &rc);
	cr_assert_eq(rc, -ENOENT);
	free(t);
	put("etc/os-release", "NAME=\"unterminated\nID=x\n", 1000);
	t = harness_scrape_text(&collector_os, state, &rc);
	cr_assert_eq(rc, -EINVAL);
	free(t);
	put("etc/os-release", "this is not an assignment\n", 2000);
	t = harness_scrape_text(&collector_os, state, &rc);
	cr_assert_eq(rc, -EINVAL);
	free(t);
	put("etc/os-release", "NAME=ok\nSUPPORT_END=soon\n", 3000);
	t = harness_scrape_text(&collector_os, state, &rc);
	cr_assert_eq(rc, -EINVAL);
	free(t);
	/* valid again */
	put("etc/os-release", "NAME=ok\n", 4000);
	t = harness_scrape_text(&collector_os, state, &rc);
	cr_assert_eq(rc, 0);
	free(t);
}
