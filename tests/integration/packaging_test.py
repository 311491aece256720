#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Packages, units and the installed agent.

  packaging_test.py packages <build-dir> <source-dir> <sanitize:ON|OFF>
      cpack the .deb and .rpm of every component, inspect them (files,
      conffiles / %config, dependencies, scripts, licence), lintian (no
      errors), systemd-analyze verify on the units, then start the packaged
      agent as its unit would (unprivileged user, flags from the packaged
      /etc/default/vigil-agent, hardening emulated with unshare + setpriv),
      check both endpoints, and have the server (vigil-server when built,
      else Prometheus as a stand-in) scrape them with the packaged config.

  packaging_test.py chroot <build-dir> <sanitize:ON|OFF>
      (slow) install the .deb into a clean Debian 12 root made by debootstrap
      (tarball cached in <build-dir>/debootstrap), start the binaries there
      as user vigil with the unit's flags, check their ports, then remove and
      purge and check what stays.

Exit 77 (skipped) only where a peer truly cannot run: sanitizer builds (the
packages would ship an ASan binary), not root (debootstrap/chroot/unshare),
no network to Debian's archive for the chroot.
"""
import glob
import json
import os
import pwd
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vigiltest import SKIP, free_port, http_get, stop, wait_http  # noqa: E402

COMPONENTS = ("agent", "server")
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg, flush=True)


def check(cond, msg):
    if not cond:
        fail(msg)
    return cond


def run(cmd, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    return subprocess.run(cmd, **kw)


def ensure_tools(pkgs_by_tool):
    """apt-get install the Debian packages of missing tools (root only)."""
    missing = [p for t, p in pkgs_by_tool.items() if shutil.which(t) is None]
    if not missing:
        return True
    if os.geteuid() != 0:
        return False
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = run(["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + missing, env=env)
    if r.returncode != 0:
        run(["apt-get", "update", "-qq"], env=env)
        r = run(["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + missing, env=env)
    return all(shutil.which(t) for t in pkgs_by_tool)


def build_packages(build, out):
    """cpack every generator into out; returns {(component, kind): path}."""
    r = run(["cpack", "--config", os.path.join(build, "CPackConfig.cmake"), "-B", out],
            cwd=build)
    if r.returncode != 0:
        print(r.stdout[-4000:], r.stderr[-4000:])
        log = glob.glob(os.path.join(out, "_CPack_Packages", "*", "*", "*.log"))
        for f in log:
            print("---", f)
            print(open(f, errors="replace").read()[-3000:])
        fail("cpack failed")
        return {}
    found = {}
    for comp in COMPONENTS:
        debs = glob.glob(os.path.join(out, f"vigil-{comp}_*.deb"))
        rpms = glob.glob(os.path.join(out, f"vigil-{comp}-*.rpm"))
        if debs:
            found[(comp, "deb")] = debs[0]
        if rpms:
            found[(comp, "rpm")] = rpms[0]
    return found


# what each package must hold, beyond /usr/bin/vigil-<comp> and the unit
EXPECTED = {
    "agent": {
        "files": ["/usr/bin/vigil-agent", "/usr/lib/systemd/system/vigil-agent.service",
                  "/usr/lib/sysusers.d/vigil-agent.conf", "/etc/default/vigil-agent",
                  "/usr/share/doc/vigil-agent/copyright", "/usr/share/licenses/vigil-agent/LICENSE",
                  "/usr/share/doc/vigil-agent/changelog.gz"],
        "conffiles": ["/etc/default/vigil-agent"],
    },
    "server": {
        "files": ["/usr/bin/vigil-server", "/usr/lib/systemd/system/vigil-server.service",
                  "/usr/lib/sysusers.d/vigil-server.conf", "/etc/vigil/vigil-server.yml",
                  "/var/lib/vigil-server", "/usr/share/doc/vigil-server/copyright",
                  "/usr/share/licenses/vigil-server/LICENSE",
                  "/usr/share/vigil/grafana/provisioning/datasources/vigil.yaml",
                  "/usr/share/vigil/grafana/provisioning/dashboards/vigil.yaml",
                  "/usr/share/vigil/grafana/dashboards/vigil-host.json",
                  "/usr/share/vigil/grafana/dashboards/vigil-containers.json"],
        "conffiles": ["/etc/vigil/vigil-server.yml"],
    },
}


def needed_sonames(binary):
    r = run(["objdump", "-p", binary])
    return sorted(set(re.findall(r"^\s*NEEDED\s+(\S+)", r.stdout, re.M)))


def deb_package_of_soname(binary, soname):
    """The Debian package shipping the library the binary loads (ldd, then dpkg -S)."""
    m = re.search(r"^\s*" + re.escape(soname) + r" => (\S+)", run(["ldd", binary]).stdout, re.M)
    if not m:
        return None
    path = m.group(1)
    for cand in (path, os.path.realpath(path), path.replace("/usr/lib/", "/lib/", 1),
                 path.replace("/lib/", "/usr/lib/", 1)):
        r = run(["dpkg", "-S", cand])
        if r.returncode == 0 and r.stdout:
            return r.stdout.split(":", 1)[0].strip()
    return None


def inspect_deb(comp, deb, build):
    print(f"== {os.path.basename(deb)}", flush=True)
    info = run(["dpkg-deb", "-I", deb]).stdout
    fields = run(["dpkg-deb", "-f", deb]).stdout
    listing = run(["dpkg-deb", "-c", deb]).stdout
    paths = {"/" + l.split()[-1].lstrip("./").rstrip("/") for l in listing.splitlines() if l}
    for f in EXPECTED[comp]["files"]:
        check(f in paths, f"{comp}.deb: missing {f}")
    check(not any(p.startswith("/usr/local") for p in paths), f"{comp}.deb: files under /usr/local")
    # control members and conffiles
    with tempfile.TemporaryDirectory() as ctl:
        run(["dpkg-deb", "-e", deb, ctl])
        conff = open(os.path.join(ctl, "conffiles")).read().split() if os.path.exists(
            os.path.join(ctl, "conffiles")) else []
        check(sorted(conff) == sorted(EXPECTED[comp]["conffiles"]),
              f"{comp}.deb: conffiles {conff}")
        for s in ("postinst", "prerm", "postrm"):
            p = os.path.join(ctl, s)
            if check(os.path.exists(p), f"{comp}.deb: no {s}"):
                check(os.stat(p).st_mode & 0o777 == 0o755, f"{comp}.deb: {s} mode")
                text = open(p).read()
                check("@VIGIL_" not in text, f"{comp}.deb: {s} has unfilled placeholders")
                check(run(["sh", "-n", p]).returncode == 0, f"{comp}.deb: {s} syntax")
        post = open(os.path.join(ctl, "postinst")).read()
        check(f"enable 'vigil-{comp}.service'" in post, f"{comp}.deb: postinst does not enable")
        check("restart" in post, f"{comp}.deb: postinst does not restart on upgrade")
        check("stop 'vigil-%s.service'" % comp in open(os.path.join(ctl, "prerm")).read(),
              f"{comp}.deb: prerm does not stop")
    # dependencies: one per shared library the binary links
    m = re.search(r"^Depends: (.*)$", fields, re.M)
    depends = m.group(1) if m else ""
    dep_pkgs = {d.strip().split()[0] for d in depends.split(",") if d.strip()}
    binary = os.path.join(build, "bin", f"vigil-{comp}")
    for so in needed_sonames(binary):
        pkg = deb_package_of_soname(binary, so)
        if check(pkg is not None, f"{comp}.deb: no Debian package ships {so}"):
            check(pkg in dep_pkgs, f"{comp}.deb: links {so} ({pkg}) but Depends: {depends}")
    check(re.search(r"^Version: \S+", fields, re.M) is not None, f"{comp}.deb: no Version")
    print(info)
    # lintian: no errors
    if shutil.which("lintian"):
        r = run(["lintian", "--allow-root", "--tag-display-limit", "0", deb])
        out = r.stdout + r.stderr
        print(out.strip())
        errs = [l for l in out.splitlines() if l.startswith("E:")]
        check(not errs, f"{comp}.deb: lintian errors: {errs}")
    else:
        fail("lintian not installed")


def inspect_rpm(comp, rpm, build):
    print(f"== {os.path.basename(rpm)}", flush=True)
    q = lambda *a: run(["rpm", "-qp", *a, rpm]).stdout
    files = set(q("-l").split())
    for f in EXPECTED[comp]["files"]:
        check(f in files, f"{comp}.rpm: missing {f}")
    configs = set(q("-c").split())
    check(configs == set(EXPECTED[comp]["conffiles"]), f"{comp}.rpm: %config files {configs}")
    flags = q("--qf", "[%{FILEFLAGS:fflags} %{FILENAMES}\n]")
    for c in EXPECTED[comp]["conffiles"]:
        check(re.search(r"^\S*n\S* " + re.escape(c) + "$", flags, re.M) is not None,
              f"{comp}.rpm: {c} not %config(noreplace)")
    lic = set(q("-L").split())
    check(f"/usr/share/licenses/vigil-{comp}/LICENSE" in lic, f"{comp}.rpm: no %license ({lic})")
    check(q("--qf", "%{LICENSE}").strip() == "Apache-2.0", f"{comp}.rpm: License tag")
    reqs = q("-R")
    for so in needed_sonames(os.path.join(build, "bin", f"vigil-{comp}")):
        check(re.search(r"^" + re.escape(so) + r"\(", reqs, re.M) is not None,
              f"{comp}.rpm: links {so} but does not require it")
    scripts = q("--scripts")
    for part in ("preinstall", "postinstall", "preuninstall", "postuninstall"):
        check(f"{part} scriptlet" in scripts, f"{comp}.rpm: no {part} scriptlet")
    check("@VIGIL_" not in scripts, f"{comp}.rpm: unfilled placeholders")
    for tag in ("PREIN", "POSTIN", "PREUN", "POSTUN"):
        body = q("--qf", "%{" + tag + "}")
        r = run(["sh", "-n"], input=body)
        check(r.returncode == 0, f"{comp}.rpm: {tag} script syntax: {r.stderr.strip()}")
    check(f"preset 'vigil-{comp}.service'" in scripts, f"{comp}.rpm: %post does not preset")
    check(f"disable --now 'vigil-{comp}.service'" in scripts, f"{comp}.rpm: %preun does not stop")
    check(f"try-restart 'vigil-{comp}.service'" in scripts, f"{comp}.rpm: no restart on upgrade")
    if comp == "server":
        check(re.search(r"vigil\s+vigil\s+/var/lib/vigil-server", q("--qf",
              "[%{FILEMODES:perms} %{FILEUSERNAME} %{FILEGROUPNAME} %{FILENAMES}\n]")) is not None,
              "server.rpm: /var/lib/vigil-server not owned by vigil")
    print(q("-i"))


def verify_units(debs):
    """systemd-analyze verify in a root holding the host's units plus the packaged files."""
    if not shutil.which("systemd-analyze"):
        fail("systemd-analyze missing")
        return
    with tempfile.TemporaryDirectory() as root:
        unitdir = os.path.join(root, "usr/lib/systemd/system")
        os.makedirs(unitdir)
        for d in ("/usr/lib/systemd/system", "/lib/systemd/system"):
            if os.path.isdir(d):
                run(["cp", "-an", d + "/.", unitdir + "/"])
        for deb in debs.values():
            run(["dpkg-deb", "-x", deb, root])
        for comp in COMPONENTS:
            unit = f"vigil-{comp}.service"
            if not os.path.exists(os.path.join(unitdir, unit)):
                continue
            # system tools the unit runs (ExecReload=/bin/kill) come from the host
            text = open(os.path.join(unitdir, unit)).read()
            for exe in re.findall(r"^Exec\w+=[-@:+!]*(/\S+)", text, re.M):
                dst = os.path.join(root, exe.lstrip("/"))
                if not os.path.exists(dst) and os.path.exists(exe):
                    os.makedirs(os.path.dirname(dst), exist_ok=True)
                    shutil.copy(exe, dst)
            r = run(["systemd-analyze", "verify", f"--root={root}", unit])
            out = (r.stdout + r.stderr).strip()
            print(f"systemd-analyze verify {unit}: rc={r.returncode} {out}")
            check(r.returncode == 0 and not out, f"systemd-analyze verify {unit}: {out}")
            r = run(["systemd-analyze", "security", "--offline=true", f"--root={root}",
                     f"/usr/lib/systemd/system/{unit}"])
            last = (r.stdout.strip().splitlines() or [""])[-1]
            print(f"systemd-analyze security {unit}: {last}")


