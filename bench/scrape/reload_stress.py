#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Reload stress for vigil-server's scrape threads, for sanitizer builds.

usage: reload_stress.py VIGIL_SERVER [SECONDS]

Twenty loopback targets answer after 50-90 ms (a quarter of them with a body
over 1 MiB, which goes to the bulk workers); the config scrapes them every
100 ms in two jobs and flips between three target sets every 0.15 s with
SIGHUP, so loops are removed while their scrapes are in flight (retired by
the thread that finishes the scrape).  The server must stay up and exit 0 on
SIGTERM; run it with an ASan or TSan build (-DVIGIL_SANITIZE=ON or
-DVIGIL_TSAN=ON, TSAN_OPTIONS=log_path=...) and look at the reports.
Exits 1 when the server died or exited non-zero.
"""
import http.server
import os
import shutil
import signal
import socketserver
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "lib"))
from vigiltest import free_port, start_server, stop  # noqa: E402


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        port = self.server.server_address[1]
        time.sleep(0.05 + (port % 5) / 100)
        n = 500 if port % 4 else 12000
        body = b"".join(b'm{i="%d",pad="%s"} %d\n' % (i, b"x" * 80, i) for i in range(n))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # scrapes that time out or whose target went away close early


def main():
    srv_bin = sys.argv[1]
    secs = float(sys.argv[2]) if len(sys.argv) > 2 else 20
    servers = []
    for _ in range(20):
        s = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=s.serve_forever, daemon=True).start()
        servers.append(s)
    ports = [s.server_address[1] for s in servers]
    tmp = tempfile.mkdtemp(prefix="vigil-reload-stress-")
    cfg = os.path.join(tmp, "prometheus.yml")

    def write(sel):
        with open(cfg + ".tmp", "w") as f:
            f.write("global:\n  scrape_interval: 100ms\n  scrape_timeout: 90ms\nscrape_configs:\n")
            for j in range(2):
                f.write(f"  - job_name: j{j}\n    static_configs:\n      - targets: [")
                f.write(", ".join(f"'127.0.0.1:{p}'" for k, p in enumerate(ports) if (k + j + sel) % 3))
                f.write("]\n")
        os.rename(cfg + ".tmp", cfg)

    write(0)
    wport = free_port()
    log_path = os.path.join(tmp, "server.log")
    p = start_server(srv_bin, cfg, f"{tmp}/data", wport, log=log_path)
    t0, n = time.time(), 0
    while time.time() - t0 < secs and p.poll() is None:
        time.sleep(0.15)
        n += 1
        write(n % 3)
        p.send_signal(signal.SIGHUP)
    alive = p.poll() is None
    rc = stop(p, 60)
    print(f"reloads {n}, alive until the end {alive}, exit status {rc}")
    if not alive or rc != 0:
        print(open(log_path).read()[-4000:])
    shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(0 if alive and rc == 0 else 1)


if __name__ == "__main__":
    main()
