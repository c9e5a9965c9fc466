import HeapLabCore

/// How an `Arena` sizes its chunks, how much it may take from the system, and whether it poisons what it frees.
///
/// Every size is in bytes. Chunk sizes are rounded up to whole pages when chunks are mapped.
public struct ArenaConfiguration: Equatable, Sendable {
    /// Size of the first chunk, and of the first chunk after a scope end released the others.
    /// Default 64 KiB. Must be at least one page (4 KiB).
    public var initialChunkBytes: Int
    /// Cap of the geometric growth: each new chunk is twice the size of the previous one, up to this.
    /// Default 8 MiB. Must be at least `initialChunkBytes`.
    public var maximumChunkBytes: Int
    /// Upper bound on the bytes of chunks the arena holds from the system (in use and spare together), or nil
    /// for no bound. Checked only on the slow path, when a new chunk is needed; a request that would exceed it
    /// throws `AllocationError.outOfMemory` and leaves the arena unchanged and usable.
    public var limitBytes: Int?
    /// Chunks released by a scope end are kept as spares, up to this many bytes, so that a loop of scopes
    /// reaches a steady state with no system calls. Chunks beyond it are returned to the system. Default 64 MiB.
    public var maximumSpareBytes: Int
    /// Fill freed memory with `Arena.poisonByte` at scope end and reset, so that a use after free reads an
    /// obvious pattern instead of plausible old data. Default: on in debug builds of ScopedArena, off in
    /// release builds (it costs a memset of everything freed).
    public var poisonsFreedMemory: Bool
    /// Which chunks of 2 MiB or more are mapped on a 2 MiB boundary and advised `MADV_HUGEPAGE`, so that with
    /// transparent huge pages they fault in 2 MiB at a time. Default `.largeRequests`: see `HugePagePolicy`.
    public var hugePages: HugePagePolicy

    /// Makes a configuration.
    ///
    /// - Precondition: `initialChunkBytes >= 4096`, `maximumChunkBytes >= initialChunkBytes`,
    ///   `maximumChunkBytes <= 1 << 40`, `limitBytes` (when given) and `maximumSpareBytes` not negative.
    ///   Use `init(options:)` for user input, which throws instead.
    public init(initialChunkBytes: Int = 64 << 10, maximumChunkBytes: Int = 8 << 20, limitBytes: Int? = nil,
                maximumSpareBytes: Int = 64 << 20, poisonsFreedMemory: Bool = _isDebugAssertConfiguration(),
                hugePages: HugePagePolicy = .largeRequests) {
        precondition(initialChunkBytes >= 4096,
                     "ArenaConfiguration: initialChunkBytes must be at least 4096 (got \(initialChunkBytes))")
        precondition(maximumChunkBytes >= initialChunkBytes && maximumChunkBytes <= 1 << 40,
                     "ArenaConfiguration: maximumChunkBytes must be in initialChunkBytes...2^40 (got \(maximumChunkBytes))")
        precondition((limitBytes ?? 0) >= 0, "ArenaConfiguration: limitBytes must not be negative")
        precondition(maximumSpareBytes >= 0, "ArenaConfiguration: maximumSpareBytes must not be negative")
        self.initialChunkBytes = initialChunkBytes
        self.maximumChunkBytes = maximumChunkBytes
        self.limitBytes = limitBytes
        self.maximumSpareBytes = maximumSpareBytes
        self.poisonsFreedMemory = poisonsFreedMemory
        self.hugePages = hugePages
    }

    /// The option keys `init(options:)` accepts, with their meaning, for `--help` texts.
    public static let optionHelp: [(key: String, help: String)] = [
        ("arena-limit", "bytes of chunks the arena may hold (suffix KiB, MiB or GiB allowed); default none"),
        ("chunk-size", "first chunk size in bytes (suffix allowed, at least 4KiB); default 64KiB"),
        ("max-chunk-size", "cap of geometric chunk growth in bytes (suffix allowed); default 8MiB"),
        ("spare-limit", "bytes of released chunks kept for reuse (suffix allowed); default 64MiB"),
        ("poison", "fill freed memory with 0xDE: true or false; default true in debug builds"),
        ("huge-pages", "which chunks of 2MiB or more get transparent huge pages: none, large (chunks of one large request) or all; default large"),
    ]

