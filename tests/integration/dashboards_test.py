#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Every Grafana query we ship is answered, and node_exporter's stock dashboard too.

  dashboards_test.py --agent build/bin/vigil-agent --dashboards packaging/grafana/dashboards
                     --stock /work/shared/fixtures/grafana/node-exporter-full.json
                     [--server prometheus=/usr/bin/prometheus | --server vigil-server=<path>
                      | --url http://host:port] [--node-exporter /usr/bin/prometheus-node-exporter]
                     [--seconds 30] [--strict-gaps]

Starts vigil-agent (both listeners, free loopback ports), Debian's node_exporter
(--no-collector.systemd) and, when root and dockerd are available, a private
Docker engine with a few busy containers (CPU-throttled, memory-holding,
disk-writing, host-network) so every container panel has something to show.
A server (Prometheus 2.42 by default; vigil-server once it exists, same flags)
scrapes them every second for --seconds, then
 (a) every panel and variable query of our dashboards is evaluated against the
     agent's jobs (vigil = node port, vigil-cadvisor = container port) with
     Grafana's variables substituted; each must evaluate without error and
     return data;
 (b) every query of the stock "Node Exporter Full" dashboard is evaluated for
     job vigil and job node_exporter: a query with data for node_exporter but
     none for vigil is a compatibility gap, printed (a failure with --strict-gaps).
With --url the server must already scrape the three jobs under those names
(and the agent's Docker containers, if any).

Exit 77 only if the server or node_exporter binary or the --stock dashboard
(../shared/fixtures, absent beside a user's clone) is missing.
"""
import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from vigiltest import (SKIP, api_json, free_port, shared_fixtures_or_skip, start_server,  # noqa: E402
                       stop, wait_http)
RATE_INTERVAL = "1m"   # Grafana: max(4 x scrape interval, step + scrape interval); 1s scrapes
RANGE = "5m"           # $__range: longer than the data, as a dashboard's time range is


def get_json(url):
    """The JSON answer of a GET to the server's API (an error answer's too)."""
    return api_json(url, timeout=10)[1]


class Server:
    """Query side: /api/v1 of Prometheus or vigil-server."""

    def __init__(self, base):
        self.base = base.rstrip("/")

    def query_range(self, expr, seconds=20, step=5):
        now = time.time()
        qs = urllib.parse.urlencode({"query": expr, "start": f"{now - seconds:.3f}",
                                     "end": f"{now:.3f}", "step": str(step)})
        r = get_json(f"{self.base}/api/v1/query_range?{qs}")
        if r.get("status") != "success":
            return None, r.get("error", "no status")
        return r["data"]["result"], None

    def label_values(self, selector, label):
        """Grafana's label_values(selector, label) / label_values(label)."""
        if selector:
            now = time.time()
            qs = urllib.parse.urlencode({"match[]": selector, "start": f"{now - 60:.3f}",
                                         "end": f"{now:.3f}"})
            r = get_json(f"{self.base}/api/v1/series?{qs}")
            if r.get("status") != "success":
                return None, r.get("error")
            return sorted({s[label] for s in r["data"] if label in s}), None
        r = get_json(f"{self.base}/api/v1/label/{urllib.parse.quote(label)}/values")
        if r.get("status") != "success":
            return None, r.get("error")
        return r["data"], None


def substitute(expr, values):
    """Replace $var, ${var} and ${var:fmt} the way Grafana interpolates them."""
    def rep(m):
        name = m.group(1) or m.group(2)
        return values.get(name, m.group(0))
    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)", rep, expr)


LABEL_VALUES = re.compile(r"^\s*label_values\((?:(.*),\s*)?(\w+)\)\s*$", re.S)


def dashboard_queries(d):
    """[(where, expr)] of panels (rows nested included) and query variables."""
    out = []

    def walk(panels):
        for p in panels:
            for t in p.get("targets", []):
                if t.get("expr"):
                    out.append((f"panel {p.get('title', '?')!r} {t.get('refId', '')}", t["expr"]))
            walk(p.get("panels", []))
    walk(d.get("panels", []))
    for v in d.get("templating", {}).get("list", []):
        if v.get("type") != "query":
            continue
        q = v.get("query")
        q = q.get("query") if isinstance(q, dict) else q
        if q:
            out.append((f"variable ${v['name']}", q))
    return out


def evaluate(server, expr):
    """(has_data, error) for a panel expression or a label_values() variable query."""
    m = LABEL_VALUES.match(expr)
    if m:
        vals, err = server.label_values(m.group(1), m.group(2))
        return bool(vals), err
    res, err = server.query_range(expr)
    if err:
        return False, err
    return any(r.get("values") for r in res), None


def docker_env(tmp_log):
    """A private dockerd with busy containers (reusing the container test's engine setup)."""
    path = os.path.join(HERE, "container_docker_test.py")
    if os.geteuid() != 0 or not os.path.exists(path):
        return None, "needs root"
    spec = importlib.util.spec_from_file_location("container_docker_test", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for p in (mod.DOCKER, mod.DOCKERD, mod.BUSYBOX):
        if not os.path.exists(p):
            return None, f"{p} missing (apt-get install docker.io busybox-static)"
    env = mod.Env()
    if not env.start_dockerd():
        log = env.dockerd_log()
        env.stop()
        return None, "dockerd did not start: " + log
    try:
        env.make_image()
        img = "vigil-test/busybox:local"
        env.docker("run", "-d", "--name", "dash-cpu", "--cpus=0.2", img, "sh", "-c", "yes > /dev/null")
        env.docker("run", "-d", "--name", "dash-mem", "--memory=128m", "--shm-size=128m", img, "sh",
                   "-c", "dd if=/dev/zero of=/dev/shm/hold bs=1M count=32 2>/dev/null; sleep 100000")
        env.docker("run", "-d", "--name", "dash-io", img, "sh", "-c",
                   "while :; do dd if=/dev/zero of=/tmp/f bs=1M count=16 oflag=direct 2>/dev/null; "
                   "dd if=/tmp/f of=/dev/null bs=1M iflag=direct 2>/dev/null; sleep 1; done")
        env.docker("run", "-d", "--name", "dash-net", "--network=host", img, "sh", "-c",
                   "while :; do cat /proc/net/dev > /dev/null; sleep 1; done")
    except AssertionError as e:
        env.stop()
        return None, f"containers did not start: {e}"
    return env, None


def kernel_counts_container_io(docker):
    """Whether the kernel accounts block I/O to the disk-writing container's cgroup
    (some virtual disks / schedulers leave blkio.throttle.* at "Total 0")."""
    import glob
    cid = docker.docker("inspect", "-f", "{{.Id}}", "dash-io", check=False)
    if not cid:
        return False
    files = (glob.glob(f"/sys/fs/cgroup/blkio/**/*{cid}*/blkio.throttle.io_service_bytes*",
                       recursive=True) +
             glob.glob(f"/sys/fs/cgroup/**/*{cid}*/io.stat", recursive=True))
    for f in files:
        try:
            if re.search(r"^\d+:\d+", open(f).read(), re.M):
                return True
        except OSError:
            pass
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--agent", required=True)
    ap.add_argument("--dashboards", required=True)
    ap.add_argument("--stock", required=True)
    ap.add_argument("--server", default="prometheus=/usr/bin/prometheus",
                    help="KIND=PATH of the server to start (prometheus or vigil-server)")
    ap.add_argument("--url", help="use this running server instead of starting one")
    ap.add_argument("--node-exporter", default="/usr/bin/prometheus-node-exporter")
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--strict-gaps", action="store_true")
    args = ap.parse_args()
    shared_fixtures_or_skip(args.stock)

    kind, _, server_bin = args.server.partition("=")
    if not args.url and not os.access(server_bin, os.X_OK):
        print(f"SKIP: server {server_bin} missing (apt-get install prometheus)")
        return SKIP
    if not os.access(args.node_exporter, os.X_OK):
        print(f"SKIP: {args.node_exporter} missing (apt-get install prometheus-node-exporter)")
        return SKIP

    tmp = tempfile.mkdtemp(prefix="vigil-dash-")
    procs, docker = [], None
    failures, gaps = [], []
    try:
        docker, why = docker_env(tmp)
        if docker is None:
            print(f"note: no Docker containers ({why}); container panels filtered by name "
                  "cannot have data and are reported, not failed", flush=True)
        p_node, p_ctr, p_ne = free_port(), free_port(), free_port()
        agent_cmd = [args.agent, f"--web.listen-address=127.0.0.1:{p_node}",
                     f"--container.listen-address=127.0.0.1:{p_ctr}",
                     "--container.housekeeping-interval=1s"]
        if docker:
            agent_cmd.append(f"--container.docker-socket=unix://{docker.sock}")
        agent = subprocess.Popen(agent_cmd, stdout=subprocess.DEVNULL,
                                 stderr=open(os.path.join(tmp, "agent.log"), "w"))
        procs.append(agent)
        ne = subprocess.Popen([args.node_exporter, f"--web.listen-address=127.0.0.1:{p_ne}",
                               "--no-collector.systemd"], stdout=subprocess.DEVNULL,
                              stderr=open(os.path.join(tmp, "node_exporter.log"), "w"))
        procs.append(ne)
        for url, p, what in ((f"http://127.0.0.1:{p_node}/metrics", agent, "vigil-agent"),
                             (f"http://127.0.0.1:{p_ctr}/metrics", agent, "vigil-agent containers"),
                             (f"http://127.0.0.1:{p_ne}/metrics", ne, "node_exporter")):
            if wait_http(url, p, 20, timeout=2) is None:
                print(f"FAIL: {what} did not serve {url}")
                return 1
        targets = {"vigil": f"127.0.0.1:{p_node}", "vigil-cadvisor": f"127.0.0.1:{p_ctr}",
                   "node_exporter": f"127.0.0.1:{p_ne}"}
        if args.url:
            base = args.url
        else:
            p_srv = free_port()
            cfg = os.path.join(tmp, "server.yml")
            with open(cfg, "w") as f:
                f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n")
                for job, t in targets.items():
                    f.write(f"  - job_name: {job}\n    static_configs:\n      - targets: ['{t}']\n")
            srv = start_server(server_bin, cfg, os.path.join(tmp, "data"), p_srv,
                               log=os.path.join(tmp, "server.log"))
            procs.append(srv)
            base = f"http://127.0.0.1:{p_srv}"
            if wait_http(base + "/api/v1/status/buildinfo", srv, 30, timeout=2) is None:
                print(f"FAIL: {kind} did not start; log:\n" +
                      open(os.path.join(tmp, "server.log")).read()[-2000:])
                return 1
        blkio = docker is not None and kernel_counts_container_io(docker)
        if docker is not None and not blkio:
            print("note: the kernel accounts no block I/O to containers here (blkio stats empty); "
                  "Block I/O panels are reported, not failed", flush=True)
        server = Server(base)
        print(f"server {kind if not args.url else base}; scraping for {args.seconds:.0f}s", flush=True)
        time.sleep(args.seconds)
        res, err = server.query_range('up{job=~"vigil|vigil-cadvisor|node_exporter"} == 1')
        up = {r["metric"]["job"] for r in res or []}
        if up != set(targets):
            print(f"FAIL: targets not up: {sorted(set(targets) - up)} {err or ''}")
            return 1

        # (a) our dashboards against the agent's jobs
        for fname, job in (("vigil-host.json", "vigil"), ("vigil-containers.json", "vigil-cadvisor")):
            d = json.load(open(os.path.join(args.dashboards, fname)))
            # a multi-value variable is interpolated as a regex, escaped for a PromQL string
            inst = (re.escape(targets[job]).replace("\\", "\\\\") if job == "vigil-cadvisor"
                    else targets[job])
            values = {"job": job, "instance": inst, "name": ".+", "__rate_interval": RATE_INTERVAL,
                      "__range": RANGE, "__interval": "15s", "datasource": "vigil"}
            if job == "vigil":
                names, _ = server.label_values(f'node_uname_info{{job="{job}"}}', "nodename")
                values["nodename"] = (names or ["?"])[0]
            qs = dashboard_queries(d)
            ok = 0
            for where, expr in qs:
                q = substitute(expr, values)
                has, err = evaluate(server, q)
                if err:
                    failures.append(f"{fname} {where}: error {err}: {q}")
                elif not has:
                    msg = f"{fname} {where}: no data: {q}"
                    if job == "vigil-cadvisor" and docker is None:
                        print("  no data (no Docker here):", msg)
                    elif "container_fs_" in q and not blkio:
                        print("  no data (no block I/O accounting here):", msg)
                    else:
                        failures.append(msg)
                else:
                    ok += 1
            print(f"{fname}: {ok}/{len(qs)} queries return data", flush=True)

        # (b) the stock node_exporter dashboard, both jobs
        stock = json.load(open(args.stock))
        qs = dashboard_queries(stock)
        per_job = {}
        for job in ("node_exporter", "vigil"):
            names, _ = server.label_values(f'node_uname_info{{job="{job}"}}', "nodename")
            values = {"job": job, "node": targets[job], "nodename": (names or ["?"])[0],
                      "__rate_interval": RATE_INTERVAL, "__range": RANGE, "__interval": "15s",
                      "ds_prometheus": "vigil"}
            per_job[job] = []
            for where, expr in qs:
                q = substitute(expr, values)
                has, err = evaluate(server, q)
                if err:
                    failures.append(f"stock {where} (job {job}): error {err}: {q}")
                per_job[job].append(has)
        both = sum(1 for a, b in zip(per_job["node_exporter"], per_job["vigil"]) if a and b)
        ne_only = [(w, e) for (w, e), a, b in zip(qs, per_job["node_exporter"], per_job["vigil"])
                   if a and not b]
        print(f"stock dashboard: {len(qs)} queries; node_exporter has data for "
              f"{sum(per_job['node_exporter'])}, vigil-agent for {sum(per_job['vigil'])}, both {both}")
        for where, expr in ne_only:
            gaps.append(f"{where}: {expr}")
        if gaps:
            print(f"GAPS: {len(gaps)} stock queries answered for node_exporter but not for vigil-agent:")
            for g in gaps:
                print("  " + g)
    finally:
        for p in reversed(procs):
            stop(p, 15)
        if docker:
            docker.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failures:
        print("FAIL:", f)
    if failures or (gaps and args.strict_gaps):
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
