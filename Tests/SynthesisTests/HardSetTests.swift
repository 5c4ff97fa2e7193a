import Drives
import Exposure
import Foundation
import Imaging
import Media
import Synthesis
import Testing

/// The long events, the frame rate and the hard sets (issue 16 item 5).
@Suite("Long events, frame rate, hard sets")
struct HardSetTests {
    /// Renders a scenario and returns each frame's share of the lane ROI in truth holes.
    func roiHoles(_ scenario: Scenario, size: ImageSize = ImageSize(width: 160, height: 90)) -> [Double] {
        let synthesizer = DriveSynthesizer(scenario: scenario, size: size)
        var out = synthesizer.makeOutput()
        return (0..<scenario.frames).map { index in
            synthesizer.render(frame: index, into: &out)
            return out.roiHoleFraction
        }
    }

    /// The longest run of consecutive frames whose value passes `test`.
    func longestRun(_ values: [Double], _ test: (Double) -> Bool) -> Int {
        var best = 0, run = 0
        for v in values { run = test(v) ? run + 1 : 0; best = max(best, run) }
        return best
    }

    @Test func glareLongClipsTheRoadForTheStatedSeconds() throws {
        // Synthetic, at 15 fps: a 2.5 s event in a 5 s drive.
        let scenario = Scenario(preset: .glareLong, seed: 1001, frames: 75, fps: 15, eventSeconds: 2.5)
        let event = try #require(scenario.events.first)
        let end = try #require(event.endFrame)
        #expect(event.kind == "glare-long")
        #expect(end - event.frame + 1 == 38)  // 2.5 s at 15 fps
        let holes = roiHoles(scenario)
        let run = longestRun(Array(holes[event.frame...end])) { $0 >= 0.3 }
        #expect(Double(run) / 15 >= 2, "truth holes ≥ 30 % of the lane ROI for \(Double(run) / 15) s: \(holes)")
        #expect(holes[..<event.frame].allSatisfy { $0 < 0.05 }, "no glare before the event: \(holes)")

        // Real footage, degraded at 15 fps with a 2.5 s glare.
        let tmp = try TemporaryFolder()
        defer { tmp.cleanup() }
        _ = try DriveDegrader.degrade(source: Repo.path("evaluation/samples/solidWhiteRight.mp4"), preset: .glareLong, seed: 2001,
                                      size: ImageSize(width: 320, height: 180), maxFrames: 100, labelsPath: nil, out: tmp.file("d"),
                                      storage: .png(compression: 0), command: "test", fps: 15, eventSeconds: 2.5)
        let log = try ExposureLog.read(tmp.file("d/exposure.json"))
        let e = try #require(log.events.first)
        #expect(e.kind == "glare-long" && e.endFrame - e.startFrame + 1 == 38)
        let real = log.frames.map { $0.roiHoles ?? 0 }
        let realRun = longestRun(Array(real[e.startFrame...e.endFrame])) { $0 >= 0.3 }
        #expect(Double(realRun) / 15 >= 2, "real footage: holes ≥ 30 % for \(Double(realRun) / 15) s: \(real)")
    }

