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

    /// GCBench at test size on `manager`.
    static func smallSpec(_ manager: String) throws -> RunSpec {
        try registry.spec(workload: "gcbench", manager: manager, testSize: true)
    }
}
