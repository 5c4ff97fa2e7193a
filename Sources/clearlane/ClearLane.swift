import ArgumentParser
import Configuration
import Daemon

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
                      SynthCommand.self, DegradeCommand.self, HolesCommand.self, DetectCommand.self, RestoreCommand.self, ReplayCommand.self, ReportCommand.self, RunCommand.self]
    )

    @Flag(help: "Print the version, the git commit and the shipped model's SHA-256, and exit.")
    var version = false

    func run() async throws {
        guard version else { throw CleanExit.helpRequest(self) }
        let info = ClearLane.buildInfo(model: ResourceLocator.current.locate(ResourceLocator.defaultWeights))
        print("clearlane \(info.version)")
        print("commit: \(info.commit)")
        print("model: \(ResourceLocator.defaultWeights) sha256:\(info.shortModelSHA256)")
    }

    /// This build's version and commit (stamped by scripts/package, else from the checkout) and
    /// the SHA-256 of `model`.
    static func buildInfo(model: String?) -> BuildInfo {
        BuildInfo.resolve(stampedVersion: BuildStamp.version, stampedCommit: BuildStamp.commit, model: model)
    }
}
