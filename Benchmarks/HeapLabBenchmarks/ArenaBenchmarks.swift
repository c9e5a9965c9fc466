import Benchmark
import HeapLabCore
import ScopedArena
import SystemHeaps
import Workloads

/// The arena's benchmarks: the bump fast path, reset, scope churn, and GCBench at full size on the arena and
/// on malloc in the same run (their ratio is the figure Docs/Results.md reports).
///
/// Run: `swift package --allow-writing-to-package-directory benchmark --filter 'Arena|GCBench full'`.
/// Time metrics only: no malloc counting is requested, so the interposer only adds its per-block header.
func registerArenaBenchmarks() {
    let timeOnly: [BenchmarkMetric] = [.wallClock, .cpuTotal, .throughput]

    // One scaled iteration is one 32-byte allocation in a warm (mapped and touched) chunk. Every 32768
    // allocations (1 MiB) a scope ends, so the bump pointer keeps sweeping the same cached megabyte.
    Benchmark("Arena bump fast path 32 B (warm chunk)",
              configuration: .init(metrics: timeOnly, scalingFactor: .mega, maxDuration: .seconds(3),
                                   thresholds: SuiteThresholds.of(timeOnly))) { benchmark throws in
        let arena = Arena(configuration: ArenaConfiguration(initialChunkBytes: 4 << 20, poisonsFreedMemory: false))
        var sink = 0
        arena.withScope { scope in
            for _ in 0..<32768 { sink ^= Int(bitPattern: try! scope.allocate(byteCount: 32, alignment: 8)) }
        }
        benchmark.startMeasurement()
        var remaining = benchmark.scaledIterations.count
        while remaining > 0 {
            let n = min(remaining, 32768)
            sink ^= arena.withScope { scope in
                var bits = 0   // a local, not the captured sink: see AllocationProbe.loop
                for _ in 0..<n { bits ^= Int(bitPattern: try! scope.allocate(byteCount: 32, alignment: 8)) }
                return bits
            }
            remaining -= n
        }
        benchmark.stopMeasurement()
        HeapLabCore.blackHole(sink)
    }

    // The same through the MemoryManager contract: header write and zeroing of a GCBench node (32 bytes).
    Benchmark("Arena manager allocate GCBench node (warm chunk)",
              configuration: .init(metrics: timeOnly, scalingFactor: .mega, maxDuration: .seconds(3),
                                   thresholds: SuiteThresholds.of(timeOnly))) { benchmark throws in
        let m = ArenaManager(configuration: ArenaConfiguration(initialChunkBytes: 4 << 20, poisonsFreedMemory: false))
        let shape = GCBench.nodeShape
        var sink = 0
        benchmark.startMeasurement()
        var remaining = benchmark.scaledIterations.count
        while remaining > 0 {
            let n = min(remaining, 32768)
            sink ^= m.withScope {
                var bits = 0   // a local, not the captured sink: see AllocationProbe.loop
                for _ in 0..<n { bits ^= Int(bitPattern: try! m.allocate(shape).address) }
                return bits
            }
            remaining -= n
        }
        benchmark.stopMeasurement()
        HeapLabCore.blackHole(sink)
    }

    // One iteration: 32768 allocations of 32 B (1 MiB) spread over growing chunks, then reset, which keeps
    // the largest chunk: in steady state no system call.
    Benchmark("Arena fill 1 MiB + reset",
              configuration: .init(metrics: timeOnly, scalingFactor: .kilo, maxDuration: .seconds(3),
                                   thresholds: SuiteThresholds.of(timeOnly))) { benchmark throws in
        var arena = Arena(configuration: ArenaConfiguration(initialChunkBytes: 64 << 10, poisonsFreedMemory: false))
        var sink = 0
        for _ in benchmark.scaledIterations {
            for _ in 0..<32768 { sink ^= Int(bitPattern: try! arena.allocate(byteCount: 32, alignment: 8)) }
            arena.reset()
        }
        HeapLabCore.blackHole(sink)
        HeapLabCore.blackHole(arena.statistics().chunksMapped)
    }

    // One scaled iteration: a scope with 8 allocations (a small request's worth), as a server would do.
    Benchmark("Arena scope churn (scope + 8 x 32 B)",
              configuration: .init(metrics: timeOnly, scalingFactor: .mega, maxDuration: .seconds(3),
                                   thresholds: SuiteThresholds.of(timeOnly))) { benchmark throws in
        let arena = Arena(configuration: ArenaConfiguration(poisonsFreedMemory: false))
        var sink = 0
        for _ in benchmark.scaledIterations {
            arena.withScope { scope in
                for _ in 0..<8 { sink ^= Int(bitPattern: try! scope.allocate(byteCount: 32, alignment: 8)) }
            }
        }
        HeapLabCore.blackHole(sink)
    }

    // GCBench at full size (stretch 18, long-lived 16, trees 4...16), one run per iteration, each manager made
    // fresh per run as the runner does. The arena times its scope ends into the pause log, as in heaplab.
    let gcBenchConfiguration = Benchmark.Configuration(metrics: [.wallClock, .cpuTotal, .peakMemoryResident],
                                                      warmupIterations: 1, maxDuration: .seconds(20), maxIterations: 7,
                                                      thresholds: SuiteThresholds.of([.wallClock, .cpuTotal, .peakMemoryResident]))
    Benchmark("GCBench full / arena", configuration: gcBenchConfiguration) { benchmark in
        let bench = try GCBench.make()
        for _ in benchmark.scaledIterations {
            let log = PauseLog()
            let m = ArenaManager(configuration: ArenaConfiguration(poisonsFreedMemory: false), pauseLog: log)
            HeapLabCore.blackHole(try bench.run(on: m, context: RunContext(pauseLog: log)))
        }
    }
    // Counted only: malloc's time under the interposer is not its time (heaplab-timing gcbench times it).
    var mallocConfiguration = gcBenchConfiguration
    mallocConfiguration.metrics = [.instructions, .mallocCountTotal, .peakMemoryResident]
    mallocConfiguration.thresholds = SuiteThresholds.of(mallocConfiguration.metrics)
    Benchmark("GCBench full / malloc", configuration: mallocConfiguration) { benchmark in
        let bench = try GCBench.make()
        for _ in benchmark.scaledIterations {
            HeapLabCore.blackHole(try bench.run(on: MallocManager(), context: RunContext(pauseLog: PauseLog())))
        }
    }
}
