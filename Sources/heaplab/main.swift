import HeapLabCore
import SystemHeaps
import Workloads

// Runs GCBench in-process on malloc and ARC and prints wall time.
let bench = try GCBench.make()
for (name, run) in [("malloc", { try bench.run(on: MallocManager(), context: RunContext(pauseLog: PauseLog())) }),
                    ("arc", { try bench.run(on: ARCManager(), context: RunContext(pauseLog: PauseLog())) })] as [(String, () throws -> WorkloadOutcome)] {
    let t0 = MonotonicClock.now()
    let outcome = try run()
    print(name, Double(MonotonicClock.now() - t0) / 1e6, "ms", outcome.checksum)
}
