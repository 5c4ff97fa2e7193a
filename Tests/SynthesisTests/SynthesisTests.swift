import Configuration
import Drives
import Exposure
import Foundation
import Imaging
import Media
import Synthesis
import Testing

enum Repo {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
}

struct TemporaryFolder {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("clearlane-synth-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// Every file under `folder`, relative path → bytes.
func contents(of folder: String) throws -> [String: Data] {
    var out: [String: Data] = [:]
    let enumerator = FileManager.default.enumerator(atPath: folder)
    while let name = enumerator?.nextObject() as? String {
        let path = (folder as NSString).appendingPathComponent(name)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
            out[name] = FileManager.default.contents(atPath: path)
        }
    }
    return out
}

@Suite("Synthetic drives")
struct SynthesisTests {
    @Test func sameSeedGivesAByteIdenticalDriveAndAnotherSeedADifferentOne() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.cleanup() }
        let size = ImageSize(width: 160, height: 90)
        for (name, seed) in [("a", UInt64(11)), ("b", 11), ("c", 12)] {
            let scenario = Scenario(preset: .underpass, seed: seed, frames: 6)
            try DriveSynthesizer(scenario: scenario, size: size).synthesize(into: tmp.file(name), command: "test")
        }
        let a = try contents(of: tmp.file("a")), b = try contents(of: tmp.file("b")), c = try contents(of: tmp.file("c"))
        #expect(a.count == 6 * 3 + 3)  // frames, clean, masks + labels.json, exposure.json, drive.yaml
        #expect(a == b)
        #expect(a["frames/000003.png"] != c["frames/000003.png"])
        // The folder is a valid drive with the contract's layout.
        let drive = try Drive(folder: tmp.file("a"))
        #expect(drive.manifest.width == 160 && drive.inlineCamera != nil)
        let labels = try LaneLabelFile(path: drive.labelsPath!)
        #expect(labels.count == 6 && labels.byFrame[0]?.rawFile == "frames/000000.png")
        #expect(a["masks/000005.png"] != nil && a["clean/000005.png"] != nil)
    }

    @Test(arguments: [Preset.clear, .tunnelExit, .tunnelEntry, .underpass, .lowSun, .nightHeadlights])
    func labelPointsOnCleanFramesAreLanePaint(preset: Preset) throws {
        let size = ImageSize(width: 320, height: 180)
        var solidHits = 0, solidPoints = 0
        for seed in [UInt64(1), 2, 3] {
            let synthesizer = DriveSynthesizer(scenario: Scenario(preset: preset, seed: seed, frames: 40), size: size, preroll: 0)
            var out = synthesizer.makeOutput()
            synthesizer.render(frame: 0, into: &out)
            let label = try #require(out.label)
            let luma = ColorConversion.luma(of: out.clean)
            let lines = synthesizer.geometry.labeledLines.map { synthesizer.scenario.road.lines[$0] }
            #expect(label.lanes.count == lines.count)
            let hy = out.pose!.horizonY, camHeight = synthesizer.scenario.rig.height
            for (lane, line) in zip(label.lanes, lines) where line.style == .solid {
                for (row, x) in zip(label.hSamples, lane) where x >= 0 && Double(row) > hy + 0.15 * Double(size.height) {
                    let paint = line.width * (Double(row) - hy) / camHeight
                    let d = Int(paint / 2 + 3)
                    let xi = Int(x)
                    guard xi - d >= 0, xi + d < size.width else { continue }
                    solidPoints += 1
                    let here = Int(luma[xi, row]), beside = max(Int(luma[xi - d, row]), Int(luma[xi + d, row]))
                    if here > beside + 2 { solidHits += 1 }
                }
            }
        }
        #expect(solidPoints > 20)
        #expect(Double(solidHits) / Double(max(solidPoints, 1)) > 0.8, "\(solidHits)/\(solidPoints) label points on paint")
    }

    @Test func tunnelExitClipsMostJustAfterTheExitAndTheAnalyzerFindsTheHoles() throws {
        let size = ImageSize(width: 160, height: 90)
        let scenario = Scenario(preset: .tunnelExit, seed: 1, frames: 60)
        let exit = try #require(scenario.events.first).frame
        let synthesizer = DriveSynthesizer(scenario: scenario, size: size)
        var out = synthesizer.makeOutput()
        let profile = synthesizer.geometry.cameraProfile()
        var analyzer = ExposureAnalyzer(roi: profile.roi, size: size)
        var detected = Mask(width: 0, height: 0, fill: 0)
        var score = HoleScore()
        var holes: [Double] = []
        var cleanClipped = 0, roiPixels = 0
        for index in 0..<scenario.frames {
            synthesizer.render(frame: index, into: &out)
            holes.append(out.roiHoleFraction)
            _ = analyzer.analyze(out.frame, into: &detected)
            score.add(truth: out.holes, detected: detected, region: synthesizer.roi)
            let luma = ColorConversion.luma(of: out.clean)
            for i in 0..<luma.values.count where synthesizer.roi.values[i] != 0 {
                roiPixels += 1
                if luma.values[i] == 255 { cleanClipped += 1 }
            }
        }
        // Lag: the first frames out of the tunnel clip (most of the lane ROI), later ones recover.
        let justAfter = holes[min(exit + 1, holes.count - 1)...min(exit + 4, holes.count - 1)].max()!
        #expect(justAfter > 0.9)
        #expect(holes.last! < 0.1)
        // Clean frames (converged exposure, highlights protected) do not clip in the lane ROI.
        #expect(Double(cleanClipped) / Double(roiPixels) < 0.001)
        // Analyzer vs truth; thresholds set below the values this test measures on its 160x90 drive (detector defaults: docs/decisions/0026).
        let iou = try #require(score.iou), recall = try #require(score.recall)
        #expect(iou > 0.75, "IoU \(iou)")
        #expect(recall > 0.85, "recall \(recall)")
    }

    @Test func degradeKeepsFrameCountGeometryAndTheSourceAsClean() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.cleanup() }
        let size = ImageSize(width: 320, height: 180)
        let source = Repo.path("evaluation/samples/solidWhiteRight.mp4")
        let result = try DriveDegrader.degrade(source: source, preset: .tunnelExit, seed: 4, size: size, maxFrames: 12,
                                               labelsPath: nil, out: tmp.file("d"), storage: .png(compression: 1), command: "test")
        #expect(result.frames == 12)
        let drive = try Drive(folder: tmp.file("d"))
        #expect(drive.manifest.width == 320 && drive.manifest.height == 180)
        let frames = try drive.openFrames()
        let clean = try #require(try drive.openCleanFrames())
        let masks = try #require(try drive.openMasks())
        let original = try FrameSource.file(source, size: size)
        var count = 0
        while let c = try clean.next() {
            let o = try #require(try original.next())
            #expect(c.image == o.image)
            let f = try #require(try frames.next())
            #expect(f.image.size == size)
            #expect(try masks.next() != nil)
            count += 1
        }
        original.close()
        #expect(count == 12)
        #expect(try frames.next() == nil)
    }

    /// The drive bootstrap draws drives of one footage together (`DriveManifest.footage`): one
    /// rendered road at 30 and 15 fps, or one filmed video however it was degraded.
    @Test func drivesKnowTheFootageTheyWereMadeFrom() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.cleanup() }
        let size = ImageSize(width: 160, height: 90)
        for (name, seed, fps) in [("a30", UInt64(5), 30.0), ("a15", 5, 15), ("b30", 6, 30)] {
            let scenario = Scenario(preset: .glareLong, seed: seed, frames: 3, fps: fps)
            try DriveSynthesizer(scenario: scenario, size: size, preroll: 0)
                .synthesize(into: tmp.file(name), command: EvaluationSet.synthCommand(preset: .glareLong, seed: seed, frames: 3, size: size, fps: fps == 30 ? nil : fps, eventSeconds: nil))
        }
        let a30 = try Drive(folder: tmp.file("a30")).manifest.footage, a15 = try Drive(folder: tmp.file("a15")).manifest.footage
        #expect(a30 == "rendered glare-long seed 5" && a15 == a30)
        #expect(try Drive(folder: tmp.file("b30")).manifest.footage == "rendered glare-long seed 6")

        let real = Repo.path("evaluation/samples/solidWhiteRight")
        _ = try DriveDegrader.degrade(source: real, preset: .flicker, seed: 9, size: size, maxFrames: 3, labelsPath: nil, out: tmp.file("d"),
                                      storage: .png(compression: 1), command: EvaluationSet.degradeCommand(source: real, preset: .flicker, seed: 9, size: size, frames: 3, fps: nil, eventSeconds: nil))
        let video = "udacity/CarND-LaneLines-P1, test_videos/solidWhiteRight.mp4"
        #expect(try Drive(folder: real).manifest.footage == video)
        #expect(try Drive(folder: tmp.file("d")).manifest.footage == video)
        #expect(try Drive(folder: Repo.path("evaluation/samples/solidWhiteRight-tunnel-exit")).manifest.footage == video)
        #expect(try Drive(folder: Repo.path("evaluation/samples/challenge")).manifest.footage == "udacity/CarND-LaneLines-P1 test_videos/challenge.mp4")
        var unknown = try Drive(folder: real).manifest
        unknown.source = ""
        #expect(unknown.footage == nil)
    }

    @Test func carriedLabelsAreScaledAndRenamed() {
        let label = LaneLabel(rawFile: "frames/000007.png", hSamples: [270, 540], lanes: [[480, -2], [100.5, 200]])
        let scaled = DriveDegrader.scale(label, index: 7, from: ImageSize(width: 960, height: 540), to: ImageSize(width: 640, height: 360), video: false)
        #expect(scaled.rawFile == "frames/000007.png")
        #expect(scaled.hSamples == [180, 360])
        #expect(scaled.lanes == [[320, -2], [67, 133.3]])
        #expect(DriveDegrader.scale(label, index: 7, from: ImageSize(width: 960, height: 540), to: ImageSize(width: 960, height: 540), video: true).rawFile == "7")
    }
}

