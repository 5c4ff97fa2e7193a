import Evaluation
import Imaging
import Lanes
import Testing

@Suite("Lanes")
struct LanesTests {
    @Test func homographyMapsTheFourPointsAndInverts() throws {
        let src = [Point2(10, 100), Point2(40, 20), Point2(70, 20), Point2(110, 100)]
        let dst = [Point2(0, 0), Point2(0, 1), Point2(1, 1), Point2(1, 0)]
        let h = try #require(Homography(from: src, to: dst))
        for (s, d) in zip(src, dst) {
            let p = h.apply(s)
            #expect(abs(p.x - d.x) < 1e-9 && abs(p.y - d.y) < 1e-9)
        }
        let back = h.inverse.apply(h.apply(55, 60))
        #expect(abs(back.x - 55) < 1e-9 && abs(back.y - 60) < 1e-9)
        #expect(Homography(from: [Point2(0, 0), Point2(1, 1), Point2(2, 2), Point2(3, 0)], to: dst) == nil)
    }

    @Test func roiMaskFillsThePolygonOnly() {
        let g = RoadGeometry(imageSize: ImageSize(width: 10, height: 10), roi: [Point2(0, 10), Point2(5, 0), Point2(10, 10)],
                             roadQuad: [Point2(2, 10), Point2(4, 5), Point2(6, 5), Point2(8, 10)])
        let m = g.roiMask()
        #expect(m[5, 9] == 1 && m[5, 1] == 1)
        #expect(m[0, 1] == 0 && m[9, 1] == 0)
        #expect(g.problem == nil)
        let bad = RoadGeometry(imageSize: g.imageSize, roi: g.roi, roadQuad: [Point2(2, 5), Point2(4, 10), Point2(6, 10), Point2(8, 5)])
        #expect(bad.problem != nil)
    }

    /// The detector's accuracy on `frames` synthetic clean frames at exposure `gain`.
    private func accuracy(gain: Double, frames: Int = 12) throws -> Double {
        try score(SyntheticRoad(), frames: frames, scored: 0..<frames, gain: gain).accuracy
    }

    @Test func detectorFindsLanesOnSyntheticCleanFramesAboveTheGoal() throws {
        #expect(try accuracy(gain: 1) >= 0.9)
    }

    @Test func detectorThresholdsAdaptToDimAndBrightFrames() throws {
        // Same road at a third of the light and 1.1× (paint near clipping): thresholds follow the
        // frame's own histogram, so the lanes are still found.
        #expect(try accuracy(gain: 0.35, frames: 8) >= 0.9)
        #expect(try accuracy(gain: 1.15, frames: 8) >= 0.9)
    }

    @Test func detectorTakesNoEvidenceFromIgnoredPixels() throws {
        // The pipeline marks the band along restored holes' edges as ignored (a brightness step
        // there is the paste's, not paint). Ignoring the band around the ego lane's right line
        // must lose that line; the other lines stay.
        let road = SyntheticRoad()
        var band = Mask(width: road.size.width, height: road.size.height, fill: 0)
        for y in Int(road.horizonY)..<road.size.height {
            for x in 0..<road.size.width where abs(road.imageToRoad.apply(Double(x) + 0.5, Double(y) + 0.5).x - 1) < 0.1 {
                band[x, y] = 1
            }
        }
        let all = try score(road, frames: 8, scored: 0..<8)
        let without = try score(road, frames: 8, scored: 0..<8, ignoring: band)
        #expect(all.accuracy >= 0.9 && all.fnRate < 0.1)
        // One of four lines gone: about a quarter of the truth missed, the rest still found.
        #expect(without.fnRate >= 0.2)
        #expect(without.accuracy >= 0.5)
    }

