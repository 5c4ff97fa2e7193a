import CPNet
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
    /// The references of one paste, aligned: [K, 3, H, W] and [K, 1, H, W] (the workspace's layout).
    private var alignedRGB = Tensor(shape: [0])
    private var alignedValid = Tensor(shape: [0])
    /// Scratch for one pixel's blended colour, [3, n] addressed at pixel i (the blend's layout).
    private var blended = Tensor(shape: [0])

    /// Allocates storage for `slots` frames of `size` (no-op when already done).
    func prepare(size: ImageSize, slots: Int) {
        guard size.width != width || size.height != height || rgb.count != slots else { return }
        width = size.width
        height = size.height
        rgb = (0..<slots).map { _ in Tensor(shape: [3, height, width]) }
        valid = (0..<slots).map { _ in Tensor(shape: [1, height, width]) }
        alignedRGB = Tensor(shape: [slots, 3, height, width])
        alignedValid = Tensor(shape: [slots, 1, height, width])
        blended = Tensor(shape: [3, height, width])
    }

    /// Keeps `image` as slot `slot`'s full-size frame; pixels where `invalid` ≠ 0 are holes.
    func store(slot: Int, image: RGBImage, invalid: Mask) {
        Restorer.load(image, holes: invalid, rgb: rgb[slot].data, valid: valid[slot].data)
    }

    /// Fills the pixels of `image` where `fill(i)` holds from the references in `slots` (θ
    /// [K, 2, 3] per reference) as the restorer's `.oldestAligned` paste does
    /// (`CPNetwork.copyFirst`), without warping whole frames: each pixel samples the references in
    /// `order` at the point θ maps it to (`Resample.AffineTap`, the warp's own arithmetic, so the
    /// result is bit-identical to warping and then copying) until one shows it (visibility > 0.5,
    /// as `CPNetwork.warp` thresholds it). The cost follows the hole's size, not K full frames.
    /// `missed` (frame size) gets 1 where `fill(i)` held but no reference shows the pixel (left as
    /// it was), 0 elsewhere. Returns how many pixels were filled.
    @discardableResult
    func pasteOldestFirst(into image: inout RGBImage, fill: (Int) -> Bool, slots: [Int], theta: UnsafePointer<Float>,
                          order: [Int], missed: inout Mask) -> Int {
        let n = width * height
        var filled = 0
        missed.values.withUnsafeMutableBufferPointer { miss in
            image.pixels.withUnsafeMutableBufferPointer { px in
                for i in 0..<n {
                    miss[i] = 0
                    guard fill(i) else { continue }
                    let row = i / width, column = i - row * width
                    miss[i] = 1
                    for k in order {
                        let t = theta + 6 * k
                        let tap = Resample.AffineTap(column: column, row: row, outWidth: width, outHeight: height, width: width,
                                                     height: height, theta: (t[0], t[1], t[2], t[3], t[4], t[5]))
                        let slot = slots[k]
                        guard tap.sample(valid[slot].data) > 0.5 else { continue }
                        let planes = rgb[slot].data
                        for c in 0..<3 { px[3 * i + c] = UInt8(min(max(tap.sample(planes + c * n) * 255 + 0.5, 0), 255)) }
                        miss[i] = 0
                        filled += 1
                        break
                    }
                }
            }
        }
        return filled
    }

    /// As `pasteOldestFirst`, for the restorer's `.blendAligned` paste: the references are warped
    /// whole (`CPNetwork.warp`) and blended with the step's `similarity` (`CPNetwork.copyAligned`).
    @discardableResult
    func pasteBlended(into image: inout RGBImage, fill: (Int) -> Bool, slots: [Int], theta: UnsafePointer<Float>,
                      similarity: UnsafePointer<Float>, threads: Int, missed: inout Mask) -> Int {
        let n = width * height
        for (k, slot) in slots.enumerated() {
            CPNetwork.warp(rgb: rgb[slot].data, valid: valid[slot].data, theta: theta + 6 * k, height: height, width: width,
                           threads: threads, alignedRGB: alignedRGB.slice(k), alignedValid: alignedValid.slice(k))
        }
        let out = blended.data, count = slots.count
        var filled = 0
        let rgb = alignedRGB.data, valid = alignedValid.data
        missed.values.withUnsafeMutableBufferPointer { miss in
            image.pixels.withUnsafeMutableBufferPointer { px in
                for i in 0..<n {
                    miss[i] = 0
                    guard fill(i) else { continue }
                    guard CPNetwork.copyAligned(pixel: i, planeSize: n, count: count, alignedRGB: rgb, alignedValid: valid,
                                                similarity: similarity, into: out) else { miss[i] = 1; continue }
                    for c in 0..<3 { px[3 * i + c] = UInt8(min(max(out[c * n + i] * 255 + 0.5, 0), 255)) }
                    filled += 1
                }
            }
        }
        return filled
    }
}
