import Dispatch

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

    /// A second image sampled with the same grid (e.g. a frame's visibility beside its RGB).
    public struct Companion: @unchecked Sendable {
        public var input: UnsafePointer<Float>
        public var channels: Int
        public var output: UnsafeMutablePointer<Float>
        public init(input: UnsafePointer<Float>, channels: Int, output: UnsafeMutablePointer<Float>) {
            self.input = input
            self.channels = channels
            self.output = output
        }
    }

    /// `grid_sample(input, affine_grid(θ, size, align_corners=False), mode="bilinear",
    /// padding_mode="zeros", align_corners=False)` for one image, output of `outHeight`×`outWidth`.
    ///
    /// θ (row-major 2×3) maps an output pixel's normalized centre (x, y) ∈ (−1, 1) to the input's
    /// normalized coordinates; corners outside the input contribute 0. `companion`, when given, is
    /// sampled at the same points (same input size). Rows are split over `threads` threads.
    public static func affineGridSample(_ input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                                        theta: UnsafePointer<Float>,
                                        into output: UnsafeMutablePointer<Float>, outHeight: Int, outWidth: Int,
                                        companion: Companion? = nil, threads: Int = 1) {
        let job = GridSampleJob(input: input, channels: channels, height: height, width: width,
                                theta: (theta[0], theta[1], theta[2], theta[3], theta[4], theta[5]),
                                output: output, outHeight: outHeight, outWidth: outWidth, companion: companion)
        if threads > 1 && outHeight >= 2 * threads {
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                job.run(rows: (t * outHeight / threads)..<((t + 1) * outHeight / threads))
            }
        } else {
            job.run(rows: 0..<outHeight)
        }
    }

    /// affine_grid's base grid coordinate of pixel `i` of `n` (align_corners=False): the pixel centre
    /// (2i + 1)/n − 1, computed the way PyTorch does — linspace(−1, 1, n) (filled from both ends)
    /// scaled by (n − 1)/n — so sampling positions agree to the last bit where possible.
    @inline(__always)
    static func baseGrid(_ i: Int, _ n: Int) -> Float {
        guard n > 1 else { return 0 }
        let step = Float(2) / Float(n - 1)
        let linspace = i < n / 2 ? -1 + step * Float(i) : 1 - step * Float(n - 1 - i)
        return linspace * (Float(n - 1) / Float(n))
    }

    /// The four bilinear corners an affine grid sample reads for one output pixel: offsets into
    /// an input plane and their weights (zero for corners outside the input: zeros padding; such
    /// corners' offsets are clamped to a valid pixel whose value then counts 0×).
    public struct AffineTap {
        public var o00 = 0, o01 = 0, o10 = 0, o11 = 0
        public var w00: Float = 0, w01: Float = 0, w10: Float = 0, w11: Float = 0

        /// The tap for output pixel (`column`, `row`) of an `outWidth`×`outHeight` grid under θ
        /// (row-major 2×3), on an input of `width`×`height`: `affineGridSample`'s arithmetic, so a
        /// pixel sampled through it is bit-identical to the whole grid's. All weights are 0 where
        /// the point falls outside the input.
        @inline(__always)
        public init(column j: Int, row i: Int, outWidth: Int, outHeight: Int, width: Int, height: Int,
                    theta: (Float, Float, Float, Float, Float, Float)) {
            let (t00, t01, t02, t10, t11, t12) = theta
            let fw = Float(width), fh = Float(height)
            let x = Resample.baseGrid(j, outWidth), y = Resample.baseGrid(i, outHeight)
            let gx = t00 * x + t01 * y + t02
            let gy = t10 * x + t11 * y + t12
            // Unnormalize (align_corners=False).
            let ix = ((gx + 1) * fw - 1) / 2
            let iy = ((gy + 1) * fh - 1) / 2
            let fx = ix.rounded(.down), fy = iy.rounded(.down)
            guard fx.isFinite, fy.isFinite, fx > -2, fy > -2, fx < fw, fy < fh else { return }
            let x0 = Int(fx), y0 = Int(fy)
            let wx = ix - fx, wy = iy - fy
            let inX0 = x0 >= 0, inX1 = x0 + 1 < width, inY0 = y0 >= 0, inY1 = y0 + 1 < height
            w00 = inY0 && inX0 ? (1 - wx) * (1 - wy) : 0
            w01 = inY0 && inX1 ? wx * (1 - wy) : 0
            w10 = inY1 && inX0 ? (1 - wx) * wy : 0
            w11 = inY1 && inX1 ? wx * wy : 0
            let cx0 = max(x0, 0), cx1 = min(x0 + 1, width - 1), cy0 = max(y0, 0), cy1 = min(y0 + 1, height - 1)
            o00 = cy0 * width + cx0; o01 = cy0 * width + cx1; o10 = cy1 * width + cx0; o11 = cy1 * width + cx1
        }

        /// The sampled value of `plane` (an input plane of the size the tap was made for).
        @inline(__always)
        public func sample(_ plane: UnsafePointer<Float>) -> Float {
            plane[o00] * w00 + plane[o01] * w01 + plane[o10] * w10 + plane[o11] * w11
        }
    }

    struct GridSampleJob: @unchecked Sendable {
        let input: UnsafePointer<Float>
        let channels, height, width: Int
        let theta: (Float, Float, Float, Float, Float, Float)
        let output: UnsafeMutablePointer<Float>
        let outHeight, outWidth: Int
        let companion: Companion?

        func run(rows: Range<Int>) {
            let plane = height * width, outPlane = outHeight * outWidth
            for i in rows {
                for j in 0..<outWidth {
                    let tap = AffineTap(column: j, row: i, outWidth: outWidth, outHeight: outHeight, width: width, height: height,
                                        theta: theta)
                    let o = i * outWidth + j
                    for c in 0..<channels { output[c * outPlane + o] = tap.sample(input + c * plane) }
                    if let companion {
                        for c in 0..<companion.channels { companion.output[c * outPlane + o] = tap.sample(companion.input + c * plane) }
                    }
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
