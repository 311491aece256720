#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Differential test of Vigil's PromQL engine and query API against Prometheus 2.42.

usage: promql_eval_diff.py <vigil-api-serve> <corpus> [--only SUBSTRING] [-v]

The data: tests/promql/data/gen_eval_data.py writes three hours of
OpenMetrics (counters with resets and gaps, vanishing series, sparse
series, NaN, histograms, summaries, label collisions, odd label values);
`promtool tsdb create-blocks-from openmetrics` turns it into blocks, and a
copy of the same blocks is served by Prometheus (127.0.0.1, a free port)
and by vigil-api-serve (our TSDB reading those blocks, our engine, our API).

Every query of the corpus is sent to both as instant queries at several
times (inside the data, at a counter reset, just past the end within the
lookback delta, past the lookback) and as range queries (the whole window
at a 60 s step, an odd window at a 37 s step).  The answers are compared
after normalisation: HTTP status, status/errorType, error text, result
type, and the results (series sorted by labels unless the query sorts),
float strings compared exactly.

Corpus: one query per line, "## " comments, blank lines skipped.
"@differs <reason>" before a query: a known, intentional difference
(reported, not a failure); a reason starting "range queries only" still
requires the instant queries to agree.  "@errmsg" before a query: compare only the
error type, not the text.  "@tol <relative>" before a query: values may
differ by that relative amount (used only where Go's math library and
glibc's libm round differently in the last bit, e.g. sin, tanh).

Exit: 0 all agree, 1 a difference, 77 Prometheus or promtool missing.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from vigiltest import (PROMETHEUS, backfill_copies, free_port, http,  # noqa: E402
                       prometheus_ready_or_skip, require_prometheus, start_server, stop,
                       wait_ready)

GEN = os.path.join(HERE, "..", "promql", "data", "gen_eval_data.py")
T0 = 1700000000
END = T0 + 3 * 3600

INSTANT_TIMES = [str(T0 + 3600), str(T0 + 7322.5), str(END + 240), str(END + 600)]
RANGES = [(str(T0 - 300), str(END + 600), "60"), (str(T0 + 3000), str(T0 + 5000.5), "37")]


def load_corpus(path):
    entries, differs, errmsg, tol = [], None, False, 0.0
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not line.strip() or line.startswith("## "):
                continue
            if line.startswith("@differs "):
                differs = line[len("@differs "):]
                continue
            if line == "@errmsg":
                errmsg = True
                continue
            if line.startswith("@tol "):
                tol = float(line.split()[1])
                continue
            entries.append((line, differs, errmsg, tol))
            differs, errmsg, tol = None, False, 0.0
    return entries


def normalise(status, body, ordered):
    try:
        j = json.loads(body)
    except ValueError:
        return {"http": status, "raw": body.strip()}
    out = {"http": status, "status": j.get("status")}
    if j.get("status") != "success":
        out["errorType"] = j.get("errorType")
        out["error"] = j.get("error")
        return out
    data = j["data"]
    out["resultType"] = data["resultType"]
    res = data["result"]
    if data["resultType"] in ("vector", "matrix"):
        res = [dict(r) for r in res]
        if not ordered:
            res.sort(key=lambda r: sorted(r["metric"].items()))
    out["result"] = res
    return out


def normalise_api(status, body):
    try:
        j = json.loads(body)
    except ValueError:
        return {"http": status, "raw": body.strip()}
    j["http"] = status
    return j


def values_close(a, b, tol):
    """Compare two normalised answers, floats within tol (relative)."""
    if tol <= 0:
        return a == b
    if type(a) != type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(values_close(a[k], b[k], tol) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(values_close(x, y, tol) for x, y in zip(a, b))
    if isinstance(a, str) and a != b:
        try:
            x, y = float(a), float(b)
        except ValueError:
            return False
        return abs(x - y) <= tol * max(abs(x), abs(y))
    return a == b


def first_difference(a, b, path="$"):
    if type(a) != type(b):
        return "%s: %r vs %r" % (path, a, b)
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b), key=lambda k: (k != "metric", str(k))):
            if a.get(k) != b.get(k):
                return first_difference(a.get(k), b.get(k), path + "." + str(k))
    elif isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return first_difference(x, y, "%s[%d]" % (path, i))
        if len(a) != len(b):
            return "%s: length %d vs %d" % (path, len(a), len(b))
    elif a != b:
        return "%s: %r vs %r" % (path, a, b)
    return None


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    only = None
    if "--only" in sys.argv:
        only = sys.argv[sys.argv.index("--only") + 1]
        args.remove(only)
    verbose = "-v" in sys.argv
    if len(args) != 2:
        print(__doc__)
        return 2
    serve, corpus = args
    require_prometheus()
    work = tempfile.mkdtemp(prefix="vigil-eval-diff-")
    procs = []
    ours = None
    olog_path = None
    try:
        om = os.path.join(work, "data.om")
        subprocess.run([sys.executable, GEN, om], check=True)
        blocks, (prom_dir, our_dir) = backfill_copies(om, work, ("prom", "ours"))
        cfg = os.path.join(work, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1h\n")
        pport, oport = free_port(), free_port()
        prom = start_server(PROMETHEUS, cfg, prom_dir, pport, "--storage.tsdb.retention.time=100y",
                            "--web.enable-admin-api", log=os.path.join(work, "prometheus.log"))
        procs.append(prom)
        olog_path = os.path.join(work, "vigil.log")
        olog = open(olog_path, "w")
        ours = subprocess.Popen([serve, our_dir, "127.0.0.1:%d" % oport],
                                stdout=olog, stderr=subprocess.STDOUT,
                                env=dict(os.environ, VIGIL_ADMIN_API="1"))
        procs.append(ours)
        pbase, obase = "http://127.0.0.1:%d" % pport, "http://127.0.0.1:%d" % oport
        prometheus_ready_or_skip(pbase, prom)
        wait_ready(obase + "/-/ready", ours, "vigil-api-serve")

        entries = load_corpus(corpus)
        failures, known, checked = 0, 0, 0
        for query, differs, errmsg, tol in entries:
            if only and only not in query:
                continue
            ordered = "sort(" in query.replace(" ", "") or "sort_desc(" in query.replace(" ", "")
            cases = [("query", {"query": query, "time": t}) for t in INSTANT_TIMES]
            cases += [("query_range", {"query": query, "start": s, "end": e, "step": st})
                      for s, e, st in RANGES]
            bad = []
            for ep, params in cases:
                qs = urllib.parse.urlencode(params)
                ps, pb = http("%s/api/v1/%s?%s" % (pbase, ep, qs))
                # ours gets the same parameters as a form-encoded POST half the time
                if checked % 2:
                    os_, ob = http("%s/api/v1/%s" % (obase, ep), data=qs.encode())
                else:
                    os_, ob = http("%s/api/v1/%s?%s" % (obase, ep, qs))
                checked += 1
                pn = normalise(ps, pb, ordered and ep == "query")
                on = normalise(os_, ob, ordered and ep == "query")
                if errmsg and pn.get("status") == "error":
                    pn.pop("error", None)
                    on.pop("error", None)
                if not values_close(pn, on, tol):
                    bad.append((ep, params, pn, on))
            if not bad:
                continue
            if differs and differs.startswith("range queries only") and \
                    any(b[0] != "query_range" for b in bad):
                differs = None  # the instant cases must still agree
            if differs:
                known += 1
                print("KNOWN DIFFERENCE %s: %s" % (query, differs))
                continue
            failures += 1
            ep, params, pn, on = bad[0]
            print("DIFF %s (%d of %d cases) e.g. %s %s" % (query, len(bad), len(cases), ep,
                                                           {k: v for k, v in params.items() if k != "query"}))
            if verbose:
                print("  first difference (prometheus vs vigil): %s" %
                      first_difference(pn, on)[:2000])
        # the other endpoints: same answers for the same parameters
        api_cases = [
            ("series", [("match[]", "up")]),
            ("series", [("match[]", "up"), ("match[]", "node_memory_MemTotal_bytes")]),
            ("series", [("match[]", '{__name__=~"collide_.*"}'), ("start", str(T0)), ("end", str(T0 + 60))]),
            ("series", [("match[]", "http_requests_total{instance=\"host4:9100\"}"),
                        ("start", str(END - 60)), ("end", str(END))]),
            ("series", []),
            ("series", [("match[]", '{job=~".*"}')]),
            ("series", [("match[]", "up{")]),
            ("series", [("match[]", "up"), ("start", "abc")]),
            ("labels", []),
            ("labels", [("match[]", "up")]),
            ("labels", [("match[]", "up"), ("match[]", "weird_labels")]),
            ("labels", [("start", str(T0)), ("end", str(T0 + 10))]),
            ("labels", [("match[]", "nonexistent")]),
            ("label/job/values", []),
            ("label/__name__/values", []),
            ("label/instance/values", [("match[]", "up")]),
            ("label/path/values", [("match[]", "weird_labels")]),
            ("label/nonexistent/values", []),
            ("label/job/values", [("match[]", '{a=~".*"}')]),
            ("label/0bad/values", []),
            ("query_exemplars", [("query", "up"), ("start", str(T0)), ("end", str(END))]),
            ("query_exemplars", [("query", "up"), ("start", str(END)), ("end", str(T0))]),
            ("query_exemplars", [("query", "up{")]),
            ("format_query", [("query", "sum(rate(x[5m]))by(job)")]),
            ("format_query", [("query", "a+b*c")]),
            ("format_query", [("query", "up{")]),
            ("query", [("query", "up"), ("time", "abc")]),
            ("query", [("query", "up"), ("time", "2023-11-14T23:13:20Z")]),
            ("query", [("query", "up"), ("time", "2023-11-15T00:13:20.5+01:00")]),
            ("query", [("query", "up"), ("timeout", "abc"), ("time", str(T0))]),
            ("query", [("query", "up{"), ("time", str(T0))]),
            ("query", [("time", str(T0))]),
            ("query_range", [("query", "up"), ("start", str(T0)), ("end", str(T0 + 60))]),
            ("query_range", [("query", "up"), ("start", str(T0)), ("end", str(T0 - 60)), ("step", "15")]),
            ("query_range", [("query", "up"), ("start", str(T0)), ("end", str(T0 + 600)), ("step", "0")]),
            ("query_range", [("query", "up"), ("start", str(T0)), ("end", str(T0 + 600)), ("step", "-5")]),
            ("query_range", [("query", "up"), ("start", str(T0)), ("end", str(END)), ("step", "0.5")]),
            ("query_range", [("query", "up"), ("start", str(T0)), ("end", str(T0 + 600)), ("step", "1m")]),
            ("query_range", [("query", "up"), ("start", str(T0)), ("end", str(T0 + 600)), ("step", "37.5")]),
            ("query_range", [("query", "up"), ("start", "2023-11-14T22:13:20Z"), ("end", "2023-11-14T22:23:20Z"), ("step", "60")]),
            ("query_range", [("query", "up{"), ("start", str(T0)), ("end", str(T0 + 600)), ("step", "60")]),
            ("query_range", [("query", "up"), ("start", "x"), ("end", str(T0 + 600)), ("step", "60")]),
            ("nonexistent_endpoint", []),
        ]
        for ep, params in api_cases:
            qs = urllib.parse.urlencode(params)
            ps, pb = http("%s/api/v1/%s?%s" % (pbase, ep, qs))
            os_, ob = http("%s/api/v1/%s?%s" % (obase, ep, qs))
            checked += 1
            pn, on = normalise_api(ps, pb), normalise_api(os_, ob)
            if pn != on:
                failures += 1
                print("DIFF api %s %s" % (ep, params))
                if verbose:
                    print("  first difference (prometheus vs vigil): %s" %
                          (first_difference(pn, on) or "")[:2000])
        # --query.max-samples: the same queries must fail (or not) in both
        limit_dirs = (os.path.join(work, "prom-limit"), os.path.join(work, "ours-limit"))
        shutil.copytree(blocks, limit_dirs[0])
        shutil.copytree(blocks, limit_dirs[1])
        lp, lo = free_port(), free_port()
        prom2 = start_server(PROMETHEUS, cfg, limit_dirs[0], lp,
                             "--storage.tsdb.retention.time=100y", "--query.max-samples=2000")
        procs.append(prom2)
        ours2 = subprocess.Popen([serve, limit_dirs[1], "127.0.0.1:%d" % lo, "300", "2000"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(ours2)
        lpbase, lobase = "http://127.0.0.1:%d" % lp, "http://127.0.0.1:%d" % lo
        wait_ready(lpbase + "/-/ready", prom2, "prometheus (limited)")
        wait_ready(lobase + "/-/ready", ours2, "vigil-api-serve (limited)")
        limit_cases = [
            ("query_range", "up"), ("query_range", "http_requests_total"),
            ("query_range", "sum(http_requests_total)"), ("query_range", "sum(up)"),
            ("query_range", "rate(http_requests_total[5m])"),
            ("query_range", "sum(rate(http_requests_total{job=\"api\",code=\"500\"}[5m]))"),
            ("query_range", "abs(abs(abs(abs(abs(up)))))"),
            ("query_range", "up + up + up + up"),
            ("query", "http_requests_total[3h]"), ("query", "count_over_time(http_requests_total[3h])"),
            ("query", "up[3h]"), ("query", "max_over_time(up[3h:1m])"),
        ]
        limit_errors = 0
        for ep, q in limit_cases:
            params = {"query": q}
            if ep == "query":
                params["time"] = str(END)
            else:
                params.update({"start": str(T0 - 300), "end": str(END + 600), "step": "60"})
            qs = urllib.parse.urlencode(params)
            pn = normalise(*http("%s/api/v1/%s?%s" % (lpbase, ep, qs)), False)
            on = normalise(*http("%s/api/v1/%s?%s" % (lobase, ep, qs)), False)
            checked += 1
            limit_errors += pn.get("errorType") == "execution"
            if pn != on:
                failures += 1
                print("DIFF max-samples=2000 %s %s" % (ep, q))
                if verbose:
                    print("  first difference (prometheus vs vigil): %s" %
                          (first_difference(pn, on) or "")[:2000])

        if not 3 <= limit_errors < len(limit_cases):
            failures += 1
            print("FAIL: the max-samples cases no longer test the limit (%d of %d errors)" %
                  (limit_errors, len(limit_cases)))

        # last, as it changes the data: delete_series, then the series is gone
        for ep, params, method in [
                ("admin/tsdb/delete_series", [], "POST"),
                ("admin/tsdb/delete_series", [("match[]", "up{")], "POST"),
                ("admin/tsdb/delete_series", [("match[]", "weird_labels")], "POST"),
                ("query", [("query", "weird_labels"), ("time", str(T0 + 3600))], "GET"),
                ("series", [("match[]", "weird_labels")], "GET"),
                ("admin/tsdb/delete_series", [("match[]", "sparse_gauge"), ("start", str(T0)),
                                              ("end", str(T0 + 3600))], "POST"),
                ("query", [("query", "count_over_time(sparse_gauge[3h])"), ("time", str(END))], "GET"),
        ]:
            qs = urllib.parse.urlencode(params)
            data = qs.encode() if method == "POST" else None
            url = "/api/v1/%s" % ep + ("" if method == "POST" else "?" + qs)
            ps, pb = http(pbase + url, data=data)
            os_, ob = http(obase + url, data=data)
            checked += 1
            pn, on = normalise_api(ps, pb), normalise_api(os_, ob)
            if pn != on:
                failures += 1
                print("DIFF api %s %s %s" % (method, ep, params))
                if verbose:
                    print("  first difference (prometheus vs vigil): %s" %
                          (first_difference(pn, on) or "")[:2000])
        print("%d queries, %d requests, %d differ, %d known differences" %
              (len([e for e in entries if not only or only in e[0]]), checked, failures, known))
        return 1 if failures else 0
    except (urllib.error.URLError, ConnectionError, OSError) as e:
        print("FAIL: request failed: %s" % e)
        if ours.poll() is not None:
            print("vigil-api-serve exited with %s; its log:" % ours.returncode)
            with open(olog_path, encoding="utf-8", errors="replace") as f:
                print(f.read()[-6000:])
        return 1
    finally:
        for p in procs:
            stop(p, 20)
        if ours is not None and ours.returncode not in (0, None):
            # a sanitizer report (leak, overflow) at exit fails the test
            print("FAIL: vigil-api-serve exit status %s; its log:" % ours.returncode)
            with open(olog_path, encoding="utf-8", errors="replace") as f:
                print(f.read()[-6000:])
            shutil.rmtree(work, ignore_errors=True)
            sys.exit(1)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
