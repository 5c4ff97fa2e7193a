/// A small, fast, reproducible random number generator (xoshiro256**, seeded through SplitMix64).
///
/// Every random choice in a synthesized or degraded drive comes from one of these, seeded from the
/// drive's seed, so the same seed gives a byte-identical drive on every machine. Swift's
/// `SystemRandomNumberGenerator` is never used for drive content.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    public init(seed: UInt64) {
        var sm = seed
        s0 = SeededRandom.splitMix(&sm)
        s1 = SeededRandom.splitMix(&sm)
        s2 = SeededRandom.splitMix(&sm)
        s3 = SeededRandom.splitMix(&sm)
    }

    /// A generator for a named sub-stream (e.g. "road", "events"), so adding a draw in one part
    /// of the generator does not shift every other part.
    public init(seed: UInt64, stream: String) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a of the stream name, mixed with the seed
        for byte in stream.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        self.init(seed: seed ^ SeededRandom.mix(h))
    }

    @inline(__always)
    static func splitMix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        return mix(state)
    }

    /// SplitMix64's finalizer: a bijective 64-bit hash.
    @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Uniform in [0, 1).
    @inline(__always)
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in [a, b).
    public mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * unit() }

    /// Uniform integer in the closed range.
    public mutating func integer(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    /// True with probability `p`.
    public mutating func chance(_ p: Double) -> Bool { unit() < p }

    /// Standard normal (Box–Muller).
    public mutating func normal() -> Double {
        let u1 = max(unit(), 1e-300), u2 = unit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// One element of a non-empty array.
    public mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
}

/// Standard-normal samples addressed by (seed, frame, pixel) instead of drawn in sequence, so a
/// frame can be rendered by several threads in any order and still come out bit-identical.
/// A table of 2^16 normals is indexed by a hash of the address.
public struct NoiseTable: Sendable {
    public static let size = 1 << 16
    public let values: [Float]

    public init(seed: UInt64) {
        var rng = SeededRandom(seed: seed, stream: "noise-table")
        values = (0..<NoiseTable.size).map { _ in Float(rng.normal()) }
    }

    /// Per-frame key: mixes the drive seed and frame index.
    @inline(__always)
    public static func frameKey(seed: UInt64, frame: Int) -> UInt64 {
        SeededRandom.mix(seed &+ 0x632b_e59b_d9b4_e019 &* UInt64(truncatingIfNeeded: frame &+ 1))
    }

    /// Table index for one address (frame key, element index).
    @inline(__always)
    public static func index(key: UInt64, element: Int) -> Int {
        Int(truncatingIfNeeded: SeededRandom.mix(key ^ UInt64(truncatingIfNeeded: element)) & UInt64(NoiseTable.size - 1))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
