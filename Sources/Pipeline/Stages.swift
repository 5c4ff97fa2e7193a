import Exposure
import Imaging

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

/// Stage 2's result for one frame. The raw values are the wire names: the daemon's lanes records
/// (`restoration`), its metrics' labels and replay reports (`restorations`) all use them.
public enum RestorationOutcome: String, Sendable, Equatable, Codable, CaseIterable {
    /// The frame has no holes.
    case notNeeded = "not_needed"
    /// Hole pixels were replaced in place.
    case restored
    /// Restoration would have overrun the frame's deadline, so the hole pixels took their last
    /// filmed values instead (copy-last: each from the last frame in which it was not a hole).
    case copiedLast = "copied_last"
    /// Went out unrestored: restoration would have overrun the frame's time budget.
    case skippedDeadline = "skipped_deadline"
    /// Went out unrestored: no usable reference frames yet (start of stream, after a reset).
    case skippedNoReferences = "skipped_no_references"
    /// Went out unrestored: no model loaded, or restoration switched off.
    case disabled

    /// Whether hole pixels were replaced (by the restorer or its fallback).
    public var filledHoles: Bool { self == .restored || self == .copiedLast }
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
