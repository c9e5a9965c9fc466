#!/usr/bin/env bash
# Regenerates the experiment matrix of Docs/Results.md ("The experiment matrix") and its charts, from scratch:
#
#   1. builds heaplab in release mode;
#   2. runs `heaplab compare` on every workload x every installed manager (each run in its own child process),
#      writing every RunReport to OUT/results.json and the full report (CSV, SVG charts, index.html, trace.json)
#      to OUT/report;
#   3. copies the SVG charts to Docs/results/;
#   4. rewrites the part of Docs/Results.md between the markers
#        <!-- BEGIN run-experiments.sh -->  and  <!-- END run-experiments.sh -->
#      with the date, the machine, the exact commands, the tables and links to the charts
#      (scripts/results-markdown.py renders it from OUT/results.json);
#   5. runs the threaded workloads at 1, 2 and 4 threads (`heaplab compare --threads 1,2,4`, into OUT/threads/),
#      copies their scaling charts to Docs/results/threads-*.svg and rewrites the part of Docs/Results.md between
#        <!-- BEGIN run-experiments.sh threads -->  and  <!-- END run-experiments.sh threads -->
#      (scripts/threads-markdown.py renders it from OUT/threads/results.json).
#
# The default is the full experiment: every workload at its experiment size, 3 repeats. On a 2-core machine one
# repeat takes about 7-13 minutes depending on its load (binary-trees at depth 21 dominates). Smaller runs:
#
#   scripts/run-experiments.sh --repeats 1                     # full sizes, one run per pair
#   scripts/run-experiments.sh --quick                         # test sizes, 1 repeat: a minute, for checking the script
#   scripts/run-experiments.sh --param depth=18 --repeats 2    # any heaplab compare --param (applies to every workload that has it)
#   HEAPLAB_EXPERIMENT_REPEATS=1 scripts/run-experiments.sh    # the same options as environment variables (below)
#   scripts/run-experiments.sh --from .build/experiments       # no run: re-render the doc and charts from OUT/results.json
#
# Options (environment variable in brackets):
#   --repeats N        runs per (workload, manager) pair (HEAPLAB_EXPERIMENT_REPEATS, default 3)
#   --quick            every workload at its test size (HEAPLAB_EXPERIMENT_QUICK=1)
#   --param name=value workload parameter passed to heaplab compare, repeatable (HEAPLAB_EXPERIMENT_PARAMS,
#                      space-separated name=value pairs)
#   --workloads a,b    workloads (HEAPLAB_EXPERIMENT_WORKLOADS, default all)
#   --managers a,b     managers (HEAPLAB_EXPERIMENT_MANAGERS, default every installed one)
#   --timeout SECONDS  per-run timeout (HEAPLAB_EXPERIMENT_TIMEOUT, default heaplab's 600)
#   --out DIR          where results.json and the report go (HEAPLAB_EXPERIMENT_OUT, default .build/experiments)
#   --from DIR         skip building and running; render from DIR/results.json (DIR/command.txt, if present,
#                      holds the command that produced it)
#   --no-doc           run and write the report, but leave Docs/ alone
#   --threads LIST     thread counts of the threaded pass (HEAPLAB_EXPERIMENT_THREADS, default 1,2,4); `none`
#                      skips it. It runs every threaded workload on the chosen managers, with --repeats, --quick
#                      and --timeout (not --param or --workloads, which name the single-threaded workloads)
#
# Manager settings go through heaplab's own environment variables (HEAPLAB_GOGC, HEAPLAB_MEMLIMIT,
# HEAPLAB_GCTRACE; Docs/Experiments.md) and are recorded in every RunReport's managerConfiguration.
set -euo pipefail
cd "$(dirname "$0")/.."

repeats="${HEAPLAB_EXPERIMENT_REPEATS:-3}"
quick="${HEAPLAB_EXPERIMENT_QUICK:-0}"
workloads="${HEAPLAB_EXPERIMENT_WORKLOADS:-}"
managers="${HEAPLAB_EXPERIMENT_MANAGERS:-}"
timeout="${HEAPLAB_EXPERIMENT_TIMEOUT:-}"
out="${HEAPLAB_EXPERIMENT_OUT:-.build/experiments}"
from=""
doc=1
params=()
threads="${HEAPLAB_EXPERIMENT_THREADS:-1,2,4}"
for p in ${HEAPLAB_EXPERIMENT_PARAMS:-}; do params+=("$p"); done

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
        --repeats) repeats="$2"; shift 2 ;;
        --quick) quick=1; shift ;;
        --param) params+=("$2"); shift 2 ;;
        --workloads) workloads="$2"; shift 2 ;;
        --managers) managers="$2"; shift 2 ;;
        --timeout) timeout="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --from) from="$2"; shift 2 ;;
        --no-doc) doc=0; shift ;;
        --threads) threads="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run-experiments.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
case "$repeats" in ''|*[!0-9]*|0) echo "run-experiments.sh: --repeats needs a positive integer (got '$repeats')" >&2; exit 2 ;; esac

if [ -n "$from" ]; then
    out="$from"
    [ -r "$out/results.json" ] || { echo "run-experiments.sh: no $out/results.json to render" >&2; exit 1; }
