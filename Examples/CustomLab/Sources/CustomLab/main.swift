import HeapLabKit

// HeapLab's workloads and managers, plus this package's own: every pair runs specialized, in its own child
// process, measured the same way, and shows up in the same table, JSON, CSV and charts.
HeapLab.standard
    .adding(workload: MessageQueue.self)
    .adding(manager: FreeListDescriptor.self)
    .main()
