import CoreMetrics
import Foundation
import Prometheus

/// The daemon's metrics, created from one Prometheus registry (no global bootstrap, so several
/// daemons can live in one test process) and exposed in Prometheus text format, every metric
/// with its `# HELP` and `# TYPE` lines.
public final class DaemonMetrics: @unchecked Sendable {
    public let registry = PrometheusCollectorRegistry()

    public let framesIn: CoreMetrics.Counter
    public let framesOut: CoreMetrics.Counter
    public let framesDropped: CoreMetrics.Counter
    public let framesRestored: CoreMetrics.Counter
    /// Frames whose holes were filled by the deadline fallback (copy-last) instead of the CPNet.
    public let framesCopiedLast: CoreMetrics.Counter
    public let reconnects: CoreMetrics.Counter
    /// Lane records the output refused (disk full, …): processed frames that did not go out.
    public let lanesWriteErrors: CoreMetrics.Counter
    public let sourceErrors: CoreMetrics.Counter
    public let fpsIn: CoreMetrics.Meter
    public let fpsOut: CoreMetrics.Meter
    public let holeCoverage: CoreMetrics.Meter
    /// Age of the last frame when processing started (capture to start, seconds). Formerly
    /// exported as `clearlane_queue_depth_frames` in frame intervals, which it never was.
    public let frameAge: CoreMetrics.Meter
    public let latency: CoreMetrics.Timer
    private var stageTimers: [String: CoreMetrics.Timer] = [:]
    private var skipCounters: [String: CoreMetrics.Counter] = [:]
    private let lock = NSLock()
    /// Per-stage latencies of a 30 fps pipeline: 0.5 ms … 1 s.
    private static let buckets = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.033, 0.05, 0.1, 0.2, 0.5, 1].map { Duration.milliseconds($0 * 1000) }

    /// Every metric this exports, with its help text (docs/guides/running-as-a-service.md lists them).
    public static let help: [String: String] = [
        "clearlane_frames_in_total": "Frames received from the source.",
        "clearlane_frames_out_total": "Frames processed and written to the lanes output.",
        "clearlane_lanes_write_errors_total": "Lane records the lanes output refused (disk full, I/O or send error); those frames were processed but not written.",
        "clearlane_frames_dropped_total": "Frames the bounded source queue dropped because processing fell behind (counted from timestamp gaps).",
        "clearlane_frames_restored_total": "Frames whose exposure holes the CPNet restored.",
        "clearlane_frames_copied_last_total": "Frames whose holes the deadline fallback filled with each pixel's last filmed value.",
        "clearlane_restoration_skipped_total": "Frames with holes left unrestored, by reason (skipped_deadline, skipped_no_references, disabled).",
        "clearlane_source_errors_total": "Source failures: element errors, stalls, unexpected ends, failed opens.",
        "clearlane_source_reconnects_total": "Times the source was rebuilt after a failure.",
        "clearlane_fps_in": "Frames per second received over the last status interval.",
        "clearlane_fps_out": "Frames per second processed over the last status interval.",
        "clearlane_hole_coverage_ratio": "Share of the lane region of interest covered by exposure holes in the last frame.",
        "clearlane_frame_age_seconds": "Age of the last frame when its processing started (capture to start; 0 for sources without a capture clock).",
        "clearlane_frame_latency_seconds": "Capture (or arrival) to lanes output, per frame.",
        "clearlane_stage_seconds": "Time per pipeline stage per frame (exposure, restore, lanes).",
        "clearlane_build_info": "Version, git commit and model SHA-256 of the running daemon; always 1.",
    ]

    public init(buildInfo: BuildInfo? = nil) {
        let registry = self.registry
        func counter(_ name: String, _ labels: [(String, String)] = []) -> CoreMetrics.Counter {
            CoreMetrics.Counter(label: name, dimensions: labels, handler: registry.makeCounter(name: name, labels: labels, help: Self.help[name] ?? ""))
        }
        func gauge(_ name: String) -> CoreMetrics.Meter {
            CoreMetrics.Meter(label: name, dimensions: [], handler: registry.makeGauge(name: name, labels: [], help: Self.help[name] ?? ""))
        }
        framesIn = counter("clearlane_frames_in_total")
        framesOut = counter("clearlane_frames_out_total")
        framesDropped = counter("clearlane_frames_dropped_total")
        framesRestored = counter("clearlane_frames_restored_total")
        framesCopiedLast = counter("clearlane_frames_copied_last_total")
        reconnects = counter("clearlane_source_reconnects_total")
        lanesWriteErrors = counter("clearlane_lanes_write_errors_total")
        sourceErrors = counter("clearlane_source_errors_total")
        fpsIn = gauge("clearlane_fps_in")
        fpsOut = gauge("clearlane_fps_out")
        holeCoverage = gauge("clearlane_hole_coverage_ratio")
        frameAge = gauge("clearlane_frame_age_seconds")
        let name = "clearlane_frame_latency_seconds"
        latency = CoreMetrics.Timer(label: name, dimensions: [], handler: registry.makeDurationHistogram(
            name: name, labels: [], buckets: Self.buckets, help: Self.help[name] ?? ""))
        if let buildInfo {
            registry.makeGauge(name: "clearlane_build_info",
                               labels: [("version", buildInfo.version), ("commit", buildInfo.commit), ("model_sha256", buildInfo.shortModelSHA256)],
                               help: Self.help["clearlane_build_info"] ?? "").set(to: 1)
        }
    }

    public func stage(_ name: String) -> CoreMetrics.Timer {
        lock.lock()
        defer { lock.unlock() }
        if let timer = stageTimers[name] { return timer }
        let metric = "clearlane_stage_seconds"
        let timer = CoreMetrics.Timer(label: metric, dimensions: [("stage", name)], handler: registry.makeDurationHistogram(
            name: metric, labels: [("stage", name)], buckets: Self.buckets, help: Self.help[metric] ?? ""))
        stageTimers[name] = timer
        return timer
    }

    public func restorationSkipped(_ reason: String) -> CoreMetrics.Counter {
        lock.lock()
        defer { lock.unlock() }
        if let counter = skipCounters[reason] { return counter }
        let metric = "clearlane_restoration_skipped_total"
        let counter = CoreMetrics.Counter(label: metric, dimensions: [("reason", reason)],
                                          handler: registry.makeCounter(name: metric, labels: [("reason", reason)], help: Self.help[metric] ?? ""))
        skipCounters[reason] = counter
        return counter
    }

    public func prometheusText() -> String { registry.emitToString() }
}
