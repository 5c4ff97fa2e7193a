import Imaging

/// Scene radiance in linear light, RGB interleaved, one Float per channel (exposure.md: sunlit
/// asphalt ≈ 0.2, lane paint ≈ 0.7, sky 2–10, tunnel interior 0.005–0.03, lamps ≈ 1, the sun far
/// above). This is what the renderer produces and what `CameraModel` exposes.
public struct RadianceImage: Sendable {
    public private(set) var width: Int
    public private(set) var height: Int
    /// `width * height * 3` values, R G B per pixel.
    public var values: [Float]

    public init(width: Int, height: Int, fill: Float = 0) {
        self.width = width
        self.height = height
        values = [Float](repeating: fill, count: width * height * 3)
    }

    public var size: ImageSize { ImageSize(width: width, height: height) }

    /// Changes the size, keeping storage when possible; contents unspecified afterwards.
    public mutating func reshape(width: Int, height: Int) {
        guard width != self.width || height != self.height else { return }
        self.width = width
        self.height = height
        let count = width * height * 3
        if values.count > count { values.removeLast(values.count - count) }
        else if values.count < count { values.append(contentsOf: [Float](repeating: 0, count: count - values.count)) }
    }

    /// Linearizes an 8-bit sRGB frame: the radiance relative to the exposure the camera used
    /// (exposure.md: how a real recording enters the camera model).
    public mutating func linearize(_ image: RGBImage) {
        reshape(width: image.width, height: image.height)
        let lut = ColorConversion.srgbToLinear
        image.pixels.withUnsafeBufferPointer { src in
            values.withUnsafeMutableBufferPointer { dst in
                lut.withUnsafeBufferPointer { table in
                    for i in 0..<src.count { dst[i] = table[Int(src[i])] }
                }
            }
        }
    }

    /// Geometric mean luminance over rows `rows` (exp of the mean log, luminance floored at
    /// `floor` and capped at `cap`): the average a camera's matrix metering approximates, so a
    /// bright tunnel mouth filling a quarter of the view does not yet pull the exposure down.
    /// `extra` (lens glare) is added to each pixel's luminance first when given.
    public func logAverageLuminance(rows: Range<Int>, cap: Float = .infinity, floor: Float = 1e-4, extra: RadianceImage? = nil) -> Double {
        guard width > 0, !rows.isEmpty else { return 0 }
        var total = 0.0
        let glare = extra?.values
        values.withUnsafeBufferPointer { v in
            for y in rows {
                var rowSum: Float = 0
                let base = y * width * 3
                for x in 0..<width {
                    let i = base + 3 * x
                    var l = 0.2126 * v[i] + 0.7152 * v[i + 1] + 0.0722 * v[i + 2]
                    if let glare { l += 0.2126 * glare[i] + 0.7152 * glare[i + 1] + 0.0722 * glare[i + 2] }
                    rowSum += logf(min(max(l, floor), cap))
                }
                total += Double(rowSum)
            }
        }
        return exp(total / Double(rows.count * width))
    }

    /// Mean luminance (Rec.709 weights) over rows `rows`, with each pixel's luminance capped at
    /// `cap` so that a few pixels of sun cannot dominate the average.
    public func meanLuminance(rows: Range<Int>, cap: Float = .infinity) -> Double {
        guard width > 0, !rows.isEmpty else { return 0 }
        var total = 0.0
        values.withUnsafeBufferPointer { v in
            for y in rows {
                var rowSum: Float = 0
                let base = y * width * 3
                for x in 0..<width {
                    let i = base + 3 * x
                    rowSum += min(0.2126 * v[i] + 0.7152 * v[i + 1] + 0.0722 * v[i + 2], cap)
                }
                total += Double(rowSum)
            }
        }
        return total / Double(rows.count * width)
    }
}
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
