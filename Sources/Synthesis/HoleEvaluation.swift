import Configuration
import Drives
import Exposure
import Foundation
import Imaging
import Media

/// Runs the live ExposureAnalyzer over a drive with truth masks and scores it (inside the drive's
/// lane ROI), optionally keeping a few frames for a contact sheet.
public enum HoleEvaluation {
    public struct Result: Sendable {
        public var drive: String
        public var score: HoleScore
        /// Frames kept for the contact sheet: clean, degraded, truth, detected (in that order).
        public var samples: [(frame: Int, clean: RGBImage?, degraded: RGBImage, truth: Mask, detected: Mask)]
    }

    /// Scores `drive`. `keep` frames (the worst-exposed ones and the event start) are kept for a sheet.
    public static func evaluate(drive folder: String, configuration: ExposureConfig = .init(), keep: Int = 0) throws -> Result {
        let drive = try Drive(folder: folder)
        let size = ImageSize(width: drive.manifest.width, height: drive.manifest.height)
        guard let masks = try drive.openMasks(size: size) else {
            throw MediaError.fileNotFound(path: drive.path("masks/") + " (holes needs a drive with truth masks: clearlane synth or degrade)")
        }
        let frames = try drive.openFrames(size: size)
        let clean = keep > 0 ? try drive.openCleanFrames(size: size) : nil
        let roi = drive.inlineCamera.map { PolygonMask.rasterize($0.roi, size: size) } ?? Mask(width: size.width, height: size.height, fill: 1)
        var analyzer = ExposureAnalyzer(configuration: configuration, roi: roi, size: size)
        var wanted = Set<Int>()
        if keep > 0, let path = drive.exposurePath, let log = try? ExposureLog.read(path) {
            let ranked = log.frames.sorted { ($0.roiHoles ?? 0) > ($1.roiHoles ?? 0) }
            if let first = log.events.first { wanted.insert(first.startFrame + 1) }
            for f in ranked where wanted.count < keep {
                if !wanted.contains(where: { abs($0 - f.frame) < 6 }) { wanted.insert(f.frame) }
            }
        }
        var score = HoleScore()
        var frame = Frame(image: RGBImage(width: 0, height: 0), pts: nil, index: 0)
        var maskFrame = Frame(image: RGBImage(width: 0, height: 0), pts: nil, index: 0)
        var cleanFrame = Frame(image: RGBImage(width: 0, height: 0), pts: nil, index: 0)
        var truth = Mask(width: size.width, height: size.height, fill: 0)
        var detected = Mask(width: size.width, height: size.height, fill: 0)
        var samples: [(frame: Int, clean: RGBImage?, degraded: RGBImage, truth: Mask, detected: Mask)] = []
        var index = 0
        while try frames.read(into: &frame) {
            guard try masks.read(into: &maskFrame) else { break }
            var hasClean = false
            if let clean { hasClean = try clean.read(into: &cleanFrame) }
            Drive.mask(from: maskFrame.image, into: &truth)
            _ = analyzer.analyze(frame.image, into: &detected)
            score.add(truth: truth, detected: detected, region: roi)
            if wanted.contains(index) {
                samples.append((index, hasClean ? cleanFrame.image : nil, frame.image, truth, detected))
            }
            index += 1
        }
        return Result(drive: drive.name, score: score, samples: samples)
    }
}

/// A grid of tiles (clean | degraded | truth holes | detected holes per row) written as one PNG.
public enum ContactSheet {
    /// Holes drawn over the degraded frame, dimmed: truth in red, detections in cyan.
    public static func overlay(_ image: RGBImage, mask: Mask, color: RGB) -> RGBImage {
        var out = image
        for i in 0..<mask.values.count {
            let hole = mask.values[i] != 0
            for c in 0..<3 {
                let v = Double(image.pixels[3 * i + c]) * 0.35
                let tint = Double(c == 0 ? color.r : c == 1 ? color.g : color.b)
                out.pixels[3 * i + c] = UInt8(min(255, hole ? v * 0.4 + tint * 0.6 : v))
            }
        }
        return out
    }

    /// Lays out rows of tiles, each scaled to `tile`, with a 4-pixel gutter.
    public static func compose(rows: [[RGBImage]], tile: ImageSize) -> RGBImage {
        let gutter = 4
        let columns = rows.map(\.count).max() ?? 0
        let width = columns * tile.width + (columns + 1) * gutter
        let height = rows.count * tile.height + (rows.count + 1) * gutter
        var sheet = RGBImage(width: width, height: height, fill: 24)
        for (r, row) in rows.enumerated() {
            for (c, image) in row.enumerated() {
                let small = Resize.bilinear(image, to: tile)
                let x0 = gutter + c * (tile.width + gutter), y0 = gutter + r * (tile.height + gutter)
                for y in 0..<tile.height {
                    let src = y * tile.width * 3, dst = ((y0 + y) * width + x0) * 3
                    for k in 0..<(tile.width * 3) { sheet.pixels[dst + k] = small.pixels[src + k] }
                }
            }
        }
        return sheet
    }

    /// Writes an image as PNG through GStreamer.
    public static func writePNG(_ image: RGBImage, to path: String) throws {
        let sink = try FrameSink(pipeline: FrameSink.appSrcHead("videoconvert ! pngenc ! filesink location=\(gstQuoted(path))"),
                                 size: image.size, fps: 1)
        try sink.write(image)
        try sink.finish()
    }

    public static func maskImage(_ mask: Mask) -> RGBImage {
        var out = RGBImage(width: mask.width, height: mask.height)
        for i in 0..<mask.values.count where mask.values[i] != 0 {
            out.pixels[3 * i] = 255; out.pixels[3 * i + 1] = 255; out.pixels[3 * i + 2] = 255
        }
        return out
    }
}
