#!/usr/bin/env bash
# The test suite under the sanitizers, each in a build of its own (so neither rebuilds the ordinary debug build in
# .build, nor the other):
#
#   1. AddressSanitizer on the whole suite       (.build-asan): out-of-bounds and use-after-free accesses of
#      malloc'd memory and the stack (the collector's heap is mmap'd, which ASan does not watch: the collector's
#      own checks, poisoning and the verifier cover it), and leaks at exit (LeakSanitizer).
#   2. ThreadSanitizer on the tests that start threads (.build-tsan): data races.
#
#   scripts/sanitize.sh            both
#   scripts/sanitize.sh address    only ASan;   scripts/sanitize.sh thread   only TSan
#
# Exits non-zero when a sanitizer reports anything or a test fails. No suppressions are used. (Test helpers that
# re-run a test in a child process give that child ASAN_OPTIONS=detect_leaks=0: a child that traps on purpose, or
# one whose test leaks ARC cycles on purpose, is not a leak report; memory errors are still reported there.
# Tests/HeapLabTestSupport/TestChildProcess.swift.)
set -euo pipefail
cd "$(dirname "$0")/.."

# The tests that start threads, as `swift test --filter` patterns (joined into one regular expression). Add
# threaded tests here as they arrive.
#
# Left out: WorkloadsTests.DeepListTests, whose ARC list is dropped on a thread of its own with a large stack.
# The drop is a release cascade as deep as the list, and ThreadSanitizer's runtime crashed in it (a deadly signal
# in its per-thread trace, TracePartAlloc, then a hang in its own signal handler) before it could report
# anything: the test's recursion depth is what it is about, and that depth is beyond what TSan instruments.
thread_tests=(
    'HeapLabReportTests\.ProgressReporterTests'  # a Dispatch timer redraws the progress line on a global queue
)

step() {
    local name=$1; shift
    local start=$(date +%s)
    echo "== $name: $*"
    "$@"
    echo "== $name: passed in $(( $(date +%s) - start )) s"
}

what=${1:-all}
if [ "$what" = all ] || [ "$what" = address ]; then
    # halt_on_error: the first report fails the run (with its report), instead of scrolling past.
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}halt_on_error=1:detect_leaks=1" \
        step "address sanitizer (whole suite)" swift test --sanitize=address --scratch-path .build-asan
fi
if [ "$what" = all ] || [ "$what" = thread ]; then
    filter=$(IFS='|'; echo "(${thread_tests[*]})")
    TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}halt_on_error=1" \
        step "thread sanitizer (threaded tests)" swift test --sanitize=thread --scratch-path .build-tsan --filter "$filter"
fi