def default_args(etc_default):
    """ARGS of /etc/default/vigil-agent, split the way systemd splits $ARGS."""
    r = run(["sh", "-c", '. "$1"; printf "%s" "$ARGS"', "sh", etc_default])
    return r.stdout.split()


# ProtectSystem=strict/ProtectHome=read-only/PrivateTmp emulation: every mount
# but the API file systems read-only, a fresh /tmp; then setpriv drops to the
# user with no capabilities and no_new_privs, as User=/CapabilityBoundingSet=/
# NoNewPrivileges= do.
HARDEN = r'''
set -e
mount --make-rprivate /
awk '{print $5}' /proc/self/mountinfo | sort -u | while read -r m; do
	case "$m" in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*) continue ;; esac
	mount -o remount,bind,ro "$m" 2>/dev/null || true
done
mount -t tmpfs -o mode=1777 tmpfs /tmp
exec setpriv --reuid="$USER_ID" --regid="$GROUP_ID" --clear-groups --no-new-privs \
	--inh-caps=-all --bounding-set=-all -- "$@"
'''


def start_as_unit(cmd, uid, gid, log):
    env = dict(os.environ, USER_ID=str(uid), GROUP_ID=str(gid))
    return subprocess.Popen(["unshare", "--mount", "--", "sh", "-c", HARDEN, "harden"] + cmd,
                            stdout=log, stderr=subprocess.STDOUT, env=env)


