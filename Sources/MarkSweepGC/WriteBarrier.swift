/// The write barrier: a snapshot-at-the-beginning (Yuasa deletion) barrier.
///
/// While incremental marking runs, every reference store into a heap object first shades the reference it
/// overwrites: the old target is marked grey (and pushed) unless it is marked already. The tracer can then miss
/// no object that was reachable when the roots were snapshot: an edge the mutator deletes took its target into
/// the marker's hands first. New references need no barrier: every object the mutator can store was either
/// reachable at the snapshot (so the tracer or a deleted edge's shading reaches it) or allocated since (black).
///
/// Why this barrier and not Dijkstra's insertion barrier or Go's hybrid (Docs/Internals.md, "Incremental
/// marking", has the whole argument): the shadow stack and global roots are not barriered, so an insertion
/// barrier would have to rescan the roots *and trace whatever they reach* in the final pause, an amount of work
/// the mutator controls. The snapshot barrier instead lets the final pause be a drain of what the barrier queued
/// since the last slice. It also costs nothing on the stores workloads do most, initializing a fresh object: the
/// old value is nil. Go's hybrid exists to avoid rescanning many goroutine stacks; HeapLab has one small shadow
/// stack, snapshot in the start pause.
///
/// Cost when marking is off: one load of a heap field and a predictable branch per store (measured in
/// Docs/Results.md, "Incremental marking").
extension GCHeap {
    /// Called by `store` before it writes slot `slot` of `object`.
    ///
    /// - Precondition: `slot` is in range (the caller checked it), so the slot address lies inside the object.
    @inlinable @inline(__always)
    func writeBarrier(_ object: GCRef, slot: Int) {
        if _slowPath(barrierOn) {
            // Invariant: slot < referenceSlots (checked by `store`), so the word at 8 + 8*slot is a slot.
            if let old = object.address.load(fromByteOffset: 8 &+ slot &* 8, as: UnsafeMutableRawPointer?.self) {
                shade(old)
            }
        }
    }

    /// Marks `object` grey if it is white. Outlined: it runs only while marking, and only for non-nil old values.
    /// Takes the shared lock (marks and the mark stack are shared), but is not a safepoint: the caller of
    /// `store` may hold unrooted references. Incremental mode never marks while this thread runs (every slice
    /// stops the world); concurrent mode's background marker and assists mark holding the lock. Either way the
    /// lock makes this shade the only marker of the moment, and the object goes on the shared mark stack, where
    /// mark termination looks for grey objects.
    @usableFromInline @inline(never)
    func shade(_ object: UnsafeMutableRawPointer) {
        shared.lock()
        defer { shared.unlock() }
        // The barrier switch changes only while this thread is stopped, so it is still on.
        shared.incremental.barrierShades &+= 1
        shared.markObject(object, &shared.markStack, &shared.incremental.counts)
        shared.wakeBackgroundMarker()  // concurrent mode: new grey work for a marker that ran out
    }
}
