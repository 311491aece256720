#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""netclass's kept sysfs descriptors never serve a stale value.

vigil-agent keeps the attribute files of /sys/class/net/<dev>/ open and
re-reads them with pread at offset 0.  This test creates an ifb device,
scrapes, changes its MTU, scrapes, deletes it and creates it again under the
same name with another MTU (the kept descriptors now fail with ENODEV),
scrapes, and deletes it: every scrape must show the device's current
ifindex and MTU, and netclass must succeed throughout.  Several scrapes each
time, so both scrape threads see every state.
Exit 77 without root or without the ifb device type.

Usage: netclass_fdcache_test.py AGENT
"""
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

DEV = 'vglfd%d' % (os.getpid() % 100000)


def ip(*args, check=True):
    return subprocess.run(['ip', 'link'] + list(args), capture_output=True, text=True,
                          check=check, timeout=10)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def scrape(port):
    with urllib.request.urlopen('http://127.0.0.1:%d/metrics' % port, timeout=10) as r:
        return r.read().decode()


def sample(text, family):
    m = re.search(r'^%s\{device="%s"\} (\S+)$' % (family, DEV), text, re.M)
    return m.group(1) if m else None


def check(port, want_mtu, what):
    ifindex = open('/sys/class/net/%s/ifindex' % DEV).read().strip() if want_mtu else None
    for _ in range(6):
        t = scrape(port)
        if 'node_scrape_collector_success{collector="netclass"} 1' not in t:
            sys.exit('FAIL %s: netclass did not succeed' % what)
        got = (sample(t, 'node_network_mtu_bytes'), sample(t, 'node_network_iface_id'))
        if got != (want_mtu, ifindex):
            sys.exit('FAIL %s: got mtu/ifindex %s, want %s' % (what, got, (want_mtu, ifindex)))
    print('ok', what)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    if os.geteuid() != 0:
        print('SKIP: needs root to create a network device')
        return 77
    if ip('add', DEV, 'type', 'ifb', check=False).returncode != 0:
        print('SKIP: cannot create an ifb device here')
        return 77
    port = free_port()
    agent = subprocess.Popen([sys.argv[1], '--web.listen-address=127.0.0.1:%d' % port,
                              '--log.level=error'], stdout=subprocess.DEVNULL)
    try:
        deadline = time.time() + 10
        while True:
            try:
                scrape(port)
                break
            except OSError:
                if time.time() > deadline or agent.poll() is not None:
                    sys.exit('FAIL: agent did not start')
                time.sleep(0.05)
        check(port, '1500', 'new device')
        ip('set', DEV, 'mtu', '1400')
        check(port, '1400', 'mtu changed')
        ip('del', DEV)
        ip('add', DEV, 'type', 'ifb')
        ip('set', DEV, 'mtu', '1300')
        check(port, '1300', 'device created again under the same name')
        ip('del', DEV)
        check(port, None, 'device removed')
    finally:
        ip('del', DEV, check=False)
        agent.send_signal(signal.SIGTERM)
        try:
            agent.wait(timeout=10)
        except subprocess.TimeoutExpired:
            agent.kill()
            agent.wait()
    return 0


if __name__ == '__main__':
    sys.exit(main())
