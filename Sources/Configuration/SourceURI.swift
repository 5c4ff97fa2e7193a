import Foundation

/// A camera or video named on the command line (`--source`, `probe SOURCE`, `detect SOURCE`), mapped
/// to a source pipeline template and its parameters (pipelines/*.yaml):
///
/// | SOURCE | template | parameters |
/// |---|---|---|
/// | `rtsp://…`, `rtsps://…` | `rtsp` (rtspsrc ! decodebin: H.264, H.265, MJPEG…) | `url` |
/// | `/dev/videoN`, `v4l2:///dev/videoN` | `v4l2` | `device` |
/// | `udp://HOST:PORT` (`udp://:PORT` = any address) | `udp-h264` (RTP/H.264, payload 96) | `address`, `port` |
/// | `udp://HOST:PORT?format=mpegts` | `udp-mpegts` (raw MPEG-TS datagrams) | `address`, `port` |
/// | `file:///PATH`, a file path | `file` | `location` (absolute) |
/// | `test`, `test:PATTERN` | `test` (videotestsrc) | `pattern` |
public struct SourceURI: Sendable, Equatable {
    public var template: String
    public var parameters: [String: String]
    /// GStreamer elements the template needs beyond the core ones: checked before opening, so a
    /// missing plugin is an error naming the element (and its Debian package), not a parse failure.
    public var elements: [String]

    public struct Invalid: Error, CustomStringConvertible {
        public var source: String
        public var reason: String
        public init(source: String, reason: String) {
            self.source = source
            self.reason = reason
        }
        public var description: String { "source '\(source)': \(reason)" }
    }

    public static let schemes = "rtsp://, rtsps://, udp://, file://, v4l2://, /dev/videoN, a file path, test[:PATTERN]"

    /// The mapping of `text`, or nil when it is none of the forms above (a drive or image folder, a
    /// GStreamer description: the caller's own business). Relative file paths resolve against
    /// `currentDirectory`. Throws for a malformed URI or an unsupported scheme.
    public static func parse(_ text: String, currentDirectory: String = FileManager.default.currentDirectoryPath) throws -> SourceURI? {
        if text.contains("!") { return nil }
        if text == "test" || text.hasPrefix("test:") {
            let pattern = text.hasPrefix("test:") ? String(text.dropFirst(5)) : "smpte"
            return SourceURI(template: "test", parameters: ["pattern": pattern], elements: [])
        }
        let lower = text.lowercased()
        if lower.hasPrefix("rtsp://") || lower.hasPrefix("rtsps://") {
            guard let url = URL(string: text), url.host != nil else { throw Invalid(source: text, reason: "not a valid rtsp:// URL (rtsp://[user:password@]host[:port]/path)") }
            return SourceURI(template: "rtsp", parameters: ["url": text],
                             elements: ["rtspsrc", "decodebin"])
        }
        if lower.hasPrefix("udp://") {
            guard let components = URLComponents(string: text.replacingOccurrences(of: "udp://@", with: "udp://")),
                  let port = components.port, (1...65535).contains(port)
            else { throw Invalid(source: text, reason: "not a valid udp:// URL (udp://HOST:PORT, udp://:PORT for any address, ?format=rtp-h264|mpegts)") }
            var host = components.host ?? ""
            if host.isEmpty { host = "0.0.0.0" }
            if host.hasPrefix("[") { host = String(host.dropFirst().dropLast()) }
            let format = components.queryItems?.first { $0.name == "format" }?.value ?? "rtp-h264"
            switch format {
            case "rtp-h264", "rtp":
                return SourceURI(template: "udp-h264", parameters: ["address": host, "port": String(port)],
                                 elements: ["udpsrc", "rtpjitterbuffer",
                                            "rtph264depay", "h264parse",
                                            "avdec_h264"])
            case "mpegts", "ts":
                return SourceURI(template: "udp-mpegts", parameters: ["address": host, "port": String(port)],
                                 elements: ["udpsrc", "tsdemux",
                                            "avdec_h264"])
            default:
                throw Invalid(source: text, reason: "format=\(format) is not one of rtp-h264 (the default: RTP/H.264, payload 96) or mpegts")
            }
        }
        if lower.hasPrefix("v4l2://") || text.hasPrefix("/dev/video") {
            let device = lower.hasPrefix("v4l2://") ? String(text.dropFirst("v4l2://".count)) : text
            guard device.hasPrefix("/dev/") else { throw Invalid(source: text, reason: "expected v4l2:///dev/videoN") }
            return SourceURI(template: "v4l2", parameters: ["device": device], elements: ["v4l2src"])
        }
        if lower.hasPrefix("file://") {
            guard let url = URL(string: text), url.isFileURL, !url.path.isEmpty else { throw Invalid(source: text, reason: "not a valid file:// URL (file:///absolute/path)") }
            return SourceURI(template: "file", parameters: ["location": url.path], elements: [])
        }
        if let colon = text.range(of: "://") {
            throw Invalid(source: text, reason: "unsupported scheme '\(text[..<colon.lowerBound])'; supported: \(schemes)")
        }
        var isDirectory: ObjCBool = false
        let path = URL(fileURLWithPath: text, relativeTo: URL(fileURLWithPath: currentDirectory, isDirectory: true)).standardized.path
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            return isDirectory.boolValue ? nil : SourceURI(template: "file", parameters: ["location": path], elements: [])
        }
        return SourceURI(template: "file", parameters: ["location": path], elements: [])
    }

    /// The `source:` section this stands for (`stall_timeout_s` kept from `base`).
    public func sourceConfig(keeping base: SourceConfig) -> SourceConfig {
        SourceConfig(template: template, parameters: parameters, stallTimeoutSeconds: base.stallTimeoutSeconds)
    }

    /// For a V4L2 device: an error when the device node is not there (a camera unplugged or never
    /// attached), instead of GStreamer's or a file-not-found message.
    public func checkDevice() throws {
        guard template == "v4l2", let device = parameters["device"] else { return }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: device, isDirectory: &isDirectory), !isDirectory.boolValue else {
            let present = ((try? FileManager.default.contentsOfDirectory(atPath: "/dev")) ?? []).filter { $0.hasPrefix("video") }.sorted()
            throw Invalid(source: device, reason: "no V4L2 camera at \(device): the device node does not exist (camera unplugged, driver not loaded, or not passed into this container); "
                + (present.isEmpty ? "this machine has no /dev/video* device" : "present: \(present.map { "/dev/\($0)" }.joined(separator: ", "))"))
        }
    }
}
