import CGStreamer
import Foundation
import Imaging

/// Pushes RGB frames into any GStreamer pipeline that starts with an appsrc (named `src`, or
/// GStreamer's default `appsrc0`): encode to MKV/MP4, write PNG files, stream out.
///
/// Frames get timestamps from their index and the frame rate unless they carry their own pts.
/// The appsrc queue is bounded (blocks the writer) so a slow encoder applies back-pressure
/// instead of growing memory. `finish()` sends end-of-stream and waits until the file is
/// complete; always call it, or the container may be left without its index.
public final class FrameSink {
    public let description: String
    public let size: ImageSize
    public let rate: FrameRate
    public private(set) var framesWritten = 0
    private let pipeline: GStreamerPipeline
    private let appSrc: UnsafeMutablePointer<GstElement>
    private var finished = false

    public init(pipeline description: String, size: ImageSize, fps: Double) throws {
        self.description = description
        self.size = size
        self.rate = FrameRate(fps)
        pipeline = try GStreamerPipeline(description: description)
        guard let src = pipeline.element(named: "src") ?? pipeline.element(named: "appsrc0"), cl_is_app_src(src) != 0 else {
            throw MediaError.missingAppElement(kind: "appsrc", description: description)
        }
        appSrc = src
        let caps = gst_caps_from_string(
            "video/x-raw,format=RGB,width=\(size.width),height=\(size.height),framerate=\(rate.numerator)/\(rate.denominator),pixel-aspect-ratio=1/1")
        cl_set_caps(src, "caps", caps)
        gst_caps_unref(caps)
        cl_set_format_time(src)
        cl_set_bool(src, "is-live", 0)
        cl_set_bool(src, "block", 1)
        cl_set_uint64(src, "max-bytes", guint64(size.pixelCount * 3 * 4))  // ≈ 4 frames in flight
        try pipeline.play()
    }

    deinit {
        pipeline.stop()
        gst_object_unref(appSrc)
    }

    /// Pipeline text for a sink: "appsrc name=src ! " followed by `rest`.
    public static func appSrcHead(_ rest: String) -> String { "appsrc name=src ! \(rest)" }

    public func write(_ frame: Frame) throws {
        try write(frame.image, pts: frame.pts)
    }

    public func write(_ image: RGBImage, pts: UInt64? = nil) throws {
        precondition(!finished, "write after finish")
        guard image.width == size.width, image.height == size.height else {
            throw MediaError.frameSizeMismatch(expected: size.description, got: image.size.description)
        }
        if case .error(let error)? = pipeline.pollBus() { throw error }
        let byteCount = image.pixels.count
        guard let buffer = gst_buffer_new_allocate(nil, gsize(byteCount), nil) else {
            throw MediaError.unsupportedFormat("could not allocate a \(byteCount)-byte buffer")
        }
        image.pixels.withUnsafeBytes { bytes in
            _ = gst_buffer_fill(buffer, 0, bytes.baseAddress, gsize(byteCount))
        }
        let duration = rate.frameDuration
        cl_buffer_set_pts(buffer, GstClockTime(pts ?? UInt64(framesWritten) * duration))
        cl_buffer_set_duration(buffer, GstClockTime(duration))
        let flow = gst_app_src_push_buffer(cl_app_src(appSrc), buffer)  // takes ownership
        if flow != GST_FLOW_OK {
            if case .error(let error)? = pipeline.pollBus(timeout: 1_000_000_000) { throw error }
            throw MediaError.elementError(element: "src", message: "downstream refused the frame (flow \(flow.rawValue))", debug: nil)
        }
        framesWritten += 1
    }

    /// Ends the stream and waits until every element has flushed (the file is complete).
    public func finish(timeout: Double = 60) throws {
        guard !finished else { return }
        finished = true
        gst_app_src_end_of_stream(cl_app_src(appSrc))
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            switch pipeline.pollBus(timeout: 100_000_000) {
            case .endOfStream?:
                pipeline.stop()
                return
            case .error(let error)?:
                pipeline.stop()
                throw error
            case nil:
                continue
            }
        }
        pipeline.stop()
        throw MediaError.finishTimedOut(seconds: timeout, description: description)
    }
}
