import Exposure
import Imaging
import Lanes

/// The live exposure analyzer (Exposure) as pipeline stage 1.
extension ExposureAnalyzer: HoleDetecting {
    public mutating func detectHoles(in frame: Frame, into holes: inout Mask) throws -> HoleStats {
        analyze(frame.image, into: &holes)
    }

    public var holeSource: String { "detected (ExposureAnalyzer)" }
}

/// Factories for the live hole detector, used where a drive has no truth masks.
public enum HoleDetectors {
    /// The live exposure analyzer for a camera geometry (processing size), restricted to its ROI.
    public static let live: @Sendable (RoadGeometry) -> (any HoleDetecting)? = { geometry in
        ExposureAnalyzer(roi: geometry.roiMask(), size: geometry.imageSize)
    }
}
