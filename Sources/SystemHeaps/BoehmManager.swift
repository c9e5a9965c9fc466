#if canImport(Glibc)
import Glibc
#endif
import HeapLabCore

/// The Boehm-Demers-Weiser conservative garbage collector (libgc 8.2), loaded with dlopen from libgc.so.1:
/// an existing collector to hold HeapLab's own against.
///
/// Objects use `ObjectLayout` in its headed form only: Boehm finds pointers by scanning memory conservatively, and
/// a tagged reference (shape bits above the address) would not look like a pointer into its heap, so slots
/// hold plain addresses and the shape lives in an 8-byte header. Objects with reference slots come from
/// `GC_malloc` (scanned, cleared), slot-less buffers from `GC_malloc_atomic` (never scanned, so payload bytes
/// can not pin anything; cleared here, as the contract promises). `dropTree` and `free` do nothing: the
/// collector finds garbage itself, as a Boehm user would rely on.
///
/// Roots: Boehm scans thread stacks, registers and static data conservatively, but not glibc's heap, where
/// Swift arrays live. The shadow stack (`pushRoot`) is therefore kept in memory Boehm scans: a block from
/// `GC_malloc_uncollectable`. Popped entries are cleared so that a stale address does not retain garbage.
/// Workloads keep every reference held across an allocation in that stack or in a local variable.
///
/// Pauses: every collection is logged as a `PauseEvent` (kind `.collection`) with its mark, reclaim and
/// stop-the-world phases, from Boehm's collection-event callback (`GC_set_on_collection_event`). Boehm sweeps
/// lazily: most reclaiming happens later inside allocations, outside the logged pause, as in Boehm itself.
///
/// Threads: Boehm is process-wide. The thread that first loads it is registered with the collector and must be
/// the one that uses every `BoehmManager` (the runner's main thread). The newest manager receives the events.
public final class BoehmManager: MemoryManager {
    public typealias Ref = ObjectRef

    /// The Debian package that installs libgc.so.1.
    public static let package = "libgc1"

    public let name = "boehm"
    @inlinable public var reclamation: Reclamation { .tracing }

    @usableFromInline let gc: BoehmLibrary
    /// The shadow stack, in a `GC_malloc_uncollectable` block of `rootCapacity` words (scanned by Boehm).
    @exclusivity(unchecked) @usableFromInline var roots: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    @exclusivity(unchecked) @usableFromInline var rootCapacity: Int
    @exclusivity(unchecked) @usableFromInline var depth = 0
    @exclusivity(unchecked) @usableFromInline var allocations = 0
    @exclusivity(unchecked) @usableFromInline var bytesRequested = 0
    let recorder: BoehmEventRecorder

    /// Makes a manager whose collections are logged into `pauseLog`.
    /// - Throws: `ComparatorUnavailable` when libgc.so.1 is missing, or when this thread is not registered with
    ///   the collector (Boehm was first loaded on another thread).
    public init(pauseLog: PauseLog) throws(ComparatorUnavailable) {
        gc = try BoehmLibrary.load()
        guard gc.threadIsRegistered() != 0 else {
            throw ComparatorUnavailable(soname: "libgc.so.1", dlerror: "this thread is not registered with Boehm GC; use it from the thread that first loaded it")
        }
        rootCapacity = 1024
        guard let block = gc.mallocUncollectable(rootCapacity * 8) else {
            throw ComparatorUnavailable(soname: "libgc.so.1", dlerror: "GC_malloc_uncollectable refused the root stack")
        }
        // Invariant: the block holds rootCapacity words, cleared by Boehm.
        roots = block.bindMemory(to: UnsafeMutableRawPointer?.self, capacity: rootCapacity)
        recorder = BoehmEventRecorder(pauseLog: pauseLog, gc: gc)
        // Unowned: the manager owns the recorder. Only the newest manager's recorder receives Boehm's events,
        // so an older manager still alive beside it keeps its popped entries until it is the newest again (a
        // possible false retention, never a lost root: entries below the depth are never cleared).
        recorder.beforeCollection = { [unowned self] in self.clearPoppedRoots() }
        BoehmEventRecorder.current = recorder
        gc.setOnCollectionEvent(boehmCollectionEvent)
    }

