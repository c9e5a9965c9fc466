// swift-tools-version: 6.1
//
// HeapLab: a laboratory for memory management in Swift.
//
// Module floors (arrows point down only):
//   heaplab (runner, command line)
//   MarkSweepGC, ScopedArena, SystemHeaps, Workloads, HeapLabReport, NativeReference (C)   (none imports another)
//   HeapLabCore (shapes, the MemoryManager contract, measurement, RunReport)
import PackageDescription

let package = Package(
    name: "HeapLab",
    products: [
        .executable(name: "heaplab", targets: ["heaplab"]),
        .library(name: "HeapLabKit", targets: ["HeapLabKit"]),
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
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
        // `swift package generate-documentation` (scripts/docs.sh): the DocC catalogs of the library products.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", exact: "1.5.0"),
    ],
    targets: [
        // MARK: ground floor
        .target(name: "HeapLabCore"),

        // MARK: memory managers, workloads, reports
        // glibc, jemalloc, mimalloc, ARC and Boehm GC as managers, and their C helper (a malloc the optimizer
        // can not fuse into calloc, CSystemHeaps.h).
        .target(name: "CSystemHeaps"),
        .target(name: "SystemHeaps", dependencies: ["HeapLabCore", "CSystemHeaps"]),
        .target(name: "Workloads", dependencies: ["HeapLabCore"]),
        .target(name: "HeapLabReport", dependencies: ["HeapLabCore"]),
        // The precise mark-sweep collector (Docs/Internals.md), and its C helper (a prefetch hint).
        .target(name: "CMarkSweepGC"),
        .target(name: "MarkSweepGC", dependencies: ["HeapLabCore", "CMarkSweepGC"]),
        // GCBench and binary-trees in plain C, per allocator family (malloc, a C bump arena, allocators and Boehm
        // through function pointers): the native reference rows (include/NativeReference.h). No library linked:
        // jemalloc, mimalloc and libgc reach it as function pointers the caller loaded.
        // Release builds define NDEBUG, so the arena's invariant checks and asserts are compiled out (SwiftPM does
        // not define it for C on its own).
        .target(name: "NativeReference", path: "Sources/NativeReference",
                cSettings: [.define("NDEBUG", .when(configuration: .release))]),

        // MARK: ScopedArena (the arena; its compile-time lifetimes tier needs the experimental Lifetimes feature,
        // so it has a target of its own and the rest of the package needs no experimental feature)
        .target(name: "ScopedArena", dependencies: ["HeapLabCore"]),
        .target(
            name: "ScopedArenaLifetimes",
            dependencies: ["ScopedArena", "HeapLabCore"],
            swiftSettings: [.enableExperimentalFeature("Lifetimes")]
        ),

        // MARK: the runner: the registry of workloads and managers, the harness, child processes, the matrix and
        // the command line, as a library that other packages build their own experiments on
        .target(
            name: "HeapLabKit",
            dependencies: [
                "HeapLabCore", "SystemHeaps", "Workloads", "HeapLabReport", "MarkSweepGC", "ScopedArena", "NativeReference",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The command line over the built-in lab: one line.
        .executableTarget(name: "heaplab", dependencies: ["HeapLabKit"]),

        // MARK: tests
        // Helpers shared by several test targets (re-running one test in a child process).
        .target(name: "HeapLabTestSupport", dependencies: ["SystemHeaps", "HeapLabCore"], path: "Tests/HeapLabTestSupport"),
        .testTarget(name: "HeapLabCoreTests", dependencies: ["HeapLabCore"]),
        // The C programs against the Swift workloads (Workloads on MallocManager, ArenaManager, BoehmManager).
        .testTarget(
            name: "NativeReferenceTests",
            dependencies: ["NativeReference", "Workloads", "SystemHeaps", "ScopedArena", "HeapLabCore", "HeapLabTestSupport"]
        ),
        .testTarget(name: "SystemHeapsTests", dependencies: ["SystemHeaps", "HeapLabCore", "HeapLabTestSupport"]),
        .testTarget(name: "WorkloadsTests", dependencies: ["Workloads", "SystemHeaps", "MarkSweepGC", "ScopedArena", "HeapLabCore", "HeapLabTestSupport"]),
        // Workloads and SystemHeaps only to make real runs to report on (tests may import several modules).
        .testTarget(name: "HeapLabReportTests", dependencies: ["HeapLabReport", "HeapLabCore", "Workloads", "SystemHeaps"]),
        .testTarget(
            name: "HeapLabKitTests",
            dependencies: ["HeapLabKit", "HeapLabCore", "HeapLabReport", "Workloads", "MarkSweepGC", "heaplab", "HeapLabTestSupport"]
        ),
        .testTarget(name: "MarkSweepGCTests", dependencies: ["MarkSweepGC", "HeapLabCore", "Workloads", "SystemHeaps", "HeapLabTestSupport"]),
        .testTarget(
            name: "ScopedArenaTests",
            dependencies: ["ScopedArena", "ScopedArenaLifetimes", "HeapLabCore", "Workloads", "SystemHeaps", "HeapLabTestSupport"]
        ),

        // MARK: benchmarks (package-benchmark; `swift package benchmark`, see scripts/bench.sh)
        .executableTarget(
            name: "HeapLabBenchmarks",
            dependencies: [
                "HeapLabCore", "SystemHeaps", "Workloads", "MarkSweepGC", "ScopedArena", "HeapLabKit",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/HeapLabBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Every timing that must run outside package-benchmark's malloc interposer, all managers side by side in
        // one plain process (`swift run -c release heaplab-timing`; Docs/Experiments.md, "Timing and counting").
        .executableTarget(
            name: "heaplab-timing",
            dependencies: ["HeapLabCore", "SystemHeaps", "Workloads", "MarkSweepGC", "ScopedArena", "HeapLabReport", "HeapLabKit", "NativeReference"],
            path: "Benchmarks/heaplab-timing"
        ),
    ],
    cLanguageStandard: .c11
)
