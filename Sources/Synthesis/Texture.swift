import Exposure
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A tileable grey texture with a mip pyramid, made once per drive from seeded noise. Sampling
/// picks the mip level from the pixel's footprint on the road, so fine asphalt grain far away
/// averages out instead of shimmering.
struct TileTexture: Sendable {
    let size: Int
    /// Metres per texel at level 0.
    let texel: Float
    /// levels[k] is (size >> k)², values around 1 (a multiplicative modulation).
    let levels: [[Float]]

    /// Sum of octaves of smooth lattice noise; `amplitudes[k]` weights the octave with 2^(k+2)
    /// cells across the tile. Mean 1, contrast set by the amplitudes.
    init(size: Int, texel: Float, amplitudes: [Float], rng: inout SeededRandom) {
        self.size = size
        self.texel = texel
        var base = [Float](repeating: 1, count: size * size)
        for (octave, amplitude) in amplitudes.enumerated() {
            let cells = min(4 << octave, size)
            var lattice = [Float](repeating: 0, count: cells * cells)
            for i in 0..<lattice.count { lattice[i] = Float(rng.unit() * 2 - 1) }
            let scale = Float(cells) / Float(size)
            for y in 0..<size {
                let fy = Float(y) * scale
                let y0 = Int(fy) % cells, y1 = (y0 + 1) % cells
                var ty = fy - floorf(fy)
                ty = ty * ty * (3 - 2 * ty)
                for x in 0..<size {
                    let fx = Float(x) * scale
                    let x0 = Int(fx) % cells, x1 = (x0 + 1) % cells
                    var tx = fx - floorf(fx)
                    tx = tx * tx * (3 - 2 * tx)
                    let a = lattice[y0 * cells + x0], b = lattice[y0 * cells + x1]
                    let c = lattice[y1 * cells + x0], d = lattice[y1 * cells + x1]
                    let v = (a + (b - a) * tx) + ((c + (d - c) * tx) - (a + (b - a) * tx)) * ty
                    base[y * size + x] += amplitude * v
                }
            }
        }
        var levels = [base]
        var n = size
        while n > 1 {
            let prev = levels[levels.count - 1]
            let m = n / 2
            var next = [Float](repeating: 0, count: m * m)
            for y in 0..<m {
                for x in 0..<m {
                    next[y * m + x] = 0.25 * (prev[2 * y * n + 2 * x] + prev[2 * y * n + 2 * x + 1]
                                              + prev[(2 * y + 1) * n + 2 * x] + prev[(2 * y + 1) * n + 2 * x + 1])
                }
            }
            levels.append(next)
            n = m
        }
        self.levels = levels
        levelCount = levels.count
        inverseTexel = 1 / texel
        levelScale = (0..<levels.count).map { 1 / (texel * Float(1 << $0)) }
        var offsets: [Int] = [], flat: [Float] = []
        for level in levels { offsets.append(flat.count); flat += level }
        self.offsets = offsets
        storage = TextureStorage(flat)
    }

    let levelCount: Int
    let inverseTexel: Float
    let levelScale: [Float]
    let offsets: [Int]
    /// All levels in one allocation, read through a raw pointer in the per-pixel loop.
    let storage: TextureStorage

    /// The texture at road coordinates (metres), filtered for a footprint of `footprint` metres.
    @inline(__always)
    func sample(_ u: Float, _ v: Float, footprint: Float) -> Float {
        // Mip level = floor(log2(footprint / texel)), read from the float's exponent (no libm call).
        let ratio = footprint * inverseTexel
        let level = ratio < 2 ? 0 : min(Int(ratio.exponent), levelCount - 1)
        let n = size >> level
        let scale = levelScale[level]
        let fx = u * scale, fy = v * scale
        let flx = fx.rounded(.down), fly = fy.rounded(.down)
        let ix = Int(flx), iy = Int(fly)
        let tx = fx - flx, ty = fy - fly
        let mask = n - 1  // sizes are powers of two
        let x0 = ix & mask, x1 = (ix + 1) & mask, y0 = iy & mask, y1 = (iy + 1) & mask
        let t = storage.base + offsets[level]
        let a = t[y0 * n + x0], b = t[y0 * n + x1], c = t[y1 * n + x0], d = t[y1 * n + x1]
        let top = a + (b - a) * tx
        return top + ((c + (d - c) * tx) - top) * ty
    }
}

/// Texture memory that lives as long as the texture; the per-pixel loop reads it through `base`.
final class TextureStorage: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
    let count: Int
    init(_ values: [Float]) {
        count = values.count
        base = .allocate(capacity: values.count)
        base.initialize(from: values, count: values.count)
    }
    deinit { base.deallocate() }
}
