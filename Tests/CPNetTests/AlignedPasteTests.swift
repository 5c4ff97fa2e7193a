@testable import CPNet
import Imaging
import NeuralEngine
import Testing

/// Aligned pasting (`AlignedPaste`) against direct per-pixel computations, and the restorer's
/// two-size step, which pastes with it at the processing size.
@Suite("Aligned paste")
struct AlignedPasteTests {
    let size = ImageSize(width: 48, height: 30)

    func pattern(_ seed: Int, size: ImageSize? = nil) -> RGBImage {
        let size = size ?? self.size
        var image = RGBImage(width: size.width, height: size.height)
        for y in 0..<size.height {
            for x in 0..<size.width {
                image[x, y] = RGB(UInt8((x * 5 + y * 3 + seed * 40) % 256), UInt8((x * x + seed * 7) % 256), UInt8((y * 11 + seed) % 256))
            }
        }
        return image
    }

    /// Slot storage as a memory keeps it: frame [3, H, W] in [0, 1], visibility [1, H, W].
    func slots(_ frames: [(RGBImage, Mask)?]) -> (rgb: [Tensor], valid: [Tensor]) {
        var rgb: [Tensor] = [], valid: [Tensor] = []
        for frame in frames {
            rgb.append(Tensor(shape: [3, size.height, size.width]))
            valid.append(Tensor(shape: [1, size.height, size.width]))
            if let (image, holes) = frame { Restorer.load(image, holes: holes, rgb: rgb.last!.data, valid: valid.last!.data) }
        }
        return (rgb, valid)
    }

    var noHoles: Mask { Mask(width: size.width, height: size.height, fill: 0) }

    /// Pastes `firstShowing` into the pixels where `fill` holds; returns how many it found a source for.
    func pasteFirstShowing(into image: inout RGBImage, fill: (Int) -> Bool, rgb: [Tensor], valid: [Tensor], slots: [Int],
                           order: [Int], theta: [Float]) -> Int {
        var filled = 0
        theta.withUnsafeBufferPointer { t in
            for y in 0..<size.height {
                for x in 0..<size.width where fill(y * size.width + x) {
                    guard let (r, g, b) = AlignedPaste.firstShowing(column: x, row: y, width: size.width, height: size.height, rgb: rgb,
                                                                    valid: valid, slots: slots, order: order,
                                                                    theta: t.baseAddress!) else { continue }
                    image[x, y] = RGB(AlignedPaste.byte(r), AlignedPaste.byte(g), AlignedPaste.byte(b))
                    filled += 1
                }
            }
        }
        return filled
    }

    @Test func aTranslationCopiesTheShiftedPixels() {
        let reference = pattern(1)
        let (rgb, valid) = slots([nil, (reference, noHoles)])
        // θ shifting by exactly dx pixels (align_corners=False: x_n + 2·dx/W lands on pixel x + dx).
        let dx = 3
        let theta: [Float] = [1, 0, 2 * Float(dx) / Float(size.width), 0, 1, 0]
        var frame = RGBImage(width: size.width, height: size.height, fill: 0)
        let filled = pasteFirstShowing(into: &frame, fill: { $0 % size.width < 20 }, rgb: rgb, valid: valid, slots: [1],
                                       order: [0], theta: theta)
        #expect(filled == 20 * size.height)
        for y in 0..<size.height {
            for x in 0..<size.width {
                #expect(frame[x, y] == (x < 20 ? reference[x + dx, y] : RGB(0, 0, 0)))
            }
        }
    }

