/// What the heap does when a check it runs itself -- the verifier after a cycle (`verifyAfterEveryCycle`), the
/// checkmark after an incremental mark (`checkmark`) -- finds a problem.
public enum CheckFailureMode: String, Codable, Sendable, CaseIterable {
    /// Stop the process with a precondition failure that lists the problems (the default): a broken heap must
    /// not keep running.
    case trap
    /// Keep the report (`GCHeap.takeCheckFailures()`) and go on. For tests, which then fail with the report
    /// naming each object, instead of crashing the whole test process. The heap is then broken: the cycle
    /// that found the problem goes on and may free objects that are still reachable, so a test should stop
    /// using the heap as soon as it sees a failure.
    case record
}

/// One failed check: which check, after which cycle, and every problem it found (at most 100), each naming
/// the object (its address and shape, or why it has none) and what is wrong with it.
public struct HeapCheckFailure: Sendable, Equatable, CustomStringConvertible {
    public enum Check: String, Sendable {
        /// The heap verifier (`GCHeap.verify()`), after a collection.
        case verifier
        /// The checkmark, after an incremental mark.
        case checkmark
    }

    public let check: Check
    /// The collection cycle (1-based, as in `PauseEvent.cycle`) after which the check ran.
    public let cycle: Int
    public let problems: [String]

    public init(check: Check, cycle: Int, problems: [String]) {
        self.check = check
        self.cycle = cycle
        self.problems = problems
    }

    /// The header the heap's precondition message uses, then the first 20 problems, one a line.
    public var description: String {
        let what = check == .verifier ? "heap verification failed after cycle \(cycle)"
            : "checkmark: marking (incremental or parallel) left reachable objects unmarked in cycle \(cycle)"
        let shown = problems.prefix(20).joined(separator: "\n")
        let more = problems.count > 20 ? "\n(\(problems.count - 20) more)" : ""
        return "gc: \(what):\n\(shown)\(more)"
    }
}

extension SharedHeap {
    /// The failures the heap's own checks recorded since the last call (`CheckFailureMode.record`), oldest
    /// first; always empty in `.trap` mode, where a failure stops the process instead.
    func takeCheckFailures() -> [HeapCheckFailure] {
        defer { recordedCheckFailures.removeAll() }
        return recordedCheckFailures
    }

    /// Reports a failed check as `configuration.checkFailureMode` says: a precondition failure, or a record.
    func reportCheckFailure(_ failure: HeapCheckFailure) {
        switch configuration.checkFailureMode {
        case .trap: preconditionFailure(failure.description)
        case .record: recordedCheckFailures.append(failure)
        }
    }
}
