import Imaging
import Pipeline

/// What the daemon needs from the per-frame pipeline (hole detection → restoration → lanes).
/// The daemon owns timing, queues, sinks and faults; the processor owns the image work.
public protocol FrameProcessing: AnyObject {
    /// The size frames must arrive at: the config's processing box fitted to the camera's aspect
    /// ratio (`ImageSize.fitting(aspectOf:)`), so a 4:3 camera is neither stretched nor letterboxed.
    var frameSize: ImageSize { get }
    /// Processes `frame` in place (restored pixels written into it). `budget` is the time left for
    /// this frame in seconds: a processor skips restoration it predicts would overrun it.
    func process(_ frame: inout Frame, budget: Double) -> ProcessedFrame
    /// Called after a camera gap: `keepMemory` false clears the reference memory (new scene).
    func reset(keepMemory: Bool)
}

/// One frame's result, as written to the lanes output.
public struct ProcessedFrame: Sendable, Equatable {
    public struct Lane: Sendable, Equatable {
        /// x at each of `hSamples`, -2 where absent (TuSimple convention).
        public var xs: [Double]
        public var confidence: Double
        public init(xs: [Double], confidence: Double) {
            self.xs = xs
            self.confidence = confidence
        }
    }

    /// The pixel size `hSamples` and the lanes' x are in: the camera's native size (nil: the
    /// processing size, `frameSize`).
    public var size: ImageSize?
    public var hSamples: [Int]
    public var lanes: [Lane]
    /// What happened to the frame's holes (its raw value is the lanes record's `restoration`).
    public var restoration: RestorationOutcome
    /// Fraction of the lane region of interest covered by holes.
    public var holeCoverage: Double
    /// Seconds spent per stage, e.g. ["exposure": 0.002, "restore": 0.03, "lanes": 0.004].
    public var stageSeconds: [(String, Double)]

    public init(size: ImageSize? = nil, hSamples: [Int], lanes: [Lane], restoration: RestorationOutcome, holeCoverage: Double, stageSeconds: [(String, Double)]) {
        self.size = size
        self.hSamples = hSamples
        self.lanes = lanes
        self.restoration = restoration
        self.holeCoverage = holeCoverage
        self.stageSeconds = stageSeconds
    }

    public static func == (a: ProcessedFrame, b: ProcessedFrame) -> Bool {
        a.size == b.size && a.hSamples == b.hSamples && a.lanes == b.lanes && a.restoration == b.restoration && a.holeCoverage == b.holeCoverage
    }
}
