import Foundation

/// Finds ClearLane's shipped resources — the default config (`config/default.yaml`), the camera
/// profiles (`config/cameras/`), the model (`models/`) and the pipeline templates (`pipelines/`) —
/// wherever the tool runs from, so no command depends on the current directory.
///
/// Paths written in a config file resolve against that file's folder (`LoadedConfig.resolve`); the
/// locator answers only for what a command uses when no config (or flag) names it. It looks, in
/// this order:
///
/// 1. `$CLEARLANE_SHARE` — when set, the only place: a folder holding config/, models/, pipelines/;
/// 2. the executable's own location, walking up from its real path (symlinks resolved):
///    `…/.build/debug/clearlane` finds the repository root, `PREFIX/bin/clearlane` finds
///    `PREFIX/share/clearlane`;
/// 3. `/usr/local/share/clearlane`, then `/usr/share/clearlane`;
/// 4. the current directory, last.
///
/// Each resource is looked up along that list and the first folder that has it wins; when none
/// has it, `tried(_:)` lists every path looked at (for the error message).
public struct ResourceLocator: Sendable {
    public static let environmentVariable = "CLEARLANE_SHARE"
    public static let defaultConfig = "config/default.yaml"
    public static let defaultCameras = "config/cameras"
    public static let defaultWeights = "models/cpnet-road-slim.safetensors"
    public static let defaultPipelines = "pipelines"
    public static let systemFolders = ["/usr/local/share/clearlane", "/usr/share/clearlane"]
    /// A folder is a resource root when it holds one of these (a walk up from the executable
    /// stops at the first such folder rather than at any folder that happens to have a config/).
    static let markers = [defaultConfig, defaultWeights, "pipelines/file.yaml"]

    /// A folder searched, and why (for messages).
    public struct Candidate: Sendable, Equatable {
        public var folder: String
        public var origin: String
    }

    /// The folders searched, in order.
    public let candidates: [Candidate]
    /// True when `$CLEARLANE_SHARE` decided the search.
    public let fromEnvironment: Bool

    /// The locator of this process (environment, executable and current directory of now).
    public static var current: ResourceLocator { ResourceLocator() }

    public init(environment: [String: String] = ProcessInfo.processInfo.environment,
                executable: String? = ResourceLocator.executablePath(),
                currentDirectory: String = FileManager.default.currentDirectoryPath,
                systemFolders: [String] = ResourceLocator.systemFolders) {
        if let share = environment[Self.environmentVariable], !share.isEmpty {
            let folder = URL(fileURLWithPath: share, relativeTo: URL(fileURLWithPath: currentDirectory, isDirectory: true)).standardized.path
            candidates = [Candidate(folder: folder, origin: "\(Self.environmentVariable)=\(share)")]
            fromEnvironment = true
            return
        }
        fromEnvironment = false
        var found: [Candidate] = []
        func add(_ folder: String, _ origin: String) {
            if !found.contains(where: { $0.folder == folder }) { found.append(Candidate(folder: folder, origin: origin)) }
        }
        if let executable {
            var dir = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent().standardized
            for _ in 0..<8 {
                let share = dir.appendingPathComponent("share/clearlane").path
                if Self.isRoot(dir.path) { add(dir.path, "found from the executable \(executable)"); break }
                if Self.isRoot(share) { add(share, "found from the executable \(executable)"); break }
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
        }
        for folder in systemFolders { add(folder, "installed share folder") }
        add(URL(fileURLWithPath: currentDirectory).standardized.path, "the current directory")
        candidates = found
    }

    /// True when `folder` holds one of ClearLane's resources.
    public static func isRoot(_ folder: String) -> Bool {
        markers.contains { FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent($0)) }
    }

    /// The first existing `relative` (a file or folder) along the search order, or nil.
    public func locate(_ relative: String) -> String? {
        tried(relative).first { FileManager.default.fileExists(atPath: $0) }
    }

    /// `relative` where it exists, else where it would be in the first candidate that is a
    /// resource root (else the first candidate): the path an error message should name.
    public func path(_ relative: String) -> String {
        if let found = locate(relative) { return found }
        let base = candidates.first(where: { Self.isRoot($0.folder) }) ?? candidates[0]
        return (base.folder as NSString).appendingPathComponent(relative)
    }

    /// Every path `relative` was looked for at, in order.
    public func tried(_ relative: String) -> [String] {
        candidates.map { ($0.folder as NSString).appendingPathComponent(relative) }
    }

    /// One sentence for an error: where `relative` was looked for and how to point ClearLane at it.
    public func notFound(_ relative: String, what: String, flag: String? = nil) -> String {
        let places = tried(relative).joined(separator: ", ")
        var fixes: [String] = []
        if let flag { fixes.append("pass \(flag)") }
        fixes.append("\(fromEnvironment ? "point" : "set") \(Self.environmentVariable) to a folder holding \(relative)")
        return "\(what) not found: looked for \(places)\(fromEnvironment ? " (from \(candidates[0].origin))" : ""); "
            + fixes.joined(separator: ", or ")
    }

    /// The folder config-relative defaults resolve against when no config file is given: the
    /// folder of the default config (`…/config`), found like any resource.
    public var configFolder: String { (path(Self.defaultConfig) as NSString).deletingLastPathComponent }

    /// This process's executable, symlinks resolved (nil when it cannot be told).
    public static func executablePath() -> String? {
        #if os(Linux)
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return target }
        #endif
        if let path = Bundle.main.executablePath { return path }
        guard let first = CommandLine.arguments.first, first.contains("/") else { return nil }
        return URL(fileURLWithPath: first).standardized.path
    }
}
