import ArgumentParser

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measures the speed of ClearLane's engines.",
        subcommands: [BenchRestoreCommand.self, BenchHolesCommand.self, BenchLanesCommand.self]
    )
}

/// Per-frame times of a bench run, summarised the way `bench holes` and `bench lanes` print them.
struct FrameTimes {
    /// Milliseconds, sorted.
    let sorted: [Double]

    init(_ milliseconds: [Double]) {
        precondition(!milliseconds.isEmpty, "a bench times at least one frame")
        sorted = milliseconds.sorted()
    }

    var p50: Double { sorted[sorted.count / 2] }
    var p95: Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.95))] }
    var minimum: Double { sorted[0] }

    /// The text line: `p50 … ms  p95 … ms  min … ms per frame`.
    var line: String { String(format: "p50 %.3f ms  p95 %.3f ms  min %.3f ms per frame", p50, p95, minimum) }
    /// The JSON fields `"ms_p50": …, "ms_p95": …, "ms_min": …`.
    var jsonFields: String { "\"ms_p50\": \(Self.rounded(p50)), \"ms_p95\": \(Self.rounded(p95)), \"ms_min\": \(Self.rounded(minimum))" }

    /// A figure to 3 decimals, as the benches' JSON gives them.
    static func rounded(_ v: Double) -> Double { (v * 1000).rounded() / 1000 }
}
