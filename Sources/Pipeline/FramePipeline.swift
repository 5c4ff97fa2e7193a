import Exposure
import Foundation
import Imaging
import Lanes

/// The per-frame stage graph shared by `clearlane replay` and the daemon (`clearlane run`):
///
///     frame ─▶ hole detection ─▶ [restoration] ─▶ [classical correction] ─▶ lane detection
///
/// Frames must already be at the processing size (the source scales). Every buffer is owned
/// here and reused, so `process` allocates nothing once the first frame has been seen.
///
/// The daemon uses one `FramePipeline` with an `ExposureAnalyzer` and the CPNet restorer:
/// `process(&frame, budget:)` restores the frame in place, and `readLanes(into:)` gives the lanes
/// at `hSamples` (processing pixels). Replay builds one per variant (raw, CLAHE, gamma,
/// restored, clean), computes the holes once on the raw frame and passes them with
/// `process(&frame, holes:budget:)`.
public final class FramePipeline {
    public struct Result: Sendable, Equatable {
        public var holes: HoleStats
        public var restoration: RestorationOutcome
        /// Seconds in each stage for this frame.
        public var exposureSeconds = 0.0, restoreSeconds = 0.0, correctionSeconds = 0.0, lanesSeconds = 0.0
        public var laneCount = 0
    }

    public let geometry: RoadGeometry
    public let detector: LaneDetector
    /// Rows (processing pixels) lanes are read out at.
    public private(set) var hSamples: [Int]
    public private(set) var detection = LaneDetection()
    /// The last frame's hole mask (processing size, 1 = hole).
    public private(set) var holes: Mask
    public let roi: Mask
    public let roiPixelCount: Int
    private var holeDetector: (any HoleDetecting)?
    private let restorer: FrameRestoring?
    private var correction: (any FrameCorrection)?
    private var rowsAsDouble: [Double]
    private var scratch: [Double] = []
    /// Pixels within `seamRadius` of a restored hole's edge: where pasted content meets the filmed
    /// frame, a brightness step is an artefact, so the detector takes no evidence there.
    public var seamRadius = 2
    private var seams = Mask(width: 0, height: 0, fill: 0)
    private var morphology = BoxMorphology()
    /// With restoration and `prefersFilmedLanes`: a second detector that tracks the frames as
    /// filmed, and the two detections fused per lane (`LaneDetection.fuse`).
    private let filmedDetector: LaneDetector?
    private var filmedDetection = LaneDetection()
    private var restoredDetection = LaneDetection()
    /// With the filmed detector: on frames whose filled holes cover at least this share of the ROI,
    /// a filmed ego line carried from the other, seen one beats the restored frame's line
    /// (`LaneDetection.fuse(carriedFirst:)`; config `lanes.carried_over_pasted`; 0: never).
    public let carriedOverPastedCoverage: Double
    /// In a restored frame the detector judges filmed pixels against filmed sides only
    /// (`LaneDetector.detect(…restored:)`; config `lanes.filmed_against_filmed`).
    public let judgesFilmedAgainstFilmed: Bool
    /// Seconds the stages after restoration (correction, lane detection) took on the last frame:
    /// kept back from the restoration's budget so the whole frame meets its deadline.
    private var afterRestoreSeconds = 0.0

