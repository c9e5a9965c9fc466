#!/usr/bin/env python3
"""Renders the generated part of Docs/Results.md ("Threads: the concurrency matrix") from a heaplab thread sweep.

Usage: threads-markdown.py OUT CHARTS_DIR > section.md

OUT is the directory scripts/run-experiments.sh wrote for its threaded pass: OUT/results.json (RunReports of
`heaplab compare --threads ...`), and optionally OUT/command.txt, started.txt, seconds.txt, load-before.txt,
load-after.txt. CHARTS_DIR is where the scaling charts were copied (as threads-WORKLOAD-*-scaling.svg), relative
to Docs/. Every figure comes from those files: medians over repeats, the process's CPU time over its wall time,
and the `safepoint` phase of each collector pause. Only the Python standard library is used.
"""
import json
import os
import statistics
import sys


def read(path, default=""):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip()
    except OSError:
        return default


def duration(ns):
    """Three significant digits and a unit, as heaplab's table: 850 ns, 12.3 µs, 4.56 ms, 2.03 s."""
    if ns is None:
        return "-"
    ns = float(ns)
    for limit, name, scale in ((1e3, "ns", 1), (1e6, "µs", 1e3), (1e9, "ms", 1e6), (float("inf"), "s", 1e9)):
        if ns < limit:
            return number(ns / scale) + " " + name
    return "-"


def number(v):
    m = abs(v)
    return f"{v:.0f}" if m >= 100 else f"{v:.1f}" if m >= 10 else f"{v:.2f}"


def safepoint(event):
    return sum(p["nanoseconds"] for p in event["phases"] if p["name"] == "safepoint")


def main():
    out, charts = sys.argv[1], sys.argv[2]
    with open(os.path.join(out, "results.json"), encoding="utf-8") as f:
        reports = json.load(f)
    workloads, managers, counts = [], [], set()
    for r in reports:
        if r["workload"] not in workloads:
            workloads.append(r["workload"])
        if r["manager"] not in managers and r["status"] != "notApplicable":
            managers.append(r["manager"])
        if "threads" in r["parameters"]:
            counts.add(r["parameters"]["threads"])
    counts = sorted(counts)
    repeats = max((sum(1 for r in reports if r["workload"] == reports[0]["workload"] and r["manager"] == reports[0]["manager"]
                       and r["parameters"].get("threads") == reports[0]["parameters"].get("threads"))), 1) if reports else 0
    m = reports[0]["machine"] if reports else {}
    print(f"Run of {read(os.path.join(out, 'started.txt'), '(date not recorded)')}, "
          f"{m.get('cpuModel', '?')}, {m.get('cores', '?')} cores, Linux {m.get('kernel', '?')}, Swift {m.get('swiftVersion', '?')}; "
          f"{repeats} run{'s' if repeats != 1 else ''} per manager and thread count"
          + (f", {read(os.path.join(out, 'seconds.txt'))} s in all" if read(os.path.join(out, 'seconds.txt')) else "") + ".")
    load = [read(os.path.join(out, f)) for f in ("load-before.txt", "load-after.txt")]
    if all(load):
        print(f"Load before: `{load[0]}`; after: `{load[1]}`.")
    print()
    command = read(os.path.join(out, "command.txt"))
    if command:
        print("```sh\n" + command + "\n```\n")
    not_applicable = sorted({r["manager"] for r in reports if r["status"] == "notApplicable"})
    if not_applicable:
        print("Not applicable on every threaded workload: " + ", ".join(not_applicable)
              + " (the native C references have no threaded programs).\n")
    for w in workloads:
        first = next(r for r in reports if r["workload"] == w)
        params = " ".join(f"{k}={v}" for k, v in sorted(first["parameters"].items()) if k != "threads")
        print(f"#### {w}\n\nParameters: `{params}`, threads {', '.join(map(str, counts))}.\n")
        print("| manager | threads | wall (median, min-max) | CPU / wall | ×malloc | p50 | p99 | p99.9 | max | collector pauses n / max | time to safepoint p99 / max |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for manager in managers:
            for t in counts:
                runs = [r for r in reports if r["workload"] == w and r["manager"] == manager
                        and r["parameters"].get("threads") == t and r["status"] == "ok"]
                failed = [r for r in reports if r["workload"] == w and r["manager"] == manager
                          and r["parameters"].get("threads") == t and r["status"] not in ("ok", "notApplicable")]
                if failed and not runs:
                    print(f"| {manager} | {t} | {failed[0]['status']} | | | | | | | | |")
                    continue
                if not runs:
                    continue
                walls = [r["wallNanoseconds"] for r in runs]
                wall = statistics.median(walls)
                base = [r["wallNanoseconds"] for r in reports if r["workload"] == w and r["manager"] == "malloc"
                        and r["parameters"].get("threads") == t and r["status"] == "ok"]
                ratio = number(wall / statistics.median(base)) if base else "-"
                cpu = statistics.median(r["cpuNanoseconds"] / r["wallNanoseconds"] for r in runs if r["wallNanoseconds"])

                def lat(key):
                    return duration(statistics.median(r["latency"][key] for r in runs)) if runs[0]["latency"]["count"] else "-"
                pauses = [[e for e in r["pauses"] if e["kind"] != "stall"] for r in runs]
                if any(pauses):
                    pause_cell = (f"{statistics.median(len(p) for p in pauses):.0f} / "
                                  + duration(statistics.median(max((e["durationNanoseconds"] for e in p), default=0) for p in pauses)))
                    times = sorted(safepoint(e) for p in pauses for e in p)
                    sp_cell = (f"{duration(times[min(len(times) - 1, int(0.99 * len(times)))])} / {duration(times[-1])}"
                               if t > 1 and times else "-")
                else:
                    pause_cell, sp_cell = "-", "-"
                print(f"| {manager} | {t} | {duration(wall)} ({duration(min(walls))}-{duration(max(walls))}) | {cpu:.2f} | {ratio} | "
                      f"{lat('p50Nanoseconds')} | {lat('p99Nanoseconds')} | {lat('p999Nanoseconds')} | {lat('maxNanoseconds')} | "
                      f"{pause_cell} | {sp_cell} |")
        print()
    if len(counts) > 1:
        links = lambda kind: ", ".join(f"[{w}]({charts}/threads-{w}-{kind}-scaling.svg)" for w in workloads)
        print(f"Charts: throughput against threads ({links('throughput')}); p99 latency against threads ({links('latency')}).")


if __name__ == "__main__":
    main()
