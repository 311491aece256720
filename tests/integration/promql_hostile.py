#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Malformed and hostile queries against vigil-api-serve.

usage: promql_hostile.py <vigil-api-serve> <hostile corpus>

Generates the differential test's data (tests/promql/data/gen_eval_data.py),
backfills it with vigil-tsdb-tool (next to vigil-api-serve), starts
vigil-api-serve on 127.0.0.1 with --query.timeout 10s and a sample limit of
5,000,000, and sends every query of the corpus.  Each must get a clean
JSON answer of the expected kind within 20 seconds, and the server must
still answer /-/ready after it (no crash, no hang).  Runs under any build;
under AddressSanitizer a leak or overflow kills the server and fails the
test.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from vigiltest import free_port, http, stop, wait_http  # noqa: E402

GEN = os.path.join(HERE, "..", "promql", "data", "gen_eval_data.py")
T0 = 1700000000
END = T0 + 3 * 3600


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    serve, corpus = sys.argv[1:]
    tool = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(serve))), "bin",
                        "vigil-tsdb-tool")
    if not os.access(tool, os.X_OK):
        tool = os.path.join(os.path.dirname(os.path.abspath(serve)), "vigil-tsdb-tool")
    work = tempfile.mkdtemp(prefix="vigil-hostile-")
    proc = None
    try:
        om = os.path.join(work, "data.om")
        subprocess.run([sys.executable, GEN, om], check=True)
        data = os.path.join(work, "data")
        subprocess.run([tool, "create-blocks-from", "openmetrics", om, data, "-q"], check=True,
                       stdout=subprocess.DEVNULL)
        port = free_port()
        base = "http://127.0.0.1:%d" % port
        proc = subprocess.Popen([serve, data, "127.0.0.1:%d" % port, "300", "5000000", "10"])
        wait_http(base + "/-/ready", proc, 10, timeout=2, interval=0.05)
        failures = n = 0
        with open(corpus, encoding="utf-8") as f:
            for raw in f:
                line = raw.rstrip("\n")
                if not line.strip() or line.startswith("## "):
                    continue
                assert line.startswith("@json "), line
                expect, ep, qjson = line[len("@json "):].split(" ", 2)
                query = json.loads(qjson)
                extra = {}
                if ":" in ep:
                    ep, kv = ep.split(":", 1)
                    k, v = kv.split("=", 1)
                    extra[k] = v
                if ep == "instant":
                    params = {"query": query, "time": str(END - 60)}
                    path = "/api/v1/query"
                else:
                    params = {"query": query, "start": str(T0), "end": str(END), "step": "1"}
                    path = "/api/v1/query_range"
                params.update(extra)
                n += 1
                started = time.monotonic()
                try:
                    status, body = http(base + path, data=urllib.parse.urlencode(params).encode(),
                                        timeout=20)
                except (urllib.error.URLError, OSError) as e:
                    print("FAIL %s: no answer (%s)" % (qjson[:80], e))
                    failures += 1
                    status, body = None, ""
                took = time.monotonic() - started
                ok = True
                why = ""
                if status is not None:
                    try:
                        j = json.loads(body)
                    except ValueError:
                        j = None
                    if not j or j.get("status") not in ("success", "error"):
                        ok, why = False, "not a JSON answer: %r" % body[:200]
                    elif expect == "any":
                        pass
                    elif j["status"] != "error":
                        ok, why = False, "expected an error, got success"
                    elif expect != "error" and j.get("errorType") != expect:
                        ok, why = False, "expected %s, got %s: %s" % (expect, j.get("errorType"),
                                                                      j.get("error"))
                    if not ok:
                        print("FAIL %s: %s" % (qjson[:80], why))
                        failures += 1
                    else:
                        print("ok   %.2fs %s -> %s" % (took, qjson[:60],
                                                       j.get("errorType", "success")))
                if proc.poll() is not None:
                    print("FAIL: the server died (exit %s) after %s" % (proc.returncode, qjson[:80]))
                    return 1
                try:
                    alive = http(base + "/-/ready", timeout=5)[0] == 200
                except (urllib.error.URLError, OSError):
                    alive = False
                if not alive:
                    print("FAIL: the server stopped answering after %s" % qjson[:80])
                    return 1
        print("%d hostile queries, %d failed" % (n, failures))
        return 1 if failures else 0
    finally:
        if proc and proc.poll() is None:
            rc = stop(proc, 30)
            if rc != 0:
                print("FAIL: server exit status %s at shutdown" % rc)
                sys.exit(1)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
