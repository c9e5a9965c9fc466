#if canImport(Glibc)
import Glibc
#endif

/// The process's resident memory as the kernel reports it in /proc/self/status: VmRSS (now) and VmHWM (peak).
public struct ResidentMemory: Codable, Equatable, Sendable {
    /// Resident set size now, bytes.
    public var currentBytes: Int
    /// Peak resident set size since the process started (or since `resetPeak()`), bytes.
    public var peakBytes: Int

    public init(currentBytes: Int, peakBytes: Int) {
        self.currentBytes = currentBytes
        self.peakBytes = peakBytes
    }

    /// Reads the current and peak resident set sizes (VmRSS and VmHWM in /proc/self/status). Returns zeros
    /// where the file is not available (not Linux).
    public static func read() -> ResidentMemory {
        var current = 0, peak = 0
        withProcFile("/proc/self/status") { text in
            // Lines "Name:\t<spaces><kB> kB"; only the two wanted are parsed, byte by byte (a String split of
            // the whole file cost about 0.8 M instructions a call, inside the timed run).
            var lineStart = 0
            while lineStart < text.count {
                var lineEnd = lineStart
                while lineEnd < text.count && text[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
                let line = UnsafeBufferPointer(rebasing: text[lineStart..<lineEnd])
                if line.starts(with: "VmRSS:".utf8) { current = firstNumber(line) * 1024 }
                else if line.starts(with: "VmHWM:".utf8) { peak = firstNumber(line) * 1024 }
                lineStart = lineEnd + 1
            }
        }
        return ResidentMemory(currentBytes: current, peakBytes: peak)
    }

    /// The current resident set size, bytes, from /proc/self/statm (resident pages, its second field): what
    /// a memory sample needs, read from a file the kernel writes with much less work than the status file.
    /// Returns 0 where the file is not available.
    public static func currentBytes() -> Int {
        var pages = 0
        withProcFile("/proc/self/statm") { text in
            guard let space = text.firstIndex(of: UInt8(ascii: " ")) else { return }
            pages = firstNumber(UnsafeBufferPointer(rebasing: text[(space + 1)...]))
        }
        return pages * pageSize
    }

    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// The first run of decimal digits in `bytes`, or 0.
    private static func firstNumber(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var value = 0, seen = false
        for byte in bytes {
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                value = value &* 10 &+ Int(byte &- UInt8(ascii: "0"))
                seen = true
            } else if seen {
                break
            }
        }
        return value
    }

    /// Resets the kernel's peak (VmHWM) to the current RSS, so a peak measured after warm-up excludes it.
    /// Returns false when the kernel refused (the peak then still includes everything before).
    @discardableResult
    public static func resetPeak() -> Bool {
        let fd = open("/proc/self/clear_refs", O_WRONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return write(fd, "5", 1) == 1
    }

    private static func kilobytes(_ line: Substring) -> Int {
        Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
    }
}

/// One point of resident memory over time, with the live bytes the workload or manager knew of then.
public struct MemorySample: Codable, Equatable, Sendable {
    /// Nanoseconds since the run started.
    public var elapsedNanoseconds: UInt64
    public var residentBytes: Int
    /// Live bytes as the workload counts them (its own bookkeeping), or nil.
    public var liveBytes: Int?
    /// Heap bytes as the manager reports them, or nil.
    public var heapBytes: Int?

    public init(elapsedNanoseconds: UInt64, residentBytes: Int, liveBytes: Int?, heapBytes: Int?) {
        self.elapsedNanoseconds = elapsedNanoseconds
        self.residentBytes = residentBytes
        self.liveBytes = liveBytes
        self.heapBytes = heapBytes
    }
}

/// Calls `body` with the contents of a small file such as one in /proc (at most 16 KiB, in a buffer on the stack,
/// so a memory sample allocates nothing); does nothing when the file can not be opened.
func withProcFile(_ path: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return }
    defer { close(fd) }
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16384) { buffer in
        var used = 0
        while used < buffer.count {
            // Invariant: used < buffer.count, so the read stays inside the buffer.
            let n = read(fd, buffer.baseAddress! + used, buffer.count - used)
            if n <= 0 { break }
            used += n
        }
        body(UnsafeBufferPointer(rebasing: buffer[..<used]))
    }
}
