import Foundation
import Imaging

/// Seam control for restoration (issue: "restored frames stay seamless for the lane detector").
///
/// Outside its holes a badly exposed frame is still too bright (tunnel exit, low sun) or too dark
/// (tunnel entry): the camera's exposure is off everywhere, not only where it clipped. CPNet pastes
/// content copied from well-exposed references into the holes, so without care a restored frame
/// is a bright frame with darker patches pasted in, and the lane detector's per-frame thresholds
/// see two exposures. The matcher estimates one exposure gain, in linear light, that maps the
/// frame's valid pixels onto the reference exposure, and applies it to the valid pixels before
/// the network runs: the network then sees (and the detector gets) one consistent exposure.
///
/// Estimation is robust to motion between the frame and the reference: the ratio of mean linear
/// luma is taken per block over pixels that are valid and neither clipped nor crushed in either
/// image, and the gain is the median of the block ratios.
public struct ExposureMatcher: Sendable {
    /// Block edge in pixels (of the image the gain is estimated on).
    public var block: Int
    /// Pixels with luma outside this range carry no exposure information (clipped/crushed).
    public var usableLuma: ClosedRange<UInt8>
    /// Fewer usable blocks than this: no estimate (gain 1).
    public var minBlocks: Int
    /// The gain is clamped to [1/maxGain, maxGain].
    public var maxGain: Double

    private var ratios: [Double] = []
    private var table = [UInt8](repeating: 0, count: 256)

    public init(block: Int = 8, usableLuma: ClosedRange<UInt8> = 12...243, minBlocks: Int = 6, maxGain: Double = 16) {
        self.block = block
        self.usableLuma = usableLuma
        self.minBlocks = minBlocks
        self.maxGain = maxGain
        ratios.reserveCapacity(4096)
    }

    /// The linear-light gain that maps `frame`'s valid pixels (holes == 0) onto `reference`'s
    /// exposure; 1 when too little of the frame is usable. Both images have the same size.
    public mutating func gain(of frame: RGBImage, holes: Mask, toward reference: RGBImage) -> Double {
        precondition(frame.size == reference.size && holes.width == frame.width && holes.height == frame.height)
        ratios.removeAll(keepingCapacity: true)
        let w = frame.width, h = frame.height, b = block
        let linear = ColorConversion.srgbToLinear
        let lo = usableLuma.lowerBound, hi = usableLuma.upperBound
        frame.pixels.withUnsafeBufferPointer { f in
            reference.pixels.withUnsafeBufferPointer { r in
                holes.values.withUnsafeBufferPointer { m in
                    var by = 0
                    while by + b <= h {
                        var bx = 0
                        while bx + b <= w {
                            var sumF = 0.0, sumR = 0.0, n = 0
                            for y in by..<(by + b) {
                                for x in bx..<(bx + b) {
                                    let i = y * w + x
                                    guard m[i] == 0 else { continue }
                                    let lf = ColorConversion.luma(f[3 * i], f[3 * i + 1], f[3 * i + 2])
                                    let lr = ColorConversion.luma(r[3 * i], r[3 * i + 1], r[3 * i + 2])
                                    guard lf >= lo, lf <= hi, lr >= lo, lr <= hi else { continue }
                                    sumF += Double(linear[Int(lf)])
                                    sumR += Double(linear[Int(lr)])
                                    n += 1
                                }
                            }
                            // Half the block usable, else its ratio is too noisy to vote.
                            if 2 * n >= b * b, sumF > 0 { ratios.append(sumR / sumF) }
                            bx += b
                        }
                        by += b
                    }
                }
            }
        }
        guard ratios.count >= minBlocks else { return 1 }
        ratios.sort()
        let median = ratios[ratios.count / 2]
        return min(max(median, 1 / maxGain), maxGain)
    }

    /// Multiplies the valid pixels (holes == 0) of `image` by `gain` in linear light. Hole pixels
    /// are left for the restorer. `holes` may be nil (apply everywhere).
    public mutating func apply(gain: Double, to image: inout RGBImage, holes: Mask?) {
        guard abs(log(gain)) > 0.02 else { return }  // < 2 %: below what 8 bits show reliably
        let linear = ColorConversion.srgbToLinear
        for code in 0..<256 {
            let v = min(Double(linear[code]) * gain, 1)
            table[code] = UInt8(min(max(Double(ColorConversion.linearToSRGB(Float(v))) * 255 + 0.5, 0), 255))
        }
        let n = image.width * image.height
        table.withUnsafeBufferPointer { t in
            image.pixels.withUnsafeMutableBufferPointer { px in
                if let holes {
                    holes.values.withUnsafeBufferPointer { m in
                        for i in 0..<n where m[i] == 0 {
                            px[3 * i] = t[Int(px[3 * i])]
                            px[3 * i + 1] = t[Int(px[3 * i + 1])]
                            px[3 * i + 2] = t[Int(px[3 * i + 2])]
                        }
                    }
                } else {
                    for i in 0..<(3 * n) { px[i] = t[Int(px[i])] }
                }
            }
        }
    }
}
