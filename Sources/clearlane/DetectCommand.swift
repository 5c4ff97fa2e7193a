import ArgumentParser
import Configuration
import Drives
import Evaluation
import Foundation
import Imaging
import Lanes
import Media
import Pipeline

struct DetectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Runs the lane detector on a video or drive; writes overlays and proposed TuSimple labels.",
        discussion: """
            The camera geometry comes from --camera, else the drive's drive.yaml, else it is \
            estimated from the first frames (the lane lines' vanishing point). Lanes are written in \
            the source's native pixels at h_samples rows (default: every 10 rows below the ROI).

            The detector runs with the lanes.detector settings of --config (default: the installed \
            config/default.yaml), as on the vehicle. Its hold and carry times are in seconds, \
            converted at the source's frame rate: the drive's drive.yaml, the video's caps, or \
            --fps for an image folder.

            Example: clearlane detect evaluation/samples/solidWhiteRight --overlays out/overlays --every 10 \\
                       --labels out/proposed.json
            """
    )

    @Argument(help: "A drive folder, video file or image folder.")
    var source: String

    @Option(help: "Camera profile: a name in --cameras or a path to a profile .yaml.")
    var camera: String?

    @Option(help: "Folder of named camera profiles (default: config/cameras of the installed resources: \(DefaultResources.searchHelp)).")
    var cameras: String?

    @Option(help: "Processing box the detector runs in: frames keep their aspect ratio inside it (4:3 in 640x360 runs at 480x360).")
    var size = "640x360"

    @Option(help: "Write an overlay PNG (native size) of every --every'th frame into this folder.")
    var overlays: String?

    @Option(help: "Overlay every N-th frame.")
    var every = 10

    @Option(help: "Write the detected lanes of every frame as TuSimple JSON lines to this file.")
    var labels: String?

    @Option(help: "Keep only these frames in --labels, e.g. '0-40,50,60-80' (default: all frames with lanes).")
    var keep: String?

    @Flag(help: "Also write contact sheets (2×2 overlays at half size, frame numbers in the file name) for reviewing.")
    var sheets = false

    @Option(help: "The YAML config whose lanes.detector settings the detector runs with (default: config/default.yaml of the installed resources; the built-in defaults when none is installed).")
    var config: String?

    @Option(help: "Frame rate of the source, for the detector's hold and carry times in seconds (default: the drive's drive.yaml or the video's caps; 30 for an image folder).")
    var fps: Double?

    @Option(help: "Frames used to estimate a camera profile when there is none.")
    var estimateFrames = 50

    @Option(help: "Stop after this many frames.")
    var maxFrames: Int?

    func run() throws {
        guard let box = ImageSize(parsing: size) else { throw ValidationError("--size must look like 640x360") }
        let keepFrames = try keep.map(Self.parseFrames)
        if let fps, !(fps > 0 && fps <= 240) { throw ValidationError("--fps must be a frame rate in (0, 240], got \(fps)") }
        // The lanes.detector section the vehicle runs with, never the detector's built-in defaults
        // when a config is installed: overlays and proposed labels must show what the product sees.
        var parameters = LaneDetectorParameters()
        if let (file, loaded) = try DefaultResources.optionalConfig(config) {
            parameters = loaded.lanes.detector
            print("detector: lanes.detector of \(file)")
        }
        let drive = Drive.isDrive(source) ? try Drive(folder: source) : nil
        // Decode at native size: overlays and labels are in native pixels.
        var frames: [RGBImage] = []
        let src = try drive?.openFrames() ?? SourceArgument(text: source).open(size: nil, fps: fps ?? 30)
        while let f = try src.next() {
            frames.append(f.image)
            if let maxFrames, frames.count >= maxFrames { src.close(); break }
        }
        guard let first = frames.first else { throw CommandFailure("\(source) has no frames") }
        let rate = fps ?? drive?.manifest.fps ?? src.streamInfo?.fps ?? 30
        let cameras = self.cameras ?? ResourceLocator.current.path(ResourceLocator.defaultCameras)
        let resolved: ResolvedCamera
        if let drive, let r = try CameraProfiles.resolve(drive: drive, override: camera, folder: cameras) {
            resolved = r
        } else if let camera {
            resolved = try CameraProfiles.load(nameOrPath: camera, folder: cameras)
        } else if let r = CameraProfiles.estimate(frames: Array(frames.prefix(estimateFrames))) {
            resolved = r
        } else {
            throw CommandFailure("no camera profile for \(source) and none could be estimated from its frames; pass --camera PROFILE")
        }
        let native = first.size
        let processing = box.fitting(aspectOf: native)
        let nativeGeometry = resolved.geometry.scaled(to: native)
        print("camera: \(resolved.origin)")
        print("  roi: \(nativeGeometry.roi.map { "(\(Int($0.x)),\(Int($0.y)))" }.joined(separator: " "))")
        print("  birdseye: \(nativeGeometry.roadQuad.map { "(\(Int($0.x)),\(Int($0.y)))" }.joined(separator: " "))")
        guard let detector = LaneDetector(geometry: nativeGeometry.scaled(to: processing), parameters: parameters, fps: rate) else {
            throw CommandFailure("camera geometry is unusable: \(nativeGeometry.problem ?? "degenerate")")
        }
        let limits = detector.limits
        print("  rate: \(String(format: "%g", rate)) fps (lanes held \(limits.hold) frames, carried \(limits.carry), held through holes \(limits.holeHold))")
        let rows = LaneReadout.defaultRows(geometry: nativeGeometry)
        var readout = LaneReadout(labelSize: native, processingSize: processing, hSamples: rows)
        if let overlays { try FileManager.default.createDirectory(atPath: overlays, withIntermediateDirectories: true) }
        var small = RGBImage(width: processing.width, height: processing.height)
        var detection = LaneDetection()
        var lanes: [[Double]] = [], confidences: [Double] = []
        var out: [LaneLabel] = []
        var withEgoPair = 0
        var sheet = RGBImage(width: native.width, height: native.height)
        var sheetFrames: [Int] = []
        let isVideo: Bool = { if case .images? = drive?.frames { return false }; return true }()
        for (index, image) in frames.enumerated() {
            Resize.bilinear(image, into: &small)
            detector.detect(small, into: &detection)
            readout.read(detection, from: detector, into: &lanes, confidences: &confidences)
            if detection.lane(.egoLeft) != nil && detection.lane(.egoRight) != nil { withEgoPair += 1 }
            if !lanes.isEmpty, keepFrames?.contains(index) ?? true {
                // One decimal is far below the metric's 15-pixel tolerance and keeps the file readable.
                let rounded = lanes.map { $0.map { $0 < 0 ? $0 : ($0 * 10).rounded() / 10 } }
                out.append(LaneLabel(rawFile: isVideo ? "\(index)" : String(format: "frames/%06d.png", index), hSamples: rows, lanes: rounded))
            }
            if let overlays, index % every == 0 {
                var canvas = image
                Drawing.polygon(&canvas, nativeGeometry.roi, thickness: 1, color: Drawing.blue)
                Drawing.polygon(&canvas, nativeGeometry.roadQuad, thickness: 1, color: Drawing.magenta)
                for lane in lanes { Drawing.lane(&canvas, xs: lane, rows: rows, thickness: 2, dotRadius: 3, color: Drawing.green) }
                // The bird's-eye marking mask and fits in the top-right corner (sky, rarely road):
                // what to look at when a camera profile or threshold needs tuning.
                var inset = detector.birdseyeInset()
                let side = min(native.height / 2, native.width / 3)
                if inset.width != side { inset = Resize.bilinear(inset, to: ImageSize(width: side, height: side * inset.height / inset.width)) }
                Drawing.paste(inset, into: &canvas, x0: native.width - inset.width, y0: 0)
                try ImageFile.writePNG(canvas, to: (overlays as NSString).appendingPathComponent(String(format: "%06d.png", index)))
                if sheets {
                    let half = Resize.bilinear(canvas, to: ImageSize(width: native.width / 2, height: native.height / 2))
                    let k = sheetFrames.count
                    Drawing.paste(half, into: &sheet, x0: (k % 2) * half.width, y0: (k / 2) * half.height)
                    sheetFrames.append(index)
                    if sheetFrames.count == 4 || index + every >= frames.count {
                        let name = "sheet-" + sheetFrames.map { String($0) }.joined(separator: "-") + ".png"
                        try ImageFile.writePNG(sheet, to: (overlays as NSString).appendingPathComponent(name))
                        sheetFrames.removeAll()
                        sheet = RGBImage(width: native.width, height: native.height)
                    }
                }
            }
        }
        print("frames: \(frames.count), ego pair found in \(withEgoPair) (\(String(format: "%.1f", 100 * Double(withEgoPair) / Double(frames.count))) %)")
        if let labels {
            try LaneLabelFile.write(out, to: labels)
            print("wrote \(out.count) label lines to \(labels)")
        }
    }

    static func parseFrames(_ text: String) throws -> Set<Int> {
        var set = Set<Int>()
        for part in text.split(separator: ",") {
            let bounds = part.split(separator: "-").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            if bounds.count == 1, let a = bounds[0] { set.insert(a) } else if bounds.count == 2, let a = bounds[0], let b = bounds[1], a <= b {
                set.formUnion(a...b)
            } else {
                throw ValidationError("--keep: '\(part)' is not a frame or a range like 10-20")
            }
        }
        return set
    }
}
