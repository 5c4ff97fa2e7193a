import ArgumentParser
import Drives
import Foundation
import Imaging
import Synthesis

struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Renders a synthetic drive with exact truth (clean frames, hole masks, lane labels).",
        discussion: """
            Renders a road scene in linear light, films it with the camera model (auto-exposure \
            with lag, noise, bloom, clipping, response curve, 8-bit) and writes a drive folder: \
            frames/ (as filmed), clean/ (same scene at the converged exposure), masks/ (truth holes, \
            255 = hole), labels.json (TuSimple), exposure.json, drive.yaml (with the camera profile). \
            The same preset, seed, frame count, size, fps and event duration always give a \
            byte-identical drive.

            Presets: \(Preset.allCases.map { "\n  \($0.rawValue): \($0.summary)" }.joined())

            Example: clearlane synth --preset tunnel-exit --seed 7 --frames 90 --size 640x360 --out /tmp/tunnel-exit-7
                     clearlane synth --preset glare-long --event-seconds 2.7 --fps 15 --frames 90 --out /tmp/glare-15fps
            """
    )

    @Option(help: "Scenario preset (\(Preset.names)).")
    var preset: String

    @Option(help: "Random seed; the drive is a pure function of preset, seed, frames, size, fps and event seconds.")
    var seed: UInt64 = 1

    @Option(help: "Number of frames (--fps per second).")
    var frames: Int = 90

    @Option(help: "Frame rate, 10…60. Events and motion are in seconds: the same seed at 15 and 30 fps (with half the frames) is the same drive in time.")
    var fps: Double = 30

    @Option(help: "Duration in seconds of a long event (glare-long, flicker); default: drawn from the seed.")
    var eventSeconds: Double?

    @Option(help: "Frame size WxH.")
    var size: String = "640x360"

    @Option(help: "Output drive folder: written beside it and moved there when complete; an earlier drive there is replaced only then.")
    var out: String?

    @Flag(help: "Render only (no files) and print render speed; with --out, also time the writing.")
    var benchmark = false

    func run() throws {
        guard let preset = Preset(rawValue: preset) else {
            throw ValidationError("--preset '\(self.preset)' is not a preset; use one of: \(Preset.names)")
        }
        guard let size = ImageSize(parsing: size), size.width >= 64, size.height >= 36, size.width <= 4096, size.height <= 4096 else {
            throw ValidationError("--size must look like 640x360 (64x36 … 4096x4096), got '\(self.size)'")
        }
        // GStreamer pads RGB rows to 4 bytes; packed frames of other widths cannot be encoded.
        guard size.width % 4 == 0 else { throw ValidationError("--size width must be a multiple of 4 (e.g. 640x360, 1280x720), got \(size.width)") }
        guard (1...100_000).contains(frames) else { throw ValidationError("--frames must be 1…100000, got \(frames)") }
        guard out != nil || benchmark else { throw ValidationError("--out DIR is required (or --benchmark to render without writing)") }
        guard (10...60).contains(fps) else { throw ValidationError("--fps must be 10…60, got \(fps)") }
        if let eventSeconds, !(eventSeconds > 0 && eventSeconds <= 60) { throw ValidationError("--event-seconds must be in (0, 60], got \(eventSeconds)") }
        let scenario = Scenario(preset: preset, seed: seed, frames: frames, fps: fps, eventSeconds: eventSeconds)
        let synthesizer = DriveSynthesizer(scenario: scenario, size: size)
        let command = SynthCommand.commandLine(preset: preset, seed: seed, frames: frames, size: size, fps: fps, eventSeconds: eventSeconds)
        let timing: DriveSynthesizer.Timing
        do {
            if let out {
                let staged = try StagedOutput(target: out, flag: "--out", inputs: [], kind: "drive folder", isEarlierOutput: Drive.isReplaceableOutput)
                timing = try staged.write { try synthesizer.synthesize(into: $0, command: command) }
            } else {
                timing = try synthesizer.synthesize(into: nil, command: command)
            }
        } catch {
            throw CommandFailure("synth: \(error)")
        }
        let renderFPS = Double(timing.frames) / max(timing.renderSeconds, 1e-9)
        if benchmark {
            let cpu = 1000 * timing.renderCPUSeconds / Double(timing.frames)
            print(String(format: "synth %@ %@: %d frames, render %.1f frames/s (%.1f ms/frame wall, %.1f ms/frame CPU → %.1f frames/s on 2 idle cores), write %.1f ms/frame, total %.1f frames/s, %d threads",
                         preset.rawValue, size.description, timing.frames, renderFPS, 1000 * timing.renderSeconds / Double(timing.frames),
                         cpu, 2000 / max(cpu, 1e-9),
                         1000 * timing.writeSeconds / Double(timing.frames), Double(timing.frames) / max(timing.totalSeconds, 1e-9),
                         ParallelRowsInfo.workers))
        } else if let out {
            print(String(format: "wrote %@: %d frames %@, %.1f frames/s", out, timing.frames, size.description,
                         Double(timing.frames) / max(timing.totalSeconds, 1e-9)))
        }
    }
}

extension SynthCommand {
    /// The command that regenerates a drive (written into its drive.yaml); options at their
    /// defaults are left out, so earlier drives keep their text.
    static func commandLine(preset: Preset, seed: UInt64, frames: Int, size: ImageSize, fps: Double, eventSeconds: Double?) -> String {
        EvaluationSet.synthCommand(preset: preset, seed: seed, frames: frames, size: size, fps: fps == 30 ? nil : fps, eventSeconds: eventSeconds)
    }
}

import Exposure
enum ParallelRowsInfo { static var workers: Int { ParallelRows.workers } }
