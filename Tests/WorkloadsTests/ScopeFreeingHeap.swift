#if canImport(Glibc)
import Glibc
#endif
import HeapLabCore
import SystemHeaps

/// A stand-in for the arena in tests: memory comes back only when the scope it was allocated in ends
/// (`Reclamation.region`), and it is overwritten with 0xDB bytes before it is freed, so a workload that
/// uses a reference after its scope ended fails its own check (or a precondition) instead of reading stale
/// but intact data. `free` and `dropTree` do nothing, as in the arena.
final class ScopeFreeingHeap: MemoryManager {
    struct Ref: Hashable { let address: UnsafeMutableRawPointer }

    let name = "scope-freeing"
    var reclamation: Reclamation { .region }

    /// Blocks allocated in each open scope; the first entry is outside every scope (freed at deinit).
    var scopes: [[UnsafeMutableRawPointer]] = [[]]
    private(set) var liveBytes = 0
    private(set) var scopesEnded = 0

    deinit {
        for scope in scopes { for p in scope { Glibc.free(p) } }
    }

    func allocate(_ shape: ObjectShape) throws(AllocationError) -> Ref {
        let bytes = ObjectLayout.blockBytes(shape)
        guard let p = calloc(1, bytes) else { throw .systemOutOfMemory(requestedBytes: bytes) }
        ObjectLayout.initializeHeader(p, shape)
        scopes[scopes.count - 1].append(p)
        liveBytes += bytes
        return Ref(address: p)
    }

    func withScope<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        scopes.append([])
        defer {
            for p in scopes.removeLast() {
                let bytes = ObjectLayout.blockBytes(p)
                liveBytes -= bytes
                memset(p, 0xDB, bytes)
                Glibc.free(p)
            }
            scopesEnded += 1
        }
        return try body()
    }

    func shape(of object: Ref) -> ObjectShape { ObjectLayout.shape(object.address) }
    func load(_ object: Ref, slot: Int) -> Ref? {
        ObjectLayout.load(object.address, slot: slot, manager: "scope-freeing").map(Ref.init)
    }
    func store(_ object: Ref, slot: Int, _ value: Ref?) {
        ObjectLayout.store(object.address, slot: slot, value?.address, manager: "scope-freeing")
    }
    func loadPayload<T: BitwiseCopyable>(_ object: Ref, byteOffset: Int, as type: T.Type) -> T {
        ObjectLayout.loadPayload(object.address, byteOffset: byteOffset, as: T.self, manager: "scope-freeing")
    }
    func storePayload<T: BitwiseCopyable>(_ object: Ref, byteOffset: Int, _ value: T) {
        ObjectLayout.storePayload(object.address, byteOffset: byteOffset, value, manager: "scope-freeing")
    }

    var rootDepth: Int { 0 }
    @discardableResult func pushRoot(_ ref: Ref?) -> Int { 0 }
    func setRoot(_ index: Int, _ ref: Ref?) {}
    func popRoots(to depth: Int) {}
    func dropTree(_ root: consuming Ref) {}
    func free(_ object: consuming Ref) {}

    func statistics() -> ManagerStatistics {
        ManagerStatistics(liveBytes: liveBytes, extra: ["scopesEnded": Double(scopesEnded)])
    }
}
