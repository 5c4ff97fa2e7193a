import Configuration
import Foundation
import Lanes

/// `lanes:` — the lane detector, its camera geometry, the classical baselines and what counts as
/// an exposure-affected frame (config/default.yaml documents every key). Every key is optional.
public struct LanesConfig: SettingsSection, Sendable, Equatable {
    public var camera: String?
    public var camerasFolder = "cameras"
    public var estimateFrames = 50
    public var rowStep = 10
    public var affectedCoverage = 0.01
    public var preferFilmed = true
    public var carriedOverPasted = 0.1
    public var filmedAgainstFilmed = true
    public var detector = LaneDetectorParameters()
    public var baselines = BaselinesConfig()

    public static var settings: [Setting<LanesConfig>] {
        [Setting("camera", \.camera, accepts: "a profile name in cameras_folder, or a path to one",
                 "camera profile; absent: the drive's own, else estimated from the first frames"),
         Setting("cameras_folder", \.camerasFolder, "folder of named camera profiles, relative to the config file"),
         Setting("estimate_frames", \.estimateFrames, .closed(1...1000, "frames"), "frames used to estimate a camera profile when none is given"),
         Setting("row_step", \.rowStep, .closed(1...100, "pixels"), "spacing of the reported rows (h_samples) at the processing size"),
         Setting("affected_coverage", \.affectedCoverage, .above(0, atMost: 1),
                 "a frame is exposure-affected when its holes cover at least this share of the lane ROI"),
         Setting("prefer_filmed", \.preferFilmed,
                 "with restoration, a line detected in the frame as filmed is reported over the restored frame's"),
         Setting("carried_over_pasted", \.carriedOverPasted, .closed(0...1),
                 "with prefer_filmed: on frames whose restored holes cover at least this share of the ROI, a filmed ego line carried from the other, seen one is reported over the restored frame's (0: never)"),
         Setting("filmed_against_filmed", \.filmedAgainstFilmed,
                 "in a restored frame, a filmed pixel is marking evidence only against filmed sides: one with restored pixels in its side windows is none"),
         .section("detector", \.detector, "the lane detector (LaneDetectorParameters)"),
         .section("baselines", \.baselines, "the classical corrections replay compares against")]
    }

    public init() {}
    public init(from decoder: Decoder) throws { try self.init(settingsFrom: decoder) }
}

/// `lanes.baselines:` — the classical corrections replay compares against.
public struct BaselinesConfig: SettingsSection, Sendable, Equatable {
    public var claheTiles = 8
    public var claheClipLimit = 2.0
    public var gammaTarget = 0.45

    public static var settings: [Setting<BaselinesConfig>] {
        [Setting("clahe_tiles", \.claheTiles, .closed(1...64), "CLAHE tiles across (and down) the frame"),
         Setting("clahe_clip_limit", \.claheClipLimit, .closed(1...256), "CLAHE histogram clip limit"),
         Setting("gamma_target", \.gammaTarget, .between(0, and: 1), "gamma correction brings the mean luma to this")]
    }

    public init() {}
    public init(from decoder: Decoder) throws { try self.init(settingsFrom: decoder) }
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
