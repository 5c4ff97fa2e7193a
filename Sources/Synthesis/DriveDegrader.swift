import Configuration
import Drives
import Exposure
import Foundation
import Imaging
import Media

/// `clearlane degrade`: reads a video or drive, runs a `Degrader` over every frame and writes a
/// drive with truth (the source frames as clean/, the truth holes as masks/).
public enum DriveDegrader {
    public struct Result: Sendable {
        public var frames: Int
        public var size: ImageSize
        public var labeled: Bool
        public var seconds: Double
    }

    /// `fps`: resample the source to this rate by dropping frames (at most the source's rate;
    /// `keptFrames` says which); events keep their time in seconds. `eventSeconds`: the duration
    /// of a long event (glare-long, flicker).
    public static func degrade(source: String, preset: Preset, seed: UInt64, size wanted: ImageSize?, maxFrames: Int?,
                               labelsPath: String?, out: String, storage: DriveWriter.Storage, command: String,
                               fps wantedFPS: Double? = nil, eventSeconds: Double? = nil) throws -> Result {
        let start = Date()
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: source, isDirectory: &isDirectory) else { throw MediaError.fileNotFound(path: source) }
        let drive = isDirectory.boolValue ? try Drive(folder: source) : nil
        // Replay-style reading: never drop, and be patient on a loaded machine.
        let options = FrameSource.Options(stallTimeout: 120, maxBuffers: 4)
        func open(size: ImageSize?) throws -> FrameSource {
            if let drive { return try drive.openFrames(size: size, options: options) }
            return try FrameSource.file(source, size: size, options: options)
        }
        // First pass, at the native size: count frames and learn the size and rate, so events land
        // inside the clip and `--size` (a box) keeps the source's aspect ratio.
        let probe = try open(size: nil)
        var frame = Frame(image: RGBImage(width: 0, height: 0), pts: nil, index: 0)
        var count = 0
        while try probe.read(into: &frame) {
            count += 1
            if let maxFrames, count >= maxFrames { probe.close(); break }
        }
        guard count > 0, let info = probe.streamInfo else { throw MediaError.unsupportedFormat("\(source) delivered no frames") }
        let native = ImageSize(width: info.width, height: info.height)
        let size = wanted.map { $0.fitting(aspectOf: native) } ?? native
        let fps = drive?.manifest.fps ?? info.fps ?? 30
        let outFPS = wantedFPS ?? fps
        guard outFPS > 0 && outFPS <= fps * (1 + 1e-9) else {
            throw DegradeError(description: "--fps \(EvaluationSet.number(outFPS)) is above the source's \(EvaluationSet.number(fps)) frames/s; degrade only drops frames")
        }
        let kept = keptFrames(count: count, from: fps, to: outFPS)
        let outputIndex = Dictionary(uniqueKeysWithValues: kept.enumerated().map { ($1, $0) })
        // Camera profile: the drive's inline one scaled, or a generic dashcam trapezoid.
        let sourceSize = drive.map { ImageSize(width: $0.manifest.width, height: $0.manifest.height) }
        var profile: CameraProfile
        if case .inline(let p)? = drive?.manifest.camera, let sourceSize {
            profile = scale(p, from: sourceSize, to: size)
        } else if case .named(let name)? = drive?.manifest.camera, let drive, let named = try NamedCamera.find(name, from: drive.folder) {
            profile = scale(named.profile, from: named.size, to: size)
        } else {
            let w = Double(size.width), h = Double(size.height), hy = 0.58 * h
            profile = CameraProfile(roi: [[0, h], [0, 0.86 * h], [0.42 * w, hy + 0.05 * h], [0.58 * w, hy + 0.05 * h], [w, 0.86 * h], [w, h]],
                                    birdseye: [[0.16 * w, 0.95 * h], [0.44 * w, hy + 0.07 * h], [0.56 * w, hy + 0.07 * h], [0.84 * w, 0.95 * h]],
                                    horizonY: hy)
        }
        let plan = DegradePlan(preset: preset, seed: seed, frames: count, size: size, fps: fps, horizonY: profile.horizonY, eventSeconds: eventSeconds)
            .retimed(fps: outFPS, frames: kept.count)
        var degrader = Degrader(plan: plan)
        let roi = PolygonMask.rasterize(profile.roi, size: size)
        let roiCount = max(roi.setCount, 1)
        // Labels: carried over, scaled, only for the frames kept.
        var labels: [LaneLabel]?
        // The drive's own labels in either form it keeps them (labels.json, or CULane labels/
        // resampled at rows as replay reads them); the output has them as labels.json.
        let labelFile = try labelsPath.map { try LaneLabelFile(path: $0) } ?? drive?.loadLabels()
        let video: Bool
        if case .mp4 = storage { video = true } else { video = false }
        if let file = labelFile {
            let from = sourceSize ?? native
            labels = file.byFrame.compactMap { index, label in outputIndex[index].map { ($0, label) } }.sorted { $0.0 < $1.0 }.map { index, label in
                scale(label, index: index, from: from, to: size, video: video)
            }
        }
        let writer = try DriveWriter(folder: out, size: size, fps: outFPS, storage: storage)
        let frames = try open(size: size)
        var holes = Mask(width: size.width, height: size.height, fill: 0)
        var degraded = RGBImage(width: size.width, height: size.height)
        var perFrame: [ExposureLog.FrameExposure] = []
        var index = 0, sourceIndex = -1
        while index < kept.count, try frames.read(into: &frame) {
            sourceIndex += 1
            guard sourceIndex == kept[index] else { continue }
            let exposure = degrader.degrade(frame.image, frame: index, into: &degraded, holes: &holes)
            try writer.write(frame: degraded, clean: frame.image, holes: holes)
            var inside = 0
            for i in 0..<holes.values.count where holes.values[i] != 0 && roi.values[i] != 0 { inside += 1 }
            perFrame.append(.init(frame: index, ev: (log2(exposure.exposure / exposure.converged) * 1000).rounded() / 1000,
                                  roiHoles: (Double(inside) / Double(roiCount) * 10000).rounded() / 10000))
            index += 1
        }
        frames.close()
        let sourceText = drive.map { "\($0.manifest.source) (license: \($0.manifest.license))" } ?? URL(fileURLWithPath: source).lastPathComponent
        let manifest = DriveManifest(
            fps: outFPS, width: size.width, height: size.height, camera: .inline(profile),
            source: "degraded with the ClearLane camera model (\(command)) from: \(sourceText)",
            license: drive?.manifest.license ?? "that of the source footage (\(URL(fileURLWithPath: source).lastPathComponent)); see its SOURCES.md",
            labels: labels == nil ? nil : "carried over from the source (\(drive?.manifest.labels ?? "source labels"))",
            frames: index)
        try writer.finish(manifest: manifest, labels: labels,
                          exposure: ExposureLog(events: DriveSynthesizer.events(plan.events, hunting: plan.hunting, frames: perFrame), frames: perFrame),
                          comment: "Degraded ClearLane drive. Regenerate: \(command)")
        return Result(frames: index, size: size, labeled: labels != nil, seconds: Date().timeIntervalSince(start))
    }

    /// The source frames kept when `count` frames at `from` fps are resampled to `to` fps by
    /// dropping frames: the first frame of each output frame's time slot (every other frame from
    /// 30 to 15 fps; 0, 2, 4, 5, 7, 9, 10 … from 25 to 15). All frames when `to` ≥ `from`.
    public static func keptFrames(count: Int, from: Double, to: Double) -> [Int] {
        guard to < from else { return Array(0..<count) }
        func slot(_ i: Int) -> Int { Int((Double(i) * to / from + 1e-9).rounded(.down)) }
        return (0..<count).filter { $0 == 0 || slot($0) > slot($0 - 1) }
    }

    static func scale(_ p: CameraProfile, from: ImageSize, to: ImageSize) -> CameraProfile {
        let sx = Double(to.width) / Double(from.width), sy = Double(to.height) / Double(from.height)
        func s(_ points: [[Double]]) -> [[Double]] { points.map { [($0[0] * sx * 10).rounded() / 10, ($0[1] * sy * 10).rounded() / 10] } }
        return CameraProfile(roi: s(p.roi), birdseye: s(p.birdseye), horizonY: p.horizonY.map { ($0 * sy * 10).rounded() / 10 })
    }

    /// A label moved to another frame size (x and rows scaled) and named for the output drive.
    public static func scale(_ label: LaneLabel, index: Int, from: ImageSize, to: ImageSize, video: Bool) -> LaneLabel {
        let sx = Double(to.width) / Double(from.width), sy = Double(to.height) / Double(from.height)
        return LaneLabel(rawFile: video ? String(index) : String(format: "frames/%06d.png", index),
                         hSamples: label.hSamples.map { Int((Double($0) * sy).rounded()) },
                         lanes: label.lanes.map { lane in lane.map { $0 < 0 ? LaneLabel.absent : (($0 * sx) * 10).rounded() / 10 } })
    }
}

