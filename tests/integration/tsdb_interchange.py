#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Interchange between vigil's TSDB and Prometheus 2.42 (Debian package).

  1. backfill: `vigil-tsdb-tool create-blocks-from openmetrics` and
     `promtool tsdb create-blocks-from openmetrics` on the same input write
     byte-identical chunk files, index and tombstones, equal meta.json (but
     the ULID), and `promtool tsdb dump` shows the same samples; our dump of
     promtool's blocks matches promtool's.
  2. blocks we write from the WAL (append, compact --force) pass
     `promtool tsdb analyze`, and `promtool tsdb dump` shows exactly the
     samples we appended.
  3. Prometheus 2.42 started on a directory we wrote (blocks + WAL) serves
     every one of our samples through /api/v1/query.
  4. a data directory Prometheus 2.42 wrote (it scrapes itself every
     second, then is killed with SIGKILL; snappy-compressed WAL) is read by
     our library: our dump equals promtool's dump.
  5. tombstones: a deletion made with our tool (a tombstones file in a
     block) is honoured by promtool.

Usage: tsdb_interchange.py TOOL [case...]
Exit 77 (skipped) when prometheus or promtool is not installed.
"""
import json
import math
import os
import signal
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vigiltest import (PROMETHEUS, PROMTOOL, api_json, free_port, om_float, run_cases,  # noqa: E402
                       start_server, stop, wait_http)


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)
    if r.returncode != 0:
        fail("%s exited %d\nstdout: %s\nstderr: %s" % (" ".join(cmd), r.returncode,
                                                      r.stdout[-2000:], r.stderr[-2000:]))
    return r.stdout


def go_float(s):
    return {"NaN": math.nan, "+Inf": math.inf, "-Inf": -math.inf}.get(s, None) \
        if s in ("NaN", "+Inf", "-Inf") else float(s)


def same_value(a, b):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1, a) == math.copysign(1, b)


def parse_dump(text):
    """promtool dump lines -> list of (labels, value, ts)."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        lbl, rest = line.rsplit("} ", 1)
        v, ts = rest.split(" ")
        out.append((lbl + "}", go_float(v), int(ts)))
    return out


def dump(tool_cmd, d):
    os.makedirs(os.path.join(d, "wal"), exist_ok=True)  # promtool dump wants one
    return run(tool_cmd + ["dump", d])


def blocks_by_mint(d):
    res = {}
    for name in os.listdir(d):
        p = os.path.join(d, name, "meta.json")
        if os.path.exists(p):
            with open(p) as f:
                m = json.load(f)
            res[m["minTime"]] = (os.path.join(d, name), m)
    return res


