import NeuralEngine
#if canImport(Glibc)
import Glibc
#endif

/// The copy-and-paste network's forward pass (cpnet.md §1–6), one function per sub-network in the
/// paper's order. Weights point into the mapped file (`CPNetWeights`); every activation lives in a
/// `Workspace`; the arithmetic lives in NeuralEngine kernels.
public final class CPNetwork: @unchecked Sendable {
    public let weights: CPNetWeights
    public var architecture: Architecture { weights.architecture }
    public var widths: Widths { weights.architecture.widths }

    /// ImageNet statistics of the normalisation (cpnet.md conventions).
    static let mean: [Float] = [0.485, 0.456, 0.406]
    static let std: [Float] = [0.229, 0.224, 0.225]

    public init(weights: CPNetWeights) { self.weights = weights }

    public func makeWorkspace(height: Int, width: Int, references: Int, threads: Int,
                              tileFloats: Int = ConvScratch.defaultTileFloats) -> Workspace {
        Workspace(architecture: architecture, height: height, width: width, references: references, threads: threads, tileFloats: tileFloats)
    }

    // MARK: Network input

    /// concat((rgb − mean)/std · V, V) → [4, H, W] (cpnet.md: hole pixels are 0 after normalizing).
    static func networkInput(rgb: UnsafePointer<Float>, valid: UnsafePointer<Float>, count: Int,
                             into out: UnsafeMutablePointer<Float>) {
        for c in 0..<3 {
            let m = mean[c], s = std[c], src = rgb + c * count, dst = out + c * count
            for i in 0..<count { dst[i] = (src[i] - m) / s * valid[i] }
        }
        (out + 3 * count).update(from: valid, count: count)
    }

    // MARK: §1 Alignment encoder

    /// AE features [a3, S/8, S/8] of a frame: its network input resized bilinearly to S×S, then 7 convs.
    public func alignmentFeatures(rgb: UnsafePointer<Float>, valid: UnsafePointer<Float>, ws: Workspace,
                                  into features: UnsafeMutablePointer<Float>) {
        let s = ws.alignSize
        Self.networkInput(rgb: rgb, valid: valid, count: ws.height * ws.width, into: ws.networkInput.data)
        Resample.bilinear(ws.networkInput.data, channels: 4, height: ws.height, width: ws.width,
                          into: ws.alignmentInput.data, outHeight: s, outWidth: s)
        _ = runChain(weights.alignmentEncoder, input: ws.alignmentInput.data, height: s, width: s, ws: ws, output: features)
    }

    // MARK: §2 Alignment regressor

    /// θ [2, 3] mapping target coordinates to the reference's, from both AE feature maps.
    public func alignmentRegressor(target: UnsafePointer<Float>, reference: UnsafePointer<Float>, ws: Workspace,
                                   theta: UnsafeMutablePointer<Float>) {
        let a3 = widths.a3, s8 = ws.alignSize / 8, plane = a3 * s8 * s8
        ws.regressorInput.data.update(from: target, count: plane)
        (ws.regressorInput.data + plane).update(from: reference, count: plane)
        let (x, h, w) = runChain(weights.alignmentRegressor, input: ws.regressorInput.data, height: s8, width: s8, ws: ws, output: nil)
        Ops.globalAveragePool(x, channels: widths.r, spatial: h * w, into: ws.pooled.data)
        Ops.linear(ws.pooled.data, inFeatures: widths.r, weight: weights.regressorFCWeight, bias: weights.regressorFCBias,
                   outFeatures: 6, into: theta)
    }

    // MARK: §3 Warp

    /// aligned = grid_sample(ref, θ); aligned V = [grid_sample(ref V, θ) > 0.5], at full resolution.
    public func warp(rgb: UnsafePointer<Float>, valid: UnsafePointer<Float>, theta: UnsafePointer<Float>, ws: Workspace,
                     alignedRGB: UnsafeMutablePointer<Float>, alignedValid: UnsafeMutablePointer<Float>) {
        Self.warp(rgb: rgb, valid: valid, theta: theta, height: ws.height, width: ws.width, threads: ws.threads,
                  alignedRGB: alignedRGB, alignedValid: alignedValid)
    }

