import CPNet
import Foundation
import Imaging
import Pipeline
import Testing

private let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
private let fixtureWeights = repo.appendingPathComponent("Tests/CPNetTests/Fixtures/weights.safetensors").path

/// A smooth, textured test frame shifted by `dx` (a forward-ish motion stand-in).
private func scene(width: Int, height: Int, dx: Int = 0, brightness: Double = 1) -> RGBImage {
    var image = RGBImage(width: width, height: height)
    for y in 0..<height {
        for x in 0..<width {
            let u = Double(x + dx), v = Double(y)
            let r = 90 + 60 * sin(u / 9) + 20 * cos(v / 7)
            let g = 110 + 50 * cos(u / 13 + v / 11)
            let b = 80 + 40 * sin(v / 5 - u / 17)
            image.pixels[(y * width + x) * 3] = UInt8(min(max(r * brightness, 0), 255))
            image.pixels[(y * width + x) * 3 + 1] = UInt8(min(max(g * brightness, 0), 255))
            image.pixels[(y * width + x) * 3 + 2] = UInt8(min(max(b * brightness, 0), 255))
        }
    }
    return image
}

private func band(width: Int, height: Int, rows: Range<Int>) -> Mask {
    var mask = Mask(width: width, height: height, fill: 0)
    for y in rows { for x in 0..<width { mask.values[y * width + x] = 1 } }
    return mask
}

@Suite("CPNet restoration stage")
struct RestorationStageTests {
    func stage(scale: Double = 0.5, matchExposure: Bool = false, deadlineFallback: Bool = true) throws -> CPNetRestoration {
        let weights = try CPNetWeights(path: fixtureWeights)
        return CPNetRestoration(restorer: Restorer.paper(weights: weights, references: 2, stride: 1, threads: 1),
                                scale: scale, minHoleCoverage: 0.001, matchExposure: matchExposure, deadlineFallback: deadlineFallback)
    }

    @Test func framesWithoutHolesAreRememberedNotRestored() throws {
        let restoration = try stage()
        var frame = Frame(image: scene(width: 96, height: 64), pts: nil, index: 0)
        let before = frame.image
        let outcome = restoration.restore(&frame, holes: Mask(width: 96, height: 64, fill: 0), budget: .infinity)
        #expect(outcome == .notNeeded)
        #expect(frame.image == before)
        #expect(restoration.restorer.memory.count == 1)
    }

    @Test func holesBeforeAnyReferenceAreSkippedAndFlagged() throws {
        let restoration = try stage()
        var frame = Frame(image: scene(width: 96, height: 64), pts: nil, index: 0)
        let outcome = restoration.restore(&frame, holes: band(width: 96, height: 64, rows: 20..<40), budget: .infinity)
        #expect(outcome == .skippedNoReferences)
    }

    @Test func restorationFillsOnlyHolePixelsAndLeavesValidOnesExact() throws {
        let restoration = try stage()
        let holes = band(width: 96, height: 64, rows: 24..<40)
        for i in 0..<3 {
            var past = Frame(image: scene(width: 96, height: 64, dx: i), pts: nil, index: i)
            _ = restoration.restore(&past, holes: Mask(width: 96, height: 64, fill: 0), budget: .infinity)
        }
        var frame = Frame(image: scene(width: 96, height: 64, dx: 3), pts: nil, index: 3)
        // The holes are blown out, as at a tunnel exit.
        for i in 0..<(96 * 64) where holes.values[i] != 0 { for c in 0..<3 { frame.image.pixels[3 * i + c] = 255 } }
        let before = frame.image
        let outcome = restoration.restore(&frame, holes: holes, budget: .infinity)
        #expect(outcome == .restored)
        var changedInHoles = 0
        for i in 0..<(96 * 64) {
            if holes.values[i] == 0 {
                #expect(frame.image.pixels[3 * i] == before.pixels[3 * i] && frame.image.pixels[3 * i + 2] == before.pixels[3 * i + 2])
            } else if frame.image.pixels[3 * i] != 255 || frame.image.pixels[3 * i + 1] != 255 {
                changedInHoles += 1
            }
        }
        #expect(changedInHoles > holes.setCount / 2, "the fill replaced the blown-out pixels")
        #expect(restoration.predictedSeconds != nil)
    }