    @Test func referencesBlendByWeightWhereVisibleAndHolesAreNeverCopied() {
        let a = pattern(2), b = pattern(3)
        var holeInA = noHoles
        for y in 0..<size.height { for x in 0..<10 { holeInA[x, y] = 1 } }
        var holeInB = noHoles
        for y in 0..<5 { for x in 0..<10 { holeInB[x, y] = 1 } }
        let (rgb, valid) = slots([(a, holeInA), (b, holeInB)])
        let similarity: [Float] = [1, 3]
        let n = size.width * size.height
        let alignedRGB = Tensor(shape: [2, 3, size.height, size.width]), alignedValid = Tensor(shape: [2, 1, size.height, size.width])
        let identity: [Float] = [1, 0, 0, 0, 1, 0]
        for k in 0..<2 {
            CPNetwork.warp(rgb: rgb[k].data, valid: valid[k].data, theta: identity, height: size.height, width: size.width, threads: 1,
                           alignedRGB: alignedRGB.slice(k), alignedValid: alignedValid.slice(k))
        }
        for y in 0..<size.height {
            for x in 0..<size.width {
                let got = AlignedPaste.blended(pixel: y * size.width + x, planeSize: n, count: 2, alignedRGB: alignedRGB.data,
                                               alignedValid: alignedValid.data, similarity: similarity)
                if x < 10 && y < 5 {
                    #expect(got == nil)                                         // no reference shows it
                } else if x < 10 {
                    #expect(got.map { AlignedPaste.byte($0.0) } == b[x, y].r)     // only b shows it
                } else {
                    let expected = (Double(a[x, y].r) + 3 * Double(b[x, y].r)) / 4
                    #expect(abs(Double(got!.0) * 255 - expected) <= 1e-3)
                }
            }
        }
    }

    /// Oldest-first pasting: each pixel from the longest-held reference that shows it; a pixel
    /// only the newer reference shows comes from it.
    @Test func oldestPasteTakesEachPixelFromTheLongestHeldReferenceThatShowsIt() {
        let older = pattern(4), newer = pattern(5)
        var holeInOlder = noHoles
        for y in 0..<size.height { for x in 0..<10 { holeInOlder[x, y] = 1 } }
        var holeInNewer = noHoles
        for y in 0..<5 { for x in 0..<10 { holeInNewer[x, y] = 1 } }
        // Slot order is not age order: the newer frame sits in slot 0.
        let (rgb, valid) = slots([(newer, holeInNewer), nil, (older, holeInOlder)])
        let identity: [Float] = [1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0]
        var frame = RGBImage(width: size.width, height: size.height, fill: 7)
        let filled = pasteFirstShowing(into: &frame, fill: { _ in true }, rgb: rgb, valid: valid, slots: [0, 2], order: [1, 0],
                                       theta: identity)
        #expect(filled == size.width * size.height - 10 * 5)
        for y in 0..<size.height {
            for x in 0..<size.width {
                let expected = x < 10 ? (y < 5 ? RGB(7, 7, 7) : newer[x, y]) : older[x, y]
                #expect(frame[x, y] == expected)
            }
        }
    }

    /// The oldest-first paste samples only the pixels it fills (`Resample.AffineTap`); it must
    /// give exactly what warping every reference whole and then copying the first that shows
    /// each pixel gives (the simple reference), under rotation, scale and sub-pixel shifts.
    @Test func oldestPasteSamplesPerPixelExactlyAsWarpingWholeFrames() {
        let slotsHeld = 3
        let n = size.width * size.height
        var frames: [(RGBImage, Mask)?] = []
        for k in 0..<slotsHeld {
            var hole = noHoles
            for y in 0..<size.height { for x in 0..<size.width where (x / (4 + k) + y / (3 + k)) % 3 == 0 { hole[x, y] = 1 } }
            frames.append((pattern(10 + k), hole))
        }
        let (rgb, valid) = slots(frames)
        let slotOrder = [2, 0, 1]   // per-reference order ≠ slot order
        let theta: [Float] = [0.97, 0.05, 0.031, -0.04, 1.02, -0.06,
                              1.1, 0, -0.013, 0, 1.1, 0.02,
                              1, -0.02, 0.2, 0.03, 0.95, 0.1]
        let order = [1, 2, 0]
        var frame = RGBImage(width: size.width, height: size.height, fill: 9)
        let fill = { (i: Int) in (i * 7) % 5 != 0 }
        let filled = pasteFirstShowing(into: &frame, fill: fill, rgb: rgb, valid: valid, slots: slotOrder, order: order, theta: theta)

        // Reference: each reference warped whole, then the first in `order` that shows the pixel.
        let alignedRGB = Tensor(shape: [slotOrder.count, 3, size.height, size.width])
        let alignedValid = Tensor(shape: [slotOrder.count, 1, size.height, size.width])
        theta.withUnsafeBufferPointer { t in
            for (k, slot) in slotOrder.enumerated() {
                CPNetwork.warp(rgb: rgb[slot].data, valid: valid[slot].data, theta: t.baseAddress! + 6 * k, height: size.height,
                               width: size.width, threads: 1, alignedRGB: alignedRGB.slice(k), alignedValid: alignedValid.slice(k))
            }
        }
        var expectedFilled = 0, fromEach = [0, 0, 0]
        for i in 0..<n {
            guard fill(i), let k = order.first(where: { alignedValid.slice($0)[i] > 0 }) else {
                #expect(frame.pixels[3 * i] == 9)
                continue
            }
            expectedFilled += 1
            fromEach[k] += 1
            for c in 0..<3 {
                #expect(frame.pixels[3 * i + c] == UInt8(min(max(alignedRGB.slice(k)[c * n + i] * 255 + 0.5, 0), 255)))
            }
        }
        #expect(filled == expectedFilled)
        #expect(fromEach.allSatisfy { $0 > 0 }, "every reference should supply some pixels: \(fromEach)")
    }