def agent_as_unit(debs, out):
    """The packaged agent, started as vigil-agent.service starts it, and a server scraping it."""
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("setpriv"):
        print("SKIP agent-as-unit: needs root, unshare and setpriv")
        return
    # PrivateTmp= is emulated with a fresh /tmp, which would hide a build
    # tree under /tmp: the packages are unpacked under /var/tmp instead
    unpack = tempfile.mkdtemp(prefix="vigil-unit-", dir="/var/tmp")
    os.chmod(unpack, 0o755)
    try:
        agent_as_unit_in(debs, out, os.path.join(unpack, "root"))
    finally:
        shutil.rmtree(unpack, ignore_errors=True)


def agent_as_unit_in(debs, out, root):
    for deb in debs.values():
        run(["dpkg-deb", "-x", deb, root])
    os.chmod(out, 0o755)
    binary = os.path.join(root, "usr/bin/vigil-agent")
    unit = open(os.path.join(root, "usr/lib/systemd/system/vigil-agent.service")).read()
    m = re.search(r"^ExecStart=(.*)$", unit, re.M)
    check(m and m.group(1).split()[0] == "/usr/bin/vigil-agent", "agent unit ExecStart")
    check("$ARGS" in m.group(1), "agent unit does not pass $ARGS")
    args = default_args(os.path.join(root, "etc/default/vigil-agent"))
    check(any(a.startswith("--collector.filesystem.mount-points-exclude=") for a in args),
          f"/etc/default/vigil-agent ARGS: {args}")
    p_node, p_ctr = free_port(), free_port()
    # the unit's user: vigil when it exists here, else nobody (the test does not add users)
    try:
        pw = pwd.getpwnam("vigil")
    except KeyError:
        pw = pwd.getpwnam("nobody")
    cmd = [binary] + args + [f"--web.listen-address=127.0.0.1:{p_node}",
                             f"--container.listen-address=127.0.0.1:{p_ctr}"]
    print("agent as unit:", pw.pw_name, " ".join(shlex.quote(c) for c in cmd), flush=True)
    # reference: the same agent and flags as root without hardening
    plain_log = open(os.path.join(out, "agent-plain.log"), "w+")
    plain = subprocess.Popen(cmd, stdout=plain_log, stderr=subprocess.STDOUT)
    try:
        r = wait_http(f"http://127.0.0.1:{p_node}/metrics", plain, 15)
        plain_families = families(r[1]) if r else set()
    finally:
        stop(plain)
    plain_log.seek(0)
    plain_errors = collector_errors(plain_log.read())
    log = open(os.path.join(out, "agent.log"), "w+")
    agent = start_as_unit(cmd, pw.pw_uid, pw.pw_gid, log)
    server = None
    try:
        r = wait_http(f"http://127.0.0.1:{p_node}/metrics", agent, 15)
        if check(r is not None, "packaged agent does not answer on the node port"):
            check(r[0] == 200 and "\nnode_cpu_seconds_total{" in r[1], "node metrics missing")
            check("node_filesystem_size_bytes{" in r[1], "no filesystem metrics under hardening")
            lost = plain_families - families(r[1])
            check(not lost, f"metric families lost under the unit's hardening: {sorted(lost)}")
        r = wait_http(f"http://127.0.0.1:{p_ctr}/metrics", agent, 15)
        if check(r is not None, "packaged agent does not answer on the container port"):
            check(r[0] == 200 and "container_cpu_usage_seconds_total{" in r[1],
                  "container metrics missing")
        server = scrape_with_server(root, out, p_node, p_ctr)
    finally:
        stop(server)
        stop(agent)
        log.seek(0)
        text = log.read()
        print("agent log (tail):\n" + text[-1500:])
        new = collector_errors(text) - plain_errors
        check(not new, f"errors only under the unit's hardening: {sorted(new)}")


