import Drives
import Exposure
import Foundation
import Imaging
import Media

/// Writes a drive folder with truth: frames (degraded), clean/ (truth frames), masks/ (truth holes,
/// 8-bit grey PNG, 255 = hole), then labels.json, exposure.json and drive.yaml at `finish`.
/// Each stream is its own GStreamer pipeline, so PNG/H.264 encoding runs on GStreamer's threads
/// in parallel with rendering.
public final class DriveWriter {
    /// How frames and clean frames are stored.
    public enum Storage: Sendable, Equatable {
        /// frames/NNNNNN.png and clean/NNNNNN.png (zlib level 0–9).
        case png(compression: Int)
        /// video.mp4 and clean.mp4, H.264 at constant quantizer `quantizer` (lower = better).
        case mp4(quantizer: Int)
    }

    public let folder: String
    public let size: ImageSize
    public let fps: Double
    public let storage: Storage
    public private(set) var framesWritten = 0
    private let frames: FrameSink
    private let clean: FrameSink
    private let masks: FrameSink
    private var maskImage: RGBImage

    public init(folder: String, size: ImageSize, fps: Double, storage: Storage = .png(compression: 2)) throws {
        self.folder = folder
        self.size = size
        self.fps = fps
        self.storage = storage
        let fm = FileManager.default
        try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // A drive folder is rewritten whole: stale frames from an earlier, longer run must go.
        for name in ["frames", "clean", "masks", "video.mp4", "clean.mp4", "labels.json", "exposure.json", "drive.yaml"] {
            let path = (folder as NSString).appendingPathComponent(name)
            if fm.fileExists(atPath: path) { try fm.removeItem(atPath: path) }
        }
        func pngSink(_ name: String, gray: Bool, compression: Int) throws -> FrameSink {
            let dir = (folder as NSString).appendingPathComponent(name)
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let format = gray ? "video/x-raw,format=GRAY8 ! " : ""
            return try FrameSink(pipeline: FrameSink.appSrcHead(
                "videoconvert ! \(format)pngenc compression-level=\(compression) ! multifilesink location=\(gstQuoted((dir as NSString).appendingPathComponent("%06d.png")))"),
                size: size, fps: fps)
        }
        func mp4Sink(_ name: String, quantizer: Int) throws -> FrameSink {
            let path = (folder as NSString).appendingPathComponent(name)
            return try FrameSink(pipeline: FrameSink.appSrcHead(
                "videoconvert ! video/x-raw,format=I420 ! x264enc pass=quant quantizer=\(quantizer) speed-preset=slow threads=1 "
                + "! video/x-h264,profile=high ! mp4mux ! filesink location=\(gstQuoted(path))"),
                size: size, fps: fps)
        }
        switch storage {
        case .png(let compression):
            frames = try pngSink("frames", gray: false, compression: compression)
            clean = try pngSink("clean", gray: false, compression: compression)
        case .mp4(let quantizer):
            frames = try mp4Sink("video.mp4", quantizer: quantizer)
            clean = try mp4Sink("clean.mp4", quantizer: quantizer)
        }
        masks = try pngSink("masks", gray: true, compression: 9)
        maskImage = RGBImage(width: size.width, height: size.height)
    }

    /// Appends one frame: the degraded frame, its clean truth and its truth holes (1 = hole).
    public func write(frame: RGBImage, clean cleanFrame: RGBImage, holes: Mask) throws {
        try frames.write(frame)
        try clean.write(cleanFrame)
        maskImage.pixels.withUnsafeMutableBufferPointer { out in
            holes.values.withUnsafeBufferPointer { m in
                for i in 0..<m.count {
                    let v: UInt8 = m[i] != 0 ? 255 : 0
                    out[3 * i] = v
                    out[3 * i + 1] = v
                    out[3 * i + 2] = v
                }
            }
        }
        try masks.write(maskImage)
        framesWritten += 1
    }

    /// Closes the streams and writes labels.json (when given), exposure.json and drive.yaml (last,
    /// so a folder with drive.yaml is a complete drive).
    public func finish(manifest: DriveManifest, labels: [LaneLabel]?, exposure: ExposureLog, comment: String? = nil) throws {
        try frames.finish()
        try clean.finish()
        try masks.finish()
        if let labels, !labels.isEmpty {
            try LaneLabelFile.write(labels, to: (folder as NSString).appendingPathComponent("labels.json"))
        }
        try exposure.write(to: (folder as NSString).appendingPathComponent("exposure.json"))
        try manifest.write(toFolder: folder, comment: comment)
    }
}