    /// The two-size step: the network runs on a half-size copy; full-size hole pixels come from
    /// the full-size references through θ (`firstShowing`, recomputed here), else from the
    /// network's result upsampled, else (network pixel left as filmed) stay as filmed; valid
    /// pixels keep their bytes; the memory keeps the result at both sizes.
    @Test func theTwoSizeStepPastesFullSizePaintAndKeepsBothSizes() throws {
        let weights = try CPNetWeights(path: Fixtures.weightsPath)
        let restorer = Restorer(weights: weights, references: 3, stride: 1, maxReferenceAge: 0, threads: 1)
        #expect(restorer.paste == .oldestAligned && !restorer.fillUnseen, "the shipped defaults")
        let full = ImageSize(width: 64, height: 48), small = ImageSize(width: 32, height: 24)
        func reduced(_ image: RGBImage) -> RGBImage { Resize.bilinear(image, to: small) }
        func reducedHoles(_ holes: Mask) -> Mask {
            var out = Mask(width: small.width, height: small.height, fill: 0)
            for y in 0..<full.height { for x in 0..<full.width where holes[x, y] != 0 { out[x / 2, y / 2] = 1 } }
            return out
        }
        // Two references: the older misses a band on the left, the newer a band on the right.
        for (k, band) in [(0, 0..<16), (1, 40..<56)] {
            var hole = Mask(width: full.width, height: full.height, fill: 0)
            for y in 0..<full.height { for x in band { hole[x, y] = 1 } }
            let image = pattern(20 + k, size: full)
            #expect(restorer.remember(reduced(image), holes: reducedHoles(hole), fullSize: (image, hole)) != nil)
        }
        #expect(restorer.memory.fullSize == full)
        // The target: holes over both bands (some pixels neither reference shows) and the middle.
        var holes = Mask(width: full.width, height: full.height, fill: 0)
        for y in 8..<40 { for x in 4..<60 { holes[x, y] = 1 } }
        let original = pattern(30, size: full)
        var frame = original
        var smallFrame = reduced(original)
        let smallHoles = reducedHoles(holes)
        let step = try restorer.restore(frame: &smallFrame, holes: smallHoles, fullSize: &frame, fullHoles: holes)
        #expect(step.restored)
        let slot = try #require(step.admittedSlot)

        // Direct computation at full size with the step's θ, oldest reference first.
        let ws = try #require(restorer.workspace)
        let theta = Array(UnsafeBufferPointer(start: ws.theta.data, count: 12))
        let (rgb, valid) = (restorer.memory.fullRGB, restorer.memory.fullValid)
        // The references of the step: slots 0 (older) and 1 (newer); the restored frame took slot 2.
        #expect(slot == 2 && restorer.memory.occupied == [0, 1, 2])
        #expect(restorer.memory.entries[0]!.sequence < restorer.memory.entries[1]!.sequence)
        let referenceSlots = [0, 1], order = [0, 1]
        var pasted = 0, upsampled = 0, asFilmed = 0
        let upsampledNetwork = Resize.bilinear(smallFrame, to: full)
        for y in 0..<full.height {
            for x in 0..<full.width {
                guard holes[x, y] != 0 else {
                    #expect(frame[x, y] == original[x, y])
                    continue
                }
                if restorer.filled[x / 2, y / 2] == 0 {
                    asFilmed += 1
                    #expect(frame[x, y] == original[x, y])
                } else if let (r, g, b) = theta.withUnsafeBufferPointer({ t in
                    AlignedPaste.firstShowing(column: x, row: y, width: full.width, height: full.height, rgb: rgb, valid: valid,
                                              slots: referenceSlots, order: order, theta: t.baseAddress!)
                }) {
                    pasted += 1
                    #expect(frame[x, y] == RGB(AlignedPaste.byte(r), AlignedPaste.byte(g), AlignedPaste.byte(b)))
                } else {
                    upsampled += 1
                    #expect(frame[x, y] == upsampledNetwork[x, y])
                }
            }
        }
        #expect(pasted > 0)
        #expect(step.filledPixels == pasted + upsampled && step.unseenPixels == asFilmed)
        // The memory holds the restored frame at both sizes; full-size pixels left as filmed are holes.
        for y in 0..<full.height {
            for x in 0..<full.width {
                let i = y * full.width + x
                #expect(abs(rgb[slot].data[i] * 255 - Float(frame[x, y].r)) < 1e-3)
                #expect(valid[slot].data[i] == (holes[x, y] != 0 && restorer.filled[x / 2, y / 2] == 0 ? 0 : 1))
            }
        }
    }
}

