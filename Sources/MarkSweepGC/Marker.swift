internal import CMarkSweepGC
import HeapLabCore

/// The mark phase: find every object reachable from the roots, with an explicit stack.
///
/// Tri-colour terms: an object is white while its mark is clear, grey once marked and on the mark stack,
/// black once popped and its slots scanned. Marking ends when no grey object is left; every white object is
/// then garbage.
///
/// Prefetching: an object popped from the mark stack is not scanned at once; it goes through a small FIFO
/// (`prefetchDistance` entries) and its cache line is prefetched as it enters, so by the time it is scanned its
/// header and slots are (usually) in cache. Marking a large heap is bound by cache misses on the objects it
/// visits; overlapping them this way is the "buffered prefetch on grey" of Garner, Blackburn and Frampton,
/// "Effective Prefetch for Mark-Sweep Garbage Collection" (ISMM 2007).
extension SharedHeap {
    /// Step 3: marks and pushes every object held by a mutator's shadow stack (every attached mutator's,
    /// stopped or inactive) and by the global roots.
    func markRoots(_ counts: inout MarkCounts) {
        var stack = markStack
        defer { markStack = stack }
        forEachMutator { m in
            for i in 0..<m.roots.count {
                if let object = m.roots.entries[i] { markObject(object, &stack, &counts) }
            }
        }
        for case let object? in globalRoots.slots { markObject(object, &stack, &counts) }
    }

    /// Step 4: drains the mark stack, with every collector thread when `parallel` (ParallelMarking.swift);
    /// then, while a push was dropped because a stack could not grow, rescans the heap for marked objects with
    /// unmarked children (on this thread). A parallel mark may count a cell twice (`testAndSetMarkShared`), so
    /// it replaces `counts` by a count of the marks it set, roots included.
    func markHeap(_ counts: inout MarkCounts, parallel: Bool = false) {
        if parallel { markHeapInParallel() }
        var stack = markStack
        drain(&stack, &counts)
        while stack.overflowed {
            stack.overflowed = false
            rescanMarkedObjects(&stack, &counts)
        }
        markStack = stack
        if parallel { counts = countMarked() }
    }

