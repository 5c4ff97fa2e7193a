import NeuralEngine

/// The symmetric zero padding that makes H and W multiples of 8 (cpnet.md conventions):
/// top = (H8 − H)/2 rounded down, the odd row to the bottom; likewise left/right.
public struct Padding: Equatable, Sendable {
    public let height, width, paddedHeight, paddedWidth, top, left: Int
    public init(height: Int, width: Int, multiple: Int = 8) {
        self.height = height
        self.width = width
        paddedHeight = (height + multiple - 1) / multiple * multiple
        paddedWidth = (width + multiple - 1) / multiple * multiple
        top = (paddedHeight - height) / 2
        left = (paddedWidth - width) / 2
    }
}

/// Every activation buffer of one restoration step, allocated once for a frame size and a number
/// of references (the llama2.c `RunState` habit) and reused for every frame.
public final class Workspace: @unchecked Sendable {
    public let height, width, references: Int
    public let padding: Padding
    /// Feature resolution of the copy/paste path: H8/4 × W8/4.
    public let featureHeight, featureWidth: Int
    public let alignSize: Int
    /// Threads the kernels may use.
    public let threads: Int

    // Inputs of the step.
    /// The target frame [3, H, W] in [0, 1] and its visibility [1, H, W] (1 valid, 0 hole).
    public let targetRGB, targetValid: Tensor
    /// Unpadded 4-channel network input [4, H, W] (reused for target and references).
    let networkInput: Tensor
    /// Network input padded to [4, H8, W8].
    let paddedInput: Tensor

    // §1–2
    public let alignmentInput: Tensor      // [4, S, S]
    public let targetAlignment: Tensor     // [a3, S/8, S/8]
    let regressorInput: Tensor             // [2·a3, S/8, S/8]
    let pooled: Tensor                     // [r]
    public let theta: Tensor               // [K, 2, 3]
    // §3
    public let alignedRGB: Tensor          // [K, 3, H, W]
    public let alignedValid: Tensor        // [K, 1, H, W]
    // §4
    public let targetFeatures: Tensor      // [e2, h, w]
    public let referenceFeatures: Tensor   // [K, e2, h, w]
    public let targetVisibility: Tensor    // [h, w] (0/1)
    public let referenceVisibility: Tensor // [K, h, w] (0/1)
    // §5
    public let globalSimilarity: Tensor    // [K]
    public let matchWeights: Tensor        // [K, 1, h, w]
    public let pasteInput: Tensor          // [p, h, w]
    // §6
    public let prediction: Tensor          // [3, H, W], de-normalized, cropped
    public let output: Tensor              // [3, H, W], composited and clamped

    /// Ping-pong activations shared by all sub-networks (they run one after another).
    let bufferA, bufferB: Tensor
    let scratch: ConvScratch
    /// Seconds spent inside convolutions since the last reset (for the benchmark's % of sgemm peak).
    public var convolutionSeconds: Double = 0
    /// Tensors this workspace allocated (all at init): a per-frame path adds none.
    public let tensorCount: Int

    public init(architecture arch: Architecture, height: Int, width: Int, references: Int, threads: Int,
                tileFloats: Int = ConvScratch.defaultTileFloats) {
        let before = Tensor.allocations
        let w = arch.widths
        self.height = height
        self.width = width
        self.references = references
        padding = Padding(height: height, width: width)
        featureHeight = padding.paddedHeight / 4
        featureWidth = padding.paddedWidth / 4
        alignSize = w.alignSize
        self.threads = max(1, threads)
        let k = max(references, 1), s8 = w.alignSize / 8, fh = featureHeight, fw = featureWidth
        let ph = padding.paddedHeight, pw = padding.paddedWidth

        targetRGB = Tensor(shape: [3, height, width])
        targetValid = Tensor(shape: [1, height, width])
        networkInput = Tensor(shape: [4, height, width])
        paddedInput = Tensor(shape: [4, ph, pw])
        alignmentInput = Tensor(shape: [4, w.alignSize, w.alignSize])
        targetAlignment = Tensor(shape: [w.a3, s8, s8])
        regressorInput = Tensor(shape: [2 * w.a3, s8, s8])
        pooled = Tensor(shape: [w.r])
        theta = Tensor(shape: [k, 2, 3])
        alignedRGB = Tensor(shape: [k, 3, height, width])
        alignedValid = Tensor(shape: [k, 1, height, width])
        targetFeatures = Tensor(shape: [w.e2, fh, fw])
        referenceFeatures = Tensor(shape: [k, w.e2, fh, fw])
        targetVisibility = Tensor(shape: [fh, fw])
        referenceVisibility = Tensor(shape: [k, fh, fw])
        globalSimilarity = Tensor(shape: [k])
        matchWeights = Tensor(shape: [k, 1, fh, fw])
        pasteInput = Tensor(shape: [w.p, fh, fw])
        prediction = Tensor(shape: [3, height, width])
        output = Tensor(shape: [3, height, width])

        // Size the shared buffers and the im2col scratch by walking every chain once.
        var largest = 0, scratchFloats = 0
        func walk(_ layers: [ConvLayer], _ h0: Int, _ w0: Int, upsample: Set<Int> = []) {
            var h = h0, ww = w0
            for (i, l) in layers.enumerated() {
                if upsample.contains(i) { h *= 2; ww *= 2; largest = max(largest, l.inChannels * h * ww) }
                scratchFloats = max(scratchFloats, ConvScratch.floatsNeeded(l, height: h, width: ww, tileFloats: tileFloats))
                h = l.outputSize(h); ww = l.outputSize(ww)
                largest = max(largest, l.outChannels * h * ww)
            }
        }
        walk(arch.alignmentEncoder, w.alignSize, w.alignSize)
        walk(arch.alignmentRegressor, s8, s8)
        walk(arch.copyEncoder, ph, pw)
        walk(arch.pasteDecoder, fh, fw, upsample: Architecture.decoderUpsampleBefore)
        bufferA = Tensor(shape: [largest])
        bufferB = Tensor(shape: [largest])
        scratch = ConvScratch(threads: threads, floatsPerThread: scratchFloats)
        tensorCount = Tensor.allocations - before
    }

    /// Bytes held by this workspace's buffers.
    public var bytes: Int {
        [targetRGB, targetValid, networkInput, paddedInput, alignmentInput, targetAlignment, regressorInput, pooled,
         theta, alignedRGB, alignedValid, targetFeatures, referenceFeatures, targetVisibility, referenceVisibility,
         globalSimilarity, matchWeights, pasteInput, prediction, output, bufferA, bufferB, scratch.storage]
            .reduce(0) { $0 + $1.count * 4 }
    }
}
