/// A configuration problem, located: which file, which key (dotted path), which line, and what
/// was expected. Every config, drive.yaml and pipeline-template error in ClearLane is one of these.
public struct ConfigError: Error, Equatable, CustomStringConvertible, Sendable {
    public var file: String
    /// Dotted key path, e.g. "source.fps" or "outputs.video.parameters.location"; "" for the document.
    public var keyPath: String
    /// 1-based line in `file`, when the key exists in the text.
    public var line: Int?
    /// What is wrong and what is expected.
    public var message: String

    public init(file: String, keyPath: String, line: Int?, message: String) {
        self.file = file
        self.keyPath = keyPath
        self.line = line
        self.message = message
    }

    public var description: String {
        var location = file
        if let line { location += ":\(line)" }
        let key = keyPath.isEmpty ? "" : " '\(keyPath)'"
        return "\(location):\(key) \(message)"
    }
}

/// Several located problems at once, so a user fixes a file in one pass.
public struct ConfigErrors: Error, CustomStringConvertible, Sendable {
    public var errors: [ConfigError]
    public init(_ errors: [ConfigError]) { self.errors = errors }
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
