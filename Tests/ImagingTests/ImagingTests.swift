import Imaging
import Testing

@Suite("Imaging")
struct ImagingTests {
    @Test func lumaUsesBT601WeightsAndSpansTheFullRange() {
        #expect(ColorConversion.luma(0, 0, 0) == 0)
        #expect(ColorConversion.luma(255, 255, 255) == 255)
        // Green carries most luma, blue least.
        #expect(ColorConversion.luma(0, 255, 0) == 149)
        #expect(ColorConversion.luma(255, 0, 0) == 77)
        #expect(ColorConversion.luma(0, 0, 255) == 29)
    }

    @Test func srgbLinearizationRoundTrips() {
        for code in stride(from: 0, through: 255, by: 17) {
            let linear = ColorConversion.srgbToLinear[code]
            let back = ColorConversion.linearToSRGB(linear) * 255
            #expect(abs(back - Float(code)) < 0.01)
        }
        #expect(ColorConversion.srgbToLinear[128] > 0.2 && ColorConversion.srgbToLinear[128] < 0.23)
    }

    @Test func bilinearResizeMatchesHalfPixelReference() {
        // A 4x1 ramp upscaled to 8x1 with half-pixel centres: output x samples input at (x+0.5)/2-0.5.
        var src = RGBImage(width: 4, height: 1)
        for x in 0..<4 { src[x, 0] = RGB(UInt8(x * 60), 0, 0) }
        let out = Resize.bilinear(src, to: ImageSize(width: 8, height: 1))
        let expected: [Float] = (0..<8).map { x in
            let f = max(Float(x) * 0.5 - 0.25, 0)
            let i0 = min(Int(f), 3), i1 = min(i0 + 1, 3)
            let w = f - Float(i0)
            return Float(i0 * 60) * (1 - w) + Float(i1 * 60) * w
        }
        for x in 0..<8 { #expect(abs(Float(out[x, 0].r) - expected[x]) <= 0.5) }
    }

    /// Halving takes an integer path (the restorer's network size, every frame); it must give
    /// what the half-pixel float formula gives, on noise and at the extremes.
    @Test func halvingMatchesTheFloatBilinearFormula() {
        for (w, h) in [(2, 2), (10, 6), (64, 36)] {
            var src = RGBImage(width: w, height: h)
            var state: UInt32 = 12345
            for i in src.pixels.indices {
                state = state &* 1_664_525 &+ 1_013_904_223
                src.pixels[i] = i % 7 == 0 ? 255 : i % 11 == 0 ? 0 : UInt8(truncatingIfNeeded: state >> 24)
            }
            let out = Resize.bilinear(src, to: ImageSize(width: w / 2, height: h / 2))
            for y in 0..<(h / 2) {
                for x in 0..<(w / 2) {
                    // The general path's arithmetic at scale 2: samples at 2x + 0.5, 2y + 0.5.
                    let fx = Float(x) * 2 + 0.5, fy = Float(y) * 2 + 0.5
                    let x0 = Int(fx), y0 = Int(fy), wx = fx - Float(x0), wy = fy - Float(y0)
                    for c in 0..<3 {
                        let a = Float(src.pixels[(y0 * w + x0) * 3 + c]), b = Float(src.pixels[(y0 * w + x0 + 1) * 3 + c])
                        let e = Float(src.pixels[((y0 + 1) * w + x0) * 3 + c]), f = Float(src.pixels[((y0 + 1) * w + x0 + 1) * 3 + c])
                        let top = a + (b - a) * wx, bottom = e + (f - e) * wx
                        let v = UInt8(min(max(top + (bottom - top) * wy + 0.5, 0), 255))
                        #expect(out.pixels[(y * (w / 2) + x) * 3 + c] == v, "\(w)x\(h) at \(x),\(y) channel \(c)")
                    }
                }
            }
        }
    }

    @Test func resizeOfAFlatImageIsFlat() {
        let src = RGBImage(width: 37, height: 23, fill: 90)
        let out = Resize.bilinear(src, to: ImageSize(width: 64, height: 11))
        #expect(out.pixels.allSatisfy { $0 == 90 })
    }

    @Test func reshapeKeepsStorageForTheSameByteCount() {
        var image = RGBImage(width: 10, height: 10)
        image.reshape(width: 20, height: 5)
        #expect(image.pixels.count == 300)
        image.reshape(width: 4, height: 4)
        #expect(image.pixels.count == 48 && image.width == 4)
    }

    @Test func aGrownPlaneKeepsItsValuesAndFillsTheRest() {
        var mask = Mask(width: 3, height: 2, fill: 7)
        mask.reshape(width: 4, height: 3, fill: 1)
        #expect(mask.values == [7, 7, 7, 7, 7, 7, 1, 1, 1, 1, 1, 1] && mask.width == 4 && mask.height == 3)
        mask.reshape(width: 2, height: 2, fill: 9)
        #expect(mask.values == [7, 7, 7, 7])
        var image = RGBImage(width: 2, height: 1, fill: 5)
        image.reshape(width: 2, height: 2)
        #expect(image.pixels == [5, 5, 5, 5, 5, 5, 0, 0, 0, 0, 0, 0])
    }

    @Test func imageSizeParsing() {
        #expect(ImageSize(parsing: "640x360") == ImageSize(width: 640, height: 360))
        #expect(ImageSize(parsing: "1280×720") == ImageSize(width: 1280, height: 720))
        #expect(ImageSize(parsing: "640") == nil)
        #expect(ImageSize(parsing: "0x10") == nil)
    }

    @Test func maskCoverageCountsSetPixels() {
        var mask = Mask(width: 10, height: 10, fill: 0)
        for x in 0..<10 { mask[x, 3] = 1 }
        #expect(mask.setCount == 10)
        #expect(mask.coverage == 0.1)
    }
}
