/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil-server check config FILE`: what `promtool check config` (2.42)
 * checks, so the two accept the same configs: the config loads; rule files
 * without a glob exist; credential files named by authorization or
 * bearer_token_file exist; TLS client cert and key come together and exist;
 * every static target and every target in existing file_sd files populates
 * (address, port, interval and timeout labels after relabeling).
 */
#ifndef VIGIL_SCRAPE_CHECK_H
#define VIGIL_SCRAPE_CHECK_H

#include <stddef.h>

struct buf;

/*
 * Check the config at path.  Returns 0 when it is valid, with warnings
 * (missing file_sd files) appended to warnings as lines (may be NULL);
 * otherwise a negative errno and a one-line reason in err.
 */
int scrape_check_config(const char *path, struct buf *warnings, char *err, size_t errlen);
/*
 * Check each of the files as `promtool check config` does and print its
 * report on stdout ("Checking F", then " SUCCESS: ..." or "  FAILED: ...").
 * Returns 0 when all are valid, 1 otherwise (promtool's exit codes).
 */
int scrape_check_config_report(char **paths, int n);

#endif
