import Imaging

/// Estimates a `RoadGeometry` from the frames themselves, for drives that bring no camera
/// profile: the two dominant lane-line directions in the lower part of the frame (a Hough vote
/// over the gradient's own direction), accumulated over the first seconds, meet at the vanishing
/// point; the road rectangle spans those two lines from the bottom of the frame a third of the
/// way up to the vanishing point.
public struct CameraEstimator: Sendable {
    public let imageSize: ImageSize
    /// Votes over (slope dx/dy, x where the line meets the bottom row).
    private var votes: [Double]
    private let slopeBins = 72, slopeRange = 3.0
    private let baseBins: Int
    private var luma = GrayImage(width: 0, height: 0, fill: 0)
    public private(set) var framesSeen = 0

    public init(imageSize: ImageSize) {
        self.imageSize = imageSize
        baseBins = max(64, imageSize.width * 3 / 4)
        votes = [Double](repeating: 0, count: slopeBins * baseBins)
    }

    private func baseBin(_ x: Double) -> Int? {
        // Bottom intercepts from −W to 2W.
        let w = Double(imageSize.width)
        let b = Int((x + w) / (3 * w) * Double(baseBins))
        return b >= 0 && b < baseBins ? b : nil
    }

    private func baseValue(_ bin: Int) -> Double {
        let w = Double(imageSize.width)
        return (Double(bin) + 0.5) / Double(baseBins) * 3 * w - w
    }

    private func slopeValue(_ bin: Int) -> Double { (Double(bin) + 0.5) / Double(slopeBins) * 2 * slopeRange - slopeRange }

    /// Adds one frame's edge votes (pixels from 55 % to 95 % of the height, strong gradients only).
    public mutating func add(_ image: RGBImage) {
        guard image.width == imageSize.width, image.height == imageSize.height else { return }
        ColorConversion.luma(of: image, into: &luma)
        let w = imageSize.width, hgt = imageSize.height
        let bottom = Double(hgt - 1)
        for y in max(1, hgt * 55 / 100)..<min(hgt - 1, hgt * 95 / 100) {
            for x in 1..<(w - 1) {
                @inline(__always) func l(_ dx: Int, _ dy: Int) -> Int { Int(luma.values[(y + dy) * w + x + dx]) }
                let gx = (l(1, -1) + 2 * l(1, 0) + l(1, 1)) - (l(-1, -1) + 2 * l(-1, 0) + l(-1, 1))
                let gy = (l(-1, 1) + 2 * l(0, 1) + l(1, 1)) - (l(-1, -1) + 2 * l(0, -1) + l(1, -1))
                let magnitude = abs(gx) + abs(gy)
                guard magnitude > 120, gx != 0 else { continue }
                // The edge runs perpendicular to the gradient: dx/dy = −gy/gx.
                let slope = -Double(gy) / Double(gx)
                guard abs(slope) >= 0.3, abs(slope) < slopeRange else { continue }
                let sb = Int((slope + slopeRange) / (2 * slopeRange) * Double(slopeBins))
                guard sb >= 0, sb < slopeBins, let bb = baseBin(Double(x) + slope * (bottom - Double(y))) else { continue }
                votes[sb * baseBins + bb] += Double(min(magnitude, 600))
            }
        }
        framesSeen += 1
    }

    /// The strongest line with slope of `sign`, as (slope, bottom x), from 3×3-smoothed votes.
    private func strongestLine(negativeSlope: Bool) -> (slope: Double, base: Double, votes: Double)? {
        var best: (Int, Int, Double)?
        for sb in 1..<(slopeBins - 1) where (slopeValue(sb) < 0) == negativeSlope {
            for bb in 1..<(baseBins - 1) {
                var s = 0.0
                for i in -1...1 { for j in -1...1 { s += votes[(sb + i) * baseBins + bb + j] } }
                if s > (best?.2 ?? 0) { best = (sb, bb, s) }
            }
        }
        guard let (sb, bb, v) = best else { return nil }
        return (slopeValue(sb), baseValue(bb), v)
    }

    /// The estimated geometry, or nil when the frames show no pair of converging lines.
    public func estimate() -> RoadGeometry? {
        guard let left = strongestLine(negativeSlope: true), let right = strongestLine(negativeSlope: false) else { return nil }
        let w = Double(imageSize.width), hgt = Double(imageSize.height)
        let bottom = hgt - 1
        // x(y) = base + slope·(bottom − y); the lines meet where the distance above bottom is d.
        let d = (right.base - left.base) / (left.slope - right.slope)
        guard d > 0.1 * hgt, d < bottom, left.base < right.base else { return nil }
        let vanishingY = bottom - d
        func x(_ line: (slope: Double, base: Double, votes: Double), _ y: Double) -> Double { line.base + line.slope * (bottom - y) }
        let yBottom = bottom, yTop = vanishingY + 0.35 * d
        let quad = [Point2(x(left, yBottom), yBottom), Point2(x(left, yTop), yTop),
                    Point2(x(right, yTop), yTop), Point2(x(right, yBottom), yBottom)]
        let yRoi = vanishingY + 0.1 * d
        let margin = (x(right, yRoi) - x(left, yRoi)) * 1.5 + 0.02 * w
        let roi = [Point2(0, hgt), Point2(max(0, x(left, yRoi) - margin), yRoi),
                   Point2(min(w, x(right, yRoi) + margin), yRoi), Point2(w, hgt)]
        return RoadGeometry(imageSize: imageSize, roi: roi, roadQuad: quad, horizonY: vanishingY)
    }
}
