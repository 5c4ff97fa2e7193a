import Configuration
import Foundation
import Imaging
import Logging
import Media
import Pipeline
import Synchronization

/// The daemon's processing loop: camera → processor → lanes output / restored video, in real
/// time, on one dedicated thread.
///
/// - Bounded latency: a live source's appsink holds at most `daemon.queue_frames`; when the loop
///   falls behind GStreamer drops the oldest frame, and the loop counts the drop from the gap in
///   timestamps.
/// - Deadline: each frame gets `deadline_fraction / fps` seconds, minus its age on arrival; the
///   processor skips restoration it predicts would overrun (flagged, counted).
/// - Faults: a source error or an unexpected end of stream rebuilds the source with exponential
///   backoff; a short gap keeps the reference memory, a long one clears it.
/// - Control: `requestStop()` (SIGTERM) finishes the frame in hand, closes sinks, returns;
///   `requestReload()` (SIGHUP) loads the config file again between frames and keeps the old one
///   when the new one is invalid.
/// - The watchdog is pinged from this loop only, so a stalled loop stops the pings.
public final class LiveSession: @unchecked Sendable {
    public typealias ProcessorFactory = (LoadedConfig) throws -> FrameProcessing

    public enum Outcome: Equatable, Sendable {
        case stopped
        case sourceFinished
    }

    private struct Requests {
        var stop = false
        var reload = false
    }

    private let configFile: String
    private let makeProcessor: ProcessorFactory
    private let notifier: SystemdNotifier
    public let metrics: DaemonMetrics
    private var logger: Logger
    private let requests = Mutex(Requests())
    private let lastFrameAt = Mutex<Date?>(nil)

    private var config: LoadedConfig
    private var processor: FrameProcessing
    private var source: FrameSource?
    private var sourceIsLive = false
    private var videoSink: FrameSink?
    private var videoSinkFragment: String?
    private var lanes: LaneRecordWriter
    private var record = [UInt8]()

    // Counters for STATUS= and logs (the metrics registry has the full picture).
    private var framesIn = 0, framesOut = 0, dropped = 0, restored = 0, copiedLast = 0, reconnects = 0
    /// Lane records refused by the output in total, and in the current run of refusals (logged at
    /// its start and end rather than per frame, so a full disk does not flood the journal too).
    private var unwritten = 0, unwrittenRun = 0
    private var lastPTS: UInt64?
    /// Frame numbers in the lanes output keep counting across source rebuilds (a rebuilt source
    /// starts its own index at 0 again): output number = source index + offset.
    private var frameOffset = 0, nextFrameNumber = 0
    private var readySent = false

    /// `--source URI`: replaces the config's source, also after a reload.
    private let sourceOverride: SourceURI?

    public init(configFile: String, config: LoadedConfig, sourceOverride: SourceURI? = nil, notifier: SystemdNotifier, metrics: DaemonMetrics,
                logger: Logger, makeProcessor: @escaping ProcessorFactory) throws {
        self.configFile = configFile
        self.sourceOverride = sourceOverride
        self.config = config
        self.notifier = notifier
        self.metrics = metrics
        self.logger = logger
        self.makeProcessor = makeProcessor
        processor = try makeProcessor(config)
        lanes = try LaneRecordWriter(config.config.daemon.lanesOutput, baseDirectory: config.baseDirectory)
    }

    public func requestStop() { requests.withLock { $0.stop = true } }
    public func requestReload() { requests.withLock { $0.reload = true } }

    /// When the last frame went out (for /healthz).
    public var lastFrameTime: Date? { lastFrameAt.withLock { $0 } }