def families(exposition):
    return {l.split()[2] for l in exposition.splitlines() if l.startswith("# TYPE ")}


def collector_errors(log_text):
    """error lines of an agent log, timestamps dropped."""
    return {re.sub(r"^ts=\S+ ", "", l) for l in log_text.splitlines() if "level=error" in l}


def scrape_with_server(root, out, p_node, p_ctr):
    """Start vigil-server (or Prometheus) with the packaged config pointed at our ports."""
    shipped = os.path.join(root, "etc/vigil/vigil-server.yml")
    if not os.path.exists(shipped):  # no server package yet: the file it will ship
        shipped = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                               "../../packaging/vigil-server.yml")
    cfg = open(shipped).read()
    p_srv = free_port()
    cfg = cfg.replace("localhost:9100", f"127.0.0.1:{p_node}").replace(
        "localhost:8080", f"127.0.0.1:{p_ctr}").replace("localhost:9090", f"127.0.0.1:{p_srv}")
    cfg = cfg.replace("scrape_interval: 15s", "scrape_interval: 1s")
    cfg_path = os.path.join(out, "server.yml")
    open(cfg_path, "w").write(cfg)
    data = os.path.join(out, "data")
    os.makedirs(data)
    vs = os.path.join(root, "usr/bin/vigil-server")
    if os.path.exists(vs):
        cmd = [vs, f"--config.file={cfg_path}", f"--storage.tsdb.path={data}",
               f"--web.listen-address=127.0.0.1:{p_srv}"]
        name = "vigil-server"
    elif shutil.which("prometheus"):
        cmd = ["prometheus", f"--config.file={cfg_path}", f"--storage.tsdb.path={data}",
               f"--web.listen-address=127.0.0.1:{p_srv}"]
        name = "prometheus (stand-in: vigil-server not built)"
    else:
        print("no server to scrape with")
        return None
    print("server:", name, flush=True)
    slog = open(os.path.join(out, "server.log"), "w")
    srv = subprocess.Popen(cmd, stdout=slog, stderr=subprocess.STDOUT)
    q = f"http://127.0.0.1:{p_srv}/api/v1/query?query=" + urllib.parse.quote(
        'sum by (job) (up{job=~"node|cadvisor"})')
    end = time.time() + 25
    ok = False
    while time.time() < end and srv.poll() is None:
        try:
            body = http_get(q)
            res = json.loads(body)["data"]["result"]
            ups = {r["metric"]["job"]: float(r["value"][1]) for r in res}
            if ups.get("node") == 1 and ups.get("cadvisor") == 1:
                ok = True
                break
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.5)
    check(ok, f"{name} does not scrape both agent endpoints (up != 1)")
    return srv