    /// A restored frame whose paste ends beside a clipped hole's bloom: the filmed pixels right of
    /// u = 1.4 are a bright ramp falling away from the paste's edge (no paint there), the road left
    /// of it is pasted. Against the paste the ramp's first pixels stand out like paint; judged
    /// against filmed sides only (`detect(…restored:)`) they are no evidence, while the pasted ego
    /// lines are found as before (docs/decisions/0044-filmed-pixels-judged-against-filmed-sides.md).
    @Test func aBloomBandBesideThePasteIsNoLineWhenFilmedPixelsHaveFilmedSides() throws {
        let road = SyntheticRoad()
        let edge = 1.4, ramp = 0.25
        var restored = Mask(width: road.size.width, height: road.size.height, fill: 0)
        for y in Int(road.horizonY) + 2..<road.size.height {
            for x in 0..<road.size.width where road.imageToRoad.apply(Double(x) + 0.5, Double(y) + 0.5).x < edge { restored[x, y] = 1 }
        }
        func frame(_ t: Int) -> RGBImage {
            var image = road.frame(t, hidden: [3])
            for y in Int(road.horizonY) + 2..<road.size.height {
                for x in 0..<road.size.width {
                    let u = road.imageToRoad.apply(Double(x) + 0.5, Double(y) + 0.5).x
                    if u >= edge && u < edge + ramp {
                        let v = UInt8(95 + 100 * (1 - (u - edge) / ramp))
                        image[x, y] = RGB(v, v, v)
                    }
                }
            }
            return image
        }
        func run(restored mask: Mask?) throws -> (band: Int, lanes: [DetectedLane]) {
            let detector = try #require(LaneDetector(geometry: road.geometry))
            var detection = LaneDetection()
            for t in 0..<8 { detector.detect(frame(t), restored: mask, into: &detection) }
            // Marking pixels within 0.05 lane widths of the paste's edge, lower 60 % of the view.
            let w = detector.view.width, h = detector.view.height, binary = detector.binary
            let lo = Int(detector.view.column(u: edge - 0.05)), hi = Int(detector.view.column(u: edge + 0.05))
            var band = 0
            for y in (h * 2 / 5)..<h { for x in max(0, lo)...min(w - 1, hi) where binary[y * w + x] != 0 { band += 1 } }
            return (band, detection.lanes)
        }
        func atCar(_ lane: DetectedLane) -> Double { lane.a + lane.b + lane.c }
        let judgedAcross = try run(restored: nil), judgedFilmed = try run(restored: restored)
        let view = try #require(LaneDetector(geometry: road.geometry)).view
        let edgeColumn = view.column(u: edge), laneWidth = view.laneWidth
        #expect(judgedAcross.band > 100, "the ramp against the paste reads as paint: \(judgedAcross.band) marking pixels")
        #expect(judgedAcross.lanes.contains { abs(atCar($0) - edgeColumn) < 0.15 * laneWidth }, "a line along the paste's edge")
        #expect(judgedFilmed.band == 0, "filmed sides only: \(judgedFilmed.band) marking pixels at the edge")
        #expect(!judgedFilmed.lanes.contains { abs(atCar($0) - edgeColumn) < 0.15 * laneWidth })
        for u in [0.0, 1.0] {
            #expect(judgedFilmed.lanes.contains { abs(atCar($0) - view.column(u: u)) < 0.1 * laneWidth }, "pasted line at u = \(u)")
        }
    }

    /// Scores frames `scored` of `road` filmed at exposure `gain` (lines in `hidden` unpainted in
    /// `hiddenFrames`; pixels in `ignoring` no evidence; `holes` the exposure holes of the frames
    /// in `hiddenFrames`); with `egoOnly`, only the ego pair (detected and true) is scored.
    private func score(_ road: SyntheticRoad, frames: Int, scored: Range<Int>, gain: Double = 1, hidden: Set<Int> = [],
                       hiddenFrames: Range<Int> = 0..<0, ignoring: Mask? = nil, holes: Mask? = nil, egoOnly: Bool = false,
                       parameters: LaneDetectorParameters = .init(), fps: Double = 30) throws -> ScoreSummary {
        let detector = try #require(LaneDetector(geometry: road.geometry, parameters: parameters, fps: fps))
        var readout = LaneReadout(labelSize: road.size, processingSize: road.size, hSamples: road.rows)
        var detection = LaneDetection()
        var lanes: [[Double]] = [], confidences: [Double] = []
        var summary = ScoreSummary()
        for t in 0..<frames {
            detector.detect(road.frame(t, gain: gain, hidden: hiddenFrames.contains(t) ? hidden : []), ignoring: ignoring,
                            holes: hiddenFrames.contains(t) ? holes : nil, into: &detection)
            if egoOnly { detection.lanes.removeAll { $0.slot != .egoLeft && $0.slot != .egoRight } }
            readout.read(detection, from: detector, into: &lanes, confidences: &confidences)
            guard scored.contains(t) else { continue }
            let truth = road.truth(frame: t)
            summary.add(LaneMetric.score(predicted: lanes, truth: egoOnly ? Array(truth[1...2]) : truth, rows: road.rows,
                                         imageWidth: road.size.width))
        }
        return summary
    }

