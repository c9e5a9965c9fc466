// heaplab-timing: every timing of the benchmark suite that must run in a plain process.
//
// package-benchmark preloads its malloc interposer into every benchmark process (this package enables the
// MallocInterposer trait so that the suite can count mallocs, retains and releases); the interposer roughly
// doubles the cost of malloc and free but not of the collector or the arena. So the suite is split:
// package-benchmark (Benchmarks/HeapLabBenchmarks) counts, and holds the regression thresholds; this tool times
// every manager side by side in one ordinary process, so ratios between managers are fair. Docs/Experiments.md,
// "Timing and counting", explains the split; Docs/Results.md has the figures.
//
//   swift run -c release heaplab-timing <command> [arguments]
//
// gcbench [rounds]         GCBench (default size) on malloc, gc (eager), gc (lazy) and arena, interleaved,
//                          `rounds` times (default 5); every run, the median of each, ratios to malloc.
// alloc [managers] [M]     allocation fast path, ns per 24-byte object (GCBench's node), M million objects per
//                          manager (default 50): malloc, arc, gc, arena, jemalloc, mimalloc, boehm (comma list;
//                          default all installed).
// tree [rounds]            a depth-21 binary tree (4,194,303 nodes) held live, `rounds` forced collections:
//                          pause, phases and mark rate (objects/s, bytes/s) of each.
// sweep [rounds] [MiB] [eager|lazy]
//                          sweep rate: MiB (default 64) of cells, every other one live, so every block is partial;
//                          one forced collection per round (eager: the sweep is in the pause; lazy: it is not).
// pauses [maxMiB]          pause against live-set size (1 MiB to maxMiB, default 1024) with the heap at twice the
//                          live set, eager and lazy; then a 64 MiB live set with the heap grown by garbage from
//                          2x to 16x: eager pauses grow with the heap, lazy ones stay with the live set.
// incremental [gcbench|tree|barrier] [rounds] [key=value ...]
//                          incremental marking beside stop-the-world marking (IncrementalTimings.swift).
// native [rounds]          the C reference programs (NativeReference) at the default sizes of GCBench and
//                          binary-trees on every installed allocator family, hooks recording into a RunContext and
//                          no hooks, interleaved `rounds` times (default 3): every run, medians, hooks on/off.
// safepoint [T] [seconds] T mutator threads (default 2) allocating GCBench nodes flat out on one heap for `seconds`
//                          (default 3): time to safepoint p50/p99/max, each thread's run-queue wait
//                          (ThreadTimings.swift).
// alloc-scaling [M] [rounds]
//                          allocation throughput of 1 and 2 threads, M million GCBench nodes each (default 20),
//                          interleaved `rounds` times (default 5): medians and the ratio 2T/1T.
// mark-scaling [depth] [rounds] [markers]
//                          parallel marking: a live depth-`depth` tree (default 22) in one heap per marker count
//                          (comma list, default 1,2), `rounds` forced collections each (default 5), interleaved:
//                          mark and sweep phases, medians, mark rate and speed-up (ParallelTimings.swift).
// swift-costs [M]          Swift-specific costs (Docs/Internals.md), each as a pair: GCBench on gc specialized
//                          and unspecialized, 3 rounds; a list walk with and without reference counting, M
//                          million steps (default 50).
//
// The collector's heaps honour HEAPLAB_GCTRACE=1. jemalloc needs GLIBC_TUNABLES=glibc.rtld.optional_static_tls=4096
// in the process: the tool re-executes itself with it when jemalloc is installed.
import Glibc
import MarkSweepGC
import SystemHeaps

TimingTool.reexecuteForJemallocIfNeeded()
let arguments = Array(CommandLine.arguments.dropFirst())
let command = arguments.first ?? "help"
let rest = Array(arguments.dropFirst())
do {
    switch command {
    case "gcbench": try GCTimings.gcbench(rounds: rest.first.flatMap { Int($0) } ?? 5)
    case "alloc":
        try AllocationTiming.run(managers: rest.first.map { $0.split(separator: ",").map(String.init) },
                                 millions: rest.count > 1 ? Int(rest[1]) ?? 50 : 50)
    case "tree": try GCTimings.tree(rounds: rest.first.flatMap { Int($0) } ?? 5)
    case "sweep":
        try GCTimings.sweep(rounds: rest.first.flatMap { Int($0) } ?? 5,
                            mebibytes: rest.count > 1 ? Int(rest[1]) ?? 64 : 64,
                            mode: rest.count > 2 ? SweepMode(rawValue: rest[2]) ?? .eager : .eager)
    case "pauses": try PauseCurve.run(maximumMiB: rest.first.flatMap { Int($0) } ?? 1024)
    case "native": try NativeTimings.run(rounds: rest.first.flatMap { Int($0) } ?? 3)
    case "swift-costs": try SwiftCosts.run(millions: rest.first.flatMap { Int($0) } ?? 50)
    case "incremental": try IncrementalTimings.run(rest)
    case "safepoint":
        try ThreadTimings.safepoint(threads: max(1, rest.first.flatMap { Int($0) } ?? 2),
                                    seconds: rest.count > 1 ? Double(rest[1]) ?? 3 : 3)
    case "mark-scaling":
        try ParallelTimings.markScaling(depth: rest.first.flatMap { Int($0) } ?? 22,
                                        rounds: rest.count > 1 ? Int(rest[1]) ?? 5 : 5,
                                        markers: rest.count > 2 ? rest[2].split(separator: ",").compactMap { Int($0) } : [1, 2])
    case "alloc-scaling":
        try ThreadTimings.allocScaling(millions: rest.first.flatMap { Int($0) } ?? 20,
                                       rounds: rest.count > 1 ? Int(rest[1]) ?? 5 : 5)
    default:
        print("usage: heaplab-timing gcbench [rounds] | alloc [managers] [millions] | tree [rounds] | sweep [rounds] [MiB] [eager|lazy] | pauses [maxMiB] | native [rounds] | swift-costs [millions] | incremental [gcbench|tree|barrier] [rounds] [key=value ...] | safepoint [threads] [seconds] | alloc-scaling [millions] [rounds] | mark-scaling [depth] [rounds] [markers]")
        exit(command == "help" ? 0 : 2)
    }
} catch {
    print("heaplab-timing: \(error)")
    exit(1)
}
