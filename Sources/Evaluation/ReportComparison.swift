import Foundation

/// One variant of two replay reports of the same drives, compared drive by drive: what a change
/// of default (a config, a model) did, with the paired drive bootstrap's interval
/// (`DriveBootstrap`, docs/design/metrics.md § Comparing variants). `clearlane report compare`.
public struct ReportComparison: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        public var drive: String
        /// The footage the drive was made from (`DriveReport.footage`; the drive's name when the
        /// report predates it): the bootstrap draws drives of one footage together.
        public var footage: String
        /// The drive's exposure-affected TuSimple frames and summed accuracy in each report.
        public var scores: DriveBootstrap.Pair
        public var accuracyA: Double { scores.accuracySumA / Double(scores.framesA) }
        public var accuracyB: Double { scores.accuracySumB / Double(scores.framesB) }
        /// Points of difference, a − b.
        public var points: Double { 100 * (accuracyA - accuracyB) }
    }

    public var variantA: String
    public var variantB: String
    /// Drives both reports scored with their variant, in the first report's order.
    public var rows: [Row] = []
    /// Drives only one of the reports has (or has without the variant).
    public var onlyInA: [String] = []
    public var onlyInB: [String] = []
    /// Pooled difference a − b over `rows` with its interval, drawn by footage; nil below three
    /// footages.
    public var interval: DriveBootstrap?

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case noCommonDrives(String, String)
        public var description: String {
            switch self {
            case let .noCommonDrives(a, b):
                return "the reports have no drive in common where \(a) (first) and \(b) (second) were both scored on exposure-affected labeled frames; compare reports of the same set"
            }
        }
    }

    /// Compares `variant` of `a` with `variantB` (default: the same name) of `b`, matching drives
    /// by name.
    public init(_ a: ReplayReport, _ b: ReplayReport, variant: String = "restored", variantB second: String? = nil) throws(Failure) {
        variantA = variant
        variantB = second ?? variant
        let variantB = self.variantB
        let scoredInB = Dictionary(b.drives.compactMap { d in d.variants[variantB].map { (d.name, $0.exposureAffected) } },
                                uniquingKeysWith: { first, _ in first })
        var seen = Set<String>()
        for d in a.drives {
            guard let x = d.variants[variantA]?.exposureAffected else { continue }
            seen.insert(d.name)
            guard let y = scoredInB[d.name] else { onlyInA.append(d.name); continue }
            guard x.tusimpleFrames > 0, y.tusimpleFrames > 0 else { continue }
            rows.append(Row(drive: d.name, footage: d.footage ?? d.name, scores: DriveBootstrap.Pair(accuracySumA: x.accuracySum, framesA: x.tusimpleFrames,
                                                                       accuracySumB: y.accuracySum, framesB: y.tusimpleFrames)))
        }
        onlyInB = b.drives.map(\.name).filter { scoredInB[$0] != nil && !seen.contains($0) }
        guard !rows.isEmpty else { throw .noCommonDrives(variantA, variantB) }
        interval = DriveBootstrap(groups: footageGroups.map { $0.rows.map(\.scores) })
    }

    /// The rows of each footage, in the order footages first appear.
    public var footageGroups: [(footage: String, rows: [Row])] {
        var order: [String] = []
        var byFootage: [String: [Row]] = [:]
        for row in rows {
            if byFootage[row.footage] == nil { order.append(row.footage) }
            byFootage[row.footage, default: []].append(row)
        }
        return order.map { ($0, byFootage[$0]!) }
    }

    /// Pooled accuracy of each side over the common drives (fractions).
    public var pooled: (a: Double, b: Double) {
        let pairs = rows.map(\.scores)
        return (pairs.map(\.accuracySumA).reduce(0, +) / Double(pairs.map(\.framesA).reduce(0, +)),
                pairs.map(\.accuracySumB).reduce(0, +) / Double(pairs.map(\.framesB).reduce(0, +)))
    }

    /// The comparison as text: one line per drive (largest change first), then the pooled verdict.
    public func text(labelA: String, labelB: String) -> String {
        var lines = ["\(variantA) in \(labelA) (a) against \(variantB) in \(labelB) (b), exposure-affected frames, official TuSimple accuracy:"]
        let width = max(5, rows.map(\.drive.count).max() ?? 0)
        lines.append("drive".padding(toLength: width, withPad: " ", startingAt: 0) + "   frames      a %      b %   a − b")
        for r in rows.sorted(by: { abs($0.points) > abs($1.points) }) {
            lines.append(r.drive.padding(toLength: width, withPad: " ", startingAt: 0)
                         + String(format: "   %6d   %6.1f   %6.1f   %+5.1f", r.scores.framesA, 100 * r.accuracyA, 100 * r.accuracyB, r.points))
        }
        let (a, b) = pooled
        var verdict = String(format: "pooled over %d drives: a %.2f %%, b %.2f %%, a − b %+.2f points", rows.count, 100 * a, 100 * b, 100 * (a - b))
        if let interval {
            verdict += String(format: "; 95 %% interval (paired bootstrap over the %d footages) %+.1f … %+.1f points",
                              interval.footages, 100 * interval.low, 100 * interval.high)
            verdict += interval.separates ? "." : ": these drives cannot tell a from b."
        } else {
            verdict += "; no interval with fewer than \(DriveBootstrap.minimumFootages) footages."
        }
        lines.append(verdict)
        let shared = footageGroups.filter { $0.rows.count > 1 }
        if !shared.isEmpty {
            lines.append("drawn together (one footage): " + shared.map { "\($0.footage) (\($0.rows.count) drives)" }.joined(separator: "; "))
        }
        if !onlyInA.isEmpty { lines.append("only in a (not compared): " + onlyInA.joined(separator: ", ")) }
        if !onlyInB.isEmpty { lines.append("only in b (not compared): " + onlyInB.joined(separator: ", ")) }
        return lines.joined(separator: "\n")
    }
}
