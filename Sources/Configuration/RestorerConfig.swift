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
    /// s, every s-th frame is considered for the memory.
    public var stride: Int
    /// Frames after which a reference is replaced even by a frame with more holes (0 = never).
    public var maxReferenceAge: Int
    /// The network runs at this fraction of the processing size (1 = full); the fill is
    /// upsampled into the full-size holes. 0.5 is what the shipped model is trained for.
    public var scale: Double
    /// Threads for the convolutions (the daemon's machine has 2 cores).
    public var threads: Int
    /// Bring the valid pixels' exposure toward the reference memory's before pasting, so pasted
    /// content and the rest of the frame meet without a seam (README § Restoration).
    public var matchExposure: Bool
    /// Frames whose holes cover less of the frame than this are not restored (noise, specks).
    public var minHoleCoverage: Double
    /// Also fill hole pixels no reference shows (the decoder's guess); off: they stay as filmed.
    public var fillUnseen: Bool
    /// Where a seen hole pixel's fill comes from: the aligned pixel of the longest-held reference
    /// that shows it, the aligned references' pixels blended with the context-matching weights, or the
    /// paste decoder (the paper).
    public var paste: Paste
    /// When the CPNet would overrun a frame's deadline, fill its holes with each pixel's last
    /// filmed value instead (copy-last, one pass over the pixels); off: the frame goes out
    /// unrestored.
    public var deadlineFallback: Bool

    public enum Paste: String, Decodable, Sendable, CaseIterable { case oldest, blend, decoder }

    public static let defaultWeights = "../models/cpnet-road-slim.safetensors"

    enum CodingKeys: String, CodingKey, CaseIterable {
        case enabled, weights, references, stride, scale, threads, maxReferenceAge = "max_reference_age"
        case matchExposure = "match_exposure", minHoleCoverage = "min_hole_coverage", fillUnseen = "fill_unseen", paste
        case deadlineFallback = "deadline_fallback"
    }

    public init() {
        enabled = true
        weights = Self.defaultWeights
        references = 4
        stride = 2
        maxReferenceAge = 24
        scale = 0.5
        threads = 2
        matchExposure = false
        minHoleCoverage = 0.005
        fillUnseen = false
        paste = .oldest
        deadlineFallback = true
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = RestorerConfig()
        enabled = try c.value(.enabled, default: d.enabled)
        weights = try c.value(.weights, default: d.weights)
        references = try c.value(.references, default: d.references)
        stride = try c.value(.stride, default: d.stride)
        maxReferenceAge = try c.value(.maxReferenceAge, default: d.maxReferenceAge)
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
        check((1...30).contains(stride), ["stride"], "must be 1…30 frames, got \(stride)")
        check((0...3600).contains(maxReferenceAge), ["max_reference_age"], "must be 0 (no limit)…3600 frames, got \(maxReferenceAge)")
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
