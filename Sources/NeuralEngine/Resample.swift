/// Resampling kernels with PyTorch semantics (batch 1, layout C×H×W).
public enum Resample {
    /// `F.interpolate(mode="bilinear", align_corners=False)` without antialiasing:
    /// source = (dst + 0.5)·in/out − 0.5, clamped at 0; the right/bottom neighbour clamps at the edge.
    public static func bilinear(_ input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                                into output: UnsafeMutablePointer<Float>, outHeight: Int, outWidth: Int) {
        let sy = Float(height) / Float(outHeight), sx = Float(width) / Float(outWidth)
        for y in 0..<outHeight {
            let (y0, y1, wy) = source(y, scale: sy, size: height)
            for x in 0..<outWidth {
                let (x0, x1, wx) = source(x, scale: sx, size: width)
                for c in 0..<channels {
                    let p = input + c * height * width
                    let top = (1 - wx) * p[y0 * width + x0] + wx * p[y0 * width + x1]
                    let bottom = (1 - wx) * p[y1 * width + x0] + wx * p[y1 * width + x1]
                    output[(c * outHeight + y) * outWidth + x] = (1 - wy) * top + wy * bottom
                }
            }
        }
    }

    @inline(__always)
    static func source(_ i: Int, scale: Float, size: Int) -> (Int, Int, Float) {
        let f = max(scale * (Float(i) + 0.5) - 0.5, 0)
        let i0 = min(Int(f), size - 1)
        let i1 = i0 < size - 1 ? i0 + 1 : i0
        return (i0, i1, f - Float(i0))
    }

    /// `F.interpolate(scale_factor=2, mode="nearest")`: out[y][x] = in[y/2][x/2].
    public static func nearestUpsample2x(_ input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                                         into output: UnsafeMutablePointer<Float>) {
        let ow = width * 2
        for c in 0..<channels {
            for y in 0..<height {
                let src = input + (c * height + y) * width
                let dst = output + (c * height * 2 + y * 2) * ow
                for x in 0..<width {
                    dst[2 * x] = src[x]
                    dst[2 * x + 1] = src[x]
                }
                (dst + ow).update(from: dst, count: ow)
            }
        }
    }

    /// `grid_sample(input, affine_grid(θ, size, align_corners=False), mode="bilinear",
    /// padding_mode="zeros", align_corners=False)` for one image, output of `outHeight`×`outWidth`.
    ///
    /// θ (row-major 2×3) maps an output pixel's normalized centre (x, y) ∈ (−1, 1) to the input's
    /// normalized coordinates; corners outside the input contribute 0.
    public static func affineGridSample(_ input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                                        theta: UnsafePointer<Float>,
                                        into output: UnsafeMutablePointer<Float>, outHeight: Int, outWidth: Int) {
        let t00 = theta[0], t01 = theta[1], t02 = theta[2], t10 = theta[3], t11 = theta[4], t12 = theta[5]
        let fw = Float(width), fh = Float(height)
        let plane = height * width, outPlane = outHeight * outWidth
        for i in 0..<outHeight {
            // affine_grid's base grid: linspace(−1, 1, n)·(n−1)/n, i.e. pixel centres.
            let y = (2 * Float(i) + 1) / Float(outHeight) - 1
            for j in 0..<outWidth {
                let x = (2 * Float(j) + 1) / Float(outWidth) - 1
                let gx = t00 * x + t01 * y + t02
                let gy = t10 * x + t11 * y + t12
                // Unnormalize (align_corners=False).
                let ix = ((gx + 1) * fw - 1) / 2
                let iy = ((gy + 1) * fh - 1) / 2
                let fx = ix.rounded(.down), fy = iy.rounded(.down)
                let out = output + i * outWidth + j
                guard fx.isFinite, fy.isFinite, fx > -2, fy > -2, fx < fw, fy < fh else {
                    for c in 0..<channels { out[c * outPlane] = 0 }
                    continue
                }
                let x0 = Int(fx), y0 = Int(fy)
                let wx = ix - fx, wy = iy - fy
                let w00 = (1 - wx) * (1 - wy), w01 = wx * (1 - wy), w10 = (1 - wx) * wy, w11 = wx * wy
                let inX0 = x0 >= 0 && x0 < width, inX1 = x0 + 1 >= 0 && x0 + 1 < width
                let inY0 = y0 >= 0 && y0 < height, inY1 = y0 + 1 >= 0 && y0 + 1 < height
                for c in 0..<channels {
                    let p = input + c * plane
                    var v: Float = 0
                    if inY0 {
                        if inX0 { v += p[y0 * width + x0] * w00 }
                        if inX1 { v += p[y0 * width + x0 + 1] * w01 }
                    }
                    if inY1 {
                        if inX0 { v += p[(y0 + 1) * width + x0] * w10 }
                        if inX1 { v += p[(y0 + 1) * width + x0 + 1] * w11 }
                    }
                    out[c * outPlane] = v
                }
            }
        }
    }
}

/// Small element-wise and reduction kernels.
public enum Ops {
    public static func relu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count where !(x[i] > 0) { x[i] = 0 }
    }

    /// Mean over H×W of each channel: [c, hw] → [c].
    public static func globalAveragePool(_ input: UnsafePointer<Float>, channels: Int, spatial: Int,
                                         into output: UnsafeMutablePointer<Float>) {
        for c in 0..<channels {
            var sum: Float = 0
            let p = input + c * spatial
            for i in 0..<spatial { sum += p[i] }
            output[c] = sum / Float(spatial)
        }
    }

    /// y = W·x + b with W [out, in] (PyTorch `Linear`).
    public static func linear(_ x: UnsafePointer<Float>, inFeatures: Int, weight: UnsafePointer<Float>,
                              bias: UnsafePointer<Float>?, outFeatures: Int, into y: UnsafeMutablePointer<Float>) {
        for o in 0..<outFeatures {
            var sum: Float = 0
            let row = weight + o * inFeatures
            for i in 0..<inFeatures { sum += row[i] * x[i] }
            y[o] = sum + (bias?[o] ?? 0)
        }
    }

    /// Copies [c, h, w] into the zero-filled [c, h + top + bottom, w + left + right].
    public static func pad(_ input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                           top: Int, left: Int, into output: UnsafeMutablePointer<Float>, outHeight: Int, outWidth: Int) {
        output.update(repeating: 0, count: channels * outHeight * outWidth)
        for c in 0..<channels {
            for y in 0..<height {
                (output + (c * outHeight + y + top) * outWidth + left).update(from: input + (c * height + y) * width, count: width)
            }
        }
    }

    /// The inverse of `pad`: the [c, height, width] window at (top, left) of [c, inHeight, inWidth].
    public static func crop(_ input: UnsafePointer<Float>, channels: Int, inHeight: Int, inWidth: Int,
                            top: Int, left: Int, into output: UnsafeMutablePointer<Float>, height: Int, width: Int) {
        for c in 0..<channels {
            for y in 0..<height {
                (output + (c * height + y) * width).update(from: input + (c * inHeight + y + top) * inWidth + left, count: width)
            }
        }
    }
}