    /// Marks `object` if it is not marked yet, counts it, and pushes it when it has slots to scan.
    ///
    /// The object's block is found by masking its address; the first word there says whether it is a small
    /// block (mark byte on the side) or a large object's descriptor (mark flag in the descriptor).
    ///
    /// Every build first checks that `object` is in the heap, because marking writes where the reference
    /// points: a reference into one of this heap's regions must be in a block owned by a size class (not a
    /// pool block); any other reference must be a large object of this heap. Anything else stops with
    /// `referenceOutsideHeap`'s message. The region test is a compare with the region of the last reference,
    /// else a byte-map lookup (`RegionMap`); the block test reuses the kind load the mark needs anyway; only a
    /// reference outside the regions pays a hash lookup, and large objects are few. (Its cost on the mark
    /// loop: Docs/Internals.md, "Marking".) Not caught here: a reference into a live
    /// block that is not a cell start (between cells, or into the block's header and mark bytes), or to a cell
    /// freed and not yet reused; the debug `checkReferences` catches all three. Telling a cell start apart
    /// takes a division per reference, which is why release builds leave it out.
    @inline(__always)
    func markObject(_ object: UnsafeMutableRawPointer, _ stack: inout MarkStack, _ counts: inout MarkCounts,
                    parallel: Bool = false) {
        if checkReferences, let problem = referenceProblem(GCRef(object)) {
            preconditionFailure("gc: marking found a reference that is not a live object: \(problem)")
        }
        let base = HeapLayout.blockBase(of: object)
        // The region test: the region the last reference was found in (`MarkStack.lastRegion`, usually the
        // same: objects are allocated near the objects that point at them), else the region map.
        let region = UInt(bitPattern: object) &>> RegionMap.regionShift
        var inRegion = true
        if _slowPath(region != stack.lastRegion) {
            inRegion = blockSpace.contains(object)
            if inRegion { stack.lastRegion = region }
        }
        if _fastPath(inRegion) {
            // Invariant: `base` is a block of a mapped region, so its first word can be read.
            guard _fastPath(base.load(as: UInt32.self) == HeapLayout.smallBlockKind) else {
                referenceOutsideHeap(object)
            }
            let block = Block(base: base)
            // Invariant: `object` is in a block owned by a size class (checked above); that it is a cell start
            // is the program's promise (references only ever point at headers), checked in debug builds.
            guard parallel ? block.testAndSetMarkShared(object) : block.testAndSetMark(object) else { return }
            counts.objects &+= 1
            counts.bytes &+= block.header.pointee.cellBytes
        } else {
            guard _fastPath(largeObjects.contains(object: object)) else { referenceOutsideHeap(object) }
            // Invariant: a large object of this heap: its descriptor (bound to LargeObjectHeader when it was
            // mapped) starts at the block-aligned base.
            let d = base.assumingMemoryBound(to: LargeObjectHeader.self)
            if parallel {
                // Invariant: `marked` is a UInt32 field of the descriptor `d` points at.
                let flag = (UnsafeMutableRawPointer(d) + LargeObjectHeader.markedOffset).assumingMemoryBound(to: UInt32.self)
                guard heaplab_atomic_test_and_set_flag(flag) else { return }
                // Only `objectBytes` is read from here on (never a copy of the descriptor): a marker that lost
                // the race may still be exchanging `marked`.
            } else {
                guard d.pointee.marked == 0 else { return }
                d.pointee.marked = 1
            }
            counts.objects &+= 1
            counts.bytes &+= d.pointee.objectBytes
        }
        // Pushed without reading its header: that read is a likely cache miss, and `drain` prefetches the
        // object before it scans it.
        stack.push(object)
    }

    /// Stops marking at a reference that is not in this heap, naming it and why. A `fatalError`, not a
    /// precondition: release builds print its message too (Swift drops precondition messages at -O).
    @inline(never)
    func referenceOutsideHeap(_ object: UnsafeMutableRawPointer) -> Never {
        fatalError("gc: marking found a reference outside the heap: \(referenceProblem(GCRef(object)) ?? "\(GCRef(object))") (a root or slot holding a stale, foreign or corrupted reference)")
    }

    /// Scans the slots of `object`, marking its children.
    @inline(__always)
    func scanObject(_ object: UnsafeMutableRawPointer, _ stack: inout MarkStack, _ counts: inout MarkCounts,
                    parallel: Bool = false) {
        // Invariant: `object` is a marked live object (only those are pushed or rescanned), so its header is
        // valid and its `slots` words after the header lie inside its cell or mapping. Debug builds check every
        // child below (`checkReferences`) before following it.
        let slots = ObjectHeader(bits: object.load(as: UInt64.self)).referenceSlots
        if _slowPath(slots > SharedHeap.scanChunkSlots) {
            // A huge array: its first chunk now, the rest a chunk at a time as `drainRing` gets to it.
            scanSlots(of: object, from: 0, to: SharedHeap.scanChunkSlots, &stack, &counts, parallel: parallel)
            stack.partialScans.append(PartialScan(object: object, nextSlot: SharedHeap.scanChunkSlots, slotCount: slots))
            return
        }
        scanSlots(of: object, from: 0, to: slots, &stack, &counts, parallel: parallel)
    }