def cmd_packages(build, src, sanitize):
    if sanitize == "ON":
        print("SKIP: sanitizer build; packages are built from a plain build")
        return SKIP
    if not ensure_tools({"rpmbuild": "rpm", "lintian": "lintian", "objdump": "binutils"}):
        fail("rpmbuild/lintian missing and not installable (apt-get install rpm lintian)")
        return 1
    cache = run(["cmake", "-L", "-N", build]).stdout
    if "VIGIL_RPMBUILD:FILEPATH=VIGIL_RPMBUILD-NOTFOUND" in cache:
        run(["cmake", "-DVIGIL_RPMBUILD=" + shutil.which("rpmbuild"), build])
    # not under /tmp: the hardened agent gets a private /tmp and must still see its binary
    with tempfile.TemporaryDirectory(prefix="pkgtest-", dir=build) as out:
        pkgs = build_packages(build, out)
        comps = [c for c in COMPONENTS if os.path.exists(os.path.join(build, "bin", f"vigil-{c}"))]
        for comp in comps:
            for kind in ("deb", "rpm"):
                check((comp, kind) in pkgs, f"no {kind} for vigil-{comp}")
        for (comp, kind), path in sorted(pkgs.items()):
            (inspect_deb if kind == "deb" else inspect_rpm)(comp, path, build)
        debs = {c: p for (c, k), p in pkgs.items() if k == "deb"}
        verify_units(debs)
        if "agent" in debs:
            agent_as_unit(debs, out)
    return 1 if failures else 0


