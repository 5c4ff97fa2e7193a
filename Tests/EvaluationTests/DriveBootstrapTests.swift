@testable import Evaluation
import Testing

/// The report's interval on restored − the better copy baseline: a paired bootstrap over drives.
@Suite("Drive bootstrap")
struct DriveBootstrapTests {
    /// A drive whose variants score `a` and `b` on `frames` affected frames.
    private func pair(_ a: Double, _ b: Double, frames: Int = 10) -> DriveBootstrap.Pair {
        DriveBootstrap.Pair(accuracySumA: a * Double(frames), framesA: frames, accuracySumB: b * Double(frames), framesB: frames)
    }

    @Test func theDifferenceIsPooledByFramesLikeTheReport() throws {
        // 10 frames at +0.2 and twice 30 at −0.1: pooled a = (8 + 15 + 15) / 70, b = (6 + 18 + 18) / 70.
        let b = try #require(DriveBootstrap([pair(0.8, 0.6), pair(0.5, 0.6, frames: 30), pair(0.7, 0.7, frames: 0)] + [pair(0.5, 0.6, frames: 30)]))
        #expect(abs(b.difference - ((8.0 + 30) / 70 - (6.0 + 36) / 70)) < 1e-12)
        #expect(b.drives == 3, "a drive without frames for both variants is left out")
        #expect(b.low <= b.difference && b.difference <= b.high)
    }

    @Test func drivesThatAllAgreeGiveAnIntervalOfOnePoint() throws {
        let b = try #require(DriveBootstrap((0..<6).map { _ in pair(0.9, 0.85) }))
        #expect(abs(b.low - 0.05) < 1e-12 && abs(b.high - 0.05) < 1e-12)
        #expect(b.separates)
    }

    @Test func aSetWhoseDrivesDisagreeCannotTellTheVariantsApart() throws {
        // Every drive ahead by 5 points: separated. Half ahead by 10, half behind by 10: not.
        let ahead = try #require(DriveBootstrap((0..<8).map { i in pair(0.6 + 0.04 * Double(i), 0.55 + 0.04 * Double(i)) }))
        #expect(ahead.separates && ahead.low > 0)
        let split = try #require(DriveBootstrap((0..<8).map { i in i % 2 == 0 ? pair(0.9, 0.8) : pair(0.7, 0.8) }))
        #expect(abs(split.difference) < 1e-12)
        #expect(!split.separates && split.low < 0 && split.high > 0)
    }

    /// Against the exact bootstrap distribution of a three-drive set (all 27 ordered draws equally
    /// likely): the interval's ends are achievable differences, and the exact probability below
    /// the low end (above the high end) is near 2.5 %.
    @Test func theIntervalMatchesTheExactDistributionOfASmallSet() throws {
        let pairs = [pair(0.9, 0.6, frames: 10), pair(0.5, 0.7, frames: 20), pair(0.8, 0.8, frames: 5)]
        var exact: [Double] = []
        for i in 0..<3 { for j in 0..<3 { for k in 0..<3 {
            let drawn = [pairs[i], pairs[j], pairs[k]]
            let a = drawn.map(\.accuracySumA).reduce(0, +) / Double(drawn.map(\.framesA).reduce(0, +))
            let b = drawn.map(\.accuracySumB).reduce(0, +) / Double(drawn.map(\.framesB).reduce(0, +))
            exact.append(a - b)
        } } }
        let bootstrap = try #require(DriveBootstrap(pairs, draws: 20000))
        #expect(exact.contains { abs($0 - bootstrap.low) < 1e-12 } && exact.contains { abs($0 - bootstrap.high) < 1e-12 })
        let below = Double(exact.filter { $0 < bootstrap.low - 1e-12 }.count) / 27
        let above = Double(exact.filter { $0 > bootstrap.high + 1e-12 }.count) / 27
        // Each end of 27 equally likely outcomes moves in steps of 1/27 ≈ 3.7 %.
        #expect(below <= 0.025 + 1e-9 && below >= 0.025 - 1.0 / 27, "below \(below)")
        #expect(above <= 0.025 + 1e-9 && above >= 0.025 - 1.0 / 27, "above \(above)")
    }

    /// A footage drawn is all its drives: the grouped bootstrap equals the plain one over each
    /// footage's summed drives, and singletons are the plain bootstrap over drives.
    @Test func aFootageIsDrawnAsTheSumOfItsDrives() throws {
        let a = pair(0.9, 0.6, frames: 10), a2 = pair(0.7, 0.65, frames: 6), b = pair(0.5, 0.7, frames: 20), c = pair(0.8, 0.8, frames: 5)
        let grouped = try #require(DriveBootstrap(groups: [[a, a2], [b], [c]], draws: 4000))
        let summed = try #require(DriveBootstrap([pair((9.0 + 4.2) / 16, (6.0 + 3.9) / 16, frames: 16), b, c], draws: 4000))
        #expect(abs(grouped.low - summed.low) < 1e-12 && abs(grouped.high - summed.high) < 1e-12 && abs(grouped.difference - summed.difference) < 1e-12)
        #expect(grouped.drives == 4 && grouped.footages == 3)
        let singletons = try #require(DriveBootstrap(groups: [[a], [a2], [b], [c]]))
        #expect(singletons == DriveBootstrap([a, a2, b, c]))
        // Two footages are too few, however many drives they hold.
        #expect(DriveBootstrap(groups: [[a, a2, c], [b]]) == nil)
    }

    @Test func theSameDrivesGiveTheSameIntervalAndTooFewGiveNone() throws {
        let pairs = [pair(0.9, 0.8), pair(0.6, 0.7), pair(0.75, 0.7), pair(0.8, 0.85)]
        #expect(DriveBootstrap(pairs) == DriveBootstrap(pairs))
        #expect(DriveBootstrap(Array(pairs.prefix(2))) == nil)
    }
}
