import Imaging
import NeuralEngine

/// Fills the exposure holes of frames, in temporal order, by copying from a `ReferenceMemory` of
/// past frames with the CPNet (cpnet.md §7). Every frame offered — restored, skipped or clean —
/// goes through the memory's policy; restored frames go back with an empty hole map.
///
/// The workspace and the memory's storage are allocated for the first frame's size (warm-up) and
/// reused: restoring further frames of that size allocates no tensors.
public final class Restorer: @unchecked Sendable {
    public let network: CPNetwork
    public let memory: ReferenceMemory
    public let threads: Int
    public private(set) var workspace: Workspace?
    /// Stage times of the last restored frame (including caching the restored frame's AE features).
    public private(set) var lastTimings = StageTimings()
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
    /// Of the last restored frame's holes, the pixels that were filled (1) or left as filmed (0,
    /// unseen with `fillUnseen` off); 0 outside the holes. Reused from frame to frame.
    public private(set) var lastFilled = Mask(width: 0, height: 0, fill: 0)
    /// The memory slots the last restoration step copied from, in the order of the workspace's
    /// per-reference tensors (θ, aligned frames, similarities). Reused.
    public private(set) var lastReferenceSlots: [Int] = []
    /// Indices into `lastReferenceSlots` (and the per-reference tensors), in the order `.oldestAligned`
    /// copies from them: the longest-held reference first. Kept, not derived on demand: once the
    /// restored frame enters the memory, a slot's admission order no longer describes the
    /// reference that was copied from it.
    public private(set) var lastOldestFirst: [Int] = []
    /// The memory slot the last offered frame (remembered or restored) went into; nil if the
    /// memory did not keep it. Lets a caller keep companion data per slot (full-size frames).
    public private(set) var lastAdmittedSlot: Int?

    /// - Parameters:
    ///   - references: K, the number of past frames kept (and copied from).
    ///   - stride: s, only every s-th frame is considered for the memory.
    ///   - maxReferenceAge: frames after which a reference is replaced whatever its holes (0: never).
    ///   - threads: threads for the convolutions and the warp. With more than one, OpenBLAS is set
    ///     to one thread (process-wide): the engine splits each convolution into output tiles itself.
    public init(weights: CPNetWeights, references: Int = 4, stride: Int = 2, maxReferenceAge: Int = 0, threads: Int = 2) {
        network = CPNetwork(weights: weights)
        memory = ReferenceMemory(capacity: references, stride: stride, maxAge: maxReferenceAge)
        lastReferenceSlots.reserveCapacity(references)
        lastOldestFirst.reserveCapacity(references)
        self.threads = max(1, threads)
        if self.threads > 1 { BLAS.threads = 1 }
    }

    /// The paper's algorithm (cpnet.md §7): every hole pixel from the paste decoder, seen or not,
    /// and a memory that keeps its references however old. The defaults are the shipped
    /// behaviour instead (aligned pasting from the longest-held reference, unseen pixels left as
    /// filmed); the parity tests against PyTorch and the paper's ablations use this.
    public static func paper(weights: CPNetWeights, references: Int = 4, stride: Int = 2, threads: Int = 2) -> Restorer {
        let restorer = Restorer(weights: weights, references: references, stride: stride, maxReferenceAge: 0, threads: threads)
        restorer.paste = .decoder
        restorer.fillUnseen = true
        return restorer
    }

    /// Allocates the workspace and memory storage for frames of `size` (no-op when already done).
    @discardableResult
    public func prepare(for size: ImageSize) -> Workspace {
        if let ws = workspace, ws.height == size.height, ws.width == size.width { return ws }
        let ws = network.makeWorkspace(height: size.height, width: size.width, references: memory.capacity, threads: threads)
        let s8 = network.widths.alignSize / 8
        memory.prepare(height: size.height, width: size.width, featureShape: [network.widths.a3, s8, s8])
        lastFilled = Mask(width: size.width, height: size.height, fill: 0)
        workspace = ws
        return ws
    }

