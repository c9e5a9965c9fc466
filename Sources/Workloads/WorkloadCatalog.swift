import HeapLabCore

/// Every workload HeapLab knows, in the order `heaplab list` shows them.
public enum WorkloadCatalog {
    public static let all: [any Workload.Type] = [
        GCBench.self, BinaryTrees.self, Server.self, Fragmentation.self, Cycles.self, DeepList.self,
        DeepListOnLargeStack.self, LargeObjects.self,
    ]

    /// The workload named `name`, or nil.
    public static func named(_ name: String) -> (any Workload.Type)? {
        all.first { $0.name == name }
    }
}
