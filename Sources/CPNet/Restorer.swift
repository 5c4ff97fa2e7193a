import Imaging
import NeuralEngine

/// Fills the exposure holes of frames, in temporal order, by copying from a `ReferenceMemory` of
/// past frames with the CPNet (cpnet.md §7). Every frame offered — restored, skipped or clean —
/// goes through the memory's policy; restored frames go back with an empty hole map (but for the
/// pixels left as filmed).
///
/// Two sizes: the network may run on a reduced copy of the frame (`restore(frame:holes:fullSize:
/// fullHoles:)`). The restorer then owns the references at both sizes, pastes aligned pixels at the
/// processing size from the full-size references (`AlignedPaste`, the same code as at network size),
/// upsamples the network's result only where that paste has no source, and writes the result back
/// into the full-size frame's holes. Callers see one step and its `Step` result.
///
/// The workspace and the memory's storage are allocated for the first frame's size (warm-up) and
/// reused: restoring further frames of that size allocates no tensors.
public final class Restorer: @unchecked Sendable {
    public let network: CPNetwork
    public let memory: ReferenceMemory
    public let threads: Int
    public private(set) var workspace: Workspace?
    /// Whether hole pixels that no aligned reference shows (the paper's "hole-unseen" region)
    /// take the decoder's prediction (true, the paper) or keep their pixels as filmed (false,
    /// shipped).
    /// Without a reference the prediction is an inpainting guess — on roads a smooth blur that
    /// can hide the lane markings the raw frame still shows at a hole's edge.
    public var fillUnseen = false
    /// How seen hole pixels are filled: the aligned references' own pixels (the longest-held
    /// reference that shows the pixel, shipped; or all of them blended with the context-matching
    /// weights), or the paste decoder's prediction (the paper).
    public var paste = PasteSource.oldestAligned
    /// Check each reference's θ against the identity on the target's filmed pixels around its
    /// holes, and paste through the identity where it fits them clearly better
    /// (`checkAlignment(ws:…)`, docs/decisions/0028-alignment-check.md). Only for
    /// `.oldestAligned`, whose step reads nothing else of the alignment.
    public var checkAlignment = true
    /// The share of θ's departure from the identity a *restored* reference is pasted through
    /// (θ' = I + f·(θ − I); 1: θ as the network gives it, 0: the identity). A restored frame's
    /// filled pixels were themselves pasted through θ, so each generation of restored references
    /// moves old paint again; on filmed footage the network's near-constant zoom, compounded,
    /// outruns the real motion (docs/decisions/0031-restored-references-half-motion.md). Filmed
    /// references keep θ. Only for `.oldestAligned`, like `checkAlignment`, and applied after it.
    public var restoredReferenceMotion: Float = 1
    /// Scale what is pasted into *dark* hole pixels (crushed: filmed mean RGB below `darkLimit`)
    /// down to the frame's exposure: each reference's colours times its `darkPasteGains` gain, the
    /// ratio of the frame to the reference over the dark filmed pixels around the holes, at most 1.
    /// A crushed region is dark in the scene too (a tunnel's interior): pasted as the reference
    /// filmed it (daylight before the tunnel) it is far brighter than the scene, where scaled it
    /// keeps the paint's contrast at the scene's brightness. Bright holes (clipped) keep the
    /// reference's colours: brightened toward a whiteout, the paint would clip again. Only for
    /// `.oldestAligned`, like `checkAlignment`, and measured after it.
    public var darkenPastes = false
    /// Whether this step's pastes are darkened: `darkenPastes` applies to `.oldestAligned` only.
    private var darkensPastes: Bool { darkenPastes && paste == .oldestAligned }
    /// A filmed pixel below this mean RGB (in [0, 1]) is dark for `darkenPastes`.
    static let darkLimit: Float = 0.5
    /// The smallest gain `darkPasteGains` gives.
    static let minimumPasteGain: Float = 0.05
    /// The identity replaces θ when its difference is below this share of θ's. Chosen on dev
    /// among 1, 0.7 and 0.5 (restored 86.53, 87.66, 87.31 % on affected frames; 87.04 % without
    /// the check): at 1 the identity also wins where forward motion is small near the horizon but
    /// not on the road.
    static let identityPreference: Float = 0.7

