import Dispatch

/// One convolution layer's hyper-parameters (PyTorch `Conv2d` semantics, zero padding).
public struct ConvLayer: Equatable, Sendable, CustomStringConvertible {
    public var inChannels: Int
    public var outChannels: Int
    public var kernel: Int
    public var stride: Int
    public var dilation: Int
    public var padding: Int
    /// ReLU after the bias (false for the *linear* layers of cpnet.md).
    public var relu: Bool

    /// cpnet.md's `conv(k, s, d, cin→cout)`: padding d·(k−1)/2.
    public init(_ kernel: Int, stride: Int = 1, dilation: Int = 1, _ inChannels: Int, _ outChannels: Int, relu: Bool = true) {
        self.init(inChannels: inChannels, outChannels: outChannels, kernel: kernel, stride: stride,
                  dilation: dilation, padding: dilation * (kernel - 1) / 2, relu: relu)
    }

    public init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int, dilation: Int, padding: Int, relu: Bool) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.dilation = dilation
        self.padding = padding
        self.relu = relu
    }

    /// Rows of the im2col matrix = columns of the weight matrix [cout, cin·k·k].
    public var patchSize: Int { inChannels * kernel * kernel }
    public var weightShape: [Int] { [outChannels, inChannels, kernel, kernel] }

    public func outputSize(_ n: Int) -> Int { (n + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1 }

    /// Multiply-accumulates for one input of `height`×`width`.
    public func macs(height: Int, width: Int) -> Int {
        outChannels * patchSize * outputSize(height) * outputSize(width)
    }

    public var description: String {
        "conv(\(kernel),\(stride),\(dilation),\(inChannels)→\(outChannels)\(relu ? "" : ", linear"))"
    }
}

/// Per-thread im2col buffers, allocated once and reused by every convolution.
public final class ConvScratch: @unchecked Sendable {
    public let threads: Int
    public let floatsPerThread: Int
    public let storage: Tensor

    /// Column budget per thread: tiles of output rows are sized so one tile's im2col fits here
    /// (2 MB). Budgets from 1 MB to 8 MB measured within noise of each other (CPU time, shared machine).
    public static let defaultTileFloats = 1 << 19

    /// Multiply-adds below which a convolution runs on the calling thread only: below ~2M a second
    /// thread costs more to wake than it saves.
    public let parallelThreshold: Int

    public init(threads: Int, floatsPerThread: Int, parallelThreshold: Int = 1 << 21) {
        self.threads = max(1, threads)
        self.parallelThreshold = parallelThreshold
        self.floatsPerThread = floatsPerThread
        storage = Tensor(shape: [self.threads, floatsPerThread])
    }

    /// The floats per thread that `layer` on an input of `height`×`width` needs: at least one
    /// output row of patches, at most the whole output or the tile budget.
    public static func floatsNeeded(_ layer: ConvLayer, height: Int, width: Int, tileFloats: Int = defaultTileFloats) -> Int {
        let oh = layer.outputSize(height), ow = layer.outputSize(width)
        let row = layer.patchSize * ow
        return max(row, min(row * oh, tileFloats))
    }
}

/// 2-D convolution as im2col + sgemm, tiled over output rows.
///
/// Layout: input [cin, H, W], weight [cout, cin, k, k] (PyTorch), output [cout, Ho, Wo].
/// For each tile of output rows the patches are unpacked into the calling thread's scratch
/// (im2col: row = (c, ky, kx), column = output pixel), multiplied by the weight matrix straight
/// into the output (ldc = Ho·Wo), then bias and ReLU are applied to the tile while it is hot in
/// cache. Tiles are spread over `scratch.threads` threads (OpenBLAS then runs single-threaded);
/// when a layer has fewer output rows than threads, the output channels are split instead.
public enum Conv2D {
    public static func forward(_ layer: ConvLayer, input: UnsafePointer<Float>, height: Int, width: Int,
                               weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                               output: UnsafeMutablePointer<Float>, scratch: ConvScratch) {
        let oh = layer.outputSize(height), ow = layer.outputSize(width)
        guard oh > 0, ow > 0 else { return }
        let patch = layer.patchSize
        let rowFloats = patch * ow
        precondition(rowFloats <= scratch.floatsPerThread, "conv scratch too small for \(layer) on \(height)x\(width)")
        let threads = patch * oh * ow * layer.outChannels < scratch.parallelThreshold ? 1 : scratch.threads
        var rowsPerTile = max(1, min(oh, scratch.floatsPerThread / rowFloats))
        var tiles = (oh + rowsPerTile - 1) / rowsPerTile
        if threads > 1 && tiles % threads != 0 && oh >= threads {
            // Round the tile count up to a multiple of the threads so they finish together.
            tiles = min(oh, (tiles + threads - 1) / threads * threads)
            rowsPerTile = (oh + tiles - 1) / tiles
            tiles = (oh + rowsPerTile - 1) / rowsPerTile
        }
        let channelSplits = (threads > 1 && tiles < threads) ? threads : 1
        let job = ConvJob(layer: layer, input: input, height: height, width: width, weight: weight, bias: bias,
                          output: output, outHeight: oh, outWidth: ow, rowsPerTile: rowsPerTile,
                          items: tiles * channelSplits, channelSplits: channelSplits, threads: threads,
                          scratch: scratch.storage.data, floatsPerThread: scratch.floatsPerThread)
        if job.items > 1 && threads > 1 {
            DispatchQueue.concurrentPerform(iterations: threads) { job.run(thread: $0) }
        } else {
            job.run(thread: 0)
        }
    }

