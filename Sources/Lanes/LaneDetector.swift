import Imaging

/// Tuning of the histogram lane detector. Defaults suit 640×360 dashcam frames; every threshold
/// is relative (lane widths, shares of the frame's own histogram), so none depends on exposure.
public struct LaneDetectorParameters: Sendable, Equatable {
    /// Bird's-eye image size (pixels); 320 px across ≈ 80 px per lane width.
    public var birdseyeWidth = 320
    public var birdseyeHeight = 320
    /// A marking must be brighter than the road on both sides of it by at least this many luma
    /// levels…
    public var minContrast = 10.0
    /// …and by this many robust standard deviations of the frame's noise, measured on the
    /// slope-free ridge (a pixel against the mean of its two sides: a smooth brightness slope such
    /// as the low sun's sheen cancels there instead of reading as noise)…
    public var noiseFactor = 3.0
    /// …and by this share of (top of the luma histogram − road mode): bright paint in a bright
    /// frame needs more contrast than faint paint in a dim one.
    public var paintShare = 0.25
    /// …except where the road beside the marking is darker: there `localShare` of that road's
    /// luma is enough (paint in a tree's shadow next to a sunlit, glaring stretch of road).
    public var localShare = 0.3
    /// The side the requirement is measured against: with 1, the brighter side (both sides);
    /// below 1, the mean of the two sides, and the brighter side only by `edgeShare` of the
    /// requirement. Paint on a slope then counts in full, while the bright side of a step edge
    /// (a kerb, a shadow's border: half its height above its sides' mean, level with its bright
    /// side) still does not. 0.5 finds more sheen-covered paint (clean synthetic dev drives 92.3
    /// vs 91.2 %) but also bright verge patches narrower than the window, which cost a rendered
    /// drive its outer line (docs/decisions/0011-lane-detector-noise-and-edge-share.md); hence off by default.
    public var edgeShare = 1.0
    /// Yellow paint: (R+G)/2 − B above its surroundings by at least this much.
    public var minChroma = 16.0
    /// Sliding windows per lane, and their half width in lane widths.
    public var windows = 10
    public var windowHalfWidth = 0.3
    /// Marking pixels a window needs to re-centre on them.
    public var minWindowPixels = 8
    /// Marking pixels and vertical extent (share of the bird's-eye height) a lane needs.
    public var minLanePixels = 50
    public var minSpan = 0.25
    /// Evidence shorter than this share of the height is fitted with a line, not a parabola.
    public var quadraticSpan = 0.55
    /// Largest |quadratic coefficient| (lane widths of bend over the bird's-eye height).
    public var maxCurvature = 2.5
    /// Weight of the new fit when smoothing a tracked lane (1 = no smoothing).
    public var smoothing = 0.6
    // The track's time limits are seconds, converted with the stream's frame rate
    // (`LaneDetector.init(geometry:parameters:fps:)`), so 15, 25 and 30 fps cameras hold and drop
    // lines after the same time (docs/decisions/0040-lane-tracks-in-seconds.md). At 30 fps the
    // defaults are 8, 30 and 90 frames (hold was 4 frames, 0.133 s, until
    // docs/decisions/0045-hold-lost-lines-0.267-s.md).
    /// Seconds a lost lane is still reported (from its track) before it is dropped.
    public var holdSeconds = 0.267
    /// Seconds a lost ego line is carried by the other, detected ego line at their last tracked
    /// spacing before it is dropped; 0 = only `holdSeconds`.
    public var carrySeconds = 1.0
    /// Seconds a lost line whose path lies mostly in the frame's exposure holes (`detect(…holes:)`)
    /// is held instead of dropped after `holdSeconds`: the camera could not see it, so its absence
    /// is no evidence (0 = `holdSeconds` only; docs/decisions/0033-lines-held-through-holes.md).
    public var holeHoldSeconds = 3.0
    /// Half width, in lane widths, of the search band around a tracked lane.
    public var searchMargin = 0.2

    public init() {}

    /// The time limits as frame counts at `fps` (nearest whole frame).
    public func frameLimits(fps: Double) -> FrameLimits {
        func frames(_ seconds: Double) -> Int { max(0, Int((seconds * fps).rounded())) }
        return FrameLimits(hold: frames(holdSeconds), carry: frames(carrySeconds), holeHold: frames(holeHoldSeconds))
    }

    /// `holdSeconds`, `carrySeconds` and `holeHoldSeconds` in frames of one stream.
    public struct FrameLimits: Sendable, Equatable {
        public var hold: Int
        public var carry: Int
        public var holeHold: Int
        public init(hold: Int, carry: Int, holeHold: Int) {
            self.hold = hold
            self.carry = carry
            self.holeHold = holeHold
        }
    }
}

/// Which lane line: the ego lane's borders and their outer neighbours.
public enum LaneSlot: Int, Sendable, CaseIterable, Codable {
    case leftNeighbour = -1, egoLeft = 0, egoRight = 1, rightNeighbour = 2
}

/// One detected lane line: x = a·t² + b·t + c in bird's-eye pixels, t = bird's-eye row / height.
public struct DetectedLane: Sendable, Equatable {
    public var slot: LaneSlot
    public var a: Double, b: Double, c: Double
    /// 0…1: share of the lane's length with marking evidence, decayed while held without evidence.
    public var confidence: Double
    /// Frames since the last detection (0 = detected in this frame).
    public var missedFrames: Int
    /// Lost, and moved this frame with the other ego line, which was seen, at the spacing the
    /// two last had (`LaneDetectorParameters.carrySeconds`); false for a line seen or only held.
    public var carried = false

    public init(slot: LaneSlot, a: Double, b: Double, c: Double, confidence: Double, missedFrames: Int) {
        self.slot = slot
        self.a = a
        self.b = b
        self.c = c
        self.confidence = confidence
        self.missedFrames = missedFrames
    }

    @inlinable
    public func x(atRow y: Double, height: Int) -> Double {
        let t = y / Double(height)
        return (a * t + b) * t + c
    }
}

/// The detector's result for one frame. Storage is reused from frame to frame.
public struct LaneDetection: Sendable {
    /// Lanes ordered left to right (at most four: the ego pair and one neighbour each side).
    public var lanes: [DetectedLane] = []
    /// The thresholds this frame chose from its own histograms (for reports and debugging).
    public var roadLuma = 0.0
    public var paintLuma = 0.0
    public var whiteContrast = 0.0
    public var yellowContrast = 0.0
    /// Share of valid bird's-eye pixels classified as marking.
    public var markingShare = 0.0

    public init() { lanes.reserveCapacity(4) }

    public func lane(_ slot: LaneSlot) -> DetectedLane? { lanes.first { $0.slot == slot } }
}

