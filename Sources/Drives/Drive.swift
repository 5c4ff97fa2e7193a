import Configuration
import Foundation
import Imaging
import Media

/// A drive folder on disk (docs/guides/drives.md): drive.yaml, the frames (video file or frames/),
/// and optionally labels (labels.json in TuSimple JSON lines, or labels/ with CULane
/// NNNNNN.lines.txt files, not both), clean/, masks/, exposure.json.
public struct Drive: Sendable {
    public let folder: String
    public let manifest: DriveManifest

    public enum Frames: Sendable, Equatable {
        case video(String)
        case images(NumberedImageSequence)
    }

    public let frames: Frames

    public var name: String { URL(fileURLWithPath: folder).lastPathComponent }
    public var manifestPath: String { path("drive.yaml") }
    /// labels.json (TuSimple JSON lines), when the drive has it.
    public var labelsPath: String? { existing("labels.json") }
    /// labels/ (CULane NNNNNN.lines.txt per labeled frame), when the drive has it.
    public var culaneLabelsFolder: String? { existingFolder("labels") }
    public var exposurePath: String? { existing("exposure.json") }
    public var cleanFolder: String? { existingFolder("clean") }
    /// clean.mkv / clean.mp4: the clean frames as one video (smaller samples), when the drive has it.
    public var cleanVideo: String? { ["clean.mkv", "clean.mp4"].lazy.compactMap { existing($0) }.first }
    public var masksFolder: String? { existingFolder("masks") }

    /// True when `folder` looks like a drive (has drive.yaml).
    public static func isDrive(_ folder: String) -> Bool {
        FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent("drive.yaml"))
    }

    public init(folder: String) throws {
        self.folder = folder
        let manifestPath = (folder as NSString).appendingPathComponent("drive.yaml")
        guard FileManager.default.fileExists(atPath: manifestPath) else {
            throw ConfigError(file: manifestPath, keyPath: "", line: nil,
                              message: "not found: a drive folder needs drive.yaml (fps, width, height, source, license)")
        }
        self.manifest = try DriveManifest.parse(YAMLLoader(contentsOf: manifestPath))
        let fm = FileManager.default
        if let video = ["video.mkv", "video.mp4", "video.avi", "video.webm"]
            .map({ (folder as NSString).appendingPathComponent($0) }).first(where: { fm.fileExists(atPath: $0) }) {
            frames = .video(video)
        } else {
            let framesFolder = (folder as NSString).appendingPathComponent("frames")
            guard fm.fileExists(atPath: framesFolder) else {
                throw MediaError.fileNotFound(path: "\(folder)/video.mkv, video.mp4 or frames/ (a drive needs its frames)")
            }
            frames = .images(try NumberedImageSequence(folder: framesFolder))
        }
    }

    public func path(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }

    /// The drive's labels: labels.json (TuSimple) or labels/ (CULane, resampled at every 10th row
    /// from the top-most labeled y to the bottom, see `LaneLabelFile.init(culaneFolder:imageHeight:)`);
    /// nil without labels. Malformed labels throw a `LaneLabelFile.Problem` naming file and line.
    public func loadLabels() throws -> LaneLabelFile? {
        switch (labelsPath, culaneLabelsFolder) {
        case (let json?, nil):
            return try LaneLabelFile(path: json)
        case (nil, let culane?):
            return try LaneLabelFile(culaneFolder: culane, imageHeight: manifest.height)
        case (let json?, _?):
            throw LaneLabelFile.Problem(file: json, line: 0, message: "and labels/ (CULane) are both present; a drive keeps its labels in one of them")
        case (nil, nil):
            return nil
        }
    }

    /// Opens the drive's frames, scaled to `size` (native when nil).
    public func openFrames(size: ImageSize? = nil, options: FrameSource.Options = .init()) throws -> FrameSource {
        switch frames {
        case .video(let path):
            return try FrameSource.file(path, size: size, options: options)
        case .images(let sequence):
            return try FrameSource.imageFolder(sequence.folder, fps: manifest.fps, size: size, options: options)
        }
    }

    /// Opens the well-exposed truth (`clean/`, or `clean.mkv` / `clean.mp4`), when the drive has it.
    public func openCleanFrames(size: ImageSize? = nil, options: FrameSource.Options = .init()) throws -> FrameSource? {
        if let clean = cleanFolder { return try FrameSource.imageFolder(clean, fps: manifest.fps, size: size, options: options) }
        if let video = cleanVideo { return try FrameSource.file(video, size: size, options: options) }
        return nil
    }

    /// Opens `masks/` (truth holes, grey PNG, 255 = hole) as RGB frames; turn each into a `Mask`
    /// with `Drive.mask(from:into:)`. Scaling uses nearest-neighbour-like thresholding afterwards.
    public func openMasks(size: ImageSize? = nil, options: FrameSource.Options = .init()) throws -> FrameSource? {
        guard let masks = masksFolder else { return nil }
        return try FrameSource.imageFolder(masks, fps: manifest.fps, size: size, options: options)
    }

    /// A mask frame (as decoded RGB) → `Mask` (1 where the grey value is above 127).
    public static func mask(from image: RGBImage, into mask: inout Mask) {
        mask.reshape(width: image.width, height: image.height, fill: 0)
        image.pixels.withUnsafeBufferPointer { p in
            mask.values.withUnsafeMutableBufferPointer { m in
                for i in 0..<m.count { m[i] = p[3 * i] > 127 ? 1 : 0 }
            }
        }
    }

    /// The drive's inline camera profile, if it has one.
    public var inlineCamera: CameraProfile? {
        if case .inline(let profile)? = manifest.camera { return profile }
        return nil
    }

    private func existing(_ name: String) -> String? {
        let p = path(name)
        return FileManager.default.fileExists(atPath: p) ? p : nil
    }

    private func existingFolder(_ name: String) -> String? {
        var isDirectory: ObjCBool = false
        let p = path(name)
        return FileManager.default.fileExists(atPath: p, isDirectory: &isDirectory) && isDirectory.boolValue ? p : nil
    }
}
