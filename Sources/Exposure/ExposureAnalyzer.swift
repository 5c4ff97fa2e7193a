import Configuration
import Imaging

/// The live hole detector of exposure.md. No truth is available live, so a pixel is a hole when it
/// is saturated (all channels near 255, or luma near 255) or crushed (luma near 0), *and* its
/// neighbourhood is mostly saturated / crushed too (texture-aware: lane paint, a white truck or a
/// dark tyre under correct exposure have texture around them and stay out). The mask is then
/// closed and opened (no pinholes, no specks), dilated to cover the bloom halo, grown into the
/// bright veil around clipped holes where `veil_radius` allows (`VeilGrowth`), restricted to the
/// camera profile's lane ROI, and held for a few frames after a pixel was last detected so it does
/// not flicker.
///
/// Allocation-free per frame after the first: every plane is scratch storage owned by the analyzer.
public struct ExposureAnalyzer: Sendable {
    /// Thresholds and radii (the config file's `exposure:` section; radii in pixels at a
    /// 640-pixel-wide frame, scaled with the width).
    public let configuration: ExposureConfig
    public let size: ImageSize
    /// The lane region of interest (1 inside).
    public let roi: Mask
    public let roiPixelCount: Int

    private var saturated: Mask, crushed: Mask
    /// Pixels at or above the veil level (`veil_level`), where clipped holes may grow.
    private var veil: Mask
    /// Pixels with a visible ridge (`veil_contrast`), and their neighbourhood.
    private var ridges: Mask, nearRidges: Mask
    private var work: Mask, work2: Mask
    /// Frames since each pixel was last detected (255 = long ago).
    private var age: [UInt8]
    private var morphology = BoxMorphology()
    private var veilGrowth = VeilGrowth()

    /// `roi`: polygon of [x, y] points in pixels of `size` (the camera profile's `roi`).
    public init(configuration: ExposureConfig = .init(), roi polygon: [[Double]], size: ImageSize) {
        self.init(configuration: configuration, roi: PolygonMask.rasterize(polygon, size: size), size: size)
    }

    /// `roi`: a mask of `size` (1 inside); a mask of another size is treated as the whole frame.
    public init(configuration: ExposureConfig = .init(), roi: Mask, size: ImageSize) {
        self.configuration = configuration
        self.size = size
        let whole = Mask(width: size.width, height: size.height, fill: 1)
        let region = roi.width == size.width && roi.height == size.height ? roi : whole
        self.roi = region
        roiPixelCount = max(region.setCount, 1)
        saturated = Mask(width: size.width, height: size.height, fill: 0)
        crushed = saturated
        veil = saturated
        ridges = saturated
        nearRidges = saturated
        work = saturated
        work2 = saturated
        age = [UInt8](repeating: 255, count: size.pixelCount)
    }

    /// Forgets the temporal state (a new stream or a cut).
    public mutating func reset() {
        for i in 0..<age.count { age[i] = 255 }
    }

