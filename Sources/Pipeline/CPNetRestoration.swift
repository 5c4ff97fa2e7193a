import CPNet
import Configuration
import Foundation
import Imaging
import Lanes

/// Stage 2 with the CPNet: the `FrameRestoring` the daemon and replay use.
///
/// Per frame (processing size W×H, network size scale·W × scale·H):
/// 1. reduce the frame and its holes to the network size (a reduced pixel is a hole when any of
///    its source pixels is);
/// 2. decide: no holes (or below `minHoleCoverage`) → remember the frame, `.notNeeded`; no
///    references yet → `.skippedNoReferences`; predicted time over the budget →
///    `.copiedLast` (with `deadlineFallback`: each hole pixel takes its last filmed value, one
///    pass over the pixels) or `.skippedDeadline` (the frame goes out unrestored); either
///    way on time and flagged; after `remeasureAfter` such skips in a row one restoration runs
///    anyway to re-measure (`RestoreTimePredictor`);
/// 3. seams: bring the valid pixels' exposure to the memory's (`ExposureMatcher`), on both the
///    reduced and the full-size frame;
/// 4. restore: the `Restorer` fills the reduced frame's holes with the network and then the
///    full-size holes (aligned pastes from its full-size references, the rest upsampled), and
///    keeps both sizes in its memory.
///
/// All buffers are allocated for the first frame size and reused.
public final class CPNetRestoration: FrameRestoring {
    public let restorer: Restorer
    public let scale: Double
    public let minHoleCoverage: Double
    public let matchExposure: Bool
    /// Fill the holes of frames the CPNet would make late with their pixels' last filmed values.
    public let deadlineFallback: Bool
    /// Seconds the next restoration is expected to take (median of the last five that ran).
    public var predictedSeconds: Double? { timing.predicted }
    private var timing: RestoreTimePredictor
    /// Exposure gain applied to the last restored frame's valid pixels (1 = none).
    public private(set) var lastGain = 1.0

    private var matcher = ExposureMatcher()
    private var small = RGBImage(width: 0, height: 0)
    private var smallHoles = Mask(width: 0, height: 0, fill: 0)
    /// The last frame that went into the memory whole (no holes, or restored): the exposure the
    /// memory holds, which restored frames are matched to.
    private var anchor = RGBImage(width: 0, height: 0)
    private var hasAnchor = false
    /// For the deadline fallback: each full-size pixel's last filmed value.
    private var lastFilmed = LastFilmedPixels()
    /// Road-plane alignment (`restorer.align: road-plane`): the ego-motion and the filmed
    /// references with their poses; nil with affine alignment (or without a usable geometry).
    public let motion: RoadPlaneMotion?
    private let roadReferences: RoadPlaneReferences?
    private var roadFilled = Mask(width: 0, height: 0, fill: 0)
    private var remaining = Mask(width: 0, height: 0, fill: 0)
    /// Frames per second of the stream (memory ages and strides are in seconds).
    public let fps: Double
    private var frameCount = 0

    /// - Parameter remeasureAfter: restorations skipped in a row on the time prediction after
    ///   which one runs anyway, to re-measure (`RestoreTimePredictor`).
    /// - Parameters:
    ///   - roadPlane: with a geometry, road hole pixels are pasted through the road plane
    ///     (`RoadPlaneReferences`), from filmed references kept `roadMemory` (recent and kept
    ///     frames, stride and age in seconds).
    ///   - fps: frames per second of the stream (for the road-plane memory's seconds).
    public init(restorer: Restorer, scale: Double = 0.5, minHoleCoverage: Double = 0.005, matchExposure: Bool = false,
                deadlineFallback: Bool = true, remeasureAfter: Int = 30, roadPlane geometry: RoadGeometry? = nil,
                roadMemory: (recent: Int, kept: Int, stride: Double, maxAge: Double) = (3, 3, 0.067, 5), fps: Double = 30) {
        self.restorer = restorer
        self.fps = fps
        if let geometry, let motion = RoadPlaneMotion(geometry: geometry) {
            self.motion = motion
            let references = RoadPlaneReferences(recent: roadMemory.recent, kept: roadMemory.kept, stride: roadMemory.stride, maxAge: roadMemory.maxAge)
            roadReferences = references
        } else {
            motion = nil
            roadReferences = nil
        }
        timing = RestoreTimePredictor(remeasureAfter: remeasureAfter)
        self.scale = scale
        self.minHoleCoverage = minHoleCoverage
        self.matchExposure = matchExposure
        self.deadlineFallback = deadlineFallback
    }

