import Foundation
import HeapLabCore
import XCTest

/// Runs `body` once per value; a thrown error is reported with the parameter's name and value.
func withEvery<T>(_ label: String, in values: some Sequence<T>, file: StaticString = #filePath, line: UInt = #line,
                  _ body: (T) throws -> Void) rethrows {
    for value in values {
        do {
            try body(value)
        } catch {
            XCTFail("\(label) = \(value): \(error)", file: file, line: line)
            throw error
        }
    }
}

/// Counts live instances, to prove that deinits ran (once each).
final class LifetimeTracker {
    var live = 0
    var created = 0
    var destroyedOrder: [Int] = []
}

/// A class instance whose life the tracker counts.
final class Tracked {
    let tracker: LifetimeTracker
    let id: Int
    init(_ tracker: LifetimeTracker, id: Int = 0) {
        self.tracker = tracker
        self.id = id
        tracker.live += 1
        tracker.created += 1
    }
    deinit {
        tracker.live -= 1
        tracker.destroyedOrder.append(id)
    }
}

/// A noncopyable value with a deinit, counted by a tracker.
struct TrackedToken: ~Copyable {
    let tracker: LifetimeTracker
    let id: Int
    init(_ tracker: LifetimeTracker, id: Int) {
        self.tracker = tracker
        self.id = id
        tracker.live += 1
        tracker.created += 1
    }
    deinit {
        tracker.live -= 1
        tracker.destroyedOrder.append(id)
    }
}
