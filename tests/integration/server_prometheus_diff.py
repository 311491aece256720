#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""vigil-server beside Prometheus 2.42: the same prometheus.yml, the same
targets (a live vigil-agent, Debian's node_exporter when present, and a fixed
exposition exercising honor_labels, exported_ renames, metric_relabel_configs,
explicit timestamps and histograms) for ~15 s; then the series both stored,
from /api/v1/series of each, must be the same label sets (a difference must persist over two looks 3 s
apart: host churn, a mount or device coming or going between the two
servers' scrapes, differs for one interval only).

usage: server_prometheus_diff.py VIGIL_SERVER VIGIL_AGENT [NODE_EXPORTER] PROMETHEUS
Exit 77 when Prometheus cannot run here.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vigiltest import api_json, free_port, start_server, stop, wait_ready  # noqa: E402

FIXED = (b"# HELP app_requests_total Requests.\n# TYPE app_requests_total counter\n"
         b'app_requests_total{code="200",job="inner",instance="i1"} 10\n'
         b'app_requests_total{code="500",exported_job="pre"} 1\n'
         b"# TYPE app_latency_seconds histogram\n"
         b'app_latency_seconds_bucket{le="0.1"} 1\napp_latency_seconds_bucket{le="+Inf"} 3\n'
         b"app_latency_seconds_sum 0.7\napp_latency_seconds_count 3\n"
         b"# TYPE app_summary summary\n"
         b'app_summary{quantile="0.5"} 1\napp_summary_sum 2\napp_summary_count 2\n'
         b'drop_me{a="b"} 1\nkeep_me{a="UPPER"} 2\n'
         b'app_empty_label{x=""} 3\n')


class Fixed(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(FIXED)))
        self.end_headers()
        self.wfile.write(FIXED)


def wait_up(url, proc, what, secs=20):
    """Wait until url answers; RuntimeError when proc exits first or secs pass."""
    wait_ready(url, proc, what, secs, timeout=1, late=f"{what} not ready at {url}")


def series(base, start):
    q = urllib.parse.urlencode({"match[]": '{job=~"agent|node|fixed|fixed_honor"}',
                                "start": str(start)})
    _, d = api_json(f"{base}/api/v1/series?{q}")
    return {tuple(sorted(s.items())) for s in d["data"]}


def main():
    args = sys.argv[1:]
    if len(args) < 3:
        print(__doc__)
        return 2
    server_bin, agent_bin, prom_bin = args[0], args[1], args[-1]
    node_bin = args[2] if len(args) == 4 else ""
    if not os.access(prom_bin, os.X_OK):
        print(f"SKIP: Prometheus not found ({prom_bin})")
        return 77
    tmp = tempfile.mkdtemp(prefix="vigil-server-diff-")
    procs = []
    try:
        fport = free_port()
        fs = ThreadingHTTPServer(("127.0.0.1", fport), Fixed)
        fs.daemon_threads = True
        threading.Thread(target=fs.serve_forever, daemon=True).start()
        aport = free_port()
        procs.append(subprocess.Popen([agent_bin, f"--web.listen-address=127.0.0.1:{aport}",
                                       "--container.listen-address="],
                                      stderr=subprocess.DEVNULL))
        wait_up(f"http://127.0.0.1:{aport}/metrics", procs[-1], "vigil-agent")
        jobs = [("agent", aport)]
        if node_bin and os.access(node_bin, os.X_OK):
            nport = free_port()
            procs.append(subprocess.Popen([node_bin, f"--web.listen-address=127.0.0.1:{nport}",
                                           "--no-collector.systemd"], stderr=subprocess.DEVNULL))
            wait_up(f"http://127.0.0.1:{nport}/metrics", procs[-1], "node_exporter")
            jobs.append(("node", nport))
        cfg = ["global:", "  scrape_interval: 1s", "scrape_configs:"]
        for name, port in jobs:
            cfg += [f"  - job_name: {name}", "    static_configs:",
                    f"      - targets: ['127.0.0.1:{port}']"]
        relabel = ["    metric_relabel_configs:",
                   "      - source_labels: [__name__]", "        regex: drop_me", "        action: drop",
                   "      - source_labels: [a]", "        target_label: a", "        action: lowercase"]
        cfg += ["  - job_name: fixed", "    static_configs:",
                f"      - targets: ['127.0.0.1:{fport}']", "        labels: {env: test}"] + relabel
        cfg += ["  - job_name: fixed_honor", "    honor_labels: true", "    static_configs:",
                f"      - targets: ['127.0.0.1:{fport}']"] + relabel
        cfgpath = os.path.join(tmp, "prometheus.yml")
        with open(cfgpath, "w") as f:
            f.write("\n".join(cfg) + "\n")
        start = time.time() - 5
        pport, vport = free_port(), free_port()
        prom = start_server(prom_bin, cfgpath, f"{tmp}/prom", pport,
                            log=os.path.join(tmp, "prom.log"))
        procs.append(prom)
        vig = start_server(server_bin, cfgpath, f"{tmp}/vigil", vport,
                           log=os.path.join(tmp, "vigil.log"))
        procs.append(vig)
        try:
            wait_up(f"http://127.0.0.1:{pport}/-/ready", prom, "prometheus", 30)
        except RuntimeError as e:
            print(f"SKIP: {e}")
            return 77
        wait_up(f"http://127.0.0.1:{vport}/-/ready", vig, "vigil-server")
        time.sleep(15)
        ps = series(f"http://127.0.0.1:{pport}", start)
        vs = series(f"http://127.0.0.1:{vport}", start)
        only_p, only_v = ps - vs, vs - ps
        if only_p or only_v:
            # a series that appeared or vanished on the host (a mount, a device) between
            # the two servers' scrapes differs for one interval only: look again
            print(f"{len(only_p) + len(only_v)} differences, comparing again in 3s")
            time.sleep(3)
            ps = series(f"http://127.0.0.1:{pport}", start)
            vs = series(f"http://127.0.0.1:{vport}", start)
            only_p &= ps - vs
            only_v &= vs - ps
        only_p, only_v = sorted(only_p), sorted(only_v)
        print(f"Prometheus {len(ps)} series, vigil-server {len(vs)}, common {len(ps & vs)}")
        for s in only_p[:40]:
            print("only in Prometheus:", dict(s))
        for s in only_v[:40]:
            print("only in vigil-server:", dict(s))
        return 1 if only_p or only_v or not ps else 0
    finally:
        for p in procs:
            stop(p, 15)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