    @Test func flickerOscillatesTheExposure() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.cleanup() }
        let scenario = Scenario(preset: .flicker, seed: 1001, frames: 90, fps: 30, eventSeconds: 2)
        try DriveSynthesizer(scenario: scenario, size: ImageSize(width: 160, height: 90)).synthesize(into: tmp.file("f"), command: "test")
        let log = try ExposureLog.read(tmp.file("f/exposure.json"))
        let event = try #require(log.events.first)
        #expect(event.kind == "flicker" && event.endFrame - event.startFrame + 1 == 60)
        let hunting = try #require(scenario.hunting)
        let hertz = scenario.fps / hunting.periodFrames
        #expect(hertz >= 1.5 && hertz <= 4)
        // The exposure log swings by stops, up and down, about twice per period.
        let ev = log.frames[event.startFrame...event.endFrame].map(\.ev)
        #expect(ev.max()! - ev.min()! > 3, "\(ev)")
        let mean = ev.reduce(0, +) / Double(ev.count)
        var crossings = 0
        for (a, b) in zip(ev, ev.dropFirst()) where (a - mean) * (b - mean) < 0 { crossings += 1 }
        #expect(Double(crossings) >= 2 * 2 * hertz * 0.8, "\(crossings) crossings at \(hertz) Hz: \(ev)")
        // ... and the holes come and go with it; outside the event the exposure is steady.
        let holes = log.frames[event.startFrame...event.endFrame].map { $0.roiHoles ?? 0 }
        var changes = 0, high = holes[0] >= 0.1
        for h in holes where (h >= 0.1) != high && (h >= 0.1 || h < 0.03) { changes += 1; high.toggle() }
        #expect(changes >= 4, "holes should appear and vanish repeatedly: \(holes)")
        let before = log.frames[..<event.startFrame].map(\.ev)
        #expect(before.max()! - before.min()! < 0.5)
    }

    @Test func theSameSeedAt15And30FPSIsTheSameDriveInTime() throws {
        for preset in [Preset.glareLong, .flicker, .tunnelExit, .mixed] {
            let a = Scenario(preset: preset, seed: 1001, frames: 120, fps: 30)
            let b = Scenario(preset: preset, seed: 1001, frames: 60, fps: 15)
            #expect(a.events.count == b.events.count && !a.events.isEmpty || preset == .mixed)
            for (x, y) in zip(a.events, b.events) {
                #expect(x.kind == y.kind)
                #expect(abs(Double(x.frame) / 30 - Double(y.frame) / 15) <= 1.0 / 15, "\(preset) \(x) \(y)")
                if let ex = x.endFrame, let ey = y.endFrame { #expect(abs(Double(ex) / 30 - Double(ey) / 15) <= 1.0 / 15) }
            }
            if let h = a.hunting, let k = b.hunting {
                #expect(abs(h.periodFrames / 30 - k.periodFrames / 15) < 1e-9 && h.amplitudeEV == k.amplitudeEV)
            }
            // The camera is at the same place at the same second; the auto-exposure's lag is the same per second.
            let size = ImageSize(width: 160, height: 90)
            #expect(CameraPose(scenario: a, frame: 40, size: size).s == CameraPose(scenario: b, frame: 20, size: size).s)
            let perSecondA = pow(1 - a.autoExposure.rate, 30), perSecondB = pow(1 - b.autoExposure.rate, 15)
            #expect(abs(perSecondA - perSecondB) < 1e-9 && abs(a.autoExposure.maxStepEV * 30 - b.autoExposure.maxStepEV * 15) < 1e-9)
        }
        // Filmed: the glare's truth holes start at the same second.
        let a = roiHoles(Scenario(preset: .glareLong, seed: 1002, frames: 90, fps: 30, eventSeconds: 1.5))
        let b = roiHoles(Scenario(preset: .glareLong, seed: 1002, frames: 45, fps: 15, eventSeconds: 1.5))
        let onsetA = try #require(a.firstIndex { $0 >= 0.3 }), onsetB = try #require(b.firstIndex { $0 >= 0.3 })
        #expect(abs(Double(onsetA) / 30 - Double(onsetB) / 15) <= 1.0 / 15)
        let lastA = try #require(a.lastIndex { $0 >= 0.3 }), lastB = try #require(b.lastIndex { $0 >= 0.3 })
        #expect(abs(Double(lastA) / 30 - Double(lastB) / 15) <= 0.25, "\(a) \(b)")
    }

    @Test func resamplingKeepsTheFirstFrameOfEachOutputFrame() {
        #expect(DriveDegrader.keptFrames(count: 10, from: 30, to: 15) == [0, 2, 4, 6, 8])
        #expect(DriveDegrader.keptFrames(count: 11, from: 25, to: 15) == [0, 2, 4, 5, 7, 9, 10])
        #expect(DriveDegrader.keptFrames(count: 4, from: 25, to: 25) == [0, 1, 2, 3])
        // Every 5th frame at 25 fps (where the shipped labels are) survives 15 fps.
        let kept = Set(DriveDegrader.keptFrames(count: 221, from: 25, to: 15))
        #expect(stride(from: 0, to: 221, by: 5).allSatisfy(kept.contains))
    }

    @Test func degradeAtHalfTheRateKeepsEveryOtherFrameAndItsLabels() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.cleanup() }
        let size = ImageSize(width: 320, height: 180)
        let source = Repo.path("evaluation/samples/solidWhiteRight")
        let result = try DriveDegrader.degrade(source: source, preset: .flicker, seed: 2001, size: size, maxFrames: 30, labelsPath: nil,
                                               out: tmp.file("d"), storage: .png(compression: 0), command: "test", fps: 12.5, eventSeconds: 1)
        #expect(result.frames == 15)
        let drive = try Drive(folder: tmp.file("d"))
        #expect(drive.manifest.fps == 12.5 && drive.manifest.frames == 15)
        // clean/ frame j is source frame 2j.
        let clean = try #require(try drive.openCleanFrames())
        let original = try FrameSource.file(Repo.path("evaluation/samples/solidWhiteRight.mp4"), size: size)
        var j = 0, i = 0
        while let c = try clean.next() {
            var o = try #require(try original.next())
            i += 1
            while i <= 2 * j { o = try #require(try original.next()); i += 1 }
            #expect(c.image == o.image, "clean frame \(j) is source frame \(2 * j)")
            j += 1
        }
        original.close()
        #expect(j == 15)
        // Labels: the source's (every 5th frame) on the kept (even) frames, renumbered and scaled.
        let sourceLabels = try LaneLabelFile(path: Repo.path("evaluation/samples/solidWhiteRight/labels.json"))
        let labels = try LaneLabelFile(path: try #require(drive.labelsPath))
        #expect(labels.byFrame.keys.sorted() == [0, 5, 10])
        for (index, label) in labels.byFrame {
            let from = try #require(sourceLabels.byFrame[2 * index])
            #expect(label == DriveDegrader.scale(from, index: index, from: ImageSize(width: 960, height: 540), to: size, video: false))
        }
        // Masks and frames as many as clean frames.
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.file("d/masks")).count == 15)
    }

    /// A drive labeled the CULane way (labels/NNNNNN.lines.txt) keeps its labels through degrade:
    /// the output has them as labels.json, at the rows replay reads them at, scaled.
    @Test func degradeCarriesCULaneLabels() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.cleanup() }
        let source = tmp.file("culane")
        try FileManager.default.createDirectory(atPath: source + "/labels", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: source + "/video.mp4", withDestinationPath: Repo.path("evaluation/samples/solidWhiteRight.mp4"))
        try "fps: 25\nwidth: 960\nheight: 540\ncamera: udacity-960x540\nsource: test\nlicense: MIT\nlabels: \"test\"\n"
            .write(toFile: source + "/drive.yaml", atomically: true, encoding: .utf8)
        try "100 539 200 400\n860 539 700 400\n".write(toFile: source + "/labels/000002.lines.txt", atomically: true, encoding: .utf8)
        try "110 539 210 400\n".write(toFile: source + "/labels/000007.lines.txt", atomically: true, encoding: .utf8)
        let size = ImageSize(width: 320, height: 180)
        let result = try DriveDegrader.degrade(source: source, preset: .flicker, seed: 2001, size: size, maxFrames: 10, labelsPath: nil,
                                               out: tmp.file("d"), storage: .png(compression: 0), command: "test", eventSeconds: 0.2)
        #expect(result.labeled)
        let drive = try Drive(folder: tmp.file("d"))
        let labels = try LaneLabelFile(path: try #require(drive.labelsPath))
        #expect(labels.byFrame.keys.sorted() == [2, 7])
        let read = try #require(try Drive(folder: source).loadLabels())
        for (index, label) in labels.byFrame {
            let from = try #require(read.byFrame[index])
            #expect(label == DriveDegrader.scale(from, index: index, from: ImageSize(width: 960, height: 540), to: size, video: false))
        }
        // Frame 2's left line (100, 539) → (200, 400) at its lowest row, in a third of the pixels.
        let bottom = try #require(labels.byFrame[2]), original = try #require(read.byFrame[2])
        let row = try #require(bottom.hSamples.indices.max { bottom.hSamples[$0] < bottom.hSamples[$1] })
        let y = Double(original.hSamples[row])
        #expect(abs(bottom.lanes[0][row] - (100 + (539 - y) * 100 / 139) / 3) < 0.2)
    }

    @Test(arguments: [Preset.glareLong, .flicker])
    func newPresetsGiveTheSameBytesForTheSameInputs(preset: Preset) throws {
        let tmp = try TemporaryFolder()
        defer { tmp.cleanup() }
        let size = ImageSize(width: 160, height: 90)
        for (name, seed) in [("a", UInt64(7)), ("b", 7), ("c", 8)] {
            let scenario = Scenario(preset: preset, seed: seed, frames: 12, fps: 15, eventSeconds: 0.4)
            try DriveSynthesizer(scenario: scenario, size: size).synthesize(into: tmp.file(name), command: "test")
        }
        let a = try contents(of: tmp.file("a")), b = try contents(of: tmp.file("b")), c = try contents(of: tmp.file("c"))
        #expect(a.count == 12 * 3 + 3 && a == b)
        #expect(a != c)
        // Degraded real footage too.
        for name in ["d", "e"] {
            _ = try DriveDegrader.degrade(source: Repo.path("evaluation/samples/solidWhiteRight.mp4"), preset: preset, seed: 5,
                                          size: size, maxFrames: 20, labelsPath: nil, out: tmp.file(name), storage: .png(compression: 0),
                                          command: "test", fps: 15, eventSeconds: 0.5)
        }
        #expect(try contents(of: tmp.file("d")) == contents(of: tmp.file("e")))
    }

    @Test func theHardSetsSplitDevAndHeldOut() throws {
        let dev = try EvaluationSet.load(Repo.path("evaluation/sets/dev-hard.yaml"))
        let heldout = try EvaluationSet.load(Repo.path("evaluation/sets/heldout-hard.yaml"))
        func seeds(_ set: EvaluationSet) -> Set<UInt64> {
            Set(set.entries.compactMap { entry -> UInt64? in
                switch entry.recipe {
                case .synth(_, let seed, _, _, _, _), .degrade(_, _, let seed, _, _, _, _): return seed
                case .path: return nil
                }
            })
        }
        #expect(seeds(dev).isSubset(of: [1001, 1002, 2001]))
        #expect(seeds(heldout).allSatisfy { $0 >= 3001 })
        for set in [dev, heldout] {
            #expect(set.entries.contains { $0.preset == .glareLong } && set.entries.contains { $0.preset == .flicker })
            #expect(set.entries.contains { if case .synth(_, _, _, _, 15?, _) = $0.recipe { return true } else { return false } })
            #expect(Set(set.entries.map(\.name)).count == set.entries.count)
        }
        // The real challenge clip is held out only.
        func usesChallenge(_ entry: EvaluationSet.Entry) -> Bool {
            switch entry.recipe {
            case .degrade(let source, _, _, _, _, _, _): return source.contains("challenge")
            case .path(let folder): return folder.contains("challenge")
            case .synth: return false
            }
        }
        #expect(!dev.entries.contains(where: usesChallenge))
        #expect(heldout.entries.contains(where: usesChallenge))
        let first = try #require(dev.entries.dropFirst().first)
        #expect(first.recipe == .synth(preset: .glareLong, seed: 1001, frames: 90, size: ImageSize(width: 640, height: 360), fps: 15))
        #expect(first.name == "synth-glare-long-1001-90-640x360-15fps")
        #expect(dev.entries[2].name == "synth-glare-long-1002-90-640x360-15fps-2.7s")
    }

    /// `dev-glare.yaml`, issue 16's scenario on the development side: the dev clip under long
    /// glares, on seeds that neither the held-out sets nor training use.
    @Test func theDevGlareSetIsTheDevClipUnderLongGlareOnUnusedSeeds() throws {
        let set = try EvaluationSet.load(Repo.path("evaluation/sets/dev-glare.yaml"))
        #expect(set.entries.count == 8)
        #expect(Set(set.entries.map(\.name)).count == set.entries.count)
        var rates: Set<Double> = []
        for entry in set.entries {
            guard case .degrade(let source, let preset, let seed, _, _, let fps, _) = entry.recipe else {
                Issue.record("\(entry.name) is not a degraded drive")
                continue
            }
            #expect(source.hasSuffix("samples/solidWhiteRight") && preset == .glareLong)
            #expect((51...58).contains(seed), "seed \(seed): held-out uses 3001 and up, training 101–108 and 201")
            rates.insert(fps ?? 25)
        }
        #expect(rates == [15, 25])
    }
}
