import Foundation

/// Where frames come from: a named source template and its parameters.
public struct SourceConfig: SettingsSection, Sendable, Equatable {
    public var template = "file"
    public var parameters = ["location": "../evaluation/samples/solidWhiteRight.mp4"]
    public var stallTimeoutSeconds = 5.0

    public static var settings: [Setting<SourceConfig>] {
        [Setting("template", \.template, accepts: "a source pipeline template", valid: { !$0.isEmpty },
                 "the source pipeline template (pipelines/*.yaml)"),
         Setting("parameters", \.parameters, "the template's parameters (location, device, uri, …)"),
         Setting("stall_timeout_s", \.stallTimeoutSeconds, .closed(0.1...600, "seconds"),
                 "a source that delivers no frame for this long counts as lost (and is reconnected)")]
    }

    public init() {}

    public init(template: String, parameters: [String: String], stallTimeoutSeconds: Double = 5) {
        self.template = template
        self.parameters = parameters
        self.stallTimeoutSeconds = stallTimeoutSeconds
    }

    public init(from decoder: Decoder) throws { try self.init(settingsFrom: decoder) }

    /// Parameters of another template than the default start empty rather than inheriting `location`.
    public mutating func finishDecoding(writtenKeys: Set<String>) {
        if writtenKeys.contains("template") && !writtenKeys.contains("parameters") { parameters = [:] }
    }
}

/// The size and rate frames are processed at (the source scales to it).
public struct ProcessingConfig: SettingsSection, Sendable, Equatable {
    public var width = 640
    public var height = 360
    public var fps = 30.0

    public static var settings: [Setting<ProcessingConfig>] {
        [Setting("width", \.width, accepts: "an even number of pixels in 16…4096", valid: Self.evenSize,
                 "the box frames are processed in: each camera at the largest size with its own aspect inside it"),
         Setting("height", \.height, accepts: "an even number of pixels in 16…4096", valid: Self.evenSize, "(the box's height)"),
         Setting("fps", \.fps, .above(0, atMost: 240, "frames per second"), "the rate frames are processed at")]
    }

    private static func evenSize(_ v: Int) -> Bool { (16...4096).contains(v) && v % 2 == 0 }

    public init() {}

    public init(width: Int, height: Int, fps: Double = 30) {
        self.width = width
        self.height = height
        self.fps = fps
    }

    public init(from decoder: Decoder) throws { try self.init(settingsFrom: decoder) }
}

public struct OutputsConfig: SettingsSection, Sendable, Equatable {
    public var video: SinkConfig?

    public static var settings: [Setting<OutputsConfig>] {
        [.optionalSection("video", \.video, "restored video through a sink template; absent: no video output")]
    }

    public init() {}
    public init(video: SinkConfig?) { self.video = video }
    public init(from decoder: Decoder) throws { try self.init(settingsFrom: decoder) }
}

public struct SinkConfig: SettingsSection, Sendable, Equatable {
    public var template = ""
    public var parameters: [String: String] = [:]

    public static var settings: [Setting<SinkConfig>] {
        [Setting("template", \.template, accepts: "a sink pipeline template", valid: { !$0.isEmpty }, "the sink pipeline template"),
         Setting("parameters", \.parameters, "the template's parameters")]
    }

    public init() {}

    public init(template: String, parameters: [String: String] = [:]) {
        self.template = template
        self.parameters = parameters
    }

    public init(from decoder: Decoder) throws { try self.init(settingsFrom: decoder) }
}

public struct LoggingConfig: SettingsSection, Sendable, Equatable {
    public enum Level: String, Decodable, Sendable, CaseIterable { case trace, debug, info, notice, warning, error, critical }
    public var level = Level.info

    public static var settings: [Setting<LoggingConfig>] {
        [Setting("level", \.level, "the least severe level logged (clearlane run --log-level overrides it)")]
    }

    public init() {}
    public init(level: Level) { self.level = level }
    public init(from decoder: Decoder) throws { try self.init(settingsFrom: decoder) }
}
