import Foundation
import Logging

/// Log lines for systemd's journal: one line per message on stderr, prefixed `<N>` with the
/// syslog priority (sd-daemon(3)), so `journalctl -p warning` filters correctly. No timestamps:
/// the journal adds its own.
public struct JournalLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let label: String

    public init(label: String, level: Logger.Level = .info) {
        self.label = label
        self.logLevel = level
    }

    /// True when stderr goes to the journal (systemd sets JOURNAL_STREAM for the service).
    public static var isUnderSystemd: Bool {
        ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil || ProcessInfo.processInfo.environment["INVOCATION_ID"] != nil
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let priority: Int
        switch event.level {
        case .trace, .debug: priority = 7
        case .info: priority = 6
        case .notice: priority = 5
        case .warning: priority = 4
        case .error: priority = 3
        case .critical: priority = 2
        }
        var text = "\(event.message)"
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        if !merged.isEmpty { text += " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
        // Multi-line messages (config errors) stay one journal entry per line, each with its priority.
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { "<\(priority)>\($0)\n" }.joined()
        FileHandle.standardError.write(Data(lines.utf8))
    }
}
