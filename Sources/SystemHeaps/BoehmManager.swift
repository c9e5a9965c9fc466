#if canImport(Glibc)
import Glibc
#endif
import HeapLabCore

/// The Boehm-Demers-Weiser conservative garbage collector (libgc 8.2), loaded with dlopen from libgc.so.1:
/// an existing collector to hold HeapLab's own against.
///
/// Objects are blocks of slots then payload, as `ObjectLayout`'s are, but the shape travels in the *low* four bits
/// of a `BoehmRef`: an index into this manager's table of up to 15 shapes. Boehm finds pointers by scanning
/// memory conservatively, and it recognizes `address + 1 ... address + 15` as pointers into the object (Debian's
/// libgc is built with all interior pointers recognized, checked at start), so a slot holding a tagged reference
/// keeps its object alive; a tag in the high bits would not. No header, then: with an 8-byte header, GCBench's
/// 24-byte node asked Boehm for 32 bytes, which Boehm rounds up to 48 (it adds one byte so that a pointer just
/// past an object does not retain the next one), against the 32 a C program's node takes. Shapes beyond the 15th,
/// the empty shape, and every shape when interior pointers are off, get an 8-byte header (index 0). Objects
/// with reference slots come from
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
/// Threads: Boehm is process-wide, and it stops and scans only the threads it knows. The thread that first loads
/// it is registered with the collector. A manager is one thread's context: it is used only by the thread that
/// made it, which must be registered (checked on its rare paths: a precondition failure names the operation). For several threads, the first manager's thread calls
/// `allowThreadRegistration()`, then each other thread registers itself (`BoehmThreadRegistration`), makes a
/// manager of its own with `init(pauseLog: nil)`, drops it, and unregisters (Docs/Threads.md). The newest manager
/// made with a pause log receives the events of every collection, whichever thread started it: make and drop
/// managers with a log while no other thread is registered, and read the log once they have unregistered.
public final class BoehmManager: MemoryManager {
    public typealias Ref = BoehmRef

    /// The Debian package that installs libgc.so.1.
    public static let package = "libgc1"

    public let name = "boehm"
    @inlinable public var reclamation: Reclamation { .tracing }

    @usableFromInline let gc: BoehmLibrary
    /// The shadow stack, in a `GC_malloc_uncollectable` block of `rootCapacity` words (scanned by Boehm).
    @exclusivity(unchecked) @usableFromInline var roots: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    @exclusivity(unchecked) @usableFromInline var rootCapacity: Int
    /// Shapes by index (1...15), each `slots | payloadBytes << 32`; entry 0 is unused (headed objects).
    @usableFromInline let shapeTable: UnsafeMutablePointer<UInt64>
    /// Entries of `shapeTable` in use, after entry 0.
    @exclusivity(unchecked) @usableFromInline var shapeCount = 0
    /// The last shape looked up and its index: the fast path of `shapeIndex`, one compare for the constant node
    /// shape of a workload.
    @exclusivity(unchecked) @usableFromInline var lastShape: UInt64 = .max
    @exclusivity(unchecked) @usableFromInline var lastIndex: UInt = 0
    /// Whether Boehm recognizes interior pointers, so low-bit tags are safe; otherwise every object is headed.
    @usableFromInline let tagsShapes: Bool
    @exclusivity(unchecked) @usableFromInline var depth = 0
    @exclusivity(unchecked) @usableFromInline var allocations = 0
    @exclusivity(unchecked) @usableFromInline var bytesRequested = 0
    /// Receives Boehm's collection events into the pause log; nil for a manager made without one.
    let recorder: BoehmEventRecorder?
    /// The thread that made the manager: the only one that may use it, and the only one on which a collection
    /// may clear its popped roots (`clearPoppedRoots`).
    let ownerThread: ThreadIdentity
    /// Set by `retire()`: the root stack went back to Boehm and the manager must not be used again.
    var retired = false

