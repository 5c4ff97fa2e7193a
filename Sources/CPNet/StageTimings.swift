/// Seconds spent in each stage of one restoration step (cpnet.md §1–6).
public struct StageTimings: Equatable, Sendable {
    /// §1–2: alignment encoder (target, and references not yet cached) and regressor.
    public var alignment: Double = 0
    /// §3: warping references at full resolution.
    public var warp: Double = 0
    /// §4: copy encoder on target and aligned references.
    public var encode: Double = 0
    /// §5: context matching.
    public var match: Double = 0
    /// §6: paste decoder, de-normalisation and compositing.
    public var decode: Double = 0

    public init() {}
    public var total: Double { alignment + warp + encode + match + decode }

    public static func + (a: StageTimings, b: StageTimings) -> StageTimings {
        var s = a
        s.alignment += b.alignment; s.warp += b.warp; s.encode += b.encode; s.match += b.match; s.decode += b.decode
        return s
    }
}