    /// What one `restore` call did.
    public struct Step: Equatable, Sendable {
        /// False when the frame was not restored (no holes, or no reference held yet); it was
        /// offered to the memory as it came.
        public var restored = false
        /// Hole pixels filled, and hole pixels left as filmed (no reference shows them and
        /// `fillUnseen` is off), counted at the size of the frame the caller gets back.
        public var filledPixels = 0
        public var unseenPixels = 0
        /// Stage times of the network step, including caching the restored frame's AE features.
        public var timings = StageTimings()
        /// The memory slot the frame went into, nil when the memory did not keep it.
        public var admittedSlot: Int?
    }

    // Per step, reused (the network-size step's bookkeeping).
    /// The memory slots the step copies from, in the order of the workspace's per-reference
    /// tensors (θ, aligned frames, similarities).
    private var referenceSlots: [Int] = []
    /// Indices into `referenceSlots`, longest-held reference first: the order `.oldestAligned`
    /// tries them in. Taken before the restored frame enters the memory, after which a slot's
    /// admission order no longer describes the reference copied from it.
    private var oldestFirst: [Int] = []
    /// Network-size hole pixels of the last step that were filled (1) or left as filmed (0); 0
    /// outside the holes.
    private(set) var filled = Mask(width: 0, height: 0, fill: 0)
    /// `checkAlignment`'s 8×8-pixel blocks of the network frame: with a hole (then dilated by one
    /// block, so the filmed pixels around a hole are in a marked block).
    private var holeBlocks: [UInt8] = []
    private var nearHoleBlocks: [UInt8] = []
    /// `darkenPastes`' gain per reference of the step, [K] in the workspace's order (1 = as filmed).
    private let pasteGains: Tensor

    // Processing-size scratch of a two-size step.
    /// Full-size hole pixels whose network pixel was left as filmed (holes again in the memory).
    private var fullLeftAsFilmed = Mask(width: 0, height: 0, fill: 0)
    /// Full-size hole pixels that take the upsampled network result.
    private var fullFromUpsampled = Mask(width: 0, height: 0, fill: 0)
    private var upsampled = RGBImage(width: 0, height: 0)
    /// `.blendAligned` at the processing size: the references warped whole, [K, 3, H, W] and [K, 1, H, W].
    private var fullAlignedRGB = Tensor(shape: [0])
    private var fullAlignedValid = Tensor(shape: [0])

    /// - Parameters:
    ///   - references: K, the number of past frames kept (and copied from).
    ///   - stride: s, only every s-th frame is considered for the memory.
    ///   - maxReferenceAge: frames after which a reference is replaced whatever its holes (0: never).
    ///   - threads: threads for the convolutions and the warp. With more than one, OpenBLAS is set
    ///     to one thread (process-wide): the engine splits each convolution into output tiles itself.
    public init(weights: CPNetWeights, references: Int = 4, stride: Int = 2, maxReferenceAge: Int = 0, threads: Int = 2) {
        network = CPNetwork(weights: weights)
        memory = ReferenceMemory(capacity: references, stride: stride, maxAge: maxReferenceAge)
        referenceSlots.reserveCapacity(references)
        oldestFirst.reserveCapacity(references)
        pasteGains = Tensor(shape: [max(1, references)], fill: 1)
        self.threads = max(1, threads)
        if self.threads > 1 { BLAS.threads = 1 }
    }

    /// The paper's algorithm (cpnet.md §7): every hole pixel from the paste decoder, seen or not,
    /// the network's θ unchecked, and a memory that keeps its references however old. The defaults are the shipped
    /// behaviour instead (aligned pasting from the longest-held reference, unseen pixels left as
    /// filmed); the parity tests against PyTorch and the paper's ablations use this.
    public static func paper(weights: CPNetWeights, references: Int = 4, stride: Int = 2, threads: Int = 2) -> Restorer {
        let restorer = Restorer(weights: weights, references: references, stride: stride, maxReferenceAge: 0, threads: threads)
        restorer.paste = .decoder
        restorer.fillUnseen = true
        restorer.checkAlignment = false
        return restorer
    }