/// The color-histogram lane detector: bird's-eye warp → per-frame adaptive ridge thresholds on
/// luma and yellowness → column histogram seeds → sliding windows (or a band around the tracked
/// lane) → polynomial fit → sanity checks → temporal smoothing.
///
/// All buffers are allocated in `init`; `detect` allocates nothing (a class, so the buffers
/// are not copied on write).
public final class LaneDetector {
    public let view: BirdsEyeView
    public let parameters: LaneDetectorParameters
    /// The parameters' time limits in frames of this stream.
    public let limits: LaneDetectorParameters.FrameLimits

    private let w: Int, h: Int
    // Per-frame scratch, allocated once in init and freed in deinit. Raw pointers rather than
    // arrays: these are touched ~10 times per bird's-eye pixel per frame, and array properties
    // of a class pay a dynamic exclusivity check and a uniqueness check on every write. Every
    // index below stays within the sizes given here (w·h, w+1, 256, w, h/2 + extra).
    private let luma: UnsafeMutablePointer<Int16>, yellow: UnsafeMutablePointer<Int16>, valid: UnsafeMutablePointer<UInt8>
    /// 1 where the bird's-eye pixel samples a pixel restoration filled (`detect(…restored:)`), and
    /// whether this frame has such a mask: then a filmed pixel is judged against filmed sides only.
    private let restoredPixel: UnsafeMutablePointer<UInt8>
    private var judgesFilmedAgainstFilmed = false
    /// This frame's `holes` during `detect` (nil otherwise, so the caller's mask is not kept
    /// referenced and its next write does not copy it). Read only for lost lines' paths, through
    /// `view.sourceIndex`: no per-pixel bird's-eye copy.
    private var frameHoles: Mask?
    private let binaryBuffer: UnsafeMutablePointer<UInt8>
    /// forEachRidge's values per pixel, kept from threshold's first pass for its second.
    private let ridgeBrighter: UnsafeMutablePointer<Int16>, ridgeMean: UnsafeMutablePointer<Int16>, ridgeYellow: UnsafeMutablePointer<Int16>
    /// Per brighter-side luma (0…255): the white ridge threshold t.
    private let sideThreshold: UnsafeMutablePointer<Int>
    private let rowSum: UnsafeMutablePointer<Int32>, rowCount: UnsafeMutablePointer<Int32>, rowSumY: UnsafeMutablePointer<Int32>
    private let rowRestored: UnsafeMutablePointer<Int32>
    private let lumaHistogram: UnsafeMutablePointer<Int>, ridgeHistogram: UnsafeMutablePointer<Int>, yellowHistogram: UnsafeMutablePointer<Int>
    private let columnHistogram: UnsafeMutablePointer<Double>, smoothedColumns: UnsafeMutablePointer<Double>
    private let pointX: UnsafeMutablePointer<Int32>, pointY: UnsafeMutablePointer<Int32>
    private var pointCount = 0
    private let curveX: UnsafeMutablePointer<Double>, curveY: UnsafeMutablePointer<Double>
    private let curveCapacity: Int
    /// Marking pixels (1) of the last frame, bird's-eye layout (a copy, for overlays and tests).
    public var binary: [UInt8] { Array(UnsafeBufferPointer(start: binaryBuffer, count: w * h)) }
    private var tracks: [Track]
    private var fits: [Fit]
    private var secondPass: [Fit]
    /// Ranges of the point buffers holding each slot's pixels in the second pass.
    private var slotPoints: [Range<Int>] = [0..<0, 0..<0, 0..<0, 0..<0]
    /// Bird's-eye column of the camera's centre line at the bottom row (the image centre
    /// projected onto the road): the ego pair lies on either side of it.
    private let cameraColumn: Double

    /// What `threshold` chose on the last frame; nil when the frame had no valid pixel (the
    /// result's values were then left as they were). Kept for `detect(sameFrameAs:)`.
    private var thresholds: Thresholds?

    private struct Thresholds {
        var roadLuma, paintLuma, whiteContrast, yellowContrast, markingShare: Double

        func write(into result: inout LaneDetection) {
            result.roadLuma = roadLuma
            result.paintLuma = paintLuma
            result.whiteContrast = whiteContrast
            result.yellowContrast = yellowContrast
            result.markingShare = markingShare
        }
    }

    private struct Track {
        var alive = false
        /// Frames in a row this lost line was held because its path lay in holes; set to
        /// `limits.holeHold` once it is missed where the camera saw its path (then the usual rules).
        var heldInHoles = 0
        var lane = DetectedLane(slot: .egoLeft, a: 0, b: 0, c: 0, confidence: 0, missedFrames: 0)
    }

    private struct Fit {
        var ok = false
        var a = 0.0, b = 0.0, c = 0.0
        var pixels = 0
        var span = 0.0
        var coverage = 0.0
        var quadratic = false
        /// Rows (as t = row / height) spanned by the evidence.
        var tMin = 0.0, tMax = 1.0
        var score: Double { Double(pixels) * span }
    }

    /// - Parameter fps: the stream's frame rate, which turns the parameters' seconds into frames.
    public init?(geometry: RoadGeometry, parameters: LaneDetectorParameters = .init(), fps: Double = 30) {
        guard let view = BirdsEyeView(geometry: geometry, width: parameters.birdseyeWidth, height: parameters.birdseyeHeight) else {
            return nil
        }
        self.view = view
        self.parameters = parameters
        limits = parameters.frameLimits(fps: fps)
        w = view.width
        h = view.height
        let n = w * h
        func buffer<T>(_ count: Int, _ value: T) -> UnsafeMutablePointer<T> {
            let p = UnsafeMutablePointer<T>.allocate(capacity: count)
            p.initialize(repeating: value, count: count)
            return p
        }
        luma = buffer(n, 0)
        yellow = buffer(n, 0)
        valid = buffer(n, 0)
        restoredPixel = buffer(n, 0)
        binaryBuffer = buffer(n, 0)
        ridgeBrighter = buffer(n, 0)
        ridgeMean = buffer(n, 0)
        ridgeYellow = buffer(n, 0)
        sideThreshold = buffer(256, 0)
        rowSum = buffer(w + 1, 0)
        rowCount = buffer(w + 1, 0)
        rowSumY = buffer(w + 1, 0)
        rowRestored = buffer(w + 1, 0)
        lumaHistogram = buffer(256, 0)
        ridgeHistogram = buffer(256, 0)
        yellowHistogram = buffer(256, 0)
        columnHistogram = buffer(w, 0)
        smoothedColumns = buffer(w, 0)
        pointX = buffer(n, 0)
        pointY = buffer(n, 0)
        let extra = max(0, -Int(view.row(v: view.vOutputMax).rounded(.down)))
        curveCapacity = (h + extra) / 2 + 2
        curveX = buffer(curveCapacity, 0)
        curveY = buffer(curveCapacity, 0)
        tracks = [Track](repeating: Track(), count: 4)
        fits = [Fit](repeating: Fit(), count: 4)
        secondPass = fits
        let size = geometry.imageSize
        cameraColumn = view.column(u: view.imageToRoad.apply(Double(size.width) / 2, Double(size.height) - 0.5).x)
    }

