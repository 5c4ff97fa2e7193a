import ArgumentParser
import Configuration
import Daemon
import Foundation
import Logging
import Pipeline
import ServiceLifecycle
import UnixSignals

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Runs ClearLane as the vehicle daemon: live camera → holes → restoration → lanes.",
        discussion: """
            Reads frames from the config's live source in real time, restores exposure holes when \
            the per-frame deadline allows, detects lanes and writes them as JSON lines (file, stdout \
            or UDP). Under systemd (Type=notify) it reports READY/WATCHDOG/STATUS, reloads its config \
            on SIGHUP (a bad new config is rejected and the old one keeps running) and drains on \
            SIGTERM. Metrics in Prometheus text format on daemon.metrics (loopback by default).

            --source URI takes the camera from the command line instead of the config (rtsp://…, \
            udp://HOST:PORT[?format=mpegts], /dev/videoN, file:///…); the rest of the config applies.

            Example: clearlane run --config /etc/clearlane/clearlane.yaml
                     clearlane run --config /etc/clearlane/clearlane.yaml --source rtsp://192.168.10.20/stream1
            """
    )

    /// A `--source` value as a source template (a folder or a GStreamer description is not one).
    static func sourceURI(_ text: String) throws -> SourceURI {
        guard let uri = try SourceURI.parse(text) else {
            throw SourceURI.Invalid(source: text, reason: "not a camera, stream or video file; supported: \(SourceURI.schemes) (a drive or a GStreamer description goes in a config's source:)")
        }
        return uri
    }

    @Option(help: "The YAML config file (re-read on SIGHUP). Default: config/default.yaml of the installed resources (\(DefaultResources.searchHelp)).")
    var config: String?

    @Option(help: "The camera, overriding the config's source: rtsp://…, udp://HOST:PORT[?format=mpegts], /dev/videoN, file:///… or a video file.")
    var source: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default: the config's logging.level, read at start).")
    var logLevel: String?

    func run() async throws {
        if let logLevel, Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        // The config is read before logging starts, so its logging.level applies from the first line.
        let configFile = try DefaultResources.configFile(self.config)
        let sourceOverride: SourceURI?
        do { sourceOverride = try source.map(Self.sourceURI) } catch { throw CommandFailure("--source: \(error)") }
        let loaded: LoadedConfig
        do { loaded = try LoadedConfig.load(configFile, source: sourceOverride) } catch { throw CommandFailure("\(error)") }
        let level = logLevel.flatMap(Logger.Level.init(rawValue:)) ?? Logger.Level(rawValue: loaded.config.logging.level.rawValue) ?? .info
        LoggingSystem.bootstrap { label in
            if JournalLogHandler.isUnderSystemd { return JournalLogHandler(label: label, level: level) }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "clearlane")
        // The CPNet's speed depends on these more than on anything configurable (decision 0036).
        logger.info("OpenBLAS: \(ClearLane.kernelsLine)")

        let config = configFile

        let notifier = SystemdNotifier()
        let restorer = loaded.config.restorer
        let metrics = DaemonMetrics(buildInfo: ClearLane.buildInfo(model: restorer.enabled ? loaded.resolve(restorer.weights) : nil))
        let session: LiveSession
        do {
            session = try LiveSession(configFile: config, config: loaded, sourceOverride: sourceOverride, notifier: notifier, metrics: metrics,
                                      logger: logger, makeProcessor: { try FrameProcessorFactory.make($0) })
        } catch { throw CommandFailure("\(error)") }

        var server: MetricsServer?
        let metricsConfig = loaded.config.daemon.metrics
        if metricsConfig.enabled {
            let startedAt = Date()
            server = MetricsServer(address: metricsConfig.address, port: metricsConfig.port, logger: logger) { path in
                switch path {
                case "/metrics":
                    return (200, "text/plain; version=0.0.4", metrics.prometheusText())
                case "/healthz":
                    // Healthy once frames flow and the last one is recent (or still starting up).
                    let last = session.lastFrameTime
                    let stale = last.map { Date().timeIntervalSince($0) > 5 } ?? (Date().timeIntervalSince(startedAt) > 30)
                    return stale ? (503, "text/plain", "no frames\n") : (200, "text/plain", "ok\n")
                default:
                    return (404, "text/plain", "not found\n")
                }
            }
        }

        let service = DaemonService(session: session, notifier: notifier, metricsServer: server, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}
