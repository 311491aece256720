# SPDX-License-Identifier: Apache-2.0
"""Helpers shared by the Python tests (tests/integration, tests/e2e) and benchmarks (bench/).

What every script that runs real programs needs, in one place: a free
loopback port, HTTP requests that hand back an error status instead of
raising, waiting for a started program to answer (noticing when it exits
first), stopping it by its PID with a bounded wait, reading its CPU time and
memory from /proc, Debian's prometheus/promtool, and skipping (exit 77,
which CTest reports as skipped under SKIP_RETURN_CODE 77) where a peer or the
shared fixtures are missing.  Everything listens and connects on 127.0.0.1.

Scripts find this module relative to their own path, so no PYTHONPATH is
needed:

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
    from vigiltest import free_port, stop, wait_http  # noqa: E402

(from bench/<area>/: "..", "..", "tests", "lib").

Shared fixtures: the node_exporter, cAdvisor, Docker and Grafana captures
live beside the clone in ../shared/fixtures (CMake passes
${VIGIL_SHARED_FIXTURES}/... on the test's command line).  CI has that
directory; a user's clone usually does not, and there a test that reads it
exits 77 through shared_fixtures_or_skip(path), the first thing its main()
does with the path.  The C unit tests do the same through
tests/unit/shared_fixtures.h.
"""
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from http.client import HTTPException

SKIP = 77
# Debian 12's prometheus package (Prometheus 2.42), the reference the tests compare with
PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"


def shared_fixtures_or_skip(path):
    """Return path when it exists; otherwise print why and exit 77 (skipped)."""
    if os.path.exists(path):
        return path
    print(f"SKIP: shared fixture {path} not found (../shared/fixtures is not beside the "
          "clone; point -DVIGIL_SHARED_FIXTURES=<dir> at it): tests on "
          "node_exporter/cAdvisor/Docker/Grafana fixtures skipped", flush=True)
    sys.exit(SKIP)


def tool_or_skip(name, given=None, package="prometheus"):
    """Path of the program name: given (from the command line) unless None, else name on
    $PATH.  When that is no file, print "SKIP: <name> is not installed (apt-get install
    <package>)" and exit 77."""
    path = given if given is not None else shutil.which(name)
    if not path or not os.path.exists(path):
        print(f"SKIP: {name} is not installed (apt-get install {package})")
        sys.exit(SKIP)
    return path


def require_prometheus():
    """Exit 77 (skipped), saying which, unless PROMETHEUS and PROMTOOL are installed."""
    for b in (PROMETHEUS, PROMTOOL):
        if not os.access(b, os.X_OK):
            print("SKIP: %s not installed (Debian package prometheus)" % b)
            sys.exit(SKIP)