    /// - Parameters:
    ///   - geometry: the camera geometry at the processing size.
    ///   - fps: the stream's frame rate (the lane tracks' time limits are seconds).
    ///   - holeDetector: stage 1 (nil: frames are taken to have no holes unless given some).
    ///   - restorer: stage 2 (nil: restoration disabled).
    ///   - correction: a classical baseline applied before lane detection (replay's CLAHE/gamma).
    ///   - prefersFilmedLanes: with a restorer, also detect lanes in the frame as filmed and report
    ///     a line seen there over the restored frame's (config `lanes.prefer_filmed`).
    ///   - carriedOverPastedCoverage: with `prefersFilmedLanes`, the ROI share of filled holes from
    ///     which a carried filmed ego line beats the restored one (config
    ///     `lanes.carried_over_pasted`; 0: never).
    ///   - judgesFilmedAgainstFilmed: on a restored frame, a filmed pixel with restored pixels in
    ///     its side windows is no marking evidence (config `lanes.filmed_against_filmed`).
    public init?(geometry: RoadGeometry, parameters: LaneDetectorParameters = .init(), fps: Double = 30, hSamples: [Int]? = nil,
                 holeDetector: (any HoleDetecting)? = nil, restorer: FrameRestoring? = nil,
                 correction: (any FrameCorrection)? = nil, prefersFilmedLanes: Bool = false,
                 carriedOverPastedCoverage: Double = 0, judgesFilmedAgainstFilmed: Bool = false) {
        guard let detector = LaneDetector(geometry: geometry, parameters: parameters, fps: fps) else { return nil }
        filmedDetector = restorer != nil && prefersFilmedLanes ? LaneDetector(geometry: geometry, parameters: parameters, fps: fps) : nil
        self.geometry = geometry
        self.detector = detector
        self.holeDetector = holeDetector
        self.restorer = restorer
        self.correction = correction
        self.carriedOverPastedCoverage = carriedOverPastedCoverage
        self.judgesFilmedAgainstFilmed = judgesFilmedAgainstFilmed
        let rows = hSamples ?? LaneReadout.defaultRows(geometry: geometry)
        self.hSamples = rows
        rowsAsDouble = rows.map(Double.init)
        roi = geometry.roiMask()
        roiPixelCount = max(1, roi.setCount)
        holes = Mask(width: geometry.imageSize.width, height: geometry.imageSize.height, fill: 0)
    }

    /// Where this pipeline's holes come from, for reports.
    public var holeSource: String? { holeDetector?.holeSource }

    /// Runs all stages on `frame` (processing size), restoring it in place.
    public func process(_ frame: inout Frame, budget: Double = .infinity) throws -> Result {
        let t0 = DispatchTime.now().uptimeNanoseconds
        var stats = HoleStats(roiCoverage: 0)
        if holeDetector != nil {
            stats = try holeDetector!.detectHoles(in: frame, into: &holes)
        } else {
            holes.reshape(width: frame.width, height: frame.height, fill: 0)
            for i in holes.values.indices { holes.values[i] = 0 }
        }
        let t1 = DispatchTime.now().uptimeNanoseconds
        var result = runStages(&frame, stats: stats, budget: budget, started: t0)
        result.exposureSeconds = Double(t1 - t0) / 1e9
        return result
    }

    /// Runs restoration, correction and lane detection with holes found elsewhere (replay
    /// computes them once per frame for all variants).
    public func process(_ frame: inout Frame, holes given: Mask, budget: Double = .infinity) -> Result {
        let started = DispatchTime.now().uptimeNanoseconds
        holes.reshape(width: given.width, height: given.height, fill: 0)
        holes.values.withUnsafeMutableBufferPointer { dst in
            given.values.withUnsafeBufferPointer { src in
                for i in 0..<src.count { dst[i] = src[i] }
            }
        }
        return runStages(&frame, stats: HoleStats(roiCoverage: coverage(of: holes)), budget: budget, started: started)
    }

    /// Share of the ROI covered by `mask` (same size as the processing frames).
    public func coverage(of mask: Mask) -> Double {
        guard mask.size == roi.size else { return 0 }
        var n = 0
        for i in 0..<mask.values.count where mask.values[i] != 0 && roi.values[i] != 0 { n += 1 }
        return Double(n) / Double(roiPixelCount)
    }

