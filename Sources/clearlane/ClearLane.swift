import ArgumentParser

@main
struct ClearLane: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clearlane",
        abstract: "Restores exposure holes in road video and measures lane detection on it.",
        discussion: """
            ClearLane finds the clipped and crushed regions of road-camera frames, fills them from \
            recent well-exposed frames (the copy-and-paste network), and feeds the restored frames \
            to a lane detector.
            """,
        subcommands: [ProbeCommand.self, ConfigCommand.self, PassthroughCommand.self, BenchCommand.self,
                      SynthCommand.self, DegradeCommand.self, HolesCommand.self, DetectCommand.self, ReplayCommand.self, ReportCommand.self, RunCommand.self]
    )
}
