import Foundation
import HeapLabCore
import XCTest

/// Checks every threaded manager must pass, written once against `ThreadedMemoryManager` (as the workloads are
/// written against `MemoryManager`), and the thread plumbing they need.
public enum ThreadedManagerChecks {
    /// What one worker thread found.
    public struct WorkerResult: Sendable {
        public var thread: Int
        /// Nodes checked against the oracle.
        public var nodes = 0
        /// Objects this thread allocated (trees, lists and garbage).
        public var allocations = 0
        public var mismatches = 0
        public var firstMismatch: String?
        /// Why the thread could not run (an attach or allocation error).
        public var error: String?

        public init(thread: Int) { self.thread = thread }

        mutating func mismatch(_ what: @autoclosure () -> String) {
            mismatches += 1
            if firstMismatch == nil { firstMismatch = what() }
        }
    }

    /// Runs `body(t)` for t in 0..<count, each on a new thread of its own, all at once, and returns the results in
    /// thread order once every thread has finished.
    ///
    /// The default stack, 32 MiB of address space (touched only as deep as the thread goes), is what a
    /// `dropTree` on the malloc family needs in an AddressSanitizer debug build: `ManualHeap.freeTree` recurses
    /// up to 4,096 levels before it switches to an explicit stack, and ASan's frames are about 1-2 KiB (4 MiB
    /// overflowed there; a release build needs about 200 KiB).
    public static func runThreads<R: Sendable>(_ count: Int, stackBytes: Int = 32 << 20,
                                               _ body: @escaping @Sendable (Int) -> R) -> [R] {
        // A pthread mutex (LockedValue), which ThreadSanitizer sees (see LockedValue).
        let results = LockedValue<[(Int, R)]>([])
        let finished = DispatchSemaphore(value: 0)
        for t in 0..<count {
            let thread = Thread {
                let result = body(t)
                results.withLock { $0.append((t, result)) }
                finished.signal()
            }
            thread.stackSize = stackBytes
            thread.start()
        }
        for _ in 0..<count { finished.wait() }
        return results.withLock { $0 }.sorted { $0.0 < $1.0 }.map { $0.1 }
    }

    /// The node of every structure: two references and the value the oracle checks.
    public static let node = ObjectShape(referenceSlots: 2, payloadBytes: 8)

    /// Builds a complete binary tree of `depth` levels below the root, top down, each node's value the next of
    /// `values` in preorder. Every node is stored into its parent before the next allocation, and the subtree
    /// being built is rooted, so a precise collector would keep all of it.
    public static func buildTree<M: MemoryManager>(_ m: M, depth: Int, values: inout SplitMix64,
                                                   allocations: inout Int) throws -> M.Ref {
        let object = try m.allocate(node)
        allocations += 1
        m.storePayload(object, byteOffset: 0, values.next())
        if depth > 0 {
            let base = m.rootDepth
            m.pushRoot(object)
            m.store(object, slot: 0, try buildTree(m, depth: depth - 1, values: &values, allocations: &allocations))
            m.store(object, slot: 1, try buildTree(m, depth: depth - 1, values: &values, allocations: &allocations))
            m.popRoots(to: base)
        }
        return object
    }

    /// Checks the tree under `object` against `values` in preorder, node by node; returns the nodes visited.
    public static func checkTree<M: MemoryManager>(_ m: M, _ object: M.Ref, depth: Int, values: inout SplitMix64,
                                                   label: String, result: inout WorkerResult) {
        let expected = values.next()
        let value = m.loadPayload(object, byteOffset: 0, as: UInt64.self)
        result.nodes += 1
        let index = result.nodes
        if value != expected { result.mismatch("\(label): node \(index) holds \(value), wrote \(expected)") }
        let left = m.load(object, slot: 0), right = m.load(object, slot: 1)
        guard depth > 0 else {
            if left != nil || right != nil { result.mismatch("\(label): a leaf has children") }
            return
        }
        guard let left, let right else {
            result.mismatch("\(label): an inner node at depth \(depth) lacks a child")
            return
        }
        checkTree(m, left, depth: depth - 1, values: &values, label: label, result: &result)
        checkTree(m, right, depth: depth - 1, values: &values, label: label, result: &result)
    }

