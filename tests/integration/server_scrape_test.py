#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""vigil-server scraping live and faulty targets (all on 127.0.0.1, free ports).

usage: server_scrape_test.py VIGIL_SERVER VIGIL_AGENT [NODE_EXPORTER]

Targets: a live vigil-agent, Debian's node_exporter (when given and present),
and a small Python server whose paths are slow, time out, answer 500, answer
garbage, answer 10 MB (once within no limit, once beyond body_size_limit),
exceed sample_limit, or go away.  Each must give up 0 with Prometheus's error
text while the others stay up; then a bad reload is rejected, a good one
applied, and a kill -9 keeps what reached the WAL.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vigiltest import free_port, http  # noqa: E402

FAILURES = []

OK_BODY = (b"# HELP fixed_total A counter.\n# TYPE fixed_total counter\n"
           b'fixed_total{path="a"} 1\nfixed_total{path="b"} 2\n'
           b"# TYPE fixed_hist histogram\n"
           b'fixed_hist_bucket{le="1"} 1\nfixed_hist_bucket{le="+Inf"} 2\n'
           b"fixed_hist_sum 3.5\nfixed_hist_count 2\n"
           b'conflict{job="exposed",instance="x"} 7\n')
BIG_BODY = b"".join(b'big_metric{i="%d",pad="%s"} %d\n' % (i, b"x" * 480, i)
                    for i in range(20000))
assert len(BIG_BODY) >= 10_000_000


def check(cond, msg):
    if not cond:
        FAILURES.append(msg)
        print("FAIL:", msg, flush=True)
    else:
        print("ok:", msg, flush=True)


class Faulty(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, code, body, ctype="text/plain; version=0.0.4"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_GET(self):
        if getattr(self.server, "gone", False):
            self.close_connection = True  # drop kept-alive connections too
            return
        p = urllib.parse.urlparse(self.path).path
        if p == "/ok":
            self.server.headers_seen = dict(self.headers)
            self.send(200, OK_BODY)
        elif p == "/slow":
            time.sleep(0.4)
            self.send(200, OK_BODY)
        elif p == "/timeout":
            time.sleep(3)
            self.send(200, OK_BODY)
        elif p == "/500":
            self.send(500, b"boom\n")
        elif p == "/garbage":
            self.send(200, b"fixed_total 1\nthis is { not a metric\n")
        elif p == "/big":
            self.send(200, BIG_BODY)
        else:
            self.send(404, b"not found\n")


def serve(port):
    srv = ThreadingHTTPServer(("127.0.0.1", port), Faulty)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def get(url, data=None, method=None):
    """(status, body) of a request to the server, 10 s at most (error statuses too)."""
    return http(url, data, 10, method)


def wait_port(port, proc, what, secs=10):
    end = time.time() + secs
    while time.time() < end:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"{what} did not listen on {port}")


def targets(base):
    code, body = get(base + "/api/v1/targets")
    assert code == 200, body
    return {(t["scrapePool"], t["labels"]["instance"]): t
            for t in json.loads(body)["data"]["activeTargets"]}


def query(base, q):
    code, body = get(base + "/api/v1/query?" + urllib.parse.urlencode({"query": q}))
    if code == 404:
        return None  # query API not built
    d = json.loads(body)
    assert d["status"] == "success", body
    return d["data"]["result"]


