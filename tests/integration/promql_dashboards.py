#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Every panel query of the Grafana dashboards, on data scraped from a live agent.

usage: promql_dashboards.py <vigil-agent> <vigil-api-serve> <dashboard.json>...

Starts vigil-agent on 127.0.0.1 (a free port; the container endpoint too
when it can run here), scrapes /metrics 24 times (half a second apart,
stamped 15 s apart so rate() has data), adds job="node" and the instance
label as Prometheus would, writes OpenMetrics and backfills it with
`promtool tsdb create-blocks-from openmetrics`.  Prometheus 2.42 and
vigil-api-serve then serve copies of those blocks, and every panel query
of every dashboard given ($job, $instance, $node, $nodename, $name and
Grafana's $__rate_interval/$__interval/$__range substituted) is sent to
both as an instant query and as a range query over the scraped window.
Ours must not fail where Prometheus answers, and the answers must agree
(series sorted; in range queries values within 1e-12 relative and
topk/bottomk ties excepted, because Prometheus orders series inside a range
evaluation by Go map iteration, which is random).

Exit: 0 all agree, 1 a difference, 77 Prometheus/promtool missing or a
dashboard file absent (the stock one is in ../shared/fixtures, which a
user's clone usually lacks).
"""
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
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from promql_eval_diff import first_difference, normalise, values_close  # noqa: E402
from vigiltest import (PROMETHEUS, backfill_copies, free_port, http, http_get,  # noqa: E402
                       prometheus_ready_or_skip, require_prometheus, shared_fixtures_or_skip,
                       start_server, stop, wait_http, wait_ready)

T0 = 1700000000
SCRAPES = 24
INTERVAL = 15


LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)\s*$')


def scrape(url, extra, series, ts):
    try:
        text = http_get(url, timeout=30)
    except OSError:
        return False
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = LINE.match(line)
        if not m:
            continue
        name, labels, value = m.group(1), m.group(2) or "{}", m.group(3)
        inner = labels[1:-1]
        key = "%s{%s%s%s}" % (name, extra, "," if inner else "", inner)
        series.setdefault(name, {}).setdefault(key, []).append((ts, value))
    return True


def exprs_of(path):
    with open(path, encoding="utf-8") as f:
        d = json.load(f)
    out = []

    def walk(p):
        for t in p.get("targets", []) or []:
            if t.get("expr"):
                out.append(t["expr"])
        for c in p.get("panels", []) or []:
            walk(c)
    for p in d.get("panels", []):
        walk(p)
    for row in d.get("rows", []) or []:
        for p in row.get("panels", []):
            walk(p)
    return out


def substitute(expr, instance):
    values = {"job": "node", "instance": instance, "node": instance, "nodename": ".*",
              "name": ".*", "__rate_interval": "1m", "__interval": "15s", "__range": "5m",
              "__range_s": "300", "__interval_ms": "15000"}
    def rep(m):
        return values.get(m.group(1) or m.group(2) or m.group(3), m.group(0))
    return re.sub(r'\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)', rep, expr)


def main():
    if len(sys.argv) < 4:
        print(__doc__)
        return 2
    agent, serve, dashboards = sys.argv[1], sys.argv[2], sys.argv[3:]
    for d in dashboards:
        shared_fixtures_or_skip(d)
    require_prometheus()
    work = tempfile.mkdtemp(prefix="vigil-dash-")
    procs = []
    try:
        ap, cp = free_port(), free_port()
        instance = "127.0.0.1:%d" % ap
        a = subprocess.Popen([agent, "--web.listen-address=127.0.0.1:%d" % ap,
                              "--container.listen-address=127.0.0.1:%d" % cp],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(a)
        wait_http("http://%s/metrics" % instance, a, 20, timeout=2, interval=0.1)
        series = {}
        for i in range(SCRAPES):
            ts = T0 + i * INTERVAL
            if not scrape("http://%s/metrics" % instance,
                          'instance="%s",job="node"' % instance, series, ts):
                print("FAIL: vigil-agent did not answer /metrics")
                return 1
            scrape("http://127.0.0.1:%d/metrics" % cp,
                   'instance="127.0.0.1:%d",job="cadvisor"' % cp, series, ts)
            time.sleep(0.5)
        om = os.path.join(work, "scraped.om")
        with open(om, "w", encoding="utf-8") as f:
            for name in sorted(series):
                for key, pts in series[name].items():
                    for ts, v in pts:
                        f.write("%s %s %d\n" % (key, v, ts))
            f.write("# EOF\n")
        _, (pdir, odir) = backfill_copies(om, work, ("prom", "ours"))
        cfg = os.path.join(work, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1h\n")
        pp, op = free_port(), free_port()
        prom = start_server(PROMETHEUS, cfg, pdir, pp, "--storage.tsdb.retention.time=100y")
        procs.append(prom)
        ours = subprocess.Popen([serve, odir, "127.0.0.1:%d" % op],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(ours)
        pbase, obase = "http://127.0.0.1:%d" % pp, "http://127.0.0.1:%d" % op
        prometheus_ready_or_skip(pbase, prom)
        wait_ready(obase + "/-/ready", ours, "vigil-api-serve")
        end = T0 + (SCRAPES - 1) * INTERVAL
        failures = total = nonempty = 0
        for d in dashboards:
            for expr in exprs_of(d):
                q = substitute(expr, instance)
                ordered = "sort" in q
                ties = "topk" in q or "bottomk" in q
                cases = [("query", {"query": q, "time": str(end)}),
                         ("query_range", {"query": q, "start": str(T0), "end": str(end), "step": "15"})]
                for ep, params in cases:
                    qs = urllib.parse.urlencode(params)
                    ps, pb = http("%s/api/v1/%s?%s" % (pbase, ep, qs))
                    os_, ob = http("%s/api/v1/%s?%s" % (obase, ep, qs))
                    total += 1
                    pn = normalise(ps, pb, ordered and ep == "query")
                    on = normalise(os_, ob, ordered and ep == "query")
                    if on.get("status") == "success" and on.get("result"):
                        nonempty += 1
                    if pn == on:
                        continue
                    # Inside a range evaluation Prometheus orders series by Go
                    # map iteration (random), so sums of many floats may differ
                    # in the last bits from run to run: 1e-12 relative there.
                    if ep == "query_range" and values_close(pn, on, 1e-12):
                        continue
                    if on.get("status") != "success" and pn.get("status") == "success":
                        print("FAIL %s %s: we fail: %s" % (os.path.basename(d), ep, on.get("error")))
                        print("     %s" % q)
                        failures += 1
                    elif ties and ep == "query_range":
                        continue  # Prometheus breaks range-query ties in map order
                    else:
                        print("DIFF %s %s: %s" % (os.path.basename(d), ep,
                                                 (first_difference(pn, on) or "")[:300]))
                        print("     %s" % q)
                        failures += 1
        print("%d dashboard requests, %d with data, %d failed" % (total, nonempty, failures))
        return 1 if failures else 0
    finally:
        for p in procs:
            stop(p, 20)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
