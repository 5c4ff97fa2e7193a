import Imaging

/// The lane detector's view of a forward road camera, in pixel coordinates of one image size:
/// the lane region of interest and four road-plane points spanning a rectangle on the road (the
/// ego lane's borders over some distance), from which the bird's-eye homography follows.
///
/// This mirrors a drive's `CameraProfile` (Drives) without depending on it; Evaluation and
/// Pipeline convert one into the other and scale it to the processing size.
public struct RoadGeometry: Sendable, Equatable {
    /// Size of the images the coordinates refer to.
    public var imageSize: ImageSize
    /// Polygon enclosing the road area where lanes are looked for and holes matter.
    public var roi: [Point2]
    /// Bottom-left, top-left, top-right, bottom-right of a rectangle on the road.
    public var roadQuad: [Point2]
    public var horizonY: Double?

    public init(imageSize: ImageSize, roi: [Point2], roadQuad: [Point2], horizonY: Double? = nil) {
        self.imageSize = imageSize
        self.roi = roi
        self.roadQuad = roadQuad
        self.horizonY = horizonY
    }

    /// What is wrong with the geometry, or nil when it can be used.
    public var problem: String? {
        if roi.count < 3 { return "roi needs at least 3 points" }
        if roadQuad.count != 4 { return "birdseye needs exactly 4 points (bottom-left, top-left, top-right, bottom-right)" }
        let (bl, tl, tr, br) = (roadQuad[0], roadQuad[1], roadQuad[2], roadQuad[3])
        if !(tl.y < bl.y && tr.y < br.y) { return "birdseye top points must lie above (smaller y than) the bottom points" }
        if !(bl.x < br.x && tl.x < tr.x) { return "birdseye left points must lie left of the right points" }
        if Homography(from: roadQuad, to: Self.unitRoad) == nil { return "birdseye points are degenerate (three collinear)" }
        return nil
    }

    /// The road rectangle in road units: u across (0 = left line, 1 = right line), v along.
    static let unitRoad = [Point2(0, 0), Point2(0, 1), Point2(1, 1), Point2(1, 0)]
    /// `unitRoad` for other modules: the road rectangle's corners in road units, in `roadQuad` order.
    public static var unitRoadQuad: [Point2] { unitRoad }

    /// The same geometry for images of another size (pure scaling).
    public func scaled(to size: ImageSize) -> RoadGeometry {
        let sx = Double(size.width) / Double(imageSize.width), sy = Double(size.height) / Double(imageSize.height)
        func s(_ p: Point2) -> Point2 { Point2(p.x * sx, p.y * sy) }
        return RoadGeometry(imageSize: size, roi: roi.map(s), roadQuad: roadQuad.map(s), horizonY: horizonY.map { $0 * sy })
    }

    /// The ROI as a mask of `imageSize` (1 inside), by even–odd scanline filling at pixel centres.
    public func roiMask() -> Mask {
        var mask = Mask(width: imageSize.width, height: imageSize.height, fill: 0)
        fillROI(into: &mask)
        return mask
    }

    public func fillROI(into mask: inout Mask) {
        mask.reshape(width: imageSize.width, height: imageSize.height, fill: 0)
        let w = imageSize.width
        var crossings: [Double] = []
        for y in 0..<imageSize.height {
            let yc = Double(y) + 0.5
            crossings.removeAll(keepingCapacity: true)
            for i in 0..<roi.count {
                let a = roi[i], b = roi[(i + 1) % roi.count]
                if (a.y <= yc) != (b.y <= yc) {
                    crossings.append(a.x + (yc - a.y) / (b.y - a.y) * (b.x - a.x))
                }
            }
            crossings.sort()
            for x in 0..<w { mask.values[y * w + x] = 0 }
            var k = 0
            while k + 1 < crossings.count {
                let x0 = max(0, Int((crossings[k] - 0.5).rounded(.up)))
                let x1 = min(w - 1, Int((crossings[k + 1] - 0.5).rounded(.down)))
                if x0 <= x1 { for x in x0...x1 { mask.values[y * w + x] = 1 } }
                k += 2
            }
        }
    }
}
