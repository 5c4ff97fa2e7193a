/// `daemon:` — how `clearlane run` behaves as a long-running service.
public struct DaemonConfig: SettingsSection, Sendable, Equatable {
    public var lanesOutput = LanesOutputConfig()
    public var metrics = MetricsConfig()
    public var queueFrames = 2
    public var deadlineFraction = 1.0
    public var reconnect = ReconnectConfig()
    public var statusIntervalSeconds = 5.0

    public static var settings: [Setting<DaemonConfig>] {
        [.section("lanes_output", \.lanesOutput, "where each frame's lanes record goes"),
         .section("metrics", \.metrics, "the Prometheus endpoint"),
         Setting("queue_frames", \.queueFrames, .closed(1...64, "frames"),
                 "frames a live source may buffer before the oldest is dropped (bounded latency)"),
         Setting("deadline_fraction", \.deadlineFraction, .above(0, atMost: 10),
                 "per-frame budget = deadline_fraction / fps; restoration that would overrun it is replaced by its fallback"),
         .section("reconnect", \.reconnect, "what happens when the camera goes away"),
         Setting("status_interval_s", \.statusIntervalSeconds, .closed(0.1...3600, "seconds"), "seconds between STATUS= updates to systemd (and log lines)")]
    }

    public init() {}
    public init(from decoder: Decoder) throws { try self.init(settingsFrom: decoder) }
}

/// `daemon.lanes_output:` — one JSON record per frame, to stdout, a rotated file or UDP.
public struct LanesOutputConfig: SettingsSection, Sendable, Equatable {
    public enum Destination: String, Decodable, Sendable, CaseIterable { case stdout, file, udp, none }
    public var to = Destination.stdout
    public var path: String?
    public var address = "127.0.0.1"
    public var port: Int?
    public var maxBytes = LanesOutputConfig.defaultMaxBytes
    public var keep = LanesOutputConfig.defaultKeep

    public static let defaultMaxBytes = 64 << 20
    public static let defaultKeep = 4

    public static var settings: [Setting<LanesOutputConfig>] {
        [Setting("to", \.to, "where the records go"),
         Setting("path", \.path, accepts: "a file path", "for file: the JSON-lines file (relative to the config's folder), appended to"),
         Setting("address", \.address, "for udp: the address each frame's datagram goes to"),
         Setting("port", \.port, accepts: "a UDP port 1…65535", "for udp: the port"),
         Setting("max_bytes", \.maxBytes, accepts: "0 (never rotate) or at least 4096 bytes", valid: { $0 == 0 || $0 >= 4096 },
                 "for file: rotate when the file would grow past this many bytes"),
         Setting("keep", \.keep, .closed(0...1000, "rotated files"), "for file: rotated files kept (lanes.jsonl.1 … .keep); older ones are deleted")]
    }

    public func crossChecks() -> [SettingProblem] {
        switch to {
        case .file where (path ?? "").isEmpty: [(["path"], "is required when to: file")]
        case .udp where !(1...65535).contains(port ?? 0): [(["port"], "must be a UDP port 1…65535 when to: udp")]
        default: []
        }
    }

    public init() {}

    public init(to: Destination, path: String? = nil, address: String = "127.0.0.1", port: Int? = nil,
                maxBytes: Int = LanesOutputConfig.defaultMaxBytes, keep: Int = LanesOutputConfig.defaultKeep) {
        self.to = to
        self.path = path
        self.address = address
        self.port = port
        self.maxBytes = maxBytes
        self.keep = keep
    }

    public init(from decoder: Decoder) throws { try self.init(settingsFrom: decoder) }
}

/// `daemon.metrics:` — the Prometheus text endpoint (/metrics, /healthz).
public struct MetricsConfig: SettingsSection, Sendable, Equatable {
    public var enabled = true
    public var address = "localhost"
    public var port = 9464

    public static var settings: [Setting<MetricsConfig>] {
        [Setting("enabled", \.enabled, "serve /metrics and /healthz"),
         Setting("address", \.address, "listen address; localhost (127.0.0.1 and ::1) by default: the endpoint has no authentication"),
         Setting("port", \.port, .closed(0...65535), "TCP port (0: any free one)")]
    }

    public init() {}
    public init(from decoder: Decoder) throws { try self.init(settingsFrom: decoder) }
}

/// `daemon.reconnect:` — backoff when the camera goes away, and when the memory survives a gap.
public struct ReconnectConfig: SettingsSection, Sendable, Equatable {
    public var initialBackoffSeconds = 0.5
    public var maxBackoffSeconds = 10.0
    public var keepMemoryGapSeconds = 2.0

    public static var settings: [Setting<ReconnectConfig>] {
        [Setting("initial_backoff_s", \.initialBackoffSeconds, accepts: "> 0 seconds", valid: { $0 > 0 }, "first wait before reconnecting; doubles up to max_backoff_s"),
         Setting("max_backoff_s", \.maxBackoffSeconds, .above(0, atMost: 600, "seconds"), "longest wait between reconnection attempts"),
         Setting("keep_memory_gap_s", \.keepMemoryGapSeconds, .atLeast(0, "seconds"),
                 "a camera gap shorter than this keeps the reference memory (the scene is still the same)")]
    }

    public func crossChecks() -> [SettingProblem] {
        initialBackoffSeconds <= maxBackoffSeconds ? [] : [(["initial_backoff_s"], "must be ≤ max_backoff_s (\(maxBackoffSeconds))")]
    }

    public init() {}
    public init(from decoder: Decoder) throws { try self.init(settingsFrom: decoder) }
}
