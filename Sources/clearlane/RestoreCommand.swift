import ArgumentParser
import Configuration
import Daemon
import Drives
import Evaluation
import Foundation
import Imaging
import Lanes
import Media
import Pipeline

/// `clearlane restore`: a recording in, the same recording with its exposure holes filled out, at
/// the recording's own size. The frames go through the daemon's pipeline (`FrameProcessorFactory`,
/// the config's exposure, restorer and lanes sections) at the processing size; only the hole pixels
/// of the output are replaced (by the restored frame, upsampled), so every pixel the camera filmed
/// well keeps its native bytes.
struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restores the exposure holes of a recording into a video file or an image folder, at native size.",
        discussion: """
            INPUT is a video file, a drive folder or a folder of numbered images. --out ending in \
            .mp4 or .mkv writes H.264 video (--lossless: FFV1 in .mkv); any other --out is a folder \
            of PNG files (000000.png, …). The output is written beside the target and moved there \
            when complete; an input is never overwritten. The camera profile is --camera, else the \
            drive's, else estimated from the first frames. Progress with ETA goes to stderr.

            Example: clearlane restore evaluation/samples/solidWhiteRight-tunnel-exit --out out/restored.mp4 --overlay --lanes out/lanes.jsonl
            """
    )

    @Argument(help: "A video file, drive folder or folder of numbered images.")
    var input: String

    @Option(help: "Output: a .mp4 or .mkv file, or a folder for PNG frames.")
    var out: String

    @Option(help: "The YAML config file (its exposure:, restorer: and lanes: sections and processing box). Default: config/default.yaml of the installed resources.")
    var config: String?

    @Option(help: "Camera profile: a name in --cameras or a path to a profile .yaml (default: the drive's, else estimated).")
    var camera: String?

    @Option(help: "Folder of named camera profiles (default: config/cameras of the installed resources).")
    var cameras: String?

    @Flag(help: "Draw the detected lanes (and outline nothing else) on the output frames.")
    var overlay = false

    @Option(help: "Also write the lanes of every frame to this file as JSON lines (the daemon's clearlane.lanes/2 records, native pixels).")
    var lanes: String?

    @Flag(help: "With a .mkv output: lossless FFV1 instead of H.264.")
    var lossless = false

    @Option(help: "Stop after this many frames.")
    var maxFrames: Int?

    @Option(help: "Frames used to estimate a camera profile when there is none.")
    var estimateFrames = 50

    @Flag(help: "No progress on stderr.")
    var quiet = false

    func validate() throws {
        if let maxFrames, maxFrames < 1 { throw ValidationError("--max-frames must be at least 1") }
        if lossless, Output.kind(of: out) != .mkv { throw ValidationError("--lossless needs a .mkv --out") }
    }

    func run() throws {
        let configPath = try DefaultResources.configFile(config)
        let loaded: LoadedConfig
        do { loaded = try LoadedConfig.load(configPath) } catch { throw CommandFailure("\(error)") }
        let drive = Drive.isDrive(input) ? try Drive(folder: input) : nil
        var inputs = drive.map { StagedOutput.driveInputs($0.folder, role: "the input drive") } ?? [(input, "the input")]
        inputs.append((configPath, "--config"))
        do {
            try StagedOutput.checkDisjoint(output: StagedOutput.canonical(out), given: out, flag: "--out", inputs: inputs)
            if let lanes { try StagedOutput.checkDisjoint(output: StagedOutput.canonical(lanes), given: lanes, flag: "--lanes", inputs: inputs) }
        } catch { throw CommandFailure("\(error)") }

        let source = try drive?.openFrames() ?? SourceArgument(text: input).open(size: nil)
        defer { source.close() }
        // Frames read ahead: the first one always (its size), the first `estimateFrames` when the
        // camera profile must be estimated from them.
        var ahead: [Frame] = []
        let camera = try resolveCamera(drive: drive, source: source, ahead: &ahead)
        guard let first = ahead.first else { throw CommandFailure("\(input) has no frames") }
        let native = first.image.size
        try checkAspect(camera: camera, native: native)
        let fps = drive?.manifest.fps ?? source.streamInfo?.fps ?? loaded.config.processing.fps
        let processor: PipelineFrameProcessor
        do { processor = try FrameProcessorFactory.make(loaded, camera: camera, fps: fps) } catch { throw CommandFailure("\(error)") }

        let output = try Output(target: out, kind: Output.kind(of: out), lossless: lossless, templates: loaded.templates, inputs: inputs)
        let lanesFile = try lanes.map { try StagedFile(target: $0, flag: "--lanes") }
        var restorer = NativeSizeRestorer(processor: processor, native: native)
        let progress = RestoreProgress(total: maxFrames.map { min($0, expectedFrames(drive: drive, source: source, fps: fps) ?? $0) }
                                           ?? expectedFrames(drive: drive, source: source, fps: fps),
                                       quiet: quiet)
        var tally = OutcomeTally()
        var record: [UInt8] = []
        var frame = Frame(image: RGBImage(width: 0, height: 0), pts: nil, index: 0)
        var sink: FrameSink?
        let started = Date()
        do {
            sink = try FrameSink(pipeline: FrameSink.appSrcHead(output.sinkFragment), size: native, fps: fps)
            var index = 0
            while maxFrames.map({ index < $0 }) ?? true {
                if !ahead.isEmpty { frame = ahead.removeFirst() } else if try !source.read(into: &frame) { break }
                guard frame.image.size == native else {
                    throw CommandFailure("frame \(index) is \(frame.image.size), the recording started at \(native); a recording must keep one size")
                }
                let result = restorer.restore(&frame)
                tally.count(result.restoration)
                if overlay { Self.drawLanes(result, on: &frame.image) }
                try sink?.write(frame.image, pts: frame.pts)
                if let lanesFile {
                    Self.record(result, frame: index, pts: frame.pts, into: &record)
                    record.append(UInt8(ascii: "\n"))
                    try lanesFile.append(record)
                }
                index += 1
                progress.frame(index)
            }
            try sink?.finish()
            progress.finish()
            try output.commit()
            try lanesFile?.commit()
        } catch {
            progress.finish()
            try? sink?.finish(timeout: 10)
            output.discard()
            lanesFile?.discard()
            throw CommandFailure("\(error) (nothing written to \(out); an earlier \(out) is left as it was)")
        }
        let seconds = Date().timeIntervalSince(started)
        print("camera: \(camera.origin); processing \(processor.frameSize) → output \(native) at \(String(format: "%.3g", fps)) fps")
        print(String(format: "%d frames in %.1f s (%.1f frames/s): %@", tally.frames, seconds, Double(tally.frames) / max(seconds, 1e-9),
                     tally.summary))
        print("wrote \(out)" + (lanes.map { " and \($0)" } ?? ""))
    }

    // MARK: Parts

    private func resolveCamera(drive: Drive?, source: FrameSource, ahead: inout [Frame]) throws -> ResolvedCamera {
        func readAhead(_ count: Int) throws {
            while ahead.count < count, let frame = try source.next() { ahead.append(frame) }
        }
        try readAhead(1)
        let folder = cameras ?? ResourceLocator.current.path(ResourceLocator.defaultCameras)
        do {
            if let drive, let resolved = try CameraProfiles.resolve(drive: drive, override: camera, folder: folder) { return resolved }
            if let camera { return try CameraProfiles.load(nameOrPath: camera, folder: folder) }
        } catch { throw CommandFailure("\(error)") }
        try readAhead(max(1, estimateFrames))
        guard let estimated = CameraProfiles.estimate(frames: ahead.map(\.image)) else {
            throw CommandFailure("no camera profile for \(input) and none could be estimated from its first \(ahead.count) frames; pass --camera PROFILE")
        }
        return estimated
    }

    /// The pipeline runs at the camera profile's aspect ratio; a recording of another shape would
    /// be stretched into it and its holes pasted back misplaced.
    private func checkAspect(camera: ResolvedCamera, native: ImageSize) throws {
        let profile = camera.geometry.imageSize
        let a = Double(profile.width) / Double(profile.height), b = Double(native.width) / Double(native.height)
        guard abs(a - b) / b <= 0.01 else {
            throw CommandFailure("the camera profile (\(camera.origin)) is for \(profile) frames, the recording is \(native): "
                                 + "pass --camera with a profile of this camera (or leave it out to estimate one)")
        }
    }

    private func expectedFrames(drive: Drive?, source: FrameSource, fps: Double) -> Int? {
        if case .images(let sequence)? = drive?.frames { return sequence.count }
        if drive == nil, let sequence = try? NumberedImageSequence(folder: input) { return sequence.count }
        guard let nanoseconds = source.duration(), nanoseconds > 0, nanoseconds < UInt64.max / 2 else { return nil }
        return Int((Double(nanoseconds) / 1e9 * fps).rounded())
    }

    /// Lanes in native pixels (the record's size is the camera profile's, the same shape).
    private static func drawLanes(_ result: ProcessedFrame, on image: inout RGBImage) {
        let size = result.size ?? image.size
        let sx = Double(image.width) / Double(size.width), sy = Double(image.height) / Double(size.height)
        let rows = result.hSamples.map { Int((Double($0) * sy).rounded()) }
        let thickness = max(2, image.width / 320)
        for lane in result.lanes {
            Drawing.lane(&image, xs: lane.xs.map { $0 < 0 ? $0 : $0 * sx }, rows: rows, thickness: thickness, dotRadius: thickness + 1,
                         color: Drawing.green)
        }
    }

    private static func record(_ result: ProcessedFrame, frame: Int, pts: UInt64?, into buffer: inout [UInt8]) {
        let size = result.size ?? ImageSize(width: 0, height: 0)
        LaneRecord(frame: frame, ptsNs: pts, width: size.width, height: size.height, hSamples: result.hSamples,
                   lanes: result.lanes.map { LaneRecord.Lane(x: $0.xs, confidence: $0.confidence) },
                   restored: result.restoration == .restored, restoration: result.restoration.rawValue,
                   holeCoverage: result.holeCoverage, latencyMs: 0).encodeJSON(into: &buffer)
    }
}