/// A degrade request that cannot be met (said in the command's terms).
public struct DegradeError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// A camera profile file, config/cameras/NAME.yaml (roi, birdseye, horizon_y in pixels of
/// width × height), found by walking up from a drive folder to the repository's config/, else
/// among the installed profiles (`ResourceLocator`).
struct NamedCamera: Decodable {
    var width: Int
    var height: Int
    var roi: [[Double]]
    var birdseye: [[Double]]
    var horizonY: Double?

    enum CodingKeys: String, CodingKey { case width, height, roi, birdseye, horizonY = "horizon_y" }

    var size: ImageSize { ImageSize(width: width, height: height) }
    var profile: CameraProfile { CameraProfile(roi: roi, birdseye: birdseye, horizonY: horizonY) }

    static func find(_ name: String, from folder: String) throws -> NamedCamera? {
        var dir = URL(fileURLWithPath: folder).standardized
        for _ in 0..<6 {
            let file = dir.appendingPathComponent("config/cameras/\(name).yaml").path
            if FileManager.default.fileExists(atPath: file) {
                return try YAMLLoader(contentsOf: file).decode(NamedCamera.self)
            }
            dir = dir.deletingLastPathComponent()
        }
        // A drive outside the repository: the installed profiles (CLEARLANE_SHARE, next to the executable, …).
        if let file = ResourceLocator.current.locate("\(ResourceLocator.defaultCameras)/\(name).yaml") {
            return try YAMLLoader(contentsOf: file).decode(NamedCamera.self)
        }
        return nil
    }
}
