import ArgumentParser
import Foundation
import XCTest
@testable import HeapLabKit

final class CommandLineTests: XCTestCase {
    override class func setUp() {
        super.setUp()
        _ = TestSupport.registry  // installs it for the commands
    }

    /// Parses `arguments` as the command line and expects it rejected with a message containing `expected`.
    func assertRejected(_ arguments: [String], _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try HeapLabCommand.parseAsRoot(arguments), "\(arguments)", file: file, line: line) { error in
            let message = HeapLabCommand.message(for: error)
            XCTAssertTrue(message.contains(expected), "\(arguments): message '\(message)' lacks '\(expected)'", file: file, line: line)
            XCTAssertNotEqual(HeapLabCommand.exitCode(for: error), .success, file: file, line: line)
        }
    }

    let run = ["run", "--workload", "gcbench", "--manager", "malloc"]

    func testBadNames() {
        assertRejected(["run", "--workload", "gcbench", "--manager", "nope"], "unknown manager 'nope' (managers: malloc, arc")
        assertRejected(["run", "--workload", "nope", "--manager", "malloc"], "unknown workload 'nope' (workloads: gcbench")
        assertRejected(["compare", "--managers", "malloc,nope"], "unknown manager 'nope'")
        assertRejected(["compare", "--workloads", "gcbench,zzz"], "unknown workload 'zzz'")
        assertRejected(["compare", "--managers", "malloc,malloc"], "--managers names something twice")
        assertRejected(["compare", "--managers", ","], "--managers needs at least one name")
        assertRejected(["bogus"], "Unexpected argument 'bogus'")
        assertRejected(["run", "--manager", "malloc"], "Missing expected argument '--workload <NAME>'")
    }

    func testBadParametersAndOptions() {
        assertRejected(run + ["--param", "maxDepth=99"], "gcbench: maxDepth must be in 0...24 (got 99)")
        assertRejected(run + ["--param", "minDepth=10", "--param", "maxDepth=6"], "minDepth (10) must not exceed maxDepth (6)")
        assertRejected(run + ["--param", "depth=3"], "workload gcbench has no parameter 'depth'")
        assertRejected(run + ["--param", "maxDepth"], "--param expects name=value (got 'maxDepth')")
        assertRejected(run + ["--param", "=3"], "--param expects name=value")
        assertRejected(run + ["--param", "maxDepth=ten"], "--param maxDepth: 'ten' is not an integer")
        assertRejected(run + ["--param", "maxDepth=8", "--param", "maxDepth=10"], "'maxDepth' given twice")
        assertRejected(run + ["--set", "gogc=100"], "manager malloc has no option 'gogc' (it takes no options)")
        assertRejected(["compare", "--param", "nothing=1"], "--param nothing: none of the chosen workloads has that parameter")
        assertRejected(["compare", "--set", "gogc=100"], "--set expects manager.key=value in compare (got 'gogc=100')")
        assertRejected(["compare", "--set", "malloc.=1"], "--set expects manager.key=value")
        assertRejected(["compare", "--managers", "arc", "--set", "malloc.x=1"], "manager malloc is not among the chosen managers (arc)")
        assertRejected(["compare", "--set", "malloc.x=1"], "manager malloc has no option 'x' (it takes no options)")
    }

    func testBadMatrixOptions() {
        assertRejected(["compare", "--repeats", "0"], "--repeats must be from 1 to 1000 (got 0)")
        assertRejected(["compare", "--repeats", "9223372036854775807"], "--repeats must be from 1 to 1000 (got 9223372036854775807)")
        assertRejected(["compare", "--repeats", "x"], "--repeats")
        assertRejected(["compare", "--timeout=-1"], "--timeout must be more than 0 and at most 1000000000 seconds")
        assertRejected(["compare", "--timeout=0"], "--timeout must be more than 0")
        assertRejected(["compare", "--warmup=-1"], "--warmup must be from 0 to 1000 (got -1)")
        assertRejected(["compare", "--warmup=1001"], "--warmup must be from 0 to 1000 (got 1001)")
        assertRejected(["compare", "--stall-threshold=-5"], "--stall-threshold must be from 0 to 1e9 microseconds")
        assertRejected(["compare", "--stall-threshold=1e10"], "--stall-threshold must be from 0 to 1e9 microseconds")
        assertRejected(["compare", "--memory-limit", "1"], "--memory-limit must be from \(RunSpec.minimumMemoryLimitMiB) to 1073741824 MiB (got 1)")
        assertRejected(["compare", "--memory-limit", "2000000000"], "--memory-limit must be from")
        assertRejected(["--json", "/nonexistent-dir/x.json"], "--json: cannot write /nonexistent-dir/x.json: directory /nonexistent-dir does not exist")
        assertRejected(run + ["--repeats=-2"], "--repeats must be from 1 to 1000")
        assertRejected(["compare", "--timeout", "-1"], "Missing value for '--timeout <SECONDS>'")
    }

    /// Case: a timeout the child process's deadline (nanoseconds in a UInt64) can not hold stopped heaplab
    /// itself; every timeout that is not a positive number of at most 1e9 seconds is refused.
    func testTimeoutBeyondWhatTheClockHoldsIsRefused() {
        for value in ["1e300", "2e10", "1000000001", "inf", "nan", "-inf"] {
            assertRejected(run + ["--timeout=\(value)"], "--timeout must be more than 0 and at most 1000000000 seconds (about 31 years) (got ")
        }
        XCTAssertNoThrow(try HeapLabCommand.parseAsRoot(run + ["--timeout", "1e9"]))
        XCTAssertNoThrow(try HeapLabCommand.parseAsRoot(run + ["--timeout", "0.001"]))
    }

    /// Every accepted memory limit lets a child start (`MemoryLimitTests` runs one at the smallest); smaller
    /// ones are refused before any child starts.
    func testMemoryLimitsBelowWhatAChildNeedsAreRefused() {
        for mib in [16, 64, RunSpec.minimumMemoryLimitMiB - 1] {
            assertRejected(run + ["--memory-limit", "\(mib)"], "--memory-limit must be from \(RunSpec.minimumMemoryLimitMiB) to 1073741824 MiB (got \(mib)): a child process maps about 85 MiB")
        }
        XCTAssertNoThrow(try HeapLabCommand.parseAsRoot(run + ["--memory-limit", "\(RunSpec.minimumMemoryLimitMiB)"]))
    }

    /// Ranges `heaplab list` documents are ones that work: values past what a workload can hold are refused
    /// before a child starts, not found by a crash minutes into the run.
    func testWorkloadLimitsAreCheckedBeforeARun() {
        assertRejected(["run", "--workload", "fragmentation", "--manager", "malloc", "--param", "liveMiB=60000"],
                       "fragmentation: liveMiB must be in 1...8192 (got 60000)")
        assertRejected(["run", "--workload", "deep-bigstack", "--manager", "arc", "--param", "stackMiB=32768"],
                       "deep-bigstack: stackMiB must be in 1...16384 (got 32768)")
        XCTAssertNoThrow(try HeapLabCommand.parseAsRoot(["run", "--workload", "fragmentation", "--manager", "malloc", "--param", "liveMiB=8192"]))
    }

    /// Case: bad manager option values are refused with the value and what is accepted.
    func testBadManagerOptionValuesAreRefused() {
        assertRejected(["compare", "--set", "gc.gogc=abc"], "manager gc: gogc must be a percentage from 0 to 1000000, or off (got 'abc')")
        assertRejected(["compare", "--set", "arena.huge-pages=maybe"], "manager arena: huge-pages must be none, large or all (got 'maybe')")
        assertRejected(run.dropLast() + ["gc", "--set", "gogc=-5"], "gogc must be a percentage from 0 to 1000000, or off (got '-5')")
        assertRejected(run.dropLast() + ["gc", "--set", "heap-limit=12XB"], "heap-limit")
        assertRejected(run.dropLast() + ["gc-incremental", "--set", "mark-trigger=2"], "mark-trigger")
        assertRejected(run.dropLast() + ["arena", "--set", "chunk-size=-1"], "chunk-size")
        assertRejected(run.dropLast() + ["arena", "--set", "huge-pages=maybe"], "huge-pages must be none, large or all (got 'maybe')")
    }

    /// Case: output paths that can not be written are refused before any run; the checks change nothing.
    func testUnwritableOutputsAreRefusedBeforeAnyRun() throws {
        let directory = try TestSupport.workDirectory(self)
        assertRejected(run + ["--json", directory], "--json: cannot write \(directory): it is a directory (give a file name)")
        assertRejected(run + ["--json", "/proc/heaplab-x.json"], "--json: cannot write /proc/heaplab-x.json: ")
        assertRejected(run + ["--report-dir", "/proc/x"], "--report-dir: cannot write /proc/x: No such file or directory")
        XCTAssertTrue(FileManager.default.createFile(atPath: directory + "/file", contents: Data()))
        assertRejected(run + ["--report-dir", directory + "/file/sub"], "--report-dir: cannot write \(directory)/file/sub: \(directory)/file exists and is not a directory")
        assertRejected(["report", "/dev/null", "--out", "/proc/x"], "--out: cannot write /proc/x")

        // Accepted paths are checked by writing, and left as they were.
        XCTAssertNoThrow(try HeapLabCommand.parseAsRoot(run + ["--json", directory + "/new.json", "--report-dir", directory + "/a/b/c"]))
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/new.json"), "the check leaves no file")
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/a"), "the check removes the directories it made")
        XCTAssertTrue(FileManager.default.createFile(atPath: directory + "/old.json", contents: Data("keep".utf8)))
        XCTAssertNoThrow(try HeapLabCommand.parseAsRoot(run + ["--json", directory + "/old.json"]))
        XCTAssertEqual(FileManager.default.contents(atPath: directory + "/old.json"), Data("keep".utf8), "an existing file is not truncated by the check")
    }

    func testGoodCommandLines() throws {
        let compare = try XCTUnwrap(HeapLabCommand.parseAsRoot(
            ["compare", "--workloads", "gcbench", "--managers", "arc,malloc", "--repeats", "5", "--test-size", "--param", "maxDepth=6"]) as? CompareCommand)
        let specs = try compare.specs()
        XCTAssertEqual(specs.map(\.manager), ["arc", "malloc"], "managers in the order given")
        XCTAssertEqual(specs.first?.parameters["maxDepth"], 6)
        XCTAssertEqual(specs.first?.parameters["stretchDepth"], 10, "test size for the rest")
        XCTAssertEqual(compare.matrix.repeats, 5)

        let root = try XCTUnwrap(HeapLabCommand.parseAsRoot([]) as? HeapLabCommand)
        XCTAssertEqual(try root.specs().map(\.manager), TestSupport.registry.availableManagers)
        XCTAssertEqual(try root.specs().first?.parameters["stretchDepth"], 18, "the default run is full size")
        XCTAssertNil(root.matrix.repeats, "the default command's repeats default (3) is applied when it runs")

        let one = try XCTUnwrap(HeapLabCommand.parseAsRoot(run + ["--param", "arraySize=600_000", "--json", "/tmp/r.json"]) as? RunCommand)
        XCTAssertEqual(try one.spec().parameters["arraySize"], 600_000)
        XCTAssertEqual(one.matrix.json, "/tmp/r.json")

        XCTAssertTrue(try HeapLabCommand.parseAsRoot(["list"]) is ListCommand)
        XCTAssertTrue(try HeapLabCommand.parseAsRoot(["clock", "--rounds", "2"]) is ClockCommand)
    }

    func testHelpDocumentsEveryOption() {
        let root = HeapLabCommand.helpMessage()
        for option in ["--repeats", "--timeout", "--json", "--quiet", "--test-size", "--warmup", "--stall-threshold", "--memory-limit",
                       "list", "run", "compare"] {
            XCTAssertTrue(root.contains(option), "heaplab --help lacks \(option)")
        }
        XCTAssertFalse(root.split(separator: "\n").contains { $0.hasPrefix("  child") || $0.hasPrefix("  clock") },
                       "the child and clock subcommands are hidden")
        let run = HeapLabCommand.helpMessage(for: RunCommand.self)
        for option in ["--workload", "--manager", "--param", "--set", "--repeats", "--json"] {
            XCTAssertTrue(run.contains(option), "heaplab run --help lacks \(option)")
        }
        let compare = HeapLabCommand.helpMessage(for: CompareCommand.self)
        for option in ["--workloads", "--managers", "--param", "--repeats", "--timeout", "--json", "--quiet"] {
            XCTAssertTrue(compare.contains(option), "heaplab compare --help lacks \(option)")
        }
    }

    /// The real binary: a bad argument prints an error on stderr and exits non-zero, without running anything.
    func testBinaryExitsNonZeroOnBadArguments() throws {
        let directory = try TestSupport.workDirectory(self)
        let result = ChildProcess(executable: try TestSupport.heaplabBinary(),
                                  arguments: ["run", "--workload", "gcbench", "--manager", "nope"],
                                  timeoutSeconds: 60, logPath: directory + "/out.log").run()
        XCTAssertEqual(result.termination, .exited(64))
        XCTAssertTrue(result.outputTail.contains("Error: unknown manager 'nope'"), result.outputTail)
        XCTAssertTrue(result.outputTail.contains("Usage: heaplab run"), "the usage shown is the subcommand's: \(result.outputTail)")
    }
}
