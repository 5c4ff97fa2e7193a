import CPNet
import Configuration
import Drives
import Evaluation
import Foundation
import Imaging
import Lanes
import Media
import Pipeline
import Testing

/// Replay end to end on the committed real sample drive, checked against a direct computation.
@Suite("Replay", .serialized)
struct ReplayTests {
    static let repo: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
    static var sample: String { repo + "/evaluation/samples/solidWhiteRight" }

    func options(report: String? = nil) -> DriveReplay.Options {
        var o = DriveReplay.Options()
        o.camerasFolder = Self.repo + "/config/cameras"
        o.variants = [.raw, .clean]
        // Only truth masks give holes here: the sample has none, so no exposure-affected figures.
        o.detectsHoles = false
        o.stripFolder = report.map { $0 + "/strips" }
        o.strips = 1
        // The first 60 frames (12 labeled) keep the test short in debug builds.
        o.maxFrames = 60
        return o
    }

    @Test func replayReportMatchesADirectMetricComputation() throws {
        let out = NSTemporaryDirectory() + "clearlane-replay-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let drive = try Drive(folder: Self.sample)
        var notes: [String] = []
        let driveReport = try DriveReplay(drive: drive, options: options(report: out)).run(notes: &notes)
        let report = ReplayReport(command: "test", processingSize: "640x360", affectedCoverage: 0.01,
                                  variants: ["raw", "clean"], notes: notes, drives: [driveReport])
        try report.write(to: out + "/report.json")
        let read = try ReplayReport.read(out + "/report.json")
        let raw = try #require(read.drives.first?.variants["raw"])
        // No clean/ frames: the clean variant is omitted with a note, never faked.
        #expect(read.drives.first?.variants["clean"] == nil)
        #expect(notes.contains { $0.hasPrefix("clean: omitted") })
        #expect(notes.contains { $0.hasPrefix("exposure-affected figures: absent") })

        // Direct computation: decode, detect, read out, score every labeled frame.
        let labels = try LaneLabelFile(path: Self.sample + "/labels.json")
        let camera = try CameraProfiles.load(nameOrPath: "udacity-960x540", folder: Self.repo + "/config/cameras")
        let size = ImageSize(width: 640, height: 360)
        // At the drive's frame rate, as replay runs it: the tracks' limits are seconds.
        let detector = try #require(LaneDetector(geometry: camera.geometry.scaled(to: size), fps: drive.manifest.fps))
        var readout = LaneReadout(labelSize: ImageSize(width: 960, height: 540), processingSize: size, hSamples: [])
        let source = try drive.openFrames(size: size)
        var frame = Frame(image: RGBImage(width: 0, height: 0), pts: nil, index: 0)
        var detection = LaneDetection()
        var lanes: [[Double]] = [], confidences: [Double] = []
        var direct = ScoreSummary()
        var index = 0
        while index < 60, try source.read(into: &frame) {
            detector.detect(frame.image, into: &detection)
            if let label = labels.byFrame[index] {
                readout.setRows(label.hSamples)
                readout.read(detection, from: detector, into: &lanes, confidences: &confidences)
                direct.add(LaneMetric.score(predicted: lanes, label: label, imageWidth: 960, imageHeight: 540))
            }
            index += 1
        }
        #expect(read.drives.first?.frames == index)
        #expect(raw.all.frames == labels.byFrame.keys.filter { $0 < 60 }.count)
        #expect(abs(raw.all.accuracy - direct.accuracy) < 1e-9)
        #expect(abs(raw.all.fpRate - direct.fpRate) < 1e-9)
        #expect(abs(raw.all.fnRate - direct.fnRate) < 1e-9)
        #expect(raw.all.egoPairRate == direct.egoPairRate)
        #expect(raw.all.emptyTruthFrames == direct.emptyTruthFrames)
        #expect(raw.all.culaneTP == direct.culaneTP && raw.all.culaneFP == direct.culaneFP && raw.all.culaneFN == direct.culaneFN)
        // The labels were proposed by this detector and checked by eye: it must agree with them.
        #expect(raw.all.accuracy >= 0.9)
        #expect(read.overall["raw"]?.all.accuracy == raw.all.accuracy)
        #expect(read.schema == "clearlane.replay-report/2")
        #expect(read.overall["raw"]?.all == raw.all)
        // Strips and the HTML page.
        #expect(read.drives.first?.strips.count == 1)
        #expect(FileManager.default.fileExists(atPath: out + "/" + (read.drives.first?.strips.first?.file ?? "-")))
        let html = read.html()
        #expect(html.contains("<svg") && html.contains("solidWhiteRight") && !html.contains("<script"))
        #expect(read.table().contains("raw") && read.table().contains("F1"))
        #expect(html.contains("CULane F1") && read.notes.contains { $0.contains("official TuSimple") })
    }

