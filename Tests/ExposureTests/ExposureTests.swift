import Configuration
import Exposure
import Foundation
import Imaging
import Synthesis
import Testing

@Suite("Camera model")
struct CameraModelTests {
    let size = ImageSize(width: 64, height: 36)

    func uniform(_ level: Float) -> RadianceImage { RadianceImage(width: size.width, height: size.height, fill: level) }

    @Test func overexposedRadianceClipsToWhiteAndIsATruthHole() {
        var camera = CameraModel(size: size, seed: 1)
        var image = RGBImage(width: 0, height: 0)
        var holes = Mask(width: 0, height: 0, fill: 0)
        camera.develop(uniform(0.5), exposure: 4, frame: 0, mode: .sensor, into: &image, holes: &holes)  // v = 2
        #expect(image.pixels.allSatisfy { $0 == 255 })
        #expect(holes.setCount == holes.values.count)
    }

    @Test func underexposedRadianceIsCrushedBelowTheNoiseFloor() {
        var camera = CameraModel(size: size, seed: 1)
        var image = RGBImage(width: 0, height: 0)
        var holes = Mask(width: 0, height: 0, fill: 0)
        let v = camera.parameters.crushLevel * 0.3
        camera.develop(uniform(v), exposure: 1, frame: 0, mode: .sensor, into: &image, holes: &holes)
        #expect(holes.setCount == holes.values.count)
        // Mid grey is neither.
        camera.develop(uniform(0.18), exposure: 1, frame: 0, mode: .sensor, into: &image, holes: &holes)
        #expect(holes.setCount == 0)
        let mean = Double(image.pixels.reduce(0) { $0 + Int($1) }) / Double(image.pixels.count)
        #expect(mean > 100 && mean < 200)
    }

    @Test func holesAppearExactlyWhereTheRadianceExceedsTheClipLevel() {
        var camera = CameraModel(parameters: .init(bloomStrength: 0), size: size, seed: 3)
        var radiance = uniform(0.2)
        for y in 10..<20 { for x in 30..<50 { for c in 0..<3 { radiance.values[(y * size.width + x) * 3 + c] = 3 } } }
        var image = RGBImage(width: 0, height: 0)
        var holes = Mask(width: 0, height: 0, fill: 0)
        camera.develop(radiance, exposure: 1, frame: 0, mode: .sensor, into: &image, holes: &holes)
        for y in 0..<size.height {
            for x in 0..<size.width {
                let inside = (10..<20).contains(y) && (30..<50).contains(x)
                #expect(holes[x, y] == (inside ? 1 : 0))
            }
        }
    }

    @Test func idealDevelopmentRollsOffInsteadOfClipping() {
        var camera = CameraModel(size: size, seed: 1)
        var image = RGBImage(width: 0, height: 0)
        camera.develop(uniform(0.9), exposure: 1, frame: 0, mode: .ideal, into: &image)  // sensor would read 0.9…1
        #expect(image.pixels.allSatisfy { $0 < 255 })
        #expect(Double(image.pixels.reduce(0) { $0 + Int($1) }) / Double(image.pixels.count) > 230)
    }

    @Test func sameFrameSameNoiseOtherFrameOtherNoise() {
        var camera = CameraModel(size: size, seed: 9)
        var a = RGBImage(width: 0, height: 0), b = a, c = a
        camera.develop(uniform(0.1), exposure: 1, frame: 4, mode: .sensor, into: &a)
        camera.develop(uniform(0.1), exposure: 1, frame: 4, mode: .sensor, into: &b)
        camera.develop(uniform(0.1), exposure: 1, frame: 5, mode: .sensor, into: &c)
        #expect(a == b)
        #expect(a != c)
    }
}

@Suite("Auto-exposure")
struct AutoExposureTests {
    @Test func lagLeavesTheFirstFramesAfterABrightnessJumpOverexposed() {
        var ae = AutoExposure(parameters: .init(key: 0.18, rate: 0.1, maxStepEV: 0.3))
        ae.settle(meteredMean: 0.005)  // tunnel
        var errors: [Double] = []
        for _ in 0..<60 {
            ae.step(meteredMean: 0.4)  // daylight
            errors.append(log2(ae.exposure / ae.target(meteredMean: 0.4)))
        }
        #expect(errors[0] > 5)                       // stops over on the first frame out
        #expect(errors[0] - errors[1] <= 0.3 + 1e-9)  // never faster than the step limit
        #expect(errors[59] < 0.1)                    // converged two seconds later
        #expect(zip(errors, errors.dropFirst()).allSatisfy { $0 >= $1 })
    }
}

