import CPNet
import Foundation
import NeuralEngine
import Testing

/// Swift vs PyTorch on the fixtures of training/make_fixtures.py, sub-network by sub-network (each
/// fed the *PyTorch* inputs of that stage, so errors do not compound) and for the full step.
///
/// Tolerance: max abs error ≤ 1e-4 of the output's range. Float32 GEMMs summing in a different
/// order than PyTorch's (oneDNN/MKL) differ by a few ulps per layer; over the 13 decoder layers
/// that stays near 1e-6 relative. Thresholded visibilities (warp, matching) are compared exactly.
@Suite("CPNet parity with PyTorch")
struct ParityTests {
    static let tolerance = 1e-4
    let weights: CPNetWeights
    let fixtures: SafetensorsFile
    let network: CPNetwork

    init() throws {
        weights = try CPNetWeights(path: Fixtures.weightsPath)
        fixtures = try SafetensorsFile(path: Fixtures.tensorsPath)
        network = CPNetwork(weights: weights)
    }

    struct Case {
        let prefix: String
        let h: Int, w: Int, k: Int
    }

    func cases() throws -> [Case] {
        try ["main", "odd"].map { p in
            let t = try fixtures.require("\(p).input.ref_rgb")
            return Case(prefix: p, h: t.shape[2], w: t.shape[3], k: t.shape[0])
        }
    }

    func tensor(_ c: Case, _ name: String) throws -> WeightTensor { try fixtures.require("\(c.prefix).\(name)") }

    func check(_ label: String, _ actual: UnsafePointer<Float>, _ expected: WeightTensor, _ report: inout [String]) {
        let e = relativeError(actual, expected)
        report.append("\(label) \(String(format: "%.2e", e))")
        #expect(e <= Self.tolerance, "\(label): relative error \(e)")
    }

    @Test func convolutionsWithDilationAndStrideMatchTorch() throws {
        var report: [String] = []
        for (name, layer) in [("dilated_conv", ConvLayer(inChannels: 5, outChannels: 6, kernel: 3, stride: 1, dilation: 3, padding: 3, relu: false)),
                              ("strided_conv", ConvLayer(inChannels: 3, outChannels: 7, kernel: 5, stride: 2, dilation: 1, padding: 2, relu: false))] {
            let input = try fixtures.require("main.\(name).input"), expected = try fixtures.require("main.\(name).output")
            let out = Tensor(shape: expected.shape)
            Conv2D.forward(layer, input: input.data, height: input.shape[1], width: input.shape[2],
                           weight: try fixtures.require("main.\(name).weight").data, bias: try fixtures.require("main.\(name).bias").data,
                           output: out.data, scratch: ConvScratch(threads: 2, floatsPerThread: 1 << 16))
            check(name, out.data, expected, &report)
        }
        print("parity:", report.joined(separator: ", "))
    }