    /// Builds a list of `count` nodes by prepending (slot 0 is next), node i's value the i-th of `values`;
    /// the head stays rooted at root `index` while it grows.
    public static func buildList<M: MemoryManager>(_ m: M, count: Int, values: inout SplitMix64, rootIndex: Int,
                                                   allocations: inout Int) throws -> M.Ref? {
        var head: M.Ref? = nil
        for _ in 0..<count {
            let object = try m.allocate(node)
            allocations += 1
            m.storePayload(object, byteOffset: 0, values.next())
            m.store(object, slot: 0, head)
            head = object
            m.setRoot(rootIndex, head)
        }
        return head
    }

    /// Checks a list built by `buildList` with `values` (read from its head: the newest value first).
    public static func checkList<M: MemoryManager>(_ m: M, _ head: M.Ref?, count: Int, values: SplitMix64,
                                                   label: String, result: inout WorkerResult) {
        var regenerate = values
        var expected = [UInt64](repeating: 0, count: count)
        for i in 0..<count { expected[i] = regenerate.next() }
        var cursor = head
        var index = count
        while let object = cursor {
            index -= 1
            guard index >= 0 else {
                result.mismatch("\(label): more than \(count) nodes")
                return
            }
            let value = m.loadPayload(object, byteOffset: 0, as: UInt64.self)
            result.nodes += 1
            if value != expected[index] { result.mismatch("\(label): node \(index) holds \(value), wrote \(expected[index])") }
            cursor = m.load(object, slot: 0)
        }
        if index != 0 { result.mismatch("\(label): \(count - index) nodes, expected \(count)") }
    }

    /// Sizes of one `buildAndCheck` run.
    public struct Sizes: Sendable {
        public var structures: Int
        public var treeDepth: Int
        public var listLength: Int
        /// Garbage trees (of `garbageDepth`) made and dropped between structures, so that freed memory is reused
        /// while the other threads' structures are live.
        public var garbagePerStructure: Int
        public var garbageDepth: Int

        public init(structures: Int, treeDepth: Int, listLength: Int, garbagePerStructure: Int, garbageDepth: Int) {
            self.structures = structures
            self.treeDepth = treeDepth
            self.listLength = listLength
            self.garbagePerStructure = garbagePerStructure
            self.garbageDepth = garbageDepth
        }

        /// Sized for a debug `swift test` (seconds), larger in release and with HEAPLAB_STRESS_SCALE.
        public static let standard = Sizes(structures: StressEnvironment.operations(debug: 6, release: 40),
                                           treeDepth: 9, listLength: 2_000, garbagePerStructure: 8, garbageDepth: 6)

        /// Objects one thread allocates in a run.
        public var allocationsPerThread: Int {
            structures * ((1 << (treeDepth + 1)) - 1 + listLength + garbagePerStructure * ((1 << (garbageDepth + 1)) - 1))
        }
    }

