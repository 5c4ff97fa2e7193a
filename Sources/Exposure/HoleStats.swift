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
