import Foundation

/// One variant of two replay reports of the same drives, compared drive by drive: what a change
/// of default (a config, a model) did, with the paired drive bootstrap's interval
/// (`DriveBootstrap`, docs/design/metrics.md § Comparing variants). `clearlane report compare`.
public struct ReportComparison: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        public var drive: String
        /// Exposure-affected TuSimple frames of the drive in each report.
        public var frames: (a: Int, b: Int)
        /// Accuracy on those frames (fractions).
        public var accuracy: (a: Double, b: Double)
        public static func == (l: Row, r: Row) -> Bool {
            l.drive == r.drive && l.frames == r.frames && l.accuracy == r.accuracy
        }
    }

    public var variantA: String
    public var variantB: String
    /// Drives both reports scored with their variant, in the first report's order.
    public var rows: [Row] = []
    /// Drives only one of the reports has (or has without the variant).
    public var onlyInA: [String] = []
    public var onlyInB: [String] = []
    /// Pooled difference a − b over `rows` with its interval; nil below three drives.
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
            rows.append(Row(drive: d.name, frames: (x.tusimpleFrames, y.tusimpleFrames), accuracy: (x.accuracy, y.accuracy)))
        }
        onlyInB = b.drives.map(\.name).filter { scoredInB[$0] != nil && !seen.contains($0) }
        guard !rows.isEmpty else { throw .noCommonDrives(variantA, variantB) }
        interval = DriveBootstrap(rows.map {
            DriveBootstrap.Pair(accuracySumA: $0.accuracy.a * Double($0.frames.a), framesA: $0.frames.a,
                                accuracySumB: $0.accuracy.b * Double($0.frames.b), framesB: $0.frames.b)
        })
    }

    /// Pooled accuracy of each side over the common drives (fractions).
    public var pooled: (a: Double, b: Double) {
        let framesA = rows.map(\.frames.a).reduce(0, +), framesB = rows.map(\.frames.b).reduce(0, +)
        let a = rows.map { $0.accuracy.a * Double($0.frames.a) }.reduce(0, +) / Double(framesA)
        let b = rows.map { $0.accuracy.b * Double($0.frames.b) }.reduce(0, +) / Double(framesB)
        return (a, b)
    }

    /// The comparison as text: one line per drive (largest change first), then the pooled verdict.
    public func text(labelA: String, labelB: String) -> String {
        var lines = ["\(variantA) in \(labelA) (a) against \(variantB) in \(labelB) (b), exposure-affected frames, official TuSimple accuracy:"]
        let width = max(5, rows.map(\.drive.count).max() ?? 0)
        lines.append("drive".padding(toLength: width, withPad: " ", startingAt: 0) + "   frames      a %      b %   a − b")
        for r in rows.sorted(by: { abs($0.accuracy.a - $0.accuracy.b) > abs($1.accuracy.a - $1.accuracy.b) }) {
            lines.append(r.drive.padding(toLength: width, withPad: " ", startingAt: 0)
                         + String(format: "   %6d   %6.1f   %6.1f   %+5.1f", r.frames.a, 100 * r.accuracy.a, 100 * r.accuracy.b, 100 * (r.accuracy.a - r.accuracy.b)))
        }
        let (a, b) = pooled
        var verdict = String(format: "pooled over %d drives: a %.2f %%, b %.2f %%, a − b %+.2f points", rows.count, 100 * a, 100 * b, 100 * (a - b))
        if let interval {
            verdict += String(format: "; 95 %% interval over drives (paired bootstrap) %+.1f … %+.1f points", 100 * interval.low, 100 * interval.high)
            verdict += interval.separates ? "." : ": these drives cannot tell a from b."
        } else {
            verdict += "; no interval with fewer than \(DriveBootstrap.minimumDrives) drives."
        }
        lines.append(verdict)
        if !onlyInA.isEmpty { lines.append("only in a (not compared): " + onlyInA.joined(separator: ", ")) }
        if !onlyInB.isEmpty { lines.append("only in b (not compared): " + onlyInB.joined(separator: ", ")) }
        return lines.joined(separator: "\n")
    }
}