    @Test func detectorFollowsASharpBend() throws {
        // Every line shifted by 0.15·v² lane widths at distance v: about 1.35 lane widths of bend
        // over the bird's-eye view, a tight curve seen from its start. (The ego pair is scored:
        // the outer lines leave the view.) A curvature limit of 1.2 lane widths, this detector's
        // first, rejected the true fits.
        let road = SyntheticRoad(bend: 0.15)
        let summary = try score(road, frames: 12, scored: 0..<12, egoOnly: true)
        #expect(summary.accuracy >= 0.95 && summary.fpRate < 0.05)
        var strict = LaneDetectorParameters()
        strict.maxCurvature = 1.2
        #expect(try score(road, frames: 12, scored: 0..<12, egoOnly: true, parameters: strict).accuracy < 0.8)
    }

    @Test func aLostEgoLineMovesWithTheOther() throws {
        // The vehicle drifts right (0.015 lane widths a frame) and the ego lane's right line is
        // gone for frames 6..<20 (glare, worn paint). Carried by the still-seen left line at the
        // spacing the two last had, it stays on its true position; without carrying it is held
        // where it was lost, then dropped. (The ego pair is scored.)
        let road = SyntheticRoad(drift: 0.015)
        let carried = try score(road, frames: 20, scored: 6..<20, hidden: [2], hiddenFrames: 6..<20, egoOnly: true)
        #expect(carried.accuracy >= 0.9 && carried.fnRate < 0.1)
        var noCarry = LaneDetectorParameters()
        noCarry.carrySeconds = 0
        let dropped = try score(road, frames: 20, scored: 6..<20, hidden: [2], hiddenFrames: 6..<20, egoOnly: true, parameters: noCarry)
        #expect(dropped.fnRate >= 0.25)
        print("carried: accuracy \(carried.accuracy) FN \(carried.fnRate); held only: accuracy \(dropped.accuracy) FN \(dropped.fnRate)")
    }

    /// A whiteout hides every line for frames 6..<26 (the paint gone from the frame). Where the
    /// frame's holes cover the road, the lines are unseen, not missing: held through the 20
    /// frames (a straight road: they stay right); with `holeHoldSeconds` 0, or with holes that
    /// cover only the sky, they are dropped after `holdSeconds`; and the hold ends after
    /// `holeHoldSeconds` (docs/decisions/0033-lines-held-through-holes.md). At 30 fps.
    @Test func linesHiddenByHolesAreHeldNotDropped() throws {
        let road = SyntheticRoad()
        let whole = Mask(width: road.size.width, height: road.size.height, fill: 1)
        var sky = Mask(width: road.size.width, height: road.size.height, fill: 0)
        for y in 0..<Int(road.horizonY) { for x in 0..<road.size.width { sky[x, y] = 1 } }
        let all: Set<Int> = [0, 1, 2, 3], whiteout = 6..<26
        let held = try score(road, frames: 26, scored: whiteout, hidden: all, hiddenFrames: whiteout, holes: whole)
        var off = LaneDetectorParameters()
        off.holeHoldSeconds = 0
        let dropped = try score(road, frames: 26, scored: whiteout, hidden: all, hiddenFrames: whiteout, holes: whole, parameters: off)
        let skyOnly = try score(road, frames: 26, scored: whiteout, hidden: all, hiddenFrames: whiteout, holes: sky)
        var short = LaneDetectorParameters()
        short.holeHoldSeconds = 10.0 / 30
        // Held in frames 6..<16; at frame 16 the 11th miss is past hold_s (8 frames): dropped.
        let limited = try score(road, frames: 26, scored: 16..<26, hidden: all, hiddenFrames: whiteout, holes: whole, parameters: short)
        #expect(held.accuracy >= 0.95 && held.fnRate < 0.05, "held: \(held.accuracy) FN \(held.fnRate)")
        // Off, the lines last the 8 held frames (hold_s 0.267 s) of the 20: FN about 0.6.
        #expect(dropped.fnRate >= 0.55 && skyOnly.fnRate >= 0.55, "off FN \(dropped.fnRate), sky-only FN \(skyOnly.fnRate)")
        #expect(held.fnRate < dropped.fnRate - 0.5 && held.fnRate < skyOnly.fnRate - 0.5)
        #expect(limited.fnRate >= 0.99, "limited FN \(limited.fnRate)")
    }

