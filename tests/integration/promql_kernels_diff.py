#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Differential test of Vigil's PromQL evaluation kernels against Prometheus.

usage: promql_kernels_diff.py <vigil-promql-kernels> [prometheus] [promtool]

Writes three hours of generated data (steady, resetting, jittered and gappy
counters, gauges with negatives and NaN, classic histogram buckets, unix
timestamps) as OpenMetrics, backfills it with `promtool tsdb
create-blocks-from openmetrics`, starts Prometheus on 127.0.0.1:<free port>
over those blocks, and for many evaluation times and ranges compares:
  * fn(series[range]) from Prometheus with the kernel run on the raw samples
    Prometheus returns for series[range] at the same time (rate, increase,
    delta, irate, idelta, deriv, predict_linear, resets, changes, the
    *_over_time family, quantile_over_time, holt_winters);
  * aggregations (sum, avg, min, max, count, stddev, stdvar, quantile) of the
    instant vector with the kernel folding the same values in the same order;
  * histogram_quantile over the instant bucket values;
  * per-element math and date functions.
Values must be identical to the last bit (NaN equals NaN), except the
transcendental functions Go implements itself (ULP_FNS), where 2 ulp pass.

Exit status: 0 all agree, 1 a difference, 77 Prometheus or promtool cannot run.
"""
import math
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vigiltest import api_json, free_port, om_float, start_server, stop, wait_http  # noqa: E402

RANGE_FNS = ["rate", "increase", "delta", "irate", "idelta", "deriv", "predict_linear",
             "resets", "changes", "avg_over_time", "sum_over_time", "min_over_time",
             "max_over_time", "count_over_time", "stddev_over_time", "stdvar_over_time",
             "last_over_time", "quantile_over_time", "holt_winters"]
AGGS = ["sum", "avg", "min", "max", "count", "stddev", "stdvar", "quantile"]
MATH = ["abs", "ceil", "floor", "exp", "sqrt", "ln", "log2", "log10", "sin", "cos", "tan",
        "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "deg",
        "rad", "sgn", "round"]
DATES = ["year", "month", "day_of_month", "day_of_year", "day_of_week", "days_in_month",
         "hour", "minute"]


# Go implements these itself (Cephes-style sin/cos/tan/atan, its own Exp on
# amd64); glibc's results may differ in the last bit or two.  Everything else
# must be bit-identical.
ULP_FNS = {"sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh",
           "acosh", "atanh", "exp", "log2"}


def ulps(a, b):
    """Distance of two finite doubles in units in the last place."""
    if math.isnan(a) or math.isnan(b) or math.isinf(a) or math.isinf(b):
        return float("inf")

    def key(x):
        i = struct.unpack("<q", struct.pack("<d", x))[0]
        return i if i >= 0 else -(i & 0x7fffffffffffffff)
    return abs(key(a) - key(b))


def generate(path, t0, hours=3):
    """OpenMetrics text of the test data; returns the series selectors."""
    rnd = random.Random(42)
    end = t0 + hours * 3600
    out = []

    def family(name, series):
        out.append("# TYPE %s gauge" % name)
        for labels, samples in series:
            for t, v in samples:
                out.append("%s{%s} %s %.3f" % (name, labels, om_float(v), t))

    def times(step, jitter=0.0, gaps=()):
        t = t0
        while t < end:
            if not any(a <= t - t0 < b for a, b in gaps):
                yield t + (rnd.uniform(-jitter, jitter) if jitter else 0)
            t += step

    counters = []
    for name, kw, reset_every in [("steady", {}, None), ("resets", {}, 1200),
                                  ("jitter", {"jitter": 3.0}, None),
                                  ("gaps", {"gaps": [(1800, 2400), (5000, 5100)]}, 2000),
                                  ("sparse", {}, None)]:
        step = 60 if name == "sparse" else 15
        v, samples, last_reset = rnd.uniform(0, 50), [], t0
        for t in times(step, **kw):
            if reset_every and t - last_reset > reset_every:
                v, last_reset = rnd.uniform(0, 3), t
            v += rnd.choice([0, 0, 1, 2, 5, 0.25])
            samples.append((t, v))
        counters.append(('s="%s"' % name, samples))
    family("c_total", counters)

    gauges = []
    for i in range(8):
        v, samples = rnd.uniform(-10, 10), []
        for t in times(15):
            v += rnd.gauss(0, 2)
            x = v
            if i == 7 and rnd.random() < 0.05:
                x = float("nan")
            samples.append((t, x))
        gauges.append(('s="g%d"' % i, samples))
    family("g", gauges)

    bounds = ["0.1", "0.5", "1", "5", "+Inf"]
    counts = [0.0] * len(bounds)
    buckets = [[] for _ in bounds]
    for t in times(15):
        obs = [rnd.expovariate(1.5) for _ in range(rnd.randint(0, 6))]
        for i, b in enumerate(bounds):
            counts[i] += sum(1 for o in obs if b == "+Inf" or o <= float(b))
            buckets[i].append((t, counts[i]))
    family("h_bucket", [('le="%s"' % b, buckets[i]) for i, b in enumerate(bounds)])

    family("ts", [('s="t%d"' % i, [(t, rnd.uniform(-2.2e9, 4.2e9)) for t in times(15)])
                  for i in range(3)])
    out.append("# EOF")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    return ['c_total{s="%s"}' % n for n in ("steady", "resets", "jitter", "gaps", "sparse")] + \
        ['g{s="g0"}', 'g{s="g7"}']


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    kernels = sys.argv[1]
    prom = sys.argv[2] if len(sys.argv) > 2 else shutil.which("prometheus") or "/usr/bin/prometheus"
    promtool = sys.argv[3] if len(sys.argv) > 3 else shutil.which("promtool") or "/usr/bin/promtool"
    for b in (prom, promtool):
        if not os.access(b, os.X_OK):
            print("SKIP: %s is missing (apt-get install prometheus)" % b)
            return 77

    tmp = tempfile.mkdtemp(prefix="vigil-kernels-diff-")
    proc = None
    try:
        t0 = (int(time.time()) // 3600 - 4) * 3600  # whole hours, within retention
        om = os.path.join(tmp, "data.om")
        selectors = generate(om, t0)
        data = os.path.join(tmp, "data")
        r = subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", om, data],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        if r.returncode != 0:
            print("SKIP: promtool could not backfill:\n" + r.stdout.decode()[-2000:])
            return 77
        cfg = os.path.join(tmp, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("scrape_configs: []\n")
        port = free_port()
        proc = start_server(prom, cfg, data, port, "--log.level=warn",
                            log=os.path.join(tmp, "prometheus.log"))
        base = "http://127.0.0.1:%d" % port
        wait_http(base + "/-/ready", proc, 30, timeout=2, interval=0.2)
        if proc.poll() is not None:
            print("SKIP: prometheus did not start")
            return 77

        def query(q, t):
            _, body = api_json(base + "/api/v1/query", {"query": q, "time": "%.3f" % t})
            if body.get("status") != "success":
                raise RuntimeError("%s at %.3f: %s" % (q, t, body.get("error")))
            return body["data"]["result"]

        requests, checks = [], []
        rnd = random.Random(7)
        eval_times = [t0 + 1800, t0 + 3600 + 17.5, t0 + 5400 + 0.123, t0 + 7200 + 59,
                      t0 + 9000 + 7.77, t0 + 10500]
        for t in eval_times:
            for sel in selectors:
                for rng in ("1m", "5m", "17m", "1h"):
                    raw = query("%s[%s]" % (sel, rng), t)
                    samples = [(round(float(ts) * 1000), float(v))
                               for ts, v in (raw[0]["values"] if raw else [])]
                    secs = {"1m": 60, "5m": 300, "17m": 1020, "1h": 3600}[rng]
                    eval_ms = round(t * 1000)
                    for fn in RANGE_FNS:
                        a1, a2, expr = 0, 0, "%s(%s[%s])" % (fn, sel, rng)
                        if fn == "predict_linear":
                            a1 = 600
                            expr = "predict_linear(%s[%s], 600)" % (sel, rng)
                        elif fn == "quantile_over_time":
                            a1 = rnd.choice([0, 0.25, 0.5, 0.9, 1])
                            expr = "quantile_over_time(%s, %s[%s])" % (a1, sel, rng)
                        elif fn == "holt_winters":
                            a1, a2 = 0.3, 0.6
                            expr = "holt_winters(%s[%s], 0.3, 0.6)" % (sel, rng)
                        req = "R %s %d %d %d %s %s %d %s" % (
                            fn, eval_ms - secs * 1000, eval_ms, eval_ms, a1, a2, len(samples),
                            " ".join("%d %s" % (ts, om_float(v)) for ts, v in samples))
                        requests.append(req)
                        checks.append((expr, t))
            # aggregations over the gauges, in Prometheus's input order
            inst = query("g", t)
            vals = [float(s["value"][1]) for s in inst]
            for op in AGGS:
                expr = "%s(g)" % op
                param = 0
                if op == "quantile":
                    param = rnd.choice([0.1, 0.5, 0.99])
                    expr = "quantile(%s, g)" % param
                requests.append("A %s %s %d %s" % (op, param, len(vals),
                                                   " ".join(om_float(v) for v in vals)))
                checks.append((expr, t))
            buckets = query("h_bucket", t)
            for q in (0, 0.25, 0.5, 0.9, 0.99, 1):
                requests.append("H %s %d %s" % (q, len(buckets), " ".join(
                    "%s %s" % (b["metric"]["le"], b["value"][1]) for b in buckets)))
                checks.append(("histogram_quantile(%s, h_bucket)" % q, t))
            # histogram_quantile over per-bucket rates, as dashboards use it: two rounds
            # through the kernels (rate per bucket, then the quantile)
            rates = []
            for b in buckets:
                le = b["metric"]["le"]
                raw = query('h_bucket{le="%s"}[5m]' % le, t)
                samples = [(round(float(ts) * 1000), float(v)) for ts, v in raw[0]["values"]]
                eval_ms = round(t * 1000)
                rates.append((le, "R rate %d %d %d 0 0 %d %s" % (
                    eval_ms - 300000, eval_ms, eval_ms, len(samples),
                    " ".join("%d %s" % (ts, om_float(v)) for ts, v in samples))))
            rated = subprocess.run([kernels], input="\n".join(r for _, r in rates).encode() + b"\n",
                                   stdout=subprocess.PIPE, timeout=60, check=True).stdout.decode()
            pairs = [(le, v) for (le, _), v in zip(rates, rated.splitlines()) if v != "none"]
            for q in (0.5, 0.9, 0.99):
                requests.append("H %s %d %s" % (q, len(pairs), " ".join(
                    "%s %s" % (le, v) for le, v in pairs)))
                checks.append(("histogram_quantile(%s, rate(h_bucket[5m]))" % q, t))
            for s in inst:
                v = s["value"][1]
                sel = 'g{s="%s"}' % s["metric"]["s"]
                for fn in MATH:
                    arg = 0.3 if fn == "round" else 0
                    expr = "round(%s, 0.3)" % sel if fn == "round" else "%s(%s)" % (fn, sel)
                    requests.append("M %s %s %s" % (fn, arg, v))
                    checks.append((expr, t))
            for s in query("ts", t):
                sel = 'ts{s="%s"}' % s["metric"]["s"]
                for fn in DATES:
                    requests.append("M %s 0 %s" % (fn, s["value"][1]))
                    checks.append(("%s(%s)" % (fn, sel), t))

        out = subprocess.run([kernels], input="\n".join(requests).encode() + b"\n",
                             stdout=subprocess.PIPE, timeout=300, check=True).stdout.decode()
        ours = out.splitlines()
        if len(ours) != len(requests):
            print("FAIL: %d answers for %d requests" % (len(ours), len(requests)))
            return 1
        failures, near = 0, 0
        for (expr, t), mine in zip(checks, ours):
            res = query(expr, t)
            theirs = "none" if not res else res[0]["value"][1]
            same = theirs == mine
            if not same and theirs != "none" and mine != "none" and not mine.startswith("error"):
                a, b = float(theirs), float(mine)
                same = a == b or (math.isnan(a) and math.isnan(b))
                if not same and expr.split("(")[0] in ULP_FNS and ulps(a, b) <= 2:
                    near += 1  # Go's own math library, not glibc's: see ULP_FNS
                    continue
            if not same:
                failures += 1
                if failures <= 40:
                    print("FAIL %s at %.3f: prometheus %s, vigil %s" % (expr, t, theirs, mine))
        print("%d comparisons: %d identical, %d within 2 ulp (transcendental functions), "
              "%d differ" % (len(checks), len(checks) - near - failures, near, failures))
        return 1 if failures else 0
    finally:
        stop(proc, 15)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