    @Test func everySubNetworkMatchesTorch() throws {
        for c in try cases() {
            var report: [String] = []
            let ws = network.makeWorkspace(height: c.h, width: c.w, references: c.k, threads: 2)
            let targetRGB = try tensor(c, "input.target_rgb"), targetValid = try tensor(c, "input.target_valid")
            let refRGB = try tensor(c, "input.ref_rgb"), refValid = try tensor(c, "input.ref_valid")
            let hw = c.h * c.w

            // §1 alignment encoder: its S×S input and the features of target and references.
            let aeTarget = Tensor(shape: [weights.architecture.widths.a3, 8, 8])
            network.alignmentFeatures(rgb: targetRGB.data, valid: targetValid.data, ws: ws, into: aeTarget.data)
            check("ae.input", ws.alignmentInput.data, try tensor(c, "ae.input_target"), &report)
            check("ae.target", aeTarget.data, try tensor(c, "ae.target"), &report)
            let aeRefExpected = try tensor(c, "ae.ref")
            let aeRef = Tensor(shape: aeRefExpected.shape)
            for k in 0..<c.k {
                network.alignmentFeatures(rgb: refRGB.data + k * 3 * hw, valid: refValid.data + k * hw, ws: ws, into: aeRef.slice(k))
            }
            check("ae.ref", aeRef.data, aeRefExpected, &report)

            // §2 regressor on torch's AE features.
            let thetaExpected = try tensor(c, "ar.theta")
            let theta = Tensor(shape: thetaExpected.shape)
            let plane = aeRefExpected.count / c.k
            for k in 0..<c.k {
                network.alignmentRegressor(target: try tensor(c, "ae.target").data, reference: aeRefExpected.data + k * plane,
                                           ws: ws, theta: theta.slice(k))
            }
            check("ar.theta", theta.data, thetaExpected, &report)

            // §3 warp with torch's θ; the thresholded visibility must agree exactly.
            let warpedExpected = try tensor(c, "warp.ref_rgb"), warpedValidExpected = try tensor(c, "warp.ref_valid")
            for k in 0..<c.k {
                network.warp(rgb: refRGB.data + k * 3 * hw, valid: refValid.data + k * hw, theta: thetaExpected.data + 6 * k, ws: ws,
                             alignedRGB: ws.alignedRGB.slice(k), alignedValid: ws.alignedValid.slice(k))
            }
            check("warp.rgb", ws.alignedRGB.data, warpedExpected, &report)
            let flipped = (0..<warpedValidExpected.count).filter { ws.alignedValid.data[$0] != warpedValidExpected.data[$0] }.count
            #expect(flipped == 0, "warp.valid: \(flipped) pixels differ")

            // §4 copy encoder on the target and torch's aligned references.
            network.copyEncoder(rgb: targetRGB.data, valid: targetValid.data, ws: ws,
                                features: ws.targetFeatures.data, visibility: ws.targetVisibility.data)
            check("enc.target", ws.targetFeatures.data, try tensor(c, "enc.target"), &report)
            let encRefExpected = try tensor(c, "enc.ref")
            for k in 0..<c.k {
                network.copyEncoder(rgb: warpedExpected.data + k * 3 * hw, valid: warpedValidExpected.data + k * hw, ws: ws,
                                    features: ws.referenceFeatures.slice(k), visibility: ws.referenceVisibility.slice(k))
            }
            check("enc.ref", ws.referenceFeatures.data, encRefExpected, &report)

            // §5 matching on torch's features.
            ws.targetFeatures.data.update(from: try tensor(c, "enc.target").data, count: ws.targetFeatures.count)
            ws.referenceFeatures.data.update(from: encRefExpected.data, count: encRefExpected.count)
            network.contextMatching(ws: ws, count: c.k)
            check("match.weights", ws.matchWeights.data, try tensor(c, "match.weights"), &report)
            check("match.paste_input", ws.pasteInput.data, try tensor(c, "match.paste_input"), &report)

            // §6 decoder on torch's paste input.
            let pasteExpected = try tensor(c, "match.paste_input")
            ws.pasteInput.data.update(from: pasteExpected.data, count: pasteExpected.count)
            network.pasteDecoder(ws: ws, prediction: ws.prediction.data)
            check("dec.output", ws.prediction.data, try tensor(c, "dec.output"), &report)

            print("parity \(c.prefix) (\(c.w)x\(c.h), K \(c.k)):", report.joined(separator: ", "))
        }
    }

    @Test func fullRestorationStepMatchesTorch() throws {
        for c in try cases() {
            let ws = network.makeWorkspace(height: c.h, width: c.w, references: c.k, threads: 2)
            let memory = ReferenceMemory(capacity: c.k, stride: 1)
            memory.prepare(height: c.h, width: c.w, featureShape: [weights.architecture.widths.a3, 8, 8])
            let refRGB = try tensor(c, "input.ref_rgb"), refValid = try tensor(c, "input.ref_valid"), hw = c.h * c.w
            for k in 0..<c.k {
                let slot = try #require(memory.offer(holeFraction: 0))
                memory.rgb[slot].data.update(from: refRGB.data + k * 3 * hw, count: 3 * hw)
                memory.valid[slot].data.update(from: refValid.data + k * hw, count: hw)
                network.alignmentFeatures(rgb: memory.rgb[slot].data, valid: memory.valid[slot].data, ws: ws, into: memory.features[slot].data)
            }
            ws.targetRGB.data.update(from: try tensor(c, "input.target_rgb").data, count: 3 * hw)
            ws.targetValid.data.update(from: try tensor(c, "input.target_valid").data, count: hw)
            network.restore(ws: ws, memory: memory)
            var report: [String] = []
            check("restore.output", ws.output.data, try tensor(c, "restore.output"), &report)
            check("restore.theta", ws.theta.data, try tensor(c, "ar.theta"), &report)
            print("parity \(c.prefix) full step:", report.joined(separator: ", "))
        }
    }

    /// scripts/test exports a smoke-trained model (CLEARLANE_SMOKE_WEIGHTS); the engine must load and run it.
    @Test func smokeTrainedWeightsLoadAndRestore() throws {
        guard let path = ProcessInfo.processInfo.environment["CLEARLANE_SMOKE_WEIGHTS"], !path.isEmpty else { return }
        let restorer = Restorer.paper(weights: try CPNetWeights(path: path), references: 2, stride: 1, threads: 2)
        var frame = RGBImageFactory.scene(width: 64, height: 48, shift: 0)
        restorer.remember(frame, holes: .init(width: 64, height: 48, fill: 0))
        let holes = RGBImageFactory.centralHole(width: 64, height: 48)
        #expect(try restorer.restore(frame: &frame, holes: holes).restored)
    }
}