    /// Runs until stopped (or until a non-live source ends). Never throws: every fault is logged,
    /// counted and retried, so the service stays up.
    public func run() -> Outcome {
        var frame = Frame(image: RGBImage(width: 0, height: 0), pts: nil, index: 0)
        var backoff = config.config.daemon.reconnect.initialBackoffSeconds
        var lostAt: Date?
        var nextWatchdog = Date()
        var nextStatus = Date().addingTimeInterval(config.config.daemon.statusIntervalSeconds)
        var window = (start: Date(), framesIn: 0, framesOut: 0)
        var silentFor = 0.0
        var outcome = Outcome.stopped

        loop: while true {
            let pending = requests.withLock { r -> Requests in
                let copy = r
                r.reload = false
                return copy
            }
            if pending.stop { break }
            if pending.reload { reload() }

            let now = Date()
            if let interval = notifier.watchdogInterval, now >= nextWatchdog {
                notifier.watchdog()
                nextWatchdog = now.addingTimeInterval(interval / 2)
            }
            if now >= nextStatus {
                let span = now.timeIntervalSince(window.start)
                let fin = Double(framesIn - window.framesIn) / span, fout = Double(framesOut - window.framesOut) / span
                metrics.fpsIn.set(fin)
                metrics.fpsOut.set(fout)
                var text = String(format: "%.1f fps in, %.1f fps out, %d dropped, %d restored, %d copied-last, %@", fin, fout, dropped, restored, copiedLast,
                                  source == nil ? "waiting for camera" : "running")
                if unwrittenRun > 0 { text += ", lanes output failing (\(lanes.lastWriteError ?? "?"); \(unwritten) records not written)" }
                notifier.status(text)
                logger.info("status: \(text)")
                window = (now, framesIn, framesOut)
                nextStatus = now.addingTimeInterval(config.config.daemon.statusIntervalSeconds)
            }

            guard let source else {
                if let lostAt, Date().timeIntervalSince(lostAt) < backoff {
                    Thread.sleep(forTimeInterval: 0.05)
                    continue
                }
                do {
                    try openSource()
                    if let lost = lostAt {
                        let gap = Date().timeIntervalSince(lost)
                        processor.reset(keepMemory: gap < config.config.daemon.reconnect.keepMemoryGapSeconds)
                        reconnects += 1
                        metrics.reconnects.increment()
                        logger.notice("source reopened after \(String(format: "%.1f", gap)) s")
                    }
                    lostAt = nil
                    silentFor = 0
                } catch {
                    logger.error("cannot open source: \(error); retrying in \(String(format: "%.1f", backoff)) s")
                    metrics.sourceErrors.increment()
                    lostAt = Date()
                    backoff = min(backoff * 2, config.config.daemon.reconnect.maxBackoffSeconds)
                }
                continue
            }

            let result: FrameSource.PollResult
            do {
                result = try source.poll(into: &frame, timeout: 0.1)
            } catch {
                logger.error("source failed: \(error)")
                metrics.sourceErrors.increment()
                dropSource(lostAt: &lostAt)
                continue
            }
            switch result {
            case .noFrameYet:
                silentFor += 0.1
                if silentFor >= config.config.source.stallTimeoutSeconds {
                    logger.error("source silent for \(String(format: "%.1f", silentFor)) s; reconnecting")
                    metrics.sourceErrors.increment()
                    dropSource(lostAt: &lostAt)
                }
                continue
            case .endOfStream:
                if sourceIsLive {
                    logger.warning("live source ended unexpectedly; reconnecting")
                    dropSource(lostAt: &lostAt)
                    continue
                }
                outcome = .sourceFinished
                break loop
            case .frame:
                silentFor = 0
                backoff = config.config.daemon.reconnect.initialBackoffSeconds
                handle(&frame, from: source)
            }
        }
        drain()
        return outcome
    }

    private func handle(_ frame: inout Frame, from source: FrameSource) {
        let settings = config.config
        framesIn += 1
        metrics.framesIn.increment()
        let interval = 1 / (source.streamInfo?.fps ?? settings.processing.fps)
        // Drops: a live appsink discards the oldest frames when we fall behind; their absence shows
        // as a gap in timestamps.
        if let pts = frame.pts {
            if let last = lastPTS, pts > last {
                let missing = Int((Double(pts - last) / 1e9 / interval).rounded()) - 1
                if missing > 0 {
                    dropped += missing
                    metrics.framesDropped.increment(by: Int64(missing))
                }
            }
            lastPTS = pts
        }
        let arrivedAge = age(of: frame, in: source)
        let startedAt = DispatchTime.now().uptimeNanoseconds
        let budget = settings.daemon.deadlineFraction * interval - arrivedAge
        metrics.frameAge.set(max(arrivedAge, 0))

        let result = processor.process(&frame, budget: budget)
        for (stage, seconds) in result.stageSeconds {
            metrics.stage(stage).recordNanoseconds(Int64(seconds * 1e9))
        }
        switch result.restoration {
        case .restored:
            restored += 1
            metrics.framesRestored.increment()
        case .copiedLast:
            copiedLast += 1
            metrics.framesCopiedLast.increment()
        case .skippedDeadline, .skippedNoReferences, .disabled:
            metrics.restorationSkipped(result.restoration.rawValue).increment()
        case .notNeeded:
            break
        }
        metrics.holeCoverage.set(result.holeCoverage)

        if let videoSink {
            do { try videoSink.write(frame.image, pts: frame.pts) } catch {
                logger.error("video output failed, closing it: \(error)")
                try? videoSink.finish(timeout: 5)
                self.videoSink = nil
            }
        }
        // Capture-to-output when the source's timestamps follow its clock; never less than the
        // time spent here (sources whose pts do not relate to the clock report age 0).
        let spent = Double(DispatchTime.now().uptimeNanoseconds - startedAt) / 1e9
        let latency = max(age(of: frame, in: source), arrivedAge + spent)
        metrics.latency.recordNanoseconds(Int64(max(latency, 0) * 1e9))
        encode(frame, result, latency: latency)
        // Out means written: a refused record counts as an error, never as a frame out (and
        // /healthz, which follows the last frame out, turns unhealthy while nothing goes out).
        if lanes.write(record) {
            if unwrittenRun > 0 {
                logger.notice("lanes output \(lanes.destination) writes again after refusing \(unwrittenRun) records")
                unwrittenRun = 0
            }
            framesOut += 1
            metrics.framesOut.increment()
            lastFrameAt.withLock { $0 = Date() }
        } else {
            unwritten += 1
            unwrittenRun += 1
            metrics.lanesWriteErrors.increment()
            if unwrittenRun == 1 {
                logger.error("lanes output \(lanes.destination) refused the record of frame \(nextFrameNumber - 1): \(lanes.lastWriteError ?? "?"); processing goes on, refused records are dropped and counted (clearlane_lanes_write_errors_total)")
            }
        }
        if !readySent {
            readySent = true
            notifier.ready(status: "first frame processed")
            logger.notice("ready: first frame processed")
        }
    }

