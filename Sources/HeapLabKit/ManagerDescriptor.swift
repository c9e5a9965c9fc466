import HeapLabCore

/// Whether a manager can run on this machine.
public enum ManagerAvailability: Equatable, Sendable {
    /// Built in, or its library was found.
    case available
    /// An optional library is missing; `package` is the Debian package that provides it.
    case notInstalled(package: String)
    /// Installed but not loadable here (`reason`: the loader's message).
    case unusable(reason: String)

    public var isAvailable: Bool { self == .available }

    /// What `heaplab list` shows.
    public var description: String {
        switch self {
        case .available: return "available"
        case let .notInstalled(package): return "not installed: apt-get install \(package)"
        case let .unusable(reason): return "unusable: \(reason)"
        }
    }
}

/// A configuration key a manager accepts through `--set key=value`.
public struct ManagerOption: Sendable {
    public var name: String
    /// One line with the unit and the default.
    public var help: String

    public init(name: String, help: String) {
        self.name = name
        self.help = help
    }
}

/// What the runner knows about a manager before making one: its name, a summary, the options it accepts,
/// whether it is installed, and which native reference its times are read against.
public struct ManagerEntry: Sendable {
    /// The name used on the command line, in tables and in RunReports (`MemoryManager.name`).
    public var name: String
    /// One line: what the manager is and how it frees memory.
    public var summary: String
    /// The `--set` keys it accepts; any other key is rejected before a run starts.
    public var options: [ManagerOption]
    /// Checked at run time (for libraries loaded with dlopen), every time it is asked.
    public var availability: @Sendable () -> ManagerAvailability
    /// The native reference program (`c-malloc`, `c-arena`, ...) of this manager's allocator family: the row its
    /// time is divided by in the table's `×C` column. Nil when there is none.
    public var nativeReference: String?
    /// For a native reference program (a C program doing a workload's work, not a `MemoryManager`): the
    /// workloads it implements; on any other it is `notApplicable`. Nil for a memory manager, which runs every
    /// workload.
    public var nativeWorkloads: [String]?
    /// Checks option values before any child starts (keys are checked against `options` first).
    /// - Throws: `ParameterError` naming the bad value and what is accepted.
    public var checkValues: @Sendable ([String: String]) throws(ParameterError) -> Void

    public init(name: String, summary: String, options: [ManagerOption] = [],
                availability: @escaping @Sendable () -> ManagerAvailability = { .available },
                nativeReference: String? = nil, nativeWorkloads: [String]? = nil,
                checkValues: @escaping @Sendable ([String: String]) throws(ParameterError) -> Void = { _ throws(ParameterError) in }) {
        self.name = name
        self.summary = summary
        self.options = options
        self.availability = availability
        self.nativeReference = nativeReference
        self.nativeWorkloads = nativeWorkloads
        self.checkValues = checkValues
    }

    /// Whether this entry is a native reference program rather than a memory manager.
    public var isNativeReference: Bool { nativeWorkloads != nil }

    /// Whether this entry runs `workload`: every memory manager does; a native reference, only its programs.
    public func runs(_ workload: String) -> Bool { nativeWorkloads?.contains(workload) ?? true }

    /// Checks user options: every key one of `options`, every value accepted by `checkValues`.
    /// - Throws: `RunnerError` naming the unknown key (and the accepted ones) or the bad value.
    public func validate(_ given: [String: String]) throws(RunnerError) {
        let known = Set(options.map(\.name))
        for key in given.keys.sorted() where !known.contains(key) {
            let accepted = options.isEmpty ? "it takes no options" : "it accepts: " + options.map(\.name).joined(separator: ", ")
            throw RunnerError("manager \(name) has no option '\(key)' (\(accepted))")
        }
        do { try checkValues(given) } catch {
            // A parser's message may start with the manager's own name ("gc: gogc must be ..."): said once.
            let own = "\(name): "
            let text = error.message.hasPrefix(own) ? String(error.message.dropFirst(own.count)) : error.message
            throw RunnerError("manager \(name): \(text)")
        }
    }
}

/// A memory manager as the lab sees it: how to describe it and how to make one. Conform a type to this to add
/// your own manager to a `Lab` (`Lab.adding(manager:)`); the built-in managers are described the same way.
///
/// `make` is called once per warm-up run and once for the measured run, each time for a fresh manager.
public protocol ManagerDescriptor: SendableMetatype {
    /// The manager type. Every workload runs on it specialized: its operations are direct, inlinable calls.
    associatedtype Manager: MemoryManager
    /// Name, summary, options, availability; `entry.name` must equal the manager's `name`.
    static var entry: ManagerEntry { get }
    /// Makes a fresh manager with `options` (already checked by `entry.validate`), logging its pauses, if it
    /// has any, into `pauseLog`.
    /// - Throws: anything; the run then fails with that message.
    static func make(options: [String: String], pauseLog: PauseLog) throws -> Manager

    /// The manager's threaded form, which the threads of a `ThreadedWorkload` attach to. Managers without one
    /// keep the default, `NoThreadedForm`, and every threaded workload is `notApplicable` on them.
    associatedtype Threaded: ThreadedMemoryManager = NoThreadedForm<Manager>
    /// Makes a fresh threaded form of the manager with `options`, logging the pauses that stop every thread
    /// into `pauseLog`, if it has any.
    /// - Throws: anything (the run then fails with that message); `WorkloadNotApplicable` when the manager has
    ///   no threaded form (the default).
    static func makeThreaded(options: [String: String], pauseLog: PauseLog) throws -> Threaded
    /// The threaded manager's statistics and effective settings after a run (every mutator thread detached).
    static func report(_ manager: Threaded) -> ThreadedManagerReport
}

/// What a threaded manager says about itself after a run.
public struct ThreadedManagerReport {
    public var statistics: ManagerStatistics
    public var settings: [String: String]
    public init(statistics: ManagerStatistics, settings: [String: String] = [:]) {
        self.statistics = statistics
        self.settings = settings
    }
}

extension ManagerDescriptor where Threaded == NoThreadedForm<Manager> {
    /// No threaded form: `WorkloadNotApplicable` with the reason.
    public static func makeThreaded(options: [String: String], pauseLog: PauseLog) throws -> Threaded {
        throw WorkloadNotApplicable("\(entry.name) has no threaded form (no ThreadedMemoryManager that several threads attach to)")
    }
    public static func report(_ manager: Threaded) -> ThreadedManagerReport { .init(statistics: ManagerStatistics()) }
}

/// The threaded form of a manager that has none: never made (`makeThreaded` throws first); it only gives the
/// descriptor's `Threaded` a type, so that every (threaded workload, manager) pair still compiles and reports
/// `notApplicable`.
public final class NoThreadedForm<Manager: MemoryManager>: ThreadedMemoryManager {
    public typealias Context = Manager
    public var name: String { "none" }
    public var sharing: ThreadSharing { .byMoveOrCopy }
    private init() {}
    public func attach() throws(AttachError) -> Manager {
        throw .refused(manager: name, reason: "the manager has no threaded form")
    }
    public func detach(_ context: Manager) {}
}