# ---------------------------------------------------------------------------
# chroot: clean Debian 12 root

MIRROR = "http://deb.debian.org/debian"


def in_root(root, script, check_rc=True, timeout=600):
    """Run a shell script inside the root with /proc, /sys and /dev mounted in a
    private mount namespace (the mounts vanish with it)."""
    wrapper = (f'mount -t proc proc "{root}/proc" && mount --rbind /sys "{root}/sys" && '
               f'mount --rbind /dev "{root}/dev" && exec chroot "{root}" /bin/sh -ec "$1"')
    r = run(["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", wrapper,
             "sh", script], timeout=timeout)
    if check_rc and r.returncode != 0:
        fail(f"in chroot: {script[:200]!r}: rc={r.returncode}\n{r.stdout[-3000:]}{r.stderr[-3000:]}")
    return r


def cmd_chroot(build, sanitize):
    if sanitize == "ON":
        print("SKIP: sanitizer build; packages are built from a plain build")
        return SKIP
    if os.geteuid() != 0:
        print("SKIP: the clean-root install needs root (debootstrap, chroot, mount)")
        return SKIP
    if not ensure_tools({"debootstrap": "debootstrap", "unshare": "util-linux"}):
        print("SKIP: debootstrap missing and not installable")
        return SKIP
    cache = os.path.join(build, "debootstrap")
    os.makedirs(cache, exist_ok=True)
    tarball = os.path.join(cache, "bookworm-minbase.tgz")
    if not os.path.exists(tarball):
        with tempfile.TemporaryDirectory(dir=cache) as work:
            r = run(["debootstrap", "--variant=minbase", f"--make-tarball={tarball}.part",
                     "bookworm", work, MIRROR], timeout=900)
        if r.returncode != 0:
            print(r.stdout[-2000:], r.stderr[-2000:])
            print("SKIP: cannot download Debian 12 from", MIRROR)
            return SKIP
        os.rename(tarball + ".part", tarball)
    out = tempfile.mkdtemp(prefix="vigil-chroot-")
    agent = None
    try:
        pkgs = build_packages(build, out)
        debs = {c: p for (c, k), p in pkgs.items() if k == "deb"}
        if not check("agent" in debs, "no vigil-agent .deb"):
            return 1
        root = os.path.join(out, "root")
        r = run(["debootstrap", "--variant=minbase", f"--unpack-tarball={tarball}", "bookworm",
                 root, MIRROR], timeout=900)
        if not check(r.returncode == 0, f"debootstrap: {r.stdout[-2000:]}{r.stderr[-2000:]}"):
            return 1
        shutil.copy("/etc/resolv.conf", os.path.join(root, "etc/resolv.conf"))
        for c, p in debs.items():
            shutil.copy(p, os.path.join(root, "tmp", os.path.basename(p)))
        names = " ".join("/tmp/" + os.path.basename(p) for p in debs.values())
        r = in_root(root, "export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && "
                    f"apt-get install -y -qq --no-install-recommends {names}", timeout=900)
        print(r.stdout[-3000:], r.stderr[-2000:])
        if failures:
            return 1
        # what postinst did
        r = in_root(root, "getent passwd vigil; dpkg-query -W -f='${Status}\\n' vigil-agent; "
                    "dpkg-query -W -f='${Conffiles}\\n' vigil-agent")
        print(r.stdout)
        check("vigil:" in r.stdout, "postinst did not create user vigil")
        check("install ok installed" in r.stdout, "vigil-agent not installed")
        check("/etc/default/vigil-agent" in r.stdout, "conffile not registered")
        check(os.path.exists(os.path.join(root, "var/lib/systemd/deb-systemd-helper-enabled",
                                          "multi-user.target.wants/vigil-agent.service")) or
              os.path.islink(os.path.join(root, "etc/systemd/system/multi-user.target.wants",
                                          "vigil-agent.service")),
              "postinst did not enable vigil-agent.service")
        # start the installed agent as the unit would: user vigil, flags from /etc/default
        p_node, p_ctr = free_port(), free_port()
        script = (". /etc/default/vigil-agent; exec setpriv --reuid=vigil --regid=vigil "
                  "--init-groups --no-new-privs --inh-caps=-all --bounding-set=-all "
                  f"/usr/bin/vigil-agent $ARGS --web.listen-address=127.0.0.1:{p_node} "
                  f"--container.listen-address=127.0.0.1:{p_ctr}")
        wrapper = (f'mount -t proc proc "{root}/proc" && mount --rbind /sys "{root}/sys" && '
                   f'exec chroot "{root}" /bin/sh -ec "$1"')
        log = open(os.path.join(out, "agent.log"), "w+")
        agent = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "--", "sh",
                                  "-c", wrapper, "sh", script], stdout=log, stderr=subprocess.STDOUT)
        r = wait_http(f"http://127.0.0.1:{p_node}/metrics", agent, 20)
        if check(r is not None, "installed agent does not answer on its node port"):
            check("node_cpu_seconds_total{" in r[1], "installed agent: no node metrics")
        r = wait_http(f"http://127.0.0.1:{p_ctr}/metrics", agent, 20)
        if check(r is not None, "installed agent does not answer on its container port"):
            check("container_cpu_usage_seconds_total{" in r[1], "installed agent: no container metrics")
        stop(agent)
        agent = None
        log.seek(0)
        print("agent in chroot (tail):\n" + log.read()[-1200:])
        if "server" in debs:
            chroot_server(root)
        # reinstall (upgrade path: postinst configure with a previous version)
        in_root(root, "dpkg -i " + names + " >/dev/null")
        # remove: config and user stay; purge: config goes
        in_root(root, "echo '# local change' >> /etc/default/vigil-agent; dpkg -r vigil-agent")
        check(os.path.exists(os.path.join(root, "etc/default/vigil-agent")),
              "remove deleted /etc/default/vigil-agent")
        check(not os.path.exists(os.path.join(root, "usr/bin/vigil-agent")), "remove left the binary")
        in_root(root, "dpkg -P vigil-agent")
        check(not os.path.exists(os.path.join(root, "etc/default/vigil-agent")),
              "purge left /etc/default/vigil-agent")
        if "server" in debs:
            # remove keeps data and the changed config; purge removes both
            in_root(root, "echo keep > /var/lib/vigil-server/keep; "
                    "echo '# local change' >> /etc/vigil/vigil-server.yml; dpkg -r vigil-server")
            check(os.path.exists(os.path.join(root, "var/lib/vigil-server/keep")),
                  "remove deleted the server's data")
            check(os.path.exists(os.path.join(root, "etc/vigil/vigil-server.yml")),
                  "remove deleted /etc/vigil/vigil-server.yml")
            in_root(root, "dpkg -P vigil-server")
            check(not os.path.exists(os.path.join(root, "var/lib/vigil-server")),
                  "purge left /var/lib/vigil-server")
            check(not os.path.exists(os.path.join(root, "etc/vigil/vigil-server.yml")),
                  "purge left /etc/vigil/vigil-server.yml")
        r = in_root(root, "getent passwd vigil || true")
        check("vigil:" in r.stdout, "the vigil user should survive purge")
    finally:
        stop(agent)
        # nothing is mounted outside the private namespaces; the tree can go
        shutil.rmtree(out, ignore_errors=True)
        if os.path.exists(out):
            r = run(["rm", "-rf", "--one-file-system", out])
            if os.path.exists(out):
                print(f"warning: could not remove {out}: {r.stderr.strip()[-500:]}")
    return 1 if failures else 0


