#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""vigil-agent built with ThreadSanitizer, under concurrent scrapes.

Four clients scrape /metrics at once for a few hundred requests: fresh
connections and kept-alive ones, plain and gzip, some followed by another
request on the same connection; then the agent is stopped.  It runs with
TSAN_OPTIONS halt_on_error=0 exitcode=66, so any race report (the HTTP
server's connection hand-over between threads, the scrape context pool,
the collectors' shared state) makes it exit 66 and this test fail with the
report.  tests/tsan/agent.supp suppresses one report that is TSan's model of
epoll, not a race (see there).  Loopback only; the container listener is off.

Usage: agent_scrapes.py AGENT
"""
import http.client
import os
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from vigiltest import free_port, stop, wait_http  # noqa: E402

CLIENTS = 4
ROUNDS = 60


def client(port, gzip, errors):
    headers = {'Accept-Encoding': 'gzip'} if gzip else {}
    for i in range(ROUNDS):
        try:
            c = http.client.HTTPConnection('127.0.0.1', port, timeout=60)
            c.request('GET', '/metrics', headers=headers)
            r = c.getresponse()
            r.read()
            if r.status != 200:
                errors.append('status %d' % r.status)
            if i % 3 == 0:  # a second request on the kept-alive connection
                c.request('GET', '/')
                c.getresponse().read()
            c.close()
        except (OSError, http.client.HTTPException) as e:
            errors.append(repr(e))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    port = free_port()
    env = dict(os.environ)
    supp = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'agent.supp')
    env['TSAN_OPTIONS'] = ('halt_on_error=0 exitcode=66 report_signal_unsafe=0 history_size=4 '
                           'suppressions=' + supp)
    with tempfile.TemporaryFile(mode='w+') as log:
        agent = subprocess.Popen([sys.argv[1], '--web.listen-address=127.0.0.1:%d' % port,
                                  '--container.listen-address=', '--log.level=error'],
                                 stdout=subprocess.DEVNULL, stderr=log, env=env)
        try:
            # ready when the landing page answers: no scrape before the clients start,
            # so collectors initialise their state under concurrent first scrapes
            if wait_http('http://127.0.0.1:%d/' % port, agent, 60, timeout=30) is None:
                sys.exit('FAIL: the agent did not start')
            errors = []
            threads = [threading.Thread(target=client, args=(port, i % 2 == 0, errors))
                       for i in range(CLIENTS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        finally:
            status = stop(agent, 30)
        log.seek(0)
        text = log.read()
    if errors:
        sys.exit('FAIL: %d failed requests, first: %s' % (len(errors), errors[0]))
    if 'WARNING: ThreadSanitizer' in text or status == 66:
        sys.exit('FAIL: ThreadSanitizer reports (exit %s):\n%s' % (status, text[-20000:]))
    if status != 0:
        sys.exit('FAIL: the agent exited with %s:\n%s' % (status, text[-5000:]))
    print('ok: %d scrapes from %d clients, no race reported' % (CLIENTS * ROUNDS, CLIENTS))
    return 0


if __name__ == '__main__':
    sys.exit(main())