    /// Allocates the workspace and memory storage for frames of `size`, and for their full-size
    /// originals when the network runs reduced (no-op when already done). The memory keeps
    /// full-size frames only when they are pasted from: with aligned pasting at a reduced size.
    @discardableResult
    public func prepare(for size: ImageSize, fullSize: ImageSize? = nil) -> Workspace {
        let companions = fullSize.flatMap { $0 != size && paste.copiesAligned ? $0 : nil }
        if let ws = workspace, ws.height == size.height, ws.width == size.width, memory.fullSize == companions { return ws }
        let ws = workspace.flatMap { $0.height == size.height && $0.width == size.width ? $0 : nil }
            ?? network.makeWorkspace(height: size.height, width: size.width, references: memory.capacity, threads: threads)
        let s8 = network.widths.alignSize / 8
        memory.prepare(height: size.height, width: size.width, featureShape: [network.widths.a3, s8, s8], fullSize: companions)
        filled.reshape(width: size.width, height: size.height, fill: 0)
        workspace = ws
        return ws
    }

    private func prepareFullSize(_ size: ImageSize) {
        guard upsampled.size != size else { return }
        upsampled.reshape(width: size.width, height: size.height)
        fullLeftAsFilmed.reshape(width: size.width, height: size.height, fill: 0)
        fullFromUpsampled.reshape(width: size.width, height: size.height, fill: 0)
    }

    /// Restores the hole pixels (`holes` ≠ 0) of `frame` in place; valid pixels are not touched.
    /// The frame is offered to the reference memory either way.
    public func restore(frame: inout RGBImage, holes: Mask) throws(CPNetError) -> Step {
        try checkSize(frame, holes)
        // First, so a change of frame size (which empties the memory) is seen by the check below.
        prepare(for: frame.size)
        guard holes.setCount > 0, memory.count > 0 else {
            return Step(admittedSlot: remember(frame, holes: holes))
        }
        return networkStep(&frame, holes: holes)
    }

    /// The two-size step: `frame`/`holes` are the network-size copies of `fullFrame`/`fullHoles`
    /// (a reduced pixel is a hole when any of its full-size pixels is). Restores `frame` as the
    /// one-size step does, then the full-size holes: aligned pastes copy from the full-size
    /// references; the decoder's prediction, and any pixel the full-size paste finds no source
    /// for, come from `frame` upsampled. Full-size pixels whose network pixel was left as filmed
    /// stay as filmed. Valid pixels are not touched at either size.
    public func restore(frame: inout RGBImage, holes: Mask, fullSize fullFrame: inout RGBImage,
                        fullHoles: Mask) throws(CPNetError) -> Step {
        try checkSize(frame, holes)
        try checkSize(fullFrame, fullHoles)
        prepare(for: frame.size, fullSize: fullFrame.size)
        guard holes.setCount > 0, memory.count > 0 else {
            return Step(admittedSlot: remember(frame, holes: holes, fullSize: (fullFrame, fullHoles)))
        }
        prepareFullSize(fullFrame.size)
        var step = networkStep(&frame, holes: holes)
        let fw = fullFrame.width, fh = fullFrame.height, sw = frame.width, sh = frame.height, n = fw * fh
        // Full-size holes over network pixels left as filmed stay as filmed (nearest pixel).
        var pending = 0, unseen = 0
        fullHoles.values.withUnsafeBufferPointer { h in
            filled.values.withUnsafeBufferPointer { f in
                fullLeftAsFilmed.values.withUnsafeMutableBufferPointer { left in
                    fullFromUpsampled.values.withUnsafeMutableBufferPointer { up in
                        for y in 0..<fh {
                            let srow = min(sh - 1, y * sh / fh) * sw
                            for x in 0..<fw {
                                let i = y * fw + x
                                let isHole = h[i] != 0, kept = isHole && f[srow + min(sw - 1, x * sw / fw)] == 0
                                left[i] = kept ? 1 : 0
                                up[i] = isHole && !kept ? 1 : 0
                                if kept { unseen += 1 } else if isHole { pending += 1 }
                            }
                        }
                    }
                }
            }
        }
        step.filledPixels = pending
        step.unseenPixels = unseen
        // Aligned pastes copy sharp full-size paint; `fullFromUpsampled` keeps what they miss.
        if memory.fullSize == fullFrame.size, let ws = workspace {
            pending -= pasteFullSize(into: &fullFrame, theta: ws.theta.data, similarity: ws.globalSimilarity.data)
        }
        if pending > 0 {
            Resize.bilinear(frame, into: &upsampled)
            fullFromUpsampled.values.withUnsafeBufferPointer { up in
                upsampled.pixels.withUnsafeBufferPointer { u in
                    fullFrame.pixels.withUnsafeMutableBufferPointer { px in
                        for i in 0..<n where up[i] != 0 {
                            px[3 * i] = u[3 * i]; px[3 * i + 1] = u[3 * i + 1]; px[3 * i + 2] = u[3 * i + 2]
                        }
                    }
                }
            }
        }
        if memory.fullSize == fullFrame.size, let slot = step.admittedSlot {
            Self.load(fullFrame, holes: fullLeftAsFilmed, rgb: memory.fullRGB[slot].data, valid: memory.fullValid[slot].data)
        }
        return step
    }

