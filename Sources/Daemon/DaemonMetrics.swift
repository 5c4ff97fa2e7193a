import CoreMetrics
import Foundation
import Prometheus

/// The daemon's metrics, created from one Prometheus registry (no global bootstrap, so several
/// daemons can live in one test process) and exposed in Prometheus text format.
public final class DaemonMetrics: @unchecked Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory

    public let framesIn: CoreMetrics.Counter
    public let framesOut: CoreMetrics.Counter
    public let framesDropped: CoreMetrics.Counter
    public let framesRestored: CoreMetrics.Counter
    /// Frames whose holes were filled by the deadline fallback (copy-last) instead of the CPNet.
    public let framesCopiedLast: CoreMetrics.Counter
    public let reconnects: CoreMetrics.Counter
    public let sourceErrors: CoreMetrics.Counter
    public let fpsIn: CoreMetrics.Meter
    public let fpsOut: CoreMetrics.Meter
    public let holeCoverage: CoreMetrics.Meter
    public let queueDepth: CoreMetrics.Meter
    public let latency: CoreMetrics.Timer
    private var stageTimers: [String: CoreMetrics.Timer] = [:]
    private var skipCounters: [String: CoreMetrics.Counter] = [:]
    private let lock = NSLock()

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        // Per-stage latencies of a 30 fps pipeline: 0.5 ms … 1 s.
        factory.defaultDurationHistogramBuckets = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.033, 0.05, 0.1, 0.2, 0.5, 1].map { Duration.milliseconds($0 * 1000) }
        self.factory = factory
        framesIn = CoreMetrics.Counter(label: "clearlane_frames_in_total", factory: factory)
        framesOut = CoreMetrics.Counter(label: "clearlane_frames_out_total", factory: factory)
        framesDropped = CoreMetrics.Counter(label: "clearlane_frames_dropped_total", factory: factory)
        framesRestored = CoreMetrics.Counter(label: "clearlane_frames_restored_total", factory: factory)
        framesCopiedLast = CoreMetrics.Counter(label: "clearlane_frames_copied_last_total", factory: factory)
        reconnects = CoreMetrics.Counter(label: "clearlane_source_reconnects_total", factory: factory)
        sourceErrors = CoreMetrics.Counter(label: "clearlane_source_errors_total", factory: factory)
        fpsIn = CoreMetrics.Meter(label: "clearlane_fps_in", factory: factory)
        fpsOut = CoreMetrics.Meter(label: "clearlane_fps_out", factory: factory)
        holeCoverage = CoreMetrics.Meter(label: "clearlane_hole_coverage_ratio", factory: factory)
        queueDepth = CoreMetrics.Meter(label: "clearlane_queue_depth_frames", factory: factory)
        latency = CoreMetrics.Timer(label: "clearlane_frame_latency_seconds", factory: factory)
    }

    public func stage(_ name: String) -> CoreMetrics.Timer {
        lock.lock()
        defer { lock.unlock() }
        if let timer = stageTimers[name] { return timer }
        let timer = CoreMetrics.Timer(label: "clearlane_stage_seconds", dimensions: [("stage", name)], factory: factory)
        stageTimers[name] = timer
        return timer
    }

    public func restorationSkipped(_ reason: String) -> CoreMetrics.Counter {
        lock.lock()
        defer { lock.unlock() }
        if let counter = skipCounters[reason] { return counter }
        let counter = CoreMetrics.Counter(label: "clearlane_restoration_skipped_total", dimensions: [("reason", reason)], factory: factory)
        skipCounters[reason] = counter
        return counter
    }

    public func prometheusText() -> String { registry.emitToString() }
}
