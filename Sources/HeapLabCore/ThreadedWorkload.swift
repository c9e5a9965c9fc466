/// A workload that runs on several mutator threads at once over one shared manager (Docs/Threads.md,
/// Docs/Workloads.md, "Threaded workloads").
///
/// It is written once against `ThreadedMemoryManager`: each of its threads attaches, runs the same generic,
/// specialized code a single-threaded workload runs on its context, and detaches. Objects cross threads only as
/// the manager's `sharing` allows; a workload whose hand-off does not fit a model uses the idiom of that model
/// (a copy for the arena) or throws `WorkloadNotApplicable` before any thread starts.
///
/// Every threaded workload has the parameter `threads` (default 2, 1...64). Its single-threaded `run(on:context:)`
/// is not applicable: it needs a manager that threads can attach to, which the runner makes through the
/// manager's descriptor (`ManagerDescriptor.makeThreaded`).
public protocol ThreadedWorkload: Workload {
    /// Mutator threads the workload runs (the `threads` parameter).
    var threads: Int { get }

    /// Runs the workload on `manager` with `threads` mutator threads, each attached for the whole of its work
    /// and detached on every exit path. `context` is the run's: each thread measures into a context of its own
    /// (`RunContext(threadOf:)`), merged into `context` after every thread has ended.
    ///
    /// - Throws: the first failure of any thread (`WorkloadFailure` with that thread's message,
    ///   `AllocationError`, an `AttachError`), after every other thread was told to stop and has ended; or
    ///   `WorkloadNotApplicable` before any thread starts.
    func run<T: ThreadedMemoryManager>(threaded manager: T, context: RunContext) throws -> WorkloadOutcome
}

extension ThreadedWorkload {
    /// Not applicable: a threaded workload needs a manager its threads can attach to.
    public func run<M: MemoryManager>(on manager: M, context: RunContext) throws -> WorkloadOutcome {
        throw WorkloadNotApplicable("\(Self.name) runs on several threads: it needs the threaded form of a manager, not one thread's manager")
    }

    /// The `threads` parameter every threaded workload has: default 2, test size 2, 1...64.
    public static var threadsParameter: WorkloadParameter {
        WorkloadParameter("threads", default: 2, test: 2, range: 1...64, help: "mutator threads, each attached to the one shared manager")
    }
}
