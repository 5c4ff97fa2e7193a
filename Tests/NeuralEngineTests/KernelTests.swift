import Foundation
import NeuralEngine
import Testing

/// Deterministic pseudo-random floats in [-1, 1).
struct Noise {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(state >> 40) / Float(1 << 23) - 1
    }
    mutating func tensor(_ shape: [Int]) -> Tensor {
        let t = Tensor(shape: shape)
        for i in 0..<t.count { t.data[i] = next() }
        return t
    }
}

func maxAbsDifference(_ a: UnsafePointer<Float>, _ b: [Double], count: Int) -> Double {
    var worst = 0.0
    for i in 0..<count { worst = max(worst, abs(Double(a[i]) - b[i])) }
    return worst
}

/// The obvious convolution: six nested loops in Double.
func naiveConv(_ l: ConvLayer, input: Tensor, h: Int, w: Int, weight: Tensor, bias: Tensor) -> [Double] {
    let oh = l.outputSize(h), ow = l.outputSize(w)
    var out = [Double](repeating: 0, count: l.outChannels * oh * ow)
    for o in 0..<l.outChannels {
        for y in 0..<oh {
            for x in 0..<ow {
                var sum = Double(bias.data[o])
                for c in 0..<l.inChannels {
                    for ky in 0..<l.kernel {
                        for kx in 0..<l.kernel {
                            let iy = y * l.stride - l.padding + ky * l.dilation
                            let ix = x * l.stride - l.padding + kx * l.dilation
                            guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                            sum += Double(input.data[(c * h + iy) * w + ix]) *
                                Double(weight.data[((o * l.inChannels + c) * l.kernel + ky) * l.kernel + kx])
                        }
                    }
                }
                out[(o * oh + y) * ow + x] = l.relu ? max(sum, 0) : sum
            }
        }
    }
    return out
}

@Suite("NeuralEngine kernels")
struct KernelTests {
    struct ConvCase: CustomTestStringConvertible, Sendable {
        var layer: ConvLayer
        var h: Int, w: Int
        var testDescription: String { "\(layer) on \(h)x\(w)" }
    }

    static let convCases: [ConvCase] = [
        ConvCase(layer: ConvLayer(3, 3, 5), h: 7, w: 9),
        ConvCase(layer: ConvLayer(5, stride: 2, 4, 6), h: 11, w: 10),
        ConvCase(layer: ConvLayer(3, stride: 2, 5, 7), h: 9, w: 13),
        ConvCase(layer: ConvLayer(3, dilation: 2, 3, 4), h: 9, w: 13),
        ConvCase(layer: ConvLayer(3, dilation: 4, 2, 3, relu: false), h: 5, w: 11),
        ConvCase(layer: ConvLayer(3, dilation: 16, 3, 2), h: 6, w: 40),   // dilation wider than the image
        ConvCase(layer: ConvLayer(5, 3, 3, relu: false), h: 1, w: 1),
        ConvCase(layer: ConvLayer(3, stride: 2, 8, 9), h: 2, w: 3),        // fewer output rows than threads
        ConvCase(layer: ConvLayer(inChannels: 2, outChannels: 3, kernel: 3, stride: 3, dilation: 1, padding: 0, relu: true), h: 10, w: 8),
    ]

    @Test(arguments: convCases, [1, 2])
    func convolutionMatchesNaiveLoops(_ c: ConvCase, threads: Int) {
        var noise = Noise(UInt64(c.h * 131 + c.w * 7 + c.layer.kernel))
        let input = noise.tensor([c.layer.inChannels, c.h, c.w])
        let weight = noise.tensor(c.layer.weightShape), bias = noise.tensor([c.layer.outChannels])
        let expected = naiveConv(c.layer, input: input, h: c.h, w: c.w, weight: weight, bias: bias)
        // Whole-output tiles, and the smallest tiles (one output row each) to exercise tiling.
        let full = ConvScratch.floatsNeeded(c.layer, height: c.h, width: c.w)
        let oneRow = c.layer.patchSize * c.layer.outputSize(c.w)
        for floats in [full, oneRow] {
            let out = Tensor(shape: [c.layer.outChannels, c.layer.outputSize(c.h), c.layer.outputSize(c.w)], fill: .nan)
            Conv2D.forward(c.layer, input: input.data, height: c.h, width: c.w, weight: weight.data, bias: bias.data,
                           output: out.data, scratch: ConvScratch(threads: threads, floatsPerThread: floats, parallelThreshold: 0))
            #expect(maxAbsDifference(out.data, expected, count: out.count) < 1e-4)
        }
    }

