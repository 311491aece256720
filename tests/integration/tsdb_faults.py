#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Fault tests of vigil's TSDB through vigil-tsdb-tool.

  kill9           SIGKILL during heavy appends; every acknowledged sample
                  (the tool prints "ack <line>" after each WAL write) is
                  there after restart, and nothing that was not written.
  wal_garbage     garbage appended to a WAL segment: opening says what it
                  dropped, counts prometheus_tsdb_wal_corruptions_total,
                  truncates the garbage, serves every sample.
  wal_truncated   a segment cut in the middle of its last record: only that
                  record's samples are lost.
  kill9_compact   SIGKILL at random moments while blocks are cut and
                  compacted: every sample is still there on restart.
  corrupt_chunks  a block whose chunk file is damaged is skipped with a log
                  line; the other blocks and the head are served.

Usage: tsdb_faults.py TOOL [case...]
"""
import os
import random
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vigiltest import run_cases  # noqa: E402


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def run(cmd, input=None):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, input=input)
    if r.returncode != 0:
        fail("%s exited %d\nstderr: %s" % (" ".join(cmd), r.returncode, r.stderr[-3000:]))
    return r


def line_for(i, nseries=100, t0=1700000000000):
    s = i % nseries
    ts = t0 + (i // nseries) * 1000
    return 'load{series="s%d"} %d %d\n' % (s, i, ts), '{__name__="load", series="s%d"}' % s, \
        float(i), ts


def parse_dump(text):
    out = {}
    for line in text.splitlines():
        lbl, rest = line.rsplit("} ", 1)
        v, ts = rest.split(" ")
        key = (lbl + "}", int(ts))
        if key in out:
            fail("duplicate sample in dump: %s" % line)
        out[key] = float(v)
    return out


def dump(tool, d):
    return parse_dump(run([tool, "dump", d]).stdout)


def metric(tool, d, name):
    for line in run([tool, "metrics", d]).stdout.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    fail("metric %s not reported" % name)


def check_lines(got, lo, hi, what):
    for i in range(lo, hi):
        _, lbl, v, ts = line_for(i)
        if got.get((lbl, ts)) != v:
            fail("%s: line %d (%s @%d) missing or wrong: %r" % (what, i + 1, lbl, ts,
                                                               got.get((lbl, ts))))


def case_kill9(tool, work):
    d = os.path.join(work, "db")
    p = subprocess.Popen([tool, "append", d, "--batch", "500"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
    acked = [0]
    stop = threading.Event()

    def feed():
        i = 0
        try:
            while not stop.is_set() and i < 20000000:
                p.stdin.write("".join(line_for(k)[0] for k in range(i, i + 1000)))
                i += 1000
        except (BrokenPipeError, ValueError, OSError):
            pass

    def read_acks():
        for line in p.stdout:
            if line.startswith("ack "):
                acked[0] = int(line.split()[1])

    tf, tr = threading.Thread(target=feed), threading.Thread(target=read_acks)
    tf.start()
    tr.start()
    deadline = time.time() + 20
    while acked[0] < 200000 and time.time() < deadline and p.poll() is None:
        time.sleep(0.05)
    p.kill()  # SIGKILL the tool we started
    p.wait()
    stop.set()
    tr.join(timeout=10)
    tf.join(timeout=10)
    n = acked[0]
    if n < 1000:
        fail("too few acknowledged samples before the kill: %d" % n)
    got = dump(tool, d)
    check_lines(got, 0, n, "after kill -9")
    # whatever else is there must be exactly what was sent
    for (lbl, ts), v in got.items():
        i = int(v)
        _, l2, v2, t2 = line_for(i)
        if (l2, t2, v2) != (lbl, ts, v):
            fail("sample not from the input after kill -9: %s %r %d" % (lbl, v, ts))
    # a read-write open repairs a torn tail; data stays
    run([tool, "compact", d])
    check_lines(dump(tool, d), 0, n, "after repair")
    print("ok kill9: %d acknowledged samples all present (%d found)" % (n, len(got)))


def fill(tool, d, n, batch):
    data = "".join(line_for(i)[0] for i in range(n))
    run([tool, "append", d, "--batch", str(batch)], input=data)


def last_segment(d):
    segs = sorted(f for f in os.listdir(os.path.join(d, "wal")) if f.isdigit()
                  and os.path.getsize(os.path.join(d, "wal", f)) > 0)
    return os.path.join(d, "wal", segs[-1])


def case_wal_garbage(tool, work):
    d = os.path.join(work, "db")
    fill(tool, d, 5000, 100)
    seg = last_segment(d)
    size = os.path.getsize(seg)
    rnd = random.Random(3)
    with open(seg, "ab") as f:
        f.write(bytes(rnd.randrange(1, 256) for _ in range(5000)))
    if metric(tool, d, "prometheus_tsdb_wal_corruptions_total") != 1:
        fail("corruption not counted")
    r = run([tool, "compact", d])
    if "WAL repair" not in r.stderr:
        fail("no log line about the repair:\n" + r.stderr)
    if os.path.getsize(seg) != size:
        fail("segment not truncated back to %d bytes (now %d)" % (size, os.path.getsize(seg)))
    check_lines(dump(tool, d), 0, 5000, "after garbage")
    if metric(tool, d, "prometheus_tsdb_wal_corruptions_total") != 0:
        fail("still corrupt after repair")
    print("ok wal_garbage: repaired, 5000 samples served")


def case_wal_truncated(tool, work):
    d = os.path.join(work, "db")
    fill(tool, d, 5000, 10)
    seg = last_segment(d)
    with open(seg, "rb") as f:
        end = len(f.read().rstrip(b"\0"))  # the last page is zero-filled on close
    with open(seg, "r+b") as f:
        f.truncate(end - 50)
    got = dump(tool, d)
    check_lines(got, 0, 4990, "truncated segment")
    if len(got) != 4990:
        fail("expected the last record (10 samples) lost, got %d samples" % len(got))
    r = run([tool, "compact", d])
    if "WAL repair" not in r.stderr:
        fail("no log line about the repair:\n" + r.stderr)
    check_lines(dump(tool, d), 0, 4990, "after repair")
    print("ok wal_truncated: 4990 of 5000 samples served, last torn record dropped")


def case_corrupt_chunks(tool, work):
    d = os.path.join(work, "db")
    # 100 series x 3 blocks of 2h at 1s... keep it small: 1 sample per 10s
    n = 100 * 2200
    data = "".join(line_for(i, t0=1700000000000)[0].replace(
        " %d\n" % line_for(i)[3], " %d\n" % (1700006400000 + (i // 100) * 10000))
        for i in range(n))
    run([tool, "append", d, "--batch", "1000", "--compact"], input=data)
    blocks = sorted((b for b in os.listdir(d) if len(b) == 26),
                    key=lambda b: open(os.path.join(d, b, "meta.json")).read())
    if len(blocks) < 2:
        fail("need at least 2 blocks, have %s" % blocks)
    metas = {}
    for b in blocks:
        import json
        with open(os.path.join(d, b, "meta.json")) as f:
            metas[b] = json.load(f)
    victim = min(blocks, key=lambda b: metas[b]["minTime"])
    before = run([tool, "dump", d]).stdout
    total = len(before.splitlines())
    cf = os.path.join(d, victim, "chunks", "000001")
    with open(cf, "r+b") as f:
        f.seek(os.path.getsize(cf) // 2)
        f.write(b"\xde\xad\xbe\xef" * 8)
    r = subprocess.run([tool, "dump", d], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        fail("dump refused to run with a corrupt block: " + r.stderr[-2000:])
    if "corrupt chunk file" not in r.stderr or victim not in r.stderr:
        fail("no log line naming the corrupt block:\n" + r.stderr[-2000:])
    got = parse_dump(r.stdout)
    vmin, vmax = metas[victim]["minTime"], metas[victim]["maxTime"]
    exp = {k: v for k, v in parse_dump(before).items() if not (vmin <= k[1] < vmax)}
    if got != exp:
        fail("served %d samples, want the %d outside the corrupt block" % (len(got), len(exp)))
    print("ok corrupt_chunks: block %s skipped, %d of %d samples served" % (victim, len(got),
                                                                           total))


def case_kill9_compact(tool, work):
    d = os.path.join(work, "db")
    n = 200 * 1500  # 200 series x 1500 samples at 20s: 8h20m, several blocks
    base = 1700006400000
    data = "".join('load{series="s%d"} %d %d\n' % (i % 200, i, base + (i // 200) * 20000)
                   for i in range(n))
    run([tool, "append", d, "--batch", "1000"], input=data)
    want = dump(tool, d)
    if len(want) != n:
        fail("expected %d samples before the crashes, have %d" % (n, len(want)))
    rnd = random.Random(11)
    kills = 0
    for attempt in range(8):
        p = subprocess.Popen([tool, "compact", d, "--force"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(rnd.uniform(0.0, 0.25))
        if p.poll() is None:
            p.kill()  # SIGKILL the compaction we started
            kills += 1
        p.wait()
        got = dump(tool, d)
        if got != want:
            fail("after a kill during compaction (attempt %d): %d samples, want %d"
                 % (attempt, len(got), len(want)))
    run([tool, "compact", d, "--force"])
    if dump(tool, d) != want:
        fail("samples differ after the final compaction")
    leftovers = [f for f in os.listdir(d) if f.endswith(".tmp-for-creation")]
    if leftovers:
        fail("temporary block directories left behind: %s" % leftovers)
    print("ok kill9_compact: %d kills during compaction, all %d samples intact" % (kills, n))


CASES = {"kill9": case_kill9, "kill9_compact": case_kill9_compact, "wal_garbage": case_wal_garbage,
         "wal_truncated": case_wal_truncated, "corrupt_chunks": case_corrupt_chunks}


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    run_cases(CASES, sys.argv[2:], sys.argv[1], "tsdb-fault-%s-")
    return 0


if __name__ == "__main__":
    sys.exit(main())