    /// The warp of one frame of any size: θ is in normalized coordinates, so a θ found on
    /// reduced frames warps the full-size frames too.
    public static func warp(rgb: UnsafePointer<Float>, valid: UnsafePointer<Float>, theta: UnsafePointer<Float>,
                            height h: Int, width w: Int, threads: Int,
                            alignedRGB: UnsafeMutablePointer<Float>, alignedValid: UnsafeMutablePointer<Float>) {
        Resample.affineGridSample(rgb, channels: 3, height: h, width: w, theta: theta, into: alignedRGB, outHeight: h, outWidth: w,
                                  companion: .init(input: valid, channels: 1, output: alignedValid), threads: threads)
        for i in 0..<(h * w) { alignedValid[i] = alignedValid[i] > 0.5 ? 1 : 0 }
    }

    // MARK: §4 Copy encoder

    /// Features [e2, H8/4, W8/4] of a frame padded to multiples of 8, and its visibility at feature
    /// resolution (channel 3 of the padded input, bilinearly downsampled, > 0.5).
    public func copyEncoder(rgb: UnsafePointer<Float>, valid: UnsafePointer<Float>, ws: Workspace,
                            features: UnsafeMutablePointer<Float>, visibility: UnsafeMutablePointer<Float>) {
        let pad = ws.padding
        Self.networkInput(rgb: rgb, valid: valid, count: ws.height * ws.width, into: ws.networkInput.data)
        Ops.pad(ws.networkInput.data, channels: 4, height: ws.height, width: ws.width, top: pad.top, left: pad.left,
                into: ws.paddedInput.data, outHeight: pad.paddedHeight, outWidth: pad.paddedWidth)
        let fh = ws.featureHeight, fw = ws.featureWidth
        Resample.bilinear(ws.paddedInput.data + 3 * pad.paddedHeight * pad.paddedWidth, channels: 1,
                          height: pad.paddedHeight, width: pad.paddedWidth, into: visibility, outHeight: fh, outWidth: fw)
        for i in 0..<(fh * fw) { visibility[i] = visibility[i] > 0.5 ? 1 : 0 }
        _ = runChain(weights.copyEncoder, input: ws.paddedInput.data, height: pad.paddedHeight, width: pad.paddedWidth,
                     ws: ws, output: features)
    }

    // MARK: §5 Context matching

    /// Paste input concat(T, A, M) [p, h, w] from the target's and `count` references' features.
    public func contextMatching(ws: Workspace, count: Int) {
        let c = widths.e2, hw = ws.featureHeight * ws.featureWidth
        let t = ws.targetFeatures.data, vt = ws.targetVisibility.data
        let g = ws.globalSimilarity.data
        // Global similarity g_k over pixels visible in both.
        var gMax = -Float.infinity
        for k in 0..<count {
            let r = ws.referenceFeatures.slice(k), vk = ws.referenceVisibility.slice(k)
            var overlap: Float = 0
            for x in 0..<hw { overlap += vt[x] * vk[x] }
            var num: Float = 0
            if overlap > 0 {
                for ch in 0..<c {
                    let tp = t + ch * hw, rp = r + ch * hw
                    for x in 0..<hw where vt[x] * vk[x] != 0 { num += tp[x] * rp[x] }
                }
            }
            g[k] = overlap > 0 ? num / (Float(c) * overlap) : 0
            gMax = max(gMax, g[k])
        }
        for k in 0..<count { g[k] = expf(g[k] - gMax) }
        // Masked softmax per pixel, aggregate A, never-visible M.
        let paste = ws.pasteInput.data
        paste.update(from: t, count: c * hw)
        let aggregate = paste + c * hw, never = paste + 2 * c * hw
        aggregate.update(repeating: 0, count: c * hw)
        for x in 0..<hw {
            var total: Float = 0
            for k in 0..<count { total += ws.referenceVisibility.slice(k)[x] * g[k] }
            var seen: Float = 0
            for k in 0..<count {
                let vk = ws.referenceVisibility.slice(k)[x]
                let wk = total > 0 ? vk * g[k] / total : 0
                ws.matchWeights.slice(k)[x] = wk
                seen += wk * vk
            }
            never[x] = 1 - seen
        }
        for k in 0..<count {
            let wk = ws.matchWeights.slice(k), r = ws.referenceFeatures.slice(k)
            for ch in 0..<c {
                let a = aggregate + ch * hw, rp = r + ch * hw
                for x in 0..<hw { a[x] += wk[x] * rp[x] }
            }
        }
    }

