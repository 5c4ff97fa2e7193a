import Imaging

/// The bird's-eye (top-down) resampling of the road in front of the camera.
///
/// Road units: u across the road (0 = the ego lane's left line, 1 = its right line, as given by
/// the camera profile's four road points), v along it (0 and 1 = the bottom and top of that
/// rectangle). The bird's-eye image spans u ∈ [uMin, uMax] (the ego lane and a neighbour lane on
/// each side) and v from the image's bottom row to the top of the ROI (at most `maxV`), so a
/// lane line is a near-vertical curve whose column does not depend on perspective.
public struct BirdsEyeView: Sendable {
    public let geometry: RoadGeometry
    public let width: Int
    public let height: Int
    public let uMin: Double, uMax: Double
    public let vMin: Double, vMax: Double
    /// Lanes are reported beyond the bird's-eye image, up to this v (near the horizon when it is
    /// known, else the ROI top; at most `maxOutputV`), continuing each lane along its tangent: the far field has too few pixels
    /// to detect in, but the lane's image position there still matters.
    public let vOutputMax: Double
    public let imageToRoad: Homography
    public let roadToImage: Homography
    /// For each bird's-eye pixel, the index of its source pixel in the frame (nearest), or -1
    /// where that falls outside the frame or the ROI. Computed once.
    public let sourceIndex: [Int32]

    /// Bird's-eye pixels per lane width.
    public var laneWidth: Double { Double(width) / (uMax - uMin) }

    public init?(geometry: RoadGeometry, width: Int = 320, height: Int = 320,
                 uRange: ClosedRange<Double> = -1.5...2.5, maxV: Double = 3.0, maxOutputV: Double = 12.0) {
        guard geometry.problem == nil,
              let toRoad = Homography(from: geometry.roadQuad, to: RoadGeometry.unitRoad) else { return nil }
        self.geometry = geometry
        self.width = width
        self.height = height
        imageToRoad = toRoad
        roadToImage = toRoad.inverse
        uMin = uRange.lowerBound
        uMax = uRange.upperBound
        let size = geometry.imageSize
        let centreX = (geometry.roadQuad[0].x + geometry.roadQuad[3].x) / 2
        let bottom = toRoad.apply(centreX, Double(size.height) - 0.5)
        let roiTop = geometry.roi.map(\.y).min() ?? 0
        let top = toRoad.apply((geometry.roadQuad[1].x + geometry.roadQuad[2].x) / 2, max(roiTop, (geometry.horizonY ?? -1) + 2))
        vMin = min(bottom.y, 0)
        // Rows at or above the horizon map to negative or huge v: cap the far range.
        vMax = top.y > 1 ? min(top.y, maxV) : maxV
        // Output reaches the horizon's neighbourhood when the horizon is known (labels often do),
        // else the ROI top.
        var outputTop = top.y
        if let horizon = geometry.horizonY {
            let far = toRoad.apply((geometry.roadQuad[1].x + geometry.roadQuad[2].x) / 2, horizon + 0.03 * Double(size.height))
            if far.y > outputTop { outputTop = far.y }
        }
        vOutputMax = outputTop > 1 ? max(vMax, min(outputTop, maxOutputV)) : vMax
        let roi = geometry.roiMask()
        var lut = [Int32](repeating: -1, count: width * height)
        for by in 0..<height {
            for bx in 0..<width {
                let (u, v) = (uMin + (Double(bx) + 0.5) / Double(width) * (uMax - uMin),
                              vMax - (Double(by) + 0.5) / Double(height) * (vMax - vMin))
                let p = roadToImage.apply(u, v)
                let x = Int(p.x.rounded(.down)), y = Int(p.y.rounded(.down))
                if x >= 0, y >= 0, x < size.width, y < size.height, roi.values[y * size.width + x] != 0 {
                    lut[by * width + bx] = Int32(y * size.width + x)
                }
            }
        }
        sourceIndex = lut
    }

    /// Road coordinates of a bird's-eye position (pixel units, centres at +0.5).
    @inlinable
    public func road(bx: Double, by: Double) -> Point2 {
        Point2(uMin + bx / Double(width) * (uMax - uMin), vMax - by / Double(height) * (vMax - vMin))
    }

    /// Bird's-eye column of road coordinate u.
    @inlinable
    public func column(u: Double) -> Double { (u - uMin) / (uMax - uMin) * Double(width) }

    /// Bird's-eye row (possibly negative: above the image) of road coordinate v.
    @inlinable
    public func row(v: Double) -> Double { (vMax - v) / (vMax - vMin) * Double(height) }

    /// Image position of a bird's-eye position.
    @inlinable
    public func image(bx: Double, by: Double) -> Point2 {
        let r = road(bx: bx, by: by)
        return roadToImage.apply(r.x, r.y)
    }
}
