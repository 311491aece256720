#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Latency of typical dashboard queries: vigil-server's engine vs Prometheus 2.42.

usage: bench.py <vigil-api-serve> [--runs N] [--out results.md]

Writes two days of data at a 60 s interval (10 hosts: node_cpu_seconds_total
for 8 CPUs x 4 modes, http_requests_total by job/code/method, a classic
histogram with 8 buckets per job; about 560 series, 1.6 million samples),
backfills it once with `promtool tsdb create-blocks-from openmetrics` and
serves copies of the same blocks with Prometheus and with vigil-api-serve,
both on 127.0.0.1 in the same run.  Each query is sent once to warm up,
then N times (default 7) to each server alternately; the table gives the
median wall-clock latency of the HTTP request and the ratio.
Both answers are checked to be equal before timing.
"""
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "lib"))
from vigiltest import (PROMETHEUS, backfill_copies, free_port, require_prometheus,  # noqa: E402
                       start_server, stop, wait_ready)

T0 = 1700000000
DAYS = 2
END = T0 + DAYS * 86400
STEP = 60


def write_data(path):
    rnd = random.Random(7)
    times = range(T0, END + 1, STEP)
    with open(path, "w") as f:
        for h in range(10):
            inst = "host%02d:9100" % h
            for cpu in range(8):
                for mode, share in (("idle", 0.8), ("user", 0.12), ("system", 0.06), ("iowait", 0.02)):
                    v = 0.0
                    lab = '{cpu="%d",instance="%s",job="node",mode="%s"}' % (cpu, inst, mode)
                    for t in times:
                        v += STEP * share * (0.5 + rnd.random())
                        f.write("node_cpu_seconds_total%s %.2f %d\n" % (lab, v, t))
        for h in range(10):
            inst = "host%02d:9100" % h
            for job in ("api", "web"):
                for code in ("200", "404", "500"):
                    for method in ("get", "post"):
                        v = 0.0
                        lab = '{code="%s",instance="%s",job="%s",method="%s"}' % (code, inst, job, method)
                        for t in times:
                            v += STEP * rnd.random() * (10 if code == "200" else 0.5)
                            f.write("http_requests_total%s %.1f %d\n" % (lab, v, t))
        bounds = ("0.005", "0.01", "0.05", "0.1", "0.5", "1", "5", "+Inf")
        for h in range(10):
            inst = "host%02d:9100" % h
            for job in ("api", "web"):
                counts = [0.0] * len(bounds)
                rows = {b: [] for b in bounds}
                for t in times:
                    n = rnd.randint(50, 150)
                    for i in range(len(bounds)):
                        counts[i] += n * min(1.0, (i + 1) / (len(bounds) - 1))
                    for i, b in enumerate(bounds):
                        rows[b].append((t, counts[i]))
                for b in bounds:
                    lab = '{instance="%s",job="%s",le="%s"}' % (inst, job, b)
                    for t, v in rows[b]:
                        f.write("request_duration_seconds_bucket%s %.0f %d\n" % (lab, v, t))
        f.write("# EOF\n")


QUERIES = [
    ("rate + sum by, 2d at 60s", "query_range",
     {"query": 'sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[5m]))',
      "start": T0, "end": END, "step": 60}),
    ("sum by job of rate, 2d at 60s", "query_range",
     {"query": "sum by (job) (rate(http_requests_total[5m]))", "start": T0, "end": END, "step": 60}),
    ("CPU busy % per host, 2d at 60s", "query_range",
     {"query": '100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m])))',
      "start": T0, "end": END, "step": 60}),
    ("histogram_quantile, 2d at 60s", "query_range",
     {"query": "histogram_quantile(0.99, sum by (le) (rate(request_duration_seconds_bucket[5m])))",
      "start": T0, "end": END, "step": 60}),
    ("topk, 2d at 60s", "query_range",
     {"query": "topk(5, rate(http_requests_total[5m]))", "start": T0, "end": END, "step": 60}),
    ("instant sum by mode", "query",
     {"query": "sum by (mode) (rate(node_cpu_seconds_total[5m]))", "time": END}),
    ("label values (instance)", "label/instance/values", {}),
    ("label values with match[]", "label/mode/values",
     {"match[]": "node_cpu_seconds_total", "start": END - 3600, "end": END}),
    ("label names", "labels", {}),
    ("series", "series", {"match[]": 'http_requests_total{code="500"}', "start": END - 3600, "end": END}),
]


def get(base, ep, params):
    url = "%s/api/v1/%s?%s" % (base, ep, urllib.parse.urlencode(params))
    t = time.perf_counter()
    with urllib.request.urlopen(url, timeout=300) as r:
        body = r.read()
    return time.perf_counter() - t, body


def canon(body):
    j = json.loads(body)
    d = j.get("data")
    if isinstance(d, dict) and isinstance(d.get("result"), list):
        d["result"].sort(key=lambda r: sorted(r["metric"].items()))
    return j


def main():
    args = [a for a in sys.argv[1:]]
    runs, out = 7, None
    if "--runs" in args:
        runs = int(args[args.index("--runs") + 1])
    if "--out" in args:
        out = args[args.index("--out") + 1]
    serve = args[0]
    require_prometheus()
    work = tempfile.mkdtemp(prefix="vigil-promql-bench-")
    procs = []
    try:
        om = os.path.join(work, "data.om")
        write_data(om)
        _, (pdir, odir) = backfill_copies(om, work, ("prom", "ours"), ["--max-block-duration=24h"])
        os.unlink(om)
        cfg = os.path.join(work, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1h\n")
        pp, op = free_port(), free_port()
        procs.append(start_server(PROMETHEUS, cfg, pdir, pp, "--storage.tsdb.retention.time=100y"))
        procs.append(subprocess.Popen([serve, odir, "127.0.0.1:%d" % op],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        pbase, obase = "http://127.0.0.1:%d" % pp, "http://127.0.0.1:%d" % op
        wait_ready(pbase + "/-/ready", procs[0], "prometheus", 60)
        wait_ready(obase + "/-/ready", procs[1], "vigil-api-serve", 60)
        rows = []
        for name, ep, params in QUERIES:
            _, pb = get(pbase, ep, params)
            _, ob = get(obase, ep, params)
            same = canon(pb) == canon(ob)
            pt, ot = [], []
            for _ in range(runs):
                pt.append(get(pbase, ep, params)[0])
                ot.append(get(obase, ep, params)[0])
            pm, om_ = statistics.median(pt), statistics.median(ot)
            rows.append((name, pm * 1000, om_ * 1000, pm / om_ if om_ else float("inf"), same))
            print("%-34s prometheus %8.2f ms  vigil %8.2f ms  %5.2fx faster%s" %
                  (name, pm * 1000, om_ * 1000, pm / om_, "" if same else "  (ANSWERS DIFFER)"))
        ratios = [r[3] for r in rows]
        print("median speed-up %.2fx, slowest ratio %.2fx" % (statistics.median(ratios), min(ratios)))
        if out:
            with open(out, "w") as f:
                f.write("| query | Prometheus 2.42 (ms) | vigil (ms) | speed-up | same answer |\n")
                f.write("|---|---:|---:|---:|---|\n")
                for r in rows:
                    f.write("| %s | %.2f | %.2f | %.2fx | %s |\n" % (r[0], r[1], r[2], r[3], "yes" if r[4] else "NO"))
                f.write("\nmedian speed-up %.2fx, slowest ratio %.2fx\n" % (statistics.median(ratios), min(ratios)))
        return 0 if all(r[4] for r in rows) else 1
    finally:
        for p in procs:
            stop(p, 30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