    /// Restores the hole pixels (`holes` ≠ 0) of `frame` in place; valid pixels are not touched.
    /// Returns false when the frame was skipped: it has no holes, or no reference is held yet.
    /// Either way the frame is offered to the reference memory.
    public func restore(frame: inout RGBImage, holes: Mask) throws(CPNetError) -> Bool {
        try checkSize(frame, holes)
        // First, so a change of frame size (which empties the memory) is seen by the check below.
        let ws = prepare(for: frame.size)
        guard holes.setCount > 0, memory.count > 0 else {
            remember(frame, holes: holes)
            return false
        }
        Self.load(frame, holes: holes, rgb: ws.targetRGB.data, valid: ws.targetValid.data)
        let references = memory.count
        lastReferenceSlots.removeAll(keepingCapacity: true)
        for slot in memory.occupied { lastReferenceSlots.append(slot) }
        orderOldestFirst()
        lastTimings = network.restore(ws: ws, memory: memory, through: lastStage)
        // Write back only the hole pixels; valid ones keep their exact bytes.
        let n = frame.width * frame.height, out = ws.output.data
        var unseen = 0
        let input = ws.targetRGB.data, alignedRGB = ws.alignedRGB.data, aligned = ws.alignedValid.data
        let similarity = ws.globalSimilarity.data
        let paste = self.paste
        lastOldestFirst.withUnsafeBufferPointer { oldestFirst in
            holes.values.withUnsafeBufferPointer { h in
                lastFilled.values.withUnsafeMutableBufferPointer { filled in
                    frame.pixels.withUnsafeMutableBufferPointer { px in
                        for i in 0..<n {
                            filled[i] = 0
                            guard h[i] != 0 else { continue }
                            // Seen: some aligned reference shows the pixel ([K, 1, H, W] visibility).
                            let seen: Bool
                            switch paste {
                            case .oldestAligned:
                                seen = CPNetwork.copyFirst(pixel: i, planeSize: n, preference: oldestFirst, alignedRGB: alignedRGB,
                                                           alignedValid: aligned, into: out)
                            case .blendAligned:
                                seen = CPNetwork.copyAligned(pixel: i, planeSize: n, count: references, alignedRGB: alignedRGB,
                                                             alignedValid: aligned, similarity: similarity, into: out)
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
                            for c in 0..<3 { px[i * 3 + c] = UInt8(min(max(out[c * n + i] * 255 + 0.5, 0), 255)) }
                        }
                    }
                }
            }
        }
        // The restored frame is a reference (the paper's reference update); pixels left as filmed
        // stay holes there.
        let start = Clock.seconds()
        lastAdmittedSlot = memory.offer(holeFraction: Double(unseen) / Double(n))
        if let slot = lastAdmittedSlot {
            memory.rgb[slot].data.update(from: out, count: 3 * n)
            memory.valid[slot].fill(1)
            if unseen > 0 {
                let valid = memory.valid[slot].data
                lastFilled.values.withUnsafeBufferPointer { filled in
                    holes.values.withUnsafeBufferPointer { h in
                        for i in 0..<n where h[i] != 0 && filled[i] == 0 { valid[i] = 0 }
                    }
                }
            }
            cacheFeatures(slot: slot, ws: ws)
        }
        lastTimings.alignment += Clock.seconds() - start
        return true
    }

    /// The last network stage a step needs. The decoder's prediction is read only for holes it
    /// fills: with aligned pasting that is the unseen ones, and only when they are filled at all;
    /// the context matching only for blending; copying the oldest reference reads θ and the
    /// aligned references alone (the copy encoder, two thirds of the step, is skipped).
    public var lastStage: CPNetwork.LastStage {
        if paste == .decoder || fillUnseen { return .decoder }
        return paste == .blendAligned ? .matching : .warp
    }

    /// `lastOldestFirst` for `lastReferenceSlots`: by admission order, oldest first (insertion
    /// sort: K is a handful, and it allocates nothing).
    private func orderOldestFirst() {
        lastOldestFirst.removeAll(keepingCapacity: true)
        func sequence(_ k: Int) -> Int { memory.entries[lastReferenceSlots[k]]?.sequence ?? Int.max }
        for k in lastReferenceSlots.indices {
            var at = lastOldestFirst.count
            while at > 0, sequence(lastOldestFirst[at - 1]) > sequence(k) { at -= 1 }
            lastOldestFirst.insert(k, at: at)
        }
    }

    /// Offers a frame to the reference memory without restoring it (e.g. frames before the first
    /// hole, or a clean frame from another source).
    public func remember(_ frame: RGBImage, holes: Mask) {
        lastAdmittedSlot = nil
        guard frame.width > 0, frame.height > 0, holes.width == frame.width, holes.height == frame.height else { return }
        let ws = prepare(for: frame.size)
        lastAdmittedSlot = memory.offer(holeFraction: holes.coverage)
        guard let slot = lastAdmittedSlot else { return }
        Self.load(frame, holes: holes, rgb: memory.rgb[slot].data, valid: memory.valid[slot].data)
        cacheFeatures(slot: slot, ws: ws)
    }

    /// Forgets all references (a cut, a new drive). Buffers are kept.
    public func reset() {
        memory.clear()
        lastAdmittedSlot = nil
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

    /// RGB8 → [3, H, W] in [0, 1]; holes → visibility [1, H, W] (1 valid, 0 hole).
    public static func load(_ frame: RGBImage, holes: Mask, rgb: UnsafeMutablePointer<Float>, valid: UnsafeMutablePointer<Float>) {
        let n = frame.width * frame.height
        frame.pixels.withUnsafeBufferPointer { px in
            for i in 0..<n {
                rgb[i] = Float(px[i * 3]) / 255
                rgb[n + i] = Float(px[i * 3 + 1]) / 255
                rgb[2 * n + i] = Float(px[i * 3 + 2]) / 255
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
    /// The aligned pixel of the longest-held reference that shows it (`CPNetwork.copyFirst`).
    case oldestAligned = "oldest"
    /// The aligned reference pixels, weighted by the context matching (cpnet.md §5).
    case blendAligned = "blend"

    /// Whether seen hole pixels are copied from the aligned references (not the decoder).
    public var copiesAligned: Bool { self != .decoder }
}