    /// Makes a manager for the calling thread, whose collections are logged into `pauseLog`.
    ///
    /// - Parameter pauseLog: receives one `PauseEvent` per Boehm collection, started by any thread, from now
    ///   until a newer manager with a log is made; nil for a manager of a further thread, which logs nothing.
    /// - Throws: `ComparatorUnavailable` when libgc.so.1 is missing, or when this thread is not registered with
    ///   the collector (Boehm was first loaded on another thread, and this one did not register with
    ///   `BoehmThreadRegistration`).
    public convenience init(pauseLog: PauseLog?) throws(ComparatorUnavailable) {
        try self.init(pauseLog: pauseLog, tagsShapes: true)
    }

    /// Makes a manager for the calling thread, as `init(pauseLog:)`; with `tagsShapes` false every object
    /// carries its shape in an 8-byte header instead of a tag indexing this manager's own shape table. The
    /// contexts of a `ThreadedBoehmManager` are made so: a reference handed to another thread's context is
    /// then read with its own shape (a tag would index the other context's table, which holds other shapes).
    init(pauseLog: PauseLog?, tagsShapes: Bool) throws(ComparatorUnavailable) {
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
        shapeTable = .allocate(capacity: 16)
        shapeTable.initialize(repeating: .max, count: 16)
        self.tagsShapes = tagsShapes && gc.allInteriorPointers() != 0
        ownerThread = .current
        guard let pauseLog else {
            recorder = nil
            return
        }
        let recorder = BoehmEventRecorder(pauseLog: pauseLog, gc: gc)
        self.recorder = recorder
        // Unowned: the manager owns the recorder. Only the newest manager's recorder receives Boehm's events,
        // so an older manager still alive beside it keeps its popped entries until it is the newest again (a
        // possible false retention, never a lost root: entries below the depth are never cleared).
        recorder.beforeCollection = { [unowned self] in self.clearPoppedRoots() }
        BoehmEventRecorder.current = recorder
        gc.setOnCollectionEvent(boehmCollectionEvent)
    }

    deinit {
        if let recorder, BoehmEventRecorder.current === recorder { BoehmEventRecorder.current = nil }
        // A retired manager's root stack was freed on its thread while it was registered; a deinit may run on
        // any thread, which Boehm may no longer know.
        if !retired { gc.free(UnsafeMutableRawPointer(roots)) }
        shapeTable.deallocate()
    }

    /// Whether Boehm GC can be used in this process, and if not, what to do.
    public static func availability() -> ComparatorAvailability {
        switch BoehmLibrary.loaded {
        case .success: return .available
        case let .failure(error): return error.availability(package: package)
        }
    }

    /// The table index of `shape` (1...15), or 0 when it gets a header: the empty shape, a shape beyond the
    /// table's 15, or every shape when tags are off.
    @inlinable @inline(__always)
    func shapeIndex(_ shape: ObjectShape) -> UInt {
        let key = UInt64(truncatingIfNeeded: shape.referenceSlots) | UInt64(truncatingIfNeeded: shape.payloadBytes) << 32
        if _fastPath(key == lastShape) { return lastIndex }
        return lookUpShape(key, empty: shape.bytes == 0)
    }

    /// `shapeIndex`'s slow path: the table searched, the shape added when there is room.
    @usableFromInline @inline(never)
    func lookUpShape(_ key: UInt64, empty: Bool) -> UInt {
        checkOwnerThread("allocate")
        var index: UInt = 0
        if tagsShapes && !empty {
            if let found = (0..<shapeCount).first(where: { shapeTable[$0 + 1] == key }) {
                index = UInt(found + 1)
            } else if shapeCount < 15 {
                shapeCount += 1
                shapeTable[shapeCount] = key
                index = UInt(shapeCount)
            }
        }
        lastShape = key
        lastIndex = index
        return index
    }

