/// `daemon:` — how `clearlane run` behaves as a long-running service.
public struct DaemonConfig: Decodable, Sendable, Equatable {
    public var lanesOutput: LanesOutputConfig
    public var metrics: MetricsConfig
    /// Frames a live source may buffer before the oldest is dropped (bounded latency).
    public var queueFrames: Int
    /// Per-frame budget = deadline_fraction / fps; restoration that would overrun it is skipped.
    public var deadlineFraction: Double
    public var reconnect: ReconnectConfig
    /// Seconds between STATUS= updates to systemd (and log lines).
    public var statusIntervalSeconds: Double

    enum CodingKeys: String, CodingKey, CaseIterable {
        case lanesOutput = "lanes_output", metrics, queueFrames = "queue_frames", deadlineFraction = "deadline_fraction"
        case reconnect, statusIntervalSeconds = "status_interval_s"
    }

    public init() {
        lanesOutput = LanesOutputConfig()
        metrics = MetricsConfig()
        queueFrames = 2
        deadlineFraction = 1.0
        reconnect = ReconnectConfig()
        statusIntervalSeconds = 5
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = DaemonConfig()
        lanesOutput = try c.value(.lanesOutput, default: d.lanesOutput)
        metrics = try c.value(.metrics, default: d.metrics)
        queueFrames = try c.value(.queueFrames, default: d.queueFrames)
        deadlineFraction = try c.value(.deadlineFraction, default: d.deadlineFraction)
        reconnect = try c.value(.reconnect, default: d.reconnect)
        statusIntervalSeconds = try c.value(.statusIntervalSeconds, default: d.statusIntervalSeconds)
    }

    public func problems() -> [(path: [String], message: String)] {
        var out: [(path: [String], message: String)] = []
        func check(_ ok: Bool, _ path: [String], _ message: String) { if !ok { out.append((["daemon"] + path, message)) } }
        check((1...64).contains(queueFrames), ["queue_frames"], "must be 1…64 frames, got \(queueFrames)")
        check(deadlineFraction > 0 && deadlineFraction <= 10, ["deadline_fraction"], "must be in (0, 10], got \(deadlineFraction)")
        check(statusIntervalSeconds >= 0.1 && statusIntervalSeconds <= 3600, ["status_interval_s"], "must be 0.1…3600 seconds, got \(statusIntervalSeconds)")
        switch lanesOutput.to {
        case .file: check(!(lanesOutput.path ?? "").isEmpty, ["lanes_output", "path"], "is required when to: file")
        check(lanesOutput.maxBytes == 0 || lanesOutput.maxBytes >= 4096, ["lanes_output", "max_bytes"], "must be 0 (never rotate) or at least 4096 bytes, got \(lanesOutput.maxBytes)")
        check((0...1000).contains(lanesOutput.keep), ["lanes_output", "keep"], "must be 0…1000 rotated files, got \(lanesOutput.keep)")
        case .udp: check((1...65535).contains(lanesOutput.port ?? 0), ["lanes_output", "port"], "must be a UDP port 1…65535 when to: udp")
        case .stdout, .none: break
        }
        check((0...65535).contains(metrics.port), ["metrics", "port"], "must be a TCP port 0…65535, got \(metrics.port)")
        check(reconnect.initialBackoffSeconds > 0 && reconnect.initialBackoffSeconds <= reconnect.maxBackoffSeconds,
              ["reconnect", "initial_backoff_s"], "must be > 0 and ≤ max_backoff_s")
        check(reconnect.maxBackoffSeconds <= 600, ["reconnect", "max_backoff_s"], "must be ≤ 600 seconds")
        check(reconnect.keepMemoryGapSeconds >= 0, ["reconnect", "keep_memory_gap_s"], "must be ≥ 0")
        return out
    }
}

public struct LanesOutputConfig: Decodable, Sendable, Equatable {
    public enum Destination: String, Decodable, Sendable, CaseIterable { case stdout, file, udp, none }
    public var to: Destination
    /// For `file`: JSON-lines file (relative to the config's folder), appended to.
    public var path: String?
    /// For `udp`: one datagram per frame to address:port.
    public var address: String
    public var port: Int?
    /// For `file`: rotate when the file would grow past this many bytes (0 = never).
    public var maxBytes: Int
    /// For `file`: rotated files kept (lanes.jsonl.1 … .keep); older ones are deleted.
    public var keep: Int

    public static let defaultMaxBytes = 64 << 20
    public static let defaultKeep = 4

    enum CodingKeys: String, CodingKey, CaseIterable { case to, path, address, port, maxBytes = "max_bytes", keep }

    public init(to: Destination = .stdout, path: String? = nil, address: String = "127.0.0.1", port: Int? = nil,
                maxBytes: Int = LanesOutputConfig.defaultMaxBytes, keep: Int = LanesOutputConfig.defaultKeep) {
        self.to = to
        self.path = path
        self.address = address
        self.port = port
        self.maxBytes = maxBytes
        self.keep = keep
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        to = try c.value(.to, default: .stdout)
        path = try c.decodeIfPresent(String.self, forKey: .path)
        address = try c.value(.address, default: "127.0.0.1")
        port = try c.decodeIfPresent(Int.self, forKey: .port)
        maxBytes = try c.value(.maxBytes, default: Self.defaultMaxBytes)
        keep = try c.value(.keep, default: Self.defaultKeep)
    }
}

public struct MetricsConfig: Decodable, Sendable, Equatable {
    public var enabled: Bool
    /// Loopback by default (`localhost`: 127.0.0.1 and ::1): the endpoint has no authentication.
    public var address: String
    public var port: Int

    enum CodingKeys: String, CodingKey, CaseIterable { case enabled, address, port }

    public init(enabled: Bool = true, address: String = "localhost", port: Int = 9464) {
        self.enabled = enabled
        self.address = address
        self.port = port
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = MetricsConfig()
        enabled = try c.value(.enabled, default: d.enabled)
        address = try c.value(.address, default: d.address)
        port = try c.value(.port, default: d.port)
    }
}

public struct ReconnectConfig: Decodable, Sendable, Equatable {
    public var initialBackoffSeconds: Double
    public var maxBackoffSeconds: Double
    /// A camera gap shorter than this keeps the reference memory (the scene is still the same).
    public var keepMemoryGapSeconds: Double

    enum CodingKeys: String, CodingKey, CaseIterable {
        case initialBackoffSeconds = "initial_backoff_s", maxBackoffSeconds = "max_backoff_s", keepMemoryGapSeconds = "keep_memory_gap_s"
    }

    public init(initialBackoffSeconds: Double = 0.5, maxBackoffSeconds: Double = 10, keepMemoryGapSeconds: Double = 2) {
        self.initialBackoffSeconds = initialBackoffSeconds
        self.maxBackoffSeconds = maxBackoffSeconds
        self.keepMemoryGapSeconds = keepMemoryGapSeconds
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ReconnectConfig()
        initialBackoffSeconds = try c.value(.initialBackoffSeconds, default: d.initialBackoffSeconds)
        maxBackoffSeconds = try c.value(.maxBackoffSeconds, default: d.maxBackoffSeconds)
        keepMemoryGapSeconds = try c.value(.keepMemoryGapSeconds, default: d.keepMemoryGapSeconds)
    }
}