    /// Marks the children in slots `from..<to` of `object`.
    ///
    /// - Precondition: `object` is a marked live object and `to` is at most its slot count.
    @inline(__always)
    func scanSlots(of object: UnsafeMutableRawPointer, from: Int, to: Int, _ stack: inout MarkStack, _ counts: inout MarkCounts,
                   parallel: Bool = false) {
        var slot = object + ObjectHeader.bytes + from &* 8
        let end = object + ObjectHeader.bytes + to &* 8
        if parallel {
            // Parallel and concurrent marking: with concurrent marking, mutators store into slots while they
            // are read here (atomic on both sides; see `heaplab_load_slot_acquire`). Parallel marking runs with
            // the world stopped and takes the same loads, which cost nothing more on x86-64.
            while slot < end {
                // Invariant: `slot` is a reference slot of `object` (below `end`), 8-byte aligned.
                if let child = heaplab_load_slot_acquire(slot.assumingMemoryBound(to: UnsafeMutableRawPointer?.self)) {
                    markObject(child, &stack, &counts, parallel: true)
                }
                slot += 8
            }
            return
        }
        while slot < end {
            if let child = slot.load(as: UnsafeMutableRawPointer?.self) { markObject(child, &stack, &counts, parallel: parallel) }
            slot += 8
        }
    }

    /// Objects with more reference slots than this are scanned this many slots at a time (16 KiB of slots),
    /// so that a mark slice can stop inside a huge array instead of scanning a million-entry table whole
    /// (what that cost: Docs/Internals.md, "Marking").
    static let scanChunkSlots = 2048

    /// Scans the next chunk of the most recent partial scan. Returns false when there is none.
    @inline(__always)
    func scanNextChunk(_ stack: inout MarkStack, _ counts: inout MarkCounts, parallel: Bool = false) -> Bool {
        guard var partial = stack.partialScans.popLast() else { return false }
        let end = min(partial.nextSlot &+ SharedHeap.scanChunkSlots, partial.slotCount)
        // Invariant: the object is marked and live (it was scanned from its first chunk) and `end` is at most
        // its slot count.
        scanSlots(of: partial.object, from: partial.nextSlot, to: end, &stack, &counts, parallel: parallel)
        if end < partial.slotCount {
            partial.nextSlot = end
            stack.partialScans.append(partial)
        }
        return true
    }

    /// Objects between the mark stack and the scanner, each prefetched as it enters. The distance must cover
    /// the memory latency: with too few entries the prefetch comes too late and the scan waits on the object
    /// header load. 32 was the best of 8, 16 and 32 on a live tree (figures and command: Docs/Internals.md,
    /// "Marking").
    static let prefetchDistance = 32

    /// Drains the mark stack completely (stop-the-world marking).
    func drain(_ stack: inout MarkStack, _ counts: inout MarkCounts) {
        drainRing(&stack, &counts, budget: nil)
    }

    /// What a budgeted drain may do: mark until `untilBytes` bytes are counted, or until the clock passes
    /// `deadline` (checked every 32 objects scanned), or (`yieldsToLockWaiters`, the background marker) until
    /// another thread waits for the heap's lock (checked with the clock).
    struct DrainBudget {
        var untilBytes: Int
        var deadline: UInt64
        var yieldsToLockWaiters = false
    }

    /// Whether a budgeted drain's time is up: the deadline passed, or a thread waits for the lock the drain
    /// holds and the drain yields to it.
    @inline(__always)
    func budgetTimeSpent(_ budget: DrainBudget) -> Bool {
        (budget.yieldsToLockWaiters && lockWaiters.load(ordering: .relaxed) > 0) || MonotonicClock.now() >= budget.deadline
    }

