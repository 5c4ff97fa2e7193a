import Imaging

/// Binary morphology and window counts with square windows, in O(1) per pixel through a summed-area
/// table (the window size does not change the cost, so bloom-sized dilations stay cheap).
///
/// The unsafe pointer loops are the hot path of the ExposureAnalyzer; `Tests/ExposureTests`
/// checks them against a direct window scan.
public struct BoxMorphology: Sendable {
    /// Summed-area table, (width + 1) × (height + 1), reused between calls.
    private var table: [UInt32] = []
    private var width = 0, height = 0

    public init() {}

    /// Fills the table from `mask` (any non-zero counts as set).
    public mutating func integrate(_ mask: Mask) {
        width = mask.width
        height = mask.height
        let stride = width + 1
        let count = stride * (height + 1)
        if table.count != count { table = [UInt32](repeating: 0, count: count) }
        table.withUnsafeMutableBufferPointer { t in
            mask.values.withUnsafeBufferPointer { m in
                for x in 0..<stride { t[x] = 0 }
                for y in 0..<height {
                    var rowSum: UInt32 = 0
                    t[(y + 1) * stride] = 0
                    for x in 0..<width {
                        rowSum &+= m[y * width + x] != 0 ? 1 : 0
                        t[(y + 1) * stride + x + 1] = t[y * stride + x + 1] &+ rowSum
                    }
                }
            }
        }
    }

    /// Set pixels in the window of `radius` around (x, y), clipped to the image; also returns the
    /// window's pixel count.
    @inline(__always)
    public func count(x: Int, y: Int, radius: Int) -> (set: Int, total: Int) {
        let x0 = max(x - radius, 0), x1 = min(x + radius + 1, width)
        let y0 = max(y - radius, 0), y1 = min(y + radius + 1, height)
        let stride = width + 1
        let s = table.withUnsafeBufferPointer { t in
            Int(t[y1 * stride + x1]) - Int(t[y0 * stride + x1]) - Int(t[y1 * stride + x0]) + Int(t[y0 * stride + x0])
        }
        return (s, (x1 - x0) * (y1 - y0))
    }

    /// out = 1 where at least `fraction` of the window around the pixel is set in the integrated
    /// mask (fraction → 0⁺: dilation; 1: erosion), optionally only where `gate` is set.
    public func threshold(radius: Int, fraction: Double, gate: Mask? = nil, into out: inout Mask) {
        scanWindows(radius: radius, into: &out) { set, total in
            // fraction 1 means "every pixel"; compare in integers to avoid rounding.
            let need = fraction >= 1 ? total : max(1, Int((Double(total) * fraction).rounded(.up)))
            return set >= need
        }
        if let gate {
            out.values.withUnsafeMutableBufferPointer { o in
                gate.values.withUnsafeBufferPointer { g in
                    for i in 0..<o.count where g[i] == 0 { o[i] = 0 }
                }
            }
        }
    }

    /// out = 1 where the window of `radius` around the pixel holds set and unset pixels of the
    /// integrated mask: dilate ∖ erode, the band of 2·radius + 1 pixels along every edge of the
    /// mask, in one pass over the table.
    public func edgeBand(radius: Int, into out: inout Mask) {
        scanWindows(radius: radius, into: &out) { set, total in set > 0 && set < total }
    }

    /// out = 1 where `decide(set, total)` holds for the (2·radius + 1)² window around each pixel,
    /// clipped at the borders: `set` pixels of the integrated mask among `total`. The one loop
    /// over the table that threshold and edgeBand share; per frame, so inlined with its closure.
    @inline(__always)
    private func scanWindows(radius: Int, into out: inout Mask, _ decide: (_ set: Int, _ total: Int) -> Bool) {
        out.reshape(width: width, height: height, fill: 0)
        let w = width, h = height, stride = width + 1
        table.withUnsafeBufferPointer { t in
            out.values.withUnsafeMutableBufferPointer { o in
                for y in 0..<h {
                    let y0 = max(y - radius, 0), y1 = min(y + radius + 1, h)
                    for x in 0..<w {
                        let x0 = max(x - radius, 0), x1 = min(x + radius + 1, w)
                        let s = Int(t[y1 * stride + x1]) - Int(t[y0 * stride + x1]) - Int(t[y1 * stride + x0]) + Int(t[y0 * stride + x0])
                        o[y * w + x] = decide(s, (x1 - x0) * (y1 - y0)) ? 1 : 0
                    }
                }
            }
        }
    }

    public mutating func dilate(_ mask: Mask, radius: Int, into out: inout Mask) {
        if radius <= 0 { BoxMorphology.copy(mask, into: &out); return }
        integrate(mask)
        threshold(radius: radius, fraction: 0, into: &out)
    }

    public mutating func erode(_ mask: Mask, radius: Int, into out: inout Mask) {
        if radius <= 0 { BoxMorphology.copy(mask, into: &out); return }
        integrate(mask)
        threshold(radius: radius, fraction: 1, into: &out)
    }

    /// Copies values without sharing storage (so later writes to `out` do not allocate).
    static func copy(_ mask: Mask, into out: inout Mask) {
        out.reshape(width: mask.width, height: mask.height, fill: 0)
        for i in 0..<mask.values.count { out.values[i] = mask.values[i] }
    }
}