    /// Finds the holes of `image` (which must have the analyzer's size) into `holes` (1 = hole).
    public mutating func analyze(_ image: RGBImage, into holes: inout Mask) -> HoleStats {
        precondition(image.width == size.width && image.height == size.height,
                     "ExposureAnalyzer made for \(size) got a \(image.width)x\(image.height) frame")
        let c = configuration, w = size.width
        // Levels as 8-bit values, clamped (ranges are checked on load; a config built in code
        // cannot trap here).
        func level(_ v: Int) -> UInt8 { UInt8(min(max(v, 0), 255)) }
        let clipLevel = level(c.clipLevel), clipLumaLevel = level(c.clipLumaLevel), crushLevel = level(c.crushLevel)
        let flatFraction = min(max(c.flatFraction, 0.01), 1)
        let n = size.pixelCount
        // 1. Candidates: saturated and crushed pixels. The sums are the closure's locals, returned
        // at the end: captured, each add went through memory and waited on the one before it.
        // `veil` holds each pixel's luma until step 3b thresholds it in place.
        let (lumaSum, clippedCount, crushedCount) = image.pixels.withUnsafeBufferPointer { px in
            saturated.values.withUnsafeMutableBufferPointer { s in
                crushed.values.withUnsafeMutableBufferPointer { d in
                    veil.values.withUnsafeMutableBufferPointer { v in
                        var lumaSum = 0, clippedCount = 0, crushedCount = 0
                        for i in 0..<n {
                            let r = px[3 * i], g = px[3 * i + 1], b = px[3 * i + 2]
                            let y = ColorConversion.luma(r, g, b)
                            lumaSum &+= Int(y)
                            let sat: UInt8 = min(r, min(g, b)) >= clipLevel || y >= clipLumaLevel ? 1 : 0
                            let dark: UInt8 = y <= crushLevel ? 1 : 0
                            s[i] = sat
                            d[i] = dark
                            v[i] = y
                            clippedCount &+= Int(sat)
                            crushedCount &+= Int(dark)
                        }
                        return (lumaSum, clippedCount, crushedCount)
                    }
                }
            }
        }
        // 2. Texture test: keep candidates whose neighbourhood is mostly candidates of the same kind.
        let flat = c.scaled(c.flatRadius, width: w)
        morphology.threshold(saturated, radius: flat, fraction: flatFraction, gate: saturated, into: &work)
        // Crushed regions use a third of the radius: nothing legitimately black and flat is as
        // wide as lane paint is bright, and shadow bands under bridges are thin far ahead.
        morphology.threshold(crushed, radius: max(flat / 3, 1), fraction: flatFraction, gate: crushed, into: &work2)
        work.values.withUnsafeMutableBufferPointer { merged in
            work2.values.withUnsafeBufferPointer { dark in
                for i in 0..<n { merged[i] |= dark[i] }
            }
        }
        // 3. Close (fill gaps), open (drop specks), dilate (bloom halo).
        morphology.dilate(work, radius: c.scaled(c.closeRadius, width: w), into: &work2)
        morphology.erode(work2, radius: c.scaled(c.closeRadius, width: w), into: &work)
        morphology.erode(work, radius: c.scaled(c.openRadius, width: w), into: &work2)
        // The texture test eats into a hole's border by about f·(2r + 1) − r − 1 pixels; grow it back
        // before adding the bloom halo.
        let eaten = max(0, Int((flatFraction * Double(2 * flat + 1) - Double(flat) - 1).rounded(.up)))
        morphology.dilate(work2, radius: c.scaled(c.openRadius, width: w) + eaten + c.scaled(c.dilateRadius, width: w), into: &work)
        // 3b. Clipped holes take in the bright veil their bloom lays over the road beside them:
        // pixels of at least veil_level luma with no visible ridge near them.
        if c.veilRadius > 0 && clippedCount > 0 {
            // Visible structure: a ridge or edge of at least veil_contrast against the mean of the
            // pixels `offset` to either side (the lane detector's slope-free ridge, so the veil's
            // own ramp does not count), kept out of the veil with a margin.
            let offset = c.scaled(4, width: w), contrast = c.veilContrast
            veil.values.withUnsafeBufferPointer { luma in
                ridges.values.withUnsafeMutableBufferPointer { r in
                    let twice = Int16(min(2 * contrast, Int(Int16.max)))
                    func ridge(_ row: Int, _ x: Int, _ left: Int, _ right: Int) -> UInt8 {
                        abs(2 * Int16(luma[row + x]) - Int16(luma[row + left]) - Int16(luma[row + right])) >= twice ? 1 : 0
                    }
                    for y in 0..<size.height {
                        let row = y * w
                        // Clamped at the borders; the interior without clamps, so it vectorizes.
                        let inner = min(offset, w)
                        for x in 0..<inner { r[row + x] = ridge(row, x, max(x - offset, 0), min(x + offset, w - 1)) }
                        if w - offset > offset {
                            for x in offset..<(w - offset) { r[row + x] = ridge(row, x, x - offset, x + offset) }
                        }
                        for x in max(w - offset, inner)..<w { r[row + x] = ridge(row, x, max(x - offset, 0), min(x + offset, w - 1)) }
                    }
                }
            }
            morphology.dilate(ridges, radius: c.scaled(8, width: w), into: &nearRidges)
            let veilLevel = level(c.veilLevel)
            veil.values.withUnsafeMutableBufferPointer { v in
                nearRidges.values.withUnsafeBufferPointer { near in
                    for i in 0..<n { v[i] = v[i] >= veilLevel && near[i] == 0 ? 1 : 0 }
                }
            }
            veilGrowth.grow(&work, seeds: saturated, veil: veil, radius: c.scaled(c.veilRadius, width: w))
        }
        // 4. Inside the ROI, with temporal hold.
        holes.reshape(width: size.width, height: size.height, fill: 0)
        let hold = UInt8(min(max(c.holdFrames, 0), 254))
        let holeCount = work.values.withUnsafeBufferPointer { m in
            roi.values.withUnsafeBufferPointer { region in
                age.withUnsafeMutableBufferPointer { a in
                    holes.values.withUnsafeMutableBufferPointer { out in
                        // Branch-free (detected or not is unpredictable along a hole's edge), and
                        // the count a local of the closure, not a captured variable.
                        var count = 0
                        for i in 0..<n {
                            let detected = m[i] != 0 && region[i] != 0
                            let aged = a[i] &+ (a[i] < 255 ? 1 : 0)
                            let next = detected ? 0 : aged
                            a[i] = next
                            let on: UInt8 = next <= hold ? 1 : 0
                            out[i] = on
                            count &+= Int(on)
                        }
                        return count
                    }
                }
            }
        }
        var holeFraction = Double(holeCount) / Double(roiPixelCount)
        if holeCount > 0 && holeFraction < c.minHoleFraction {
            for i in 0..<n { holes.values[i] = 0 }
            holeFraction = 0
        }
        return HoleStats(meanLuma: Double(lumaSum) / Double(max(n, 1)),
                         clippedFraction: Double(clippedCount) / Double(max(n, 1)),
                         crushedFraction: Double(crushedCount) / Double(max(n, 1)),
                         roiCoverage: holeFraction)
    }
}

