import Drives
import Evaluation
import Foundation
import Pipeline
import Testing

/// CULane `.lines.txt` labels: parsing, errors naming file and line, resampling at h_samples,
/// and a drive with a labels/ folder replayed end to end.
@Suite("CULane labels", .serialized)
struct CULaneLabelTests {
    static var repo: String { ReplayTests.repo }

    @Test func parsesOneLanePerLine() throws {
        let lanes = try LaneLabelFile.parseCULane("100.5 590 120 580 140 570 \n\n 300 590\t290 580\n", file: "x.lines.txt")
        #expect(lanes.count == 2)
        #expect(lanes[0] == [LanePoint(x: 100.5, y: 590), LanePoint(x: 120, y: 580), LanePoint(x: 140, y: 570)])
        #expect(lanes[1] == [LanePoint(x: 300, y: 590), LanePoint(x: 290, y: 580)])
    }

    @Test func malformedLinesNameFileAndLine() {
        func error(_ text: String) -> String {
            do {
                _ = try LaneLabelFile.parseCULane(text, file: "labels/000007.lines.txt")
                return ""
            } catch {
                return "\(error)"
            }
        }
        #expect(error("1 2 3 4\n1 2 3\n").hasPrefix("labels/000007.lines.txt:2:"))
        #expect(error("1 2 3 4\n1 2 3\n").contains("3 numbers"))
        #expect(error("\n\n10 20 x 40\n").hasPrefix("labels/000007.lines.txt:3:"))
        #expect(error("\n\n10 20 x 40\n").contains("\"x\" is not a number"))
        #expect(error("1 2 3 nan\n").contains(":1:"))
        #expect(error(Array(repeating: "1 2 3 4", count: 6).joined(separator: "\n")).contains(":6:"))
    }

    @Test func resamplesAtRowsByLinearInterpolation() {
        let lane = [LanePoint(x: 100, y: 590), LanePoint(x: 120, y: 580), LanePoint(x: 140, y: 570)]
        #expect(LaneLabelFile.resample(lane, rows: [560, 570, 575, 580, 585, 590, 600]) == [-2, 140, 130, 120, 110, 100, -2])
        // Points in any order; negative x is absent.
        let unordered = [LanePoint(x: 10, y: 300), LanePoint(x: -30, y: 340), LanePoint(x: 30, y: 280)]
        #expect(LaneLabelFile.resample(unordered, rows: [280, 290, 300, 310, 320]) == [30, 20, 10, 0, -2])
        // Rows: every 10 px from the top-most labeled y (rounded up) to the last image row.
        #expect(LaneLabelFile.culaneRows([lane, [LanePoint(x: 5, y: 560.2)]], imageHeight: 590) == Array(stride(from: 561, through: 589, by: 10)))
        #expect(LaneLabelFile.culaneRows([], imageHeight: 590) == [])
        #expect(LaneLabel(rawFile: "labels/000123.lines.txt", hSamples: [], lanes: []).frameIndex == 123)
    }

    /// A drive folder holding the sample's first frames (as its video) and the given label files.
    func drive(culane: [String: String], json: String? = nil) throws -> String {
        let folder = NSTemporaryDirectory() + "clearlane-culane-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder + "/labels", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: folder + "/video.mp4", withDestinationPath: Self.repo + "/evaluation/samples/solidWhiteRight.mp4")
        try "fps: 25\nwidth: 960\nheight: 540\ncamera: udacity-960x540\nsource: test\nlicense: MIT\nlabels: \"test\"\n"
            .write(toFile: folder + "/drive.yaml", atomically: true, encoding: .utf8)
        for (name, text) in culane { try text.write(toFile: folder + "/labels/" + name, atomically: true, encoding: .utf8) }
        if let json { try json.write(toFile: folder + "/labels.json", atomically: true, encoding: .utf8) }
        return folder
    }

    @Test func aDriveReadsALabelsFolderAndRejectsBothFormats() throws {
        let folder = try drive(culane: ["000000.lines.txt": "100 539 200 400\n", "12.lines.txt": "700 539 600 410\n", "notes.txt": "ignored"])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let labels = try #require(try Drive(folder: folder).loadLabels())
        #expect(Set(labels.byFrame.keys) == [0, 12])
        let label = try #require(labels.byFrame[0])
        #expect(label.hSamples == Array(stride(from: 400, through: 539, by: 10)))
        #expect(label.points == [[LanePoint(x: 100, y: 539), LanePoint(x: 200, y: 400)]])
        #expect(label.lanes[0].first == 200 && label.lanes[0][1] > 190)
        // labels/000012: top y 410, so the drive's rows from 400 leave its first row absent.
        #expect(labels.byFrame[12]?.lanes[0].first == -2)

        try "1 2 3\n".write(toFile: folder + "/labels/000013.lines.txt", atomically: true, encoding: .utf8)
        #expect(throws: LaneLabelFile.Problem.self) { try Drive(folder: folder).loadLabels() }
        do { _ = try Drive(folder: folder).loadLabels() } catch { #expect("\(error)".contains("000013.lines.txt:1:")) }

        let both = try drive(culane: ["0.lines.txt": "1 2 3 4\n"], json: #"{"raw_file": "0", "h_samples": [400], "lanes": [[1]]}"#)
        defer { try? FileManager.default.removeItem(atPath: both) }
        do {
            _ = try Drive(folder: both).loadLabels()
            Issue.record("labels.json and labels/ together were accepted")
        } catch {
            #expect("\(error)".contains("labels.json") && "\(error)".contains("labels/"))
        }
    }

    @Test func replayScoresACULaneLabeledDrive() throws {
        // The sample's TuSimple labels (first 60 frames) written as CULane files: the replay
        // reads labels/, resamples them at its own rows, and scores both metrics.
        let sample = try LaneLabelFile(path: Self.repo + "/evaluation/samples/solidWhiteRight/labels.json")
        var files: [String: String] = [:]
        for (index, label) in sample.byFrame where index < 60 {
            files[String(format: "%06d.lines.txt", index)] = label.lanes.map { lane in
                zip(lane, label.hSamples).filter { $0.0 >= 0 }.map { "\($0.0) \($0.1)" }.joined(separator: " ")
            }.joined(separator: "\n") + "\n"
        }
        let folder = try drive(culane: files)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var o = DriveReplay.Options()
        o.detectsHoles = false
        o.camerasFolder = Self.repo + "/config/cameras"
        o.variants = [.raw]
        o.strips = 0
        o.maxFrames = 60
        var notes: [String] = []
        let report = try DriveReplay(drive: try Drive(folder: folder), options: o).run(notes: &notes)
        let raw = try #require(report.variants["raw"]?.all)
        #expect(report.labeledFrames == files.count && raw.frames == files.count)
        print("CULane-labeled sample: TuSimple accuracy \(raw.accuracy), CULane F1 \(raw.culaneF1 ?? -1)")
        #expect(raw.accuracy >= 0.8)
        #expect((raw.culaneF1 ?? 0) >= 0.8)
    }
}
