import HeapLabCore

/// Every workload HeapLab knows, in the order `heaplab list` shows them.
public enum WorkloadCatalog {
    /// The single-threaded workloads: each runs on one thread's manager.
    public static let all: [any Workload.Type] = [
        GCBench.self, BinaryTrees.self, Server.self, Fragmentation.self, Cycles.self, DeepList.self,
        DeepListOnLargeStack.self, LargeObjects.self,
    ]

    /// The threaded workloads: each runs on several threads attached to one manager's threaded form.
    public static let threaded: [any ThreadedWorkload.Type] = [MTGCBench.self, MTServer.self, Handoff.self]

    /// The workload named `name` (single-threaded or threaded), or nil.
    public static func named(_ name: String) -> (any Workload.Type)? {
        all.first { $0.name == name } ?? threaded.first { $0.name == name }
    }
}