/// The alignment check (`Restorer.checkAlignment`): θ is kept where it fits the filmed pixels
/// around the holes better than the identity, replaced where the identity fits better.
@Suite("Alignment check")
struct AlignmentCheckTests {
    let size = ImageSize(width: 64, height: 48)

    func scene(shift: Int) -> RGBImage {
        var image = RGBImage(width: size.width, height: size.height)
        for y in 0..<size.height {
            for x in 0..<size.width {
                let u = x + shift
                image[x, y] = RGB(UInt8((u * 13 + y * 7) % 256), UInt8((u * u / 3 + y) % 256), UInt8((u * 5 + y * y) % 256))
            }
        }
        return image
    }

    /// θ for reference k: the shift by `dx` pixels (align_corners=False, as affine_grid).
    func shift(_ dx: Int) -> [Float] { [1, 0, 2 * Float(dx) / Float(size.width), 0, 1, 0] }

    func check(target: RGBImage, reference: RGBImage, theta: [Float]) throws -> (replaced: Int, theta: [Float]) {
        let restorer = Restorer(weights: try CPNetWeights(path: Fixtures.weightsPath), references: 2, stride: 1, threads: 1)
        let none = Mask(width: size.width, height: size.height, fill: 0)
        restorer.remember(reference, holes: none)
        var holes = none
        for y in 16..<32 { for x in 20..<44 { holes[x, y] = 1 } }
        let ws = try #require(restorer.workspace)
        Restorer.load(target, holes: holes, rgb: ws.targetRGB.data, valid: ws.targetValid.data)
        for (i, v) in theta.enumerated() { ws.theta.data[i] = v }
        var blocks: [UInt8] = [], near: [UInt8] = []
        Restorer.markBlocksNearHoles(holes, blocks: &blocks, near: &near)
        let replaced = Restorer.checkAlignment(ws: ws, memory: restorer.memory, slots: restorer.memory.occupied, near: near)
        return (replaced, Array(UnsafeBufferPointer(start: ws.theta.data, count: 6)))
    }

    @Test func aThetaThatExplainsTheMotionIsKept() throws {
        // The reference is the target's scene 3 pixels to the left: θ shifting by +3 fits exactly.
        let result = try check(target: scene(shift: 3), reference: scene(shift: 0), theta: shift(3))
        #expect(result.replaced == 0)
        #expect(result.theta == shift(3))
    }

    @Test func aThetaWorseThanNoMotionIsReplacedByTheIdentity() throws {
        // A still scene, and a θ that moves it by 5 pixels: the identity fits, θ does not.
        let result = try check(target: scene(shift: 0), reference: scene(shift: 0), theta: shift(5))
        #expect(result.replaced == 1)
        #expect(result.theta == [1, 0, 0, 0, 1, 0])
    }
}

/// `restoredReferenceMotion`: a restored reference is pasted through part of θ's motion, a
/// filmed one through all of it (docs/decisions/0031-restored-references-half-motion.md).
@Suite("Restored references' motion")
struct RestoredReferenceMotionTests {
    let size = ImageSize(width: 32, height: 24)