    // MARK: §6 Paste decoder

    /// Prediction [3, H, W]: decoder on the paste input, de-normalized, padding cropped.
    public func pasteDecoder(ws: Workspace, prediction: UnsafeMutablePointer<Float>) {
        let pad = ws.padding
        let (x, _, _) = runChain(weights.pasteDecoder, input: ws.pasteInput.data, height: ws.featureHeight,
                                 width: ws.featureWidth, ws: ws, output: nil, upsampleBefore: Architecture.decoderUpsampleBefore)
        Ops.crop(x, channels: 3, inHeight: pad.paddedHeight, inWidth: pad.paddedWidth, top: pad.top, left: pad.left,
                 into: prediction, height: ws.height, width: ws.width)
        let n = ws.height * ws.width
        for c in 0..<3 {
            let p = prediction + c * n, s = Self.std[c], m = Self.mean[c]
            for i in 0..<n { p[i] = p[i] * s + m }
        }
    }

    // MARK: The restoration step

    /// How far a restoration step runs: the stages after the last one a caller reads are skipped.
    public enum LastStage: String, Sendable, CaseIterable, Comparable {
        /// §1–2: θ alone (`ws.theta`), all that copying one aligned reference per pixel reads
        /// (`AlignedPaste.firstShowing` samples each reference where θ maps the pixel).
        case alignment
        /// §1–3: also the aligned references (`ws.alignedRGB`, `ws.alignedValid`).
        case warp
        /// §1–5: also the copy encoder and context matching (`ws.globalSimilarity`, the paste
        /// input), which blending the references reads.
        case matching
        /// §1–6: also the paste decoder's prediction, composited into `ws.output` (the paper).
        case decoder

        public static func < (a: LastStage, b: LastStage) -> Bool { a.order < b.order }
        private var order: Int {
            switch self {
            case .alignment: 0
            case .warp: 1
            case .matching: 2
            case .decoder: 3
            }
        }
    }