    @Test func restorationPredictedToOverrunTheBudgetIsSkipped() throws {
        let restoration = try stage(deadlineFallback: false)
        let holes = band(width: 96, height: 64, rows: 24..<40)
        var past = Frame(image: scene(width: 96, height: 64), pts: nil, index: 0)
        _ = restoration.restore(&past, holes: Mask(width: 96, height: 64, fill: 0), budget: .infinity)
        var first = Frame(image: scene(width: 96, height: 64, dx: 1), pts: nil, index: 1)
        #expect(restoration.restore(&first, holes: holes, budget: .infinity) == .restored)
        var late = Frame(image: scene(width: 96, height: 64, dx: 2), pts: nil, index: 2)
        let before = late.image
        #expect(restoration.restore(&late, holes: holes, budget: 0) == .skippedDeadline)
        #expect(late.image == before, "a skipped frame goes out untouched")
    }

    @Test func withTheDeadlineFallbackALateFramesHolesTakeTheirLastFilmedValues() throws {
        let weights = try CPNetWeights(path: fixtureWeights)
        let restoration = CPNetRestoration(restorer: Restorer.paper(weights: weights, references: 2, stride: 1, threads: 1),
                                           scale: 0.5, minHoleCoverage: 0.001, deadlineFallback: true)
        let w = 96, h = 64
        let frames = (0..<3).map { scene(width: w, height: h, dx: 5 * $0) }
        var f0 = Frame(image: frames[0], pts: nil, index: 0)
        #expect(restoration.restore(&f0, holes: Mask(width: w, height: h, fill: 0), budget: .infinity) == .notNeeded)
        var f1 = Frame(image: frames[1], pts: nil, index: 1)
        #expect(restoration.restore(&f1, holes: band(width: w, height: h, rows: 24..<40), budget: .infinity) == .restored)
        // Rows 24..<40 were last filmed in frame 0, rows 40..<48 in frame 1.
        var late = Frame(image: frames[2], pts: nil, index: 2)
        #expect(restoration.restore(&late, holes: band(width: w, height: h, rows: 24..<48), budget: 0) == .copiedLast)
        for y in [0, 23, 24, 39, 40, 47, 48, 63] {
            let source = y < 24 || y >= 48 ? frames[2] : (y < 40 ? frames[0] : frames[1])
            for x in [0, 17, 95] {
                let i = 3 * (y * w + x)
                #expect(Array(late.image.pixels[i..<(i + 3)]) == Array(source.pixels[i..<(i + 3)]), "row \(y), column \(x)")
            }
        }
    }

    @Test func holeReductionKeepsAnyCoveredPixel() {
        var full = Mask(width: 8, height: 4, fill: 0)
        full.values[1 * 8 + 5] = 1  // one pixel → its 2x2 block in the reduced mask
        var reduced = Mask(width: 4, height: 2, fill: 0)
        CPNetRestoration.reduceHoles(full, into: &reduced)
        #expect(reduced.values == [0, 0, 1, 0, 0, 0, 0, 0])
    }

    /// The halving fast path and the general path both match the definition (a reduced pixel is
    /// a hole when any full pixel of its block is), on random masks holding 1 and 255.
    @Test func holeReductionMatchesItsDefinitionAtHalfAndOtherScales() {
        var rng = SystemRandomNumberGenerator()
        for (full, reducedSize) in [((64, 36), (32, 18)), ((30, 20), (12, 8)), ((7, 5), (3, 2))] {
            var mask = Mask(width: full.0, height: full.1, fill: 0)
            for i in mask.values.indices where Int.random(in: 0..<10, using: &rng) == 0 {
                mask.values[i] = Bool.random(using: &rng) ? 1 : 255
            }
            var reduced = Mask(width: reducedSize.0, height: reducedSize.1, fill: 0)
            let count = CPNetRestoration.reduceHoles(mask, into: &reduced)
            var expected = Mask(width: reducedSize.0, height: reducedSize.1, fill: 0)
            let (sw, sh, dw, dh) = (full.0, full.1, reducedSize.0, reducedSize.1)
            for y in 0..<dh {
                let y0 = y * sh / dh, y1 = max(y0 + 1, (y + 1) * sh / dh)
                for x in 0..<dw {
                    let x0 = x * sw / dw, x1 = max(x0 + 1, (x + 1) * sw / dw)
                    var any = false
                    for yy in y0..<min(y1, sh) { for xx in x0..<min(x1, sw) where mask[xx, yy] != 0 { any = true } }
                    expected[x, y] = any ? 1 : 0
                }
            }
            #expect(reduced == expected, "\(full) -> \(reducedSize)")
            #expect(count == expected.setCount, "\(full) -> \(reducedSize)")
        }
    }
}

@Suite("Exposure matching (seams)")
struct ExposureMatcherTests {
    /// `image` with every pixel multiplied by `gain` in linear light (what an exposure change does).
    func exposed(_ image: RGBImage, gain: Double) -> RGBImage {
        var out = image
        for i in out.pixels.indices {
            let linear = Double(ColorConversion.srgbToLinear[Int(out.pixels[i])]) * gain
            out.pixels[i] = UInt8(min(max(Double(ColorConversion.linearToSRGB(Float(linear))) * 255 + 0.5, 0), 255))
        }
        return out
    }

