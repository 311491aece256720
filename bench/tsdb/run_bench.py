#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Benchmark vigil's TSDB against Prometheus 2.42 fed the same samples.

For each series count N:
  * vigil: vigil-tsdb-bench ingests N series x R rounds through the
    appender API (2 threads, 1000-sample commits), reports CPU, resident
    memory added per series, then cuts blocks and reports bytes per sample.
  * Prometheus 2.42 (/usr/bin/prometheus, no scrape targets,
    --web.enable-remote-write-receiver) receives the very same samples
    (same labels, values, timestamps) through remote write, round by round,
    1000 series per request.  We read its CPU time (/proc/<pid>/stat) over
    the ingest and its resident memory (VmRSS) before and after.  The CPU
    figure includes decoding remote-write requests (protobuf + snappy),
    which our figure does not: it favours us, see README.md.
  * bytes per sample on disk: `promtool tsdb create-blocks-from openmetrics`
    on the same samples vs `vigil-tsdb-tool create-blocks-from openmetrics`
    (Prometheus's head cuts chunks the same way, so this is the like-for-like
    comparison), plus vigil's own head-to-block figure.

Usage: run_bench.py BUILD_BIN_DIR [--series 100000,1000000] [--rounds 60]
Prints a JSON line per measurement and a Markdown table at the end.
"""
import ctypes
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "lib"))
from vigiltest import (PROMETHEUS, PROMTOOL, cpu_seconds, free_port, start_server,  # noqa: E402
                       status_kb, stop, wait_http)

INTERVAL = 15000

snappy = ctypes.CDLL("libsnappy.so.1")
snappy.snappy_max_compressed_length.restype = ctypes.c_size_t
snappy.snappy_max_compressed_length.argtypes = [ctypes.c_size_t]


def snappy_compress(data):
    out_len = ctypes.c_size_t(snappy.snappy_max_compressed_length(len(data)))
    out = ctypes.create_string_buffer(out_len.value)
    if snappy.snappy_compress(data, ctypes.c_size_t(len(data)), out, ctypes.byref(out_len)):
        raise RuntimeError("snappy")
    return out.raw[:out_len.value]


def uvarint(x):
    out = bytearray()
    while x >= 0x80:
        out.append((x & 0x7f) | 0x80)
        x >>= 7
    out.append(x)
    return bytes(out)


def field_bytes(num, data):
    return uvarint(num << 3 | 2) + uvarint(len(data)) + data


def value(i, r):
    if i % 4 == 0:
        return ((i * 7919 + r * 104729) % 1000) / 10.0
    return float(r * (i % 17 + 1))


def labels_of(i):
    return [("__name__", "bench_metric_%d" % (i % 50)), ("instance", "host-%d" % (i // 50)),
            ("job", "bench"), ("shard", "%d" % (i % 7))]


def label_bytes(i):
    return b"".join(field_bytes(1, field_bytes(1, n.encode()) + field_bytes(2, v.encode()))
                    for n, v in labels_of(i))


def bench_prometheus(n, rounds, start, work):
    d = os.path.join(work, "prom")
    cfg = os.path.join(work, "p.yml")
    with open(cfg, "w") as f:
        f.write("global:\n  scrape_interval: 1h\n")
    port = free_port()
    proc = start_server(PROMETHEUS, cfg, d, port, "--web.enable-remote-write-receiver",
                        log=os.path.join(work, "prom.log"))
    try:
        wait_http("http://127.0.0.1:%d/-/ready" % port, proc, 30, timeout=1)
        time.sleep(2)
        rss0, cpu0 = status_kb(proc.pid, "VmRSS"), cpu_seconds(proc.pid)
        lbl = [label_bytes(i) for i in range(n)]
        url = "http://127.0.0.1:%d/api/v1/write" % port
        hdr = {"Content-Encoding": "snappy", "Content-Type": "application/x-protobuf",
               "X-Prometheus-Remote-Write-Version": "0.1.0"}
        client_s = 0.0
        for r in range(rounds):
            ts = uvarint(start + r * INTERVAL)
            for lo in range(0, n, 1000):
                c0 = time.process_time()
                body = b"".join(
                    field_bytes(1, lbl[i] + field_bytes(
                        2, b"\x09" + struct.pack("<d", value(i, r)) + b"\x10" + ts))
                    for i in range(lo, min(n, lo + 1000)))
                req = urllib.request.Request(url, data=snappy_compress(body), headers=hdr)
                client_s += time.process_time() - c0
                with urllib.request.urlopen(req, timeout=60) as resp:
                    if resp.status // 100 != 2:
                        raise RuntimeError("remote write status %d" % resp.status)
        cpu1, rss1 = cpu_seconds(proc.pid), status_kb(proc.pid, "VmRSS")
        heap = 0
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port) as resp:
            for line in resp.read().decode().splitlines():
                if line.startswith("go_memstats_heap_inuse_bytes "):
                    heap = float(line.split()[1])
        return {"series": n, "samples": n * rounds, "cpu_s": cpu1 - cpu0,
                "cpu_s_per_million": (cpu1 - cpu0) / (n * rounds) * 1e6,
                "rss_before_kb": rss0, "rss_after_kb": rss1,
                "bytes_per_series": (rss1 - rss0) * 1024.0 / n,
                "go_heap_inuse_bytes": heap, "client_cpu_s": client_s}
    finally:
        stop(proc, 60)


def bench_disk(bindir, work, n=10000, rounds=480, start=1700006400000):
    """Same OpenMetrics samples backfilled by promtool and by us."""
    inp = os.path.join(work, "in.om")
    with open(inp, "w") as f:
        for r in range(rounds):
            t = (start + r * INTERVAL) / 1000.0
            for i in range(n):
                ls = labels_of(i)
                f.write("%s{%s} %r %.3f\n" % (ls[0][1], ",".join('%s="%s"' % kv for kv in ls[1:]),
                                              value(i, r), t))
        f.write("# EOF\n")
    res = {}
    for who, cmd in (("prometheus", [PROMTOOL, "tsdb", "create-blocks-from", "openmetrics"]),
                     ("vigil", [os.path.join(bindir, "vigil-tsdb-tool"), "create-blocks-from",
                                "openmetrics"])):
        out = os.path.join(work, "disk-" + who)
        subprocess.run(cmd + [inp, out], check=True, capture_output=True, timeout=1800)
        size = 0
        for root, _, files in os.walk(out):
            for fn in files:
                size += os.path.getsize(os.path.join(root, fn))
        res[who] = size / (n * rounds)
    return res


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    bindir = sys.argv[1]
    series = [100000]
    rounds = 60
    args = sys.argv[2:]
    while args:
        a = args.pop(0)
        if a == "--series":
            series = [int(x) for x in args.pop(0).split(",")]
        elif a == "--rounds":
            rounds = int(args.pop(0))
    rows = []
    for n in series:
        work = tempfile.mkdtemp(prefix="tsdb-bench-")
        try:
            start = (int(time.time()) * 1000 - rounds * INTERVAL) // 1000 * 1000
            out = subprocess.run([os.path.join(bindir, "vigil-tsdb-bench"), "--dir",
                                  os.path.join(work, "vigil"), "--series", str(n), "--rounds",
                                  str(rounds), "--start-ms", str(start), "--compact"],
                                 capture_output=True, text=True, check=True, timeout=3600)
            v = json.loads(out.stdout)
            print(json.dumps({"vigil": v}))
            shutil.rmtree(os.path.join(work, "vigil"), ignore_errors=True)
            p = bench_prometheus(n, rounds, start, work)
            print(json.dumps({"prometheus": p}))
            rows.append((n, v, p))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    work = tempfile.mkdtemp(prefix="tsdb-bench-disk-")
    try:
        disk = bench_disk(bindir, work)
        print(json.dumps({"disk_bytes_per_sample": disk}))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print("| series | metric | vigil | Prometheus 2.42 | ratio |")
    print("|---|---|---|---|---|")
    for n, v, p in rows:
        print("| %d | CPU s per million samples | %.3f | %.3f | %.2f |" % (
            n, v["cpu_s_per_million"], p["cpu_s_per_million"],
            v["cpu_s_per_million"] / p["cpu_s_per_million"]))
        print("| %d | resident bytes per series | %.0f | %.0f | %.2f |" % (
            n, v["bytes_per_series"], p["bytes_per_series"],
            v["bytes_per_series"] / p["bytes_per_series"]))
        print("| %d | appends per second (vigil, 2 threads) | %.0f | | |" % (
            n, v["samples_per_s"]))
    print("| 10000 x 480 | bytes per sample on disk (backfill) | %.3f | %.3f | %.2f |" % (
        disk["vigil"], disk["prometheus"], disk["vigil"] / disk["prometheus"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