    /// The tracks' limits are seconds: a 15 fps camera holds a line its holes hide for the same
    /// 3 s as a 30 fps camera, 45 frames against 90 (docs/decisions/0040-lane-tracks-in-seconds.md).
    /// A 60-frame whiteout: at 30 fps the lines are still held at its end; at 15 fps (4 s) the
    /// hold ran out after 45 frames and the lines are gone.
    @Test func linesAreHeldForTheSameSecondsAtAnyFrameRate() throws {
        let limits30 = LaneDetectorParameters().frameLimits(fps: 30), limits15 = LaneDetectorParameters().frameLimits(fps: 15)
        #expect(limits30 == .init(hold: 8, carry: 30, holeHold: 90), "hold_s 0.267 s (decision 0045), carry_s 1 s, hole_hold_s 3 s")
        #expect(limits15 == .init(hold: 4, carry: 15, holeHold: 45))
        #expect(LaneDetectorParameters().frameLimits(fps: 25) == .init(hold: 7, carry: 25, holeHold: 75))
        let road = SyntheticRoad()
        let whole = Mask(width: road.size.width, height: road.size.height, fill: 1)
        let all: Set<Int> = [0, 1, 2, 3], whiteout = 6..<66, end = 56..<66
        let at30 = try score(road, frames: 66, scored: end, hidden: all, hiddenFrames: whiteout, holes: whole, fps: 30)
        let at15 = try score(road, frames: 66, scored: end, hidden: all, hiddenFrames: whiteout, holes: whole, fps: 15)
        #expect(at30.accuracy >= 0.95 && at30.fnRate < 0.05, "30 fps, 50–60 frames into the whiteout: \(at30.accuracy) FN \(at30.fnRate)")
        #expect(at15.fnRate >= 0.99, "15 fps, 3.3–4 s into the whiteout: FN \(at15.fnRate)")
    }