    deinit {
        for p in [luma, yellow] { p.deallocate() }
        for p in [valid, binaryBuffer, restoredPixel] { p.deallocate() }
        for p in [ridgeBrighter, ridgeMean, ridgeYellow] { p.deallocate() }
        sideThreshold.deallocate()
        for p in [rowSum, rowCount, rowSumY, rowRestored, pointX, pointY] { p.deallocate() }
        for p in [lumaHistogram, ridgeHistogram, yellowHistogram] { p.deallocate() }
        for p in [columnHistogram, smoothedColumns, curveX, curveY] { p.deallocate() }
    }

    /// Forgets the tracked lanes (a new scene, a camera gap).
    public func reset() {
        for i in tracks.indices { tracks[i].alive = false }
    }

    // MARK: - Detection

    /// Detects lanes in `image` (of the geometry's image size) into `result`.
    /// - Parameters:
    ///   - ignoring: pixels that are no evidence either way (≠ 0), e.g. the seams around pasted
    ///     regions of a restored frame, where a brightness step is an artefact of the paste and
    ///     not a marking. Same size as `image`.
    ///   - holes: the frame's exposure holes (≠ 0), for a frame as filmed: still evidence (crushed
    ///     pixels can show paint), but a lost line whose path lies mostly in them is held for up
    ///     to `holeHoldSeconds` rather than dropped. Same size as `image`.
    ///   - restored: for a restored frame, the pixels restoration filled (≠ 0). A filmed pixel
    ///     with any of them in its side windows is no evidence: its sides would compare the
    ///     camera's exposure with the reference's, and beside a clipped hole that step is the
    ///     bloom the hole leaves, a bright band along the paste's edge that reads as a line
    ///     (docs/decisions/0044-filmed-pixels-judged-against-filmed-sides.md). Restored pixels are
    ///     judged against both sides as before. Same size as `image`.
    public func detect(_ image: RGBImage, ignoring: Mask? = nil, holes: Mask? = nil, restored: Mask? = nil,
                       into result: inout LaneDetection) {
        precondition(image.width == view.geometry.imageSize.width && image.height == view.geometry.imageSize.height,
                     "frame size differs from the camera geometry's size")
        warp(image, ignoring: ignoring.flatMap { $0.size == image.size ? $0 : nil },
             restored: restored.flatMap { $0.size == image.size ? $0 : nil })
        frameHoles = holes.flatMap { $0.size == image.size ? $0 : nil }
        defer { frameHoles = nil }
        threshold(into: &result)
        fitAndTrack(into: &result)
    }

    /// Detects lanes in the frame `other` detected last, without warping and thresholding it
    /// again: its marking pixels, valid pixels and thresholds are copied, and this detector fits
    /// and tracks them with its own lanes. The result is what `detect(image, into:)` gives on
    /// that frame (no `ignoring`, no `holes`), for about half the time: the pipeline's second
    /// detector on a frame restoration left as filmed. `other` must have this detector's geometry
    /// and parameters.
    public func detect(sameFrameAs other: LaneDetector, into result: inout LaneDetection) {
        precondition(other !== self, "a detector cannot take its own frame")
        precondition(other.parameters == parameters && other.view.geometry == view.geometry
                     && other.w == w && other.h == h, "the other detector has another geometry or other parameters")
        let n = w * h
        // What fitting, tracking and the bird's-eye inset read; yellowness is read only by
        // `threshold`, which this frame skips.
        binaryBuffer.update(from: other.binaryBuffer, count: n)
        valid.update(from: other.valid, count: n)
        luma.update(from: other.luma, count: n)
        thresholds = other.thresholds
        if let t = thresholds { t.write(into: &result) }
        fitAndTrack(into: &result)
    }

    /// The steps after the marking pixels are known.
    private func fitAndTrack(into result: inout LaneDetection) {
        columnPeaks()
        for slot in LaneSlot.allCases { fits[index(slot)] = fitLane(slot) }
        shareShapes()
        checkPairs()
        refitAlongDominantShape()
        updateTracks(into: &result)
    }

    @inline(__always) private func index(_ slot: LaneSlot) -> Int { slot.rawValue + 1 }

    /// Samples the frame into the bird's-eye buffers: luma and yellowness ((R+G)/2 − B), and,
    /// given a restored mask, which valid pixels were restored (read only for valid pixels).
    private func warp(_ image: RGBImage, ignoring: Mask?, restored: Mask?) {
        let none: [UInt8] = []
        judgesFilmedAgainstFilmed = restored != nil
        image.pixels.withUnsafeBufferPointer { px in
            (ignoring?.values ?? none).withUnsafeBufferPointer { skip in
                (restored?.values ?? none).withUnsafeBufferPointer { filled in
                    view.sourceIndex.withUnsafeBufferPointer { lut in
                        for i in 0..<(w * h) {
                            let s = Int(lut[i])
                            if s < 0 || (!skip.isEmpty && skip[s] != 0) {
                                valid[i] = 0
                                luma[i] = 0
                                yellow[i] = 0
                                continue
                            }
                            let r = px[3 * s], g = px[3 * s + 1], b = px[3 * s + 2]
                            valid[i] = 1
                            luma[i] = Int16(ColorConversion.luma(r, g, b))
                            yellow[i] = Int16((Int(r) + Int(g)) / 2 - Int(b))
                            if !filled.isEmpty { restoredPixel[i] = filled[s] != 0 ? 1 : 0 }
                        }
                    }
                }
            }
        }
    }

