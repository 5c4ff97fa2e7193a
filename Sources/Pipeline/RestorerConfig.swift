import CPNet
import Configuration
import Foundation

/// `restorer:` — CPNet restoration of exposure holes (config/default.yaml documents every key).
/// Every key is optional. Paths are relative to the config file.
public struct RestorerConfig: Decodable, Sendable, Equatable {
    /// Off: holes are detected and reported, frames go out unrestored (flagged "disabled").
    public var enabled: Bool
    /// The CPNet weight file (safetensors with cpnet metadata).
    public var weights: String
    /// K, reference frames kept in memory and copied from.
    public var references: Int
    /// Seconds between frames considered for the memory (the network's, and the road-plane
    /// references'); converted to frames with the drive's or camera's fps.
    public var strideSeconds: Double
    /// Seconds after which a network reference is replaced even by a frame with more holes (0 = never).
    public var maxReferenceAgeSeconds: Double
    /// How hole pixels on the road are aligned to the references: through the road plane (the
    /// camera profile's bird's-eye homography and the measured ego-motion) or by the network's
    /// affine θ alone. Pixels off the road (above the horizon, outside the ROI) always take the
    /// network's path.
    public var align: Align
    /// Road-plane references: the newest filmed frames kept whatever their holes, and the
    /// best-exposed older ones kept beside them (frames, each the full processing size).
    public var roadRecent: Int
    public var roadKept: Int
    /// Seconds after which a road-plane reference is dropped even if it still shows the road.
    public var roadMaxAgeSeconds: Double
    /// The network runs at this fraction of the processing size (1 = full); the fill is
    /// upsampled into the full-size holes. 0.5 is what the shipped model is trained for.
    public var scale: Double
    /// Threads for the convolutions (the daemon's machine has 2 cores).
    public var threads: Int
    /// Bring the valid pixels' exposure toward the reference memory's before pasting, so pasted
    /// content and the rest of the frame meet without a seam (docs/decisions/0002-no-exposure-matching.md).
    public var matchExposure: Bool
    /// Frames whose holes cover less of the frame than this are not restored (noise, specks).
    public var minHoleCoverage: Double
    /// Also fill hole pixels no reference shows (the decoder's guess); off: they stay as filmed.
    public var fillUnseen: Bool
    /// Where a seen hole pixel's fill comes from: the aligned pixel of the longest-held reference
    /// that shows it, the aligned references' pixels blended with the context-matching weights, or the
    /// paste decoder (the paper).
    public var paste: PasteSource
    /// When the CPNet would overrun a frame's deadline, fill its holes with each pixel's last
    /// filmed value instead (copy-last, one pass over the pixels); off: the frame goes out
    /// unrestored.
    public var deadlineFallback: Bool

    public enum Align: String, Decodable, Sendable, CaseIterable {
        case roadPlane = "road-plane", affine
    }

    /// Memory in frames at `fps`: the stride (at least 1) and the network references' age limit.
    public func strideFrames(fps: Double) -> Int { max(1, Int((strideSeconds * fps).rounded())) }
    public func maxReferenceAgeFrames(fps: Double) -> Int { Int((maxReferenceAgeSeconds * fps).rounded()) }

    public static let defaultWeights = "../models/cpnet-road-slim.safetensors"

    enum CodingKeys: String, CodingKey, CaseIterable {
        case enabled, weights, references, scale, threads
        case strideSeconds = "stride_s", maxReferenceAgeSeconds = "max_reference_age_s", align
        case roadRecent = "road_recent", roadKept = "road_kept", roadMaxAgeSeconds = "road_max_age_s"
        /// Replaced by the keys in seconds; named here only to say so.
        case stride, maxReferenceAge = "max_reference_age"
        case matchExposure = "match_exposure", minHoleCoverage = "min_hole_coverage", fillUnseen = "fill_unseen", paste
        case deadlineFallback = "deadline_fallback"
    }

