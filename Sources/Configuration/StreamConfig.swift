import Foundation

/// Where frames come from: a named source template and its parameters.
public struct SourceConfig: Decodable, Sendable, Equatable {
    public var template: String
    public var parameters: [String: String]
    public var stallTimeoutSeconds: Double

    enum CodingKeys: String, CodingKey, CaseIterable {
        case template, parameters, stallTimeoutSeconds = "stall_timeout_s"
    }

    public init(template: String = "file",
                parameters: [String: String] = ["location": "../evaluation/samples/solidWhiteRight.mp4"],
                stallTimeoutSeconds: Double = 5) {
        self.template = template
        self.parameters = parameters
        self.stallTimeoutSeconds = stallTimeoutSeconds
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = SourceConfig()
        template = try c.value(.template, default: d.template)
        // Parameters of another template than the default start empty rather than inheriting `location`.
        parameters = try c.value(.parameters, default: c.contains(.template) ? [:] : d.parameters)
        stallTimeoutSeconds = try c.value(.stallTimeoutSeconds, default: d.stallTimeoutSeconds)
    }
}

/// The size and rate frames are processed at (the source scales to it).
public struct ProcessingConfig: Decodable, Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var fps: Double

    enum CodingKeys: String, CodingKey, CaseIterable { case width, height, fps }

    public init(width: Int = 640, height: Int = 360, fps: Double = 30) {
        self.width = width
        self.height = height
        self.fps = fps
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ProcessingConfig()
        width = try c.value(.width, default: d.width)
        height = try c.value(.height, default: d.height)
        fps = try c.value(.fps, default: d.fps)
    }
}

public struct OutputsConfig: Decodable, Sendable, Equatable {
    /// Restored video through a sink template; nil = no video output.
    public var video: SinkConfig?

    enum CodingKeys: String, CodingKey, CaseIterable { case video }

    public init(video: SinkConfig? = nil) { self.video = video }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        video = try c.decodeIfPresent(SinkConfig.self, forKey: .video)
    }
}

public struct SinkConfig: Decodable, Sendable, Equatable {
    public var template: String
    public var parameters: [String: String]

    enum CodingKeys: String, CodingKey, CaseIterable { case template, parameters }

    public init(template: String, parameters: [String: String] = [:]) {
        self.template = template
        self.parameters = parameters
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        template = try c.decode(String.self, forKey: .template)
        parameters = try c.value(.parameters, default: [:])
    }
}

public struct LoggingConfig: Decodable, Sendable, Equatable {
    public enum Level: String, Decodable, Sendable, CaseIterable { case trace, debug, info, notice, warning, error, critical }
    public var level: Level

    enum CodingKeys: String, CodingKey, CaseIterable { case level }

    public init(level: Level = .info) { self.level = level }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        level = try c.value(.level, default: .info)
    }
}
