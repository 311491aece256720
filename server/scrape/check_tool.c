// SPDX-License-Identifier: Apache-2.0
/*
 * vigil-scrape-check FILE...: a stand-alone `check config` for tests and for
 * the promtool differential check, printing as promtool does
 * ("Checking FILE", " SUCCESS: ..." or " FAILED: ...").  Exit 0 when every
 * file is valid, 1 otherwise.
 */
#include <stdio.h>

#include "common/buf.h"
#include "server/scrape/check.h"

int main(int argc, char **argv)
{
	int status = 0;
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct buf warnings = BUF_INIT;
		char err[1024];
		printf("Checking %s\n", argv[i]);
		if (scrape_check_config(argv[i], &warnings, err, sizeof(err)) < 0) {
			printf("  FAILED: %s\n\n", err);
			status = 1;
		} else {
			if (warnings.len)
				printf("  %s", warnings.data);
			printf(" SUCCESS: %s is valid\n\n", argv[i]);
		}
		buf_free(&warnings);
	}
	return status;
}
