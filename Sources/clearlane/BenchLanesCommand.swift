import ArgumentParser
import Configuration
import Drives
import Evaluation
import Foundation
import Imaging
import Lanes
import NeuralEngine

/// Times the lane detector, which the daemon runs twice on every frame with restoration (the
/// frame as filmed and as restored) and which, with the hole detector, decides how much of a
/// frame's budget the CPNet gets (decision 0036's profile).
struct BenchLanesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lanes",
        abstract: "Times the lane detector (LaneDetector.detect) per frame on a drive's frames.",
        discussion: """
            Decodes the first --frames frames of DRIVE, resizes them to the processing size and \
            runs one detector over them in order --iterations times (its tracks carry from frame \
            to frame, as on the vehicle), after one untimed pass. Single-threaded, as in the \
            pipeline. The camera profile is the drive's (drive.yaml), else --camera.

            Example: clearlane bench lanes evaluation/samples/solidWhiteRight-tunnel-exit --frames 120
            """
    )

    @Argument(help: "A drive folder (video or frames, with drive.yaml naming its camera).")
    var drive: String

    @Option(help: "Camera profile: a name in --cameras or a path to a profile .yaml (default: the drive's).")
    var camera: String?

    @Option(help: "Folder of named camera profiles (default: config/cameras of the installed resources: \(DefaultResources.searchHelp)).")
    var cameras: String?

    @Option(help: "Processing box: frames keep their aspect ratio inside it.")
    var size: String = "640x360"

    @Option(help: "Frames of the drive to detect on.")
    var frames: Int = 120

    @Option(help: "Timed passes over the frames.")
    var iterations: Int = 5

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        guard let box = ImageSize(parsing: size) else { throw ValidationError("--size must look like 640x360, got '\(size)'") }
        guard frames >= 1, iterations >= 1 else { throw ValidationError("--frames and --iterations must be at least 1") }
        guard Drive.isDrive(drive) else { throw CommandFailure("\(drive) is not a drive folder (no drive.yaml, video or frames/)") }
        let folder = try Drive(folder: drive)
        let cameras = self.cameras ?? ResourceLocator.current.path(ResourceLocator.defaultCameras)
        guard let resolved = try CameraProfiles.resolve(drive: folder, override: camera, folder: cameras) else {
            throw CommandFailure("\(drive) names no camera profile; pass --camera PROFILE")
        }
        var images: [RGBImage] = []
        let source = try folder.openFrames()
        while images.count < frames, let frame = try source.next() { images.append(frame.image) }
        source.close()
        guard let first = images.first else { throw CommandFailure("\(drive) has no frames") }
        let processing = box.fitting(aspectOf: first.size)
        let geometry = resolved.geometry.scaled(to: first.size).scaled(to: processing)
        guard let detector = LaneDetector(geometry: geometry) else {
            throw CommandFailure("camera geometry is unusable: \(geometry.problem ?? "degenerate")")
        }
        let small = images.map { Resize.bilinear($0, to: processing) }
        var detection = LaneDetection()
        var egoPairs = 0
        for image in small {
            detector.detect(image, into: &detection)
            if detection.lane(.egoLeft) != nil && detection.lane(.egoRight) != nil { egoPairs += 1 }
        }
        var times: [Double] = []
        times.reserveCapacity(iterations * small.count)
        for _ in 0..<iterations {
            for image in small {
                let start = Clock.seconds()
                detector.detect(image, into: &detection)
                times.append(1000 * (Clock.seconds() - start))
            }
        }
        let summary = FrameTimes(times)
        let egoShare = Double(egoPairs) / Double(small.count)
        if json {
            print("{\"drive\": \"\(drive)\", \"size\": \"\(processing)\", \"frames\": \(small.count), \"iterations\": \(iterations), "
                  + "\(summary.jsonFields), \"ego_pair_share\": \(FrameTimes.rounded(egoShare))}")
        } else {
            print("LaneDetector, \(processing), \(small.count) frames of \(drive) × \(iterations), camera \(resolved.origin)")
            print("  " + summary.line + String(format: "; ego pair on %.0f %% of the frames (untimed pass)", 100 * egoShare))
        }
    }
}
