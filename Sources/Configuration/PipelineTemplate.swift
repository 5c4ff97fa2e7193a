import Foundation

/// A named GStreamer pipeline fragment with parameters, loaded from `pipelines/NAME.yaml`.
///
/// A *source* template produces raw video; ClearLane appends the conversion to RGB and the
/// appsink. A *sink* template consumes raw video; ClearLane prepends the appsrc. Parameters are
/// written `${name}` in the fragment and substituted quoted, so a path with spaces stays one value.
public struct PipelineTemplate: Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case source, sink }

    public struct Parameter: Sendable, Equatable {
        public enum ValueType: String, Codable, Sendable { case string, path, int, bool }
        public var type: ValueType
        /// nil: required.
        public var defaultValue: String?
        public var doc: String
    }

    public var name: String
    public var kind: Kind
    public var summary: String
    public var fragment: String
    /// Parameters in file order.
    public var parameters: [(name: String, spec: Parameter)]
    /// True for sources that deliver at their own pace (cameras, network): the daemon treats them as live.
    public var live: Bool
    public var file: String

    public static func == (a: PipelineTemplate, b: PipelineTemplate) -> Bool {
        a.name == b.name && a.kind == b.kind && a.fragment == b.fragment && a.file == b.file
    }

    /// Fills in the parameters. `values` come from a config file; `path` parameters are resolved
    /// against `baseDirectory`. Errors are located at `keyPath` in `loader`'s file.
    public func instantiate(_ values: [String: String], baseDirectory: String,
                            at keyPath: [String], in loader: YAMLLoader?) throws -> String {
        func fail(_ path: [String], _ message: String) -> ConfigError {
            loader?.error(at: path, message)
                ?? ConfigError(file: file, keyPath: path.joined(separator: "."), line: nil, message: message)
        }
        let known = parameters.map(\.name)
        for key in values.keys.sorted() where !known.contains(key) {
            throw fail(keyPath + [key], "is not a parameter of pipeline template '\(name)'; it takes: \(known.isEmpty ? "none" : known.joined(separator: ", "))")
        }
        var text = fragment
        for (paramName, spec) in parameters {
            guard var value = values[paramName] ?? spec.defaultValue else {
                throw fail(keyPath + [paramName], "is required by pipeline template '\(name)': \(spec.doc)")
            }
            switch spec.type {
            case .int:
                guard Int(value) != nil else { throw fail(keyPath + [paramName], "must be an integer, got '\(value)'") }
            case .bool:
                guard ["true", "false"].contains(value.lowercased()) else {
                    throw fail(keyPath + [paramName], "must be true or false, got '\(value)'")
                }
                value = value.lowercased()
            case .path:
                if !value.hasPrefix("/") && !value.isEmpty {
                    value = URL(fileURLWithPath: baseDirectory).appendingPathComponent(value).standardized.path
                }
            case .string:
                break
            }
            text = text.replacingOccurrences(of: "${\(paramName)}", with: Self.quoted(value))
        }
        return text
    }

    static func quoted(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.contains { " !\"'=,;()[]{}".contains($0) }
        guard needsQuotes else { return value }
        return "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

/// The folder of pipeline templates (`pipelines/` in the repository, or an installed copy).
public struct PipelineTemplateLibrary: Sendable {
    public let directory: String
    public let templates: [String: PipelineTemplate]

    public init(directory: String) throws {
        self.directory = directory
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ConfigError(file: directory, keyPath: "", line: nil,
                              message: "pipeline template folder not found; set 'pipeline_templates' in the config to the folder holding file.yaml, v4l2.yaml, …")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".yaml") }.sorted()
        var templates: [String: PipelineTemplate] = [:]
        for fileName in names {
            let path = (directory as NSString).appendingPathComponent(fileName)
            let template = try Self.load(path)
            templates[template.name] = template
        }
        self.templates = templates
    }

    public func template(named name: String, kind: PipelineTemplate.Kind) -> PipelineTemplate? {
        guard let t = templates[name], t.kind == kind else { return nil }
        return t
    }

    public func names(of kind: PipelineTemplate.Kind) -> [String] {
        templates.values.filter { $0.kind == kind }.map(\.name).sorted()
    }

    private struct TemplateFile: Decodable {
        var kind: PipelineTemplate.Kind
        var summary: String
        var pipeline: String
        var live: Bool
        var parameters: [String: ParameterFile]
        enum CodingKeys: String, CodingKey, CaseIterable { case kind, summary, pipeline, live, parameters }
        init(from decoder: Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            kind = try c.decode(PipelineTemplate.Kind.self, forKey: .kind)
            summary = try c.value(.summary, default: "")
            pipeline = try c.decode(String.self, forKey: .pipeline)
            live = try c.value(.live, default: false)
            parameters = try c.value(.parameters, default: [:])
        }
    }

    private struct ParameterFile: Decodable {
        var type: PipelineTemplate.Parameter.ValueType
        var defaultValue: String?
        var doc: String
        enum CodingKeys: String, CodingKey, CaseIterable {
            case type, defaultValue = "default", doc
        }
        init(from decoder: Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            type = try c.value(.type, default: .string)
            defaultValue = try c.decodeIfPresent(String.self, forKey: .defaultValue)
            doc = try c.value(.doc, default: "")
        }
    }

    static func load(_ path: String) throws -> PipelineTemplate {
        let loader = try YAMLLoader(contentsOf: path)
        let file = try loader.decode(TemplateFile.self)
        // Keep parameters in the order they appear in the file, for help output.
        let ordered = file.parameters.keys.sorted { (loader.line(at: ["parameters", $0]) ?? 0) < (loader.line(at: ["parameters", $1]) ?? 0) }
        for name in ordered where !file.pipeline.contains("${\(name)}") {
            throw loader.error(at: ["parameters", name], "is declared but the pipeline never uses ${\(name)}")
        }
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return PipelineTemplate(
            name: name, kind: file.kind, summary: file.summary, fragment: file.pipeline,
            parameters: ordered.map { key in
                let p = file.parameters[key]!
                return (key, PipelineTemplate.Parameter(type: p.type, defaultValue: p.defaultValue, doc: p.doc))
            },
            live: file.live, file: path)
    }
}
