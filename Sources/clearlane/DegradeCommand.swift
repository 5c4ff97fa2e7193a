import ArgumentParser
import Drives
import Exposure
import Foundation
import Imaging
import Media
import Synthesis

struct DegradeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "degrade",
        abstract: "Films real footage again through the camera model with an exposure event, keeping the original as truth.",
        discussion: """
            SOURCE is a video file or a drive folder. Each frame is linearized, the preset's event \
            modulates its light (tunnel, bridge shadow, low sun, night headlights, exposure hunting), \
            and the camera model re-exposes it with auto-exposure lag, noise, bloom and clipping. \
            Writes a drive folder: frames/ (degraded), clean/ (the source frames, at --size), \
            masks/ (truth holes, 255 = hole), exposure.json, drive.yaml, and labels.json when the \
            source has labels (a drive folder's labels.json or --labels), scaled to --size.

            Presets: \(Preset.names)

            Example: clearlane degrade evaluation/samples/solidWhiteRight.mp4 --preset tunnel-exit --seed 3 --size 640x360 --out /tmp/swr-tunnel-exit
                     clearlane degrade evaluation/samples/challenge --preset glare-long --event-seconds 2.7 --fps 15 --size 640x360 --out /tmp/ch-glare
            """
    )

    @Argument(help: "Video file or drive folder.")
    var source: String

    @Option(help: "Event preset (\(Preset.names)).")
    var preset: String

    @Option(help: "Random seed (event time, tunnel darkness, exposure speed, noise).")
    var seed: UInt64 = 1

    @Option(help: "Output drive folder: written beside it and moved there when complete; an earlier drive there is replaced only then. Never the source, inside it, or around it.")
    var out: String

    @Option(help: "Frame size box WxH: the largest size with the source's aspect ratio inside it (default: the source's size).")
    var size: String?

    @Option(help: "Use only the first N frames of the source.")
    var frames: Int?

    @Option(help: "TuSimple labels of the source (default: the drive folder's labels.json).")
    var labels: String?

    @Option(help: "Resample to this frame rate by dropping frames (at most the source's; labels go with the kept frames, events keep their time in seconds).")
    var fps: Double?

    @Option(help: "Duration in seconds of a long event (glare-long, flicker); default: drawn from the seed.")
    var eventSeconds: Double?

    @Flag(help: "Store frames and clean frames as H.264 video.mp4 / clean.mp4 (smaller) instead of PNG folders.")
    var video = false

    func run() throws {
        guard let preset = Preset(rawValue: preset) else {
            throw ValidationError("--preset '\(self.preset)' is not a preset; use one of: \(Preset.names)")
        }
        var target: ImageSize?
        if let size {
            guard let parsed = ImageSize(parsing: size), parsed.width >= 64, parsed.height >= 36 else {
                throw ValidationError("--size must look like 640x360, got '\(size)'")
            }
            guard parsed.width % 4 == 0 else { throw ValidationError("--size width must be a multiple of 4 (GStreamer pads RGB rows to 4 bytes), got \(parsed.width)") }
            target = parsed
        }
        if let frames, frames < 1 { throw ValidationError("--frames must be at least 1") }
        if let fps, !(1...60).contains(fps) { throw ValidationError("--fps must be 1…60 (and at most the source's rate), got \(fps)") }
        if let eventSeconds, !(eventSeconds > 0 && eventSeconds <= 60) { throw ValidationError("--event-seconds must be in (0, 60], got \(eventSeconds)") }
        // Never onto (or into, or around) what is read; written beside --out and moved onto it when complete.
        var inputs = StagedOutput.driveInputs(source, role: "SOURCE")
        if let labels { inputs.append((labels, "--labels")) }
        let staged: StagedOutput
        do {
            staged = try StagedOutput(target: out, flag: "--out", inputs: inputs, kind: "drive folder", isEarlierOutput: Drive.isReplaceableOutput)
        } catch {
            throw CommandFailure("degrade: \(error)")
        }
        do {
            let result = try staged.write { folder in
                try DriveDegrader.degrade(
                    source: source, preset: preset, seed: seed, size: target, maxFrames: frames, labelsPath: labels,
                    out: folder, storage: video ? .mp4(quantizer: 16) : .png(compression: 2),
                    command: "clearlane degrade \(source) --preset \(preset.rawValue) --seed \(seed)"
                        + (size.map { " --size \($0)" } ?? "") + (frames.map { " --frames \($0)" } ?? "")
                        + (fps.map { " --fps \(EvaluationSet.number($0))" } ?? "") + (eventSeconds.map { " --event-seconds \(EvaluationSet.number($0))" } ?? ""),
                    fps: fps, eventSeconds: eventSeconds)
            }
            print(String(format: "wrote %@: %d frames %@%@, %.1f frames/s", out, result.frames, result.size.description,
                         result.labeled ? ", labels carried over" : "", Double(result.frames) / max(result.seconds, 1e-9)))
        } catch let error as ValidationError {
            throw error
        } catch {
            throw CommandFailure("degrade: \(error)")
        }
    }
}