    @Test func onlyRestoredReferencesAreScaledTowardTheIdentity() throws {
        let restorer = Restorer(weights: try CPNetWeights(path: Fixtures.weightsPath), references: 3, stride: 1, threads: 1)
        let none = Mask(width: size.width, height: size.height, fill: 0)
        let frame = RGBImage(width: size.width, height: size.height, fill: 90)
        let filmed = try #require(restorer.remember(frame, holes: none))
        // Two restored frames admitted the way the network step admits them.
        let memory = restorer.memory
        let restoredA = try #require(memory.offer(holeFraction: 0, restored: true))
        let restoredB = try #require(memory.offer(holeFraction: 0.01, restored: true))
        #expect(memory.entries[filmed]?.restored == false)
        #expect(memory.entries[restoredA]?.restored == true && memory.entries[restoredB]?.restored == true)
        let ws = try #require(restorer.workspace)
        let zoom: [Float] = [0.98, 0.01, 0.02, -0.01, 0.97, 0.04]
        let slots = [filmed, restoredA, restoredB]
        for k in 0..<3 { for (i, v) in zoom.enumerated() { ws.theta.slice(k)[i] = v } }
        #expect(Restorer.scaleRestoredMotion(ws: ws, memory: memory, slots: slots, by: 0.5) == 2)
        let half: [Float] = [0.99, 0.005, 0.01, -0.005, 0.985, 0.02]
        #expect(Array(UnsafeBufferPointer(start: ws.theta.slice(0), count: 6)) == zoom)
        for k in 1..<3 {
            let got = Array(UnsafeBufferPointer(start: ws.theta.slice(k), count: 6))
            #expect(zip(got, half).allSatisfy { abs($0 - $1) < 1e-6 }, "\(got)")
        }
        // Factor 0: the identity; a re-admitted filmed frame loses the restored mark.
        #expect(Restorer.scaleRestoredMotion(ws: ws, memory: memory, slots: slots, by: 0) == 2)
        #expect(Array(UnsafeBufferPointer(start: ws.theta.slice(1), count: 6)) == [1, 0, 0, 0, 1, 0])
        memory.clear()
        let again = try #require(restorer.remember(frame, holes: none))
        #expect(memory.entries[again]?.restored == false)
    }
}


/// `darkenPastes`: what is pasted into crushed hole pixels is scaled to the frame's exposure,
/// measured on the dark filmed pixels around the holes; clipped hole pixels keep the reference's.
@Suite("Dark paste gains")
struct DarkPasteGainTests {
    let size = ImageSize(width: 64, height: 48)

    /// A textured scene in mid-tones (48…207), so a darkened copy stays unclipped.
    func scene(gain: Double = 1) -> RGBImage {
        var image = RGBImage(width: size.width, height: size.height)
        for y in 0..<size.height {
            for x in 0..<size.width {
                func v(_ t: Int) -> UInt8 { UInt8(min(255, (Double(48 + t % 160) * gain).rounded())) }
                image[x, y] = RGB(v(x * 13 + y * 7), v(x * x / 3 + y), v(x * 5 + y * y))
            }
        }
        return image
    }

    /// Crushed holes on the left half (filmed black), clipped ones on the right (filmed white).
    func damaged(_ image: RGBImage) -> (RGBImage, Mask) {
        var image = image, holes = Mask(width: size.width, height: size.height, fill: 0)
        for y in 16..<32 {
            for x in 12..<24 { holes[x, y] = 1; image[x, y] = RGB(0, 0, 0) }
            for x in 40..<52 { holes[x, y] = 1; image[x, y] = RGB(255, 255, 255) }
        }
        return (image, holes)
    }

    func gains(target: RGBImage, holes: Mask, reference: RGBImage) throws -> Float {
        let restorer = Restorer(weights: try CPNetWeights(path: Fixtures.weightsPath), references: 2, stride: 1, threads: 1)
        restorer.remember(reference, holes: Mask(width: size.width, height: size.height, fill: 0))
        let ws = try #require(restorer.workspace)
        Restorer.load(target, holes: holes, rgb: ws.targetRGB.data, valid: ws.targetValid.data)
        for (i, v) in [Float(1), 0, 0, 0, 1, 0].enumerated() { ws.theta.data[i] = v }
        var blocks: [UInt8] = [], near: [UInt8] = []
        let result = Tensor(shape: [1], fill: 1)
        Restorer.markBlocksNearHoles(holes, blocks: &blocks, near: &near)
        Restorer.darkPasteGains(ws: ws, memory: restorer.memory, slots: restorer.memory.occupied, near: near, into: result.data)
        return result.data[0]
    }

