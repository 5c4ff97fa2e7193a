import Imaging
import Lanes

/// A synthetic straight road seen by a forward camera, rendered through a known homography, so
/// the true lane positions are exact: asphalt with noise, solid ego lines, dashed neighbour
/// lines that move with the vehicle, and an exposure factor (dim or bright frames).
struct SyntheticRoad {
    let size = ImageSize(width: 640, height: 360)
    /// Ego lane: bottom-left, top-left, top-right, bottom-right of a road rectangle.
    let quad = [Point2(110, 360), Point2(280, 240), Point2(370, 240), Point2(540, 360)]
    let horizonY = 200.0
    /// Lane lines at these road u (0 and 1 = ego lane) and whether each is dashed.
    let lines: [(u: Double, dashed: Bool)] = [(-1, true), (0, false), (1, true), (2, false)]
    let roadToImage: Homography
    let imageToRoad: Homography

    init() {
        let road = [Point2(0, 0), Point2(0, 1), Point2(1, 1), Point2(1, 0)]
        imageToRoad = Homography(from: quad, to: road)!
        roadToImage = imageToRoad.inverse
    }

    var geometry: RoadGeometry {
        RoadGeometry(imageSize: size, roi: [Point2(0, 360), Point2(0, 300), Point2(290, 212), Point2(360, 212), Point2(640, 300), Point2(640, 360)],
                     roadQuad: quad, horizonY: horizonY)
    }

    /// Rows at which truth is given (TuSimple-style, every 10 px below the ROI top).
    var rows: [Int] { Array(stride(from: 220, through: 350, by: 10)) }

    /// Frame `t` (the vehicle moves 0.15 road units per frame) at exposure `gain`.
    func frame(_ t: Int, gain: Double = 1, seed: UInt64 = 1) -> RGBImage {
        var image = RGBImage(width: size.width, height: size.height)
        var rng = seed &+ UInt64(t) &* 0x9E37_79B9_7F4A_7C15
        func noise() -> Double {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return Double(rng >> 40) / Double(1 << 24) - 0.5
        }
        let travel = Double(t) * 0.15
        for y in 0..<size.height {
            for x in 0..<size.width {
                var rgb: (Double, Double, Double)
                if Double(y) < horizonY + 2 {
                    rgb = (150, 180, 220)  // sky
                } else {
                    let p = imageToRoad.apply(Double(x) + 0.5, Double(y) + 0.5)
                    // Half width of a marking in road units grows a little with distance to stay ≥ 1 px.
                    let half = 0.022 + 0.003 * max(0, p.y)
                    rgb = (95, 95, 98)
                    for line in lines where abs(p.x - line.u) < half {
                        let phase = (p.y + travel).truncatingRemainder(dividingBy: 2)
                        if !line.dashed || phase < 0.9 { rgb = line.u == 0 ? (215, 185, 40) : (215, 215, 210) }  // ego-left is yellow
                    }
                    let n = noise() * 12
                    rgb = (rgb.0 + n, rgb.1 + n, rgb.2 + n)
                }
                image[x, y] = RGB(UInt8(clamping: Int((rgb.0 * gain).rounded())), UInt8(clamping: Int((rgb.1 * gain).rounded())),
                                  UInt8(clamping: Int((rgb.2 * gain).rounded())))
            }
        }
        return image
    }

    /// True lanes at `rows`: x of each line, −2 outside the frame or above the ROI.
    func truth() -> [[Double]] {
        lines.map { line in
            let a = roadToImage.apply(line.u, 0), b = roadToImage.apply(line.u, 3)
            return rows.map { r in
                let y = Double(r)
                let x = a.x + (y - a.y) / (b.y - a.y) * (b.x - a.x)
                return x >= 0 && x < Double(size.width) ? x : -2
            }
        }
    }
}
