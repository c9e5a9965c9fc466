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
# Exits non-zero when a sanitizer reports anything or a test fails. CI (.ci/run) runs it after `swift test`.
#
# Leaks: LeakSanitizer reads scripts/lsan.supp, which suppresses what XCTest and Foundation leave allocated at
# exit (each entry says what and why); nothing of HeapLab's is suppressed. Test helpers that re-run a test in a
# child process give that child ASAN_OPTIONS=detect_leaks=0: a child that traps on purpose, or one whose test
# leaks ARC cycles on purpose (ChildProcess.isolated), is not a leak report; memory errors are still reported
# there (Tests/HeapLabTestSupport/TestChildProcess.swift). RegistryTests runs cycles on ARC in such a child too.
#
# Tests that start a child under a memory limit (RLIMIT_AS) skip themselves under ASan, which reserves terabytes
# of address space for its shadow memory (Tests/HeapLabTestSupport/AddressSanitizer.swift).
set -euo pipefail
cd "$(dirname "$0")/.."

# Left out of the ASan run, as `swift test --skip` patterns: the slowest tests under ASan, whose code the rest of
# the ASan run covers, and which the ordinary `swift test` runs (seconds to tens of seconds in a debug build,
# minutes under ASan, which would push CI past its time budget).
asan_skipped=(
    # Every workload on every manager through the registry's dispatch, warm-up included, in one test: about
    # 150 s under ASan, half of it large-objects on the arena (its generation workaround copies the live buffers
    # word by word through the unspecialized generic code of a debug build). Under ASan the same workloads run
    # on every manager in WorkloadsTests.WorkloadMatrixTests (in process, checked against a reference run), the
    # dispatch of every manager in ChildProtocolTests.testRealChildRunsGCBenchOnEveryManager (real heaplab
    # children), and the native reference programs in NativeReferenceTests.
    'HeapLabKitTests\.RegistryTests/testEveryWorkloadRunsOnEveryManager'
    # A thousand mutated RunReports files decoded and rendered: 45 s to 2 min under ASan. The reader and the
    # renderers are safe Swift (no unsafe pointers); under ASan the other fuzz tests still run, including the
    # real heaplab binary on mutated files (testReportCommandOnMutatedFiles).
    'HeapLabKitTests\.FuzzTests/testRunReportsReaderOnMutatedRealFiles'
)

# The tests that start threads, as `swift test --filter` patterns (joined into one regular expression). Add
# threaded tests here as they arrive.
#
# Left out: WorkloadsTests.DeepListTests, whose ARC list is dropped on a thread of its own with a large stack.
# The drop is a release cascade as deep as the list, and ThreadSanitizer's runtime crashed in it (a deadly signal
# in its per-thread trace, TracePartAlloc, then a hang in its own signal handler) before it could report
# anything: the test's recursion depth is what it is about, and that depth is beyond what TSan instruments.
thread_tests=(
    'HeapLabReportTests\.ProgressReporterTests'  # a Dispatch timer redraws the progress line on a global queue
    'WorkloadsTests\.LargeStackThreadTests'      # a job handed to a thread of its own and waited for
    # heaplab's signal thread (Interruption) killing the running child while the main thread reaps it; heaplab
    # is built with TSan too, and a race there ends it with a report instead of the expected status
    'HeapLabKitTests\.InterruptionTests'
    # registered threads allocating through Boehm GC at once, each with a manager of its own (libgc itself is
    # not instrumented: what TSan checks is HeapLab's side, the registration and the managers)
    'SystemHeapsTests\.BoehmThreadTests'
    # mutator threads attached to one collected heap, stopping each other for collections
    'MarkSweepGCTests\.MutatorThreadTests'
    # the multi-mutator stress test with its model (private and shared graphs, collections started by any
    # thread, both collection modes), and attach, detach and withoutCollector
    'MarkSweepGCTests\.MultiMutatorStressTests'
    'MarkSweepGCTests\.MutatorContextTests'
    # parallel marking and sweeping: collector threads marking one heap with shared mark bytes and a work pool
    # (the multi-mutator stress test above runs them too, with mutator threads)
    'MarkSweepGCTests\.ParallelMarkingTests'
    'MarkSweepGCTests\.StressTests/testRandomGraphsAgainstTheModelParallelMarking'
    # concurrent marking: the background marker and assists marking while mutators run (slot stores and loads
    # atomic on both sides), the random-graph oracle in concurrent mode, the heap limit with assists
    'MarkSweepGCTests\.ConcurrentMarkingTests'
    'MarkSweepGCTests\.IncrementalStressTests/testRandomGraphsWithConcurrentCycles'
    # threaded managers: threads attached at once, hand-offs and cross-thread frees and releases, the registry's
    # lock; the misuse tests' children are not started here (they trap on purpose)
    'SystemHeapsTests\.ThreadedManualHeapTests'
    'SystemHeapsTests\.ThreadedARCManagerTests'
    'SystemHeapsTests\.ThreadedBoehmManagerTests'
    'ScopedArenaTests\.ThreadedArenaManagerTests'
    # the threaded workloads on every threaded manager with 1, 2 and 4 threads (shared cache shards under their
    # locks, hand-off queues, barriers), a failing thread stopping the others, and the runner's threaded pairs
    'WorkloadsTests\.ThreadedWorkloadTests'
    'WorkloadsTests\.ThreadFailureTests'
    'HeapLabKitTests\.ThreadedRegistryTests'
)

step() {
    local name=$1; shift
    local start=$(date +%s)
    echo "== $name: $*"
    "$@"
    echo "== $name: passed in $(( $(date +%s) - start )) s"
}

what=${1:-all}
case "$what" in
    all|address|thread) ;;
    *) echo "sanitize.sh: unknown argument '$what' (all, address or thread)" >&2; exit 2 ;;
esac
if [ "$what" = all ] || [ "$what" = address ]; then
    skips=()
    for pattern in "${asan_skipped[@]}"; do skips+=(--skip "$pattern"); done
    step "address sanitizer build" swift build --build-tests --sanitize=address --scratch-path .build-asan
    # halt_on_error: the first report fails the run (with its report), instead of scrolling past.
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}halt_on_error=1:detect_leaks=1" \
    LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$PWD/scripts/lsan.supp" \
        step "address sanitizer (whole suite)" \
        swift test --skip-build --sanitize=address --scratch-path .build-asan "${skips[@]}"
fi
if [ "$what" = all ] || [ "$what" = thread ]; then
    filter=$(IFS='|'; echo "(${thread_tests[*]})")
    step "thread sanitizer build" swift build --build-tests --sanitize=thread --scratch-path .build-tsan
    TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}halt_on_error=1" \
        step "thread sanitizer (threaded tests)" \
        swift test --skip-build --sanitize=thread --scratch-path .build-tsan --filter "$filter"
fi