    /// A stage with `config`'s memory, scale and seam settings on already loaded weights (one
    /// mapped file can serve several stages, e.g. one per replayed drive).
    ///
    /// - Parameters:
    ///   - fps: the stream's frame rate (drive.yaml's fps in replay, processing.fps in the daemon):
    ///     the memory's stride and ages are in seconds.
    ///   - geometry: the camera's road geometry at the processing size; needed for `align:
    ///     road-plane` (without it the stage aligns affinely).
    public convenience init(weights: CPNetWeights, config: RestorerConfig, fps: Double = 30, geometry: RoadGeometry? = nil) {
        let restorer = Restorer(weights: weights, references: config.references, stride: config.strideFrames(fps: fps),
                                maxReferenceAge: config.maxReferenceAgeFrames(fps: fps), threads: config.threads)
        restorer.fillUnseen = config.fillUnseen
        restorer.paste = config.paste
        restorer.checkAlignment = config.checkAlignment
        restorer.restoredReferenceMotion = Float(config.restoredReferenceMotion)
        restorer.darkenPastes = config.darkenPastes
        self.init(restorer: restorer, scale: config.scale, minHoleCoverage: config.minHoleCoverage, matchExposure: config.matchExposure,
                  deadlineFallback: config.deadlineFallback, roadPlane: config.align == .roadPlane ? geometry : nil,
                  roadMemory: (config.roadRecent, config.roadKept, config.strideSeconds, config.roadMaxAgeSeconds), fps: fps)
    }

    /// The network's frame size for a processing size (even, at least 16 pixels).
    public func networkSize(for size: ImageSize) -> ImageSize {
        func reduce(_ v: Int) -> Int { max(16, Int((Double(v) * scale / 2).rounded()) * 2) }
        return scale >= 1 ? size : ImageSize(width: reduce(size.width), height: reduce(size.height))
    }

