import HeapLabCore

/// Every workload HeapLab knows, in the order `heaplab list` shows them.
public enum WorkloadCatalog {
    public static let all: [any Workload.Type] = [GCBench.self]

    /// The workload named `name`, or nil.
    public static func named(_ name: String) -> (any Workload.Type)? {
        all.first { $0.name == name }
    }
}
