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

    /// The veil growth's definition: `radius` one-pixel (8-neighbour) dilations of the seeded
    /// holes, each gated by the veil, added to the holes.
    private func veilReference(_ holes: Mask, seeds: Mask, veil: Mask, radius: Int) -> Mask {
        var reached = Mask(width: holes.width, height: holes.height, fill: 0)
        for i in 0..<reached.values.count { reached.values[i] = holes.values[i] != 0 && seeds.values[i] != 0 ? 1 : 0 }
        for _ in 0..<radius {
            var next = reached
            for y in 0..<holes.height {
                for x in 0..<holes.width where reached[x, y] == 0 && veil[x, y] != 0 {
                    var near = false
                    for dy in -1...1 { for dx in -1...1 {
                        let xx = x + dx, yy = y + dy
                        if xx >= 0, yy >= 0, xx < holes.width, yy < holes.height, reached[xx, yy] != 0 { near = true }
                    } }
                    if near { next[x, y] = 1 }
                }
            }
            reached = next
        }
        var out = holes
        for i in 0..<out.values.count where reached.values[i] != 0 { out.values[i] = 1 }
        return out
    }

    @Test func veilGrowthMatchesIteratedGatedDilations() {
        var rng = SeededRandom(seed: 42)
        var growth = VeilGrowth()
        for (w, h) in [(1, 1), (9, 4), (40, 23), (64, 31)] {
            var holes = Mask(width: w, height: h, fill: 0), seeds = holes, veil = holes
            for i in 0..<holes.values.count {
                holes.values[i] = rng.chance(0.04) ? 1 : 0
                seeds.values[i] = rng.chance(0.7) ? 1 : 0
                veil.values[i] = rng.chance(0.6) ? 1 : 0
            }
            for r in [0, 1, 2, 5, 40] {
                var grown = holes
                growth.grow(&grown, seeds: seeds, veil: veil, radius: r)
                #expect(grown == veilReference(holes, seeds: seeds, veil: veil, radius: r), "\(w)x\(h) radius \(r)")
            }
        }
        // Solid clipped regions (a sun, a tunnel mouth), touching the border or not: the growth
        // starts from their edge only, which must not change what it reaches.
        for (w, h, x0, y0, x1, y1) in [(40, 23, 10, 5, 25, 15), (64, 31, 0, 0, 30, 12), (33, 20, 20, 8, 33, 20)] {
            var holes = Mask(width: w, height: h, fill: 0), seeds = holes, veil = holes
            for i in 0..<holes.values.count {
                let x = i % w, y = i / w
                let inside = x >= x0 && x < x1 && y >= y0 && y < y1
                holes.values[i] = inside || rng.chance(0.02) ? 1 : 0
                seeds.values[i] = inside || rng.chance(0.5) ? 1 : 0
                veil.values[i] = rng.chance(0.7) ? 1 : 0
            }
            for r in [1, 3, 12] {
                var grown = holes
                growth.grow(&grown, seeds: seeds, veil: veil, radius: r)
                #expect(grown == veilReference(holes, seeds: seeds, veil: veil, radius: r), "block \(w)x\(h) radius \(r)")
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

    /// A glare's bloom: a clipped core on the right, a bright ramp beside it (luma 255 → 120 over
    /// 160 px) with faint paint on it, then darker road with paint under correct exposure; and a
    /// bright patch beyond dark road. With `veil_radius` the ramp down to `veil_level` joins the
    /// hole; the paint in the dark road and the separate patch do not.
    @Test func clippedHolesGrowIntoTheirBrightVeilOnlyWhenConnected() {
        var image = grey(90)
        for y in 90..<180 {
            for x in 240..<320 { image[x, y] = RGB(255, 255, 255) }
            for x in 80..<240 {
                let v = UInt8(120 + (x - 80) * 135 / 160)
                image[x, y] = RGB(v, v, v)
            }
            for x in 150..<156 { image[x, y] = RGB(image[x, y].r &+ 4, image[x, y].g &+ 4, image[x, y].b &+ 4) }  // paint under the veil
            for x in 40..<46 { image[x, y] = RGB(230, 230, 230) }  // paint on correctly exposed road
        }
        for y in 20..<40 { for x in 250..<300 { image[x, y] = RGB(200, 200, 200) } }  // bright, not clipped, not connected
        let roi = Mask(width: size.width, height: size.height, fill: 1)
        var holes = Mask(width: 0, height: 0, fill: 0)
        var noVeil = ExposureConfig()
        noVeil.veilRadius = 0
        var plain = ExposureAnalyzer(configuration: noVeil, roi: roi, size: size)
        _ = plain.analyze(image, into: &holes)
        #expect(holes[300, 120] == 1 && holes[152, 120] == 0 && holes[200, 120] == 0, "without the veil: the clipped core only")
        // The shipped veil: level 160, contrast 4, radius 128 (64 px at this 320-px width).
        let veiled = ExposureConfig()
        #expect(veiled.veilLevel == 160 && veiled.veilContrast == 4 && veiled.veilRadius == 128)
        var grown = ExposureAnalyzer(configuration: veiled, roi: roi, size: size)
        _ = grown.analyze(image, into: &holes)
        // Luma ≥ 160 from x = 128 (120 + 48·135/160 = 160.5) to the core: within 64 px of it from x ≈ 176.
        #expect(holes[200, 120] == 1 && holes[180, 120] == 1)
        #expect(holes[150, 120] == 0, "beyond the radius")
        #expect(holes[42, 120] == 0 && holes[275, 30] == 0, "paint on dark road, a bright patch beyond dark road")
        var far = veiled
        far.veilRadius = 255
        var reaching = ExposureAnalyzer(configuration: far, roi: roi, size: size)
        _ = reaching.analyze(image, into: &holes)
        #expect(holes[152, 120] == 1 && holes[130, 120] == 1, "the veiled paint, down to the veil level")
        #expect(holes[120, 120] == 0 && holes[42, 120] == 0 && holes[275, 30] == 0)

        // Paint still visible in the veil (a ridge of veil_contrast or more) keeps itself and its
        // surroundings out: the lane detector can see it, a paste would only replace it.
        var visible = image
        for y in 90..<180 { for x in 190..<196 { visible[x, y] = RGB(visible[x, y].r &- 30, visible[x, y].g &- 30, visible[x, y].b &- 30) } }
        var seeing = ExposureAnalyzer(configuration: far, roi: roi, size: size)
        _ = seeing.analyze(visible, into: &holes)
        #expect(holes[192, 120] == 0 && holes[186, 120] == 0, "a dark line of 30 levels in the veil, and 3 px beside it")
        #expect(holes[215, 120] == 1, "the veil between it and the core still joins")
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
