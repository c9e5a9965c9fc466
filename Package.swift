// swift-tools-version: 6.1
//
// HeapLab: a laboratory for memory management in Swift.
//
// Module floors (arrows point down only):
//   heaplab (runner, command line)
//   MarkSweepGC, ScopedArena, SystemHeaps, Workloads, HeapLabReport   (none imports another)
//   HeapLabCore (shapes, the MemoryManager contract, measurement, RunReport)
import PackageDescription

let package = Package(
    name: "HeapLab",
    products: [
        .executable(name: "heaplab", targets: ["heaplab"]),
        .library(name: "HeapLabCore", targets: ["HeapLabCore"]),
        .library(name: "SystemHeaps", targets: ["SystemHeaps"]),
        .library(name: "Workloads", targets: ["Workloads"]),
        .library(name: "HeapLabReport", targets: ["HeapLabReport"]),
        .library(name: "MarkSweepGC", targets: ["MarkSweepGC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", exact: "0.2.0"),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // MARK: ground floor
        .target(
            name: "HeapLabCore",
            dependencies: [.product(name: "Histogram", package: "hdrhistogram-swift")]
        ),

        // MARK: memory managers, workloads, reports
        .target(name: "SystemHeaps", dependencies: ["HeapLabCore"]),
        .target(name: "Workloads", dependencies: ["HeapLabCore"]),
        .target(name: "HeapLabReport", dependencies: ["HeapLabCore"]),
        // The precise mark-sweep collector (Docs/Internals.md), and its C helper (a prefetch hint).
        .target(name: "CMarkSweepGC"),
        .target(name: "MarkSweepGC", dependencies: ["HeapLabCore", "CMarkSweepGC"]),

        // MARK: the runner
        .executableTarget(
            name: "heaplab",
            dependencies: [
                "HeapLabCore", "SystemHeaps", "Workloads", "HeapLabReport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: tests
        .testTarget(name: "HeapLabCoreTests", dependencies: ["HeapLabCore"]),
        .testTarget(name: "SystemHeapsTests", dependencies: ["SystemHeaps", "HeapLabCore"]),
        .testTarget(name: "WorkloadsTests", dependencies: ["Workloads", "SystemHeaps", "HeapLabCore"]),
        .testTarget(name: "HeapLabReportTests", dependencies: ["HeapLabReport", "HeapLabCore"]),
        .testTarget(name: "heaplabTests", dependencies: ["heaplab", "HeapLabCore"]),
        .testTarget(name: "MarkSweepGCTests", dependencies: ["MarkSweepGC", "HeapLabCore", "Workloads", "SystemHeaps"]),

        // MARK: benchmarks (package-benchmark; `swift package benchmark`, see scripts/bench.sh)
        .executableTarget(
            name: "HeapLabBenchmarks",
            dependencies: [
                "HeapLabCore", "SystemHeaps", "Workloads", "MarkSweepGC",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/HeapLabBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Plain-process timings of the collector, outside package-benchmark's malloc interposer
        // (`swift run -c release gc-timing`, Docs/Results.md).
        .executableTarget(
            name: "gc-timing",
            dependencies: ["HeapLabCore", "SystemHeaps", "Workloads", "MarkSweepGC"],
            path: "Benchmarks/gc-timing"
        ),
        // Plain-process measurements of incremental marking beside stop-the-world marking
        // (`swift run -c release incremental-timing`, Docs/Results.md, "Incremental marking").
        .executableTarget(
            name: "incremental-timing",
            dependencies: ["HeapLabCore", "Workloads", "MarkSweepGC"],
            path: "Benchmarks/incremental-timing"
        ),
    ]
)
