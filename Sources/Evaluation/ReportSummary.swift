import Foundation

/// The report's answer, read before any table: on the exposure-affected labeled frames, each
/// variant against raw (and restored against the copy baselines and clean), and the drives where
/// restoration helped and hurt most. Without labels, what can be said without them: hole
/// coverage, who filled the holes, and whether the ego lane held steadier.
public struct ReportSummary: Sendable, Equatable {
    public struct Change: Sendable, Equatable {
        public var drive: String
        /// Points of TuSimple accuracy on the drive's affected frames (restored − compared).
        public var points: Double
    }

    /// The summary's sentences, in order (plain text; the HTML marks them up).
    public var lines: [String] = []
    /// Drives where restored is furthest above raw (largest first), and furthest below (worst first).
    public var helped: [Change] = []
    public var hurt: [Change] = []
    /// Drives where restored is more than `margin` points behind the better copy baseline.
    public var behindBaseline: [Change] = []

    /// Points of difference below which a drive counts as neither helped nor hurt.
    public static let margin = 2.0

    /// The paired drive bootstrap of `a` − `b` on the drives' exposure-affected frames, drawn by
    /// footage (nil with fewer than `DriveBootstrap.minimumFootages` footages scoring both):
    /// `clearlane report compare` of the report with itself.
    public static func interval(_ report: ReplayReport, _ a: String, against b: String) -> DriveBootstrap? {
        (try? ReportComparison(report, report, variant: a, variantB: b))?.interval
    }

