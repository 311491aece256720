#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Target population side by side with Prometheus.

Usage: scrape_targets_diff.py VIGIL_SCRAPE_CHECK CONFIG [PROMETHEUS]

Starts the real Prometheus on a free loopback port with CONFIG (and a
temporary TSDB), reads /api/v1/targets, and compares it with
`vigil-scrape-check --targets CONFIG`: for every active target the scrape
pool, discovered labels, target labels and scrape URL; for every dropped
target its discovered labels.  Prometheus is stopped by its PID.  Exit 77
(skip) only when the prometheus binary is not installed.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vigiltest import free_port, start_server, stop, tool_or_skip  # noqa: E402


def normalize(data):
    active = sorted(json.dumps({k: t.get(k) for k in
                                ("scrapePool", "discoveredLabels", "labels", "scrapeUrl")},
                               sort_keys=True) for t in data["activeTargets"])
    dropped = sorted(json.dumps(t["discoveredLabels"], sort_keys=True)
                     for t in data["droppedTargets"])
    return active, dropped


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    vigil = os.path.abspath(sys.argv[1])
    config = os.path.abspath(sys.argv[2])
    prom = tool_or_skip("prometheus", sys.argv[3] if len(sys.argv) > 3 else None)

    ours = json.loads(subprocess.run([vigil, "--targets", config], check=True,
                                     stdout=subprocess.PIPE, text=True, timeout=30).stdout)
    want_total = len(ours["activeTargets"]) + len(ours["droppedTargets"])
    if want_total == 0:
        print("vigil found no targets at all")
        return 1

    tmp = tempfile.mkdtemp(prefix="vigil-targets-diff-")
    port = free_port()
    proc = start_server(prom, config, os.path.join(tmp, "data"), port,
                        log=os.path.join(tmp, "prometheus.log"))
    theirs = None
    try:
        deadline = time.time() + 60
        last_total, stable_since = -1, time.time()
        while time.time() < deadline:
            if proc.poll() is not None:
                print("prometheus exited with %d" % proc.returncode)
                break
            try:
                with urllib.request.urlopen(
                        "http://127.0.0.1:%d/api/v1/targets" % port, timeout=5) as r:
                    data = json.load(r)["data"]
                total = len(data["activeTargets"]) + len(data["droppedTargets"])
                if total != last_total:
                    last_total, stable_since = total, time.time()
                elif total >= want_total and time.time() - stable_since > 2:
                    theirs = data
                    break
            except OSError:
                pass
            time.sleep(0.3)
    finally:
        stop(proc, 20)
    if theirs is None:
        print("no stable target list from prometheus; log:")
        print(open(os.path.join(tmp, "prometheus.log")).read()[-3000:])
        shutil.rmtree(tmp, ignore_errors=True)
        return 1
    shutil.rmtree(tmp, ignore_errors=True)

    oa, od = normalize(ours)
    ta, td = normalize(theirs)
    failures = 0
    for name, o, t in (("active", oa, ta), ("dropped", od, td)):
        for x in sorted(set(t) - set(o)):
            print("%s only in prometheus: %s" % (name, x))
            failures += 1
        for x in sorted(set(o) - set(t)):
            print("%s only in vigil:      %s" % (name, x))
            failures += 1
        if not failures and o != t:
            print("%s: same targets, different multiplicity" % name)
            failures += 1
    print("%d active, %d dropped targets compared, %d differences" % (len(ta), len(td), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