@Suite("Box morphology")
struct BoxMorphologyTests {
    /// Direct window scan, the obvious reference.
    func reference(_ m: Mask, radius r: Int, all: Bool) -> Mask {
        var out = Mask(width: m.width, height: m.height, fill: 0)
        for y in 0..<m.height {
            for x in 0..<m.width {
                var any = false, every = true
                for yy in max(0, y - r)...min(m.height - 1, y + r) {
                    for xx in max(0, x - r)...min(m.width - 1, x + r) {
                        if m[xx, yy] != 0 { any = true } else { every = false }
                    }
                }
                out[x, y] = (all ? every : any) ? 1 : 0
            }
        }
        return out
    }

    /// Direct window count: 1 where at least `fraction` (rounded up, at least 1) of the clipped
    /// window is set and `gate` is set.
    func reference(_ m: Mask, radius r: Int, fraction: Double, gate: Mask) -> Mask {
        var out = Mask(width: m.width, height: m.height, fill: 0)
        for y in 0..<m.height {
            for x in 0..<m.width {
                var set = 0, total = 0
                for yy in max(0, y - r)...min(m.height - 1, y + r) {
                    for xx in max(0, x - r)...min(m.width - 1, x + r) {
                        total += 1
                        set += m[xx, yy] != 0 ? 1 : 0
                    }
                }
                let need = max(1, Int((Double(total) * fraction).rounded(.up)))
                out[x, y] = set >= need && gate[x, y] != 0 ? 1 : 0
            }
        }
        return out
    }

    /// The texture test's window share, on masks narrower and wider than the window (the scan
    /// splits each row into clipped ends and an interior with one window size).
    @Test func thresholdMatchesADirectWindowCount() {
        var rng = SeededRandom(seed: 11)
        for (w, h) in [(1, 1), (5, 9), (12, 4), (33, 21), (64, 3)] {
            var m = Mask(width: w, height: h, fill: 0), gate = m
            for i in 0..<m.values.count {
                m.values[i] = rng.chance(0.55) ? 1 : 0
                gate.values[i] = rng.chance(0.8) ? 1 : 0
            }
            var morphology = BoxMorphology()
            var out = Mask(width: 0, height: 0, fill: 0)
            for r in [0, 1, 3, 8] {
                for fraction in [0.3, 0.6, 0.99] {
                    morphology.threshold(m, radius: r, fraction: fraction, gate: gate, into: &out)
                    #expect(out == reference(m, radius: r, fraction: fraction, gate: gate), "\(w)x\(h) r \(r) f \(fraction)")
                }
            }
        }
    }

    @Test func dilateAndErodeMatchADirectWindowScanOnOddShapes() {
        var rng = SeededRandom(seed: 5)
        for (w, h) in [(1, 1), (7, 3), (31, 17), (40, 23), (64, 5)] {
            var m = Mask(width: w, height: h, fill: 0)
            // Any non-zero value is set (masks from other code may hold 255).
            for i in 0..<m.values.count { m.values[i] = rng.chance(0.3) ? (rng.chance(0.5) ? 1 : 255) : 0 }
            var morphology = BoxMorphology()
            var out = Mask(width: 0, height: 0, fill: 0)
            for r in [0, 1, 2, 3, 4, 5] {
                morphology.dilate(m, radius: r, into: &out)
                #expect(out == (r == 0 ? m : reference(m, radius: r, all: false)))
                morphology.erode(m, radius: r, into: &out)
                #expect(out == (r == 0 ? m : reference(m, radius: r, all: true)))
                // The edge band is dilate ∖ erode, in one pass.
                morphology.edgeBand(m, radius: r, into: &out)
                let (any, every) = (reference(m, radius: r, all: false), reference(m, radius: r, all: true))
                #expect(out.values == zip(any.values, every.values).map { $0 != 0 && $1 == 0 ? 1 : 0 })
            }
        }
    }
}

@Suite("ExposureAnalyzer")
struct ExposureAnalyzerTests {
    let size = ImageSize(width: 320, height: 180)

    func grey(_ level: UInt8) -> RGBImage { RGBImage(width: size.width, height: size.height, fill: level) }

