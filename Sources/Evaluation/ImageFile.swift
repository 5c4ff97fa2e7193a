import Foundation
import Imaging
import Media

/// Writes single images as PNG through GStreamer (pngenc), the same media layer as every other
/// output; used for overlays and frame strips, not per frame in the hot path.
public enum ImageFile {
    public static func writePNG(_ image: RGBImage, to path: String) throws {
        let location = gstQuoted(path)
        let sink = try FrameSink(pipeline: FrameSink.appSrcHead("videoconvert ! pngenc compression-level=6 ! filesink location=\(location)"),
                                 size: image.size, fps: 1)
        try sink.write(image)
        try sink.finish()
    }

    /// Reads one PNG/JPEG image (decoded by GStreamer) at its native size or scaled to `size`.
    public static func read(_ path: String, size: ImageSize? = nil) throws -> RGBImage {
        guard FileManager.default.fileExists(atPath: path) else { throw MediaError.fileNotFound(path: path) }
        let lower = path.lowercased()
        let decoder = lower.hasSuffix(".png") ? "pngdec" : "jpegdec"
        let source = try FrameSource(pipeline: "filesrc location=\(gstQuoted(path)) ! \(decoder) ! imagefreeze num-buffers=1 ! \(FrameSource.appSinkTail(size: size))")
        guard let frame = try source.next() else { throw MediaError.unsupportedFormat("\(path) decoded to no image") }
        source.close()
        return frame.image
    }
}
