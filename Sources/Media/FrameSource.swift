import CGStreamer
import Foundation
import Imaging

/// Pulls RGB frames out of any GStreamer pipeline that ends in an appsink.
///
/// The appsink is found by the name `sink` (or GStreamer's default `appsink0`). The source never
/// blocks indefinitely: it pulls with a short timeout, watches the bus between pulls for errors
/// and end-of-stream, and gives up with `MediaError.stalled` when no frame has arrived for
/// `Options.stallTimeout` seconds.
public final class FrameSource {
    public struct Options: Sendable {
        /// Seconds without a frame before the source is declared stalled (never a hang).
        public var stallTimeout: Double
        /// Play at the stream's clock rate (live/real-time) instead of as fast as possible.
        public var realTime: Bool
        /// Frames the appsink may hold; with `dropOldest` a slow consumer loses the oldest frames
        /// instead of the queue growing (the daemon's policy). 0 = unbounded (replay: never drop).
        public var maxBuffers: Int
        public var dropOldest: Bool
        /// For files: treat an end of stream well before the container's stated duration as an
        /// error (a cut-off download or recording), instead of silently ending early.
        public var requireCompleteFile: Bool

        public init(stallTimeout: Double = 10, realTime: Bool = false, maxBuffers: Int = 4, dropOldest: Bool = false,
                    requireCompleteFile: Bool = true) {
            self.stallTimeout = stallTimeout
            self.realTime = realTime
            self.maxBuffers = maxBuffers
            self.dropOldest = dropOldest
            self.requireCompleteFile = requireCompleteFile
        }
    }

    /// What the stream looks like, known once the first frame arrived.
    public struct StreamInfo: Sendable, Equatable {
        public var caps: String
        public var width: Int
        public var height: Int
        /// Frames per second from the caps (nil for variable or unknown rate).
        public var fps: Double?
    }

    public let description: String
    public let options: Options
    public private(set) var streamInfo: StreamInfo?
    /// Frames delivered so far.
    public private(set) var framesDelivered = 0
    private let pipeline: GStreamerPipeline
    private let appSink: UnsafeMutablePointer<GstElement>
    private var ended = false
    private var started = false
    private var videoInfo = GstVideoInfo()
    private var lastCaps: UnsafeMutablePointer<GstCaps>?
    private var lastPTS: UInt64?
    private var checksCompleteness = false

    /// Opens `description`, which must end in an appsink whose caps yield RGB (use
    /// `FrameSource.appSinkTail(size:)` to append the conversion).
    public init(pipeline description: String, options: Options = Options()) throws {
        self.description = description
        self.options = options
        pipeline = try GStreamerPipeline(description: description)
        guard let sink = pipeline.element(named: "sink") ?? pipeline.element(named: "appsink0"),
              cl_is_app_sink(sink) != 0
        else {
            throw MediaError.missingAppElement(kind: "appsink", description: description)
        }
        appSink = sink
        cl_set_bool(sink, "sync", options.realTime ? 1 : 0)
        cl_set_uint(sink, "max-buffers", guint(max(options.maxBuffers, 0)))
        cl_set_bool(sink, "drop", options.dropOldest ? 1 : 0)
        cl_set_bool(sink, "emit-signals", 0)
    }

    deinit {
        pipeline.stop()
        if let lastCaps { gst_caps_unref(lastCaps) }
        gst_object_unref(appSink)
    }

    /// The tail every ClearLane source description ends with: convert to packed RGB of the wanted
    /// size (or the native size when `size` is nil) and hand frames to an appsink named `sink`.
    ///
    /// The frame is scaled to exactly `size`, never letterboxed: videoscale's default
    /// (`add-borders=true`) keeps the display aspect ratio by padding with black, so a 4:3 camera
    /// asked for 640x360 came out as a 480x360 picture between black bars while every coordinate
    /// (camera profile, labels, masks) was scaled as if it filled the frame. Callers choose a size
    /// with the source's aspect (`ImageSize.fitting(aspectOf:)`); any other size is a stretch that
    /// coordinates scaled per axis describe exactly.
    public static func appSinkTail(size: ImageSize?) -> String {
        var caps = "video/x-raw,format=RGB"
        if let size { caps += ",width=\(size.width),height=\(size.height),pixel-aspect-ratio=1/1" }
        return "videoconvert ! videoscale add-borders=false ! \(caps) ! appsink name=sink"
    }

