import HeapLabCore
import MarkSweepGC
import Workloads

/// Two of the Swift-specific costs Docs/Internals.md ("Swift-specific costs") names, each measured as a pair in
/// one process: the pattern the hot paths avoid, and what they do instead.
enum SwiftCosts {
    typealias T = TimingTool

    static func run(millions: Int) throws {
        let n = max(1, millions) * 1_000_000
        // Specialization: GCBench (default size) on the collector, its generic code specialized for GCHeap, then
        // through an existential whose type the optimizer cannot know (so the unspecialized generic body runs:
        // every allocate, load and store a witness-table call, every reference moved through value witnesses).
        let bench = try GCBench.make()
        for round in 1...3 {
            let log = PauseLog()
            let heap = GCHeap(configuration: GCConfiguration(), pauseLog: log)
            var start = MonotonicClock.now()
            _ = try bench.run(on: heap, context: RunContext(pauseLog: log))
            let specialized = MonotonicClock.now() - start
            let hidden = makeHidden()
            start = MonotonicClock.now()
            _ = try runUnspecialized(bench, hidden)
            let unspecialized = MonotonicClock.now() - start
            print("round \(round): GCBench on gc, specialized \(T.milliseconds(specialized)) ms, unspecialized \(T.milliseconds(unspecialized)) ms")
        }
        let list = StrongNode.list(1_000_000)
        report("walk 1M-node list of class references (retain/release per step)", walkStrong(list, rounds: n / 1_000_000), n)
        let raw = RawNodeList(1_000_000)
        report("walk 1M-node list of raw pointers (no reference counting)", walkRaw(raw, rounds: n / 1_000_000), n)
        raw.deallocate()
    }

    /// Runs `bench` on a manager known only as an existential: the generic `run` is not specialized.
    @inline(never) static func runUnspecialized(_ bench: GCBench, _ m: any MemoryManager) throws -> WorkloadOutcome {
        try bench.run(on: m, context: RunContext(pauseLog: PauseLog()))
    }

    static func report(_ what: String, _ elapsed: UInt64, _ n: Int) {
        print("\(what): \((Double(elapsed) / Double(n) * 100).rounded() / 100) ns per operation")
    }

    // MARK: specialization.

    /// An existential whose dynamic type the optimizer cannot know (made through a mutable global function value).
    nonisolated(unsafe) static var hiddenFactory: () -> any MemoryManager = {
        GCHeap(configuration: GCConfiguration(), pauseLog: PauseLog())
    }
    static func makeHidden() -> any MemoryManager { hiddenFactory() }

    // MARK: reference counting on traversal.

    final class StrongNode {
        var next: StrongNode?
        var value = 1
        init(next: StrongNode?) { self.next = next }
        static func list(_ n: Int) -> StrongNode {
            var head = StrongNode(next: nil)
            for _ in 1..<n { head = StrongNode(next: head) }
            return head
        }
    }

    @inline(never) static func walkStrong(_ head: StrongNode, rounds: Int) -> UInt64 {
        var sink = 0
        let start = MonotonicClock.now()
        for _ in 0..<max(1, rounds) {
            var node: StrongNode? = head
            while let n = node { sink &+= n.value; node = n.next }
        }
        let elapsed = MonotonicClock.now() - start
        blackHole(sink)
        return elapsed
    }

    /// The same list as raw 16-byte cells (next pointer, value), as the collector's objects are.
    struct RawNodeList {
        let cells: UnsafeMutableRawPointer
        let head: UnsafeMutableRawPointer
        init(_ n: Int) {
            cells = UnsafeMutableRawPointer.allocate(byteCount: 16 * n, alignment: 16)
            var next: UnsafeMutableRawPointer? = nil
            for i in 0..<n {
                // Invariant: cell i is inside the 16 * n bytes just allocated.
                let cell = cells + 16 * i
                cell.storeBytes(of: next, as: UnsafeMutableRawPointer?.self)
                cell.storeBytes(of: 1, toByteOffset: 8, as: Int.self)
                next = cell
            }
            head = next!
        }
        func deallocate() { cells.deallocate() }
    }

    @inline(never) static func walkRaw(_ list: RawNodeList, rounds: Int) -> UInt64 {
        var sink = 0
        let start = MonotonicClock.now()
        for _ in 0..<max(1, rounds) {
            var node: UnsafeMutableRawPointer? = list.head
            while let n = node {
                sink &+= n.load(fromByteOffset: 8, as: Int.self)
                node = n.load(as: UnsafeMutableRawPointer?.self)
            }
        }
        let elapsed = MonotonicClock.now() - start
        blackHole(sink)
        return elapsed
    }
}