    /// The aligned paste into the full-size holes marked in `fullFromUpsampled`, from the
    /// full-size references of the step's slots; a pixel pasted is cleared there. Returns how many.
    private func pasteFullSize(into image: inout RGBImage, theta: UnsafePointer<Float>, similarity: UnsafePointer<Float>) -> Int {
        let width = image.width, height = image.height, n = width * height
        let blend = paste == .blendAligned, count = referenceSlots.count
        if blend {
            // The blend weighs every reference at every pixel, so warping whole frames once is
            // cheaper than K taps per pixel.
            if fullAlignedRGB.shape != [memory.capacity, 3, height, width] {
                fullAlignedRGB = Tensor(shape: [memory.capacity, 3, height, width])
                fullAlignedValid = Tensor(shape: [memory.capacity, 1, height, width])
            }
            for (k, slot) in referenceSlots.enumerated() {
                CPNetwork.warp(rgb: memory.fullRGB[slot].data, valid: memory.fullValid[slot].data, theta: theta + 6 * k,
                               height: height, width: width, threads: threads,
                               alignedRGB: fullAlignedRGB.slice(k), alignedValid: fullAlignedValid.slice(k))
            }
        }
        var pasted = 0
        let alignedRGB = fullAlignedRGB.data, alignedValid = fullAlignedValid.data
        let rgb = memory.fullRGB, valid = memory.fullValid, slots = referenceSlots, order = oldestFirst
        let darken = darkensPastes, darkSum = Int(3 * 255 * Self.darkLimit), gains = pasteGains.data
        fullFromUpsampled.values.withUnsafeMutableBufferPointer { up in
            image.pixels.withUnsafeMutableBufferPointer { px in
                for i in 0..<n where up[i] != 0 {
                    let colour: (Float, Float, Float)?
                    if blend {
                        colour = AlignedPaste.blended(pixel: i, planeSize: n, count: count, alignedRGB: alignedRGB,
                                                      alignedValid: alignedValid, similarity: similarity)
                    } else {
                        let row = i / width
                        let dark = darken && Int(px[3 * i]) + Int(px[3 * i + 1]) + Int(px[3 * i + 2]) < darkSum
                        colour = AlignedPaste.firstShowing(column: i - row * width, row: row, width: width, height: height,
                                                           rgb: rgb, valid: valid, slots: slots, order: order, theta: theta,
                                                           gains: dark ? gains : nil)
                    }
                    guard let (r, g, b) = colour else { continue }
                    px[3 * i] = AlignedPaste.byte(r); px[3 * i + 1] = AlignedPaste.byte(g); px[3 * i + 2] = AlignedPaste.byte(b)
                    up[i] = 0
                    pasted += 1
                }
            }
        }
        return pasted
    }

