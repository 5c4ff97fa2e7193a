import Imaging

/// Binary morphology and window counts with square windows, clipped at the image borders, in O(1)
/// per pixel whatever the radius (so bloom-sized dilations stay cheap).
///
/// Each call walks the mask once, row by row, keeping per column the count of set pixels in the
/// row's vertical window (one row enters and one leaves per step) and, per row, the prefix sums of
/// those column counts, so a window's count is two reads. This replaced a whole-frame summed-area
/// table: the table (4 bytes a pixel, about 1 MB at 640×360) was written and read back once per
/// pass, and its serial two-dimensional build dominated; the column update here is one vectorizable
/// add per pixel and only one row of prefix sums is serial.
///
/// The unsafe pointer loops are the hot path of the ExposureAnalyzer (six passes per frame);
/// `Tests/ExposureTests` checks them against a direct window scan.
public struct BoxMorphology: Sendable {
    /// Per column: set pixels of the mask in the current row's clipped vertical window.
    private var columnCounts: [UInt32] = []
    /// Prefix sums of `columnCounts` along the current row (width + 1).
    private var rowPrefix: [UInt32] = []
    /// The separable dilation's and erosion's pass along the rows (width × height), and one
    /// more row for the mask row being combined, as 0/1.
    private var rows: [UInt8] = []

    public init() {}

    /// out = 1 where at least `fraction` of the window of `radius` around the pixel is set in
    /// `mask` (fraction → 0⁺: dilation; 1: erosion), and only where `gate` is set if one is given.
    public mutating func threshold(_ mask: Mask, radius: Int, fraction: Double, gate: Mask? = nil, into out: inout Mask) {
        scanWindows(mask, radius: radius, into: &out) { total in
            // fraction 1 means "every pixel"; compare in integers to avoid rounding.
            (fraction >= 1 ? total : max(1, Int((Double(total) * fraction).rounded(.up))), total)
        }
        if let gate {
            out.values.withUnsafeMutableBufferPointer { o in
                gate.values.withUnsafeBufferPointer { g in
                    for i in 0..<o.count { o[i] &= min(g[i], 1) }
                }
            }
        }
    }

    /// out = 1 where the window of `radius` around the pixel holds set and unset pixels of `mask`:
    /// dilate ∖ erode, the band of 2·radius + 1 pixels along every edge of the mask, in one pass.
    public mutating func edgeBand(_ mask: Mask, radius: Int, into out: inout Mask) {
        scanWindows(mask, radius: radius, into: &out) { total in (1, total - 1) }
    }

    public mutating func dilate(_ mask: Mask, radius: Int, into out: inout Mask) {
        if radius <= 0 { BoxMorphology.copy(mask, into: &out); return }
        if radius <= BoxMorphology.separableRadius { separable(mask, radius: radius, every: false, into: &out); return }
        scanWindows(mask, radius: radius, into: &out) { total in (1, total) }
    }

    public mutating func erode(_ mask: Mask, radius: Int, into out: inout Mask) {
        if radius <= 0 { BoxMorphology.copy(mask, into: &out); return }
        if radius <= BoxMorphology.separableRadius { separable(mask, radius: radius, every: true, into: &out); return }
        scanWindows(mask, radius: radius, into: &out) { total in (total, total) }
    }

    /// Up to this radius dilate and erode combine shifted rows instead of counting: 2·radius + 1
    /// byte-wide ORs (ANDs) per pixel and direction, which vectorize 16 pixels at a time, against
    /// a serial prefix sum per row. The hole detector's close and open radii (1 and 2) are below it.
    static let separableRadius = 3

    /// Dilation (`every` false: any pixel of the window set) or erosion (every pixel set) with a
    /// small radius: along each row into `rows`, then along each column into `out`. A window
    /// clipped at the border only combines the pixels inside the image, as the counting path does.
    private mutating func separable(_ mask: Mask, radius: Int, every: Bool, into out: inout Mask) {
        let w = mask.width, h = mask.height
        out.reshape(width: w, height: h, fill: 0)
        guard w > 0 && h > 0 else { return }
        if rows.count != w * (h + 1) { rows = [UInt8](repeating: 0, count: w * (h + 1)) }
        mask.values.withUnsafeBufferPointer { m in
            rows.withUnsafeMutableBufferPointer { t in
                out.values.withUnsafeMutableBufferPointer { o in
                    guard let m = m.baseAddress, let t = t.baseAddress, let o = o.baseAddress else { return }
                    // dst[x] = dst[x] op src[x] for x in 0..<count, on 0/1 bytes, 16 at a time
                    // (written out: the compiler left the plain loop scalar, as it cannot rule
                    // out that the shifted rows overlap).
                    @inline(__always) func combine(_ dst: UnsafeMutablePointer<UInt8>, _ src: UnsafePointer<UInt8>, _ count: Int) {
                        var x = 0
                        while x + 16 <= count {
                            let a = UnsafeRawPointer(dst + x).loadUnaligned(as: SIMD16<UInt8>.self)
                            let b = UnsafeRawPointer(src + x).loadUnaligned(as: SIMD16<UInt8>.self)
                            UnsafeMutableRawPointer(dst + x).storeBytes(of: every ? a & b : a | b, as: SIMD16<UInt8>.self)
                            x += 16
                        }
                        while x < count {
                            dst[x] = every ? dst[x] & src[x] : dst[x] | src[x]
                            x += 1
                        }
                    }
                    // The last row of `rows` holds the current mask row as 0/1.
                    let normalized = t + h * w
                    for y in 0..<h {
                        let source = m + y * w, row = t + y * w
                        for x in 0..<w { normalized[x] = source[x] != 0 ? 1 : 0 }
                        row.update(from: normalized, count: w)
                        for k in 1...radius where k < w {
                            combine(row, normalized + k, w - k)
                            combine(row + k, normalized, w - k)
                        }
                    }
                    for y in 0..<h {
                        let row = o + y * w
                        row.update(from: t + y * w, count: w)
                        for k in 1...radius {
                            if y + k < h { combine(row, t + (y + k) * w, w) }
                            if y - k >= 0 { combine(row, t + (y - k) * w, w) }
                        }
                    }
                }
            }
        }
    }

