#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Both binaries speak systemd's notify protocol as their Type=notify units need.

Each is started with $NOTIFY_SOCKET pointing at a datagram socket of ours:
READY=1 once it serves (the agent after both listeners, the server after the
TSDB and scraping), RELOADING=1 then READY=1 around a SIGHUP (server),
WATCHDOG=1 when $WATCHDOG_USEC is set, STOPPING=1 on SIGTERM, exit code 0.

Usage: sdnotify_test.py AGENT SERVER
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from vigiltest import free_port, stop  # noqa: E402


def run(cmd, cwd, hup=False):
    sock_path = os.path.join(cwd, 'notify.sock')
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(sock_path)
    s.settimeout(15)
    env = dict(os.environ, NOTIFY_SOCKET=sock_path, WATCHDOG_USEC='1000000')
    p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    msgs = []
    try:
        def recv_until(word):
            while True:
                m = s.recv(4096).decode()
                msgs.append(m)
                if word in m.split('\n'):
                    return
        recv_until('READY=1')
        recv_until('WATCHDOG=1')
        if hup:
            p.send_signal(signal.SIGHUP)
            recv_until('RELOADING=1')
            recv_until('READY=1')
        p.send_signal(signal.SIGTERM)
        recv_until('STOPPING=1')
    except OSError as e:
        msgs.append(f'<{e}>')
    finally:
        stop(p, 20)
        s.close()
    return msgs, p.returncode, p.stderr.read().decode()


def main():
    agent, server = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        msgs, rc, err = run([agent, f'--web.listen-address=127.0.0.1:{free_port()}',
                             f'--container.listen-address=127.0.0.1:{free_port()}'], tmp)
        print('agent:', msgs, 'exit', rc)
        if not msgs or msgs[-1].split('\n')[0] != 'STOPPING=1' or rc != 0:
            failures.append(f'agent: {msgs} exit {rc} {err[-500:]}')
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, 'prometheus.yml')
        with open(cfg, 'w') as f:
            f.write('global:\n  scrape_interval: 15s\nscrape_configs: []\n')
        msgs, rc, err = run([server, f'--config.file={cfg}', f'--web.listen-address=127.0.0.1:{free_port()}',
                             f'--storage.tsdb.path={tmp}/data'], tmp, hup=True)
        print('server:', msgs, 'exit', rc)
        if not msgs or msgs[-1].split('\n')[0] != 'STOPPING=1' or rc != 0 or \
                not any(m.startswith('RELOADING=1') for m in msgs):
            failures.append(f'server: {msgs} exit {rc} {err[-500:]}')
    for f in failures:
        print('FAIL', f)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
