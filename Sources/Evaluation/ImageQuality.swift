import Foundation
import Imaging

/// Restoration quality against the clean frame (drives.md § Restoration quality): PSNR on 8-bit
/// RGB and SSIM on luma with an 11×11 Gaussian window (σ = 1.5), each over the whole frame and
/// over the hole pixels only. Scratch planes are kept between frames.
public struct ImageQuality: Sendable {
    /// PSNR reported for identical pixels (the MSE is 0): a finite cap keeps means meaningful.
    public static let maxPSNR = 100.0

    public struct Result: Sendable, Equatable {
        public var psnr: Double
        public var ssim: Double
        /// nil when the mask is empty.
        public var psnrHoles: Double?
        public var ssimHoles: Double?
        /// PSNR over the hole pixels the clean frame shows detail at (`shownLuma`), nil when there
        /// are none. Most holes of the rendered drives lie where the clean render is itself near
        /// black (a tunnel's interior, night) or white (glare, the sky): there the hole PSNR
        /// rewards reproducing the darkness or the glare, which the camera's clipped pixels
        /// already do; this one measures what restoration can give back.
        public var psnrShownHoles: Double?

        public init(psnr: Double, ssim: Double, psnrHoles: Double?, ssimHoles: Double?, psnrShownHoles: Double? = nil) {
            self.psnr = psnr
            self.ssim = ssim
            self.psnrHoles = psnrHoles
            self.ssimHoles = ssimHoles
            self.psnrShownHoles = psnrShownHoles
        }
    }

    /// Clean-frame luma (8-bit, inclusive) at which a hole pixel counts as shown for
    /// `psnrShownHoles`: away from black and white by 10 % of the range.
    public static let shownLuma: ClosedRange<UInt8> = 25...230

    private var lumaA = GrayImage(width: 0, height: 0, fill: 0), lumaB = GrayImage(width: 0, height: 0, fill: 0)
    private var ssimMap = Plane<Float>(width: 0, height: 0, fill: 0)
    private var scratch: [Float] = []
    private var shown = Mask(width: 0, height: 0, fill: 0)
    private static let kernel: [Float] = {
        let sigma: Float = 1.5
        let k = (-5...5).map { expf(-Float($0 * $0) / (2 * sigma * sigma)) }
        let s = k.reduce(0, +)
        return k.map { $0 / s }
    }()

    public init() {}

    public static func psnr(mse: Double) -> Double {
        mse <= 0 ? maxPSNR : min(maxPSNR, 10 * log10(255 * 255 / mse))
    }

    /// PSNR between two RGB images over all pixels, or over pixels where `mask` is set.
    public static func psnr(_ a: RGBImage, _ b: RGBImage, mask: Mask? = nil) -> Double? {
        precondition(a.size == b.size, "images differ in size")
        let n = a.width * a.height
        var sum = 0.0, count = 0
        a.pixels.withUnsafeBufferPointer { pa in
            b.pixels.withUnsafeBufferPointer { pb in
                if let mask {
                    mask.values.withUnsafeBufferPointer { m in
                        for i in 0..<n where m[i] != 0 {
                            for c in 0..<3 {
                                let d = Double(Int(pa[3 * i + c]) - Int(pb[3 * i + c]))
                                sum += d * d
                            }
                            count += 3
                        }
                    }
                } else {
                    var s = 0
                    for i in 0..<(3 * n) {
                        let d = Int(pa[i]) - Int(pb[i])
                        s += d * d
                    }
                    sum = Double(s)
                    count = 3 * n
                }
            }
        }
        return count > 0 ? psnr(mse: sum / Double(count)) : nil
    }

    /// Whole-frame and hole-only PSNR and SSIM of `image` against `clean`.
    public mutating func measure(_ image: RGBImage, clean: RGBImage, holes: Mask?) -> Result {
        ColorConversion.luma(of: image, into: &lumaA)
        ColorConversion.luma(of: clean, into: &lumaB)
        ssimMap(lumaA, lumaB)
        var all = 0.0
        for v in ssimMap.values { all += Double(v) }
        var holeSSIM: Double?
        if let holes, holes.size == image.size {
            var s = 0.0, n = 0
            for i in 0..<holes.values.count where holes.values[i] != 0 { s += Double(ssimMap.values[i]); n += 1 }
            holeSSIM = n > 0 ? s / Double(n) : nil
        }
        let holePSNR = holes.flatMap { $0.size == image.size && $0.values.contains { $0 != 0 } ? Self.psnr(image, clean, mask: $0) : nil }
        var shownPSNR: Double?
        if let holes, holes.size == image.size {
            // The shown-hole mask is built in a scratch mask kept between frames.
            shown.reshape(width: holes.width, height: holes.height, fill: 0)
            var any = false
            for i in 0..<holes.values.count {
                let on = holes.values[i] != 0 && Self.shownLuma.contains(lumaB.values[i])
                shown.values[i] = on ? 1 : 0
                any = any || on
            }
            shownPSNR = any ? Self.psnr(image, clean, mask: shown) : nil
        }
        return Result(psnr: Self.psnr(image, clean) ?? Self.maxPSNR, ssim: all / Double(max(1, ssimMap.values.count)),
                      psnrHoles: holePSNR, ssimHoles: holeSSIM, psnrShownHoles: shownPSNR)
    }

