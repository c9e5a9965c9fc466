/// How a `GCHeap` marks: with the mutator stopped for the whole cycle, or in slices interleaved with it.
public enum CollectionMode: String, Codable, Sendable, CaseIterable {
    /// The whole cycle (roots, mark, sweep or sweep set-up) runs in one pause (`PauseKind.collection`).
    case stopTheWorld = "stop-the-world"
    /// Tri-colour incremental marking with a snapshot-at-the-beginning (Yuasa deletion) write barrier: a short
    /// pause snapshots the roots, marking then runs in slices paced by allocation (`PauseKind.markSlice`), a
    /// short final pause finishes it (`PauseKind.finalMark`), and sweeping is lazy. Docs/Internals.md,
    /// "Incremental marking", explains the cycle and the barrier.
    case incremental
}
