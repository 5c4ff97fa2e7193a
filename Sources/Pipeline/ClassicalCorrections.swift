import Foundation
import Imaging

/// A classical per-frame correction the lane detector is also scored on (drives.md § What a
/// report compares). Works in place; allocation-free after the first frame.
public protocol FrameCorrection {
    mutating func correct(_ image: inout RGBImage)
}

/// Contrast-limited adaptive histogram equalisation on luma (Zuiderveld 1994): the frame is cut
/// into `tiles` × `tiles` regions, each region's luma histogram is clipped at `clipLimit` times
/// the uniform bin height (the excess spread evenly over all bins) and turned into a mapping by
/// its cumulative sum, and every pixel's new luma blends the mappings of the four nearest tile
/// centres bilinearly. Colour is kept by adding the luma change to each channel.
public struct CLAHE: FrameCorrection, Sendable {
    public var tiles: Int
    public var clipLimit: Double
    private var luma = GrayImage(width: 0, height: 0, fill: 0)
    /// tiles² mappings of 256 entries.
    private var mappings: [Float] = []
    private var histogram = [Double](repeating: 0, count: 256)

    public init(tiles: Int = 8, clipLimit: Double = 2.0) {
        precondition(tiles >= 1 && clipLimit >= 1, "CLAHE needs ≥ 1 tile and a clip limit ≥ 1")
        self.tiles = tiles
        self.clipLimit = clipLimit
    }

    public mutating func correct(_ image: inout RGBImage) {
        let w = image.width, h = image.height
        guard w > 0, h > 0 else { return }
        ColorConversion.luma(of: image, into: &luma)
        let n = tiles
        if mappings.count != n * n * 256 { mappings = [Float](repeating: 0, count: n * n * 256) }
        for ty in 0..<n {
            for tx in 0..<n {
                let x0 = tx * w / n, x1 = (tx + 1) * w / n, y0 = ty * h / n, y1 = (ty + 1) * h / n
                buildMapping(x0: x0, x1: x1, y0: y0, y1: y1, into: (ty * n + tx) * 256)
            }
        }
        // Bilinear blend of the four nearest tile mappings (tile centres at (t + 0.5)·size/n).
        let tw = Float(w) / Float(n), th = Float(h) / Float(n)
        let lumaValues = luma.values
        mappings.withUnsafeBufferPointer { map in
            image.pixels.withUnsafeMutableBufferPointer { px in
                for y in 0..<h {
                    let fy = min(max((Float(y) + 0.5) / th - 0.5, 0), Float(n - 1))
                    let ty0 = Int(fy), ty1 = min(ty0 + 1, n - 1)
                    let wy = fy - Float(ty0)
                    for x in 0..<w {
                        let fx = min(max((Float(x) + 0.5) / tw - 0.5, 0), Float(n - 1))
                        let tx0 = Int(fx), tx1 = min(tx0 + 1, n - 1)
                        let wx = fx - Float(tx0)
                        let v = Int(lumaValues[y * w + x])
                        let a = map[(ty0 * n + tx0) * 256 + v], b = map[(ty0 * n + tx1) * 256 + v]
                        let c = map[(ty1 * n + tx0) * 256 + v], d = map[(ty1 * n + tx1) * 256 + v]
                        let top = a + (b - a) * wx, bottom = c + (d - c) * wx
                        let delta = Int((top + (bottom - top) * wy).rounded()) - v
                        let i = (y * w + x) * 3
                        for ch in 0..<3 { px[i + ch] = UInt8(clamping: Int(px[i + ch]) + delta) }
                    }
                }
            }
        }
    }

    private mutating func buildMapping(x0: Int, x1: Int, y0: Int, y1: Int, into offset: Int) {
        for i in 0..<256 { histogram[i] = 0 }
        let w = luma.width
        for y in y0..<y1 { for x in x0..<x1 { histogram[Int(luma.values[y * w + x])] += 1 } }
        let count = (x1 - x0) * (y1 - y0)
        guard count > 0 else {
            for i in 0..<256 { mappings[offset + i] = Float(i) }
            return
        }
        // Clip each bin at clipLimit × the uniform height; spread the excess evenly (fractional
        // counts, so the spread is exactly uniform even for small tiles).
        let limit = clipLimit * Double(count) / 256
        var excess = 0.0
        for i in 0..<256 where histogram[i] > limit {
            excess += histogram[i] - limit
            histogram[i] = limit
        }
        let share = excess / 256
        // Mapping: cumulative share at the bin's centre (half of its own count), scaled to 0…255,
        // so a uniform histogram maps every level to itself.
        var cumulative = 0.0
        for i in 0..<256 {
            let h = histogram[i] + share
            let centre = cumulative + h / 2
            mappings[offset + i] = Float(centre / Double(count) * 256 - 0.5).clamped(to: 0...255)
            cumulative += h
        }
    }
}

/// Gamma / auto-exposure normalisation: one gamma per frame chosen so that the mean luma (inside
/// the lane ROI when given) lands on `target`, applied to every channel through a 256-entry table.
/// It undoes global over/under-exposure but cannot recover clipped or crushed detail.
public struct GammaNormalization: FrameCorrection, Sendable {
    /// Mean luma the frame is brought to, as a share of 255.
    public var target: Double
    /// Gamma is kept within [1/maxGamma, maxGamma].
    public var maxGamma: Double
    public var roi: Mask?
    public private(set) var lastGamma = 1.0
    private var table = [UInt8](repeating: 0, count: 256)

    public init(target: Double = 0.45, maxGamma: Double = 4, roi: Mask? = nil) {
        self.target = target
        self.maxGamma = maxGamma
        self.roi = roi
    }

    public mutating func correct(_ image: inout RGBImage) {
        let n = image.width * image.height
        guard n > 0 else { return }
        var sum = 0.0, count = 0
        let useROI = roi.map { $0.width == image.width && $0.height == image.height } ?? false
        for i in 0..<n where !useROI || roi!.values[i] != 0 {
            sum += Double(ColorConversion.luma(image.pixels[3 * i], image.pixels[3 * i + 1], image.pixels[3 * i + 2]))
            count += 1
        }
        let mean = min(max(sum / Double(max(count, 1)) / 255, 1e-3), 1 - 1e-3)
        // mean^γ = target  ⇒  γ = ln(target) / ln(mean).
        let gamma = min(max(log(target) / log(mean), 1 / maxGamma), maxGamma)
        lastGamma = gamma
        for v in 0..<256 { table[v] = UInt8((pow(Double(v) / 255, gamma) * 255).rounded()) }
        for i in 0..<(n * 3) { image.pixels[i] = table[Int(image.pixels[i])] }
    }
}

extension Comparable {
    fileprivate func clamped(to range: ClosedRange<Self>) -> Self { min(max(self, range.lowerBound), range.upperBound) }
}