def chroot_server(root):
    p_srv = free_port()
    script = ("exec setpriv --reuid=vigil --regid=vigil --init-groups --no-new-privs "
              "/usr/bin/vigil-server --config.file=/etc/vigil/vigil-server.yml "
              f"--storage.tsdb.path=/var/lib/vigil-server --web.listen-address=127.0.0.1:{p_srv}")
    wrapper = f'mount -t proc proc "{root}/proc" && exec chroot "{root}" /bin/sh -ec "$1"'
    srv = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
                            wrapper, "sh", script])
    try:
        r = wait_http(f"http://127.0.0.1:{p_srv}/-/ready", srv, 20)
        check(r is not None, "installed vigil-server does not answer on its port")
    finally:
        stop(srv)
    check(os.stat(os.path.join(root, "var/lib/vigil-server")).st_uid ==
          int(in_root(root, "id -u vigil").stdout.strip() or -1), "data dir not owned by vigil")


def main():
    # cpack runs in the build directory: make the paths absolute first
    if len(sys.argv) >= 5 and sys.argv[1] == "packages":
        rc = cmd_packages(os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3]), sys.argv[4])
    elif len(sys.argv) >= 4 and sys.argv[1] == "chroot":
        rc = cmd_chroot(os.path.abspath(sys.argv[2]), sys.argv[3])
    else:
        print(__doc__)
        return 2
    if failures:
        print(f"{len(failures)} failure(s):\n  " + "\n  ".join(failures))
    return rc


if __name__ == "__main__":
    sys.exit(main())