    /// One network step on a frame with holes and a memory with references: fills `frame`'s
    /// holes, marks `filled`, offers the result to the memory.
    private func networkStep(_ frame: inout RGBImage, holes: Mask) -> Step {
        let ws = workspace!
        Self.load(frame, holes: holes, rgb: ws.targetRGB.data, valid: ws.targetValid.data)
        let references = memory.count
        referenceSlots.removeAll(keepingCapacity: true)
        for slot in memory.occupied { referenceSlots.append(slot) }
        orderOldestFirst()
        var step = Step(restored: true)
        step.timings = network.restore(ws: ws, memory: memory, through: lastStage)
        // θ is all `paste: oldest` reads of the alignment: checked, then restored references scaled.
        // The dark paste gains read the final θ, so they come last.
        let aligning = lastStage == .alignment, darken = darkensPastes
        if (aligning && checkAlignment) || darken {
            Self.markBlocksNearHoles(holes, blocks: &holeBlocks, near: &nearHoleBlocks)
        }
        if aligning && checkAlignment {
            Self.checkAlignment(ws: ws, memory: memory, slots: referenceSlots, near: nearHoleBlocks)
        }
        if aligning && restoredReferenceMotion != 1 {
            Self.scaleRestoredMotion(ws: ws, memory: memory, slots: referenceSlots, by: restoredReferenceMotion)
        }
        if darken {
            Self.darkPasteGains(ws: ws, memory: memory, slots: referenceSlots, near: nearHoleBlocks, into: pasteGains.data)
        }
        // Write back only the hole pixels; valid ones keep their exact bytes. The copy counts as
        // warp time: for `.oldestAligned` it is the only place the references are sampled.
        var start = Clock.seconds()
        let width = frame.width, height = frame.height, n = width * height, out = ws.output.data
        var unseen = 0, filledCount = 0
        let input = ws.targetRGB.data, alignedRGB = ws.alignedRGB.data, aligned = ws.alignedValid.data
        let similarity = ws.globalSimilarity.data
        let paste = self.paste, fillUnseen = self.fillUnseen
        let rgb = memory.rgb, valid = memory.valid, slots = referenceSlots, order = oldestFirst, theta = ws.theta.data
        let darkSum = 3 * Self.darkLimit, gains = pasteGains.data
        holes.values.withUnsafeBufferPointer { h in
            filled.values.withUnsafeMutableBufferPointer { filled in
                frame.pixels.withUnsafeMutableBufferPointer { px in
                    for i in 0..<n {
                        filled[i] = 0
                        guard h[i] != 0 else { continue }
                        // Seen: some aligned reference shows the pixel.
                        var seen = false
                        switch paste {
                        case .oldestAligned:
                            let row = i / width
                            let dark = darken && input[i] + input[n + i] + input[2 * n + i] < darkSum
                            if let (r, g, b) = AlignedPaste.firstShowing(column: i - row * width, row: row, width: width, height: height,
                                                                         rgb: rgb, valid: valid, slots: slots, order: order, theta: theta,
                                                                         gains: dark ? gains : nil) {
                                out[i] = r; out[n + i] = g; out[2 * n + i] = b
                                seen = true
                            }
                        case .blendAligned:
                            if let (r, g, b) = AlignedPaste.blended(pixel: i, planeSize: n, count: references, alignedRGB: alignedRGB,
                                                                    alignedValid: aligned, similarity: similarity) {
                                out[i] = r; out[n + i] = g; out[2 * n + i] = b
                                seen = true
                            }
                        case .decoder:
                            seen = fillUnseen || (0..<references).contains { aligned[$0 * n + i] > 0.5 }
                        }
                        if !seen && !fillUnseen {
                            // Left as filmed: the composite (and the memory) keep the input.
                            for c in 0..<3 { out[c * n + i] = input[c * n + i] }
                            unseen += 1
                            continue
                        }
                        filled[i] = 1
                        filledCount += 1
                        for c in 0..<3 { px[i * 3 + c] = AlignedPaste.byte(out[c * n + i]) }
                    }
                }
            }
        }
        step.unseenPixels = unseen
        step.filledPixels = filledCount
        step.timings.warp += Clock.seconds() - start
        start = Clock.seconds()
        // The restored frame is a reference (the paper's reference update); pixels left as filmed
        // stay holes there.
        step.admittedSlot = memory.offer(holeFraction: Double(unseen) / Double(n), restored: true)
        if let slot = step.admittedSlot {
            memory.rgb[slot].data.update(from: out, count: 3 * n)
            memory.valid[slot].fill(1)
            if unseen > 0 {
                let valid = memory.valid[slot].data
                filled.values.withUnsafeBufferPointer { filled in
                    holes.values.withUnsafeBufferPointer { h in
                        for i in 0..<n where h[i] != 0 && filled[i] == 0 { valid[i] = 0 }
                    }
                }
            }
            cacheFeatures(slot: slot, ws: ws)
        }
        step.timings.alignment += Clock.seconds() - start
        return step
    }

