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