def case_backfill(tool, work):
    lines = ["# HELP http_requests_total Requests.", "# TYPE http_requests_total counter"]
    t0 = 1700000000.0
    import random
    rnd = random.Random(7)
    series = [("http_requests_total", '{code="200",job="api"}'),
              ("http_requests_total", '{code="500",job="api"}'),
              ("temp", '{room="a b\\"c\\\\d"}'),
              ("edge", "")]
    edges = [math.nan, math.inf, -math.inf, 0.0, -0.0, 1e-300, 5e-324, 1.7976931348623157e308,
             12345678901234.5, -42.0]
    for name, lab in series:
        v = 0.0
        for i in range(1500):
            t = t0 + i * 15 + (0.001 * rnd.randint(0, 9) if i % 7 == 0 else 0)
            if i % 300 == 299:
                t += 3600 * 5  # a gap of several block ranges
                t0 += 3600 * 5
            if name == "temp":
                v = rnd.uniform(-50, 50)
            elif name == "edge":
                v = edges[i % len(edges)]
            else:
                v += rnd.randint(0, 100)
            lines.append("%s%s %s %.3f" % (name, lab, om_float(v), t))
    lines.append("# EOF")
    inp = os.path.join(work, "in.om")
    with open(inp, "w") as f:
        f.write("\n".join(lines) + "\n")
    prom, ours = os.path.join(work, "prom"), os.path.join(work, "ours")
    run([PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", inp, prom])
    out = run(tool + ["create-blocks-from", "openmetrics", inp, ours])
    if "BLOCK ULID" not in out:
        fail("no block table printed:\n" + out)
    pb, ob = blocks_by_mint(prom), blocks_by_mint(ours)
    if sorted(pb) != sorted(ob):
        fail("block time ranges differ: promtool %s, ours %s" % (sorted(pb), sorted(ob)))
    for mint in sorted(pb):
        (pd, pm), (od, om) = pb[mint], ob[mint]
        for rel in ("chunks/000001", "index", "tombstones"):
            with open(os.path.join(pd, rel), "rb") as f1, open(os.path.join(od, rel), "rb") as f2:
                if f1.read() != f2.read():
                    fail("block at %d: %s differs from promtool's" % (mint, rel))
        for m in (pm, om):
            m.pop("ulid")
            m["compaction"].pop("sources")
        if pm != om:
            fail("meta.json differs: %s vs %s" % (pm, om))
    pd = dump([PROMTOOL, "tsdb"], prom)
    if dump([PROMTOOL, "tsdb"], ours) != pd:
        fail("promtool dump of our blocks differs from its dump of its own")
    if dump(tool, prom) != pd:
        fail("our dump of promtool's blocks differs from promtool's")
    n = len(parse_dump(pd))
    if n != 6000:
        fail("expected 6000 samples, promtool dumped %d" % n)
    print("ok backfill: %d blocks byte-identical, %d samples" % (len(pb), n))


def gen_samples(nseries, npoints, start_ms, step_ms, name="m"):
    """Samples with edge values; returns list of (series text, labels str, value, ts)."""
    edges = [math.nan, math.inf, -math.inf, -0.0, 1e-310, 3.14159, 1e300]
    out = []
    for s in range(nseries):
        for i in range(npoints):
            ts = start_ms + i * step_ms + (s % 3)
            if s == 0:
                v = edges[i % len(edges)]
            else:
                v = float(i * s) + (0.25 if i % 2 else 0)
            out.append(('%s{inst="i%d",job="j"}' % (name, s),
                        '{__name__="%s", inst="i%d", job="j"}' % (name, s), v, ts))
    out.sort(key=lambda x: x[3])  # as scrapes arrive: in time order across series
    return out


def append(tool, d, samples, extra=()):
    data = "".join("%s %s %d\n" % (s, om_float(v), ts) for s, _, v, ts in samples)
    r = subprocess.run(tool + ["append", d, "--batch", "100"] + list(extra), input=data,
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0 or "err " in r.stderr:
        fail("append failed: %s" % r.stderr[-2000:])


def check_samples(got, want, what):
    gm = {}
    for lbl, v, ts in got:
        gm[(lbl, ts)] = v
    if len(gm) != len(got):
        fail("%s: duplicate samples" % what)
    for _, lbl, v, ts in want:
        if (lbl, ts) not in gm:
            fail("%s: missing sample %s @%d" % (what, lbl, ts))
        if not same_value(gm[(lbl, ts)], v):
            fail("%s: %s @%d = %r, want %r" % (what, lbl, ts, gm[(lbl, ts)], v))
    if len(got) != len(want):
        fail("%s: %d samples, want %d" % (what, len(got), len(want)))


def case_promtool_reads_ours(tool, work):
    d = os.path.join(work, "db")
    want = gen_samples(50, 1000, 1600000000000, 15000)  # ~4h10m, several blocks
    append(tool, d, want, ["--compact"])
    blocks = [b for b in os.listdir(d) if len(b) == 26]
    if len(blocks) < 2:
        fail("expected several blocks, got %s" % os.listdir(d))
    run([PROMTOOL, "tsdb", "analyze", d])
    for b in blocks:
        run([PROMTOOL, "tsdb", "analyze", d, b])
    got = parse_dump(dump([PROMTOOL, "tsdb"], d))
    check_samples(got, want, "promtool dump of our blocks")
    ours = parse_dump(dump(tool, d))
    check_samples(ours, want, "our dump of our blocks")
    # the same selection through --match and a time range, both tools
    sel = ["--min-time", "1600003000000", "--max-time", "1600009000000",
           "--match", '{__name__="m",inst=~"i1.*|i2",job!="x"}']
    p = run([PROMTOOL, "tsdb", "dump"] + sel + [d])
    o = run(tool + ["dump", d] + sel)
    if p != o or not p:
        fail("dump --match/--min-time/--max-time differs from promtool's (%d vs %d lines)"
             % (len(p.splitlines()), len(o.splitlines())))
    print("ok promtool reads ours: %d blocks, %d samples" % (len(blocks), len(got)))


def start_prometheus(work, d, port, config):
    cfg = os.path.join(work, "prometheus-%d.yml" % port)
    with open(cfg, "w") as f:
        f.write(config)
    log = os.path.join(work, "prometheus-%d.log" % port)
    proc = start_server(PROMETHEUS, cfg, d, port, log=log)
    if wait_http("http://127.0.0.1:%d/-/ready" % port, proc, 30, timeout=1) is None:
        stop(proc, 30)
        with open(log) as f:
            fail("prometheus did not become ready:\n" + f.read()[-3000:])
    return proc


def case_prometheus_serves_ours(tool, work):
    d = os.path.join(work, "db")
    now = int(time.time() * 1000)
    old = gen_samples(20, 500, now - 6 * 3600 * 1000, 15000, "old")    # into blocks
    new = gen_samples(20, 200, now - 3600 * 1000, 15000, "new")        # stays in the WAL
    append(tool, d, old, ["--compact"])
    append(tool, d, new)
    if not any(len(b) == 26 for b in os.listdir(d)):
        fail("no block written")
    # as after a crash of vigil: a leftover spill directory must not bother Prometheus
    os.makedirs(os.path.join(d, "chunks_spill"), exist_ok=True)
    with open(os.path.join(d, "chunks_spill", "000000"), "wb") as f:
        f.write(b"\x00\x01" * 100)
    port = free_port()
    proc = start_prometheus(work, d, port, "global:\n  scrape_interval: 1h\n")
    try:
        for name, want in (("old", old), ("new", new)):
            q = urllib.parse.urlencode({"query": '{__name__="%s"}[8h]' % name,
                                        "time": "%.3f" % (now / 1000.0 + 60)})
            _, body = api_json("http://127.0.0.1:%d/api/v1/query?%s" % (port, q))
            got = []
            for res in body["data"]["result"]:
                m = res["metric"]
                lbl = "{" + ", ".join('%s="%s"' % (k, m[k]) for k in sorted(m)) + "}"
                for ts, v in res["values"]:
                    got.append((lbl, go_float(v), int(round(float(ts) * 1000))))
            check_samples(got, want, "prometheus serving our %s samples" % name)
    finally:
        stop(proc, 30)
    print("ok prometheus serves ours: %d block samples, %d WAL samples" % (len(old), len(new)))


def case_we_read_prometheus(tool, work):
    d = os.path.join(work, "pdb")
    port = free_port()
    proc = start_prometheus(work, d, port,
                            "global:\n  scrape_interval: 1s\nscrape_configs:\n"
                            "  - job_name: self\n    static_configs:\n"
                            "      - targets: ['127.0.0.1:%d']\n" % port)
    try:
        time.sleep(8)
    finally:
        stop(proc, 30, signal.SIGKILL)
    segs = [f for f in os.listdir(os.path.join(d, "wal")) if f.isdigit()]
    if not segs:
        fail("prometheus wrote no WAL segment")
    # the WAL of a default Prometheus is snappy-compressed (flag 0x08 in the
    # first fragment header): make sure that path is exercised
    with open(os.path.join(d, "wal", sorted(segs)[0]), "rb") as f:
        compressed = bool(f.read(1)[0] & 0x08)
    pd = run([PROMTOOL, "tsdb", "dump", d])
    ours = run(tool + ["dump", d])
    p, o = parse_dump(pd), parse_dump(ours)
    if len(p) < 100:
        fail("promtool dumped only %d samples" % len(p))
    check_samples(o, [(None, l, v, t) for l, v, t in p], "our dump of Prometheus's WAL")
    print("ok we read prometheus: %d samples (first record snappy: %s)" % (len(p), compressed))


def case_tombstones(tool, work):
    d = os.path.join(work, "db")
    old = gen_samples(10, 600, 1600000000000, 15000, "t")  # 2.5h: into blocks
    append(tool, d, old, ["--compact"])
    lo, hi = 1600000000000 + 3600 * 1000, 1600000000000 + 5400 * 1000
    run(tool + ["delete", d, "--match", '{__name__="t",inst=~"i[0-4]"}',
                "--min-time", str(lo), "--max-time", str(hi)])
    stones = [b for b in os.listdir(d) if len(b) == 26
              and os.path.getsize(os.path.join(d, b, "tombstones")) > 9]
    if not stones:
        fail("no block got a tombstone")
    want = [x for x in old if not (x[1] < '{__name__="t", inst="i5"' and lo <= x[3] <= hi)]
    if len(want) == len(old):
        fail("test deletes nothing")
    check_samples(parse_dump(dump([PROMTOOL, "tsdb"], d)), want, "promtool dump after delete")
    check_samples(parse_dump(dump(tool, d)), want, "our dump after delete")
    print("ok tombstones: %d samples deleted, promtool agrees" % (len(old) - len(want)))


CASES = {
    "tombstones": case_tombstones,
    "backfill": case_backfill,
    "promtool_reads_ours": case_promtool_reads_ours,
    "prometheus_serves_ours": case_prometheus_serves_ours,
    "we_read_prometheus": case_we_read_prometheus,
}


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    tool = [sys.argv[1]]
    if not (os.access(PROMETHEUS, os.X_OK) and os.access(PROMTOOL, os.X_OK)):
        print("SKIP: %s or %s not installed (apt-get install prometheus)" % (PROMETHEUS, PROMTOOL))
        return 77
    run_cases(CASES, sys.argv[2:], tool, "tsdb-%s-")
    return 0


if __name__ == "__main__":
    sys.exit(main())
