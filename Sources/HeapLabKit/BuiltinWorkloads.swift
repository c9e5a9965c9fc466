import HeapLabCore
import Workloads

/// The workloads HeapLab ships with (`WorkloadCatalog.all`), and the one place where a built-in workload's name
/// meets its concrete type. Adding a workload to `WorkloadCatalog.all` needs one `case` here too;
/// `RegistryTests` fails until it is there.
public enum BuiltinWorkloads: WorkloadList {
    public static var types: [any Workload.Type] { WorkloadCatalog.all + WorkloadCatalog.threaded.map { $0 } }

    @inlinable
    public static func withWorkload<V: WorkloadVisitor>(named name: String, _ visitor: V) throws -> V.Result? {
        switch name {
        case GCBench.name: return try visitor.visit(GCBench.self)
        case BinaryTrees.name: return try visitor.visit(BinaryTrees.self)
        case Server.name: return try visitor.visit(Server.self)
        case Fragmentation.name: return try visitor.visit(Fragmentation.self)
        case Cycles.name: return try visitor.visit(Cycles.self)
        case DeepList.name: return try visitor.visit(DeepList.self)
        case DeepListOnLargeStack.name: return try visitor.visit(DeepListOnLargeStack.self)
        case LargeObjects.name: return try visitor.visit(LargeObjects.self)
        case MTGCBench.name: return try visitor.visitThreaded(MTGCBench.self)
        case MTServer.name: return try visitor.visitThreaded(MTServer.self)
        case Handoff.name: return try visitor.visitThreaded(Handoff.self)
        default: return nil
        }
    }
}
