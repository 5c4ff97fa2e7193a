import Configuration
import Drives
import Foundation
import Imaging

/// An evaluation set file (evaluation/sets/*.yaml): a list of drives, each either a drive folder
/// on disk or a recipe (`synth`, `degrade`) that is generated into the set's cache folder on first
/// use and reused afterwards (generated drives are never committed):
///
/// ```yaml
/// cache: ../cache/dev          # relative to this file
/// drives:
///   - synth: {preset: tunnel-exit, seed: 1001, frames: 150, size: 640x360}
///   - synth: {preset: glare-long, seed: 1001, frames: 90, size: 640x360, fps: 15, event_seconds: 2.7}
///   - degrade: {source: ../samples/solidWhiteRight.mp4, preset: underpass, seed: 2001, size: 640x360}
///   - degrade: {source: ../samples/solidWhiteRight, preset: flicker, seed: 2001, size: 640x360, fps: 15}
///   - path: ../samples/solidWhiteRight-tunnel-exit
/// ```
///
/// `fps` (optional, 10–60): a synth drive's frame rate (default 30; `frames` are frames at that
/// rate); a degrade drive's output rate, the source resampled by dropping frames (default: the
/// source's rate). `event_seconds` (optional): the duration of a long event (glare-long, flicker).
public struct EvaluationSet: Sendable {
    public enum Recipe: Sendable, Equatable {
        case synth(preset: Preset, seed: UInt64, frames: Int, size: ImageSize, fps: Double? = nil, eventSeconds: Double? = nil)
        case degrade(source: String, preset: Preset, seed: UInt64, size: ImageSize?, frames: Int?, fps: Double? = nil, eventSeconds: Double? = nil)
        case path(String)
    }

    public struct Entry: Sendable, Equatable {
        public var recipe: Recipe
        /// Folder name in the cache (or the folder's own name for `path`).
        public var name: String
        /// The preset, for per-preset reports (nil for plain folders).
        public var preset: Preset? {
            switch recipe {
            case .synth(let p, _, _, _, _, _), .degrade(_, let p, _, _, _, _, _): return p
            case .path: return nil
            }
        }

        /// Frames the recipe generates, when it says (nil for plain folders).
        public var frames: Int? {
            switch recipe {
            case .synth(_, _, let frames, _, _, _): return frames
            case .degrade(_, _, _, _, let frames, let fps, _): return fps == nil ? frames : nil  // resampled: drive.yaml says
            case .path: return nil
            }
        }
    }

    public let file: String
    public let cache: String
    public let entries: [Entry]

