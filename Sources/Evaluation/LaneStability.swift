/// How steadily a variant's detector holds the ego lane, measured without labels: the share of
/// frames with both ego lines, and how far each line moves between consecutive frames at the car
/// (in lane widths: a real lane drifts a few percent of its width per frame, a detector that
/// jumps between paint and a seam moves tens of percent). An unlabeled drive's report says
/// through this whether restoration steadied the lanes or shook them.
public struct LaneStability: Codable, Sendable, Equatable {
    public var frames = 0
    public var egoPairFrames = 0
    /// Σ |Δx| / lane width over the line-frame pairs measured, and their count.
    public var jitterSum = 0.0
    public var jitterSamples = 0

    enum CodingKeys: String, CodingKey {
        case frames, egoPairFrames = "ego_pair_frames", jitterSum = "jitter_sum", jitterSamples = "jitter_samples"
    }

    public init() {}

    /// Share of frames in which both ego lines were reported.
    public var egoPairRate: Double? { frames > 0 ? Double(egoPairFrames) / Double(frames) : nil }
    /// Mean frame-to-frame move of an ego line at the car, in lane widths.
    public var meanJitter: Double? { jitterSamples > 0 ? jitterSum / Double(jitterSamples) : nil }

    /// One frame: the ego lines' positions at the car (any unit, nil when not reported) and the
    /// previous frame's. A move is measured for a line reported in both frames, against this
    /// frame's lane width (so only while both lines are reported now).
    public mutating func add(left: Double?, right: Double?, previousLeft: Double?, previousRight: Double?) {
        frames += 1
        guard let left, let right else { return }
        egoPairFrames += 1
        let width = right - left
        guard width > 0 else { return }
        for (now, before) in [(left, previousLeft), (right, previousRight)] {
            guard let before else { continue }
            jitterSum += abs(now - before) / width
            jitterSamples += 1
        }
    }

    public mutating func merge(_ other: LaneStability) {
        frames += other.frames
        egoPairFrames += other.egoPairFrames
        jitterSum += other.jitterSum
        jitterSamples += other.jitterSamples
    }
}
