/// Color conversions shared by exposure analysis, lane detection and the baselines.
///
/// Luma uses the BT.601 weights in fixed point (the same weights JPEG and most cameras use), so
/// results are exact integers and reproducible across machines.
public enum ColorConversion {
    /// BT.601 luma of one pixel, rounded: (77 R + 150 G + 29 B + 128) >> 8.
    @inlinable
    public static func luma(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        let sum: Int = 77 &* Int(r) &+ 150 &* Int(g) &+ 29 &* Int(b) &+ 128
        return UInt8(truncatingIfNeeded: sum >> 8)
    }

    /// Writes the luma of `image` into `out` (reshaped to the image size).
    public static func luma(of image: RGBImage, into out: inout GrayImage) {
        out.reshape(width: image.width, height: image.height, fill: 0)
        let n = image.width * image.height
        image.pixels.withUnsafeBufferPointer { src in
            out.values.withUnsafeMutableBufferPointer { dst in
                for i in 0..<n {
                    dst[i] = luma(src[3 * i], src[3 * i + 1], src[3 * i + 2])
                }
            }
        }
    }

    public static func luma(of image: RGBImage) -> GrayImage {
        var out = GrayImage(width: image.width, height: image.height, fill: 0)
        luma(of: image, into: &out)
        return out
    }

    /// The sRGB transfer curve, inverted: 8-bit code → linear light in [0, 1].
    public static let srgbToLinear: [Float] = (0..<256).map { code in
        let v = Float(code) / 255
        return v <= 0.04045 ? v / 12.92 : powf((v + 0.055) / 1.055, 2.4)
    }

    /// Linear light in [0, 1] → sRGB-encoded value in [0, 1].
    @inlinable
    public static func linearToSRGB(_ v: Float) -> Float {
        let c = min(max(v, 0), 1)
        return c <= 0.0031308 ? c * 12.92 : 1.055 * powf(c, 1 / 2.4) - 0.055
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
