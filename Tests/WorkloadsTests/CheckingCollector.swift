#if canImport(Glibc)
import Glibc
#endif
import HeapLabCore
import SystemHeaps

/// A deliberately unforgiving precise, non-moving mark-sweep collector for tests: the oracle for the
/// workloads' rooting discipline, independent of the real collector being built in MarkSweepGC.
///
/// Before an allocation, once `max(minimumInterval, live objects at the last collection)` objects have been
/// allocated since, it marks everything reachable from the shadow stack and frees everything else, after
/// overwriting it with 0xDB bytes. A workload that keeps a reference it did not root across an allocation
/// then reads poisoned slot counts (a precondition failure) or payload (its own check fails).
/// Swift locals and arrays are not roots, exactly as for a precise collector.
final class CheckingCollector: MemoryManager {
    struct Ref: Hashable { let address: UnsafeMutableRawPointer }

    let name = "checking-collector"
    var reclamation: Reclamation { .tracing }

    let minimumInterval: Int
    var objects: Set<UnsafeMutableRawPointer> = []
    var roots: [UnsafeMutableRawPointer?] = []
    var sinceCollection = 0
    var threshold: Int
    private(set) var collections = 0
    private(set) var objectsFreed = 0

    init(minimumInterval: Int = 256) {
        self.minimumInterval = minimumInterval
        threshold = minimumInterval
    }

    deinit {
        for p in objects { Glibc.free(p) }
    }

    func allocate(_ shape: ObjectShape) throws(AllocationError) -> Ref {
        if sinceCollection >= threshold { collect() }
        let bytes = ObjectLayout.blockBytes(shape)
        guard let p = calloc(1, bytes) else { throw .systemOutOfMemory(requestedBytes: bytes) }
        ObjectLayout.initializeHeader(p, shape)
        objects.insert(p)
        sinceCollection += 1
        return Ref(address: p)
    }

    /// Marks from the roots, poisons and frees the rest.
    func collect() {
        var marked: Set<UnsafeMutableRawPointer> = []
        var work = roots.compactMap { $0 }
        while let p = work.popLast() {
            guard marked.insert(p).inserted else { continue }
            precondition(objects.contains(p), "checking-collector: a root or slot points to a freed or foreign block")
            for i in 0..<ObjectLayout.slotCount(p) {
                if let child = ObjectLayout.rawSlot(p, i) { work.append(child) }
            }
        }
        for p in objects where !marked.contains(p) {
            memset(p, 0xDB, ObjectLayout.blockBytes(p))
            Glibc.free(p)
            objectsFreed += 1
        }
        objects = marked
        collections += 1
        sinceCollection = 0
        threshold = max(minimumInterval, marked.count)
    }

    func shape(of object: Ref) -> ObjectShape { ObjectLayout.shape(object.address) }
    func load(_ object: Ref, slot: Int) -> Ref? {
        ObjectLayout.load(object.address, slot: slot, manager: "checking-collector").map(Ref.init)
    }
    func store(_ object: Ref, slot: Int, _ value: Ref?) {
        ObjectLayout.store(object.address, slot: slot, value?.address, manager: "checking-collector")
    }
    func loadPayload<T: BitwiseCopyable>(_ object: Ref, byteOffset: Int, as type: T.Type) -> T {
        ObjectLayout.loadPayload(object.address, byteOffset: byteOffset, as: T.self, manager: "checking-collector")
    }
    func storePayload<T: BitwiseCopyable>(_ object: Ref, byteOffset: Int, _ value: T) {
        ObjectLayout.storePayload(object.address, byteOffset: byteOffset, value, manager: "checking-collector")
    }

    var rootDepth: Int { roots.count }
    @discardableResult func pushRoot(_ ref: Ref?) -> Int { roots.append(ref?.address); return roots.count - 1 }
    func setRoot(_ index: Int, _ ref: Ref?) {
        precondition(index < roots.count, "checking-collector: root \(index) out of range")
        roots[index] = ref?.address
    }
    func popRoots(to depth: Int) {
        precondition(depth <= roots.count, "checking-collector: popRoots(to: \(depth)) above depth \(roots.count)")
        roots.removeSubrange(depth...)
    }

    func dropTree(_ root: consuming Ref) {}
    func free(_ object: consuming Ref) {}

    func withScope<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        let mark = roots.count
        defer { popRoots(to: mark) }
        return try body()
    }

    func statistics() -> ManagerStatistics {
        ManagerStatistics(extra: ["collections": Double(collections), "objectsFreed": Double(objectsFreed)])
    }
}