else
    echo "== building heaplab (release)" >&2
    build_started=$(date +%s)
    swift build -c release --product heaplab >&2
    echo "   build took $(( $(date +%s) - build_started )) s" >&2

    mkdir -p "$out"
    rm -rf "$out/report" "$out/results.json"
    cmd=(.build/release/heaplab compare --repeats "$repeats")
    [ "$quick" = 1 ] && cmd+=(--test-size)
    [ -n "$workloads" ] && cmd+=(--workloads "$workloads")
    [ -n "$managers" ] && cmd+=(--managers "$managers")
    [ -n "$timeout" ] && cmd+=(--timeout "$timeout")
    for p in ${params[@]+"${params[@]}"}; do cmd+=(--param "$p"); done
    cmd+=(--json "$out/results.json" --report-dir "$out/report")

    # The command as it is recorded in the doc, with the environment that changes what runs.
    env_text=""
    for v in HEAPLAB_GOGC HEAPLAB_MEMLIMIT HEAPLAB_GCTRACE; do
        if [ -n "${!v:-}" ]; then env_text+="$v=${!v} "; fi
    done
    printf '%s%s\n' "$env_text" "${cmd[*]}" > "$out/command.txt"
    echo "== $(cat "$out/command.txt")" >&2
    run_started=$(date +%s)
    date -u +%Y-%m-%dT%H:%M:%SZ > "$out/started.txt"
    uptime > "$out/load-before.txt"
    # The table goes to OUT/table.txt and the terminal; the matrix keeps going when a run fails.
    "${cmd[@]}" | tee "$out/table.txt"
    uptime > "$out/load-after.txt"
    echo "$(( $(date +%s) - run_started ))" > "$out/seconds.txt"
    echo "   matrix took $(cat "$out/seconds.txt") s" >&2
fi

# Re-render the report from the JSON (same files as --report-dir), so --from works on a copied results.json.
if [ ! -d "$out/report/charts" ]; then
    .build/release/heaplab report "$out/results.json" --out "$out/report" > "$out/table.txt"
fi

# The threaded workloads at each thread count.
if [ "$threads" != none ] && [ -z "$from" ]; then
    mkdir -p "$out/threads"
    rm -rf "$out/threads/report" "$out/threads/results.json"
    tcmd=(.build/release/heaplab compare --threads "$threads" --repeats "$repeats")
    [ "$quick" = 1 ] && tcmd+=(--test-size)
    [ -n "$managers" ] && tcmd+=(--managers "$managers")
    [ -n "$timeout" ] && tcmd+=(--timeout "$timeout")
    tcmd+=(--json "$out/threads/results.json" --report-dir "$out/threads/report")
    printf '%s\n' "${tcmd[*]}" > "$out/threads/command.txt"
    echo "== $(cat "$out/threads/command.txt")" >&2
    run_started=$(date +%s)
    date -u +%Y-%m-%dT%H:%M:%SZ > "$out/threads/started.txt"
    uptime > "$out/threads/load-before.txt"
    "${tcmd[@]}" | tee "$out/threads/table.txt"
    uptime > "$out/threads/load-after.txt"
    echo "$(( $(date +%s) - run_started ))" > "$out/threads/seconds.txt"
    echo "   thread matrix took $(cat "$out/threads/seconds.txt") s" >&2
fi

[ "$doc" = 1 ] || exit 0

echo "== charts -> Docs/results/, section -> Docs/Results.md" >&2
rm -rf Docs/results
mkdir -p Docs/results
cp "$out"/report/charts/*.svg Docs/results/
if [ -r "$out/threads/results.json" ]; then
    for chart in "$out"/threads/report/charts/*-scaling.svg; do cp "$chart" "Docs/results/threads-$(basename "$chart")"; done
fi
python3 scripts/results-markdown.py "$out" results > "$out/section.md"   # chart links relative to Docs/

begin='<!-- BEGIN run-experiments.sh -->'
end='<!-- END run-experiments.sh -->'
grep -qF "$begin" Docs/Results.md && grep -qF "$end" Docs/Results.md || {
    echo "run-experiments.sh: Docs/Results.md has no '$begin' ... '$end' markers" >&2; exit 1; }
python3 - "$out/section.md" <<'PY'
import sys
begin, end = "<!-- BEGIN run-experiments.sh -->", "<!-- END run-experiments.sh -->"
section = open(sys.argv[1], encoding="utf-8").read().rstrip("\n")
text = open("Docs/Results.md", encoding="utf-8").read()
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
open("Docs/Results.md", "w", encoding="utf-8").write(head + begin + "\n" + section + "\n" + end + tail)
PY
if [ -r "$out/threads/results.json" ]; then
    python3 scripts/threads-markdown.py "$out/threads" results > "$out/threads/section.md"
    python3 - "$out/threads/section.md" <<'PY'
import sys
begin, end = "<!-- BEGIN run-experiments.sh threads -->", "<!-- END run-experiments.sh threads -->"
section = open(sys.argv[1], encoding="utf-8").read().rstrip("\n")
text = open("Docs/Results.md", encoding="utf-8").read()
if begin not in text or end not in text:
    sys.exit("run-experiments.sh: Docs/Results.md has no '%s' ... '%s' markers" % (begin, end))
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
open("Docs/Results.md", "w", encoding="utf-8").write(head + begin + "\n" + section + "\n" + end + tail)
PY
fi
echo "   done: Docs/Results.md, Docs/results/*.svg; the HTML page is $out/report/index.html" >&2
