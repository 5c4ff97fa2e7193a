import Imaging
import NeuralEngine

/// Copying the aligned references' own pixels into hole pixels: the restorer's `.oldestAligned`
/// and `.blendAligned` pastes, written once and used at every frame size — the network's, and
/// the processing size when the network runs on reduced frames (θ is in normalized coordinates,
/// affine_grid's, so the alignment found on reduced frames holds for the full-size frames).
///
/// The frames pasted from are a memory's slot storage at one size (`ReferenceMemory.rgb`/`valid`
/// or `fullRGB`/`fullValid`); `slots` names the references of the step in the workspace's order
/// (θ [K, 2, 3] and the per-reference tensors), `order` the indices into it to try.
public enum AlignedPaste {
    /// The pixel at (`column`, `row`) of a `width`×`height` frame from the first reference in
    /// `order` that shows it, or nil when none does.
    ///
    /// Each reference is sampled at the one point θ maps the pixel to (`Resample.AffineTap`, the
    /// warp's own arithmetic), so the colour is bit-identical to warping the whole reference
    /// (`CPNetwork.warp`) and reading the pixel, and "shows it" is the warp's thresholded
    /// visibility (> 0.5). The cost follows the hole's size, not K whole frames. One source per
    /// pixel keeps thin lane paint sharp where a blend of slightly misaligned references smears it.
    /// With `gains` (one per reference, the workspace's order), the colour is scaled by the gain of
    /// the reference it came from (`Restorer.darkPasteGains`).
    @inline(__always)
    public static func firstShowing(column: Int, row: Int, width: Int, height: Int, rgb: [Tensor], valid: [Tensor],
                                    slots: [Int], order: [Int], theta: UnsafePointer<Float>,
                                    gains: UnsafePointer<Float>? = nil) -> (Float, Float, Float)? {
        let n = width * height
        for k in order {
            let t = theta + 6 * k
            let tap = Resample.AffineTap(column: column, row: row, outWidth: width, outHeight: height, width: width,
                                         height: height, theta: (t[0], t[1], t[2], t[3], t[4], t[5]))
            let slot = slots[k]
            guard tap.sample(valid[slot].data) > 0.5 else { continue }
            let planes = rgb[slot].data, gain = gains?[k] ?? 1
            return (gain * tap.sample(planes), gain * tap.sample(planes + n), gain * tap.sample(planes + 2 * n))
        }
        return nil
    }

    /// Pixel `i` from `count` aligned references ([K, 3, n] colours, [K, 1, n] 0/1 visibility):
    /// the context-matching weights at pixel level — global similarity `g[k]` masked by
    /// visibility, normalized (cpnet.md §5) — applied to the references' own colours. Nil when
    /// no reference shows the pixel.
    @inline(__always)
    public static func blended(pixel i: Int, planeSize n: Int, count: Int, alignedRGB: UnsafePointer<Float>,
                               alignedValid: UnsafePointer<Float>, similarity g: UnsafePointer<Float>) -> (Float, Float, Float)? {
        var total: Float = 0, r: Float = 0, gr: Float = 0, b: Float = 0
        for k in 0..<count where alignedValid[k * n + i] > 0 {
            let w = g[k], base = 3 * k * n + i
            total += w
            r += w * alignedRGB[base]
            gr += w * alignedRGB[base + n]
            b += w * alignedRGB[base + 2 * n]
        }
        guard total > 0 else { return nil }
        return (r / total, gr / total, b / total)
    }

    /// A value in [0, 1] as an 8-bit channel (rounded, clamped): how pasted pixels go out.
    @inline(__always)
    public static func byte(_ v: Float) -> UInt8 { UInt8(min(max(v * 255 + 0.5, 0), 255)) }
}