    /// Marks the 8×8-pixel blocks of the network frame that hold a hole pixel (`blocks`), and
    /// those at or next to one (`near`): where the filmed pixels around the holes are, for the
    /// alignment check and the dark paste gains. Allocates only when the frame size changes.
    static func markBlocksNearHoles(_ holes: Mask, blocks: inout [UInt8], near: inout [UInt8]) {
        let w = holes.width, h = holes.height, side = blockSide
        let bw = (w + side - 1) / side, bh = (h + side - 1) / side
        if blocks.count != bw * bh {
            blocks = Array(repeating: 0, count: bw * bh)
            near = Array(repeating: 0, count: bw * bh)
        }
        for b in 0..<(bw * bh) { blocks[b] = 0 }
        holes.values.withUnsafeBufferPointer { hv in
            for y in 0..<h { for x in 0..<w where hv[y * w + x] != 0 { blocks[(y / side) * bw + x / side] = 1 } }
        }
        for by in 0..<bh {
            for bx in 0..<bw {
                var any: UInt8 = 0
                for dy in -1...1 { for dx in -1...1 {
                    let yy = by + dy, xx = bx + dx
                    if yy >= 0, yy < bh, xx >= 0, xx < bw, blocks[yy * bw + xx] != 0 { any = 1 }
                } }
                near[by * bw + bx] = any
            }
        }
    }

    /// The side of `markBlocksNearHoles`' blocks, in network pixels.
    static let blockSide = 8

    /// Calls `body(x, y, i)` for every second pixel in both directions (i = y·width + x) of the
    /// `width`×`height` network frame that lies in a block `near` a hole: the pixels the
    /// alignment check and the dark paste gains compare. The closure is not escaping, so the
    /// per-frame path stays allocation-free.
    @inline(__always)
    static func forEachSampleNearHoles(width w: Int, height h: Int, near: [UInt8], _ body: (Int, Int, Int) -> Void) {
        let side = blockSide, bw = (w + side - 1) / side
        for y in stride(from: 0, to: h, by: 2) {
            for x in stride(from: 0, to: w, by: 2) where near[(y / side) * bw + x / side] != 0 {
                body(x, y, y * w + x)
            }
        }
    }

    /// The alignment check: for each reference k, the mean absolute RGB difference between the
    /// target and the reference sampled through θ_k, and through the identity, over the target's
    /// filmed pixels in the blocks `near` a hole (`markBlocksNearHoles`) where both samples are
    /// filmed too (every second pixel in both directions). Where the identity's difference is
    /// smaller, on at least 64 pixels, θ_k is set to the identity in `ws.theta`, so both pastes
    /// copy the co-located pixels (below `identityPreference` × θ's difference). The network's θ
    /// can be far off on frames unlike its training (a large exposure jump, a long gap); the
    /// pixels the target still shows say so. Returns how many θ were replaced.
    @discardableResult
    static func checkAlignment(ws: Workspace, memory: ReferenceMemory, slots: [Int], near: [UInt8]) -> Int {
        let w = ws.width, h = ws.height, n = w * h
        let target = ws.targetRGB.data, targetValid = ws.targetValid.data
        var replaced = 0
        for (k, slot) in slots.enumerated() {
            let t = ws.theta.slice(k)
            let theta = (t[0], t[1], t[2], t[3], t[4], t[5])
            let rgb = memory.rgb[slot].data, valid = memory.valid[slot].data
            var alignedError: Float = 0, identityError: Float = 0, count = 0
            forEachSampleNearHoles(width: w, height: h, near: near) { x, y, i in
                guard targetValid[i] > 0.5, valid[i] > 0.5 else { return }
                let tap = Resample.AffineTap(column: x, row: y, outWidth: w, outHeight: h, width: w, height: h, theta: theta)
                guard tap.sample(valid) > 0.5 else { return }
                for c in 0..<3 {
                    alignedError += abs(tap.sample(rgb + c * n) - target[c * n + i])
                    identityError += abs(rgb[c * n + i] - target[c * n + i])
                }
                count += 1
            }
            guard count >= 64, identityError < identityPreference * alignedError else { continue }
            t[0] = 1; t[1] = 0; t[2] = 0; t[3] = 0; t[4] = 1; t[5] = 0
            replaced += 1
        }
        return replaced
    }

