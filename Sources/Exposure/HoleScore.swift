import Imaging

/// Detected holes against truth holes, pooled over frames (pixel counts), inside a region.
public struct HoleScore: Sendable, Equatable {
    public var truth = 0
    public var detected = 0
    public var intersection = 0
    public var frames = 0

    public init() {}

    /// Intersection over union; nil when neither mask has any pixel (nothing to score).
    public var iou: Double? { truth + detected - intersection > 0 ? Double(intersection) / Double(truth + detected - intersection) : nil }
    /// Share of truth hole pixels detected; nil without truth holes.
    public var recall: Double? { truth > 0 ? Double(intersection) / Double(truth) : nil }
    /// Share of detected pixels that are truth holes; nil without detections.
    public var precision: Double? { detected > 0 ? Double(intersection) / Double(detected) : nil }

    /// Adds one frame; only pixels inside `region` (when given) count.
    public mutating func add(truth t: Mask, detected d: Mask, region: Mask? = nil) {
        precondition(t.width == d.width && t.height == d.height, "truth and detected masks differ in size")
        frames += 1
        t.values.withUnsafeBufferPointer { tv in
            d.values.withUnsafeBufferPointer { dv in
                if let region {
                    region.values.withUnsafeBufferPointer { rv in
                        for i in 0..<tv.count where rv[i] != 0 {
                            let a = tv[i] != 0, b = dv[i] != 0
                            truth += a ? 1 : 0
                            detected += b ? 1 : 0
                            intersection += a && b ? 1 : 0
                        }
                    }
                } else {
                    for i in 0..<tv.count {
                        let a = tv[i] != 0, b = dv[i] != 0
                        truth += a ? 1 : 0
                        detected += b ? 1 : 0
                        intersection += a && b ? 1 : 0
                    }
                }
            }
        }
    }

    public static func + (a: HoleScore, b: HoleScore) -> HoleScore {
        var s = a
        s.truth += b.truth
        s.detected += b.detected
        s.intersection += b.intersection
        s.frames += b.frames
        return s
    }
}
