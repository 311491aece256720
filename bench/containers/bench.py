#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Housekeeping cost, resident memory and scrape latency of the container
listener over generated cgroup trees (gen_tree.py).

  bench.py AGENT [--sizes 100,1000] [--layouts v1,v2,real] [--seconds 20]

For each size and layout: generate the tree in a temp dir (v1, v2: files
on an ordinary file system) or, for "real" (root only), create N empty
cgroups under vigil-bench-<pid> in every v1 controller of this host's
/sys/fs/cgroup (or in its unified tree), so the kernel's own cgroupfs
serves the reads; run the agent on it (Docker off, node collectors off)
with a 1 s
housekeeping interval and --storage_duration=12s (so each container keeps 12
samples, as the defaults 2m / 10s do), and after a warm-up measure over
--seconds:
  CPU seconds per round     (utime+stime of the whole process / rounds)
  % of one core at 10 s     (CPU per round / 10 s)
  RSS / peak RSS            (VmRSS, VmHWM of /proc/<pid>/status at the end)
  scrape latency            (50 sequential GET /metrics, median and max, body size)
Prints a Markdown table.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'tests', 'lib'))
from vigiltest import cpu_seconds, free_port, status_kb, stop, wait_http  # noqa: E402


def real_cgroups(n):
    """Create n cgroups under every controller hierarchy; returns the folders to remove."""
    base = '/sys/fs/cgroup'
    if os.path.exists(os.path.join(base, 'cgroup.controllers')):
        roots = [base]
    else:
        roots = [os.path.join(base, c) for c in ('cpu', 'cpuacct', 'cpu,cpuacct', 'memory', 'blkio', 'pids')
                 if os.path.isdir(os.path.join(base, c)) and not os.path.islink(os.path.join(base, c))]
    made = []
    for root in roots:
        parent = os.path.join(root, f'vigil-bench-{os.getpid()}')
        os.mkdir(parent)
        made.append(parent)
        for i in range(n):
            os.mkdir(os.path.join(parent, f'c{i:05d}'))
    return made


def remove_cgroups(made):
    for parent in made:
        for d in os.listdir(parent):
            p = os.path.join(parent, d)
            if os.path.isdir(p):
                os.rmdir(p)
        os.rmdir(parent)


def run(agent, n, layout, seconds):
    tmp = tempfile.mkdtemp(prefix='vigil-bench-')
    made = []
    try:
        tree = os.path.join(tmp, 'cgroup')
        if layout == 'real':
            made = real_cgroups(n)
            tree = '/sys/fs/cgroup'
        else:
            args = [sys.executable, os.path.join(HERE, 'gen_tree.py'), str(n), tree]
            if layout == 'v2':
                args.append('--v2')
            subprocess.run(args, check=True)
        port, nport = free_port(), free_port()
        proc = subprocess.Popen([agent, f'--web.listen-address=127.0.0.1:{nport}',
                                 f'--container.listen-address=127.0.0.1:{port}',
                                 f'--path.cgroupfs={tree}', '--container.docker-socket=',
                                 '--collector.disable-defaults', '--housekeeping_interval=1s',
                                 '--storage_duration=12s'],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            url = f'http://127.0.0.1:{port}/metrics'
            if wait_http(url, proc, 20, timeout=5) is None:
                raise SystemExit('agent did not start')
            time.sleep(3)
            c0, t0 = cpu_seconds(proc.pid), time.time()
            time.sleep(seconds)
            c1, t1 = cpu_seconds(proc.pid), time.time()
            rounds = t1 - t0  # one round per second
            per_round = (c1 - c0) / rounds
            lat, size = [], 0
            for _ in range(50):
                s = time.perf_counter()
                body = urllib.request.urlopen(url, timeout=10).read()
                lat.append(time.perf_counter() - s)
                size = len(body)
            lat.sort()
            return {
                'n': n, 'layout': layout, 'per_round': per_round,
                'pct10': per_round / 10 * 100,
                'rss': status_kb(proc.pid, 'VmRSS') / 1024, 'hwm': status_kb(proc.pid, 'VmHWM') / 1024,
                'lat_med': lat[len(lat) // 2] * 1000, 'lat_max': lat[-1] * 1000, 'size': size / 1e6,
                'series': sum(1 for l in body.decode().splitlines() if l and l[0] != '#'),
            }
        finally:
            stop(proc, 10)
    finally:
        remove_cgroups(made)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    argv = sys.argv[1:]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    agent = os.path.abspath(argv[0])
    opt = lambda name, d: argv[argv.index(name) + 1] if name in argv else d
    sizes = [int(x) for x in opt('--sizes', '100,1000').split(',')]
    layouts = opt('--layouts', 'v1,v2').split(',')
    seconds = float(opt('--seconds', '20'))
    print('| containers | layout | CPU s / round | % of a core at 10 s | RSS MiB (peak) '
          '| scrape median / max ms | body MB | series |')
    print('|---|---|---|---|---|---|---|---|')
    for n in sizes:
        for layout in layouts:
            r = run(agent, n, layout, seconds)
            print(f"| {r['n']} | {r['layout']} | {r['per_round']:.4f} | {r['pct10']:.2f} % "
                  f"| {r['rss']:.1f} ({r['hwm']:.1f}) | {r['lat_med']:.1f} / {r['lat_max']:.1f} "
                  f"| {r['size']:.2f} | {r['series']} |", flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