    /// One step for the target in `ws.targetRGB`/`ws.targetValid` with the references held in
    /// `memory` (their AE features already cached there). Result in `ws.output`; returns the
    /// time per stage. Allocates nothing.
    /// - Parameter last: the last stage to run. Before `.decoder` the output's hole pixels hold
    ///   the input's until the caller fills them (the restorer pastes aligned pixels and leaves
    ///   unseen holes as filmed).
    @discardableResult
    public func restore(ws: Workspace, memory: ReferenceMemory, through last: LastStage = .decoder) -> StageTimings {
        var timings = StageTimings()
        let count = min(memory.occupied.count, ws.references)
        let rgb = ws.targetRGB.data, valid = ws.targetValid.data
        var t0 = Clock.seconds()
        func lap(_ stage: WritableKeyPath<StageTimings, Double>) {
            let now = Clock.seconds()
            timings[keyPath: stage] += now - t0
            t0 = now
        }
        // §1–2: align every reference to the target.
        alignmentFeatures(rgb: rgb, valid: valid, ws: ws, into: ws.targetAlignment.data)
        for k in 0..<count {
            alignmentRegressor(target: ws.targetAlignment.data, reference: memory.features[memory.occupied[k]].data,
                               ws: ws, theta: ws.theta.slice(k))
        }
        lap(\.alignment)
        let n = ws.height * ws.width, out = ws.output.data
        guard last > .alignment else {
            out.update(from: rgb, count: 3 * n)
            return timings
        }
        // §3: warp at full resolution.
        for k in 0..<count {
            let slot = memory.occupied[k]
            warp(rgb: memory.rgb[slot].data, valid: memory.valid[slot].data, theta: ws.theta.slice(k), ws: ws,
                 alignedRGB: ws.alignedRGB.slice(k), alignedValid: ws.alignedValid.slice(k))
        }
        lap(\.warp)
        guard last > .warp else {
            out.update(from: rgb, count: 3 * n)
            return timings
        }
        // §4: copy encoder on the target and each aligned reference.
        copyEncoder(rgb: rgb, valid: valid, ws: ws, features: ws.targetFeatures.data, visibility: ws.targetVisibility.data)
        for k in 0..<count {
            copyEncoder(rgb: ws.alignedRGB.slice(k), valid: ws.alignedValid.slice(k), ws: ws,
                        features: ws.referenceFeatures.slice(k), visibility: ws.referenceVisibility.slice(k))
        }
        lap(\.encode)
        // §5
        contextMatching(ws: ws, count: count)
        lap(\.match)
        // §6, then composite: valid pixels pass through, holes take the prediction.
        guard last > .matching else {
            out.update(from: rgb, count: 3 * n)
            lap(\.decode)
            return timings
        }
        let pred = ws.prediction.data
        pasteDecoder(ws: ws, prediction: pred)
        for c in 0..<3 {
            for i in 0..<n {
                let v = valid[i]
                out[c * n + i] = min(max(pred[c * n + i] * (1 - v) + rgb[c * n + i] * v, 0), 1)
            }
        }
        lap(\.decode)
        return timings
    }

    /// FLOPs (2 × multiply-adds of every convolution and linear layer) of one `restore` step with
    /// `references` references whose AE features are cached, on frames of `height`×`width`
    /// run through `last`, as `restore(…, through: last)` runs it.
    public func flopsPerStep(height: Int, width: Int, references k: Int, through last: LastStage = .decoder) -> Int {
        let arch = architecture, pad = Padding(height: height, width: width)
        let macs = arch.alignmentEncoderMACs + k * arch.alignmentRegressorMACs
            + (last >= .matching ? (k + 1) * arch.encoderMACs(height: pad.paddedHeight, width: pad.paddedWidth) : 0)
            + (last >= .decoder ? arch.decoderMACs(featureHeight: pad.paddedHeight / 4, featureWidth: pad.paddedWidth / 4) : 0)
        return 2 * macs
    }

    // MARK: Layer chains

    /// Runs `convs` from `input` through the workspace's ping-pong buffers (nearest ×2 upsampling
    /// before the layers in `upsampleBefore`); the last layer writes to `output` when given.
    /// Returns the result's pointer and spatial size.
    func runChain(_ convs: [CPNetWeights.Conv], input: UnsafePointer<Float>, height: Int, width: Int, ws: Workspace,
                  output: UnsafeMutablePointer<Float>?, upsampleBefore: Set<Int> = []) -> (UnsafeMutablePointer<Float>, Int, Int) {
        var src = input, h = height, w = width
        var result = UnsafeMutablePointer(mutating: input)
        var useA = true
        for (i, conv) in convs.enumerated() {
            if upsampleBefore.contains(i) {
                let dst = useA ? ws.bufferA.data : ws.bufferB.data
                Resample.nearestUpsample2x(src, channels: conv.layer.inChannels, height: h, width: w, into: dst)
                src = UnsafePointer(dst); h *= 2; w *= 2; useA.toggle()
            }
            let dst = (i == convs.count - 1 ? output : nil) ?? (useA ? ws.bufferA.data : ws.bufferB.data)
            let start = Clock.seconds()
            Conv2D.forward(conv.layer, input: src, height: h, width: w, weight: conv.weight, bias: conv.bias,
                           output: dst, scratch: ws.scratch)
            ws.convolutionSeconds += Clock.seconds() - start
            h = conv.layer.outputSize(h); w = conv.layer.outputSize(w)
            src = UnsafePointer(dst); result = dst; useA.toggle()
        }
        return (result, h, w)
    }
}
