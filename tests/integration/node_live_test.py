#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""vigil-agent against Debian's node_exporter 1.5 on this very host.

Starts both on loopback, scrapes each, and checks for every collector vigil
implements (families from tests/e2e/node_families/<collector>.txt):
  - the same family names as node_exporter, with the same TYPE and label names;
  - equal values for quantities that are stable between two scrapes a moment
    apart (memory totals, filesystem sizes, cpu count, uname, os, ...);
  - `promtool check metrics` finds no problem in our output that it does not
    also find in node_exporter's.
Exit 77 when node_exporter is not installed.

Usage: node_live_test.py AGENT [NODE_EXPORTER]
"""
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
from vigiltest import free_port, http_get, stop, tool_or_skip, wait_http  # noqa: E402

FAMILIES = os.path.join(HERE, '..', 'e2e', 'node_families')

# Families whose samples must be equal in both outputs (label set and value).
STABLE = [
    r'node_memory_MemTotal_bytes', r'node_memory_SwapTotal_bytes', r'node_memory_Hugepagesize_bytes',
    r'node_filesystem_size_bytes', r'node_filesystem_files', r'node_filesystem_readonly',
    r'node_filesystem_device_error', r'node_uname_info', r'node_os_info', r'node_os_version',
    r'node_boot_time_seconds', r'node_network_mtu_bytes', r'node_network_info',
    r'node_network_up', r'node_network_carrier', r'node_entropy_pool_size_bits',
    r'node_filefd_maximum', r'node_nf_conntrack_entries_limit', r'node_time_zone_offset_seconds',
    r'node_cpu_info', r'node_cooling_device_max_state', r'node_hwmon_chip_names',
    r'node_disk_info', r'node_timex_tick_seconds',
]
MOUNT_EXCLUDE = ('^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)'
                 '($|/)')
FSTYPE_EXCLUDE = ('^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs'
                  '|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs'
                  '|squashfs|sysfs|tracefs)$')
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$')


def start(cmd, port):
    """Start cmd and wait until it serves /metrics on port; RuntimeError when it exits or
    does not answer within 15 s."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if wait_http(f'http://127.0.0.1:{port}/metrics', proc, 15, timeout=5, interval=0.05):
        return proc
    if proc.poll() is not None:
        raise RuntimeError(f'{cmd[0]} exited: {proc.stderr.read().decode()}')
    proc.kill()
    raise RuntimeError(f'{cmd[0]} did not start')


def parse(text):
    fams = {}
    types = {}
    for line in text.split('\n'):
        if line.startswith('# TYPE '):
            _, _, name, typ = line.split(' ', 3)
            types[name] = typ
            continue
        if not line or line.startswith('#'):
            continue
        m = SAMPLE.match(line)
        if not m:
            continue
        name, labels, value = m.groups()
        fam = name
        for suffix in ('_bucket', '_sum', '_count'):
            if name.endswith(suffix) and name[:-len(suffix)] in types:
                fam = name[:-len(suffix)]
        lab = tuple(sorted(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', labels or '')))
        fams.setdefault(fam, {})[(name, lab)] = value
    return fams, types


def lint(promtool, text):
    if not promtool:
        return set()
    r = subprocess.run([promtool, 'check', 'metrics'], input=text.encode(), capture_output=True,
                       timeout=60)
    out = (r.stdout + r.stderr).decode()
    return {l.strip() for l in out.splitlines() if l.strip()}


def main():
    agent = os.path.abspath(sys.argv[1])
    ne = tool_or_skip('prometheus-node-exporter', sys.argv[2] if len(sys.argv) > 2 else None,
                      'prometheus-node-exporter')
    promtool = shutil.which('promtool')

    pa, pn = free_port(), free_port()
    ours = start([agent, f'--web.listen-address=127.0.0.1:{pa}', '--container.listen-address='], pa)
    try:
        # Debian patches some defaults; give it upstream 1.5's, which are ours
        ref = start([ne, f'--web.listen-address=127.0.0.1:{pn}', '--no-collector.systemd',
                     '--collector.netdev.device-exclude=',
                     '--collector.filesystem.mount-points-exclude=' + MOUNT_EXCLUDE,
                     '--collector.filesystem.fs-types-exclude=' + FSTYPE_EXCLUDE], pn)
    except RuntimeError as e:
        stop(ours)
        print(f'SKIP: node_exporter cannot run here: {e}')
        return 77
    try:
        got_text = http_get(f'http://127.0.0.1:{pa}/metrics', timeout=10)
        want_text = http_get(f'http://127.0.0.1:{pn}/metrics', timeout=10)
    finally:
        rc = stop(ours)
        stop(ref)
    if rc != 0:
        print(f'FAIL: vigil-agent exited with {rc}: {ours.stderr.read().decode()}')
        return 1

    got, got_types = parse(got_text)
    want, want_types = parse(want_text)
    ok = dict(re.findall(r'node_scrape_collector_success\{collector="([^"]+)"\} (\S+)', got_text))
    want_ok = dict(re.findall(r'node_scrape_collector_success\{collector="([^"]+)"\} (\S+)', want_text))
    problems = []
    checked = 0
    skipped_known = set()
    for c in sorted(ok):
        if c in want_ok and ok[c] != want_ok[c]:
            problems.append(f'{c}: success {ok[c]}, node_exporter {want_ok[c]}')
        pfile = os.path.join(FAMILIES, c + '.txt')
        if not os.path.exists(pfile):
            continue
        pats = [re.compile(l.strip() + '$') for l in open(pfile) if l.strip() and not l.startswith('#')]
        # families where 1.5 differs from upstream HEAD on purpose (.known files):
        # only their presence in our output is checked
        known = []
        kfile = os.path.join(FAMILIES, c + '.known')
        if os.path.exists(kfile):
            for l in open(kfile):
                parts = l.split(None, 2)
                if len(parts) >= 2 and not l.startswith('#') and parts[0] == 'v1.5.0':
                    known.append(re.compile(parts[1] + '$'))
        names = sorted(n for n in set(got) | set(want) if any(p.match(n) for p in pats))
        for n in names:
            if any(k.match(n) for k in known):
                skipped_known.add(n)
                continue
            checked += 1
            if n not in got:
                problems.append(f'{c}: family {n} missing (node_exporter has it)')
                continue
            if n not in want:
                problems.append(f'{c}: family {n} not in node_exporter output')
                continue
            if got_types.get(n) != want_types.get(n):
                problems.append(f'{c}: {n} TYPE {got_types.get(n)}, node_exporter {want_types.get(n)}')
            gl = {tuple(k for k, _ in lab) for _, lab in got[n]}
            wl = {tuple(k for k, _ in lab) for _, lab in want[n]}
            if gl != wl:
                problems.append(f'{c}: {n} label names {sorted(gl)}, node_exporter {sorted(wl)}')
            if any(re.fullmatch(s, n) for s in STABLE):
                for key in sorted(set(got[n]) | set(want[n])):
                    gv, wv = got[n].get(key), want[n].get(key)
                    if gv != wv:
                        problems.append(f'{c}: {key[0]}{dict(key[1])} = {gv}, node_exporter {wv}')

    ours_lint = lint(promtool, got_text)
    ref_lint = lint(promtool, want_text)
    for l in sorted(ours_lint - ref_lint):
        if l.split(' ', 1)[0] in skipped_known:
            continue
        problems.append(f'promtool check metrics: {l}')

    for p in problems:
        print(p)
    print(f'live: {len(ok)} collectors, {checked} families compared with node_exporter, '
          f'promtool: {len(ours_lint)} findings (node_exporter {len(ref_lint)}), {len(problems)} problems')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