    /// `threads` threads attach to `manager` at once; each builds `sizes.structures` trees and lists whose values
    /// come from its own seed, making and dropping garbage in between; every thread waits until all have built
    /// theirs (so every structure of every thread is live at once), then checks its own node by node against
    /// values regenerated from its seed, drops them inside a scope, and detaches. Overlapping memory between
    /// threads, a block freed under its holder, or a lost store shows as a mismatch.
    ///
    /// `afterBuild` runs on each thread once every thread has built its structures, before it checks them (a
    /// collector's test forces a collection there, while every structure is live).
    public static func buildAndCheck<T: ThreadedMemoryManager & Sendable>(_ manager: T, threads: Int, sizes: Sizes = .standard,
                                                                        seed: UInt64,
                                                                        afterBuild: (@Sendable (T.Context) -> Void)? = nil) -> [WorkerResult] {
        let allBuilt = Barrier(count: threads)
        return runThreads(threads) { t in
            var result = WorkerResult(thread: t)
            let m: T.Context
            do { m = try manager.attach() } catch {
                result.error = "attach: \(error)"
                allBuilt.arrive()
                return result
            }
            do {
                try m.withScope {
                    let base = m.rootDepth
                    var trees: [T.Context.Ref] = []
                    var lists: [T.Context.Ref?] = []
                    var values = SplitMix64(seed: seed &+ UInt64(t) &* 0x9E37)
                    var garbageValues = SplitMix64(seed: ~seed)
                    for _ in 0..<sizes.structures {
                        let tree = try buildTree(m, depth: sizes.treeDepth, values: &values, allocations: &result.allocations)
                        m.pushRoot(tree)
                        trees.append(tree)
                        for _ in 0..<sizes.garbagePerStructure {
                            let garbage = try buildTree(m, depth: sizes.garbageDepth, values: &garbageValues,
                                                        allocations: &result.allocations)
                            m.dropTree(garbage)
                        }
                        let rootIndex = m.pushRoot(nil)
                        lists.append(try buildList(m, count: sizes.listLength, values: &values, rootIndex: rootIndex,
                                                   allocations: &result.allocations))
                    }
                    allBuilt.arrive()
                    allBuilt.wait()
                    afterBuild?(m)
                    var check = SplitMix64(seed: seed &+ UInt64(t) &* 0x9E37)
                    for (i, tree) in trees.enumerated() {
                        checkTree(m, tree, depth: sizes.treeDepth, values: &check, label: "thread \(t) tree \(i)", result: &result)
                        checkList(m, lists[i], count: sizes.listLength, values: check, label: "thread \(t) list \(i)", result: &result)
                        for _ in 0..<sizes.listLength { _ = check.next() }
                    }
                    m.popRoots(to: base)
                    for tree in trees { m.dropTree(tree) }
                    for case let list? in lists { m.dropTree(list) }
                }
            } catch {
                result.error = "\(error)"
                allBuilt.arrive()
            }
            manager.detach(m)
            return result
        }
    }

    /// Asserts that every worker ran, checked every node it built, and found each as it wrote it.
    public static func assertClean(_ results: [WorkerResult], threads: Int, sizes: Sizes = .standard,
                                   file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(results.count, threads, file: file, line: line)
        let nodes = sizes.structures * ((1 << (sizes.treeDepth + 1)) - 1 + sizes.listLength)
        for result in results {
            XCTAssertNil(result.error, "thread \(result.thread)", file: file, line: line)
            XCTAssertEqual(result.nodes, nodes, "thread \(result.thread): nodes checked", file: file, line: line)
            XCTAssertEqual(result.mismatches, 0, "thread \(result.thread): \(result.firstMismatch ?? "")", file: file, line: line)
            XCTAssertEqual(result.allocations, sizes.allocationsPerThread, "thread \(result.thread)", file: file, line: line)
        }
    }

    /// Attaching twice on one thread throws `.alreadyAttached` naming the manager, and leaves the first
    /// attachment usable and detachable.
    public static func assertAttachTwiceThrows<T: ThreadedMemoryManager>(_ manager: T, file: StaticString = #filePath,
                                                                         line: UInt = #line) throws {
        let first = try manager.attach()
        do {
            let second = try manager.attach()
            XCTFail("a second attach on one thread succeeded", file: file, line: line)
            manager.detach(second)
        } catch {
            XCTAssertEqual(error, .alreadyAttached(manager: manager.name), file: file, line: line)
            XCTAssertTrue(error.description.contains("attached already"), error.description, file: file, line: line)
        }
        let object = try first.allocate(node)
        first.storePayload(object, byteOffset: 0, UInt64(7))
        XCTAssertEqual(first.loadPayload(object, byteOffset: 0, as: UInt64.self), 7, file: file, line: line)
        first.dropTree(object)
        manager.detach(first)
        // Detached, the thread may attach again.
        let again = try manager.attach()
        manager.detach(again)
    }
}

/// Holds a non-Sendable value so that a test can move it to another thread on purpose (a hand-off, or a misuse
/// under test). The test's own synchronization orders the accesses.
public final class Unchecked<Value>: @unchecked Sendable {
    public var value: Value
    public init(_ value: Value) { self.value = value }
}