    /// `budget` is the frame's, counted from `started` (uptime nanoseconds): restoration gets what
    /// is left of it after the stages before it, less what the stages after it took last time.
    private func runStages(_ frame: inout Frame, stats: HoleStats, budget: Double, started: UInt64) -> Result {
        // The filmed frame's lanes are taken before restoration overwrites its holes; a line the
        // holes hide is held, not dropped (`holeHoldSeconds`), so it is there when the paste lacks it.
        let hasHoles = stats.roiCoverage > 0
        let t0 = DispatchTime.now().uptimeNanoseconds
        filmedDetector?.detect(frame.image, holes: hasHoles ? holes : nil, into: &filmedDetection)
        let t1 = DispatchTime.now().uptimeNanoseconds
        var outcome = RestorationOutcome.notNeeded
        if let restorer {
            let restoreBudget = budget - Double(t1 - started) / 1e9 - afterRestoreSeconds
            outcome = restorer.restore(&frame, holes: holes, budget: restoreBudget)
        } else if hasHoles {
            outcome = .disabled
        }
        let t2 = DispatchTime.now().uptimeNanoseconds
        if correction != nil { correction!.correct(&frame.image) }
        let t3 = DispatchTime.now().uptimeNanoseconds
        var ignoring: Mask?
        if outcome.filledHoles, seamRadius > 0 {
            markSeams()
            ignoring = seams
        }
        // The holes as the restorer filled them (those no reference showed stay clipped as
        // filmed: no side to judge paint against either).
        let restored = outcome.filledHoles && judgesFilmedAgainstFilmed ? holes : nil
        if let filmedDetector {
            // A frame restoration and correction left as filmed is the frame the filmed detector
            // just thresholded: take its marking pixels instead of warping and thresholding again
            // (most frames: those without holes). Only the outcomes that never touch the frame;
            // a restorer can change it and still report skippedNoReferences (exposure matching
            // before a network step that restores nothing).
            let asFilmed = outcome == .notNeeded || outcome == .skippedDeadline
            if !asFilmed || correction != nil {
                detector.detect(frame.image, ignoring: ignoring, restored: restored, into: &restoredDetection)
            } else {
                detector.detect(sameFrameAs: filmedDetector, into: &restoredDetection)
            }
            // A carried filmed line beats pasted paint where the road was largely pasted.
            let pasted = carriedOverPastedCoverage > 0 && outcome.filledHoles && stats.roiCoverage >= carriedOverPastedCoverage
            detection.fuse(filmed: filmedDetection, restored: restoredDetection, carriedFirst: pasted)
        } else {
            detector.detect(frame.image, ignoring: ignoring, restored: restored, into: &detection)
        }
        let t4 = DispatchTime.now().uptimeNanoseconds
        afterRestoreSeconds = Double(t4 - t2) / 1e9
        var result = Result(holes: stats, restoration: outcome)
        result.restoreSeconds = Double(t2 - t1) / 1e9
        result.correctionSeconds = Double(t3 - t2) / 1e9
        result.lanesSeconds = Double(t4 - t3 + t1 - t0) / 1e9
        result.laneCount = detection.lanes.count
        return result
    }

    /// The last frame's lanes, left to right, as x at `hSamples` (processing pixels, −2 where
    /// absent), with their confidences. The arrays are reused.
    public func readLanes(into lanes: inout [[Double]], confidences: inout [Double]) {
        lanes.removeAll(keepingCapacity: true)
        confidences.removeAll(keepingCapacity: true)
        for lane in detection.lanes {
            detector.sample(lane, rows: rowsAsDouble, into: &scratch)
            guard scratch.contains(where: { $0 >= 0 }) else { continue }
            lanes.append(scratch)
            confidences.append(lane.confidence)
        }
    }

    /// seams = dilate(holes) ∖ erode(holes): a band of 2·seamRadius+1 pixels along every hole edge.
    private func markSeams() {
        morphology.edgeBand(holes, radius: seamRadius, into: &seams)
    }

    /// After a camera gap: lane tracks are dropped; the restorer keeps or clears its memory.
    public func reset(keepMemory: Bool) {
        detector.reset()
        filmedDetector?.reset()
        holeDetector?.reset()
        restorer?.reset(keepMemory: keepMemory)
    }
}
