import Configuration
import Exposure
import Foundation

/// The whole configuration of `clearlane run` / `replay`, as written in YAML (config/default.yaml
/// documents every key). Every key is optional; absent keys take the defaults below.
public struct ClearLaneConfig: Decodable, Sendable, Equatable {
    /// Folder of pipeline templates, relative to the config file.
    public var pipelineTemplates: String
    public var source: SourceConfig
    public var processing: ProcessingConfig
    public var outputs: OutputsConfig
    public var logging: LoggingConfig
    public var daemon: DaemonConfig
    /// `lanes:` — lane detection, camera geometry and baselines (optional key; defaults when absent).
    public var lanes: LanesConfig
    /// `restorer:` — CPNet restoration (optional key; defaults when absent).
    public var restorer: RestorerConfig
    /// `exposure:` — the hole detector's thresholds (optional key; defaults when absent).
    public var exposure: ExposureConfig

    public static let defaultPipelineTemplates = "../pipelines"

    enum CodingKeys: String, CodingKey, CaseIterable {
        case pipelineTemplates = "pipeline_templates", source, processing, outputs, logging, daemon, lanes, restorer
        case exposure
    }

    public init() {
        pipelineTemplates = Self.defaultPipelineTemplates
        source = SourceConfig()
        processing = ProcessingConfig()
        outputs = OutputsConfig()
        logging = LoggingConfig()
        daemon = DaemonConfig()
        lanes = LanesConfig()
        restorer = RestorerConfig()
        exposure = ExposureConfig()
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ClearLaneConfig()
        pipelineTemplates = try c.value(.pipelineTemplates, default: d.pipelineTemplates)
        source = try c.value(.source, default: d.source)
        processing = try c.value(.processing, default: d.processing)
        outputs = try c.value(.outputs, default: d.outputs)
        logging = try c.value(.logging, default: d.logging)
        daemon = try c.value(.daemon, default: d.daemon)
        lanes = try c.value(.lanes, default: d.lanes)
        restorer = try c.value(.restorer, default: d.restorer)
        exposure = try c.value(.exposure, default: d.exposure)
    }

    /// Range checks that Codable cannot express; each problem is located by key path.
    public func problems() -> [(path: [String], message: String)] {
        var out: [(path: [String], message: String)] = []
        func check(_ ok: Bool, _ path: [String], _ message: String) { if !ok { out.append((path, message)) } }
        check(source.template.isEmpty == false, ["source", "template"], "must name a source pipeline template")
        check((0.1...600).contains(source.stallTimeoutSeconds), ["source", "stall_timeout_s"], "must be between 0.1 and 600 seconds, got \(source.stallTimeoutSeconds)")
        check((16...4096).contains(processing.width) && processing.width % 2 == 0, ["processing", "width"], "must be an even number of pixels in 16…4096, got \(processing.width)")
        check((16...4096).contains(processing.height) && processing.height % 2 == 0, ["processing", "height"], "must be an even number of pixels in 16…4096, got \(processing.height)")
        check(processing.fps > 0 && processing.fps <= 240, ["processing", "fps"], "must be in (0, 240] frames per second, got \(processing.fps)")
        if let video = outputs.video {
            check(!video.template.isEmpty, ["outputs", "video", "template"], "must name a sink pipeline template")
        }
        out += daemon.problems()
        out += lanes.problems()
        out += restorer.problems()
        out += exposure.problems()
        return out
    }
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
