import Configuration

/// `lanes.detector:` in the config file decodes straight into the detector's parameters: the keys
/// below are the settings a deployment tunes; the others (window geometry, fit limits) are the
/// detector's design and keep their defaults. Every key is optional; ranges are checked by
/// `problems()`, located under `lanes.detector`.
extension LaneDetectorParameters: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case birdseyeWidth = "birdseye_width", birdseyeHeight = "birdseye_height", minContrast = "min_contrast"
        case noiseFactor = "noise_factor", paintShare = "paint_share", localShare = "local_share", edgeShare = "edge_share"
        case minChroma = "min_chroma", windows, smoothing, holdFrames = "hold_frames", carryFrames = "carry_frames"
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        birdseyeWidth = try c.value(.birdseyeWidth, default: birdseyeWidth)
        birdseyeHeight = try c.value(.birdseyeHeight, default: birdseyeHeight)
        minContrast = try c.value(.minContrast, default: minContrast)
        noiseFactor = try c.value(.noiseFactor, default: noiseFactor)
        paintShare = try c.value(.paintShare, default: paintShare)
        localShare = try c.value(.localShare, default: localShare)
        edgeShare = try c.value(.edgeShare, default: edgeShare)
        minChroma = try c.value(.minChroma, default: minChroma)
        windows = try c.value(.windows, default: windows)
        smoothing = try c.value(.smoothing, default: smoothing)
        holdFrames = try c.value(.holdFrames, default: holdFrames)
        carryFrames = try c.value(.carryFrames, default: carryFrames)
    }
}
