import Configuration
/// `exposure:` — how the live hole detector (ExposureAnalyzer) finds clipped and crushed regions.
/// Radii are in pixels at a 640-pixel-wide processing frame and scale with the width. Every key is
/// optional; the defaults were tuned on synthetic drives against truth masks (docs/decisions/0026-hole-detector-defaults.md).
public struct ExposureConfig: Decodable, Sendable, Equatable {
    /// A pixel whose smallest channel is at least this is saturated (0–255).
    public var clipLevel: Int
    /// A pixel whose luma is at least this is saturated too.
    public var clipLumaLevel: Int
    /// A pixel whose luma is at most this is crushed.
    public var crushLevel: Int
    /// Neighbourhood radius of the texture test (lane paint under correct exposure has texture around it).
    public var flatRadius: Int
    /// Share (0–1] of that neighbourhood that must be saturated / crushed for a pixel to count.
    public var flatFraction: Double
    /// Opening radius: removes specks.
    public var openRadius: Int
    /// Closing radius: fills small gaps.
    public var closeRadius: Int
    /// Dilation covering the bloom halo.
    public var dilateRadius: Int
    /// Frames a pixel stays a hole after it was last detected.
    public var holdFrames: Int
    /// Holes covering less than this share of the lane ROI are ignored.
    public var minHoleFraction: Double

    enum CodingKeys: String, CodingKey, CaseIterable {
        case clipLevel = "clip_level", clipLumaLevel = "clip_luma_level", crushLevel = "crush_level"
        case flatRadius = "flat_radius", flatFraction = "flat_fraction", openRadius = "open_radius"
        case closeRadius = "close_radius", dilateRadius = "dilate_radius", holdFrames = "hold_frames"
        case minHoleFraction = "min_hole_fraction"
    }

    public init(clipLevel: Int = 250, clipLumaLevel: Int = 250, crushLevel: Int = 24, flatRadius: Int = 24,
                flatFraction: Double = 0.6, openRadius: Int = 1, closeRadius: Int = 2, dilateRadius: Int = 2,
                holdFrames: Int = 1, minHoleFraction: Double = 0.002) {
        self.clipLevel = clipLevel
        self.clipLumaLevel = clipLumaLevel
        self.crushLevel = crushLevel
        self.flatRadius = flatRadius
        self.flatFraction = flatFraction
        self.openRadius = openRadius
        self.closeRadius = closeRadius
        self.dilateRadius = dilateRadius
        self.holdFrames = holdFrames
        self.minHoleFraction = minHoleFraction
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ExposureConfig()
        clipLevel = try c.value(.clipLevel, default: d.clipLevel)
        clipLumaLevel = try c.value(.clipLumaLevel, default: d.clipLumaLevel)
        crushLevel = try c.value(.crushLevel, default: d.crushLevel)
        flatRadius = try c.value(.flatRadius, default: d.flatRadius)
        flatFraction = try c.value(.flatFraction, default: d.flatFraction)
        openRadius = try c.value(.openRadius, default: d.openRadius)
        closeRadius = try c.value(.closeRadius, default: d.closeRadius)
        dilateRadius = try c.value(.dilateRadius, default: d.dilateRadius)
        holdFrames = try c.value(.holdFrames, default: d.holdFrames)
        minHoleFraction = try c.value(.minHoleFraction, default: d.minHoleFraction)
    }

    /// Range problems, located under `exposure.`.
    public func problems() -> [(path: [String], message: String)] {
        var out: [(path: [String], message: String)] = []
        func check(_ ok: Bool, _ key: String, _ message: String) { if !ok { out.append((["exposure", key], message)) } }
        check((128...255).contains(clipLevel), "clip_level", "must be 128…255 (8-bit level a saturated pixel reaches), got \(clipLevel)")
        check((128...255).contains(clipLumaLevel), "clip_luma_level", "must be 128…255, got \(clipLumaLevel)")
        check((0...127).contains(crushLevel), "crush_level", "must be 0…127 (8-bit luma a crushed pixel stays under), got \(crushLevel)")
        check((0...32).contains(flatRadius), "flat_radius", "must be 0…32 pixels, got \(flatRadius)")
        check(flatFraction > 0 && flatFraction <= 1, "flat_fraction", "must be in (0, 1], got \(flatFraction)")
        check((0...16).contains(openRadius), "open_radius", "must be 0…16 pixels, got \(openRadius)")
        check((0...16).contains(closeRadius), "close_radius", "must be 0…16 pixels, got \(closeRadius)")
        check((0...32).contains(dilateRadius), "dilate_radius", "must be 0…32 pixels, got \(dilateRadius)")
        check((0...30).contains(holdFrames), "hold_frames", "must be 0…30 frames, got \(holdFrames)")
        check(minHoleFraction >= 0 && minHoleFraction < 1, "min_hole_fraction", "must be in [0, 1), got \(minHoleFraction)")
        return out
    }
}
