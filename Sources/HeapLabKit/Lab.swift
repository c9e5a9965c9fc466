import HeapLabCore
import HeapLabReport

/// A set of workloads and memory managers, each known by its type, from which the runner builds its `Registry`.
///
/// `HeapLab.standard` is the built-in set; a package that uses HeapLab adds its own workloads and managers and
/// runs the same command line over all of them (Examples/CustomLab):
///
///     let lab = HeapLab.standard
///         .adding(workload: QueueWorkload.self)
///         .adding(manager: FreeListDescriptor.self)
///     lab.main()
///
/// Each `adding` returns a `Lab` of a new type that carries the added type in its generic parameters, so when
/// the module that builds the lab compiles `registry`, every (workload, manager) pair, built-in or added, is
/// specialized: the workload calls the manager's operations directly, as the built-in pairs do. That is why this
/// is a chain of types and not a dictionary filled at run time (which would run every pair as unspecialized
/// generic code, many times slower, and compare the abstraction instead of the managers).
@frozen
public struct Lab<Workloads: WorkloadList, Managers: ManagerList>: Sendable {
    @inlinable public init() {}

    /// This lab with `workload` added.
    @inlinable
    public func adding<W: Workload>(workload: W.Type) -> Lab<WorkloadListNode<W, Workloads>, Managers> { .init() }

    /// This lab with the threaded workload `workload` added: it runs on every manager's threaded form
    /// (`ManagerDescriptor.makeThreaded`), specialized as every pair is.
    @inlinable
    public func adding<W: ThreadedWorkload>(workload: W.Type) -> Lab<ThreadedWorkloadListNode<W, Workloads>, Managers> { .init() }

    /// This lab with the manager `descriptor` describes added.
    @inlinable
    public func adding<D: ManagerDescriptor>(manager descriptor: D.Type) -> Lab<Workloads, ManagerListNode<D, Managers>> { .init() }

    /// The lab's registry: every workload and manager, and the specialized runner of every pair.
    ///
    /// - Precondition: no two workloads and no two managers share a name.
    @inlinable
    public var registry: Registry {
        Registry(workloads: Workloads.types, managers: Managers.entries + NativeReferences.entries,
                 baseline: BuiltinManagers.baseline,
                 runInProcess: { spec in
                     if NativeReferences.contains(spec.manager) { return try NativeReferences.run(spec) }
                     guard let report = try Workloads.withWorkload(named: spec.workload, PairDispatch<Managers>(spec: spec)) else {
                         throw RunnerError("unknown workload '\(spec.workload)'")
                     }
                     return report
                 })
    }
}

/// The built-in lab.
public enum HeapLab {
    /// Every workload and manager HeapLab ships with.
    public static let standard = Lab<BuiltinWorkloads, BuiltinManagers>()
}
