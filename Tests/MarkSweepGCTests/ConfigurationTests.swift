import HeapLabCore
@testable import MarkSweepGC
import XCTest

final class ConfigurationTests: XCTestCase {
    func testDefaultsAreGoLike() throws {
        let c = try GCConfiguration(options: [:], environment: [:])
        XCTAssertEqual(c.gogc, 100)
        XCTAssertEqual(c.minimumHeapBytes, 4 << 20)
        XCTAssertNil(c.heapLimitBytes)
        XCTAssertEqual(c.sweepMode, .eager)
        XCTAssertFalse(c.verifyAfterEveryCycle)
        XCTAssertFalse(c.trace)
        XCTAssertEqual(c.poisonFreedCells, GCConfiguration.isDebugBuild)
    }

    func testOptionsParse() throws {
        let c = try GCConfiguration(options: ["gogc": "50", "heap-limit": "512MiB", "min-heap": "64KiB", "sweep": "lazy",
                                              "verify": "on", "poison": "0", "trace": "true"], environment: [:])
        XCTAssertEqual(c.gogc, 50)
        XCTAssertEqual(c.heapLimitBytes, 512 << 20)
        XCTAssertEqual(c.minimumHeapBytes, 64 << 10)
        XCTAssertEqual(c.sweepMode, .lazy)
        XCTAssertTrue(c.verifyAfterEveryCycle)
        XCTAssertFalse(c.poisonFreedCells)
        XCTAssertTrue(c.trace)
        XCTAssertTrue(c.measurePauseCPUTime, "on by default")
        XCTAssertFalse(try GCConfiguration(options: ["pause-cpu": "off"], environment: [:]).measurePauseCPUTime)
        XCTAssertNil(try GCConfiguration(options: ["gogc": "off"], environment: [:]).gogc)
        XCTAssertNil(try GCConfiguration(options: ["heap-limit": "off"], environment: ["HEAPLAB_MEMLIMIT": "1GiB"]).heapLimitBytes)
    }

    func testEnvironmentAndOptionsOverIt() throws {
        let env = ["HEAPLAB_GOGC": "200", "HEAPLAB_MEMLIMIT": "2GiB", "HEAPLAB_GCTRACE": "1"]
        let c = try GCConfiguration(options: [:], environment: env)
        XCTAssertEqual(c.gogc, 200)
        XCTAssertEqual(c.heapLimitBytes, 2 << 30)
        XCTAssertTrue(c.trace)
        let d = try GCConfiguration(options: ["gogc": "25", "trace": "off"], environment: env)
        XCTAssertEqual(d.gogc, 25, "an option wins over the environment")
        XCTAssertFalse(d.trace)
        XCTAssertEqual(d.heapLimitBytes, 2 << 30)
    }

    func testBadInputThrowsClearErrors() {
        func message(_ options: [String: String], _ env: [String: String] = [:]) -> String {
            do {
                _ = try GCConfiguration(options: options, environment: env)
                return "no error"
            } catch { return error.message }
        }
        XCTAssertTrue(message(["colour": "red"]).contains("unknown option 'colour'"))
        XCTAssertTrue(message(["gogc": "-5"]).contains("gogc must be a percentage"))
        XCTAssertTrue(message(["gogc": "lots"]).contains("gogc"))
        XCTAssertTrue(message(["heap-limit": "12XB"]).contains("heap-limit must be a byte count"))
        XCTAssertTrue(message(["heap-limit": "0"]).contains("must be positive"))
        XCTAssertTrue(message(["heap-limit": "99999999999GiB"]).contains("too large"))
        XCTAssertTrue(message(["min-heap": "-1"]).contains("min-heap"))
        XCTAssertTrue(message(["sweep": "sometimes"]).contains("eager or lazy"))
        XCTAssertTrue(message(["verify": "maybe"]).contains("on or off"))
        XCTAssertTrue(message([:], ["HEAPLAB_GOGC": "x"]).contains("HEAPLAB_GOGC"))
    }

    func testByteParsing() throws {
        XCTAssertEqual(try GCConfiguration.parseBytes("123", key: "k"), 123)
        XCTAssertEqual(try GCConfiguration.parseBytes("123B", key: "k"), 123)
        XCTAssertEqual(try GCConfiguration.parseBytes("4KiB", key: "k"), 4096)
        XCTAssertEqual(try GCConfiguration.parseBytes("3MiB", key: "k"), 3 << 20)
        XCTAssertEqual(try GCConfiguration.parseBytes("1GiB", key: "k"), 1 << 30)
        XCTAssertThrowsError(try GCConfiguration.parseBytes("", key: "k"))
        XCTAssertThrowsError(try GCConfiguration.parseBytes("KiB", key: "k"))
        XCTAssertThrowsError(try GCConfiguration.parseBytes("1.5MiB", key: "k"))
    }

    func testDescriptionRoundTrips() throws {
        let c = try GCConfiguration(options: ["gogc": "75", "heap-limit": "1MiB", "sweep": "lazy"], environment: [:])
        let heap = GCHeap(configuration: c, pauseLog: PauseLog())
        let d = heap.configurationDescription()
        XCTAssertEqual(d["gogc"], "75")
        XCTAssertEqual(d["heap-limit"], String(1 << 20))
        XCTAssertEqual(d["sweep"], "lazy")
        XCTAssertEqual(try GCConfiguration(options: d, environment: [:]), c)
        XCTAssertEqual(heap.name, "gc")
        XCTAssertEqual(heap.reclamation, .tracing)
    }
}
