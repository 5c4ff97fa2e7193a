import Foundation
import Testing

/// `clearlane bench lanes`: the lane detector's per-frame time on a drive's frames.
@Suite("Bench lanes")
struct BenchLanesTests {
    @Test func timesTheDetectorOnTheSampleDriveAndSaysItFoundTheLanes() throws {
        let r = try CLI.run(["bench", "lanes", CLI.sampleDrive, "--frames", "20", "--iterations", "1", "--json"],
                            in: NSTemporaryDirectory())
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stdout)")
        #expect(object["frames"] as? Int == 20)
        #expect(object["size"] as? String == "640x360")
        let p50 = try #require(object["ms_p50"] as? Double), p95 = try #require(object["ms_p95"] as? Double)
        #expect(p50 > 0 && p95 >= p50)
        // The sample's first frames are clear road: a detector given the wrong geometry would
        // time something that finds nothing.
        #expect((object["ego_pair_share"] as? Double ?? 0) >= 0.8, "\(r.stdout)")
    }

    @Test func aFolderThatIsNoDriveIsOneClearError() throws {
        let folder = try CLI.scratch("bench-lanes")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let r = try CLI.run(["bench", "lanes", folder], in: NSTemporaryDirectory())
        #expect(r.status != 0)
        #expect(r.stderr.contains(folder) && r.stderr.contains("not a drive folder"), "\(r.stderr)")
    }
}