    /// `darkenPastes`' gains: for each reference k, Σ target / Σ reference (RGB, the reference
    /// sampled through θ_k) over the target's dark filmed pixels (mean below `darkLimit`) in the
    /// blocks `near` a hole where the reference shows the point, every second pixel in both
    /// directions; clamped to [`minimumPasteGain`, 1], and 1 on fewer than 64 pixels. On sRGB-like
    /// values a linear exposure change is close to a gain too (a power law keeps products).
    static func darkPasteGains(ws: Workspace, memory: ReferenceMemory, slots: [Int], near: [UInt8], into gains: UnsafeMutablePointer<Float>) {
        let w = ws.width, h = ws.height, n = w * h
        let target = ws.targetRGB.data, targetValid = ws.targetValid.data, darkSum = 3 * darkLimit
        for (k, slot) in slots.enumerated() {
            let t = ws.theta.slice(k)
            let theta = (t[0], t[1], t[2], t[3], t[4], t[5])
            let rgb = memory.rgb[slot].data, valid = memory.valid[slot].data
            var targetSum: Float = 0, referenceSum: Float = 0, count = 0
            forEachSampleNearHoles(width: w, height: h, near: near) { x, y, i in
                guard targetValid[i] > 0.5 else { return }
                let filmed = target[i] + target[n + i] + target[2 * n + i]
                guard filmed < darkSum else { return }
                let tap = Resample.AffineTap(column: x, row: y, outWidth: w, outHeight: h, width: w, height: h, theta: theta)
                guard tap.sample(valid) > 0.5 else { return }
                targetSum += filmed
                referenceSum += tap.sample(rgb) + tap.sample(rgb + n) + tap.sample(rgb + 2 * n)
                count += 1
            }
            gains[k] = count >= 64 && referenceSum > 0 ? min(1, max(minimumPasteGain, targetSum / referenceSum)) : 1
        }
    }

    /// θ_k ← I + factor·(θ_k − I) for every restored reference among `slots` (the workspace's θ
    /// order); filmed references and θs the check set to the identity stay as they are. Returns
    /// how many were scaled.
    @discardableResult
    static func scaleRestoredMotion(ws: Workspace, memory: ReferenceMemory, slots: [Int], by factor: Float) -> Int {
        var scaled = 0
        for (k, slot) in slots.enumerated() where memory.entries[slot]?.restored == true {
            let t = ws.theta.slice(k)
            t[0] = 1 + factor * (t[0] - 1); t[1] = factor * t[1]; t[2] = factor * t[2]
            t[3] = factor * t[3]; t[4] = 1 + factor * (t[4] - 1); t[5] = factor * t[5]
            scaled += 1
        }
        return scaled
    }

    /// The last network stage a step needs. The decoder's prediction is read only for holes it
    /// fills: with aligned pasting that is the unseen ones, and only when they are filled at all;
    /// the context matching (and the whole-frame warp it encodes) only for blending; copying the
    /// oldest reference reads θ alone (`AlignedPaste.firstShowing` samples the references
    /// itself), so the copy encoder — two thirds of the step — and the warp are skipped.
    public var lastStage: CPNetwork.LastStage {
        if paste == .decoder || fillUnseen { return .decoder }
        return paste == .blendAligned ? .matching : .alignment
    }

