import Configuration
import Exposure
import Foundation

/// The whole configuration of `clearlane run` / `replay`, as written in YAML (config/default.yaml
/// documents every key). Every key is optional; absent keys take the defaults below.
public struct ClearLaneConfig: SettingsSection, Sendable, Equatable {
    public var pipelineTemplates = ClearLaneConfig.defaultPipelineTemplates
    public var source = SourceConfig()
    public var processing = ProcessingConfig()
    public var outputs = OutputsConfig()
    public var logging = LoggingConfig()
    public var daemon = DaemonConfig()
    public var lanes = LanesConfig()
    public var restorer = RestorerConfig()
    public var exposure = ExposureConfig()

    public static let defaultPipelineTemplates = "../pipelines"

    public static var settings: [Setting<ClearLaneConfig>] {
        [Setting("pipeline_templates", \.pipelineTemplates, "folder of pipeline templates, relative to the config file"),
         .section("source", \.source, "where frames come from"),
         .section("processing", \.processing, "the size and rate frames are processed at"),
         .section("outputs", \.outputs, "restored video out"),
         .section("logging", \.logging, "log level"),
         .section("daemon", \.daemon, "clearlane run as a service"),
         .section("lanes", \.lanes, "lane detection, camera geometry and the classical baselines"),
         .section("restorer", \.restorer, "CPNet restoration of the holes"),
         .section("exposure", \.exposure, "the hole detector")]
    }

    public init() {}
    public init(from decoder: Decoder) throws { try self.init(settingsFrom: decoder) }
}

/// A config file read, checked, and tied to its pipeline templates.
public struct LoadedConfig: Sendable {
    public let file: String
    public let config: ClearLaneConfig
    public let templates: PipelineTemplateLibrary
    public let loader: YAMLLoader

    /// Folder of the config file, against which relative paths resolve.
    public var baseDirectory: String { URL(fileURLWithPath: file).deletingLastPathComponent().path }

    /// Loads and validates `file`: YAML syntax, types, unknown keys, ranges, template names and
    /// their parameters. All range/template problems are reported together.
    ///
    /// `source`, when given (`--source URI`), replaces the file's `source:` template and parameters
    /// (its `stall_timeout_s` stays).
    public static func load(_ file: String, source override: SourceURI? = nil) throws -> LoadedConfig {
        let loader = try YAMLLoader(contentsOf: file)
        var config = try loader.decode(ClearLaneConfig.self)
        if let override { config.source = override.sourceConfig(keeping: config.source) }
        var errors = config.problems().map { loader.error(at: $0.path, $0.message) }
        let base = URL(fileURLWithPath: file).deletingLastPathComponent().path
        let templateDir = config.pipelineTemplates.hasPrefix("/")
            ? config.pipelineTemplates
            : URL(fileURLWithPath: base).appendingPathComponent(config.pipelineTemplates).standardized.path
        let templates: PipelineTemplateLibrary
        do {
            templates = try PipelineTemplateLibrary(directory: templateDir)
        } catch var error as ConfigError where error.file == templateDir {
            error = loader.error(at: ["pipeline_templates"], "folder \(templateDir) not found: \(error.message)")
            throw ConfigErrors(errors + [error])
        }
        let loaded = LoadedConfig(file: file, config: config, templates: templates, loader: loader)
        do { _ = try loaded.sourceFragment() } catch let error as ConfigError { errors.append(error) }
        if config.outputs.video != nil {
            do { _ = try loaded.videoSinkFragment() } catch let error as ConfigError { errors.append(error) }
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return loaded
    }

    /// The source template filled in (without the appsink tail), and whether it is live.
    public func sourceFragment() throws -> (fragment: String, live: Bool) {
        let name = config.source.template
        guard let template = templates.template(named: name, kind: .source) else {
            throw loader.error(at: ["source", "template"],
                               "names no source template; available: \(templates.names(of: .source).joined(separator: ", ")) (in \(templates.directory))")
        }
        let text = try template.instantiate(config.source.parameters, baseDirectory: baseDirectory,
                                            at: ["source", "parameters"], in: loader)
        return (text, template.live)
    }

    /// The video sink template filled in (without the appsrc head), or nil when there is none.
    public func videoSinkFragment() throws -> String? {
        guard let video = config.outputs.video else { return nil }
        guard let template = templates.template(named: video.template, kind: .sink) else {
            throw loader.error(at: ["outputs", "video", "template"],
                               "names no sink template; available: \(templates.names(of: .sink).joined(separator: ", ")) (in \(templates.directory))")
        }
        return try template.instantiate(video.parameters, baseDirectory: baseDirectory,
                                         at: ["outputs", "video", "parameters"], in: loader)
    }
}