def config(fport, aport, nport, with_dead=True):
    jobs = [
        ("ok", "/ok", {}), ("slow", "/slow", {}), ("timeout", "/timeout", {}),
        ("e500", "/500", {}), ("garbage", "/garbage", {}), ("big", "/big", {"scrape_interval": "3s", "scrape_timeout": "3s"}),
        ("biglimit", "/big", {"body_size_limit": "1MB"}),
        ("samplelimit", "/ok", {"sample_limit": 3}),
    ]
    out = ["global:", "  scrape_interval: 1s", "  scrape_timeout: 1s", "scrape_configs:"]
    for name, path, extra in jobs:
        out += [f"  - job_name: {name}", f"    metrics_path: {path}"]
        out += [f"    {k}: {v}" for k, v in extra.items()]
        out += ["    static_configs:", f"      - targets: ['127.0.0.1:{fport}']"]
    out += ["  - job_name: agent", "    static_configs:", f"      - targets: ['127.0.0.1:{aport}']"]
    if nport:
        out += ["  - job_name: node", "    static_configs:", f"      - targets: ['127.0.0.1:{nport}']"]
    out += ["  - job_name: filesd", "    metrics_path: /ok", "    file_sd_configs:",
            f"      - files: ['{FILESD}']"]
    if with_dead:
        out += ["  - job_name: goaway", "    metrics_path: /ok", "    static_configs:",
                f"      - targets: ['127.0.0.1:{fport + 0}', '127.0.0.1:{GOAWAY_PORT}']"]
    return "\n".join(out) + "\n"


GOAWAY_PORT = 0


def cli_checks(server_bin, tmp):
    """check config, a bad --config.file (exit 2, one line), the embedded default config."""
    bad, good = os.path.join(tmp, "bad.yml"), os.path.join(tmp, "good.yml")
    with open(bad, "w") as f:
        f.write("scrape_configs:\n  - job_name: x\n    scrape_intervall: 1s\n")
    with open(good, "w") as f:
        f.write("scrape_configs:\n  - job_name: x\n    static_configs: [{targets: ['a:1']}]\n")
    r = subprocess.run([server_bin, "check", "config", good, bad], capture_output=True, text=True)
    check(r.returncode == 1 and f" SUCCESS: {good} is valid prometheus config file syntax" in r.stdout
          and f'  FAILED: {bad}:3: unknown key "scrape_intervall" in scrape_config' in r.stdout,
          f"check config: {r.returncode} {r.stdout!r}")
    port = free_port()
    r = subprocess.run([server_bin, f"--config.file={bad}", f"--web.listen-address=127.0.0.1:{port}",
                        f"--storage.tsdb.path={tmp}/never"], capture_output=True, text=True, timeout=20)
    check(r.returncode == 2 and r.stderr == f'{bad}:3: unknown key "scrape_intervall" in scrape_config\n'
          and not os.path.exists(f"{tmp}/never"), f"bad --config.file: {r.returncode} {r.stderr!r}")
    # no --config.file and no ./prometheus.yml: the embedded default
    emb = os.path.join(tmp, "emb")
    os.mkdir(emb)
    p = subprocess.Popen([server_bin, f"--web.listen-address=127.0.0.1:{port}"], cwd=emb,
                         stderr=subprocess.DEVNULL)
    try:
        wait_port(port, p, "vigil-server (embedded config)")
        t = targets(f"http://127.0.0.1:{port}")
        check(sorted(t) == [("vigil-agent", "localhost:9100"), ("vigil-containers", "localhost:8080"),
                            ("vigil-server", f"localhost:{port}")], f"embedded default config: {sorted(t)}")
        code, body = get(f"http://127.0.0.1:{port}/-/reload", data=b"", method="POST")
        check(code == 403 and body == "Lifecycle API is not enabled.", f"reload without lifecycle: {code} {body!r}")
    finally:
        p.terminate()
        p.wait()
FILESD = ""


