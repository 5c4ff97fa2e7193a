import Configuration
import Foundation
import Testing

@Suite("ResourceLocator")
struct ResourceLocatorTests {
    /// A scratch folder, removed by the caller.
    private func scratch() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("clearlane-locator-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    private func touch(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: path, contents: Data())
    }

    @Test func buildFolderExecutableFindsTheRepositoryFromAnywhere() throws {
        let elsewhere = try scratch()
        defer { try? FileManager.default.removeItem(atPath: elsewhere) }
        let locator = ResourceLocator(environment: [:], executable: Repo.path(".build/x86_64-unknown-linux-gnu/debug/clearlane"),
                                      currentDirectory: elsewhere, systemFolders: [])
        #expect(locator.candidates.first?.folder == Repo.root.standardized.path)
        #expect(locator.locate(ResourceLocator.defaultWeights) == Repo.path(ResourceLocator.defaultWeights))
        #expect(locator.configFolder == Repo.path("config"))
        #expect(locator.candidates.last?.folder == URL(fileURLWithPath: elsewhere).standardized.path, "the current directory comes last")
    }

    @Test func installedPrefixFindsItsShareFolder() throws {
        let prefix = try scratch()
        defer { try? FileManager.default.removeItem(atPath: prefix) }
        try touch(prefix + "/share/clearlane/" + ResourceLocator.defaultWeights)
        try touch(prefix + "/bin/clearlane")
        let locator = ResourceLocator(environment: [:], executable: prefix + "/bin/clearlane", currentDirectory: "/", systemFolders: [])
        #expect(locator.locate(ResourceLocator.defaultWeights) == prefix + "/share/clearlane/" + ResourceLocator.defaultWeights)
    }

    @Test func environmentOverridesEverythingAndErrorsNameIt() throws {
        let share = try scratch()
        defer { try? FileManager.default.removeItem(atPath: share) }
        let locator = ResourceLocator(environment: [ResourceLocator.environmentVariable: share],
                                      executable: Repo.path(".build/debug/clearlane"), currentDirectory: Repo.root.path)
        #expect(locator.candidates.map(\.folder) == [share])
        #expect(locator.locate(ResourceLocator.defaultWeights) == nil, "the repository is not consulted when CLEARLANE_SHARE is set")
        let message = locator.notFound(ResourceLocator.defaultWeights, what: "weights", flag: "--weights FILE")
        #expect(message.contains(share + "/" + ResourceLocator.defaultWeights))
        #expect(message.contains("--weights FILE") && message.contains(ResourceLocator.environmentVariable))
    }

    @Test func currentDirectoryIsTheLastResort() throws {
        let cwd = try scratch()
        defer { try? FileManager.default.removeItem(atPath: cwd) }
        try touch(cwd + "/config/cameras/mine.yaml")
        let locator = ResourceLocator(environment: [:], executable: nil, currentDirectory: cwd, systemFolders: ["/nonexistent-share"])
        #expect(locator.tried("config/cameras/mine.yaml") == ["/nonexistent-share/config/cameras/mine.yaml", cwd + "/config/cameras/mine.yaml"])
        #expect(locator.locate("config/cameras/mine.yaml") == cwd + "/config/cameras/mine.yaml")
    }
}
