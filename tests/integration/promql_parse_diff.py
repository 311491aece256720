#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Differential test of Vigil's PromQL parser against the real Prometheus.

usage: promql_parse_diff.py <vigil-promql-check> <corpus> [prometheus binary]

Starts Prometheus on 127.0.0.1:<free port> with an empty scrape config and a
temporary data directory, then for every query of the corpus:
  * sends it to /api/v1/query: Prometheus's verdict is a parse error
    (errorType bad_data, "invalid parameter \"query\": <message>") or not;
  * runs it through vigil-promql-check: OK <type> <canonical> or ERR <message>;
  * valid/invalid must agree, and so must the error messages.
Queries Prometheus accepts are then loaded into Prometheus as recording rules
(SIGHUP reload) and /api/v1/rules gives Prometheus's canonical String() form
of each, which must equal ours.  Queries marked "@range" also go to
/api/v1/query_range, which rejects range-vector and string results.

Corpus syntax: one query per line; "## ..." comments and blank lines are
skipped; "@json <JSON string>" gives a query with special characters;
"@differs <reason>" before a query marks an intentional difference (reported,
never a failure); "@range <query>" also checks query_range.

Exit status: 0 all agree, 1 a difference, 77 Prometheus cannot run here.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vigiltest import api_json, free_port, start_server, stop, wait_http  # noqa: E402

EVAL_TIME = "1700000000"
PREFIX = 'invalid parameter "query": '


def load_corpus(path):
    entries = []
    differs = None
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.startswith("## "):
                continue
            if line.startswith("@differs "):
                differs = line[len("@differs "):]
                continue
            rng = False
            if line.startswith("@range "):
                rng = True
                line = line[len("@range "):]
            if line.startswith("@json "):
                line = json.loads(line[len("@json "):])
            entries.append({"q": line, "line": lineno, "differs": differs, "range": rng})
            differs = None
    return entries


class Prometheus:
    def __init__(self, binary):
        self.dir = tempfile.mkdtemp(prefix="vigil-promql-diff-")
        self.port = free_port()
        self.rules = os.path.join(self.dir, "rules.yml")
        with open(self.rules, "w") as f:
            f.write("groups: []\n")
        cfg = os.path.join(self.dir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  evaluation_interval: 1h\nrule_files:\n  - %s\n"
                    "scrape_configs: []\n" % json.dumps(self.rules))
        self.proc = start_server(binary, cfg, os.path.join(self.dir, "data"), self.port,
                                 "--log.level=warn", log=os.path.join(self.dir, "prometheus.log"))
        self.base = "http://127.0.0.1:%d" % self.port

    def wait_ready(self, seconds=30):
        """True once Prometheus answers /-/ready; False when it exits first or seconds pass."""
        return wait_http(self.base + "/-/ready", self.proc, seconds, timeout=2) is not None

    def stop(self):
        """Stop Prometheus by its PID and remove its directory."""
        stop(self.proc, 15)
        shutil.rmtree(self.dir, ignore_errors=True)


