#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""netclass from rtnetlink gives exactly what node_exporter reads from sysfs.

vigil-agent's netclass takes most device attributes from one rtnetlink dump
per scrape once it has checked, at its first scrape, that sysfs shows the
process's own network namespace (collectors/sys_class_net.c).  This test
builds devices in many states in private network and mount namespaces
(ifb up and down, a veth pair with one side down, so lowerlayerdown and an
iflink, aliases short and longer than the 128 bytes node_exporter reads, odd
MTU, queue length and group), then scrapes vigil-agent and Debian's
node_exporter (both with only netclass) several times and requires the same
node_network_* series, values included (vigil's node_network_info carries
one more label, adminstate, as later node_exporters do: compared without
it).  It also requires that vigil really uses the dump (no more than the six
sysfs attributes per device stay open), and that with a sysfs of another
namespace (the host's, bind-mounted before the new sysfs was mounted) it
reads sysfs alone and still matches node_exporter given the same tree.

Exit 77 without root, unshare, node_exporter or the ifb device type.

Usage: netclass_netlink_test.py AGENT [NODE_EXPORTER]
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from vigiltest import (die_with_parent, free_port, http_get, reexec_in_namespaces,  # noqa: E402
                       stop, wait_http)

NS_ENV = 'VIGIL_NETCLASS_NL_HOST_NETNS'
LONG_ALIAS = 'a' * 100 + ' long alias past the 128 bytes node_exporter reads ' + 'z' * 60


def ip(*args, check=True):
    return subprocess.run(['ip'] + list(args), capture_output=True, text=True, check=check,
                          timeout=10)


def series(text):
    """node_network_* sample lines, vigil's extra adminstate label dropped."""
    out = set()
    for line in text.splitlines():
        if line.startswith('node_network_'):
            out.add(re.sub(r'adminstate="[^"]*",', '', line))
    return out


def start(cmd, port):
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            preexec_fn=die_with_parent)
    if wait_http('http://127.0.0.1:%d/metrics' % port, proc, 10, timeout=10,
                 interval=0.05) is None:
        stop(proc, 5)
        sys.exit('FAIL: %s did not start' % cmd[0])
    return proc


def kept_attribute_fds(pid, devices):
    """Per device, how many of its /sys/class/net attribute files pid keeps open."""
    counts = dict.fromkeys(devices, 0)
    for fd in os.listdir('/proc/%d/fd' % pid):
        try:
            target = os.readlink('/proc/%d/fd/%s' % (pid, fd))
        except OSError:
            continue
        m = re.search(r'/net/([^/]+)/[^/]+$', target)
        if m and m.group(1) in counts:
            counts[m.group(1)] += 1
    return counts


def compare(agent, node_exporter, sysfs, what, expect_netlink):
    pv, pn = free_port(), free_port()
    flags = ['--collector.disable-defaults', '--collector.netclass', '--path.sysfs=' + sysfs]
    vig = start([agent, '--web.listen-address=127.0.0.1:%d' % pv, '--log.level=error',
                 '--container.listen-address='] + flags, pv)
    ne = start([node_exporter, '--web.listen-address=127.0.0.1:%d' % pn, '--log.level=error']
               + flags, pn)
    try:
        want = series(http_get('http://127.0.0.1:%d/metrics' % pn, timeout=10))
        if not want:
            sys.exit('FAIL %s: node_exporter shows no netclass series' % what)
        devices = set(re.findall(r'device="([^"]*)"', '\n'.join(want)))
        for i in range(5):
            text = http_get('http://127.0.0.1:%d/metrics' % pv, timeout=10)
            if 'node_scrape_collector_success{collector="netclass"} 1' not in text:
                sys.exit('FAIL %s: netclass did not succeed' % what)
            got = series(text)
            if got != want:
                sys.exit('FAIL %s, scrape %d: vigil and node_exporter differ\n'
                         'only vigil:\n  %s\nonly node_exporter:\n  %s'
                         % (what, i + 1, '\n  '.join(sorted(got - want)),
                            '\n  '.join(sorted(want - got))))
        kept = kept_attribute_fds(vig.pid, devices)
        most = max(kept.values())
        if expect_netlink and most > 6:
            sys.exit('FAIL %s: %d attribute files of one device kept open, the dump '
                     'should leave six to sysfs: %s' % (what, most, kept))
        if not expect_netlink and most <= 6:
            sys.exit('FAIL %s: only %d attribute files kept: the agent took another '
                     'namespace\'s devices from rtnetlink? %s' % (what, most, kept))
        print('ok %s: %d series over %d devices, %d attribute files kept per device'
              % (what, len(want), len(devices), most))
    finally:
        stop(vig, 10)
        stop(ne, 10)


def build_devices():
    """Devices in many states; False when ifb is not available."""
    if ip('link', 'add', 'vgnl0', 'type', 'ifb', check=False).returncode != 0:
        return False
    ip('link', 'set', 'vgnl0', 'mtu', '1400', 'txqueuelen', '77', 'group', '5')
    ip('link', 'set', 'vgnl0', 'alias', 'short alias')
    ip('link', 'add', 'vgnl1', 'type', 'ifb')
    ip('link', 'set', 'vgnl1', 'up', 'alias', LONG_ALIAS)
    if ip('link', 'add', 'vgnlv0', 'type', 'veth', 'peer', 'name', 'vgnlv1',
          check=False).returncode == 0:
        ip('link', 'set', 'vgnlv0', 'up')  # its peer stays down: lowerlayerdown
        ip('link', 'set', 'vgnlv0', 'mtu', '9000')
    else:
        print('note: no veth device type here; testing without a veth pair')
    return True


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    node_exporter = sys.argv[2] if len(sys.argv) == 3 else shutil.which(
        'prometheus-node-exporter')
    if not node_exporter or not os.access(node_exporter, os.X_OK):
        print('SKIP: node_exporter not found (Debian package prometheus-node-exporter)')
        return 77
    if os.geteuid() != 0:
        print('SKIP: needs root to create namespaces and network devices')
        return 77
    if NS_ENV not in os.environ:
        return reexec_in_namespaces(NS_ENV, 80)
    if os.readlink('/proc/self/ns/net') == os.environ[NS_ENV]:
        sys.exit('FAIL: still in the host\'s network namespace')
    host_sys = tempfile.mkdtemp(prefix='vigil-hostsys-')
    try:
        # the host's sysfs view, kept before /sys shows this namespace
        subprocess.run(['mount', '--bind', '/sys', host_sys], check=True, timeout=10)
        r = subprocess.run(['mount', '-t', 'sysfs', 'sysfs', '/sys'], capture_output=True,
                           text=True, timeout=10)
        if r.returncode != 0:
            print('SKIP: cannot mount sysfs in the new namespace: %s' % r.stderr.strip())
            return 77
        ip('link', 'set', 'lo', 'up')
        if not build_devices():
            print('SKIP: cannot create an ifb device here')
            return 77
        compare(sys.argv[1], node_exporter, '/sys', 'this namespace, from rtnetlink', True)
        compare(sys.argv[1], node_exporter, host_sys, 'another namespace\'s sysfs', False)
    finally:
        subprocess.run(['umount', host_sys], capture_output=True, timeout=10)
        os.rmdir(host_sys)
    return 0


if __name__ == '__main__':
    sys.exit(main())
