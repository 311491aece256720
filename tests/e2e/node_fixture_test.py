#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End-to-end test of vigil-agent over node_exporter's own fixture tree.

Runs the agent as upstream's end-to-end test runs node_exporter (relative
paths through a collector/fixtures symlink, the same collector flags), takes
one scrape, drops the lines upstream's test drops, and compares with
upstream's expected output, family by family: for every collector the agent
implements (those it reports in node_scrape_collector_success), every family
listed in tests/e2e/node_families/<collector>.txt must have the same HELP,
TYPE and set of samples, and nothing extra.  Families of collectors we do not
implement are ignored.

HEAD's expected output is the target.  Where node_exporter 1.5.0 differs from
HEAD (a label added upstream since), the v1.5.0 run skips those families when
tests/e2e/node_families/<collector>.known has a line
    <tree> <family regex> <reason>
e.g. "v1.5.0 node_network_info adminstate label added after 1.5".

Usage: node_fixture_test.py AGENT FIXTURES_DIR [head|v1.5.0] [-v]
Exit 77 (skipped) when the fixture directory is absent.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
from vigiltest import free_port, stop, wait_http  # noqa: E402

DROP = re.compile(r'^(go_|node_exporter_build_info|node_scrape_collector_duration_seconds|process_'
                  r'|node_textfile_mtime_seconds|node_time_(zone|seconds)'
                  r'|node_network_(receive|transmit)_(bytes|packets)_total)')

# The collector flags of upstream's run, for the collectors vigil implements.
# Collector switches are added for every implemented collector.
OPTION_FLAGS = [
    '--collector.cpu.info',
    '--collector.cpu.info.bugs-include=^(cpu_meltdown|spectre_.*|mds)$',
    '--collector.cpu.info.flags-include=^(aes|avx.?|constant_tsc)$',
    '--collector.arp.device-exclude=nope',
    '--no-collector.arp.netlink',
    '--collector.bcache.priorityStats',
    '--collector.hwmon.chip-include=(applesmc|asus_nb_wmi|coretemp|hwmon4|ieee80211|nct6779)',
    '--collector.netclass.ignore-invalid-speed',
    '--collector.netclass.ignored-devices=(dmz|int)',
    '--collector.netdev.device-include=lo',
    '--collector.stat.softirq',
    '--collector.textfile.directory=collector/fixtures/textfile/two_metric_files/',
]
# Collectors upstream's run turns off.
OFF = {'filesystem', 'timex', 'uname', 'selinux'}


def parse(text):
    """family -> {'help':.., 'type':.., 'samples': set(lines)}"""
    fams = {}
    cur = None
    for line in text.split('\n'):
        if line.startswith('# HELP '):
            name, _, help_ = line[7:].partition(' ')
            cur = fams.setdefault(name, {'help': None, 'type': None, 'samples': set()})
            cur['help'] = help_
        elif line.startswith('# TYPE '):
            name, _, typ = line[7:].partition(' ')
            cur = fams.setdefault(name, {'help': None, 'type': None, 'samples': set()})
            cur['type'] = typ
        elif line and not line.startswith('#'):
            if DROP.match(line):
                continue
            m = re.match(r'[a-zA-Z_:][a-zA-Z0-9_:]*', line)
            name = m.group(0)
            fam = name
            for suffix in ('_bucket', '_sum', '_count'):
                if name.endswith(suffix) and name[:-len(suffix)] in fams:
                    fam = name[:-len(suffix)]
            fams.setdefault(fam, {'help': None, 'type': None, 'samples': set()})['samples'].add(line)
    return fams


def restore_symlinks(tree, ttar):
    """Make tree's symlinks real where a copy turned them into plain files.

    Upstream's fixture tree has relative symlinks (sys/class/net/* into
    sys/devices, proc/self -> 10); a copy that lost them holds each target
    path as a small file instead.  sys.ttar records every one of them.
    """
    fixed = 0
    links = []
    if os.path.exists(ttar):
        path = None
        for line in open(ttar, errors='replace'):
            if line.startswith('Path: '):
                path = line[6:].strip()
            elif line.startswith('SymlinkTo: ') and path:
                links.append((path, line[11:].strip()))
    links.append(('proc/self', '10'))
    for rel, target in links:
        p = os.path.join(tree, rel)
        if os.path.isfile(p) and not os.path.islink(p):
            os.chmod(os.path.dirname(p), 0o755)
            os.unlink(p)
            os.symlink(target, p)
            fixed += 1
    return fixed


def list_supported_flags(agent):
    out = subprocess.run([agent, '--help'], capture_output=True, text=True, timeout=10).stdout
    return set(re.findall(r'--(?:\[no-\])?([a-zA-Z0-9_.-]+)', out))


