#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Scrape benchmark: vigil-server against Prometheus 2.42, one after the other
in the same run, each scraping the same N targets x M series every second.

usage: run_bench.py VIGIL_SERVER [--prometheus /usr/bin/prometheus]
                    [--targets 100] [--series 1000] [--warmup 10] [--seconds 30]
                    [--vigil-only] [--perf perf.data]

Targets are one asyncio process listening on N loopback ports, each serving a
fixed exposition body from memory (M series in 10 families, with job-like
labels, values that change every request so chunks are not all-constant).
For each server: CPU seconds (utime+stime of /proc/PID/stat) over the
measurement window after the warm-up, CPU per scraped sample, peak RSS, and
the scrape latency it reports itself (scrape_duration_seconds: mean and max
over all targets in the window).  Prints a Markdown table.

--vigil-only skips Prometheus; --perf FILE records `perf record -g` of
vigil-server over the measurement window into FILE (for profiling; the
recording costs the server nothing, perf's own CPU is not counted).
"""
import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "lib"))
from vigiltest import cpu_seconds, status_kb, stop, wait_ready  # noqa: E402

TARGET_SERVER = r'''
import asyncio, sys
ports = [int(p) for p in sys.argv[2:]]
nseries = int(sys.argv[1])
fams = 10
per = nseries // fams
head = []
for f in range(fams):
    head.append(b"# HELP bench_metric_%d_total A benchmark counter.\n# TYPE bench_metric_%d_total counter\n" % (f, f))
lines = []
for f in range(fams):
    for i in range(per):
        lines.append((f, b'bench_metric_%d_total{instance_id="%d",path="/api/v1/resource/%d",method="GET",code="200"} ' % (f, i, i)))
counter = [0]
def body():
    counter[0] += 1
    c = counter[0]
    out = []
    last = -1
    for f, prefix in lines:
        if f != last:
            out.append(head[f]); last = f
        out.append(prefix + b"%d\n" % (c + f))
    return b"".join(out)
async def handle(reader, writer):
    try:
        while True:
            req = await reader.readuntil(b"\r\n\r\n")
            b = body()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: %d\r\n\r\n" % len(b) + b)
            await writer.drain()
    except Exception:
        writer.close()
async def main():
    for p in ports:
        await asyncio.start_server(handle, "127.0.0.1", p)
    print("ready", flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
'''


def free_ports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def query(base, q):
    u = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": q})
    with urllib.request.urlopen(u, timeout=30) as r:
        res = json.load(r)["data"]["result"]
    return float(res[0]["value"][1]) if res else float("nan")


def run_one(name, argv, port, args, tmp):
    base = f"http://127.0.0.1:{port}"
    log = open(os.path.join(tmp, name + ".log"), "w")
    p = subprocess.Popen(argv, stderr=log, stdout=log)
    try:
        wait_ready(base + "/-/ready", p, "server", 60, timeout=1, interval=0.2, exc=SystemExit,
                   late="server not ready")
        time.sleep(args.warmup)
        perf = None
        if args.perf and name == "vigil-server":
            perf = subprocess.Popen(["perf", "record", "-g", "-q", "-o", args.perf, "-p", str(p.pid)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        c0, t0 = cpu_seconds(p.pid), time.time()
        peak = 0.0
        while time.time() - t0 < args.seconds:
            time.sleep(1)
            peak = max(peak, status_kb(p.pid, "VmRSS") / 1024)
        c1, t1 = cpu_seconds(p.pid), time.time()
        if perf:
            perf.send_signal(2)
            perf.wait(timeout=60)
        win = int(t1 - t0)
        scrapes = query(base, f'sum(count_over_time(up{{job="bench"}}[{win}s]))')
        ups = query(base, f'sum(sum_over_time(up{{job="bench"}}[{win}s]))')
        samples = query(base, f'sum(sum_over_time(scrape_samples_scraped{{job="bench"}}[{win}s]))')
        lat_mean = query(base, f'avg(avg_over_time(scrape_duration_seconds{{job="bench"}}[{win}s]))')
        lat_max = query(base, f'max(max_over_time(scrape_duration_seconds{{job="bench"}}[{win}s]))')
        cpu = c1 - c0
        return {
            "name": name, "cpu_s": cpu, "window_s": t1 - t0, "cpu_pct": 100 * cpu / (t1 - t0),
            "scrapes": scrapes, "up": ups, "samples": samples,
            "us_per_sample": 1e6 * cpu / samples if samples else float("nan"),
            "lat_mean_ms": 1000 * lat_mean, "lat_max_ms": 1000 * lat_max, "rss_mb": peak,
        }
    finally:
        stop(p, 30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("vigil_server")
    ap.add_argument("--prometheus", default="/usr/bin/prometheus")
    ap.add_argument("--targets", type=int, default=100)
    ap.add_argument("--series", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--vigil-only", action="store_true", help="do not run Prometheus")
    ap.add_argument("--perf", metavar="FILE", help="perf record -g vigil-server into FILE")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="vigil-scrape-bench-")
    ports = free_ports(args.targets + 2)
    tports, sport = ports[:args.targets], ports[-1]
    ts = subprocess.Popen([sys.executable, "-c", TARGET_SERVER, str(args.series)] + [str(p) for p in tports],
                          stdout=subprocess.PIPE)
    try:
        assert ts.stdout.readline().strip() == b"ready"
        cfg = os.path.join(tmp, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n"
                    "  - job_name: bench\n    static_configs:\n      - targets:\n")
            for p in tports:
                f.write(f"          - 127.0.0.1:{p}\n")
        results = []
        results.append(run_one("vigil-server", [args.vigil_server, f"--config.file={cfg}",
                                                f"--web.listen-address=127.0.0.1:{sport}",
                                                f"--storage.tsdb.path={tmp}/vigil"], sport, args, tmp))
        if not args.vigil_only and os.access(args.prometheus, os.X_OK):
            results.append(run_one("prometheus 2.42", [args.prometheus, f"--config.file={cfg}",
                                                       f"--web.listen-address=127.0.0.1:{sport}",
                                                       f"--storage.tsdb.path={tmp}/prom"], sport, args, tmp))
        print(f"\n{args.targets} targets x {args.series} series, 1s interval, "
              f"{args.seconds}s window after {args.warmup}s warm-up, {os.cpu_count()} CPUs\n")
        print("| server | CPU % of one core | CPU µs / scraped sample | scrapes (up) | "
              "scrape latency mean / max | peak RSS |")
        print("|---|---|---|---|---|---|")
        for r in results:
            print(f"| {r['name']} | {r['cpu_pct']:.1f} | {r['us_per_sample']:.3f} | "
                  f"{r['scrapes']:.0f} ({r['up']:.0f}) | {r['lat_mean_ms']:.2f} / {r['lat_max_ms']:.2f} ms | "
                  f"{r['rss_mb']:.0f} MB |")
        if len(results) == 2:
            print(f"\nCPU per sample, vigil-server / Prometheus: "
                  f"{results[0]['us_per_sample'] / results[1]['us_per_sample']:.2f}")
    finally:
        ts.terminate()
        ts.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