    /// `oldestFirst` for `referenceSlots`: by admission order, oldest first (insertion sort: K is
    /// a handful, and it allocates nothing).
    private func orderOldestFirst() {
        oldestFirst.removeAll(keepingCapacity: true)
        func sequence(_ k: Int) -> Int { memory.entries[referenceSlots[k]]?.sequence ?? Int.max }
        for k in referenceSlots.indices {
            var at = oldestFirst.count
            while at > 0, sequence(oldestFirst[at - 1]) > sequence(k) { at -= 1 }
            oldestFirst.insert(k, at: at)
        }
    }

    /// Offers a frame to the reference memory without restoring it (e.g. frames before the first
    /// hole, or a clean frame from another source), with its full-size original when the network
    /// runs reduced. Returns the slot it went into, nil when the memory did not keep it.
    @discardableResult
    public func remember(_ frame: RGBImage, holes: Mask, fullSize: (frame: RGBImage, holes: Mask)? = nil) -> Int? {
        guard frame.width > 0, frame.height > 0, holes.width == frame.width, holes.height == frame.height else { return nil }
        let ws = prepare(for: frame.size, fullSize: fullSize?.frame.size)
        guard let slot = memory.offer(holeFraction: holes.coverage) else { return nil }
        Self.load(frame, holes: holes, rgb: memory.rgb[slot].data, valid: memory.valid[slot].data)
        if let fullSize, memory.fullSize == fullSize.frame.size, fullSize.holes.size == fullSize.frame.size {
            Self.load(fullSize.frame, holes: fullSize.holes, rgb: memory.fullRGB[slot].data, valid: memory.fullValid[slot].data)
        }
        cacheFeatures(slot: slot, ws: ws)
        return slot
    }

    /// Forgets all references (a cut, a new drive). Buffers are kept.
    public func reset() {
        memory.clear()
    }

    private func cacheFeatures(slot: Int, ws: Workspace) {
        network.alignmentFeatures(rgb: memory.rgb[slot].data, valid: memory.valid[slot].data, ws: ws,
                                  into: memory.features[slot].data)
    }

    private func checkSize(_ frame: RGBImage, _ holes: Mask) throws(CPNetError) {
        guard holes.width == frame.width, holes.height == frame.height, frame.width > 0, frame.height > 0 else {
            throw CPNetError(kind: .frameSize, file: "frame", subject: nil,
                             problem: "hole mask is \(holes.size) but the frame is \(frame.size)",
                             action: "Compute the hole mask on the frame being restored")
        }
    }

    /// `Float(v) / 255` for every 8-bit v: `load` looks values up instead of dividing three times
    /// a pixel (it runs on every frame the memory admits, at both sizes), with identical results.
    private static let unitLevels: [Float] = (0...255).map { Float($0) / 255 }

    /// RGB8 → [3, H, W] in [0, 1]; holes → visibility [1, H, W] (1 valid, 0 hole).
    public static func load(_ frame: RGBImage, holes: Mask, rgb: UnsafeMutablePointer<Float>, valid: UnsafeMutablePointer<Float>) {
        let n = frame.width * frame.height
        frame.pixels.withUnsafeBufferPointer { px in
            unitLevels.withUnsafeBufferPointer { level in
                for i in 0..<n {
                    rgb[i] = level[Int(px[i &* 3])]
                    rgb[n &+ i] = level[Int(px[i &* 3 &+ 1])]
                    rgb[2 &* n &+ i] = level[Int(px[i &* 3 &+ 2])]
                }
            }
        }
        holes.values.withUnsafeBufferPointer { h in
            for i in 0..<n { valid[i] = h[i] != 0 ? 0 : 1 }
        }
    }
}

/// Where the fill of a seen hole pixel comes from (`restorer.paste` in the config: the raw values).
public enum PasteSource: String, Sendable, CaseIterable, Decodable {
    /// The paste decoder's prediction (cpnet.md §6).
    case decoder
    /// The aligned pixel of the longest-held reference that shows it (`AlignedPaste.firstShowing`).
    case oldestAligned = "oldest"
    /// The aligned reference pixels, weighted by the context matching (cpnet.md §5).
    case blendAligned = "blend"

    /// Whether seen hole pixels are copied from the aligned references (not the decoder).
    public var copiesAligned: Bool { self != .decoder }
}
