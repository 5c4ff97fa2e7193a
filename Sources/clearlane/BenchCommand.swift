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
}