    /// A video file (anything decodebin handles), decoded and converted to RGB.
    public static func file(_ path: String, size: ImageSize? = nil, options: Options = Options()) throws -> FrameSource {
        guard FileManager.default.fileExists(atPath: path) else { throw MediaError.fileNotFound(path: path) }
        let source = try FrameSource(
            pipeline: "filesrc location=\(gstQuoted(path)) ! decodebin ! \(appSinkTail(size: size))",
            options: options)
        source.checksCompleteness = options.requireCompleteFile
        return source
    }

    /// A folder of numbered PNG or JPEG images (000000.png, 000001.png, …) played at `fps`.
    public static func imageFolder(_ folder: String, fps: Double = 30, size: ImageSize? = nil,
                                   options: Options = Options()) throws -> FrameSource {
        let sequence = try NumberedImageSequence(folder: folder)
        let rate = FrameRate(fps)
        let decoder = sequence.isPNG ? "pngdec" : "jpegdec"
        let caps = sequence.isPNG ? "image/png" : "image/jpeg"
        return try FrameSource(
            pipeline: "multifilesrc location=\(gstQuoted(sequence.pattern)) index=\(sequence.firstIndex) "
                + "stop-index=\(sequence.lastIndex) caps=\"\(caps),framerate=\(rate.numerator)/\(rate.denominator)\" "
                + "! \(decoder) ! \(appSinkTail(size: size))",
            options: options)
    }

    /// GStreamer's test pattern generator (used by tests and `probe test:`).
    public static func testPattern(_ pattern: String = "smpte", frames: Int, fps: Int = 30, size: ImageSize,
                                   live: Bool = false, options: Options = Options()) throws -> FrameSource {
        try FrameSource(
            pipeline: "videotestsrc pattern=\(pattern) num-buffers=\(frames) is-live=\(live) "
                + "! video/x-raw,framerate=\(fps)/1,width=\(size.width),height=\(size.height) ! \(appSinkTail(size: size))",
            options: options)
    }

    /// What one bounded wait for a frame produced.
    public enum PollResult: Sendable, Equatable {
        case frame
        case endOfStream
        /// Nothing within the wait; the stream is still open.
        case noFrameYet
    }

    /// Waits at most `timeout` seconds for the next frame and reads it into `frame`, reusing its
    /// storage. Callers that must stay responsive (the daemon's watchdog) poll in short slices and
    /// decide themselves when silence means a lost source.
    public func poll(into frame: inout Frame, timeout: Double) throws -> PollResult {
        if ended { return .endOfStream }
        if !started {
            started = true
            try pipeline.play()
        }
        let slice: GstClockTime = 50_000_000  // 50 ms: bounds how late an error or EOS is noticed
        var waited = 0.0
        repeat {
            if let sample = gst_app_sink_try_pull_sample(cl_app_sink(appSink), min(slice, GstClockTime(max(timeout, 0) * 1e9))) {
                defer { gst_sample_unref(sample) }
                try copy(sample, into: &frame)
                framesDelivered += 1
                return .frame
            }
            switch pipeline.pollBus() {
            case .error(let error)?:
                ended = true
                pipeline.stop()
                throw error
            case .endOfStream?:
                ended = true
                try checkComplete()
                return .endOfStream
            case nil:
                break
            }
            if gst_app_sink_is_eos(cl_app_sink(appSink)) != 0 {
                ended = true
                try checkComplete()
                return .endOfStream
            }
            waited += Double(slice) / 1e9
        } while waited < timeout
        return .noFrameYet
    }

    /// Reads the next frame into `frame`, reusing its storage (no allocation once the size is
    /// stable). Returns false at end of stream; throws `stalled` after `Options.stallTimeout`
    /// seconds without a frame.
    public func read(into frame: inout Frame) throws -> Bool {
        var silent = 0.0
        while true {
            switch try poll(into: &frame, timeout: 0.25) {
            case .frame: return true
            case .endOfStream: return false
            case .noFrameYet:
                silent += 0.25
                if silent >= options.stallTimeout {
                    ended = true
                    pipeline.stop()
                    throw MediaError.stalled(seconds: silent, description: description,
                                             beforeFirstFrame: framesDelivered == 0)
                }
            }
        }
    }

    /// A file whose stream ends more than half a second (and two frames) before the duration its
    /// container states was cut off; say so rather than returning a short stream.
    private func checkComplete() throws {
        guard checksCompleteness, let duration = pipeline.queryDuration(), let lastPTS else { return }
        let frameDuration = streamInfo?.fps.map { UInt64(1e9 / $0) } ?? 40_000_000
        let reached = lastPTS + frameDuration
        let tolerance = max(2 * frameDuration, 500_000_000)
        if reached + tolerance < duration {
            pipeline.stop()
            throw MediaError.truncated(reachedSeconds: Double(reached) / 1e9, statedSeconds: Double(duration) / 1e9,
                                       description: description)
        }
    }

