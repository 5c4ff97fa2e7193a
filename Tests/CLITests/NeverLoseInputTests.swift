import Drives
import Foundation
import Testing

/// Issue 15 item 4: an output is never an input (nor inside or around one), and it is written
/// beside its target and moved there only when complete.
@Suite("Never lose input")
struct NeverLoseInputTests {
    private func degrade(_ source: String, out: String, in folder: String, frames: Int = 4) throws -> CLI.Result {
        try CLI.run(["degrade", source, "--preset", "tunnel-exit", "--seed", "3", "--frames", String(frames), "--out", out], in: folder)
    }

    @Test func degradeOntoItselfIsRefusedAndTheInputIsUntouched() throws {
        let folder = try CLI.scratch("degrade-self")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try CLI.copySample(to: folder + "/mydrive")
        try FileManager.default.createSymbolicLink(atPath: folder + "/link", withDestinationPath: "mydrive")
        let before = try CLI.snapshot(folder + "/mydrive")
        for (source, out) in [("mydrive", "mydrive"), ("mydrive", "./mydrive/"), ("link", "mydrive"), ("mydrive", folder + "/link/")] {
            let r = try degrade(source, out: out, in: folder)
            #expect(r.status != 0, "degrade \(source) --out \(out) ran")
            #expect(r.stderr.contains("is the input") && r.stderr.contains("--out \(out)") && r.stderr.contains(folder + "/mydrive"), "\(r.stderr)")
        }
        #expect(try CLI.snapshot(folder + "/mydrive") == before, "the input's files are byte-identical")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["link", "mydrive"], "nothing left beside it")
    }

    @Test func degradeIntoTheInputOrAroundItIsRefused() throws {
        let folder = try CLI.scratch("degrade-inside")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try CLI.copySample(to: folder + "/mydrive")
        let before = try CLI.snapshot(folder + "/mydrive")
        let inside = try degrade("mydrive", out: "mydrive/degraded", in: folder)
        #expect(inside.status != 0)
        #expect(inside.stderr.contains("lies inside the input"), "\(inside.stderr)")
        // The video file as the source, its drive folder (or the folder around it) as the output.
        let around = try degrade("mydrive/video.mp4", out: ".", in: folder)
        #expect(around.status != 0)
        #expect(around.stderr.contains("contains the input"), "\(around.stderr)")
        #expect(try CLI.snapshot(folder + "/mydrive") == before)
        #expect(!FileManager.default.fileExists(atPath: folder + "/mydrive/degraded"))
    }

    @Test func aFailingDegradeLeavesThePreviousOutputIntact() throws {
        let folder = try CLI.scratch("degrade-fail")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let first = try degrade(CLI.sampleDrive, out: "out", in: folder)
        #expect(first.status == 0, "\(first.stderr)")
        let before = try CLI.snapshot(folder + "/out")
        #expect(before["drive.yaml"] != nil)
        // A truncated clip: the degrade fails after the output was set up.
        let clip = try Data(contentsOf: URL(fileURLWithPath: CLI.sampleDrive + "/video.mp4"))
        try clip.prefix(4096).write(to: URL(fileURLWithPath: folder + "/truncated.mp4"))
        let failing = try degrade("truncated.mp4", out: "out", in: folder)
        #expect(failing.status != 0)
        #expect(try CLI.snapshot(folder + "/out") == before, "the earlier output is untouched")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["out", "truncated.mp4"], "no partial folder left")
        // A folder that is not an earlier output is never replaced.
        try FileManager.default.createDirectory(atPath: folder + "/notes", withIntermediateDirectories: false)
        try Data("mine".utf8).write(to: URL(fileURLWithPath: folder + "/notes/todo.txt"))
        let foreign = try degrade(CLI.sampleDrive, out: "notes", in: folder)
        #expect(foreign.status != 0)
        #expect(try CLI.snapshot(folder + "/notes") == ["todo.txt": Data("mine".utf8)])
    }

    @Test func replayReportNeverGoesIntoADrive() throws {
        let folder = try CLI.scratch("report-inside")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try CLI.copySample(to: folder + "/mydrive")
        let before = try CLI.snapshot(folder + "/mydrive")
        let r = try CLI.run(["replay", "mydrive", "--variants", "raw", "--max-frames", "5", "--report", "mydrive/report"], in: folder)
        #expect(r.status != 0)
        #expect(r.stderr.contains("--report mydrive/report") && r.stderr.contains("lies inside the input"), "\(r.stderr)")
        #expect(try CLI.snapshot(folder + "/mydrive") == before)
    }

    // MARK: - StagedOutput itself

    @Test func stagedOutputCommitsOnlyOnSuccess() throws {
        let folder = try CLI.scratch("staged")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let target = folder + "/out"
        func stage() throws -> StagedOutput {
            try StagedOutput(target: target, flag: "--out", inputs: [], kind: "output") {
                FileManager.default.fileExists(atPath: $0 + "/marker")
            }
        }
        try stage().write { try Data("1".utf8).write(to: URL(fileURLWithPath: $0 + "/marker")) }
        #expect(try CLI.snapshot(target) == ["marker": Data("1".utf8)])
        struct Failure: Error {}
        #expect(throws: Failure.self) {
            try stage().write { staging in
                try Data("2".utf8).write(to: URL(fileURLWithPath: staging + "/marker"))
                throw Failure()
            }
        }
        #expect(try CLI.snapshot(target) == ["marker": Data("1".utf8)], "a failed run leaves the earlier output")
        try stage().write { try Data("3".utf8).write(to: URL(fileURLWithPath: $0 + "/marker")) }
        #expect(try CLI.snapshot(target) == ["marker": Data("3".utf8)], "a successful one replaces it")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["out"])
    }

    @Test func stagedOutputComparesResolvedPaths() throws {
        let folder = try CLI.scratch("paths")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/in/sub", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: folder + "/alias", withDestinationPath: folder + "/in")
        let cases: [(String, String)] = [
            ("\(folder)/in", "is the input"), ("\(folder)/in/", "is the input"), ("\(folder)/alias", "is the input"),
            ("\(folder)/in/sub/../", "is the input"), ("\(folder)/in/new", "lies inside the input"),
            ("\(folder)/alias/sub/deeper", "lies inside the input"), (folder, "contains the input"),
        ]
        for (out, relation) in cases {
            do {
                _ = try StagedOutput(target: out, flag: "--out", inputs: [("\(folder)/in", "SOURCE")], kind: "output") { _ in true }
                Issue.record("\(out) was accepted")
            } catch {
                #expect("\(error)".contains(relation), "\(out): \(error)")
            }
        }
        #expect(throws: Never.self) {
            try StagedOutput(target: "\(folder)/in-other", flag: "--out", inputs: [("\(folder)/in", "SOURCE")], kind: "output") { _ in true }.discard()
        }
    }
}
