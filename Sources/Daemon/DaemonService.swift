import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// `clearlane run` as a ServiceLifecycle service: the processing loop on its own thread, the
/// metrics endpoint beside it. SIGTERM/SIGINT arrive as graceful shutdown (ServiceGroup); SIGHUP
/// is the one other signal, handled here as a reload request. Nothing else handles signals.
public final class DaemonService: Service, @unchecked Sendable {
    private let session: LiveSession
    private let notifier: SystemdNotifier
    private let metricsServer: MetricsServer?
    private let logger: Logger

    public init(session: LiveSession, notifier: SystemdNotifier, metricsServer: MetricsServer?, logger: Logger) {
        self.session = session
        self.notifier = notifier
        self.metricsServer = metricsServer
        self.logger = logger
    }

    public func run() async throws {
        try await metricsServer?.start()
        if let metricsServer { logger.notice("metrics on \(metricsServer.urls) (/metrics, /healthz)") }
        let session = self.session
        let notifier = self.notifier
        let reloads = await UnixSignalsSequence(trapping: .sighup)
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await _ in reloads { session.requestReload() }
                }
                // The loop blocks in GStreamer; give it a thread of its own, not a pool thread.
                let outcome: LiveSession.Outcome = await withCheckedContinuation { continuation in
                    let thread = Thread { continuation.resume(returning: session.run()) }
                    thread.name = "clearlane-frames"
                    thread.start()
                }
                group.cancelAll()
                self.logger.notice("processing loop ended: \(outcome == .stopped ? "stopped" : "source finished")")
            }
        } onGracefulShutdown: {
            notifier.stopping(status: "draining")
            session.requestStop()
        }
        await metricsServer?.stop()
    }
}
