import Configuration

/// `lanes.detector:` in the config file decodes straight into the detector's parameters: the keys
/// below are the settings a deployment tunes; the others (window geometry, fit limits) are the
/// detector's design and keep their defaults. Every key is optional.
extension LaneDetectorParameters: SettingsSection {
    public static var settings: [Setting<LaneDetectorParameters>] {
        [Setting("birdseye_width", \.birdseyeWidth, .closed(64...1024, "pixels"), "bird's-eye image width (320 ≈ 80 px per lane width)"),
         Setting("birdseye_height", \.birdseyeHeight, .closed(64...1024, "pixels"), "bird's-eye image height"),
         Setting("min_contrast", \.minContrast, .closed(1...128, "luma levels"), "a marking is brighter than the road beside it by at least this"),
         Setting("noise_factor", \.noiseFactor, .closed(0...20), "…and by this many robust standard deviations of the frame's noise"),
         Setting("paint_share", \.paintShare, .atLeast(0, below: 1), "…and by this share of (top of the luma histogram − road mode)"),
         Setting("local_share", \.localShare, .atLeast(0, below: 1), "…except beside darker road, where this share of its luma is enough"),
         Setting("edge_share", \.edgeShare, .closed(0...1), "1: contrast against both sides; below 1: against their mean, and the brighter side by this share"),
         Setting("min_chroma", \.minChroma, .closed(1...128), "yellow paint: (R+G)/2 − B above its surroundings by at least this"),
         Setting("windows", \.windows, .closed(3...40), "sliding windows per lane"),
         Setting("smoothing", \.smoothing, .above(0, atMost: 1), "weight of the new fit when smoothing a tracked lane (1 = none)"),
         Setting("hold_s", \.holdSeconds, .closed(0...5, "seconds"), "seconds a lost lane is still reported from its track"),
         Setting("carry_s", \.carrySeconds, .closed(0...10, "seconds"),
                 "seconds a lost ego line is carried by the other at their last spacing (0 = only hold_s)"),
         Setting("hole_hold_s", \.holeHoldSeconds, .closed(0...10, "seconds"),
                 "seconds a lost line whose path lies mostly in the filmed frame's exposure holes is held instead of dropped (0 = only hold_s)"),
         // Frame counts held a 15 fps camera's lines twice as long as a 30 fps camera's.
         .removed("hold_frames", "counted frames and is replaced by hold_s, in seconds (4 frames at 30 fps = 0.133), so cameras at any frame rate hold lines alike"),
         .removed("carry_frames", "counted frames and is replaced by carry_s, in seconds (30 frames at 30 fps = 1.0)"),
         .removed("hole_hold_frames", "counted frames and is replaced by hole_hold_s, in seconds (90 frames at 30 fps = 3.0)")]
    }

    public init(from decoder: Decoder) throws { try self.init(settingsFrom: decoder) }
}