    /// out = 1 where the (2·radius + 1)² window around each pixel, clipped at the borders, holds
    /// between `bounds(total).low` and `.high` set pixels of `mask` (any non-zero value counts as
    /// set; `total`: the window's pixel count). The loop threshold, edgeBand and the larger
    /// dilations and erosions share.
    ///
    /// Along a row, every window between the left and right borders has the same clipped height
    /// and so the same total: `bounds` is asked once per row for those and per pixel only within
    /// `radius` of the left and right edges. UInt32 wrapping arithmetic is exact: every count is
    /// a count of pixels, never negative, and fits.
    @inline(__always)
    private mutating func scanWindows(_ mask: Mask, radius: Int, into out: inout Mask,
                                      _ bounds: (_ total: Int) -> (low: Int, high: Int)) {
        let w = mask.width, h = mask.height
        out.reshape(width: w, height: h, fill: 0)
        guard w > 0 && h > 0 else { return }
        let radius = max(radius, 0)
        if columnCounts.count != w { columnCounts = [UInt32](repeating: 0, count: w) }
        if rowPrefix.count != w + 1 { rowPrefix = [UInt32](repeating: 0, count: w + 1) }
        // Interior columns: x − radius ≥ 0 and x + radius + 1 ≤ w.
        let innerStart = min(radius, w), innerEnd = max(innerStart, w - radius)
        mask.values.withUnsafeBufferPointer { m in
            out.values.withUnsafeMutableBufferPointer { o in
                columnCounts.withUnsafeMutableBufferPointer { c in
                    rowPrefix.withUnsafeMutableBufferPointer { p in
                        guard let m = m.baseAddress, let o = o.baseAddress,
                              let c = c.baseAddress, let p = p.baseAddress else { return }
                        // Vectorizable: one compare and add per pixel, no dependency along the row.
                        @inline(__always) func addRow(_ y: Int) {
                            let source = m + y * w
                            for x in 0..<w { c[x] &+= source[x] != 0 ? 1 : 0 }
                        }
                        @inline(__always) func subtractRow(_ y: Int) {
                            let source = m + y * w
                            for x in 0..<w { c[x] &-= source[x] != 0 ? 1 : 0 }
                        }
                        for x in 0..<w { c[x] = 0 }
                        // The window of row 0 is rows 0…radius.
                        for y in 0..<min(radius + 1, h) { addRow(y) }
                        p[0] = 0
                        for y in 0..<h {
                            if y > 0 {
                                if y + radius < h { addRow(y + radius) }
                                if y - radius - 1 >= 0 { subtractRow(y - radius - 1) }
                            }
                            // The running sum stays in a register: read back from p, every add
                            // waited on the store before it (the compiler cannot rule out that c
                            // and p overlap).
                            var sum: UInt32 = 0
                            for x in 0..<w {
                                sum &+= c[x]
                                p[x &+ 1] = sum
                            }
                            let rows = min(y + radius + 1, h) - max(y - radius, 0)
                            let row = o + y * w
                            // Within `radius` of the left or right edge: clipped windows, bounds per pixel.
                            @inline(__always) func scanClipped(_ columns: Range<Int>) {
                                for x in columns {
                                    let x0 = max(x - radius, 0), x1 = min(x + radius + 1, w)
                                    let (low, high) = bounds((x1 - x0) * rows)
                                    let s = Int(p[x1] &- p[x0])
                                    row[x] = s >= low && s <= high ? 1 : 0
                                }
                            }
                            scanClipped(0..<innerStart)
                            let (low, high) = bounds((2 * radius + 1) * rows)
                            // Clamped, so a bound below 0 (edgeBand of a 1-pixel window) cannot trap.
                            let lo = UInt32(clamping: low), hi = UInt32(clamping: high)
                            let leading = p - radius, trailing = p + (radius + 1)
                            for x in innerStart..<innerEnd {
                                let s = trailing[x] &- leading[x]
                                row[x] = s >= lo && s <= hi ? 1 : 0
                            }
                            scanClipped(innerEnd..<w)
                        }
                    }
                }
            }
        }
    }

    /// Copies values without sharing storage (so later writes to `out` do not allocate).
    static func copy(_ mask: Mask, into out: inout Mask) {
        out.reshape(width: mask.width, height: mask.height, fill: 0)
        for i in 0..<mask.values.count { out.values[i] = mask.values[i] }
    }
}
