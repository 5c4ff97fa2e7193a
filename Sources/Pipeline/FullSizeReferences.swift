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

    /// Fills the pixels of `image` where `fill(i)` holds from the references in `slots`, warped by
    /// their θ ([K, 2, 3]) and copied as the restorer copies them (`CPNetwork.warp`, then
    /// `CPNetwork.copyFirst` in the step's `oldestFirst` order, or `CPNetwork.copyAligned` with its
    /// `similarity`). Pixels no reference shows are left as they are. Returns how many pixels
    /// were filled.
    @discardableResult
    func paste(into image: inout RGBImage, fill: (Int) -> Bool, slots: [Int], theta: UnsafePointer<Float>,
               source: PasteSource, oldestFirst: [Int], similarity: UnsafePointer<Float>, threads: Int) -> Int {
        precondition(source.copiesAligned, "full-size pasting copies aligned references")
        let n = width * height
        for (k, slot) in slots.enumerated() {
            CPNetwork.warp(rgb: rgb[slot].data, valid: valid[slot].data, theta: theta + 6 * k, height: height, width: width,
                           threads: threads, alignedRGB: alignedRGB.slice(k), alignedValid: alignedValid.slice(k))
        }
        let out = blended.data, count = slots.count
        var filled = 0
        let rgb = alignedRGB.data, valid = alignedValid.data, oldest = source == .oldestAligned
        oldestFirst.withUnsafeBufferPointer { order in
            image.pixels.withUnsafeMutableBufferPointer { px in
                for i in 0..<n where fill(i) {
                    let copied = oldest
                        ? CPNetwork.copyFirst(pixel: i, planeSize: n, preference: order, alignedRGB: rgb, alignedValid: valid, into: out)
                        : CPNetwork.copyAligned(pixel: i, planeSize: n, count: count, alignedRGB: rgb, alignedValid: valid,
                                                similarity: similarity, into: out)
                    guard copied else { continue }
                    for c in 0..<3 { px[3 * i + c] = UInt8(min(max(out[c * n + i] * 255 + 0.5, 0), 255)) }
                    filled += 1
                }
            }
        }
        return filled
    }
}