    deinit {
        if BoehmEventRecorder.current === recorder { BoehmEventRecorder.current = nil }
        gc.free(UnsafeMutableRawPointer(roots))
    }

    /// Whether Boehm GC can be used in this process, and if not, what to do.
    public static func availability() -> ComparatorAvailability {
        switch BoehmLibrary.loaded {
        case .success: return .available
        case let .failure(error): return error.availability(package: package)
        }
    }

    @inlinable @inline(__always)
    public func allocate(_ shape: ObjectShape) throws(AllocationError) -> ObjectRef {
        let bytes = ObjectLayout.blockBytes(shape)
        let block: UnsafeMutableRawPointer?
        if shape.referenceSlots == 0 {
            // Pointer-free: Boehm never scans it. GC_malloc_atomic does not clear, the contract wants zeros.
            block = gc.mallocAtomic(bytes)
            if let block { memset(block, 0, bytes) }
        } else {
            block = gc.malloc(bytes)  // cleared by Boehm
        }
        guard let p = block else { throw .systemOutOfMemory(requestedBytes: bytes) }
        ObjectLayout.initializeHeader(p, shape)
        allocations &+= 1
        bytesRequested &+= shape.bytes
        return ObjectRef(p)
    }

    @inlinable @inline(__always)
    public func shape(of object: ObjectRef) -> ObjectShape { object.shape }

    @inlinable @inline(__always)
    public func load(_ object: ObjectRef, slot: Int) -> ObjectRef? {
        ObjectLayout.load(object, slot: slot, manager: "boehm")
    }

    @inlinable @inline(__always)
    public func store(_ object: ObjectRef, slot: Int, _ value: ObjectRef?) {
        ObjectLayout.store(object, slot: slot, value, manager: "boehm")
    }

    @inlinable @inline(__always)
    public func loadPayload<T: BitwiseCopyable>(_ object: ObjectRef, byteOffset: Int, as type: T.Type) -> T {
        ObjectLayout.loadPayload(object, byteOffset: byteOffset, as: T.self, manager: "boehm")
    }

    @inlinable @inline(__always)
    public func storePayload<T: BitwiseCopyable>(_ object: ObjectRef, byteOffset: Int, _ value: T) {
        ObjectLayout.storePayload(object, byteOffset: byteOffset, value, manager: "boehm")
    }

    @inlinable public var rootDepth: Int { depth }

    @inlinable @inline(__always) @discardableResult
    public func pushRoot(_ ref: ObjectRef?) -> Int {
        if _slowPath(depth == rootCapacity) { growRoots() }
        // Invariant: depth < rootCapacity.
        roots[depth] = ref?.address
        depth &+= 1
        return depth &- 1
    }

    @inlinable
    public func setRoot(_ index: Int, _ ref: ObjectRef?) {
        precondition(UInt(bitPattern: index) < UInt(bitPattern: depth), "boehm: root index \(index) out of range (depth \(depth))")
        roots[index] = ref?.address
    }

    /// Pops to `newDepth`. The popped entries are not cleared here (a `memset` per pop, in every tree node a
    /// workload builds bottom-up, measured as the largest cost Boehm's C programs do not pay): they are cleared
    /// at the start of the next collection (`clearPoppedRoots`), before Boehm scans the block, so they never keep
    /// a popped object alive.
    @inlinable
    public func popRoots(to newDepth: Int) {
        precondition(newDepth >= 0 && newDepth <= depth, "boehm: popRoots(to: \(newDepth)) with depth \(depth)")
        depth = newDepth
    }

    /// Clears every root-stack entry above the depth, so that Boehm's conservative scan of the block finds only
    /// live roots. Runs inside Boehm's collection-start event (`BoehmEventRecorder.beforeCollection`).
    func clearPoppedRoots() {
        // Invariant: depth <= rootCapacity; the block holds rootCapacity words.
        (roots + depth).update(repeating: nil, count: rootCapacity &- depth)
    }

