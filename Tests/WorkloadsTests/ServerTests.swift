import HeapLabCore
import SystemHeaps
import XCTest
@testable import Workloads

final class ServerTests: XCTestCase {
    func testRequestMixAndEvictions() throws {
        let server = try Server.make(testSize: true)
        let context = RunContext(pauseLog: PauseLog())
        let outcome = try server.run(on: MallocManager(), context: context)
        let m = outcome.metrics
        XCTAssertEqual((m["hits"] ?? 0) + (m["misses"] ?? 0) + (m["sets"] ?? 0), Double(server.requests))
        XCTAssertGreaterThan(m["misses"] ?? 0, 0)
        XCTAssertGreaterThan(m["evictions"] ?? 0, 0, "a skewed key space twice the cache must evict")
        XCTAssertEqual(m["entries"], Double(server.entries), "the cache stays full")
        XCTAssertEqual(m["rebuilds"], 0, "only the arena rebuilds")
        XCTAssertEqual(context.latency.count, server.requests)
    }

    func testARCTeardownLeavesNothingAlive() throws {
        let before = ARCLiveObjects.bytes
        _ = try Server.make(testSize: true).run(on: ARCManager(), context: RunContext(pauseLog: PauseLog()))
        XCTAssertEqual(ARCLiveObjects.bytes, before, "evictions and teardown must break every LRU cycle")
    }

    func testRebuildsPreserveContentsAndOrder() throws {
        // A generation every 500 requests must give the same answers as one generation.
        let many = try Server.make(["entries": 500, "requests": 5_000, "rebuildInterval": 500], testSize: true)
        let a = try many.run(on: ScopeFreeingHeap(), context: RunContext(pauseLog: PauseLog()))
        let b = try many.run(on: MallocManager(), context: RunContext(pauseLog: PauseLog()))
        XCTAssertEqual(a.checksum, b.checksum)
        XCTAssertEqual(a.metrics["rebuilds"], 9)
        XCTAssertEqual(a.metrics["evictions"], b.metrics["evictions"])
    }

    func testRebuildsAreLoggedAsStalls() throws {
        // The copy-out and the rebuild of each generation stop the program: one stall each per rebuild.
        let many = try Server.make(["entries": 500, "requests": 5_000, "rebuildInterval": 500], testSize: true)
        let log = PauseLog()
        _ = try many.run(on: ScopeFreeingHeap(), context: RunContext(pauseLog: log))
        XCTAssertEqual(log.events.filter { $0.label == "generation copy-out" }.count, 9)
        XCTAssertEqual(log.events.filter { $0.label == "generation rebuild" }.count, 9)
        let single = PauseLog()
        _ = try many.run(on: MallocManager(), context: RunContext(pauseLog: single))
        XCTAssertFalse(single.events.contains { $0.label.hasPrefix("generation") }, "only the arena rebuilds")
    }
}
