import Configuration
import Foundation
import Lanes

/// `lanes:` — the lane detector, its camera geometry, the classical baselines and what counts as
/// an exposure-affected frame (config/default.yaml documents every key). Every key is optional.
public struct LanesConfig: Decodable, Sendable, Equatable {
    /// Camera profile: a name of a file in `cameras_folder` (without .yaml) or a path to one;
    /// nil = the drive's own profile, else estimated from the first frames.
    public var camera: String?
    /// Folder of named camera profiles, relative to the config file.
    public var camerasFolder: String
    /// Frames used to estimate a camera profile when none is given.
    public var estimateFrames: Int
    /// Spacing of the reported rows (h_samples) in pixels of the processing size.
    public var rowStep: Int
    /// A frame is exposure-affected when the hole mask covers at least this share of the lane ROI.
    public var affectedCoverage: Double
    /// With restoration: also detect lanes in the frame as filmed and report a line seen there
    /// over the restored frame's (pasted paint can sit off its line; filmed paint cannot).
    public var preferFilmed: Bool
    public var detector: LaneDetectorParameters
    public var baselines: BaselinesConfig

    enum CodingKeys: String, CodingKey, CaseIterable {
        case camera, camerasFolder = "cameras_folder", estimateFrames = "estimate_frames", rowStep = "row_step"
        case affectedCoverage = "affected_coverage", preferFilmed = "prefer_filmed", detector, baselines
    }

    public init() {
        camera = nil
        camerasFolder = "cameras"
        estimateFrames = 50
        rowStep = 10
        affectedCoverage = 0.01
        preferFilmed = true
        detector = LaneDetectorParameters()
        baselines = BaselinesConfig()
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = LanesConfig()
        camera = try c.decodeIfPresent(String.self, forKey: .camera)
        camerasFolder = try c.value(.camerasFolder, default: d.camerasFolder)
        estimateFrames = try c.value(.estimateFrames, default: d.estimateFrames)
        rowStep = try c.value(.rowStep, default: d.rowStep)
        affectedCoverage = try c.value(.affectedCoverage, default: d.affectedCoverage)
        preferFilmed = try c.value(.preferFilmed, default: d.preferFilmed)
        detector = try c.value(.detector, default: d.detector)
        baselines = try c.value(.baselines, default: d.baselines)
    }

    /// Range checks, located by key path under `lanes`.
    public func problems() -> [(path: [String], message: String)] {
        var out: [(path: [String], message: String)] = []
        func check(_ ok: Bool, _ path: [String], _ message: String) { if !ok { out.append((["lanes"] + path, message)) } }
        check((1...1000).contains(estimateFrames), ["estimate_frames"], "must be 1…1000 frames, got \(estimateFrames)")
        check((1...100).contains(rowStep), ["row_step"], "must be 1…100 pixels, got \(rowStep)")
        check(affectedCoverage > 0 && affectedCoverage <= 1, ["affected_coverage"], "must be in (0, 1], got \(affectedCoverage)")
        let det = detector
        check((64...1024).contains(det.birdseyeWidth), ["detector", "birdseye_width"], "must be 64…1024 pixels, got \(det.birdseyeWidth)")
        check((64...1024).contains(det.birdseyeHeight), ["detector", "birdseye_height"], "must be 64…1024 pixels, got \(det.birdseyeHeight)")
        check(det.minContrast >= 1 && det.minContrast <= 128, ["detector", "min_contrast"], "must be 1…128 luma levels, got \(det.minContrast)")
        check(det.noiseFactor >= 0 && det.noiseFactor <= 20, ["detector", "noise_factor"], "must be 0…20, got \(det.noiseFactor)")
        check(det.paintShare >= 0 && det.paintShare < 1, ["detector", "paint_share"], "must be in [0, 1), got \(det.paintShare)")
        check(det.localShare >= 0 && det.localShare < 1, ["detector", "local_share"], "must be in [0, 1), got \(det.localShare)")
        check(det.edgeShare >= 0 && det.edgeShare <= 1, ["detector", "edge_share"], "must be in [0, 1], got \(det.edgeShare)")
        check(det.minChroma >= 1 && det.minChroma <= 128, ["detector", "min_chroma"], "must be 1…128, got \(det.minChroma)")
        check((3...40).contains(det.windows), ["detector", "windows"], "must be 3…40, got \(det.windows)")
        check(det.smoothing > 0 && det.smoothing <= 1, ["detector", "smoothing"], "must be in (0, 1], got \(det.smoothing)")
        check((0...100).contains(det.holdFrames), ["detector", "hold_frames"], "must be 0…100 frames, got \(det.holdFrames)")
        check((0...300).contains(det.carryFrames), ["detector", "carry_frames"], "must be 0…300 frames, got \(det.carryFrames)")
        check((1...64).contains(baselines.claheTiles), ["baselines", "clahe_tiles"], "must be 1…64, got \(baselines.claheTiles)")
        check(baselines.claheClipLimit >= 1 && baselines.claheClipLimit <= 256, ["baselines", "clahe_clip_limit"], "must be 1…256, got \(baselines.claheClipLimit)")
        check(baselines.gammaTarget > 0 && baselines.gammaTarget < 1, ["baselines", "gamma_target"], "must be in (0, 1), got \(baselines.gammaTarget)")
        return out
    }
}

/// `lanes.baselines:` — the classical corrections replay compares against.
public struct BaselinesConfig: Decodable, Sendable, Equatable {
    public var claheTiles = 8
    public var claheClipLimit = 2.0
    public var gammaTarget = 0.45

    enum CodingKeys: String, CodingKey, CaseIterable {
        case claheTiles = "clahe_tiles", claheClipLimit = "clahe_clip_limit", gammaTarget = "gamma_target"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = BaselinesConfig()
        claheTiles = try c.value(.claheTiles, default: d.claheTiles)
        claheClipLimit = try c.value(.claheClipLimit, default: d.claheClipLimit)
        gammaTarget = try c.value(.gammaTarget, default: d.gammaTarget)
    }
}

extension LoadedConfig {
    /// `lanes.cameras_folder` resolved against the config file's folder.
    public var camerasFolder: String { resolve(config.lanes.camerasFolder) }

    /// A camera reference written in this config (`lanes.camera`) made usable from anywhere: a bare
    /// name stays a name (a profile in `camerasFolder`), a path resolves against the config's folder.
    /// Every command that reads `lanes.camera` goes through this, so a config means the same
    /// profile to `run`, `config check` and `replay`.
    public func cameraReference(_ nameOrPath: String) -> String {
        LanesConfig.isProfilePath(nameOrPath) ? resolve(nameOrPath) : nameOrPath
    }
}

extension LanesConfig {
    /// A camera reference that is a path to a profile file (else a name in the cameras folder).
    public static func isProfilePath(_ nameOrPath: String) -> Bool {
        nameOrPath.contains("/") || nameOrPath.hasSuffix(".yaml")
    }
}
