import CPNet
import Configuration
import Foundation

/// `restorer:` — CPNet restoration of exposure holes (config/default.yaml documents every key).
/// Every key is optional. Paths are relative to the config file.
public struct RestorerConfig: SettingsSection, Sendable, Equatable {
    public var enabled = true
    public var weights = RestorerConfig.defaultWeights
    public var references = 4
    public var strideSeconds = 0.067
    public var maxReferenceAgeSeconds = 2.4
    public var align = Align.affine
    public var roadRecent = 3
    public var roadKept = 3
    public var roadMaxAgeSeconds = 5.0
    public var scale = 0.5
    public var threads = 2
    public var matchExposure = false
    public var minHoleCoverage = 0.005
    public var fillUnseen = false
    public var paste = PasteSource.oldestAligned
    public var deadlineFallback = true
    public var checkAlignment = true
    public var restoredReferenceMotion = 0.5
    public var darkenPastes = false

    public static var settings: [Setting<RestorerConfig>] {
        [Setting("enabled", \.enabled, "off: holes are detected and reported, frames go out unrestored (flagged \"disabled\")"),
         Setting("weights", \.weights, accepts: "a CPNet weight file (.safetensors)", valid: { !$0.isEmpty },
                 "the CPNet weights, relative to the config file"),
         Setting("references", \.references, .closed(1...16, "frames"), "K, reference frames kept in memory and copied from"),
         Setting("stride_s", \.strideSeconds, .above(0, atMost: 2, "seconds"),
                 "seconds between frames considered for the memory (frames = this × the drive's or camera's fps)"),
         Setting("max_reference_age_s", \.maxReferenceAgeSeconds, .closed(0...120, "seconds"),
                 "a network reference older than this is replaced even by a frame with more holes (0: never)"),
         Setting("align", \.align,
                 "road hole pixels aligned through the road plane (camera homography + ego-motion) or by the network's affine θ alone"),
         Setting("road_recent", \.roadRecent, .closed(1...16, "frames"), "road-plane references: the newest filmed frames, kept whatever their holes"),
         Setting("road_kept", \.roadKept, .closed(0...16, "frames"), "road-plane references: the best-exposed older frames kept beside them"),
         Setting("road_max_age_s", \.roadMaxAgeSeconds, .above(0, atMost: 120, "seconds"), "a road-plane reference older than this is dropped"),
         Setting("scale", \.scale, .closed(0.125...1), "the network runs at this fraction of the processing size (the shipped model: 0.5)"),
         Setting("threads", \.threads, .closed(1...64), "threads for the convolutions"),
         Setting("match_exposure", \.matchExposure,
                 "bring the valid pixels' exposure toward the memory's before pasting (docs/decisions/0002-no-exposure-matching.md)"),
         Setting("min_hole_coverage", \.minHoleCoverage, .atLeast(0, below: 1), "frames whose holes cover less of the frame are not restored"),
         Setting("fill_unseen", \.fillUnseen, "also fill hole pixels no reference shows (the decoder's guess); off: they stay as filmed"),
         Setting("paste", \.paste,
                 "a seen hole pixel's fill: oldest (the longest-held aligned reference showing it), blend (context-matching weights) or decoder (the paper)"),
         Setting("deadline_fallback", \.deadlineFallback,
                 "when the CPNet would overrun a frame's deadline, fill its holes with each pixel's last filmed value"),
         Setting("check_alignment", \.checkAlignment,
                 "with paste: oldest, paste through the identity instead of a reference's θ where the identity fits the filmed pixels around the holes clearly better"),
         Setting("restored_reference_motion", \.restoredReferenceMotion, .closed(0...1),
                 "with paste: oldest, the share of θ's motion a restored reference is pasted through (1: θ, 0: the identity); filmed references keep θ"),
         Setting("darken_pastes", \.darkenPastes,
                 "with paste: oldest, scale what is pasted into dark (crushed) hole pixels down to the frame's exposure, measured on the dark filmed pixels around the holes"),
         // The frame-counted keys made 15, 25 and 30 fps drives keep different memories.
         .removed("stride", "counted frames and is replaced by stride_s, in seconds (2 frames at 30 fps = 0.067), so drives and cameras at any frame rate keep the same memory"),
         .removed("max_reference_age", "counted frames and is replaced by max_reference_age_s, in seconds (24 frames at 30 fps = 0.8), so drives and cameras at any frame rate keep the same memory")]
    }

    public enum Align: String, Decodable, Sendable, CaseIterable {
        case roadPlane = "road-plane", affine
    }

    /// Memory in frames at `fps`: the stride (at least 1) and the network references' age limit.
    public func strideFrames(fps: Double) -> Int { max(1, Int((strideSeconds * fps).rounded())) }
    public func maxReferenceAgeFrames(fps: Double) -> Int { Int((maxReferenceAgeSeconds * fps).rounded()) }

    public static let defaultWeights = "../models/cpnet-road-slim.safetensors"

    public init() {}
    public init(from decoder: Decoder) throws { try self.init(settingsFrom: decoder) }
}

extension LoadedConfig {
    /// `path` resolved against the config file's folder (absolute paths unchanged).
    public func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: baseDirectory).appendingPathComponent(path).standardized.path
    }
}