    public init() {
        enabled = true
        weights = Self.defaultWeights
        references = 4
        strideSeconds = 0.067
        maxReferenceAgeSeconds = 0.8
        align = .affine
        roadRecent = 3
        roadKept = 3
        roadMaxAgeSeconds = 5
        scale = 0.5
        threads = 2
        matchExposure = false
        minHoleCoverage = 0.005
        fillUnseen = false
        paste = .oldestAligned
        deadlineFallback = true
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = RestorerConfig()
        enabled = try c.value(.enabled, default: d.enabled)
        weights = try c.value(.weights, default: d.weights)
        references = try c.value(.references, default: d.references)
        // The frame-counted keys made 15, 25 and 30 fps drives keep different memories.
        for (old, new, example) in [(CodingKeys.stride, "stride_s", "2 frames at 30 fps = 0.067"),
                                    (.maxReferenceAge, "max_reference_age_s", "24 frames at 30 fps = 0.8")] where c.contains(old) {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath + [old],
                                                   debugDescription: "counted frames and is replaced by \(new), in seconds (\(example)), so drives and cameras at any frame rate keep the same memory"))
        }
        strideSeconds = try c.value(.strideSeconds, default: d.strideSeconds)
        maxReferenceAgeSeconds = try c.value(.maxReferenceAgeSeconds, default: d.maxReferenceAgeSeconds)
        align = try c.value(.align, default: d.align)
        roadRecent = try c.value(.roadRecent, default: d.roadRecent)
        roadKept = try c.value(.roadKept, default: d.roadKept)
        roadMaxAgeSeconds = try c.value(.roadMaxAgeSeconds, default: d.roadMaxAgeSeconds)
        scale = try c.value(.scale, default: d.scale)
        threads = try c.value(.threads, default: d.threads)
        matchExposure = try c.value(.matchExposure, default: d.matchExposure)
        minHoleCoverage = try c.value(.minHoleCoverage, default: d.minHoleCoverage)
        fillUnseen = try c.value(.fillUnseen, default: d.fillUnseen)
        paste = try c.value(.paste, default: d.paste)
        deadlineFallback = try c.value(.deadlineFallback, default: d.deadlineFallback)
    }

    /// Range checks, located by key path under `restorer`.
    public func problems() -> [(path: [String], message: String)] {
        var out: [(path: [String], message: String)] = []
        func check(_ ok: Bool, _ path: [String], _ message: String) { if !ok { out.append((["restorer"] + path, message)) } }
        check(!weights.isEmpty, ["weights"], "must name a CPNet weight file (.safetensors)")
        check((1...16).contains(references), ["references"], "must be 1…16 frames, got \(references)")
        check(strideSeconds > 0 && strideSeconds <= 2, ["stride_s"], "must be in (0, 2] seconds, got \(strideSeconds)")
        check(maxReferenceAgeSeconds >= 0 && maxReferenceAgeSeconds <= 120, ["max_reference_age_s"],
              "must be 0 (no limit)…120 seconds, got \(maxReferenceAgeSeconds)")
        check((1...16).contains(roadRecent), ["road_recent"], "must be 1…16 frames, got \(roadRecent)")
        check((0...16).contains(roadKept), ["road_kept"], "must be 0…16 frames, got \(roadKept)")
        check(roadMaxAgeSeconds > 0 && roadMaxAgeSeconds <= 120, ["road_max_age_s"], "must be in (0, 120] seconds, got \(roadMaxAgeSeconds)")
        check(scale >= 0.125 && scale <= 1, ["scale"], "must be in [0.125, 1], got \(scale)")
        check((1...64).contains(threads), ["threads"], "must be 1…64, got \(threads)")
        check(minHoleCoverage >= 0 && minHoleCoverage < 1, ["min_hole_coverage"], "must be in [0, 1), got \(minHoleCoverage)")
        return out
    }
}

extension LoadedConfig {
    /// `path` resolved against the config file's folder (absolute paths unchanged).
    public func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: baseDirectory).appendingPathComponent(path).standardized.path
    }
}