def free_port():
    """A TCP port of 127.0.0.1 that is free now (the kernel's pick, released at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(url, data=None, timeout=60, method=None, headers=None):
    """(status, body text) of one request; an HTTP error status comes back with its body
    instead of raising.  data (bytes) makes it a POST.  Connection errors raise OSError."""
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def http_get(url, timeout=5):
    """Body text of a GET; raises OSError, urllib.error.HTTPError for an error status."""
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode("utf-8", "replace")


def api_json(url, params=None, timeout=30):
    """(status, decoded JSON) of a Prometheus-style API call: params (a dict or a list of
    pairs) form-encoded in a POST, a GET when None.  An error answer's JSON comes back
    too; one without JSON as {"status": "error", "error": "HTTP <status>"}."""
    data = urllib.parse.urlencode(params).encode() if params is not None else None
    status, body = http(url, data, timeout)
    if not 200 <= status < 300:
        try:
            return status, json.loads(body)
        except ValueError:
            return status, {"status": "error", "error": f"HTTP {status}"}
    return status, json.loads(body)


def wait_http(url, proc=None, seconds=10, timeout=5, interval=0.2):
    """Ask url every interval seconds until it answers with a success status; returns that
    answer as (status, body text), or None once proc (when given) has exited or seconds
    have passed."""
    deadline = time.monotonic() + seconds
    while True:
        if proc is not None and proc.poll() is not None:
            return None
        try:
            with urllib.request.urlopen(url, timeout=timeout) as r:
                return r.status, r.read().decode("utf-8", "replace")
        except (OSError, HTTPException):
            pass
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


def wait_ready(url, proc, what, seconds=30, timeout=2, interval=0.1, exc=RuntimeError,
               late=None):
    """wait_http that raises exc when it gives up: "<what> exited with <status>" when proc
    exited, else late (by default "<what> did not become ready")."""
    if wait_http(url, proc, seconds, timeout, interval) is not None:
        return
    if proc is not None and proc.poll() is not None:
        raise exc("%s exited with %s" % (what, proc.returncode))
    raise exc(late or "%s did not become ready" % what)


def prometheus_ready_or_skip(base, proc):
    """wait_ready for the Prometheus at base; when it exits or does not become ready, print
    "SKIP: Prometheus cannot run here: <why>" and exit 77 (finally blocks still run)."""
    try:
        wait_ready(base + "/-/ready", proc, "prometheus")
    except RuntimeError as e:
        print("SKIP: Prometheus cannot run here: %s" % e)
        sys.exit(SKIP)


def start_server(binary, config, data, port, *flags, log=None):
    """Start Prometheus or vigil-server (they take the same flags) on 127.0.0.1:port with the
    config file config and its TSDB in data, then flags; its output goes to the file log
    (None: discarded).  Returns the Popen; stop it with stop()."""
    out = open(log, "w") if log else subprocess.DEVNULL
    try:
        return subprocess.Popen([binary, "--config.file=" + config, "--storage.tsdb.path=" + data,
                                 "--web.listen-address=127.0.0.1:%d" % port, *flags],
                                stdout=out, stderr=subprocess.STDOUT)
    finally:
        if log:
            out.close()


def stop(proc, timeout=10, sig=signal.SIGTERM):
    """Stop a process we started, by its PID: sig (SIGTERM), then SIGKILL when it has not
    exited within timeout seconds.  Returns its exit status; None when proc is None."""
    if proc is None:
        return None
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


PR_SET_PDEATHSIG = 1


def die_with_parent():
    """preexec_fn: the child gets SIGKILL when its parent goes (a timed-out test leaves
    nothing behind)."""
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def reexec_in_namespaces(env_name, timeout):
    """Run this script again (same arguments) under `unshare --net --mount` with private
    mount propagation, and return its exit status.  The child finds the parent's network
    namespace in the environment variable env_name, which also tells it that it is the
    child.  SKIP when unshare is missing or not permitted; 1 when the child runs past
    timeout seconds (it is killed)."""
    if not shutil.which('unshare'):
        print('SKIP: unshare (util-linux) is not installed')
        return SKIP
    cmd = ['unshare', '--net', '--mount', '--propagation', 'private', '--']
    probe = subprocess.run(cmd + ['true'], capture_output=True, text=True, timeout=10)
    if probe.returncode != 0:
        print('SKIP: cannot create network and mount namespaces here: %s'
              % probe.stderr.strip())
        return SKIP
    env = dict(os.environ)
    env[env_name] = os.readlink('/proc/self/ns/net')
    child = subprocess.Popen(cmd + [sys.executable, os.path.abspath(sys.argv[0])] + sys.argv[1:],
                             env=env, preexec_fn=die_with_parent)
    try:
        return child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        print('FAIL: the test did not finish within %d s' % timeout)
        return 1


def run_cases(cases, names, tool, prefix):
    """Run the named cases (all of them when names is empty) one after the other, each as
    cases[name](tool, work) in a fresh temporary directory work (prefix % name), which is
    removed afterwards whatever happened."""
    for name in names or list(cases):
        work = tempfile.mkdtemp(prefix=prefix % name)
        try:
            cases[name](tool, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)


def backfill_copies(om, work, names, extra=()):
    """Backfill the OpenMetrics file om into blocks (work/blocks) with promtool, extra being
    more create-blocks-from flags, then copy them to work/<name> for each of names: each
    server gets blocks of its own to open.  Returns (blocks, [the copies])."""
    blocks = os.path.join(work, "blocks")
    os.makedirs(blocks)
    subprocess.run([PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", *extra, om, blocks],
                   check=True, stdout=subprocess.DEVNULL)
    copies = [os.path.join(work, n) for n in names]
    for c in copies:
        shutil.copytree(blocks, c)
    return blocks, copies


def om_float(v):
    """v as Prometheus's text formats write a float: NaN, +Inf, -Inf, else Python's repr."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(v)


def cpu_seconds(pid):
    """CPU time (user + system) the process has used so far, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status_kb(pid, key):
    """A kB field of /proc/<pid>/status (VmRSS, VmHWM, ...); 0 when it is not there."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0