    @Test func estimatesTheLinearGainBetweenTwoExposuresDespiteHoles() {
        let reference = scene(width: 128, height: 96, brightness: 0.6)
        let frame = exposed(reference, gain: 2.5)  // a brighter exposure of the same scene
        let holes = band(width: 128, height: 96, rows: 30..<60)
        var matcher = ExposureMatcher()
        let gain = matcher.gain(of: frame, holes: holes, toward: reference)
        #expect(abs(gain - 1 / 2.5) / (1 / 2.5) < 0.05, "gain \(gain)")
    }

    @Test func applyingTheGainBringsValidPixelsBackAndLeavesHolesAlone() {
        let reference = scene(width: 128, height: 96, brightness: 0.6)
        var frame = exposed(reference, gain: 2)
        let holes = band(width: 128, height: 96, rows: 30..<60)
        var matcher = ExposureMatcher()
        let gain = matcher.gain(of: frame, holes: holes, toward: reference)
        let holeBefore = frame.pixels[(40 * 128 + 10) * 3]
        matcher.apply(gain: gain, to: &frame, holes: holes)
        #expect(frame.pixels[(40 * 128 + 10) * 3] == holeBefore)
        var worst = 0
        for y in 0..<96 where !(30..<60).contains(y) {
            for x in 0..<128 { worst = max(worst, abs(Int(frame.pixels[(y * 128 + x) * 3 + 1]) - Int(reference.pixels[(y * 128 + x) * 3 + 1]))) }
        }
        #expect(worst <= 6, "valid pixels within a few codes of the reference exposure, worst \(worst)")
    }

    @Test func tooLittleUsableImageMeansNoCorrection() {
        let reference = RGBImage(width: 64, height: 64, fill: 255)  // all clipped
        let frame = scene(width: 64, height: 64)
        var matcher = ExposureMatcher()
        #expect(matcher.gain(of: frame, holes: Mask(width: 64, height: 64, fill: 0), toward: reference) == 1)
    }
}

@Suite("Restoration baselines")
struct BaselineRestorerTests {
    @Test func copyLastFillsEachHolePixelFromTheLastFrameWhereItWasValid() {
        let baseline = CopyLastRestoration()
        // Every frame has some hole (clipped sky, say, in rows 0..<2), as real daylight frames do.
        let sky = band(width: 32, height: 16, rows: 0..<2)
        var first = Frame(image: scene(width: 32, height: 16, dx: 5), pts: nil, index: 0)
        #expect(baseline.restore(&first, holes: sky, budget: .infinity) == .skippedNoReferences)
        var second = Frame(image: scene(width: 32, height: 16, dx: 9), pts: nil, index: 1)
        var secondHoles = sky
        for x in 0..<32 { secondHoles.values[10 * 32 + x] = 1 }
        let secondInput = second.image
        #expect(baseline.restore(&second, holes: secondHoles, budget: .infinity) == .restored)
        #expect(second.image[3, 10] == first.image[3, 10])   // from the frame before
        #expect(second.image[3, 5] == secondInput[3, 5])      // valid pixels untouched
        #expect(second.image[3, 0] == secondInput[3, 0])      // never valid: left alone
        var third = Frame(image: RGBImage(width: 32, height: 16, fill: 255), pts: nil, index: 2)
        let holes = band(width: 32, height: 16, rows: 4..<12)
        #expect(baseline.restore(&third, holes: holes, budget: .infinity) == .restored)
        #expect(third.image[3, 5] == secondInput[3, 5])       // latest valid value wins
        #expect(third.image[3, 10] == first.image[3, 10])     // row 10 was a hole in frame 1: frame 0's value
        #expect(third.image[3, 13] == RGB(255, 255, 255))
        baseline.reset(keepMemory: false)
        var afterReset = Frame(image: RGBImage(width: 32, height: 16, fill: 255), pts: nil, index: 3)
        #expect(baseline.restore(&afterReset, holes: holes, budget: .infinity) == .skippedNoReferences)
    }

