#if canImport(Glibc)
import Glibc
#endif
import XCTest

/// What a test needs to know about AddressSanitizer (`swift test --sanitize=address`, scripts/sanitize.sh).
public enum AddressSanitizer {
    /// Whether this process runs under AddressSanitizer, found at run time: the sanitizer's runtime, linked into
    /// the test binary, exports `__asan_init`.
    public static let isActive: Bool = dlsym(dlopen(nil, RTLD_NOW), "__asan_init") != nil

    /// Throws XCTSkip when the process runs under AddressSanitizer, for a test that starts a child under a memory
    /// limit: ASan reserves terabytes of address space for its shadow memory when a process starts, more than any
    /// RLIMIT_AS limit allows, so an instrumented child can not run under one (it reports that it already maps
    /// more than the limit). The ordinary `swift test` runs these tests.
    public static func skipUnderMemoryLimit() throws {
        if isActive {
            throw XCTSkip("AddressSanitizer's shadow memory (terabytes of reserved address space) does not fit under a child's RLIMIT_AS memory limit; the ordinary swift test runs this test")
        }
    }
}