/// The pipeline at the processing size, its fill pasted into the native-size frame: the native
/// frame is reduced, processed, and where the pipeline found holes (and restored them), the
/// restored frame, upsampled, replaces the native pixels. Buffers are reused frame to frame.
struct NativeSizeRestorer {
    let processor: PipelineFrameProcessor
    let native: ImageSize
    private var work: Frame
    private var upsampled: RGBImage

    init(processor: PipelineFrameProcessor, native: ImageSize) {
        self.processor = processor
        self.native = native
        let size = processor.frameSize
        work = Frame(image: RGBImage(width: size.width, height: size.height), pts: nil, index: 0)
        upsampled = RGBImage(width: native.width, height: native.height)
    }

    /// Restores `frame` (native size) in place; returns the processed frame's lanes and outcome.
    mutating func restore(_ frame: inout Frame) -> ProcessedFrame {
        Resize.bilinear(frame.image, into: &work.image)
        work.pts = frame.pts
        work.index = frame.index
        let result = processor.process(&work, budget: .infinity)
        guard result.restoration == .restored || result.restoration == .copiedLast else { return result }
        Resize.bilinear(work.image, into: &upsampled)
        let holes = processor.pipeline.holes
        let (fw, fh, sw, sh) = (native.width, native.height, holes.width, holes.height)
        holes.values.withUnsafeBufferPointer { h in
            upsampled.pixels.withUnsafeBufferPointer { u in
                frame.image.pixels.withUnsafeMutableBufferPointer { px in
                    for y in 0..<fh {
                        let row = min(sh - 1, y * sh / fh) * sw
                        for x in 0..<fw where h[row + min(sw - 1, x * sw / fw)] != 0 {
                            let i = 3 * (y * fw + x)
                            px[i] = u[i]; px[i + 1] = u[i + 1]; px[i + 2] = u[i + 2]
                        }
                    }
                }
            }
        }
        return result
    }
}

