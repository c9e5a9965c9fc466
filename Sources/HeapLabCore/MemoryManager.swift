/// The contract every workload is written against, and every memory manager implements.
///
/// One workload, written once, runs on a tracing collector, an arena, malloc and ARC. Each operation below is
/// the workload saying what it *means* (allocate this, keep this alive, this structure is dead now, this
/// scope ends); each manager maps that meaning onto its own model of lifetime:
///
/// | operation             | mark-sweep GC            | arena                 | malloc             | ARC                  |
/// |-----------------------|--------------------------|-----------------------|--------------------|----------------------|
/// | `allocate`            | size-class cell; may GC  | bump pointer          | `malloc`           | class instance       |
/// | `load` / `store`      | through the heap         | plain pointer         | plain pointer      | retain / release     |
/// | `pushRoot` / `popRoots` | shadow stack           | nothing               | nothing            | nothing              |
/// | `dropTree` / `free`   | nothing (unrooted)       | nothing               | `free`, walking    | last reference drops |
/// | `withScope`           | restores the root stack  | frees the scope's chunks | nothing         | nothing              |
///
/// A workload must follow the strictest discipline of them all, so that it is correct on every manager:
/// - every reference it holds across an allocation is rooted (`pushRoot`), for the collector;
/// - it never uses a reference after `dropTree`/`free` of what holds it, for malloc;
/// - no reference allocated inside `withScope` outlives the scope, for the arena;
/// - it holds a reference only as long as it needs it, for ARC.
///
/// Performance: the workloads are generic over `M: MemoryManager` and `@inlinable`; the runner instantiates each
/// pair with concrete types, so every operation is a direct, inlinable call, never an existential or a class
/// method dispatched at run time. What is measured is the memory manager, not the abstraction.
///
/// Failure: operations with a bad argument that is a programming error (a slot index out of range, a payload
/// access out of bounds) stop the program with a precondition message naming the manager and the bounds.
/// Allocation failure is a thrown `AllocationError`, after which the manager stays usable.
public protocol MemoryManager {
    /// A reference to one object. Cheap to copy: a pointer for the unmanaged heaps, a strong class reference
    /// for ARC. Equality is identity.
    associatedtype Ref: Hashable

    /// Short stable name used in tables, JSON and on the command line (`malloc`, `arc`, `gc`, `arena`, ...).
    var name: String { get }

    /// How this manager gives memory back. A workload branches on it, never on `name`, where its lifetimes do
    /// not fit every model (see `Reclamation`). A constant for every manager, so the branch folds away in
    /// specialized code.
    var reclamation: Reclamation { get }

    // MARK: objects

    /// Allocates one object of `shape`: every reference slot nil, every payload byte zero.
    ///
    /// - Throws: `AllocationError.outOfMemory` when a configured limit would be exceeded (a collector first runs
    ///   a full collection), `AllocationError.systemOutOfMemory` when the system refuses memory. The manager
    ///   stays usable after either.
    func allocate(_ shape: ObjectShape) throws(AllocationError) -> Ref

    /// The shape `object` was allocated with.
    func shape(of object: Ref) -> ObjectShape

    /// Reads reference slot `slot` of `object`.
    /// - Precondition: `0 <= slot < shape(of: object).referenceSlots`.
    func load(_ object: Ref, slot: Int) -> Ref?

    /// Writes `value` into reference slot `slot` of `object`. Every reference store in every workload goes
    /// through here, so a collector can add a write barrier.
    /// - Precondition: `0 <= slot < shape(of: object).referenceSlots`.
    func store(_ object: Ref, slot: Int, _ value: Ref?)

    /// Writes `value` into reference slot `slot` of `object` as a *weak* reference, as a Swift programmer
    /// writes `weak var prev: Node?` to break a reference cycle: under reference counting the slot does not keep
    /// `value` alive, and `load` returns nil once `value` has died. For every other model (a tracing collector,
    /// an arena, explicit `free`) reachability does not depend on which references own, so the default
    /// implementation is a plain `store`.
    ///
    /// Only meaningful under `.referenceCounting`; a workload uses it where a Swift user would.
    /// - Precondition: `0 <= slot < shape(of: object).referenceSlots`.
    func storeWeak(_ object: Ref, slot: Int, _ value: Ref?)

    /// Reads a `T` at `byteOffset` of `object`'s payload (unaligned reads are allowed).
    /// - Precondition: `0 <= byteOffset` and `byteOffset + MemoryLayout<T>.size <= payloadBytes`.
    func loadPayload<T: BitwiseCopyable>(_ object: Ref, byteOffset: Int, as type: T.Type) -> T

    /// Writes `value` at `byteOffset` of `object`'s payload.
    /// - Precondition: `0 <= byteOffset` and `byteOffset + MemoryLayout<T>.size <= payloadBytes`.
    func storePayload<T: BitwiseCopyable>(_ object: Ref, byteOffset: Int, _ value: T)

    // MARK: rooting (a shadow stack; free for managers that need none)

    /// The current depth of the root stack; pass it to `popRoots(to:)` to drop every root pushed after it.
    var rootDepth: Int { get }