    @Test func medianTakesThePerPixelMedianOfTheMemory() {
        let baseline = TemporalMedianRestoration(capacity: 3, stride: 1)
        for value: UInt8 in [10, 200, 40] {
            var f = Frame(image: RGBImage(width: 4, height: 4, fill: value), pts: nil, index: 0)
            _ = baseline.restore(&f, holes: Mask(width: 4, height: 4, fill: 0), budget: .infinity)
        }
        var frame = Frame(image: RGBImage(width: 4, height: 4, fill: 255), pts: nil, index: 3)
        var holes = Mask(width: 4, height: 4, fill: 0)
        holes.values[5] = 1
        #expect(baseline.restore(&frame, holes: holes, budget: .infinity) == .restored)
        #expect(frame.image[1, 1] == RGB(40, 40, 40))
        #expect(frame.image[0, 0] == RGB(255, 255, 255))
    }

    /// Replay's median keeps the CPNet's memory in seconds (`StageFactory.median(fps:)`): at 15
    /// and 30 fps it draws on frames of the same instants. Each frame's grey level is its time in
    /// 30ths of a second; a hole at t = 0.333 s takes the median of the memory's frames.
    @Test func replaysMedianSpansTheSameSecondsAtAnyFrameRate() {
        func filled(fps: Double) -> UInt8 {
            let baseline = StageFactory().median(fps: fps)
            let step = Int(30 / fps)
            let filmed = 10 / step
            for index in 0..<filmed {
                var f = Frame(image: RGBImage(width: 4, height: 4, fill: UInt8(index * step)), pts: nil, index: index)
                _ = baseline.restore(&f, holes: Mask(width: 4, height: 4, fill: 0), budget: .infinity)
            }
            var frame = Frame(image: RGBImage(width: 4, height: 4, fill: 255), pts: nil, index: filmed)
            _ = baseline.restore(&frame, holes: Mask(width: 4, height: 4, fill: 1), budget: .infinity)
            return frame.image[2, 2].r
        }
        // 4 references every 0.067 s: the frames of 0.067 … 0.267 s, whose median (upper middle) is 0.2 s.
        #expect(filled(fps: 30) == 6)
        #expect(filled(fps: 15) == 6)
        // A frame-counted memory (every 2nd frame) would reach back twice as far at 15 fps.
        #expect(StageFactory().median(fps: 15).stride == 1 && StageFactory().median(fps: 30).stride == 2)
        var longer = RestorerConfig()
        longer.references = 6
        longer.strideSeconds = 0.2
        let median = StageFactory(restorer: longer).median(fps: 15)
        #expect(median.capacity == 6 && median.stride == 3)
    }
}

@Suite("Restore-time prediction")
struct RestoreTimePredictorTests {
    @Test func aLoneSlowRestorationDoesNotTurnRestorationOff() {
        // Four restorations at 20 ms, one at 200 ms (a stall): a 33 ms budget still admits the next.
        var p = RestoreTimePredictor()
        #expect(p.predicted == nil)
        for _ in 0..<4 { p.record(seconds: 0.020) }
        p.record(seconds: 0.200)
        #expect(p.predicted == 0.020)
        // A majority of slow restorations does: the machine is too slow now.
        p.record(seconds: 0.200)
        p.record(seconds: 0.200)
        #expect(p.predicted == 0.200)
        // …and the window forgets them once restorations are fast again.
        for _ in 0..<3 { p.record(seconds: 0.020) }
        #expect(p.predicted == 0.020)
    }

    @Test func aRunOfSkipsCallsForARemeasurement() {
        var p = RestoreTimePredictor(window: 3, remeasureAfter: 4)
        for _ in 0..<3 { p.record(seconds: 0.2) }   // a slow start
        for _ in 0..<3 { p.recordSkip() }
        #expect(!p.dueForRemeasure)
        p.recordSkip()
        #expect(p.dueForRemeasure)                  // the 5th restoration runs anyway…
        p.record(seconds: 0.01)
        #expect(!p.dueForRemeasure)                 // …and the count starts again
        #expect(p.predicted == 0.2)                 // one fast one is not yet a majority
        p.record(seconds: 0.01)
        #expect(p.predicted == 0.01)
    }

    @Test func predictionIsTheMedianOfTheLastWindow() {
        var p = RestoreTimePredictor(window: 3)
        p.record(seconds: 3)
        #expect(p.predicted == 3)
        p.record(seconds: 1)
        #expect(p.predicted == 3)  // upper median of {1, 3}
        p.record(seconds: 2)
        #expect(p.predicted == 2)
        p.record(seconds: 9)  // drops the 3: {1, 2, 9}
        #expect(p.predicted == 2)
    }
}

@Suite("Restoration stage config")
struct RestorationStageConfigTests {
    @Test func restoredReferenceMotionReachesTheRestorer() throws {
        var config = RestorerConfig()
        config.restoredReferenceMotion = 0.25
        let stage = CPNetRestoration(weights: try CPNetWeights(path: fixtureWeights), config: config)
        #expect(stage.restorer.restoredReferenceMotion == 0.25)
    }
}
