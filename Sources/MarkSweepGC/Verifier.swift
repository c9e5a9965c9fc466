/// The heap verifier: an independent walk over every block and large object that checks the invariants the
/// collector relies on. Tests run it after every collection (`GCConfiguration.verifyAfterEveryCycle`).
///
/// What it checks:
/// - every block owned by a size class: its header (kind, class, cell size and count, list position);
/// - free lists (the blocks' and the allocator's): every entry a cell start of its block, none twice, no
///   cycle, none holding an object header, the count as recorded, the poison intact (when poisoning);
/// - every allocated cell: a valid header whose shape belongs to the block's size class, and every non-nil
///   slot of a live object pointing at a live object;
/// - marks: all clear in swept blocks (between cycles, marks must not leak into the next one); in blocks
///   waiting for a lazy sweep, set only on allocated cells;
/// - pool blocks marked free, the blocks-in-use count, every large object's descriptor and list links;
/// - that the heap in use equals the sum of live cells and large objects;
/// - reachability, by its own traversal (not the marker's): no object reachable from the roots is a free
///   cell, in a free block, or unmarked in a block waiting for its sweep.
extension SharedHeap {
    /// Checks the heap and returns a description of every problem found (empty when the heap is sound).
    /// Costs a walk of the whole heap and a traversal of everything reachable, with a hash set of addresses.
    func verify() -> [String] {
        var problems: [String] = []
        func fail(_ message: String) { if problems.count < 100 { problems.append(message) } }
        var inUse = 0
        var blocksSeen = 0

        for c in 0..<SizeClasses.count {
            let cellBytes = cellBytesOfClass[c]
            for (i, b) in classBlocks[c].enumerated() {
                blocksSeen += 1
                let h = b.header.pointee
                let name = "block \(b.base) (class \(c), \(cellBytes)-byte cells)"
                guard blockSpace.contains(b.base), h.kind == HeapLayout.smallBlockKind, Int(h.sizeClass) == c,
                      h.cellBytes == cellBytes,
                      h.cellCount == (HeapLayout.blockBytes - Block.firstCellOffset) / cellBytes else {
                    fail("\(name): bad header \(h)")
                    continue
                }
                if h.indexInClass != i { fail("\(name): indexInClass \(h.indexInClass), is at \(i)") }
                // The sweep epoch may lag the heap's by one (marked, not swept yet) and never by more: a block
                // further behind would look swept again after 256 cycles.
                let unswept = h.sweptEpoch != sweepEpoch
                if unswept && h.sweptEpoch != sweepEpoch &- 1 {
                    fail("\(name): swept in epoch \(h.sweptEpoch), heap is in \(sweepEpoch) (missed a sweep)")
                }

                // Free cells: the free list and the bump range -- the allocator's when this is the allocation
                // block, else the block's own.
                let owner = self.owner(ofAllocationBlock: b)
                let isAllocationBlock = owner != nil
                var free = Set<Int>()
                var cursor = owner.map { $0.allocators[c].freeList } ?? h.freeList
                var bumpFrom = h.bumpFrom
                if let owner {
                    if h.freeList != nil || h.bumpFrom != nil { fail("\(name): allocation block still holds its free cells") }
                    let a = owner.allocators[c]
                    bumpFrom = a.bumpCursor < a.bumpEnd ? UnsafeMutableRawPointer(bitPattern: a.bumpCursor) : nil
                    if a.bumpEnd != 0 && a.bumpEnd != UInt(bitPattern: b.cellsEnd) { fail("\(name): bump range does not end at the block's end") }
                    if a.bumpCursor > a.bumpLimit || a.bumpLimit > a.bumpEnd { fail("\(name): bump cursor, limit and end out of order") }
                } else if h.freeList != nil && h.bumpFrom != nil {
                    fail("\(name): has both a free list and a bump range")
                }
                if let from = bumpFrom {
                    if !b.isCellStart(from) {
                        fail("\(name): bump range starts at \(from), not at a cell")
                    } else {
                        // Cells above the bump start were never handed out since the block was empty: free, with
                        // whatever an earlier life left in them (poison, when poisoning).
                        for index in (from - b.firstCell) / cellBytes..<h.cellCount {
                            free.insert(index)
                            if poisonFreedCells, let word = Poison.firstDamagedWord(b.firstCell + index * cellBytes, cellBytes: cellBytes) {
                                fail("\(name): free cell \(index) at \(b.firstCell + index * cellBytes) lost its poison at word \(word) (written after it was freed)")
                            }
                        }
                    }
                }
                while let cell = cursor {
                    guard Block(containing: cell) == b, b.isCellStart(cell) else {
                        fail("\(name): free-list entry \(cell) is not a cell of this block")
                        break
                    }
                    let index = (cell - b.firstCell) / cellBytes
                    guard free.insert(index).inserted else {
                        // (A free-list cell inside the bump range is counted twice too.)
                        fail("\(name): free list visits cell \(index) twice (a cycle)")
                        break
                    }
                    if ObjectHeader(bits: cell.load(as: UInt64.self)).isObject {
                        fail("\(name): free cell \(index), \(describeObject(cell)), holds an object header")
                    }
                    if poisonFreedCells, let word = Poison.firstDamagedWord(cell, cellBytes: cellBytes) {
                        fail("\(name): free cell \(index) at \(cell) lost its poison at word \(word) (written after it was freed)")
                    }
                    cursor = cell.load(as: UnsafeMutableRawPointer?.self)
                }
                if !isAllocationBlock && free.count != h.freeCount {
                    fail("\(name): free list has \(free.count) cells, freeCount says \(h.freeCount)")
                }

                // Every cell: allocated cells hold valid objects; marks as the block's state allows.
                for index in 0..<h.cellCount {
                    let cell = b.firstCell + index * cellBytes
                    let marked = b.isMarked(cell)
                    if free.contains(index) {
                        if marked { fail("\(name): free cell \(index) at \(cell) is marked") }
                        continue
                    }
                    let header = ObjectHeader(bits: cell.load(as: UInt64.self))
                    if !header.isObject {
                        // Not on a free list and not an object: only possible for cells an unswept block
                        // will relink; anywhere else it is a lost cell.
                        fail("\(name): cell \(index) at \(cell) is neither on the free list nor an object (0x\(String(header.bits, radix: 16)))")
                        continue
                    }
                    if header.objectBytes > cellBytes || (c > 0 && header.objectBytes <= cellBytesOfClass[c - 1]) {
                        fail("\(name): cell \(index), \(describeObject(cell)), is a \(header.objectBytes)-byte object: wrong class")
                        continue
                    }
                    if !unswept && marked { fail("\(name): mark of cell \(index), \(describeObject(cell)), set between cycles") }
                    let live = !unswept || marked
                    if live {
                        inUse += cellBytes
                        checkSlots(of: cell, header, fail)
                    }
                }
                // Bits set at addresses that are not cell starts would mark nothing and leak into a later cycle.
                if !unswept && b.hasAnyMark() { fail("\(name): marks set between cycles") }
            }
        }
        if blocksSeen != blockSpace.blocksInUse {
            fail("block space counts \(blockSpace.blocksInUse) blocks in use, size classes own \(blocksSeen)")
        }
        for b in blockSpace.residentPool where b.header.pointee.kind != HeapLayout.freeBlockKind {
            fail("pool block \(b.base) is not marked free")
        }
        forEachMutator { m in
            for c in 0..<SizeClasses.count where m.allocationBlocks[c] == nil
                && (m.allocators[c].freeList != nil || m.allocators[c].bumpCursor < m.allocators[c].bumpEnd) {
                fail("class \(c) has free cells in a mutator's allocator but no allocation block")
            }
        }

        // Large objects: the swept list (no marks, the current epoch), then those waiting for the incremental
        // sweep pass (the epoch before; marked ones are live, unmarked ones dead and not in use).
        var largeCount = 0
        for (first, unswept) in [(largeObjects.head, false), (largeObjects.unswept, true)] {
            var cursor = first
            var previous: UnsafeMutableRawPointer? = nil
            while let base = cursor {
                largeCount += 1
                let d = base.assumingMemoryBound(to: LargeObjectHeader.self).pointee
                let object = base + LargeObjectSpace.objectOffset
                let header = ObjectHeader(bits: object.load(as: UInt64.self))
                let epochOK = unswept ? d.sweptEpoch == sweepEpoch &- 1 : d.sweptEpoch == sweepEpoch
                if d.kind != HeapLayout.largeObjectKind || d.previous != previous || !header.isObject
                    || header.objectBytes != d.objectBytes || (!unswept && d.marked != 0) || !epochOK {
                    fail("large object \(object)\(unswept ? " (unswept)" : ""): bad descriptor or header (\(d), header 0x\(String(header.bits, radix: 16)))")
                } else if !unswept || d.marked != 0 {
                    inUse += d.objectBytes
                    checkSlots(of: object, header, fail)
                }
                previous = base
                cursor = d.next
                if largeCount > largeObjects.count { fail("large-object lists longer than their count (a cycle?)"); break }
            }
        }
        if largeCount != largeObjects.count { fail("large-object list has \(largeCount) objects, count says \(largeObjects.count)") }

        if inUse != inUseBytes { fail("heap in use is \(inUseBytes) bytes, but live cells and large objects add up to \(inUse)") }

        // Reachability, by a traversal of our own.
        traverseFromRoots { object, edge in
            guard let problem = referenceProblem(GCRef(object)) else { return true }
            fail("reachable from the roots (\(describe(edge))): \(problem)")
            return false  // not an object: its memory is not followed
        }
        return problems
    }