    /// A drive folder holding the sample's video and the given labels.json text.
    func driveWithLabels(_ text: String) throws -> String {
        let folder = NSTemporaryDirectory() + "clearlane-badlabels-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: folder + "/video.mp4", withDestinationPath: Self.repo + "/evaluation/samples/solidWhiteRight.mp4")
        try "fps: 25\nwidth: 960\nheight: 540\ncamera: udacity-960x540\nsource: test\nlicense: MIT\n".write(toFile: folder + "/drive.yaml", atomically: true, encoding: .utf8)
        try text.write(toFile: folder + "/labels.json", atomically: true, encoding: .utf8)
        return folder
    }

    func replayError(_ labels: String) throws -> String {
        let folder = try driveWithLabels(labels)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var notes: [String] = []
        do {
            _ = try DriveReplay(drive: try Drive(folder: folder), options: options()).run(notes: &notes)
        } catch {
            return "\(error)"
        }
        return ""
    }

    @Test func badLabelsGiveOneErrorNamingFileAndLine() throws {
        let good = #"{"raw_file": "0", "h_samples": [400, 410], "lanes": [[100, 90]]}"#
        let malformed = try replayError(good + "\n{\"raw_file\": \"1\", \"h_samples\": [400,\n")
        #expect(malformed.contains("labels.json:2:"))
        let mismatch = try replayError(good + "\n" + #"{"raw_file": "1", "h_samples": [400, 410], "lanes": [[100]]}"#)
        #expect(mismatch.contains("labels.json:2:") && mismatch.contains("h_samples"))
        let six = Array(repeating: "[1, 2]", count: 6).joined(separator: ", ")
        let tooMany = try replayError(#"{"raw_file": "0", "h_samples": [400, 410], "lanes": [\#(six)]}"#)
        #expect(tooMany.contains("labels.json:1:") && tooMany.contains("6 lanes"))
    }

    @Test func lanesConfigIsValidatedWithKeyPathAndLine() throws {
        let loaded = try LoadedConfig.load(Self.repo + "/config/default.yaml")
        #expect(loaded.config.lanes.baselines.claheTiles == 8)
        let file = NSTemporaryDirectory() + "clearlane-lanes-\(getpid()).yaml"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try "pipeline_templates: \(Self.repo)/pipelines\nlanes:\n  detector:\n    windows: 1\n".write(toFile: file, atomically: true, encoding: .utf8)
        do {
            _ = try LoadedConfig.load(file)
            Issue.record("windows: 1 was accepted")
        } catch {
            #expect("\(error)".contains("lanes.detector.windows") && "\(error)".contains(":4:"))
        }
    }

    @Test func aFrameBudgetHandsLateFramesToTheFallbackAndTheReportCountsWhoFilledThem() throws {
        let drive = try Drive(folder: Self.repo + "/evaluation/samples/solidWhiteRight-tunnel-exit")
        var config = RestorerConfig()
        config.weights = Self.repo + "/models/cpnet-road-slim.safetensors"
        let weights = try CPNetWeights(path: config.weights)
        func counts(budget: Double) throws -> [String: Int] {
            var o = options()
            o.variants = [.restored]
            o.strips = 0
            o.stripFolder = nil
            o.frameBudget = budget
            o.stages.restorer = config
            o.stages.weights = weights
            var notes: [String] = []
            let report = try DriveReplay(drive: drive, options: o).run(notes: &notes)
            let pooled = ReplayReport(command: "test", processingSize: "640x360", affectedCoverage: 0.01,
                                      variants: ["restored"], notes: notes, drives: [report, report])
            let counts = try #require(report.variants["restored"]?.restorations)
            #expect(counts.values.reduce(0, +) == report.frames)
            #expect(pooled.overall["restored"]?.restorations == counts.mapValues { 2 * $0 })
            return counts
        }
        // No budget: the CPNet fills every frame with holes that has references.
        let unlimited = try counts(budget: .infinity)
        #expect((unlimited["restored"] ?? 0) > 1)
        #expect(unlimited["copied_last"] == nil)
        // A budget nothing fits: after the first restoration is timed, the fallback takes over,
        // except that every 31st frame (30 skips in a row) runs the CPNet to re-measure.
        let late = try counts(budget: 1e-9)
        let eligible = unlimited["restored"] ?? 0
        let remeasureAfter = RestoreTimePredictor().remeasureAfter
        #expect(eligible > remeasureAfter + 1, "the drive must be long enough to see a re-measurement")
        #expect(late["restored"] == 1 + (eligible - 1) / (remeasureAfter + 1))
        #expect((late["copied_last"] ?? 0) > 0)
        #expect((late["copied_last"] ?? 0) + (late["skipped_deadline"] ?? 0) + (late["restored"] ?? 0) == eligible)
    }
}