    /// Seconds since the frame was captured (live) — 0 for sources without a clock relation.
    private func age(of frame: Frame, in source: FrameSource) -> Double {
        guard sourceIsLive, let pts = frame.pts, let now = source.runningTime() else { return 0 }
        return now > pts ? Double(now - pts) / 1e9 : 0
    }

    private func encode(_ frame: Frame, _ result: ProcessedFrame, latency: Double) {
        // Into a reused buffer: no Encodable round trip per frame (LaneRecord.encodeJSON).
        let outputIndex = frame.index + frameOffset
        nextFrameNumber = outputIndex + 1
        let size = result.size ?? processor.frameSize
        LaneRecord(frame: outputIndex, ptsNs: frame.pts, width: size.width, height: size.height, hSamples: result.hSamples,
                   lanes: result.lanes.map { LaneRecord.Lane(x: $0.xs, confidence: $0.confidence) },
                   restored: result.restoration == .restored, restoration: result.restoration.rawValue,
                   holeCoverage: result.holeCoverage, latencyMs: latency * 1000).encodeJSON(into: &record)
    }

    private func openSource() throws {
        let settings = config.config
        let (fragment, live) = try config.sourceFragment()
        let size = processor.frameSize
        let options = FrameSource.Options(
            stallTimeout: settings.source.stallTimeoutSeconds, realTime: false,
            maxBuffers: live ? settings.daemon.queueFrames : 4, dropOldest: live, requireCompleteFile: false)
        source = try FrameSource(pipeline: "\(fragment) ! \(FrameSource.appSinkTail(size: size))", options: options)
        sourceIsLive = live
        lastPTS = nil
        frameOffset = nextFrameNumber
        if videoSink == nil, let sinkFragment = try config.videoSinkFragment() {
            videoSink = try FrameSink(pipeline: FrameSink.appSrcHead(sinkFragment), size: size, fps: settings.processing.fps)
            videoSinkFragment = sinkFragment
        }
    }

    private func dropSource(lostAt: inout Date?) {
        source?.close()
        source = nil
        lostAt = Date()
    }

    private func reload() {
        notifier.reloading()
        logger.notice("reloading \(configFile)")
        do {
            // At start an empty file means every default; on reload it is almost surely a file
            // caught being rewritten (truncated, not yet written), and the defaults would switch
            // the source and the lanes output away from what is running. Checked first, so the
            // log says so rather than what the defaults lack.
            if try YAMLLoader(contentsOf: configFile).isEmptyDocument {
                throw ConfigError(file: configFile, keyPath: "", line: nil,
                                  message: "is empty (being rewritten?); a reload needs the settings written out")
            }
            let fresh = try LoadedConfig.load(configFile, source: sourceOverride)
            let newProcessor = try makeProcessor(fresh)
            let newLanes = fresh.config.daemon.lanesOutput == config.config.daemon.lanesOutput
                ? lanes : try LaneRecordWriter(fresh.config.daemon.lanesOutput, baseDirectory: fresh.baseDirectory)
            let sizeChanged = newProcessor.frameSize != processor.frameSize || fresh.config.processing != config.config.processing
            let sourceChanged = fresh.config.source != config.config.source || sizeChanged
            let sinkChanged = (try fresh.videoSinkFragment()) != videoSinkFragment || sizeChanged
            if newLanes !== lanes { lanes.close() }
            lanes = newLanes
            processor = newProcessor
            config = fresh
            if sinkChanged, let sink = videoSink {
                try? sink.finish(timeout: 10)
                videoSink = nil
                videoSinkFragment = nil
            }
            if sourceChanged || sinkChanged {
                source?.close()
                source = nil
            }
            logger.notice("reloaded \(configFile)\(sourceChanged ? " (source rebuilt)" : "")")
            notifier.ready(status: "configuration reloaded")
        } catch {
            logger.error("reload rejected, keeping the running configuration: \(error)")
            notifier.ready(status: "reload rejected: \(String(describing: error).split(separator: "\n").first ?? "")")
        }
    }

    /// Finishes outputs so nothing already produced is lost.
    private func drain() {
        source?.close()
        source = nil
        if let videoSink {
            do { try videoSink.finish(timeout: 20) } catch { logger.error("closing video output: \(error)") }
            self.videoSink = nil
        }
        lanes.close()
        logger.notice("stopped: \(framesIn) frames in, \(framesOut) out, \(dropped) dropped, \(restored) restored, \(copiedLast) copied-last, \(reconnects) reconnects")
    }
}
