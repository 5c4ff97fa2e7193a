import ArgumentParser
import Configuration
import Daemon
import Foundation
import NeuralEngine

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
        print("openblas: \(ClearLane.kernelsLine)")
    }

    /// Every command runs with OpenBLAS's vector kernels where the CPU has them: when OpenBLAS took
    /// the CPU for an older one (`BLASKernels`), the process restarts itself once with
    /// `OPENBLAS_CORETYPE` set, before any work; the restarted process finds it set and goes on.
    /// A user's own `OPENBLAS_CORETYPE` is never overridden. Where the restart fails (no
    /// /proc/self/exe), the command goes on with the kernels it has, saying so.
    static func main() async {
        restartWithVectorKernelsIfNeeded()
        await main(nil)
    }

    /// The environment variable through which the restarted process knows which kernels OpenBLAS
    /// had picked by itself (for `kernelsLine`).
    static let replacedCoreVariable = "CLEARLANE_OPENBLAS_REPLACED_CORE"

    private static func restartWithVectorKernelsIfNeeded() {
        let loaded = BLASKernels.coreName
        guard let coreType = BLASKernels.restartCoreType(environment: ProcessInfo.processInfo.environment, core: loaded,
                                                         cpuFlags: BLASKernels.cpuFlags) else { return }
        setenv("OPENBLAS_CORETYPE", coreType, 1)
        setenv(replacedCoreVariable, loaded, 1)
        var argv: [UnsafeMutablePointer<CChar>?] = CommandLine.arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", &argv)
        // Only reached when the exec failed.
        unsetenv("OPENBLAS_CORETYPE")
        unsetenv(replacedCoreVariable)
        FileHandle.standardError.write(Data("""
            warning: OpenBLAS runs its \(loaded) kernels on this CPU, which has \(coreType)'s; restarting with \
            OPENBLAS_CORETYPE=\(coreType) failed (\(String(cString: strerror(errno)))), so the CPNet runs about 2× slower. \
            Set OPENBLAS_CORETYPE=\(coreType) in clearlane's environment.\n
            """.utf8))
    }

    /// Which OpenBLAS kernels this process runs and why, for --version and the daemon's start.
    static var kernelsLine: String {
        let core = BLASKernels.coreName, environment = ProcessInfo.processInfo.environment
        if let replaced = environment[replacedCoreVariable] {
            return "\(core) kernels (OpenBLAS took this CPU for \(replaced); set by clearlane through OPENBLAS_CORETYPE)"
        }
        if let chosen = environment["OPENBLAS_CORETYPE"] { return "\(core) kernels (OPENBLAS_CORETYPE=\(chosen))" }
        return "\(core) kernels"
    }

    /// This build's version and commit (stamped by scripts/package, else from the checkout) and
    /// the SHA-256 of `model`.
    static func buildInfo(model: String?) -> BuildInfo {
        BuildInfo.resolve(stampedVersion: BuildStamp.version, stampedCommit: BuildStamp.commit, model: model)
    }
}
