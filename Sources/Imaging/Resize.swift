/// Bilinear resampling of 8-bit RGB images with half-pixel centres (the convention of
/// GStreamer's videoscale, OpenCV's INTER_LINEAR and PyTorch's align_corners=False), so that a
/// resize here lines up with one done by the media pipeline or the network.
public enum Resize {
    public static func bilinear(_ src: RGBImage, to size: ImageSize) -> RGBImage {
        var out = RGBImage(width: size.width, height: size.height)
        bilinear(src, into: &out)
        return out
    }

    /// Resamples `src` into `dst`, whose size is kept. No allocation.
    public static func bilinear(_ src: RGBImage, into dst: inout RGBImage) {
        let sw = src.width, sh = src.height, dw = dst.width, dh = dst.height
        guard sw > 0, sh > 0, dw > 0, dh > 0 else { return }
        if sw == dw && sh == dh {
            dst.pixels = src.pixels
            return
        }
        if sw == 2 * dw && sh == 2 * dh {
            halve(src, into: &dst)
            return
        }
        let sx = Float(sw) / Float(dw), sy = Float(sh) / Float(dh)
        src.pixels.withUnsafeBufferPointer { s in
            dst.pixels.withUnsafeMutableBufferPointer { d in
                for y in 0..<dh {
                    let fy = max((Float(y) + 0.5) * sy - 0.5, 0)
                    let y0 = min(Int(fy), sh - 1), y1 = min(y0 + 1, sh - 1)
                    let wy = fy - Float(y0)
                    for x in 0..<dw {
                        let fx = max((Float(x) + 0.5) * sx - 0.5, 0)
                        let x0 = min(Int(fx), sw - 1), x1 = min(x0 + 1, sw - 1)
                        let wx = fx - Float(x0)
                        for c in 0..<3 {
                            let a = Float(s[(y0 * sw + x0) * 3 + c]), b = Float(s[(y0 * sw + x1) * 3 + c])
                            let e = Float(s[(y1 * sw + x0) * 3 + c]), f = Float(s[(y1 * sw + x1) * 3 + c])
                            let top = a + (b - a) * wx, bottom = e + (f - e) * wx
                            let v = top + (bottom - top) * wy
                            d[(y * dw + x) * 3 + c] = UInt8(min(max(v + 0.5, 0), 255))
                        }
                    }
                }
            }
        }
    }

    /// The exact halving (the restorer's full size → network size, every frame): with half-pixel
    /// centres each output samples its 2×2 block at weights ½, ½, so the bilinear value is the
    /// block's mean, and the float path's `UInt8(v + 0.5)` of it is (a + b + c + d + 2) / 4 in
    /// integers (all its intermediates are exact in Float). Tested against the float formula.
    static func halve(_ src: RGBImage, into dst: inout RGBImage) {
        let dw = dst.width, dh = dst.height, rowBytes = src.width * 3
        src.pixels.withUnsafeBufferPointer { s in
            dst.pixels.withUnsafeMutableBufferPointer { d in
                guard let s = s.baseAddress, let d = d.baseAddress else { return }
                for y in 0..<dh {
                    let top = s + 2 * y * rowBytes, bottom = top + rowBytes, out = d + y * dw * 3
                    for x in 0..<dw {
                        for c in 0..<3 {
                            let i = 6 * x + c
                            let sum = UInt16(top[i]) &+ UInt16(top[i + 3]) &+ UInt16(bottom[i]) &+ UInt16(bottom[i + 3]) &+ 2
                            out[3 * x + c] = UInt8(truncatingIfNeeded: sum >> 2)
                        }
                    }
                }
            }
        }
    }
}
