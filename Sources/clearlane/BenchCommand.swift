import ArgumentParser

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measures the speed of ClearLane's engines.",
        subcommands: [BenchRestoreCommand.self, BenchHolesCommand.self, BenchLanesCommand.self]
    )
}
