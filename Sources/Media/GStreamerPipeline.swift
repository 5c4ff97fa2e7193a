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
        return .error(.elementError(element: name, message: text, debug: detail))
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
