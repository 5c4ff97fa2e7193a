import Evaluation
import Foundation
import Imaging
import Pipeline
import Testing

@Suite("Baselines and image quality")
struct BaselineTests {
    func image(width: Int = 64, height: Int = 48, _ value: (Int, Int) -> UInt8) -> RGBImage {
        var im = RGBImage(width: width, height: height)
        for y in 0..<height { for x in 0..<width { let v = value(x, y); im[x, y] = RGB(v, v, v) } }
        return im
    }

    @Test func claheLeavesAFlatImageFlat() {
        for level in [0, 37, 128, 250] as [UInt8] {
            var im = image { _, _ in level }
            var clahe = CLAHE(tiles: 8, clipLimit: 2)
            clahe.correct(&im)
            let values = Set(im.pixels)
            #expect(values.count == 1)
            #expect(abs(Int(values.first!) - Int(level)) <= 1)
        }
    }

    @Test func claheStretchesLowContrastButOnlyUpToTheClipLimit() {
        // Luma 100…107 in a fine pattern: plain equalisation would spread it over 0…255; the clip
        // limit bounds each level's step to about (clip + 1) levels.
        let input = image { x, y in UInt8(100 + (x * 3 + y * 5) % 8) }
        var out = input
        var clahe = CLAHE(tiles: 4, clipLimit: 2)
        clahe.correct(&out)
        let inRange = Int(input.pixels.max()!) - Int(input.pixels.min()!)
        let outRange = Int(out.pixels.max()!) - Int(out.pixels.min()!)
        #expect(outRange > inRange)
        #expect(outRange <= 3 * (inRange + 1))
        // Inside a tile the mapping is monotonic: a brighter input pixel is never darker out.
        for x in 0..<15 {
            let (i0, i1) = (input[x, 5].r, input[x + 1, 5].r)
            if i0 < i1 { #expect(out[x, 5].r <= out[x + 1, 5].r + 1) }
        }
    }

    @Test func claheBlendsTilesWithoutSeams() {
        // A smooth horizontal ramp stays smooth: neighbouring columns differ by a few levels at most.
        var im = image(width: 128, height: 32) { x, _ in UInt8(60 + x) }
        var clahe = CLAHE(tiles: 4, clipLimit: 3)
        clahe.correct(&im)
        for x in 1..<128 {
            #expect(abs(Int(im[x, 16].r) - Int(im[x - 1, 16].r)) <= 6)
        }
    }

    @Test func gammaBringsTheMeanLumaToTheTarget() {
        var dark = image { x, y in UInt8(20 + (x + y) % 20) }
        var gamma = GammaNormalization(target: 0.45)
        gamma.correct(&dark)
        let mean = Double(dark.pixels.map(Int.init).reduce(0, +)) / Double(dark.pixels.count) / 255
        #expect(abs(mean - 0.45) < 0.05)
        #expect(gamma.lastGamma < 1)
    }

    @Test func psnrAndSSIMAreMaximalForIdenticalFramesAndDropWithDamage() {
        let clean = image { x, y in UInt8((x * 7 + y * 3) % 200 + 20) }
        var damaged = clean
        var holes = Mask(width: 64, height: 48, fill: 0)
        for y in 10..<20 { for x in 10..<30 { damaged[x, y] = RGB(255, 255, 255); holes[x, y] = 1 } }
        var q = ImageQuality()
        let same = q.measure(clean, clean: clean, holes: holes)
        #expect(same.psnr == ImageQuality.maxPSNR && abs(same.ssim - 1) < 1e-5)
        let hurt = q.measure(damaged, clean: clean, holes: holes)
        #expect(hurt.psnr < 20 && hurt.ssim < 0.95)
        // The holes hold all the damage: their PSNR is lower than the whole frame's.
        #expect((hurt.psnrHoles ?? 100) < hurt.psnr)
        // Hand check: in the holes every channel error is 255 − v; PSNR = 10 log10(255² / MSE).
        var sum = 0.0
        for y in 10..<20 { for x in 10..<30 { let d = 255 - Double(clean[x, y].r); sum += 3 * d * d } }
        let expected = 10 * log10(255 * 255 / (sum / Double(3 * 200)))
        #expect(abs((hurt.psnrHoles ?? 0) - expected) < 1e-9)
    }

    /// The shown-hole PSNR counts only hole pixels whose clean luma is away from black and white:
    /// a restoration that fills those exactly scores the cap there, however wrong it is where the
    /// clean frame is itself white; without such pixels it is absent, and summaries average it
    /// over the frames that have it.
    /// SSIM straight from its definition, in Double, one window per pixel: the reference the
    /// separable, row-at-a-time `ImageQuality` is checked against (borders renormalised too).
    static func referenceSSIM(_ a: GrayImage, _ b: GrayImage) -> Double {
        let w = a.width, h = a.height, sigma = 1.5
        let g = (-5...5).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        var total = 0.0
        for y in 0..<h {
            for x in 0..<w {
                var ws = 0.0, ma = 0.0, mb = 0.0, aa = 0.0, bb = 0.0, ab = 0.0
                for dy in -5...5 where y + dy >= 0 && y + dy < h {
                    for dx in -5...5 where x + dx >= 0 && x + dx < w {
                        let k = g[dy + 5] * g[dx + 5]
                        let u = Double(a[x + dx, y + dy]), v = Double(b[x + dx, y + dy])
                        ws += k; ma += k * u; mb += k * v; aa += k * u * u; bb += k * v * v; ab += k * u * v
                    }
                }
                ma /= ws; mb /= ws
                let va = aa / ws - ma * ma, vb = bb / ws - mb * mb, cab = ab / ws - ma * mb
                let c1: Double = 2.55 * 2.55, c2: Double = 7.65 * 7.65
                total += ((2 * ma * mb + c1) * (2 * cab + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2))
            }
        }
        return total / Double(w * h)
    }

    @Test func ssimMatchesItsDefinitionInsideAndAtTheBorders() {
        // 23×17: every row and column has both border and inside windows (11-tap window).
        var rng = SystemRandomNumberGenerator()
        var clean = RGBImage(width: 23, height: 17), noisy = RGBImage(width: 23, height: 17)
        for i in 0..<clean.pixels.count {
            let v = UInt8.random(in: 40...220, using: &rng)
            clean.pixels[i] = v
            noisy.pixels[i] = UInt8(clamping: Int(v) + Int.random(in: -30...30, using: &rng))
        }
        var quality = ImageQuality()
        let measured = quality.measure(noisy, clean: clean, holes: nil).ssim
        let reference = Self.referenceSSIM(ColorConversion.luma(of: noisy), ColorConversion.luma(of: clean))
        #expect(abs(measured - reference) < 1e-4, "SSIM \(measured) against \(reference)")
        #expect(reference < 0.99)
    }

    @Test func shownHolePSNRIgnoresHolesTheCleanFrameCannotShow() throws {
        // Left half of the hole: clean white (glare in the clean render too); right half: texture.
        let clean = image { x, y in x < 20 ? 255 : UInt8((x * 7 + y * 3) % 150 + 50) }
        var holes = Mask(width: 64, height: 48, fill: 0)
        for y in 10..<20 { for x in 10..<30 { holes[x, y] = 1 } }
        var restored = clean
        for y in 10..<20 { for x in 10..<20 { restored[x, y] = RGB(100, 100, 100) } }
        var q = ImageQuality()
        let r = q.measure(restored, clean: clean, holes: holes)
        #expect(r.psnrShownHoles == ImageQuality.maxPSNR)
        #expect((r.psnrHoles ?? 100) < 15)
        // Wrong where the clean frame shows texture: the shown-hole PSNR is that region's alone.
        var wrong = clean
        for y in 10..<20 { for x in 20..<30 { wrong[x, y] = RGB(0, 0, 0) } }
        let w = q.measure(wrong, clean: clean, holes: holes)
        var sum = 0.0
        for y in 10..<20 { for x in 20..<30 { let d = Double(clean[x, y].r); sum += 3 * d * d } }
        #expect(abs((w.psnrShownHoles ?? 0) - 10 * log10(255 * 255 / (sum / 300))) < 1e-9)
        // A hole only where the clean frame is white: no shown-hole figure.
        var white = Mask(width: 64, height: 48, fill: 0)
        for y in 10..<20 { for x in 10..<20 { white[x, y] = 1 } }
        #expect(q.measure(restored, clean: clean, holes: white).psnrShownHoles == nil)
        var summary = QualitySummary()
        summary.add(r)
        summary.add(q.measure(restored, clean: clean, holes: white))
        #expect(summary.holeFrames == 2 && summary.shownHoleFrames == 1 && summary.psnrShownHoles == ImageQuality.maxPSNR)
        let decoded = try JSONDecoder().decode(QualitySummary.self, from: JSONEncoder().encode(summary))
        #expect(decoded == summary)
    }
}