    /// Marks pixels that stand out of the road beside them (a bar narrower than the window,
    /// brighter or yellower than both sides), with thresholds taken from this frame's histograms.
    private func threshold(into result: inout LaneDetection) {
        thresholds = nil
        for i in 0..<256 { lumaHistogram[i] = 0; ridgeHistogram[i] = 0; yellowHistogram[i] = 0 }
        var validCount = 0
        for i in 0..<(w * h) where valid[i] != 0 {
            lumaHistogram[Int(luma[i])] += 1
            validCount += 1
        }
        guard validCount > 0 else {
            for i in 0..<(w * h) { binaryBuffer[i] = 0 }
            return
        }
        // Road mode of the (lightly smoothed) luma histogram; paint is the top 0.5 %.
        var mode = 0, best = -1
        for v in 0..<256 {
            var s = 0
            for k in max(0, v - 2)...min(255, v + 2) { s += lumaHistogram[k] }
            if s > best { best = s; mode = v }
        }
        var top = 255, above = 0
        while top > 0 {
            above += lumaHistogram[top]
            if Double(above) >= 0.005 * Double(validCount) { break }
            top -= 1
        }
        let lw = view.laneWidth
        let outer = max(3, Int(0.22 * lw)), gap = max(2, Int(0.07 * lw))
        // Pass 1: ridge strengths (luma, yellow) → their noise histograms.
        // The luma noise is measured on the slope-free ridge: on the brighter-side ridge a sheen
        // across the road reads as spread (it is −slope × offset everywhere) and would raise the
        // threshold above the paint it hides.
        // The ridges are kept for pass 2 (|values| ≤ 510: they fit Int16).
        // The buffers as locals: read through `self` inside the closure, each pointer was loaded
        // again for every pixel.
        let ridgeCounts = ridgeHistogram, yellowCounts = yellowHistogram
        let brighterOut = ridgeBrighter, meanOut = ridgeMean, yellowOut = ridgeYellow
        forEachRidge(outer: outer, gap: gap) { i, brighter, ridge, ridgeY in
            ridgeCounts[min(255, abs(ridge))] &+= 1
            yellowCounts[min(255, abs(ridgeY))] &+= 1
            brighterOut[i] = Int16(truncatingIfNeeded: brighter)
            meanOut[i] = Int16(truncatingIfNeeded: ridge)
            yellowOut[i] = Int16(truncatingIfNeeded: ridgeY)
        }
        let sigma = 1.4826 * Double(median(ridgeHistogram, total: validCount))
        let sigmaY = 1.4826 * Double(median(yellowHistogram, total: validCount))
        let p = parameters
        let whiteT = max(p.minContrast, p.noiseFactor * sigma, p.paintShare * Double(top - mode))
        let yellowT = max(p.minChroma, p.noiseFactor * sigmaY)
        let wt = Int(whiteT.rounded(.up)), yt = Int(yellowT.rounded(.up))
        var marked = 0
        for i in 0..<(w * h) { binaryBuffer[i] = 0 }
        let floorT = Int(max(p.minContrast, p.noiseFactor * sigma).rounded(.up))
        // The frame-wide requirement, lowered toward the local one beside dim road; it depends
        // only on the brighter side's mean luma (0…255: a pixel with no side counts its own luma),
        // so it is tabulated once per frame instead of rounded per pixel.
        for side in 0..<256 {
            sideThreshold[side] = max(floorT, min(wt, Int((p.localShare * Double(side)).rounded(.up))))
        }
        let edgeShare = p.edgeShare
        // Pass 2 over the ridges pass 1 kept (valid pixels only, as forEachRidge visits them).
        for i in 0..<(w * h) where valid[i] != 0 {
            let aboveBrighter = Int(ridgeBrighter[i]), aboveMean = Int(ridgeMean[i]), ridgeY = Int(ridgeYellow[i])
            // The side's mean of 8-bit lumas is in 0…255; the clamp only guards the table.
            let side = min(max(Int(luma[i]) - aboveBrighter, 0), 255)
            let t = sideThreshold[side]
            let white = aboveMean > t && Double(aboveBrighter) > edgeShare * Double(t)
            if white || (ridgeY > yt && Int(yellow[i]) > yt) {
                binaryBuffer[i] = 1
                marked += 1
            }
        }
        let chosen = Thresholds(roadLuma: Double(mode), paintLuma: Double(top), whiteContrast: whiteT,
                                yellowContrast: yellowT, markingShare: Double(marked) / Double(validCount))
        thresholds = chosen
        chosen.write(into: &result)
    }

    private func median(_ histogram: UnsafeMutablePointer<Int>, total: Int) -> Int {
        var seen = 0
        for v in 0..<256 {
            seen += histogram[v]
            if 2 * seen >= total { return v }
        }
        return 255
    }

    /// Calls `body(index, aboveBrighter, aboveMean, yellowRidge)` for every valid bird's-eye pixel:
    /// its luma minus the brighter and minus the mean of its two sides' means, [x−outer, x−gap] and
    /// [x+gap, x+outer], and its yellowness minus the yellower side (only valid pixels count; a
    /// side with too few is ignored, and with one side left both luma ridges are against it).
    /// With a restored mask, a filmed pixel whose side windows hold a restored pixel gets
    /// (0, 0, 0): no ridge, as a pixel without sides.
    @inline(__always)
    private func forEachRidge(outer: Int, gap: Int, _ body: (Int, Int, Int, Int) -> Void) {
        let minSide = Int32(max(1, (outer - gap) / 2))
        for y in 0..<h {
            let row = y * w
            rowSum[0] = 0; rowCount[0] = 0; rowSumY[0] = 0
            // Running sums in registers: read back from the prefix arrays, each add waited on the
            // store before it. Wrapping adds are exact: a row's sums stay far inside Int32.
            var sum: Int32 = 0, sumY: Int32 = 0, count: Int32 = 0, restoredCount: Int32 = 0
            let bySource = judgesFilmedAgainstFilmed
            rowRestored[0] = 0
            for x in 0..<w {
                let v = valid[row + x]
                sum &+= v != 0 ? Int32(luma[row + x]) : 0
                sumY &+= v != 0 ? Int32(yellow[row + x]) : 0
                count &+= Int32(v)
                rowSum[x + 1] = sum
                rowSumY[x + 1] = sumY
                rowCount[x + 1] = count
                if bySource {
                    restoredCount &+= Int32(v & restoredPixel[row + x])
                    rowRestored[x + 1] = restoredCount
                }
            }
            for x in 0..<w where valid[row + x] != 0 {
                // Left side [x-outer, x-gap], right side [x+gap, x+outer], clamped.
                let l0 = max(0, x - outer), l1 = max(0, x - gap + 1)
                let r0 = min(w, x + gap), r1 = min(w, x + outer + 1)
                let ln = rowCount[l1] - rowCount[l0], rn = rowCount[r1] - rowCount[r0]
                if bySource && restoredPixel[row + x] == 0
                    && (rowRestored[l1] != rowRestored[l0] || rowRestored[r1] != rowRestored[r0]) {
                    body(row + x, 0, 0, 0)
                    continue
                }
                var side = Int32.min, sideY = Int32.min, mean = Int32(0)
                if ln >= minSide {
                    side = (rowSum[l1] - rowSum[l0]) / ln
                    sideY = (rowSumY[l1] - rowSumY[l0]) / ln
                    mean = side
                }
                if rn >= minSide {
                    let right = (rowSum[r1] - rowSum[r0]) / rn
                    mean = side == Int32.min ? right : (mean + right) / 2
                    side = max(side, right)
                    sideY = max(sideY, (rowSumY[r1] - rowSumY[r0]) / rn)
                }
                if side == Int32.min {
                    body(row + x, 0, 0, 0)
                } else {
                    let v = Int(luma[row + x])
                    body(row + x, v - Int(side), v - Int(mean), Int(yellow[row + x]) - Int(sideY))
                }
            }
        }
    }

