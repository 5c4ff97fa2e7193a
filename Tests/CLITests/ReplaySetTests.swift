import Evaluation
import Foundation
import Testing

/// Issue 15 item 5: a drive that fails is reported and skipped; the report covers the rest, says
/// what is missing, and the run exits non-zero.
@Suite("Replay sets keep going")
struct ReplaySetTests {
    @Test func aTruncatedVideoIsSkippedReportedAndFailsTheRun() throws {
        let folder = try CLI.scratch("set-broken")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // A drive whose video was cut to a few KB, beside the good sample.
        let broken = folder + "/broken"
        try FileManager.default.createDirectory(atPath: broken, withIntermediateDirectories: true)
        let clip = try Data(contentsOf: URL(fileURLWithPath: CLI.sampleDrive + "/video.mp4"))
        try clip.prefix(4000).write(to: URL(fileURLWithPath: broken + "/video.mp4"))
        for name in ["drive.yaml", "labels.json"] {
            try FileManager.default.copyItem(atPath: CLI.sampleDrive + "/" + name, toPath: broken + "/" + name)
        }
        try """
            drives:
              - path: broken
              - path: \(CLI.sampleDrive)
            """.write(toFile: folder + "/set.yaml", atomically: true, encoding: .utf8)

        let r = try CLI.run(["replay", "set.yaml", "--variants", "raw", "--max-frames", "10", "--report", "report"], in: folder)
        #expect(r.status != 0, "a run with a failed drive exits non-zero")
        #expect(r.stderr.contains("[1/2] broken FAILED"), "\(r.stderr)")
        #expect(r.stderr.contains("[2/2] solidWhiteRight-tunnel-exit 10 frames"), "piped: one line per drive\n\(r.stderr)")
        #expect(r.stdout.contains("missing: 1 drive"), "\(r.stdout)")

        let report = try ReplayReport.read(folder + "/report/report.json")
        #expect(report.drives.map(\.name) == ["solidWhiteRight-tunnel-exit"])
        let failed = try #require(report.failedDrives)
        #expect(failed.count == 1)
        #expect(failed.first?.name == "broken")
        #expect(failed.first?.path == broken)
        #expect(failed.first.map { !$0.error.isEmpty } == true)
        let html = try String(contentsOfFile: folder + "/report/report.html", encoding: .utf8)
        #expect(html.contains("Missing: 1 drive"))
    }
}
