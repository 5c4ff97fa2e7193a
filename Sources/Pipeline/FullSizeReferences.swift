import Imaging
import NeuralEngine

/// Full-size companions of the restorer's reference memory, one per memory slot, so that aligned
/// pasting copies pixels at the processing size while the network runs at a reduced one: θ is in
/// normalized coordinates (affine_grid), so the alignment found on reduced frames applies to the
/// full-size frames unchanged, and the pasted lane paint keeps its full-resolution edges instead
/// of an upsampled blur.
///
/// Storage is allocated for a frame size and a slot count and reused; pasting allocates nothing.
final class FullSizeReferences {
    private(set) var width = 0, height = 0
    /// Per slot: the frame [3, H, W] in [0, 1] and its visibility [1, H, W] (1 valid, 0 hole).
    private var rgb: [Tensor] = []
    private var valid: [Tensor] = []
    /// One aligned reference at a time, and the running weighted sums over references.
    private var alignedRGB = Tensor(shape: [0])
    private var alignedValid = Tensor(shape: [0])
    private var sum = Tensor(shape: [0])
    private var weight = Tensor(shape: [0])

    /// Allocates storage for `slots` frames of `size` (no-op when already done).
    func prepare(size: ImageSize, slots: Int) {
        guard size.width != width || size.height != height || rgb.count != slots else { return }
        width = size.width
        height = size.height
        let n = width * height
        rgb = (0..<slots).map { _ in Tensor(shape: [3, height, width]) }
        valid = (0..<slots).map { _ in Tensor(shape: [1, height, width]) }
        alignedRGB = Tensor(shape: [3, height, width])
        alignedValid = Tensor(shape: [1, height, width])
        sum = Tensor(shape: [3, n])
        weight = Tensor(shape: [n])
    }

    /// Keeps `image` as slot `slot`'s full-size frame; pixels where `invalid` ≠ 0 are holes.
    func store(slot: Int, image: RGBImage, invalid: Mask) {
        let n = width * height, dst = rgb[slot].data, v = valid[slot].data
        image.pixels.withUnsafeBufferPointer { px in
            invalid.values.withUnsafeBufferPointer { h in
                for i in 0..<n {
                    dst[i] = Float(px[3 * i]) / 255
                    dst[n + i] = Float(px[3 * i + 1]) / 255
                    dst[2 * n + i] = Float(px[3 * i + 2]) / 255
                    v[i] = h[i] != 0 ? 0 : 1
                }
            }
        }
    }

    /// Fills the pixels of `image` where `fill(i)` holds with the references in `slots` warped by
    /// their θ ([K, 2, 3], normalized coordinates) and blended with weights `similarity[k]` where
    /// the warped reference is visible (the restorer's context-matching rule at full size).
    /// Pixels no reference shows are left as they are. Returns how many pixels were filled.
    @discardableResult
    func paste(into image: inout RGBImage, fill: (Int) -> Bool, slots: [Int], theta: UnsafePointer<Float>,
               similarity: UnsafePointer<Float>, threads: Int) -> Int {
        let n = width * height, s = sum.data, w = weight.data
        s.update(repeating: 0, count: 3 * n)
        w.update(repeating: 0, count: n)
        for (k, slot) in slots.enumerated() {
            Resample.affineGridSample(rgb[slot].data, channels: 3, height: height, width: width, theta: theta + 6 * k,
                                      into: alignedRGB.data, outHeight: height, outWidth: width,
                                      companion: .init(input: valid[slot].data, channels: 1, output: alignedValid.data),
                                      threads: threads)
            let g = similarity[k], a = alignedRGB.data, av = alignedValid.data
            for i in 0..<n where av[i] > 0.5 && fill(i) {
                w[i] += g
                s[i] += g * a[i]
                s[n + i] += g * a[n + i]
                s[2 * n + i] += g * a[2 * n + i]
            }
        }
        var filled = 0
        image.pixels.withUnsafeMutableBufferPointer { px in
            for i in 0..<n where w[i] > 0 {
                for c in 0..<3 { px[3 * i + c] = UInt8(min(max(s[c * n + i] / w[i] * 255 + 0.5, 0), 255)) }
                filled += 1
            }
        }
        return filled
    }
}
