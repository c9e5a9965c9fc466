#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest
@testable import Workloads

final class LargeStackThreadTests: XCTestCase {
    /// The job runs once, on another thread whose stack is at least the size asked for.
    func testRunsTheJobOnAThreadWithTheStackAskedFor() throws {
        // glibc's pthread_getattr_np is not visible through the Glibc module (it needs _GNU_SOURCE): by name.
        typealias GetAttributes = @convention(c) (pthread_t, UnsafeMutablePointer<pthread_attr_t>) -> Int32
        let symbol = try XCTUnwrap(dlsym(dlopen(nil, RTLD_NOW), "pthread_getattr_np"))
        let getAttributes = unsafeBitCast(symbol, to: GetAttributes.self)
        let thread = try LargeStackThread(stackBytes: 64 << 20)
        let caller = pthread_self()
        var runs = 0
        var stackBytes = 0
        var sameThread = true
        thread.run {
            runs += 1
            sameThread = pthread_equal(pthread_self(), caller) != 0
            var attributes = pthread_attr_t()
            _ = getAttributes(pthread_self(), &attributes)
            pthread_attr_getstacksize(&attributes, &stackBytes)
            pthread_attr_destroy(&attributes)
        }
        XCTAssertEqual(runs, 1, "run returns after the job finished")
        XCTAssertFalse(sameThread)
        XCTAssertGreaterThanOrEqual(stackBytes, 64 << 20)
    }

    /// A thread never given a job ends when its owner is released (deinit joins it).
    func testAThreadWithoutAJobEndsWithItsOwner() throws {
        for _ in 0..<20 { _ = try LargeStackThread(stackBytes: 1 << 20) }
    }

    /// A stack larger than the whole user address space (128 TiB on x86-64) is refused whatever the kernel's
    /// overcommit policy: a thrown error with the call and the system's reason, not a crash.
    func testARefusedStackIsAThrownErrorWithTheSystemsReason() {
        XCTAssertThrowsError(try LargeStackThread(stackBytes: 1 << 47)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("could not start a thread with a 134217728 MiB stack: pthread_create failed: "), text)
            guard let failure = error as? LargeStackThread.StartError else { return XCTFail("\(type(of: error))") }
            XCTAssertTrue(text.contains(String(cString: strerror(failure.code))), text)
        }
    }
}