/// Rasterizes polygons into masks (even-odd rule, pixel centres).
public enum PolygonMask {
    public static func rasterize(_ points: [[Double]], size: ImageSize) -> Mask {
        var mask = Mask(width: size.width, height: size.height, fill: 0)
        let poly = points.filter { $0.count == 2 }.map { ($0[0], $0[1]) }
        guard poly.count >= 3 else { return Mask(width: size.width, height: size.height, fill: 1) }
        var crossings: [Double] = []
        for y in 0..<size.height {
            let cy = Double(y) + 0.5
            crossings.removeAll(keepingCapacity: true)
            for i in 0..<poly.count {
                let (x0, y0) = poly[i], (x1, y1) = poly[(i + 1) % poly.count]
                if (y0 <= cy && y1 > cy) || (y1 <= cy && y0 > cy) {
                    crossings.append(x0 + (cy - y0) / (y1 - y0) * (x1 - x0))
                }
            }
            crossings.sort()
            var k = 0
            while k + 1 < crossings.count {
                let start = max(Int((crossings[k] - 0.5).rounded(.up)), 0)
                let end = min(Int((crossings[k + 1] - 0.5).rounded(.down)), size.width - 1)
                if start <= end { for x in start...end { mask[x, y] = 1 } }
                k += 2
            }
        }
        return mask
    }
}

extension ExposureConfig {
    /// A radius given at 640 pixels wide, for a frame `width` wide (at least 1 when non-zero).
    func scaled(_ radius: Int, width: Int) -> Int {
        radius <= 0 ? 0 : max(1, Int((Double(radius) * Double(width) / 640).rounded()))
    }
}
