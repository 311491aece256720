#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Generate a cgroup tree with N Docker-like containers for benchmarks.

  gen_tree.py N DIR [--v2]

v1 (default): the hybrid layout of a Docker host with the cgroupfs driver,
each controller its own folder (cpu, cpuacct, memory, blkio, pids) plus an
empty cgroup2 "unified" tree, containers under docker/<64 hex>; v2: one
unified tree, containers under system.slice/docker-<id>.scope.  Every
container gets the files the agent reads, with contents shaped like a real
kernel's (memory.stat with all its keys, per-device blkio lines, ...), and
a cgroup.procs naming no live process (so no netns is read).
"""
import hashlib
import os
import sys

MEMSTAT_V1_KEYS = ('cache rss rss_huge shmem mapped_file dirty writeback workingset_refault_anon '
                   'workingset_refault_file swap swapcached pgpgin pgpgout pgfault pgmajfault '
                   'inactive_anon active_anon inactive_file active_file unevictable').split()
MEMSTAT_V2_KEYS = ('anon file kernel kernel_stack pagetables sec_pagetables percpu sock vmalloc '
                   'shmem zswap zswapped file_mapped file_dirty file_writeback swapcached anon_thp '
                   'file_thp shmem_thp inactive_anon active_anon inactive_file active_file '
                   'unevictable slab_reclaimable slab_unreclaimable slab workingset_refault_anon '
                   'workingset_refault_file workingset_activate_anon workingset_activate_file '
                   'workingset_restore_anon workingset_restore_file workingset_nodereclaim pgscan '
                   'pgsteal pgscan_kswapd pgscan_direct pgsteal_kswapd pgsteal_direct pgfault '
                   'pgmajfault pgrefill pgactivate pgdeactivate pglazyfree pglazyfreed thp_fault_alloc '
                   'thp_collapse_alloc').split()


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)


def v1_container(root, rel, i):
    w = lambda ctl, name, text: write(os.path.join(root, ctl, rel, name), text)
    for ctl in ('cpu', 'cpuacct', 'memory', 'blkio', 'pids'):
        w(ctl, 'cgroup.procs', '')
    w('cpuacct', 'cpuacct.usage', f'{1000000000 + i * 7919}\n')
    w('cpuacct', 'cpuacct.stat', f'user {i * 3}\nsystem {i}\n')
    w('cpu', 'cpu.stat', f'nr_periods {i}\nnr_throttled {i // 2}\nthrottled_time {i * 1000}\n'
      'nr_bursts 0\nburst_time 0\n')
    w('cpu', 'cpu.shares', '1024\n')
    w('cpu', 'cpu.cfs_quota_us', '50000\n' if i % 2 else '-1\n')
    w('cpu', 'cpu.cfs_period_us', '100000\n')
    w('memory', 'memory.usage_in_bytes', f'{(i + 1) * 1048576}\n')
    w('memory', 'memory.max_usage_in_bytes', f'{(i + 2) * 1048576}\n')
    w('memory', 'memory.failcnt', '0\n')
    w('memory', 'memory.limit_in_bytes', '268435456\n')
    w('memory', 'memory.soft_limit_in_bytes', '9223372036854771712\n')
    w('memory', 'memory.memsw.limit_in_bytes', '536870912\n')
    w('memory', 'memory.oom_control', 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n')
    stat = ''.join(f'{k} {i * 4096}\n' for k in MEMSTAT_V1_KEYS)
    stat += 'hierarchical_memory_limit 268435456\nhierarchical_memsw_limit 536870912\n'
    stat += ''.join(f'total_{k} {i * 4096}\n' for k in MEMSTAT_V1_KEYS)
    w('memory', 'memory.stat', stat)
    blk = ''.join(f'254:0 {op} {i * 512}\n' for op in ('Read', 'Write', 'Sync', 'Async', 'Discard', 'Total'))
    w('blkio', 'blkio.throttle.io_service_bytes_recursive', blk + f'Total {i * 512}\n')
    w('blkio', 'blkio.throttle.io_serviced_recursive', blk + f'Total {i * 512}\n')
    w('pids', 'pids.current', '3\n')
    w('pids', 'pids.max', 'max\n')


def v2_container(root, rel, i):
    w = lambda name, text: write(os.path.join(root, rel, name), text)
    w('cgroup.procs', '')
    w('cpu.stat', f'usage_usec {i * 1000}\nuser_usec {i * 700}\nsystem_usec {i * 300}\n'
      f'core_sched.force_idle_usec 0\nnr_periods {i}\nnr_throttled {i // 2}\n'
      f'throttled_usec {i * 10}\nnr_bursts 0\nburst_usec 0\n')
    w('cpu.weight', '100\n')
    w('cpu.max', '50000 100000\n' if i % 2 else 'max 100000\n')
    w('memory.current', f'{(i + 1) * 1048576}\n')
    w('memory.peak', f'{(i + 2) * 1048576}\n')
    w('memory.swap.current', '0\n')
    w('memory.max', '268435456\n')
    w('memory.min', '0\n')
    w('memory.swap.max', 'max\n')
    w('memory.events', 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n')
    w('memory.stat', ''.join(f'{k} {i * 4096}\n' for k in MEMSTAT_V2_KEYS))
    w('io.stat', f'254:0 rbytes={i * 512} wbytes={i * 512} rios={i} wios={i} dbytes=0 dios=0\n')
    w('pids.current', '3\n')
    w('pids.max', 'max\n')
    for res in ('cpu', 'memory', 'io'):
        w(f'{res}.pressure', 'some avg10=0.00 avg60=0.00 avg300=0.00 total=1234\n'
          'full avg10=0.00 avg60=0.00 avg300=0.00 total=567\n')


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    n, root, v2 = int(sys.argv[1]), sys.argv[2], '--v2' in sys.argv
    if v2:
        write(os.path.join(root, 'cgroup.controllers'), 'cpu io memory pids\n')
        v2_container(root, '', 0)
    else:
        write(os.path.join(root, 'unified', 'cgroup.controllers'), '')
        v1_container(root, '', 0)
    for i in range(1, n + 1):
        cid = hashlib.sha256(str(i).encode()).hexdigest()
        if v2:
            v2_container(root, f'system.slice/docker-{cid}.scope', i)
        else:
            v1_container(root, f'docker/{cid}', i)
    return 0


if __name__ == '__main__':
    sys.exit(main())