    /// Doubles the root stack, in a new uncollectable block.
    @usableFromInline
    func growRoots() {
        let newCapacity = rootCapacity * 2
        guard let block = gc.mallocUncollectable(newCapacity * 8) else {
            fatalError("boehm: GC_malloc_uncollectable refused \(newCapacity * 8) bytes for the root stack")
        }
        let newRoots = block.bindMemory(to: UnsafeMutableRawPointer?.self, capacity: newCapacity)
        newRoots.update(from: roots, count: depth)
        gc.free(UnsafeMutableRawPointer(roots))
        roots = newRoots
        rootCapacity = newCapacity
    }

    /// Nothing: the collector finds the structure once it is unreachable.
    @inlinable public func dropTree(_ root: consuming ObjectRef) { _ = consume root }

    /// Nothing: the collector finds the object once it is unreachable.
    @inlinable public func free(_ object: consuming ObjectRef) { _ = consume object }

    /// Runs `body`; pops every root it pushed, even when it throws.
    @inlinable
    public func withScope<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        let mark = depth
        defer { popRoots(to: mark) }
        return try body()
    }

    /// Forces a full collection (logged like any other).
    public func collect() { gc.gcollect() }

    /// `heapBytes` is Boehm's heap size; `liveBytes` heap size minus free bytes (it includes garbage not yet
    /// swept); `extra` has `collections` and `totalBytesAllocated`.
    public func statistics() -> ManagerStatistics {
        let heap = gc.getHeapSize()
        return ManagerStatistics(allocations: allocations, bytesRequested: bytesRequested, heapBytes: heap,
                                 liveBytes: heap - gc.getFreeBytes(),
                                 extra: ["collections": Double(gc.getGCNumber()), "totalBytesAllocated": Double(gc.getTotalBytes())])
    }
}

/// libgc's entry points, loaded once per process (`loaded`); the collector is initialized by the first manager.
@usableFromInline
struct BoehmLibrary: @unchecked Sendable {
    @usableFromInline typealias Alloc = @convention(c) (Int) -> UnsafeMutableRawPointer?
    typealias Void0 = @convention(c) () -> Void
    typealias Size0 = @convention(c) () -> Int
    typealias Int0 = @convention(c) () -> Int32
    typealias Free = @convention(c) (UnsafeMutableRawPointer?) -> Void
    typealias EventProc = @convention(c) (UInt32) -> Void
    typealias SetEvent = @convention(c) (EventProc?) -> Void

    @usableFromInline let malloc: Alloc
    @usableFromInline let mallocAtomic: Alloc
    let mallocUncollectable: Alloc
    let free: Free
    let gcollect: Void0
    let getHeapSize: Size0
    let getFreeBytes: Size0
    let getTotalBytes: Size0
    let getGCNumber: Size0
    let threadIsRegistered: Int0
    let setOnCollectionEvent: SetEvent
    let initialize: Void0

    static let loaded: Result<BoehmLibrary, ComparatorUnavailable> = Result { () throws(ComparatorUnavailable) in
        let lib = try DynamicLibrary.open("libgc.so.1")
        let library = BoehmLibrary(
            malloc: try lib.function("GC_malloc", as: Alloc.self),
            mallocAtomic: try lib.function("GC_malloc_atomic", as: Alloc.self),
            mallocUncollectable: try lib.function("GC_malloc_uncollectable", as: Alloc.self),
            free: try lib.function("GC_free", as: Free.self),
            gcollect: try lib.function("GC_gcollect", as: Void0.self),
            getHeapSize: try lib.function("GC_get_heap_size", as: Size0.self),
            getFreeBytes: try lib.function("GC_get_free_bytes", as: Size0.self),
            getTotalBytes: try lib.function("GC_get_total_bytes", as: Size0.self),
            getGCNumber: try lib.function("GC_get_gc_no", as: Size0.self),
            threadIsRegistered: try lib.function("GC_thread_is_registered", as: Int0.self),
            setOnCollectionEvent: try lib.function("GC_set_on_collection_event", as: SetEvent.self),
            initialize: try lib.function("GC_init", as: Void0.self))
        return library
    }

