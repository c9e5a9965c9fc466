import HeapLabCore

/// Something to do with a concrete workload type. `visit` is generic, so a call with a concrete `W` is
/// specialized for it.
public protocol WorkloadVisitor {
    associatedtype Result
    func visit<W: Workload>(_ workload: W.Type) throws -> Result
    /// Something to do with a concrete threaded workload type; by default what `visit` does.
    func visitThreaded<W: ThreadedWorkload>(_ workload: W.Type) throws -> Result
}

extension WorkloadVisitor {
    @inlinable
    public func visitThreaded<W: ThreadedWorkload>(_ workload: W.Type) throws -> Result { try visit(workload) }
}

/// Something to do with a concrete memory manager type. `make` builds a fresh manager writing its pauses to the
/// given log; it may be called more than once (warm-up instances, then the measured one).
public protocol ManagerVisitor {
    associatedtype Result
    func visit<M: MemoryManager>(_ make: @escaping (PauseLog) throws -> M) throws -> Result
    /// Something to do with a manager's concrete descriptor, given the manager's options; by default `visit`
    /// with the descriptor's `make`. A visitor that needs the manager's threaded form (`makeThreaded`) takes
    /// this one.
    func visit<D: ManagerDescriptor>(descriptor: D.Type, options: [String: String]) throws -> Result
}

extension ManagerVisitor {
    @inlinable
    public func visit<D: ManagerDescriptor>(descriptor: D.Type, options: [String: String]) throws -> Result {
        try visit { log in try D.make(options: options, pauseLog: log) }
    }
}

/// A list of workload types known at compile time. `withWorkload` is where a workload's name meets its concrete
/// type: an `@inlinable` chain of comparisons, so the code that runs it is specialized for that type in the
/// module that names the whole list (the `heaplab` executable, or a package that adds its own workloads).
public protocol WorkloadList: SendableMetatype {
    /// Every workload of the list, in the order `heaplab list` shows them.
    static var types: [any Workload.Type] { get }
    /// Hands the concrete type of workload `name` to `visitor`; nil when the list has no such workload.
    static func withWorkload<V: WorkloadVisitor>(named name: String, _ visitor: V) throws -> V.Result?
}

/// A list of memory managers known at compile time (see `WorkloadList`).
public protocol ManagerList: SendableMetatype {
    /// Every manager of the list, in table order.
    static var entries: [ManagerEntry] { get }
    /// Builds manager `name` from `options` and hands its concrete type to `visitor`; nil when the list has no
    /// such manager.
    static func withManager<V: ManagerVisitor>(named name: String, options: [String: String], _ visitor: V) throws -> V.Result?
}

/// `Tail` with workload `Head` in front: what `Lab.adding(workload:)` builds.
public enum WorkloadListNode<Head: Workload, Tail: WorkloadList>: WorkloadList {
    public static var types: [any Workload.Type] { Tail.types + [Head.self] }

    @inlinable
    public static func withWorkload<V: WorkloadVisitor>(named name: String, _ visitor: V) throws -> V.Result? {
        name == Head.name ? try visitor.visit(Head.self) : try Tail.withWorkload(named: name, visitor)
    }
}

/// `Tail` with threaded workload `Head` in front: what `Lab.adding(workload:)` builds for a `ThreadedWorkload`.
public enum ThreadedWorkloadListNode<Head: ThreadedWorkload, Tail: WorkloadList>: WorkloadList {
    public static var types: [any Workload.Type] { Tail.types + [Head.self] }

    @inlinable
    public static func withWorkload<V: WorkloadVisitor>(named name: String, _ visitor: V) throws -> V.Result? {
        name == Head.name ? try visitor.visitThreaded(Head.self) : try Tail.withWorkload(named: name, visitor)
    }
}

/// `Tail` with manager `Head` in front: what `Lab.adding(manager:)` builds.
public enum ManagerListNode<Head: ManagerDescriptor, Tail: ManagerList>: ManagerList {
    public static var entries: [ManagerEntry] { Tail.entries + [Head.entry] }

    @inlinable
    public static func withManager<V: ManagerVisitor>(named name: String, options: [String: String], _ visitor: V) throws -> V.Result? {
        guard name == Head.entry.name else { return try Tail.withManager(named: name, options: options, visitor) }
        return try visitor.visit(descriptor: Head.self, options: options)
    }
}
