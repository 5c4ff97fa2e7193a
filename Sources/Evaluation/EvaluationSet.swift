import Configuration
import Drives
import Foundation
@preconcurrency import Yams

/// An evaluation set (evaluation/sets/*.yaml): a list of drive folders, relative to the file,
/// each optionally tagged with the scenario preset it shows:
///
///     drives:
///       - ../samples/solidWhiteRight          # a path
///       - {path: dev/tunnel-exit-1, preset: tunnel-exit}
///
/// Other top-level keys (description, how the drives were made) are allowed and ignored.
public struct EvaluationSet: Sendable {
    public struct Entry: Sendable, Equatable {
        public var folder: String
        public var preset: String?
    }

    public let file: String
    public let entries: [Entry]

    public init(file: String) throws {
        let loader = try YAMLLoader(contentsOf: file)
        let base = URL(fileURLWithPath: file).deletingLastPathComponent()
        guard let root = try Yams.compose(yaml: loader.text), case .mapping(let mapping) = root,
              let drives = mapping[Node("drives")], case .sequence(let list) = drives else {
            throw ConfigError(file: file, keyPath: "drives", line: nil, message: "is required: a list of drive folders (paths relative to this file, or {path:, preset:})")
        }
        var entries: [Entry] = []
        for (i, node) in list.enumerated() {
            var path: String?, preset: String?
            switch node {
            case .scalar(let s): path = s.string
            case .mapping(let m):
                path = (m[Node("path")] ?? m[Node("drive")])?.string
                preset = m[Node("preset")]?.string
            default: break
            }
            guard let path, !path.isEmpty else {
                throw loader.error(at: ["drives", String(i)], "must be a drive folder path or {path: FOLDER, preset: NAME}")
            }
            let folder = path.hasPrefix("/") ? path : base.appendingPathComponent(path).standardized.path
            guard Drive.isDrive(folder) else {
                throw loader.error(at: ["drives", String(i)], "\(folder) is not a drive folder (no drive.yaml); generate it first (see the set's comments) or fix the path")
            }
            entries.append(Entry(folder: folder, preset: preset))
        }
        self.file = file
        self.entries = entries
    }
}