    /// The mark loop, shared by the stop-the-world drain, incremental slices and parallel marking: pops
    /// objects into a ring of `prefetchDistance` entries, prefetching each as it enters, and scans the oldest.
    /// With a budget it stops when the budget is spent and pushes the ring's objects back on the stack (they
    /// are grey). With a work pool (`share`, parallel marking) it marks through `testAndSetMarkShared` and,
    /// every 32 objects scanned, gives part of its stack to the pool when another marker is out of work
    /// (ParallelMarking.swift); it returns when its own stack is empty. Always inlined into its callers, so the
    /// single-threaded stop-the-world loop (`budget` and `share` constant nils) carries neither check.
    ///
    /// `concurrent`: concurrent marking (its background marker and assists), mutators running meanwhile: marks
    /// and slot reads take the parallel loop's atomic forms. One thread marks at a time (the lock's holder).
    @inline(__always)
    func drainRing(_ stack: inout MarkStack, _ counts: inout MarkCounts, budget: DrainBudget?,
                   share: Unmanaged<MarkWorkPool>? = nil, concurrent: Bool = false) {
        let parallel = share != nil || concurrent
        // A ring of `prefetchDistance` entries on the native stack (a tuple), indexed modulo its size.
        typealias P = UnsafeMutableRawPointer?
        var ring: (P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P)
            = (nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil,
               nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil)
        var head = 0, tail = 0  // entries are ring[head..<tail], modulo 32
        withUnsafeMutableBytes(of: &ring) { raw in
            let slots = raw.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: UnsafeMutableRawPointer.self)
            var scanned = 0
            while true {
                while tail &- head < SharedHeap.prefetchDistance, let object = stack.pop() {
                    heaplab_prefetch(object)
                    slots[tail & 31] = object
                    tail &+= 1
                }
                guard head != tail else {
                    // Nothing grey but the rest of a huge array, perhaps: a chunk of it, then the budget.
                    guard scanNextChunk(&stack, &counts, parallel: parallel) else { return }
                    if let share { offerWork(share, &stack) }
                    if let budget, counts.bytes >= budget.untilBytes || budgetTimeSpent(budget) { return }
                    continue
                }
                let object = slots[head & 31]
                head &+= 1
                scanObject(object, &stack, &counts, parallel: parallel)
                guard budget != nil || share != nil else { continue }
                scanned &+= 1
                if scanned & 31 == 0, let share { offerWork(share, &stack) }
                guard let budget else { continue }
                if counts.bytes >= budget.untilBytes || (scanned & 31 == 0 && budgetTimeSpent(budget)) {
                    // Budget spent: the ring's objects are grey and go back on the stack. (A push dropped for
                    // lack of stack sets `overflowed`, which the final pause's `markHeap` recovers from.)
                    while head != tail {
                        stack.push(slots[head & 31])
                        head &+= 1
                    }
                    return
                }
            }
        }
    }

    /// Parallel marking: gives part of `stack` to the pool when another marker is out of work. The pool is
    /// reached without a retain: every marker would otherwise write its reference count, one cache line
    /// bouncing between the markers' cores every 32 objects. (The pool outlives the job: the heap holds it.)
    @inline(__always)
    func offerWork(_ share: Unmanaged<MarkWorkPool>, _ stack: inout MarkStack) {
        share._withUnsafeGuaranteedRef { pool in
            if pool.wantsWork { pool.publish(from: &stack) }
        }
    }

    /// Mark-stack overflow recovery: every marked object is scanned again, so an object that was marked but
    /// dropped from the full stack gets its children marked. Scanning an object whose children are all marked
    /// does nothing, so repeating this until no push is dropped is correct, if slow. (Boehm GC recovers the
    /// same way.)
    func rescanMarkedObjects(_ stack: inout MarkStack, _ counts: inout MarkCounts) {
        for c in 0..<SizeClasses.count {
            for block in classBlocks[c] {
                let h = block.header.pointee
                var cell = block.firstCell
                for _ in 0..<h.cellCount {
                    if block.isMarked(cell) {
                        scanObject(cell, &stack, &counts)
                        drain(&stack, &counts)
                    }
                    cell += h.cellBytes
                }
            }
        }
        var cursor = largeObjects.head
        while let base = cursor {
            let d = base.assumingMemoryBound(to: LargeObjectHeader.self)
            cursor = d.pointee.next
            if d.pointee.marked != 0 {
                scanObject(base + LargeObjectSpace.objectOffset, &stack, &counts)
                drain(&stack, &counts)
            }
        }
    }
}
