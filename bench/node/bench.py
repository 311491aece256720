#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""vigil-agent vs Debian's node_exporter 1.5, side by side in one run.

Both serve this host's metrics on loopback with their default collectors
(node_exporter without systemd, as vigil has none).  For each:
  - CPU seconds per scrape (utime+stime from /proc/<pid>/stat over N scrapes,
    each on a fresh connection, as Prometheus reconnects rarely but worst case);
  - resident memory after the run (VmRSS, and VmHWM the peak);
  - scrape latency p50/p99 with one client and with four concurrent clients;
and prints the ratios.  Not a test; not run in CI.

Usage: bench.py AGENT [--scrapes N] [--node-exporter PATH]
"""
import argparse
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'tests', 'lib'))
from vigiltest import cpu_seconds, free_port, status_kb, stop, wait_ready  # noqa: E402


def scrape(port, gzip=False):
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    headers = {'Accept-Encoding': 'gzip'} if gzip else {}
    t0 = time.perf_counter()
    c.request('GET', '/metrics', headers=headers)
    body = c.getresponse().read()
    dt = time.perf_counter() - t0
    c.close()
    return dt, body


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def measure(name, cmd, port, n):
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(f'http://127.0.0.1:{port}/metrics', proc, name, 15, timeout=30, interval=0.05)
        _, body = scrape(port)
        series = sum(1 for l in body.decode().split('\n') if l and not l.startswith('#'))
        for _ in range(20):
            scrape(port)
        c0 = cpu_seconds(proc.pid)
        lat1 = [scrape(port)[0] for _ in range(n)]
        c1 = cpu_seconds(proc.pid)
        lat4 = []
        lock = threading.Lock()

        def worker():
            mine = [scrape(port)[0] for _ in range(n // 4)]
            with lock:
                lat4.extend(mine)
        ts = [threading.Thread(target=worker) for _ in range(4)]
        t0 = time.perf_counter()
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        wall4 = time.perf_counter() - t0
        gz0 = cpu_seconds(proc.pid)
        for _ in range(n // 5):
            scrape(port, gzip=True)
        gz1 = cpu_seconds(proc.pid)
        r = {
            'series': series,
            'cpu_ms': (c1 - c0) / n * 1000,
            'cpu_gzip_ms': (gz1 - gz0) / (n // 5) * 1000,
            'rss_mb': status_kb(proc.pid, 'VmRSS') / 1024,
            'hwm_mb': status_kb(proc.pid, 'VmHWM') / 1024,
            'p50_1': statistics.median(lat1) * 1000,
            'p99_1': pct(lat1, 99) * 1000,
            'p50_4': statistics.median(lat4) * 1000,
            'p99_4': pct(lat4, 99) * 1000,
            'rate_4': len(lat4) / wall4,
        }
    finally:
        stop(proc, 10)
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('agent')
    ap.add_argument('--scrapes', type=int, default=500)
    ap.add_argument('--node-exporter', default=shutil.which('prometheus-node-exporter'))
    a = ap.parse_args()
    pv, pn = free_port(), free_port()
    # host metrics only, as node_exporter serves: the container listener is off
    vig = measure('vigil', [a.agent, f'--web.listen-address=127.0.0.1:{pv}', '--log.level=error',
                            '--container.listen-address='],
                  pv, a.scrapes)
    ne = measure('node_exporter', [a.node_exporter, f'--web.listen-address=127.0.0.1:{pn}',
                                   '--no-collector.systemd', '--collector.netdev.device-exclude=',
                                   '--log.level=error'], pn, a.scrapes)
    rows = [('series per scrape', 'series', '%.0f'),
            ('CPU per scrape (ms)', 'cpu_ms', '%.3f'),
            ('CPU per gzip scrape (ms)', 'cpu_gzip_ms', '%.3f'),
            (f'RSS after {a.scrapes * 2 + 20} scrapes (MB)', 'rss_mb', '%.1f'),
            ('peak RSS (MB)', 'hwm_mb', '%.1f'),
            ('latency p50, 1 client (ms)', 'p50_1', '%.2f'),
            ('latency p99, 1 client (ms)', 'p99_1', '%.2f'),
            ('latency p50, 4 clients (ms)', 'p50_4', '%.2f'),
            ('latency p99, 4 clients (ms)', 'p99_4', '%.2f'),
            ('scrapes/s, 4 clients', 'rate_4', '%.0f')]
    print(f'{"":34} {"vigil-agent":>12} {"node_exporter":>14} {"ratio":>8}')
    for label, key, fmt in rows:
        ratio = vig[key] / ne[key] if ne[key] else float('nan')
        print(f'{label:34} {fmt % vig[key]:>12} {fmt % ne[key]:>14} {ratio:8.3f}')


if __name__ == '__main__':
    main()