    /// The library with the collector initialized: `GC_init` runs once, on the first manager's thread (which
    /// Boehm then registers as its main thread), not when availability is only checked.
    static let initialized: Result<BoehmLibrary, ComparatorUnavailable> = loaded.map { library in
        library.initialize()
        return library
    }

    static func load() throws(ComparatorUnavailable) -> BoehmLibrary { try initialized.get() }
}

/// Turns Boehm's collection events (GC_EventType in gc.h: 0 START, 1 MARK_START, 2 MARK_END, 3 RECLAIM_START,
/// 4 RECLAIM_END, 5 END, 6 PRE_STOP_WORLD, 7 POST_STOP_WORLD, 8 PRE_START_WORLD, 9 POST_START_WORLD) into one
/// `PauseEvent` per collection. Called by Boehm with its lock held on the collecting thread, which for a
/// single mutator is the thread that allocated.
final class BoehmEventRecorder {
    /// The recorder of the newest manager; Boehm's callback has no context argument.
    nonisolated(unsafe) static var current: BoehmEventRecorder?

    let pauseLog: PauseLog
    let gc: BoehmLibrary
    var start: UInt64 = 0
    var heapBefore = 0
    var phaseStart: UInt64 = 0
    var phases: [PhaseTime] = []
    /// Called at the start of every collection, before Boehm marks (with its allocation lock held: it must not
    /// allocate from Boehm). The manager clears its popped roots there.
    var beforeCollection: (() -> Void)?

    init(pauseLog: PauseLog, gc: BoehmLibrary) {
        self.pauseLog = pauseLog
        self.gc = gc
        phases.reserveCapacity(8)
    }

    func event(_ type: UInt32) {
        let now = MonotonicClock.now()
        switch type {
        case 0:
            beforeCollection?()
            start = now
            heapBefore = gc.getHeapSize() - gc.getFreeBytes()
            phases.removeAll(keepingCapacity: true)
        case 1, 3, 6: phaseStart = now
        case 2: phases.append(PhaseTime("mark", nanoseconds: now &- phaseStart))
        case 4: phases.append(PhaseTime("reclaim", nanoseconds: now &- phaseStart))
        case 7: phases.append(PhaseTime("stop world", nanoseconds: now &- phaseStart))
        case 5:
            guard start != 0 else { return }
            pauseLog.record(PauseEvent(kind: .collection, cycle: gc.getGCNumber(), startNanoseconds: start,
                                       durationNanoseconds: now &- start, phases: phases, heapBytesBefore: heapBefore,
                                       heapBytesAfter: gc.getHeapSize() - gc.getFreeBytes(), label: "boehm"))
            start = 0
        default: break
        }
    }
}

/// Boehm's collection-event callback (a C function: no captures).
private func boehmCollectionEvent(_ type: UInt32) {
    BoehmEventRecorder.current?.event(type)
}

/// Boehm GC's collections logged as pauses into a `PauseLog` while this value lives, for programs that allocate
/// from Boehm without a `BoehmManager` (the native reference program `c-boehm`): the same events, from the same
/// callback, as `BoehmManager` logs.
public final class BoehmCollectionLog {
    let recorder: BoehmEventRecorder

    /// Starts logging into `pauseLog`; the newest log (or manager) receives the events.
    /// - Throws: `ComparatorUnavailable` when libgc.so.1 is missing or this thread is not registered with Boehm.
    public init(pauseLog: PauseLog) throws(ComparatorUnavailable) {
        let gc = try BoehmLibrary.load()
        guard gc.threadIsRegistered() != 0 else {
            throw ComparatorUnavailable(soname: "libgc.so.1", dlerror: "this thread is not registered with Boehm GC; use it from the thread that first loaded it")
        }
        recorder = BoehmEventRecorder(pauseLog: pauseLog, gc: gc)
        BoehmEventRecorder.current = recorder
        gc.setOnCollectionEvent(boehmCollectionEvent)
    }

    deinit {
        if BoehmEventRecorder.current === recorder { BoehmEventRecorder.current = nil }
    }
}