    /// Makes a configuration from the runner's `--option key=value` pairs.
    ///
    /// Keys: `arena-limit`, `chunk-size`, `max-chunk-size`, `spare-limit` (byte counts, a plain integer or one
    /// with a `KiB`, `MiB` or `GiB` suffix: `512MiB`), `poison` (`true`/`false`) and `huge-pages` (`none`, `large`, `all`).
    ///
    /// - Throws: `ParameterError` for an unknown key, a value that is not a byte count, or a combination the
    ///   arena can not use (a chunk size below 4 KiB, a cap below the first chunk size).
    public init(options: [String: String]) throws(ParameterError) {
        var configuration = ArenaConfiguration()
        for (key, value) in options.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "arena-limit": configuration.limitBytes = try Self.parseBytes(value, key: key)
            case "chunk-size": configuration.initialChunkBytes = try Self.parseBytes(value, key: key)
            case "max-chunk-size": configuration.maximumChunkBytes = try Self.parseBytes(value, key: key)
            case "spare-limit": configuration.maximumSpareBytes = try Self.parseBytes(value, key: key)
            case "poison":
                guard let flag = Bool(value) else {
                    throw ParameterError("arena: poison must be true or false (got '\(value)')")
                }
                configuration.poisonsFreedMemory = flag
            case "huge-pages":
                guard let policy = HugePagePolicy(rawValue: value) else {
                    throw ParameterError("arena: huge-pages must be none, large or all (got '\(value)')")
                }
                configuration.hugePages = policy
            default:
                throw ParameterError("arena: unknown option '\(key)' (known: \(Self.optionHelp.map(\.key).joined(separator: ", ")))")
            }
        }
        // A larger first chunk given alone raises the cap with it, so `chunk-size=16MiB` works by itself.
        if options["max-chunk-size"] == nil, configuration.maximumChunkBytes < configuration.initialChunkBytes {
            configuration.maximumChunkBytes = configuration.initialChunkBytes
        }
        guard configuration.initialChunkBytes >= 4096 else {
            throw ParameterError("arena: chunk-size must be at least 4KiB (got \(configuration.initialChunkBytes) bytes)")
        }
        guard configuration.maximumChunkBytes >= configuration.initialChunkBytes,
              configuration.maximumChunkBytes <= 1 << 40 else {
            throw ParameterError("arena: max-chunk-size must be between chunk-size and 1TiB (got \(configuration.maximumChunkBytes) bytes)")
        }
        self = configuration
    }

    /// The settings as strings keyed like `init(options:)`, for RunReports.
    public var dictionary: [String: String] {
        ["arena-limit": limitBytes.map(String.init) ?? "none",
         "chunk-size": String(initialChunkBytes),
         "max-chunk-size": String(maximumChunkBytes),
         "spare-limit": String(maximumSpareBytes),
         "poison": String(poisonsFreedMemory),
         "huge-pages": hugePages.rawValue]
    }

    /// Parses a byte count (`ByteCount.parse`: digits with an optional `K`/`KB`/`KiB`, `M`/`MB`/`MiB` or
    /// `G`/`GB`/`GiB` suffix, binary units, at most 1 PiB).
    ///
    /// - Throws: `ParameterError` naming `key`.
    public static func parseBytes(_ text: String, key: String) throws(ParameterError) -> Int {
        try ByteCount.parse(text, key: key, owner: "arena")
    }
}

/// Which of an arena's chunks are offered to the kernel as transparent huge pages (`MADV_HUGEPAGE`, on a 2 MiB
/// boundary). Only chunks of 2 MiB or more qualify; smaller ones always use 4 KiB pages.
///
/// A huge page saves 511 of 512 page faults and most TLB misses, but where it comes from decides what its first
/// touch costs. On the machine HeapLab's figures come from (a virtual machine whose idle free memory apparently
/// goes back to the host), the first write to a fresh huge page was far dearer than to small pages taken from
/// recently freed memory: GCBench on the arena was slower with huge bump chunks than without (Docs/Results.md
/// has the runs). Huge pages pay where chunks are mapped, unmapped and mapped again soon after, which is what
/// large requests do once the spare list is full. Docs/Arena.md, "Huge pages: why not every chunk".
public enum HugePagePolicy: String, Equatable, Sendable, CaseIterable {
    /// No chunk: 4 KiB pages everywhere.
    case none
    /// Chunks that hold one large request each (the default).
    case largeRequests = "large"
    /// Every chunk of 2 MiB or more, bump chunks included.
    case all
}
