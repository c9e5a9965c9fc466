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

    /// Reads /proc/self/status. Returns zeros where the file is not available (not Linux).
    public static func read() -> ResidentMemory {
        guard let text = readSmallFile("/proc/self/status") else { return ResidentMemory(currentBytes: 0, peakBytes: 0) }
        var current = 0, peak = 0
        for line in text.split(separator: "\n") {
            if line.hasPrefix("VmRSS:") { current = kilobytes(line) * 1024 }
            else if line.hasPrefix("VmHWM:") { peak = kilobytes(line) * 1024 }
        }
        return ResidentMemory(currentBytes: current, peakBytes: peak)
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

/// Reads a small text file (under 64 KiB) such as one in /proc, or nil.
func readSmallFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes = [UInt8](repeating: 0, count: 65536)
    var used = 0
    while used < bytes.count {
        let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + used, $0.count - used) }
        if n <= 0 { break }
        used += n
    }
    return String(decoding: bytes[0..<used], as: UTF8.self)
}
