/// Predicts how long the next restoration will take from the last few that ran: the median of
/// the last `window` durations.
///
/// A restoration predicted to overrun the frame's budget is skipped, and a skipped one is never
/// timed, so the prediction only changes when restorations run. With a running mean, a single
/// slow restoration (the process swapped out, a page-cache miss) pushed the prediction over the
/// budget and restoration stayed off for the rest of the drive. The median forgets a lone spike:
/// it takes a majority of slow restorations in the window to stop restoring.
///
/// A majority of slow restorations still stopped it for good: the first few restorations of a
/// session can be slow (buffers touched for the first time, the machine busy starting up), and
/// a 3-minute soak once restored 2 frames and sent 1846 to the fallback while another, identical,
/// restored 1220 and sent none. So after `remeasureAfter` restorations in a row were skipped on
/// the prediction (`recordSkip`), `dueForRemeasure` says the next one should run anyway: at worst
/// one frame in `remeasureAfter + 1` is late on a machine that really is too slow, and a
/// prediction made in a slow moment is corrected within about a second.
public struct RestoreTimePredictor: Sendable {
    public let window: Int
    public let remeasureAfter: Int
    private var durations: [Double]
    private var next = 0
    private var count = 0
    private var skippedInARow = 0

    /// - Parameter remeasureAfter: skips in a row after which a restoration runs anyway (30: about
    ///   a second at 30 fps).
    public init(window: Int = 5, remeasureAfter: Int = 30) {
        precondition(window >= 1, "the predictor needs a window of at least one restoration")
        precondition(remeasureAfter >= 1, "remeasureAfter counts skips: at least 1")
        self.window = window
        self.remeasureAfter = remeasureAfter
        durations = [Double](repeating: 0, count: window)
    }

    /// Whether the next restoration should run whatever the prediction, to re-measure it.
    public var dueForRemeasure: Bool { skippedInARow >= remeasureAfter }

    /// Notes a restoration skipped because the prediction overran the budget.
    public mutating func recordSkip() {
        skippedInARow += 1
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
        skippedInARow = 0
        durations[next] = seconds
        next = (next + 1) % window
        count = min(count + 1, window)
    }
}