    @inlinable @inline(__always)
    public func allocate(_ shape: ObjectShape) throws(AllocationError) -> BoehmRef {
        // The common case inline: a shape in the table, with slots, and Boehm's allocation succeeding. Everything
        // else is out of line, which keeps this small enough that the optimizer inlines it into every specialized
        // workload (with the rare paths inline, GCBench's populate called it through its protocol witness).
        let index = shapeIndex(shape)
        guard index != 0, shape.referenceSlots != 0, let p = gc.malloc(shape.bytes) else {
            return try allocateUncommon(shape, index: index)
        }
        return made(p, shape, index: index)
    }

    /// `allocate` for a headed shape, a pointer-free shape, or when Boehm returned nothing (then tried again
    /// once, so a failure is Boehm's answer for this request and not an artefact of the fast path).
    @usableFromInline @inline(never)
    func allocateUncommon(_ shape: ObjectShape, index: UInt) throws(AllocationError) -> BoehmRef {
        let bytes = index != 0 ? shape.bytes : ObjectLayout.blockBytes(shape)
        let block: UnsafeMutableRawPointer?
        if shape.referenceSlots == 0 {
            // Pointer-free: Boehm never scans it. GC_malloc_atomic does not clear, the contract wants zeros.
            block = gc.mallocAtomic(bytes)
            if let block { memset(block, 0, bytes) }
        } else {
            block = gc.malloc(bytes)  // cleared by Boehm
        }
        guard let p = block else { throw .systemOutOfMemory(requestedBytes: bytes) }
        if index == 0 { ObjectLayout.initializeHeader(p, shape) }
        return made(p, shape, index: index)
    }

    /// Counts a new object at `p` and makes its reference.
    @inlinable @inline(__always)
    func made(_ p: UnsafeMutableRawPointer, _ shape: ObjectShape, index: UInt) -> BoehmRef {
        allocations &+= 1
        bytesRequested &+= shape.bytes
        // Invariant: Boehm's objects are 16-byte aligned (its granule), so the low four bits are free for the index.
        assert(Int(bitPattern: p) & 15 == 0, "boehm: GC_malloc returned \(p), not 16-byte aligned")
        return BoehmRef(bits: UInt(bitPattern: p) | index)
    }

    /// Slots, payload bytes and where the slots start, from the shape table or the object's header.
    @inlinable @inline(__always)
    func counts(_ object: BoehmRef) -> (slots: Int, payloadBytes: Int, base: UnsafeMutableRawPointer) {
        let index = Int(object.bits & 15), p = object.address
        if index != 0 {
            // Invariant: index <= shapeCount, an entry this manager filled when it made the object.
            let key = shapeTable[index]
            return (Int(truncatingIfNeeded: key & 0xFFFF_FFFF), Int(truncatingIfNeeded: key >> 32), p)
        }
        return (ObjectLayout.slotCount(p), ObjectLayout.payloadBytes(p), p + ObjectLayout.headerBytes)
    }

    @inlinable @inline(__always)
    public func shape(of object: BoehmRef) -> ObjectShape {
        let c = counts(object)
        return ObjectShape(referenceSlots: c.slots, payloadBytes: c.payloadBytes)
    }

    @inlinable @inline(__always)
    public func load(_ object: BoehmRef, slot: Int) -> BoehmRef? {
        let c = counts(object)
        checkSlot(slot, count: c.slots, manager: "boehm")
        // Invariant: slot < count, so the word at base + 8*slot lies inside the object.
        let bits = c.base.load(fromByteOffset: slot &* 8, as: UInt.self)
        return bits == 0 ? nil : BoehmRef(bits: bits)
    }

    @inlinable @inline(__always)
    public func store(_ object: BoehmRef, slot: Int, _ value: BoehmRef?) {
        let c = counts(object)
        checkSlot(slot, count: c.slots, manager: "boehm")
        // Invariant: slot < count. A tagged reference stored here is an interior pointer Boehm recognizes.
        c.base.storeBytes(of: value?.bits ?? 0, toByteOffset: slot &* 8, as: UInt.self)
    }

