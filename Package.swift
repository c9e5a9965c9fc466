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
        .library(name: "ScopedArena", targets: ["ScopedArena"]),
        .library(name: "ScopedArenaLifetimes", targets: ["ScopedArenaLifetimes"]),
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

        // MARK: ScopedArena (the arena; its compile-time lifetimes tier needs the experimental Lifetimes feature,
        // so it has a target of its own and the rest of the package needs no experimental feature)
        .target(name: "ScopedArena", dependencies: ["HeapLabCore"]),
        .target(
            name: "ScopedArenaLifetimes",
            dependencies: ["ScopedArena", "HeapLabCore"],
            swiftSettings: [.enableExperimentalFeature("Lifetimes")]
        ),

        // MARK: the runner
        .executableTarget(
            name: "heaplab",
            dependencies: [
                "HeapLabCore", "SystemHeaps", "Workloads", "HeapLabReport", "MarkSweepGC", "ScopedArena",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: tests
        // Helpers shared by several test targets (re-running one test in a child process).
        .target(name: "HeapLabTestSupport", dependencies: ["SystemHeaps"], path: "Tests/HeapLabTestSupport"),
        .testTarget(name: "HeapLabCoreTests", dependencies: ["HeapLabCore"]),
        .testTarget(name: "SystemHeapsTests", dependencies: ["SystemHeaps", "HeapLabCore", "HeapLabTestSupport"]),
        .testTarget(name: "WorkloadsTests", dependencies: ["Workloads", "SystemHeaps", "HeapLabCore", "HeapLabTestSupport"]),
        // Workloads and SystemHeaps only to make real runs to report on (tests may import several modules).
        .testTarget(name: "HeapLabReportTests", dependencies: ["HeapLabReport", "HeapLabCore", "Workloads", "SystemHeaps"]),
        .testTarget(name: "heaplabTests", dependencies: ["heaplab", "HeapLabCore", "HeapLabReport", "Workloads", "MarkSweepGC"]),
        .testTarget(name: "MarkSweepGCTests", dependencies: ["MarkSweepGC", "HeapLabCore", "Workloads", "SystemHeaps", "HeapLabTestSupport"]),
        .testTarget(
            name: "ScopedArenaTests",
            dependencies: ["ScopedArena", "ScopedArenaLifetimes", "HeapLabCore", "Workloads", "SystemHeaps"]
        ),

        // MARK: benchmarks (package-benchmark; `swift package benchmark`, see scripts/bench.sh)
        .executableTarget(
            name: "HeapLabBenchmarks",
            dependencies: [
                "HeapLabCore", "SystemHeaps", "Workloads", "MarkSweepGC", "ScopedArena",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/HeapLabBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Every timing that must run outside package-benchmark's malloc interposer, all managers side by side in
        // one plain process (`swift run -c release heaplab-timing`; Docs/Experiments.md, "Timing and counting").
        .executableTarget(
            name: "heaplab-timing",
            dependencies: ["HeapLabCore", "SystemHeaps", "Workloads", "MarkSweepGC", "ScopedArena"],
            path: "Benchmarks/heaplab-timing"
        ),
    ]
)
