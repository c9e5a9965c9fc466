#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import HeapLabCore
import HeapLabReport
import XCTest
@testable import HeapLabKit

/// Random and mutated input for every reader of user input: the RunReports JSON reader (and, for what it
/// accepts, every report that is made from it), the CSV reader, the option parsers (`KeyValue`, `ByteCount`,
/// every manager's `--set` values, and the managers made from accepted values) and the command line. The
/// property: never a crash; always a value or a thrown error whose message is one line. Where an independent
/// answer is known (a CSV line written by `CSVExport`, a byte count written with its unit, pairs with distinct
/// names) the value must equal it.
///
/// Mutations start from real, valid input (a RunReports file of real runs, its CSV export, command lines that
/// parse), which reaches far deeper into the readers than random bytes.
///
/// Seeded: each run prints its seed; `HEAPLAB_FUZZ_SEED=N` repeats a run. About ten thousand cases in all by
/// default (seconds per reader; a parse of the command line is the slowest, tens of milliseconds in a debug
/// build); `HEAPLAB_STRESS_SCALE=N` runs N times as many.
final class FuzzTests: XCTestCase {
    static let seed: UInt64 = {
        if let text = ProcessInfo.processInfo.environment["HEAPLAB_FUZZ_SEED"], let seed = UInt64(text) { return seed }
        return UInt64(truncatingIfNeeded: Int64(Date().timeIntervalSince1970 * 1000)) ^ UInt64(UInt32(bitPattern: getpid()))
    }()

    static var scale: Int {
        guard let text = ProcessInfo.processInfo.environment["HEAPLAB_STRESS_SCALE"], let n = Int(text), n >= 1 else { return 1 }
        return n
    }

    /// A generator per test, seeded from the run's seed and the test's name, so each test repeats on its own.
    func generator(_ name: String = #function) -> SplitMix64 {
        print("FuzzTests.\(name): seed \(Self.seed) (HEAPLAB_FUZZ_SEED=\(Self.seed) repeats it), scale \(Self.scale)")
        return SplitMix64(seed: Self.seed ^ UInt64(truncatingIfNeeded: name.utf8.reduce(5381) { ($0 &* 33) &+ Int($1) }))
    }

    override class func setUp() {
        super.setUp()
        _ = TestSupport.registry  // installs it for the commands
    }

    // MARK: the corpus: real runs

    /// Real reports: GCBench at test size on the collector (pauses with phases and CPU times) and on malloc
    /// (stalls), and a failed run, as the runner writes them.
    static let reports: [RunReport] = {
        var reports: [RunReport] = []
        for manager in ["gc", "malloc"] {
            guard let spec = try? TestSupport.smallSpec(manager), let report = try? TestSupport.registry.run(inProcess: spec) else {
                preconditionFailure("FuzzTests: the corpus run on \(manager) failed")
            }
            reports.append(report)
        }
        if let spec = try? TestSupport.smallSpec("arc") {
            reports.append(spec.failedReport("the child crashed: SIGSEGV (Segmentation fault)\n--- child output ---\nx", date: "2026-01-01T00:00:00Z"))
        }
        return reports
    }()

    static let json: String = String(decoding: (try? RunReport.encode(reports)) ?? Data(), as: UTF8.self)

    // MARK: JSON reader and everything made from what it accepts

    /// Values a mutated number or string becomes: signs, limits of the integer types, fractions, wrong types.
    static let replacements = [
        "0", "-1", "-5", "1.5", "-0", "1e300", "-1e300", "1e-300", "18446744073709551615", "18446744073709551616",
        "9223372036854775807", "-9223372036854775808", "9223372036854775808", "4611686018427387905", "99999999999999999999999",
        "\"text\"", "\"\"", "null", "true", "[]", "{}", "[1]", "{\"a\": 1}", "\"\\u0000\"", "\"\\ud800\"",
    ]

