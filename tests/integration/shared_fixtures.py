# SPDX-License-Identifier: Apache-2.0
"""Skipping tests that read the shared fixtures when they are not there.

The node_exporter, cAdvisor, Docker and Grafana captures live beside the
clone in ../shared/fixtures (CMake passes ${VIGIL_SHARED_FIXTURES}/... on the
test's command line).  CI has that directory; a user's clone usually does not,
and there a test that reads it exits 77, which CTest reports as skipped when
the test has SKIP_RETURN_CODE 77.  The C unit tests do the same through
tests/unit/shared_fixtures.h.

    from shared_fixtures import shared_fixtures_or_skip
    shared_fixtures_or_skip(path)   # first thing main() does with the path
"""
import os
import sys

SKIP = 77


def shared_fixtures_or_skip(path):
    """Return path when it exists; otherwise print why and exit 77 (skipped)."""
    if os.path.exists(path):
        return path
    print(f"SKIP: shared fixture {path} not found (../shared/fixtures is not beside the "
          "clone; point -DVIGIL_SHARED_FIXTURES=<dir> at it): tests on "
          "node_exporter/cAdvisor/Docker/Grafana fixtures skipped", flush=True)
    sys.exit(SKIP)