    /// Column histogram of marking pixels over the lower 60 % of the bird's-eye image, smoothed
    /// (the near road, where the lines are best resolved).
    private func columnPeaks() {
        for x in 0..<w { columnHistogram[x] = 0 }
        for y in (h * 2 / 5)..<h {
            let row = y * w
            for x in 0..<w where binaryBuffer[row + x] != 0 { columnHistogram[x] += 1 }
        }
        let r = max(1, Int(0.06 * view.laneWidth))
        for x in 0..<w {
            var s = 0.0
            for k in max(0, x - r)...min(w - 1, x + r) { s += columnHistogram[k] }
            smoothedColumns[x] = s
        }
    }

    /// Finds and fits the lane of `slot`: around its track when it has one, else by sliding
    /// windows from the column-histogram peak near the slot's nominal position.
    private func fitLane(_ slot: LaneSlot) -> Fit {
        let lw = view.laneWidth
        let nominal = view.column(u: Double(slot.rawValue))
        let track = tracks[index(slot)]
        pointCount = 0
        var windowsHit = 0
        if track.alive {
            let margin = Int(parameters.searchMargin * lw)
            for y in 0..<h {
                // Clamp before converting: a track may bend far outside the image.
                let cx = Int(min(max(track.lane.x(atRow: Double(y) + 0.5, height: h), -Double(w)), 2 * Double(w)))
                let lo = max(0, cx - margin), hi = min(w - 1, cx + margin)
                guard lo <= hi else { continue }
                let row = y * w
                for x in lo...hi where binaryBuffer[row + x] != 0 { addPoint(x, y) }
            }
            windowsHit = coveredWindows(0..<pointCount)
        } else {
            let lo = max(0, Int(nominal - 0.45 * lw)), hi = min(w - 1, Int(nominal + 0.45 * lw))
            guard lo < hi else { return Fit() }
            var base = lo
            for x in lo...hi where smoothedColumns[x] > smoothedColumns[base] { base = x }
            guard smoothedColumns[base] >= Double(parameters.minWindowPixels) else { return Fit() }
            windowsHit = slidingWindows(from: Double(base))
        }
        guard pointCount >= parameters.minLanePixels else { var few = Fit(); few.pixels = pointCount; return few }
        var fit = evidence(0..<pointCount)
        fit.coverage = Double(windowsHit) / Double(parameters.windows)
        guard fit.span >= parameters.minSpan else { return fit }
        fit.quadratic = fit.span >= parameters.quadraticSpan
        guard let (a, b, c) = polyfit(quadratic: fit.quadratic) else { return fit }
        (fit.a, fit.b, fit.c) = (a, b, c)
        // The lane must stay near its slot at the bottom and bend plausibly.
        let bottomX = c + b + a
        guard abs(bottomX - nominal) <= 0.6 * lw, abs(a) <= parameters.maxCurvature * lw else { return fit }
        fit.ok = true
        return fit
    }

    @inline(__always) private func addPoint(_ x: Int, _ y: Int) {
        pointX[pointCount] = Int32(x)
        pointY[pointCount] = Int32(y)
        pointCount += 1
    }

    /// Sliding-window rows (of `parameters.windows`) holding enough of the points in `range`.
    private func coveredWindows(_ range: Range<Int>) -> Int {
        let n = parameters.windows
        var hit = 0
        for k in 0..<n {
            let y0 = Int32(h - (k + 1) * h / n), y1 = Int32(h - k * h / n)
            var count = 0
            for i in range where pointY[i] >= y0 && pointY[i] < y1 { count += 1 }
            if count >= parameters.minWindowPixels { hit += 1 }
        }
        return hit
    }

    /// A fit's evidence from the points in `range`: pixel count and the rows they span.
    private func evidence(_ range: Range<Int>) -> Fit {
        var fit = Fit()
        fit.pixels = range.count
        guard !range.isEmpty else { return fit }
        var minY = Int32.max, maxY = Int32.min
        for i in range {
            minY = min(minY, pointY[i])
            maxY = max(maxY, pointY[i])
        }
        fit.span = Double(maxY - minY + 1) / Double(h)
        fit.tMin = Double(minY) / Double(h)
        fit.tMax = Double(maxY + 1) / Double(h)
        return fit
    }

    /// Classic sliding windows from the bottom up; a window without enough pixels keeps moving
    /// with the drift of the last ones (dashed lines).
    private func slidingWindows(from base: Double) -> Int {
        let n = parameters.windows
        let half = parameters.windowHalfWidth * view.laneWidth
        var centre = base, drift = 0.0, hit = 0
        for k in 0..<n {
            let y0 = h - (k + 1) * h / n, y1 = h - k * h / n
            guard centre > -Double(w), centre < 2 * Double(w) else { break }
            let x0 = max(0, Int(centre - half)), x1 = min(w - 1, Int(centre + half))
            guard x0 <= x1 else { break }
            var count = 0, sum = 0
            for y in y0..<y1 {
                let row = y * w
                for x in x0...x1 where binaryBuffer[row + x] != 0 {
                    addPoint(x, y)
                    count += 1
                    sum += x
                }
            }
            if count >= parameters.minWindowPixels {
                let next = Double(sum) / Double(count)
                drift = hit > 0 ? 0.5 * drift + 0.5 * (next - centre) : 0
                centre = next
                hit += 1
            } else {
                centre += drift
            }
        }
        return hit
    }

    /// Least-squares x = a t² + b t + c (or a = 0) over the collected points, t = (y + 0.5) / h.
    private func polyfit(quadratic: Bool) -> (Double, Double, Double)? {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0, sx = 0.0, sxt = 0.0, sxt2 = 0.0
        let inv = 1 / Double(h)
        for i in 0..<pointCount {
            let t = (Double(pointY[i]) + 0.5) * inv, x = Double(pointX[i]) + 0.5
            let t2 = t * t
            s0 += 1; s1 += t; s2 += t2; s3 += t2 * t; s4 += t2 * t2
            sx += x; sxt += x * t; sxt2 += x * t2
        }
        if quadratic {
            // Cramer's rule on the 3×3 normal equations.
            let det = s4 * (s2 * s0 - s1 * s1) - s3 * (s3 * s0 - s1 * s2) + s2 * (s3 * s1 - s2 * s2)
            guard abs(det) > 1e-12 else { return nil }
            let a = (sxt2 * (s2 * s0 - s1 * s1) - s3 * (sxt * s0 - s1 * sx) + s2 * (sxt * s1 - s2 * sx)) / det
            let b = (s4 * (sxt * s0 - s1 * sx) - sxt2 * (s3 * s0 - s1 * s2) + s2 * (s3 * sx - sxt * s2)) / det
            let c = (s4 * (s2 * sx - sxt * s1) - s3 * (s3 * sx - sxt * s2) + sxt2 * (s3 * s1 - s2 * s2)) / det
            return (a, b, c)
        }
        let det = s2 * s0 - s1 * s1
        guard abs(det) > 1e-12 else { return nil }
        let b = (sxt * s0 - s1 * sx) / det
        let c = (s2 * sx - s1 * sxt) / det
        return (0, b, c)
    }

