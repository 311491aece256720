#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""netclass's kept sysfs descriptors never serve a stale value.

vigil-agent keeps the attribute files of /sys/class/net/<dev>/ open and
re-reads them with pread at offset 0.  This test creates an ifb device,
scrapes, changes its MTU, scrapes, deletes it and creates it again under the
same name with another MTU (the kept descriptors now fail with ENODEV),
scrapes, renames it and creates another under its name, scrapes, and
deletes them: every scrape must show the device's current
ifindex and MTU, and netclass must succeed throughout.  Several scrapes each
time, so both scrape threads see every state.

Everything happens in private network and mount namespaces, never in the
host's: the script re-executes itself under `unshare --net --mount`, mounts
a fresh sysfs on /sys there (sysfs shows the network namespace of whoever
mounted it, not of the reader), brings up lo, and starts the agent inside,
scraping it over that namespace's loopback.  The agent must see exactly lo
and the test device, none of the host's interfaces.
Exit 77 without root, when unshare is missing or not permitted, or without
the ifb device type.

Usage: netclass_fdcache_test.py AGENT
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from vigiltest import (die_with_parent, free_port, http_get, reexec_in_namespaces,  # noqa: E402
                       stop, wait_http)

DEV = 'vglfd%d' % (os.getpid() % 100000)
# set in the re-executed child: the parent's network namespace
NS_ENV = 'VIGIL_NETCLASS_HOST_NETNS'


def ip(*args, check=True):
    return subprocess.run(['ip', 'link'] + list(args), capture_output=True, text=True,
                          check=check, timeout=10)


def scrape(port):
    """The agent's /metrics text."""
    return http_get('http://127.0.0.1:%d/metrics' % port, timeout=10)


def sample(text, family):
    m = re.search(r'^%s\{device="%s"\} (\S+)$' % (family, DEV), text, re.M)
    return m.group(1) if m else None


def devices(text):
    return set(re.findall(r'^node_network_mtu_bytes\{device="([^"]*)"\}', text, re.M))


def check(port, want_mtu, what, also=()):
    ifindex = open('/sys/class/net/%s/ifindex' % DEV).read().strip() if want_mtu else None
    want_devs = ({'lo', DEV} if want_mtu else {'lo'}) | set(also)
    for _ in range(6):
        t = scrape(port)
        if 'node_scrape_collector_success{collector="netclass"} 1' not in t:
            sys.exit('FAIL %s: netclass did not succeed' % what)
        got = (sample(t, 'node_network_mtu_bytes'), sample(t, 'node_network_iface_id'))
        if got != (want_mtu, ifindex):
            sys.exit('FAIL %s: got mtu/ifindex %s, want %s' % (what, got, (want_mtu, ifindex)))
        if devices(t) != want_devs:
            sys.exit('FAIL %s: agent sees devices %s, want only the namespace\'s %s'
                     % (what, sorted(devices(t)), sorted(want_devs)))
    print('ok', what)


def enter_namespace():
    """In the child: our own sysfs and a live loopback; False (skip) if impossible."""
    if os.readlink('/proc/self/ns/net') == os.environ[NS_ENV]:
        sys.exit('FAIL: still in the host\'s network namespace')
    r = subprocess.run(['mount', '-t', 'sysfs', 'sysfs', '/sys'], capture_output=True,
                       text=True, timeout=10)
    if r.returncode != 0:
        print('SKIP: cannot mount sysfs in the new namespace: %s' % r.stderr.strip())
        return False
    ip('set', 'lo', 'up')
    return True


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    if os.geteuid() != 0:
        print('SKIP: needs root to create namespaces and a network device')
        return 77
    if NS_ENV not in os.environ:
        return reexec_in_namespaces(NS_ENV, 50)
    if not enter_namespace():
        return 77
    if ip('add', DEV, 'type', 'ifb', check=False).returncode != 0:
        print('SKIP: cannot create an ifb device here')
        return 77
    port = free_port()
    agent = subprocess.Popen([sys.argv[1], '--web.listen-address=127.0.0.1:%d' % port,
                              '--log.level=error'], stdout=subprocess.DEVNULL,
                             preexec_fn=die_with_parent)
    try:
        if wait_http('http://127.0.0.1:%d/metrics' % port, agent, 10, timeout=10,
                     interval=0.05) is None:
            sys.exit('FAIL: agent did not start')
        check(port, '1500', 'new device')
        ip('set', DEV, 'mtu', '1400')
        check(port, '1400', 'mtu changed')
        ip('del', DEV)
        ip('add', DEV, 'type', 'ifb')
        ip('set', DEV, 'mtu', '1300')
        check(port, '1300', 'device created again under the same name')
        # renamed: its sysfs nodes (and the kept descriptors) live on under the
        # new name, and a new device takes the old one
        ip('set', DEV, 'name', DEV + 'r')
        ip('add', DEV, 'type', 'ifb')
        ip('set', DEV, 'mtu', '1200')
        check(port, '1200', 'device renamed, another created under its name', also=[DEV + 'r'])
        ip('del', DEV + 'r')
        ip('del', DEV)
        check(port, None, 'device removed')
    finally:
        ip('del', DEV, check=False)
        ip('del', DEV + 'r', check=False)
        stop(agent, 10)
    return 0


if __name__ == '__main__':
    sys.exit(main())
