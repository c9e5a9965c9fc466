// swift-tools-version: 6.1
//
// An experiment built on HeapLab: a workload and a memory manager of its own, run beside HeapLab's built-in
// ones with the same command line, table and reports.
//
//   swift run -c release custom-lab compare --workloads queue,gcbench --managers freelist,malloc,gc,arena
//
// It depends on HeapLab by path (../..); a package elsewhere names HeapLab's repository instead.
import PackageDescription

let package = Package(
    name: "CustomLab",
    dependencies: [
        .package(name: "HeapLab", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "custom-lab",
            dependencies: [.product(name: "HeapLabKit", package: "HeapLab")],
            path: "Sources/CustomLab"
        ),
    ]
)