def prom_verdict(status, body):
    """('ERR', message) for a parse error, ('OK', detail) otherwise."""
    if body.get("status") == "success":
        return ("OK", body["data"]["resultType"])
    err = body.get("error", "")
    if body.get("errorType") == "bad_data" and err.startswith(PREFIX):
        return ("ERR", err[len(PREFIX):])
    if body.get("errorType") == "bad_data":
        return ("BAD", err)
    # execution errors (422) and the like: the query parsed
    return ("OK", "%s: %s" % (body.get("errorType"), err))


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    checker, corpus = sys.argv[1], sys.argv[2]
    binary = sys.argv[3] if len(sys.argv) > 3 else shutil.which("prometheus") or "/usr/bin/prometheus"
    if not os.access(binary, os.X_OK):
        print("SKIP: no prometheus binary at %s (apt-get install prometheus)" % binary)
        return 77
    entries = load_corpus(corpus)

    # ours, in one run of the checker
    inp = "".join(json.dumps(e["q"]) + "\n" for e in entries)
    out = subprocess.run([checker, "-j"], input=inp.encode(), stdout=subprocess.PIPE,
                         timeout=120, check=True).stdout.decode(errors="replace").splitlines()
    if len(out) != len(entries):
        print("checker printed %d lines for %d queries" % (len(out), len(entries)))
        return 1
    for e, line in zip(entries, out):
        kind, rest = line.split(" ", 1)
        if kind == "OK":
            typ, canon = rest.split(" ", 1)
            e["ours"] = ("OK", typ, json.loads(canon))
        else:
            e["ours"] = ("ERR", json.loads(rest))

    prom = Prometheus(binary)
    try:
        if not prom.wait_ready():
            print("SKIP: prometheus did not start; its log:")
            with open(os.path.join(prom.dir, "prometheus.log")) as f:
                print(f.read()[-2000:])
            return 77
        for e in entries:
            st, body = api_json(prom.base + "/api/v1/query", {"query": e["q"], "time": EVAL_TIME})
            e["prom"] = prom_verdict(st, body)
            if e["range"]:
                st, body = api_json(prom.base + "/api/v1/query_range",
                                {"query": e["q"], "start": EVAL_TIME,
                                 "end": str(int(EVAL_TIME) + 600), "step": "60"})
                e["prom_range"] = (body.get("status"), body.get("errorType"), body.get("error", ""))

        # canonical forms of the valid queries, through recording rules
        valid = [e for e in entries if e["prom"][0] == "OK"]
        with open(prom.rules, "w") as f:
            f.write("groups:\n- name: corpus\n  rules:\n")
            for i, e in enumerate(valid):
                f.write("  - record: r%d\n    expr: %s\n" % (i, json.dumps(e["q"])))
        prom.proc.send_signal(signal.SIGHUP)
        rules = None
        deadline = time.time() + 30
        while time.time() < deadline:
            st, body = api_json(prom.base + "/api/v1/rules")
            groups = body.get("data", {}).get("groups", [])
            if groups:
                rules = groups[0]["rules"]
                break
            time.sleep(0.3)
        if rules is None and valid:
            print("FAIL: Prometheus did not load the recording rules; its log:")
            with open(os.path.join(prom.dir, "prometheus.log")) as f:
                print(f.read()[-3000:])
            return 1
        for r in rules or []:
            valid[int(r["name"][1:])]["prom_canon"] = r["query"]
    finally:
        prom.stop()

    failures, known, fixed = [], [], []
    for e in entries:
        ours, theirs = e["ours"], e["prom"]
        problem = None
        if theirs[0] == "BAD":
            problem = "Prometheus rejected the request: %s" % theirs[1]
        elif ours[0] != theirs[0]:
            problem = "ours %s, Prometheus %s" % (ours, theirs)
        elif ours[0] == "ERR" and ours[1] != theirs[1]:
            problem = "error differs:\n      ours: %s\n      prom: %s" % (ours[1], theirs[1])
        elif ours[0] == "OK" and e.get("prom_canon") is not None and ours[2] != e["prom_canon"]:
            problem = "canonical form differs:\n      ours: %s\n      prom: %s" % (
                ours[2], e["prom_canon"])
        elif ours[0] == "OK" and e["range"]:
            pr = e["prom_range"]
            want_ok = ours[1] in ("scalar", "vector")
            if want_ok != (pr[0] == "success") and pr[1] != "execution":
                problem = "query_range: ours type %s, Prometheus %s" % (ours[1], pr)
        shown = json.dumps(e["q"])
        if len(shown) > 160:
            shown = shown[:150] + '..." (%d bytes)' % len(e["q"])
        tag = "line %d: %s" % (e["line"], shown)
        if problem and e["differs"]:
            known.append("%s\n    %s\n    (known: %s)" % (tag, problem, e["differs"]))
        elif problem:
            failures.append("%s\n    %s" % (tag, problem))
        elif e["differs"]:
            fixed.append(tag)

    nvalid = sum(1 for e in entries if e["prom"][0] == "OK")
    ncanon = sum(1 for e in entries if e.get("prom_canon") is not None)
    print("%d canonical forms compared with Prometheus's String()" % ncanon)
    print("%d queries (%d valid, %d invalid in Prometheus): %d agree, %d known differences, "
          "%d failures" % (len(entries), nvalid, len(entries) - nvalid,
                           len(entries) - len(failures) - len(known), len(known), len(failures)))
    for k in known:
        print("KNOWN " + k)
    for f in fixed:
        print("NOW AGREES (drop its @differs): " + f)
    for f in failures:
        print("FAIL " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