    public init(_ report: ReplayReport, listed: Int = 3) {
        let affected = report.overall.compactMapValues { v in v.exposureAffected.tusimpleFrames > 0 ? v.exposureAffected : nil }
        func pct(_ s: ScoreSummary) -> String { String(format: "%.1f %%", 100 * s.accuracy) }
        func points(_ a: ScoreSummary, _ b: ScoreSummary) -> String { String(format: "%+.1f", 100 * (a.accuracy - b.accuracy)) }
        let frames = affected.values.map(\.frames).max() ?? 0
        if let raw = affected["raw"] {
            var parts: [String] = []
            for name in report.variants where name != "raw" {
                guard let s = affected[name] else { continue }
                parts.append("\(name) \(pct(s)) (\(points(s, raw)))")
            }
            lines.append("Lane accuracy on the \(frames) exposure-affected labeled frames (official TuSimple), against raw \(pct(raw)): "
                         + (parts.isEmpty ? "no other variant." : parts.joined(separator: ", ") + "."))
        } else if frames > 0 {
            lines.append("Lane accuracy on the \(frames) exposure-affected labeled frames: "
                         + report.variants.compactMap { n in affected[n].map { "\(n) \(pct($0))" } }.joined(separator: ", ") + ".")
        }
        // Points above raw say little alone: a set whose clean frames sit 2 points above the
        // copy baselines cannot show restoration 5 points ahead of them. The share of the raw →
        // clean gap each variant closes puts every variant on the same scale (1 = as clean).
        if let raw = affected["raw"], let clean = affected["clean"], clean.accuracy - raw.accuracy >= 0.001 {
            let gap = clean.accuracy - raw.accuracy
            let parts = report.variants.filter { $0 != "raw" && $0 != "clean" }.compactMap { name in
                affected[name].map { "\(name) " + String(format: "%.0f %%", 100 * ($0.accuracy - raw.accuracy) / gap) }
            }
            if !parts.isEmpty {
                lines.append(String(format: "Share of the %.1f-point gap from raw to clean closed: ", 100 * gap)
                             + parts.joined(separator: ", ") + ".")
            }
        }
        if let restored = affected["restored"] {
            let baselines = ["copy-last", "median"].compactMap { n in affected[n].map { (n, $0) } }
            if let best = baselines.max(by: { $0.1.accuracy < $1.1.accuracy }) {
                let verdict = restored.accuracy >= best.1.accuracy ? "ahead of" : "behind"
                var line = "Restored is \(verdict) the better copy baseline (\(best.0) \(pct(best.1))) by \(String(format: "%.1f", abs(100 * (restored.accuracy - best.1.accuracy)))) points"
                // One or two points on a set of drives that each swing by several: say whether
                // the set can tell the two apart at all.
                if let interval = Self.interval(report, "restored", against: best.0) {
                    // Drives made from one footage share its road and camera: they are drawn together.
                    let units = interval.footages == interval.drives
                        ? "the \(interval.drives) drives resampled (paired bootstrap over drives)"
                        : "the \(interval.drives) drives resampled by footage (paired bootstrap over their \(interval.footages) footages)"
                    line += String(format: "; with %@, 95 %% of the differences lie between %+.1f and %+.1f points",
                                   units, 100 * interval.low, 100 * interval.high)
                    line += interval.separates ? "." : ": this set cannot tell them apart."
                } else {
                    line += "."
                }
                lines.append(line)
            }
            if let clean = affected["clean"], clean.accuracy > 0 {
                lines.append(String(format: "Restored reaches %.0f %% of clean (%@), the ceiling a perfect restoration would reach.",
                                    100 * restored.accuracy / clean.accuracy, pct(clean)))
            }
        }
        let perDrive = report.drives.compactMap { d -> (String, Double, Double?)? in
            guard let r = d.variants["restored"]?.exposureAffected, let raw = d.variants["raw"]?.exposureAffected,
                  r.tusimpleFrames > 0, raw.tusimpleFrames > 0 else { return nil }
            let baseline = ["copy-last", "median"].compactMap { d.variants[$0]?.exposureAffected }.filter { $0.tusimpleFrames > 0 }
                .map(\.accuracy).max()
            return (d.name, 100 * (r.accuracy - raw.accuracy), baseline.map { 100 * (r.accuracy - $0) })
        }
        helped = perDrive.filter { $0.1 > Self.margin }.sorted { $0.1 > $1.1 }.prefix(listed).map { Change(drive: $0.0, points: $0.1) }
        hurt = perDrive.filter { $0.1 < -Self.margin }.sorted { $0.1 < $1.1 }.map { Change(drive: $0.0, points: $0.1) }
        behindBaseline = perDrive.compactMap { d in d.2.flatMap { $0 < -Self.margin ? Change(drive: d.0, points: $0) : nil } }
            .sorted { $0.points < $1.points }
        if !perDrive.isEmpty {
            let helpedCount = perDrive.filter { $0.1 > Self.margin }.count
            lines.append("Per drive (restored − raw on affected frames): helped on \(helpedCount) of \(perDrive.count), "
                         + "hurt (more than \(Int(Self.margin)) points below raw) on \(hurt.count)"
                         + (perDrive.contains { $0.2 != nil } ? ", behind the better copy baseline on \(behindBaseline.count)." : "."))
        }
        // What holds without labels: who filled the holes and whether the ego lane held.
        if frames == 0 {
            let mean = report.drives.isEmpty ? 0 : report.drives.map(\.meanHoleCoverage).reduce(0, +) / Double(report.drives.count)
            let affectedFrames = report.drives.map(\.affectedFrames).reduce(0, +), total = report.drives.map(\.frames).reduce(0, +)
            lines.append(String(format: "No labels, so no accuracy: %d of %d frames exposure-affected, mean hole coverage of the lane ROI %.1f %%.",
                                affectedFrames, total, 100 * mean))
            if let outcomes = report.overall["restored"]?.restorations?.filter({ $0.key != "not_needed" }), !outcomes.isEmpty {
                lines.append("Frames with holes, restored: " + outcomes.sorted { $0.value > $1.value }.map { "\($0.value) \($0.key)" }.joined(separator: ", ") + ".")
            }
            let steadiness = report.variants.compactMap { n -> String? in
                guard let s = report.overall[n]?.laneStability, let pair = s.egoPairRate else { return nil }
                return String(format: "%@ %.0f %%", n, 100 * pair) + (s.meanJitter.map { String(format: " (moves %.1f %% of a lane width per frame)", 100 * $0) } ?? "")
            }
            if !steadiness.isEmpty { lines.append("Both ego lines found: " + steadiness.joined(separator: ", ") + ".") }
        }
    }
}
