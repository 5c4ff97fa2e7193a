import Configuration
/// `exposure:` — how the live hole detector (ExposureAnalyzer) finds clipped and crushed regions.
/// Radii are in pixels at a 640-pixel-wide processing frame and scale with the width. Every key is
/// optional; the defaults were tuned on synthetic drives against truth masks (docs/decisions/0026-hole-detector-defaults.md).
public struct ExposureConfig: SettingsSection, Sendable, Equatable {
    public var clipLevel = 250
    public var clipLumaLevel = 250
    public var crushLevel = 24
    public var flatRadius = 24
    public var flatFraction = 0.6
    public var openRadius = 1
    public var closeRadius = 2
    public var dilateRadius = 2
    public var holdFrames = 1
    public var minHoleFraction = 0.002
    // The veil (decision 0042): chosen on dev and dev-hard.
    public var veilLevel = 160
    public var veilContrast = 4
    public var veilRadius = 128

    public static var settings: [Setting<ExposureConfig>] {
        [Setting("clip_level", \.clipLevel, .closed(128...255), "a pixel whose smallest channel is at least this (8-bit) is saturated"),
         Setting("clip_luma_level", \.clipLumaLevel, .closed(128...255), "a pixel whose luma is at least this is saturated too"),
         Setting("crush_level", \.crushLevel, .closed(0...127), "a pixel whose luma is at most this is crushed"),
         Setting("flat_radius", \.flatRadius, .closed(0...32, "pixels"),
                 "neighbourhood radius of the texture test (lane paint under correct exposure has texture around it)"),
         Setting("flat_fraction", \.flatFraction, .above(0, atMost: 1),
                 "share of that neighbourhood that must be saturated / crushed for a pixel to count"),
         Setting("open_radius", \.openRadius, .closed(0...16, "pixels"), "opening radius: removes specks"),
         Setting("close_radius", \.closeRadius, .closed(0...16, "pixels"), "closing radius: fills small gaps"),
         Setting("dilate_radius", \.dilateRadius, .closed(0...32, "pixels"), "dilation covering the bloom halo"),
         Setting("hold_frames", \.holdFrames, .closed(0...30, "frames"), "frames a pixel stays a hole after it was last detected"),
         Setting("min_hole_fraction", \.minHoleFraction, .atLeast(0, below: 1), "holes covering less of the lane ROI are ignored"),
         Setting("veil_level", \.veilLevel, .closed(128...255), "luma of the bright veil (bloom) around a clipped hole that joins it"),
         Setting("veil_contrast", \.veilContrast, .closed(1...255, "luma levels"),
                 "…and no ridge (a pixel against the mean of its neighbours 4 px left and right) of at least this within 8 px: paint still visible keeps its surroundings out"),
         Setting("veil_radius", \.veilRadius, .closed(0...255, "pixels"),
                 "how far, along connected veil pixels, a clipped hole grows into its veil (0 = not at all)")]
    }

    public init() {}

    public init(from decoder: Decoder) throws { try self.init(settingsFrom: decoder) }
}
