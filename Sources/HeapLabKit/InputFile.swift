#if canImport(Glibc)
import Glibc
#endif

/// Reading a whole file into Swift memory with POSIX `open`, `read` and `close`.
///
/// The runner reads its files this way rather than with `FileManager.contents(atPath:)` or `Data(contentsOf:)`:
/// on Linux, Foundation reads a file whose size `fstat` reports as 0 into a 4 KiB `malloc`'d buffer and, when
/// nothing is read, returns an empty `Data` without freeing that buffer (swift-foundation's `readDataFromFile`,
/// Swift 6.3). Every child's log is read, and a child that prints nothing leaves an empty log: 4 KiB would be
/// lost per run, and LeakSanitizer fails an ASan build of `heaplab` at exit.
enum InputFile {
    /// A file that could not be read: `path`, and the system's reason.
    struct Failure: Error, CustomStringConvertible {
        var path: String
        /// The `errno` of the `open` or `read` that failed.
        var code: Int32
        var description: String { "cannot read \(path): \(String(cString: strerror(code)))" }
    }

    /// The bytes of the file at `path`, all of them (a file whose size the system reports as 0, such as one in
    /// /proc, is read to its end too).
    /// - Throws: `Failure` when the file can not be opened or read (a directory fails with EISDIR).
    static func bytes(atPath path: String) throws(Failure) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(path: path, code: errno) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            // Invariant: read writes at most chunk.count bytes into chunk's own storage.
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(path: path, code: errno)
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<count])
        }
    }
}
