/// How a memory manager gives memory back: the one fact about a manager that a workload may branch on.
///
/// A workload is written once for every manager, so it must not ask which manager it runs on; but some
/// lifetimes do not fit some models (an LRU cache in an arena, a cyclic graph under reference counting), and
/// there the workload has to choose the idiom a programmer of that model would use, and say so in its notes.
/// It switches on this value, never on a manager's name.
///
/// | model                | `dropTree` / `free`           | cycles     | bulk free               | examples              |
/// |----------------------|-------------------------------|------------|-------------------------|-----------------------|
/// | `tracing`            | nothing: unrooting is enough  | reclaimed  | none (the collector's pauses) | gc, gc-incremental, boehm |
/// | `explicitFree`       | walks and frees each object   | freed when walked | the drop itself  | malloc, jemalloc, mimalloc |
/// | `referenceCounting`  | drops one strong reference    | leak unless weak | the release cascade | arc                   |
/// | `region`             | nothing                       | reclaimed  | the scope end           | arena                 |
@frozen
public enum Reclamation: String, Codable, Sendable, CaseIterable {
    /// A tracing collector finds dead objects itself; the program only stops referring to them.
    case tracing
    /// The program frees every dead object itself (C's malloc/free, Rust's `drop` of a `Box` tree).
    case explicitFree
    /// An object dies when its last strong reference goes (Swift ARC): a strong reference cycle never dies.
    case referenceCounting
    /// Objects die together when the scope (region) they were allocated in ends; no object dies alone.
    case region

    /// Whether a workload's drop point (`dropTree`, a loop of `free`s) does work the program waits for, which
    /// the workload times as a stall: freeing object by object, or a release cascade. A collector's work is in
    /// its own pauses, which it logs itself; a region's bulk free is its scope end, which the manager logs.
    @inlinable
    public var dropsStall: Bool {
        switch self {
        case .explicitFree, .referenceCounting: return true
        case .tracing, .region: return false
        }
    }

    /// Whether `dropTree` and `free` give memory back before the enclosing scope ends. False for a region,
    /// whose workloads must then use an idiom whose lifetimes nest (copying survivors into a new scope).
    @inlinable
    public var freesBeforeScopeEnd: Bool { self != .region }
}
