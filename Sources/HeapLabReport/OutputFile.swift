#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Writing files and directories with errors a person can read: every failure names the path and the
/// system's reason (`strerror`), never a Foundation error domain and code. The runner checks its output paths
/// with `checkWritable` before any run starts, so that hours of runs are not lost to a typo in `--json`.
public enum OutputFile {
    /// A file or directory that could not be written: `path`, and the system's reason.
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public init(path: String, reason: String) {
            self.path = path
            self.reason = reason
        }
        public var description: String { "cannot write \(path): \(reason)" }
    }

    /// The text of `errno` value `code`: "No space left on device".
    public static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// Writes `data` to `path`, created or truncated (not through a temporary file, so a device such as
    /// /dev/null or /dev/stdout works as the target).
    /// - Throws: `Failure` when the file can not be opened, written whole or closed.
    public static func write(_ data: Data, to path: String) throws(Failure) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(path: path, reason: reason(errno)) }
        var failure: Int32 = 0
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < bytes.count {
                // Invariant: 0 <= offset < bytes.count, so the pointer and count stay inside the buffer.
                let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += n
            }
        }
        // close reports errors of delayed writes (NFS, a full disk): they count.
        if close(fd) != 0, failure == 0 { failure = errno }
        if failure != 0 { throw Failure(path: path, reason: reason(failure)) }
    }

    /// Writes `data` to `path` through a temporary file in the same directory, renamed over `path` at the end:
    /// a reader never sees half a file, and a failed write leaves the old file (if any) as it was.
    /// - Throws: `Failure` when the temporary file can not be written or renamed.
    public static func writeAtomically(_ data: Data, to path: String) throws(Failure) {
        let temporary = path + ".partial"
        do {
            try write(data, to: temporary)
        } catch {
            unlink(temporary)
            throw Failure(path: path, reason: error.reason)
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw Failure(path: path, reason: reason(code))
        }
    }

    /// Creates `path` and its missing parents (like `mkdir -p`); nothing when it is a directory already.
    /// - Returns: the directories created, outermost first.
    /// - Throws: `Failure` naming the path that could not be created, or that exists and is not a directory.
    @discardableResult
    public static func createDirectory(_ path: String) throws(Failure) -> [String] {
        var created: [String] = []
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            current += "/" + component
            var info = stat()
            if stat(current, &info) == 0 {
                guard info.st_mode & S_IFMT == S_IFDIR else {
                    throw Failure(path: path, reason: "\(current) exists and is not a directory")
                }
                continue
            }
            guard mkdir(current, 0o755) == 0 || errno == EEXIST else {
                throw Failure(path: path, reason: reason(errno))
            }
            created.append(current)
        }
        return created
    }

    /// Checks that a file can be written at `path` without changing anything: an existing file is opened for
    /// writing (not truncated); a new one is created and removed again.
    /// - Throws: `Failure` when `path` is a directory, its directory is missing, or the system refuses.
    public static func checkWritable(file path: String) throws(Failure) {
        guard !path.isEmpty else { throw Failure(path: "''", reason: "the file name is empty") }
        var info = stat()
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT != S_IFDIR else {
                throw Failure(path: path, reason: "it is a directory (give a file name)")
            }
            // O_NONBLOCK: a FIFO without a reader is refused (ENXIO) instead of blocking the check.
            let fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else { throw Failure(path: path, reason: reason(errno)) }
            close(fd)
            return
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, stat(directory, &info) != 0 || info.st_mode & S_IFMT != S_IFDIR {
            throw Failure(path: path, reason: "directory \(directory) does not exist")
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(path: path, reason: reason(errno)) }
        close(fd)
        unlink(path)
    }

    /// Checks that files can be written into directory `path`: it is created when missing (with its parents), a
    /// file is created in it and removed, and the directories created for the check are removed again.
    /// - Throws: `Failure` when it can not be created, is not a directory, or refuses a new file.
    public static func checkWritable(directory path: String) throws(Failure) {
        guard !path.isEmpty else { throw Failure(path: "''", reason: "the directory name is empty") }
        let created = try createDirectory(path)
        defer { for directory in created.reversed() { rmdir(directory) } }
        var template = Array((path + "/.heaplab-write-check.XXXXXX").utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw Failure(path: path, reason: reason(errno)) }
        close(fd)
        unlink(template)
    }
}
