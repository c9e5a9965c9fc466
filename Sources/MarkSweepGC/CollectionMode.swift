/// How a `GCHeap` marks: with the mutator stopped for the whole cycle, in slices interleaved with it, or on a
/// thread of its own while the mutators run.
public enum CollectionMode: String, Codable, Sendable, CaseIterable {
    /// The whole cycle (roots, mark, sweep or sweep set-up) runs in one pause (`PauseKind.collection`).
    case stopTheWorld = "stop-the-world"
    /// Tri-colour incremental marking with a snapshot-at-the-beginning (Yuasa deletion) write barrier: a short
    /// pause snapshots the roots, marking then runs in slices paced by allocation (`PauseKind.markSlice`), a
    /// short final pause finishes it (`PauseKind.finalMark`), and sweeping is lazy. Docs/Internals.md,
    /// "Incremental marking", explains the cycle and the barrier.
    case incremental
    /// Concurrent marking: the incremental cycle (the same start pause, barrier, black allocation, final pause
    /// and lazy sweeping), with the marking done by a background collector thread while the mutators run, and
    /// by mutator assists when allocation outruns it. Neither stops the world: the start pause and the final
    /// pause are the only stops. Docs/Internals.md, "Concurrent marking".
    case concurrent

    /// Whether cycles mark between pauses (incremental and concurrent): a start pause, marking with the write
    /// barrier on, a final pause, lazy sweeping. False for stop-the-world.
    public var marksBetweenPauses: Bool { self != .stopTheWorld }

    /// The runner's name for a collector in this mode: `gc`, `gc-incremental` or `gc-concurrent`.
    public var managerName: String {
        switch self {
        case .stopTheWorld: "gc"
        case .incremental: "gc-incremental"
        case .concurrent: "gc-concurrent"
        }
    }
}