    /// The bend (a, b) that every lane line of this frame shares: the best long (quadratic) fit of
    /// this frame, else the most confident tracked lane; nil when neither exists.
    private func dominantShape() -> (a: Double, b: Double)? {
        var bestIndex = -1
        for i in 0..<4 where fits[i].ok && fits[i].quadratic {
            if bestIndex < 0 || fits[i].score > fits[bestIndex].score { bestIndex = i }
        }
        if bestIndex >= 0 { return (fits[bestIndex].a, fits[bestIndex].b) }
        var bestTrack = -1
        for i in 0..<4 where tracks[i].alive && tracks[i].lane.missedFrames == 0 {
            if bestTrack < 0 || tracks[i].lane.confidence > tracks[bestTrack].lane.confidence { bestTrack = i }
        }
        return bestTrack >= 0 ? (tracks[bestTrack].lane.a, tracks[bestTrack].lane.b) : nil
    }

    /// Second pass for curves, slanted views and a car off its lane centre. Lane lines are
    /// parallel, so given the road's bend every marking pixel can be shifted along it to the
    /// bottom row ("straightened"); dashes of a curved lane then pile up in one column of the
    /// histogram instead of smearing across a lane width, where sliding windows lose them. The
    /// straightened histogram's peaks are lane lines: the ego pair is the strongest peak within
    /// a lane width on each side of the camera's centre line, the neighbours one more lane width
    /// out (so a car halfway through a lane change still gets the right slots). The lines' pixels
    /// are then fitted jointly as parallel curves, x = a·t² + b·t + c_k (one bend for all, one
    /// offset per line), so dashes and partly visible lines all inform the bend; the bend is
    /// re-estimated twice. The result competes with the first pass as a whole hypothesis.
    private func refitAlongDominantShape() {
        guard var shape = dominantShape() else { return }
        let lw = view.laneWidth
        var peaks = (-1, -1, -1, -1)
        var usable = 0, collectedAlongShape = false
        for _ in 0..<2 {
            peaks = straightenedPeaks(shape)
            usable = collectBands(shape, peaks: peaks)
            collectedAlongShape = true
            guard usable > 0, let bend = jointBend(), abs(bend.a) <= parameters.maxCurvature * lw else { break }
            shape = bend
            collectedAlongShape = false
        }
        // Re-collect along the refined bend (through the peaks it was refined from).
        if !collectedAlongShape { usable = collectBands(shape, peaks: peaks) }
        guard usable > 0 else { return }
        var found = 0
        for k in 0..<4 {
            secondPass[k] = Fit()
            let range = slotPoints[k]
            guard range.count >= parameters.minLanePixels else { continue }
            var fit = evidence(range)
            guard fit.span >= parameters.minSpan else { continue }
            var offset = 0.0
            for i in range {
                let t = (Double(pointY[i]) + 0.5) / Double(h)
                offset += Double(pointX[i]) + 0.5 - (shape.a * t + shape.b) * t
            }
            (fit.a, fit.b, fit.c) = (shape.a, shape.b, offset / Double(range.count))
            fit.coverage = Double(coveredWindows(range)) / Double(parameters.windows)
            fit.quadratic = true  // carries the full bend: shareShapes leaves it alone
            fit.ok = true
            secondPass[k] = fit
            found += 1
        }
        guard found > 0 else { return }
        // Two whole hypotheses, each pair-checked: keep the one with more lane evidence (a wall
        // edge or lamp row taken for the bend gathers less paint than the true lines).
        var firstScore = 0.0
        for i in 0..<4 where fits[i].ok { firstScore += fits[i].score }
        swap(&fits, &secondPass)
        checkPairs()
        var secondScore = 0.0
        for i in 0..<4 where fits[i].ok { secondScore += fits[i].score }
        if secondScore <= firstScore { swap(&fits, &secondPass) }
    }

    /// Peaks of the histogram of marking pixels shifted along `shape` to the bottom row, as
    /// bottom columns per slot (leftNeighbour, egoLeft, egoRight, rightNeighbour; −1 = none).
    private func straightenedPeaks(_ shape: (a: Double, b: Double)) -> (Int, Int, Int, Int) {
        let lw = view.laneWidth
        for x in 0..<w { columnHistogram[x] = 0 }
        let inv = 1 / Double(h), bottomShift = shape.a + shape.b
        for y in 0..<h {
            let t = (Double(y) + 0.5) * inv
            let shift = Int(((shape.a * t + shape.b) * t - bottomShift).rounded())
            let row = y * w
            for x in 0..<w where binaryBuffer[row + x] != 0 {
                let xs = x - shift
                if xs >= 0 && xs < w { columnHistogram[xs] += 1 }
            }
        }
        let r = max(1, Int(0.03 * lw))
        for x in 0..<w {
            var sum = 0.0
            for k in max(0, x - r)...min(w - 1, x + r) { sum += columnHistogram[k] }
            smoothedColumns[x] = sum
        }
        let minPeak = Double(parameters.minLanePixels) / 2
        let centre = cameraColumn
        // The strongest column in [lo, hi] that clears minPeak, or -1.
        func strongest(_ lo: Double, _ hi: Double) -> Int {
            let a = max(0, Int(lo.rounded(.up))), b = min(w - 1, Int(hi.rounded(.down)))
            guard a <= b else { return -1 }
            var best = -1
            for x in a...b where smoothedColumns[x] >= minPeak && (best < 0 || smoothedColumns[x] > smoothedColumns[best]) { best = x }
            return best
        }
        var egoLeft = strongest(centre - 1.1 * lw, centre - 0.05 * lw)
        var egoRight = strongest(centre + 0.05 * lw, centre + 1.1 * lw)
        if egoLeft >= 0 && egoRight >= 0 && Double(egoRight - egoLeft) < 0.6 * lw {
            // Two peaks of one wide marking or a marking and clutter: keep the stronger.
            if smoothedColumns[egoLeft] >= smoothedColumns[egoRight] { egoRight = -1 } else { egoLeft = -1 }
        }
        if egoLeft < 0 && egoRight >= 0 { egoLeft = strongest(Double(egoRight) - 1.5 * lw, Double(egoRight) - 0.6 * lw) }
        if egoRight < 0 && egoLeft >= 0 { egoRight = strongest(Double(egoLeft) + 0.6 * lw, Double(egoLeft) + 1.5 * lw) }
        let leftNeighbour = egoLeft >= 0 ? strongest(Double(egoLeft) - 1.5 * lw, Double(egoLeft) - 0.6 * lw) : -1
        let rightNeighbour = egoRight >= 0 ? strongest(Double(egoRight) + 0.6 * lw, Double(egoRight) + 1.5 * lw) : -1
        return (leftNeighbour, egoLeft, egoRight, rightNeighbour)
    }

