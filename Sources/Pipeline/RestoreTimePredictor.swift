/// Predicts how long the next restoration will take from the last few that ran: the median of
/// the last `window` durations.
///
/// A restoration predicted to overrun the frame's budget is skipped, and a skipped one is never
/// timed, so the prediction only changes when restorations run. With a running mean, a single
/// slow restoration (the process swapped out, a page-cache miss) pushed the prediction over the
/// budget and restoration stayed off for the rest of the drive. The median forgets a lone spike:
/// it takes a majority of slow restorations in the window to stop restoring.
public struct RestoreTimePredictor: Sendable {
    public let window: Int
    private var durations: [Double]
    private var next = 0
    private var count = 0

    public init(window: Int = 5) {
        precondition(window >= 1, "the predictor needs a window of at least one restoration")
        self.window = window
        durations = [Double](repeating: 0, count: window)
    }

    /// Seconds the next restoration is expected to take; nil before the first one ran.
    public var predicted: Double? {
        guard count > 0 else { return nil }
        // Upper median of the filled part, sorted in scratch space on the stack (per frame, so
        // no heap allocation).
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: count) { sorted in
            for i in 0..<count { sorted[i] = durations[i] }
            for i in 1..<count {
                let v = sorted[i]
                var j = i - 1
                while j >= 0 && sorted[j] > v { sorted[j + 1] = sorted[j]; j -= 1 }
                sorted[j + 1] = v
            }
            return sorted[count / 2]
        }
    }

    /// Records the duration of a restoration that ran.
    public mutating func record(seconds: Double) {
        durations[next] = seconds
        next = (next + 1) % window
        count = min(count + 1, window)
    }
}
