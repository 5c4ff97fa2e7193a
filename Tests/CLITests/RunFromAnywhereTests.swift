import Foundation
import Testing

/// Issue 15 item 3: defaults (config, camera profiles, model) resolve wherever clearlane runs
/// from; a restored variant without a model is an error; `config check` fails where `run` fails.
@Suite("Run from anywhere")
struct RunFromAnywhereTests {
    @Test func replayFromAnotherDirectoryRestoresWithTheShippedModel() throws {
        let elsewhere = try CLI.scratch("replay-cwd")
        defer { try? FileManager.default.removeItem(atPath: elsewhere) }
        let r = try CLI.run(["replay", CLI.sampleDrive, "--max-frames", "20", "--variants", "raw,restored", "--quiet"], in: elsewhere)
        #expect(r.status == 0, "\(r.stderr)")
        let rows = r.stdout.split(separator: "\n").filter { $0.hasPrefix("restored ") }
        #expect(rows.count == 2, "a restored row for the drive and overall:\n\(r.stdout)")
        #expect(!r.stdout.contains("omitted"), "\(r.stdout)")
    }

    @Test func cameraByNameResolvesFromAnotherDirectory() throws {
        let elsewhere = try CLI.scratch("camera-cwd")
        defer { try? FileManager.default.removeItem(atPath: elsewhere) }
        let r = try CLI.run(["replay", CLI.sampleDrive, "--max-frames", "5", "--variants", "raw", "--camera", "udacity-960x540", "--quiet"], in: elsewhere)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("camera: \(CLI.repo("config/cameras/udacity-960x540.yaml"))"), "\(r.stdout)")
    }

    @Test func restoredWithoutLoadableWeightsIsAnErrorNamingThePath() throws {
        let elsewhere = try CLI.scratch("weights")
        defer { try? FileManager.default.removeItem(atPath: elsewhere) }
        let r = try CLI.run(["replay", CLI.sampleDrive, "--max-frames", "20", "--variants", "raw,restored", "--weights", "/nonexistent"], in: elsewhere)
        #expect(r.status != 0)
        #expect(r.stderr.contains("/nonexistent") && r.stderr.contains("--weights") && r.stderr.contains("CLEARLANE_SHARE"), "\(r.stderr)")
        #expect(r.stdout.isEmpty, "nothing replayed:\n\(r.stdout)")

        // A share folder without the model: the error lists where it looked.
        let share = try CLI.run(["replay", CLI.sampleDrive, "--variants", "restored"], in: elsewhere,
                                environment: ["CLEARLANE_SHARE": elsewhere])
        #expect(share.status != 0)
        #expect(share.stderr.contains("\(elsewhere)/models/cpnet-road-slim.safetensors"), "\(share.stderr)")
    }

    /// A config in a scratch folder with absolute paths, `lanes` as given.
    private func config(in folder: String, lanes: String) throws -> String {
        let path = (folder as NSString).appendingPathComponent("vehicle.yaml")
        try """
            pipeline_templates: \(CLI.repo("pipelines"))
            source: {template: file, parameters: {location: \(CLI.repo("evaluation/samples/solidWhiteRight.mp4"))}}
            daemon:
              lanes_output: {to: none}
              metrics: {enabled: false}
            \(lanes)
            restorer: {weights: \(CLI.repo("models/cpnet-road-slim.safetensors"))}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func errorLines(_ r: CLI.Result) -> [Substring] { r.stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") } }

    @Test func configCheckFailsExactlyWhereRunFails() throws {
        let folder = try CLI.scratch("check-vs-run")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for lanes in ["lanes: {camera: no-such-camera}", "lanes: {camera: ../cameras/missing.yaml}", "lanes: {camera: null}"] {
            let file = try config(in: folder, lanes: lanes)
            let check = try CLI.run(["config", "check", file], in: folder)
            let run = try CLI.run(["run", "--config", file], in: folder, timeout: 30)
            #expect(check.status != 0 && run.status != 0, "\(lanes): check \(check.status), run \(run.status)")
            #expect(!errorLines(check).isEmpty && errorLines(check) == errorLines(run), "\(lanes):\ncheck: \(check.stderr)\nrun: \(run.stderr)")
            #expect(check.stderr.contains("lanes.camera"), "\(check.stderr)")
        }
        // The shipped default config names its source's camera: it passes, from any directory.
        let shipped = try CLI.run(["config", "check", CLI.repo("config/default.yaml")], in: folder)
        #expect(shipped.status == 0, "\(shipped.stderr)")
        #expect(shipped.stdout.contains("camera: \(CLI.repo("config/cameras/udacity-960x540.yaml"))"), "\(shipped.stdout)")
    }
}
