import Foundation
import XCTest
import HeapLabCore
import ScopedArena
import ScopedArenaLifetimes

/// The compile-time lifetimes tier: references the compiler keeps inside their arena's lifetime.
final class LifetimeTierTests: XCTestCase {
    func testReferencesAndSpansReadAndWriteArenaMemory() throws {
        let result = try withArena { arena throws(AllocationError) -> Int in
            let a = try arena.reference(to: 20)
            let total = try arena.withScope { scope throws(AllocationError) -> Int in
                let b = try scope.reference(to: 1.5)
                var s = try scope.span(repeating: UInt8(3), count: 10)
                s[9] = 7
                a.value += Int(b.value * 2)
                var sum = 0
                for i in s.indices { sum += Int(s[i]) }
                return sum
            }
            XCTAssertEqual(arena.statistics().liveBytes, 8, "the scope's reference and span were freed")
            return a.value + total
        }
        XCTAssertEqual(result, 23 + 34)
    }

    func testBadInputThrows() {
        let arena = Arena()
        XCTAssertThrowsError(try { () throws(AllocationError) in _ = try arena.span(repeating: 0, count: -1) }())
        XCTAssertThrowsError(try { () throws(AllocationError) in _ = try arena.span(repeating: 0, count: Int.max / 2) }())
    }

    // MARK: what the compiler rejects

    /// The compiler, from PATH or the toolchain's usual place.
    func findSwiftc() -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = path.split(separator: ":").map { "\($0)/swiftc" } + ["/opt/swift/usr/bin/swiftc", "/usr/bin/swiftc"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }.map(URL.init(fileURLWithPath:))
    }

    /// Where SwiftPM put this build's modules (next to the test binary). ScopedArenaLifetimes imports only
    /// ScopedArena and HeapLabCore, which need no C module, so the directory is all the compiler needs.
    func findModuleDirectory() -> URL? {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let modules = binary.deletingLastPathComponent().appendingPathComponent("Modules")
        guard FileManager.default.fileExists(atPath: modules.appendingPathComponent("ScopedArenaLifetimes.swiftmodule").path) else {
            return nil
        }
        return modules
    }

    /// Compiles `snippet` to SIL (the lifetime checks run in SIL, after type checking) and returns the exit
    /// status and diagnostics.
    func compile(_ snippet: LifetimeSnippet, swiftc: URL, modules: URL) throws -> (Int32, String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("scoped-arena-snippets-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("snippet.swift")
        try ("import ScopedArena\nimport ScopedArenaLifetimes\n\n" + snippet.source + "\n").write(to: file, atomically: true, encoding: .utf8)
        let arguments = ["-emit-sil", "-o", "/dev/null", "-enable-experimental-feature", "Lifetimes",
                         "-I", modules.path, file.path]
        let process = Process()
        process.executableURL = swiftc
        process.arguments = arguments
        let output = Pipe()
        process.standardError = output
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func testCompilerRejectsReferencesThatOutliveTheirArena() throws {
        let swiftc = try XCTUnwrap(findSwiftc(), "swiftc not found on PATH or in /opt/swift/usr/bin")
        let modules = try XCTUnwrap(findModuleDirectory(), "ScopedArenaLifetimes.swiftmodule not found next to \(CommandLine.arguments[0])")
        for snippet in lifetimeSnippets {
            let (status, diagnostics) = try compile(snippet, swiftc: swiftc, modules: modules)
            if let expected = snippet.expectedError {
                XCTAssertNotEqual(status, 0, "'\(snippet.name)' must not compile")
                let errorLines = diagnostics.split(separator: "\n").filter { $0.contains("error:") }
                XCTAssertTrue(errorLines.contains { $0.contains(expected) },
                              "'\(snippet.name)': expected \"\(expected)\", got:\n\(diagnostics)")
            } else {
                XCTAssertEqual(status, 0, "'\(snippet.name)' must compile:\n\(diagnostics)")
            }
        }
    }
}
