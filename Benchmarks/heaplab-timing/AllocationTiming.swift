import HeapLabCore
import HeapLabKit
import MarkSweepGC
import ScopedArena
import SystemHeaps
import Workloads

/// The allocation fast path of each manager: ns per 24-byte object (GCBench's node), in one plain process, each
/// manager in turn, made by the lab's registry as `heaplab` makes it and timed by `AllocationProbe` (its doc
/// comment says what one operation is per manager). The arena's debug poisoning is off, as in release runs.
enum AllocationTiming {
    static func run(managers: [String]?, millions: Int) throws {
        let count = max(1, millions) * 1_000_000
        let registry = HeapLab.standard.registry
        for name in managers ?? BuiltinManagers.entries.map(\.name) {
            guard let entry = registry.entry(named: name) else {
                print("\(name): unknown manager (one of \(registry.managers.map(\.name).joined(separator: ", ")))")
                continue
            }
            guard entry.availability().isAvailable else {
                print("\(name): not available (\(entry.availability().description))")
                continue
            }
            let options = name == ArenaDescriptor.name ? ["poison": "false"] : [:]
            guard let ns = try BuiltinManagers.withManager(named: name, options: options, Probe(count: count)) else { continue }
            print("\(name): \((ns * 100).rounded() / 100) ns per 24-byte object (\(count / 1_000_000) M objects)")
        }
    }

    /// Specialized per manager by the registry's dispatch.
    struct Probe: ManagerVisitor {
        let count: Int
        func visit<M: MemoryManager>(_ make: @escaping (PauseLog) throws -> M) throws -> Double {
            try AllocationProbe.nanosecondsPerObject(make, count: count)
        }
    }
}
