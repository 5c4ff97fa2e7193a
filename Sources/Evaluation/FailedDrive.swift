import Foundation

/// A drive `clearlane replay` could not replay (unreadable or truncated video, bad labels, bad
/// drive.yaml, a recipe that failed to generate): which one, where, and why. The replay goes on
/// with the other drives; the report lists these as missing and the command exits non-zero.
public struct FailedDrive: Codable, Sendable, Equatable {
    public var name: String
    public var path: String
    public var error: String
    /// Position among the replay's drives (as `DriveReport.index`).
    public var index: Int?

    public init(name: String, path: String, error: String, index: Int? = nil) {
        self.name = name
        self.path = path
        self.error = error
        self.index = index
    }
}

extension ReplayReport {
    /// The table's final block: the drives the figures above leave out, one per line (nil when none).
    public func missingBlock() -> String? {
        guard let failed = failedDrives, !failed.isEmpty else { return nil }
        var lines = ["missing: \(failed.count) drive\(failed.count == 1 ? "" : "s") could not be replayed and \(failed.count == 1 ? "is" : "are") not in the figures above"]
        for f in failed {
            lines.append("  \(f.name) (\(f.path)): \(f.error.replacingOccurrences(of: "\n", with: "\n    "))")
        }
        return lines.joined(separator: "\n")
    }

    /// A short HTML section naming the drives the report leaves out ("" when none).
    public func missingHTML() -> String {
        guard let failed = failedDrives, !failed.isEmpty else { return "" }
        var h = "<h2 class=\"note\">Missing: \(failed.count) drive\(failed.count == 1 ? "" : "s") not replayed</h2>\n"
        h += "<p class=\"note\">These drives failed and are left out of every figure below.</p>\n<ul class=\"note\">\n"
        for f in failed {
            h += "<li><strong>\(Self.escape(f.name))</strong> <code>\(Self.escape(f.path))</code>: \(Self.escape(f.error))</li>\n"
        }
        return h + "</ul>\n"
    }
}
