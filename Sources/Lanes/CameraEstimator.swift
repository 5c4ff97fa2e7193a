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
        for y in max(2, hgt * 55 / 100)..<min(hgt - 2, hgt * 95 / 100) {
            for x in 2..<(w - 2) {
                @inline(__always) func l(_ dx: Int, _ dy: Int) -> Int { Int(luma.values[(y + dy) * w + x + dx]) }
                // Derivatives over a 5×5 neighbourhood: a 3×3 Sobel on aliased (staircase) edges
                // pulls every direction toward 45°, which would bias the vanishing point.
                var gx = 0, gy = 0
                for k in -2...2 {
                    gx += l(2, k) + l(1, k) - l(-1, k) - l(-2, k)
                    gy += l(k, 2) + l(k, 1) - l(k, -1) - l(k, -2)
                }
                let magnitude = (abs(gx) + abs(gy)) / 5
                guard magnitude > 100, gx != 0 else { continue }
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

    /// The lane line bounding the ego lane on one side: among the vote peaks (3×3-smoothed
    /// votes, local maxima) with at least 35 % of the strongest peak's votes, the one meeting the
    /// bottom row nearest the image centre. A dashed ego line gets fewer votes than a solid line
    /// further out, so the strongest alone would skip a lane.
    private func egoLine(negativeSlope: Bool) -> (slope: Double, base: Double, votes: Double)? {
        var smoothed = [Double](repeating: 0, count: votes.count)
        for sb in 1..<(slopeBins - 1) where (slopeValue(sb) < 0) == negativeSlope {
            for bb in 1..<(baseBins - 1) {
                var s = 0.0
                for i in -1...1 { for j in -1...1 { s += votes[(sb + i) * baseBins + bb + j] } }
                smoothed[sb * baseBins + bb] = s
            }
        }
        var peaks: [(Int, Int, Double)] = []
        for sb in 2..<(slopeBins - 2) where (slopeValue(sb) < 0) == negativeSlope {
            for bb in 2..<(baseBins - 2) {
                let v = smoothed[sb * baseBins + bb]
                guard v > 0 else { continue }
                var isPeak = true
                for i in -2...2 where isPeak { for j in -2...2 where (i != 0 || j != 0) && smoothed[(sb + i) * baseBins + bb + j] > v { isPeak = false; break } }
                if isPeak { peaks.append((sb, bb, v)) }
            }
        }
        guard let strongest = peaks.map(\.2).max() else { return nil }
        let centre = Double(imageSize.width) / 2
        let chosen = peaks.filter { $0.2 >= 0.35 * strongest }
            .min { abs(baseValue($0.1) - centre) < abs(baseValue($1.1) - centre) }!
        return (slopeValue(chosen.0), baseValue(chosen.1), chosen.2)
    }

    /// The estimated geometry, or nil when the frames show no pair of converging lines.
    public func estimate() -> RoadGeometry? {
        guard let left = egoLine(negativeSlope: true), let right = egoLine(negativeSlope: false) else { return nil }
        let w = Double(imageSize.width), hgt = Double(imageSize.height)
        let bottom = hgt - 1
        // x(y) = base − slope·(bottom − y) (slope = dx/dy); the lines meet d rows above the bottom.
        let d = (left.base - right.base) / (left.slope - right.slope)
        guard d > 0.1 * hgt, d < bottom, left.base < right.base else { return nil }
        let vanishingY = bottom - d
        func x(_ line: (slope: Double, base: Double, votes: Double), _ y: Double) -> Double { line.base - line.slope * (bottom - y) }
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