    /// The next frame, or nil at end of stream.
    public func next() throws -> Frame? {
        var frame = Frame(image: RGBImage(width: 0, height: 0), pts: nil, index: 0)
        return try read(into: &frame) ? frame : nil
    }

    /// Stops the pipeline early (e.g. the consumer has enough frames).
    public func close() {
        ended = true
        pipeline.stop()
    }

    /// The pipeline clock's running time in nanoseconds (comparable with live frames' pts), or nil
    /// before the pipeline has a clock. `runningTime() - frame.pts` is a live frame's age.
    public func runningTime() -> UInt64? {
        guard let clock = gst_element_get_clock(pipeline.element) else { return nil }
        defer { gst_object_unref(clock) }
        let now = gst_clock_get_time(clock), base = gst_element_get_base_time(pipeline.element)
        return now > base ? UInt64(now - base) : 0
    }

    /// Stream duration in nanoseconds, if the container tells (files do; live sources do not).
    public func duration() -> UInt64? { pipeline.queryDuration() }

    private func copy(_ sample: OpaquePointer, into frame: inout Frame) throws {
        guard let caps = gst_sample_get_caps(sample), let buffer = gst_sample_get_buffer(sample) else {
            throw MediaError.unsupportedFormat("sample without caps or buffer")
        }
        // Re-read the video info only when the caps object changes (resolution change mid-stream).
        if lastCaps != caps {
            guard gst_video_info_from_caps(&videoInfo, caps) != 0 else {
                throw MediaError.unsupportedFormat("caps are not raw video")
            }
            let format = String(cString: cl_video_info_format_name(&videoInfo))
            guard format == "RGB" else {
                throw MediaError.unsupportedFormat("appsink delivers \(format); ClearLane needs RGB (end the pipeline with 'videoconvert ! video/x-raw,format=RGB ! appsink name=sink')")
            }
            if let lastCaps { gst_caps_unref(lastCaps) }
            lastCaps = gst_caps_ref(caps)
            let fpsN = cl_video_info_fps_n(&videoInfo), fpsD = cl_video_info_fps_d(&videoInfo)
            let capsText = gst_caps_to_string(caps)
            streamInfo = StreamInfo(
                caps: capsText.map { String(cString: $0) } ?? "",
                width: Int(cl_video_info_width(&videoInfo)),
                height: Int(cl_video_info_height(&videoInfo)),
                fps: fpsN > 0 && fpsD > 0 ? Double(fpsN) / Double(fpsD) : nil)
            if let capsText { g_free(capsText) }
        }
        let width = Int(cl_video_info_width(&videoInfo)), height = Int(cl_video_info_height(&videoInfo))
        let stride = Int(cl_video_info_stride(&videoInfo, 0)), offset = Int(cl_video_info_offset(&videoInfo, 0))
        var map = GstMapInfo()
        guard gst_buffer_map(buffer, &map, GST_MAP_READ) != 0 else {
            throw MediaError.unsupportedFormat("could not map buffer")
        }
        defer { gst_buffer_unmap(buffer, &map) }
        guard map.size >= offset + stride * (height - 1) + width * 3 else {
            throw MediaError.unsupportedFormat("buffer of \(map.size) bytes is too small for \(width)x\(height) RGB")
        }
        frame.image.reshape(width: width, height: height)
        let rowBytes = width * 3
        frame.image.pixels.withUnsafeMutableBytes { dst in
            let src = UnsafeRawPointer(map.data!) + offset
            if stride == rowBytes {
                dst.baseAddress!.copyMemory(from: src, byteCount: rowBytes * height)
            } else {
                for y in 0..<height {
                    (dst.baseAddress! + y * rowBytes).copyMemory(from: src + y * stride, byteCount: rowBytes)
                }
            }
        }
        let pts = cl_buffer_pts(buffer)
        frame.pts = pts == GstClockTime.max ? nil : UInt64(pts)
        if let p = frame.pts { lastPTS = max(lastPTS ?? 0, p) }
        frame.index = framesDelivered
    }
}

/// A frame rate as GStreamer's fraction.
public struct FrameRate: Sendable, Equatable {
    public var numerator: Int
    public var denominator: Int
    public init(_ fps: Double) {
        if fps == fps.rounded() {
            numerator = Int(fps)
            denominator = 1
        } else {
            numerator = Int((fps * 1001).rounded())
            denominator = 1001
        }
    }
    public var framesPerSecond: Double { Double(numerator) / Double(denominator) }
    /// Nanoseconds per frame.
    public var frameDuration: UInt64 { UInt64(1_000_000_000 * Double(denominator) / Double(numerator)) }
}
