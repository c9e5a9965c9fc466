import Foundation
import XCTest
@testable import HeapLabKit

enum TestSupport {
    /// The built-in lab's registry (unspecialized in a debug build, which is all a test needs), installed for
    /// the commands as `Lab.main` installs it.
    static let registry: Registry = {
        let registry = HeapLab.standard.registry
        CommandContext.installed = registry
        return registry
    }()

    /// The installed memory managers (native reference programs left out: they run only their own workloads).
    static var memoryManagers: [String] {
        registry.managers.filter { !$0.isNativeReference && $0.availability().isAvailable }.map(\.name)
    }

    /// The `heaplab` binary built beside this test bundle (`swift test` builds every product of the package).
    static func heaplabBinary() throws -> String {
        let directory = URL(fileURLWithPath: ChildLauncher.currentExecutable()).deletingLastPathComponent()
        let path = directory.appendingPathComponent("heaplab").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            // `swift test` builds every product of the package, so a missing binary is a broken build, not a skip.
            throw RunnerError("no heaplab binary at \(path): `swift test` should have built it")
        }
        return path
    }

    /// A fresh directory for child files, removed by the test's teardown.
    static func workDirectory(_ test: XCTestCase) throws -> String {
        let directory = try ChildLauncher.makeWorkDirectory()
        test.addTeardownBlock { try? FileManager.default.removeItem(atPath: directory) }
        return directory
    }

    /// What a run of the `heaplab` binary left: its exit status (or 128 + the signal that ended it), stdout,
    /// stderr.
    struct Outcome {
        var status: Int32
        var standardOutput: String
        var standardError: String
        /// stderr's lines, without empty ones.
        var errorLines: [String] { standardError.split(separator: "\n").map(String.init) }
    }

    /// Runs the `heaplab` binary with `arguments` and waits for it (a test-size run takes seconds). stdout goes
    /// to `standardOutput` when given (a path such as /dev/full), else it is captured; `environment` is added
    /// to this process's. `started` is called with the process once it runs.
    static func runHeaplab(_ arguments: [String], standardOutput: String? = nil, environment: [String: String] = [:],
                           started: (Process) throws -> Void = { _ in }) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try heaplabBinary())
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, given in given }
        process.standardInput = FileHandle.nullDevice
        let outputPipe = Pipe(), errorPipe = Pipe()
        if let standardOutput {
            guard let handle = FileHandle(forWritingAtPath: standardOutput) else { throw RunnerError("cannot open \(standardOutput)") }
            process.standardOutput = handle
        } else {
            process.standardOutput = outputPipe
        }
        process.standardError = errorPipe
        try process.run()
        // Read both pipes while it runs, so a full pipe never blocks it.
        let output = Pipe.Reader(standardOutput == nil ? outputPipe : nil), errors = Pipe.Reader(errorPipe)
        try started(process)
        process.waitUntilExit()
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return Outcome(status: status, standardOutput: output.text(), standardError: errors.text())
    }

    /// GCBench at test size on `manager`.
    static func smallSpec(_ manager: String) throws -> RunSpec {
        try registry.spec(workload: "gcbench", manager: manager, testSize: true)
    }
}

extension Pipe {
    /// Reads a pipe to its end on a thread of its own.
    final class Reader: @unchecked Sendable {
        private var data = Data()
        private let done = DispatchSemaphore(value: 0)
        private let active: Bool

        init(_ pipe: Pipe?) {
            active = pipe != nil
            guard let handle = pipe?.fileHandleForReading else { return }
            Thread {
                self.data = handle.readDataToEndOfFile()  // written before `done` is signalled, read after
                self.done.signal()
            }.start()
        }

        /// Everything read, once the writer closed its end.
        func text() -> String {
            guard active else { return "" }
            done.wait()
            return String(decoding: data, as: UTF8.self)
        }
    }
}
