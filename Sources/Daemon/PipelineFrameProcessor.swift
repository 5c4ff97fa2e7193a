import Imaging
import Lanes
import Pipeline

/// Adapts a `FramePipeline` to the daemon's `FrameProcessing` (Sources/Daemon): the daemon owns
/// timing, queues, sinks and faults; this turns one processed frame into its lanes record.
///
/// Lanes go out in the camera's native pixels (as `clearlane detect` and labels have them), read
/// at native rows like replay's `LaneReadout`, although the pipeline runs at the processing size.
public final class PipelineFrameProcessor: FrameProcessing {
    public let pipeline: FramePipeline
    private var readout: LaneReadout?
    private var lanes: [[Double]] = []
    private var confidences: [Double] = []
    /// The last hole-detection error (the frame then goes out as if it had no holes).
    public private(set) var lastError: Error?

    /// `native`: the camera's geometry at its own size (lanes are reported in its pixels, every
    /// `rowStep` rows below its ROI top); nil reports processing pixels at the pipeline's rows.
    public init(pipeline: FramePipeline, native: RoadGeometry? = nil, rowStep: Int = 10) {
        self.pipeline = pipeline
        if let native {
            readout = LaneReadout(labelSize: native.imageSize, processingSize: pipeline.geometry.imageSize,
                                  hSamples: LaneReadout.defaultRows(geometry: native, step: rowStep))
        }
    }

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
        if readout != nil {
            readout!.read(pipeline.detection, from: pipeline.detector, into: &lanes, confidences: &confidences)
        } else {
            pipeline.readLanes(into: &lanes, confidences: &confidences)
        }
        return ProcessedFrame(
            size: readout?.labelSize ?? pipeline.geometry.imageSize,
            hSamples: readout?.hSamples ?? pipeline.hSamples,
            lanes: zip(lanes, confidences).map { ProcessedFrame.Lane(xs: $0.0, confidence: $0.1) },
            restoration: result.restoration, holeCoverage: result.holes.roiCoverage,
            stageSeconds: [("exposure", result.exposureSeconds), ("restore", result.restoreSeconds), ("lanes", result.lanesSeconds)])
    }

    public func reset(keepMemory: Bool) { pipeline.reset(keepMemory: keepMemory) }
}
