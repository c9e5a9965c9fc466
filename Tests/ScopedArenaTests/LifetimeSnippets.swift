/// Small programs against ScopedArenaLifetimes, each with what the compiler must say about it. They are
/// compiled by `LifetimeTierTests.testCompilerRejectsReferencesThatOutliveTheirArena` and shown in
/// Docs/Arena.md. `nil` means the program must compile.
struct LifetimeSnippet {
    let name: String
    let source: String
    /// Text the compiler's error must contain, or nil when the snippet must compile cleanly.
    let expectedError: String?
}

let lifetimeSnippets: [LifetimeSnippet] = [
    LifetimeSnippet(name: "reference outlives its arena", source: """
        func escapeFromArena() -> Int {
            let r: ArenaReference<Int>
            do {
                let arena = Arena()
                r = try! arena.reference(to: 1)
            }
            return r.value      // the arena is gone here
        }
        """, expectedError: "lifetime-dependent variable 'r' escapes its scope"),

    LifetimeSnippet(name: "reference returned from a scope", source: """
        func escapeFromScope(_ arena: borrowing Arena) -> Int {
            let r: ArenaReference<Int> = arena.withScope { scope in try! scope.reference(to: 1) }
            return r.value
        }
        """, expectedError: "requires that 'ArenaReference<Int>' conform to 'Escapable'"),

    LifetimeSnippet(name: "child reference stored in a parent variable", source: """
        func escapeViaOuterVariable(_ arena: borrowing Arena) -> Int {
            var r = try! arena.reference(to: 0)
            arena.withScope { scope in
                r = try! scope.reference(to: 1)   // freed when the scope ends
            }
            return r.value
        }
        """, expectedError: "lifetime-dependent variable 'r' escapes its scope"),

    LifetimeSnippet(name: "reset while a reference is in use", source: """
        func resetWhileBorrowed() -> Int {
            var arena = Arena()
            let r = try! arena.reference(to: 1)
            arena.reset()
            return r.value
        }
        """, expectedError: "overlapping accesses to 'arena', but modification requires exclusive access"),

    LifetimeSnippet(name: "reference captured by an escaping closure", source: """
        func captureInEscapingClosure() -> () -> Int {
            let arena = Arena()
            let r = try! arena.reference(to: 1)
            return { r.value }
        }
        """, expectedError: "lifetime-dependent variable 'r' escapes its scope"),

    LifetimeSnippet(name: "reference returned from a function", source: """
        func returnReference() -> ArenaReference<Int> {
            let arena = Arena()
            return try! arena.reference(to: 1)
        }
        """, expectedError: "a function with a ~Escapable result needs a parameter to depend on"),

    LifetimeSnippet(name: "span outlives its arena", source: """
        func spanOutlivesArena() -> Int {
            let s: MutableSpan<Int>
            do {
                let arena = Arena()
                s = try! arena.span(repeating: 2, count: 4)
            }
            return s[0]
        }
        """, expectedError: "lifetime-dependent variable 's' escapes its scope"),

    LifetimeSnippet(name: "references used within their scopes", source: """
        func good() -> Int {
            withArena { arena in
                let outer = try! arena.reference(to: 40)
                let inner = arena.withScope { scope in
                    let r = try! scope.reference(to: 2)
                    outer.value += r.value        // a parent's reference is usable in a child scope
                    var s = try! scope.span(repeating: 1, count: 3)
                    s[1] = 5
                    return s[0] + s[1] + s[2]
                }
                return outer.value + inner
            }
        }
        func passDown(_ r: borrowing ArenaReference<Int>) -> Int { r.value }
        func callee(_ arena: borrowing Arena) -> Int {
            let r = try! arena.reference(to: 3)
            return passDown(r)
        }
        """, expectedError: nil),
]