/// Frames per restoration outcome, for the closing line.
struct OutcomeTally {
    private(set) var frames = 0
    private var counts: [RestorationOutcome: Int] = [:]

    mutating func count(_ outcome: RestorationOutcome) {
        frames += 1
        counts[outcome, default: 0] += 1
    }

    var summary: String {
        let order: [RestorationOutcome] = [.restored, .copiedLast, .notNeeded, .skippedNoReferences, .skippedDeadline, .disabled]
        return order.compactMap { o in counts[o].map { "\($0) \(o.rawValue)" } }.joined(separator: ", ")
    }
}

/// The output of `restore`: a video file or a folder of PNG frames, written to a staging path
/// beside the target and moved onto it when complete.
struct Output {
    enum Kind: Equatable { case mp4, mkv, folder }
    let sinkFragment: String
    private let staging: String
    private let target: String
    private let folder: StagedOutput?

    static func kind(of path: String) -> Kind {
        switch (path as NSString).pathExtension.lowercased() {
        case "mp4": return .mp4
        case "mkv": return .mkv
        default: return .folder
        }
    }

    init(target: String, kind: Kind, lossless: Bool, templates: PipelineTemplateLibrary, inputs: [(path: String, role: String)]) throws {
        self.target = target
        let name: String, values: [String: String]
        do {
            switch kind {
            case .folder:
                let ext = (target as NSString).pathExtension.lowercased()
                if ["avi", "webm", "mov", "ts", "h264"].contains(ext) {
                    throw CommandFailure("--out \(target): .\(ext) is not written; use .mp4, .mkv or a folder for PNG frames")
                }
                let staged = try StagedOutput(target: target, flag: "--out", inputs: inputs, kind: "restored frames folder") { folder in
                    // Only a folder of numbered PNGs (an earlier restore) is replaced.
                    ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).allSatisfy { $0.hasSuffix(".png") && Int($0.dropLast(4)) != nil }
                }
                folder = staged
                staging = staged.staging
                name = "png-files"
                values = ["pattern": (staged.staging as NSString).appendingPathComponent("%06d.png")]
            case .mp4, .mkv:
                let staged = try StagedFile(target: target, flag: "--out")
                folder = nil
                staging = staged.staging
                name = kind == .mp4 ? "mp4" : (lossless ? "mkv-lossless" : "mkv")
                values = ["location": staged.staging]
            }
        } catch let failure as CommandFailure { throw failure } catch { throw CommandFailure("\(error)") }
        guard let template = templates.template(named: name, kind: .sink) else {
            throw CommandFailure("the pipeline template '\(name)' is missing from \(templates.directory)")
        }
        sinkFragment = try template.instantiate(values, baseDirectory: FileManager.default.currentDirectoryPath, at: ["--out"], in: nil)
    }

    func commit() throws {
        if let folder { try folder.commit() } else { try StagedFile.move(staging, onto: target) }
    }

    func discard() {
        if let folder { folder.discard() } else { try? FileManager.default.removeItem(atPath: staging) }
    }
}

