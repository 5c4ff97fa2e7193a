@testable import CPNet
import Foundation
import Imaging
import NeuralEngine
import Testing

/// Small synthetic road-like frames for behaviour tests.
enum RGBImageFactory {
    /// A smooth gradient with stripes, shifted `shift` pixels to the right (camera motion).
    static func scene(width: Int, height: Int, shift: Int) -> RGBImage {
        var img = RGBImage(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                let u = x - shift
                let stripe: UInt8 = ((u / 6) & 1) == 0 ? 40 : 0
                img[x, y] = RGB(UInt8(clamping: 60 + y * 2 + Int(stripe)), UInt8(clamping: 80 + (u & 63)), UInt8(clamping: 120 - y))
            }
        }
        return img
    }

    /// A rectangular hole in the middle of the frame.
    static func centralHole(width: Int, height: Int) -> Mask {
        var m = Mask(width: width, height: height, fill: 0)
        for y in height / 3..<(2 * height / 3) { for x in width / 3..<(2 * width / 3) { m[x, y] = 1 } }
        return m
    }

    /// Burns the hole white (a clipped highlight), as the exposure detector would find it.
    static func clipped(_ image: RGBImage, _ holes: Mask) -> RGBImage {
        var out = image
        for i in 0..<holes.values.count where holes.values[i] != 0 { for c in 0..<3 { out.pixels[i * 3 + c] = 255 } }
        return out
    }
}

@Suite("Reference memory policy")
struct ReferenceMemoryTests {
    @Test func onlyEveryStrideThFrameIsConsidered() {
        let memory = ReferenceMemory(capacity: 10, stride: 3)
        let admitted = (0..<10).map { _ in memory.offer(holeFraction: 0) != nil }
        #expect(admitted == [true, false, false, true, false, false, true, false, false, true])
        #expect(memory.entries.compactMap { $0?.offer } == [0, 3, 6, 9])
    }

    @Test func fullMemoryOfEquallyGoodFramesReplacesTheOldest() {
        let memory = ReferenceMemory(capacity: 3, stride: 1)
        for _ in 0..<3 { _ = memory.offer(holeFraction: 0) }
        #expect(memory.count == 3)
        let slot = memory.offer(holeFraction: 0)
        #expect(slot == 0)   // slot 0 held the oldest (offer 0)
        #expect(memory.offer(holeFraction: 0) == 1)
        #expect(memory.entries.map { $0!.offer } == [3, 4, 2])
    }

