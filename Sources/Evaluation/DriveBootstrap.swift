/// How far a pooled accuracy difference between two variants could move with other drives: a
/// paired bootstrap over the drives of a set, drawn by footage.
///
/// The frames of one drive share its road, camera and event, so they are not independent
/// samples; nor are drives made from the same footage (one filmed video degraded with several
/// events, one rendered road at 30 and 15 fps), which share their road, markings and camera.
/// The footage is the unit (`init(groups:)`; a drive of unknown footage is its own). Each draw
/// picks as many footages as the set has, with replacement, and pools both variants' affected
/// frames over all drives of the footages drawn (Σ accuracy / Σ frames, as the report pools the
/// whole set); the interval holds the middle 95 % of the draws' differences. Both variants are scored on the same drives in every draw (paired), so what the
/// drives share cancels. Draws come from a fixed-seed generator: a report renders the same
/// interval every time.
///
/// Issue 16's comparisons are decided by one or two points on sets of 8–25 drives, where single
/// drives swing by 5–10 points between settings (docs/decisions/0038-long-event-memory-tried.md): the interval says
/// whether a set can tell two variants apart at all.
public struct DriveBootstrap: Sendable, Equatable {
    /// One drive's affected frames for the two variants compared (accuracy summed over frames).
    public struct Pair: Sendable, Equatable {
        public var accuracySumA: Double
        public var framesA: Int
        public var accuracySumB: Double
        public var framesB: Int
        public init(accuracySumA: Double, framesA: Int, accuracySumB: Double, framesB: Int) {
            self.accuracySumA = accuracySumA
            self.framesA = framesA
            self.accuracySumB = accuracySumB
            self.framesB = framesB
        }
    }

    /// Pooled accuracy of a minus pooled accuracy of b over all drives (fraction, not points).
    public var difference: Double
    /// The 2.5th and 97.5th percentiles of the draws' differences.
    public var low: Double
    public var high: Double
    public var draws: Int
    /// Drives with frames for both variants, and the footages they come from (the units drawn).
    public var drives: Int
    public var footages: Int

    /// Fewer footages than this give no interval: with one or two, every draw repeats them.
    public static let minimumFootages = 3

    /// Each drive its own footage. nil when fewer than `minimumFootages` drives have frames for
    /// both variants.
    public init?(_ pairs: [Pair], draws: Int = 2000, seed: UInt64 = 0x5EED_D12E) {
        self.init(groups: pairs.map { [$0] }, draws: draws, seed: seed)
    }

    /// `groups` holds the drives of each footage. nil when fewer than `minimumFootages` footages
    /// have a drive with frames for both variants.
    public init?(groups: [[Pair]], draws: Int = 2000, seed: UInt64 = 0x5EED_D12E) {
        let drivesUsed = groups.map { $0.filter { $0.framesA > 0 && $0.framesB > 0 } }.filter { !$0.isEmpty }
        // Pooling sums frames and accuracy, so a footage drawn is the sum of its drives.
        let usable = drivesUsed.map { group in
            group.reduce(Pair(accuracySumA: 0, framesA: 0, accuracySumB: 0, framesB: 0)) {
                Pair(accuracySumA: $0.accuracySumA + $1.accuracySumA, framesA: $0.framesA + $1.framesA,
                     accuracySumB: $0.accuracySumB + $1.accuracySumB, framesB: $0.framesB + $1.framesB)
            }
        }
        guard usable.count >= Self.minimumFootages, draws > 0 else { return nil }
        func pooledDifference(_ pick: (Int) -> Pair) -> Double {
            var sumA = 0.0, sumB = 0.0, framesA = 0, framesB = 0
            for i in 0..<usable.count {
                let p = pick(i)
                sumA += p.accuracySumA; sumB += p.accuracySumB
                framesA += p.framesA; framesB += p.framesB
            }
            return sumA / Double(framesA) - sumB / Double(framesB)
        }
        difference = pooledDifference { usable[$0] }
        var generator = SplitMix64(seed: seed)
        var differences = [Double]()
        differences.reserveCapacity(draws)
        for _ in 0..<draws {
            differences.append(pooledDifference { _ in usable[Int(generator.next() % UInt64(usable.count))] })
        }
        differences.sort()
        low = differences[Int((0.025 * Double(draws)).rounded(.down))]
        high = differences[min(draws - 1, Int((0.975 * Double(draws)).rounded(.up)) - 1)]
        self.draws = draws
        self.drives = drivesUsed.map(\.count).reduce(0, +)
        self.footages = usable.count
    }

    /// Whether the interval excludes no difference: the set tells the two variants apart.
    public var separates: Bool { low > 0 || high < 0 }
}

/// A small, fixed-seed generator (SplitMix64): the bootstrap's draws must not depend on the
/// platform's random source, so that a report renders the same figures each time.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