    @Test func theGainIsTheFramesExposureOverTheReferencesOnDarkPixels() throws {
        let (dark, holes) = damaged(scene(gain: 0.3))
        #expect(abs(try gains(target: dark, holes: holes, reference: scene()) - 0.3) < 0.01)
        // The same exposure: no change; a brighter frame (mid-tones above the dark limit): 1.
        let (same, _) = damaged(scene())
        #expect(abs(try gains(target: same, holes: holes, reference: scene()) - 1) < 0.01)
        let (bright, _) = damaged(scene(gain: 1.6))
        #expect(try gains(target: bright, holes: holes, reference: scene()) == 1)
    }

    @Test func onlyCrushedHolePixelsAreDarkened() throws {
        let (target, holes) = damaged(scene(gain: 0.3))
        func restored(darken: Bool) throws -> RGBImage {
            let restorer = Restorer(weights: try CPNetWeights(path: Fixtures.weightsPath), references: 2, stride: 1, threads: 1)
            restorer.darkenPastes = darken
            restorer.remember(scene(), holes: Mask(width: size.width, height: size.height, fill: 0))
            var frame = target
            #expect(try restorer.restore(frame: &frame, holes: holes).restored)
            return frame
        }
        let plain = try restored(darken: false), darkened = try restored(darken: true)
        var crushedPlain = 0.0, crushedDarkened = 0.0, clippedDifference = 0
        for y in 16..<32 {
            for x in 12..<24 { crushedPlain += Double(plain[x, y].r); crushedDarkened += Double(darkened[x, y].r) }
            for x in 40..<52 where plain[x, y] != darkened[x, y] { clippedDifference += 1 }
        }
        #expect(crushedPlain > 0)
        // θ is the network's in both runs, so only the gain separates the crushed pastes.
        #expect(abs(crushedDarkened / crushedPlain - 0.3) < 0.02, "\(crushedDarkened / crushedPlain)")
        #expect(clippedDifference == 0)
        // Valid pixels are untouched either way.
        #expect(darkened[2, 2] == target[2, 2] && plain[2, 2] == target[2, 2])
    }

    /// The two-size step: the full-size paste (from the full-size references) takes the gains
    /// measured at the network size.
    @Test func theFullSizePasteIsDarkenedToo() throws {
        let small = ImageSize(width: size.width / 2, height: size.height / 2)
        let (target, holes) = damaged(scene(gain: 0.3))
        var smallHoles = Mask(width: small.width, height: small.height, fill: 0)
        for y in 0..<size.height { for x in 0..<size.width where holes[x, y] != 0 { smallHoles[x / 2, y / 2] = 1 } }
        func restored(darken: Bool) throws -> RGBImage {
            let restorer = Restorer(weights: try CPNetWeights(path: Fixtures.weightsPath), references: 2, stride: 1, threads: 1)
            restorer.darkenPastes = darken
            let none = Mask(width: size.width, height: size.height, fill: 0)
            restorer.remember(Resize.bilinear(scene(), to: small), holes: Mask(width: small.width, height: small.height, fill: 0),
                              fullSize: (scene(), none))
            var frame = target, smallFrame = Resize.bilinear(target, to: small)
            #expect(try restorer.restore(frame: &smallFrame, holes: smallHoles, fullSize: &frame, fullHoles: holes).restored)
            return frame
        }
        let plain = try restored(darken: false), darkened = try restored(darken: true)
        var crushedPlain = 0.0, crushedDarkened = 0.0
        for y in 16..<32 { for x in 12..<24 { crushedPlain += Double(plain[x, y].g); crushedDarkened += Double(darkened[x, y].g) } }
        #expect(crushedPlain > 0)
        #expect(abs(crushedDarkened / crushedPlain - 0.3) < 0.03, "\(crushedDarkened / crushedPlain)")
        for y in 16..<32 { for x in 40..<52 { #expect(plain[x, y] == darkened[x, y]) } }
    }
}
