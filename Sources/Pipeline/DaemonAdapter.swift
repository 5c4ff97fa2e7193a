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

    public var frameSize: ImageSize { pipeline.geometry.imageSize }

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
        return ProcessedFrame(
            hSamples: pipeline.hSamples,
            lanes: zip(lanes, confidences).map { ProcessedFrame.Lane(xs: $0.0, confidence: $0.1) },
            restoration: .init(result.restoration), holeCoverage: result.holes.roiCoverage,
            stageSeconds: [("exposure", result.exposureSeconds), ("restore", result.restoreSeconds), ("lanes", result.lanesSeconds)])
    }

    public func reset(keepMemory: Bool) { pipeline.reset(keepMemory: keepMemory) }
}

extension ProcessedFrame.RestorationOutcome {
    /// The daemon's flag for a stage outcome.
    init(_ outcome: RestorationOutcome) {
        switch outcome {
        case .notNeeded: self = .notNeeded
        case .restored: self = .restored
        case .copiedLast: self = .copiedLast
        case .skipped(.deadline): self = .skippedDeadline
        case .skipped(.noReferences): self = .skippedNoReferences
        case .skipped(.disabled): self = .disabled
        }
    }
}

extension RestorationOutcome {
    /// The outcome's name in replay reports: the daemon's lanes-record flag.
    public var name: String { ProcessedFrame.RestorationOutcome(self).rawValue }
}
