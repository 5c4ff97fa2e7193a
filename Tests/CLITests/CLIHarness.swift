import Foundation

/// Runs the built `clearlane` binary as a user would: its own process, a working directory of
/// the test's choosing (never the repository root), stdout and stderr collected.
enum CLI {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func repo(_ relative: String) -> String { root.appendingPathComponent(relative).standardized.path }
    static let sampleDrive = repo("evaluation/samples/solidWhiteRight-tunnel-exit")

    static var binary: String {
        for configuration in ["debug", "release"] {
            let path = root.appendingPathComponent(".build/\(configuration)/clearlane").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return root.appendingPathComponent(".build/debug/clearlane").path
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `clearlane ARGS` in `directory`; `environment` entries are added (nil removes one).
    static func run(_ arguments: [String], in directory: String, environment: [String: String?] = [:], timeout: Double = 120) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "CLEARLANE_SHARE")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        // Files, not pipes: a pipe nobody drains would block the child.
        let out = scratchFile(), err = scratchFile()
        defer { try? FileManager.default.removeItem(atPath: out); try? FileManager.default.removeItem(atPath: err) }
        process.standardOutput = FileHandle(forWritingAtPath: out)
        process.standardError = FileHandle(forWritingAtPath: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { process.terminate(); process.waitUntilExit() }
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }

    private static func scratchFile() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("clearlane-cli-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: path, contents: nil)
        return path
    }

    /// A fresh scratch folder (the caller removes it).
    static func scratch(_ name: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("clearlane-\(name)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    /// A copy of the committed sample drive (3.6 MB) at `folder`.
    static func copySample(to folder: String) throws {
        try FileManager.default.copyItem(atPath: sampleDrive, toPath: folder)
    }

    /// Every file under `folder` (relative path) with its bytes, to prove a folder unchanged.
    static func snapshot(_ folder: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: folder) else { return out }
        while let relative = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let path = (folder as NSString).appendingPathComponent(relative)
            if fm.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                out[relative] = try Data(contentsOf: URL(fileURLWithPath: path))
            }
        }
        return out
    }
}
