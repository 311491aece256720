#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""vigil-agent's container listener against a real Docker engine.

Starts a private dockerd (own socket, data root, exec root, pidfile, cgroup
parent; no bridge, no iptables), imports a local busybox image, runs
  ctr-cpu   --cpus=0.5, burning CPU (so it is throttled)
  ctr-mem   --memory=256m, holding 96 MiB in /dev/shm (counted as working set)
  ctr-idle  sleeping
each with labels (and ctr-late, started once the agent runs), starts the agent on loopback with a 1 s housekeeping
interval, and checks from two scrapes that every container shows up with
its name, image and labels, that ctr-cpu's CPU rate matches its quota and
its throttling counters grow, that ctr-mem's working set matches what it
holds, and that ctr-idle leaves the output after `docker rm`.  Also checks
/api/v1/containers.

Usage: container_docker_test.py AGENT
Exit 77 (skipped) only when the engine cannot start here (not root, no
dockerd, daemon not ready).  Stops every container and the dockerd it
started, and the agent, by PID.
"""
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from vigiltest import SKIP, free_port, http_get, stop, wait_http  # noqa: E402

DOCKER = '/usr/bin/docker'
DOCKERD = next((p for p in ('/usr/sbin/dockerd', '/usr/bin/dockerd') if os.access(p, os.X_OK)),
               '/usr/sbin/dockerd')
BUSYBOX = '/bin/busybox'

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)(?: (\d+))?$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text):
    """[(name, {labels}, value, ts)]"""
    out = []
    for line in text.splitlines():
        if not line or line.startswith('#'):
            continue
        m = SAMPLE.match(line)
        if not m:
            raise AssertionError('unparseable line: ' + line)
        labels = dict(LABEL.findall(m.group(3) or ''))
        out.append((m.group(1), labels, float(m.group(4)), int(m.group(5)) if m.group(5) else None))
    return out


def one(samples, family, **match):
    got = [s for s in samples if s[0] == family and all(s[1].get(k) == v for k, v in match.items())]
    if len(got) != 1:
        raise AssertionError(f'{family} {match}: {len(got)} samples')
    return got[0]


class Env:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix='vigil-docker-')
        self.sock = os.path.join(self.tmp, 'docker.sock')
        self.dockerd = None
        self.agent = None
        self.tag = f'vigil-test-{os.getpid()}'

    def docker(self, *args, check=True, timeout=60):
        r = subprocess.run([DOCKER, '--host', 'unix://' + self.sock] + list(args),
                           capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f'docker {" ".join(args)}: {r.stderr.strip()}')
        return r.stdout.strip()

    def start_dockerd(self):
        log = open(os.path.join(self.tmp, 'dockerd.log'), 'w')
        self.dockerd = subprocess.Popen(
            [DOCKERD, '--host', 'unix://' + self.sock,
             '--data-root', os.path.join(self.tmp, 'data'),
             '--exec-root', os.path.join(self.tmp, 'exec'),
             '--pidfile', os.path.join(self.tmp, 'dockerd.pid'),
             '--storage-driver=overlay2', '--iptables=false', '--ip-forward=false',
             '--bridge=none', '--cgroup-parent=/' + self.tag],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.dockerd.poll() is not None:
                break
            r = subprocess.run([DOCKER, '--host', 'unix://' + self.sock, 'version'],
                               capture_output=True, timeout=10)
            if r.returncode == 0:
                return True
            time.sleep(0.3)
        return False

    def dockerd_log(self):
        try:
            with open(os.path.join(self.tmp, 'dockerd.log')) as f:
                return ''.join(f.readlines()[-15:])
        except OSError:
            return ''

    def make_image(self):
        root = os.path.join(self.tmp, 'rootfs')
        os.makedirs(os.path.join(root, 'bin'))
        shutil.copy(BUSYBOX, os.path.join(root, 'bin', 'busybox'))
        for tool in ('sh', 'sleep', 'yes', 'dd', 'cat', 'head', 'tr', 'ls'):
            os.symlink('busybox', os.path.join(root, 'bin', tool))
        for d in ('dev', 'proc', 'sys', 'tmp', 'etc'):
            os.makedirs(os.path.join(root, d), exist_ok=True)
        tar = os.path.join(self.tmp, 'rootfs.tar')
        subprocess.run(['tar', '-C', root, '-cf', tar, '.'], check=True)
        self.docker('import', '-c', 'CMD ["/bin/sh"]', tar, 'vigil-test/busybox:local')

    def stop(self):
        stop(self.agent, 10)
        if self.dockerd and self.dockerd.poll() is None:
            ids = self.docker('ps', '-aq', check=False).split()
            if ids:
                self.docker('rm', '-f', *ids, check=False, timeout=120)
            pid = self.dockerd.pid
            try:
                with open(os.path.join(self.tmp, 'dockerd.pid')) as f:
                    pid = int(f.read().strip() or pid)
            except (OSError, ValueError):
                pass
            os.kill(pid, signal.SIGTERM)
            try:
                self.dockerd.wait(30)
            except subprocess.TimeoutExpired:
                os.kill(pid, signal.SIGKILL)
                self.dockerd.wait()
        # dockerd leaves the (empty) cgroup parent behind
        for ctl in glob.glob(f'/sys/fs/cgroup/*/{self.tag}') + glob.glob(f'/sys/fs/cgroup/{self.tag}'):
            for d, _, _ in sorted(os.walk(ctl), key=lambda w: -len(w[0])):
                try:
                    os.rmdir(d)
                except OSError:
                    pass
        # dockerd unmounts its overlays on exit; leftovers are unmounted before removal
        subprocess.run(['sh', '-c', f'grep -o " {self.tmp}[^ ]*" /proc/mounts | sort -r | '
                        'xargs -r -n1 umount -l'], capture_output=True)
        shutil.rmtree(self.tmp, ignore_errors=True)


def scrape(port):
    return parse(http_get(f'http://127.0.0.1:{port}/metrics'))


def main():
    if len(sys.argv) < 2:
        print('usage: container_docker_test.py AGENT', file=sys.stderr)
        return 2
    agent = os.path.abspath(sys.argv[1])
    if os.geteuid() != 0:
        print('SKIP: dockerd needs root here')
        return SKIP
    for path in (DOCKER, DOCKERD, BUSYBOX):
        if not os.access(path, os.X_OK):
            print(f'SKIP: {path} missing (apt-get install docker.io busybox-static)')
            return SKIP
    env = Env()
    try:
        if not env.start_dockerd():
            print('SKIP: dockerd did not become ready in 30 s:\n' + env.dockerd_log())
            return SKIP
        env.make_image()
        img = 'vigil-test/busybox:local'
        common = ['run', '-d', '--label', 'tier=test', '--label', 'com.example.team=vigil']
        env.docker(*common, '--name', 'ctr-cpu', '--label', 'app=cpu', '--cpus=0.5', img,
                   'sh', '-c', 'yes > /dev/null')
        env.docker(*common, '--name', 'ctr-mem', '--label', 'app=mem', '--memory=256m',
                   '--shm-size=256m', img, 'sh', '-c',
                   'dd if=/dev/zero of=/dev/shm/hold bs=1M count=96 2>/dev/null; sleep 100000')
        env.docker(*common, '--name', 'ctr-idle', '--label', 'app=idle', img, 'sleep', '100000')
        ids = {n: env.docker('inspect', '-f', '{{.Id}}', n) for n in ('ctr-cpu', 'ctr-mem', 'ctr-idle')}

        port, nport = free_port(), free_port()
        env.agent = subprocess.Popen(
            [agent, f'--web.listen-address=127.0.0.1:{nport}',
             f'--container.listen-address=127.0.0.1:{port}',
             f'--container.docker-socket=unix://{env.sock}', '--housekeeping_interval=1s',
             '--storage_duration=30s'],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(env.tmp, 'agent.log'), 'w'))
        if wait_http(f'http://127.0.0.1:{port}/metrics', env.agent, 10, timeout=1) is None:
            raise AssertionError('agent did not serve :%d' % port)
        time.sleep(3)  # let ctr-mem fill /dev/shm
        s1 = scrape(port)
        time.sleep(8)
        s2 = scrape(port)

        for name, cid in ids.items():
            m = one(s2, 'container_last_seen', name=name)
            labels = m[1]
            assert labels['image'] == img, labels
            assert labels['id'].endswith(cid), (labels['id'], cid)
            assert labels['container_label_app'] == name[4:], labels
            assert labels['container_label_com_example_team'] == 'vigil', labels
            assert labels['container_label_tier'] == 'test', labels

        c1 = one(s1, 'container_cpu_usage_seconds_total', name='ctr-cpu', cpu='total')
        c2 = one(s2, 'container_cpu_usage_seconds_total', name='ctr-cpu', cpu='total')
        dt = (c2[3] - c1[3]) / 1000
        rate = (c2[2] - c1[2]) / dt
        print(f'ctr-cpu: {rate:.3f} cores over {dt:.1f}s (quota 0.5)')
        # at most its quota (plus measurement slack); at least half of it unless the host
        # is starved (two cores shared with builds)
        assert 0.25 <= rate <= 0.55, rate
        assert one(s2, 'container_spec_cpu_quota', name='ctr-cpu')[2] == 50000
        assert one(s2, 'container_spec_cpu_period', name='ctr-cpu')[2] == 100000
        t1 = one(s1, 'container_cpu_cfs_throttled_periods_total', name='ctr-cpu')[2]
        t2 = one(s2, 'container_cpu_cfs_throttled_periods_total', name='ctr-cpu')[2]
        p2 = one(s2, 'container_cpu_cfs_periods_total', name='ctr-cpu')[2]
        ts2 = one(s2, 'container_cpu_cfs_throttled_seconds_total', name='ctr-cpu')[2]
        print(f'ctr-cpu: throttled periods {t1:.0f} -> {t2:.0f} of {p2:.0f}, {ts2:.2f}s throttled')
        # throttling grows while it runs into its quota; on a host too busy to give it
        # even 0.4 cores it may not reach the quota at all
        assert (t2 > t1 and ts2 > 0) or rate < 0.4, (t1, t2, ts2, rate)

        ws = one(s2, 'container_memory_working_set_bytes', name='ctr-mem')[2]
        print(f'ctr-mem: working set {ws / 2**20:.1f} MiB (holds 96 MiB)')
        assert 90 * 2**20 <= ws <= 140 * 2**20, ws
        assert one(s2, 'container_spec_memory_limit_bytes', name='ctr-mem')[2] == 256 * 2**20
        idle_cpu = one(s2, 'container_cpu_usage_seconds_total', name='ctr-idle', cpu='total')[2]
        assert idle_cpu < 1, idle_cpu
        assert one(s2, 'container_processes', name='ctr-idle')[2] >= 1

        # promtool finds nothing beyond the lints cAdvisor's own names draw
        promtool = shutil.which('promtool')
        if promtool:
            text = http_get(f'http://127.0.0.1:{port}/metrics')
            r = subprocess.run([promtool, 'check', 'metrics'], input=text, capture_output=True,
                               text=True)
            allowed = ("cadvisor_version_info label names should be written in 'snake_case' not 'camelCase'",
                       'container_memory_failcnt counter metrics should have "_total" suffix')
            bad = [l for l in (r.stdout + r.stderr).splitlines() if l.strip() and l.strip() not in allowed]
            assert not bad, 'promtool: ' + '; '.join(bad[:5])
            print('promtool check metrics: only cAdvisor-name lints')

        hist = json.loads(http_get(f'http://127.0.0.1:{port}/api/v1/containers'))
        h = [c for c in hist['data'] if c['name'] == 'ctr-cpu']
        assert len(h) == 1 and len(h[0]['samples']) >= 5, h
        assert h[0]['labels']['app'] == 'cpu'

        # a container started while the agent runs is named from the event stream
        env.docker(*common, '--name', 'ctr-late', '--label', 'app=late', img, 'sleep', '100000')
        env.docker('rm', '-f', 'ctr-idle')
        time.sleep(3)
        s3 = scrape(port)
        late = one(s3, 'container_last_seen', name='ctr-late')
        assert late[1]['container_label_app'] == 'late' and late[1]['image'] == img, late
        print('ctr-late, started after the agent, is named')
        assert not [s for s in s3 if s[1].get('name') == 'ctr-idle'], 'ctr-idle still reported'
        assert not [s for s in s3 if ids['ctr-idle'] in s[1].get('id', '')], 'ctr-idle cgroup still reported'
        one(s3, 'container_last_seen', name='ctr-cpu')
        print('ctr-idle left the output after docker rm')
        env.agent.send_signal(signal.SIGTERM)
        rc = env.agent.wait(20)
        assert rc == 0, f'agent exited with {rc} on SIGTERM'
        print('PASS')
        return 0
    except (AssertionError, OSError, KeyError) as e:
        print('FAIL:', e)
        try:
            with open(os.path.join(env.tmp, 'agent.log')) as f:
                print(f.read()[-3000:])
        except OSError:
            pass
        return 1
    finally:
        env.stop()


if __name__ == '__main__':
    sys.exit(main())