    @inlinable @inline(__always)
    public func loadPayload<T: BitwiseCopyable>(_ object: BoehmRef, byteOffset: Int, as type: T.Type) -> T {
        let c = counts(object)
        checkPayload(byteOffset, size: MemoryLayout<T>.size, payloadBytes: c.payloadBytes, manager: "boehm")
        // Invariant: byteOffset + size <= payloadBytes, so the read stays inside the object.
        return UnsafeRawPointer(c.base).loadUnaligned(fromByteOffset: c.slots &* 8 &+ byteOffset, as: T.self)
    }

    @inlinable @inline(__always)
    public func storePayload<T: BitwiseCopyable>(_ object: BoehmRef, byteOffset: Int, _ value: T) {
        let c = counts(object)
        checkPayload(byteOffset, size: MemoryLayout<T>.size, payloadBytes: c.payloadBytes, manager: "boehm")
        // Invariant: byteOffset + size <= payloadBytes, so the write stays inside the object.
        c.base.storeBytes(of: value, toByteOffset: c.slots &* 8 &+ byteOffset, as: T.self)
    }

    @inlinable public var rootDepth: Int { depth }

    @inlinable @inline(__always) @discardableResult
    public func pushRoot(_ ref: BoehmRef?) -> Int {
        if _slowPath(depth == rootCapacity) { growRoots() }
        // Invariant: depth < rootCapacity.
        roots[depth] = ref?.address
        depth &+= 1
        return depth &- 1
    }

