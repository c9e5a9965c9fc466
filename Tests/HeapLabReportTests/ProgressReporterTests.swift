#if canImport(Glibc)
import Glibc
#endif
import Foundation
@testable import HeapLabReport
import Synchronization
import XCTest

final class ProgressReporterTests: XCTestCase {
    /// Reads everything written to `fd` so far (non-blocking).
    func drain(_ fd: Int32) -> String {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func exercise(_ reporter: ProgressReporter) {
        reporter.start(1, "gcbench on malloc")
        reporter.finish("ok")
        reporter.start(2, "gcbench on arc")
        reporter.finish("out of memory")
        reporter.close()
    }

    func testWritesNothingWhenNotATerminal() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        defer { close(fds[0]) }
        let reporter = ProgressReporter(total: 2, fileDescriptor: fds[1])
        XCTAssertFalse(reporter.isEnabled)
        exercise(reporter)
        close(fds[1])
        XCTAssertEqual(drain(fds[0]), "")
    }

    /// A pseudo-terminal pair: the reporter writes to the follower side, the test reads the leader side.
    /// glibc's posix_openpt, grantpt, unlockpt and ptsname are not visible through the Glibc module (they need
    /// _XOPEN_SOURCE), so they are looked up by name.
    func pseudoTerminal() throws -> (leader: Int32, follower: Int32) {
        typealias OpenPT = @convention(c) (Int32) -> Int32
        typealias OnLeader = @convention(c) (Int32) -> Int32
        typealias Name = @convention(c) (Int32) -> UnsafeMutablePointer<CChar>?
        let libc = dlopen(nil, RTLD_NOW)
        guard let openSymbol = dlsym(libc, "posix_openpt"), let grantSymbol = dlsym(libc, "grantpt"),
              let unlockSymbol = dlsym(libc, "unlockpt"), let nameSymbol = dlsym(libc, "ptsname") else {
            throw XCTSkip("this C library has no posix_openpt")
        }
        let leader = unsafeBitCast(openSymbol, to: OpenPT.self)(O_RDWR | O_NOCTTY)
        guard leader >= 0, unsafeBitCast(grantSymbol, to: OnLeader.self)(leader) == 0,
              unsafeBitCast(unlockSymbol, to: OnLeader.self)(leader) == 0,
              let name = unsafeBitCast(nameSymbol, to: Name.self)(leader) else {
            throw XCTSkip("no pseudo-terminal available: \(String(cString: strerror(errno)))")
        }
        let follower = open(name, O_RDWR | O_NOCTTY)
        guard follower >= 0 else { throw XCTSkip("could not open \(String(cString: name))") }
        return (leader, follower)
    }

    func testWritesNothingWhenQuietEvenOnATerminal() throws {
        let (leader, follower) = try pseudoTerminal()
        defer { close(leader); close(follower) }
        let reporter = ProgressReporter(total: 2, quiet: true, fileDescriptor: follower)
        XCTAssertFalse(reporter.isEnabled)
        exercise(reporter)
        XCTAssertEqual(drain(leader), "")
    }

    func testShowsRunsOnATerminal() throws {
        let (leader, follower) = try pseudoTerminal()
        defer { close(leader); close(follower) }
        let reporter = ProgressReporter(total: 2, fileDescriptor: follower)
        XCTAssertTrue(reporter.isEnabled)
        exercise(reporter)
        let output = drain(leader)
        XCTAssertTrue(output.contains("[1/2] gcbench on malloc · elapsed"), output)
        XCTAssertTrue(output.contains("[1/2] gcbench on malloc: ok in"), output)
        XCTAssertTrue(output.contains("[2/2] gcbench on arc: out of memory in"), output)
        XCTAssertTrue(output.hasSuffix("\u{1B}[2K"), "close clears the status line")
    }

    /// A redraw shows the run's line as the clock says; nothing permanent is written before the run ends.
    func testRedrawShowsTheRunningLineFromTheClock() throws {
        let (leader, follower) = try pseudoTerminal()
        defer { close(leader); close(follower) }
        let now = Mutex<UInt64>(0)
        // The timer's first tick is an hour away: only the redraws called here write.
        let reporter = ProgressReporter(total: 3, fileDescriptor: follower, clock: { now.withLock { $0 } },
                                        redrawInterval: .seconds(3600))
        reporter.start(1, "gcbench on malloc")
        now.withLock { $0 = 2_000_000_000 }
        reporter.redraw()
        now.withLock { $0 = 3_000_000_000 }
        reporter.redraw()
        reporter.close()
        let output = drain(leader)
        XCTAssertTrue(output.contains("[1/3] gcbench on malloc · elapsed 2 s · estimating time left after the first run"), output)
        XCTAssertTrue(output.contains("[1/3] gcbench on malloc · elapsed 3 s"), output)
        XCTAssertFalse(output.contains("\n"), "no permanent line before the run finishes")
    }

    /// The timer redraws by itself. Its interval is short here and the wait for two redraws is long: a slow
    /// or busy machine only makes the test take longer.
    func testTimerRedrawsTheLineWhileARunGoesOn() throws {
        let (leader, follower) = try pseudoTerminal()
        defer { close(leader); close(follower) }
        let reporter = ProgressReporter(total: 3, fileDescriptor: follower, redrawInterval: .milliseconds(10))
        reporter.start(1, "gcbench on malloc")
        var output = ""
        let deadline = Date().addingTimeInterval(120)
        // `start` draws once; two more are the timer's.
        while output.components(separatedBy: "[1/3] gcbench on malloc · elapsed").count - 1 < 3 && Date() < deadline {
            usleep(10_000)
            output += drain(leader)
        }
        reporter.close()
        XCTAssertGreaterThanOrEqual(output.components(separatedBy: "[1/3] gcbench on malloc · elapsed").count - 1, 3,
                                    "the timer redraws the line: \(output)")
        XCTAssertFalse(output.contains("\n"), "no permanent line before the run finishes")
    }

    func testLineEstimatesTheTimeLeftFromFinishedRuns() {
        XCTAssertEqual(ProgressReporter.line(index: 1, total: 4, label: "w on m", elapsedNanoseconds: 2_000_000_000,
                                             currentNanoseconds: 2_000_000_000, finished: 0, finishedNanoseconds: 0),
                       "[1/4] w on m · elapsed 2 s · estimating time left after the first run")
        // Two runs of 30 s done, the third 10 s in: 2 runs left at 30 s each, less the 10 s already spent.
        XCTAssertEqual(ProgressReporter.line(index: 3, total: 4, label: "w on m", elapsedNanoseconds: 70_000_000_000,
                                             currentNanoseconds: 10_000_000_000, finished: 2, finishedNanoseconds: 60_000_000_000),
                       "[3/4] w on m · elapsed 1m10s · about 50 s left")
        XCTAssertEqual(ProgressReporter.clock(3_725_000_000_000), "1h02m")
        XCTAssertEqual(ProgressReporter.clock(4_240_000_000), "4.2 s")
    }
}
