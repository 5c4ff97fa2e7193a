import Daemon
import Imaging

/// Adapts a `FramePipeline` to the daemon's `FrameProcessing` (Sources/Daemon): the daemon owns
/// timing, queues, sinks and faults; this turns one processed frame into its lanes record.
public final class PipelineFrameProcessor: FrameProcessing {
    public let pipeline: FramePipeline
    private var lanes: [[Double]] = []
    private var confidences: [Double] = []
    /// The last hole-detection error (the frame then goes out as if it had no holes).
    public private(set) var lastError: Error?

    public init(pipeline: FramePipeline) { self.pipeline = pipeline }

    public func process(_ frame: inout Frame, budget: Double) -> ProcessedFrame {
        let result: FramePipeline.Result
        do {
            result = try pipeline.process(&frame, budget: budget)
            lastError = nil
        } catch {
            lastError = error
            result = pipeline.process(&frame, holes: Mask(width: frame.width, height: frame.height, fill: 0), budget: budget)
        }
        pipeline.readLanes(into: &lanes, confidences: &confidences)
        let outcome: ProcessedFrame.RestorationOutcome
        switch result.restoration {
        case .notNeeded: outcome = .notNeeded
        case .restored: outcome = .restored
        case .copiedLast: outcome = .copiedLast
        case .skipped(.deadline): outcome = .skippedDeadline
        case .skipped(.noReferences): outcome = .skippedNoReferences
        case .skipped(.disabled): outcome = .disabled
        }
        return ProcessedFrame(
            hSamples: pipeline.hSamples,
            lanes: zip(lanes, confidences).map { ProcessedFrame.Lane(xs: $0.0, confidence: $0.1) },
            restoration: outcome, holeCoverage: result.holes.roiCoverage,
            stageSeconds: [("exposure", result.exposureSeconds), ("restore", result.restoreSeconds), ("lanes", result.lanesSeconds)])
    }

    public func reset(keepMemory: Bool) { pipeline.reset(keepMemory: keepMemory) }
}