    @Test func brightLanePaintUnderCorrectExposureIsNotMasked() throws {
        var analyzer = ExposureAnalyzer(roi: Mask(width: size.width, height: size.height, fill: 1), size: size)
        var image = grey(110)
        // Two saturated paint stripes, 8 and 12 px wide (a lane line near the camera at 320 px).
        for y in 90..<180 { for x in 100..<108 { image[x, y] = RGB(255, 255, 255) }; for x in 220..<232 { image[x, y] = RGB(252, 253, 255) } }
        var holes = Mask(width: 0, height: 0, fill: 0)
        let stats = analyzer.analyze(image, into: &holes)
        #expect(holes.setCount == 0)
        #expect(try #require(stats.clippedFraction) > 0)
    }

    @Test func aLargeSaturatedRegionIsOneHoleCoveringItsBloomEdge() {
        var analyzer = ExposureAnalyzer(roi: Mask(width: size.width, height: size.height, fill: 1), size: size)
        var image = grey(110)
        for y in 60..<140 { for x in 80..<240 { image[x, y] = RGB(255, 255, 255) } }
        var holes = Mask(width: 0, height: 0, fill: 0)
        let stats = analyzer.analyze(image, into: &holes)
        var covered = 0
        for y in 60..<140 { for x in 80..<240 where holes[x, y] == 1 { covered += 1 } }
        #expect(Double(covered) / Double(80 * 160) > 0.97)  // all but the very corners
        #expect(holes[79, 100] == 1 && holes[160, 59] == 1)  // edges dilated for the halo
        #expect(holes[20, 20] == 0)
        #expect(stats.roiCoverage > 0.2 && stats.roiCoverage < 0.3)
    }

    @Test func crushedRegionsWithOnlyNoiseAreHoles() throws {
        var analyzer = ExposureAnalyzer(roi: Mask(width: size.width, height: size.height, fill: 1), size: size)
        var image = grey(120)
        var rng = SeededRandom(seed: 2)
        for y in 100..<180 { for x in 0..<size.width { let v = UInt8(rng.integer(0...14)); image[x, y] = RGB(v, v, v) } }
        var holes = Mask(width: 0, height: 0, fill: 0)
        let stats = analyzer.analyze(image, into: &holes)
        #expect(try #require(stats.crushedFraction) > 0.4)
        var inside = 0
        for y in 100..<180 { for x in 0..<size.width where holes[x, y] == 1 { inside += 1 } }
        #expect(Double(inside) / Double(80 * size.width) > 0.98)
        #expect(holes[160, 40] == 0)
    }

    @Test func holesStayOnlyInsideTheROIAndAreHeldOneFrame() {
        let roi = [[0.0, 180], [0, 90], [320, 90], [320, 180]]
        var heldOneFrame = ExposureConfig()
        heldOneFrame.holdFrames = 1
        var analyzer = ExposureAnalyzer(configuration: heldOneFrame, roi: roi, size: size)
        var holes = Mask(width: 0, height: 0, fill: 0)
        _ = analyzer.analyze(grey(255), into: &holes)
        #expect(holes[10, 10] == 0 && holes[10, 170] == 1)
        _ = analyzer.analyze(grey(120), into: &holes)
        #expect(holes[10, 170] == 1)  // held for one frame
        _ = analyzer.analyze(grey(120), into: &holes)
        #expect(holes[10, 170] == 0)
        analyzer.reset()
        _ = analyzer.analyze(grey(120), into: &holes)
        #expect(holes.setCount == 0)
    }

    /// The analyzer takes the config file's `exposure:` section itself (no second settings type):
    /// a crush level raised in the config turns a dark, flat region into a hole.
    @Test func theConfigSectionDrivesTheAnalyzer() {
        var image = grey(120)
        for y in 100..<180 { for x in 0..<size.width { image[x, y] = RGB(28, 28, 28) } }
        let roi = Mask(width: size.width, height: size.height, fill: 1)
        var holes = Mask(width: 0, height: 0, fill: 0)
        var shipped = ExposureAnalyzer(configuration: ExposureConfig(), roi: roi, size: size)
        #expect(shipped.analyze(image, into: &holes).roiCoverage == 0, "luma 28 is above the shipped crush level 24")
        var crushHigher = ExposureConfig()
        crushHigher.crushLevel = 30
        var raised = ExposureAnalyzer(configuration: crushHigher, roi: roi, size: size)
        #expect(raised.analyze(image, into: &holes).roiCoverage > 0.2)
        #expect(raised.configuration.crushLevel == 30)
    }
}