    @inlinable
    public func setRoot(_ index: Int, _ ref: BoehmRef?) {
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
    ///
    /// Only on the manager's own thread: Boehm announces a collection before it stops the other threads, so
    /// when another thread collects, this one may be inside `pushRoot` (entry written, depth not yet raised),
    /// and clearing above the depth it reads could erase a live root. Skipping leaves popped entries for that
    /// collection: a possible false retention, never a lost root.
    func clearPoppedRoots() {
        guard ownerThread.isCurrent else { return }
        // Invariant: depth <= rootCapacity; the block holds rootCapacity words; this is the thread that
        // writes them, so none is being pushed.
        (roots + depth).update(repeating: nil, count: rootCapacity &- depth)
    }

    /// Doubles the root stack, in a new uncollectable block.
    @usableFromInline
    func growRoots() {
        checkOwnerThread("pushRoot")
        precondition(!retired, "boehm: pushRoot on a context after its detach (it must not be used again)")
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
    @inlinable public func dropTree(_ root: consuming BoehmRef) { _ = consume root }

    /// Nothing: the collector finds the object once it is unreachable.
    @inlinable public func free(_ object: consuming BoehmRef) { _ = consume object }

    /// Runs `body`; pops every root it pushed, even when it throws.
    @inlinable
    public func withScope<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        let mark = depth
        defer { popRoots(to: mark) }
        return try body()
    }

    /// Nothing to do: Boehm stops threads with signals wherever they are. Checks that the manager is used on its
    /// own thread, as its other rare paths do.
    public func safepoint() { checkOwnerThread("safepoint()") }

    /// Forces a full collection (logged like any other).
    /// - Precondition: called on the thread that made the manager.
    public func collect() {
        checkOwnerThread("collect()")
        gc.gcollect()
    }

    /// Stops with a precondition message when the calling thread is not the one that made the manager. Checked
    /// on the manager's rare paths only (a new shape, root-stack growth, `collect`, `allowThreadRegistration`):
    /// the fast paths stay free of it, so a misuse is caught at the first of those, not at every operation.
    @usableFromInline @inline(never)
    func checkOwnerThread(_ operation: StaticString) {
        precondition(ownerThread.isCurrent,
                     "boehm: \(operation) called on another thread than the one that made this manager (called on \(ThreadIdentity.current.label), made on \(ownerThread.label); each thread makes its own, after BoehmThreadRegistration)")
    }

    /// Gives the root stack back to Boehm now, on this manager's thread while it is still registered
    /// (`ThreadedBoehmManager.detach`, just before it unregisters the thread): freed later, from the deinit, it
    /// would go through Boehm from whichever thread releases the manager, which Boehm may no longer know. The
    /// manager must not be used afterwards (a push then stops with a precondition failure).
    ///
    /// - Precondition: called on the thread that made the manager, with its roots popped to depth 0.
    func retire() {
        checkOwnerThread("detach")
        precondition(depth == 0, "boehm: detach with \(depth) roots still pushed")
        guard !retired else { return }
        // Invariant: `roots` is the uncollectable block of rootCapacity words made for this manager; from
        // here on rootCapacity is 0, so no push or setRoot reaches it.
        gc.free(UnsafeMutableRawPointer(roots))
        rootCapacity = 0
        retired = true
    }

    /// Lets other threads register with Boehm (`BoehmThreadRegistration`), through `GC_allow_register_threads`.
    /// Call it on this manager's thread before starting them; later calls do nothing.
    ///
    /// Not done for single-threaded runs: from here on Boehm takes its allocation lock and may start its
    /// parallel marker threads, which changes what a single-threaded run measures.
    ///
    /// - Throws: `BoehmThreadError.unsupported` when this libgc lacks the thread-registration functions.
    /// - Precondition: called on the thread that made the manager (a thread Boehm knows).
    public func allowThreadRegistration() throws(BoehmThreadError) {
        checkOwnerThread("allowThreadRegistration()")
        guard let threads = gc.threads else { throw .unsupported(gc.threadsMissing) }
        BoehmThreadFunctions.allowRegistration(threads)
    }

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
    /// `GC_get_all_interior_pointers`: nonzero when a pointer into an object's interior keeps it alive.
    let allInteriorPointers: Int0
    /// Thread registration, or nil when this libgc was built without it (`threadsMissing` says what lacked).
    let threads: BoehmThreadFunctions?
    let threadsMissing: String

    static let loaded: Result<BoehmLibrary, ComparatorUnavailable> = Result { () throws(ComparatorUnavailable) in
        let lib = try DynamicLibrary.open("libgc.so.1")
        // Thread registration is optional: a libgc built without threads still serves single-threaded runs.
        let threads: BoehmThreadFunctions?
        let threadsMissing: String
        do throws(ComparatorUnavailable) {
            threads = try BoehmThreadFunctions(lib)
            threadsMissing = ""
        } catch {
            threads = nil
            threadsMissing = error.dlerror
        }
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
            initialize: try lib.function("GC_init", as: Void0.self),
            allInteriorPointers: try lib.function("GC_get_all_interior_pointers", as: Int0.self),
            threads: threads, threadsMissing: threadsMissing)
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
/// `PauseEvent` per collection. Called by Boehm with its allocation lock held, on the collecting thread: the
/// thread that allocated, or with several registered threads any of them; the lock serializes the calls, so
/// the recorder's fields need no lock of their own.
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

/// A reference to an object of a `BoehmManager`: its address, with the object's shape index (1...15, or 0 for an
/// object with a header) in the low four bits. Boehm sees it as a pointer into the object. Equality is identity.
@frozen
public struct BoehmRef: Hashable {
    /// The address, and the shape index in the low four bits.
    public let bits: UInt
    @inlinable @inline(__always) public init(bits: UInt) { self.bits = bits }
    /// The start of the object.
    @inlinable @inline(__always) public var address: UnsafeMutableRawPointer {
        // Invariant: bits were made from a nonzero 16-aligned address plus an index below 16.
        UnsafeMutableRawPointer(bitPattern: bits & ~15)!
    }
}