    /// Checks that every non-nil slot of the live object at `object` points at a live object.
    private func checkSlots(of object: UnsafeMutableRawPointer, _ header: ObjectHeader, _ fail: (String) -> Void) {
        for s in 0..<header.referenceSlots {
            guard let child = object.load(fromByteOffset: 8 + s * 8, as: UnsafeMutableRawPointer?.self) else { continue }
            if let problem = referenceProblem(GCRef(child)) {
                fail("slot \(s) of live object \(describeObject(object)): \(problem)")
            }
        }
    }

    /// Where a traversal found a reference: a root (shadow stack or global) or a slot of an object.
    enum Edge {
        case root(Int)
        case globalRoot(Int)
        case slot(Int, of: UnsafeMutableRawPointer)
    }

    /// Visits every object reachable from the roots once, depth first, with its own visited set (never the mark
    /// bits), telling `visit` the edge it came by. `visit` returns whether to follow the object's slots: false
    /// for a reference that is not a live object (its memory must not be read as one), or to stop following
    /// anything once a report is long enough. The verifier and the checkmark share it.
    func traverseFromRoots(_ visit: (UnsafeMutableRawPointer, Edge) -> Bool) {
        var visited = Set<UInt>()
        var stack: [(object: UnsafeMutableRawPointer, edge: Edge)] = []
        // Shadow-stack roots are numbered across the mutators, in attach order.
        var rootIndex = 0
        forEachMutator { m in
            for i in 0..<m.roots.count {
                if let r = m.roots.entries[i] { stack.append((r, .root(rootIndex))) }
                rootIndex += 1
            }
        }
        for (i, r) in globalRoots.slots.enumerated() { if let r { stack.append((r, .globalRoot(i))) } }
        while let (object, edge) = stack.popLast() {
            guard visited.insert(UInt(bitPattern: object)).inserted else { continue }
            guard visit(object, edge) else { continue }
            // Invariant: `visit` accepted `object` as a live object, so its header is valid and its slots lie
            // inside it.
            let slots = ObjectHeader(bits: object.load(as: UInt64.self)).referenceSlots
            for s in 0..<slots {
                if let child = object.load(fromByteOffset: 8 + s * 8, as: UnsafeMutableRawPointer?.self) {
                    stack.append((child, .slot(s, of: object)))
                }
            }
        }
    }

    /// "root 3", "global root 0", or "slot 1 of GCRef(0x...) (2 slots, 8 payload bytes)".
    func describe(_ edge: Edge) -> String {
        switch edge {
        case let .root(i): return "root \(i)"
        case let .globalRoot(i): return "global root \(i)"
        case let .slot(s, of: parent): return "slot \(s) of \(describeObject(parent))"
        }
    }

    /// The object at `object`, for a report: its address and shape, or why it has no shape (outside the heap,
    /// or no object header there). Reads memory only inside the heap.
    func describeObject(_ object: UnsafeMutableRawPointer) -> String {
        let address = UnsafeRawPointer(object)
        guard blockSpace.contains(address) || largeObjects.contains(object: address) else {
            return "\(GCRef(object)) (outside the heap)"
        }
        // Invariant: inside a region or at a large object's header, so the word is mapped.
        let header = ObjectHeader(bits: object.load(as: UInt64.self))
        guard header.isObject else {
            return "\(GCRef(object)) (no object header: 0x\(String(header.bits, radix: 16)))"
        }
        return "\(GCRef(object)) (\(header.referenceSlots) slots, \(header.payloadBytes) payload bytes)"
    }
}
