import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An output folder (`degrade --out`, `synth --out`, `replay --report`) written so that no input
/// and no earlier output is ever lost:
///
/// - an output that is, contains or lies inside one of the inputs is refused before anything is
///   touched (paths compared after making them absolute and resolving symlinks, so `d`, `d/`,
///   `./d` and a link to `d` are all `d`);
/// - an existing folder is replaced only when it is empty or looks like an earlier output of the
///   same kind (`isEarlierOutput`), never an arbitrary folder;
/// - everything is written into a temporary sibling (`.NAME.partial-PID`, same parent, so the
///   final move is a rename) and moved onto the target only when complete (`commit`); on failure
///   the sibling is removed (`discard`) and an earlier output stays as it was.
public final class StagedOutput {
    public struct Refusal: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// The target as given.
    public let target: String
    /// The target, absolute with symlinks resolved: where the output ends up.
    public let resolvedTarget: String
    /// The folder being written; becomes `resolvedTarget` at `commit`.
    public let staging: String
    private var finished = false

    /// - Parameters:
    ///   - flag: how the command names the output (`--out`), for messages.
    ///   - inputs: every file or folder the command reads, each with how the command names it.
    ///   - isEarlierOutput: whether an existing non-empty folder is an earlier output that may be replaced.
    public init(target: String, flag: String, inputs: [(path: String, role: String)], kind: String,
                isEarlierOutput: (String) -> Bool) throws {
        self.target = target
        let out = Self.canonical(target)
        resolvedTarget = out
        try Self.checkDisjoint(output: out, given: target, flag: flag, inputs: inputs)
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: out, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw Refusal(description: "\(flag) \(target) exists and is a file, not a folder; choose a folder for the \(kind)")
            }
            let contents = (try? fm.contentsOfDirectory(atPath: out)) ?? []
            guard contents.isEmpty || isEarlierOutput(out) else {
                throw Refusal(description: "\(flag) \(target) exists and is neither empty nor an earlier \(kind); it is left as it is: choose a new or empty folder")
            }
        }
        let parent = (out as NSString).deletingLastPathComponent
        let name = (out as NSString).lastPathComponent
        do {
            try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw Refusal(description: "\(flag) \(target): cannot create its folder \(parent): \(error.localizedDescription)")
        }
        Self.removeAbandoned(in: parent, name: name)
        staging = (parent as NSString).appendingPathComponent(".\(name).partial-\(getpid())")
        if fm.fileExists(atPath: staging) { try fm.removeItem(atPath: staging) }
        do {
            try fm.createDirectory(atPath: staging, withIntermediateDirectories: false)
        } catch {
            throw Refusal(description: "\(flag) \(target): cannot write in \(parent): \(error.localizedDescription)")
        }
    }

    deinit { if !finished { discard() } }

    /// Moves the finished output onto the target, replacing an earlier one only now.
    public func commit() throws {
        precondition(!finished, "StagedOutput committed or discarded twice")
        finished = true
        let fm = FileManager.default
        guard fm.fileExists(atPath: resolvedTarget) else {
            try Self.move(staging, to: resolvedTarget)
            return
        }
        let parent = (resolvedTarget as NSString).deletingLastPathComponent
        let old = (parent as NSString).appendingPathComponent(".\((resolvedTarget as NSString).lastPathComponent).old-\(getpid())")
        if fm.fileExists(atPath: old) { try fm.removeItem(atPath: old) }
        do {
            try Self.move(resolvedTarget, to: old)
        } catch {
            try? fm.removeItem(atPath: staging)
            throw error
        }
        do {
            try Self.move(staging, to: resolvedTarget)
        } catch {
            try? Self.move(old, to: resolvedTarget)
            try? fm.removeItem(atPath: staging)
            throw error
        }
        try? fm.removeItem(atPath: old)
    }

    /// Removes what was written; the target is untouched.
    public func discard() {
        finished = true
        try? FileManager.default.removeItem(atPath: staging)
    }

    /// Runs `body` with the staging folder; commits when it returns, discards when it throws.
    public func write<T>(_ body: (String) throws -> T) throws -> T {
        let result: T
        do {
            result = try body(staging)
        } catch {
            discard()
            throw error
        }
        try commit()
        return result
    }

    // MARK: - Paths

    /// A drive folder as an input: the folder, and what its symlinks point to (a drive's
    /// video.mp4 may be a link to a clip elsewhere, which an output must not replace either).
    public static func driveInputs(_ folder: String, role: String) -> [(path: String, role: String)] {
        var out: [(path: String, role: String)] = [(folder, role)]
        let fm = FileManager.default
        for entry in (try? fm.contentsOfDirectory(atPath: folder)) ?? [] {
            let path = (folder as NSString).appendingPathComponent(entry)
            if (try? fm.destinationOfSymbolicLink(atPath: path)) != nil { out.append((path, "\(role), via \(path)")) }
        }
        return out
    }

    /// `path` absolute and standardized, symlinks resolved as far as the path exists (the part
    /// that does not exist yet is appended as written).
    public static func canonical(_ path: String) -> String {
        let absolute = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true))
            .standardized.path
        var existing = absolute
        var rest: [String] = []
        while !existing.isEmpty && existing != "/" && !FileManager.default.fileExists(atPath: existing) {
            rest.insert((existing as NSString).lastPathComponent, at: 0)
            existing = (existing as NSString).deletingLastPathComponent
        }
        var resolved = existing.isEmpty ? "/" : realPath(existing)
        for component in rest { resolved = (resolved as NSString).appendingPathComponent(component) }
        return resolved
    }

    private static func realPath(_ path: String) -> String {
        guard let pointer = realpath(path, nil) else { return URL(fileURLWithPath: path).resolvingSymlinksInPath().path }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    /// Refuses an output that is, contains or lies inside one of the inputs.
    public static func checkDisjoint(output: String, given: String, flag: String, inputs: [(path: String, role: String)]) throws {
        for input in inputs {
            let path = canonical(input.path)
            let named = path == input.path ? path : "\(input.path) (\(path))"
            let out = output == given ? output : "\(given) (\(output))"
            let relation: String?
            if path == output || sameFile(path, output) {
                relation = "is the input"
            } else if path.hasPrefix(output.hasSuffix("/") ? output : output + "/") {
                relation = "contains the input"
            } else if output.hasPrefix(path.hasSuffix("/") ? path : path + "/") {
                relation = "lies inside the input"
            } else {
                relation = nil
            }
            if let relation {
                throw Refusal(description: "\(flag) \(out) \(relation) \(named) (\(input.role)); writing there would destroy what is being read. Choose an output folder outside it.")
            }
        }
    }

    private static func sameFile(_ a: String, _ b: String) -> Bool {
        var sa = stat(), sb = stat()
        guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }

    private static func move(_ from: String, to: String) throws {
        guard rename(from, to) == 0 else {
            let reason = String(cString: strerror(errno))
            throw Refusal(description: "cannot move \(from) to \(to): \(reason)")
        }
    }

    /// Staging folders of runs that died (killed, power lost) are removed: their process is gone.
    private static func removeAbandoned(in parent: String, name: String) {
        let prefix = ".\(name).partial-"
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] where entry.hasPrefix(prefix) {
            guard let pid = Int32(entry.dropFirst(prefix.count)), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                try? FileManager.default.removeItem(atPath: (parent as NSString).appendingPathComponent(entry))
            }
        }
    }
}

extension Drive {
    /// What a drive writer puts in a drive folder.
    static let writtenEntries: Set<String> = ["drive.yaml", "frames", "clean", "masks", "video.mp4", "video.mkv", "clean.mp4", "clean.mkv",
                                              "labels.json", "exposure.json"]

    /// True when `folder` is an earlier drive output that a new one may replace: a drive (it has
    /// drive.yaml), or one whose writing stopped before drive.yaml (nothing but what a drive writer
    /// makes). A folder with anything else in it is somebody's, not ours to replace.
    public static func isReplaceableOutput(_ folder: String) -> Bool {
        if isDrive(folder) { return true }
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return false }
        return entries.allSatisfy { writtenEntries.contains($0) }
    }
}