    public func restore(_ frame: inout Frame, holes: Mask, budget: Double) -> RestorationOutcome {
        let full = frame.image.size
        let size = networkSize(for: full)
        prepare(full: full, network: size)
        let time = Double(frameCount) / fps
        frameCount += 1
        if deadlineFallback { lastFilmed.record(frame.image, holes: holes) }
        // The road-plane pose and reference come from the frame as filmed, every frame.
        var pose = RoadPlaneMotion.Pose()
        if let motion, let roadReferences {
            pose = motion.update(frame: frame.image, holes: holes)
            roadReferences.offer(frame.image, holes: holes, pose: pose, time: time)
        }
        Resize.bilinear(frame.image, into: &small)
        var reducedHoles = Self.reduceHoles(holes, into: &smallHoles)

        guard holes.coverage >= minHoleCoverage, reducedHoles > 0 else {
            remember(frame.image, holes: holes)
            keepAsAnchor()
            return .notNeeded
        }
        guard restorer.memory.count > 0 || (roadReferences?.count ?? 0) > 1 else {
            remember(frame.image, holes: holes)
            return .skippedNoReferences
        }
        if let predicted = predictedSeconds, predicted > budget, !timing.dueForRemeasure {
            timing.recordSkip()
            remember(frame.image, holes: holes)
            return deadlineFallback && lastFilmed.fill(&frame.image, holes: holes) > 0 ? .copiedLast : .skippedDeadline
        }

        let start = DispatchTime.now().uptimeNanoseconds
        lastGain = 1
        if matchExposure, hasAnchor {
            lastGain = matcher.gain(of: small, holes: smallHoles, toward: anchor)
            matcher.apply(gain: lastGain, to: &small, holes: smallHoles)
            matcher.apply(gain: lastGain, to: &frame.image, holes: holes)
        }
        // Road plane first: the hole pixels on the road that a filmed reference shows; the network
        // fills what is left (`remaining`), seeing the pasted road as valid.
        if let roadReferences, motion?.isTrusted == true {
            let roadFilledCount = roadReferences.paste(into: &frame.image, holes: holes, pose: pose, time: time, filled: &roadFilled)
            remaining.values.withUnsafeMutableBufferPointer { r in
                holes.values.withUnsafeBufferPointer { h in
                    roadFilled.values.withUnsafeBufferPointer { f in
                        for i in 0..<r.count { r[i] = h[i] != 0 && f[i] == 0 ? 1 : 0 }
                    }
                }
            }
            if roadFilledCount > 0 {
                Resize.bilinear(frame.image, into: &small)
                reducedHoles = Self.reduceHoles(remaining, into: &smallHoles)
            }
            if reducedHoles == 0 || restorer.memory.count == 0 {
                // Nothing left for the network (or nothing for it to copy from): the frame goes to
                // the memory as restored, its unfilled pixels still holes.
                remember(frame.image, holes: remaining)
                keepAsAnchor()
                timing.record(seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                return roadFilledCount > 0 ? .restored : .skippedNoReferences
            }
        }
        let target = roadReferences == nil || motion?.isTrusted != true ? holes : remaining
        let step: Restorer.Step
        do {
            step = try restorer.restore(frame: &small, holes: smallHoles, fullSize: &frame.image, fullHoles: target)
        } catch {
            // Sizes are prepared above, so this cannot happen; never fail the frame over it.
            return .disabled
        }
        guard step.restored else { return .skippedNoReferences }
        keepAsAnchor()
        timing.record(seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        return .restored
    }

    public func reset(keepMemory: Bool) {
        guard !keepMemory else { return }
        restorer.reset()
        hasAnchor = false
        lastFilmed.forget()
        motion?.reset()
        roadReferences?.clear()
        frameCount = 0
    }

    /// Offers the reduced frame to the memory, with the full-size frame (kept when pasted from).
    private func remember(_ image: RGBImage, holes: Mask) {
        restorer.remember(small, holes: smallHoles, fullSize: (image, holes))
    }

    /// The reduced frame, whole again (hole-free or restored), is the exposure the memory holds.
    private func keepAsAnchor() {
        anchor.pixels.withUnsafeMutableBufferPointer { a in
            small.pixels.withUnsafeBufferPointer { s in a.baseAddress!.update(from: s.baseAddress!, count: s.count) }
        }
        hasAnchor = true
    }

    private func prepare(full: ImageSize, network: ImageSize) {
        if small.size != network {
            small.reshape(width: network.width, height: network.height)
            anchor.reshape(width: network.width, height: network.height)
            smallHoles.reshape(width: network.width, height: network.height, fill: 0)
            hasAnchor = false
        }
        if remaining.size != full {
            remaining.reshape(width: full.width, height: full.height, fill: 0)
            roadFilled.reshape(width: full.width, height: full.height, fill: 0)
        }
        if let motion, let roadReferences {
            roadReferences.prepare(size: full, geometry: motion.geometry)
        }
        if deadlineFallback { lastFilmed.prepare(size: full) }
    }

    /// Nearest-coverage reduction: a reduced pixel is a hole when any source pixel it covers is.
    /// Returns the number of reduced hole pixels.
    @discardableResult
    public static func reduceHoles(_ holes: Mask, into out: inout Mask) -> Int {
        let sw = holes.width, sh = holes.height, dw = out.width, dh = out.height
        if sw == 2 * dw && sh == 2 * dh { return reduceHolesByHalf(holes, into: &out) }
        var count = 0
        holes.values.withUnsafeBufferPointer { s in
            out.values.withUnsafeMutableBufferPointer { d in
                for y in 0..<dh {
                    let y0 = y * sh / dh, y1 = max(y0 + 1, (y + 1) * sh / dh)
                    for x in 0..<dw {
                        let x0 = x * sw / dw, x1 = max(x0 + 1, (x + 1) * sw / dw)
                        var any: UInt8 = 0
                        for yy in y0..<min(y1, sh) {
                            for xx in x0..<min(x1, sw) where s[yy * sw + xx] != 0 { any = 1 }
                        }
                        d[y * dw + x] = any
                        count += Int(any)
                    }
                }
            }
        }
        return count
    }

    /// `reduceHoles` at exactly half the size (the shipped network scale), where each reduced
    /// pixel's block is the 2×2 at twice its coordinates: no divisions, no inner loops. It runs
    /// on every frame.
    private static func reduceHolesByHalf(_ holes: Mask, into out: inout Mask) -> Int {
        let sw = holes.width, dw = out.width, dh = out.height
        return holes.values.withUnsafeBufferPointer { s in
            out.values.withUnsafeMutableBufferPointer { d in
                guard let s = s.baseAddress, let d = d.baseAddress else { return 0 }
                var count = 0
                for y in 0..<dh {
                    let top = s + 2 * y * sw, bottom = top + sw, row = d + y * dw
                    for x in 0..<dw {
                        let any: UInt8 = (top[2 * x] | top[2 * x + 1] | bottom[2 * x] | bottom[2 * x + 1]) != 0 ? 1 : 0
                        row[x] = any
                        count &+= Int(any)
                    }
                }
                return count
            }
        }
    }
}
