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
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


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
    prom = sys.argv[3] if len(sys.argv) > 3 else shutil.which("prometheus")
    if not prom or not os.path.exists(prom):
        print("SKIP: prometheus is not installed (apt-get install prometheus)")
        return 77

    ours = json.loads(subprocess.run([vigil, "--targets", config], check=True,
                                     stdout=subprocess.PIPE, text=True, timeout=30).stdout)
    want_total = len(ours["activeTargets"]) + len(ours["droppedTargets"])
    if want_total == 0:
        print("vigil found no targets at all")
        return 1

    tmp = tempfile.mkdtemp(prefix="vigil-targets-diff-")
    port = free_port()
    log = open(os.path.join(tmp, "prometheus.log"), "w")
    proc = subprocess.Popen([prom, "--config.file=" + config,
                             "--storage.tsdb.path=" + os.path.join(tmp, "data"),
                             "--web.listen-address=127.0.0.1:%d" % port],
                            stdout=log, stderr=subprocess.STDOUT)
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
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
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
