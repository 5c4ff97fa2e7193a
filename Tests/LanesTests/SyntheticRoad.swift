import Imaging
import Lanes

/// A synthetic road seen by a forward camera, rendered through a known homography, so the true
/// lane positions are exact: asphalt with noise, solid ego lines, dashed neighbour lines that
/// move with the vehicle, and an exposure factor (dim or bright frames). Optionally the road
/// bends (every line shifted by `bend`·v² lane widths at distance v) and the vehicle drifts
/// across its lane (`drift` lane widths per frame).
struct SyntheticRoad {
    var bend = 0.0
    var drift = 0.0
    /// Luma added per lane width to the right (the low sun's sheen sweeping across the road, with
    /// the ego lane's centre at 120), and
    /// the paint's luma above the road under it (0: the usual white and yellow paint).
    var sheen = 0.0
    var sheenPaint = 0.0
    let size = ImageSize(width: 640, height: 360)
    /// Ego lane: bottom-left, top-left, top-right, bottom-right of a road rectangle.
    let quad = [Point2(110, 360), Point2(280, 240), Point2(370, 240), Point2(540, 360)]
    let horizonY = 200.0
    /// Lane lines at these road u (0 and 1 = ego lane) and whether each is dashed.
    let lines: [(u: Double, dashed: Bool)] = [(-1, true), (0, false), (1, true), (2, false)]
    let roadToImage: Homography
    let imageToRoad: Homography

    init(bend: Double = 0, drift: Double = 0, sheen: Double = 0, sheenPaint: Double = 0) {
        self.bend = bend
        self.drift = drift
        self.sheen = sheen
        self.sheenPaint = sheenPaint
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

    /// Road u of line `u` at distance `v` in frame `t`.
    func position(of u: Double, v: Double, frame t: Int) -> Double { u + bend * v * v - drift * Double(t) }

    /// Frame `t` (the vehicle moves 0.15 road units per frame) at exposure `gain`; the lines whose
    /// indices are in `hidden` are not painted (worn off, or lost in glare).
    func frame(_ t: Int, gain: Double = 1, seed: UInt64 = 1, hidden: Set<Int> = []) -> RGBImage {
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
                    let grey = sheen == 0 ? 95 : 120 + sheen * (p.x - 0.5)
                    rgb = (grey, grey, grey + 3)
                    for (k, line) in lines.enumerated() where !hidden.contains(k) && abs(p.x - position(of: line.u, v: p.y, frame: t)) < half {
                        let phase = (p.y + travel).truncatingRemainder(dividingBy: 2)
                        guard !line.dashed || phase < 0.9 else { continue }
                        if sheenPaint > 0 {
                            rgb = (grey + sheenPaint, grey + sheenPaint, grey + sheenPaint)
                        } else {
                            rgb = line.u == 0 ? (215, 185, 40) : (215, 215, 210)  // ego-left is yellow
                        }
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

    /// True lanes of frame `t` at `rows`: x of each line, −2 outside the frame or above the ROI.
    /// (Image rows are lines of constant road distance v: the camera has no roll.)
    func truth(frame t: Int = 0) -> [[Double]] {
        lines.map { line in
            rows.map { r in
                let v = imageToRoad.apply(Double(size.width) / 2, Double(r)).y
                let x = roadToImage.apply(position(of: line.u, v: v, frame: t), v).x
                return x >= 0 && x < Double(size.width) ? x : -2
            }
        }
    }
}
