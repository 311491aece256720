#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""`promtool check metrics` over vigil-agent's container listener.

Runs the agent over the captured hybrid v1 tree
(../shared/fixtures/docker-hybrid-v1, through --path.cgroupfs and
--path.procfs; Docker off) and, when --live is given, over this host's real
cgroups, then feeds each /metrics reply to promtool.  A parse error fails;
lint findings fail unless cAdvisor's own names draw them (its camelCase
cadvisor_version_info labels and the counter container_memory_failcnt).

Usage: container_promtool_test.py AGENT FIXTURES_DIR [--live]
Exit 77 when promtool is not installed (apt-get install prometheus) or
FIXTURES_DIR (../shared/fixtures) is absent.
"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from vigiltest import free_port, shared_fixtures_or_skip, stop, wait_http  # noqa: E402

# lint lines cAdvisor's own output draws as well
CADVISOR_LINTS = (
    "cadvisor_version_info label names should be written in 'snake_case' not 'camelCase'",
    'container_memory_failcnt counter metrics should have "_total" suffix',
)


def scrape_agent(agent, extra):
    port, nport = free_port(), free_port()
    proc = subprocess.Popen([agent, f'--web.listen-address=127.0.0.1:{nport}',
                             f'--container.listen-address=127.0.0.1:{port}'] + extra,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        r = wait_http(f'http://127.0.0.1:{port}/metrics', proc, 10, timeout=2)
        if r is None:
            raise SystemExit(f'FAIL: agent did not serve 127.0.0.1:{port}')
        return r[1]
    finally:
        stop(proc, 10)


def check(promtool, text, what):
    r = subprocess.run([promtool, 'check', 'metrics'], input=text, capture_output=True, text=True)
    bad = [l for l in (r.stdout + r.stderr).splitlines() if l.strip() and l.strip() not in CADVISOR_LINTS]
    families = sum(1 for l in text.splitlines() if l.startswith('# TYPE '))
    if bad:
        print(f'FAIL ({what}, {families} families):\n' + '\n'.join(bad[:20]))
        return False
    print(f'ok: {what}: {families} families, only cAdvisor-name lints')
    return True


def main():
    args = [a for a in sys.argv[1:] if not a.startswith('--')]
    if len(args) < 2:
        print('usage: container_promtool_test.py AGENT FIXTURES_DIR [--live]', file=sys.stderr)
        return 2
    agent, fixtures = os.path.abspath(args[0]), shared_fixtures_or_skip(os.path.abspath(args[1]))
    promtool = shutil.which('promtool')
    if not promtool:
        print('SKIP: promtool not installed (apt-get install prometheus)')
        return 77
    tree = os.path.join(fixtures, 'docker-hybrid-v1', 'sysfs')
    # the fixtures are there but not the capture: fail, or the agent would
    # serve an empty tree and promtool would pass it
    if not os.path.isdir(os.path.join(tree, 'fs', 'cgroup')):
        print(f'FAIL: {tree}/fs/cgroup missing from the shared fixtures')
        return 1
    ok = check(promtool, scrape_agent(agent, [f'--path.cgroupfs={tree}/fs/cgroup',
                                              f'--path.procfs={tree}/proc',
                                              '--container.docker-socket=']), 'hybrid v1 capture')
    if '--live' in sys.argv:
        ok &= check(promtool, scrape_agent(agent, []), 'this host')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