def main():
    args = [a for a in sys.argv[1:] if not a.startswith('-')]
    verbose = '-v' in sys.argv
    agent, fixtures = os.path.abspath(args[0]), os.path.abspath(args[1])
    tree = args[2] if len(args) > 2 else 'head'
    if tree != 'head':
        fixtures = os.path.join(fixtures, tree)
    if not os.path.isdir(os.path.join(fixtures, 'proc')):
        print(f'SKIP: node_exporter fixtures not found at {fixtures} (shared/ is not beside the clone)')
        return 77

    supported = list_supported_flags(agent)
    collectors = sorted(f[len('collector.'):] for f in supported
                        if f.startswith('collector.') and f.count('.') == 1
                        and f != 'collector.disable-defaults')
    flags = ['--path.rootfs=collector/fixtures', '--path.procfs=collector/fixtures/proc',
             '--path.sysfs=collector/fixtures/sys', '--path.udev.data=collector/fixtures/udev/data',
             '--log.level=debug']
    for c in collectors:
        flags.append(('--no-collector.' if c in OFF else '--collector.') + c)
    for f in OPTION_FLAGS:
        name = f.lstrip('-').split('=')[0]
        if name.startswith('no-'):
            name = name[3:]
        if name in supported:
            flags.append(f)

    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, 'collector'))
        link = os.path.join(tmp, 'collector', 'fixtures')
        os.symlink(fixtures, link)
        if os.path.isfile(os.path.join(fixtures, 'proc', 'self')):
            # this copy lost its symlinks: work on a private copy with them restored
            os.unlink(link)
            shutil.copytree(fixtures, link, symlinks=True,
                            ignore=shutil.ignore_patterns('*.ttar', 'v1.5.0', 'e2e-*'))
            for root, dirs, _ in os.walk(link):
                for d in dirs:
                    os.chmod(os.path.join(root, d), 0o755)
            restore_symlinks(link, os.path.join(fixtures, 'sys.ttar'))
        port = free_port()
        log = open(os.path.join(tmp, 'agent.log'), 'w+')
        # the container listener (if the agent has one) stays off: loopback only
        if 'container.listen-address' in supported:
            flags.append('--container.listen-address=')
        proc = subprocess.Popen([agent, f'--web.listen-address=127.0.0.1:{port}'] + flags,
                                cwd=tmp, stdout=log, stderr=log)
        try:
            r = wait_http(f'http://127.0.0.1:{port}/metrics', proc, 10, timeout=5, interval=0.05)
            body = r[1] if r else None
        finally:
            stop(proc, 10)
        log.seek(0)
        agent_log = log.read()
        if proc.returncode != 0:
            print(f'FAIL: agent exited with {proc.returncode} (sanitizer report?)\n' + agent_log)
            return 1
        if body is None:
            print('FAIL: agent did not serve /metrics\n' + agent_log)
            return 1

    with open(os.path.join(fixtures, 'e2e-output.txt')) as f:
        want = parse(f.read())
    got = parse(body)

    ok = dict(re.findall(r'node_scrape_collector_success\{collector="([^"]+)"\} (\S+)', body))
    want_ok = dict(re.findall(r'node_scrape_collector_success\{collector="([^"]+)"\} (\S+)',
                              open(os.path.join(fixtures, 'e2e-output.txt')).read()))
    failures = []
    checked = 0
    for c in sorted(ok):
        if c in OFF:
            continue
        if c in want_ok and ok[c] != want_ok[c]:
            failures.append(f'{c}: node_scrape_collector_success {ok[c]}, want {want_ok[c]}')
        pfile = os.path.join(HERE, 'node_families', c + '.txt')
        if not os.path.exists(pfile):
            failures.append(f'{c}: no family list tests/e2e/node_families/{c}.txt')
            continue
        pats = [re.compile(l.strip() + '$') for l in open(pfile) if l.strip() and not l.startswith('#')]
        known = []
        kfile = os.path.join(HERE, 'node_families', c + '.known')
        if os.path.exists(kfile):
            for l in open(kfile):
                parts = l.split(None, 2)
                if len(parts) >= 2 and not l.startswith('#') and parts[0] == tree:
                    known.append(re.compile(parts[1] + '$'))
        fams = sorted(n for n in set(want) | set(got) if any(p.match(n) for p in pats)
                      and not any(k.match(n) for k in known))
        for n in fams:
            checked += 1
            w, g = want.get(n), got.get(n)
            if w is None or not (w['samples'] or w['help']):
                if g and g['samples']:
                    failures.append(f'{c}: family {n} is not expected')
                continue
            if g is None:
                failures.append(f'{c}: family {n} is missing')
                continue
            if w['help'] != g['help']:
                failures.append(f'{c}: {n} HELP {g["help"]!r}, want {w["help"]!r}')
            if w['type'] != g['type']:
                failures.append(f'{c}: {n} TYPE {g["type"]}, want {w["type"]}')
            for s in sorted(w['samples'] - g['samples']):
                failures.append(f'{c}: missing   {s}')
            for s in sorted(g['samples'] - w['samples']):
                failures.append(f'{c}: unexpected {s}')
    if verbose:
        print(agent_log)
    for f in failures:
        print(f)
    print(f'{tree}: {len(ok)} collectors, {checked} families checked, {len(failures)} problems')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
