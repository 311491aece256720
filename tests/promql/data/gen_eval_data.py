#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the OpenMetrics input of the PromQL differential test.

usage: gen_eval_data.py <out.om>

Deterministic (fixed seed).  Three hours from T0 = 1700000000 at a 15 s
interval, a few hundred series: counters with resets and gaps, series that
vanish (staleness-like), sparse series (every 5 minutes), gauges with
negative values and NaN, classic histograms (le buckets, _sum, _count),
summaries (quantile), two metric names with otherwise equal label sets
(label collisions), and label values with quotes, backslashes and UTF-8.
"""
import math
import random
import sys

T0 = 1700000000
END = T0 + 3 * 3600
STEP = 15


def fmt(v):
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(float(v)) if v != int(v) else str(int(v))


def labels(d):
    def esc(s):
        return s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return "{" + ",".join('%s="%s"' % (k, esc(v)) for k, v in d.items()) + "}" if d else ""


def main():
    rnd = random.Random(42)
    out = []

    def series(name, lbls, points):
        for t, v in points:
            out.append("%s%s %s %d" % (name, labels(lbls), fmt(v), t))

    times = list(range(T0, END + 1, STEP))

    # counters: http_requests_total
    for job in ("api", "web"):
        for inst in range(5):
            for code in ("200", "500"):
                for method in ("get", "post"):
                    rate = rnd.uniform(0.1, 20) * (0.05 if code == "500" else 1)
                    v = rnd.uniform(0, 1000)
                    pts = []
                    for t in times:
                        if inst == 4 and t > T0 + 2 * 3600:
                            break  # vanishes
                        if inst == 3 and T0 + 3600 < t < T0 + 3600 + 900:
                            continue  # a 15 minute gap
                        if inst == 1 and t == T0 + 3600:
                            v = rnd.uniform(0, 5)  # counter reset
                        v += rnd.uniform(0, 2 * rate) * STEP
                        pts.append((t, round(v, 3)))
                    series("http_requests_total",
                           {"code": code, "instance": "host%d:9100" % inst,
                            "job": job, "method": method}, pts)

    # node_cpu_seconds_total
    for inst in range(2):
        for cpu in range(4):
            for mode in ("idle", "user", "system", "iowait"):
                share = {"idle": 0.8, "user": 0.12, "system": 0.06, "iowait": 0.02}[mode]
                v = rnd.uniform(1000, 5000) * share
                pts = []
                for t in times:
                    v += STEP * share * rnd.uniform(0.5, 1.5)
                    pts.append((t, round(v, 2)))
                series("node_cpu_seconds_total",
                       {"cpu": str(cpu), "instance": "host%d:9100" % inst,
                        "job": "node", "mode": mode}, pts)

    # gauges
    for inst in range(3):
        v = 4e9
        pts = []
        for t in times:
            v = max(1e8, v + rnd.uniform(-5e7, 5e7))
            pts.append((t, round(v)))
        series("node_memory_MemAvailable_bytes",
               {"instance": "host%d:9100" % inst, "job": "node"}, pts)
        series("node_memory_MemTotal_bytes",
               {"instance": "host%d:9100" % inst, "job": "node"}, [(t, 8e9) for t in times])
    for inst in range(3):
        pts = []
        for i, t in enumerate(times):
            v = 10 * math.sin(i / 50.0) + rnd.uniform(-3, 3)
            if inst == 2 and i % 97 == 0:
                v = float("nan")
            pts.append((t, round(v, 4) if not math.isnan(v) else v))
        series("temperature_celsius", {"instance": "host%d:9100" % inst, "sensor": "s%d" % inst}, pts)

    # up, with a target that goes down for a while
    for inst in range(3):
        series("up", {"instance": "host%d:9100" % inst, "job": "node"},
               [(t, 0 if inst == 2 and T0 + 5400 < t < T0 + 6000 else 1) for t in times])

    # sparse: every 5 minutes (lookback edge), and one sample only
    series("sparse_gauge", {"instance": "a"}, [(t, (t - T0) / 300) for t in times if (t - T0) % 300 == 0])
    series("sparse_gauge", {"instance": "b"}, [(t, 7) for t in times if (t - T0) % 420 == 0])
    series("one_sample", {"instance": "a"}, [(T0 + 3600, 42)])

    # classic histogram
    bounds = ["0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"]
    for job in ("api", "web"):
        for inst in range(2):
            counts = [0.0] * len(bounds)
            total = 0.0
            s = 0.0
            hist = {b: [] for b in bounds}
            sums, cnts = [], []
            for t in times:
                n = rnd.randint(0, 30)
                for _ in range(n):
                    d = rnd.expovariate(4 if job == "api" else 1.5)
                    s += d
                    total += 1
                    for i, b in enumerate(bounds):
                        if d <= float(b):
                            counts[i] += 1
                if job == "web" and inst == 1 and t == T0 + 5400:
                    counts = [0.0] * len(bounds)  # reset
                    total = 0.0
                    s = 0.0
                for i, b in enumerate(bounds):
                    hist[b].append((t, counts[i]))
                sums.append((t, round(s, 4)))
                cnts.append((t, total))
            for b in bounds:
                series("request_duration_seconds_bucket",
                       {"instance": "host%d:9100" % inst, "job": job, "le": b}, hist[b])
            series("request_duration_seconds_sum", {"instance": "host%d:9100" % inst, "job": job}, sums)
            series("request_duration_seconds_count", {"instance": "host%d:9100" % inst, "job": job}, cnts)

    # summary
    for inst in range(2):
        for q in ("0.5", "0.9", "0.99"):
            series("rpc_duration_seconds", {"instance": "host%d:9100" % inst, "quantile": q},
                   [(t, round(float(q) * rnd.uniform(0.5, 1.5), 4)) for t in times])

    # label collisions: same labels apart from the name
    for name in ("collide_a", "collide_b"):
        for inst in range(2):
            series(name, {"instance": "host%d:9100" % inst, "job": "node"},
                   [(t, (t - T0) / 60.0 + inst + (name == "collide_b")) for t in times])

    # awkward label values
    series("weird_labels", {"path": 'a "quoted" \\ value', "utf": "grüße ✓"},
           [(t, 1) for t in times])
    series("weird_labels", {"path": "", "utf": "x"}, [(t, 2) for t in times])

    # integer counters for count_values and changes()
    for inst in range(4):
        series("build_version", {"instance": "host%d:9100" % inst},
               [(t, 1 + (inst % 2) + (1 if t > T0 + 7200 and inst == 0 else 0)) for t in times])

    out.append("# EOF")
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
