import HeapLabCore
import Workloads

/// Something to do with a concrete workload type (see `ManagerVisitor` for why the type must be concrete).
protocol WorkloadVisitor {
    associatedtype Result
    func visit<W: Workload>(_ workload: W.Type) throws -> Result
}

/// The one place where a workload's name meets its concrete type. Adding a workload to `WorkloadCatalog.all`
/// needs one `case` here too; `WorkloadDispatchTests` fails until it is there.
enum WorkloadDispatch {
    /// Hands the concrete type of workload `name` to `visitor`.
    /// - Throws: `RunnerError` for an unknown workload; whatever `visitor` throws.
    static func withWorkload<V: WorkloadVisitor>(named name: String, _ visitor: V) throws -> V.Result {
        switch name {
        case GCBench.name: return try visitor.visit(GCBench.self)
        case BinaryTrees.name: return try visitor.visit(BinaryTrees.self)
        case Server.name: return try visitor.visit(Server.self)
        case Fragmentation.name: return try visitor.visit(Fragmentation.self)
        case Cycles.name: return try visitor.visit(Cycles.self)
        case DeepList.name: return try visitor.visit(DeepList.self)
        case DeepListOnLargeStack.name: return try visitor.visit(DeepListOnLargeStack.self)
        case LargeObjects.name: return try visitor.visit(LargeObjects.self)
        default:
            if WorkloadCatalog.named(name) != nil {
                throw RunnerError("workload \(name) is in WorkloadCatalog but WorkloadDispatch has no case for it")
            }
            throw RunnerError("unknown workload '\(name)' (workloads: \(WorkloadCatalog.all.map { $0.name }.joined(separator: ", ")))")
        }
    }

    /// The catalog entry of `name`.
    /// - Throws: `RunnerError` listing the known workloads.
    static func type(named name: String) throws(RunnerError) -> any Workload.Type {
        guard let type = WorkloadCatalog.named(name) else {
            throw RunnerError("unknown workload '\(name)' (workloads: \(WorkloadCatalog.all.map { $0.name }.joined(separator: ", ")))")
        }
        return type
    }
}