/// A single output file written as `.NAME.partial-PID` beside its target and renamed onto it when
/// complete, so a failed run leaves an earlier file as it was.
final class StagedFile {
    let target: String
    let staging: String
    private var handle: FileHandle?

    init(target: String, flag: String) throws {
        self.target = target
        let out = StagedOutput.canonical(target)
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: out, isDirectory: &isDirectory), isDirectory.boolValue {
            throw CommandFailure("\(flag) \(target) is a folder; give a file name")
        }
        let parent = (out as NSString).deletingLastPathComponent
        do { try fm.createDirectory(atPath: parent, withIntermediateDirectories: true) } catch {
            throw CommandFailure("\(flag) \(target): cannot create its folder \(parent): \(error.localizedDescription)")
        }
        staging = (parent as NSString).appendingPathComponent(".\((out as NSString).lastPathComponent).partial-\(getpid())")
        guard fm.createFile(atPath: staging, contents: nil) else {
            throw CommandFailure("\(flag) \(target): cannot write in \(parent)")
        }
    }

    /// Appends bytes (the lanes file; a video's staging file is written by its sink).
    func append(_ bytes: [UInt8]) throws {
        if handle == nil { handle = try FileHandle(forWritingTo: URL(fileURLWithPath: staging)) }
        try handle?.write(contentsOf: bytes)
    }

    func commit() throws {
        try handle?.close()
        handle = nil
        try Self.move(staging, onto: target)
    }

    func discard() {
        try? handle?.close()
        handle = nil
        try? FileManager.default.removeItem(atPath: staging)
    }

    /// rename(2): atomic within the folder, replacing an earlier file.
    static func move(_ staging: String, onto target: String) throws {
        guard rename(staging, StagedOutput.canonical(target)) == 0 else {
            throw CommandFailure("cannot move the finished output onto \(target): \(String(cString: strerror(errno)))")
        }
    }
}

/// Progress of one recording on stderr: a line redrawn in place on a terminal, a plain line every
/// 10 s otherwise (logs, CI); frames done of the expected total and the time left.
final class RestoreProgress {
    private let total: Int?
    private let terminal: Bool
    private let quiet: Bool
    private let started = Date()
    private var shownAt = Date()
    private var drawn = false

    init(total: Int?, quiet: Bool) {
        self.total = total
        self.quiet = quiet
        terminal = isatty(STDERR_FILENO) != 0
    }

    func frame(_ done: Int) {
        guard !quiet else { return }
        let now = Date()
        guard now.timeIntervalSince(shownAt) >= (terminal ? 0.2 : 10) else { return }
        shownAt = now
        let elapsed = now.timeIntervalSince(started)
        var line = total.map { "\(done)/\($0) frames (\(100 * done / max($0, 1)) %)" } ?? "\(done) frames"
        line += String(format: ", %.1f frames/s", Double(done) / max(elapsed, 1e-9))
        if let total, done > 0 { line += ", ETA \(ReplayProgress.duration(max(0, Double(total - done)) * elapsed / Double(done)))" }
        FileHandle.standardError.write(Data((terminal ? "\r" + line + "\u{1B}[K" : line + "\n").utf8))
        drawn = terminal
    }

    func finish() {
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        drawn = false
    }
}