    /// Reads and checks a set file; problems name the file, line and key.
    public static func load(_ file: String) throws -> EvaluationSet {
        let loader = try YAMLLoader(contentsOf: file)
        let raw = try loader.decode(SetFile.self)
        let base = URL(fileURLWithPath: file).deletingLastPathComponent()
        func resolve(_ path: String) -> String { path.hasPrefix("/") ? path : base.appendingPathComponent(path).standardized.path }
        var entries: [Entry] = []
        var problems: [ConfigError] = []
        for (i, item) in raw.drives.enumerated() {
            let at = ["drives", String(i)]
            switch (item.synth, item.degrade, item.path) {
            case (let s?, nil, nil):
                guard let preset = Preset(rawValue: s.preset) else {
                    problems.append(loader.error(at: at + ["synth", "preset"], "'\(s.preset)' is not a preset; use one of: \(Preset.names)")); continue
                }
                guard let size = ImageSize(parsing: s.size ?? "640x360") else {
                    problems.append(loader.error(at: at + ["synth", "size"], "must look like 640x360")); continue
                }
                let frames = s.frames ?? 150
                guard (1...100_000).contains(frames) else { problems.append(loader.error(at: at + ["synth", "frames"], "must be 1…100000")); continue }
                if let fps = s.fps, !(10...60).contains(fps) { problems.append(loader.error(at: at + ["synth", "fps"], "must be 10…60")); continue }
                if let e = s.eventSeconds, !(e > 0 && e <= 60) { problems.append(loader.error(at: at + ["synth", "event_seconds"], "must be in (0, 60]")); continue }
                entries.append(Entry(recipe: .synth(preset: preset, seed: s.seed, frames: frames, size: size, fps: s.fps, eventSeconds: s.eventSeconds),
                                     name: "synth-\(preset.rawValue)-\(s.seed)-\(frames)-\(size)" + EvaluationSet.suffix(fps: s.fps, eventSeconds: s.eventSeconds)))
            case (nil, let d?, nil):
                guard let preset = Preset(rawValue: d.preset) else {
                    problems.append(loader.error(at: at + ["degrade", "preset"], "'\(d.preset)' is not a preset; use one of: \(Preset.names)")); continue
                }
                var size: ImageSize?
                if let text = d.size {
                    guard let parsed = ImageSize(parsing: text) else { problems.append(loader.error(at: at + ["degrade", "size"], "must look like 640x360")); continue }
                    size = parsed
                }
                let source = resolve(d.source)
                guard FileManager.default.fileExists(atPath: source) else {
                    problems.append(loader.error(at: at + ["degrade", "source"], "\(source) does not exist (a video file or drive folder)")); continue
                }
                if let fps = d.fps, !(1...60).contains(fps) { problems.append(loader.error(at: at + ["degrade", "fps"], "must be 1…60 (and at most the source's rate)")); continue }
                if let e = d.eventSeconds, !(e > 0 && e <= 60) { problems.append(loader.error(at: at + ["degrade", "event_seconds"], "must be in (0, 60]")); continue }
                let stem = URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent
                entries.append(Entry(recipe: .degrade(source: source, preset: preset, seed: d.seed, size: size, frames: d.frames, fps: d.fps, eventSeconds: d.eventSeconds),
                                     name: "degrade-\(stem)-\(preset.rawValue)-\(d.seed)\(size.map { "-\($0)" } ?? "")\(d.frames.map { "-\($0)f" } ?? "")"
                                        + EvaluationSet.suffix(fps: d.fps, eventSeconds: d.eventSeconds)))
            case (nil, nil, let p?):
                let folder = resolve(p)
                guard Drive.isDrive(folder) else { problems.append(loader.error(at: at + ["path"], "\(folder) is not a drive folder (no drive.yaml)")); continue }
                entries.append(Entry(recipe: .path(folder), name: URL(fileURLWithPath: folder).lastPathComponent))
            default:
                problems.append(loader.error(at: at, "each drive needs exactly one of synth:, degrade: or path:"))
            }
        }
        if !problems.isEmpty { throw ConfigErrors(problems) }
        let setName = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        return EvaluationSet(file: file, cache: resolve(raw.cache ?? "../cache/\(setName)"), entries: entries)
    }

    /// Where the entry's drive is (generated or not).
    public func folder(of entry: Entry) -> String {
        if case .path(let folder) = entry.recipe { return folder }
        return (cache as NSString).appendingPathComponent(entry.name)
    }

    /// The entry's drive folder, generating it into the cache when it is not there yet.
    public func materialize(_ entry: Entry, log: (String) -> Void = { _ in }) throws -> String {
        let folder = self.folder(of: entry)
        if Drive.isDrive(folder) { return folder }
        switch entry.recipe {
        case .path(let folder):
            return folder
        case let .synth(preset, seed, frames, size, fps, eventSeconds):
            let command = EvaluationSet.synthCommand(preset: preset, seed: seed, frames: frames, size: size, fps: fps, eventSeconds: eventSeconds)
            log("generating \(entry.name): \(command)")
            try DriveSynthesizer(scenario: Scenario(preset: preset, seed: seed, frames: frames, fps: fps ?? Scenario.timelineFPS, eventSeconds: eventSeconds), size: size)
                .synthesize(into: folder, command: command)
        case let .degrade(source, preset, seed, size, frames, fps, eventSeconds):
            let command = EvaluationSet.degradeCommand(source: source, preset: preset, seed: seed, size: size, frames: frames, fps: fps, eventSeconds: eventSeconds)
            log("generating \(entry.name): \(command)")
            _ = try DriveDegrader.degrade(source: source, preset: preset, seed: seed, size: size, maxFrames: frames, labelsPath: nil,
                                          out: folder, storage: .png(compression: 2), command: command, fps: fps, eventSeconds: eventSeconds)
        }
        return folder
    }

