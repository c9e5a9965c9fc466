import Benchmark
import HeapLabCore
import MarkSweepGC
import SystemHeaps
import Workloads

/// Benchmarks of the mark-sweep collector. Figures and the commands that produced them: Docs/Results.md,
/// section "MarkSweepGC".
///
/// Note: package-benchmark runs every benchmark with its malloc interposer preloaded (this package enables the
/// MallocInterposer trait), which adds a header and counting to every malloc and free; the collector's object
/// memory does not go through malloc, so its times here are fair, but malloc's are not: `GCBench / malloc` is
/// counted here (malloc calls, instructions, peak memory) and timed by `heaplab-timing gcbench` and
/// `heaplab compare` (Docs/Experiments.md, "Timing and counting").
func registerGCBenchmarks() {
    // The allocation fast path, amortized: 1M allocations of GCBench's 24-byte node per measured iteration,
    // all garbage, on a default heap (4 MiB minimum, GOGC 100). Includes the slow path (a block every ~2000
    // objects) and the collections the pacer starts, so it is an upper bound on the fast path alone.
    Benchmark("GC allocate 24-byte object (ns, amortized)",
              configuration: .init(metrics: [.wallClock, .instructions], scalingFactor: .mega,
                                   maxDuration: .seconds(5), maxIterations: 50,
                                   thresholds: SuiteThresholds.of([.wallClock, .instructions]))) { benchmark in
        let heap = GCHeap(configuration: GCConfiguration(), pauseLog: PauseLog())
        let shape = GCBench.nodeShape
        var sink = 0
        // Warm up: fault in the heap's pages and reach the steady state of cycles before measuring.
        for _ in 0..<1_000_000 { sink &+= Int(bitPattern: try heap.allocate(shape).address) }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            sink &+= Int(bitPattern: try heap.allocate(shape).address)
        }
        benchmark.stopMeasurement()
        HeapLabCore.blackHole(sink)
    }

    // GCBench at full size (its defaults), on the collector (both sweep modes) and on malloc, in one suite.
    let gcbench = try! GCBench.make()
    let cycles = BenchmarkMetric.custom("cycles", useScalingFactor: false)
    let maxPause = BenchmarkMetric.custom("max pause (us)", useScalingFactor: false)
    let totalPause = BenchmarkMetric.custom("total pause (us)", useScalingFactor: false)
    let workloadConfiguration = Benchmark.Configuration(
        metrics: [.wallClock, .cpuTotal, .peakMemoryResident], warmupIterations: 1,
        maxDuration: .seconds(30), maxIterations: 5)
    var gcConfiguration = workloadConfiguration
    gcConfiguration.metrics += [cycles, maxPause, totalPause]
    gcConfiguration.thresholds = SuiteThresholds.of(gcConfiguration.metrics)
    var mallocConfiguration = workloadConfiguration
    mallocConfiguration.metrics = [.instructions, .mallocCountTotal, .peakMemoryResident]
    mallocConfiguration.thresholds = SuiteThresholds.of(mallocConfiguration.metrics)
    for mode in SweepMode.allCases {
        Benchmark("GCBench / gc \(mode.rawValue)", configuration: gcConfiguration) { benchmark in
            let log = PauseLog()
            let heap = GCHeap(configuration: GCConfiguration(sweepMode: mode), pauseLog: log)
            let outcome = try gcbench.run(on: heap, context: RunContext(pauseLog: log))
            HeapLabCore.blackHole(outcome.checksum)
            benchmark.stopMeasurement()
            let s = heap.statistics().extra
            benchmark.measurement(cycles, Int(s["cycles"] ?? 0))
            benchmark.measurement(maxPause, Int((s["maxPauseNanoseconds"] ?? 0) / 1000))
            benchmark.measurement(totalPause, Int((s["totalPauseNanoseconds"] ?? 0) / 1000))
        }
    }
    Benchmark("GCBench / malloc", configuration: mallocConfiguration) { _ in
        let outcome = try gcbench.run(on: MallocManager(), context: RunContext(pauseLog: PauseLog()))
        HeapLabCore.blackHole(outcome.checksum)
    }

    // Marking a large long-lived set: a complete binary tree of depth 21 (4,194,303 GCBench nodes, 128 MiB of
    // cells) held live while collections run. Each measured iteration is one forced collection, so wall
    // clock is the pause; the custom metrics give the mark rate.
    let objectsMarked = BenchmarkMetric.custom("objects marked", useScalingFactor: false)
    let markRateBytes = BenchmarkMetric.custom("mark rate (MB/s)", polarity: .prefersLarger, useScalingFactor: false)
    let markRateObjects = BenchmarkMetric.custom("mark rate (Mobjects/s)", polarity: .prefersLarger, useScalingFactor: false)
    let pause = BenchmarkMetric.custom("pause (us)", useScalingFactor: false)
    Benchmark("GC collect with depth-21 tree live",
              configuration: .init(metrics: [.wallClock, objectsMarked, markRateBytes, markRateObjects, pause],
                                   warmupIterations: 1, maxDuration: .seconds(20), maxIterations: 10,
                                   thresholds: SuiteThresholds.of([.wallClock, markRateBytes, markRateObjects, pause]))) { benchmark in
        let log = PauseLog()
        let heap = GCHeap(configuration: GCConfiguration(), pauseLog: log)
        func build(_ depth: Int) throws -> GCRef {
            let node = try heap.allocate(GCBench.nodeShape)
            if depth > 0 {
                let mark = heap.pushRoot(node)
                heap.store(node, slot: 0, try build(depth - 1))
                heap.store(node, slot: 1, try build(depth - 1))
                heap.popRoots(to: mark)
            }
            return node
        }
        heap.pushRoot(try build(21))
        benchmark.startMeasurement()
        heap.collect()
        benchmark.stopMeasurement()
        let event = log.events.last!
        let mark = event.phases.first { $0.name == "mark" }!.nanoseconds
        benchmark.measurement(objectsMarked, event.objectsMarked)
        benchmark.measurement(markRateBytes, Int(Double(event.bytesMarked) / (Double(mark) / 1e9) / 1e6))
        benchmark.measurement(markRateObjects, Int(Double(event.objectsMarked) / (Double(mark) / 1e9) / 1e6))
        benchmark.measurement(pause, Int(event.durationNanoseconds / 1000))
    }

    // Sweep rate: 2,097,152 nodes (64 MiB of 32-byte cells), every other one live on a linked list, so every
    // block is partial and the sweep links half of its cells into a free list (the costliest case per block).
    // Eager sweeping and GOGC off: the forced collection is the only one. Each iteration is one such heap.
    let sweepRateBytes = BenchmarkMetric.custom("sweep rate (MB/s)", polarity: .prefersLarger, useScalingFactor: false)
    let sweepRateCells = BenchmarkMetric.custom("sweep rate (Mcells/s)", polarity: .prefersLarger, useScalingFactor: false)
    let sweepTime = BenchmarkMetric.custom("sweep phase (us)", useScalingFactor: false)
    Benchmark("GC sweep 64 MiB, half the cells live",
              configuration: .init(metrics: [sweepRateBytes, sweepRateCells, sweepTime], warmupIterations: 1,
                                   maxDuration: .seconds(20), maxIterations: 10,
                                   thresholds: SuiteThresholds.of([sweepRateBytes, sweepRateCells, sweepTime]))) { benchmark in
        let nodes = 2_097_152
        let log = PauseLog()
        let heap = GCHeap(configuration: GCConfiguration(gogc: nil, sweepMode: .eager), pauseLog: log)
        let head = try heap.allocate(GCBench.nodeShape)
        heap.pushRoot(head)
        var tail = head
        for _ in 0..<(nodes / 2 - 1) {
            _ = try heap.allocate(GCBench.nodeShape)  // garbage between two live cells
            let next = try heap.allocate(GCBench.nodeShape)
            heap.store(tail, slot: 0, next)
            tail = next
        }
        _ = try heap.allocate(GCBench.nodeShape)
        heap.collect()
        let event = log.events.last!
        let sweep = max(1, event.phases.first { $0.name == "sweep" }!.nanoseconds)
        benchmark.measurement(sweepRateBytes, Int(Double(event.heapBytesBefore) / (Double(sweep) / 1e9) / 1e6))
        benchmark.measurement(sweepRateCells, Int(Double(nodes) / (Double(sweep) / 1e9) / 1e6))
        benchmark.measurement(sweepTime, Int(sweep / 1000))
    }
}