    @Test func bilinearResizeMatchesPyTorchHalfPixelDefinition() {
        var noise = Noise(3)
        for (ih, iw, oh, ow) in [(7, 9, 3, 4), (5, 6, 11, 13), (64, 96, 16, 16), (4, 4, 2, 2), (1, 5, 3, 2)] {
            let input = noise.tensor([2, ih, iw])
            let out = Tensor(shape: [2, oh, ow])
            Resample.bilinear(input.data, channels: 2, height: ih, width: iw, into: out.data, outHeight: oh, outWidth: ow)
            var expected: [Double] = []
            for c in 0..<2 {
                for y in 0..<oh {
                    for x in 0..<ow {
                        // PyTorch upsample_bilinear2d, align_corners=False: clamp negative sources to 0.
                        let sy = max((Double(y) + 0.5) * Double(ih) / Double(oh) - 0.5, 0)
                        let sx = max((Double(x) + 0.5) * Double(iw) / Double(ow) - 0.5, 0)
                        let y0 = Int(sy), x0 = Int(sx), y1 = min(y0 + 1, ih - 1), x1 = min(x0 + 1, iw - 1)
                        let ly = sy - Double(y0), lx = sx - Double(x0)
                        func at(_ yy: Int, _ xx: Int) -> Double { Double(input.data[(c * ih + yy) * iw + xx]) }
                        expected.append((1 - ly) * ((1 - lx) * at(y0, x0) + lx * at(y0, x1)) + ly * ((1 - lx) * at(y1, x0) + lx * at(y1, x1)))
                    }
                }
            }
            #expect(maxAbsDifference(out.data, expected, count: out.count) < 1e-5)
        }
        // Halving a 4×4 image averages each 2×2 block exactly.
        let ramp = Tensor(shape: [1, 4, 4], values: (0..<16).map(Float.init))
        let half = Tensor(shape: [1, 2, 2])
        Resample.bilinear(ramp.data, channels: 1, height: 4, width: 4, into: half.data, outHeight: 2, outWidth: 2)
        #expect(half.values == [2.5, 4.5, 10.5, 12.5])
    }

    @Test func nearestUpsampleRepeatsEachPixelTwiceInBothDirections() {
        let input = Tensor(shape: [2, 2, 3], values: (0..<12).map(Float.init))
        let out = Tensor(shape: [2, 4, 6])
        Resample.nearestUpsample2x(input.data, channels: 2, height: 2, width: 3, into: out.data)
        for c in 0..<2 { for y in 0..<4 { for x in 0..<6 {
            #expect(out.data[(c * 4 + y) * 6 + x] == input.data[(c * 2 + y / 2) * 3 + x / 2])
        } } }
    }

    /// grid_sample(affine_grid(θ)) written out in Double, straight from the PyTorch docs.
    func naiveGridSample(_ input: Tensor, c: Int, h: Int, w: Int, theta: [Double], oh: Int, ow: Int) -> [Double] {
        var out = [Double](repeating: 0, count: c * oh * ow)
        for i in 0..<oh {
            for j in 0..<ow {
                let x = (2 * Double(j) + 1) / Double(ow) - 1, y = (2 * Double(i) + 1) / Double(oh) - 1
                let gx = theta[0] * x + theta[1] * y + theta[2], gy = theta[3] * x + theta[4] * y + theta[5]
                let ix = ((gx + 1) * Double(w) - 1) / 2, iy = ((gy + 1) * Double(h) - 1) / 2
                let x0 = Int(ix.rounded(.down)), y0 = Int(iy.rounded(.down))
                for ch in 0..<c {
                    var v = 0.0
                    for (yy, wy) in [(y0, 1 - (iy - Double(y0))), (y0 + 1, iy - Double(y0))] {
                        for (xx, wx) in [(x0, 1 - (ix - Double(x0))), (x0 + 1, ix - Double(x0))] where yy >= 0 && yy < h && xx >= 0 && xx < w {
                            v += wy * wx * Double(input.data[(ch * h + yy) * w + xx])
                        }
                    }
                    out[(ch * oh + i) * ow + j] = v
                }
            }
        }
        return out
    }