def main():
    global GOAWAY_PORT, FILESD
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    server_bin, agent_bin = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    node_bin = sys.argv[3] if len(sys.argv) > 3 else ""
    tmp = tempfile.mkdtemp(prefix="vigil-server-scrape-")
    procs = []
    try:
        cli_checks(server_bin, tmp)
        fport, GOAWAY_PORT = free_port(), free_port()
        fsrv = serve(fport)
        goaway = serve(GOAWAY_PORT)
        aport = free_port()
        agent = subprocess.Popen([agent_bin, f"--web.listen-address=127.0.0.1:{aport}",
                                  "--container.listen-address="],
                                 stderr=open(os.path.join(tmp, "agent.log"), "w"))
        procs.append(agent)
        nport = 0
        if node_bin and os.access(node_bin, os.X_OK):
            nport = free_port()
            node = subprocess.Popen([node_bin, f"--web.listen-address=127.0.0.1:{nport}",
                                     "--no-collector.systemd"],
                                    stderr=open(os.path.join(tmp, "node.log"), "w"))
            procs.append(node)
            wait_port(nport, node, "node_exporter")
        else:
            print("note: node_exporter not available, its target is left out")
        wait_port(aport, agent, "vigil-agent")
        FILESD = os.path.join(tmp, "sd.json")
        with open(FILESD, "w") as f:
            json.dump([{"targets": [f"127.0.0.1:{fport}"], "labels": {"team": "a"}}], f)
        cfgpath = os.path.join(tmp, "prometheus.yml")
        with open(cfgpath, "w") as f:
            f.write(config(fport, aport, nport))
        sport = free_port()
        base = f"http://127.0.0.1:{sport}"
        args = [server_bin, f"--config.file={cfgpath}", f"--web.listen-address=127.0.0.1:{sport}",
                f"--storage.tsdb.path={tmp}/data", "--web.enable-lifecycle"]
        slog = open(os.path.join(tmp, "server.log"), "w")
        server = subprocess.Popen(args, stderr=slog)
        procs.append(server)
        wait_port(sport, server, "vigil-server")
        time.sleep(4.5)
        end = time.time() + 20  # sanitizer builds are slower: wait for every first scrape
        while time.time() < end and any(x["health"] == "unknown" for x in targets(base).values()):
            time.sleep(0.5)

        t = targets(base)
        inst = f"127.0.0.1:{fport}"
        def health(job, i=inst):
            return t[(job, i)]["health"], t[(job, i)]["lastError"]
        check(health("ok") == ("up", ""), f"ok target up: {health('ok')}")
        check(health("slow") == ("up", ""), f"slow target (0.4s) up: {health('slow')}")
        check(health("timeout") == ("down", f'Get "http://{inst}/timeout": context deadline exceeded'),
              f"timeout: {health('timeout')}")
        check(health("e500") == ("down", "server returned HTTP status 500 Internal Server Error"),
              f"500: {health('e500')}")
        h, e = health("garbage")
        check(h == "down" and "line 2" in e, f"garbage: {h} {e}")
        check(health("biglimit") == ("down", "body size limit exceeded"), f"body limit: {health('biglimit')}")
        check(health("samplelimit") == ("down", "sample limit exceeded"), f"sample limit: {health('samplelimit')}")
        check(health("big") == ("up", ""), f"10 MB body within limits: {health('big')}")
        check(health("agent", f"127.0.0.1:{aport}") == ("up", ""), "vigil-agent up")
        if nport:
            check(health("node", f"127.0.0.1:{nport}") == ("up", ""), "node_exporter up")
        fsd = t.get(("filesd", inst))
        check(fsd and fsd["health"] == "up" and fsd["labels"].get("team") == "a"
              and fsd["discoveredLabels"].get("__meta_filepath") == FILESD, f"file_sd target: {fsd}")
        # file_sd: a changed file is picked up (the target's labels change: a new loop)
        with open(FILESD + ".tmp", "w") as f:
            json.dump([{"targets": [f"127.0.0.1:{fport}"], "labels": {"team": "b"}}], f)
        os.rename(FILESD + ".tmp", FILESD)
        end = time.time() + 10
        while time.time() < end and targets(base).get(("filesd", inst), {}).get("labels", {}).get("team") != "b":
            time.sleep(0.2)
        check(targets(base)[("filesd", inst)]["labels"].get("team") == "b", "file_sd change applied")
        if query(base, "up") is not None:
            time.sleep(2.2)
            r = query(base, 'fixed_total{job="filesd"}')
            check(len(r) == 2 and all(x["metric"]["team"] == "b" for x in r),
                  f"file_sd: the old target's series went stale: {[x['metric'].get('team') for x in r]}")
        hdr = getattr(fsrv, "headers_seen", {})
        check(hdr.get("Accept", "").startswith("text/plain;version=0.0.4")
              and hdr.get("X-Prometheus-Scrape-Timeout-Seconds") == "1"
              and "gzip" in hdr.get("Accept-Encoding", ""), f"scrape request headers: {hdr}")
        # the ok target keeps its 1s schedule despite the slow and hanging ones
        ok_scrapes = query(base, f'count_over_time(up{{job="ok"}}[4s])')
        if ok_scrapes is not None:
            n = float(ok_scrapes[0]["value"][1]) if ok_scrapes else 0
            check(n >= 3, f"ok target scraped every second beside the timeouts ({n} in 4s)")
            up = {(r["metric"]["job"], r["metric"]["instance"]): r["value"][1] for r in query(base, "up")}
            check(up.get(("timeout", inst)) == "0" and up.get(("ok", inst)) == "1", "up series 0 and 1")
            r = query(base, 'conflict{job="ok"}')
            check(len(r) == 1 and r[0]["metric"].get("exported_job") == "exposed"
                  and r[0]["metric"].get("exported_instance") == "x", f"exported_ labels: {r}")
            r = query(base, 'scrape_samples_post_metric_relabeling{job="ok"}')
            check(r and r[0]["value"][1] == "7", f"scrape_samples_post_metric_relabeling: {r}")
            r = query(base, 'fixed_total{job="goaway"}')
            check(len(r) == 4, f"goaway targets' series before it goes: {len(r)}")
            # the target goes away: its series go stale, the other target's stay
            goaway.gone = True
            goaway.shutdown()
            goaway.server_close()
            time.sleep(2.5)
            r = query(base, 'fixed_total{job="goaway"}')
            check(len(r) == 2 and all(x["metric"]["instance"] == inst for x in r),
                  f"stale markers for a target that went away: {len(r)} series left")
            t = targets(base)
            check(t[("goaway", f"127.0.0.1:{GOAWAY_PORT}")]["lastError"].endswith("connect: connection refused"),
                  "gone target: connection refused")

        # a bad config is rejected and the old one keeps running
        with open(cfgpath, "w") as f:
            f.write("scrape_configs:\n  - job_name: x\n    scrape_intervall: 1s\n")
        code, body = get(base + "/-/reload", data=b"", method="POST")
        check(code == 500 and "failed to reload config" in body and "scrape_intervall" in body,
              f"bad reload: {code} {body.strip()}")
        check(("ok", inst) in targets(base), "old config still running")
        # a good one without the goaway job: its remaining target's series go stale
        with open(cfgpath, "w") as f:
            f.write(config(fport, aport, nport, with_dead=False))
        code, body = get(base + "/-/reload", data=b"", method="POST")
        check(code == 200, f"good reload: {code} {body}")
        t = targets(base)
        check(not any(k[0] == "goaway" for k in t), "removed job's targets gone")
        check(t[("ok", inst)]["health"] == "up", "unchanged job keeps its loop (health stays up)")
        if query(base, "up") is not None:
            time.sleep(1.2)
            r = query(base, 'fixed_total{job="goaway"}')
            check(r == [], f"removed job's series are stale: {r}")

        # kill -9 and restart: samples that reached the WAL survive
        before = query(base, 'count_over_time(up{job="ok"}[1m])')
        server.send_signal(signal.SIGKILL)
        server.wait()
        server = subprocess.Popen(args, stderr=slog)
        procs.append(server)
        wait_port(sport, server, "vigil-server (restart)", 30)
        if before is not None:
            after = query(base, 'count_over_time(up{job="ok"}[1m])')
            nb = float(before[0]["value"][1])
            na = float(after[0]["value"][1]) if after else 0
            check(na >= nb, f"samples survive kill -9 ({nb} before, {na} after)")
        server.send_signal(signal.SIGTERM)
        rc = server.wait(timeout=20)
        check(rc == 0, f"clean exit on SIGTERM ({rc})")
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        if FAILURES:
            print("server log:")
            with open(os.path.join(tmp, "server.log")) as f:
                print(f.read()[-4000:])
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(FAILURES)} failure(s)")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