    /// Collects, per slot, the marking pixels in a narrow band along `shape` through the slot's
    /// straightened peak into the point buffers (`slotPoints` holds each slot's range); returns
    /// how many slots have enough pixels for a lane.
    private func collectBands(_ shape: (a: Double, b: Double), peaks: (Int, Int, Int, Int)) -> Int {
        let inv = 1 / Double(h), bottomShift = shape.a + shape.b, band = 0.12 * view.laneWidth
        pointCount = 0
        var usable = 0
        for k in 0..<4 {
            let peak = k == 0 ? peaks.0 : (k == 1 ? peaks.1 : (k == 2 ? peaks.2 : peaks.3))
            let first = pointCount
            if peak >= 0 {
                let bottomColumn = Double(peak) + 0.5
                for y in 0..<h {
                    let t = (Double(y) + 0.5) * inv
                    let centre = bottomColumn + (shape.a * t + shape.b) * t - bottomShift
                    let x0 = max(0, Int((centre - band).rounded(.up))), x1 = min(w - 1, Int((centre + band).rounded(.down)))
                    guard x0 <= x1 else { continue }
                    let row = y * w
                    for x in x0...x1 where binaryBuffer[row + x] != 0 { addPoint(x, y) }
                }
            }
            slotPoints[k] = first..<pointCount
            if pointCount - first >= parameters.minLanePixels { usable += 1 }
        }
        return usable
    }

    /// The bend (a, b) of parallel curves x = a·t² + b·t + c_k through the collected slots'
    /// points (least squares; the offsets c_k are eliminated by centring each slot's points).
    /// Nil when the points cannot determine a bend.
    private func jointBend() -> (a: Double, b: Double)? {
        var s22 = 0.0, s21 = 0.0, s11 = 0.0, sx2 = 0.0, sx1 = 0.0
        let inv = 1 / Double(h)
        var slots = 0
        for k in 0..<4 {
            let range = slotPoints[k]
            let n = Double(range.count)
            guard range.count >= parameters.minLanePixels else { continue }
            slots += 1
            var mt = 0.0, mt2 = 0.0, mx = 0.0
            for i in range {
                let t = (Double(pointY[i]) + 0.5) * inv
                mt += t; mt2 += t * t; mx += Double(pointX[i]) + 0.5
            }
            mt /= n; mt2 /= n; mx /= n
            for i in range {
                let t = (Double(pointY[i]) + 0.5) * inv
                let u2 = t * t - mt2, u1 = t - mt, dx = Double(pointX[i]) + 0.5 - mx
                s22 += u2 * u2; s21 += u2 * u1; s11 += u1 * u1
                sx2 += dx * u2; sx1 += dx * u1
            }
        }
        guard slots > 0 else { return nil }
        let det = s22 * s11 - s21 * s21
        guard det > 1e-9 else { return nil }
        return ((sx2 * s11 - sx1 * s21) / det, (s22 * sx1 - s21 * sx2) / det)
    }

    /// Lanes with short evidence (fitted by a line) take the bend of the best long lane: lane
    /// lines are parallel, so a dashed line borrows the shape of the solid one.
    private func shareShapes() {
        var bestIndex = -1
        for i in 0..<4 where fits[i].ok && fits[i].quadratic {
            if bestIndex < 0 || fits[i].score > fits[bestIndex].score { bestIndex = i }
        }
        guard bestIndex >= 0 else { return }
        let shape = fits[bestIndex]
        for i in 0..<4 where fits[i].ok && !fits[i].quadratic {
            let offset = meanOffset(fits[i], from: shape)
            fits[i].a = shape.a
            fits[i].b = shape.b
            fits[i].c = shape.c + offset
        }
    }

    /// Mean horizontal distance of `f` from `shape` over the rows where `f` has evidence.
    private func meanOffset(_ f: Fit, from shape: Fit) -> Double {
        var sum = 0.0
        let steps = 10
        for k in 0...steps {
            let t = f.tMin + (f.tMax - f.tMin) * Double(k) / Double(steps)
            sum += ((f.a * t + f.b) * t + f.c) - ((shape.a * t + shape.b) * t + shape.c)
        }
        return sum / Double(steps + 1)
    }

    /// Neighbouring lanes must be about one lane width apart and parallel; the weaker of a
    /// failing pair is dropped.
    private func checkPairs() {
        let lw = view.laneWidth
        for left in 0..<3 {
            let right = left + 1
            guard fits[left].ok, fits[right].ok else { continue }
            var ok = true
            // Width at three depths (no array literal: the per-frame path allocates nothing).
            for k in 0..<3 {
                let t = k == 0 ? 0.3 : (k == 1 ? 0.65 : 1.0)
                let wl = (fits[left].a * t + fits[left].b) * t + fits[left].c
                let wr = (fits[right].a * t + fits[right].b) * t + fits[right].c
                let width = wr - wl
                if width < 0.6 * lw || width > 1.6 * lw { ok = false }
            }
            let bottom = (fits[right].c + fits[right].b + fits[right].a) - (fits[left].c + fits[left].b + fits[left].a)
            let top = (fits[right].a * 0.3 + fits[right].b) * 0.3 + fits[right].c - ((fits[left].a * 0.3 + fits[left].b) * 0.3 + fits[left].c)
            if abs(top - bottom) > 0.4 * lw { ok = false }
            if !ok {
                // Prefer the lane that continues a track, then the stronger evidence.
                let lTracked = tracks[left].alive, rTracked = tracks[right].alive
                let dropLeft: Bool
                if lTracked != rTracked { dropLeft = !lTracked } else { dropLeft = fits[left].score < fits[right].score }
                fits[dropLeft ? left : right].ok = false
            }
        }
    }

    /// Whether this frame's holes hide the lane: at least as many of its bird's-eye samples (every
    /// 4th row) lie in holes as on filmed pixels, and some do.
    private func pathMostlyInHoles(_ lane: DetectedLane) -> Bool {
        guard let holes = frameHoles else { return false }
        var hidden = 0, filmed = 0
        for y in stride(from: 0, to: h, by: 4) {
            let x = Int(lane.x(atRow: Double(y), height: h).rounded())
            guard x >= 0, x < w else { continue }
            let i = y * w + x, source = Int(view.sourceIndex[i])
            if source >= 0 && holes.values[source] != 0 { hidden += 1 } else if valid[i] != 0 { filmed += 1 }
        }
        return hidden > 0 && hidden >= filmed
    }