    /// Pushes `ref` on the root stack, so a collector keeps it (and all it reaches) alive across allocations.
    /// Returns the root's index for `setRoot`. Managers without a collector return `rootDepth` and keep nothing.
    @discardableResult
    func pushRoot(_ ref: Ref?) -> Int

    /// Replaces the root at `index` (returned by `pushRoot` and not yet popped).
    /// - Precondition: `index < rootDepth` (collectors; others ignore it).
    func setRoot(_ index: Int, _ ref: Ref?)

    /// Pops every root pushed after depth `depth`.
    /// - Precondition: `depth <= rootDepth`.
    func popRoots(to depth: Int)

    // MARK: lifetimes

    /// Declares the structure reachable from `root` dead. It must be tree-shaped: every object in it reachable
    /// along exactly one path from `root`, and nothing outside it pointing in. malloc frees it (iteratively,
    /// never recursing, so a 10-million-node list is fine); ARC drops `root` here, so its release cascade runs
    /// inside this call; the collector and the arena do nothing (the collector finds it; the arena frees its
    /// scope). The caller must not use `root` or anything it reached afterwards.
    func dropTree(_ root: consuming Ref)

    /// Declares one object dead, not what it points to (for structures that are not trees: the workload walks
    /// them itself). Same rules as `dropTree`.
    func free(_ object: consuming Ref)

    /// Runs `body` in a new lifetime scope. The arena frees everything allocated inside it when it returns;
    /// the collector pops roots pushed inside it; malloc and ARC do nothing extra. No reference to an object
    /// allocated inside may be used after the scope ends.
    func withScope<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R

    // MARK: threads (ThreadedMemoryManager.swift; defaults for managers with one thread or no handshake)

    /// A cooperative safepoint: a place where this thread's roots are all on its root stack, so a collector
    /// that is stopping the world may stop the thread here. Allocation polls one on its slow path; call this
    /// in long loops that do not allocate. Nothing to do for managers that never stop threads.
    func safepoint()

    /// Runs `body` with this thread declared inactive, so it may block (wait on a lock, a condition, I/O, a
    /// join) without delaying another thread's collection: whippet's `gc_call_without_gc`, Go's syscall
    /// state. Inside `body` the thread must not touch the manager or any of its objects; its roots stay roots.
    /// Managers without a stop-the-world handshake just run `body`.
    func withoutCollector<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R

    // MARK: statistics

    /// The manager's effective settings (after defaults, options and environment), as strings keyed like the
    /// runner's `--set` options, for `RunReport.managerConfiguration`. Empty for managers without settings.
    var settings: [String: String] { get }

    /// What the manager measured about itself so far. Cheap enough to call at iteration boundaries.
    func statistics() -> ManagerStatistics
}

extension MemoryManager {
    public var settings: [String: String] { [:] }

    /// A plain `store`: without reference counting, a weak reference is an ordinary one.
    @inlinable public func storeWeak(_ object: Ref, slot: Int, _ value: Ref?) { store(object, slot: slot, value) }
}

/// Counters a memory manager keeps about itself. Fields a manager can not know are nil.
public struct ManagerStatistics: Codable, Equatable, Sendable {
    /// Objects allocated since the manager was made.
    public var allocations: Int
    /// Bytes the workload asked for (sum of `ObjectShape.bytes`) since the manager was made.
    public var bytesRequested: Int
    /// Bytes the manager has taken from the system for its heap and still holds (nil when it can not tell,
    /// as for malloc and ARC, whose memory shows in resident memory only).
    public var heapBytes: Int?
    /// Bytes live after the last collection, or allocated and not yet freed, where the manager knows.
    public var liveBytes: Int?
    /// Manager-specific counters (collections, mark rate, chunks, bytes wasted at chunk ends, ...), named with
    /// their unit: `cycles`, `markRateBytesPerSecond`, `wastedBytes`.
    public var extra: [String: Double]

    public init(allocations: Int = 0, bytesRequested: Int = 0, heapBytes: Int? = nil, liveBytes: Int? = nil,
                extra: [String: Double] = [:]) {
        self.allocations = allocations
        self.bytesRequested = bytesRequested
        self.heapBytes = heapBytes
        self.liveBytes = liveBytes
        self.extra = extra
    }
}

// MARK: - Shared precondition helpers (the same checks and messages on every manager)

/// Checks that `slot` is a valid reference slot index for an object with `count` slots.
@inlinable @inline(__always)
public func checkSlot(_ slot: Int, count: Int, manager: StaticString) {
    precondition(UInt(bitPattern: slot) < UInt(bitPattern: count),
                 "\(manager): reference slot index out of range (slot \(slot), object has \(count) slots)")
}

/// Checks that `size` bytes at `byteOffset` lie within a payload of `payloadBytes` bytes.
@inlinable @inline(__always)
public func checkPayload(_ byteOffset: Int, size: Int, payloadBytes: Int, manager: StaticString) {
    precondition(byteOffset >= 0 && byteOffset <= payloadBytes &- size,
                 "\(manager): payload access out of range (offset \(byteOffset), \(size) bytes, payload \(payloadBytes) bytes)")
}
