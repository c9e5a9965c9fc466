import Benchmark
import HeapLabCore
import MarkSweepGC
import Workloads

/// Benchmarks of incremental marking and its write barrier. Figures and commands: Docs/Results.md, section
/// "Incremental marking" (which also has the plain-process figures of `heaplab-timing incremental`).
func registerIncrementalBenchmarks() {
    // The store path, 1M stores per measured iteration into 65,536 two-slot objects: with marking off (the
    // barrier's test only) and with an incremental cycle marking (every store shades the reference it overwrites).
    for marking in [false, true] {
        Benchmark("GC store, \(marking ? "barrier shading (marking)" : "barrier idle") (ns)",
                  configuration: .init(metrics: [.wallClock, .instructions], scalingFactor: .mega,
                                       maxDuration: .seconds(5), maxIterations: 50)) { benchmark in
            let configuration = marking
                ? GCConfiguration(sweepMode: .lazy, collectionMode: .incremental)
                : GCConfiguration(sweepMode: .lazy)
            let heap = GCHeap(configuration: configuration, pauseLog: PauseLog())
            let shape = ObjectShape(referenceSlots: 2, payloadBytes: 0)
            let objects = 1 << 16
            let array = try heap.allocate(ObjectShape(referenceSlots: objects, payloadBytes: 0))
            heap.pushRoot(array)
            var nodes: [GCRef] = []
            nodes.reserveCapacity(objects)
            for i in 0..<objects {
                let n = try heap.allocate(shape)
                heap.store(array, slot: i, n)
                nodes.append(n)
            }
            // Allocate until the pacer starts a cycle; nothing allocates afterwards, so it stays marking.
            while marking && !heap.isMarking { _ = try heap.allocate(shape) }
            var i = 0
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                heap.store(nodes[(i &* 7919) & (objects - 1)], slot: i & 1, nodes[i & (objects - 1)])
                i &+= 1
            }
            benchmark.stopMeasurement()
            HeapLabCore.blackHole(heap.isMarking)
        }
    }

    // GCBench at full size in both modes, with the pauses and the worst iteration as custom metrics.
    let gcbench = try! GCBench.make()
    let maxPause = BenchmarkMetric.custom("max pause (us)", useScalingFactor: false)
    let worstIteration = BenchmarkMetric.custom("worst iteration (us)", useScalingFactor: false)
    let pauses = BenchmarkMetric.custom("pauses", useScalingFactor: false)
    for mode in CollectionMode.allCases {
        Benchmark("GCBench / gc \(mode.rawValue)",
                  configuration: .init(metrics: [.wallClock, .cpuTotal, .peakMemoryResident, maxPause, worstIteration, pauses],
                                       warmupIterations: 1, maxDuration: .seconds(30), maxIterations: 5)) { benchmark in
            let log = PauseLog()
            let heap = GCHeap(configuration: GCConfiguration(sweepMode: .lazy, collectionMode: mode), pauseLog: log)
            let context = RunContext(pauseLog: log)
            let outcome = try gcbench.run(on: heap, context: context)
            benchmark.stopMeasurement()
            HeapLabCore.blackHole(outcome.checksum)
            benchmark.measurement(maxPause, Int((log.events.map(\.durationNanoseconds).max() ?? 0) / 1000))
            benchmark.measurement(worstIteration, Int(context.latency.max / 1000))
            benchmark.measurement(pauses, log.events.count)
        }
    }
}
