import Drives
import Foundation
import Testing

/// `clearlane detect` runs the detector the vehicle runs: the lanes.detector settings of the
/// config, with its hold and carry times converted at the source's own frame rate.
@Suite("clearlane detect")
struct DetectCommandTests {
    private func labelLines(_ path: String) throws -> Int {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count
    }

    @Test func usesTheInstalledConfigsDetectorAtTheDrivesFrameRate() throws {
        let folder = try CLI.scratch("detect-default")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let r = try CLI.run(["detect", CLI.sampleDrive, "--max-frames", "40", "--labels", "lanes.json"], in: folder)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("detector: lanes.detector of \(CLI.repo("config/default.yaml"))"), "\(r.stdout)")
        // The sample drive is 25 fps: hold_s 0.267 s is 7 frames there (8 at 30 fps), carry_s 1 s is 25.
        #expect(r.stdout.contains("rate: 25 fps (lanes held 7 frames, carried 25, held through holes 75)"), "\(r.stdout)")
        let lines = try labelLines(folder + "/lanes.json")
        #expect(lines > 20)

        // --fps overrides the drive's rate.
        let at30 = try CLI.run(["detect", CLI.sampleDrive, "--max-frames", "5", "--fps", "30"], in: folder)
        #expect(at30.status == 0, "\(at30.stderr)")
        #expect(at30.stdout.contains("rate: 30 fps (lanes held 8 frames, carried 30, held through holes 90)"), "\(at30.stdout)")
    }

    @Test func aConfigsDetectorSettingsChangeWhatIsDetected() throws {
        let folder = try CLI.scratch("detect-config")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func egoPairs(_ r: CLI.Result) -> Int? {
            guard let line = r.stdout.split(separator: "\n").first(where: { $0.contains("ego pair found in ") }),
                  let tail = line.components(separatedBy: "ego pair found in ").last else { return nil }
            return Int(tail.prefix { $0.isNumber })
        }
        let base = try CLI.run(["detect", CLI.sampleDrive, "--max-frames", "40"], in: folder)
        #expect(base.status == 0, "\(base.stderr)")
        // Paint must stand 128 luma levels and 20 noise deviations above the road, and a lost line
        // is never held: the sample's worn and distant markings no longer pass.
        let strictConfig = """
            pipeline_templates: \(CLI.repo("pipelines"))
            lanes:
              detector:
                min_contrast: 128
                noise_factor: 20
                hold_s: 0
                carry_s: 0
                hole_hold_s: 0

            """
        try strictConfig.write(toFile: folder + "/strict.yaml", atomically: true, encoding: .utf8)
        let strict = try CLI.run(["detect", CLI.sampleDrive, "--max-frames", "40", "--config", "strict.yaml"], in: folder)
        #expect(strict.status == 0, "\(strict.stderr)")
        #expect(strict.stdout.contains("detector: lanes.detector of strict.yaml"), "\(strict.stdout)")
        #expect(strict.stdout.contains("rate: 25 fps (lanes held 0 frames, carried 0, held through holes 0)"), "\(strict.stdout)")
        let basePairs = try #require(egoPairs(base)), strictPairs = try #require(egoPairs(strict))
        #expect(basePairs >= 20 && strictPairs < basePairs / 2, "ego pair in \(basePairs) frames by default, \(strictPairs) with the strict config")
    }

    @Test func aBadDetectorSettingIsOneErrorNamingTheFileAndTheKey() throws {
        let folder = try CLI.scratch("detect-bad")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "lanes:\n  detector:\n    hold_frames: 4\n".write(toFile: folder + "/old.yaml", atomically: true, encoding: .utf8)
        let r = try CLI.run(["detect", CLI.sampleDrive, "--max-frames", "5", "--config", "old.yaml"], in: folder)
        #expect(r.status != 0)
        #expect(r.stderr.contains("old.yaml") && r.stderr.contains("hold_frames") && r.stderr.contains("hold_s"), "\(r.stderr)")
        #expect(!r.stderr.contains("Fatal error"), "\(r.stderr)")
        let fps = try CLI.run(["detect", CLI.sampleDrive, "--fps", "0"], in: folder)
        #expect(fps.status != 0 && fps.stderr.contains("--fps"), "\(fps.stderr)")
    }
}