    @Test func affineGridSampleMatchesReferenceWithZeroPadding() {
        var noise = Noise(11)
        let thetas: [[Float]] = [
            [1, 0, 0, 0, 1, 0],
            [1, 0, 0.3, 0, 1, -0.2],                 // translation: samples fall outside → zeros
            [0.9, 0.1, 0.05, -0.12, 1.1, 0.02],      // rotation + scale + shear
            [1.6, 0, 0, 0, 0.5, 0.9],
        ]
        for (h, w) in [(7, 9), (16, 5), (13, 13)] {
            let input = noise.tensor([3, h, w])
            for theta in thetas {
                let t = Tensor(shape: [6], values: theta)
                let out = Tensor(shape: [3, h, w])
                Resample.affineGridSample(input.data, channels: 3, height: h, width: w, theta: t.data, into: out.data, outHeight: h, outWidth: w)
                let expected = naiveGridSample(input, c: 3, h: h, w: w, theta: theta.map(Double.init), oh: h, ow: w)
                #expect(maxAbsDifference(out.data, expected, count: out.count) < 1e-5)
                // Split over threads, with a companion image sampled on the same grid.
                let rgb = Tensor(shape: [2, h, w]), companion = Tensor(shape: [1, h, w])
                Resample.affineGridSample(input.data, channels: 2, height: h, width: w, theta: t.data, into: rgb.data, outHeight: h, outWidth: w,
                                          companion: .init(input: input.data + 2 * h * w, channels: 1, output: companion.data), threads: 2)
                #expect(maxAbsDifference(rgb.data, Array(expected[0..<(2 * h * w)]), count: rgb.count) < 1e-5)
                #expect(maxAbsDifference(companion.data, Array(expected[(2 * h * w)...]), count: companion.count) < 1e-5)
            }
            // The identity transform reproduces the image (pixel centres map onto themselves).
            let identity = Tensor(shape: [6], values: [1, 0, 0, 0, 1, 0]), out = Tensor(shape: [3, h, w])
            Resample.affineGridSample(input.data, channels: 3, height: h, width: w, theta: identity.data, into: out.data, outHeight: h, outWidth: w)
            #expect(maxAbsDifference(out.data, input.values.map(Double.init), count: out.count) < 1e-5)
        }
    }

    @Test func poolLinearPadAndCropAgreeWithTheirDefinitions() {
        var noise = Noise(5)
        let x = noise.tensor([3, 4, 5])
        let pooled = Tensor(shape: [3])
        Ops.globalAveragePool(x.data, channels: 3, spatial: 20, into: pooled.data)
        for c in 0..<3 {
            let mean = (0..<20).map { Double(x.data[c * 20 + $0]) }.reduce(0, +) / 20
            #expect(abs(Double(pooled.data[c]) - mean) < 1e-6)
        }
        let weight = noise.tensor([6, 3]), bias = noise.tensor([6]), y = Tensor(shape: [6])
        Ops.linear(pooled.data, inFeatures: 3, weight: weight.data, bias: bias.data, outFeatures: 6, into: y.data)
        for o in 0..<6 {
            let expected = (0..<3).map { Double(weight.data[o * 3 + $0]) * Double(pooled.data[$0]) }.reduce(Double(bias.data[o]), +)
            #expect(abs(Double(y.data[o]) - expected) < 1e-6)
        }
        // Pad 4×5 to 8×8 at (top 2, left 1): border is zero, crop gives the original back.
        let padded = Tensor(shape: [3, 8, 8], fill: 7)
        Ops.pad(x.data, channels: 3, height: 4, width: 5, top: 2, left: 1, into: padded.data, outHeight: 8, outWidth: 8)
        #expect(padded.data[0] == 0 && padded.data[2 * 8 + 1] == x.data[0] && padded.data[(2 * 8 + 7) * 8 + 7] == 0)
        let cropped = Tensor(shape: [3, 4, 5])
        Ops.crop(padded.data, channels: 3, inHeight: 8, inWidth: 8, top: 2, left: 1, into: cropped.data, height: 4, width: 5)
        #expect(cropped.values == x.values)
        let r = Tensor(shape: [4], values: [-1, 0, 2, -.infinity])
        Ops.relu(r.data, count: 4)
        #expect(r.values == [0, 0, 2, 0])
    }
}
