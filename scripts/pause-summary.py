#!/usr/bin/env python3
"""Per-run pause figures from heaplab's RunReport JSON (`heaplab run|compare --json FILE`).

For each run: wall time, the largest pause as the program saw it and its largest on-CPU time
(`cpuNanoseconds`, where the collector measured it), how many pauses lasted over 1 ms and how many of those
also used over 1 ms of CPU, the largest start pause, final pause and mark slice, the worst operation
(`lat max`) and p99.9, peak RSS. Usage: scripts/pause-summary.py FILE.json [FILE.json ...]
"""
import json
import sys


def ms(ns):
    return "-" if ns is None else f"{ns / 1e6:.2f}"


def largest(events, key="durationNanoseconds"):
    values = [e.get(key) for e in events if e.get(key) is not None]
    return max(values) if values else None


def summarize(report):
    pauses = [e for e in report["pauses"] if e["kind"] != "stall"]
    over = [e for e in pauses if e["durationNanoseconds"] > 1_000_000]
    over_cpu = [e for e in over if (e.get("cpuNanoseconds") or 0) > 1_000_000]
    starts = [e for e in pauses if e["kind"] == "markSlice" and e.get("label", "").startswith("start")]
    slices = [e for e in pauses if e["kind"] == "markSlice" and not e.get("label")]
    finals = [e for e in pauses if e["kind"] in ("finalMark", "collection")]
    latency = report["latency"]
    return [
        report["workload"], report["manager"], f"{report['wallNanoseconds'] / 1e9:.2f}",
        str(len(pauses)), ms(largest(pauses)), ms(largest(pauses, "cpuNanoseconds")),
        f"{len(over)} ({len(over_cpu)})", ms(largest(starts)), ms(largest(slices, "cpuNanoseconds")),
        ms(largest(finals)), ms(latency["maxNanoseconds"]), ms(latency["p999Nanoseconds"]),
        f"{report['residentMemory']['peakBytes'] / 2**20:.0f}",
    ]


def main(paths):
    header = ["workload", "manager", "wall s", "pauses", "max pause ms", "max on-CPU ms",
              ">1 ms (on-CPU >1 ms)", "max start ms", "max slice on-CPU ms", "max final/STW ms",
              "worst op ms", "op p99.9 ms", "peak RSS MiB"]
    rows = []
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        for report in data if isinstance(data, list) else [data]:
            if report.get("status") == "ok":
                rows.append(summarize(report))
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
