import Dispatch
import Foundation

/// Splits row-parallel work over the machine's cores. Every output pixel depends only on its own
/// address (noise comes from `NoiseTable`, not a sequential generator), so the result does not
/// depend on how rows are split or in what order threads finish.
public enum ParallelRows {
    /// Worker count: the active processor count, capped by CLEARLANE_THREADS when it is set.
    public static let workers: Int = {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        if let text = ProcessInfo.processInfo.environment["CLEARLANE_THREADS"], let n = Int(text), n > 0 { return min(n, 64) }
        return max(cores, 1)
    }()

    /// Calls `body` with disjoint row ranges covering 0..<rows, in parallel.
    public static func run(rows: Int, _ body: @Sendable (Range<Int>) -> Void) {
        let bands = min(rows, workers * 4)
        guard bands > 1 else {
            if rows > 0 { body(0..<rows) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: bands) { band in
            let start = rows * band / bands, end = rows * (band + 1) / bands
            if end > start { body(start..<end) }
        }
    }
}

/// A raw pointer handed to parallel row bands that write disjoint rows. The wrapper only exists
/// to cross the closure boundary; the caller guarantees the buffer outlives the parallel call.
public struct SharedPointer<T>: @unchecked Sendable {
    public let base: UnsafeMutablePointer<T>
    public init(_ base: UnsafeMutablePointer<T>) { self.base = base }
    @inlinable public subscript(i: Int) -> T {
        get { base[i] }
        nonmutating set { base[i] = newValue }
    }
}
