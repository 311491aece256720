#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Generate Vigil's Grafana dashboards (output committed under dashboards/).

  packaging/grafana/gen_dashboards.py            write dashboards/*.json
  packaging/grafana/gen_dashboards.py --check    exit 1 if the files are stale

Every panel is described once below (title, queries, unit); layout, data source
wiring and variables are filled in the same way for all of them, so the two
dashboards stay consistent.  Queries only use vigil-agent's node_exporter- and
cAdvisor-compatible metrics and the variables
  host dashboard:       $job, $nodename, $instance
  container dashboard:  $job, $instance, $name
plus Grafana's $__rate_interval and $__range.  tests/integration/dashboards_test.py
evaluates every query (variables substituted) against live data.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DS = {"type": "prometheus", "uid": "${datasource}"}

# --- panel helpers --------------------------------------------------------------


def target(expr, legend="", ref="A"):
    return {"datasource": DS, "expr": expr, "legendFormat": legend, "refId": ref,
            "range": True, "editorMode": "code"}


def timeseries(title, queries, unit, description="", stack=False, max_=None):
    """queries: [(expr, legend)]"""
    defaults = {"unit": unit, "min": 0, "custom": {
        "drawStyle": "line", "lineWidth": 1, "fillOpacity": 10 if not stack else 30,
        "showPoints": "never", "spanNulls": False,
        "stacking": {"mode": "normal" if stack else "none", "group": "A"}}}
    if max_ is not None:
        defaults["max"] = max_
    return {"type": "timeseries", "title": title, "description": description, "datasource": DS,
            "targets": [target(e, l, chr(ord("A") + i)) for i, (e, l) in enumerate(queries)],
            "fieldConfig": {"defaults": defaults, "overrides": []},
            "options": {"legend": {"displayMode": "table", "placement": "bottom",
                                   "calcs": ["mean", "max", "lastNotNull"]},
                        "tooltip": {"mode": "multi", "sort": "desc"}}}


def stat(title, expr, unit, legend="", description=""):
    return {"type": "stat", "title": title, "description": description, "datasource": DS,
            "targets": [target(expr, legend)],
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
            "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                        "colorMode": "value", "graphMode": "area", "textMode": "auto"}}


def row(title):
    return {"type": "row", "title": title, "collapsed": False, "panels": []}


def layout(items):
    """Rows span the width; stats are 4 wide x 4 high; graphs 12 x 8, two per line."""
    y, x, line_h, out, pid = 0, 0, 0, [], 1
    for p in items:
        w, h = {"row": (24, 1), "stat": (4, 4)}.get(p["type"], (12, 8))
        if p["type"] == "row" or x + w > 24:
            y, x, line_h = y + line_h, 0, 0
        p["gridPos"] = {"x": x, "y": y, "w": w, "h": h}
        p["id"] = pid
        pid += 1
        x, line_h = x + w, max(line_h, h)
        if p["type"] == "row":
            y, x, line_h = y + h, 0, 0
        out.append(p)
    return out


def query_var(name, label, query, multi=False, include_all=False, all_value=None, hide=0):
    v = {"type": "query", "name": name, "label": label, "datasource": DS,
         "definition": query, "query": {"query": query, "refId": f"{name}-query"},
         "refresh": 2, "sort": 1, "multi": multi, "includeAll": include_all, "hide": hide,
         "current": {}, "options": [], "regex": ""}
    if all_value is not None:
        v["allValue"] = all_value
    return v


def datasource_var():
    return {"type": "datasource", "name": "datasource", "label": "Data source",
            "query": "prometheus", "current": {"selected": False, "text": "Vigil", "value": "vigil"},
            "hide": 0, "refresh": 1, "regex": "", "options": []}


def dashboard(uid, title, description, variables, panels):
    return {
        "uid": uid, "title": title, "description": description, "tags": ["vigil"],
        "editable": True, "graphTooltip": 1, "schemaVersion": 37, "version": 1,
        "time": {"from": "now-3h", "to": "now"}, "refresh": "30s", "timezone": "",
        "fiscalYearStartMonth": 0, "liveNow": False, "weekStart": "",
        "links": [{"type": "dashboards", "tags": ["vigil"], "title": "Vigil dashboards",
                   "asDropdown": True, "includeVars": True, "keepTime": True}],
        "annotations": {"list": []},
        "templating": {"list": [datasource_var()] + variables},
        "panels": layout(panels),
    }


# --- host dashboard ---------------------------------------------------------------

H = 'job="$job",instance="$instance"'
RI = "[$__rate_interval]"


def host():
    cpus = f'count by (instance) (node_cpu_seconds_total{{{H},mode="idle"}})'
    fs = f'{H},fstype!~"tmpfs|ramfs|squashfs|overlay",mountpoint!=""'
    net = f'{H},device!="lo"'
    panels = [
        row("Overview"),
        stat("Uptime", f"node_time_seconds{{{H}}} - node_boot_time_seconds{{{H}}}", "s"),
        stat("CPU cores", cpus, "short"),
        stat("Memory", f"node_memory_MemTotal_bytes{{{H}}}", "bytes"),
        stat("CPU busy", f'100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{{{H},mode="idle"}}{RI})))',
             "percent"),
        stat("Memory used", f"100 * (1 - node_memory_MemAvailable_bytes{{{H}}} / node_memory_MemTotal_bytes{{{H}}})",
             "percent"),
        stat("Root FS used", f'100 * (1 - node_filesystem_avail_bytes{{{H},mountpoint="/"}} / '
             f'node_filesystem_size_bytes{{{H},mountpoint="/"}})', "percent"),
        row("CPU"),
        timeseries("CPU usage by mode",
                   [(f'sum by (mode) (rate(node_cpu_seconds_total{{{H},mode!="idle"}}{RI})) '
                     f'/ scalar({cpus})', "{{mode}}")],
                   "percentunit", "Share of all CPUs spent in each mode (idle left out).", stack=True),
        timeseries("Load average",
                   [(f"node_load1{{{H}}}", "1m"), (f"node_load5{{{H}}}", "5m"),
                    (f"node_load15{{{H}}}", "15m"), (cpus, "CPU cores")], "short"),
        timeseries("Context switches and interrupts",
                   [(f"rate(node_context_switches_total{{{H}}}{RI})", "context switches"),
                    (f"rate(node_intr_total{{{H}}}{RI})", "interrupts")], "ops"),
        timeseries("Processes",
                   [(f"node_procs_running{{{H}}}", "running"), (f"node_procs_blocked{{{H}}}", "blocked")],
                   "short"),
        row("Memory"),
        timeseries("Memory",
                   [(f"node_memory_MemTotal_bytes{{{H}}} - node_memory_MemAvailable_bytes{{{H}}}", "used"),
                    (f"node_memory_Cached_bytes{{{H}}} + node_memory_Buffers_bytes{{{H}}}", "cache + buffers"),
                    (f"node_memory_MemAvailable_bytes{{{H}}}", "available"),
                    (f"node_memory_MemTotal_bytes{{{H}}}", "total")], "bytes"),
        timeseries("Swap and paging",
                   [(f"node_memory_SwapTotal_bytes{{{H}}} - node_memory_SwapFree_bytes{{{H}}}", "swap used"),
                    (f"rate(node_vmstat_pgmajfault{{{H}}}{RI})", "major faults/s")], "short"),
        row("Disk space"),
        timeseries("File system used",
                   [(f"100 * (1 - node_filesystem_avail_bytes{{{fs}}} / node_filesystem_size_bytes{{{fs}}})",
                     "{{mountpoint}}")], "percent", max_=100),
        timeseries("File system available",
                   [(f"node_filesystem_avail_bytes{{{fs}}}", "{{mountpoint}}")], "bytes"),
        row("Disk I/O"),
        timeseries("Disk throughput",
                   [(f"rate(node_disk_read_bytes_total{{{H}}}{RI})", "{{device}} read"),
                    (f"rate(node_disk_written_bytes_total{{{H}}}{RI})", "{{device}} written")], "Bps"),
        timeseries("Disk IOPS",
                   [(f"rate(node_disk_reads_completed_total{{{H}}}{RI})", "{{device}} reads"),
                    (f"rate(node_disk_writes_completed_total{{{H}}}{RI})", "{{device}} writes")], "iops"),
        timeseries("Disk busy",
                   [(f"rate(node_disk_io_time_seconds_total{{{H}}}{RI})", "{{device}}")],
                   "percentunit", "Share of time the device had I/O in flight.", max_=1),
        timeseries("Disk latency",
                   [(f"rate(node_disk_read_time_seconds_total{{{H}}}{RI}) / "
                     f"rate(node_disk_reads_completed_total{{{H}}}{RI}) > 0", "{{device}} read"),
                    (f"rate(node_disk_write_time_seconds_total{{{H}}}{RI}) / "
                     f"rate(node_disk_writes_completed_total{{{H}}}{RI}) > 0", "{{device}} write")], "s",
                   "Average time per completed request (only while there is I/O)."),
        row("Network"),
        timeseries("Network traffic",
                   [(f"rate(node_network_receive_bytes_total{{{net}}}{RI}) * 8", "{{device}} in"),
                    (f"rate(node_network_transmit_bytes_total{{{net}}}{RI}) * 8", "{{device}} out")], "bps"),
        timeseries("Network packets",
                   [(f"rate(node_network_receive_packets_total{{{net}}}{RI})", "{{device}} in"),
                    (f"rate(node_network_transmit_packets_total{{{net}}}{RI})", "{{device}} out")], "pps"),
        timeseries("Network errors and drops",
                   [(f"rate(node_network_receive_errs_total{{{net}}}{RI}) + "
                     f"rate(node_network_receive_drop_total{{{net}}}{RI})", "{{device}} in"),
                    (f"rate(node_network_transmit_errs_total{{{net}}}{RI}) + "
                     f"rate(node_network_transmit_drop_total{{{net}}}{RI})", "{{device}} out")], "pps"),
        timeseries("TCP connections",
                   [(f"node_netstat_Tcp_CurrEstab{{{H}}}", "established"),
                    (f"node_sockstat_TCP_tw{{{H}}}", "time wait")], "short"),
        row("Pressure (PSI)"),
        timeseries("Pressure: waiting",
                   [(f"rate(node_pressure_cpu_waiting_seconds_total{{{H}}}{RI})", "cpu"),
                    (f"rate(node_pressure_memory_waiting_seconds_total{{{H}}}{RI})", "memory"),
                    (f"rate(node_pressure_io_waiting_seconds_total{{{H}}}{RI})", "io")], "percentunit",
                   "Share of time at least one task waited for the resource."),
        timeseries("Pressure: stalled",
                   [(f"rate(node_pressure_memory_stalled_seconds_total{{{H}}}{RI})", "memory"),
                    (f"rate(node_pressure_io_stalled_seconds_total{{{H}}}{RI})", "io")], "percentunit",
                   "Share of time all non-idle tasks were stalled on the resource."),
    ]
    variables = [
        query_var("job", "Job", "label_values(node_uname_info, job)"),
        query_var("nodename", "Host", 'label_values(node_uname_info{job="$job"}, nodename)'),
        query_var("instance", "Instance",
                  'label_values(node_uname_info{job="$job", nodename="$nodename"}, instance)'),
    ]
    return dashboard("vigil-host", "Vigil / Host",
                     "Host metrics from vigil-agent (node_exporter compatible), one host at a time.",
                     variables, panels)


# --- container dashboard ----------------------------------------------------------

C = 'job="$job",instance=~"$instance",name=~"$name"'
BY = "sum by (instance, name)"


def containers():
    panels = [
        row("Overview"),
        stat("Containers", f"count(container_last_seen{{{C}}})", "short"),
        stat("CPU used", f'sum(rate(container_cpu_usage_seconds_total{{{C},cpu="total"}}{RI}))', "short",
             description="CPU cores used by the selected containers."),
        stat("Working set", f"sum(container_memory_working_set_bytes{{{C}}})", "bytes"),
        stat("Restarts", f"sum(changes(container_start_time_seconds{{{C}}}[$__range]))", "short",
             description="Container starts seen in the time range (start time changed)."),
        stat("OOM kills", f"sum(increase(container_oom_events_total{{{C}}}[$__range]))", "short"),
        stat("Machine cores", 'sum(machine_cpu_cores{job="$job",instance=~"$instance"})', "short"),
        row("CPU"),
        timeseries("CPU usage",
                   [(f'{BY} (rate(container_cpu_usage_seconds_total{{{C},cpu="total"}}{RI}))',
                     "{{name}} ({{instance}})")], "short", "CPU cores used."),
        timeseries("CPU usage of limit",
                   [(f'{BY} (rate(container_cpu_usage_seconds_total{{{C},cpu="total"}}{RI})) / '
                     f"({BY} (container_spec_cpu_quota{{{C}}}) / {BY} (container_spec_cpu_period{{{C}}}))",
                     "{{name}} ({{instance}})")], "percentunit",
                   "CPU used relative to the container's CFS quota (containers with a limit)."),
        timeseries("CPU throttling",
                   [(f"{BY} (rate(container_cpu_cfs_throttled_seconds_total{{{C}}}{RI}))",
                     "{{name}} ({{instance}})")], "s",
                   "Seconds per second the container was throttled by its CPU quota."),
        timeseries("Throttled periods",
                   [(f"{BY} (rate(container_cpu_cfs_throttled_periods_total{{{C}}}{RI})) / "
                     f"{BY} (rate(container_cpu_cfs_periods_total{{{C}}}{RI}))",
                     "{{name}} ({{instance}})")], "percentunit", max_=1),
        row("Memory"),
        timeseries("Memory working set",
                   [(f"{BY} (container_memory_working_set_bytes{{{C}}})", "{{name}} ({{instance}})")], "bytes",
                   "What the kernel would not reclaim first: usage minus inactive file cache."),
        timeseries("Memory working set of limit",
                   [(f"{BY} (container_memory_working_set_bytes{{{C}}}) / "
                     f"{BY} (container_spec_memory_limit_bytes{{{C}}} > 0)", "{{name}} ({{instance}})")],
                   "percentunit", "Containers with a memory limit.", max_=1),
        timeseries("Memory RSS and cache",
                   [(f"{BY} (container_memory_rss{{{C}}})", "{{name}} rss"),
                    (f"{BY} (container_memory_cache{{{C}}})", "{{name}} cache")], "bytes"),
        timeseries("Processes and threads",
                   [(f"{BY} (container_processes{{{C}}})", "{{name}} processes"),
                    (f"{BY} (container_threads{{{C}}})", "{{name}} threads")], "short"),
        row("Network"),
        timeseries("Network received",
                   [(f"{BY} (rate(container_network_receive_bytes_total{{{C}}}{RI}))",
                     "{{name}} ({{instance}})")], "Bps"),
        timeseries("Network sent",
                   [(f"{BY} (rate(container_network_transmit_bytes_total{{{C}}}{RI}))",
                     "{{name}} ({{instance}})")], "Bps"),
        row("Block I/O"),
        timeseries("Block I/O read",
                   [(f"{BY} (rate(container_fs_reads_bytes_total{{{C}}}{RI}))", "{{name}} ({{instance}})")],
                   "Bps"),
        timeseries("Block I/O written",
                   [(f"{BY} (rate(container_fs_writes_bytes_total{{{C}}}{RI}))", "{{name}} ({{instance}})")],
                   "Bps"),
        row("Lifecycle"),
        timeseries("Restarts",
                   [(f"{BY} (changes(container_start_time_seconds{{{C}}}[$__range]))",
                     "{{name}} ({{instance}})")], "short",
                   "Container starts seen in the time range (start time changed)."),
        timeseries("Uptime",
                   [(f"time() - {BY} (container_start_time_seconds{{{C}}})", "{{name}} ({{instance}})")], "s"),
    ]
    variables = [
        query_var("job", "Job", "label_values(container_last_seen, job)"),
        query_var("instance", "Host", 'label_values(container_last_seen{job="$job"}, instance)',
                  multi=True, include_all=True, all_value=".+"),
        query_var("name", "Container",
                  'label_values(container_last_seen{job="$job", instance=~"$instance", name!=""}, name)',
                  multi=True, include_all=True, all_value=".+"),
    ]
    return dashboard("vigil-containers", "Vigil / Containers",
                     "Container metrics from vigil-agent (cAdvisor compatible), per host and container.",
                     variables, panels)


def render():
    return {"vigil-host.json": host(), "vigil-containers.json": containers()}


def main():
    check = "--check" in sys.argv[1:]
    stale = []
    for name, d in render().items():
        path = os.path.join(HERE, "dashboards", name)
        text = json.dumps(d, indent=2, sort_keys=False) + "\n"
        old = open(path).read() if os.path.exists(path) else None
        if old == text:
            continue
        if check:
            stale.append(path)
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
            print("wrote", path)
    if stale:
        print("stale (run packaging/grafana/gen_dashboards.py):", *stale)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
