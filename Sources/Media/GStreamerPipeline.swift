import CGStreamer
import Foundation

/// Initializes GStreamer once per process (gst_init is idempotent but not free).
enum GStreamerRuntime {
    private static let initialized: Bool = {
        gst_init(nil, nil)
        return true
    }()

    static func ensureInitialized() { _ = initialized }
}

/// A parsed, owned GStreamer pipeline and its bus. The only type in ClearLane that holds raw
/// GStreamer pointers besides the app element wrappers; it never lets them escape the module.
final class GStreamerPipeline {
    let description: String
    let element: UnsafeMutablePointer<GstElement>
    private let bus: UnsafeMutablePointer<GstBus>
    private var stopped = false

    enum BusEvent {
        case endOfStream
        case error(MediaError)
    }

    init(description: String) throws {
        GStreamerRuntime.ensureInitialized()
        self.description = description
        var gerror: UnsafeMutablePointer<GError>?
        let parsed = gst_parse_launch(description, &gerror)
        if let gerror {
            let message = String(cString: gerror.pointee.message)
            g_error_free(gerror)
            if let parsed { gst_object_unref(parsed) }
            // `no element "rtspsrc"`: a plugin is not installed; say which and where it comes from.
            if message.hasPrefix("no element \""), let name = message.split(separator: "\"").dropFirst().first {
                throw MediaError.missingElement(element: String(name), description: description)
            }
            throw MediaError.invalidPipeline(description: description, message: message)
        }
        guard let parsed else {
            throw MediaError.invalidPipeline(description: description, message: "gst_parse_launch returned nothing")
        }
        element = parsed
        bus = gst_element_get_bus(parsed)
    }

    deinit {
        stop()
        gst_object_unref(bus)
        gst_object_unref(element)
    }

    /// Finds a named element (caller owns the reference and must unref it).
    func element(named name: String) -> UnsafeMutablePointer<GstElement>? {
        guard cl_is_bin(element) != 0 else { return nil }
        return gst_bin_get_by_name(cl_bin(element), name)
    }

    func play() throws {
        if gst_element_set_state(element, GST_STATE_PLAYING) == cl_state_failure() {
            // The reason, if any, is on the bus.
            if case let .error(error)? = pollBus() { throw error }
            throw MediaError.couldNotStart(description: description)
        }
    }

    /// Brings the pipeline to NULL, releasing devices and files. Safe to call twice.
    func stop() {
        guard !stopped else { return }
        stopped = true
        gst_element_set_state(element, GST_STATE_NULL)
    }

    /// Returns the next EOS/ERROR event on the bus without waiting, or nil. Warnings and state
    /// changes are dropped.
    func pollBus(timeout: GstClockTime = 0) -> BusEvent? {
        let types = GstMessageType(rawValue: GST_MESSAGE_ERROR.rawValue | GST_MESSAGE_EOS.rawValue)
        guard let message = gst_bus_timed_pop_filtered(bus, timeout, types) else { return nil }
        defer { gst_message_unref(message) }
        if cl_message_type(message) == GST_MESSAGE_EOS { return .endOfStream }
        var gerror: UnsafeMutablePointer<GError>?
        var debug: UnsafeMutablePointer<gchar>?
        gst_message_parse_error(message, &gerror, &debug)
        let text = gerror.map { String(cString: $0.pointee.message) } ?? "unknown error"
        let detail = debug.map { String(cString: $0) }
        if let gerror { g_error_free(gerror) }
        if let debug { g_free(debug) }
        let name = String(cString: cl_message_src_name(message))
        return .error(.elementError(element: name, message: text, debug: detail, pipeline: description))
    }

    /// Stream duration in nanoseconds, when the pipeline can tell.
    func queryDuration() -> UInt64? {
        var duration: gint64 = -1
        guard gst_element_query_duration(element, GST_FORMAT_TIME, &duration) != 0, duration > 0 else { return nil }
        return UInt64(duration)
    }
}

/// Quotes a value for a gst-launch description when it holds characters the parser would split on.
public func gstQuoted(_ value: String) -> String {
    let needsQuotes = value.contains { " !\"'=,;()[]{}".contains($0) } || value.isEmpty
    guard needsQuotes else { return value }
    return "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
}

/// Which GStreamer elements are installed, and where the ones ClearLane's templates use come from.
public enum GStreamerElements {
    /// Debian packages of the elements the shipped pipeline templates use (scripts/setup installs them).
    static let packages: [String: String] = [
        "rtspsrc": "gstreamer1.0-plugins-good", "udpsrc": "gstreamer1.0-plugins-good", "rtpjitterbuffer": "gstreamer1.0-plugins-good",
        "rtph264depay": "gstreamer1.0-plugins-good", "v4l2src": "gstreamer1.0-plugins-good", "matroskamux": "gstreamer1.0-plugins-good",
        "h264parse": "gstreamer1.0-plugins-bad", "tsdemux": "gstreamer1.0-plugins-bad", "x264enc": "gstreamer1.0-plugins-ugly",
        "avdec_h264": "gstreamer1.0-libav", "avenc_ffv1": "gstreamer1.0-libav",
        "decodebin": "gstreamer1.0-plugins-base", "videoconvert": "gstreamer1.0-plugins-base", "videoscale": "gstreamer1.0-plugins-base",
        "appsink": "gstreamer1.0-plugins-base", "appsrc": "gstreamer1.0-plugins-base", "videotestsrc": "gstreamer1.0-plugins-base",
        "pngdec": "gstreamer1.0-plugins-good", "pngenc": "gstreamer1.0-plugins-good", "mp4mux": "gstreamer1.0-plugins-good",
    ]

    /// The Debian package an element is in, when ClearLane knows it.
    public static func package(of element: String) -> String? { packages[element] }

    /// True when GStreamer can make `element`.
    public static func isInstalled(_ element: String) -> Bool {
        GStreamerRuntime.ensureInitialized()
        guard let factory = gst_element_factory_find(element) else { return false }
        gst_object_unref(UnsafeMutableRawPointer(factory))
        return true
    }

    /// Throws `MediaError.missingElement` for the first of `elements` that is not installed.
    public static func require(_ elements: [String], for description: String) throws {
        if let missing = elements.first(where: { !isInstalled($0) }) {
            throw MediaError.missingElement(element: missing, description: description)
        }
    }
}
