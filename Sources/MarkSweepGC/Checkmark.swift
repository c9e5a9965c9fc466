/// The checkmark: an independent, stop-the-world re-mark that checks an incremental mark (as Go's
/// GODEBUG=gccheckmark=1 does).
///
/// When incremental marking ends, every object reachable from the roots must be marked: the mutator ran during
/// marking, and a missing barrier, a lost grey object or a wrong black allocation shows here as a reachable
/// white object, which the sweep would then free under the program's feet. The checkmark traverses the heap
/// from the roots with its own visited set (never the marks it checks) and names every reachable object
/// that is not marked. With `GCConfiguration.checkmark` the heap runs it after every incremental mark and stops
/// with its report; its time is not part of the final pause.
extension SharedHeap {
    /// Checks that every object reachable from the roots is marked; returns one line per reachable unmarked
    /// object (at most 100), empty when the mark is complete.
    ///
    /// - Precondition: marking has ended and sweeping has not begun (the marks are the cycle's result).
    ///   `finishIncrementalMarking` calls it at that point; tests call it there too.
    func checkmarkProblems() -> [String] {
        var problems: [String] = []
        traverseFromRoots { object, edge in
            if let problem = referenceProblem(GCRef(object)) {
                // Not an object of this heap (or not live by the block's state): no mark to check, nothing to
                // follow. The verifier reports these too.
                problems.append("\(describe(edge)) holds \(problem)")
                return false
            }
            if !isMarkedObject(object) {
                problems.append("\(describeObject(object)) is reachable (\(describe(edge))) but unmarked")
            }
            return problems.count < 100
        }
        return problems
    }

    /// Whether `object` (a small object or a large one) has its mark or flag set.
    func isMarkedObject(_ object: UnsafeMutableRawPointer) -> Bool {
        let base = HeapLayout.blockBase(of: object)
        if base.load(as: UInt32.self) == HeapLayout.smallBlockKind {
            return Block(base: base).isMarked(object)
        }
        return base.assumingMemoryBound(to: LargeObjectHeader.self).pointee.marked != 0
    }
}
