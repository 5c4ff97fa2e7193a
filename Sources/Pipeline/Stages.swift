import Imaging

/// What one frame's exposure analysis found, for metrics and reports.
public struct HoleStats: Sendable, Equatable {
    /// Mean BT.601 luma of the frame, 0–255 (nil when the detector does not measure it).
    public var meanLuma: Double?
    /// Shares of the frame's pixels that are clipped / crushed (nil when not measured).
    public var clippedFraction: Double?
    public var crushedFraction: Double?
    /// Share of the lane ROI covered by the hole mask.
    public var roiCoverage: Double

    public init(meanLuma: Double? = nil, clippedFraction: Double? = nil, crushedFraction: Double? = nil, roiCoverage: Double) {
        self.meanLuma = meanLuma
        self.clippedFraction = clippedFraction
        self.crushedFraction = crushedFraction
        self.roiCoverage = roiCoverage
    }
}

/// Stage 1: finds the exposure holes of a frame (clipped or crushed regions inside the lane ROI).
/// Implementations: the live `ExposureAnalyzer` (Exposure), `TruthMaskHoles` (a drive's masks/).
public protocol HoleDetecting {
    /// Writes the frame's hole mask into `holes` (reshaped to the frame size; 1 = hole) and
    /// returns its statistics. Called once per frame, in stream order; no allocation after the
    /// first frame.
    mutating func detectHoles(in frame: Frame, into holes: inout Mask) throws -> HoleStats
    /// Forgets temporal state (hysteresis) after a gap in the stream.
    mutating func reset()
    /// Says where the masks come from, for reports ("truth masks (masks/)", "ExposureAnalyzer").
    var holeSource: String { get }
}

/// Why a frame with holes went out unrestored.
public enum SkipReason: String, Sendable, Equatable, Codable {
    /// Restoration would have overrun the frame's time budget.
    case deadline
    /// No usable reference frames yet (start of stream, after a reset).
    case noReferences = "no_references"
    /// No model loaded, or restoration switched off.
    case disabled
}

/// Stage 2's result for one frame.
public enum RestorationOutcome: Sendable, Equatable {
    /// The frame has no holes.
    case notNeeded
    /// Hole pixels were replaced in place.
    case restored
    /// Restoration would have overrun the frame's deadline, so the hole pixels took their last
    /// filmed values instead (copy-last: each from the last frame in which it was not a hole).
    case copiedLast
    case skipped(SkipReason)

    /// Whether hole pixels were replaced (by the restorer or its fallback).
    public var filledHoles: Bool {
        switch self {
        case .restored, .copiedLast: return true
        case .notNeeded, .skipped: return false
        }
    }
}

/// Stage 2: fills a frame's holes in place from earlier frames (CPNet's Restorer). Implemented
/// by the CPNet module; the pipeline only needs this much.
public protocol FrameRestoring: AnyObject {
    /// Restores `frame` in place where `holes` is set, within `budget` seconds (skip rather than
    /// overrun). Frames without holes are still offered so the reference memory stays current.
    func restore(_ frame: inout Frame, holes: Mask, budget: Double) -> RestorationOutcome
    /// After a camera gap: `keepMemory` false clears the reference memory (new scene).
    func reset(keepMemory: Bool)
}