    func mutate(_ text: String, _ rng: inout SplitMix64) -> String {
        var bytes = Array(text.utf8)
        for _ in 0...(rng.next(below: 3)) {
            guard !bytes.isEmpty else { break }
            switch rng.next(below: 8) {
            case 0:  // flip a bit
                let i = rng.next(below: bytes.count)
                bytes[i] ^= UInt8(1 << rng.next(below: 8))
            case 1:  // truncate
                bytes.removeLast(rng.next(below: bytes.count))
            case 2:  // delete a range
                let start = rng.next(below: bytes.count)
                bytes.removeSubrange(start..<min(bytes.count, start + 1 + rng.next(below: 40)))
            case 3:  // duplicate a range
                let start = rng.next(below: bytes.count)
                let piece = bytes[start..<min(bytes.count, start + 1 + rng.next(below: 80))]
                bytes.insert(contentsOf: piece, at: rng.next(below: bytes.count))
            case 4, 5:  // a number becomes something else
                bytes = replaceToken(in: bytes, rng: &rng) { $0 == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
            case 6:  // a string's value becomes something else
                bytes = replaceToken(in: bytes, rng: &rng) { $0 == UInt8(ascii: "\"") }
            default:  // a random byte inserted
                bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: rng.next(below: bytes.count))
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Replaces the token (a number, or a quoted string) starting at a random byte that `starts` accepts.
    func replaceToken(in bytes: [UInt8], rng: inout SplitMix64, starts: (UInt8) -> Bool) -> [UInt8] {
        let candidates = bytes.indices.filter { starts(bytes[$0]) && ($0 == 0 || !starts(bytes[$0 - 1]) || bytes[$0] == UInt8(ascii: "\"")) }
        guard !candidates.isEmpty else { return bytes }
        let start = candidates[rng.next(below: candidates.count)]
        var end = start + 1
        if bytes[start] == UInt8(ascii: "\"") {
            while end < bytes.count && bytes[end] != UInt8(ascii: "\"") { end += 1 }
            end = min(bytes.count, end + 1)
        } else {
            while end < bytes.count, "0123456789.eE+-".utf8.contains(bytes[end]) { end += 1 }
        }
        var result = bytes
        let replacement = Self.replacements[rng.next(below: Self.replacements.count)]
        result.replaceSubrange(start..<end, with: Array(replacement.utf8))
        return result
    }

    /// Everything `heaplab report` and the runner make from reports: none may trap on what `decode` accepts.
    func render(_ reports: [RunReport]) throws {
        _ = TextTable.runSummary(reports, baseline: "malloc")
        _ = CSVExport.csv(reports)
        _ = try ChromeTrace.json(for: reports)
        let palette = ManagerPalette(reports: reports)
        var charts: [String: String] = [:]
        for workload in ReportCharts.workloads(reports) {
            for kind in ReportCharts.Kind.allCases {
                charts[ReportCharts.fileName(workload: workload, kind: kind)] =
                    ReportCharts.svg(kind, workload: workload, reports: reports, palette: palette, standalone: false)
            }
        }
        _ = HTMLPage.render(reports: reports, palette: palette, charts: charts)
        for report in reports { _ = RunDetails.describe(report) }
    }

    func testRunReportsReaderOnMutatedRealFiles() throws {
        var rng = generator()
        XCTAssertEqual(try RunReport.decode(Data(Self.json.utf8)), Self.reports, "the corpus itself reads back")
        try render(Self.reports)
        var accepted = 0, refused = 0
        for _ in 0..<(1000 * Self.scale) {
            let text = mutate(Self.json, &rng)
            do {
                let reports = try RunReport.decode(Data(text.utf8))
                accepted += 1
                try render(reports)
            } catch {
                refused += 1
                XCTAssertFalse(error.message.isEmpty)
                XCTAssertFalse(error.message.contains("\n"), "a multi-line message: \(error.message)")
            }
        }
        print("FuzzTests: \(accepted) mutated files accepted, \(refused) refused with a message")
        XCTAssertGreaterThan(refused, 0)
    }

    func testRunReportsReaderOnRandomBytes() {
        var rng = generator()
        for _ in 0..<(1000 * Self.scale) {
            let count = rng.next(below: 64)
            let syntax = Array("[]{},:\"0-e.".utf8)
            let bytes = (0..<count).map { _ in
                rng.next(below: 4) == 0 ? syntax[rng.next(below: syntax.count)] : UInt8(truncatingIfNeeded: rng.next())
            }
            do {
                let reports = try RunReport.decode(Data(bytes))
                XCTAssertTrue(reports.isEmpty, "random bytes made a report: \(bytes)")
            } catch {
                XCTAssertFalse(error.message.isEmpty)
            }
        }
    }

    /// The real binary on mutated files: exit status 0 (a report) or 64 with one "Error:" line; never a crash.
    func testReportCommandOnMutatedFiles() throws {
        var rng = generator()
        let directory = try TestSupport.workDirectory(self)
        for i in 0..<(12 * Self.scale) {
            let path = "\(directory)/r\(i).json"
            try Data(mutate(Self.json, &rng).utf8).write(to: URL(fileURLWithPath: path))
            let outcome = try TestSupport.runHeaplab(["report", path, "--out", "\(directory)/out\(i)"])
            XCTAssertTrue([0, 64].contains(outcome.status), "heaplab report on \(path): status \(outcome.status): \(outcome.standardError)")
            if outcome.status == 64 {
                XCTAssertEqual(outcome.errorLines.count, 1, outcome.standardError)
                XCTAssertTrue(outcome.standardError.hasPrefix("Error: \(path)"), outcome.standardError)
            }
        }
    }

    // MARK: CSV

    /// A random field: letters, digits, commas, quotes, line ends, spaces, non-ASCII.
    func field(_ rng: inout SplitMix64) -> String {
        let alphabet: [Character] = ["a", "Z", "0", "9", ",", "\"", "\n", "\r", " ", "é", "\u{1F600}", "\r\n", "\t", ";"]
        return String((0..<rng.next(below: 8)).map { _ in alphabet[rng.next(below: alphabet.count)] })
    }

    func testCSVReaderOnMutatedExportsAndRandomText() {
        var rng = generator()
        let csv = CSVExport.csv(Self.reports)
        let records = (try? CSVReader.parse(csv)) ?? []
        XCTAssertEqual(records.count, Self.reports.count + 1, "header and one row per report")
        for _ in 0..<(3000 * Self.scale) {
            // What CSVExport writes reads back as the same fields (the oracle).
            let fields = (0..<(1 + rng.next(below: 5))).map { _ in field(&rng) }
            let line = CSVExport.line(fields)
            XCTAssertEqual(try? CSVReader.parse(line), [fields], "\(fields) written as \(line.debugDescription)")
            // Mutated exports and random text: records, or a FormatError with its line.
            let text = rng.next(below: 2) == 0 ? mutate(csv, &rng) : (0..<rng.next(below: 6)).map { _ in field(&rng) }.joined()
            do {
                _ = try CSVReader.parse(text)
            } catch {
                XCTAssertGreaterThanOrEqual(error.line, 1)
                XCTAssertFalse(error.message.isEmpty)
            }
        }
    }

    // MARK: option parsers

    func testByteCountAndKeyValueParsers() {
        var rng = generator()
        let units: [(String, Int)] = [("", 0), ("B", 0), ("k", 10), ("KiB", 10), ("KB", 10), ("M", 20), ("MiB", 20), ("mb", 20),
                                      ("G", 30), ("GiB", 30), ("gb", 30)]
        let junk = ["", " ", "-", "+", ".", "e", "TiB", "0x", "٣", "½", "\u{0}", "MiBB", "1", "00", "99999999999999999999"]
        for _ in 0..<(3000 * Self.scale) {
            // Well-formed: the value is known.
            let n = rng.next(below: 4) == 0 ? Int(truncatingIfNeeded: rng.next() >> UInt64(rng.next(below: 64))) & Int.max : rng.next(below: 100_000)
            let (unit, shift) = units[rng.next(below: units.count)]
            let text = (rng.next(below: 2) == 0 ? " " : "") + "\(n)\(unit)"
            do {
                let value = try ByteCount.parse(text, key: "k", owner: "o")
                XCTAssertTrue(n <= ByteCount.maximum >> shift, "\(text) accepted above the maximum")
                XCTAssertEqual(value, n << shift, text)
            } catch {
                XCTAssertTrue(n > ByteCount.maximum >> shift, "\(text) refused: \(error)")
            }
            // Junk around or inside: a value within range, or a message.
            var mutated = Array(text)
            let piece = Array(junk[rng.next(below: junk.count)])
            mutated.insert(contentsOf: piece, at: rng.next(below: mutated.count + 1))
            if let value = try? ByteCount.parse(String(mutated), key: "k", owner: "o") {
                XCTAssertTrue((0...ByteCount.maximum).contains(value), "\(String(mutated)) gave \(value)")
            }

            // name=value pairs: with distinct names and an '=', each value is what followed the first '='.
            let pairs = (0..<rng.next(below: 4)).map { i in "n\(i)=\(field(&rng))" }
            XCTAssertEqual(try? KeyValue.strings(pairs, option: "--x"),
                           Dictionary(uniqueKeysWithValues: pairs.map { pair in
                               let eq = pair.firstIndex(of: "=")!
                               return (String(pair[..<eq]), String(pair[pair.index(after: eq)...]))
                           }), "\(pairs)")
            let random = (0..<rng.next(below: 4)).map { _ in field(&rng) + (rng.next(below: 2) == 0 ? "=" : "") + field(&rng) }
            do {
                for (_, value) in try KeyValue.integers(random, option: "--param") { _ = value }
            } catch {
                XCTAssertTrue(error.message.hasPrefix("--param"), error.message)
            }
        }
    }

    /// Every manager's `--set` values: refused with a message, or accepted, and then a manager made from them
    /// must work (a small allocation, or an AllocationError), never trap on a value its check let through.
    func testManagerOptionParsersAndTheManagersTheyMake() {
        var rng = generator()
        let values = ["0", "1", "100", "-5", "off", "on", "OFF", "eager", "lazy", "none", "large", "all", "0.5", "2", "1e3", "nan",
                      "4096", "4095", "4KiB", "1MiB", "64MiB", "1GiB", "1024GiB", "1048576GiB", "", " ", "incremental",
                      "stop-the-world", "9223372036854775807", "-0", "0.0", "1.0", "0.999"]
        var accepted = 0
        for _ in 0..<(1500 * Self.scale) {
            let entry = TestSupport.registry.managers[rng.next(below: TestSupport.registry.managers.count)]
            guard entry.availability().isAvailable, !entry.options.isEmpty else { continue }
            var options: [String: String] = [:]
            for _ in 0...rng.next(below: 3) {
                let key = rng.next(below: 8) == 0 ? field(&rng) : entry.options[rng.next(below: entry.options.count)].name
                var value = values[rng.next(below: values.count)]
                if rng.next(below: 4) == 0 { value = mutate(value, &rng) }
                options[key] = value
            }
            do {
                try entry.validate(options)
            } catch {
                XCTAssertTrue(error.message.hasPrefix("manager \(entry.name)"), error.message)
                XCTAssertFalse(error.message.contains("\n"), error.message)
                continue
            }
            accepted += 1
            _ = try? BuiltinManagers.withManager(named: entry.name, options: options, SmallAllocation())
        }
        XCTAssertGreaterThan(accepted, 0)
    }

    // MARK: the command line

    static let validCommandLines: [[String]] = [
        ["run", "--workload", "gcbench", "--manager", "malloc", "--test-size"],
        ["run", "--workload", "server", "--manager", "gc", "--set", "gogc=200", "--param", "requests=10", "--repeats", "2"],
        ["compare", "--workloads", "gcbench,deep", "--managers", "arena,gc", "--set", "gc.sweep=lazy", "--timeout", "60"],
        ["compare", "--param", "liveMiB=64", "--memory-limit", "512", "--warmup", "0", "--stall-threshold", "5"],
        ["--repeats", "1", "--test-size", "--quiet"],
        ["list"],
        ["report", "/dev/null", "--out", "OUT"],
        ["child", "--workload", "gcbench", "--manager", "arc", "--param", "maxDepth=6", "--memory-limit-bytes", "1073741824"],
    ]

    static let tokens = [
        "--workload", "--manager", "--workloads", "--managers", "--param", "--set", "--repeats", "--timeout", "--json",
        "--report-dir", "--out", "--warmup", "--stall-threshold", "--memory-limit", "--quiet", "--test-size", "--child-output",
        "run", "compare", "list", "report", "child", "clock", "gcbench", "fragmentation", "deep-bigstack", "malloc", "gc", "arena",
        "arc", "0", "-1", "1e300", "2e10", "nan", "inf", "-inf", "9223372036854775807", "99999999999999999999", "", "=", "a=b",
        "maxDepth=99", "liveMiB=60000", "stackMiB=32768", "gc.gogc=abc", "arena.huge-pages=maybe", "gogc=off", ",", "a,,b", "-",
        "--", "é", "--timeout=1e-300", "--repeats=1001", "--memory-limit=16", "--readings", "--rounds",
    ]

    func testCommandLineParsingOnMutatedArguments() throws {
        var rng = generator()
        let directory = try TestSupport.workDirectory(self)
        var parsed = 0
        for i in 0..<(150 * Self.scale) {
            var arguments = Self.validCommandLines[rng.next(below: Self.validCommandLines.count)]
            for _ in 0...rng.next(below: 3) {
                let token = rng.next(below: 6) == 0 ? field(&rng) : Self.tokens[rng.next(below: Self.tokens.count)]
                switch rng.next(below: 3) {
                case 0 where !arguments.isEmpty: arguments[rng.next(below: arguments.count)] = token
                case 1 where !arguments.isEmpty: arguments.remove(at: rng.next(below: arguments.count))
                default: arguments.insert(token, at: rng.next(below: arguments.count + 1))
                }
            }
            // Output paths stay inside this test's directory: the checks create (and remove) what they test.
            for (j, argument) in arguments.enumerated() where ["--json", "--report-dir", "--out"].contains(argument) && j + 1 < arguments.count {
                arguments[j + 1] = "\(directory)/o\(i)"
            }
            for (j, argument) in arguments.enumerated() where argument.hasPrefix("--json=") || argument.hasPrefix("--report-dir=") || argument.hasPrefix("--out=") {
                arguments[j] = argument.prefix { $0 != "=" } + "=\(directory)/o\(i)"
            }
            do {
                let command = try HeapLabCommand.parseAsRoot(arguments)
                parsed += 1
                // What the commands compute from their options before running must not trap either.
                if let run = command as? RunCommand { _ = try? run.spec() }
                if let compare = command as? CompareCommand { _ = try? compare.specs() }
                if let root = command as? HeapLabCommand { _ = try? root.specs() }
            } catch {
                let message = HeapLabCommand.message(for: error)
                XCTAssertFalse(message.isEmpty && HeapLabCommand.exitCode(for: error) != .success, "\(arguments): an error without a message")
            }
        }
        XCTAssertGreaterThan(parsed, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), [], "the output checks left files behind")
    }
}

/// Makes one manager and allocates a small object and a large one on it.
private struct SmallAllocation: ManagerVisitor {
    func visit<M: MemoryManager>(_ make: @escaping (PauseLog) throws -> M) throws -> Bool {
        let manager = try make(PauseLog())
        try manager.withScope {
            let small = try manager.allocate(ObjectShape(referenceSlots: 1, payloadBytes: 8))
            let large = try manager.allocate(ObjectShape(referenceSlots: 0, payloadBytes: 1 << 20))
            manager.free(large)
            manager.free(small)
        }
        return true
    }
}
