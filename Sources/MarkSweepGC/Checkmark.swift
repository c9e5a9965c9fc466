/// The checkmark: an independent, stop-the-world re-mark that checks an incremental mark (as Go's
/// GODEBUG=gccheckmark=1 does).
///
/// When incremental marking ends, every object reachable from the roots must be marked: the mutator ran during
/// marking, and a missing barrier, a lost grey object or a wrong black allocation shows here as a reachable
/// white object, which the sweep would then free under the program's feet. The checkmark traverses the heap
/// from the roots with its own visited set (never the mark bits it checks) and names every reachable object
/// that is not marked. With `GCConfiguration.checkmark` the heap runs it after every incremental mark and stops
/// with its report; its time is not part of the final pause.
extension GCHeap {
    /// Checks that every object reachable from the roots is marked; returns one line per reachable unmarked
    /// object (at most 100), empty when the mark is complete.
    ///
    /// - Precondition: marking has ended and sweeping has not begun (the mark bits are the cycle's result).
    ///   `finishIncrementalMarking` calls it at that point; tests call it there too.
    func checkmarkProblems() -> [String] {
        var problems: [String] = []
        var visited = Set<UInt>()
        var stack: [(object: UnsafeMutableRawPointer, path: String)] = []
        for i in 0..<roots.count { if let r = roots.entries[i] { stack.append((r, "root \(i)")) } }
        for (i, r) in globalRoots.slots.enumerated() { if let r { stack.append((r, "global root \(i)")) } }
        while let (object, path) = stack.popLast() {
            guard visited.insert(UInt(bitPattern: object)).inserted else { continue }
            if !isMarkedObject(object) {
                problems.append("\(GCRef(object)) is reachable (\(path)) but unmarked")
                if problems.count >= 100 { break }
            }
            let slots = ObjectHeader(bits: object.load(as: UInt64.self)).referenceSlots
            for s in 0..<slots {
                // Invariant: s < referenceSlots, so the word at 8 + 8*s is a slot of the object.
                if let child = object.load(fromByteOffset: 8 + s * 8, as: UnsafeMutableRawPointer?.self) {
                    stack.append((child, "slot \(s) of \(GCRef(object))"))
                }
            }
        }
        return problems
    }

    /// Whether `object` (a small object or a large one) has its mark bit or flag set.
    func isMarkedObject(_ object: UnsafeMutableRawPointer) -> Bool {
        let base = HeapLayout.blockBase(of: object)
        if base.load(as: UInt32.self) == HeapLayout.smallBlockKind {
            return Block(base: base).isMarked(object)
        }
        return base.assumingMemoryBound(to: LargeObjectHeader.self).pointee.marked != 0
    }
}