    @Test func badlyExposedFramesDoNotPushOutWellExposedOnes() {
        let memory = ReferenceMemory(capacity: 2, stride: 1)
        _ = memory.offer(holeFraction: 0)
        _ = memory.offer(holeFraction: 0.01)
        // A tunnel: heavily clipped frames are rejected while the memory holds better ones.
        for _ in 0..<5 { #expect(memory.offer(holeFraction: 0.4) == nil) }
        #expect(memory.entries.map { $0!.holeFraction } == [0, 0.01])
        // A better frame replaces the worst-exposed reference first, not the oldest.
        #expect(memory.offer(holeFraction: 0.005) == 1)
        #expect(memory.offer(holeFraction: 0.0) == 1)   // now the worst is slot 1 (0.005)
    }

    @Test func restoredFramesWrittenBackWithEmptyHolesAlwaysEnter() {
        let memory = ReferenceMemory(capacity: 2, stride: 1)
        _ = memory.offer(holeFraction: 0.2)
        _ = memory.offer(holeFraction: 0.3)
        #expect(memory.offer(holeFraction: 0) == 1)
        #expect(memory.offer(holeFraction: 0) == 0)
        memory.clear()
        #expect(memory.count == 0 && memory.offers == 0)
    }

    @Test func referencesOlderThanTheAgeLimitAreReplacedWhateverTheirHoles() {
        // Two clean frames, then a long blowout whose restored frames keep a few unseen pixels.
        let limited = ReferenceMemory(capacity: 2, stride: 1, maxAge: 4)
        let unlimited = ReferenceMemory(capacity: 2, stride: 1)
        for memory in [limited, unlimited] {
            _ = memory.offer(holeFraction: 0)
            _ = memory.offer(holeFraction: 0)
        }
        // Offers 2…4: the clean references are at most 4 offers old, so the holed frames are
        // rejected by both memories.
        for _ in 2...4 {
            #expect(limited.offer(holeFraction: 0.01) == nil)
            #expect(unlimited.offer(holeFraction: 0.01) == nil)
        }
        // Offer 5: the reference from offer 0 is 5 offers old, over the limit, and goes; then the
        // one from offer 1.
        #expect(limited.offer(holeFraction: 0.01) == 0)
        #expect(limited.offer(holeFraction: 0.01) == 1)
        #expect(limited.entries.map { $0!.offer } == [5, 6])
        // Without a limit the frames from before the blowout stay for good.
        for _ in 0..<20 { #expect(unlimited.offer(holeFraction: 0.01) == nil) }
        #expect(unlimited.entries.map { $0!.offer } == [0, 1])
    }
}

@Suite("Restorer")
struct RestorerTests {
    /// `load` (a table lookup) gives every 8-bit level as v / 255 in each planar channel, and
    /// visibility 0 on holes (any non-zero mask value), 1 elsewhere.
    @Test func loadGivesEachLevelOver255AndVisibility() {
        var image = RGBImage(width: 256, height: 1)
        var holes = Mask(width: 256, height: 1, fill: 0)
        for v in 0..<256 {
            image.pixels[3 * v] = UInt8(v)
            image.pixels[3 * v + 1] = UInt8(255 - v)
            image.pixels[3 * v + 2] = UInt8((v * 7) % 256)
            holes.values[v] = v % 3 == 0 ? 0 : (v % 3 == 1 ? 1 : 255)
        }
        let rgb = UnsafeMutablePointer<Float>.allocate(capacity: 3 * 256), valid = UnsafeMutablePointer<Float>.allocate(capacity: 256)
        defer { rgb.deallocate(); valid.deallocate() }
        Restorer.load(image, holes: holes, rgb: rgb, valid: valid)
        for v in 0..<256 {
            #expect(rgb[v] == Float(v) / 255 && rgb[256 + v] == Float(255 - v) / 255 && rgb[512 + v] == Float((v * 7) % 256) / 255)
            #expect(valid[v] == (v % 3 == 0 ? 1 : 0))
        }
    }

    let weights: CPNetWeights
    init() throws { weights = try CPNetWeights(path: Fixtures.weightsPath) }

    let width = 48, height = 36

    @Test func restorerLeavesValidPixelsUntouchedAndFillsOnlyHoles() throws {
        let restorer = Restorer.paper(weights: weights, references: 2, stride: 1, threads: 2)
        let none = Mask(width: width, height: height, fill: 0)
        for shift in 0..<2 { restorer.remember(RGBImageFactory.scene(width: width, height: height, shift: shift), holes: none) }
        let holes = RGBImageFactory.centralHole(width: width, height: height)
        let original = RGBImageFactory.clipped(RGBImageFactory.scene(width: width, height: height, shift: 2), holes)
        var frame = original
        #expect(try restorer.restore(frame: &frame, holes: holes).restored)
        var changedInHoles = 0
        for i in 0..<(width * height) {
            for c in 0..<3 {
                if holes.values[i] == 0 {
                    #expect(frame.pixels[i * 3 + c] == original.pixels[i * 3 + c])
                } else if frame.pixels[i * 3 + c] != original.pixels[i * 3 + c] {
                    changedInHoles += 1
                }
            }
        }
        #expect(changedInHoles > 0)
        // Hole pixels are the network's composite, quantised.
        let ws = try #require(restorer.workspace)
        let n = width * height, i = (height / 2) * width + width / 2
        #expect(abs(Float(frame.pixels[i * 3]) - ws.output.data[i] * 255) <= 0.5 + 1e-3)
        _ = n
    }

    @Test func framesWithoutHolesOrWithoutReferencesAreSkippedUnchanged() throws {
        let restorer = Restorer.paper(weights: weights, references: 2, stride: 1, threads: 1)
        let holes = RGBImageFactory.centralHole(width: width, height: height)
        let first = RGBImageFactory.clipped(RGBImageFactory.scene(width: width, height: height, shift: 0), holes)
        var frame = first
        #expect(try restorer.restore(frame: &frame, holes: holes).restored == false)   // nothing to copy from yet
        #expect(frame == first)
        #expect(restorer.memory.count == 1)                                   // but it was offered
        let clean = RGBImageFactory.scene(width: width, height: height, shift: 1)
        frame = clean
        #expect(try restorer.restore(frame: &frame, holes: Mask(width: width, height: height, fill: 0)).restored == false)
        #expect(frame == clean)
        #expect(restorer.memory.count == 2)
    }

    @Test func restoredFrameIsWrittenBackWithAnEmptyHoleMap() throws {
        let restorer = Restorer.paper(weights: weights, references: 3, stride: 1, threads: 2)
        restorer.remember(RGBImageFactory.scene(width: width, height: height, shift: 0), holes: Mask(width: width, height: height, fill: 0))
        let holes = RGBImageFactory.centralHole(width: width, height: height)
        var frame = RGBImageFactory.clipped(RGBImageFactory.scene(width: width, height: height, shift: 1), holes)
        #expect(try restorer.restore(frame: &frame, holes: holes).restored)
        let memory = restorer.memory
        #expect(memory.count == 2)
        let slot = try #require(memory.entries.firstIndex { $0?.offer == 1 })
        #expect(memory.entries[slot]?.holeFraction == 0)
        #expect(memory.valid[slot].values.allSatisfy { $0 == 1 })
        // The stored frame is the restored one (its hole is no longer white).
        let center = (height / 2) * width + width / 2
        #expect(abs(memory.rgb[slot].data[center] * 255 - Float(frame.pixels[center * 3])) <= 0.5 + 1e-3)
    }

    @Test func holePixelsNoReferenceShowsStayAsFilmedWhenFillUnseenIsOff() throws {
        let restorer = Restorer.paper(weights: weights, references: 3, stride: 1, threads: 2)  // a free slot for the result
        restorer.fillUnseen = false
        // The references miss the central block themselves; the target misses it and a corner.
        let central = RGBImageFactory.centralHole(width: width, height: height)
        for shift in 0..<2 {
            restorer.remember(RGBImageFactory.clipped(RGBImageFactory.scene(width: width, height: height, shift: shift), central), holes: central)
        }
        var holes = central
        for y in 0..<10 { for x in 0..<12 { holes[x, y] = 1 } }
        let original = RGBImageFactory.clipped(RGBImageFactory.scene(width: width, height: height, shift: 2), holes)
        var frame = original
        #expect(try restorer.restore(frame: &frame, holes: holes).restored)
        let ws = try #require(restorer.workspace)
        let n = width * height
        var seenCount = 0, unseenCount = 0
        for i in 0..<n {
            let seen = (0..<2).contains { ws.alignedValid.slice($0)[i] > 0.5 }
            let filled = restorer.filled.values[i] != 0
            if holes.values[i] == 0 {
                #expect(!filled)
                #expect(frame.pixels[3 * i] == original.pixels[3 * i])
            } else if seen {
                seenCount += 1
                #expect(filled)
                #expect(abs(Float(frame.pixels[3 * i]) - ws.output.data[i] * 255) <= 0.5 + 1e-3)
            } else {
                unseenCount += 1
                #expect(!filled)
                #expect(frame.pixels[3 * i] == 255 && frame.pixels[3 * i + 1] == 255)   // as filmed
            }
        }
        #expect(seenCount > 0 && unseenCount > 0, "the case needs both kinds of hole pixel")
        // In memory, the pixels left as filmed are holes again; the filled ones are valid.
        let slot = try #require(restorer.memory.entries.firstIndex { $0?.offer == 2 })
        for i in 0..<n where holes.values[i] != 0 {
            #expect(restorer.memory.valid[slot].data[i] == (restorer.filled.values[i] != 0 ? 1 : 0))
        }
    }

    /// With `fillUnseen` off the decoder is skipped (nothing reads it); the seen pixels must come
    /// out the same either way.
    @Test(arguments: [true, false])
    func alignedPasteCopiesTheAlignedReferencesWeightedByContextMatching(fillUnseen: Bool) throws {
        let restorer = Restorer.paper(weights: weights, references: 3, stride: 1, threads: 2)
        restorer.paste = .blendAligned
        restorer.fillUnseen = fillUnseen
        for shift in 0..<2 {
            restorer.remember(RGBImageFactory.scene(width: width, height: height, shift: shift), holes: Mask(width: width, height: height, fill: 0))
        }
        let holes = RGBImageFactory.centralHole(width: width, height: height)
        let original = RGBImageFactory.clipped(RGBImageFactory.scene(width: width, height: height, shift: 2), holes)
        var frame = original
        #expect(try restorer.restore(frame: &frame, holes: holes).restored)
        let ws = try #require(restorer.workspace)
        let n = width * height, g = ws.globalSimilarity.data
        var checked = 0
        for i in 0..<n {
            guard holes.values[i] != 0 else {
                #expect(frame.pixels[3 * i] == original.pixels[3 * i])
                continue
            }
            // Reference computation: visibility × global similarity, normalized over references.
            var total: Float = 0, value: Float = 0
            for k in 0..<2 where ws.alignedValid.slice(k)[i] > 0.5 {
                total += g[k]
                value += g[k] * ws.alignedRGB.slice(k)[i]   // red plane of reference k
            }
            guard total > 0 else {
                if !fillUnseen { #expect(frame.pixels[3 * i] == original.pixels[3 * i]) }
                continue
            }
            checked += 1
            #expect(abs(Float(frame.pixels[3 * i]) - value / total * 255) <= 0.5 + 1e-3)
        }
        #expect(checked > 0)
    }

    /// The shipped paste: each seen hole pixel is the aligned pixel of the longest-held reference
    /// that shows it. Three frames through a two-slot memory put the newest frame in slot 0, so
    /// the order must come from admission, not from the slots.
    @Test func oldestPasteCopiesTheLongestHeldAlignedReferenceThatShowsEachPixel() throws {
        let restorer = Restorer.paper(weights: weights, references: 2, stride: 1, threads: 2)
        restorer.paste = .oldestAligned
        restorer.fillUnseen = false
        // Holes in every remembered frame, in different places, so that some hole pixels are
        // shown only by the older reference.
        for shift in 0..<3 {
            var hole = Mask(width: width, height: height, fill: 0)
            for y in 0..<height { for x in (shift * 12)..<(shift * 12 + 8) { hole[x, y] = 1 } }
            restorer.remember(RGBImageFactory.clipped(RGBImageFactory.scene(width: width, height: height, shift: shift), hole), holes: hole)
        }
        let slots = restorer.memory.occupied
        #expect(slots == [0, 1])
        let sequence = { (slot: Int) in restorer.memory.entries[slot]?.sequence ?? -1 }
        #expect(sequence(0) > sequence(1), "the third frame replaced the first in slot 0")

        let holes = Mask(width: width, height: height, fill: 1)
        let original = RGBImageFactory.scene(width: width, height: height, shift: 3)
        var frame = original
        #expect(try restorer.restore(frame: &frame, holes: holes).restored)
        let ws = try #require(restorer.workspace)
        let n = width * height
        // Reference computation: each reference (slots 0 and 1, per-reference order) warped whole
        // with the step's θ; then, oldest first (slot 1, then slot 0), the first that shows the pixel.
        // Slot 0 now holds the restored frame, so the references are rebuilt from their frames.
        let alignedRGB = Tensor(shape: [2, 3, height, width]), alignedValid = Tensor(shape: [2, 1, height, width])
        for (k, shift) in [(0, 2), (1, 1)] {
            var hole = Mask(width: width, height: height, fill: 0)
            for y in 0..<height { for x in (shift * 12)..<(shift * 12 + 8) { hole[x, y] = 1 } }
            let rgb = Tensor(shape: [3, height, width]), valid = Tensor(shape: [1, height, width])
            Restorer.load(RGBImageFactory.clipped(RGBImageFactory.scene(width: width, height: height, shift: shift), hole), holes: hole,
                          rgb: rgb.data, valid: valid.data)
            CPNetwork.warp(rgb: rgb.data, valid: valid.data, theta: ws.theta.slice(k), height: height, width: width, threads: 1,
                           alignedRGB: alignedRGB.slice(k), alignedValid: alignedValid.slice(k))
        }
        var fromNewer = 0, fromOlder = 0
        for i in 0..<n {
            guard let k = [1, 0].first(where: { alignedValid.slice($0)[i] > 0.5 }) else {
                #expect(frame.pixels[3 * i] == original.pixels[3 * i])   // unseen: as filmed
                continue
            }
            if k == 0 { fromNewer += 1 } else { fromOlder += 1 }
            for c in 0..<3 {
                let expected = alignedRGB.slice(k)[c * n + i] * 255
                #expect(abs(Float(frame.pixels[3 * i + c]) - expected) <= 0.5 + 1e-3)
            }
        }
        #expect(fromNewer > 0 && fromOlder > 0, "the case needs pixels from both references")
    }

    /// A step runs only the stages its paste reads: the oldest-reference copy stops after the
    /// alignment (θ as the whole step computes it), blending after the context matching, the
    /// decoder runs everything.
    @Test func aStepStopsAfterTheLastStageItsPasteReads() throws {
        let restorer = Restorer.paper(weights: weights, references: 2, stride: 1, threads: 2)
        restorer.fillUnseen = false
        restorer.paste = .oldestAligned
        #expect(restorer.lastStage == .alignment)
        restorer.paste = .blendAligned
        #expect(restorer.lastStage == .matching)
        restorer.fillUnseen = true
        #expect(restorer.lastStage == .decoder)
        restorer.paste = .oldestAligned
        #expect(restorer.lastStage == .decoder)

        for shift in 0..<2 {
            restorer.remember(RGBImageFactory.scene(width: width, height: height, shift: shift), holes: Mask(width: width, height: height, fill: 0))
        }
        let holes = RGBImageFactory.centralHole(width: width, height: height)
        let ws = restorer.prepare(for: ImageSize(width: width, height: height))
        Restorer.load(RGBImageFactory.clipped(RGBImageFactory.scene(width: width, height: height, shift: 2), holes), holes: holes,
                      rgb: ws.targetRGB.data, valid: ws.targetValid.data)
        let network = restorer.network, n = width * height
        let full = network.restore(ws: ws, memory: restorer.memory, through: .decoder)
        let theta = Array(UnsafeBufferPointer(start: ws.theta.data, count: 12))
        let aligned = Array(UnsafeBufferPointer(start: ws.alignedRGB.data, count: 2 * 3 * n))
        ws.referenceFeatures.fill(-7)
        let short = network.restore(ws: ws, memory: restorer.memory, through: .warp)
        #expect(Array(UnsafeBufferPointer(start: ws.theta.data, count: 12)) == theta)
        #expect(Array(UnsafeBufferPointer(start: ws.alignedRGB.data, count: 2 * 3 * n)) == aligned)
        #expect(ws.referenceFeatures.data[0] == -7, "the copy encoder must not run")
        #expect(short.encode == 0 && short.match == 0 && short.decode == 0 && full.encode > 0)
        for i in 0..<(3 * n) { #expect(ws.output.data[i] == ws.targetRGB.data[i]) }
        #expect(network.flopsPerStep(height: height, width: width, references: 2, through: .warp)
                < network.flopsPerStep(height: height, width: width, references: 2, through: .matching))
        // The shipped paste reads θ only: the step stops before the warp.
        ws.alignedRGB.fill(-7)
        let thetaOnly = network.restore(ws: ws, memory: restorer.memory, through: .alignment)
        #expect(Array(UnsafeBufferPointer(start: ws.theta.data, count: 12)) == theta)
        #expect(ws.alignedRGB.data[0] == -7, "the warp must not run")
        #expect(thetaOnly.warp == 0 && thetaOnly.encode == 0)
        for i in 0..<(3 * n) { #expect(ws.output.data[i] == ws.targetRGB.data[i]) }
    }

    @Test func restoringMoreFramesAllocatesNoTensorsAfterWarmUp() throws {
        let restorer = Restorer.paper(weights: weights, references: 2, stride: 1, threads: 2)
        let holes = RGBImageFactory.centralHole(width: width, height: height)
        restorer.remember(RGBImageFactory.scene(width: width, height: height, shift: 0), holes: Mask(width: width, height: height, fill: 0))
        var frame = RGBImageFactory.clipped(RGBImageFactory.scene(width: width, height: height, shift: 1), holes)
        #expect(try restorer.restore(frame: &frame, holes: holes).restored)   // warm-up
        let ws = try #require(restorer.workspace)
        let bases: [UnsafeMutablePointer<Float>] = [ws.output.data, ws.pasteInput.data, ws.alignedRGB.data, restorer.memory.rgb[0].data]
        let before = Tensor.allocationsOnThisThread
        for shift in 2..<6 {
            var f = RGBImageFactory.clipped(RGBImageFactory.scene(width: width, height: height, shift: shift), holes)
            #expect(try restorer.restore(frame: &f, holes: holes).restored)
        }
        #expect(Tensor.allocationsOnThisThread == before)
        #expect(restorer.workspace === ws)
        let after: [UnsafeMutablePointer<Float>] = [ws.output.data, ws.pasteInput.data, ws.alignedRGB.data, restorer.memory.rgb[0].data]
        #expect(after == bases)
    }

    @Test func maskOfAnotherSizeIsAnError() {
        let restorer = Restorer.paper(weights: weights, references: 2, stride: 1, threads: 1)
        var frame = RGBImage(width: 10, height: 8)
        #expect(throws: CPNetError.self) { _ = try restorer.restore(frame: &frame, holes: Mask(width: 8, height: 8, fill: 1)) }
    }
}

@Suite("CPNet weight files")
struct WeightFileTests {
    let directory: String
    init() throws {
        directory = NSTemporaryDirectory() + "cpnet-weights-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func write(_ entries: [SafetensorsWriter.Entry], _ metadata: [String: String]) throws -> String {
        let path = directory + "/w-\(UUID().uuidString).safetensors"
        try SafetensorsWriter.write(entries, metadata: metadata, to: path)
        return path
    }

    func expectRefusal(_ path: String, _ kind: CPNetError.Kind, mentioning text: String) {
        do {
            _ = try CPNetWeights(path: path)
            Issue.record("expected \(kind)")
        } catch let error as CPNetError {
            #expect(error.kind == kind)
            #expect(error.description.contains(text), "\(error)")
            #expect(error.description.contains(path))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func widthsFollowTheMultiplierRule() {
        let w = Widths(alpha: 0.25, alignSize: 128)
        #expect([w.a1, w.a2, w.a3, w.r, w.e1, w.e2, w.p] as [Int] == [16, 32, 64, 128, 16, 32, 65])
        let full = Widths(alpha: 1, alignSize: 224)
        #expect([full.a1, full.a2, full.a3, full.r, full.e1, full.e2, full.p] as [Int] == [64, 128, 256, 512, 64, 128, 257])
        #expect(Widths(alpha: 0.05, alignSize: 64).a1 == 8)
    }

    @Test func randomWeightsLoadAndTheirArchitectureComesFromMetadata() throws {
        let (entries, metadata) = CPNetWeights.randomEntries(widths: Widths(alpha: 0.25, alignSize: 64), seed: 1)
        let weights = try CPNetWeights(path: try write(entries, metadata))
        #expect(weights.architecture.widths == Widths(alpha: 0.25, alignSize: 64))
        #expect(weights.architecture.pasteDecoder.count == 13)
    }

    @Test func filesThatAreNotThisCPNetAreRefusedNamingTheFirstOffence() throws {
        let (entries, metadata) = CPNetWeights.randomEntries(widths: Widths(alpha: 0.25, alignSize: 64), seed: 1)
        var m = metadata
        m["arch"] = "unet"
        expectRefusal(try write(entries, m), .metadata, mentioning: "'arch'")
        m = metadata; m["version"] = "7"
        expectRefusal(try write(entries, m), .metadata, mentioning: "'version'")
        m = metadata; m.removeValue(forKey: "align_size")
        expectRefusal(try write(entries, m), .metadata, mentioning: "'align_size'")
        // Missing tensor.
        expectRefusal(try write(entries.filter { $0.name != "copy_encoder.convs.2.bias" }, metadata), .missingTensor,
                      mentioning: "'copy_encoder.convs.2.bias'")
        // Extra tensor.
        expectRefusal(try write(entries + [.init(name: "paste_decoder.convs.13.weight", shape: [1], values: [0])], metadata),
                      .unexpectedTensor, mentioning: "'paste_decoder.convs.13.weight'")
        // Channel counts in metadata that the tensors do not have.
        m = metadata; m["e2"] = "40"
        expectRefusal(try write(entries, m), .wrongShape, mentioning: "'copy_encoder.convs.2.weight'")
        // A wrongly shaped tensor.
        var reshaped = entries
        let i = reshaped.firstIndex { $0.name == "align_regressor.fc.weight" }!
        reshaped[i].shape = [reshaped[i].shape[1], 6]
        expectRefusal(try write(reshaped, metadata), .wrongShape, mentioning: "'align_regressor.fc.weight'")
    }
}

@Suite("Restorer frame sizes")
struct RestorerFrameSizeTests {
    @Test func aNewFrameSizeStartsAnEmptyMemoryAndSkipsTheFirstFrame() throws {
        let restorer = Restorer.paper(weights: try CPNetWeights(path: Fixtures.weightsPath), references: 2, stride: 1, threads: 1)
        restorer.remember(RGBImageFactory.scene(width: 40, height: 32, shift: 0), holes: Mask(width: 40, height: 32, fill: 0))
        #expect(restorer.memory.count == 1)
        let holes = RGBImageFactory.centralHole(width: 48, height: 36)
        let original = RGBImageFactory.clipped(RGBImageFactory.scene(width: 48, height: 36, shift: 1), holes)
        var frame = original
        #expect(try restorer.restore(frame: &frame, holes: holes).restored == false)
        #expect(frame == original)
        #expect(restorer.workspace?.width == 48 && restorer.memory.count == 1)
    }
}