    /// One convolution call's work split into items (row tile × channel split), shared read-only
    /// by the worker threads; each thread writes disjoint output tiles and its own scratch.
    struct ConvJob: @unchecked Sendable {
        let layer: ConvLayer
        let input: UnsafePointer<Float>
        let height: Int, width: Int
        let weight: UnsafePointer<Float>
        let bias: UnsafePointer<Float>?
        let output: UnsafeMutablePointer<Float>
        let outHeight: Int, outWidth: Int
        let rowsPerTile: Int
        let items: Int, channelSplits: Int, threads: Int
        let scratch: UnsafeMutablePointer<Float>
        let floatsPerThread: Int

        func run(thread: Int) {
            let col = scratch + thread * floatsPerThread
            let patch = layer.patchSize, ow = outWidth, outPlane = outHeight * outWidth
            var item = thread
            while item < items {
                let tile = item / channelSplits, split = item % channelSplits
                let y0 = tile * rowsPerTile, y1 = min(outHeight, y0 + rowsPerTile)
                let m0 = split * layer.outChannels / channelSplits
                let m1 = (split + 1) * layer.outChannels / channelSplits
                let cols = (y1 - y0) * ow
                if m1 > m0 && y1 > y0 {
                    Conv2D.im2col(layer, input: input, height: height, width: width, outWidth: ow, rows: y0..<y1, into: col)
                    BLAS.sgemm(m: m1 - m0, n: cols, k: patch, a: weight + m0 * patch, lda: patch,
                               b: col, ldb: cols, c: output + m0 * outPlane + y0 * ow, ldc: outPlane)
                    Conv2D.epilogue(output + y0 * ow, plane: outPlane, count: cols, channels: m0..<m1, bias: bias, relu: layer.relu)
                }
                item += threads
            }
        }
    }

    /// Bias + optional ReLU over one tile of every channel in `channels`.
    @inline(__always)
    static func epilogue(_ base: UnsafeMutablePointer<Float>, plane: Int, count: Int, channels: Range<Int>,
                         bias: UnsafePointer<Float>?, relu: Bool) {
        for m in channels {
            let p = base + m * plane
            let b = bias?[m] ?? 0
            if relu {
                for j in 0..<count { let v = p[j] + b; p[j] = v > 0 ? v : 0 }
            } else if b != 0 {
                for j in 0..<count { p[j] += b }
            }
        }
    }

    /// Unpacks the patches of output rows `rows` into `col` [cin·k·k, rows·ow], zero outside the input.
    static func im2col(_ layer: ConvLayer, input: UnsafePointer<Float>, height: Int, width: Int, outWidth ow: Int,
                       rows: Range<Int>, into col: UnsafeMutablePointer<Float>) {
        let k = layer.kernel, s = layer.stride, d = layer.dilation, pad = layer.padding
        let cols = rows.count * ow
        for c in 0..<layer.inChannels {
            let plane = input + c * height * width
            for ky in 0..<k {
                for kx in 0..<k {
                    let row = col + ((c * k + ky) * k + kx) * cols
                    let ix0 = kx * d - pad
                    // Output columns whose input column ox·s + ix0 lies inside [0, width).
                    let lo = ix0 >= 0 ? 0 : min(ow, (-ix0 + s - 1) / s)
                    let hi = ix0 > width - 1 ? 0 : min(ow, (width - 1 - ix0) / s + 1)
                    for oy in rows {
                        let dst = row + (oy - rows.lowerBound) * ow
                        let iy = oy * s - pad + ky * d
                        if iy < 0 || iy >= height || hi <= lo {
                            dst.update(repeating: 0, count: ow)
                            continue
                        }
                        let src = plane + iy * width + ix0
                        if lo > 0 { dst.update(repeating: 0, count: lo) }
                        if s == 1 {
                            (dst + lo).update(from: src + lo, count: hi - lo)
                        } else {
                            for ox in lo..<hi { dst[ox] = src[ox * s] }
                        }
                        if hi < ow { (dst + hi).update(repeating: 0, count: ow - hi) }
                    }
                }
            }
        }
    }
}