/// A queue between threads, under a lock, for handing references from one thread to another (the sender
/// stops using what it sent).
public final class HandOffQueue<Element>: @unchecked Sendable {
    // @unchecked: `items` and `closed` are read and written only with `condition` locked.
    let condition = NSCondition()
    var items: [Element] = []
    var closed = false

    public init() {}

    public func send(_ item: Element) {
        condition.lock()
        items.append(item)
        condition.signal()
        condition.unlock()
    }

    /// No more items will be sent.
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// The next item, waiting for one; nil once the queue is closed and empty.
    public func receive() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !closed { condition.wait() }
        return items.isEmpty ? nil : items.removeFirst()
    }
}

/// A one-shot meeting point for `count` threads: `wait` returns once `arrive` was called `count` times. On an
/// `NSCondition` (a pthread mutex and condition variable, which ThreadSanitizer sees).
public final class Barrier: @unchecked Sendable {
    // @unchecked: `remaining` is read and written only with `condition` locked.
    let condition = NSCondition()
    var remaining: Int

    public init(count: Int) { remaining = count }

    public func arrive() {
        condition.lock()
        remaining -= 1
        if remaining <= 0 { condition.broadcast() }
        condition.unlock()
    }

    public func wait() {
        condition.lock()
        while remaining > 0 { condition.wait() }
        condition.unlock()
    }
}

/// The misuses of a threaded manager that stop the program with a precondition message; each runs in a child
/// process (the misuse ends it), re-running one test of the test binary with `variable` set to the case.
public enum ThreadedMisuse: String, Sendable {
    /// A context attached on the main thread is detached on another thread (checked in every build).
    case detachOnAnotherThread = "detach-elsewhere"
    /// A context attached on the main thread is used (`safepoint()`, `withScope`, `statistics()`) on another
    /// thread (checked in debug builds, on those rare paths only).
    case contextOnAnotherThread = "context-elsewhere"
    /// A context is detached with a root still pushed (checked in every build; only managers with a root stack
    /// can get there).
    case detachWithRoots = "detach-with-roots"

    /// The environment variable that selects the misuse in the child.
    public static let variable = "HEAPLAB_THREADED_MISUSE"

    /// The misuse the parent asked this child for, or nil in an ordinary run.
    public static var requested: ThreadedMisuse? {
        ProcessInfo.processInfo.environment[variable].flatMap(ThreadedMisuse.init(rawValue:))
    }

    /// In the child: commits the misuse on `manager`. Returns only when no check fired.
    public func perform<T: ThreadedMemoryManager>(on manager: T) throws {
        let context = try manager.attach()
        // The misuse under test: what the other thread runs uses the manager and the main thread's context.
        let onAnotherThread: Unchecked<() -> Void>
        switch self {
        case .detachOnAnotherThread:
            onAnotherThread = Unchecked { manager.detach(context) }
        case .contextOnAnotherThread:
            onAnotherThread = Unchecked {
                context.safepoint()
                context.withScope {}
                _ = context.statistics()
            }
        case .detachWithRoots:
            let object = try context.allocate(ThreadedManagerChecks.node)
            context.pushRoot(object)
            manager.detach(context)
            return
        }
        _ = ThreadedManagerChecks.runThreads(1) { _ in onAnotherThread.value() }
    }

    /// In the parent: runs test `filter` in a child process with this misuse requested; returns its exit status
    /// and standard error.
    public func runChild(_ filter: String) throws -> (status: Int32, stderr: String) {
        try ChildProcess.runTrap(filter, environment: [Self.variable: rawValue])
    }

    /// In the parent: runs the child and asserts that it stopped, with a message containing `expected` (Swift
    /// prints a precondition's message in debug builds only).
    public func assertTraps(_ filter: String, expected: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let (status, stderr) = try runChild(filter)
        XCTAssertNotEqual(status, 0, "the child must stop at the check:\n\(stderr.suffix(2000))", file: file, line: line)
        #if DEBUG
        for text in expected {
            XCTAssertTrue(stderr.contains(text), "expected \"\(text)\" in:\n\(stderr.suffix(2000))", file: file, line: line)
        }
        #endif
    }
}