    /// Cache-name suffix for the optional recipe keys (nothing when absent, so older names stay).
    static func suffix(fps: Double?, eventSeconds: Double?) -> String {
        (fps.map { "-\(number($0))fps" } ?? "") + (eventSeconds.map { "-\(number($0))s" } ?? "")
    }

    /// 15 → "15", 2.7 → "2.7".
    public static func number(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(x) }

    /// The `clearlane synth` command line of a recipe (written into the drive's drive.yaml).
    public static func synthCommand(preset: Preset, seed: UInt64, frames: Int, size: ImageSize, fps: Double?, eventSeconds: Double?) -> String {
        "clearlane synth --preset \(preset.rawValue) --seed \(seed) --frames \(frames) --size \(size)"
            + (fps.map { " --fps \(number($0))" } ?? "") + (eventSeconds.map { " --event-seconds \(number($0))" } ?? "")
    }

    /// The `clearlane degrade` command line of a recipe.
    public static func degradeCommand(source: String, preset: Preset, seed: UInt64, size: ImageSize?, frames: Int?, fps: Double?, eventSeconds: Double?) -> String {
        "clearlane degrade \(source) --preset \(preset.rawValue) --seed \(seed)" + (size.map { " --size \($0)" } ?? "") + (frames.map { " --frames \($0)" } ?? "")
            + (fps.map { " --fps \(number($0))" } ?? "") + (eventSeconds.map { " --event-seconds \(number($0))" } ?? "")
    }

    /// Every drive of the set, generated where missing.
    public func materializeAll(log: (String) -> Void = { _ in }) throws -> [String] {
        try entries.map { try materialize($0, log: log) }
    }
}

private struct SetFile: Decodable {
    var cache: String?
    var drives: [Item]
    enum CodingKeys: String, CodingKey, CaseIterable { case cache, drives }
    init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        cache = try c.decodeIfPresent(String.self, forKey: .cache)
        drives = try c.decode([Item].self, forKey: .drives)
    }

    struct Item: Decodable {
        var synth: Synth?
        var degrade: Degrade?
        var path: String?
        enum CodingKeys: String, CodingKey, CaseIterable { case synth, degrade, path }
        init(from decoder: Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            synth = try c.decodeIfPresent(Synth.self, forKey: .synth)
            degrade = try c.decodeIfPresent(Degrade.self, forKey: .degrade)
            path = try c.decodeIfPresent(String.self, forKey: .path)
        }
    }

    struct Synth: Decodable {
        var preset: String
        var seed: UInt64
        var frames: Int?
        var size: String?
        var fps: Double?
        var eventSeconds: Double?
        enum CodingKeys: String, CodingKey, CaseIterable { case preset, seed, frames, size, fps, eventSeconds = "event_seconds" }
        init(from decoder: Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            preset = try c.decode(String.self, forKey: .preset)
            seed = try c.decode(UInt64.self, forKey: .seed)
            frames = try c.decodeIfPresent(Int.self, forKey: .frames)
            size = try c.decodeIfPresent(String.self, forKey: .size)
            fps = try c.decodeIfPresent(Double.self, forKey: .fps)
            eventSeconds = try c.decodeIfPresent(Double.self, forKey: .eventSeconds)
        }
    }

    struct Degrade: Decodable {
        var source: String
        var preset: String
        var seed: UInt64
        var size: String?
        var frames: Int?
        var fps: Double?
        var eventSeconds: Double?
        enum CodingKeys: String, CodingKey, CaseIterable { case source, preset, seed, size, frames, fps, eventSeconds = "event_seconds" }
        init(from decoder: Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            source = try c.decode(String.self, forKey: .source)
            preset = try c.decode(String.self, forKey: .preset)
            seed = try c.decode(UInt64.self, forKey: .seed)
            size = try c.decodeIfPresent(String.self, forKey: .size)
            frames = try c.decodeIfPresent(Int.self, forKey: .frames)
            fps = try c.decodeIfPresent(Double.self, forKey: .fps)
            eventSeconds = try c.decodeIfPresent(Double.self, forKey: .eventSeconds)
        }
    }
}