@Suite("Evaluation sets")
struct EvaluationSetTests {
    @Test func theDevSetListsRecipesWithCacheFoldersAndTheSample() throws {
        let set = try EvaluationSet.load(Repo.path("evaluation/sets/dev.yaml"))
        #expect(set.cache == Repo.path("evaluation/cache/dev"))
        #expect(set.entries.count == 8 * 3 + 1)  // the eight presets before glare-long and flicker (dev-hard.yaml has those)
        let first = try #require(set.entries.first)
        #expect(first.recipe == .synth(preset: .tunnelExit, seed: 1001, frames: 150, size: ImageSize(width: 640, height: 360)))
        #expect(set.folder(of: first) == Repo.path("evaluation/cache/dev/synth-tunnel-exit-1001-150-640x360"))
        #expect(set.entries.contains { if case .path(let p) = $0.recipe { return p.hasSuffix("samples/solidWhiteRight-tunnel-exit") } else { return false } })
    }

    @Test func mistakesAreLocatedByLineAndKey() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.cleanup() }
        let file = tmp.file("bad.yaml")
        try """
        drives:
          - synth: {preset: tunnel-exit, seed: 1}
          - synth: {preset: tunnel-exet, seed: 2}
          - degrade: {source: nowhere.mp4, preset: clear, seed: 3}
        """.write(toFile: file, atomically: true, encoding: .utf8)
        do {
            _ = try EvaluationSet.load(file)
            Issue.record("a bad set loaded")
        } catch let errors as ConfigErrors {
            #expect(errors.errors.count == 2)
            #expect(errors.errors[0].keyPath == "drives.1.synth.preset" && errors.errors[0].line == 3)
            #expect(errors.errors[0].message.contains("tunnel-exit"))
            #expect(errors.errors[1].keyPath == "drives.2.degrade.source")
        }
    }
}
