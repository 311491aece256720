#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Differential check of vigil's `check config` against Prometheus's promtool.

Usage: scrape_promtool_diff.py VIGIL_SCRAPE_CHECK CONFIGS_DIR [PROMTOOL]

Every *.yml under CONFIGS_DIR/good and CONFIGS_DIR/bad is checked by both
tools, run from the file's directory (relative paths in the configs are
relative to it, for both).  The test fails when the tools disagree on any
file, when a file in good/ is rejected, or when a file in bad/ is accepted.
Exit 77 (skip) only when promtool is not installed.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vigiltest import tool_or_skip  # noqa: E402


def run(cmd, cwd):
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=30)
    return p.returncode == 0, p.stdout.strip().replace("\n", " | ")


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    vigil = os.path.abspath(sys.argv[1])
    configs = os.path.abspath(sys.argv[2])
    promtool = tool_or_skip("promtool", sys.argv[3] if len(sys.argv) > 3 else None)

    failures = 0
    checked = 0
    for kind in ("good", "bad"):
        d = os.path.join(configs, kind)
        for name in sorted(os.listdir(d)):
            if not name.endswith(".yml"):
                continue
            checked += 1
            p_ok, p_out = run([promtool, "check", "config", name], d)
            v_ok, v_out = run([vigil, name], d)
            expect = kind == "good"
            status = "ok"
            if p_ok != v_ok:
                status = "DISAGREE"
            elif p_ok != expect:
                status = "MISPLACED (promtool %s a %s config)" % (
                    "accepts" if p_ok else "rejects", kind)
            if status != "ok":
                failures += 1
                print("%s %s/%s\n  promtool: %s\n  vigil:    %s" % (status, kind, name, p_out, v_out))
            else:
                print("ok %s/%s (%s)" % (kind, name, "accepted" if p_ok else "rejected"))
    print("%d configs, %d failures" % (checked, failures))
    if checked < 10:
        print("too few configs found under %s" % configs)
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