    /// A detector that takes another's marking pixels (`detect(sameFrameAs:)`, the pipeline's
    /// detector of the restored frame on a frame left as filmed) reports what it finds warping and
    /// thresholding the frame itself, frame after frame, with its own tracks: the lending detector
    /// has seen six more frames and a brighter exposure than the other two.
    @Test func aDetectorTakingAnothersFrameFindsWhatItWouldItself() throws {
        let road = SyntheticRoad(bend: 0.4, drift: 0.01)
        let lending = try #require(LaneDetector(geometry: road.geometry))
        let borrowing = try #require(LaneDetector(geometry: road.geometry))
        let own = try #require(LaneDetector(geometry: road.geometry))
        var lent = LaneDetection(), borrowed = LaneDetection(), owned = LaneDetection()
        for t in 0..<6 { lending.detect(road.frame(t, gain: 1.5, seed: 9), into: &lent) }
        var framesWithLanes = 0
        for t in 6..<24 {
            // The right ego line is gone for a few frames: tracks matter there.
            let image = road.frame(t, gain: t % 4 == 3 ? 0.7 : 1, hidden: (12..<16).contains(t) ? [2] : [])
            lending.detect(image, into: &lent)
            borrowing.detect(sameFrameAs: lending, into: &borrowed)
            own.detect(image, into: &owned)
            #expect(borrowed.lanes == owned.lanes, "frame \(t)")
            #expect(borrowed.roadLuma == owned.roadLuma && borrowed.paintLuma == owned.paintLuma
                    && borrowed.whiteContrast == owned.whiteContrast && borrowed.yellowContrast == owned.yellowContrast
                    && borrowed.markingShare == owned.markingShare, "frame \(t)")
            #expect(borrowing.binary == own.binary, "frame \(t)")
            if owned.lanes.count >= 2 { framesWithLanes += 1 }
        }
        // The comparison means something only where there are lanes to compare.
        #expect(framesWithLanes >= 15, "\(framesWithLanes) of 18 frames with two lanes or more")
    }

    @Test func aSheenIsNoNoise() throws {
        // The low sun's sheen brightens the road by 45 luma levels per lane width to the right
        // (≈ 0.56 per bird's-eye pixel); the paint is 20 above the road under it, ≈ 14 above its
        // brighter side. Against the brighter side the slope alone reads −6 everywhere, and as
        // noise it would have put the threshold (3 σ) near 30; against the mean of the two sides
        // it cancels and the threshold stays near the real noise's. (Default parameters but the
        // frame-wide paint share, off: this road's flat histogram has no mode to speak of.)
        var parameters = LaneDetectorParameters()
        parameters.paintShare = 0
        let summary = try score(SyntheticRoad(sheen: 45, sheenPaint: 20), frames: 12, scored: 0..<12, parameters: parameters)
        #expect(summary.accuracy >= 0.9 && summary.fpRate < 0.1)
    }

    @Test func fainterPaintUnderASheenCountsAgainstTheMeanOfItsSides() throws {
        // Paint only 14 above the road under the sheen stands ≈ 8 above its brighter side (below
        // min_contrast) but 14 above the mean of its sides: found with edge_share 0.5, not with
        // the default 1 (brighter side).
        let road = SyntheticRoad(sheen: 45, sheenPaint: 14)
        var meanOfSides = LaneDetectorParameters()
        meanOfSides.paintShare = 0
        meanOfSides.edgeShare = 0.5
        let found = try score(road, frames: 12, scored: 0..<12, parameters: meanOfSides)
        var brighterSide = meanOfSides
        brighterSide.edgeShare = 1
        let strict = try score(road, frames: 12, scored: 0..<12, parameters: brighterSide)
        print("sheen: mean of sides \(found.accuracy) (FN \(found.fnRate)); brighter side \(strict.accuracy) (FN \(strict.fnRate))")
        #expect(found.accuracy >= 0.9 && found.fpRate < 0.1)
        #expect(strict.accuracy < found.accuracy - 0.1)
    }

    @Test func aStepEdgeIsNoLine() throws {
        // With edge_share 0.5: road in shadow left of u = 0.5 and sunlit right of it: the sunlit
        // side of the border stands 50 levels above the mean of its sides (half the step) but not
        // above its brighter side, so nothing there is marked. A bar of the same contrast is.
        let road = SyntheticRoad()
        func frame(bar: Bool) -> RGBImage {
            var frame = RGBImage(width: 640, height: 360, fill: 0)
            for y in 0..<360 {
                for x in 0..<640 {
                    let u = road.imageToRoad.apply(Double(x) + 0.5, Double(y) + 0.5).x
                    let lit = bar ? abs(u - 0.5) < 0.05 : u >= 0.5
                    let v: UInt8 = Double(y) < road.horizonY + 2 ? 200 : (lit ? 160 : 60)
                    frame[x, y] = RGB(v, v, v)
                }
            }
            return frame
        }
        func marked(_ frame: RGBImage) throws -> Double {
            var parameters = LaneDetectorParameters()
            parameters.edgeShare = 0.5
            let detector = try #require(LaneDetector(geometry: road.geometry, parameters: parameters))
            var detection = LaneDetection()
            detector.detect(frame, into: &detection)
            return detection.markingShare
        }
        #expect(try marked(frame(bar: false)) == 0)
        #expect(try marked(frame(bar: true)) > 0.01)
    }

    @Test func detectorReportsNothingOnAFlatFrame() throws {
        let road = SyntheticRoad()
        let detector = try #require(LaneDetector(geometry: road.geometry))
        var detection = LaneDetection()
        detector.detect(RGBImage(width: 640, height: 360, fill: 255), into: &detection)
        #expect(detection.lanes.isEmpty)
    }

    @Test func cameraEstimatorRecoversTheVanishingPoint() throws {
        let road = SyntheticRoad()
        var estimator = CameraEstimator(imageSize: road.size)
        for t in 0..<3 { estimator.add(road.frame(t)) }
        let estimate = estimator.estimate()
        let g = try #require(estimate)
        // The ego lines meet where the road quad's sides meet.
        let q = road.quad
        let sl = (q[1].x - q[0].x) / (q[1].y - q[0].y), sr = (q[2].x - q[3].x) / (q[2].y - q[3].y)
        let vy = q[0].y + (q[3].x - q[0].x) / (sl - sr)
        #expect(abs((g.horizonY ?? 0) - vy) < 15)
        #expect(g.problem == nil)
        // The estimated geometry is good enough for the detector.
        let detector = try #require(LaneDetector(geometry: g))
        var detection = LaneDetection()
        for t in 0..<4 { detector.detect(road.frame(t), into: &detection) }
        #expect(detection.lane(.egoLeft) != nil && detection.lane(.egoRight) != nil)
    }

    /// A fitted lane at `c` (a straight vertical line in the bird's-eye view) for the fusion tests.
    func lane(_ slot: LaneSlot, _ c: Double, missed: Int) -> DetectedLane {
        DetectedLane(slot: slot, a: 0, b: 0, c: c, confidence: 1, missedFrames: missed)
    }

    @Test func fusionTakesFilmedLinesSeenNowThenRestoredThenHeldFilmed() {
        var filmed = LaneDetection(), restored = LaneDetection(), fused = LaneDetection()
        // Seen in the filmed frame (ego-left); held there but seen restored (ego-right); held
        // there and absent restored (right neighbour); only restored (left neighbour).
        filmed.lanes = [lane(.egoLeft, 100, missed: 0), lane(.egoRight, 200, missed: 2), lane(.rightNeighbour, 300, missed: 1)]
        restored.lanes = [lane(.leftNeighbour, 10, missed: 0), lane(.egoLeft, 110, missed: 0), lane(.egoRight, 210, missed: 0)]
        restored.roadLuma = 42
        fused.fuse(filmed: filmed, restored: restored)
        #expect(fused.lanes.map(\.slot) == [.leftNeighbour, .egoLeft, .egoRight, .rightNeighbour])
        #expect(fused.lanes.map(\.c) == [10, 100, 210, 300])
        #expect(fused.roadLuma == 42)
        // Neither has anything: nothing is reported.
        fused.fuse(filmed: LaneDetection(), restored: LaneDetection())
        #expect(fused.lanes.isEmpty)
    }

    @Test func aCarriedFilmedEgoLineBeatsThePastedOneOnlyWhenAsked() {
        var filmed = LaneDetection(), restored = LaneDetection(), fused = LaneDetection()
        // The filmed frame sees its left ego line and carries the right one (lost 3 frames ago);
        // its right neighbour is only held. The restored frame sees all three elsewhere.
        filmed.lanes = [lane(.egoLeft, 100, missed: 0), lane(.egoRight, 200, missed: 3), lane(.rightNeighbour, 300, missed: 1)]
        filmed.lanes[1].carried = true
        restored.lanes = [lane(.egoLeft, 110, missed: 0), lane(.egoRight, 230, missed: 0), lane(.rightNeighbour, 330, missed: 0)]
        fused.fuse(filmed: filmed, restored: restored)
        #expect(fused.lanes.map(\.c) == [100, 230, 330])
        fused.fuse(filmed: filmed, restored: restored, carriedFirst: true)
        #expect(fused.lanes.map(\.c) == [100, 200, 330], "the carried ego line wins; a held neighbour does not")
        // Both ego lines lost in the filmed frame: the detector only holds the right one, and the
        // paste wins.
        filmed.lanes[0].missedFrames = 1
        filmed.lanes[1].carried = false
        fused.fuse(filmed: filmed, restored: restored, carriedFirst: true)
        #expect(fused.lanes.map(\.c) == [110, 230, 330])
    }

    @Test func fusedDetectorsReportFilmedPaintOverMisplacedPasteAndPasteWhereFilmedPaintIsLost() throws {
        // The "restored" frames carry their paint on a bend the car is not on (as a paste from a
        // misaligned reference would); the filmed frames are the true road, with the right ego
        // line lost (glare) from frame 4 on.
        let road = SyntheticRoad(), misplaced = SyntheticRoad(bend: 0.35)
        let filmedDetector = try #require(LaneDetector(geometry: road.geometry))
        let restoredDetector = try #require(LaneDetector(geometry: road.geometry))
        var filmed = LaneDetection(), restored = LaneDetection(), fused = LaneDetection()
        let right = 2  // index of the u = 1 line in SyntheticRoad.lines
        for t in 0..<12 {
            filmedDetector.detect(road.frame(t, hidden: t >= 4 ? [right] : []), into: &filmed)
            restoredDetector.detect(misplaced.frame(t), into: &restored)
            fused.fuse(filmed: filmed, restored: restored)
        }
        // Beyond the hold frames the filmed detector has lost the right line (the carry moves it
        // with the left one, so it is still reported, but not as seen).
        let filmedLeft = try #require(filmed.lane(.egoLeft)), restoredLeft = try #require(restored.lane(.egoLeft))
        let fusedLeft = try #require(fused.lane(.egoLeft))
        #expect(filmedLeft.missedFrames == 0)
        #expect(fusedLeft == filmedLeft)
        #expect(abs(restoredLeft.a - filmedLeft.a) > 1, "the misplaced paste should give a visibly different left line")
        let fusedRight = try #require(fused.lane(.egoRight))
        let filmedRight = filmed.lane(.egoRight)
        #expect(filmedRight == nil || filmedRight!.missedFrames > 0)
        #expect(filmedRight == nil || filmedRight!.carried, "a lost right line beside a seen left one is carried")
        #expect(fusedRight == restored.lane(.egoRight))
    }
}
