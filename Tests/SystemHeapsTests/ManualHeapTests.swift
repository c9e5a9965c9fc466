import HeapLabCore
import SystemHeaps
import HeapLabTestSupport
import XCTest

/// The manually managed heaps (glibc malloc, mimalloc, jemalloc) share `ObjectLayout` and `ManualHeap`: the
/// same checks run on each, with its own allocator underneath.
final class ManualHeapTests: XCTestCase {
    static func exercise<A: RawAllocator>(_ heap: ManualHeap<A>, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(heap.name, A.managerName.description, file: file, line: line)
        let shape = ObjectShape(referenceSlots: 3, payloadBytes: 21)
        let a = try heap.allocate(shape)
        XCTAssertEqual(heap.shape(of: a), shape, file: file, line: line)
        for slot in 0..<3 { XCTAssertNil(heap.load(a, slot: slot), "fresh slots are nil", file: file, line: line) }
        for offset in 0..<21 { XCTAssertEqual(heap.loadPayload(a, byteOffset: offset, as: UInt8.self), 0, file: file, line: line) }
        XCTAssertEqual(heap.statistics().liveBytes, ObjectLayout.blockBytes(shape), file: file, line: line)

        // A tree: a -> b, c; b -> d. Payload round trips, unaligned too.
        let b = try heap.allocate(ObjectShape(referenceSlots: 1, payloadBytes: 8))
        let c = try heap.allocate(ObjectShape(referenceSlots: 0, payloadBytes: 100_000))  // past glibc's small bins
        let d = try heap.allocate(ObjectShape(referenceSlots: 0, payloadBytes: 0))
        heap.store(a, slot: 0, b)
        heap.store(a, slot: 2, c)
        heap.store(b, slot: 0, d)
        heap.storePayload(a, byteOffset: 13, UInt64(0x0123_4567_89AB_CDEF))
        heap.storePayload(c, byteOffset: 99_992, Double.pi)
        XCTAssertEqual(heap.load(a, slot: 0), b, file: file, line: line)
        XCTAssertNil(heap.load(a, slot: 1), file: file, line: line)
        XCTAssertEqual(heap.load(heap.load(a, slot: 0)!, slot: 0), d, file: file, line: line)
        XCTAssertEqual(heap.loadPayload(a, byteOffset: 13, as: UInt64.self), 0x0123_4567_89AB_CDEF, file: file, line: line)
        XCTAssertEqual(heap.loadPayload(c, byteOffset: 99_992, as: Double.self), .pi, file: file, line: line)
        XCTAssertEqual(heap.statistics().allocations, 4, file: file, line: line)

        heap.dropTree(a)
        XCTAssertEqual(heap.statistics().liveBytes, 0, "dropTree frees the whole tree", file: file, line: line)

        // A list far deeper than any stack, freed iteratively.
        var head = try heap.allocate(ObjectShape(referenceSlots: 1, payloadBytes: 8))
        for _ in 0..<200_000 {
            let node = try heap.allocate(ObjectShape(referenceSlots: 1, payloadBytes: 8))
            heap.store(node, slot: 0, head)
            head = node
        }
        heap.dropTree(head)
        XCTAssertEqual(heap.statistics().liveBytes, 0, file: file, line: line)

        let single = try heap.allocate(ObjectShape(referenceSlots: 0, payloadBytes: 8 << 20))
        heap.free(single)
        XCTAssertEqual(heap.statistics().liveBytes, 0, file: file, line: line)
        try ManagerContractChecks.scopeFreesNothing(heap, file: file, line: line)
    }

    func testMalloc() throws {
        try Self.exercise(MallocManager())
        XCTAssertEqual(MallocManager().reclamation, .explicitFree)
    }

    func testMimalloc() throws {
        switch MimallocAllocator.availability() {
        case .available: try Self.exercise(try MimallocManager())
        case let other: throw XCTSkip(other.description)
        }
    }

    func testJemalloc() throws {
        guard try ChildProcess.jemallocInThisProcess(orRun: "SystemHeapsTests.ManualHeapTests/testJemalloc") else { return }
        try Self.exercise(try JemallocManager())
    }

    /// Where Debian's dynamic loader finds libraries on this architecture (ld.so.conf and the defaults).
    static let libraryDirectories = ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib", "/usr/lib", "/usr/local/lib",
                                     "/lib64", "/usr/lib64"]

    func testAvailabilityMessages() {
        XCTAssertEqual(ComparatorAvailability.notInstalled(package: "libjemalloc2").description,
                       "not installed: apt-get install libjemalloc2")
        let missing = ComparatorUnavailable(soname: "libnothing.so.9",
                                            dlerror: "libnothing.so.9: cannot open shared object file: No such file or directory")
        XCTAssertEqual(missing.availability(package: "libnothing9"), .notInstalled(package: "libnothing9"))
        let tls = ComparatorUnavailable(soname: "libjemalloc.so.2", dlerror: "libjemalloc.so.2: cannot allocate memory in static TLS block")
        XCTAssertTrue(tls.availability(package: "libjemalloc2").description.contains(staticTLSTunable))
        XCTAssertTrue(tls.availability(package: "libjemalloc2").isInstalled, "a static-TLS failure means installed")
        XCTAssertFalse(tls.availability(package: "libjemalloc2").isAvailable)
        XCTAssertFalse(missing.availability(package: "libnothing9").isInstalled)
        // Installed or not is decided by the library's file, found independently of dlopen: with the file on the
        // loader's path jemalloc is installed (usable here, or in a child with the static-TLS tunable), without
        // it `notInstalled` names the package.
        let onDisk = Self.libraryDirectories.contains { FileManager.default.fileExists(atPath: $0 + "/libjemalloc.so.2") }
        XCTAssertEqual(JemallocAllocator.availability().isInstalled, onDisk, JemallocAllocator.availability().description)
        if !onDisk { XCTAssertEqual(JemallocAllocator.availability(), .notInstalled(package: "libjemalloc2")) }
        XCTAssertThrowsError(try DynamicLibrary.open("libheaplab-does-not-exist.so.1"))
        let names = OptionalComparators.all().map(\.name)
        XCTAssertEqual(names, ["jemalloc", "mimalloc", "boehm"])
    }
}