    /// The SSIM map (Wang et al. 2004, C1 = (0.01·255)², C2 = (0.03·255)²), Gaussian-weighted local
    /// statistics with the window renormalised at the borders. Works on one flat scratch buffer
    /// of 6 planes through a pointer (nested arrays would pay a uniqueness check per access).
    private mutating func ssimMap(_ a: GrayImage, _ b: GrayImage) {
        let w = a.width, h = a.height, n = w * h
        ssimMap.reshape(width: w, height: h, fill: 0)
        if scratch.count != 6 * n { scratch = [Float](repeating: 0, count: 6 * n) }
        let kernel = Self.kernel
        // The weight sum of a window that lies wholly inside the frame, summed in the order the
        // border windows sum theirs, so an inside pixel's mean is bit-identical either way.
        var fullWeight: Float = 0
        for d in -5...5 { fullWeight += kernel[d + 5] }
        scratch.withUnsafeMutableBufferPointer { buf in
            let p = buf.baseAddress!
            // planes: 0 = a, 1 = b, 2 = a², 3 = b², 4 = ab, 5 = scratch.
            for i in 0..<n {
                let x = Float(a.values[i]), y = Float(b.values[i])
                p[i] = x
                p[n + i] = y
                p[2 * n + i] = x * x
                p[3 * n + i] = y * y
                p[4 * n + i] = x * y
            }
            let tmp = p + 5 * n
            kernel.withUnsafeBufferPointer { kb in
                let k = kb.baseAddress!
                for statistic in 0..<5 {
                    let plane = p + statistic * n
                    // Rows, then columns. Windows inside the frame take the fixed 11 taps (no
                    // clamping, no running weight sum); those at a border are renormalised.
                    for y in 0..<h {
                        let row = plane + y * w, out = tmp + y * w
                        for x in 0..<w {
                            if x >= 5 && x < w - 5 {
                                var s: Float = 0
                                for d in 0..<11 { s += k[d] * row[x - 5 + d] }
                                out[x] = s / fullWeight
                            } else {
                                var s: Float = 0, ws: Float = 0
                                for d in max(-5, -x)...min(5, w - 1 - x) {
                                    s += k[d + 5] * row[x + d]
                                    ws += k[d + 5]
                                }
                                out[x] = s / ws
                            }
                        }
                    }
                    for y in 0..<h {
                        let out = plane + y * w
                        if y >= 5 && y < h - 5 {
                            // A row at a time: each tap adds one whole row (contiguous) in the
                            // order the per-pixel sum adds them.
                            for x in 0..<w { out[x] = 0 }
                            for d in 0..<11 {
                                let src = tmp + (y - 5 + d) * w, weight = k[d]
                                for x in 0..<w { out[x] += weight * src[x] }
                            }
                            for x in 0..<w { out[x] /= fullWeight }
                        } else {
                            for x in 0..<w {
                                var s: Float = 0, ws: Float = 0
                                for d in max(-5, -y)...min(5, h - 1 - y) {
                                    s += k[d + 5] * tmp[(y + d) * w + x]
                                    ws += k[d + 5]
                                }
                                out[x] = s / ws
                            }
                        }
                    }
                }
            }
            let c1: Float = (0.01 * 255) * (0.01 * 255), c2: Float = (0.03 * 255) * (0.03 * 255)
            ssimMap.values.withUnsafeMutableBufferPointer { out in
                for i in 0..<n {
                    let mx = p[i], my = p[n + i]
                    let vx = p[2 * n + i] - mx * mx, vy = p[3 * n + i] - my * my, cxy = p[4 * n + i] - mx * my
                    out[i] = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
                }
            }
        }
    }
}
