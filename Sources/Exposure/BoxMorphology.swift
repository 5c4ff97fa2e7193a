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
                guard let t = t.baseAddress else { return }
                guard let m = m.baseAddress else { for i in 0..<count { t[i] = 0 }; return }
                for x in 0..<stride { t[x] = 0 }
                for y in 0..<height {
                    let above = t + y * stride, here = t + (y + 1) * stride, source = m + y * width
                    var rowSum: UInt32 = 0
                    here[0] = 0
                    for x in 0..<width {
                        rowSum &+= source[x] != 0 ? 1 : 0
                        here[x + 1] = above[x + 1] &+ rowSum
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
        scanWindows(radius: radius, into: &out) { total in
            // fraction 1 means "every pixel"; compare in integers to avoid rounding.
            (fraction >= 1 ? total : max(1, Int((Double(total) * fraction).rounded(.up))), total)
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
        scanWindows(radius: radius, into: &out) { total in (1, total - 1) }
    }

    /// out = 1 where the (2·radius + 1)² window around each pixel, clipped at the borders, holds
    /// between `bounds(total).low` and `.high` set pixels of the integrated mask (`total`: the
    /// window's pixel count). The one loop over the table that threshold and edgeBand share.
    ///
    /// Hot path (six passes per frame in the hole detector). Along a row, every window between the
    /// left and right borders has the same clipped height and so the same total: `bounds` is asked
    /// once per row for those and per pixel only within `radius` of the left and right edges, and
    /// the inner loop is four table reads and two compares. UInt32 wrapping arithmetic is exact:
    /// a window's count is never negative and fits.
    @inline(__always)
    private func scanWindows(radius: Int, into out: inout Mask, _ bounds: (_ total: Int) -> (low: Int, high: Int)) {
        out.reshape(width: width, height: height, fill: 0)
        let w = width, h = height, stride = width + 1
        // Interior columns: x − radius ≥ 0 and x + radius + 1 ≤ w.
        let innerStart = min(radius, w), innerEnd = max(innerStart, w - radius)
        table.withUnsafeBufferPointer { t in
            out.values.withUnsafeMutableBufferPointer { o in
                guard let t = t.baseAddress, let o = o.baseAddress else { return }
                for y in 0..<h {
                    let y0 = max(y - radius, 0), y1 = min(y + radius + 1, h)
                    let top = t + y0 * stride, bottom = t + y1 * stride, row = o + y * w
                    @inline(__always) func windowSum(_ x0: Int, _ x1: Int) -> UInt32 {
                        bottom[x1] &- top[x1] &- bottom[x0] &+ top[x0]
                    }
                    // Within `radius` of the left or right edge: clipped windows, bounds per pixel.
                    @inline(__always) func scanClipped(_ columns: Range<Int>) {
                        for x in columns {
                            let x0 = max(x - radius, 0), x1 = min(x + radius + 1, w)
                            let (low, high) = bounds((x1 - x0) * (y1 - y0))
                            let s = Int(windowSum(x0, x1))
                            row[x] = s >= low && s <= high ? 1 : 0
                        }
                    }
                    scanClipped(0..<innerStart)
                    let (low, high) = bounds((2 * radius + 1) * (y1 - y0))
                    // Clamped, so a bound below 0 (edgeBand of a 1-pixel window) cannot trap.
                    let lo = UInt32(clamping: low), hi = UInt32(clamping: high)
                    for x in innerStart..<innerEnd {
                        let s = windowSum(x - radius, x + radius + 1)
                        row[x] = s >= lo && s <= hi ? 1 : 0
                    }
                    scanClipped(innerEnd..<w)
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