    /// A lost track kept alive past `limits.hold` because holes hid it in every frame since.
    private func heldThroughHoles(_ track: Track) -> Bool {
        track.heldInHoles > 0 && track.heldInHoles < limits.holeHold
    }

    private func updateTracks(into result: inout LaneDetection) {
        let lw = view.laneWidth
        let alpha = parameters.smoothing
        // The ego lines as they were last frame: a carried line keeps its spacing to the other.
        let egoBefore = (left: tracks[index(.egoLeft)], right: tracks[index(.egoRight)])
        for slot in LaneSlot.allCases {
            let i = index(slot)
            let fit = fits[i]
            if fit.ok {
                var lane = tracks[i].lane
                let confidence = min(1, fit.coverage * 1.25)
                let continues = tracks[i].alive && abs((lane.a + lane.b + lane.c) - (fit.a + fit.b + fit.c)) < 0.3 * lw
                if continues {
                    lane.a = alpha * fit.a + (1 - alpha) * lane.a
                    lane.b = alpha * fit.b + (1 - alpha) * lane.b
                    lane.c = alpha * fit.c + (1 - alpha) * lane.c
                    lane.confidence = alpha * confidence + (1 - alpha) * lane.confidence
                } else {
                    lane = DetectedLane(slot: slot, a: fit.a, b: fit.b, c: fit.c, confidence: confidence, missedFrames: 0)
                }
                lane.missedFrames = 0
                lane.carried = false
                tracks[i].lane = lane
                tracks[i].alive = true
                tracks[i].heldInHoles = 0
            } else if tracks[i].alive {
                tracks[i].lane.missedFrames += 1
                if tracks[i].heldInHoles < limits.holeHold && pathMostlyInHoles(tracks[i].lane) {
                    // Unseen, not missing: the track and its confidence stand.
                    tracks[i].heldInHoles += 1
                } else {
                    tracks[i].heldInHoles = limits.holeHold
                    tracks[i].lane.confidence *= 0.7
                }
            }
        }
        // Lane lines are parallel: an ego line lost to glare or wear while the other one is seen
        // moves with it (curves, drift across the lane) at the spacing the two last had, instead
        // of freezing where it was lost. Neighbours are only held, then dropped: a neighbour may
        // be a road edge or end at a merge, and carrying one prolonged a road edge taken for a
        // line on the real sample (FP 2.4 → 13.4 % of its clean frames).
        for slot in LaneSlot.allCases {
            let i = index(slot)
            guard !fits[i].ok, tracks[i].alive else { continue }
            let isEgo = slot == .egoLeft || slot == .egoRight
            let p = index(slot == .egoLeft ? .egoRight : .egoLeft)
            let partnerBefore = slot == .egoLeft ? egoBefore.right : egoBefore.left
            tracks[i].lane.carried = isEgo && fits[p].ok && partnerBefore.alive && tracks[i].lane.missedFrames <= limits.carry
            if tracks[i].lane.carried {
                // This line has not moved since last frame; the partner has.
                let partner = tracks[p].lane
                let spacing = tracks[i].lane.x(atRow: Double(h), height: h) - partnerBefore.lane.x(atRow: Double(h), height: h)
                tracks[i].lane.a = partner.a
                tracks[i].lane.b = partner.b
                tracks[i].lane.c = partner.c + spacing
            } else if tracks[i].lane.missedFrames > limits.hold, !heldThroughHoles(tracks[i]) {
                tracks[i].alive = false
            }
        }
        result.lanes.removeAll(keepingCapacity: true)
        for slot in LaneSlot.allCases where tracks[index(slot)].alive { result.lanes.append(tracks[index(slot)].lane) }
    }

    // MARK: - Output in image coordinates

    /// Writes the lane's image column at each of `rows` into `xs` (resized to rows.count), or −2
    /// where the lane is outside the bird's-eye range or the frame.
    public func sample(_ lane: DetectedLane, rows: [Double], into xs: inout [Double]) {
        // The lane as an image-space polyline, one vertex per two bird's-eye rows (y increasing),
        // starting above the bird's-eye image where the tangent at its top row continues it.
        var n = 0
        var by = min(0, Int(view.row(v: view.vOutputMax).rounded(.down)))
        while by <= h && n < curveCapacity {
            let bx = by >= 0 ? lane.x(atRow: Double(by), height: h) : lane.c + lane.b * Double(by) / Double(h)
            let p = view.image(bx: bx, by: Double(by))
            curveX[n] = p.x
            curveY[n] = p.y
            n += 1
            by += 2
        }
        if xs.count != rows.count { xs = [Double](repeating: LaneDetector.absent, count: rows.count) }
        let width = Double(view.geometry.imageSize.width)
        var k = 0
        for (j, row) in rows.enumerated() {
            let y = row
            xs[j] = LaneDetector.absent
            guard n >= 2, y >= curveY[0], y <= curveY[n - 1] else { continue }
            while k + 1 < n - 1 && curveY[k + 1] < y { k += 1 }
            while k > 0 && curveY[k] > y { k -= 1 }
            let y0 = curveY[k], y1 = curveY[k + 1]
            let x = y1 > y0 ? curveX[k] + (y - y0) / (y1 - y0) * (curveX[k + 1] - curveX[k]) : curveX[k]
            if x >= 0 && x < width { xs[j] = x }
        }
    }

    /// TuSimple's marker for "no lane at this row".
    public static let absent = -2.0

    /// The last frame as the detector saw it, for overlays: the bird's-eye luma (dimmed, black
    /// outside the ROI), marking pixels in white and the reported lanes in colour (ego pair
    /// green, neighbours cyan). Allocates; for debugging and review, not the per-frame path.
    public func birdseyeInset() -> RGBImage {
        var inset = RGBImage(width: w, height: h)
        inset.pixels.withUnsafeMutableBufferPointer { px in
            for i in 0..<(w * h) {
                let v: UInt8 = binaryBuffer[i] != 0 ? 255 : (valid[i] != 0 ? UInt8(Int(luma[i]) / 3) : 0)
                px[3 * i] = v; px[3 * i + 1] = v; px[3 * i + 2] = v
            }
            for track in tracks where track.alive {
                let ego = track.lane.slot == .egoLeft || track.lane.slot == .egoRight
                let (r, g, b): (UInt8, UInt8, UInt8) = ego ? (40, 220, 40) : (40, 200, 220)
                for y in 0..<h {
                    let x = Int(track.lane.x(atRow: Double(y) + 0.5, height: h).rounded(.down))
                    for dx in -1...1 where x + dx >= 0 && x + dx < w {
                        let j = 3 * (y * w + x + dx)
                        px[j] = r; px[j + 1] = g; px[j + 2] = b
                    }
                }
            }
        }
        return inset
    }
}
