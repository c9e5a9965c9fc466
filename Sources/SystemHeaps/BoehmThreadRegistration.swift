#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The calling thread registered with Boehm GC, for as long as this value lives: Boehm then stops it during
/// collections and scans its stack and registers conservatively, so it may allocate from Boehm and hold Boehm
/// references. Boehm does not know threads it did not create; one that allocates without registering has
/// objects freed under it.
///
/// Use, on a thread other than the one that first loaded Boehm (that one is registered already):
/// ```swift
/// // on the first manager's thread, once, before starting the others:
/// try mainManager.allowThreadRegistration()
/// // on each other thread:
/// let registration = try BoehmThreadRegistration()
/// do {
///     let gc = try BoehmManager(pauseLog: nil)    // this thread's context
///     ...                                         // allocate, root, store through `gc`
/// }                                               // `gc` dropped while still registered
/// registration.unregister()
/// ```
///
/// Every manager made on the thread must be gone before it unregisters (a manager frees its root stack through
/// Boehm), and no Boehm reference may be kept on the thread afterwards: publish what must outlive the thread
/// in a structure another registered thread roots, before unregistering.
///
/// Made through `GC_get_stack_base` and `GC_register_my_thread`, ended through `GC_unregister_my_thread`,
/// loaded with the rest of Boehm with dlopen (`BoehmLibrary`).
public struct BoehmThreadRegistration: ~Copyable {
    /// The registered thread: unregistering elsewhere would unregister that other thread instead.
    let thread: pthread_t
    let unregisterFunction: BoehmThreadFunctions.Int0

    /// Registers the calling thread with Boehm GC.
    ///
    /// - Throws: `BoehmThreadError`: `.unavailable` when libgc.so.1 can not be loaded; `.unsupported` when it
    ///   lacks thread registration; `.notAllowed` before a manager's `allowThreadRegistration()`;
    ///   `.alreadyRegistered` on a thread Boehm knows already (the thread that first loaded it, or one
    ///   registered twice); `.failed` with Boehm's code otherwise. Nothing is registered when it throws.
    public init() throws(BoehmThreadError) {
        let gc: BoehmLibrary
        do { gc = try BoehmLibrary.load() } catch { throw .unavailable(error.description) }
        guard let threads = gc.threads else { throw .unsupported(gc.threadsMissing) }
        // Boehm aborts the process on a registration it was not told to expect; refuse it here instead.
        guard BoehmThreadFunctions.registrationAllowed.load(ordering: .acquiring) else { throw .notAllowed }
        // struct GC_stack_base is one pointer (mem_base) on x86_64 and two on IA-64 and e2k; two zeroed words
        // hold either layout.
        var base: (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) = (nil, nil)
        let code = withUnsafeMutablePointer(to: &base) { pointer -> Int32 in
            let raw = UnsafeMutableRawPointer(pointer)
            let found = threads.getStackBase(raw)
            guard found == BoehmThreadFunctions.success else { return -1 - found }
            return threads.registerMyThread(raw)
        }
        switch code {
        case BoehmThreadFunctions.success: break
        case BoehmThreadFunctions.duplicate: throw .alreadyRegistered
        case ..<0: throw .failed("GC_get_stack_base returned \(-1 - code)")
        default: throw .failed("GC_register_my_thread returned \(code)")
        }
        thread = pthread_self()
        unregisterFunction = threads.unregisterMyThread
    }

    /// Unregisters the thread now (the same as letting the value go out of scope).
    /// - Precondition: called on the thread that registered.
    public consuming func unregister() {}

    deinit {
        precondition(pthread_equal(pthread_self(), thread) != 0,
                     "boehm: a thread registration ended on another thread than the one it registered")
        _ = unregisterFunction()
    }
}

/// A registration is the calling thread's: it must end there, so it may not be sent to another.
@available(*, unavailable)
extension BoehmThreadRegistration: Sendable {}

/// Why a thread could not register with Boehm GC.
public enum BoehmThreadError: Error, Equatable, Sendable, CustomStringConvertible {
    /// libgc.so.1 could not be loaded (the message says why).
    case unavailable(String)
    /// This libgc has no thread registration (the missing symbol is named).
    case unsupported(String)
    /// No manager has called `allowThreadRegistration()` yet.
    case notAllowed
    /// The calling thread is registered already.
    case alreadyRegistered
    /// Boehm refused, with its return code.
    case failed(String)

    public var description: String {
        switch self {
        case let .unavailable(message): "boehm: libgc.so.1 is not usable: \(message)"
        case let .unsupported(message): "boehm: this libgc has no thread registration (\(message))"
        case .notAllowed: "boehm: thread registration is not allowed yet: call allowThreadRegistration() on the first manager's thread before starting other threads"
        case .alreadyRegistered: "boehm: this thread is registered with Boehm GC already"
        case let .failed(message): "boehm: thread registration failed: \(message)"
        }
    }
}

/// libgc's thread-registration entry points (gc.h), loaded with the rest of `BoehmLibrary`.
struct BoehmThreadFunctions: @unchecked Sendable {
    typealias Void0 = @convention(c) () -> Void
    typealias Int0 = @convention(c) () -> Int32
    /// `int f(struct GC_stack_base *)`, the struct passed as raw memory (see `BoehmThreadRegistration.init`).
    typealias StackBaseFunction = @convention(c) (UnsafeMutableRawPointer) -> Int32

    /// GC_SUCCESS and GC_DUPLICATE in gc.h.
    static let success: Int32 = 0
    static let duplicate: Int32 = 1

    let allowRegisterThreads: Void0
    let getStackBase: StackBaseFunction
    let registerMyThread: StackBaseFunction
    let unregisterMyThread: Int0

    init(_ lib: DynamicLibrary) throws(ComparatorUnavailable) {
        allowRegisterThreads = try lib.function("GC_allow_register_threads", as: Void0.self)
        getStackBase = try lib.function("GC_get_stack_base", as: StackBaseFunction.self)
        registerMyThread = try lib.function("GC_register_my_thread", as: StackBaseFunction.self)
        unregisterMyThread = try lib.function("GC_unregister_my_thread", as: Int0.self)
    }

    /// Set once `GC_allow_register_threads` has returned. Written with release and read with acquire, so a
    /// thread that sees it set also sees what that call did to Boehm's state before it registers.
    static let registrationAllowed = Atomic<Bool>(false)
    /// Serializes the first `allowRegistration`, so `GC_allow_register_threads` runs once.
    static let allowing = Mutex<Void>(())

    /// Calls `GC_allow_register_threads` once per process. The caller is a thread Boehm knows.
    static func allowRegistration(_ functions: BoehmThreadFunctions) {
        allowing.withLock { _ in
            guard !registrationAllowed.load(ordering: .relaxed) else { return }  // the lock orders this
            functions.allowRegisterThreads()
            registrationAllowed.store(true, ordering: .releasing)
        }
    }
}
